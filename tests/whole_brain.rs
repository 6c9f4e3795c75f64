//! The whole-brain pipeline end to end on a small sweep: the fit finds the
//! ground truth of the bundled target FC, the tables have the issue's
//! columns, reruns are incremental (editing a target file reruns only the
//! FC stage and what follows), results do not depend on the thread count,
//! and the bundled data is what its generator writes.

use std::path::Path;

use neurodyn_pipeline::library::models::neural_mass::{
    EXAMPLE_CONNECTOME, EXAMPLE_TARGET_FC, TARGET_K, TARGET_SPEED, write_example_data,
};
use neurodyn_pipeline::{Plan, RunOptions, runner};
use neurodyn_tests::{all_tables, counts, pipeline, run, whole_brain_stages};

/// Hopf only, k in {0.05, 0.2, 1.0} x speed in {3, 10} mm/ms x seed 0, on
/// the example connectome and the study's default 300 ms runs.
fn small(name: &str, target: &str) -> String {
    format!(
        "[pipeline]\nname = \"{name}\"\nseed = 5\n\
         [sweep]\nmodel = [\"hopf\"]\nk = [0.05, 0.2, 1.0]\nspeed = [3.0, 10.0]\nseed = [0]\n{}",
        whole_brain_stages("", &format!("target = \"{target}\"\n"))
    )
}

