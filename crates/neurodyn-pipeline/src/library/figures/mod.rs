//! Figure stages: draw tables across the sweep.

pub mod avalanche;
pub mod force;
pub mod line_plot;
pub mod lyapunov;
pub mod neural_mass;
pub mod ring;

/// Quartiles `[25 %, median, 75 %]` of `v` for each distinct pair of keys
/// `(a, b)`, sorted by key: the spread across the axes a figure folds
/// (seeds, and any other axis it does not draw). Keys compare by their
/// total order, so a null (NaN) key makes its own group.
pub(crate) fn quartiles_by(a: &[f64], b: &[f64], v: &[f64]) -> Vec<((f64, f64), [f64; 3])> {
    use neurodyn_analysis::stats::quantile;
    let key = |i: usize| (a[i], b[i]);
    let cmp = |x: (f64, f64), y: (f64, f64)| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1));
    let mut idx: Vec<usize> = (0..v.len().min(a.len()).min(b.len())).collect();
    idx.sort_by(|&i, &j| cmp(key(i), key(j)));
    let mut out = Vec::new();
    for group in idx.chunk_by(|&i, &j| cmp(key(i), key(j)).is_eq()) {
        let vals: Vec<f64> = group.iter().map(|&i| v[i]).collect();
        out.push((key(group[0]), [0.25, 0.5, 0.75].map(|q| quantile(&vals, q))));
    }
    out
}

/// A median line with its interquartile band, from [`quartiles_by`] rows
/// whose first key is `first`, drawn against the second key.
pub(crate) fn median_with_quartiles(
    label: String,
    rows: &[((f64, f64), [f64; 3])],
    first: f64,
) -> neurodyn_plot::Series {
    let sel: Vec<&((f64, f64), [f64; 3])> = rows.iter().filter(|r| r.0.0 == first).collect();
    let col = |k: usize| sel.iter().map(|r| r.1[k]).collect::<Vec<f64>>();
    neurodyn_plot::Series::line_markers(label, sel.iter().map(|r| r.0.1).collect(), col(1))
        .with_band(col(0), col(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_group_by_both_keys_and_keep_a_null_key_apart() {
        let a = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, f64::NAN, f64::NAN];
        let b = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let v = [7.0, 1.0, 3.0, 10.0, 5.0, 6.0, 2.0, 4.0];
        let q = quartiles_by(&a, &b, &v);
        assert_eq!(q.len(), 4);
        assert_eq!(q[0], ((1.0, 0.0), [2.5, 5.0, 7.75]));
        assert_eq!(q[1], ((2.0, 0.0), [5.0, 5.0, 5.0]));
        assert_eq!(q[2], ((2.0, 1.0), [6.0, 6.0, 6.0]));
        assert!(q[3].0.0.is_nan());
        assert_eq!(q[3].1, [2.5, 3.0, 3.5]);
    }
}
