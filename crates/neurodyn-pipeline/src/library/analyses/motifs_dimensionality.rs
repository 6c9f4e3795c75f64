//! `motifs-dimensionality`: connectivity motifs of every recorded weight
//! matrix (second-order motif statistics, loop by loop) and the
//! participation ratio and bias-corrected dimensionality of each loop's
//! recorded activity.

use neurodyn_analysis::dimensionality::{
    covariance, participation_ratio, participation_ratio_bias_corrected,
};
use neurodyn_analysis::motifs::motifs;
use neurodyn_core::contracts::{FORCE_ACTIVITY, FORCE_WEIGHTS, LOOP_DIMENSIONALITY, WEIGHT_MOTIFS};
use neurodyn_core::{Column, ColumnType, Field, Recorder, TableSchema};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::lif_qif_force;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::{ParamDef, int};
use crate::study::{OutputFile, Scope, StageContext, files, recorder};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "motifs-dimensionality",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "motifs of each recorded weight matrix; PR and bias-corrected PR of each loop's recorded activity",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "weights",
            kind: Some(&FORCE_WEIGHTS),
            doc: "recorded weight matrices (its writer's n and record.variables)",
        },
        Port {
            name: "activity",
            kind: Some(&FORCE_ACTIVITY),
            doc: "recorded activity",
        },
    ],
    outputs: &[
        Output::of("motifs", &WEIGHT_MOTIFS),
        Output::of("dimensionality", &LOOP_DIMENSIONALITY),
    ],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

/// At load: the skipped steps leave some of each loop of the FORCE run.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    match ctx.input::<lif_qif_force::Params>("weights") {
        Some((stage, sim))
            if sim.record_variables.iter().any(|v| v == "r")
                && p.dpr_skip_steps >= sim.steps_per_loop =>
        {
            Err((
                "dpr_skip_steps".into(),
                format!(
                    "{} leaves no step of the {} steps of each loop of `{stage}`: must be below {stage}.steps_per_loop",
                    p.dpr_skip_steps, sim.steps_per_loop
                ),
            ))
        }
        _ => Ok(()),
    }
}

fn params() -> Vec<ParamDef> {
    vec![int(
        "dpr_skip_steps",
        0,
        i64::MAX,
        200,
        "steps at the start of each loop left out of the covariance (the stimulus window); the samples are the remaining recorded steps",
    )]
}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) dpr_skip_steps: usize,
}

