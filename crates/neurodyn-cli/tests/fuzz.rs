//! Fuzzing on a fixed seed: mutated pipeline files and mutated data files,
//! each given to the binary. Every case must end cleanly: refused at load
//! (exit 2, a located message, nothing written), run to completion (exit
//! 0), or stopped by a diverging model (exit 1, named as such); never a
//! panic or an abort, never a wrong type taken silently, never a late
//! failure of anything else. A case still running at the time limit is
//! killed and must leave no partial file where readers look.
//!
//! The counts by outcome are printed (`cargo xtask test -- fuzz
//! --nocapture`) and the closing notes quote them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{bin, files, repo, run_cmd_threads, shipped_edited, temps, write};

/// xorshift64*: a fixed stream of cases from a seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Small versions of the shipped pipelines (every key still listed): the
/// mutations act on real keys, and an accepted case runs in about a second.
const BASES: &[(&str, &[(&str, &str)])] = &[
    (
        "rnn-chaos",
        &[
            ("g = ", "g = [4.0, 13.0]"),
            ("session = ", "session = [1]"),
            ("n = 200", "n = 60"),
            ("steps = ", "steps = 600"),
            ("trials = 20", "trials = 4"),
            ("benettin_trials = ", "benettin_trials = 2"),
            (
                "benettin_transient_steps = ",
                "benettin_transient_steps = 100",
            ),
        ],
    ),
    (
        "rnn-dimensionality",
        &[
            ("g = ", "g = [0.5, 2.0]"),
            ("seed = [", "seed = [0]"),
            ("n = 200", "n = 60"),
            ("duration_ms = ", "duration_ms = 800.0"),
            ("transient_ms = ", "transient_ms = 100.0"),
        ],
    ),
    (
        "whole-brain-spectra",
        &[
            ("k = ", "k = [0.5]"),
            ("model = ", "model = [\"jansen_rit\"]"),
            ("duration_ms = ", "duration_ms = 3000.0"),
            ("transient_ms = ", "transient_ms = 500.0"),
            ("\"fcd.window_ms\" = ", "\"fcd.window_ms\" = 1000.0"),
            ("segment_samples = ", "segment_samples = 512"),
        ],
    ),
    (
        "branching-avalanches",
        &[
            ("sigma = ", "sigma = [0.9]"),
            ("layered.pulses = ", "layered.pulses = 300"),
            ("poisson.avalanches = ", "poisson.avalanches = 2000"),
            ("poisson.max_size = ", "poisson.max_size = 100000"),
            ("random_graph.neurons = ", "random_graph.neurons = 500"),
            ("random_graph.steps = ", "random_graph.steps = 2000"),
            ("bootstrap = ", "bootstrap = 0"),
            ("animation_frames = ", "animation_frames = 3"),
        ],
    ),
];

/// The kind of a TOML value as written: what a wrong type changes.
fn value_kind(v: &str) -> &'static str {
    let v = v.trim();
    if v.starts_with('{') {
        "table"
    } else if v.starts_with('[') {
        "array"
    } else if v.starts_with('"') {
        "string"
    } else if v == "true" || v == "false" {
        "bool"
    } else {
        "number"
    }
}

