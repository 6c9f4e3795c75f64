//! The `neurodyn` binary: exit codes, error messages, and recovery from kill -9.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodyn"))
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Hidden temporary files of interrupted writes.
pub(crate) fn temps(dir: &Path) -> Vec<PathBuf> {
    files(dir, "")
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp-"))
        .collect()
}

pub(crate) fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap().to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_bad_pipeline_file_exits_2_names_the_place_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[pipeline]\nname = \"x\"\n[stages.simulate]\nkind = \"rate-rnn-twins\"\nn = 200\ntau = 3\n",
            "bad.toml:6:1: key `stages.simulate.tau`: unknown key",
        ),
        (
            "[pipeline]\nname = \"x\"\n[stages.simulate]\nkind = \"rate-rnn-twins\"\nn = \"many\"\n",
            "bad.toml:5:5: key `stages.simulate.n`: expected an integer in [2, 100000], found a string",
        ),
        (
            "[pipeline]\nname = \"x\"\n[stages.simulate]\nkind = \"rate-rnn-twins\"\np = 1.5\n",
            "bad.toml:5:5: key `stages.simulate.p`: 1.5 is out of range: expected a number in (0, 1]",
        ),
        (
            "[pipeline]\nname = \"x\"\n[sweep]\ng = [1.0, -2.0]\n[stages.simulate]\nkind = \"rate-rnn-twins\"\n",
            "bad.toml:4:11: key `sweep.g`: -2 is out of range",
        ),
        (
            "[pipeline]\nname = \"x\"\n[stages.simulate]\nkind = \"rate-rnn-twins\"\nn = 10\n[stages.simulate.record]\nunits = [12]\n",
            "key `stages.simulate.record.units`: unit 12 is not below n = 10",
        ),
    ];
    for (text, want) in cases {
        let f = write(tmp.path(), "bad.toml", text);
        let out = bin()
            .args(["run", f.to_str().unwrap(), "--out"])
            .arg(tmp.path().join("out"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "expected `{want}` in `{err}`");
        assert!(!tmp.path().join("out").exists(), "something was written");
    }
}

