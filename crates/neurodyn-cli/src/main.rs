//! `neurodyn`: run, inspect and clean pipelines; analyse recordings.
//!
//! Exit codes: 0 success, 1 a run failed, 2 a bad pipeline file, bad
//! arguments or bad input data.

/// `println!` that ends the process quietly when stdout is closed
/// (`neurodyn status | head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::to_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with the same care as [`out!`].
macro_rules! out_part {
    ($($arg:tt)*) => {
        $crate::to_stdout(format_args!($($arg)*))
    };
}

/// Write to stdout for [`out!`] and [`out_part!`]: exit 0 when the reader
/// has gone (a closed pipe), panic on any other failure, as `print!` does.
fn to_stdout(text: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().write_fmt(text) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        panic!("writing to stdout: {e}");
    }
}

mod analyze;
mod connectome;
#[cfg(feature = "mpi")]
mod mpi;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use neurodyn_pipeline::{Pipeline, PipelineError, Plan, RunOptions, Status, runner};

#[derive(Parser)]
#[command(
    name = "neurodyn",
    version,
    about = "Reproducible neural-dynamics pipelines"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline: only what is missing or stale is computed.
    Run {
        /// A pipeline file, or a name in pipelines/ (`rnn-chaos`).
        pipeline: String,
        /// Rerun this stage even if fresh (repeatable).
        #[arg(long)]
        force: Vec<String>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Output root.
        #[arg(long, default_value = "data/out")]
        out: PathBuf,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
        /// Run only shard I of K of the sweep points (I = 1..K; balanced by
        /// the points' expected work where a stage estimates it, else round
        /// robin), e.g. `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
        /// Stages across the sweep are left to a later plain run.
        #[arg(long, value_name = "I/K", value_parser = runner::Shard::parse)]
        shard: Option<runner::Shard>,
        /// With --shard: then run the stages across the sweep if every point
        /// is done (whichever shard finishes last does it).
        #[arg(long, requires = "shard")]
        then_aggregate: bool,
        /// The memory one stage instance may use, such as 8G or 500M
        /// (default: the memory available when the run starts). A point
        /// whose estimate exceeds it is refused before anything runs.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_memory: Option<u64>,
    },
    /// Redraw a pipeline's figures from its existing tables: only the
    /// figure stages run (every other instance must be fresh).
    Plot {
        /// A pipeline file, or a name in pipelines/.
        pipeline: String,
        /// Only this figure stage (default: all of them).
        stage: Option<String>,
        /// Output root.
        #[arg(long, default_value = "data/out")]
        out: PathBuf,
    },
    /// Show which stage instances are fresh, stale (and why) or missing.
    Status {
        /// A pipeline file, or a name in pipelines/.
        pipeline: String,
        /// Output root.
        #[arg(long, default_value = "data/out")]
        out: PathBuf,
        /// List every instance, not only a summary per stage.
        #[arg(long, short)]
        verbose: bool,
    },
    /// List the pipelines in pipelines/ (`neurodyn stages` lists the stage kinds).
    List {
        /// Folder of pipeline files.
        #[arg(long, default_value = "pipelines")]
        dir: PathBuf,
    },
    /// List the stage kinds a pipeline file can compose, or describe one:
    /// its parameters (defaults, units, allowed values), inputs and outputs.
    Stages {
        /// A kind (`avalanches`); none: list them all.
        name: Option<String>,
    },
    /// Delete a pipeline's outputs, or one stage's (listing each file).
    Clean {
        /// A pipeline file, or a name in pipelines/.
        pipeline: String,
        /// Output root.
        #[arg(long, default_value = "data/out")]
        out: PathBuf,
        /// Only this stage's files and manifests.
        #[arg(long)]
        stage: Option<String>,
    },
    /// Analyse your own recording (Parquet, CSV or TSV) as the pipelines do.
    #[command(subcommand)]
    Analyze(analyze::Analyze),
    /// Inspect, convert (TVB zip <-> CSV/TSV matrices) or generate connectomes.
    #[command(subcommand)]
    Connectome(connectome::ConnectomeCmd),
}

