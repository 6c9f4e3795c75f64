//! The ring-attractor pipeline: a short run end to end (outputs, incremental
//! reruns, determinism across thread counts), and the full default sweeps
//! of both parameter sets (slow, `cargo xtask test --slow`).

use std::path::Path;

use neurodyn_core::record::MemoryTable;
use neurodyn_pipeline::Pipeline;
use neurodyn_tests::{all_tables, counts, pipeline, run};

/// A short ring sweep; `analyse` goes under `[stages.analyse]`.
fn short(name: &str, analyse: &str) -> String {
    format!(
        "[pipeline]\nname = \"{name}\"\nseed = 42\n\
         [sweep]\nparameter_set = [\"original\"]\ncondition = [\"normal\", \"decreased\"]\nseed = [0]\n{}",
        neurodyn_tests::ring_stages(
            "duration_s = 2.5\n[stages.simulate.record]\nevery_steps = 100\n",
            analyse,
            "current_step_pa = 50.0\n",
            "animation_frames = 3\n"
        )
    )
}

fn strs(t: &MemoryTable, col: &str) -> Vec<String> {
    t.strs(col).unwrap_or_else(|e| panic!("{e}")).to_vec()
}

#[test]
fn runs_end_to_end_then_reruns_only_the_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let p = pipeline(&short("ra", ""));
    let first = run(&p, out, Some(2), &[]);
    for (stage, n) in [
        ("simulate", 2),
        ("analyse", 2),
        ("tables", 1),
        ("fi_curves", 1),
        ("figures", 1),
    ] {
        assert_eq!(counts(&first, stage), (n, 0), "{stage}");
    }
    let dir = out.join("ra");
    neurodyn_tests::check_documented_columns("ring-attractor", &dir, 5);
    for f in [
        "simulate/spikes/parameter_set_original/condition_normal/seed_0/spikes.parquet",
        "simulate/traces/parameter_set_original/condition_decreased/seed_0/traces.parquet",
        "analyse/bump/parameter_set_original/condition_normal/seed_0/bump.parquet",
        "analyse/rates/parameter_set_original/condition_normal/seed_0/rates.parquet",
        "tables/persistence.parquet",
        "tables/persistence_summary.parquet",
        "tables/rates.parquet",
        "tables/fi_curves.parquet",
        "figures/raster_original_normal.png",
        "figures/raster_original_normal.gif",
        "figures/raster_original_decreased.png",
        "figures/bump_angle_original.png",
        "figures/persistence.svg",
        "figures/fi_curves.png",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let tables = all_tables(&dir);
    // Spikes: steps within the run, neurons within the network, in step order.
    let spk =
        &tables["simulate/spikes/parameter_set_original/condition_normal/seed_0/spikes.parquet"];
    let steps = spk.u32s("step").unwrap();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]) && *steps.last().unwrap() < 25_000);
    assert!(spk.u32s("neuron").unwrap().iter().all(|&k| k < 450));
    // Traces every 100 steps of the 5 default neurons.
    let tr =
        &tables["simulate/traces/parameter_set_original/condition_decreased/seed_0/traces.parquet"];
    assert_eq!(tr.rows(), 5 * 250);
    // Persistence: one row per point, with its reason; at normal serotonin
    // the bump holds the stimulus angle, at decreased serotonin it runs away.
    let pers = &tables["tables/persistence.parquet"];
    assert_eq!(strs(pers, "condition"), ["decreased", "normal"]);
    assert_eq!(strs(pers, "reason"), ["runaway", "persisted"]);
    let err = pers.f64s("angle_error_deg").unwrap();
    assert!(err[1] < 30.0, "normal: angle error {}", err[1]);
    let ps = pers.f64s("persistence_s").unwrap();
    assert_eq!(ps[1], 1.25, "persisted through the 1.25-s delay");
    // Population rates: mean over one seed, 10-ms bins over 2.5 s.
    let rates = &tables["tables/rates.parquet"];
    assert_eq!(rates.rows(), 2 * 250);
    // f-I curves: both cells of both bundled sets, 0..600 pA in 50-pA steps.
    assert_eq!(tables["tables/fi_curves.parquet"].rows(), 2 * 2 * 13);

    // Nothing changed: nothing runs.
    let again = run(&p, out, Some(2), &[]);
    for stage in ["simulate", "analyse", "tables", "fi_curves", "figures"] {
        assert_eq!(counts(&again, stage).0, 0, "{stage} reran");
    }
    // An analysis parameter: only the analysis and what follows it.
    let p2 = pipeline(&short("ra", "low_hz = 20.0\n"));
    let third = run(&p2, out, Some(1), &[]);
    assert_eq!(counts(&third, "simulate"), (0, 2));
    assert_eq!(counts(&third, "analyse"), (2, 0));
    assert_eq!(counts(&third, "fi_curves"), (0, 1));
    assert_eq!(counts(&third, "tables"), (1, 0));

    // The same data with one thread as with two.
    let one = tmp.path().join("one");
    run(
        &pipeline(&short("ra", "low_hz = 20.0\n")),
        &one,
        Some(1),
        &[],
    );
    neurodyn_tests::assert_same_tables(&dir, &one.join("ra"));
}

