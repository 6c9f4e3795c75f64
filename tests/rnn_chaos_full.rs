//! The full default rnn-chaos sweep (pipelines/rnn-chaos.toml): slow, run by
//! `cargo xtask test --slow`.

use neurodyn_pipeline::Pipeline;
use neurodyn_tests::run;

#[test]
#[ignore = "slow: the full default sweep (cargo xtask test --slow)"]
fn default_sweep_has_its_chaos_onset_between_g_7_and_10() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let p = Pipeline::load(&root.join("pipelines/rnn-chaos.toml")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    run(&p, tmp.path(), None, &[]);
    let s = neurodyn_io::read_table(&tmp.path().join("rnn-chaos/tables/summary.parquet")).unwrap();
    let g = s.column("g").unwrap().as_f64().unwrap();
    let lam = s
        .column("lambda_benettin_per_s_mean")
        .unwrap()
        .as_f64()
        .unwrap();
    let frac = s.column("fraction_diverging").unwrap().as_f64().unwrap();
    let nb = s
        .column("lambda_notebook_per_s_mean")
        .unwrap()
        .as_f64()
        .unwrap();
    assert_eq!(g, &[1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0]);
    for (i, &gv) in g.iter().enumerate() {
        if gv <= 7.0 {
            assert!(lam[i] < 0.0, "g = {gv}: lambda = {}", lam[i]);
        } else {
            assert!(lam[i] > 0.0, "g = {gv}: lambda = {}", lam[i]);
            assert!(frac[i] > 0.5, "g = {gv}: fraction diverging {}", frac[i]);
            assert!(nb[i] > 0.0, "g = {gv}: notebook estimate {}", nb[i]);
        }
    }
    // the notebook's estimator is undefined where no trial diverges
    assert!(nb[0].is_nan() && frac[0] == 0.0);
}
