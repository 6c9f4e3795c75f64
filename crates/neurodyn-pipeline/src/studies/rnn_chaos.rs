//! rnn-chaos: sparse rate RNNs swept over the synaptic gain `g` and the
//! connectivity seed (`session`); largest Lyapunov exponents from twin
//! trajectories (the reference study's estimator) and from the tangent
//! dynamics (Benettin).
//!
//! Stages: `simulate` and `lyapunov` per sweep point, then `tables` and
//! `figures` across the sweep.

use std::path::Path;

use neurodyn_analysis::lyapunov::fit_log_curve;
use neurodyn_core::{Column, ColumnType, Field, Recorder, TableSchema};
use neurodyn_models::rate_rnn::{self, ActivityRecord, RnnForm, RnnParams};
use neurodyn_plot::{Chart, Series};
use serde::Deserialize;

use super::{choice, choice_list, files, int, int_list, positive, recorder};
use crate::PipelineError;
use crate::study::{AxisDef, OutputFile, Scope, StageContext, StageDef, Study};
use crate::typed::{KindParams, NoParams, check_typed, params_of, upstream_params};

/// The rnn-chaos study.
pub struct RnnChaos;

impl Study for RnnChaos {
    fn name(&self) -> &'static str {
        "rnn-chaos"
    }

    fn description(&self) -> &'static str {
        "sparse rate RNN chaos vs synaptic gain g; Lyapunov exponents (twin trajectories, Benettin)"
    }

    fn axes(&self) -> Vec<AxisDef> {
        vec![
            AxisDef {
                name: "g",
                integer: false,
                min: 0.0,
                max: 1e6,
                default: &[1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0],
                choices: &[],
                doc: "synaptic gain",
            },
            AxisDef {
                name: "session",
                integer: true,
                min: 0.0,
                max: 1e9,
                default: &[1.0, 2.0, 3.0, 4.0, 5.0],
                choices: &[],
                doc: "connectivity seed: W and the initial states are drawn from (seed, session)",
            },
        ]
    }

    fn stages(&self) -> Vec<StageDef> {
        vec![
            StageDef {
                name: "simulate",
                scope: Scope::PerPoint,
                inputs: vec![],
                bindings: vec![],
                code_version: "2",
                params: vec![
                    choice(
                        "model",
                        &["seed", "classic"],
                        "seed",
                        "seed: tau dr/dt = -r + tanh(g W r), weight sd 1/(Np), centred; classic: tau dx/dt = -x + g W tanh(x), weight variance 1/(Np)",
                    ),
                    int("n", 2, 100_000, 200, "number of units"),
                    positive("p", 1.0, 0.1, "connection probability"),
                    positive("tau_ms", 1e9, 20.0, "time constant (ms)"),
                    positive("dt_ms", 1e9, 1.0, "Euler step (ms), at most tau_ms"),
                    int("steps", 1, 100_000_000, 7000, "Euler steps per trial"),
                    int("trials", 1, 100_000, 20, "twin trials per sweep point"),
                    int(
                        "benettin_trials",
                        1,
                        100_000,
                        4,
                        "trials (the first ones) that also integrate a Benettin tangent (capped at trials)",
                    ),
                    positive("perturbation", 1.0, 1e-4, "twin offset added to every unit"),
                    choice_list(
                        "record.variables",
                        &["r", "r_twin"],
                        &["r", "r_twin"],
                        "activity variables recorded (reference and twin trajectory)",
                    ),
                    int_list(
                        "record.units",
                        &[0, 1, 2, 3, 4],
                        "units whose activity is recorded",
                    ),
                    int_list("record.trials", &[0], "trials whose activity is recorded"),
                    int(
                        "record.every_steps",
                        1,
                        i64::MAX,
                        10,
                        "record activity every k steps",
                    ),
                ],
                doc: "twin trajectories and tangent dynamics of one network",
                check: check_typed::<SimulateParams>,
                run: simulate,
            },
            StageDef {
                name: "lyapunov",
                scope: Scope::PerPoint,
                inputs: vec!["simulate"],
                bindings: vec![],
                code_version: "2",
                params: vec![
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
                ],
                doc: "Benettin exponent per trial, the notebook estimate per network",
                check: check_typed::<LyapunovParams>,
                run: lyapunov,
            },
            StageDef {
                name: "tables",
                scope: Scope::Aggregate,
                inputs: vec!["lyapunov", "simulate"],
                bindings: vec![],
                code_version: "3",
                params: vec![],
                doc: "summary tables across the sweep (polars)",
                check: check_typed::<NoParams>,
                run: tables,
            },
            StageDef {
                name: "figures",
                scope: Scope::Aggregate,
                inputs: vec!["tables"],
                bindings: vec![],
                code_version: "1",
                params: vec![int(
                    "activity_window_steps",
                    1,
                    i64::MAX,
                    1000,
                    "steps of activity shown in the traces figure",
                )],
                doc: "lambda(g), divergence curves, activity traces",
                check: check_typed::<FiguresParams>,
                run: figures,
            },
        ]
    }
}

