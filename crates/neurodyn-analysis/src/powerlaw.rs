//! Discrete power-law fits (Clauset, Shalizi & Newman 2009, SIAM Review
//! 51:661): maximum-likelihood exponent for `x >= xmin`, `xmin` chosen by
//! the Kolmogorov–Smirnov distance, standard error from the curvature of
//! the log-likelihood.
//!
//! The model is `P(X = x) = x^(−α) / ζ(α, xmin)` for integers `x >= xmin`,
//! with the Hurwitz zeta function `ζ(α, q) = Σ_(k>=0) (k + q)^(−α)`.

/// `ζ(s, q) = Σ_(k>=0) (k + q)^(−s)` for `s > 1`, `q > 0`: terms summed
/// directly up to `q + k >= 10`, the rest by the Euler–Maclaurin formula
/// with six Bernoulli corrections (relative error below 1e-14 for `s` up
/// to 20).
pub fn hurwitz_zeta(s: f64, q: f64) -> f64 {
    let direct = if q >= 10.0 {
        0
    } else {
        (10.0 - q).ceil() as usize
    };
    // B_2j / (2j)!
    const B: [f64; 6] = [
        1.0 / 12.0,
        -1.0 / 720.0,
        1.0 / 30_240.0,
        -1.0 / 1_209_600.0,
        1.0 / 47_900_160.0,
        -691.0 / 1_307_674_368_000.0,
    ];
    let mut sum = 0.0;
    for k in 0..direct {
        sum += (q + k as f64).powf(-s);
    }
    let a = q + direct as f64;
    let a_s = a.powf(-s);
    sum += a * a_s / (s - 1.0) + 0.5 * a_s;
    // Σ B_2j/(2j)! s (s+1) … (s+2j−2) a^(−s−2j+1)
    let mut rising = s; // s (s+1) … (s+2j−2)
    let mut pow = a_s / a; // a^(−s−2j+1), j = 1
    for (j, b) in B.iter().enumerate() {
        sum += b * rising * pow;
        let j = j as f64 + 1.0;
        rising *= (s + 2.0 * j - 1.0) * (s + 2.0 * j);
        pow /= a * a;
    }
    sum
}

/// A fitted discrete power law.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLawFit {
    /// Exponent α.
    pub alpha: f64,
    /// Its standard error, `1 / sqrt(−∂²L/∂α²)` at the optimum.
    pub alpha_se: f64,
    /// Smallest value of the fitted tail.
    pub xmin: u64,
    /// Samples in the tail (`x >= xmin`).
    pub n_tail: usize,
    /// KS distance between the tail's empirical CDF and the fitted one.
    pub ks: f64,
}

/// Range of α searched.
const ALPHA_LO: f64 = 1.0 + 1e-6;
const ALPHA_HI: f64 = 20.0;

/// Samples as sorted unique values with counts (zeros dropped).
#[derive(Debug, Clone)]
pub struct Tally {
    values: Vec<u64>,
    counts: Vec<u64>,
    /// `suffix_n[i]` = samples with value >= values[i]; one more entry (0).
    suffix_n: Vec<u64>,
    /// `suffix_ln[i]` = Σ ln x over samples with value >= values[i].
    suffix_ln: Vec<f64>,
}

impl Tally {
    /// Tally positive integer samples.
    pub fn new(samples: &[u64]) -> Self {
        let mut s: Vec<u64> = samples.iter().copied().filter(|&x| x > 0).collect();
        s.sort_unstable();
        let (mut values, mut counts) = (Vec::new(), Vec::new());
        for x in s {
            if values.last() == Some(&x) {
                *counts.last_mut().expect("nonempty") += 1;
            } else {
                values.push(x);
                counts.push(1);
            }
        }
        let k = values.len();
        let (mut suffix_n, mut suffix_ln) = (vec![0u64; k + 1], vec![0.0; k + 1]);
        for i in (0..k).rev() {
            suffix_n[i] = suffix_n[i + 1] + counts[i];
            suffix_ln[i] = suffix_ln[i + 1] + counts[i] as f64 * (values[i] as f64).ln();
        }
        Tally {
            values,
            counts,
            suffix_n,
            suffix_ln,
        }
    }

    /// Distinct values, increasing.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The fit of the tail `values[i..]` with normalisation from `xmin <=
    /// values[i]` (None with fewer than two distinct values in the tail).
    fn fit_at(&self, i: usize, xmin: u64) -> Option<PowerLawFit> {
        let n = self.suffix_n[i];
        if n == 0 || i + 1 >= self.values.len() {
            return None;
        }
        let q = xmin as f64;
        let (nf, sum_ln) = (n as f64, self.suffix_ln[i]);
        // −L(α)/n = ln ζ(α, xmin) + α mean(ln x): convex in α.
        let neg_ll = |a: f64| hurwitz_zeta(a, q).ln() + a * sum_ln / nf;
        let alpha = golden_min(neg_ll, ALPHA_LO, ALPHA_HI, 1e-10);
        let h = 1e-4 * alpha.max(1.0);
        let lz = |a: f64| hurwitz_zeta(a, q).ln();
        let curv = (lz(alpha + h) - 2.0 * lz(alpha) + lz((alpha - h).max(ALPHA_LO))) / (h * h);
        let alpha_se = 1.0 / (nf * curv).sqrt();
        // KS over the tail's distinct values: F(v) = 1 − ζ(α, v + 1)/ζ(α, xmin).
        let z0 = hurwitz_zeta(alpha, q);
        let mut below = 0u64;
        let mut ks = 0.0f64;
        for j in i..self.values.len() {
            below += self.counts[j];
            let fit = 1.0 - hurwitz_zeta(alpha, self.values[j] as f64 + 1.0) / z0;
            ks = ks.max((below as f64 / nf - fit).abs());
        }
        Some(PowerLawFit {
            alpha,
            alpha_se,
            xmin,
            n_tail: n as usize,
            ks,
        })
    }
}

