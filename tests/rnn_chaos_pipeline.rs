//! The rnn-chaos pipeline end to end on a small sweep: outputs, incremental
//! reruns, status reasons, determinism across thread counts, pruning.

use neurodyn_pipeline::{Plan, Status};
use neurodyn_tests::{all_tables, counts, pipeline, run, small_rnn_chaos};

#[test]
fn runs_end_to_end_then_reruns_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let text = small_rnn_chaos("rc", &[1.0, 20.0], &[1, 2], 800, "");
    let p = pipeline(&text);
    let first = run(&p, out, Some(2), &[]);
    assert_eq!(counts(&first, "simulate"), (4, 0));
    assert_eq!(counts(&first, "lyapunov"), (4, 0));
    assert_eq!(counts(&first, "tables"), (1, 0));
    assert_eq!(counts(&first, "figures"), (1, 0));

    let dir = out.join("rc");
    neurodyn_tests::check_documented_columns("rnn-chaos", &dir, 5);
    for f in [
        "simulate/distance/g_1.0/session_1/distance.parquet",
        "simulate/tangent/g_20.0/session_2/tangent.parquet",
        "simulate/activity/g_20.0/session_2/activity.parquet",
        "lyapunov/trials/g_1.0/session_2/trials.parquet",
        "tables/summary.parquet",
        "tables/trials.parquet",
        "tables/notebook.parquet",
        "tables/divergence.parquet",
        "figures/lambda_vs_g.png",
        "figures/lambda_vs_g.svg",
        "figures/divergence.png",
        "figures/activity.png",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let tables = all_tables(&dir);
    let d = &tables["simulate/distance/g_1.0/session_1/distance.parquet"];
    assert_eq!(d.rows(), 4 * 800);
    let a = &tables["simulate/activity/g_20.0/session_1/activity.parquet"];
    assert_eq!(a.rows(), 2 * 2 * 800 / 5); // trials x units x recorded steps
    let s = &tables["tables/summary.parquet"];
    assert_eq!(s.rows(), 2);
    let lam = s
        .column("lambda_benettin_per_s_mean")
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(lam[0] < 0.0 && lam[1] > 0.0, "lambda {lam:?}");
    let t = &tables["tables/trials.parquet"];
    assert_eq!(t.rows(), 2 * 2 * 4);
    // every trial starts at distance 1e-4 sqrt(N): the pooled curve starts at
    // its log with no spread, then is recorded every 10 steps
    let dv = &tables["tables/divergence.parquet"];
    assert_eq!(dv.rows(), 2 * 800 / 10);
    let m = dv.column("ln_distance_mean").unwrap().as_f64().unwrap();
    let sd = dv.column("ln_distance_sd").unwrap().as_f64().unwrap();
    let want = (1e-4 * 40f64.sqrt()).ln();
    assert!(
        (m[0] - want).abs() < 1e-12 && sd[0] < 1e-9,
        "{} {}",
        m[0],
        sd[0]
    );
    // contracting at g = 1: the mean log distance falls
    assert!(m[79] < m[0] - 1.0);

    // file metadata names the pipeline, stage and parameters
    let kv = neurodyn_io::read_key_value_metadata(
        &dir.join("simulate/distance/g_1.0/session_1/distance.parquet"),
    )
    .unwrap();
    assert_eq!(kv["neurodyn.pipeline"], "rc");
    assert_eq!(kv["neurodyn.stage"], "simulate");
    assert!(kv["neurodyn.params"].contains("\"n\":40"));
    assert_eq!(kv["neurodyn.fingerprint"].len(), 32);

    // nothing changed: nothing runs
    let again = run(&p, out, Some(2), &[]);
    for st in ["simulate", "lyapunov", "tables", "figures"] {
        assert_eq!(counts(&again, st).0, 0, "{st} reran");
    }

    // an estimator parameter changed: only the analysis reruns, and status says why
    // (the text ends in [stages.lyapunov])
    let p2 = pipeline(&format!("{text}fit_fraction = 0.7\n"));
    let plan = Plan::new(&p2, out);
    let why: Vec<Status> = plan
        .instances
        .iter()
        .filter(|i| p2.stages[i.stage].0.name == "lyapunov")
        .map(|i| plan.status(i))
        .collect();
    assert!(why.iter().all(|s| matches!(s, Status::Stale(r) if r.iter().any(|x| x.contains("parameters changed: fit_fraction")))), "{why:?}");
    let tables_status = plan.status(
        plan.instances
            .iter()
            .find(|i| p2.stages[i.stage].0.name == "tables")
            .unwrap(),
    );
    assert!(
        matches!(&tables_status, Status::Stale(r) if r.iter().any(|x| x.contains("inputs changed: lyapunov"))),
        "{tables_status:?}"
    );
    let third = run(&p2, out, Some(2), &[]);
    assert_eq!(counts(&third, "simulate"), (0, 4));
    assert_eq!(counts(&third, "lyapunov"), (4, 0));
    assert_eq!(counts(&third, "tables"), (1, 0));

    // --force reruns a fresh stage
    let forced = run(&p2, out, Some(1), &["figures"]);
    assert_eq!(counts(&forced, "figures"), (1, 0));
    assert_eq!(counts(&forced, "simulate"), (0, 4));

    // a deleted output makes its instance stale, and only it reruns
    std::fs::remove_file(dir.join("simulate/tangent/g_20.0/session_1/tangent.parquet")).unwrap();
    let repaired = run(&p2, out, Some(2), &[]);
    assert_eq!(counts(&repaired, "simulate"), (1, 3));
    let f = "simulate/tangent/g_20.0/session_1/tangent.parquet";
    assert!(all_tables(&dir)[f].same_bits(&tables[f]));

    // shrinking the sweep prunes the partitions that left it
    let p3 = pipeline(&small_rnn_chaos(
        "rc",
        &[1.0],
        &[1, 2],
        800,
        "fit_fraction = 0.7\n",
    ));
    let shrunk = run(&p3, out, Some(2), &[]);
    assert_eq!(counts(&shrunk, "simulate"), (0, 2));
    assert!(!dir.join("simulate/distance/g_20.0").exists());
    assert!(!dir.join("simulate/_instances/g_20.0").exists());
    // the g=20.0 folders of simulate's 4 tables and lyapunov's 3, and of both manifest folders
    assert_eq!(shrunk.pruned, 9);
    assert_eq!(all_tables(&dir)["tables/summary.parquet"].rows(), 1);
}

