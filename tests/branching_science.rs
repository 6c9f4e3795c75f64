//! The critical branching process against its exact laws: avalanche sizes
//! of Poisson(1) offspring follow the Borel distribution, durations the
//! Galton–Watson extinction law; segmentation of the activity recovers the
//! avalanches.

use neurodyn_analysis::avalanche::{
    borel_pmf, crackling_exponent, galton_watson_duration_cdf, galton_watson_mean_size_by_duration,
    ks_distance_discrete, mean_size_by_duration, segment,
};
use neurodyn_analysis::{branching_ratio, powerlaw};
use neurodyn_core::Seed;
use neurodyn_models::branching::{avalanche_activity, avalanches, driven_poisson};
use rand_distr::{Binomial, Distribution};

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
    eprintln!("sizes vs Borel(1): KS {d} (bound {})", ks_bound(n));
    assert!(d < ks_bound(n), "sizes: KS {d} vs bound {}", ks_bound(n));

    // Durations against the Galton-Watson law over 1..1000 generations
    // (a truncated avalanche, 1e7 events, lasts far longer).
    let durations: Vec<u64> = av
        .iter()
        .map(|a| if a.truncated { u64::MAX } else { a.duration })
        .collect();
    let d = ks_distance_discrete(&durations, &galton_watson_duration_cdf(1.0, 1000));
    eprintln!("durations vs Galton-Watson: KS {d} (bound {})", ks_bound(n));
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

    // Mean size by duration against the exact E[S | T = t], for every
    // duration with at least 100 avalanches, within 5 standard errors.
    let exact = galton_watson_mean_size_by_duration(1.0, 10_000);
    let mut sq = std::collections::BTreeMap::<u64, (f64, f64, f64)>::new();
    for (&si, &ti) in s.iter().zip(&t) {
        let e = sq.entry(ti).or_default();
        *e = (e.0 + 1.0, e.1 + si as f64, e.2 + (si as f64).powi(2));
    }
    let mut checked = 0;
    for (&ti, &(c, sum, sum2)) in &sq {
        if c < 100.0 {
            continue;
        }
        let mean = sum / c;
        let se = ((sum2 / c - mean * mean) / (c - 1.0)).sqrt().max(1e-12);
        let want = exact[ti as usize - 1];
        assert!(
            (mean - want).abs() < 5.0 * se,
            "T {ti}: {mean} vs exact {want}"
        );
        checked += 1;
    }
    assert!(checked >= 30, "{checked} durations checked");
    // The crackling exponent: asymptotically 2 = (alpha_T - 1)/(alpha_S - 1);
    // the exact curve's local slope is 1.99 by T = 1e4. Over T = 5..200 the
    // count-weighted fit of the data equals the same fit of the exact curve
    // within 5 sd of its sampling error (delta method per duration).
    let local = |t: usize| {
        (exact[t].ln() - exact[t - 2].ln()) / ((t as f64 + 1.0).ln() - (t as f64 - 1.0).ln())
    };
    assert!((local(9_998) - 2.0).abs() < 0.01, "{}", local(9_998));
    let gamma = crackling_exponent(&s, &t, 5, 200, 10).unwrap();
    let pts: Vec<(f64, f64, f64, f64)> = mean_size_by_duration(&s, &t)
        .into_iter()
        .filter(|&(ti, _, c)| (5..=200).contains(&ti) && c >= 10)
        .map(|(ti, m, c)| {
            let (_, _, sum2) = sq[&ti];
            let var_ln = (sum2 / c as f64 - m * m) / (c as f64 * m * m);
            (
                (ti as f64).ln(),
                exact[ti as usize - 1].ln(),
                c as f64,
                var_ln,
            )
        })
        .collect();
    let w: f64 = pts.iter().map(|p| p.2).sum();
    let mx = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / w;
    let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / w;
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let gamma_exact = pts
        .iter()
        .map(|p| p.2 * (p.0 - mx) * (p.1 - my))
        .sum::<f64>()
        / sxx;
    let sd = pts
        .iter()
        .map(|p| (p.2 * (p.0 - mx)).powi(2) * p.3)
        .sum::<f64>()
        .sqrt()
        / sxx;
    eprintln!(
        "crackling: data {gamma}, exact curve {gamma_exact} (sd {sd}); alpha ratio {}",
        (ft.alpha - 1.0) / (fs.alpha - 1.0)
    );
    assert!(
        (gamma - gamma_exact).abs() < 5.0 * sd,
        "{gamma} vs {gamma_exact} (sd {sd})"
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
    let act = avalanche_activity(1.0, 5000, 100_000, &mut r2).unwrap();
    assert_eq!(act[0], 0, "starts with an empty step");
    let seg = segment(&act);
    assert_eq!(seg.len(), av.len());
    for (s, a) in seg.iter().zip(&av) {
        assert_eq!((s.size, s.duration), (a.size, a.duration));
    }
}

#[test]
fn multistep_regression_recovers_m_from_one_percent_of_the_activity() {
    // Driven Poisson process m = 0.98, h = 2 (mean activity 100), observed
    // through binomial subsampling with alpha = 0.01.
    let (m, h, alpha, t) = (0.98, 2.0, 0.01, 1_000_000);
    let mut rng = Seed::derive(11, "mr", &[]).rng();
    let a = driven_poisson(m, h, 100, t, &mut rng).unwrap();
    let sub: Vec<f64> = a
        .iter()
        .map(|&x| Binomial::new(x, alpha).unwrap().sample(&mut rng) as f64)
        .collect();
    let mr = branching_ratio::multistep(&sub, 40, 1.5).unwrap();
    assert!((mr.m - m).abs() < 0.02 * m, "multistep {mr:?}");
    // The naive estimate follows the known bias b m; its sampling sd from
    // Bartlett's formula for a lag-1 autocorrelation with rho_j = b m^|j|.
    let bartlett_sd = |b: f64| {
        let rho = |j: i64| {
            if j == 0 {
                1.0
            } else {
                b * m.powi(j.unsigned_abs() as i32)
            }
        };
        let r1 = rho(1);
        let var: f64 = (-3000..=3000)
            .map(|j| {
                rho(j).powi(2) + rho(j + 1) * rho(j - 1) - 4.0 * r1 * rho(j) * rho(j + 1)
                    + 2.0 * r1 * r1 * rho(j).powi(2)
            })
            .sum::<f64>()
            / t as f64;
        var.sqrt()
    };
    let b = 1.0 / (1.0 + (1.0 - alpha) * (1.0 - m * m) / alpha);
    let naive = branching_ratio::naive(&sub);
    eprintln!("multistep {mr:?}; naive {naive}, b m = {}", b * m);
    assert!(
        (naive - b * m).abs() < 5.0 * bartlett_sd(b),
        "naive {naive} vs b m = {} (sd {})",
        b * m,
        bartlett_sd(b)
    );
    // Fully observed (b = 1), the naive estimate is unbiased.
    let full: Vec<f64> = a.iter().map(|&x| x as f64).collect();
    let naive_full = branching_ratio::naive(&full);
    assert!(
        (naive_full - m).abs() < 5.0 * bartlett_sd(1.0),
        "{naive_full}"
    );
}
