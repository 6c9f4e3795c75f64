//! `neurodyn connectome`: look at, convert and generate structural
//! connectomes for the whole-brain study: TVB connectivity zips
//! (`weights.txt`, `tract_lengths.txt`, `centres.txt`) and plain CSV/TSV
//! matrices. Files are written atomically; bad input is a [`BadInput`]
//! error (exit code 2) that names the file.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;
use neurodyn_core::Connectome;
use neurodyn_models::network::{DelayLines, DelayRule};

use crate::analyze::BadInput;

/// The connectome commands.
#[derive(Subcommand)]
pub enum ConnectomeCmd {
    /// Regions, links, weight and distance ranges of a TVB zip, and the
    /// delays and delay memory of a network on it at a speed and dt.
    Info {
        /// A TVB connectivity zip.
        input: PathBuf,
        /// Conduction speed (mm/ms).
        #[arg(long, default_value_t = 10.0)]
        speed_mm_per_ms: f64,
        /// Time step (ms).
        #[arg(long, default_value_t = 0.1)]
        dt_ms: f64,
        /// How delays are made whole: round, ceil or linear.
        #[arg(long, default_value = "round")]
        delay_rule: String,
    },
    /// Write a TVB zip's weights and tract lengths (mm) as labelled square
    /// matrices (.csv, .tsv or .txt, from the extension).
    Export {
        /// A TVB connectivity zip.
        input: PathBuf,
        /// Output file for the weights.
        #[arg(long)]
        weights: PathBuf,
        /// Output file for the tract lengths (mm).
        #[arg(long)]
        distances: PathBuf,
    },
    /// Build a TVB zip from square matrices of weights and distances (mm),
    /// CSV, TSV or whitespace text. Labels come from the weights' header
    /// row (or the distances'), else r0, r1, ...; the zip has no centres.
    Import {
        /// Weights matrix file.
        #[arg(long)]
        weights: PathBuf,
        /// Distances (tract lengths, mm) matrix file.
        #[arg(long)]
        distances: PathBuf,
        /// Output TVB zip.
        #[arg(long)]
        output: PathBuf,
    },
    /// Write the project's generated example connectome (see
    /// data/whole-brain/README.md) as a TVB zip.
    Example {
        /// Number of regions.
        #[arg(long, default_value_t = 68, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        regions: u64,
        /// Generator seed (2026: the bundled example).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Output TVB zip.
        #[arg(long)]
        output: PathBuf,
    },
}

fn bad(e: impl std::fmt::Display) -> anyhow::Error {
    BadInput(e.to_string()).into()
}

fn read_zip(path: &Path) -> Result<Connectome> {
    neurodyn_io::connectome::read_tvb_zip(path).map_err(bad)
}

