//! `fi-curves`: f-I curves of both cell types of every bundled parameter
//! set of the ring (steady rate over the second half of each current step,
//! first-ISI rate, rheobase).

use neurodyn_core::contracts::FI_CURVES;
use neurodyn_core::{Column, ColumnType, Field, Recorder, TableSchema};
use neurodyn_io::{ParquetRecorder, RecorderOptions};
use neurodyn_models::izhikevich;
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::ring_attractor::{SET_NAMES, parameter_set};
use crate::library::{
    KindParams, Output, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, float, positive};
use crate::study::{OutputFile, Scope, StageContext, files};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "fi-curves",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "f-I curves of both cell types of every bundled ring parameter set (tables/fi_curves)",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[],
    outputs: &[Output::of("fi_curves", &FI_CURVES)],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn params() -> Vec<ParamDef> {
    vec![
        float(
            "current_min_pa",
            -1e6,
            1e6,
            0.0,
            "smallest injected current (pA)",
        ),
        float(
            "current_max_pa",
            -1e6,
            1e6,
            600.0,
            "largest injected current (pA)",
        ),
        positive("current_step_pa", 1e6, 5.0, "current step (pA)"),
        positive(
            "duration_ms",
            1e7,
            1000.0,
            "length of each current step (ms)",
        ),
        positive("dt_ms", 10.0, 0.1, "Euler step (ms)"),
    ]
}

/// The most currents an f-I curve is computed at.
const MAX_CURRENTS: usize = 10_000;

/// `[fi_curves]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) current_min_pa: f64,
    pub(crate) current_max_pa: f64,
    pub(crate) current_step_pa: f64,
    pub(crate) duration_ms: f64,
    pub(crate) dt_ms: f64,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.current_max_pa < self.current_min_pa {
            return Err(("current_max_pa", "must be at least current_min_pa".into()));
        }
        let count = (self.current_max_pa - self.current_min_pa) / self.current_step_pa + 1.0;
        if count > MAX_CURRENTS as f64 {
            return Err((
                "current_step_pa",
                format!(
                    "{} pA makes {count:.0} currents from {} to {} pA: at most {MAX_CURRENTS} (a step of at least {:.3e} pA)",
                    self.current_step_pa,
                    self.current_min_pa,
                    self.current_max_pa,
                    (self.current_max_pa - self.current_min_pa) / (MAX_CURRENTS - 1) as f64
                ),
            ));
        }
        Ok(())
    }
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let (lo, hi, step) = (p.current_min_pa, p.current_max_pa, p.current_step_pa);
    let count = ((hi - lo) / step + 1e-9).floor() as usize + 1;
    let currents: Vec<f64> = (0..count).map(|i| lo + i as f64 * step).collect();
    let mut rec = ParquetRecorder::create(
        &ctx.pipeline_dir.join("tables"),
        ctx.file_meta(0),
        RecorderOptions::default(),
    )?;
    let t = rec.declare(TableSchema::new(
        "fi_curves",
        vec![
            Field::new("parameter_set", ColumnType::Str, None),
            Field::new("cell", ColumnType::Str, None),
            Field::new("current_pa", ColumnType::F64, Some("pA")),
            Field::new("steady_rate_hz", ColumnType::F64, Some("Hz")),
            Field::new("first_isi_rate_hz", ColumnType::F64, Some("Hz")),
            Field::new("spikes", ColumnType::U32, None),
            Field::new("rheobase_pa", ColumnType::F64, Some("pA")),
        ],
    ))?;
    // Every bundled set, whatever the sweep visits: the book's cells are
    // the Izhikevich (2007) reference.
    for &set_name in SET_NAMES {
        let set = parameter_set(set_name)?;
        for (cell_name, cell) in [("RS", set.rs), ("FS", set.fs)] {
            let pts = izhikevich::fi_curve(&cell, &currents, p.dt_ms, p.duration_ms);
            let rheo = cell.rheobase_pa().unwrap_or(f64::NAN);
            let k = pts.len();
            rec.append(
                t,
                &[
                    Column::Str(&vec![set_name; k]),
                    Column::Str(&vec![cell_name; k]),
                    Column::F64(&pts.iter().map(|q| q.current_pa).collect::<Vec<_>>()),
                    Column::F64(&pts.iter().map(|q| q.steady_rate_hz).collect::<Vec<_>>()),
                    Column::F64(&pts.iter().map(|q| q.first_isi_rate_hz).collect::<Vec<_>>()),
                    Column::U32(&pts.iter().map(|q| q.spikes).collect::<Vec<_>>()),
                    Column::F64(&vec![rheo; k]),
                ],
            )?;
        }
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}
