//! Alternatives to a power-law tail and likelihood-ratio comparisons
//! (Clauset, Shalizi & Newman 2009, §5; Vuong 1989).
//!
//! Every model is a discrete distribution on the integers `x >= xmin`, fitted
//! by maximum likelihood to the same tail as the power law:
//! - exponential: `P(x) = (1 − e^(−λ)) e^(−λ (x − xmin))`;
//! - lognormal: `P(x) = P(x <= Y < x + 1 | Y >= xmin)` for `ln Y ~ N(μ, σ²)`;
//! - truncated power law: `P(x) = x^(−α) e^(−λ x) / Z(α, λ)`,
//!   `Z = Σ_(x>=xmin) x^(−α) e^(−λ x)`;
//! - power law: `P(x) = x^(−α) / ζ(α, xmin)`.
//!
//! The comparison's statistic is the log-likelihood ratio `R = Σ ln P_pl(x_i)
//! − ln P_alt(x_i)` over the tail (positive favours the power law). For the
//! non-nested alternatives its p-value is Vuong's two-sided normal test,
//! `erfc(|R| / (s sqrt(2 n)))` with `s` the standard deviation of the
//! pointwise ratios; the power law is nested in the truncated power law
//! (`λ = 0`), so there `2|R|` is χ²(1): `p = erfc(sqrt(|R|))`. A small p
//! means the sign of `R` is significant.

use crate::optimize::nelder_mead_2d;
use crate::zeta::hurwitz_zeta;

/// The tail of a sample: distinct values `>= xmin` with their counts.
#[derive(Debug, Clone, Copy)]
pub struct Tail<'a> {
    /// Distinct values, increasing, all `>= xmin`.
    pub values: &'a [u64],
    /// Their counts.
    pub counts: &'a [u64],
    /// Smallest value of the model's support.
    pub xmin: u64,
}

impl Tail<'_> {
    fn n(&self) -> f64 {
        self.counts.iter().sum::<u64>() as f64
    }

    fn weighted_sum(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.values
            .iter()
            .zip(self.counts)
            .map(|(&v, &c)| c as f64 * f(v as f64))
            .sum()
    }
}

/// A fitted tail model: parameters, total log-likelihood and the log
/// probability of each distinct tail value.
#[derive(Debug, Clone, PartialEq)]
pub struct TailFit {
    /// Parameters: exponential `[λ, 0]`, lognormal `[μ, σ]`, truncated power
    /// law `[α, λ]`, power law `[α, 0]`.
    pub params: [f64; 2],
    /// `Σ ln P(x_i)` over the tail.
    pub log_likelihood: f64,
    /// `ln P(v)` for each distinct value `v` of the tail.
    pub ln_pmf: Vec<f64>,
}

fn tail_fit(tail: &Tail<'_>, params: [f64; 2], ln_pmf: Vec<f64>) -> TailFit {
    let log_likelihood = ln_pmf
        .iter()
        .zip(tail.counts)
        .map(|(l, &c)| c as f64 * l)
        .sum();
    TailFit {
        params,
        log_likelihood,
        ln_pmf,
    }
}

/// The power law with exponent `alpha` on the tail.
pub fn power_law(tail: &Tail<'_>, alpha: f64) -> TailFit {
    let lz = hurwitz_zeta(alpha, tail.xmin as f64).ln();
    let ln_pmf = tail
        .values
        .iter()
        .map(|&v| -alpha * (v as f64).ln() - lz)
        .collect();
    tail_fit(tail, [alpha, 0.0], ln_pmf)
}

/// The exponential (geometric) tail by its closed-form MLE `λ = ln(1 + 1/m)`,
/// `m` the mean of `x − xmin`. None when every value equals `xmin`.
pub fn exponential(tail: &Tail<'_>) -> Option<TailFit> {
    let q = tail.xmin as f64;
    let m = tail.weighted_sum(|x| x - q) / tail.n();
    if m.is_nan() || m <= 0.0 {
        return None;
    }
    let lambda = (1.0 / m).ln_1p();
    let ln_norm = (-(-lambda).exp_m1()).ln();
    let ln_pmf = tail
        .values
        .iter()
        .map(|&v| ln_norm - lambda * (v as f64 - q))
        .collect();
    Some(tail_fit(tail, [lambda, 0.0], ln_pmf))
}

