//! Avalanche tables, and experimenters' own recordings read as the
//! avalanche analyses need them.
//!
//! Inputs (Parquet, or CSV / TSV with a header row, chosen by the file's
//! extension): an event table (one row per spike or event, a numeric time
//! column in ms) binned into events per bin by [`event_counts`], or one
//! column of non-negative integers (events per bin, or avalanche sizes) read
//! by [`column_u64`]. Rows in error messages count from 1, after the header.
//!
//! Outputs (see docs/tables.md): `avalanches.parquet`, one row per complete
//! avalanche ([`write_avalanches`]), and `powerlaw.parquet`, one row per
//! fitted quantity ([`write_powerlaw`]).

use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

use crate::{Result, TableError, write_table};

/// One avalanche of `avalanches.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct AvalancheRow {
    /// The model, or the label of a recording.
    pub model: String,
    /// Branching ratio of a simulated model (null for recordings).
    pub sigma: Option<f64>,
    /// Seed of a simulation (null for recordings).
    pub seed: Option<u64>,
    /// Index of the avalanche's first bin.
    pub start_bin: u64,
    /// Events in the avalanche.
    pub size: u64,
    /// Bins in the avalanche.
    pub duration: u64,
}

/// One fitted quantity of `powerlaw.parquet`: a discrete power law, its
/// goodness of fit and the likelihood-ratio tests against the alternatives.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerLawRow {
    /// The model, or the label of a recording.
    pub model: String,
    /// Branching ratio of a simulated model (null for recordings).
    pub sigma: Option<f64>,
    /// What was fitted (`size`, `duration`, or a column name).
    pub quantity: String,
    /// Samples.
    pub n: u64,
    /// Exponent α.
    pub alpha: f64,
    /// Standard error of α.
    pub alpha_se: f64,
    /// Smallest value of the fitted tail.
    pub xmin: u64,
    /// Samples in the tail.
    pub n_tail: u64,
    /// Kolmogorov–Smirnov distance of the tail to the fit.
    pub ks: f64,
    /// Bootstrap goodness-of-fit p-value (null when not computed).
    pub p_value: Option<f64>,
    /// Log-likelihood ratio of the power law against an exponential tail
    /// (> 0 favours the power law; NaN when none could be fitted).
    pub lr_exponential: f64,
    /// Its p-value.
    pub p_exponential: f64,
    /// Log-likelihood ratio against a log-normal tail.
    pub lr_lognormal: f64,
    /// Its p-value.
    pub p_lognormal: f64,
    /// Log-likelihood ratio against a truncated power law.
    pub lr_truncated: f64,
    /// Its p-value.
    pub p_truncated: f64,
}

/// At most this many bins from [`event_counts`] (8 GB of counts).
pub const MAX_BINS: u64 = 1_000_000_000;

fn err(path: &Path, column: &str, msg: impl std::fmt::Display) -> TableError {
    TableError(format!("{}: column `{column}`: {msg}", path.display()))
}

