//! The science of rnn-chaos: signs of the largest Lyapunov exponent in the
//! default model, and agreement with the exact linear exponent of the classic
//! model below the transition (Sompolinsky, Crisanti & Sommers 1988),
//! computed independently from the eigenvalues of W (faer).

use neurodyn_analysis::lyapunov::benettin_from_log_stretch;
use neurodyn_analysis::stats::mean;
use neurodyn_core::{MemoryRecorder, Seed};
use neurodyn_models::rate_rnn::{self, ActivityRecord, RnnForm, RnnParams};

/// Benettin exponents (per step) of `trials` trials, transient discarded.
fn benettin(
    params: &RnnParams,
    session: u64,
    trials: usize,
    steps: usize,
    transient: usize,
) -> (Vec<f64>, neurodyn_models::Csr) {
    let seed = Seed::derive(
        1234,
        "rnn-chaos/network",
        &[("session", &session.to_string())],
    );
    let mut rng = seed.rng();
    let w = rate_rnn::connectivity(params, &mut rng);
    let init = rate_rnn::initial_states(params.n, trials, &mut rng);
    let tan = rate_rnn::initial_tangents(params.n, trials, &mut seed.child("tangent", 0).rng());
    let mut rec = MemoryRecorder::default();
    let none = ActivityRecord {
        r: false,
        r_twin: false,
        units: vec![],
        trials: vec![],
        every: 1,
    };
    rate_rnn::run_twins(params, &w, &init, &tan, 1e-4, steps, &none, &mut rec).unwrap();
    let t = rec.table("tangent").unwrap();
    let trial = t.column("trial").unwrap().as_u32().unwrap();
    let ls = t.column("log_stretch").unwrap().as_f64().unwrap();
    let lam = (0..trials as u32)
        .map(|k| {
            let s: Vec<f64> = trial
                .iter()
                .zip(ls)
                .filter(|(a, _)| **a == k)
                .map(|(_, v)| *v)
                .collect();
            benettin_from_log_stretch(&s, transient).unwrap()
        })
        .collect();
    (lam, w)
}

#[test]
fn default_model_is_stable_at_low_gain_and_chaotic_at_high_gain() {
    for (g, chaotic) in [(1.0, false), (4.0, false), (10.0, true), (16.0, true)] {
        let params = RnnParams::try_new(200, 0.1, g, 20.0, 1.0, RnnForm::Seed).unwrap();
        for session in [1, 2] {
            let (lam, _) = benettin(&params, session, 2, 3000, 1000);
            let per_s = mean(&lam) * 1000.0; // dt = 1 ms
            assert_eq!(
                per_s > 0.0,
                chaotic,
                "g = {g}, session {session}: lambda = {per_s} 1/s"
            );
        }
    }
}

/// Exact exponent per step of the linearised Euler map at the fixed point 0:
/// max over eigenvalues mu of W of ln |1 - a + a g mu|.
fn linear_exponent(w: &neurodyn_models::Csr, g: f64, a: f64) -> f64 {
    let n = w.rows;
    let d = w.to_dense();
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| d[i * n + j]);
    let ev = m.eigenvalues().expect("eigenvalues");
    ev.iter()
        .map(|z| {
            let (re, im) = (1.0 - a + a * g * z.re, a * g * z.im);
            0.5 * (re * re + im * im).ln()
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

fn classic(n: usize, g: f64) -> RnnParams {
    // tau = 10 ms, dt = 1 ms: dt / tau = 0.1, dense (p = 1), variance 1/N
    RnnParams::try_new(n, 1.0, g, 10.0, 1.0, RnnForm::Classic).unwrap()
}

#[test]
fn classic_model_below_transition_matches_the_linear_exponent() {
    let p = classic(300, 0.5);
    let (lam, w) = benettin(&p, 1, 1, 3000, 1500);
    let exact = linear_exponent(&w, 0.5, 0.1);
    // per tau = per step / (dt / tau)
    assert!(
        (lam[0] - exact).abs() / 0.1 < 0.01,
        "benettin {} vs exact {} per tau",
        lam[0] / 0.1,
        exact / 0.1
    );
    assert!(
        (exact / 0.1 + 0.5).abs() < 0.1,
        "exact {} per tau, expected near -0.5",
        exact / 0.1
    );
}

#[test]
fn classic_model_above_transition_is_chaotic() {
    for g in [2.0, 3.0] {
        let (lam, _) = benettin(&classic(300, g), 1, 1, 3000, 1000);
        assert!(lam[0] > 0.0, "g = {g}: {} per tau", lam[0] / 0.1);
    }
}

#[test]
#[ignore = "slow: dense N = 1000 (cargo xtask test --slow)"]
fn dense_classic_network_n1000_matches_sompolinsky_crisanti_sommers() {
    let p = classic(1000, 0.5);
    let (lam, w) = benettin(&p, 1, 1, 4000, 2000);
    let exact = linear_exponent(&w, 0.5, 0.1);
    let per_tau = lam[0] / 0.1;
    assert!(
        (per_tau - exact / 0.1).abs() < 0.01,
        "{per_tau} vs {}",
        exact / 0.1
    );
    assert!((per_tau + 0.5).abs() < 0.05, "{per_tau}");
    for g in [2.0, 3.0] {
        let (lam, _) = benettin(&classic(1000, g), 1, 1, 4000, 1000);
        assert!(lam[0] > 0.0, "g = {g}: {}", lam[0] / 0.1);
    }
}
