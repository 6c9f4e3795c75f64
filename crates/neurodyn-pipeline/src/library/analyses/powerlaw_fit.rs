//! `powerlaw-fit`: discrete power-law fits of any avalanches table's sizes
//! and durations.

use neurodyn_analysis::powerlaw::fit;
use neurodyn_core::contracts::{AVALANCHES, POWERLAW_FIT};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, Output, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::ParamDef;
use crate::params::int;
use crate::study::{OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "powerlaw-fit",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "discrete power law P(x) ~ x^-alpha fitted to the sizes and durations of an avalanches table: MLE of alpha, xmin minimising the KS distance (Clauset et al. 2009)",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "avalanches",
        kind: Some(&AVALANCHES),
        doc: "the avalanches to fit",
    }],
    outputs: &[Output::of("powerlaw_fit", &POWERLAW_FIT)],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Smallest tail an xmin candidate may leave.
    pub min_tail: usize,
    /// Largest xmin scanned (0: no bound).
    pub xmin_max: u64,
}

impl KindParams for Params {}

fn params() -> Vec<ParamDef> {
    vec![
        int(
            "min_tail",
            2,
            1_000_000_000,
            50,
            "smallest tail (samples >= xmin) an xmin candidate may leave",
        ),
        int(
            "xmin_max",
            0,
            i64::MAX,
            0,
            "largest xmin scanned (0: no bound)",
        ),
    ]
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let t = neurodyn_io::read_table(&ctx.input_path("avalanches"))?;
    let mut q = Vec::new();
    let (mut n, mut alpha, mut xmin, mut n_tail, mut ks) = (vec![], vec![], vec![], vec![], vec![]);
    for name in ["size", "duration"] {
        let x: Vec<u64> = t.i64s(name)?.iter().map(|&v| v.max(0) as u64).collect();
        let f = fit(&x, p.min_tail, (p.xmin_max > 0).then_some(p.xmin_max));
        q.push(name);
        n.push(x.len() as i64);
        alpha.push(f.map_or(f64::NAN, |f| f.alpha));
        xmin.push(f.map_or(0, |f| f.xmin as i64));
        n_tail.push(f.map_or(0, |f| f.n_tail as i64));
        ks.push(f.map_or(f64::NAN, |f| f.ks));
    }
    let mut rec = recorder(ctx, 0)?;
    let id = rec.declare(POWERLAW_FIT.schema("powerlaw_fit"))?;
    rec.append(
        id,
        &[
            Column::Str(&q),
            Column::I64(&n),
            Column::F64(&alpha),
            Column::I64(&xmin),
            Column::I64(&n_tail),
            Column::F64(&ks),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