/// Events per bin of width `bin_ms` from an event table: bin `k` counts the
/// rows whose time `t` (column `time_col`, in ms) has `t0 + k·bin_ms <= t <
/// t0 + (k+1)·bin_ms`, from `t0_ms` (default: the smallest time) to the bin
/// holding the largest time. Events before `t0_ms` are left out. Times may
/// be negative (aligned to a stimulus) and in any order; they must be
/// finite, non-null numbers.
pub fn event_counts(
    path: &Path,
    time_col: &str,
    bin_ms: f64,
    t0_ms: Option<f64>,
) -> Result<Vec<u64>> {
    if !(bin_ms.is_finite() && bin_ms > 0.0) {
        return Err(err(
            path,
            time_col,
            format!("bin width {bin_ms} ms: expected a finite number of ms > 0"),
        ));
    }
    if let Some(t0) = t0_ms.filter(|t| !t.is_finite()) {
        return Err(err(
            path,
            time_col,
            format!("start time {t0} ms: expected a finite number of ms"),
        ));
    }
    let c = input_column(path, time_col)?;
    let t = c
        .cast(&DataType::Float64)
        .map_err(|e| err(path, time_col, e))?;
    let t = t.f64().map_err(|e| err(path, time_col, e))?;
    let allowed = "expected a finite time in ms on every row";
    let mut times = Vec::with_capacity(t.len());
    for (i, v) in t.iter().enumerate() {
        match v {
            None => {
                return Err(err(
                    path,
                    time_col,
                    format!("row {} is empty; {allowed}", i + 1),
                ));
            }
            Some(x) if !x.is_finite() => {
                return Err(err(
                    path,
                    time_col,
                    format!("row {} holds {x}; {allowed}", i + 1),
                ));
            }
            Some(x) => times.push(x),
        }
    }
    let t_min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let t_max = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let t0 = t0_ms.unwrap_or(t_min);
    if t0 > t_max {
        return Err(err(
            path,
            time_col,
            format!("start time {t0} ms is after the last event ({t_max} ms)"),
        ));
    }
    let span = ((t_max - t0) / bin_ms).floor();
    if span >= MAX_BINS as f64 {
        return Err(err(
            path,
            time_col,
            format!(
                "{t0} to {t_max} ms in bins of {bin_ms} ms would make more than {MAX_BINS} bins: \
                 expected a larger bin width"
            ),
        ));
    }
    let n_bins = span as usize + 1;
    let mut counts = vec![0u64; n_bins];
    for x in times {
        if x < t0 {
            continue;
        }
        // `min` guards against rounding just past the last bin.
        let k = (((x - t0) / bin_ms).floor() as usize).min(n_bins - 1);
        counts[k] += 1;
    }
    Ok(counts)
}

/// A column of whole numbers `>= 0` (events per bin, avalanche sizes):
/// integer columns, or float columns holding whole numbers; no empty cells,
/// NaN or negative values.
pub fn column_u64(path: &Path, column: &str) -> Result<Vec<u64>> {
    let c = input_column(path, column)?;
    let allowed = "expected whole numbers >= 0 on every row";
    if c.null_count() > 0 {
        let i = c
            .is_null()
            .iter()
            .position(|b| b == Some(true))
            .unwrap_or(0);
        return Err(err(
            path,
            column,
            format!("row {} is empty; {allowed}", i + 1),
        ));
    }
    let dtype = c.dtype().clone();
    if dtype.is_unsigned_integer() {
        let s = c
            .cast(&DataType::UInt64)
            .map_err(|e| err(path, column, e))?;
        let ca = s.u64().map_err(|e| err(path, column, e))?;
        return Ok(ca.into_no_null_iter().collect());
    }
    if dtype.is_signed_integer() {
        let s = c.cast(&DataType::Int64).map_err(|e| err(path, column, e))?;
        let ca = s.i64().map_err(|e| err(path, column, e))?;
        return ca
            .into_no_null_iter()
            .enumerate()
            .map(|(i, x)| {
                u64::try_from(x)
                    .map_err(|_| err(path, column, format!("row {} holds {x}; {allowed}", i + 1)))
            })
            .collect();
    }
    let s = c
        .cast(&DataType::Float64)
        .map_err(|e| err(path, column, e))?;
    let ca = s.f64().map_err(|e| err(path, column, e))?;
    ca.into_no_null_iter()
        .enumerate()
        .map(|(i, x)| {
            // 2^64 is the first float above u64::MAX
            if x >= 0.0 && x.fract() == 0.0 && x < 18_446_744_073_709_551_616.0 {
                Ok(x as u64)
            } else {
                Err(err(
                    path,
                    column,
                    format!("row {} holds {x}; {allowed}", i + 1),
                ))
            }
        })
        .collect()
}

/// Parquet, or text with this separator.
enum Format {
    Parquet,
    Delimited(u8),
}

fn format_of(path: &Path, column: &str) -> Result<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("parquet") => Ok(Format::Parquet),
        Some("csv") => Ok(Format::Delimited(b',')),
        Some("tsv") => Ok(Format::Delimited(b'\t')),
        _ => Err(TableError(format!(
            "{}: unknown file type (reading column `{column}`): expected a .parquet, .csv or .tsv file",
            path.display()
        ))),
    }
}