/// `[simulate]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateParams {
    model: String,
    n: usize,
    p: f64,
    tau_ms: f64,
    dt_ms: f64,
    steps: usize,
    trials: usize,
    benettin_trials: usize,
    perturbation: f64,
    #[serde(rename = "record.variables")]
    record_variables: Vec<String>,
    #[serde(rename = "record.units")]
    record_units: Vec<u32>,
    #[serde(rename = "record.trials")]
    record_trials: Vec<u32>,
    #[serde(rename = "record.every_steps")]
    record_every_steps: usize,
}

impl KindParams for SimulateParams {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.dt_ms > self.tau_ms {
            return Err(("dt_ms", format!("must be at most tau_ms = {}", self.tau_ms)));
        }
        if let Some(u) = self.record_units.iter().find(|&&u| u as usize >= self.n) {
            return Err((
                "record.units",
                format!("unit {u} is not below n = {}", self.n),
            ));
        }
        if let Some(k) = self
            .record_trials
            .iter()
            .find(|&&k| k as usize >= self.trials)
        {
            return Err((
                "record.trials",
                format!("trial {k} is not below trials = {}", self.trials),
            ));
        }
        Ok(())
    }
}

/// `[lyapunov]`, typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LyapunovParams {
    benettin_transient_steps: usize,
    min_final_distance: f64,
    fit_fraction: f64,
    divergence_every_steps: usize,
}

impl KindParams for LyapunovParams {}

/// `[figures]`, typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FiguresParams {
    activity_window_steps: usize,
}

impl KindParams for FiguresParams {}

fn model_params(p: &SimulateParams, g: f64) -> Result<RnnParams, PipelineError> {
    Ok(RnnParams::try_new(
        p.n,
        p.p,
        g,
        p.tau_ms,
        p.dt_ms,
        RnnForm::parse(&p.model)?,
    )?)
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let g = point.get("g").as_f64();
    let sp: SimulateParams = params_of(ctx)?;
    let params = model_params(&sp, g)?;
    // W and the initial states depend on the session only: g scales one network.
    let seed = point.seed(ctx.master_seed, "rnn-chaos/network", &["session"]);
    let mut rng = seed.rng();
    let w = rate_rnn::connectivity(&params, &mut rng);
    let trials = sp.trials;
    let init = rate_rnn::initial_states(params.n, trials, &mut rng);
    let tangents = rate_rnn::initial_tangents(
        params.n,
        sp.benettin_trials.min(trials),
        &mut seed.child("tangent", 0).rng(),
    );
    let variables = &sp.record_variables;
    let record = ActivityRecord {
        r: variables.iter().any(|v| v == "r"),
        r_twin: variables.iter().any(|v| v == "r_twin"),
        units: sp.record_units.clone(),
        trials: sp.record_trials.clone(),
        every: sp.record_every_steps,
    };
    let mut rec = recorder(ctx, seed.short())?;
    let ends = rate_rnn::run_twins(
        &params,
        &w,
        &init,
        &tangents,
        sp.perturbation,
        sp.steps,
        &record,
        &mut rec,
    )?;
    let t = rec.declare(TableSchema::new(
        "ends",
        vec![
            Field::new("trial", ColumnType::U32, None),
            Field::new("initial_distance", ColumnType::F64, None),
            Field::new("final_distance", ColumnType::F64, None),
        ],
    ))?;
    let idx: Vec<u32> = (0..ends.len() as u32).collect();
    let d0: Vec<f64> = ends.iter().map(|e| e.initial_distance).collect();
    let d1: Vec<f64> = ends.iter().map(|e| e.final_distance).collect();
    rec.append(t, &[Column::U32(&idx), Column::F64(&d0), Column::F64(&d1)])?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}

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

