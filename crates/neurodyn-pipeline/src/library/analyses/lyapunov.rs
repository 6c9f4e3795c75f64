//! `lyapunov`: the largest Lyapunov exponent of one network from a twin
//! run: Benettin's mean log stretch per trial, and the reference notebook's
//! estimator (a line fitted to ln of the mean distance of the diverging
//! trials). Also the decimated ln-distance sums that the divergence curves
//! pool across the sweep.

use std::path::Path;

use neurodyn_analysis::lyapunov::fit_log_curve;
use neurodyn_core::contracts::{
    DIVERGENCE_SUMS, LYAPUNOV_NOTEBOOK, LYAPUNOV_TRIALS, TANGENT_STRETCH, TWIN_DISTANCE, TWIN_ENDS,
};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::rate_rnn_twins;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::{ParamDef, int, positive};
use crate::study::{OutputFile, Scope, StageContext, files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "lyapunov",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "largest Lyapunov exponent from a twin run: Benettin per trial, the notebook's estimate per network",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "distance",
            kind: Some(&TWIN_DISTANCE),
            doc: "twin distance per trial and step (its writer's dt_ms and steps)",
        },
        Port {
            name: "tangent",
            kind: Some(&TANGENT_STRETCH),
            doc: "Benettin log stretches",
        },
        Port {
            name: "ends",
            kind: Some(&TWIN_ENDS),
            doc: "final twin distance per trial",
        },
    ],
    outputs: &[
        Output::of("trials", &LYAPUNOV_TRIALS),
        Output::of("notebook", &LYAPUNOV_NOTEBOOK),
        Output::of("divergence", &DIVERGENCE_SUMS),
    ],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

fn params() -> Vec<ParamDef> {
    vec![
        int(
            "benettin_transient_steps",
            0,
            i64::MAX,
            2000,
            "log stretches of the first steps are discarded",
        ),
        positive(
            "min_final_distance",
            f64::INFINITY,
            1.0,
            "notebook estimator: trials whose final distance reaches this diverge",
        ),
        positive(
            "fit_fraction",
            1.0,
            0.8,
            "notebook estimator: fit ln(mean distance) up to this fraction of its maximum",
        ),
        int(
            "divergence_every_steps",
            1,
            i64::MAX,
            10,
            "decimation of the divergence curves",
        ),
    ]
}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    benettin_transient_steps: usize,
    min_final_distance: f64,
    fit_fraction: f64,
    divergence_every_steps: usize,
}

impl KindParams for Params {}

/// Stream a `(trial, step, value)` table row group by row group, calling
/// `f(trial, step, value)` for each row: memory stays bounded whatever the
/// simulated duration.
fn stream_rows(
    path: &Path,
    value: &str,
    mut f: impl FnMut(usize, usize, f64),
) -> Result<(), PipelineError> {
    neurodyn_io::for_each_batch(path, |t| {
        let (trial, step, v) = (t.u32s("trial")?, t.u32s("step")?, t.f64s(value)?);
        for ((&k, &s), &x) in trial.iter().zip(step).zip(v) {
            f(k as usize, s as usize, x);
        }
        Ok(())
    })?;
    Ok(())
}

/// The transient must leave steps of the twins' run to average over.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let lp: Params = ctx.typed()?;
    if let Some((stage, sim)) = ctx.input::<rate_rnn_twins::Params>("distance")
        && lp.benettin_transient_steps >= sim.steps
    {
        return Err((
            "benettin_transient_steps".into(),
            format!(
                "{} leaves no step of the {} steps of `{stage}`: must be below {stage}.steps",
                lp.benettin_transient_steps, sim.steps
            ),
        ));
    }
    Ok(())
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let lp: Params = params_of(ctx)?;
    let dist_path = ctx.input_path("distance");
    let sp = neurodyn_io::read_params(&dist_path)?;
    let dt_ms = sp["dt_ms"].as_f64().unwrap_or(f64::NAN);
    let steps = sp["steps"].as_u64().unwrap_or(0) as usize;
    let transient = lp.benettin_transient_steps;
    if transient >= steps {
        return Err(PipelineError::Other(format!(
            "{}.benettin_transient_steps = {transient} leaves no steps of the {steps} steps of `{}`",
            ctx.stage,
            ctx.binding("distance").stage
        )));
    }
    let per_s = 1000.0 / dt_ms;
    let ends = neurodyn_io::read_table(&ctx.input_path("ends"))?;
    let final_d = ends
        .column("final_distance")
        .and_then(|c| c.as_f64())
        .ok_or_else(|| PipelineError::Other("ends.parquet: no final_distance".into()))?
        .to_vec();
    let min_final = lp.min_final_distance;
    let div: Vec<bool> = final_d.iter().map(|&d| d >= min_final).collect();

    // Benettin: mean log stretch after the transient, per trial.
    let mut sum = vec![0.0; final_d.len()];
    let mut count = vec![0usize; final_d.len()];
    stream_rows(&ctx.input_path("tangent"), "log_stretch", |k, s, x| {
        if s >= transient && k < sum.len() {
            sum[k] += x;
            count[k] += 1;
        }
    })?;
    let lam: Vec<f64> = sum
        .iter()
        .zip(&count)
        .map(|(s, &c)| {
            if c > 0 {
                s / c as f64 * per_s
            } else {
                f64::NAN
            }
        })
        .collect();

    // The notebook's estimator on the mean distance curve of the diverging
    // trials (one curve in memory, not one per trial).
    // In the same pass: decimated sums of ln distance over all trials, for
    // the divergence curves (pooled across sessions by the tables stage).
    let every = lp.divergence_every_steps;
    let kept = steps.div_ceil(every);
    let (mut ln_sum, mut ln_sq_sum) = (vec![0.0; kept], vec![0.0; kept]);
    let mut curve = vec![0.0; steps];
    stream_rows(&dist_path, "distance", |k, s, x| {
        if div.get(k) == Some(&true) && s < steps {
            curve[s] += x;
        }
        if s % every == 0 && s < steps {
            let l = x.ln();
            ln_sum[s / every] += l;
            ln_sq_sum[s / every] += l * l;
        }
    })?;
    let n_div = div.iter().filter(|d| **d).count();
    let est = if n_div == 0 {
        None
    } else {
        curve.iter_mut().for_each(|c| *c /= n_div as f64);
        fit_log_curve(&curve, lp.fit_fraction)
    };

    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(LYAPUNOV_TRIALS.schema("trials"))?;
    let idx: Vec<u32> = (0..final_d.len() as u32).collect();
    rec.append(
        t,
        &[
            Column::U32(&idx),
            Column::F64(&final_d),
            Column::F64(&lam),
            Column::Bool(&div),
        ],
    )?;
    let t = rec.declare(LYAPUNOV_NOTEBOOK.schema("notebook"))?;
    let (l, nd, cut) = match est {
        Some((slope, cut)) => (slope * per_s, n_div as u32, cut as u32),
        None => (f64::NAN, n_div as u32, 0),
    };
    rec.append(
        t,
        &[Column::F64(&[l]), Column::U32(&[nd]), Column::U32(&[cut])],
    )?;
    let t = rec.declare(DIVERGENCE_SUMS.schema("divergence"))?;
    let step: Vec<u32> = (0..kept).map(|i| (i * every) as u32).collect();
    let n = vec![final_d.len() as u32; kept];
    rec.append(
        t,
        &[
            Column::U32(&step),
            Column::U32(&n),
            Column::F64(&ln_sum),
            Column::F64(&ln_sq_sum),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
