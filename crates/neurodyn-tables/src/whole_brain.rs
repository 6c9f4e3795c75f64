//! Tables of the whole-brain study.
//!
//! Inputs (per sweep point, partitioned by `model`, `k`, `speed` and
//! `seed`): a neural-mass network's `activity`, `network` and `bold`, and
//! its FC stage's `fc`, `fit`, `spectrum` and `fcd` (see [`Inputs`]). Outputs in `tables/` (see docs/tables.md).

use std::path::{Path, PathBuf};

use neurodyn_core::record::{MemoryTable, OwnedColumn};
use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::decimate::Envelope;
use crate::{Dataset, Result, collect, f64_column, scan_file, str_column, write_table};

/// The sweep keys, typed, first in every table.
fn keys() -> [Expr; 4] {
    [
        col("model").cast(DataType::String),
        col("k").cast(DataType::Float64),
        col("speed").cast(DataType::Float64),
        col("seed").cast(DataType::Int64),
    ]
}

/// The files of the per-point dataset `<stage>/<name>/`, in the order of
/// the sweep keys (model as text, then k, speed and seed as numbers), each
/// with its key values.
fn points_in_order(stage: &Path, name: &str) -> Result<Vec<(PathBuf, [String; 4])>> {
    let io = |e: std::io::Error, p: &Path| crate::TableError(format!("{}: {e}", p.display()));
    let mut found: Vec<(PathBuf, Vec<String>)> = vec![(stage.join(name), Vec::new())];
    for key in ["model", "k", "speed", "seed"] {
        let mut next = Vec::new();
        for (dir, values) in found {
            for e in std::fs::read_dir(&dir).map_err(|e| io(e, &dir))? {
                let e = e.map_err(|e| io(e, &dir))?;
                let file_name = e.file_name().to_string_lossy().to_string();
                if let Some(v) = file_name.strip_prefix(&format!("{key}_")) {
                    let mut vs = values.clone();
                    vs.push(v.to_string());
                    next.push((e.path(), vs));
                }
            }
        }
        found = next;
    }
    let mut points: Vec<(PathBuf, [String; 4])> = found
        .into_iter()
        .map(|(dir, v)| {
            let file = dir.join(format!("{name}.parquet"));
            (
                file,
                [v[0].clone(), v[1].clone(), v[2].clone(), v[3].clone()],
            )
        })
        .filter(|(f, _)| f.is_file())
        .collect();
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    points.sort_by(|(_, a), (_, b)| {
        a[0].cmp(&b[0])
            .then(num(&a[1]).total_cmp(&num(&b[1])))
            .then(num(&a[2]).total_cmp(&num(&b[2])))
            .then(num(&a[3]).total_cmp(&num(&b[3])))
    });
    Ok(points)
}

/// One value of a row, for the order check of [`groups_in_order`].
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    U32(u32),
    I64(i64),
    F64(f64),
    Bool(bool),
    Str(String),
}

fn cell(c: &OwnedColumn, i: usize) -> Cell {
    match c {
        OwnedColumn::U32(v) => Cell::U32(v[i]),
        OwnedColumn::I64(v) => Cell::I64(v[i]),
        OwnedColumn::F64(v) => Cell::F64(v[i]),
        OwnedColumn::Bool(v) => Cell::Bool(v[i]),
        OwnedColumn::Str(v) => Cell::Str(v[i].clone()),
    }
}