/// Persistence rows of one pipeline's `tables/persistence.parquet`:
/// (condition, persistence_s, reason, angle_error_deg).
fn persistence(dir: &Path) -> Vec<(String, f64, String, f64)> {
    let t = neurodyn_io::read_table(&dir.join("tables/persistence.parquet")).unwrap();
    let (c, r) = (strs(&t, "condition"), strs(&t, "reason"));
    let p = t.f64s("persistence_s").unwrap();
    let e = t.f64s("angle_error_deg").unwrap();
    (0..t.rows())
        .map(|i| (c[i].clone(), p[i], r[i].clone(), e[i]))
        .collect()
}

fn of<'a>(
    rows: &'a [(String, f64, String, f64)],
    cond: &str,
) -> Vec<&'a (String, f64, String, f64)> {
    rows.iter().filter(|r| r.0 == cond).collect()
}

#[test]
#[ignore = "slow: the full default sweeps of both parameter sets (cargo xtask test --slow)"]
fn default_sweeps_reproduce_the_serotonin_effects() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();

    // Original set (thesis NMDA block), 10 seeds per condition.
    let p = Pipeline::load(&root.join("pipelines/ring-attractor.toml")).unwrap();
    run(&p, tmp.path(), None, &[]);
    let rows = persistence(&tmp.path().join("ring-attractor"));
    assert_eq!(rows.len(), 40);
    let normal = of(&rows, "normal");
    assert!(
        normal.iter().all(|r| r.2 == "persisted"),
        "normal: {normal:?}"
    );
    let mean_err = normal.iter().map(|r| r.3).sum::<f64>() / normal.len() as f64;
    assert!(mean_err < 20.0, "normal: mean angle error {mean_err}");
    let decreased = of(&rows, "decreased");
    let runaway = decreased.iter().filter(|r| r.2 == "runaway").count();
    assert!(runaway > decreased.len() / 2, "decreased: {decreased:?}");
    let mean =
        |v: &[&(String, f64, String, f64)]| v.iter().map(|r| r.1).sum::<f64>() / v.len() as f64;
    let increased = of(&rows, "increased");
    assert!(mean(&increased) < mean(&normal), "increased: {increased:?}");

    // Book set: the bump persists in every condition.
    let p = Pipeline::load(&root.join("pipelines/ring-attractor-book.toml")).unwrap();
    run(&p, tmp.path(), None, &[]);
    let rows = persistence(&tmp.path().join("ring-attractor-book"));
    assert_eq!(rows.len(), 40);
    assert!(rows.iter().all(|r| r.2 == "persisted"), "book: {rows:?}");
}
