//! `neurodyn analyze`: the avalanche analyses on an experimenter's own
//! recording (Parquet, CSV or TSV), writing the pipeline's tables
//! (`avalanches.parquet`, `powerlaw.parquet`; see docs/tables.md) and
//! beside them the CCDF of each quantity with its fitted power law
//! (`ccdf_<quantity>.png` and `.svg`, log-log axes).
//!
//! Bad arguments or input (a missing file or column, values that are not
//! what the analysis needs, data no power law can be fitted to) are
//! [`BadInput`] errors: exit code 2.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, Subcommand};
use neurodyn_analysis::avalanche::{Avalanche, rebin, segment};
use neurodyn_analysis::powerlaw::{FitOptions, PowerLawReport, analyse};
use neurodyn_io::FileMeta;
use neurodyn_tables::TableError;
use neurodyn_tables::user_data::{
    AvalancheRow, PowerLawRow, column_u64, event_counts, write_avalanches, write_powerlaw,
};

/// The analyses.
#[derive(Subcommand)]
pub enum Analyze {
    /// Avalanches of a recording: runs of non-empty bins between empty ones
    /// (runs touching either end are incomplete and left out). Writes
    /// avalanches.parquet, and with --fit powerlaw.parquet for their sizes
    /// and durations.
    Avalanches(AvalancheArgs),
    /// Discrete power-law fit of one column of whole numbers (xmin by the KS
    /// distance, likelihood-ratio tests against the exponential, log-normal
    /// and truncated power law, bootstrap p-value). Writes powerlaw.parquet.
    Powerlaw(PowerLawArgs),
}

/// `analyze avalanches`.
#[derive(Args)]
#[command(group(ArgGroup::new("activity").required(true).args(["time_col", "count_col"])))]
#[command(group(
    ArgGroup::new("fit_options")
        .multiple(true)
        .args(["min_tail", "xmin_max", "bootstrap", "seed"])
        .requires("fit")
))]
pub struct AvalancheArgs {
    /// A .parquet, .csv or .tsv file: one row per event (--time-col) or per
    /// time bin (--count-col).
    #[arg(long)]
    input: PathBuf,
    /// Column of event times in ms, binned by --bin-ms.
    #[arg(long, requires = "bin_ms")]
    time_col: Option<String>,
    /// Bin width in ms (with --time-col).
    #[arg(long, requires = "time_col", allow_negative_numbers = true)]
    bin_ms: Option<f64>,
    /// Start of the first bin in ms (with --time-col; default: the first
    /// event). Earlier events are left out.
    #[arg(long, requires = "time_col", allow_negative_numbers = true)]
    t0_ms: Option<f64>,
    /// Column of events per bin (whole numbers >= 0), instead of --time-col.
    #[arg(long, conflicts_with_all = ["time_col", "bin_ms", "t0_ms"])]
    count_col: Option<String>,
    /// Merge every K consecutive bins before segmenting (a last, partial
    /// group is dropped).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    rebin: u64,
    /// Also fit power laws to the sizes and durations (powerlaw.parquet).
    #[arg(long)]
    fit: bool,
    #[command(flatten)]
    fit_args: FitArgs,
    #[command(flatten)]
    out: OutArgs,
}

/// `analyze powerlaw`.
#[derive(Args)]
pub struct PowerLawArgs {
    /// A .parquet, .csv or .tsv file.
    #[arg(long)]
    input: PathBuf,
    /// Column of samples (whole numbers >= 0; zeros are left out of the fit).
    #[arg(long)]
    column: String,
    #[command(flatten)]
    fit_args: FitArgs,
    #[command(flatten)]
    out: OutArgs,
}

/// Options of the power-law fit.
#[derive(Args)]
struct FitArgs {
    /// Fewest samples an xmin candidate may leave in the tail.
    #[arg(long, default_value_t = FitOptions::default().min_tail)]
    min_tail: usize,
    /// Largest xmin scanned (default: no bound).
    #[arg(long)]
    xmin_max: Option<u64>,
    /// Synthetic data sets of the goodness-of-fit bootstrap (0: no p-value).
    #[arg(long, default_value_t = FitOptions::default().bootstrap)]
    bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = FitOptions::default().seed)]
    seed: u64,
}

impl FitArgs {
    fn options(&self) -> FitOptions {
        FitOptions {
            min_tail: self.min_tail,
            xmin_max: self.xmin_max,
            bootstrap: self.bootstrap,
            seed: self.seed,
        }
    }
}