/// Whether a point's file already holds its rows in `order`, checked
/// streaming, row group by row group: in order as a whole (one pass
/// writes it), in order once grouped by the first order column (a
/// long-format table with several variables interleaves them, each in
/// time order: one pass per group, in ascending order), or neither (the
/// point is sorted in memory). Returns the passes: `Some(vec![])` for one
/// pass over every row, `Some(groups)` for one per group, `None` for a sort.
fn groups_in_order(point: &Path, order: &[&str]) -> Result<Option<Vec<Cell>>> {
    let Some((first, rest)) = order.split_first() else {
        return Ok(Some(Vec::new()));
    };
    let less = |a: &[Cell], b: &[Cell]| a.partial_cmp(b) == Some(std::cmp::Ordering::Less);
    // whole rows in order; and the last key seen in each group
    let (mut whole, mut grouped) = (true, true);
    let mut previous: Option<Vec<Cell>> = None;
    let mut last: Vec<(Cell, Vec<Cell>)> = Vec::new();
    neurodyn_io::for_each_batch(point, |t| {
        let missing = |c: &str| neurodyn_core::Error::Other(format!("no column {c}"));
        let g = t.column(first).ok_or_else(|| missing(first))?;
        let cols: Vec<&OwnedColumn> = rest
            .iter()
            .map(|c| t.column(c).ok_or_else(|| missing(c)))
            .collect::<std::result::Result<_, _>>()?;
        for i in 0..t.rows() {
            if !whole && !grouped {
                break;
            }
            let group = cell(g, i);
            let key: Vec<Cell> = cols.iter().map(|c| cell(c, i)).collect();
            let mut full = vec![group.clone()];
            full.extend(key.iter().cloned());
            if let Some(p) = &previous {
                // a NaN never compares, so it is never in order
                whole &= less(p, &full);
            }
            previous = Some(full);
            if grouped {
                match last.iter_mut().find(|(v, _)| *v == group) {
                    Some((_, prev)) => {
                        grouped &= less(prev, &key);
                        *prev = key;
                    }
                    None => last.push((group, key)),
                }
            }
        }
        Ok(())
    })
    .map_err(|e| crate::TableError(format!("{}: {e}", point.display())))?;
    if whole {
        return Ok(Some(Vec::new()));
    }
    if !grouped {
        return Ok(None);
    }
    let mut groups: Vec<Cell> = last.into_iter().map(|(g, _)| g).collect();
    let mut comparable = true;
    groups.sort_by(|a, b| {
        a.partial_cmp(b).unwrap_or_else(|| {
            comparable = false;
            std::cmp::Ordering::Equal
        })
    });
    Ok(comparable.then_some(groups))
}

/// The rows of a point's row group `t` whose first order column equals
/// `group` (every row for `None`), as the table's frame: the sweep keys,
/// then `columns`, with the types polars reads them with.
fn frame(
    t: &MemoryTable,
    keys: &(String, f64, f64, i64),
    columns: &[&str],
    group: Option<(&str, &Cell)>,
) -> Result<DataFrame> {
    let keep: Vec<bool> = match group {
        None => vec![true; t.rows()],
        Some((name, g)) => {
            let c = t
                .column(name)
                .ok_or_else(|| crate::TableError(format!("no column {name}")))?;
            (0..t.rows()).map(|i| cell(c, i) == *g).collect()
        }
    };
    let n = keep.iter().filter(|k| **k).count();
    fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
        v.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x.clone())
            .collect()
    }
    let mut out: Vec<Column> = vec![
        Column::new("model".into(), vec![keys.0.as_str(); n]),
        Column::new("k".into(), vec![keys.1; n]),
        Column::new("speed".into(), vec![keys.2; n]),
        Column::new("seed".into(), vec![keys.3; n]),
    ];
    for name in columns {
        let c = t
            .column(name)
            .ok_or_else(|| crate::TableError(format!("no column {name}")))?;
        let name = (*name).into();
        out.push(match c {
            OwnedColumn::U32(v) => Column::new(name, pick(v, &keep)),
            OwnedColumn::I64(v) => Column::new(name, pick(v, &keep)),
            OwnedColumn::F64(v) => Column::new(name, pick(v, &keep)),
            OwnedColumn::Bool(v) => Column::new(name, pick(v, &keep)),
            OwnedColumn::Str(v) => Column::new(name, pick(v, &keep)),
        });
    }
    DataFrame::new_infer_height(out).map_err(|e| crate::TableError(format!("row group: {e}")))
}

