//! The branching-avalanches pipeline: a small run end to end (outputs,
//! incremental reruns, determinism across thread counts, the layered
//! model's cascades against their exact law), and the full default sweep
//! (slow, `cargo xtask test --slow`).

use neurodyn_core::record::MemoryTable;
use neurodyn_models::layered::{LayeredParams, Transmission, exact_count_distributions};
use neurodyn_tests::{all_tables, counts, pipeline, run};

fn small(name: &str) -> String {
    format!(
        "[pipeline]\nname = \"{name}\"\nseed = 5\n\
         [sweep]\nmodel = [\"layered\", \"poisson\", \"random_graph\"]\nsigma = [0.7, 1.0]\nseed = [0]\n{}",
        neurodyn_tests::branching_stages(
            "layered.pulses = 3000\nlayered.animation_steps = 30\npoisson.avalanches = 3000\n\
             poisson.max_size = 100000\nrandom_graph.neurons = 2000\nrandom_graph.steps = 20000\n\
             random_graph.spont_prob = 2e-5\n",
            "bootstrap = 5\n",
            "animation_frames = 4\n"
        )
    )
}

fn rows_of(t: &MemoryTable, model: &str, sigma: f64) -> Vec<usize> {
    let m = t.strs("model").unwrap();
    let s = t.f64s("sigma").unwrap();
    (0..t.rows())
        .filter(|&i| m[i] == model && s[i] == sigma)
        .collect()
}

#[test]
fn runs_end_to_end_then_reruns_only_the_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let p = pipeline(&small("ba"));
    let first = run(&p, out, Some(2), &[]);
    for (stage, n) in [
        ("simulate", 6),
        ("analyse", 6),
        ("tables", 1),
        ("figures", 1),
    ] {
        assert_eq!(counts(&first, stage), (n, 0), "{stage}");
    }
    let dir = out.join("ba");
    neurodyn_tests::check_documented_columns("branching-avalanches", &dir, 5);
    for f in [
        "simulate/activity/model_layered/sigma_0.7/seed_0/activity.parquet",
        "simulate/cells/model_layered/sigma_1.0/seed_0/cells.parquet",
        "analyse/avalanches/model_poisson/sigma_1.0/seed_0/avalanches.parquet",
        "tables/avalanches.parquet",
        "tables/powerlaw.parquet",
        "tables/branching_ratio.parquet",
        "tables/crackling.parquet",
        "tables/size_by_duration.parquet",
        "figures/ccdf_size.png",
        "figures/ccdf_duration.svg",
        "figures/size_by_duration.png",
        "figures/rasters.png",
        "figures/layered_sigma_0.7.gif",
        "figures/layered_sigma_1.0.gif",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let tables = all_tables(&dir);
    let av = &tables["tables/avalanches.parquet"];
    let size = av.i64s("size").unwrap();
    let dur = av.i64s("duration").unwrap();
    // Every pulse is one complete cascade; every driven seed event one avalanche.
    for sigma in [0.7, 1.0] {
        assert_eq!(rows_of(av, "layered", sigma).len(), 3000);
        assert_eq!(rows_of(av, "poisson", sigma).len(), 3000);
        assert!(
            rows_of(av, "layered", sigma)
                .iter()
                .all(|&i| (1..=35).contains(&dur[i]))
        );
    }
    // The layered cascades' mean size equals the exact expected total
    // activity of a one-neuron pulse (the count distributions propagated
    // layer by layer), within 5 standard errors.
    for sigma in [0.7, 1.0] {
        let params = LayeredParams {
            layers: 35,
            neurons: 20,
            sigma,
            spont_prob: 0.0,
            rule: Transmission::Independent,
        };
        let mut init = vec![vec![0.0; 21]; 35];
        init[0][1] = 1.0;
        for l in 1..35 {
            init[l][0] = 1.0;
        }
        let dist = exact_count_distributions(&params, &init, 34);
        // the cascade is layer 0 at the pulse, then layer l after l steps
        let want: f64 = 1.0
            + (1..35)
                .map(|l| {
                    dist[l - 1][l]
                        .iter()
                        .enumerate()
                        .map(|(k, p)| k as f64 * p)
                        .sum::<f64>()
                })
                .sum::<f64>();
        let x: Vec<f64> = rows_of(av, "layered", sigma)
            .iter()
            .map(|&i| size[i] as f64)
            .collect();
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!(
            (mean - want).abs() < 5.0 * sd / n.sqrt(),
            "sigma {sigma}: {mean} vs exact {want}"
        );
    }
    // Subcritical driven process: mean size 1 / (1 - sigma), Var sigma / (1 - sigma)^3.
    let x: Vec<f64> = rows_of(av, "poisson", 0.7)
        .iter()
        .map(|&i| size[i] as f64)
        .collect();
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let se = (0.7f64 / 0.3f64.powi(3) / x.len() as f64).sqrt();
    assert!((mean - 1.0 / 0.3).abs() < 5.0 * se, "{mean}");
    // One power-law row per quantity and point (when a fit qualifies), with p-values.
    let pl = &tables["tables/powerlaw.parquet"];
    assert!(pl.rows() >= 8, "{} fits", pl.rows());
    assert!(
        pl.f64s("p_value")
            .unwrap()
            .iter()
            .all(|p| p.is_nan() || (0.0..=1.0).contains(p))
    );
    // Branching ratio: three subsamplings per point and series (the driven
    // series only below criticality), the naive estimate shrinking with them.
    let br = &tables["tables/branching_ratio.parquet"];
    assert_eq!(br.rows(), 6 * 3 + 3);
    let naive = br.f64s("m_naive").unwrap();
    let sub = br.f64s("subsampling").unwrap();
    assert_eq!(&sub[..3], &[1.0, 0.1, 0.01]);
    assert!(
        naive[0] > naive[1] && naive[1] > naive[2],
        "{:?}",
        &naive[..3]
    );

    // Nothing changed: nothing runs. A new bootstrap count: analysis only.
    let again = run(&p, out, Some(2), &[]);
    assert_eq!(counts(&again, "simulate"), (0, 6));
    assert_eq!(counts(&again, "figures"), (0, 1));
    // A bound on xmin (every sample is >= 1, so xmin = 1 everywhere).
    let p2 = pipeline(&small("ba").replace("bootstrap = 5", "bootstrap = 6\nxmin_max = 1"));
    let third = run(&p2, out, Some(2), &[]);
    assert_eq!(counts(&third, "simulate"), (0, 6));
    assert_eq!(counts(&third, "analyse"), (6, 0));
    assert_eq!(counts(&third, "tables"), (1, 0));
    let pl = neurodyn_io::read_table(&dir.join("tables/powerlaw.parquet")).unwrap();
    assert!(pl.i64s("xmin").unwrap().iter().all(|&x| x == 1));
}

