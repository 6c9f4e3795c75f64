//! Tables of the branching-avalanches study.
//!
//! Inputs (per sweep point, partitioned by `model`, `sigma` and `seed`):
//! `analyse/{avalanches,powerlaw,crackling,size_by_duration,branching_ratio}/…`.
//! Outputs in `tables/` (see docs/tables.md).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Dataset, Result, TableError, collect, f64_column, scan_file, str_column, write_table};

/// The columns of a power-law table after its keys (the study's per-point
/// tables and `tables/powerlaw.parquet`; `neurodyn analyze` writes them
/// after `model` and `sigma`): see docs/tables.md.
pub const POWERLAW_COLUMNS: [&str; 14] = [
    "quantity",
    "n",
    "alpha",
    "alpha_se",
    "xmin",
    "n_tail",
    "ks",
    "p_value",
    "lr_exponential",
    "p_exponential",
    "lr_lognormal",
    "p_lognormal",
    "lr_truncated",
    "p_truncated",
];

/// The sweep keys, typed, first in every table.
fn keys() -> [Expr; 3] {
    [
        col("model").cast(DataType::String),
        col("sigma").cast(DataType::Float64),
        col("seed").cast(DataType::Int64),
    ]
}

/// The per-point tables [`derive`] reads (an avalanche-statistics stage's).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Avalanches.
    pub avalanches: Dataset,
    /// Power-law fits.
    pub powerlaw: Dataset,
    /// Crackling relation.
    pub crackling: Dataset,
    /// Mean size by duration.
    pub size_by_duration: Dataset,
    /// Branching-ratio estimates.
    pub branching_ratio: Dataset,
}

/// Write `avalanches`, `powerlaw`, `crackling`, `size_by_duration` and
/// `branching_ratio` into `<pipeline_dir>/tables/`; returns (file name relative to the pipeline folder,
/// rows) for each.
pub fn derive(inputs: &Inputs, pipeline_dir: &Path, meta: &FileMeta) -> Result<Vec<(String, u64)>> {
    let tables = pipeline_dir.join("tables");
    let specs: [(&Dataset, &str, &[&str], &[&str]); 5] = [
        (
            &inputs.avalanches,
            "avalanches",
            &["start_bin", "size", "duration", "truncated"],
            &["start_bin"],
        ),
        (
            &inputs.powerlaw,
            "powerlaw",
            &POWERLAW_COLUMNS,
            &["quantity"],
        ),
        (
            &inputs.crackling,
            "crackling",
            &["gamma_fit", "gamma_predicted", "avalanches"],
            &[],
        ),
        (
            &inputs.size_by_duration,
            "size_by_duration",
            &["duration", "mean_size", "count"],
            &["duration"],
        ),
        (
            &inputs.branching_ratio,
            "branching_ratio",
            &["series", "subsampling", "m_naive", "m_mr", "b_mr"],
            &["series", "subsampling"],
        ),
    ];
    let mut out = Vec::new();
    for (input, name, columns, order) in specs {
        let mut select: Vec<Expr> = keys().into();
        for c in columns {
            let e = col(*c);
            // NaN (no fit, no p-value) is written as null
            select.push(match *c {
                "start_bin" | "size" | "duration" | "truncated" | "quantity" | "n" | "xmin"
                | "n_tail" | "count" | "avalanches" | "series" => e,
                _ => e.fill_nan(lit(Null {})),
            });
        }
        let mut sort: Vec<&str> = vec!["model", "sigma", "seed"];
        sort.extend(order);
        let descending: Vec<bool> = sort.iter().map(|c| *c == "subsampling").collect();
        let mut df = collect(
            input.scan()?.select(select).sort(
                sort,
                SortMultipleOptions::default().with_order_descending_multi(descending),
            ),
            &format!("tables/{name}"),
        )?;
        out.push((
            format!("tables/{name}.parquet"),
            write_table(&mut df, &tables.join(format!("{name}.parquet")), meta)?,
        ));
    }
    Ok(out)
}

