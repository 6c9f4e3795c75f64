//! Tables of the whole-brain study.
//!
//! Inputs (per sweep point, partitioned by `model`, `k`, `speed` and
//! `seed`): `simulate/{activity,network,bold}/…` and
//! `fc/{fc,fit,spectrum,fcd}/…`. Outputs in `tables/` (see docs/tables.md).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Result, collect, f64_column, scan_file, scan_stage, str_column, write_table};

/// The sweep keys, typed, first in every table.
fn keys() -> [Expr; 4] {
    [
        col("model").cast(DataType::String),
        col("k").cast(DataType::Float64),
        col("speed").cast(DataType::Float64),
        col("seed").cast(DataType::Int64),
    ]
}

/// Write `activity`, `network`, `fc`, `fit`, `fit_summary`, `spectra`, and
/// `bold` and `fcd` where the sweep recorded them; returns (file name
/// relative to the pipeline folder, rows) for each.
pub fn derive(pipeline_dir: &Path, meta: &FileMeta) -> Result<Vec<(String, u64)>> {
    let tables = pipeline_dir.join("tables");
    let simulate = pipeline_dir.join("simulate");
    let fc = pipeline_dir.join("fc");
    let specs: [(&Path, &str, &[&str], &[&str]); 7] = [
        (
            &simulate,
            "activity",
            &["t_ms", "region", "label", "variable", "value"],
            &["variable", "t_ms", "region"],
        ),
        (
            &simulate,
            "network",
            &[
                "signal",
                "n_regions",
                "n_connections",
                "history_values",
                "min_delay_steps",
                "max_delay_steps",
                "steps",
            ],
            &[],
        ),
        (
            &simulate,
            "bold",
            &["t_ms", "region", "label", "value"],
            &["t_ms", "region"],
        ),
        (&fc, "fc", &["i", "j", "r"], &["i", "j"]),
        (
            &fc,
            "fit",
            &["signal", "n_samples", "fc_similarity", "mean_fc"],
            &[],
        ),
        (
            &fc,
            "spectrum",
            &["region", "label", "dominant_hz"],
            &["region"],
        ),
        (
            &fc,
            "fcd",
            &["window_i", "window_j", "r"],
            &["window_i", "window_j"],
        ),
    ];
    let mut out = Vec::new();
    for (stage, name, columns, order) in specs {
        if !stage.join(name).is_dir() {
            continue; // optional output not recorded by this sweep (bold, fcd)
        }
        let mut select: Vec<Expr> = keys().into();
        select.extend(columns.iter().map(|c| col(*c)));
        let mut sort: Vec<&str> = vec!["model", "k", "speed", "seed"];
        sort.extend(order);
        let table = if name == "spectrum" { "spectra" } else { name };
        let mut df = collect(
            scan_stage(stage, name)?
                .select(select)
                .sort(sort, SortMultipleOptions::default()),
            &format!("tables/{table}"),
        )?;
        out.push((
            format!("tables/{table}.parquet"),
            write_table(&mut df, &tables.join(format!("{table}.parquet")), meta)?,
        ));
    }

    // The fit landscape: mean, sd and count over seeds per (model, k, speed).
    let mut summary = collect(
        scan_file(&tables.join("fit.parquet"))?
            .group_by([col("model"), col("k"), col("speed")])
            .agg([
                col("fc_similarity").mean().alias("fc_similarity_mean"),
                col("fc_similarity").std(1).alias("fc_similarity_sd"),
                col("fc_similarity")
                    .count()
                    .cast(DataType::UInt32)
                    .alias("n_seeds"),
            ])
            .sort(["model", "k", "speed"], SortMultipleOptions::default()),
        "tables/fit_summary",
    )?;
    out.push((
        "tables/fit_summary.parquet".to_string(),
        write_table(&mut summary, &tables.join("fit_summary.parquet"), meta)?,
    ));
    Ok(out)
}

/// One row of `tables/fit_summary.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct FitCell {
    /// Node model.
    pub model: String,
    /// Global coupling.
    pub k: f64,
    /// Conduction speed (mm/ms).
    pub speed: f64,
    /// Mean FC similarity over seeds.
    pub mean: f64,
}

/// The fit landscape, sorted by model, k and speed.
pub fn fit_landscape(path: &Path) -> Result<Vec<FitCell>> {
    let what = path.display().to_string();
    let df = collect(
        scan_file(path)?.select([
            col("model"),
            col("k"),
            col("speed"),
            col("fc_similarity_mean"),
        ]),
        &what,
    )?;
    let model = str_column(&df, "model", &what)?;
    let k = f64_column(&df, "k", &what)?;
    let speed = f64_column(&df, "speed", &what)?;
    let mean = f64_column(&df, "fc_similarity_mean", &what)?;
    Ok((0..df.height())
        .map(|r| FitCell {
            model: model[r].clone(),
            k: k[r].unwrap_or(f64::NAN),
            speed: speed[r].unwrap_or(f64::NAN),
            mean: mean[r].unwrap_or(f64::NAN),
        })
        .collect())
}

/// A string column of a Parquet file (nulls as empty strings).
pub fn string_column(path: &Path, name: &str) -> Result<Vec<String>> {
    let what = path.display().to_string();
    let df = collect(scan_file(path)?.select([col(name)]), &what)?;
    str_column(&df, name, &what)
}

/// Time series for a figure: the signal variable's name and one
/// `(label, t_ms, value)` per region shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Traces {
    /// The variable drawn (the run's signal).
    pub variable: String,
    /// `(region label, t_ms, value)` per region.
    pub series: Vec<crate::Labelled>,
}

/// The first `regions` regions' `variable` (the run's signal; with
/// `record = "all"` the table holds every state variable too) at one
/// `(model, k, speed)`, first seed, from `tables/activity.parquet`.
pub fn activity_traces(
    path: &Path,
    model: &str,
    k: f64,
    speed: f64,
    variable: &str,
    regions: u32,
) -> Result<Traces> {
    let what = path.display().to_string();
    let at = scan_file(path)?.filter(
        col("model")
            .eq(lit(model))
            .and(col("k").eq(lit(k)))
            .and(col("speed").eq(lit(speed)))
            .and(col("variable").eq(lit(variable))),
    );
    let first = collect(at.clone().select([col("seed").min()]), &what)?;
    let seed = f64_column(&first, "seed", &what)?
        .first()
        .copied()
        .flatten()
        .unwrap_or(0.0) as i64;
    let variable = variable.to_string();
    let df = collect(
        at.filter(
            col("seed")
                .eq(lit(seed))
                .and(col("variable").eq(lit(variable.clone())))
                .and(col("region").lt(lit(regions))),
        )
        .select([col("region"), col("label"), col("t_ms"), col("value")])
        .sort(["region", "t_ms"], SortMultipleOptions::default()),
        &what,
    )?;
    let region = f64_column(&df, "region", &what)?;
    let label = str_column(&df, "label", &what)?;
    let t = f64_column(&df, "t_ms", &what)?;
    let v = f64_column(&df, "value", &what)?;
    let mut series: Vec<crate::Labelled> = Vec::new();
    let mut last = None;
    for q in 0..df.height() {
        if last != Some(region[q]) {
            series.push((label[q].clone(), Vec::new(), Vec::new()));
            last = Some(region[q]);
        }
        let s = series.last_mut().expect("pushed");
        s.1.push(t[q].unwrap_or(f64::NAN));
        s.2.push(v[q].unwrap_or(f64::NAN));
    }
    Ok(Traces { variable, series })
}