#[test]
fn data_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let text = small("det")
        .replace("random_graph\"]", "random_graph\"]\n")
        .replace("animation_frames = 4", "animation_frames = 0");
    let p = pipeline(&text);
    run(&p, &tmp.path().join("one"), Some(1), &[]);
    run(&p, &tmp.path().join("two"), Some(2), &[]);
    let a = all_tables(&tmp.path().join("one/det"));
    let b = all_tables(&tmp.path().join("two/det"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, t) in &a {
        assert!(t.same_bits(&b[k]), "{k} differs between 1 and 2 threads");
    }
}

#[test]
fn bad_parameters_name_the_key() {
    let text = small("bad").replace(
        "layered.pulses = 3000",
        "layered.pulses = 3000\nlayered.pulse_interval_steps = 20",
    );
    let src = neurodyn_pipeline::spec::Source {
        path: "bad.toml".into(),
        text,
    };
    let e = neurodyn_pipeline::Pipeline::from_source(&src)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layered.pulse_interval_steps") && e.contains("layered.layers"),
        "{e}"
    );
}

/// The default pipeline: the critical driven process's exponents and the
/// branching ratio at 1 % subsampling (about 15 s on two cores).
#[test]
#[ignore]
fn default_sweep_recovers_the_critical_exponents_and_m() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let p = neurodyn_pipeline::Pipeline::load(&root.join("pipelines/branching-avalanches.toml"))
        .unwrap();
    run(&p, tmp.path(), None, &[]);
    let tables = all_tables(&tmp.path().join("branching-avalanches"));
    let pl = &tables["tables/powerlaw.parquet"];
    let (m, s, q) = (
        pl.strs("model").unwrap(),
        pl.f64s("sigma").unwrap(),
        pl.strs("quantity").unwrap(),
    );
    let (alpha, se) = (pl.f64s("alpha").unwrap(), pl.f64s("alpha_se").unwrap());
    for (quantity, want) in [("size", 1.5), ("duration", 2.0)] {
        let i = (0..pl.rows())
            .find(|&i| m[i] == "poisson" && s[i] == 1.0 && q[i] == quantity)
            .unwrap();
        eprintln!("{quantity}: alpha {} +- {}", alpha[i], se[i]);
        assert!(
            (alpha[i] - want).abs() < 4.0 * se[i],
            "{quantity}: {} +- {}",
            alpha[i],
            se[i]
        );
    }
    let br = &tables["tables/branching_ratio.parquet"];
    let (m, s, sub, mr) = (
        br.strs("model").unwrap(),
        br.f64s("sigma").unwrap(),
        br.f64s("subsampling").unwrap(),
        br.f64s("m_mr").unwrap(),
    );
    let i = (0..br.rows())
        .find(|&i| m[i] == "poisson" && s[i] == 1.0 && sub[i] == 0.01)
        .unwrap();
    assert!((mr[i] - 1.0).abs() < 0.02, "m_mr at 1 %: {}", mr[i]);
}