/// One table of the per-point dataset `<stage>/<name>/` across the sweep,
/// sorted by the sweep keys, then by `order` within a point: written point
/// by point in key order. A point already in order (the usual case: the
/// model writes by time, then region) is streamed row group by row group,
/// one pass per group of the first order column, so memory holds a row
/// group; a point out of order is sorted in memory. Returns the rows
/// written.
fn concat_points(
    stage: &Path,
    name: &str,
    columns: &[&str],
    order: &[&str],
    path: &Path,
    meta: &FileMeta,
) -> Result<u64> {
    let mut select: Vec<Expr> = keys().into();
    select.extend(columns.iter().map(|c| col(*c)));
    let what = format!("tables/{name}");
    let io = |e: &dyn std::fmt::Display| crate::TableError(format!("{}: {e}", path.display()));
    let mut file = neurodyn_io::atomic::AtomicFile::create(path).map_err(|e| io(&e))?;
    // the writer owns a second handle of the temporary file
    let handle = file.file().try_clone().map_err(|e| io(&e))?;
    let mut handle = Some(handle);
    let mut writer = None;
    // the key-value metadata, once the first frame gives the columns
    let mut kv: Vec<(String, String)> = Vec::new();
    let mut rows = 0u64;
    let mut write = |df: &DataFrame| -> Result<()> {
        if df.height() == 0 {
            return Ok(());
        }
        if let Some(h) = handle.take() {
            let columns: Vec<String> = df
                .get_column_names()
                .iter()
                .map(|c| c.to_string())
                .collect();
            kv = crate::key_values(meta, &columns, path);
            writer = Some(crate::ctx(
                crate::parquet_writer(h, &kv).batched(df.schema()),
                || format!("writing {}", path.display()),
            )?);
        }
        if let Some(w) = writer.as_mut() {
            crate::ctx(w.write_batch(df), || format!("writing {}", path.display()))?;
        }
        rows += df.height() as u64;
        Ok(())
    };
    for (point, [model, k, speed, seed]) in points_in_order(stage, name)? {
        let bad = |key: &str, v: &str| {
            crate::TableError(format!("{}: {key} = {v} is not a number", point.display()))
        };
        let values = (
            model.clone(),
            k.parse::<f64>().map_err(|_| bad("k", &k))?,
            speed.parse::<f64>().map_err(|_| bad("speed", &speed))?,
            seed.parse::<i64>().map_err(|_| bad("seed", &seed))?,
        );
        match groups_in_order(&point, order)? {
            Some(groups) => {
                // one pass per group (none: one pass over every row)
                let passes: Vec<Option<(&str, &Cell)>> = if groups.is_empty() {
                    vec![None]
                } else {
                    groups.iter().map(|g| Some((order[0], g))).collect()
                };
                for group in passes {
                    let mut failed = None;
                    neurodyn_io::for_each_batch(&point, |t| {
                        if failed.is_none() {
                            if let Err(e) =
                                frame(t, &values, columns, group).and_then(|df| write(&df))
                            {
                                failed = Some(e);
                            }
                        }
                        Ok(())
                    })
                    .map_err(|e| crate::TableError(format!("{}: {e}", point.display())))?;
                    if let Some(e) = failed {
                        return Err(e);
                    }
                }
            }
            None => {
                let lf = scan_file(&point)?
                    .with_columns([
                        lit(values.0.as_str()).alias("model"),
                        lit(values.1).alias("k"),
                        lit(values.2).alias("speed"),
                        lit(values.3).alias("seed"),
                    ])
                    .select(&select)
                    .sort(order.to_vec(), SortMultipleOptions::default());
                let df = collect(lf, &what)?;
                write(&df)?;
            }
        }
    }
    let Some(w) = writer else {
        return Err(crate::TableError(format!(
            "{what}: no sweep point wrote {}",
            stage.join(name).display()
        )));
    };
    crate::ctx(w.finish(), || format!("writing {}", path.display()))?;
    drop(w);
    crate::arrow_footer(file.temp_path(), &kv)?;
    file.commit().map_err(|e| io(&e))?;
    Ok(rows)
}

/// The per-point tables [`derive`] reads: a neural-mass network's
/// `activity`, `network` and `bold`, and its FC stage's `fc`, `fit`,
/// `spectrum` and `fcd`.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Activity (long format).
    pub activity: Dataset,
    /// One row per run.
    pub network: Dataset,
    /// BOLD, where recorded.
    pub bold: Dataset,
    /// FC pairs.
    pub fc: Dataset,
    /// Fit to the target.
    pub fit: Dataset,
    /// Dominant frequencies.
    pub spectrum: Dataset,
    /// FCD, where computed.
    pub fcd: Dataset,
}

