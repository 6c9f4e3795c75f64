//! Summary tables of the force-motifs study.
//!
//! Inputs (per sweep point, partitioned by `pqif`, `v_reset`, `seed`;
//! `v_reset` is null for pure QIF networks): `analyse/motifs`,
//! `analyse/dimensionality`, `simulate/loops`. Outputs in `tables/` (see
//! docs/tables.md).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Dataset, Result, collect, f64_column, scan_file, write_table};

fn keys() -> [Expr; 3] {
    [
        col("pqif").cast(DataType::Float64),
        col("v_reset").cast(DataType::Float64),
        col("seed").cast(DataType::Int64),
    ]
}

fn derive_one(
    input: &Dataset,
    pipeline_dir: &Path,
    meta: &FileMeta,
    name: &str,
    columns: &[&str],
) -> Result<(String, u64)> {
    let mut sel: Vec<Expr> = keys().to_vec();
    sel.push(col("loop").cast(DataType::Int64));
    sel.extend(columns.iter().map(|c| col(*c)));
    let mut df = collect(
        input.scan()?.select(sel).sort(
            ["pqif", "v_reset", "seed", "loop"],
            SortMultipleOptions::default().with_nulls_last(true),
        ),
        &format!("tables/{name}"),
    )?;
    let rel = format!("tables/{name}.parquet");
    let rows = write_table(&mut df, &pipeline_dir.join(&rel), meta)?;
    Ok((rel, rows))
}

/// The per-point tables [`derive`] reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Motifs per recorded weight matrix, where recorded.
    pub motifs: Dataset,
    /// Dimensionality per loop, where recorded.
    pub dimensionality: Dataset,
    /// Training statistics per loop.
    pub loops: Dataset,
}

/// Write `motifs`, `dimensionality` and `training` into
/// `<pipeline_dir>/tables/`; returns (file name relative to the pipeline
/// folder, rows) for each.
pub fn derive(inputs: &Inputs, pipeline_dir: &Path, meta: &FileMeta) -> Result<Vec<(String, u64)>> {
    let exists = |d: &Dataset| d.stage_dir.join(&d.table).exists();
    let mut out = Vec::new();
    if exists(&inputs.motifs) {
        out.push(derive_one(
            &inputs.motifs,
            pipeline_dir,
            meta,
            "motifs",
            &["sigma2", "tau_rec", "tau_div", "tau_con", "tau_chn"],
        )?);
    }
    if exists(&inputs.dimensionality) {
        out.push(derive_one(
            &inputs.dimensionality,
            pipeline_dir,
            meta,
            "dimensionality",
            &["samples", "pr", "dpr"],
        )?);
    }
    out.push(derive_one(
        &inputs.loops,
        pipeline_dir,
        meta,
        "training",
        &[
            "trained",
            "mse",
            "correlation",
            "spikes",
            "rate_hz",
            "weight_change_rel",
            "weight_change_total_rel",
        ],
    )?);
    Ok(out)
}

/// Means over `v_reset` and seeds of `columns` of a summary table, per
/// (pqif, loop), sorted: `(pqif, loop, means)`. For figures.
pub fn by_pqif_loop(path: &Path, columns: &[&str]) -> Result<Vec<(f64, f64, Vec<f64>)>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let aggs: Vec<Expr> = columns
        .iter()
        .map(|c| col(*c).cast(DataType::Float64).mean())
        .collect();
    let df = collect(
        scan_file(path)?
            .group_by([col("pqif"), col("loop").cast(DataType::Float64)])
            .agg(aggs)
            .sort(["pqif", "loop"], Default::default()),
        &path.display().to_string(),
    )?;
    let what = path.display().to_string();
    let get = |name: &str| -> Result<Vec<f64>> {
        Ok(f64_column(&df, name, &what)?
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    };
    let (q, l) = (get("pqif")?, get("loop")?);
    let vals: Vec<Vec<f64>> = columns.iter().map(|c| get(c)).collect::<Result<_>>()?;
    Ok((0..q.len())
        .map(|i| (q[i], l[i], vals.iter().map(|v| v[i]).collect()))
        .collect())
}
