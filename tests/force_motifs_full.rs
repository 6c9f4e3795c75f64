//! The full default force-motifs sweep (pipelines/force-motifs.toml): slow,
//! run by `cargo xtask test --slow`.

use neurodyn_pipeline::Pipeline;
use neurodyn_tests::run;

#[test]
#[ignore = "slow: the full default sweep (cargo xtask test --slow)"]
fn default_sweep_trains_every_network() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let p = Pipeline::load(&root.join("pipelines/force-motifs.toml")).unwrap();
    // 4 mixed fractions x 4 resets + pure QIF once, x 2 seeds
    assert_eq!(p.points().len(), 34);
    let tmp = tempfile::tempdir().unwrap();
    run(&p, tmp.path(), None, &[]);
    let dir = tmp.path().join("force-motifs/tables");
    let tr = neurodyn_io::read_table(&dir.join("training.parquet")).unwrap();
    assert_eq!(tr.rows(), 34 * 16);
    let mse = tr.column("mse").unwrap().as_f64().unwrap();
    let corr = tr.column("correlation").unwrap().as_f64().unwrap();
    // every network: loop 0 untrained (MSE near the targets' power amp0²/6),
    // the first training loop far below it, every trained loop correlated
    for k in 0..34 {
        let (before, first) = (mse[16 * k], mse[16 * k + 1]);
        assert!(
            before > 1.5 && first < 0.2 * before,
            "network {k}: {before} -> {first}"
        );
        for l in 1..=10 {
            assert!(
                corr[16 * k + l] > 0.9,
                "network {k} loop {l}: {}",
                corr[16 * k + l]
            );
        }
    }
    let dm = neurodyn_io::read_table(&dir.join("dimensionality.parquet")).unwrap();
    assert_eq!(dm.rows(), 34 * 16);
    let mo = neurodyn_io::read_table(&dir.join("motifs.parquet")).unwrap();
    assert_eq!(mo.rows(), 34 * 17);
    for f in ["traces", "mse_by_loop", "motifs_by_loop", "dpr", "raster"] {
        assert!(
            tmp.path()
                .join(format!("force-motifs/figures/{f}.png"))
                .is_file()
        );
    }
}
