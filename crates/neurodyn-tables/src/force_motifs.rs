//! Summary tables of the force-motifs study.
//!
//! Inputs (per sweep point, partitioned by `pqif`, `v_reset`, `seed`;
//! `v_reset` is null for pure QIF networks): `analyse/motifs`,
//! `analyse/dimensionality`, `simulate/loops`. Outputs in `tables/` (see
//! docs/tables.md).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Dataset, Result, collect, write_table};

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
