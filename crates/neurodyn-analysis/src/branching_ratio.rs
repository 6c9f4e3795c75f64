//! Branching-ratio estimates from activity time series, including
//! subsampled activity (Wilting & Priesemann 2018, Nat. Commun. 9:2325).
//!
//! For a branching process `E[A(t+1) | A(t)] = m A(t) + h`, the regression
//! slope of `A(t+k)` on `A(t)` is `m^k`. Observing a random fraction α of
//! the units (`a(t) ~ Binomial(A(t), α)`) multiplies every slope by the same
//! factor `b`: `r_k = b m^k`. The naive estimate `r_1 = b m` is biased
//! (for the driven Poisson process `b = 1 / (1 + (1 − α)(1 − m²)/α)`), the
//! multistep-regression estimate fits `b m^k` over `k = 1..k_max` and is not.

/// Slope of the least-squares regression of `a(t + k)` on `a(t)`, for
/// `k = 1..=k_max` (each over the `n − k` pairs, with their own means).
/// NaN where `a(t)` has no variance over the pairs.
pub fn regression_slopes(a: &[f64], k_max: usize) -> Vec<f64> {
    (1..=k_max)
        .map(|k| {
            if k >= a.len() {
                return f64::NAN;
            }
            let (x, y) = (&a[..a.len() - k], &a[k..]);
            let n = x.len() as f64;
            let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (xi, yi) in x.iter().zip(y) {
                sxy += (xi - mx) * (yi - my);
                sxx += (xi - mx) * (xi - mx);
            }
            if sxx > 0.0 { sxy / sxx } else { f64::NAN }
        })
        .collect()
}

/// The naive estimate: the slope at lag 1.
pub fn naive(a: &[f64]) -> f64 {
    regression_slopes(a, 1)[0]
}

/// A multistep-regression estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultistepEstimate {
    /// Branching ratio m.
    pub m: f64,
    /// Subsampling factor b of the slopes.
    pub b: f64,
}

/// Fit `r_k = b m^k` to the slopes at `k = 1..=k_max` by least squares:
/// for each m the best b is `Σ r_k m^k / Σ m^(2k)`; m minimises the residual
/// over `(0, m_max]` (golden-section search on a fine grid's best cell).
/// None with fewer than two finite slopes.
pub fn multistep(a: &[f64], k_max: usize, m_max: f64) -> Option<MultistepEstimate> {
    let r: Vec<(f64, f64)> = regression_slopes(a, k_max)
        .into_iter()
        .enumerate()
        .filter(|(_, r)| r.is_finite())
        .map(|(i, r)| ((i + 1) as f64, r))
        .collect();
    if r.len() < 2 {
        return None;
    }
    let fit = |m: f64| {
        let (mut srm, mut smm) = (0.0, 0.0);
        for &(k, rk) in &r {
            let p = m.powf(k);
            srm += rk * p;
            smm += p * p;
        }
        let b = if smm > 0.0 { srm / smm } else { 0.0 };
        let res: f64 = r.iter().map(|&(k, rk)| (rk - b * m.powf(k)).powi(2)).sum();
        (res, b)
    };
    // Coarse grid, then golden section in the best cell.
    let steps = 2000;
    let h = m_max / steps as f64;
    let best = (1..=steps)
        .map(|i| i as f64 * h)
        .min_by(|x, y| fit(*x).0.total_cmp(&fit(*y).0))?;
    let (mut lo, mut hi) = ((best - h).max(1e-12), (best + h).min(m_max));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..100 {
        let (c, d) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if fit(c).0 < fit(d).0 {
            hi = d;
        } else {
            lo = c;
        }
    }
    let m = 0.5 * (lo + hi);
    Some(MultistepEstimate { m, b: fit(m).1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_of_an_exact_geometric_sequence() {
        // a(t) = 0.9^t: a(t + k) = 0.9^k a(t) exactly, slope 0.9^k.
        let a: Vec<f64> = (0..200).map(|t| 0.9f64.powi(t)).collect();
        let r = regression_slopes(&a, 5);
        for (k, rk) in r.iter().enumerate() {
            assert!((rk - 0.9f64.powi(k as i32 + 1)).abs() < 1e-9, "{k}: {rk}");
        }
        let e = multistep(&a, 10, 1.5).unwrap();
        assert!(
            (e.m - 0.9).abs() < 1e-6 && (e.b - 1.0).abs() < 1e-5,
            "{e:?}"
        );
        assert!(regression_slopes(&[1.0; 10], 1)[0].is_nan());
        assert!(multistep(&[1.0, 2.0], 5, 1.5).is_none());
    }
}