/// Where the tables go.
#[derive(Args)]
struct OutArgs {
    /// Name of the recording: the tables' `model` column and the default
    /// output folder (default: the input file's name without extension).
    #[arg(long)]
    label: Option<String>,
    /// Output folder (default: data/out/analyze/<label>).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Bad arguments or input: exit code 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn bad(e: TableError) -> anyhow::Error {
    BadInput(e.0).into()
}

/// Run one analysis.
pub fn run(cmd: Analyze) -> Result<()> {
    match cmd {
        Analyze::Avalanches(a) => avalanches(a),
        Analyze::Powerlaw(a) => powerlaw(a),
    }
}

/// The label (given, or the input's file stem) and the output folder.
fn destination(input: &Path, out: &OutArgs) -> Result<(String, PathBuf)> {
    let label = match &out.label {
        Some(l) => l.clone(),
        None => input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if label.is_empty() || label == "." || label == ".." || label.contains(['/', '\\']) {
        return Err(BadInput(format!(
            "label `{label}` (from {}): expected a name without `/` or `\\`, not empty, `.` or `..`",
            input.display()
        ))
        .into());
    }
    let dir = match &out.out {
        Some(d) => d.clone(),
        None => Path::new("data/out/analyze").join(&label),
    };
    Ok((label, dir))
}

/// Provenance: the parameters as JSON, and a fingerprint of the input's
/// bytes and the parameters.
fn meta(stage: &str, input: &Path, params: serde_json::Value, seed: u64) -> Result<FileMeta> {
    let params_json = params.to_string();
    let mut h = blake3::Hasher::new_derive_key("neurodyn analyze v1");
    h.update(stage.as_bytes());
    h.update(params_json.as_bytes());
    let file =
        std::fs::File::open(input).with_context(|| format!("reading {}", input.display()))?;
    h.update_reader(file)
        .with_context(|| format!("reading {}", input.display()))?;
    Ok(FileMeta {
        pipeline: "analyze".into(),
        stage: stage.into(),
        params_json,
        seed,
        fingerprint: h.finalize().to_hex()[..32].to_string(),
    })
}

/// The empirical CCDF `P(X >= x)` of the positive `samples`, at each
/// distinct value.
fn ccdf(samples: &[u64]) -> (Vec<f64>, Vec<f64>) {
    let mut v: Vec<u64> = samples.iter().copied().filter(|&a| a > 0).collect();
    v.sort_unstable();
    let n = v.len() as f64;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < v.len() {
        x.push(v[i] as f64);
        y.push((v.len() - i) as f64 / n);
        i += v[i..].partition_point(|&a| a == v[i]);
    }
    (x, y)
}

/// Draw `samples`' CCDF and, with a fit, the fitted power law's CCDF on the
/// same scale, `(n_tail / n) ζ(α, x) / ζ(α, xmin)` from `xmin` on, to
/// `<dir>/ccdf_<quantity>.png` and `.svg`.
fn ccdf_figure(
    dir: &Path,
    label: &str,
    quantity: &str,
    samples: &[u64],
    fit: Option<&PowerLawReport>,
) -> Result<Vec<PathBuf>> {
    use neurodyn_analysis::powerlaw::hurwitz_zeta;
    use neurodyn_plot::{Chart, Series};
    let (x, y) = ccdf(samples);
    let xmax = x.last().copied().unwrap_or(1.0);
    let mut chart = Chart::new(format!("{label}: {quantity} CCDF"))
        .labels(quantity.to_string(), format!("P({quantity} >= x)"))
        .log_x(true)
        .log_y(true)
        .series(Series::markers("data", x, y).with_colour(0));
    if let Some(r) = fit {
        let f = &r.fit;
        let (z0, scale) = (
            hurwitz_zeta(f.alpha, f.xmin as f64),
            f.n_tail as f64 / r.n as f64,
        );
        let (a, b) = (
            (f.xmin as f64).log10(),
            xmax.log10().max((f.xmin as f64).log10()),
        );
        let (fx, fy): (Vec<f64>, Vec<f64>) = (0..=60)
            .map(|k| {
                let x = 10f64
                    .powf(a + (b - a) * k as f64 / 60.0)
                    .round()
                    .max(f.xmin as f64);
                (x, scale * hurwitz_zeta(f.alpha, x) / z0)
            })
            .unzip();
        chart = chart.series(
            Series::line(
                format!("power law, alpha = {:.2}, xmin = {}", f.alpha, f.xmin),
                fx,
                fy,
            )
            .with_colour(3),
        );
    }
    let written = neurodyn_plot::save_chart(&chart, &dir.join(format!("ccdf_{quantity}")))
        .with_context(|| format!("drawing the {quantity} CCDF"))?;
    Ok(written.to_vec())
}

fn powerlaw_row(label: &str, quantity: &str, r: &PowerLawReport) -> PowerLawRow {
    PowerLawRow {
        model: label.to_string(),
        sigma: None,
        quantity: quantity.to_string(),
        n: r.n as u64,
        alpha: r.fit.alpha,
        alpha_se: r.fit.alpha_se,
        xmin: r.fit.xmin,
        n_tail: r.fit.n_tail as u64,
        ks: r.fit.ks,
        p_value: r.p_value,
        lr_exponential: r.vs_exponential.ratio,
        p_exponential: r.vs_exponential.p_value,
        lr_lognormal: r.vs_lognormal.ratio,
        p_lognormal: r.vs_lognormal.p_value,
        lr_truncated: r.vs_truncated.ratio,
        p_truncated: r.vs_truncated.p_value,
    }
}

/// One line for a fit.
fn describe(quantity: &str, r: &PowerLawReport) -> String {
    let f = &r.fit;
    let p = r
        .p_value
        .map_or(String::new(), |p| format!(", bootstrap p {p:.3}"));
    format!(
        "{quantity}: alpha {:.4} ± {:.2e}, xmin {}, {} of {} in the tail, KS {:.4}{p}; \
         log-likelihood ratio vs exponential {:.2} (p {:.3}), log-normal {:.2} (p {:.3}), \
         truncated power law {:.2} (p {:.3})",
        f.alpha,
        f.alpha_se,
        f.xmin,
        f.n_tail,
        r.n,
        f.ks,
        r.vs_exponential.ratio,
        r.vs_exponential.p_value,
        r.vs_lognormal.ratio,
        r.vs_lognormal.p_value,
        r.vs_truncated.ratio,
        r.vs_truncated.p_value,
    )
}

fn no_fit(what: &str, n: usize, opts: &FitOptions) -> String {
    let bound = opts
        .xmin_max
        .map_or(String::new(), |m| format!(" and xmin <= {m}"));
    format!(
        "{what}: no power law can be fitted to {n} samples: expected an xmin{bound} leaving a \
         tail of at least {} samples (--min-tail) with two or more distinct positive values",
        opts.min_tail
    )
}

fn avalanches(a: AvalancheArgs) -> Result<()> {
    let (label, dir) = destination(&a.input, &a.out)?;
    let (counts, column) = match (&a.time_col, &a.count_col) {
        (Some(c), _) => {
            let bin_ms = a.bin_ms.context("--time-col needs --bin-ms")?;
            (event_counts(&a.input, c, bin_ms, a.t0_ms).map_err(bad)?, c)
        }
        (None, Some(c)) => (column_u64(&a.input, c).map_err(bad)?, c),
        (None, None) => anyhow::bail!(BadInput(
            "expected --time-col (with --bin-ms) or --count-col".into()
        )),
    };
    let k = a.rebin as usize;
    let bins = rebin(&counts, k);
    let found: Vec<Avalanche> = segment(&bins);
    let rows: Vec<AvalancheRow> = found
        .iter()
        .map(|v| AvalancheRow {
            model: label.clone(),
            sigma: None,
            seed: None,
            start_bin: v.start as u64,
            size: v.size,
            duration: v.duration,
        })
        .collect();
    let opts = a.fit_args.options();
    let mut params = serde_json::json!({
        "input": a.input.display().to_string(),
        "label": label,
        "time_col": a.time_col,
        "bin_ms": a.bin_ms,
        "t0_ms": a.t0_ms,
        "count_col": a.count_col,
        "rebin": a.rebin,
    });
    if a.fit {
        params["fit"] = serde_json::json!({
            "min_tail": opts.min_tail,
            "xmin_max": opts.xmin_max,
            "bootstrap": opts.bootstrap,
            "seed": opts.seed,
        });
    }
    let meta = meta("avalanches", &a.input, params, opts.seed)?;

    let path = dir.join("avalanches.parquet");
    write_avalanches(&path, &rows, &meta)?;
    let mut written = vec![(path, rows.len())];
    let mut fits = Vec::new();
    let mut figures: Vec<PathBuf> = Vec::new();
    if a.fit {
        let sizes: Vec<u64> = found.iter().map(|v| v.size).collect();
        let durations: Vec<u64> = found.iter().map(|v| v.duration).collect();
        let mut table = Vec::new();
        for (quantity, samples) in [("size", &sizes), ("duration", &durations)] {
            let report = analyse(samples, &opts);
            match &report {
                Some(r) => {
                    table.push(powerlaw_row(&label, quantity, r));
                    fits.push(describe(quantity, r));
                }
                None => eprintln!(
                    "warning: {}",
                    no_fit(&format!("avalanche {quantity}s"), samples.len(), &opts)
                ),
            }
            if !samples.is_empty() {
                figures.extend(ccdf_figure(
                    &dir,
                    &label,
                    quantity,
                    samples,
                    report.as_ref(),
                )?);
            }
        }
        let path = dir.join("powerlaw.parquet");
        write_powerlaw(&path, &table, &meta)?;
        written.push((path, table.len()));
    } else {
        // the CCDFs alone
        let sizes: Vec<u64> = found.iter().map(|v| v.size).collect();
        let durations: Vec<u64> = found.iter().map(|v| v.duration).collect();
        for (quantity, samples) in [("size", &sizes), ("duration", &durations)] {
            if !samples.is_empty() {
                figures.extend(ccdf_figure(&dir, &label, quantity, samples, None)?);
            }
        }
    }

    let width = match a.bin_ms {
        Some(w) if k > 1 => format!(" of {} ms ({w} ms × {k})", w * k as f64),
        Some(w) => format!(" of {w} ms"),
        None if k > 1 => format!(" ({k} rows of `{column}` each)"),
        None => String::new(),
    };
    let incomplete = incomplete_runs(&bins);
    out!(
        "{}: `{column}`: {} bins{width}, {} avalanches ({incomplete} incomplete runs at the ends left out)",
        a.input.display(),
        bins.len(),
        found.len(),
    );
    if !found.is_empty() {
        let n = found.len() as f64;
        out!(
            "mean size {:.3} events, mean duration {:.3} bins",
            found.iter().map(|v| v.size as f64).sum::<f64>() / n,
            found.iter().map(|v| v.duration as f64).sum::<f64>() / n,
        );
    }
    for f in fits {
        out!("{f}");
    }
    for (p, n) in written {
        out!("wrote {} ({n} rows)", p.display());
    }
    for f in figures {
        out!("wrote {}", f.display());
    }
    Ok(())
}

/// Runs of non-empty bins touching the start or the end of `bins`
/// (what [`segment`] leaves out).
fn incomplete_runs(bins: &[u64]) -> usize {
    if bins.iter().all(|&c| c != 0) {
        return usize::from(!bins.is_empty());
    }
    usize::from(bins.first().is_some_and(|&c| c != 0))
        + usize::from(bins.last().is_some_and(|&c| c != 0))
}

fn powerlaw(a: PowerLawArgs) -> Result<()> {
    let (label, dir) = destination(&a.input, &a.out)?;
    let samples = column_u64(&a.input, &a.column).map_err(bad)?;
    let opts = a.fit_args.options();
    let what = format!("{}: column `{}`", a.input.display(), a.column);
    let report =
        analyse(&samples, &opts).ok_or_else(|| BadInput(no_fit(&what, samples.len(), &opts)))?;
    let params = serde_json::json!({
        "input": a.input.display().to_string(),
        "label": label,
        "column": a.column,
        "min_tail": opts.min_tail,
        "xmin_max": opts.xmin_max,
        "bootstrap": opts.bootstrap,
        "seed": opts.seed,
    });
    let meta = meta("powerlaw", &a.input, params, opts.seed)?;
    let path = dir.join("powerlaw.parquet");
    write_powerlaw(&path, &[powerlaw_row(&label, &a.column, &report)], &meta)?;
    let zeros = samples.len() - report.n;
    let zeros = if zeros > 0 {
        format!(" ({zeros} zeros left out)")
    } else {
        String::new()
    };
    let figures = ccdf_figure(&dir, &label, &a.column, &samples, Some(&report))?;
    out!("{what}: {} samples{zeros}", samples.len());
    out!("{}", describe(&a.column, &report));
    out!("wrote {} (1 row)", path.display());
    for f in figures {
        out!("wrote {}", f.display());
    }
    Ok(())
}
