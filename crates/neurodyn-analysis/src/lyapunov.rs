//! Largest Lyapunov exponent estimators.
//!
//! - [`benettin`] / [`benettin_from_log_stretch`]: the tangent vector of the
//!   map is renormalised every step; the exponent is the mean log stretch after
//!   a transient (Benettin, Galgani, Giorgilli & Strelcyn 1980). It does not
//!   saturate.
//! - [`notebook_estimate`]: the reference study's estimator on twin
//!   trajectories: keep the trials whose final distance is at least
//!   `min_final_distance`, average their distance curves, take `L = ln(mean)`,
//!   cut at the first step where `L >= fraction * max(L)` and fit the slope of
//!   `L` before the cut. Undefined (None) when no trial diverges, when
//!   `max(L) <= 0`, or when the cut leaves fewer than 2 points.
//!
//! Exponents are per step; divide by `dt_ms` for 1/ms.

use crate::stats::{mean, slope_vs_index};

/// Mean of `log_stretch[transient..]` (per step); None if nothing is left.
pub fn benettin_from_log_stretch(log_stretch: &[f64], transient: usize) -> Option<f64> {
    (transient < log_stretch.len()).then(|| mean(&log_stretch[transient..]))
}

/// Benettin's estimate for a tangent map given as a closure that replaces
/// `v` by `J_k v` at step `k`: returns (exponent per step, log stretches).
pub fn benettin<F: FnMut(usize, &mut [f64])>(
    v0: &[f64],
    steps: usize,
    transient: usize,
    mut tangent_map: F,
) -> (Option<f64>, Vec<f64>) {
    let mut v = v0.to_vec();
    let n0 = norm(&v);
    v.iter_mut().for_each(|x| *x /= n0);
    let mut ls = Vec::with_capacity(steps);
    for k in 0..steps {
        tangent_map(k, &mut v);
        let nv = norm(&v);
        ls.push(nv.ln());
        v.iter_mut().for_each(|x| *x /= nv);
    }
    (benettin_from_log_stretch(&ls, transient), ls)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Result of [`notebook_estimate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotebookEstimate {
    /// Fitted slope of ln(mean distance), per step.
    pub slope_per_step: f64,
    /// Trials whose final distance reached the threshold.
    pub n_diverging: usize,
    /// Index of the cut (points `0..cut` were fitted).
    pub cut: usize,
}

/// The reference study's estimator over the distance curves of several trials
/// (see the module docs). All curves must have the same length.
pub fn notebook_estimate(
    trials: &[&[f64]],
    min_final_distance: f64,
    fraction: f64,
) -> Option<NotebookEstimate> {
    let kept: Vec<&[f64]> = trials
        .iter()
        .copied()
        .filter(|d| d.last().is_some_and(|&x| x >= min_final_distance))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let len = kept[0].len();
    assert!(
        kept.iter().all(|d| d.len() == len),
        "curves of equal length"
    );
    let mean_curve: Vec<f64> = (0..len)
        .map(|i| kept.iter().map(|d| d[i]).sum::<f64>() / kept.len() as f64)
        .collect();
    let (slope_per_step, cut) = fit_log_curve(&mean_curve, fraction)?;
    Some(NotebookEstimate {
        slope_per_step,
        n_diverging: kept.len(),
        cut,
    })
}

/// The fit at the heart of [`notebook_estimate`], on an already averaged
/// distance curve: `L = ln(curve)`, cut at the first index where
/// `L >= fraction * max(L)`, slope of `L` before it. Returns (slope per
/// step, cut); None when `max(L) <= 0` or fewer than 2 points are left.
pub fn fit_log_curve(mean_curve: &[f64], fraction: f64) -> Option<(f64, usize)> {
    let l: Vec<f64> = mean_curve.iter().map(|d| d.ln()).collect();
    let mx = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if mx.is_nan() || mx <= 0.0 {
        return None;
    }
    let cut = l.iter().position(|&v| v >= fraction * mx)?;
    if cut < 2 {
        return None;
    }
    Some((slope_vs_index(&l[..cut]), cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2x2 non-normal linear map with eigenvalues mu1 > mu2 > 0.
    fn linear_map(mu1: f64, mu2: f64) -> impl FnMut(usize, &mut [f64]) {
        // M = S diag(mu1, mu2) S^-1 with S = [[1, 1], [0, 1]]
        move |_, v: &mut [f64]| {
            let (a, b) = (v[0], v[1]);
            // S^-1 = [[1, -1], [0, 1]]
            let (p, q) = (a - b, b);
            let (p, q) = (mu1 * p, mu2 * q);
            v[0] = p + q;
            v[1] = q;
        }
    }

    #[test]
    fn benettin_recovers_known_exponents_of_linear_maps() {
        // contraction: both eigenvalues inside the unit circle
        let (lam, ls) = benettin(&[0.3, 0.8], 400, 100, linear_map(0.9, 0.5));
        assert_eq!(ls.len(), 400);
        assert!((lam.unwrap() - 0.9f64.ln()).abs() < 1e-10, "{lam:?}");
        // expansion
        let (lam, _) = benettin(&[0.3, 0.8], 400, 100, linear_map(1.3, 0.7));
        assert!((lam.unwrap() - 1.3f64.ln()).abs() < 1e-10);
        // transient longer than the run
        assert_eq!(benettin_from_log_stretch(&[0.1, 0.2], 2), None);
        assert_eq!(benettin_from_log_stretch(&[0.1, 0.2, 0.3], 1), Some(0.25));
    }

    #[test]
    fn notebook_estimator_recovers_an_exponential_growth_rate() {
        // distance grows as d0 e^{lam k} and saturates at 10
        let lam = 0.02;
        let curve = |d0: f64| -> Vec<f64> {
            (0..2000)
                .map(|k| (d0 * (lam * k as f64).exp()).min(10.0))
                .collect()
        };
        let a = curve(1e-3);
        let b = curve(2e-3);
        let est = notebook_estimate(&[&a, &b], 1.0, 0.8).unwrap();
        assert_eq!(est.n_diverging, 2);
        // the mean of two exponentials with the same rate is one exponential
        assert!((est.slope_per_step - lam).abs() < 1e-9, "{est:?}");
        assert!(est.cut > 2);
        // a contracting trial is not kept; if none diverges the estimate is undefined
        let c: Vec<f64> = (0..2000).map(|k| 1e-3 * (-0.01 * k as f64).exp()).collect();
        let est2 = notebook_estimate(&[&a, &c], 1.0, 0.8).unwrap();
        assert_eq!(est2.n_diverging, 1);
        assert!((est2.slope_per_step - lam).abs() < 1e-9);
        assert_eq!(notebook_estimate(&[&c], 1.0, 0.8), None);
    }
}