/// `ln Q(z)`, `Q` the upper tail of the standard normal, accurate for every
/// finite `z` (asymptotic series beyond `z = 35`, where `erfc` underflows).
pub fn ln_normal_sf(z: f64) -> f64 {
    if z < 0.0 {
        (-0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)).ln_1p()
    } else if z < 35.0 {
        (0.5 * libm::erfc(z / std::f64::consts::SQRT_2)).ln()
    } else {
        let z2 = z * z;
        -0.5 * z2 - z.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            + (-1.0 / z2 + 3.0 / (z2 * z2) - 15.0 / (z2 * z2 * z2)).ln_1p()
    }
}

/// `ln (Q(a) − Q(b))` for `a < b`, without cancellation on either side.
fn ln_normal_interval(a: f64, b: f64) -> f64 {
    if a >= 0.0 {
        let (la, lb) = (ln_normal_sf(a), ln_normal_sf(b));
        la + (-(lb - la).exp_m1()).ln()
    } else if b <= 0.0 {
        ln_normal_interval(-b, -a)
    } else {
        // Q(a) − Q(b) = 1 − Q(−a) − Q(b), both tails at most ½
        let q_neg_a = 0.5 * libm::erfc(-a / std::f64::consts::SQRT_2);
        let q_b = 0.5 * libm::erfc(b / std::f64::consts::SQRT_2);
        (-(q_neg_a + q_b)).ln_1p()
    }
}

fn lognormal_ln_pmf(tail: &Tail<'_>, mu: f64, sigma: f64) -> Vec<f64> {
    let z = |x: f64| (x.ln() - mu) / sigma;
    let ln_norm = ln_normal_sf(z(tail.xmin as f64));
    tail.values
        .iter()
        .map(|&v| ln_normal_interval(z(v as f64), z(v as f64 + 1.0)) - ln_norm)
        .collect()
}

/// The discretised lognormal tail by maximum likelihood (Nelder–Mead over
/// `μ` and `ln σ`, from the moments of `ln x`, restarted once at its
/// optimum). None with fewer than two distinct values.
pub fn lognormal(tail: &Tail<'_>) -> Option<TailFit> {
    if tail.values.len() < 2 {
        return None;
    }
    let n = tail.n();
    let m = tail.weighted_sum(|x| x.ln()) / n;
    let s = (tail.weighted_sum(|x| (x.ln() - m).powi(2)) / n)
        .sqrt()
        .max(0.1);
    let neg_ll = |p: [f64; 2]| {
        let sigma = p[1].exp();
        if !(1e-3..=1e3).contains(&sigma) || p[0].abs() > 1e4 {
            return f64::NAN;
        }
        -lognormal_ln_pmf(tail, p[0], sigma)
            .iter()
            .zip(tail.counts)
            .map(|(l, &c)| c as f64 * l)
            .sum::<f64>()
            / n
    };
    let (p, _) = nelder_mead_2d(neg_ll, [m, s.ln()], [0.5 * s + 0.1, 0.3], 1e-12, 3000);
    let (p, v) = nelder_mead_2d(neg_ll, p, [0.1 * s + 0.05, 0.1], 1e-13, 3000);
    if !v.is_finite() {
        return None;
    }
    let sigma = p[1].exp();
    Some(tail_fit(
        tail,
        [p[0], sigma],
        lognormal_ln_pmf(tail, p[0], sigma),
    ))
}

/// Eight-point Gauss–Legendre nodes and weights on [−1, 1] (positive half).
const GL_X: [f64; 4] = [
    0.183_434_642_495_649_8,
    0.525_532_409_916_329,
    0.796_666_477_413_626_7,
    0.960_289_856_497_536_3,
];
const GL_W: [f64; 4] = [
    0.362_683_783_378_362,
    0.313_706_645_877_887_3,
    0.222_381_034_453_374_5,
    0.101_228_536_290_376_3,
];

/// Terms summed directly before the Euler–Maclaurin remainder.
const DIRECT_TERMS: u64 = 256;