/// A pipeline argument: the path of a file (it has an extension or a
/// folder, or exists), else a name in `./pipelines/`. A name that is not
/// there is a bad argument (exit 2) naming where it was looked for and the
/// names that are.
fn resolve(pipeline: &str) -> Result<PathBuf> {
    let p = Path::new(pipeline);
    if p.extension().is_some() || p.components().count() > 1 || p.is_file() {
        return Ok(p.to_path_buf());
    }
    let in_folder = Path::new("pipelines").join(format!("{pipeline}.toml"));
    if in_folder.is_file() {
        return Ok(in_folder);
    }
    let here = here();
    let names = pipeline_files(Path::new("pipelines"))
        .map(|f| {
            f.iter()
                .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Err(analyze::BadInput(if names.is_empty() {
        format!(
            "no pipeline named `{pipeline}`: there is no pipelines/ folder in {here}; give the path of a pipeline file (`neurodyn run path/to/{pipeline}.toml`), or run from the folder that holds pipelines/"
        )
    } else {
        format!(
            "no pipeline named `{pipeline}` in {here}/pipelines (pipelines there: {names}); or give the path of a pipeline file"
        )
    })
    .into())
}

/// Files under `dir` (or 1 for a file).
fn count_files(dir: &Path) -> usize {
    if !dir.is_dir() {
        return 1;
    }
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| count_files(&e.path()))
        .sum()
}

/// The current folder, for messages.
fn here() -> String {
    std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| ".".into())
}

/// The `.toml` files of `dir`, sorted.
fn pipeline_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

fn load(pipeline: &str) -> Result<(Pipeline, PathBuf)> {
    let path = resolve(pipeline)?;
    Ok((Pipeline::load(&path).map_err(PipelineError::from)?, path))
}

/// The file naming the pipeline file that last ran into an output folder
/// (under `_manifests/`, which dataset readers skip).
fn source_record(pipeline_dir: &Path) -> PathBuf {
    pipeline_dir.join("_manifests").join("pipeline-file.txt")
}

/// Warn when `pipeline_dir` was last written from another pipeline file
/// (an edited copy that kept `[pipeline].name`), then record this one.
fn note_source(pipeline_dir: &Path, file: &Path) -> Result<()> {
    let this = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let record = source_record(pipeline_dir);
    if let Ok(last) = std::fs::read_to_string(&record) {
        let last = last.trim();
        if !last.is_empty() && Path::new(last) != this {
            eprintln!(
                "warning: {} was last written from {last}, not from {}: both files name the pipeline `{}`. Outputs this file does not share are recomputed, and the other file's become stale; give the copy its own [pipeline] name to keep both",
                pipeline_dir.display(),
                this.display(),
                pipeline_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
        }
    }
    if let Some(parent) = record.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    neurodyn_io::atomic::write_atomic(&record, format!("{}\n", this.display()).as_bytes())
        .with_context(|| format!("writing {}", record.display()))?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        #[cfg(feature = "mpi")]
        Err(e) if e.downcast_ref::<mpi::Reported>().is_some() => ExitCode::from(1),
        Err(e) => {
            let spec = e
                .downcast_ref::<PipelineError>()
                .is_some_and(|p| matches!(p, PipelineError::Spec(_)))
                || e.downcast_ref::<analyze::BadInput>().is_some();
            eprintln!("error: {e:#}");
            ExitCode::from(if spec { 2 } else { 1 })
        }
    }
}

/// What a run did, per stage, its notes, and where its outputs are.
fn print_report(report: &runner::RunReport, name: &str, plan: &Plan<'_>) {
    let w = report
        .stages
        .iter()
        .map(|s| s.0.len())
        .max()
        .unwrap_or(0)
        .max(12);
    for (stage, ran, fresh) in &report.stages {
        out!("{stage:>w$}: {ran} ran, {fresh} fresh");
    }
    for n in &report.notes {
        out!("note: {n}");
    }
    if report.pruned > 0 {
        out!(
            "removed {} partitions no longer in the sweep",
            report.pruned
        );
    }
    out!(
        "{name} done in {:.2} s; outputs in {}",
        report.elapsed_s,
        plan.pipeline_dir.display()
    );
}