/// One mutation of a pipeline text: the new text, a description, and
/// whether it gives a key a value of another type than it had.
fn mutate(text: &str, rng: &mut Rng) -> (String, String, bool) {
    let lines: Vec<&str> = text.lines().collect();
    // `key = value` lines, comments cut
    let keyed: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let l = lines[i].trim_start();
            !l.starts_with('#') && !l.starts_with('[') && l.contains(" = ")
        })
        .collect();
    let i = *rng.pick(&keyed);
    let line = lines[i].split(" #").next().unwrap_or(lines[i]);
    let (key, value) = line.split_once(" = ").unwrap();
    let value = value.trim();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut wrong_type = false;
    let what = match rng.below(10) {
        0..=5 => {
            let scaled = |k: i32| {
                value
                    .parse::<f64>()
                    .ok()
                    .map(|x| format!("{:e}", x * 10f64.powi(k)))
            };
            let mut choices: Vec<String> = [
                "{}",
                "[]",
                "\"x\"",
                "true",
                "-1",
                "0",
                "1e300",
                "-1e300",
                "nan",
                "inf",
                "-inf",
                "9223372036854775807",
                "1e-300",
                "0.5",
                "[1, 2]",
                "{ start = 0, stop = 3 }",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            for k in [-6, -3, -1, 1, 3, 6] {
                choices.extend(scaled(k));
            }
            // nearby values, which a loader should mostly take
            for f in [0.5, 2.0, 1.5] {
                choices.extend(value.parse::<f64>().ok().map(|x| format!("{}", x * f)));
            }
            choices.push(format!("\"{}\"", value.trim_matches('"')));
            let new = rng.pick(&choices).clone();
            let (a, b) = (value_kind(value), value_kind(&new));
            // a range table or a list where a sweep axis had a list is no
            // change of type for an axis; elsewhere any change of kind is
            wrong_type = a != b && !(a == "array" && b == "table" && new.contains("start"));
            out[i] = format!("{key} = {new}");
            format!("line {}: {key} = {new} (was {value})", i + 1)
        }
        6 => {
            out.remove(i);
            format!("line {}: {key} deleted", i + 1)
        }
        7 => {
            out.insert(i, lines[i].to_string());
            format!("line {}: {key} twice", i + 1)
        }
        8 => {
            out[i] = format!("{key}x = {value}");
            format!("line {}: {key} misspelt", i + 1)
        }
        _ => {
            let cut = rng.below(line.len().max(1));
            out[i] = line[..cut].to_string();
            format!("line {}: cut after {cut} characters", i + 1)
        }
    };
    (out.join("\n") + "\n", what, wrong_type)
}

/// Run `cmd` for at most `limit`: the exit code, or None at the limit
/// (then killed); and its stderr.
fn run_limited(mut cmd: Command, limit: Duration) -> (Option<i32>, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let err_path = dir.path().join("stderr");
    let err_file = std::fs::File::create(&err_path).unwrap();
    let mut child = cmd.stdout(Stdio::null()).stderr(err_file).spawn().unwrap();
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if t0.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    match status {
        None => (None, err, true),
        Some(s) => {
            use std::os::unix::process::ExitStatusExt;
            // a signal (abort: SIGABRT) counts as its own code
            (s.code().or(s.signal().map(|x| 128 + x)), err, false)
        }
    }
}

/// Outcomes, counted; a case that breaks a rule is listed as well.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<&'static str, usize>,
    broken: Vec<String>,
}

impl Tally {
    fn add(&mut self, outcome: &'static str, broken: Option<String>) {
        *self.counts.entry(outcome).or_default() += 1;
        if let Some(b) = broken {
            self.broken.push(format!("{outcome}: {b}"));
        }
    }
}

/// Nothing a reader of the output sees: no file at all after a refusal,
/// and after a kill no temporary outside the temp folder.
fn nothing_partial(out: &Path) -> Option<String> {
    let stray: Vec<PathBuf> = temps(out)
        .into_iter()
        .filter(|t| !t.parent().unwrap().ends_with(".neurodyn-tmp"))
        .collect();
    (!stray.is_empty()).then(|| format!("temporaries in dataset folders: {stray:?}"))
}

const PIPELINE_CASES: usize = 520;
const DATA_CASES_EACH: usize = 40;
const LIMIT: Duration = Duration::from_secs(8);

