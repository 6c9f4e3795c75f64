//! `cargo xtask bench`: side-by-side speed comparisons, reported as ratios
//! measured in the same run.
//!
//! For each study: our release binary on the study's default sweep, and the
//! numpy baseline of `../shared/baselines/` when a python3 with numpy is found
//! (`NEURODYN_BASELINE_PYTHON`, else `/tmp/nd-base/bin/python`, else `python3`).
//! Wall time, CPU time and peak memory of each command come from one small
//! Python wrapper (getrusage of the child), so both sides are measured alike.
//! Then the criterion micro-benchmarks (`cargo bench`: the rate-RNN block
//! step, the per-neuron RLS update with its GFLOP/s, power-law fits on 5e6
//! samples).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, root, run};

const MEASURE: &str = r#"
import json, resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
w = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": r.returncode, "wall_s": w, "cpu_s": u.ru_utime + u.ru_stime,
                  "max_rss_mb": u.ru_maxrss / 1024.0}))
"#;

/// As `MEASURE`, and the numbers the child printed on its last stdout line
/// (a JSON object): its own per-step figures, setup excluded.
const MEASURE_CHILD: &str = r#"
import json, resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
w = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
lines = r.stdout.strip().splitlines()
child = json.loads(lines[-1]) if r.returncode == 0 and lines else {}
print(json.dumps({"rc": r.returncode, "wall_s": w, "cpu_s": u.ru_utime + u.ru_stime,
                  "max_rss_mb": u.ru_maxrss / 1024.0,
                  "us_per_step": child.get("us_per_step", float("nan")),
                  "ns_per_delayed_read": child.get("ns_per_delayed_read", float("nan"))}))
"#;

struct Measured {
    wall_s: f64,
    cpu_s: f64,
    max_rss_mb: f64,
}