/// The table at `path`; `column` (the one wanted) is named in errors.
fn scan_input(path: &Path, column: &str, format: &Format) -> Result<LazyFrame> {
    if !path.exists() {
        return Err(TableError(format!(
            "{}: no such file (reading column `{column}`)",
            path.display()
        )));
    }
    if !path.is_file() {
        return Err(TableError(format!(
            "{}: not a file (reading column `{column}`): expected a .parquet, .csv or .tsv file",
            path.display()
        )));
    }
    let what = || format!("{} (reading column `{column}`)", path.display());
    let p = crate::ctx(PlRefPath::try_from_path(path), what)?;
    match *format {
        Format::Parquet => {
            let args = ScanArgsParquet {
                hive_options: HiveOptions {
                    enabled: Some(false),
                    hive_start_idx: 0,
                    schema: None,
                    try_parse_dates: false,
                },
                glob: false,
                ..Default::default()
            };
            crate::ctx(LazyFrame::scan_parquet(p, args), what)
        }
        Format::Delimited(sep) => {
            check_rows(path, column, sep)?;
            crate::ctx(
                LazyCsvReader::new(p)
                    .with_separator(sep)
                    .with_has_header(true)
                    .with_glob(false)
                    // every column as text: `input_column` reads the
                    // numbers itself (u64 up to its largest, and errors in
                    // the row and value, not polars' schema inference)
                    .with_infer_schema_length(Some(0))
                    .finish(),
                what,
            )
        }
    }
}

/// Every line of a delimited file has as many fields as its header:
/// checked in one pass over the file in chunks (memory does not grow with
/// the file), naming the first line that differs. Separators inside double
/// quotes do not count; blank lines are skipped.
fn check_rows(path: &Path, column: &str, sep: u8) -> Result<()> {
    use std::io::BufRead;
    let io = |e: std::io::Error| TableError(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let mut header: Option<usize> = None;
    let mut number = 0usize;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let mut quoted = false;
        let mut fields = 1;
        for &b in text {
            if b == b'"' {
                quoted = !quoted;
            } else if b == sep && !quoted {
                fields += 1;
            }
        }
        match header {
            None => header = Some(fields),
            Some(h) if h != fields => {
                return Err(err(
                    path,
                    column,
                    format!(
                        "line {number} has {fields} field{}, but the header (line 1) has {h} (ragged rows); every line needs one value per column, empty for a missing one",
                        if fields == 1 { "" } else { "s" }
                    ),
                ));
            }
            Some(_) => {}
        }
    }
}

/// A text column of numbers as the narrowest of u64, i64 and f64 that
/// holds every value (empty cells stay empty); the first value that is not
/// a number is an error naming its row.
fn numbers_of_text(path: &Path, column: &str, c: &Column) -> Result<Column> {
    let s = c.str().map_err(|e| err(path, column, e))?;
    let values: Vec<Option<&str>> = s.iter().map(|v| v.map(str::trim)).collect();
    let name = c.name().clone();
    let all = |ok: &dyn Fn(&str) -> bool| values.iter().flatten().all(|v| ok(v));
    if all(&|v| v.parse::<u64>().is_ok()) {
        let v: Vec<Option<u64>> = values
            .iter()
            .map(|v| v.and_then(|v| v.parse().ok()))
            .collect();
        return Ok(Column::new(name, v));
    }
    if all(&|v| v.parse::<i64>().is_ok()) {
        let v: Vec<Option<i64>> = values
            .iter()
            .map(|v| v.and_then(|v| v.parse().ok()))
            .collect();
        return Ok(Column::new(name, v));
    }
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match v.map(str::parse::<f64>) {
            None => out.push(None),
            Some(Ok(x)) => out.push(Some(x)),
            Some(Err(_)) => {
                return Err(err(
                    path,
                    column,
                    format!(
                        "row {} holds `{}`; expected numbers",
                        i + 1,
                        v.unwrap_or("")
                    ),
                ));
            }
        }
    }
    Ok(Column::new(name, out))
}

