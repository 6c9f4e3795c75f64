//! Summary tables of the ring-attractor study.
//!
//! Inputs (per sweep point, partitioned by `parameter_set`, `condition` and
//! `seed`): `analyse/persistence/…`, `analyse/rates/…`. Outputs in
//! `tables/` (see docs/tables.md).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Dataset, Result, collect, f64_column, scan_file, str_column, write_table};

/// The per-point tables [`derive`] reads (a bump-persistence stage's).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Persistence per run.
    pub persistence: Dataset,
    /// Population rates per run.
    pub rates: Dataset,
}

/// Write `persistence`, `persistence_summary` and `rates`; returns (file
/// name relative to the pipeline folder, rows) for each.
pub fn derive(inputs: &Inputs, pipeline_dir: &Path, meta: &FileMeta) -> Result<Vec<(String, u64)>> {
    let tables = pipeline_dir.join("tables");
    let mut out = Vec::new();

    let mut persistence = collect(
        inputs
            .persistence
            .scan()?
            .select([
                col("parameter_set").cast(DataType::String),
                col("condition").cast(DataType::String),
                col("seed").cast(DataType::Int64),
                col("persistence_s"),
                col("reason"),
                col("angle_error_deg").fill_nan(lit(Null {})),
                col("angle_end_deg").fill_nan(lit(Null {})),
                col("rate_e_delay_hz"),
                col("rate_i_delay_hz"),
                col("spikes"),
            ])
            .sort(["parameter_set", "condition", "seed"], Default::default()),
        "tables/persistence",
    )?;
    out.push((
        "tables/persistence.parquet".to_string(),
        write_table(&mut persistence, &tables.join("persistence.parquet"), meta)?,
    ));

    let count = |reason: &str, name: &str| {
        col("reason")
            .eq(lit(reason))
            .cast(DataType::UInt32)
            .sum()
            .alias(name)
    };
    let mut summary = collect(
        persistence
            .clone()
            .lazy()
            .group_by([col("parameter_set"), col("condition")])
            .agg([
                len().cast(DataType::UInt32).alias("n"),
                col("persistence_s").mean().alias("persistence_s_mean"),
                col("persistence_s").std(1).alias("persistence_s_sd"),
                count("persisted", "n_persisted"),
                count("died", "n_died"),
                count("runaway", "n_runaway"),
                col("angle_error_deg")
                    .filter(col("reason").eq(lit("persisted")))
                    .mean()
                    .alias("angle_error_deg_mean_persisted"),
            ])
            .sort(["parameter_set", "condition"], Default::default()),
        "tables/persistence_summary",
    )?;
    out.push((
        "tables/persistence_summary.parquet".to_string(),
        write_table(
            &mut summary,
            &tables.join("persistence_summary.parquet"),
            meta,
        )?,
    ));

    let mut rates = collect(
        inputs
            .rates
            .scan()?
            .group_by([
                col("parameter_set").cast(DataType::String),
                col("condition").cast(DataType::String),
                col("t_s"),
            ])
            .agg([
                len().cast(DataType::UInt32).alias("n_seeds"),
                col("rate_e_hz").mean().alias("rate_e_hz_mean"),
                col("rate_e_hz").std(1).alias("rate_e_hz_sd"),
                col("rate_i_hz").mean().alias("rate_i_hz_mean"),
                col("rate_i_hz").std(1).alias("rate_i_hz_sd"),
            ])
            .sort(["parameter_set", "condition", "t_s"], Default::default()),
        "tables/rates",
    )?;
    out.push((
        "tables/rates.parquet".to_string(),
        write_table(&mut rates, &tables.join("rates.parquet"), meta)?,
    ));
    Ok(out)
}

pub use crate::Labelled;

/// f-I curves for the figure: `(label, current_pa, steady_rate_hz)` per
/// parameter set and cell.
pub fn fi_curves(path: &Path) -> Result<Vec<Labelled>> {
    let what = path.display().to_string();
    let df = collect(scan_file(path)?, &what)?;
    let (set, cell) = (
        str_column(&df, "parameter_set", &what)?,
        str_column(&df, "cell", &what)?,
    );
    let i = f64_column(&df, "current_pa", &what)?;
    let r = f64_column(&df, "steady_rate_hz", &what)?;
    let mut out: Vec<Labelled> = Vec::new();
    for k in 0..df.height() {
        let label = format!("{} {}", set[k], cell[k]);
        if out.last().is_none_or(|l| l.0 != label) {
            out.push((label, Vec::new(), Vec::new()));
        }
        let last = out.last_mut().expect("pushed");
        last.1.push(i[k].unwrap_or(f64::NAN));
        last.2.push(r[k].unwrap_or(f64::NAN));
    }
    Ok(out)
}

/// Persistence per seed for the figure, one point set per parameter set and
/// reason (labelled `"<set>: <reason>"`), with x the condition's index in
/// `conditions`, the study's order (spread a little by seed so equal values stay
/// visible) and y the persistence (s).
pub fn persistence_by_condition(path: &Path, conditions: &[&str]) -> Result<Vec<Labelled>> {
    let what = path.display().to_string();
    let df = collect(scan_file(path)?, &what)?;
    let set = str_column(&df, "parameter_set", &what)?;
    let cond = str_column(&df, "condition", &what)?;
    let reason = str_column(&df, "reason", &what)?;
    let seed = f64_column(&df, "seed", &what)?;
    let y = f64_column(&df, "persistence_s", &what)?;
    let mut out: Vec<Labelled> = Vec::new();
    for k in 0..df.height() {
        let Some(ci) = conditions.iter().position(|c| *c == cond[k]) else {
            continue;
        };
        let jitter = 0.03 * ((seed[k].unwrap_or(0.0) as i64).rem_euclid(10) as f64 - 4.5);
        let label = format!("{}: {}", set[k], reason[k]);
        let pos = out.iter().position(|o| o.0 == label).unwrap_or_else(|| {
            out.push((label, Vec::new(), Vec::new()));
            out.len() - 1
        });
        out[pos].1.push(ci as f64 + jitter);
        out[pos].2.push(y[k].unwrap_or(f64::NAN));
    }
    Ok(out)
}