/// The `simulate` parameters recorded in a file's metadata.
fn lyapunov(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let lp: LyapunovParams = params_of(ctx)?;
    let dist_path = ctx.input_file("simulate", "distance");
    let sp = neurodyn_io::read_params(&dist_path)?;
    let dt_ms = sp["dt_ms"].as_f64().unwrap_or(f64::NAN);
    let steps = sp["steps"].as_u64().unwrap_or(0) as usize;
    let transient = lp.benettin_transient_steps;
    if transient >= steps {
        return Err(PipelineError::Other(format!(
            "lyapunov.benettin_transient_steps = {transient} leaves no steps of simulate.steps = {steps}"
        )));
    }
    let per_s = 1000.0 / dt_ms;
    let ends = neurodyn_io::read_table(&ctx.input_file("simulate", "ends"))?;
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
    stream_rows(
        &ctx.input_file("simulate", "tangent"),
        "log_stretch",
        |k, s, x| {
            if s >= transient && k < sum.len() {
                sum[k] += x;
                count[k] += 1;
            }
        },
    )?;
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
    let t = rec.declare(TableSchema::new(
        "trials",
        vec![
            Field::new("trial", ColumnType::U32, None),
            Field::new("final_distance", ColumnType::F64, None),
            Field::new("lambda_benettin_per_s", ColumnType::F64, Some("1/s")),
            Field::new("diverged", ColumnType::Bool, None),
        ],
    ))?;
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
    let t = rec.declare(TableSchema::new(
        "notebook",
        vec![
            Field::new("lambda_notebook_per_s", ColumnType::F64, Some("1/s")),
            Field::new("n_diverging", ColumnType::U32, None),
            Field::new("cut_step", ColumnType::U32, None),
        ],
    ))?;
    let (l, nd, cut) = match est {
        Some((slope, cut)) => (slope * per_s, n_div as u32, cut as u32),
        None => (f64::NAN, n_div as u32, 0),
    };
    rec.append(
        t,
        &[Column::F64(&[l]), Column::U32(&[nd]), Column::U32(&[cut])],
    )?;
    let t = rec.declare(TableSchema::new(
        "divergence",
        vec![
            Field::new("step", ColumnType::U32, None),
            Field::new("n", ColumnType::U32, None),
            Field::new("ln_distance_sum", ColumnType::F64, None),
            Field::new("ln_distance_sq_sum", ColumnType::F64, None),
        ],
    ))?;
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

fn tables(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let dt_ms = sim.dt_ms;
    let written = neurodyn_tables::rnn_chaos::derive(
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
        dt_ms,
    )?;
    Ok(super::derived(written))
}

fn figures(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let dir = &ctx.pipeline_dir;
    let fig = dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: [std::path::PathBuf; 2]| {
        for p in paths {
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            out.push(OutputFile { path: rel, rows: 0 });
        }
    };

    let s = neurodyn_tables::read_f64_columns(
        &dir.join("tables/summary.parquet"),
        &[
            "g",
            "lambda_benettin_per_s_mean",
            "lambda_benettin_per_s_sd",
            "lambda_notebook_per_s_mean",
        ],
    )?;
    let g: Vec<f64> = s[0].iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    let un = |c: &Vec<Option<f64>>| c.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>();
    let mut chart =
        Chart::new("Largest Lyapunov exponent vs synaptic gain").labels("g", "lambda (1/s)");
    chart.series.push(
        Series::line_markers("Benettin (mean +/- sd over trials)", g.clone(), un(&s[1]))
            .with_errors(un(&s[2])),
    );
    let nb: Vec<(f64, f64)> = g
        .iter()
        .zip(&s[3])
        .filter_map(|(&x, y)| y.map(|y| (x, y)))
        .collect();
    if !nb.is_empty() {
        chart.series.push(Series::markers(
            "notebook estimator (diverging trials)",
            nb.iter().map(|p| p.0).collect(),
            nb.iter().map(|p| p.1).collect(),
        ));
    }
    chart.hlines.push(0.0);
    push(neurodyn_plot::save_chart(&chart, &fig.join("lambda_vs_g"))?);

    let d = neurodyn_tables::read_f64_columns(
        &dir.join("tables/divergence.parquet"),
        &["g", "t_ms", "ln_distance_mean"],
    )?;
    let mut chart = Chart::new("Twin-trajectory divergence").labels("t (ms)", "mean ln |delta(t)|");
    for &gv in &g {
        let (x, y): (Vec<f64>, Vec<f64>) = d[0]
            .iter()
            .zip(&d[1])
            .zip(&d[2])
            .filter(|((gg, _), _)| **gg == Some(gv))
            .map(|((_, t), y)| (t.unwrap_or(f64::NAN), y.unwrap_or(f64::NAN)))
            .unzip();
        chart.series.push(Series::line(format!("g = {gv}"), x, y));
    }
    push(neurodyn_plot::save_chart(&chart, &fig.join("divergence"))?);

    let window = params_of::<FiguresParams>(ctx)?.activity_window_steps;
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let dt_ms = sim.dt_ms;
    let has_r = sim.record_variables.iter().any(|v| v == "r");
    let traces = if has_r {
        neurodyn_tables::rnn_chaos::activity_traces(dir, window as u32)?
    } else {
        Vec::new() // nothing recorded to draw
    };
    let panels: Vec<Chart> = traces
        .into_iter()
        .map(|(gv, units)| {
            let mut c = Chart::new(format!("g = {gv}"))
                .labels("t (ms)", "r")
                .size(450, 300);
            for (unit, steps, r) in units {
                let t: Vec<f64> = steps.iter().map(|&s| s as f64 * dt_ms).collect();
                c.series.push(Series::line(format!("unit {unit}"), t, r));
            }
            c
        })
        .collect();
    if !panels.is_empty() {
        push(neurodyn_plot::save_panels(
            &panels,
            panels.len().min(3),
            &fig.join("activity"),
            "Activity of recorded units (first session, first recorded trial)",
        )?);
    }
    Ok(out)
}