#[test]
fn a_bad_shard_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "s.toml",
        &format!(
            "[pipeline]\nname = \"s\"\n{}",
            rnn_chaos_stages("steps = 20\n", "benettin_transient_steps = 5\n")
        ),
    );
    for (shard, want) in [
        (
            "0/3",
            "shard 0 of 3 does not exist; shards are numbered 1 to 3",
        ),
        ("4/3", "shard 4 of 3 does not exist"),
        ("a/b", "expected I/K"),
        ("1/0", "K = 0 shards"),
        ("2", "expected I/K"),
    ] {
        let out = bin()
            .args(["run", f.to_str().unwrap(), "--shard", shard, "--out"])
            .arg(tmp.path().join("out"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{shard}: {err}");
        assert!(err.contains(want), "{shard}: expected `{want}` in `{err}`");
        assert!(!tmp.path().join("out").exists(), "something was written");
    }
}

#[test]
fn the_slurm_recipe_runs_shards_then_aggregates_to_a_plain_runs_data() {
    // examples/slurm/*.sbatch run by bash as Slurm would run them: array
    // tasks 1 and 2 of 2, then the aggregate job
    let tmp = tempfile::tempdir().unwrap();
    let spec = write(
        tmp.path(),
        "arr.toml",
        &format!(
            "[pipeline]\nname = \"arr\"\n[sweep]\ng = [2.0, 9.0]\nsession = [1, 2]\n{}",
            rnn_chaos_stages(
                "steps = 300\ntrials = 4\n",
                "benettin_transient_steps = 50\n"
            )
        ),
    );
    let recipes = repo().join("examples/slurm");
    let sbatch = |script: &str, task: Option<u32>| {
        let mut c = Command::new("bash");
        c.arg(recipes.join(script))
            .env("PIPELINE", &spec)
            .env("OUT", tmp.path().join("out"))
            .env("NEURODYN", env!("CARGO_BIN_EXE_neurodyn"))
            .env("SLURM_CPUS_PER_TASK", "1");
        if let Some(t) = task {
            c.env("SLURM_ARRAY_TASK_ID", t.to_string())
                .env("SLURM_ARRAY_TASK_COUNT", "2");
        }
        let o = c.output().unwrap();
        assert!(
            o.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    for t in [1, 2] {
        let out = sbatch("shard.sbatch", Some(t));
        assert!(out.contains("simulate: 2 ran, 0 fresh"), "{out}");
        assert!(out.contains("tables: 0 ran, 0 fresh"), "{out}");
    }
    let out = sbatch("aggregate.sbatch", None);
    assert!(
        out.contains("simulate: 0 ran, 4 fresh") && out.contains("tables: 1 ran"),
        "{out}"
    );
    run(&spec, &tmp.path().join("plain"));
    assert_same_tables(&tmp.path().join("out/arr"), &tmp.path().join("plain/arr"));
}

/// The four stages of rnn-chaos, with `simulate` and `lyapunov` keys.
pub(crate) fn rnn_chaos_stages(simulate: &str, lyapunov: &str) -> String {
    format!(
        "[stages.simulate]\nkind = \"rate-rnn-twins\"\n{simulate}\
         [stages.lyapunov]\nkind = \"lyapunov\"\ninputs = [\"simulate\"]\n{lyapunov}\
         [stages.tables]\nkind = \"lyapunov-tables\"\ninputs = [\"lyapunov\", \"simulate.ends\"]\n\
         [stages.figures]\nkind = \"lyapunov-figures\"\ninputs = [\"tables\", \"simulate.activity\"]\n"
    )
}

/// `neurodyn run SPEC --quiet --threads 2 --out OUT`.
pub(crate) fn run_cmd(spec: &Path, out: &Path) -> Command {
    run_cmd_threads(spec, out, 2)
}

/// `neurodyn run SPEC --quiet --threads THREADS --out OUT`.
pub(crate) fn run_cmd_threads(spec: &Path, out: &Path, threads: usize) -> Command {
    let mut c = bin();
    c.args(["run", spec.to_str().unwrap(), "--quiet", "--threads"])
        .arg(threads.to_string())
        .arg("--out")
        .arg(out);
    c
}

/// The repository's root (the shipped pipelines, examples and data).
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The stdout of a command that must have succeeded (else its exit code,
/// stdout and stderr in the failure).
pub(crate) fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every table under `a` has a twin under `b` with the same bits, and the
/// other way round (and there is at least one).
pub(crate) fn assert_same_tables(a: &Path, b: &Path) {
    let (a, b) = (tables(a), tables(b));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for (k, v) in &a {
        assert!(b.get(k).is_some_and(|w| w.same_bits(v)), "{k} differs");
    }
}

pub(crate) fn run(spec: &Path, out: &Path) -> String {
    let o = run_cmd(spec, out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The number in `stage: N ran, M fresh` of a run's report.
pub(crate) fn ran(stdout: &str, stage: &str) -> usize {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{stage}:")))
        .unwrap_or_else(|| panic!("no {stage} line in {stdout}"));
    line.split(':')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub(crate) fn tables(dir: &Path) -> BTreeMap<String, neurodyn_core::record::MemoryTable> {
    files(dir, ".parquet")
        .into_iter()
        .map(|p| {
            let t = neurodyn_io::read_table(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.strip_prefix(dir).unwrap().display().to_string(), t)
        })
        .collect()
}

/// Start `neurodyn run` on a 24-network sweep named `name` (about a second
/// per network) and return once `done` simulate instances have completed,
/// with the run still going.
fn start_sweep(dir: &Path, name: &str, done: usize) -> (PathBuf, PathBuf, std::process::Child) {
    let spec = write(
        dir,
        &format!("{name}.toml"),
        &format!(
            "[pipeline]\nname = \"{name}\"\n[sweep]\ng = [2.0, 6.0, 10.0, 14.0, 18.0, 22.0]\nsession = [1, 2, 3, 4]\n{}",
            rnn_chaos_stages(
                "steps = 12000\ntrials = 8\n",
                "benettin_transient_steps = 100\n"
            )
        ),
    );
    let out = dir.join("out");
    let mut child = run_cmd(&spec, &out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sim = out.join(name).join("simulate");
    let t0 = Instant::now();
    while files(&sim, "_manifest.json").len() < done {
        assert!(t0.elapsed() < Duration::from_secs(300), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be stopped"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (spec, out, child)
}

#[test]
fn kill_9_mid_sweep_leaves_no_partial_file_and_the_rerun_completes_only_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let (spec, out, mut child) = start_sweep(tmp.path(), "big", 3);
    let sim = out.join("big/simulate");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let completed = files(&sim, "_manifest.json").len();
    assert!(completed < 24, "the sweep finished before the kill");
    // every visible Parquet file is complete and readable
    let visible = tables(&out.join("big"));
    assert!(!visible.is_empty());
    // interrupted writes stay under hidden temporary names that no reader lists
    for t in files(&out, ".parquet") {
        assert!(!t.file_name().unwrap().to_string_lossy().starts_with('.'));
    }
    // and outside every dataset folder (polars lists hidden files too)
    for t in temps(&out) {
        let folder = t.parent().unwrap();
        assert_eq!(folder, out.join("big/.neurodyn-tmp"), "{}", t.display());
    }

    let stdout = run(&spec, &out);
    assert_eq!(ran(&stdout, "simulate"), 24 - completed, "{stdout}");
    assert!(temps(&out).is_empty(), "temporary files left behind");

    let clean = tmp.path().join("clean");
    run(&spec, &clean);
    // the same as an uninterrupted run
    assert_same_tables(&out.join("big"), &clean.join("big"));
}

/// A one-stage Hopf sweep over `k`; Euler steps diverge at k = 1e4.
pub(crate) fn hopf_sweep(dir: &Path, k: &str) -> std::path::PathBuf {
    write(
        dir,
        "hopf.toml",
        &format!(
            "[pipeline]\nname = \"hopf\"\n[sweep]\nmodel = [\"hopf\"]\nk = [{k}]\nspeed = [10.0]\nseed = [0]\n\
             [stages.simulate]\nkind = \"neural-mass-network\"\nintegrator = \"euler\"\n\
             duration_ms = 100.0\ntransient_ms = 20.0\n[stages.simulate.noise]\nkind = \"none\"\n"
        ),
    )
}

#[test]
fn the_first_failing_point_stops_the_run_and_no_other_point_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // one worker: the diverging point is the first taken
    let spec = hopf_sweep(tmp.path(), "1e4, 0.1, 0.2, 0.5, 1.0, 2.0");
    let o = run_cmd_threads(&spec, &out, 1).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("model hopf diverged at k = 10000"), "{err}");
    assert!(
        err.contains("the run stopped there: 5 other sweep points did not start"),
        "{err}"
    );
    // nothing of the failed point, and no other point, was written
    assert!(files(&out, "_manifest.json").is_empty());
    assert!(files(&out, ".parquet").is_empty());
    assert!(temps(&out).is_empty());
}

#[test]
fn status_reports_fresh_stale_and_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"st\"\n[sweep]\ng = [1.0]\nsession = [1, 2]\n{}",
        rnn_chaos_stages(
            "n = 20\nsteps = 200\ntrials = 2\n",
            "benettin_transient_steps = 50\n"
        )
    );
    let spec = write(tmp.path(), "st.toml", &text);
    let out = tmp.path().join("out");
    let status = |spec: &Path| {
        let o = bin()
            .args(["status", spec.to_str().unwrap(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    assert!(status(&spec).contains("simulate: 0 fresh, 0 stale, 2 missing"));
    run(&spec, &out);
    assert!(status(&spec).contains("lyapunov: 2 fresh, 0 stale, 0 missing"));
    let spec2 = write(
        tmp.path(),
        "st.toml",
        &text.replace(
            "benettin_transient_steps = 50",
            "benettin_transient_steps = 60",
        ),
    );
    let s = status(&spec2);
    assert!(s.contains("simulate: 2 fresh, 0 stale, 0 missing"), "{s}");
    assert!(s.contains("lyapunov: 0 fresh, 2 stale, 0 missing"), "{s}");
    assert!(
        s.contains("stale because parameters changed: benettin_transient_steps"),
        "{s}"
    );
    assert!(s.contains("stale because inputs changed: lyapunov"), "{s}");
    // the memory an instance needs, estimated at load: at n = 3000 and
    // p = 0.1, 28 p n^2 bytes of connectivity, 4 x 8 n per trial of states
    // and 100 MB for the process make 125.4 MB
    let spec3 = write(
        tmp.path(),
        "st3.toml",
        &text.replace("n = 20\n", "n = 3000\n"),
    );
    let s = status(&spec3);
    assert!(
        s.lines().any(|l| l.trim_start().starts_with("simulate:")
            && l.ends_with("; about 125 MB per instance")),
        "{s}"
    );
}

#[test]
fn ctrl_c_stops_with_130_and_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out, mut child) = start_sweep(tmp.path(), "int", 2);
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let left = temps(&out);
    assert!(left.is_empty(), "temporary files left: {left:?}");
    for p in files(&out, ".parquet") {
        neurodyn_io::read_table(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

/// `connectome example`, `export` to CSV/TSV and `import` back give the same
/// connectome (labels, weights and distances to the bit); `info` reports
/// its size and delays; bad matrices exit 2, name the file and write
/// nothing.
#[test]
fn connectome_example_export_import_round_trip_and_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let zip = d.join("ex.zip");
    let ok = |args: &[&str]| {
        let o = bin().args(args).current_dir(d).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    ok(&[
        "connectome",
        "example",
        "--regions",
        "12",
        "--seed",
        "4",
        "--output",
        "ex.zip",
    ]);
    ok(&[
        "connectome",
        "export",
        "ex.zip",
        "--weights",
        "w.csv",
        "--distances",
        "d.tsv",
    ]);
    ok(&[
        "connectome",
        "import",
        "--weights",
        "w.csv",
        "--distances",
        "d.tsv",
        "--output",
        "back.zip",
    ]);
    let a = neurodyn_io::connectome::read_tvb_zip(&zip).unwrap();
    let b = neurodyn_io::connectome::read_tvb_zip(&d.join("back.zip")).unwrap();
    let want = neurodyn_core::connectome::example(12, 4);
    assert_eq!(a.labels(), want.labels());
    assert_eq!(a.labels(), b.labels());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a.weights()), bits(want.weights()));
    assert_eq!(bits(a.weights()), bits(b.weights()));
    assert_eq!(bits(a.distances_mm()), bits(b.distances_mm()));

    // info: the link count and the delay range at 10 mm/ms, dt 0.1 ms
    let links = (0..12)
        .flat_map(|i| (0..12).map(move |j| (i, j)))
        .filter(|&(i, j)| i != j && want.weight(i, j) != 0.0)
        .collect::<Vec<_>>();
    let steps: Vec<u64> = links
        .iter()
        .map(|&(i, j)| (want.distance_mm(i, j) / 10.0 / 0.1).round() as u64)
        .collect();
    let text = ok(&["connectome", "info", "ex.zip"]);
    assert!(text.contains("regions             12"), "{text}");
    assert!(
        text.contains(&format!(
            "links               {} off the diagonal",
            links.len()
        )),
        "{text}"
    );
    let (lo, hi) = (steps.iter().min().unwrap(), steps.iter().max().unwrap());
    assert!(
        text.contains(&format!("delays              {lo} .. {hi} steps")),
        "{text}"
    );

    // a distances matrix of the wrong size, and a negative distance
    write(d, "small.csv", "0,1\n1,0\n");
    write(d, "neg.csv", "0,-1\n1,0\n");
    for (w, dist, named) in [
        ("w.csv", "small.csv", "small.csv"),
        ("small.csv", "neg.csv", "neg.csv"),
    ] {
        let o = bin()
            .args([
                "connectome",
                "import",
                "--weights",
                w,
                "--distances",
                dist,
                "--output",
                "bad.zip",
            ])
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(named), "{err}");
        assert!(!d.join("bad.zip").exists());
    }
    assert!(temps(d).is_empty());
}

#[test]
fn stages_lists_and_describes_the_library_and_bad_graphs_exit_2() {
    let out = bin().arg("stages").output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    for k in ["rate-rnn", "avalanches", "collect", "line-plot"] {
        assert!(list.contains(&format!("  {k} ")), "{list}");
    }
    let out = bin().args(["stages", "avalanches"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("spikes                   a table of kind `spikes`"),
        "{text}"
    );
    assert!(text.contains("bin_ms"), "{text}");
    let out = bin().args(["stages", "avalanche"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown stage kind \"avalanche\""));

    // a graph error: exit 2, the place, nothing written
    let tmp = tempfile::tempdir().unwrap();
    let spec = write(
        tmp.path(),
        "g.toml",
        "[pipeline]\nname = \"g\"\n[stages.sim]\nkind = \"rate-rnn\"\n\
         [stages.av]\nkind = \"avalanches\"\ninputs = [\"sim.activity\"]\n",
    );
    let out = run_cmd(&spec, &tmp.path().join("out")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "g.toml:7:11: key `stages.av.inputs`: `sim.activity` is a table of kind `activity`"
        ),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
}

/// The text of `pipelines/NAME.toml` with the lines that start with each
/// prefix of `edits` replaced (each prefix must start a line).
pub(crate) fn shipped_edited(name: &str, edits: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(repo().join(format!("pipelines/{name}.toml"))).unwrap();
    for (p, _) in edits {
        assert!(
            text.lines().any(|l| l.starts_with(p)),
            "{name}: no line {p}"
        );
    }
    let mut out = String::new();
    for line in text.lines() {
        match edits.iter().find(|(prefix, _)| line.starts_with(prefix)) {
            Some((_, new)) => out.push_str(new),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// [`shipped_edited`] written to `dir/edited.toml`.
fn edited(dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    write(dir, "edited.toml", &shipped_edited(name, edits))
}

#[test]
fn inputs_that_failed_late_are_refused_at_load_naming_the_place_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // (pipeline, edits, the key named, words of the message)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        // (pipeline, edits, the key named, words of the message)
        (
            "ring-attractor",
            &[("dt_ms = 0.1", "dt_ms = 10")],
            "stages.simulate.dt_ms",
            "dt_ms must be at most 9.9",
        ),
        (
            "rnn-chaos",
            &[("steps = 7000", "steps = 1")],
            "stages.lyapunov.benettin_transient_steps",
            "leaves no step of the 1 steps of `simulate`",
        ),
        (
            "branching-avalanches",
            &[("sigma = ", "sigma = [1000.0]")],
            "sweep.sigma",
            "1000 is not allowed at model=layered sigma=1000.0 seed=0",
        ),
        (
            "whole-brain",
            &[("speed = ", "speed = [1e-6]")],
            "sweep.speed",
            "more than 1e9; a speed of at least",
        ),
        (
            "whole-brain",
            &[("connectome = ", "connectome = \"/etc/passwd\"")],
            "stages.simulate.connectome",
            "not a zip file",
        ),
        (
            "whole-brain",
            &[("target = ", "target = \"/etc/passwd\"")],
            "stages.fc.target",
            "a matrix file ends in .csv",
        ),
        (
            "whole-brain-spectra",
            &[("\"fcd.window_ms\" = ", "\"fcd.window_ms\" = 1e9")],
            "stages.fc.fcd.window_ms",
            "expected between 2 and the",
        ),
        (
            "rnn-chaos",
            &[("n = 200", "n = 100000"), ("p = 0.1", "p = 1.0")],
            "stages.simulate.n",
            "an instance would need about 280.2 GB",
        ),
        (
            "force-motifs",
            &[("n = 200", "n = 100000")],
            "stages.simulate.n",
            "the RLS matrices of n = 100000 neurons",
        ),
        (
            "ring-attractor",
            &[("n_e = ", "n_e = 100000")],
            "stages.simulate.n_e",
            "dense weights of n_e + n_i",
        ),
        (
            "ring-criticality",
            &[("bin_ms = 0.5", "bin_ms = 0.55")],
            "stages.avalanches.bin_ms",
            "0.55 is not a whole number of the steps of `simulate` (dt = 0.1 ms)",
        ),
        (
            "whole-brain-spectra",
            &[("segment_samples = ", "segment_samples = 1048576")],
            "stages.spectra.segment_samples",
            "is more than the 10001 samples `simulate` records",
        ),
        (
            "whole-brain",
            &[("integrator = ", "integrator = \"rk4\"")],
            "stages.simulate.integrator",
            "gives model wilson_cowan its OU input",
        ),
        (
            "force-motifs",
            &[("dpr_skip_steps = ", "dpr_skip_steps = 5000")],
            "stages.analyse.dpr_skip_steps",
            "leaves no step of the 1000 steps of each loop of `simulate`",
        ),
        (
            "branching-avalanches",
            &[("poisson.avalanches = ", "poisson.avalanches = 100000000")],
            "stages.analyse",
            "the avalanches of poisson.avalanches = 100000000 of `simulate`",
        ),
        (
            "ring-attractor",
            &[("current_step_pa = ", "current_step_pa = 1e-9")],
            "stages.fi_curves.current_step_pa",
            "at most 10000",
        ),
        (
            "rnn-chaos",
            &[
                ("g = ", "g = { start = 0, stop = 99999 }"),
                ("session = ", "session = { start = 0, stop = 99999 }"),
            ],
            "sweep",
            "more than 1000000 points (g: 100000 x session: 100000)",
        ),
    ];
    for (name, edits, key, words) in cases {
        let spec = edited(tmp.path(), name, edits);
        let t = Instant::now();
        let o = bin()
            .current_dir(repo())
            // a fixed budget: the same refusals on any machine
            .args([
                "run",
                spec.to_str().unwrap(),
                "--quiet",
                "--max-memory",
                "16G",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name} {edits:?}: {err}");
        assert!(
            err.contains("edited.toml:")
                && err.contains(&format!("key `{key}`"))
                && err.contains(words),
            "{name} {edits:?}: {err}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{name}: {:?}",
            t.elapsed()
        );
        assert!(
            !out.exists(),
            "{name} {edits:?}: wrote {:?}",
            files(&out, "")
        );
    }
    // a budget of our own
    let spec = edited(tmp.path(), "rnn-chaos", &[("n = 200", "n = 2000")]);
    let o = bin()
        .args([
            "run",
            spec.to_str().unwrap(),
            "--quiet",
            "--max-memory",
            "10M",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("more than the 10 MB it may use") && err.contains("raise --max-memory"),
        "{err}"
    );
}

#[test]
fn names_resolve_in_pipelines_only_with_a_clear_error_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    // a folder without pipelines/: a name is a bad argument naming the folder
    let o = bin()
        .args(["run", "rnn-chaos"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no pipelines/ folder") && err.contains("path of a pipeline file"),
        "{err}"
    );
    let o = bin().arg("list").current_dir(tmp.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--dir"));
    // with pipelines/: a missing name lists the names there
    std::fs::create_dir(tmp.path().join("pipelines")).unwrap();
    write(
        &tmp.path().join("pipelines"),
        "mine.toml",
        &format!(
            "[pipeline]\nname = \"mine\"\n[sweep]\ng = [2.0]\nsession = [1]\n{}",
            rnn_chaos_stages(
                "steps = 100\ntrials = 2\n",
                "benettin_transient_steps = 20\n"
            )
        ),
    );
    let o = bin()
        .args(["run", "nope"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("pipelines there: mine"), "{err}");
    // and a name that is there runs, from that folder
    let o = bin()
        .args(["run", "mine", "--quiet", "--out", "o"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // stdout closed early (`neurodyn list | head -1`): no panic, exit 0
    let mut child = bin().arg("stages").stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_edited_copy_writing_the_same_folder_is_warned_and_clean_stage_lists_what_it_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let text = |steps: u32| {
        format!(
            "[pipeline]\nname = \"same\"\n[sweep]\ng = [2.0, 9.0]\nsession = [1]\n{}",
            rnn_chaos_stages(
                &format!("steps = {steps}\ntrials = 2\n"),
                "benettin_transient_steps = 20\n"
            )
        )
    };
    let a = write(tmp.path(), "a.toml", &text(100));
    let b = write(tmp.path(), "b.toml", &text(120));
    let out = tmp.path().join("out");
    let o = run_cmd(&a, &out).output().unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
    let o = run_cmd(&b, &out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("was last written from") && err.contains("a.toml") && err.contains("b.toml"),
        "{err}"
    );
    // the same file again: no warning
    let o = run_cmd(&b, &out).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));

    // clean one stage: its folder's datasets are listed and gone, the
    // other stages stay; the next run recomputes only that stage
    let o = bin()
        .args(["clean", b.to_str().unwrap(), "--stage", "lyapunov", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(said.contains("lyapunov/trials (2 files)"), "{said}");
    assert!(!out.join("same/lyapunov").exists());
    assert!(out.join("same/simulate").is_dir());
    let again = run(&b, &out);
    assert_eq!(ran(&again, "simulate"), 0, "{again}");
    assert_eq!(ran(&again, "lyapunov"), 2, "{again}");
    let o = bin()
        .args(["clean", b.to_str().unwrap(), "--stage", "nope", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("stages: simulate, lyapunov, tables, figures")
    );
}

#[test]
fn plot_redraws_only_the_figures_and_refuses_when_anything_else_is_not_fresh() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = write(
        tmp.path(),
        "pl.toml",
        &format!(
            "[pipeline]\nname = \"pl\"\n[sweep]\ng = [2.0, 9.0]\nsession = [1]\n{}",
            rnn_chaos_stages(
                "steps = 200\ntrials = 2\n",
                "benettin_transient_steps = 20\n"
            )
        ),
    );
    let out = tmp.path().join("out");
    run(&spec, &out);
    let png = out.join("pl/figures/lambda_vs_g.png");
    let table = out.join("pl/tables/summary.parquet");
    let (png_t0, table_t0) = (
        std::fs::metadata(&png).unwrap().modified().unwrap(),
        std::fs::metadata(&table).unwrap().modified().unwrap(),
    );
    std::thread::sleep(Duration::from_millis(20));
    let o = bin()
        .args(["plot", spec.to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        said.contains("figures/lambda_vs_g.png") && said.contains("0 other instances recomputed"),
        "{said}"
    );
    // the figure was written again, the table was not
    assert!(std::fs::metadata(&png).unwrap().modified().unwrap() > png_t0);
    assert_eq!(
        std::fs::metadata(&table).unwrap().modified().unwrap(),
        table_t0
    );
    // a missing upstream instance: nothing runs, exit 1, the stage named
    std::fs::remove_dir_all(out.join("pl/lyapunov/trials")).unwrap();
    let o = bin()
        .args(["plot", spec.to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("2 of stage lyapunov") && err.contains("neurodyn run"),
        "{err}"
    );
    assert!(!out.join("pl/lyapunov/trials").exists());
}