#[test]
fn parquet_data_are_identical_at_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let text = small_rnn_chaos("det", &[4.0, 13.0], &[1, 2, 3], 500, "");
    let p = pipeline(&text);
    run(&p, &tmp.path().join("a"), Some(1), &[]);
    run(&p, &tmp.path().join("b"), Some(2), &[]);
    let n =
        neurodyn_tests::assert_same_tables(&tmp.path().join("a/det"), &tmp.path().join("b/det"));
    assert!(n >= 6 * 5 + 4);
}

/// Run `p` into `out` as shard `i` of `k` (1-based), with `then_aggregate`.
fn run_shard(
    p: &neurodyn_pipeline::Pipeline,
    out: &std::path::Path,
    i: usize,
    k: usize,
    then: bool,
) -> neurodyn_pipeline::RunReport {
    let plan = Plan::new(p, out);
    neurodyn_pipeline::runner::run(
        &plan,
        &neurodyn_pipeline::RunOptions {
            threads: Some(1),
            quiet: true,
            shard: Some(neurodyn_pipeline::runner::Shard { index: i, count: k }),
            then_aggregate: then,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn shards_run_alone_together_or_twice_give_the_same_data_as_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let text = small_rnn_chaos("sh", &[4.0, 13.0], &[1, 2, 3], 200, "");
    let p = pipeline(&text);
    run(&p, &tmp.path().join("one"), Some(2), &[]);
    let one = all_tables(&tmp.path().join("one/sh"));

    // 3 shards one after another: each runs its 2 of the 6 points and no
    // aggregate stage; a plain run then aggregates
    let seq = tmp.path().join("seq");
    for i in 1..=3 {
        let r = run_shard(&p, &seq, i, 3, false);
        assert_eq!(counts(&r, "simulate"), (2, 0));
        assert_eq!(counts(&r, "tables"), (0, 0));
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("left to a plain `neurodyn run`")),
            "{:?}",
            r.notes
        );
    }
    let last = run(&p, &seq, Some(2), &[]);
    assert_eq!(counts(&last, "simulate"), (0, 6));
    assert_eq!(counts(&last, "tables"), (1, 0));

    // 3 shards at the same time (threads of this process share its locks'
    // host and pid: each waits for the instance another holds), the last
    // to finish aggregates; and two whole runs at the same time
    let together = tmp.path().join("together");
    let twice = tmp.path().join("twice");
    let (reports, both) = std::thread::scope(|s| {
        let shards: Vec<_> = (1..=3)
            .map(|i| {
                let (p, together) = (&p, &together);
                s.spawn(move || run_shard(p, together, i, 3, true))
            })
            .collect();
        let runs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| run(&p, &twice, Some(1), &[])))
            .collect();
        (
            shards
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>(),
            runs.into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>(),
        )
    });
    let ran = |rs: &[neurodyn_pipeline::RunReport], stage: &str| -> usize {
        rs.iter().map(|r| counts(r, stage).0).sum()
    };
    // every instance ran exactly once
    assert_eq!(ran(&reports, "simulate"), 6);
    assert_eq!(ran(&reports, "tables"), 1);
    assert_eq!(ran(&both, "simulate"), 6);
    assert_eq!(ran(&both, "lyapunov"), 6);
    assert_eq!(ran(&both, "figures"), 1);
    for dir in [seq, together, twice] {
        let t = all_tables(&dir.join("sh"));
        assert_eq!(t.len(), one.len(), "{}", dir.display());
        for (k, a) in &one {
            assert!(
                t.get(k).is_some_and(|b| b.same_bits(a)),
                "{}: {k} differs",
                dir.display()
            );
        }
        // no lock and no temporary file is left
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                assert!(
                    !name.ends_with(".lock") && !name.contains(".tmp-"),
                    "{}",
                    path.display()
                );
                if path.is_dir() {
                    stack.push(path);
                }
            }
        }
    }
}

#[test]
fn the_seed_changes_the_networks() {
    let tmp = tempfile::tempdir().unwrap();
    let text = small_rnn_chaos("seeded", &[4.0], &[1], 50, "");
    run(&pipeline(&text), &tmp.path().join("a"), Some(1), &[]);
    run(
        &pipeline(&text.replace("seed = 7", "seed = 8")),
        &tmp.path().join("b"),
        Some(1),
        &[],
    );
    let f = "simulate/distance/g_4.0/session_1/distance.parquet";
    let a = &all_tables(&tmp.path().join("a/seeded"))[f];
    let b = &all_tables(&tmp.path().join("b/seeded"))[f];
    assert!(!a.same_bits(b));
}
