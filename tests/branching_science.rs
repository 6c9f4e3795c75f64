//! The critical branching process against its exact laws: avalanche sizes
//! of Poisson(1) offspring follow the Borel distribution, durations the
//! Galton–Watson extinction law; segmentation of the activity recovers the
//! avalanches.

use neurodyn_analysis::avalanche::{
    borel_pmf, galton_watson_duration_cdf, ks_distance_discrete, segment,
};
use neurodyn_analysis::powerlaw;
use neurodyn_core::Seed;
use neurodyn_models::branching::{avalanche_activity, avalanches};

/// KS distance exceeded with probability 0.001 by n samples of a continuous
/// law (Kolmogorov's asymptotic quantile 1.95 / sqrt n; discrete laws make
/// the test conservative).
fn ks_bound(n: usize) -> f64 {
    1.95 / (n as f64).sqrt()
}

#[test]
fn critical_avalanches_follow_borel_sizes_and_galton_watson_durations() {
    let n = 100_000;
    let cap = 10_000_000;
    let mut rng = Seed::derive(2026, "branching-science", &[]).rng();
    let av = avalanches(1.0, n, cap, &mut rng).unwrap();
    let truncated = av.iter().filter(|a| a.truncated).count();
    // P(S >= 1e7) ~ sqrt(2 / (pi 1e7)) = 2.5e-4: a few dozen at most.
    assert!(truncated < 60, "{truncated} truncated");

    // Sizes against Borel(1) over 1..1e6 (truncated avalanches are larger).
    let sizes: Vec<u64> = av.iter().map(|a| a.size).collect();
    let mut cdf = borel_pmf(1.0, 1_000_000);
    let mut acc = 0.0;
    cdf.iter_mut().for_each(|p| {
        acc += *p;
        *p = acc;
    });
    let d = ks_distance_discrete(&sizes, &cdf);
    assert!(d < ks_bound(n), "sizes: KS {d} vs bound {}", ks_bound(n));

    // Durations against the Galton-Watson law over 1..1000 generations
    // (a truncated avalanche, 1e7 events, lasts far longer).
    let durations: Vec<u64> = av
        .iter()
        .map(|a| if a.truncated { u64::MAX } else { a.duration })
        .collect();
    let d = ks_distance_discrete(&durations, &galton_watson_duration_cdf(1.0, 1000));
    assert!(
        d < ks_bound(n),
        "durations: KS {d} vs bound {}",
        ks_bound(n)
    );

    // Power-law fits with xmin by KS: sizes ~ s^-3/2, durations ~ t^-2
    // (the untruncated avalanches; at least 1000 samples in the tail).
    let complete: Vec<&_> = av.iter().filter(|a| !a.truncated).collect();
    let s: Vec<u64> = complete.iter().map(|a| a.size).collect();
    let t: Vec<u64> = complete.iter().map(|a| a.duration).collect();
    let fs = powerlaw::fit(&s, 1000, None).unwrap();
    let ft = powerlaw::fit(&t, 1000, None).unwrap();
    eprintln!("sizes {fs:?}\ndurations {ft:?}");
    assert!((fs.alpha - 1.5).abs() < 4.0 * fs.alpha_se, "sizes {fs:?}");
    assert!(
        (ft.alpha - 2.0).abs() < 4.0 * ft.alpha_se,
        "durations {ft:?}"
    );

    // A wrong law is rejected by the same test: Borel(0.95) sizes.
    let mut wrong = borel_pmf(0.95, 1_000_000);
    let mut acc = 0.0;
    wrong.iter_mut().for_each(|p| {
        acc += *p;
        *p = acc;
    });
    assert!(ks_distance_discrete(&sizes, &wrong) > ks_bound(n));
}

#[test]
fn segmenting_the_activity_recovers_every_avalanche() {
    let mut r1 = Seed::derive(7, "segment", &[]).rng();
    let mut r2 = Seed::derive(7, "segment", &[]).rng();
    let av = avalanches(1.0, 5000, 100_000, &mut r1).unwrap();
    let mut act = vec![0];
    act.extend(avalanche_activity(1.0, 5000, 100_000, &mut r2).unwrap());
    let seg = segment(&act);
    assert_eq!(seg.len(), av.len());
    for (s, a) in seg.iter().zip(&av) {
        assert_eq!((s.size, s.duration), (a.size, a.duration));
    }
}