/// The column `column` of the table at `path`, checked to exist, be numeric
/// and have at least one row.
fn input_column(path: &Path, column: &str) -> Result<Column> {
    let format = format_of(path, column)?;
    let mut lf = scan_input(path, column, &format)?;
    let schema = crate::ctx(lf.collect_schema(), || {
        format!("{} (reading column `{column}`)", path.display())
    })?;
    if schema.get(column).is_none() {
        let names: Vec<String> = schema.iter_names().map(|n| format!("`{n}`")).collect();
        let present = if names.is_empty() {
            "the file has no columns".to_string()
        } else {
            format!("columns present: {}", names.join(", "))
        };
        return Err(TableError(format!(
            "{}: no column `{column}`; {present}",
            path.display()
        )));
    }
    let df = crate::ctx(lf.select([col(column)]).collect(), || {
        format!("{}: column `{column}`", path.display())
    })?;
    let mut c = df.column(column).map_err(|e| err(path, column, e))?.clone();
    if c.is_empty() {
        return Err(err(path, column, "the table has no rows"));
    }
    if matches!(format, Format::Delimited(_)) && c.dtype() == &DataType::String {
        c = numbers_of_text(path, column, &c)?;
    }
    let dtype = c.dtype().clone();
    if !dtype.is_primitive_numeric() {
        let mut msg = format!("holds {dtype} values; expected numbers");
        if let Ok(s) = c.str() {
            let bad = s
                .iter()
                .enumerate()
                .find(|(_, v)| v.is_some_and(|v| v.trim().parse::<f64>().is_err()));
            if let Some((i, Some(v))) = bad {
                msg = format!("row {} holds `{v}`; expected numbers", i + 1);
            }
        }
        return Err(err(path, column, msg));
    }
    Ok(c)
}

/// The rows as the `avalanches` table.
pub fn avalanche_frame(rows: &[AvalancheRow]) -> Result<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "model".into(),
            rows.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "sigma".into(),
            rows.iter().map(|r| r.sigma).collect::<Vec<_>>(),
        ),
        Column::new(
            "seed".into(),
            rows.iter().map(|r| r.seed).collect::<Vec<_>>(),
        ),
        Column::new(
            "start_bin".into(),
            rows.iter().map(|r| r.start_bin).collect::<Vec<_>>(),
        ),
        Column::new(
            "size".into(),
            rows.iter().map(|r| r.size).collect::<Vec<_>>(),
        ),
        Column::new(
            "duration".into(),
            rows.iter().map(|r| r.duration).collect::<Vec<_>>(),
        ),
    ])
    .map_err(|e| TableError(format!("avalanches: {e}")))
}

/// The rows as the `powerlaw` table.
pub fn powerlaw_frame(rows: &[PowerLawRow]) -> Result<DataFrame> {
    let f = |name: &str, g: fn(&PowerLawRow) -> f64| {
        Column::new(name.into(), rows.iter().map(g).collect::<Vec<f64>>())
    };
    let u = |name: &str, g: fn(&PowerLawRow) -> u64| {
        Column::new(name.into(), rows.iter().map(g).collect::<Vec<u64>>())
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "model".into(),
            rows.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "sigma".into(),
            rows.iter().map(|r| r.sigma).collect::<Vec<_>>(),
        ),
        Column::new(
            "quantity".into(),
            rows.iter().map(|r| r.quantity.as_str()).collect::<Vec<_>>(),
        ),
        u("n", |r| r.n),
        f("alpha", |r| r.alpha),
        f("alpha_se", |r| r.alpha_se),
        u("xmin", |r| r.xmin),
        u("n_tail", |r| r.n_tail),
        f("ks", |r| r.ks),
        Column::new(
            "p_value".into(),
            rows.iter().map(|r| r.p_value).collect::<Vec<_>>(),
        ),
        f("lr_exponential", |r| r.lr_exponential),
        f("p_exponential", |r| r.p_exponential),
        f("lr_lognormal", |r| r.lr_lognormal),
        f("p_lognormal", |r| r.p_lognormal),
        f("lr_truncated", |r| r.lr_truncated),
        f("p_truncated", |r| r.p_truncated),
    ])
    .map_err(|e| TableError(format!("powerlaw: {e}")))
}

