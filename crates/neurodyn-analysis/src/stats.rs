//! Small descriptive statistics and least squares.

/// Arithmetic mean (NaN for an empty slice).
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation with `n - 1` in the denominator (NaN for fewer than 2 values).
pub fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// The `q`-quantile (0 ≤ q ≤ 1) of the finite values of `x`, interpolated
/// linearly between order statistics (numpy's default, "linear"); NaN when
/// there is none.
pub fn quantile(x: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let h = q * (v.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Least-squares slope of `y` against its index `0, 1, …, n-1` (NaN for fewer than 2 points).
pub fn slope_vs_index(y: &[f64]) -> f64 {
    let n = y.len();
    if n < 2 {
        return f64::NAN;
    }
    let xm = (n - 1) as f64 / 2.0;
    let ym = mean(y);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let dx = i as f64 - xm;
        sxy += dx * (v - ym);
        sxx += dx * dx;
    }
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_line_is_exact_and_mean_sd_match_hand_values() {
        let y: Vec<f64> = (0..50).map(|i| 3.0 - 0.25 * i as f64).collect();
        assert!((slope_vs_index(&y) + 0.25).abs() < 1e-14);
        assert!(slope_vs_index(&[1.0]).is_nan());
        assert_eq!(mean(&[1.0, 2.0, 6.0]), 3.0);
        assert!((sd(&[1.0, 2.0, 6.0]) - 7f64.sqrt()).abs() < 1e-14);
        assert!(sd(&[1.0]).is_nan());
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics_like_numpy() {
        // numpy.quantile([7, 1, 3, 10], [0, .25, .5, .75, 1]) = 1, 2.5, 5, 7.75, 10
        let x = [7.0, 1.0, 3.0, 10.0];
        for (q, want) in [
            (0.0, 1.0),
            (0.25, 2.5),
            (0.5, 5.0),
            (0.75, 7.75),
            (1.0, 10.0),
        ] {
            assert_eq!(quantile(&x, q), want, "q = {q}");
        }
        // non-finite values are left out; nothing left gives NaN
        assert_eq!(quantile(&[f64::NAN, 2.0, f64::INFINITY], 0.5), 2.0);
        assert!(quantile(&[f64::NAN], 0.5).is_nan());
        assert!(quantile(&x, 1.5).is_nan());
    }
}