/// A size in bytes: a number with an optional K, M, G or T (powers of
/// 1024; a trailing B or iB is allowed), such as `8G` or `500MiB`.
fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    match num.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x * ((1u64 << shift) as f64) < 1.8e19 => {
            Ok((x * (1u64 << shift) as f64) as u64)
        }
        _ => Err(format!(
            "\"{s}\": expected a size > 0 such as 8G, 500M or 2.5G (K, M, G, T: powers of 1024)"
        )),
    }
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Run {
            pipeline,
            force,
            threads,
            out,
            quiet,
            shard,
            then_aggregate,
            max_memory,
        } => {
            if let Some(b) = max_memory {
                neurodyn_pipeline::set_memory_budget(b);
            }
            let (p, file) = load(&pipeline)?;
            let plan = Plan::new(&p, &out);
            // only one process records the source: a plain run, or rank 0
            #[cfg(feature = "mpi")]
            let record = mpi::launcher_rank().is_none_or(|r| r == 0);
            #[cfg(not(feature = "mpi"))]
            let record = true;
            if record {
                note_source(&plan.pipeline_dir, &file)?;
            }
            // Ctrl-C: remove the hidden temporaries of files being written, then
            // stop. Completed files and manifests stay; the next run resumes.
            let dir = plan.pipeline_dir.clone();
            ctrlc::set_handler(move || {
                // no temporary file can be created once this returns
                neurodyn_io::atomic::abandon_all();
                // this process's temporaries are gone; others' are theirs
                let _ = neurodyn_io::atomic::remove_stale_temps(&dir);
                eprintln!("interrupted: completed instances are kept; run again to finish");
                std::process::exit(130);
            })
            .context("installing the Ctrl-C handler")?;
            let opts = RunOptions {
                force,
                threads,
                quiet,
                shard,
                then_aggregate,
            };
            #[cfg(feature = "mpi")]
            if mpi::launched() {
                let ranked = mpi::run(&plan, opts)?;
                if ranked.rank == 0 {
                    print_report(&ranked.report, &p.name, &plan);
                    out!("({} MPI ranks)", ranked.size);
                } else {
                    for n in &ranked.report.notes {
                        out!("rank {}: note: {n}", ranked.rank);
                    }
                }
                return Ok(());
            }
            let report = runner::run(&plan, &opts)?;
            print_report(&report, &p.name, &plan);
        }
        Command::Plot {
            pipeline,
            stage,
            out,
        } => {
            let (p, _) = load(&pipeline)?;
            let draws: Vec<&str> = p
                .stages
                .iter()
                .filter(|(d, _)| d.draws)
                .map(|(d, _)| d.name)
                .collect();
            let chosen: Vec<String> = match &stage {
                None => draws.iter().map(|s| s.to_string()).collect(),
                Some(s) if draws.contains(&s.as_str()) => vec![s.clone()],
                Some(s) => {
                    return Err(analyze::BadInput(format!(
                        "`{s}` is not a figure stage of {}; figure stages: {}",
                        p.name,
                        if draws.is_empty() {
                            "none".to_string()
                        } else {
                            draws.join(", ")
                        }
                    ))
                    .into());
                }
            };
            if chosen.is_empty() {
                return Err(analyze::BadInput(format!("{} has no figure stage", p.name)).into());
            }
            let plan = Plan::new(&p, &out);
            // nothing but the figures may run: every other instance is fresh
            let mut not_fresh: Vec<(String, usize)> = Vec::new();
            for inst in &plan.instances {
                let (def, _) = &p.stages[inst.stage];
                if def.draws || plan.status(inst) == Status::Fresh {
                    continue;
                }
                match not_fresh.iter_mut().find(|(n, _)| n == def.name) {
                    Some((_, k)) => *k += 1,
                    None => not_fresh.push((def.name.to_string(), 1)),
                }
            }
            if !not_fresh.is_empty() {
                let what: Vec<String> = not_fresh
                    .iter()
                    .map(|(n, k)| format!("{k} of stage {n}"))
                    .collect();
                anyhow::bail!(
                    "{} instances are not up to date ({}): run `neurodyn run {pipeline}` first; plot only redraws figures",
                    not_fresh.iter().map(|(_, k)| k).sum::<usize>(),
                    what.join(", ")
                );
            }
            let report = runner::run(
                &plan,
                &RunOptions {
                    force: chosen.clone(),
                    quiet: true,
                    ..Default::default()
                },
            )?;
            let recomputed: usize = report
                .stages
                .iter()
                .filter(|(n, _, _)| !chosen.contains(n))
                .map(|(_, r, _)| r)
                .sum();
            for inst in plan
                .instances
                .iter()
                .filter(|i| chosen.iter().any(|c| c == p.stages[i.stage].0.name))
            {
                let listed = Plan::read_manifest(&inst.manifest);
                for f in listed.into_iter().flat_map(|m| m.files) {
                    out!("{}", inst.dir.join(&f.path).display());
                }
            }
            out!(
                "redrew {} in {:.2} s; {recomputed} other instances recomputed",
                chosen.join(", "),
                report.elapsed_s
            );
        }
        Command::Status {
            pipeline,
            out,
            verbose,
        } => {
            let (p, _) = load(&pipeline)?;
            let plan = Plan::new(&p, &out);
            for (si, (def, _)) in p.stages.iter().enumerate() {
                let (mut fresh, mut stale, mut missing, mut running) = (0, 0, 0, 0);
                let mut reasons: Vec<String> = Vec::new();
                for inst in plan.instances.iter().filter(|i| i.stage == si) {
                    let label = inst
                        .point
                        .as_ref()
                        .map(|p| p.label())
                        .unwrap_or_else(|| "(all)".into());
                    let status = plan.status(inst);
                    // a lock of an ended process of this host is stale: the
                    // next run takes it over
                    if status != Status::Fresh
                        && let Some(h) = plan.holder(inst).filter(|h| !h.is_dead_here())
                    {
                        running += 1;
                        if verbose {
                            out!("  {}: {label}: running ({h})", def.name);
                        }
                        continue;
                    }
                    match status {
                        Status::Fresh => fresh += 1,
                        Status::Missing => {
                            missing += 1;
                            if verbose {
                                out!("  {}: {label}: missing", def.name);
                            }
                        }
                        Status::Stale(why) => {
                            stale += 1;
                            let w = why.join("; ");
                            if verbose {
                                out!("  {}: {label}: stale: {w}", def.name);
                            }
                            if !reasons.contains(&w) {
                                reasons.push(w);
                            }
                        }
                    }
                }
                let w = p
                    .stages
                    .iter()
                    .map(|(d, _)| d.name.len())
                    .max()
                    .unwrap_or(0)
                    .max(12);
                let running = if running > 0 {
                    format!(", {running} running")
                } else {
                    String::new()
                };
                let memory = p
                    .memory_estimates
                    .iter()
                    .find(|(s, _)| *s == def.name)
                    .map(|(_, b)| {
                        format!(
                            "; about {} per instance",
                            neurodyn_pipeline::human_bytes(*b)
                        )
                    })
                    .unwrap_or_default();
                out!(
                    "{:>w$}: {fresh} fresh, {stale} stale, {missing} missing{running}{memory}",
                    def.name
                );
                for r in reasons {
                    out!("{:>w$}  stale because {r}", "");
                }
            }
        }
        Command::List { dir } => {
            let files = pipeline_files(&dir).map_err(|e| {
                analyze::BadInput(format!(
                    "cannot list {} (in {}): {e}; give the folder of your pipeline files with --dir",
                    dir.display(),
                    here()
                ))
            })?;
            out!("pipelines in {}:", dir.display());
            for f in files {
                match Pipeline::load(&f) {
                    Ok(p) => out!(
                        "  {:<28} {} sweep points, {} stages",
                        f.file_stem().unwrap_or_default().to_string_lossy(),
                        p.points().len(),
                        p.stages.len()
                    ),
                    Err(e) => out!("  {:<22} invalid: {e}", f.display()),
                }
            }
        }
        Command::Stages { name: None } => {
            out_part!("{}", neurodyn_pipeline::library::listing());
            out!("`neurodyn stages NAME` describes one; docs/stages.md describes them all.");
        }
        Command::Stages { name: Some(name) } => match neurodyn_pipeline::library::find(&name) {
            Some(k) => out_part!("{}", neurodyn_pipeline::library::describe(&k)),
            None => {
                let names: Vec<&str> = neurodyn_pipeline::library::kinds()
                    .iter()
                    .map(|k| k.name)
                    .collect();
                return Err(analyze::BadInput(format!(
                    "unknown stage kind \"{name}\"; kinds: {}",
                    names.join(", ")
                ))
                .into());
            }
        },
        Command::Clean {
            pipeline,
            out,
            stage,
        } => {
            let (p, _) = load(&pipeline)?;
            let dir = out.join(&p.name);
            let Some(stage) = stage else {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)
                        .with_context(|| format!("removing {}", dir.display()))?;
                    out!("removed {}", dir.display());
                } else {
                    out!("nothing to clean at {}", dir.display());
                }
                return Ok(());
            };
            let plan = Plan::new(&p, &out);
            let Some(si) = p.stages.iter().position(|(d, _)| d.name == stage) else {
                let names: Vec<&str> = p.stages.iter().map(|(d, _)| d.name).collect();
                return Err(analyze::BadInput(format!(
                    "--stage {stage}: no such stage in {}; stages: {}",
                    p.name,
                    names.join(", ")
                ))
                .into());
            };
            let folder = dir.join(stage.as_str());
            let per_point = p.stages[si].0.scope == neurodyn_pipeline::study::Scope::PerPoint;
            let mut removed: Vec<String> = Vec::new();
            if per_point {
                // the stage's folder goes whole (old sweeps' partitions and
                // its manifests too), one line per table dataset
                if folder.is_dir() {
                    let mut tables: Vec<PathBuf> = std::fs::read_dir(&folder)
                        .with_context(|| format!("reading {}", folder.display()))?
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .collect();
                    tables.sort();
                    for t in tables {
                        let n = count_files(&t);
                        removed.push(format!("{} ({n} files)", t.display()));
                    }
                    std::fs::remove_dir_all(&folder)
                        .with_context(|| format!("removing {}", folder.display()))?;
                }
            } else {
                // the files its manifest lists, then the manifest
                for inst in plan.instances.iter().filter(|i| i.stage == si) {
                    let listed = Plan::read_manifest(&inst.manifest);
                    for f in listed.into_iter().flat_map(|m| m.files) {
                        let path = inst.dir.join(&f.path);
                        if path.is_file() {
                            std::fs::remove_file(&path)
                                .with_context(|| format!("removing {}", path.display()))?;
                            removed.push(path.display().to_string());
                        }
                    }
                    if inst.manifest.is_file() {
                        std::fs::remove_file(&inst.manifest)
                            .with_context(|| format!("removing {}", inst.manifest.display()))?;
                        removed.push(inst.manifest.display().to_string());
                    }
                }
            }
            for r in &removed {
                out!("removed {r}");
            }
            if removed.is_empty() {
                out!("nothing of stage {stage} to clean under {}", dir.display());
            } else {
                out!("the next run recomputes stage {stage}");
            }
        }
        Command::Analyze(what) => analyze::run(what)?,
        Command::Connectome(what) => connectome::run(what)?,
    }
    Ok(())
}