/// Write `avalanches.parquet` (or any name) atomically; returns the rows.
pub fn write_avalanches(path: &Path, rows: &[AvalancheRow], meta: &FileMeta) -> Result<u64> {
    write_table(&mut avalanche_frame(rows)?, path, meta)
}

/// Write `powerlaw.parquet` (or any name) atomically; returns the rows.
pub fn write_powerlaw(path: &Path, rows: &[PowerLawRow], meta: &FileMeta) -> Result<u64> {
    write_table(&mut powerlaw_frame(rows)?, path, meta)
}

/// The column `name` of a table written here, as `T`s.
fn output_column<T>(
    df: &DataFrame,
    path: &Path,
    name: &str,
    dtype: DataType,
    get: impl Fn(&Series) -> PolarsResult<Vec<Option<T>>>,
) -> Result<Vec<Option<T>>> {
    let c = df
        .column(name)
        .and_then(|c| c.cast(&dtype))
        .map_err(|e| err(path, name, e))?;
    get(c.as_materialized_series()).map_err(|e| err(path, name, e))
}

fn strings(df: &DataFrame, path: &Path, name: &str) -> Result<Vec<String>> {
    output_column(df, path, name, DataType::String, |s| {
        Ok(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
    })
    .map(|v| v.into_iter().map(Option::unwrap_or_default).collect())
}

fn opt_f64(df: &DataFrame, path: &Path, name: &str) -> Result<Vec<Option<f64>>> {
    output_column(df, path, name, DataType::Float64, |s| {
        Ok(s.f64()?.iter().collect())
    })
}

fn opt_u64(df: &DataFrame, path: &Path, name: &str) -> Result<Vec<Option<u64>>> {
    output_column(df, path, name, DataType::UInt64, |s| {
        Ok(s.u64()?.iter().collect())
    })
}

fn required<T>(v: Vec<Option<T>>, path: &Path, name: &str) -> Result<Vec<T>> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| x.ok_or_else(|| err(path, name, format!("row {} is null", i + 1))))
        .collect()
}

fn read_output(path: &Path) -> Result<DataFrame> {
    let what = path.display().to_string();
    crate::collect(crate::scan_file(path)?, &what)
}

/// Read an `avalanches` table back.
pub fn read_avalanches(path: &Path) -> Result<Vec<AvalancheRow>> {
    let df = read_output(path)?;
    let model = strings(&df, path, "model")?;
    let sigma = opt_f64(&df, path, "sigma")?;
    let seed = opt_u64(&df, path, "seed")?;
    let start = required(opt_u64(&df, path, "start_bin")?, path, "start_bin")?;
    let size = required(opt_u64(&df, path, "size")?, path, "size")?;
    let duration = required(opt_u64(&df, path, "duration")?, path, "duration")?;
    Ok((0..df.height())
        .map(|i| AvalancheRow {
            model: model[i].clone(),
            sigma: sigma[i],
            seed: seed[i],
            start_bin: start[i],
            size: size[i],
            duration: duration[i],
        })
        .collect())
}