/// Rows of `path` for one seed, sorted by model and sigma, with their
/// `"<model> sigma=<sigma>"` labels.
fn by_label(path: &Path, seed: i64, extra: &[&str]) -> Result<(DataFrame, Vec<String>)> {
    let what = path.display().to_string();
    let mut sel: Vec<Expr> = vec![col("model"), col("sigma")];
    sel.extend(extra.iter().map(|c| col(*c)));
    let df = collect(
        scan_file(path)?
            .filter(col("seed").eq(lit(seed)))
            .select(sel)
            .sort(
                ["model", "sigma"],
                SortMultipleOptions::default().with_maintain_order(true),
            ),
        &what,
    )?;
    let model = str_column(&df, "model", &what)?;
    let sigma = f64_column(&df, "sigma", &what)?;
    let labels = model
        .iter()
        .zip(&sigma)
        .map(|(m, s)| format!("{m} sigma={}", s.unwrap_or(f64::NAN)))
        .collect();
    Ok((df, labels))
}

/// The complete avalanches' `quantity` (`size` or `duration`) of one seed,
/// one sample per model and sigma: `(label, values)`.
pub fn samples(path: &Path, quantity: &str, seed: i64) -> Result<Vec<(String, Vec<u64>)>> {
    let what = path.display().to_string();
    let (df, labels) = by_label(path, seed, &[quantity, "truncated"])?;
    let v = f64_column(&df, quantity, &what)?;
    let tr = df
        .column("truncated")
        .and_then(|c| c.bool().cloned())
        .map_err(|e| TableError(format!("{what}: column truncated: {e}")))?;
    let mut out: Vec<(String, Vec<u64>)> = Vec::new();
    for (k, label) in labels.into_iter().enumerate() {
        if out.last().is_none_or(|l| l.0 != label) {
            out.push((label, Vec::new()));
        }
        if tr.get(k) != Some(true) {
            if let Some(x) = v[k] {
                out.last_mut().expect("pushed").1.push(x as u64);
            }
        }
    }
    Ok(out)
}

/// A power-law fit for a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRow {
    /// `"<model> sigma=<sigma>"`.
    pub label: String,
    /// Exponent.
    pub alpha: f64,
    /// Start of the fitted tail.
    pub xmin: u64,
    /// Samples in the tail.
    pub n_tail: u64,
    /// Samples.
    pub n: u64,
}

/// The fits of `quantity` for one seed.
pub fn fits(path: &Path, quantity: &str, seed: i64) -> Result<Vec<FitRow>> {
    let what = path.display().to_string();
    let (df, labels) = by_label(path, seed, &["quantity", "alpha", "xmin", "n_tail", "n"])?;
    let q = str_column(&df, "quantity", &what)?;
    let cols: Vec<Vec<Option<f64>>> = ["alpha", "xmin", "n_tail", "n"]
        .iter()
        .map(|c| f64_column(&df, c, &what))
        .collect::<Result<_>>()?;
    Ok((0..df.height())
        .filter(|&k| q[k] == quantity)
        .filter_map(|k| {
            Some(FitRow {
                label: labels[k].clone(),
                alpha: cols[0][k]?,
                xmin: cols[1][k]? as u64,
                n_tail: cols[2][k]? as u64,
                n: cols[3][k]? as u64,
            })
        })
        .collect())
}

/// Mean size by duration for one seed: `(label, duration, mean size)`.
pub fn size_by_duration(path: &Path, seed: i64) -> Result<Vec<crate::Labelled>> {
    let what = path.display().to_string();
    let (df, labels) = by_label(path, seed, &["duration", "mean_size"])?;
    let d = f64_column(&df, "duration", &what)?;
    let m = f64_column(&df, "mean_size", &what)?;
    let mut out: Vec<crate::Labelled> = Vec::new();
    for (k, label) in labels.into_iter().enumerate() {
        if out.last().is_none_or(|l| l.0 != label) {
            out.push((label, Vec::new(), Vec::new()));
        }
        let last = out.last_mut().expect("pushed");
        last.1.push(d[k].unwrap_or(f64::NAN));
        last.2.push(m[k].unwrap_or(f64::NAN));
    }
    Ok(out)
}
