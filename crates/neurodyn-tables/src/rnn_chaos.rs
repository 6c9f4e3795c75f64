//! Summary tables of the rnn-chaos study.
//!
//! Inputs (per sweep point, partitioned by `g` and `session`): the
//! `lyapunov` stage's trials, notebook and divergence sums. Outputs in
//! `tables/` (see docs/tables.md).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Dataset, Result, collect, write_table};

/// The per-point tables [`derive`] reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Per-trial exponents (`lyapunov_trials`).
    pub trials: Dataset,
    /// The notebook estimate per network (`lyapunov_notebook`).
    pub notebook: Dataset,
    /// ln-distance sums (`divergence_sums`).
    pub divergence: Dataset,
}

/// Write `trials`, `notebook`, `summary` and `divergence` tables into
/// `<pipeline_dir>/tables/`; returns (file name relative to the pipeline
/// folder, rows) for each.
pub fn derive(
    inputs: &Inputs,
    pipeline_dir: &Path,
    meta: &FileMeta,
    dt_ms: f64,
) -> Result<Vec<(String, u64)>> {
    let tables = pipeline_dir.join("tables");
    let mut out = Vec::new();

    let mut trials = collect(
        inputs
            .trials
            .scan()?
            .select([
                col("g").cast(DataType::Float64),
                col("session").cast(DataType::Int64),
                col("trial"),
                col("final_distance"),
                // NaN: the trial had no tangent (simulate.benettin_trials)
                col("lambda_benettin_per_s").fill_nan(lit(Null {})),
                col("diverged"),
            ])
            .sort(["g", "session", "trial"], Default::default()),
        "tables/trials",
    )?;
    out.push((
        "tables/trials.parquet".to_string(),
        write_table(&mut trials, &tables.join("trials.parquet"), meta)?,
    ));

    let mut notebook = collect(
        inputs
            .notebook
            .scan()?
            .select([
                col("g").cast(DataType::Float64),
                col("session").cast(DataType::Int64),
                col("lambda_notebook_per_s").fill_nan(lit(Null {})),
                col("n_diverging"),
                col("cut_step"),
            ])
            .sort(["g", "session"], Default::default()),
        "tables/notebook",
    )?;
    out.push((
        "tables/notebook.parquet".to_string(),
        write_table(&mut notebook, &tables.join("notebook.parquet"), meta)?,
    ));

    let per_trial = trials.clone().lazy().group_by([col("g")]).agg([
        col("lambda_benettin_per_s")
            .mean()
            .alias("lambda_benettin_per_s_mean"),
        col("lambda_benettin_per_s")
            .std(1)
            .alias("lambda_benettin_per_s_sd"),
        col("lambda_benettin_per_s")
            .count()
            .cast(DataType::UInt32)
            .alias("n_benettin"),
        col("diverged")
            .cast(DataType::Float64)
            .mean()
            .alias("fraction_diverging"),
    ]);
    let per_session =
        notebook
            .clone()
            .lazy()
            .group_by([col("g")])
            .agg([col("lambda_notebook_per_s")
                .mean()
                .alias("lambda_notebook_per_s_mean")]);
    let mut summary = collect(
        per_trial
            .join(
                per_session,
                [col("g")],
                [col("g")],
                JoinArgs::new(JoinType::Left),
            )
            .select([
                col("g"),
                col("lambda_benettin_per_s_mean"),
                col("lambda_benettin_per_s_sd"),
                col("n_benettin"),
                col("lambda_notebook_per_s_mean"),
                col("fraction_diverging"),
            ])
            .sort(["g"], Default::default()),
        "tables/summary",
    )?;
    out.push((
        "tables/summary.parquet".to_string(),
        write_table(&mut summary, &tables.join("summary.parquet"), meta)?,
    ));

    // Pool the per-network sums: mean and sample sd of ln distance over
    // sessions x trials at each recorded step.
    let sums = collect(
        inputs
            .divergence
            .scan()?
            .group_by([col("g").cast(DataType::Float64), col("step")])
            .agg([
                col("n").cast(DataType::Float64).sum().alias("n"),
                col("ln_distance_sum").sum(),
                col("ln_distance_sq_sum").sum(),
            ])
            .sort(["g", "step"], Default::default()),
        "tables/divergence",
    )?;
    // group sums: no nulls
    let f = |name: &str| -> Result<Vec<f64>> {
        Ok(crate::f64_column(&sums, name, "tables/divergence")?
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    };
    let (g, step, n, s1, s2) = (
        f("g")?,
        f("step")?,
        f("n")?,
        f("ln_distance_sum")?,
        f("ln_distance_sq_sum")?,
    );
    let mean: Vec<f64> = s1.iter().zip(&n).map(|(s, n)| s / n).collect();
    let sd: Vec<f64> = (0..n.len())
        .map(|i| {
            ((s2[i] - s1[i] * s1[i] / n[i]) / (n[i] - 1.0))
                .max(0.0)
                .sqrt()
        })
        .collect();
    let mut divergence = DataFrame::new_infer_height(vec![
        Column::new("g".into(), g),
        Column::new(
            "step".into(),
            step.iter().map(|&s| s as u32).collect::<Vec<u32>>(),
        ),
        Column::new(
            "t_ms".into(),
            step.iter().map(|&s| s * dt_ms).collect::<Vec<f64>>(),
        ),
        Column::new("ln_distance_mean".into(), mean),
        Column::new("ln_distance_sd".into(), sd),
    ])
    .map_err(|e| crate::TableError(format!("tables/divergence: {e}")))?;
    out.push((
        "tables/divergence.parquet".to_string(),
        write_table(&mut divergence, &tables.join("divergence.parquet"), meta)?,
    ));
    Ok(out)
}

/// Recorded activity for the traces figure: up to three values of `g`
/// (smallest, middle, largest), the first session and the first recorded
/// trial, steps below `max_step`. Returns `(g, [(unit, steps, r)])`.
#[allow(clippy::type_complexity)]
pub fn activity_traces(
    activity: &Dataset,
    max_step: u32,
) -> Result<Vec<(f64, Vec<(u32, Vec<u32>, Vec<f64>)>)>> {
    let df = collect(
        activity
            .scan()?
            .select([
                col("g").cast(DataType::Float64),
                col("session").cast(DataType::Int64),
                col("trial"),
                col("step"),
                col("neuron"),
                col("r"),
            ])
            .filter(col("step").lt(lit(max_step))),
        "activity traces",
    )?;
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let err = |e: PolarsError| crate::TableError(format!("activity traces: {e}"));
    let g = df.column("g").and_then(|c| c.f64().cloned()).map_err(err)?;
    let session = df
        .column("session")
        .and_then(|c| c.i64().cloned())
        .map_err(err)?;
    let trial = df
        .column("trial")
        .and_then(|c| c.u32().cloned())
        .map_err(err)?;
    let step = df
        .column("step")
        .and_then(|c| c.u32().cloned())
        .map_err(err)?;
    let neuron = df
        .column("neuron")
        .and_then(|c| c.u32().cloned())
        .map_err(err)?;
    let r = df.column("r").and_then(|c| c.f64().cloned()).map_err(err)?;
    let s0 = session.min().unwrap_or(0);
    let t0 = trial.min().unwrap_or(0);
    let mut gs: Vec<f64> = g.into_no_null_iter().collect();
    gs.sort_by(f64::total_cmp);
    gs.dedup();
    let chosen: Vec<f64> = match gs.len() {
        0..=3 => gs.clone(),
        n => vec![gs[0], gs[n / 2], gs[n - 1]],
    };
    let mut out = Vec::new();
    for gv in chosen {
        let mut rows: Vec<(u32, u32, f64)> = Vec::new();
        for i in 0..df.height() {
            if g.get(i) == Some(gv) && session.get(i) == Some(s0) && trial.get(i) == Some(t0) {
                rows.push((
                    neuron.get(i).unwrap_or(0),
                    step.get(i).unwrap_or(0),
                    r.get(i).unwrap_or(f64::NAN),
                ));
            }
        }
        rows.sort_by_key(|a| (a.0, a.1));
        let mut units: Vec<(u32, Vec<u32>, Vec<f64>)> = Vec::new();
        for (u, s, v) in rows {
            match units.last_mut() {
                Some(last) if last.0 == u => {
                    last.1.push(s);
                    last.2.push(v);
                }
                _ => units.push((u, vec![s], vec![v])),
            }
        }
        out.push((gv, units));
    }
    Ok(out)
}