#[test]
fn mutated_pipeline_files_are_refused_at_load_or_run_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_2026_1206);
    let bases: Vec<(&str, String)> = BASES
        .iter()
        .map(|(n, e)| (*n, shipped_edited(n, e)))
        .collect();
    // every base runs as it is, within the limit: mutations start from a
    // valid file
    for (name, text) in &bases {
        let spec = write(tmp.path(), &format!("{name}.toml"), text);
        let mut cmd = run_cmd_threads(&spec, &tmp.path().join("base"), 1);
        cmd.current_dir(repo());
        let (code, err, _) = run_limited(cmd, LIMIT);
        assert_eq!(code, Some(0), "base {name}: {err}");
    }
    let mut tally = Tally::default();
    for case in 0..PIPELINE_CASES {
        let (name, text) = &bases[case % bases.len()];
        let (mutated, what, wrong_type) = mutate(text, &mut rng);
        let spec = write(tmp.path(), &format!("case{case}.toml"), &mutated);
        let out = tmp.path().join(format!("out{case}"));
        let mut cmd = run_cmd_threads(&spec, &out, 1);
        cmd.current_dir(repo()).args(["--max-memory", "4G"]);
        let t0 = Instant::now();
        let (code, err, _) = run_limited(cmd, LIMIT);
        let case_name = format!("{name} case {case}, {what}: {}", err.trim());
        if std::env::var_os("NEURODYN_FUZZ_SHOW").is_some() {
            println!("{code:?} {:.1}s {case_name}", t0.elapsed().as_secs_f64());
        }
        match code {
            Some(2) => {
                let located =
                    err.starts_with("error: ") && err.contains(&format!("case{case}.toml:"));
                let wrote = out.exists().then(|| format!("wrote {:?}", files(&out, "")));
                let broken = wrote.or((!located).then(|| "no file:line".to_string()));
                tally.add(
                    "refused at load (exit 2)",
                    broken.map(|b| format!("{case_name}: {b}")),
                );
            }
            Some(0) if wrong_type => {
                tally.add("wrong type taken silently", Some(case_name));
            }
            Some(0) => tally.add("ran to completion (exit 0)", None),
            Some(1) if err.contains("diverged") => {
                // the dynamics blow up: not knowable before running them
                tally.add(
                    "stopped by a diverging model (exit 1)",
                    nothing_partial(&out),
                );
            }
            Some(1) => tally.add("accepted, then failed late", Some(case_name)),
            None => {
                let partial = nothing_partial(&out).map(|p| format!("{case_name}: {p}"));
                tally.add("still running at the limit (killed)", partial);
            }
            Some(c) => {
                let what = if c == 101 { "panic" } else { "abort or signal" };
                tally.add(what, Some(format!("exit {c}: {case_name}")));
            }
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    report("pipeline files", PIPELINE_CASES, &tally);
}

/// One mutation of a file's bytes.
fn mutate_bytes(bytes: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let mut b = bytes.to_vec();
    let at = rng.below(b.len().max(1));
    let what = match rng.below(6) {
        0 => {
            b.truncate(at);
            format!("cut at byte {at}")
        }
        1 => {
            b[at] ^= 1 << rng.below(8);
            format!("a bit of byte {at} flipped")
        }
        2 => {
            b[at] = rng.below(256) as u8;
            format!("byte {at} replaced")
        }
        3 => {
            b.clear();
            "emptied".into()
        }
        4 => {
            let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.below(256) as u8).collect();
            b.splice(at..at, junk);
            format!("junk inserted at byte {at}")
        }
        _ => {
            let len = (b.len() - at).min(1 + rng.below(32));
            b.drain(at..at + len);
            format!("{len} bytes removed at byte {at}")
        }
    };
    (b, what)
}

/// One mutation of a text file's lines.
fn mutate_text(text: &str, rng: &mut Rng) -> (String, String) {
    let mut lines: Vec<String> = text.lines().map(|l| l.to_string()).collect();
    let i = rng.below(lines.len());
    let sep = if text.contains(',') { "," } else { "\t" };
    let what = match rng.below(8) {
        0 => {
            lines[i].push_str(&format!("{sep}7"));
            format!("line {}: a field more", i + 1)
        }
        1 => {
            let cut = lines[i].rfind(sep).unwrap_or(0);
            lines[i].truncate(cut);
            format!("line {}: a field fewer", i + 1)
        }
        2 => {
            let v = *rng.pick(&[
                "nan",
                "inf",
                "-1",
                "abc",
                "",
                "1e400",
                "18446744073709551616",
                "0x10",
                "\"3\"",
            ]);
            let mut f: Vec<String> = lines[i].split(sep).map(|s| s.to_string()).collect();
            let k = rng.below(f.len());
            f[k] = v.to_string();
            lines[i] = f.join(sep);
            format!("line {}: field {} = {v:?}", i + 1, k + 1)
        }
        3 => {
            lines.remove(i);
            format!("line {} removed", i + 1)
        }
        4 => {
            lines.insert(i, String::new());
            format!("a blank line at {}", i + 1)
        }
        5 => {
            let l = lines[i].clone();
            lines.insert(i, l);
            format!("line {} twice", i + 1)
        }
        6 => {
            lines.truncate(i);
            format!("cut after line {i}")
        }
        _ => {
            lines[i] = lines[i].replace(sep, ";");
            format!("line {}: another separator", i + 1)
        }
    };
    (lines.join("\n") + "\n", what)
}

