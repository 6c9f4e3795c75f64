//! `collect`: one table across the sweep from a per-point table.

use neurodyn_core::contracts::SUMMARY;
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, Output, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, name};
use crate::study::{OutputFile, Scope, StageContext};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "collect",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "a per-point table across the sweep, as tables/<stage>.parquet: a column per sweep key, then the table's columns; with mean_over = \"seed\", the mean, sd and count of each numeric column over that axis",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "table",
        kind: None,
        doc: "a table of a per-point stage (any kind)",
    }],
    outputs: &[Output::by_stage("summary", &SUMMARY)],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Sweep axis averaged over ("" for none).
    pub mean_over: String,
}

impl KindParams for Params {}

fn params() -> Vec<ParamDef> {
    vec![name(
        "mean_over",
        "a sweep axis to average over (e.g. \"seed\"): each numeric column c becomes c_mean, c_sd and the count n per value of the other axes; \"\": every row",
    )]
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let b = ctx.binding("table");
    let axes: Vec<&str> = ctx
        .points
        .first()
        .map(|pt| pt.0.iter().map(|(k, _)| *k).collect())
        .unwrap_or_default();
    let over = (!p.mean_over.is_empty()).then_some(p.mean_over.as_str());
    let mut df =
        neurodyn_tables::sweep::across_sweep(&ctx.input_dir("table"), b.table, &axes, over)?;
    let rel = format!("tables/{}.parquet", ctx.stage);
    let rows = neurodyn_tables::write_table(
        &mut df,
        &ctx.pipeline_dir.join(&rel),
        &ctx.file_meta(ctx.master_seed),
    )?;
    Ok(vec![OutputFile { path: rel, rows }])
}