/// Run one connectome command.
pub fn run(cmd: ConnectomeCmd) -> Result<()> {
    match cmd {
        ConnectomeCmd::Info {
            input,
            speed_mm_per_ms,
            dt_ms,
            delay_rule,
        } => {
            let c = read_zip(&input)?;
            let rule = DelayRule::parse(&delay_rule).map_err(bad)?;
            out_part!("{}", info(&c, speed_mm_per_ms, dt_ms, rule)?);
        }
        ConnectomeCmd::Export {
            input,
            weights,
            distances,
        } => {
            let c = read_zip(&input)?;
            let labels = Some(c.labels());
            neurodyn_io::connectome::write_matrix_csv(&weights, c.n(), c.weights(), labels)
                .map_err(bad)?;
            neurodyn_io::connectome::write_matrix_csv(&distances, c.n(), c.distances_mm(), labels)
                .map_err(bad)?;
            eprintln!(
                "wrote {} and {} ({} regions)",
                weights.display(),
                distances.display(),
                c.n()
            );
        }
        ConnectomeCmd::Import {
            weights,
            distances,
            output,
        } => {
            let w = neurodyn_io::connectome::read_matrix_csv_labelled(&weights).map_err(bad)?;
            let d = neurodyn_io::connectome::read_matrix_csv_labelled(&distances).map_err(bad)?;
            if w.n != d.n {
                return Err(bad(format!(
                    "{}: a {} x {} matrix, but the weights {} are {} x {}",
                    distances.display(),
                    d.n,
                    d.n,
                    weights.display(),
                    w.n,
                    w.n
                )));
            }
            if let (Some(a), Some(b)) = (&w.labels, &d.labels) {
                if a != b {
                    return Err(bad(format!(
                        "{} and {} have different header labels",
                        weights.display(),
                        distances.display()
                    )));
                }
            }
            let labels = w
                .labels
                .or(d.labels)
                .unwrap_or_else(|| (0..w.n).map(|i| format!("r{i}")).collect());
            let c = Connectome::new(labels, w.values, d.values, None).map_err(|e| {
                bad(format!(
                    "{} / {}: {e}",
                    weights.display(),
                    distances.display()
                ))
            })?;
            neurodyn_io::connectome::write_tvb_zip(&output, &c).map_err(bad)?;
            eprintln!("wrote {} ({} regions)", output.display(), c.n());
        }
        ConnectomeCmd::Example {
            regions,
            seed,
            output,
        } => {
            let c = neurodyn_core::connectome::example(regions as usize, seed);
            neurodyn_io::connectome::write_tvb_zip(&output, &c).map_err(bad)?;
            eprintln!(
                "wrote {} ({} regions, seed {seed})",
                output.display(),
                c.n()
            );
        }
    }
    Ok(())
}

/// The `info` report.
fn info(c: &Connectome, speed: f64, dt_ms: f64, rule: DelayRule) -> Result<String> {
    let n = c.n();
    let mut links = 0usize;
    let mut asym = 0usize;
    let (mut wmin, mut wmax) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut dmin, mut dmax) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        for j in 0..n {
            let w = c.weight(i, j);
            if i == j || w == 0.0 {
                continue;
            }
            links += 1;
            if c.weight(j, i) != w {
                asym += 1;
            }
            wmin = wmin.min(w);
            wmax = wmax.max(w);
            let d = c.distance_mm(i, j);
            dmin = dmin.min(d);
            dmax = dmax.max(d);
        }
    }
    let diag = (0..n).filter(|&i| c.weight(i, i) != 0.0).count();
    let lines = DelayLines::new(c, dt_ms, speed, rule, 1).map_err(bad)?;
    let (lo, hi) = lines.lag_range();
    let mut s = String::new();
    s.push_str(&format!("regions             {n}\n"));
    let shown: Vec<&str> = c.labels().iter().take(6).map(String::as_str).collect();
    s.push_str(&format!(
        "labels              {}{}\n",
        shown.join(" "),
        if n > 6 { " ..." } else { "" }
    ));
    s.push_str(&format!(
        "links               {links} off the diagonal ({:.1} % of {} pairs), {asym} without an equal reverse weight\n",
        100.0 * links as f64 / (n * n.saturating_sub(1)).max(1) as f64,
        n * n.saturating_sub(1)
    ));
    if diag > 0 {
        s.push_str(&format!(
            "diagonal            {diag} nonzero self-weights (dropped by the network)\n"
        ));
    }
    if links > 0 {
        s.push_str(&format!("weights             {wmin:.4e} .. {wmax:.4e}\n"));
        s.push_str(&format!("distances (links)   {dmin:.2} .. {dmax:.2} mm\n"));
        s.push_str(&format!(
            "delays              {lo} .. {hi} steps of {dt_ms} ms at {speed} mm/ms ({rule:?})\n"
        ));
    }
    s.push_str(&format!(
        "delay memory        {} values ({:.2} MB)\n",
        lines.history_len(),
        lines.history_len() as f64 * 8.0 / 1e6
    ));
    s.push_str(&format!(
        "centres             {}\n",
        if c.centres_mm().is_some() {
            "yes"
        } else {
            "no"
        }
    ));
    Ok(s)
}