/// `ln Z(α, λ) = ln Σ_(x>=xmin) x^(−α) e^(−λ x)`: the first 256 terms
/// directly, the rest as `∫ + g(x0)/2 − g'(x0)/12` (Euler–Maclaurin; the next
/// correction is below 1e-9 of the remainder), the integral by adaptive
/// Gauss–Legendre panels in `u = ln(x / x0)`. NaN where the sum diverges.
pub fn ln_truncated_zeta(alpha: f64, lambda: f64, xmin: u64) -> f64 {
    if !(lambda > 0.0 || alpha > 1.0) || lambda < 0.0 {
        return f64::NAN;
    }
    let q = xmin as f64;
    // g(x) = (x / xmin)^(−α) e^(−λ (x − xmin)), so that g(xmin) = 1.
    let g = |x: f64| (-alpha * (x / q).ln() - lambda * (x - q)).exp();
    let x0 = q + DIRECT_TERMS as f64;
    let mut s: f64 = (0..DIRECT_TERMS).map(|k| g(q + k as f64)).sum();
    let g0 = g(x0);
    if g0 > 0.0 {
        let dg0 = g0 * (-alpha / x0 - lambda);
        // ∫_x0^∞ g = x0 g(x0) ∫_0^∞ exp((1 − α) u − λ x0 (e^u − 1)) du
        let lx = lambda * x0;
        let e = |u: f64| ((1.0 - alpha) * u - lx * u.exp_m1()).exp();
        let mut integral = 0.0;
        let mut u = 0.0f64;
        loop {
            let rate = (1.0 - alpha).abs() + lx * u.exp();
            let h = (4.0 / rate).min(0.5);
            let mid = u + 0.5 * h;
            let mut panel = 0.0;
            for (x, w) in GL_X.iter().zip(GL_W) {
                panel += w * (e(mid - 0.5 * h * x) + e(mid + 0.5 * h * x));
            }
            integral += 0.5 * h * panel;
            u += h;
            // stop once the integrand and its remaining mass are negligible
            let tail_bound = e(u) / ((alpha - 1.0).max(0.0) + lx * u.exp()).max(1e-300);
            if tail_bound < 1e-17 * integral || u > 5000.0 {
                break;
            }
        }
        s += x0 * g0 * integral + 0.5 * g0 - dg0 / 12.0;
    }
    -alpha * q.ln() - lambda * q + s.ln()
}

fn truncated_ln_pmf(tail: &Tail<'_>, alpha: f64, lambda: f64) -> Vec<f64> {
    let lz = ln_truncated_zeta(alpha, lambda, tail.xmin);
    tail.values
        .iter()
        .map(|&v| -alpha * (v as f64).ln() - lambda * v as f64 - lz)
        .collect()
}

/// Smallest `λ` searched: below it the truncation is invisible for any
/// sample of integers under 1e20.
const LN_LAMBDA_MIN: f64 = -60.0;

/// The truncated power law by maximum likelihood (Nelder–Mead over `α` and
/// `ln λ`, from the power law's `alpha_pl`, restarted once). The power law
/// itself (`λ → 0`) is a candidate, so the fit is never worse than it.
pub fn truncated_power_law(tail: &Tail<'_>, alpha_pl: f64) -> Option<TailFit> {
    if tail.values.len() < 2 {
        return None;
    }
    let n = tail.n();
    let sum_ln = tail.weighted_sum(f64::ln);
    let sum_x = tail.weighted_sum(|x| x);
    let neg_ll = |p: [f64; 2]| {
        if !(-5.0..=20.0).contains(&p[0]) || !(LN_LAMBDA_MIN..=5.0).contains(&p[1]) {
            return f64::NAN;
        }
        let lambda = p[1].exp();
        (p[0] * sum_ln + lambda * sum_x) / n + ln_truncated_zeta(p[0], lambda, tail.xmin)
    };
    let mean = sum_x / n;
    let starts = [
        [alpha_pl, (0.1 / mean).ln().max(LN_LAMBDA_MIN + 1.0)],
        [
            alpha_pl.max(1.1) - 0.5,
            (1.0 / mean).ln().max(LN_LAMBDA_MIN + 1.0),
        ],
    ];
    let mut best = ([alpha_pl, LN_LAMBDA_MIN], neg_ll([alpha_pl, LN_LAMBDA_MIN]));
    for x0 in starts {
        let (p, _) = nelder_mead_2d(neg_ll, x0, [0.2, 1.0], 1e-12, 3000);
        let (p, v) = nelder_mead_2d(neg_ll, p, [0.05, 0.3], 1e-13, 3000);
        if v < best.1 {
            best = (p, v);
        }
    }
    if !best.1.is_finite() {
        return None;
    }
    let (alpha, lambda) = (best.0[0], best.0[1].exp());
    Some(tail_fit(
        tail,
        [alpha, lambda],
        truncated_ln_pmf(tail, alpha, lambda),
    ))
}

/// A likelihood-ratio comparison: `ratio` = log-likelihood ratio `R`
/// (positive favours the power law), `p_value` its significance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// `Σ ln P_pl(x_i) − ln P_alt(x_i)`.
    pub ratio: f64,
    /// Two-sided p-value of the sign of `ratio`.
    pub p_value: f64,
}