#[test]
fn a_small_sweep_finds_the_ground_truth_of_the_target_and_reruns_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(&small("wb", "example"));
    let first = run(&p, &out, Some(2), &[]);
    assert_eq!(counts(&first, "simulate"), (6, 0));
    assert_eq!(counts(&first, "fc"), (6, 0));
    assert_eq!(counts(&first, "tables"), (1, 0));
    assert_eq!(counts(&first, "figures"), (1, 0));

    let dir = out.join("wb");
    neurodyn_tests::check_documented_columns("whole-brain", &dir, 5);
    for f in [
        "figures/connectivity.png",
        "figures/distances.svg",
        "figures/fit_landscape_hopf.png",
        "figures/fc_best_hopf.png",
        "figures/fc_target.png",
        "figures/activity.png",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let tables = all_tables(&dir);
    let n = 68;

    // fc: model, k, speed, seed, i, j, r: the full matrix of every run, unit
    // diagonal, symmetric, every r in [-1, 1]
    let fc = &tables["tables/fc.parquet"];
    assert_eq!(fc.rows(), 6 * n * n);
    let (i, j, r) = (
        fc.u32s("i").unwrap(),
        fc.u32s("j").unwrap(),
        fc.f64s("r").unwrap(),
    );
    fc.strs("model").unwrap();
    fc.i64s("seed").unwrap();
    for run in 0..6 {
        let m = &r[run * n * n..(run + 1) * n * n];
        for a in 0..n {
            assert!((m[a * n + a] - 1.0).abs() < 1e-12);
            for b in 0..n {
                assert_eq!(i[run * n * n + a * n + b] as usize, a);
                assert_eq!(j[run * n * n + a * n + b] as usize, b);
                assert!((m[a * n + b] - m[b * n + a]).abs() < 1e-12);
                assert!(m[a * n + b].abs() <= 1.0 + 1e-12);
            }
        }
    }

    // fit: one row per run; the best fit is the target's ground truth, and
    // by a clear margin over the far corner of the grid
    let fit = &tables["tables/fit.parquet"];
    assert_eq!(fit.rows(), 6);
    let (k, speed, sim) = (
        fit.f64s("k").unwrap(),
        fit.f64s("speed").unwrap(),
        fit.f64s("fc_similarity").unwrap(),
    );
    let best = (0..6).max_by(|&a, &b| sim[a].total_cmp(&sim[b])).unwrap();
    assert_eq!((k[best], speed[best]), (TARGET_K, TARGET_SPEED), "{sim:?}");
    assert!(sim[best] > 0.95, "{sim:?}");
    let corner = (0..6).find(|&x| k[x] == 0.05 && speed[x] == 3.0).unwrap();
    assert!(sim[corner] < 0.5, "{sim:?}");

    // activity: long format, one row per recorded sample and region
    let a = &tables["tables/activity.parquet"];
    let t = a.f64s("t_ms").unwrap();
    assert_eq!(a.rows(), 6 * 250 * n);
    assert_eq!((t[0], t[a.rows() - 1]), (51.0, 300.0));
    assert!(a.strs("label").unwrap().iter().all(|l| !l.is_empty()));
    assert!(a.strs("variable").unwrap().iter().all(|v| v == "x"));
    a.u32s("region").unwrap();
    a.f64s("value").unwrap();

    // dominant frequencies: finite, below the Nyquist frequency of the 1 ms
    // recording; at the weakest coupling near a free Hopf node's
    // omega / 2 pi = 47.7 Hz (delayed coupling pulls the collective
    // frequency away from it as k grows)
    let hz = tables["tables/spectra.parquet"]
        .f64s("dominant_hz")
        .unwrap();
    assert_eq!(hz.len(), 6 * n);
    assert!(hz.iter().all(|&f| f > 0.0 && f < 500.0), "{hz:?}");
    let mut weak = hz[..n].to_vec();
    weak.sort_by(f64::total_cmp);
    let free = 0.3 / (2.0 * std::f64::consts::PI) * 1000.0;
    assert!((weak[n / 2] / free - 1.0).abs() < 0.15, "{weak:?}");

    // nothing changed: nothing runs
    let again = run(&p, &out, Some(2), &[]);
    for st in ["simulate", "fc", "tables", "figures"] {
        assert_eq!(counts(&again, st).0, 0, "{st} reran");
    }

    // the target as a user file: only the FC stage and what follows rerun;
    // editing that file reruns them again, and the simulations stay fresh
    let target = tmp.path().join("target.csv");
    std::fs::write(&target, EXAMPLE_TARGET_FC).unwrap();
    let p2 = pipeline(&small("wb", &target.display().to_string()));
    let moved = run(&p2, &out, Some(2), &[]);
    assert_eq!(counts(&moved, "simulate"), (0, 6));
    assert_eq!(counts(&moved, "fc"), (6, 0));
    let text = String::from_utf8(EXAMPLE_TARGET_FC.to_vec()).unwrap();
    // negate every correlation: the best fit becomes the worst
    let flipped: String = text
        .lines()
        .enumerate()
        .map(|(row, line)| {
            if row == 0 {
                return format!("{line}\n");
            }
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            for v in f.iter_mut().skip(1) {
                *v = format!("{}", -v.parse::<f64>().unwrap());
            }
            format!("{}\n", f.join(","))
        })
        .collect();
    std::fs::write(&target, flipped).unwrap();
    let edited = run(&p2, &out, Some(2), &[]);
    assert_eq!(counts(&edited, "simulate"), (0, 6));
    assert_eq!(counts(&edited, "fc"), (6, 0));
    assert_eq!(counts(&edited, "tables"), (1, 0));
    let fit2 = neurodyn_io::read_table(&dir.join("tables/fit.parquet")).unwrap();
    let sim2 = fit2.f64s("fc_similarity").unwrap();
    for x in 0..6 {
        assert!((sim2[x] + sim[x]).abs() < 1e-9, "{sim:?} {sim2:?}");
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"wbt\"\nseed = 9\n\
         [sweep]\nmodel = [\"hopf\", \"wilson_cowan\"]\nk = [0.2]\nspeed = [10.0]\nseed = [0, 1]\n{}",
        whole_brain_stages(
            "duration_ms = 120.0\ntransient_ms = 20.0\nrecord = \"all\"\n\
             [stages.simulate.bold]\nwrite = \"yes\"\nperiod_ms = 10.0\n",
            "[stages.fc.fcd]\nwindow_ms = 40.0\nstep_ms = 20.0\n",
        )
    );
    let p = pipeline(&text);
    run(&p, &tmp.path().join("one"), Some(1), &[]);
    run(&p, &tmp.path().join("three"), Some(3), &[]);
    let one = all_tables(&tmp.path().join("one/wbt"));
    let three = all_tables(&tmp.path().join("three/wbt"));
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        three.keys().collect::<Vec<_>>()
    );
    for (name, t) in &one {
        assert!(t.same_bits(&three[name]), "{name} differs");
    }
    for t in ["tables/bold.parquet", "tables/fcd.parquet"] {
        assert!(one[t].rows() > 0, "{t} empty");
    }
    // the two models differ and the two seeds differ
    let fit = &one["tables/fit.parquet"];
    let s = fit.f64s("fc_similarity").unwrap();
    assert_eq!(s.len(), 4);
    assert!(s[0] != s[1] && s[0] != s[2], "{s:?}");

    // tables/activity, written point by point and variable by variable
    // (record = "all" interleaves the variables in each point's file),
    // holds every point's rows, strictly in (model, k, speed, seed,
    // variable, t_ms, region) order
    let act = &one["tables/activity.parquet"];
    let per_point: usize = one
        .iter()
        .filter(|(k, _)| k.starts_with("simulate/activity/"))
        .map(|(_, t)| t.rows())
        .sum();
    assert_eq!(act.rows(), per_point);
    let (m, k, sp, sd) = (
        act.strs("model").unwrap(),
        act.f64s("k").unwrap(),
        act.f64s("speed").unwrap(),
        act.i64s("seed").unwrap(),
    );
    let (v, t, r) = (
        act.strs("variable").unwrap(),
        act.f64s("t_ms").unwrap(),
        act.u32s("region").unwrap(),
    );
    let key = |i: usize| (m[i].as_str(), k[i], sp[i], sd[i], v[i].as_str(), t[i], r[i]);
    let variables: std::collections::BTreeSet<&str> = v.iter().map(String::as_str).collect();
    assert!(variables.len() > 1, "{variables:?}");
    for i in 1..act.rows() {
        assert!(key(i - 1) < key(i), "rows {} and {i} out of order", i - 1);
    }
}

