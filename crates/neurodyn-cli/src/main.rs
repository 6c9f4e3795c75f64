//! `neurodyn`: run, inspect and clean pipelines; analyse recordings.
//!
//! Exit codes: 0 success, 1 a run failed, 2 a bad pipeline file, bad
//! arguments or bad input data.

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
    /// Delete a pipeline's outputs.
    Clean {
        /// A pipeline file, or a name in pipelines/.
        pipeline: String,
        /// Output root.
        #[arg(long, default_value = "data/out")]
        out: PathBuf,
    },
    /// Analyse your own recording (Parquet, CSV or TSV) as the pipelines do.
    #[command(subcommand)]
    Analyze(analyze::Analyze),
    /// Inspect, convert (TVB zip <-> CSV/TSV matrices) or generate connectomes.
    #[command(subcommand)]
    Connectome(connectome::ConnectomeCmd),
}

fn resolve(pipeline: &str) -> PathBuf {
    let p = Path::new(pipeline);
    if p.extension().is_some() || p.components().count() > 1 {
        p.to_path_buf()
    } else {
        Path::new("pipelines").join(format!("{pipeline}.toml"))
    }
}

fn load(pipeline: &str) -> Result<Pipeline, PipelineError> {
    Ok(Pipeline::load(&resolve(pipeline))?)
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
        println!("{stage:>w$}: {ran} ran, {fresh} fresh");
    }
    for n in &report.notes {
        println!("note: {n}");
    }
    if report.pruned > 0 {
        println!(
            "removed {} partitions no longer in the sweep",
            report.pruned
        );
    }
    println!(
        "{name} done in {:.2} s; outputs in {}",
        report.elapsed_s,
        plan.pipeline_dir.display()
    );
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
        } => {
            let p = load(&pipeline)?;
            let plan = Plan::new(&p, &out);
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
                    println!("({} MPI ranks)", ranked.size);
                } else {
                    for n in &ranked.report.notes {
                        println!("rank {}: note: {n}", ranked.rank);
                    }
                }
                return Ok(());
            }
            let report = runner::run(&plan, &opts)?;
            print_report(&report, &p.name, &plan);
        }
        Command::Status {
            pipeline,
            out,
            verbose,
        } => {
            let p = load(&pipeline)?;
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
                            println!("  {}: {label}: running ({h})", def.name);
                        }
                        continue;
                    }
                    match status {
                        Status::Fresh => fresh += 1,
                        Status::Missing => {
                            missing += 1;
                            if verbose {
                                println!("  {}: {label}: missing", def.name);
                            }
                        }
                        Status::Stale(why) => {
                            stale += 1;
                            let w = why.join("; ");
                            if verbose {
                                println!("  {}: {label}: stale: {w}", def.name);
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
                println!(
                    "{:>w$}: {fresh} fresh, {stale} stale, {missing} missing{running}",
                    def.name
                );
                for r in reasons {
                    println!("{:>w$}  stale because {r}", "");
                }
            }
        }
        Command::List { dir } => {
            println!("pipelines in {}:", dir.display());
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                match Pipeline::load(&f) {
                    Ok(p) => println!(
                        "  {:<28} {} sweep points, {} stages",
                        f.file_stem().unwrap_or_default().to_string_lossy(),
                        p.points().len(),
                        p.stages.len()
                    ),
                    Err(e) => println!("  {:<22} invalid: {e}", f.display()),
                }
            }
        }
        Command::Stages { name: None } => {
            print!("{}", neurodyn_pipeline::library::listing());
            println!("`neurodyn stages NAME` describes one; docs/stages.md describes them all.");
        }
        Command::Stages { name: Some(name) } => match neurodyn_pipeline::library::find(&name) {
            Some(k) => print!("{}", neurodyn_pipeline::library::describe(&k)),
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
        Command::Clean { pipeline, out } => {
            let p = load(&pipeline)?;
            let dir = out.join(&p.name);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing {}", dir.display()))?;
                println!("removed {}", dir.display());
            } else {
                println!("nothing to clean at {}", dir.display());
            }
        }
        Command::Analyze(what) => analyze::run(what)?,
        Command::Connectome(what) => connectome::run(what)?,
    }
    Ok(())
}