impl Comparison {
    /// No comparison possible (the alternative could not be fitted).
    pub const NONE: Comparison = Comparison {
        ratio: f64::NAN,
        p_value: f64::NAN,
    };
}

/// Vuong's test of two non-nested fits of the same tail.
pub fn vuong(tail: &Tail<'_>, pl: &TailFit, alt: &TailFit) -> Comparison {
    let n = tail.n();
    let r = pl.log_likelihood - alt.log_likelihood;
    let mean = r / n;
    let var = pl
        .ln_pmf
        .iter()
        .zip(&alt.ln_pmf)
        .zip(tail.counts)
        .map(|((a, b), &c)| c as f64 * (a - b - mean).powi(2))
        .sum::<f64>()
        / n;
    let p_value = if var > 0.0 {
        libm::erfc(r.abs() / (var * 2.0 * n).sqrt())
    } else {
        1.0
    };
    Comparison { ratio: r, p_value }
}

/// The likelihood-ratio test of the power law against an alternative that
/// contains it (`2 |R|` ~ χ²(1)).
pub fn nested(pl: &TailFit, alt: &TailFit) -> Comparison {
    let r = pl.log_likelihood - alt.log_likelihood;
    Comparison {
        ratio: r,
        p_value: libm::erfc(r.abs().sqrt()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_normal_sf_is_continuous_and_matches_known_values() {
        // Q(0) = ½, Q(1.959963984540054) = 0.025.
        assert!((ln_normal_sf(0.0) - 0.5f64.ln()).abs() < 1e-15);
        assert!((ln_normal_sf(1.959_963_984_540_054) - 0.025f64.ln()).abs() < 1e-12);
        assert!((ln_normal_sf(-1.959_963_984_540_054) - 0.975f64.ln()).abs() < 1e-14);
        // across the switch to the asymptotic series
        let (a, b) = (ln_normal_sf(35.0 - 1e-9), ln_normal_sf(35.0));
        assert!((a - b).abs() < 1e-6 && b < a, "{a} {b}");
        // interval probabilities add up: Q(a) − Q(c) = (Q(a) − Q(b)) + (Q(b) − Q(c))
        for (a, b, c) in [
            (-3.0, -1.0, 0.5),
            (0.2, 1.0, 4.0),
            (-8.0, -7.5, -7.0),
            (20.0, 21.0, 22.0),
        ] {
            let whole = ln_normal_interval(a, c).exp();
            let parts = ln_normal_interval(a, b).exp() + ln_normal_interval(b, c).exp();
            assert!((whole - parts).abs() < 1e-12 * whole, "{a} {b} {c}");
        }
    }

    #[test]
    fn every_tail_model_is_normalised() {
        let xmin = 3u64;
        let values: Vec<u64> = (xmin..200_000).collect();
        let counts = vec![1u64; values.len()];
        let t = Tail {
            values: &values,
            counts: &counts,
            xmin,
        };
        let total = |l: &[f64]| l.iter().map(|v| v.exp()).sum::<f64>();
        // the exponential and lognormal have negligible mass beyond 2e5 here
        let lambda = 0.05f64;
        let ln_norm = (-(-lambda).exp_m1()).ln();
        let e: Vec<f64> = values
            .iter()
            .map(|&v| ln_norm - lambda * (v - xmin) as f64)
            .collect();
        assert!((total(&e) - 1.0).abs() < 1e-12);
        let ln = lognormal_ln_pmf(&t, 2.0, 1.0);
        assert!((total(&ln) - 1.0).abs() < 1e-10, "{}", total(&ln));
        // truncated power law: Z against a direct sum far into the tail
        for (alpha, lambda) in [(1.5, 1e-3), (2.5, 1e-5), (0.5, 1e-2), (1.2, 0.3)] {
            let direct: f64 = (xmin..5_000_000)
                .map(|x| (x as f64).powf(-alpha) * (-lambda * x as f64).exp())
                .sum();
            let z = ln_truncated_zeta(alpha, lambda, xmin);
            assert!(
                (z - direct.ln()).abs() < 1e-9,
                "{alpha} {lambda}: {z} vs {}",
                direct.ln()
            );
        }
        // λ → 0 is the Hurwitz zeta
        let z = ln_truncated_zeta(2.2, 1e-26, xmin);
        assert!((z - hurwitz_zeta(2.2, xmin as f64).ln()).abs() < 1e-12);
    }
}