/// Read a `powerlaw` table back.
pub fn read_powerlaw(path: &Path) -> Result<Vec<PowerLawRow>> {
    let df = read_output(path)?;
    let model = strings(&df, path, "model")?;
    let sigma = opt_f64(&df, path, "sigma")?;
    let quantity = strings(&df, path, "quantity")?;
    let u = |name: &str| required(opt_u64(&df, path, name)?, path, name);
    let f = |name: &str| required(opt_f64(&df, path, name)?, path, name);
    let (n, xmin, n_tail) = (u("n")?, u("xmin")?, u("n_tail")?);
    let (alpha, alpha_se, ks) = (f("alpha")?, f("alpha_se")?, f("ks")?);
    let p_value = opt_f64(&df, path, "p_value")?;
    let (lr_e, p_e) = (f("lr_exponential")?, f("p_exponential")?);
    let (lr_l, p_l) = (f("lr_lognormal")?, f("p_lognormal")?);
    let (lr_t, p_t) = (f("lr_truncated")?, f("p_truncated")?);
    Ok((0..df.height())
        .map(|i| PowerLawRow {
            model: model[i].clone(),
            sigma: sigma[i],
            quantity: quantity[i].clone(),
            n: n[i],
            alpha: alpha[i],
            alpha_se: alpha_se[i],
            xmin: xmin[i],
            n_tail: n_tail[i],
            ks: ks[i],
            p_value: p_value[i],
            lr_exponential: lr_e[i],
            p_exponential: p_e[i],
            lr_lognormal: lr_l[i],
            p_lognormal: p_l[i],
            lr_truncated: lr_t[i],
            p_truncated: p_t[i],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn write_parquet(dir: &Path, name: &str, columns: Vec<Column>) -> PathBuf {
        let p = dir.join(name);
        let mut df = DataFrame::new_infer_height(columns).unwrap();
        write_table(&mut df, &p, &FileMeta::default()).unwrap();
        p
    }

    /// The error of `r`, checked to name `path` and `column` and to hold `want`.
    fn error_of<T: std::fmt::Debug>(r: Result<T>, path: &Path, column: &str, want: &str) {
        let e = r.unwrap_err().0;
        assert!(e.contains(&path.display().to_string()), "no file in `{e}`");
        assert!(e.contains(&format!("`{column}`")), "no column in `{e}`");
        assert!(e.contains(want), "expected `{want}` in `{e}`");
        assert!(!e.ends_with('.'), "ends with a period: `{e}`");
    }

    fn avalanche_rows() -> Vec<AvalancheRow> {
        vec![
            AvalancheRow {
                model: "branching".into(),
                sigma: Some(1.0),
                seed: Some(7),
                start_bin: 3,
                size: 12,
                duration: 4,
            },
            AvalancheRow {
                model: "recording".into(),
                sigma: None,
                seed: None,
                start_bin: u64::MAX,
                size: 1,
                duration: 1,
            },
        ]
    }

    fn powerlaw_row(quantity: &str, p_value: Option<f64>) -> PowerLawRow {
        PowerLawRow {
            model: "m".into(),
            sigma: None,
            quantity: quantity.into(),
            n: 1000,
            alpha: 1.5,
            alpha_se: 0.02,
            xmin: 2,
            n_tail: 800,
            ks: 0.01,
            p_value,
            lr_exponential: 3.0,
            p_exponential: 0.001,
            lr_lognormal: -0.5,
            p_lognormal: 0.6,
            lr_truncated: -1.0,
            p_truncated: 0.3,
        }
    }

    #[test]
    fn avalanche_tables_round_trip_with_their_columns() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("out/avalanches.parquet");
        let rows = avalanche_rows();
        assert_eq!(
            write_avalanches(&p, &rows, &FileMeta::default()).unwrap(),
            2
        );
        assert_eq!(read_avalanches(&p).unwrap(), rows);
        // as any polars reader sees it
        let df = crate::collect(crate::scan_file(&p).unwrap(), "t").unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            ["model", "sigma", "seed", "start_bin", "size", "duration"]
        );
        let types: Vec<DataType> = df.dtypes();
        use DataType::*;
        assert_eq!(types, [String, Float64, UInt64, UInt64, UInt64, UInt64]);
        assert_eq!(df.column("seed").unwrap().null_count(), 1);
        // no avalanche: an empty table with the same columns
        write_avalanches(&p, &[], &FileMeta::default()).unwrap();
        assert!(read_avalanches(&p).unwrap().is_empty());
    }

    #[test]
    fn powerlaw_tables_round_trip_with_their_columns() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("powerlaw.parquet");
        let rows = vec![
            powerlaw_row("size", Some(0.42)),
            powerlaw_row("duration", None),
        ];
        assert_eq!(write_powerlaw(&p, &rows, &FileMeta::default()).unwrap(), 2);
        assert_eq!(read_powerlaw(&p).unwrap(), rows);
        let df = crate::collect(crate::scan_file(&p).unwrap(), "t").unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "model",
                "sigma",
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
                "p_truncated"
            ]
        );
        assert_eq!(df.column("p_value").unwrap().null_count(), 1);
        assert_eq!(df.column("n").unwrap().dtype(), &DataType::UInt64);
    }

    #[test]
    fn csv_tsv_and_parquet_event_tables_give_the_same_counts() {
        let tmp = tempfile::tempdir().unwrap();
        // unsorted times in ms, bins of 2 ms from the smallest time (1.0)
        let t = [5.5, 1.0, 1.9, 3.0, 10.0, 2.999, 9.0, 4.9];
        let want = vec![3, 2, 1, 0, 2];
        let csv: String = std::iter::once("unit,t_ms\n".to_string())
            .chain(t.iter().enumerate().map(|(i, t)| format!("{i},{t}\n")))
            .collect();
        let csv = write_text(tmp.path(), "spikes.csv", &csv);
        let tsv = write_text(
            tmp.path(),
            "spikes.tsv",
            &std::fs::read_to_string(&csv).unwrap().replace(',', "\t"),
        );
        let pq = write_parquet(
            tmp.path(),
            "spikes.parquet",
            vec![
                Column::new("unit".into(), (0..t.len() as u32).collect::<Vec<_>>()),
                Column::new("t_ms".into(), t.to_vec()),
            ],
        );
        for p in [&csv, &tsv, &pq] {
            assert_eq!(
                event_counts(p, "t_ms", 2.0, None).unwrap(),
                want,
                "{}",
                p.display()
            );
            // bins from t0 = 0 instead; from t0 = 4, earlier events are left out
            assert_eq!(
                event_counts(p, "t_ms", 2.0, Some(0.0)).unwrap(),
                [2, 2, 2, 0, 1, 1]
            );
            assert_eq!(
                event_counts(p, "t_ms", 2.0, Some(4.0)).unwrap(),
                [2, 0, 1, 1]
            );
        }
        // integer times (sample indices) count alike
        let ints = write_text(tmp.path(), "int.csv", "t\n0\n1\n1\n7\n");
        assert_eq!(event_counts(&ints, "t", 2.0, None).unwrap(), [3, 0, 0, 1]);
        // negative times (aligned to a stimulus) are times like any other
        let neg = write_text(tmp.path(), "neg.csv", "t\n-3\n-2.5\n0.5\n");
        assert_eq!(event_counts(&neg, "t", 1.0, None).unwrap(), [2, 0, 0, 1]);
    }

    #[test]
    fn count_and_sample_columns_read_from_csv_and_parquet() {
        let tmp = tempfile::tempdir().unwrap();
        let csv = write_text(
            tmp.path(),
            "a.csv",
            "bin,count,size\n0,3,1.0\n1,0,4.0\n2,5,2.0\n",
        );
        let pq = write_parquet(
            tmp.path(),
            "a.parquet",
            vec![
                Column::new("count".into(), vec![3i64, 0, 5]),
                Column::new("size".into(), vec![1.0f64, 4.0, 2.0]),
                Column::new("u".into(), vec![3u32, 0, 5]),
            ],
        );
        for p in [&csv, &pq] {
            assert_eq!(column_u64(p, "count").unwrap(), [3, 0, 5]);
            assert_eq!(column_u64(p, "size").unwrap(), [1, 4, 2]);
        }
        assert_eq!(column_u64(&pq, "u").unwrap(), [3, 0, 5]);
    }

    #[test]
    fn ragged_rows_and_the_largest_u64_are_read_in_the_projects_terms() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        // rows of 3 and 1 fields under a 2-column header
        let ragged = write_text(d, "rag.csv", "size,duration\n3,1\n5,2,9\n7\n");
        error_of(
            column_u64(&ragged, "size"),
            &ragged,
            "size",
            "line 3 has 3 fields, but the header (line 1) has 2 (ragged rows)",
        );
        let short = write_text(d, "short.tsv", "size\tduration\n3\t1\n7\n");
        let e = column_u64(&short, "size").unwrap_err().to_string();
        assert!(
            e.contains("line 3 has 1 field, but the header (line 1) has 2"),
            "{e}"
        );
        // quoted separators are not ragged
        let quoted = write_text(d, "q.csv", "size,label\n3,\"a,b\"\n4,c\n");
        assert_eq!(column_u64(&quoted, "size").unwrap(), [3, 4]);
        // u64::MAX, and i64 and float columns, with their exact values
        let big = write_text(d, "big.csv", "size,t\n3,-1\n18446744073709551615,2.5\n");
        assert_eq!(column_u64(&big, "size").unwrap(), [3, u64::MAX]);
        error_of(column_u64(&big, "t"), &big, "t", "row 1 holds -1");
    }

    #[test]
    fn bad_input_is_reported_with_the_file_the_column_and_what_is_allowed() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let good = write_text(d, "good.csv", "t_ms,count\n1.0,2\n3.0,0\n");
        let missing = d.join("missing.parquet");
        error_of(
            event_counts(&missing, "t_ms", 1.0, None),
            &missing,
            "t_ms",
            "no such file",
        );
        let txt = write_text(d, "spikes.txt", "t_ms\n1\n");
        error_of(
            column_u64(&txt, "t_ms"),
            &txt,
            "t_ms",
            "expected a .parquet, .csv or .tsv file",
        );
        error_of(
            event_counts(&good, "time", 1.0, None),
            &good,
            "time",
            "columns present: `t_ms`, `count`",
        );
        let text = write_text(d, "text.csv", "t_ms,count\n1.0,2\nabc,x\n");
        error_of(
            event_counts(&text, "t_ms", 1.0, None),
            &text,
            "t_ms",
            "row 2 holds `abc`; expected numbers",
        );
        error_of(
            column_u64(&text, "count"),
            &text,
            "count",
            "row 2 holds `x`",
        );
        let empty_cell = write_text(d, "gap.csv", "t_ms,count\n1.0,2\n,\n3.0,1\n");
        error_of(
            event_counts(&empty_cell, "t_ms", 1.0, None),
            &empty_cell,
            "t_ms",
            "row 2 is empty",
        );
        error_of(
            column_u64(&empty_cell, "count"),
            &empty_cell,
            "count",
            "row 2 is empty",
        );
        let nan = write_parquet(
            d,
            "nan.parquet",
            vec![
                Column::new("t_ms".into(), vec![1.0, f64::NAN]),
                Column::new("n".into(), vec![Some(1.0), None]),
            ],
        );
        error_of(
            event_counts(&nan, "t_ms", 1.0, None),
            &nan,
            "t_ms",
            "row 2 holds NaN; expected a finite time in ms",
        );
        error_of(
            column_u64(&nan, "t_ms"),
            &nan,
            "t_ms",
            "row 2 holds NaN; expected whole numbers >= 0",
        );
        error_of(column_u64(&nan, "n"), &nan, "n", "row 2 is empty");
        let neg = write_text(d, "neg.csv", "count,frac\n2,1.0\n-1,2.5\n");
        error_of(
            column_u64(&neg, "count"),
            &neg,
            "count",
            "row 2 holds -1; expected whole numbers >= 0",
        );
        error_of(
            column_u64(&neg, "frac"),
            &neg,
            "frac",
            "row 2 holds 2.5; expected whole numbers >= 0",
        );
        for bin in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            error_of(
                event_counts(&good, "t_ms", bin, None),
                &good,
                "t_ms",
                "expected a finite number of ms > 0",
            );
        }
        error_of(
            event_counts(&good, "t_ms", 1.0, Some(5.0)),
            &good,
            "t_ms",
            "after the last event",
        );
        error_of(
            event_counts(&good, "t_ms", 1e-12, None),
            &good,
            "t_ms",
            "expected a larger bin width",
        );
        let header_only = write_text(d, "header.csv", "t_ms,count\n");
        error_of(
            event_counts(&header_only, "t_ms", 1.0, None),
            &header_only,
            "t_ms",
            "no rows",
        );
        let no_rows = write_parquet(
            d,
            "none.parquet",
            vec![Column::new("size".into(), Vec::<u64>::new())],
        );
        error_of(column_u64(&no_rows, "size"), &no_rows, "size", "no rows");
        let blank = write_text(d, "blank.csv", "");
        let e = column_u64(&blank, "size").unwrap_err().0;
        assert!(e.contains("blank.csv") && e.contains("`size`"), "{e}");
    }
}
