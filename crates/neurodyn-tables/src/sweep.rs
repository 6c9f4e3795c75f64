//! Generic tables across a sweep, for the stage library's `collect` stage.

use std::path::Path;

use polars::prelude::*;

use crate::{Result, TableError, collect, scan_stage};

/// The table `table` of the PerPoint stage folder `stage_dir` across the
/// sweep: one row per row of each point's file, with a column per sweep
/// axis first (`axes`, in sweep order, typed as polars infers them from the
/// folder names), sorted by the axes (rows within a point keep their order).
///
/// With `mean_over = Some(axis)`, the rows are grouped by the other axes and
/// each other numeric column `c` becomes `c_mean`, `c_sd` (sample standard
/// deviation, null for one row) and the group's row count `n`; string and
/// boolean columns are dropped.
pub fn across_sweep(
    stage_dir: &Path,
    table: &str,
    axes: &[&str],
    mean_over: Option<&str>,
) -> Result<DataFrame> {
    let what = format!("{}/{table} across the sweep", stage_dir.display());
    let df = collect(scan_stage(stage_dir, table)?, &what)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for a in axes {
        if !names.iter().any(|n| n == a) {
            return Err(TableError(format!(
                "{what}: no sweep key `{a}` among the columns {names:?}"
            )));
        }
    }
    let values: Vec<&String> = names
        .iter()
        .filter(|n| !axes.contains(&n.as_str()))
        .collect();
    let mut select: Vec<Expr> = axes.iter().map(|a| col(*a)).collect();
    select.extend(values.iter().map(|v| col(v.as_str())));
    let lf = df.lazy().select(select);
    let Some(over) = mean_over else {
        let sorted = lf.sort(
            axes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            SortMultipleOptions::default().with_maintain_order(true),
        );
        return collect(sorted, &what);
    };
    if !axes.contains(&over) {
        return Err(TableError(format!(
            "{what}: mean_over = \"{over}\" is not a sweep axis; axes: {}",
            axes.join(", ")
        )));
    }
    let keys: Vec<&str> = axes.iter().copied().filter(|a| *a != over).collect();
    let schema = collect(lf.clone().limit(0), &what)?.schema().clone();
    let mut aggs: Vec<Expr> = vec![len().cast(DataType::Int64).alias("n")];
    for v in &values {
        let numeric = schema
            .get(v.as_str())
            .is_some_and(|t| t.is_primitive_numeric());
        if numeric {
            let c = || col(v.as_str()).cast(DataType::Float64);
            aggs.push(c().mean().alias(format!("{v}_mean")));
            aggs.push(c().std(1).alias(format!("{v}_sd")));
        }
    }
    let grouped = if keys.is_empty() {
        lf.select(aggs)
    } else {
        lf.group_by_stable(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
            .agg(aggs)
            .sort(
                keys.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                SortMultipleOptions::default().with_maintain_order(true),
            )
    };
    collect(grouped, &what)
}