#[test]
fn mutated_data_files_are_read_or_refused_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng(0xda7a_2026_1206);
    let ok = |c: &mut Command| {
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    // bases: a small connectome zip, its matrices as CSV, a column of sizes
    let zip = d.join("base.zip");
    ok(bin()
        .args(["connectome", "example", "--regions", "8", "--output"])
        .arg(&zip));
    let (w, dist) = (d.join("w.csv"), d.join("d.csv"));
    ok(bin()
        .args(["connectome", "export"])
        .arg(&zip)
        .arg("--weights")
        .arg(&w)
        .arg("--distances")
        .arg(&dist));
    let zip_bytes = std::fs::read(&zip).unwrap();
    let w_text = std::fs::read_to_string(&w).unwrap();
    let mut sizes = String::from("size,duration\n");
    for k in 0..400u64 {
        // a heavy tail: 1 / u
        let s = (1e6 / ((k * 2_654_435_761) % 1_000_003 + 1) as f64).ceil() as u64;
        sizes.push_str(&format!("{s},{}\n", k % 7 + 1));
    }

    let mut tally = Tally::default();
    let judge =
        |tally: &mut Tally, code: Option<i32>, err: &str, what: String, output: &Path| match code {
            Some(0) => tally.add("read (exit 0)", None),
            Some(2) => {
                let named = err.starts_with("error: ");
                let wrote = output
                    .exists()
                    .then(|| format!("wrote {}", output.display()));
                let broken = wrote.or((!named).then(|| "no message".to_string()));
                tally.add(
                    "refused (exit 2)",
                    broken.map(|b| format!("{what}: {b}: {err}")),
                );
            }
            None => tally.add("still running at the limit (killed)", Some(what)),
            Some(c) => tally.add(
                if c == 101 { "panic" } else { "other exit" },
                Some(format!("exit {c}: {what}: {err}")),
            ),
        };
    for case in 0..DATA_CASES_EACH {
        // a connectome zip, read by `connectome info`
        let (bytes, what) = mutate_bytes(&zip_bytes, &mut rng);
        let f = d.join(format!("z{case}.zip"));
        std::fs::write(&f, bytes).unwrap();
        let mut c = bin();
        c.args(["connectome", "info"]).arg(&f);
        let (code, err, _) = run_limited(c, LIMIT);
        judge(
            &mut tally,
            code,
            &err,
            format!("zip {what}"),
            &d.join("none"),
        );
        // a weights matrix, imported into a zip
        let (text, what) = mutate_text(&w_text, &mut rng);
        let f = write(d, &format!("w{case}.csv"), &text);
        let zout = d.join(format!("imported{case}.zip"));
        let mut c = bin();
        c.args(["connectome", "import", "--weights"])
            .arg(&f)
            .arg("--distances")
            .arg(&dist)
            .arg("--output")
            .arg(&zout);
        let (code, err, _) = run_limited(c, LIMIT);
        judge(&mut tally, code, &err, format!("weights {what}"), &zout);
        // avalanche sizes, fitted
        let (text, what) = mutate_text(&sizes, &mut rng);
        let f = write(d, &format!("s{case}.csv"), &text);
        let aout = d.join(format!("fit{case}"));
        let mut c = bin();
        c.args(["analyze", "powerlaw", "--input"])
            .arg(&f)
            .args(["--column", "size", "--min-tail", "20", "--out"])
            .arg(&aout);
        let (code, err, _) = run_limited(c, LIMIT);
        judge(&mut tally, code, &err, format!("sizes {what}"), &aout);
    }
    report("data files", 3 * DATA_CASES_EACH, &tally);
}

fn report(what: &str, n: usize, tally: &Tally) {
    println!("fuzz, {n} mutated {what} (fixed seed):");
    for (outcome, count) in &tally.counts {
        println!("  {count:>4}  {outcome}");
    }
    assert!(
        tally.broken.is_empty(),
        "{} of {n} cases broke a rule:\n{}",
        tally.broken.len(),
        tally.broken.join("\n")
    );
}