fn python_with(module: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("NEURODYN_BASELINE_PYTHON") {
        candidates.push(p.into());
    }
    candidates.push("/tmp/nd-base/bin/python".into());
    candidates.push("python3".into());
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn measure(python: &Path, cmd: &[&str], env: &[(&str, &str)]) -> Result<Measured> {
    Ok(measure_with(MEASURE, python, cmd, env)?.0)
}

/// `measure`, plus the child's own `us_per_step` and `ns_per_delayed_read`
/// (NaN where it prints none).
fn measure_child(
    python: &Path,
    cmd: &[&str],
    env: &[(&str, &str)],
) -> Result<(Measured, f64, f64)> {
    let (m, f) = measure_with(MEASURE_CHILD, python, cmd, env)?;
    Ok((m, f("us_per_step"), f("ns_per_delayed_read")))
}

type Fields = Box<dyn Fn(&str) -> f64>;

fn measure_with(
    script: &str,
    python: &Path,
    cmd: &[&str],
    env: &[(&str, &str)],
) -> Result<(Measured, Fields)> {
    let mut c = Command::new(python);
    c.arg("-c").arg(script).args(cmd).current_dir(root());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().with_context(|| format!("running {cmd:?}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("").to_string();
    let field = move |k: &str| -> f64 {
        line.split(&format!("\"{k}\": "))
            .nth(1)
            .and_then(|s| s.split([',', '}']).next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    if field("rc") != 0.0 {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let m = Measured {
        wall_s: field("wall_s"),
        cpu_s: field("cpu_s"),
        max_rss_mb: field("max_rss_mb"),
    };
    Ok((m, Box::new(field)))
}

fn report(name: &str, m: &Measured) {
    println!(
        "{name:<44} wall {:>8.2} s  cpu {:>8.2} s  peak {:>7.1} MB",
        m.wall_s, m.cpu_s, m.max_rss_mb
    );
}

pub fn main(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    // positional arguments pick sections (rnn-chaos, force-motifs,
    // ring-attractor, branching-avalanches, whole-brain, memory, criterion);
    // none: all of them
    let picked: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let known = [
        "rnn-chaos",
        "force-motifs",
        "ring-attractor",
        "branching-avalanches",
        "whole-brain",
        "memory",
        "scale-out",
        "criterion",
    ];
    if let Some(bad) = picked.iter().find(|p| !known.contains(p)) {
        bail!("unknown bench section {bad:?}: one of {}", known.join(", "));
    }
    let want = |s: &str| picked.is_empty() || picked.contains(&s);
    // with MPI where it can be built (the scale-out section needs it; the
    // binary runs alike without a launcher)
    let mpi = want("scale-out") && crate::with_mpi();
    let mut b = cargo();
    b.args(["build", "--release", "--package", "neurodyn-cli"]);
    if mpi {
        b.args(["--features", "mpi"]);
    }
    run(b)?;
    let bin = root().join("target/release/neurodyn");
    let bin = bin.to_str().context("utf-8 path")?;
    let tmp = std::env::temp_dir().join(format!("neurodyn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let out = tmp.join("out");
    let out_s = out.to_str().context("utf-8 path")?;

    let Some(py) = python_with("resource") else {
        bail!("bench needs python3 to measure wall time and peak memory alike on both sides");
    };
    if want("rnn-chaos") {
        println!(
            "== rnn-chaos: full default sweep (8 g x 5 sessions x 20 twin trials, 7000 steps) =="
        );
        let ours = measure(
            &py,
            &[
                bin,
                "run",
                "pipelines/rnn-chaos.toml",
                "--out",
                out_s,
                "--quiet",
            ],
            &[],
        )?;
        report("neurodyn run rnn-chaos (all cores)", &ours);
        let ours1 = measure(
            &py,
            &[
                bin,
                "run",
                "pipelines/rnn-chaos.toml",
                "--out",
                &format!("{out_s}-1"),
                "--quiet",
                "--threads",
                "1",
            ],
            &[],
        )?;
        report("neurodyn run rnn-chaos --threads 1", &ours1);
        let baseline = root().join("../shared/baselines/rnn_chaos_numpy.py");
        match python_with("numpy") {
            Some(np) if baseline.is_file() && !quick => {
                let json = tmp.join("baseline.json");
                let base = measure(
                    &py,
                    &[
                        np.to_str().context("utf-8 path")?,
                        baseline.to_str().context("utf-8 path")?,
                        "--model",
                        "seed",
                        "--sweep",
                        "--out",
                        json.to_str().context("utf-8 path")?,
                    ],
                    &[("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "1")],
                )?;
                report("numpy baseline rnn_chaos_numpy.py --sweep", &base);
                println!(
                    "speed-up: {:.1}x (all cores), {:.1}x (one thread); peak memory ratio {:.2}",
                    base.wall_s / ours.wall_s,
                    base.wall_s / ours1.wall_s,
                    ours.max_rss_mb / base.max_rss_mb
                );
            }
            _ => println!("(numpy baseline skipped: no python3 with numpy, or --quick)"),
        }
    }
    if want("force-motifs") {
        println!(
            "== force-motifs: one run (pqif 0.5, v_reset -12.3, seed 0; 16 loops, training in 1-10) =="
        );
        let one = tmp.join("force-one.toml");
        std::fs::write(
            &one,
            "[pipeline]\nname = \"force-one\"\nseed = 2024\n\
         [sweep]\npqif = [0.5]\nv_reset = [-12.3]\nseed = [0]\n\
         [stages.simulate]\nkind = \"lif-qif-force\"\n\
         [stages.analyse]\nkind = \"motifs-dimensionality\"\ninputs = [\"simulate\"]\n\
         [stages.tables]\nkind = \"force-tables\"\ninputs = [\"analyse\", \"simulate.loops\"]\n\
         [stages.figures]\nkind = \"force-figures\"\ninputs = [\"tables\", \"simulate.readout\", \"simulate.spikes\"]\n",
        )?;
        let one_s = one.to_str().context("utf-8")?;
        let f_all = measure(
            &py,
            &[
                bin,
                "run",
                one_s,
                "--out",
                &format!("{out_s}-f2"),
                "--quiet",
            ],
            &[],
        )?;
        report("neurodyn run (record, analyse, tables, figures)", &f_all);
        let f_one = measure(
            &py,
            &[
                bin,
                "run",
                one_s,
                "--out",
                &format!("{out_s}-f1"),
                "--quiet",
                "--threads",
                "1",
            ],
            &[],
        )?;
        report("same, --threads 1", &f_one);
        let force_base = root().join("../shared/baselines/force_numpy.py");
        match python_with("scipy") {
            Some(np) if force_base.is_file() && !quick => {
                let base = measure(
                    &py,
                    &[
                        np.to_str().context("utf-8 path")?,
                        force_base.to_str().context("utf-8 path")?,
                        "--pqif",
                        "0.5",
                        "--vrest",
                        "-12.3",
                        "--seed",
                        "0",
                    ],
                    &[("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "1")],
                )?;
                report("numpy baseline force_numpy.py (no CSV writes)", &base);
                println!(
                    "speed-up: {:.1}x (all cores), {:.1}x (one thread)",
                    base.wall_s / f_all.wall_s,
                    base.wall_s / f_one.wall_s
                );
            }
            _ => println!("(numpy baseline skipped: no python3 with numpy and scipy, or --quick)"),
        }
        if !quick {
            let sweep = measure(
                &py,
                &[
                    bin,
                    "run",
                    "pipelines/force-motifs.toml",
                    "--out",
                    &format!("{out_s}-fs"),
                    "--quiet",
                ],
                &[],
            )?;
            report("neurodyn run force-motifs (full default sweep)", &sweep);
        }
    }
    if want("ring-attractor") {
        println!(
            "== ring-attractor: four 5-s simulations (original set, the four serotonin conditions, one seed) =="
        );
        let ring = tmp.join("ring-four.toml");
        std::fs::write(
            &ring,
            "[pipeline]\nname = \"ring-four\"\nseed = 42\n\
         [sweep]\nparameter_set = [\"original\"]\nseed = [0]\n\
         [stages.simulate]\nkind = \"ring-attractor\"\n\
         [stages.analyse]\nkind = \"bump-persistence\"\ninputs = [\"simulate\"]\n\
         [stages.fi_curves]\nkind = \"fi-curves\"\n\
         [stages.tables]\nkind = \"ring-tables\"\ninputs = [\"analyse\"]\n\
         [stages.figures]\nkind = \"ring-figures\"\ninputs = [\"tables\", \"fi_curves\", \"simulate\", \"analyse.bump\"]\n",
        )?;
        let ring_s = ring.to_str().context("utf-8")?;
        let ring_out = format!("{out_s}-ring");
        let whole = measure(
            &py,
            &[bin, "run", ring_s, "--out", &ring_out, "--quiet"],
            &[],
        )?;
        report("neurodyn run (simulate .. figures, GIF)", &whole);
        // The simulations alone (spikes and traces recorded to Parquet): rerun
        // only `simulate`, on one thread and on all cores.
        let sim1 = measure(
            &py,
            &[
                bin,
                "run",
                ring_s,
                "--out",
                &ring_out,
                "--quiet",
                "--force",
                "simulate",
                "--threads",
                "1",
            ],
            &[],
        )?;
        report("simulate only, --threads 1 (4 runs)", &sim1);
        let sim_all = measure(
            &py,
            &[
                bin, "run", ring_s, "--out", &ring_out, "--quiet", "--force", "simulate",
            ],
            &[],
        )?;
        report("simulate only, all cores (4 runs)", &sim_all);
        println!(
            "per 5-s simulation: {:.3} s on one thread (process start-up included), peak {:.1} MB",
            sim1.wall_s / 4.0,
            sim1.max_rss_mb
        );
        let ring_base = root().join("../shared/baselines/ring_numpy.py");
        let params = root().join("../shared/baselines/params_original.yaml");
        match python_with("yaml") {
            Some(np) if ring_base.is_file() && !quick => {
                let base = measure(
                    &py,
                    &[
                        np.to_str().context("utf-8 path")?,
                        ring_base.to_str().context("utf-8 path")?,
                        "--params",
                        params.to_str().context("utf-8 path")?,
                        "--engine",
                        "event",
                    ],
                    &[("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "1")],
                )?;
                report("numpy baseline ring_numpy.py --engine event", &base);
                println!(
                    "speed-up (simulations): {:.1}x (one thread), {:.1}x (all cores)",
                    base.wall_s / sim1.wall_s,
                    base.wall_s / sim_all.wall_s
                );
            }
            _ => println!("(numpy baseline skipped: no python3 with numpy and pyyaml, or --quick)"),
        }
    }
    if want("branching-avalanches") {
        println!(
            "== branching-avalanches: 1e5 critical avalanches simulated and segmented, KS to the exact laws, 1e5 driven avalanches =="
        );
        let mut b = cargo();
        b.args([
            "build",
            "--release",
            "--package",
            "neurodyn-pipeline",
            "--example",
            "avalanche_baseline_work",
        ]);
        run(b)?;
        let work = root().join("target/release/examples/avalanche_baseline_work");
        let work = work.to_str().context("utf-8 path")?;
        let ours = measure(&py, &[work], &[])?;
        report("neurodyn (example avalanche_baseline_work)", &ours);
        let ours1 = measure(&py, &[work], &[("RAYON_NUM_THREADS", "1")])?;
        report("the same, one thread", &ours1);
        let br_base = root().join("../shared/baselines/branching_numpy.py");
        match python_with("scipy") {
            Some(np) if br_base.is_file() && !quick => {
                // the script writes an .npz beside itself: run a copy
                let copy = tmp.join("branching_numpy.py");
                std::fs::copy(&br_base, &copy)?;
                std::fs::create_dir_all(tmp.join("out"))?;
                let base = measure(
                    &py,
                    &[
                        np.to_str().context("utf-8 path")?,
                        copy.to_str().context("utf-8 path")?,
                        "--part",
                        "avalanches",
                        "--no-powerlaw",
                        "--out",
                        tmp.join("branching.json").to_str().context("utf-8 path")?,
                    ],
                    &[("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "1")],
                )?;
                report("numpy baseline branching_numpy.py", &base);
                println!(
                    "speed-up: {:.1}x (all cores), {:.1}x (one thread)",
                    base.wall_s / ours.wall_s,
                    base.wall_s / ours1.wall_s
                );
            }
            _ => println!("(numpy baseline skipped: no python3 with numpy and scipy, or --quick)"),
        }
    }
    if want("whole-brain") {
        println!(
            "== whole-brain: Hopf on a random connectome, 10 s at dt 0.1 ms (the work of hopf_numpy.py) =="
        );
        let mut b = cargo();
        b.args([
            "build",
            "--release",
            "--package",
            "neurodyn-models",
            "--example",
            "hopf_baseline_work",
        ]);
        run(b)?;
        let work = root().join("target/release/examples/hopf_baseline_work");
        let work = work.to_str().context("utf-8 path")?;
        let hopf_base = root().join("../shared/baselines/hopf_numpy.py");
        let numpy = python_with("numpy").filter(|_| hopf_base.is_file() && !quick);
        for n in ["68", "400"] {
            let mut rows = Vec::new();
            for (what, integ, threads) in [
                ("euler, all cores", "euler", None),
                ("euler, one thread", "euler", Some("1")),
                ("heun, one thread", "heun", Some("1")),
            ] {
                let env: Vec<(&str, &str)> = threads
                    .map(|t| vec![("RAYON_NUM_THREADS", t)])
                    .unwrap_or_default();
                let (m, us, ns) = measure_child(&py, &[work, n, integ, "10000"], &env)?;
                report(&format!("N {n}: neurodyn {what}"), &m);
                println!("{:<44} {us:>8.2} us/step  {ns:.2} ns per delayed read", "");
                rows.push((what, us, m.max_rss_mb));
            }
            match &numpy {
                Some(np) => {
                    let (m, us, _) = measure_child(
                        &py,
                        &[
                            np.to_str().context("utf-8 path")?,
                            hopf_base.to_str().context("utf-8 path")?,
                            "--N",
                            n,
                        ],
                        &[("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "1")],
                    )?;
                    report(&format!("N {n}: numpy hopf_numpy.py (exp_euler)"), &m);
                    println!("{:<44} {us:>8.2} us/step", "");
                    for (what, ours, mb) in rows {
                        println!(
                            "N {n}: speed-up per step, {what}: {:.1}x (peak {mb:.0} MB vs {:.0} MB)",
                            us / ours,
                            m.max_rss_mb
                        );
                    }
                }
                None => println!("(numpy baseline skipped: no python3 with numpy, or --quick)"),
            }
        }
    }
    if want("memory") {
        println!("== peak memory vs simulated duration (one network, g = 10) ==");
        for steps in [7000u32, 70_000] {
            let spec = tmp.join(format!("mem-{steps}.toml"));
            std::fs::write(
                &spec,
                format!(
                    "[pipeline]\nname = \"mem-{steps}\"\n[sweep]\ng = [10.0]\nsession = [1]\n\
                     [stages.simulate]\nkind = \"rate-rnn-twins\"\nsteps = {steps}\n\
                     [stages.lyapunov]\nkind = \"lyapunov\"\ninputs = [\"simulate\"]\n"
                ),
            )?;
            let m = measure(
                &py,
                &[
                    bin,
                    "run",
                    spec.to_str().context("utf-8")?,
                    "--out",
                    out_s,
                    "--quiet",
                ],
                &[],
            )?;
            report(&format!("{steps} steps ({} s simulated)", steps / 1000), &m);
        }
    }
    if want("scale-out") {
        scale_out(&py, bin, &out, mpi, if quick { 1 } else { 3 })?;
    }
    std::fs::remove_dir_all(&tmp).ok();

    if !quick && want("criterion") {
        let mut c = cargo();
        c.args([
            "bench",
            "--package",
            "neurodyn-models",
            "--package",
            "neurodyn-learning",
            "--package",
            "neurodyn-analysis",
            "--package",
            "neurodyn-pipeline",
        ]);
        run(c)?;
    }
    Ok(())
}

/// Wall time of the rnn-chaos sweep (every stage) run as one process at 1
/// and 2 threads, as 2 shards at once (one thread each, the last to finish
/// aggregates), and under `mpirun -np R` for R in `NEURODYN_BENCH_RANKS`
/// (default 1,2): `rounds` rounds, each running every variant once in the
/// same order (paired), into a fresh folder; medians, and parallel
/// efficiency T(1 rank) / (R T(R ranks)).
fn scale_out(py: &Path, bin: &str, out: &Path, mpi: bool, rounds: usize) -> Result<()> {
    println!("== scale-out: rnn-chaos, full default sweep, {rounds} paired rounds, medians ==");
    let ranks: Vec<usize> = std::env::var("NEURODYN_BENCH_RANKS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .map(|r| {
            r.trim()
                .parse()
                .context("NEURODYN_BENCH_RANKS: whole numbers")
        })
        .collect::<Result<_>>()?;
    if !mpi {
        println!("(MPI rows skipped: no mpirun with libclang to build neurodyn's `mpi` feature)");
    }
    let dir = |name: &str| out.join(format!("scale-{name}"));
    let out_of = |name: &str| dir(name).to_string_lossy().into_owned();
    let mut variants: Vec<(String, Vec<String>)> = Vec::new();
    for t in [1, 2] {
        variants.push((
            format!("one process, --threads {t}"),
            vec![
                bin.into(),
                "run".into(),
                "pipelines/rnn-chaos.toml".into(),
                "--quiet".into(),
                "--threads".into(),
                t.to_string(),
                "--out".into(),
                out_of(&format!("t{t}")),
            ],
        ));
    }
    let shard = |i: usize| {
        format!(
            "{bin} run pipelines/rnn-chaos.toml --quiet --threads 1 --shard {i}/2 --then-aggregate --out {} > /dev/null",
            out_of("shards")
        )
    };
    variants.push((
        "2 shards at once, --threads 1 each".into(),
        vec![
            "bash".into(),
            "-c".into(),
            format!("{} & {} & wait", shard(1), shard(2)),
        ],
    ));
    if mpi {
        for &r in &ranks {
            variants.push((
                format!("mpirun -np {r} (1 thread per rank)"),
                vec![
                    "mpirun".into(),
                    "--allow-run-as-root".into(),
                    "--oversubscribe".into(),
                    "-np".into(),
                    r.to_string(),
                    bin.into(),
                    "run".into(),
                    "pipelines/rnn-chaos.toml".into(),
                    "--quiet".into(),
                    "--out".into(),
                    out_of(&format!("np{r}")),
                ],
            ));
        }
    }
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut peaks: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (v, (_, cmd)) in variants.iter().enumerate() {
            // every variant computes the whole sweep
            for d in ["t1", "t2", "shards"]
                .iter()
                .map(|d| d.to_string())
                .chain(ranks.iter().map(|r| format!("np{r}")))
            {
                std::fs::remove_dir_all(dir(&d)).ok();
            }
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let m = measure(py, &args, &[])?;
            walls[v].push(m.wall_s);
            peaks[v].push(m.max_rss_mb);
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let one_rank = variants
        .iter()
        .position(|(n, _)| n.starts_with("mpirun -np 1 "));
    for (v, (name, _)) in variants.iter().enumerate() {
        let w = median(&walls[v]);
        let runs: Vec<String> = walls[v].iter().map(|x| format!("{x:.2}")).collect();
        let mut line = format!(
            "{name:<40} wall {w:>7.2} s (runs {})  peak of one process {:>6.1} MB",
            runs.join(", "),
            median(&peaks[v])
        );
        if let (Some(r), Some(o)) = (
            name.strip_prefix("mpirun -np ")
                .and_then(|t| t.split(' ').next())
                .and_then(|t| t.parse::<f64>().ok()),
            one_rank,
        ) {
            let e = median(&walls[o]) / (r * w);
            line.push_str(&format!("  efficiency {:.0} %", 100.0 * e));
        }
        println!("{line}");
    }
    println!(
        "({} cores here; more ranks than cores share them)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    Ok(())
}