/// Write `activity`, `network`, `fc`, `fit`, `fit_summary`, `spectra`, and
/// `bold` and `fcd` where the sweep recorded them; returns (file name
/// relative to the pipeline folder, rows) for each.
pub fn derive(inputs: &Inputs, pipeline_dir: &Path, meta: &FileMeta) -> Result<Vec<(String, u64)>> {
    let tables = pipeline_dir.join("tables");
    let specs: [(&Dataset, &str, &[&str], &[&str]); 7] = [
        (
            &inputs.activity,
            "activity",
            &["t_ms", "region", "label", "variable", "value"],
            &["variable", "t_ms", "region"],
        ),
        (
            &inputs.network,
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
            &inputs.bold,
            "bold",
            &["t_ms", "region", "label", "value"],
            &["t_ms", "region"],
        ),
        (&inputs.fc, "fc", &["i", "j", "r"], &["i", "j"]),
        (
            &inputs.fit,
            "fit",
            &["signal", "n_samples", "fc_similarity", "mean_fc"],
            &[],
        ),
        (
            &inputs.spectrum,
            "spectra",
            &["region", "label", "dominant_hz"],
            &["region"],
        ),
        (
            &inputs.fcd,
            "fcd",
            &["window_i", "window_j", "r"],
            &["window_i", "window_j"],
        ),
    ];
    let mut out = Vec::new();
    for (input, table, columns, order) in specs {
        if !input.stage_dir.join(&input.table).is_dir() {
            continue; // optional output not recorded by this sweep (bold, fcd)
        }
        out.push((
            format!("tables/{table}.parquet"),
            concat_points(
                &input.stage_dir,
                &input.table,
                columns,
                order,
                &tables.join(format!("{table}.parquet")),
                meta,
            )?,
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
    /// Its sample sd over seeds (NaN with one seed).
    pub sd: f64,
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
            col("fc_similarity_sd"),
        ]),
        &what,
    )?;
    let model = str_column(&df, "model", &what)?;
    let k = f64_column(&df, "k", &what)?;
    let speed = f64_column(&df, "speed", &what)?;
    let mean = f64_column(&df, "fc_similarity_mean", &what)?;
    let sd = f64_column(&df, "fc_similarity_sd", &what)?;
    Ok((0..df.height())
        .map(|r| FitCell {
            model: model[r].clone(),
            k: k[r].unwrap_or(f64::NAN),
            speed: speed[r].unwrap_or(f64::NAN),
            mean: mean[r].unwrap_or(f64::NAN),
            sd: sd[r].unwrap_or(f64::NAN),
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
/// (model, k, speed) of the activity table across the sweep, for its
/// smallest seed, each kept as an [`Envelope`] of at most `max_buckets`
/// buckets. The table is read row group by row group, skipping those whose
/// statistics exclude the point: memory does not grow with the duration.
pub fn activity_traces(
    path: &Path,
    model: &str,
    k: f64,
    speed: f64,
    variable: &str,
    regions: u32,
    max_buckets: usize,
) -> Result<Traces> {
    use neurodyn_io::Equal;
    let equal = [
        Equal::Str("model", model),
        Equal::F64("k", k),
        Equal::F64("speed", speed),
        Equal::Str("variable", variable),
    ];
    // the seed drawn, its regions' labels and envelopes
    let mut seed: Option<i64> = None;
    let mut series: Vec<(Option<String>, Envelope)> = Vec::new();
    neurodyn_io::for_each_batch_where(path, &equal, |b| {
        let (m, kk, sp, sd) = (
            b.strs("model")?,
            b.f64s("k")?,
            b.f64s("speed")?,
            b.i64s("seed")?,
        );
        let (t, region, label) = (b.f64s("t_ms")?, b.u32s("region")?, b.strs("label")?);
        let (var, value) = (b.strs("variable")?, b.f64s("value")?);
        for q in 0..t.len() {
            if region[q] >= regions
                || m[q] != model
                || kk[q] != k
                || sp[q] != speed
                || var[q] != variable
            {
                continue;
            }
            if seed.is_none_or(|s| sd[q] < s) {
                seed = Some(sd[q]);
                series.clear();
            } else if Some(sd[q]) != seed {
                continue;
            }
            let r = region[q] as usize;
            while series.len() <= r {
                series.push((None, Envelope::new(max_buckets)));
            }
            if series[r].0.is_none() {
                series[r].0 = Some(label[q].clone());
            }
            series[r].1.push(t[q], value[q]);
        }
        Ok(())
    })
    .map_err(|e| crate::TableError(format!("{}: {e}", path.display())))?;
    Ok(Traces {
        variable: variable.to_string(),
        // regions without a row are left out
        series: series
            .into_iter()
            .filter_map(|(label, e)| {
                let (t, v) = e.points();
                label.map(|l| (l, t, v))
            })
            .collect(),
    })
}
