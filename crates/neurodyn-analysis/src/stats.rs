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
}