/// Minimum of a unimodal function on `[lo, hi]` by golden-section search.
fn golden_min(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, tol: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = hi - r * (hi - lo);
    let mut d = lo + r * (hi - lo);
    let (mut fc, mut fd) = (f(c), f(d));
    while hi - lo > tol * (1.0 + lo.abs()) {
        if fc < fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - r * (hi - lo);
            fc = f(c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + r * (hi - lo);
            fd = f(d);
        }
    }
    0.5 * (lo + hi)
}

/// Fit with a given `xmin >= 1` (all samples `>= xmin`). None with fewer
/// than two distinct values in the tail.
pub fn fit_with_xmin(samples: &[u64], xmin: u64) -> Option<PowerLawFit> {
    let t = Tally::new(samples);
    let i = t.values.partition_point(|&v| v < xmin);
    t.fit_at(i, xmin.max(1))
}

/// The fit whose `xmin` minimises the KS distance, scanning the distinct
/// values with at least `min_tail` samples above them and, if given, at
/// most `xmin_max`. None when no candidate qualifies.
pub fn fit(samples: &[u64], min_tail: usize, xmin_max: Option<u64>) -> Option<PowerLawFit> {
    let t = Tally::new(samples);
    (0..t.values.len())
        .take_while(|&i| xmin_max.is_none_or(|m| t.values[i] <= m))
        .filter(|&i| t.suffix_n[i] as usize >= min_tail.max(2))
        .filter_map(|i| t.fit_at(i, t.values[i]))
        .min_by(|a, b| a.ks.total_cmp(&b.ks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::{Rng, Seed};
    use rand::RngExt;

    /// Discrete power-law samples by inverting the CDF on a table
    /// (x < 10^6), exact up to that cut.
    fn samples(alpha: f64, xmin: u64, n: usize, seed: u64) -> Vec<u64> {
        let z0 = hurwitz_zeta(alpha, xmin as f64);
        // Survival S(x) = ζ(α, x)/ζ(α, xmin) for x >= xmin; invert by bisection.
        let mut rng = rand_xoshiro_rng(seed);
        (0..n)
            .map(|_| {
                let u: f64 = rng.random::<f64>();
                // smallest x with S(x + 1) <= u, i.e. P(X <= x) >= 1 - u
                let (mut lo, mut hi) = (xmin, 1_000_000u64);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if hurwitz_zeta(alpha, mid as f64 + 1.0) / z0 <= u {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                lo
            })
            .collect()
    }

    fn rand_xoshiro_rng(seed: u64) -> Rng {
        Seed::derive(seed, "powerlaw-test", &[]).rng()
    }

    #[test]
    fn hurwitz_zeta_matches_known_values() {
        // ζ(2) = π²/6, ζ(3) = 1.2020569031595942, ζ(2, 2) = π²/6 − 1.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((hurwitz_zeta(2.0, 1.0) - pi2 / 6.0).abs() < 1e-14);
        assert!((hurwitz_zeta(3.0, 1.0) - 1.202_056_903_159_594_2).abs() < 1e-14);
        assert!((hurwitz_zeta(2.0, 2.0) - (pi2 / 6.0 - 1.0)).abs() < 1e-14);
        // ζ(1.5) = 2.612375348685488; recursion ζ(s, q) = q^-s + ζ(s, q + 1).
        assert!((hurwitz_zeta(1.5, 1.0) - 2.612_375_348_685_488).abs() < 1e-13);
        for (s, q) in [(1.2, 3.0), (2.5, 7.5), (4.0, 100.0)] {
            let d = hurwitz_zeta(s, q) - (q.powf(-s) + hurwitz_zeta(s, q + 1.0));
            assert!(d.abs() < 1e-14 * hurwitz_zeta(s, q), "{s} {q}");
        }
    }

    #[test]
    fn the_fit_recovers_alpha_within_its_standard_error() {
        for (alpha, xmin) in [(1.5, 1u64), (2.0, 1), (2.5, 5)] {
            let x = samples(alpha, xmin, 50_000, 11);
            let f = fit_with_xmin(&x, xmin).unwrap();
            assert!(
                (f.alpha - alpha).abs() < 4.0 * f.alpha_se,
                "alpha {alpha}: {f:?}"
            );
            // Clauset's asymptotic se (α − 1)/sqrt(n) for xmin >> 1; at
            // small xmin the discrete curvature is larger: same order.
            assert!(f.alpha_se > 0.2 * (alpha - 1.0) / (x.len() as f64).sqrt());
            assert!(f.ks < 1.95 / (x.len() as f64).sqrt(), "{f:?}");
        }
    }

    #[test]
    fn xmin_is_found_above_a_non_power_law_body() {
        // Uniform 1..=9 below a power-law tail from 10 (alpha 2.2).
        let mut rng = rand_xoshiro_rng(5);
        let mut x = samples(2.2, 10, 20_000, 6);
        x.extend((0..20_000).map(|_| rng.random_range(1..10u64)));
        let f = fit(&x, 100, None).unwrap();
        assert!((9..=12).contains(&f.xmin), "{f:?}");
        assert!((f.alpha - 2.2).abs() < 4.0 * f.alpha_se, "{f:?}");
    }
}