impl KindParams for Params {}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let sim: lif_qif_force::Params = input_params(ctx, "weights")?;
    let n = sim.n;
    let vars = sim.record_variables.clone();
    let mut rec = recorder(ctx, 0)?;

    // Motifs of every recorded weight matrix, streamed loop by loop.
    if vars.iter().any(|v| v == "weights") {
        let path = ctx.input_path("weights");
        let mut out: Vec<(i64, neurodyn_analysis::motifs::Motifs)> = Vec::new();
        let mut dense = vec![0.0; n * n];
        let mut current: Option<i64> = None;
        neurodyn_io::for_each_batch(&path, |t| {
            let (l, post) = (t.i64s("loop")?, t.u32s("post")?);
            let (pre, w) = (t.u32s("pre")?, t.f64s("w")?);
            for k in 0..l.len() {
                if current != Some(l[k]) {
                    if let Some(c) = current {
                        out.push((c, motifs(&dense, n)));
                    }
                    dense.iter_mut().for_each(|v| *v = 0.0);
                    current = Some(l[k]);
                }
                dense[post[k] as usize * n + pre[k] as usize] = w[k];
            }
            Ok(())
        })?;
        if let Some(c) = current {
            out.push((c, motifs(&dense, n)));
        }
        let t = rec.declare(TableSchema::new(
            "motifs",
            vec![
                Field::new("loop", ColumnType::I64, None),
                Field::new("sigma2", ColumnType::F64, None),
                Field::new("tau_rec", ColumnType::F64, None),
                Field::new("tau_div", ColumnType::F64, None),
                Field::new("tau_con", ColumnType::F64, None),
                Field::new("tau_chn", ColumnType::F64, None),
            ],
        ))?;
        let g = |f: &dyn Fn(&neurodyn_analysis::motifs::Motifs) -> f64| {
            out.iter().map(|(_, m)| f(m)).collect::<Vec<_>>()
        };
        let loops: Vec<i64> = out.iter().map(|(l, _)| *l).collect();
        rec.append(
            t,
            &[
                Column::I64(&loops),
                Column::F64(&g(&|m| m.sigma2)),
                Column::F64(&g(&|m| m.tau_rec)),
                Column::F64(&g(&|m| m.tau_div)),
                Column::F64(&g(&|m| m.tau_con)),
                Column::F64(&g(&|m| m.tau_chn)),
            ],
        )?;
    }

    // Dimensionality of each loop's recorded traces r.
    if vars.iter().any(|v| v == "r") {
        let skip = params_of::<Params>(ctx)?.dpr_skip_steps;
        let steps = sim.steps_per_loop;
        if skip >= steps {
            return Err(PipelineError::Other(format!(
                "analyse.dpr_skip_steps = {skip} leaves no step of simulate.steps_per_loop = {steps}"
            )));
        }
        let units = sim.record_units.clone();
        let units: Vec<u32> = if units.is_empty() {
            (0..n as u32).collect()
        } else {
            units
        };
        let mut col_of = vec![usize::MAX; n];
        for (c, &u) in units.iter().enumerate() {
            col_of[u as usize] = c;
        }
        let m_units = units.len();
        let path = ctx.input_path("activity");
        let mut res: Vec<(i64, u32, f64, f64)> = Vec::new();
        let mut samples: Vec<f64> = Vec::new();
        let mut cur: Option<(u32, u32)> = None; // (loop, step) of the sample being filled
        let mut row = vec![0.0; m_units];
        let finish_loop = |l: u32, samples: &mut Vec<f64>, res: &mut Vec<(i64, u32, f64, f64)>| {
            let m = samples.len() / m_units.max(1);
            if m >= 2 && m_units >= 2 {
                let c = covariance(samples, m, m_units);
                res.push((
                    l as i64,
                    m as u32,
                    participation_ratio(&c, m_units),
                    participation_ratio_bias_corrected(&c, m_units, m),
                ));
            }
            samples.clear();
        };
        neurodyn_io::for_each_batch(&path, |t| {
            let (l, s) = (t.u32s("loop")?, t.u32s("step")?);
            let (u, r) = (t.u32s("neuron")?, t.f64s("r")?);
            for k in 0..l.len() {
                if cur != Some((l[k], s[k])) {
                    if let Some((cl, cs)) = cur {
                        if cs as usize >= skip {
                            samples.extend_from_slice(&row);
                        }
                        if cl != l[k] {
                            finish_loop(cl, &mut samples, &mut res);
                        }
                    }
                    cur = Some((l[k], s[k]));
                }
                row[col_of[u[k] as usize]] = r[k];
            }
            Ok(())
        })?;
        if let Some((cl, cs)) = cur {
            if cs as usize >= skip {
                samples.extend_from_slice(&row);
            }
            finish_loop(cl, &mut samples, &mut res);
        }
        let t = rec.declare(TableSchema::new(
            "dimensionality",
            vec![
                Field::new("loop", ColumnType::I64, None),
                Field::new("samples", ColumnType::U32, None),
                Field::new("pr", ColumnType::F64, None),
                Field::new("dpr", ColumnType::F64, None),
            ],
        ))?;
        rec.append(
            t,
            &[
                Column::I64(&res.iter().map(|x| x.0).collect::<Vec<_>>()),
                Column::U32(&res.iter().map(|x| x.1).collect::<Vec<_>>()),
                Column::F64(&res.iter().map(|x| x.2).collect::<Vec<_>>()),
                Column::F64(&res.iter().map(|x| x.3).collect::<Vec<_>>()),
            ],
        )?;
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}
