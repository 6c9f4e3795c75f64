//! `mpirun -np 3 neurodyn run` (feature `mpi`): the ranks write the bits of
//! one process, a failure or a killed rank stops the job with nothing
//! partial, and a rerun completes only what is missing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{
    assert_same_tables, files, hopf_sweep, ok, ran, rnn_chaos_stages, run, tables, temps, write,
};

/// `mpirun -np N neurodyn run SPEC --quiet --out OUT`, as CI runs it (root
/// in a container, more ranks than cores).
fn mpirun(np: usize, spec: &Path, out: &Path) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["--allow-run-as-root", "--oversubscribe", "-np"])
        .arg(np.to_string())
        .arg(env!("CARGO_BIN_EXE_neurodyn"))
        .args(["run", spec.to_str().unwrap(), "--quiet", "--out"])
        .arg(out);
    c
}

fn mpirun_works() {
    let o = Command::new("mpirun").arg("--version").output();
    assert!(
        o.is_ok_and(|o| o.status.success()),
        "the binary is built with MPI but `mpirun --version` fails: install OpenMPI (apt-get install openmpi-bin)"
    );
}

#[test]
fn three_ranks_write_the_bits_of_one_process_and_a_rerun_is_fresh() {
    mpirun_works();
    let tmp = tempfile::tempdir().unwrap();
    let spec = write(
        tmp.path(),
        "ranks.toml",
        &format!(
            "[pipeline]\nname = \"ranks\"\n[sweep]\ng = [2.0, 9.0, 16.0]\nsession = [1, 2]\n{}",
            rnn_chaos_stages(
                "steps = 300\ntrials = 4\n",
                "benettin_transient_steps = 50\n"
            )
        ),
    );
    let out = tmp.path().join("mpi");
    let first = ok(&mpirun(3, &spec, &out).output().unwrap());
    assert_eq!(ran(&first, "simulate"), 6, "{first}");
    assert_eq!(ran(&first, "tables"), 1, "{first}");
    assert!(first.contains("(3 MPI ranks)"), "{first}");
    // no lock or temporary file is left
    assert!(files(&out, ".lock").is_empty());
    assert!(temps(&out).is_empty());
    run(&spec, &tmp.path().join("plain"));
    assert_same_tables(&out.join("ranks"), &tmp.path().join("plain/ranks"));
    let again = ok(&mpirun(3, &spec, &out).output().unwrap());
    assert!(again.contains("simulate: 0 ran, 6 fresh"), "{again}");
    assert!(again.contains("tables: 0 ran, 1 fresh"), "{again}");
}

#[test]
fn a_failing_point_stops_every_rank_and_the_rerun_completes_only_what_is_missing() {
    mpirun_works();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let spec = hopf_sweep(tmp.path(), "0.1, 0.2, 1e4, 0.5, 1.0");
    let o = mpirun(3, &spec, &out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the job succeeded: {err}");
    assert!(
        err.contains("error: MPI rank")
            && err.contains("model hopf diverged at k = 10000")
            && err.contains("run again to complete only what is missing"),
        "{err}"
    );
    assert!(temps(&out).is_empty(), "temporary files left behind");
    let done = files(&out.join("hopf/simulate"), "_manifest.json").len();
    assert!(done < 5);
    // the diverging point replaced: only the points not done run
    let spec = hopf_sweep(tmp.path(), "0.1, 0.2, 2.0, 0.5, 1.0");
    let rerun = ok(&mpirun(3, &spec, &out).output().unwrap());
    assert_eq!(ran(&rerun, "simulate"), 5 - done, "{rerun}");
    run(&spec, &tmp.path().join("plain"));
    assert_same_tables(&out.join("hopf"), &tmp.path().join("plain/hopf"));
}

/// Process ids of `parent`'s children named `neurodyn` (the local ranks).
fn ranks_of(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid: Option<u32> = rest.split(' ').nth(1).and_then(|v| v.parse().ok());
        if ppid == Some(parent) && head.ends_with("(neurodyn") {
            out.extend(head.split(' ').next().and_then(|v| v.parse::<u32>().ok()));
        }
    }
    out.sort();
    out
}

#[test]
fn kill_9_of_one_rank_leaves_no_partial_file_and_the_rerun_completes_only_what_is_missing() {
    mpirun_works();
    let tmp = tempfile::tempdir().unwrap();
    let spec = write(
        tmp.path(),
        "big.toml",
        &format!(
            "[pipeline]\nname = \"big\"\n[sweep]\ng = [6.0, 10.0, 14.0, 18.0, 22.0]\nsession = [1, 2, 3, 4]\n{}",
            rnn_chaos_stages(
                "steps = 12000\ntrials = 8\n",
                "benettin_transient_steps = 100\n"
            )
        ),
    );
    let out = tmp.path().join("out");
    let mut job = mpirun(3, &spec, &out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sim = out.join("big/simulate");
    let t0 = Instant::now();
    while files(&sim, "_manifest.json").len() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(300), "no progress");
        assert!(job.try_wait().unwrap().is_none(), "finished too soon");
        std::thread::sleep(Duration::from_millis(20));
    }
    let ranks = ranks_of(job.id());
    assert_eq!(ranks.len(), 3, "ranks of mpirun {}: {ranks:?}", job.id());
    // SIGKILL to the last rank: mpirun then ends the others
    let killed = Command::new("kill")
        .args(["-9", &ranks[2].to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = job.wait().unwrap();
    assert!(!status.success());
    let completed = files(&sim, "_manifest.json").len();
    assert!(completed < 20, "the sweep finished before the kill");
    // every visible Parquet file is complete and readable (tables() reads
    // them all); interrupted writes keep hidden temporary names
    assert!(!tables(&out.join("big")).is_empty());
    for t in files(&out, ".parquet") {
        assert!(!t.file_name().unwrap().to_string_lossy().starts_with('.'));
    }
    let rerun = ok(&mpirun(3, &spec, &out).output().unwrap());
    assert_eq!(ran(&rerun, "simulate"), 20 - completed, "{rerun}");
    let left = temps(&out);
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    run(&spec, &tmp.path().join("plain"));
    assert_same_tables(&out.join("big"), &tmp.path().join("plain/big"));
}