#[test]
fn shards_balanced_by_the_models_cost_give_one_process_bits() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"wbs\"\nseed = 9\n\
         [sweep]\nmodel = [\"kuramoto\", \"fitzhugh_nagumo\"]\nk = [0.2]\nspeed = [10.0]\nseed = [0, 1, 2]\n{}",
        whole_brain_stages("duration_ms = 100.0\ntransient_ms = 20.0\n", "")
    );
    let p = pipeline(&text);
    let plan = Plan::new(&p, tmp.path());
    let costs = plan
        .point_costs()
        .expect("the neural-mass kind estimates its cost");
    // points: (kuramoto, fitzhugh_nagumo) x seed (0, 1, 2)
    assert!(
        costs[0] > 3.0 * costs[3] && costs[0] == costs[2],
        "{costs:?}"
    );
    // longest first, each to the shard with less so far: kuramoto 0, 1, 2
    // to shards 1, 2, 1, then every fitzhugh_nagumo point to shard 2
    // (round robin would give shard 1 two kuramoto points and one more)
    let one = runner::Shard { index: 1, count: 2 };
    assert_eq!(one.points(6, Some(&costs)), vec![0, 2]);
    for (i, n) in [(1, 2), (2, 4)] {
        let r = runner::run(
            &Plan::new(&p, &tmp.path().join("shards")),
            &RunOptions {
                threads: Some(1),
                quiet: true,
                shard: Some(runner::Shard { index: i, count: 2 }),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(counts(&r, "simulate"), (n, 0));
    }
    run(&p, &tmp.path().join("shards"), Some(1), &[]);
    run(&p, &tmp.path().join("one"), Some(2), &[]);
    neurodyn_tests::assert_same_tables(&tmp.path().join("shards/wbs"), &tmp.path().join("one/wbs"));
}

#[test]
fn a_target_of_the_wrong_size_is_an_error_that_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("small_target.csv");
    let mut csv = String::new();
    for a in 0..4 {
        let row: Vec<String> = (0..4)
            .map(|b| if a == b { "1".into() } else { "0.5".into() })
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    std::fs::write(&target, csv).unwrap();
    let text = format!(
        "[pipeline]\nname = \"wbe\"\n\
         [sweep]\nmodel = [\"hopf\"]\nk = [0.2]\nspeed = [10.0]\nseed = [0]\n{}",
        whole_brain_stages(
            "duration_ms = 60.0\ntransient_ms = 10.0\n",
            &format!("target = \"{}\"\n", target.display())
        )
    );
    // refused at load, before anything runs
    let msg = load_error(&text);
    assert!(
        msg.contains("small_target.csv") && msg.contains("4 x 4") && msg.contains("68"),
        "{msg}"
    );
    assert!(msg.contains("key `stages.fc.target`"), "{msg}");
}

/// The load error of a pipeline file's text (as if read from `test.toml`).
fn load_error(text: &str) -> String {
    let src = neurodyn_pipeline::spec::Source {
        path: "test.toml".into(),
        text: text.into(),
    };
    match neurodyn_pipeline::Pipeline::from_source(&src) {
        Ok(_) => panic!("accepted at load"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_missing_connectome_file_is_an_error_at_load_that_names_it() {
    let text = "[pipeline]\nname = \"wbm\"\n\
                [stages.simulate]\nkind = \"neural-mass-network\"\nconnectome = \"no/such/connectome.zip\"\n";
    let src = neurodyn_pipeline::spec::Source {
        path: "wbm.toml".into(),
        text: text.into(),
    };
    let msg = match neurodyn_pipeline::Pipeline::from_source(&src) {
        Ok(_) => panic!("a missing connectome file was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        msg.contains("no/such/connectome.zip") && msg.contains("connectome"),
        "{msg}"
    );
}

/// The bundled files, read back, equal what the generator writes now: the
/// same labels and centres, the same weights and distances, the same target
/// FC (to 1e-12: the generator's weights go through the platform's `exp`).
#[test]
fn bundled_example_data_is_what_the_generator_writes() {
    let tmp = tempfile::tempdir().unwrap();
    write_example_data(tmp.path()).unwrap();
    let fresh =
        neurodyn_io::connectome::read_tvb_zip(&tmp.path().join("example_connectome.zip")).unwrap();
    let bundled =
        neurodyn_io::connectome::parse_tvb_zip(EXAMPLE_CONNECTOME, Path::new("bundled")).unwrap();
    assert_eq!(fresh.labels(), bundled.labels());
    let close = |a: &[f64], b: &[f64], what: &str| {
        assert_eq!(a.len(), b.len(), "{what}");
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() <= 1e-12 * (1.0 + x.abs()),
                "{what}: {x} vs {y}"
            );
        }
    };
    close(fresh.weights(), bundled.weights(), "weights");
    close(fresh.distances_mm(), bundled.distances_mm(), "distances");
    let flat = |c: &neurodyn_core::connectome::Connectome| -> Vec<f64> {
        c.centres_mm().unwrap().iter().flatten().copied().collect()
    };
    close(&flat(&fresh), &flat(&bundled), "centres");
    let t_fresh =
        neurodyn_io::connectome::read_matrix_csv_labelled(&tmp.path().join("target_fc.csv"))
            .unwrap();
    let t_bundled = neurodyn_io::connectome::parse_matrix_csv_labelled(
        EXAMPLE_TARGET_FC.to_vec(),
        Path::new("bundled.csv"),
    )
    .unwrap();
    assert_eq!(t_fresh.labels, t_bundled.labels);
    close(&t_fresh.values, &t_bundled.values, "target FC");
}

#[test]
fn a_target_whose_labels_are_in_another_order_is_an_error_that_names_them() {
    let tmp = tempfile::tempdir().unwrap();
    let text = String::from_utf8(EXAMPLE_TARGET_FC.to_vec()).unwrap();
    // swap the first two header labels: the same size, another region order
    let (header, rest) = text.split_once('\n').unwrap();
    let mut labels: Vec<&str> = header.split(',').collect();
    labels.swap(0, 1);
    let target = tmp.path().join("swapped.csv");
    std::fs::write(&target, format!("{}\n{rest}", labels.join(","))).unwrap();
    let spec = format!(
        "[pipeline]\nname = \"wbl\"\n\
         [sweep]\nmodel = [\"hopf\"]\nk = [0.2]\nspeed = [10.0]\nseed = [0]\n{}",
        whole_brain_stages(
            "duration_ms = 60.0\ntransient_ms = 10.0\n",
            &format!("target = \"{}\"\n", target.display())
        )
    );
    let msg = load_error(&spec);
    assert!(
        msg.contains("swapped.csv") && msg.contains("\"L02\"") && msg.contains("\"L01\""),
        "{msg}"
    );
}

/// Run a one-point Hopf network (a = 1000/ms, Euler steps of 0.1 ms: it
/// explodes within a few hundred steps) with the extra `simulate` keys;
/// return the error, after checking that the point wrote no file.
fn diverging_hopf(simulate: &str) -> String {
    let text = format!(
        "[pipeline]\nname = \"div\"\nseed = 5\n\
         [sweep]\nmodel = [\"hopf\"]\nk = [0.5]\nspeed = [10.0]\nseed = [0]\n{}",
        whole_brain_stages(
            &format!(
                "integrator = \"euler\"\nnoise = {{ kind = \"none\" }}\nduration_ms = 3000.0\n\
                 {simulate}[stages.simulate.hopf]\na = 1000.0\n"
            ),
            ""
        )
    );
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(&text);
    let e = runner::run(
        &Plan::new(&p, tmp.path()),
        &RunOptions {
            quiet: true,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("stage simulate at model=hopf k=0.5 speed=10.0 seed=0"),
        "{e}"
    );
    // the recorder's folders may exist, but no file of the point
    let mut stack = vec![tmp.path().join("div")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            assert!(!path.is_file(), "{}", path.display());
            stack.push(path);
        }
    }
    e
}

#[test]
fn a_diverging_run_is_an_error_and_leaves_no_file_of_the_point() {
    // the first sample is NaN: the samples already streamed must not
    // become visible
    let e = diverging_hopf("");
    assert!(
        e.contains("model hopf diverged at k = 0.5, speed = 10: region"),
        "{e}"
    );
}

#[test]
fn a_run_diverging_in_its_transient_stops_at_the_drivers_first_state_check() {
    // long before the first sample after a 2 s transient: the driver's
    // state check after step 1024 stops it, instead of integrating NaN for
    // the rest of the transient
    let e = diverging_hopf("transient_ms = 2000.0\n");
    assert!(
        e.contains("model hopf diverged: variable x of node 0 is")
            && e.contains("after step 1024 (t = 102.4 ms)"),
        "{e}"
    );
}

#[test]
fn without_a_target_the_fc_is_computed_and_the_fit_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"nofit\"\nseed = 5\n\
         [sweep]\nmodel = [\"hopf\"]\nk = [0.2, 1.0]\nspeed = [10.0]\nseed = [0]\n{}",
        whole_brain_stages(
            "duration_ms = 120.0\ntransient_ms = 20.0\n",
            "target = \"none\"\n"
        )
    );
    let p = pipeline(&text);
    let r = run(&p, tmp.path(), Some(2), &[]);
    assert_eq!(counts(&r, "fc"), (2, 0));
    let t = all_tables(&tmp.path().join("nofit/tables"));
    let fit = &t["fit.parquet"];
    let sim = fit.f64s("fc_similarity").unwrap();
    let mean = fit.f64s("mean_fc").unwrap();
    assert!(sim.iter().all(|s| s.is_nan()), "{sim:?}");
    assert!(mean.iter().all(|m| m.is_finite()), "{mean:?}");
    let figures = tmp.path().join("nofit/figures");
    assert!(figures.join("activity.png").is_file());
    assert!(!figures.join("fc_target.png").exists());
    // the same sweep with the example target: the fit stage reruns, with
    // a similarity for each run
    let p = pipeline(&text.replace("target = \"none\"", "target = \"example\""));
    let r = run(&p, tmp.path(), Some(2), &[]);
    assert_eq!(counts(&r, "simulate"), (0, 2));
    assert_eq!(counts(&r, "fc"), (2, 0));
    let t = all_tables(&tmp.path().join("nofit/tables"));
    assert!(
        t["fit.parquet"]
            .f64s("fc_similarity")
            .unwrap()
            .iter()
            .all(|s| s.is_finite())
    );
}
