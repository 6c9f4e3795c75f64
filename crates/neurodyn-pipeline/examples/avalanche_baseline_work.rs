//! The work of `../shared/baselines/branching_numpy.py --part avalanches
//! --no-powerlaw`, for `cargo xtask bench` to time beside it: 1e5 critical
//! Galton–Watson avalanches (Poisson(1) offspring, no size cap) laid out as an
//! activity series with one empty bin between them and segmented again
//! (checked equal); KS distances of sizes to Borel(1) and of durations to the
//! exact extinction law (the exact laws; see below); then 1e5
//! avalanches of the driven process `A(t+1) ~ Poisson(A(t) + 0.01)` (silent
//! stretches skipped exactly) against the same laws. Prints one JSON line.
//!
//! `cargo run --release -p neurodyn-pipeline --example avalanche_baseline_work [-- N]`

use std::time::Instant;

use neurodyn_analysis::avalanche::{
    self, borel_critical_sf, borel_pmf, galton_watson_duration_cdf,
};
use neurodyn_core::Seed;
use neurodyn_models::branching;

/// KS distance of integer samples to a CDF given as a table for 1..=len and
/// by `tail(x)` beyond, at every sample value and just below it.
fn ks(samples: &[u64], table: &[f64], tail: impl Fn(u64) -> f64) -> f64 {
    let cdf = |x: u64| {
        if x == 0 {
            0.0
        } else if x as usize <= table.len() {
            table[x as usize - 1]
        } else {
            tail(x)
        }
    };
    let mut v = samples.to_vec();
    v.sort_unstable();
    let n = v.len() as f64;
    let (mut d, mut i) = (0.0f64, 0usize);
    while i < v.len() {
        let e = i + v[i..].partition_point(|&a| a == v[i]);
        d = d.max((e as f64 / n - cdf(v[i])).abs());
        d = d.max((i as f64 / n - cdf(v[i] - 1)).abs());
        i = e;
    }
    d
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let t0 = Instant::now();
    let seed = Seed::derive(7, "avalanche-baseline-work", &[]);
    let series = branching::avalanche_activity_par(1.0, n, u64::MAX, &seed.child("gw", 0)).unwrap();
    let gw_s = t0.elapsed().as_secs_f64();
    let av = avalanche::segment(&series);
    assert_eq!(av.len(), n, "segmentation recovers every avalanche");
    let sizes: Vec<u64> = av.iter().map(|a| a.size).collect();
    let durations: Vec<u64> = av.iter().map(|a| a.duration).collect();
    let seg_s = t0.elapsed().as_secs_f64() - gw_s;

    // Borel(1): the pmf summed to 1000, Stirling's series in Hurwitz zeta
    // functions beyond (exact to 1e-13); the extinction law iterated up to
    // the longest avalanche (at most 2e6, P(T > t) ~ 2 / t beyond).
    let mut borel = borel_pmf(1.0, 1000);
    let mut acc = 0.0;
    borel.iter_mut().for_each(|p| {
        acc += *p;
        *p = acc;
    });
    let borel_tail = |x: u64| 1.0 - borel_critical_sf(x);
    let longest = durations.iter().copied().max().unwrap_or(1) as usize;
    let dur = galton_watson_duration_cdf(1.0, longest.min(2_000_000));
    let dur_tail = |x: u64| 1.0 - 2.0 / x as f64;
    let ks_size = ks(&sizes, &borel, borel_tail);
    let ks_dur = ks(&durations, &dur, dur_tail);

    let t1 = Instant::now();
    let driven = branching::driven_avalanches_par(1.0, 0.01, n, &seed.child("driven", 0)).unwrap();
    let driven_s = t1.elapsed().as_secs_f64();
    let ds: Vec<u64> = driven.iter().map(|a| a.size).collect();
    let dd: Vec<u64> = driven.iter().map(|a| a.duration).collect();
    let ks_driven_size = ks(&ds, &borel, borel_tail);
    let dur = galton_watson_duration_cdf(
        1.0,
        (dd.iter().copied().max().unwrap_or(1) as usize).min(2_000_000),
    );
    let ks_driven_dur = ks(&dd, &dur, dur_tail);
    println!(
        "{{\"n\": {n}, \"series_len\": {}, \"size_mean\": {:.3}, \"size_max\": {}, \"dur_max\": {}, \
         \"ks_size\": {ks_size:.6}, \"ks_dur\": {ks_dur:.6}, \"ks_driven_size\": {ks_driven_size:.6}, \
         \"ks_driven_dur\": {ks_driven_dur:.6}, \"gw_s\": {gw_s:.4}, \"segment_s\": {seg_s:.4}, \
         \"driven_s\": {driven_s:.4}, \"total_s\": {:.4}}}",
        series.len(),
        sizes.iter().sum::<u64>() as f64 / n as f64,
        sizes.iter().max().unwrap(),
        durations.iter().max().unwrap(),
        t0.elapsed().as_secs_f64()
    );
}
