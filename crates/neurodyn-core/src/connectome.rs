//! Structural connectomes: the weights and inter-region distances that wire
//! neural-mass nodes into a whole-brain network.
//!
//! # Direction convention
//!
//! Matrices are `N × N`, stored row-major in a flat `Vec<f64>`, and
//! **row = target, column = source**: `W[i][j] = weights[i * n + j]` is the
//! weight of the connection *from region `j` to region `i`*, and
//! `D[i][j]` the length (mm) of the tract it runs along. The input of node
//! `i` is therefore a row sum,
//!
//! ```text
//! c_i(t) = k Σ_j W[i][j] · (x_j(t − D[i][j] / v) − x_i(t))     (diffusive)
//! c_i(t) = k Σ_j W[i][j] ·  x_j(t − D[i][j] / v)               (linear)
//! ```
//!
//! This is the convention of The Virtual Brain (its coupling kernels add
//! `weights[i, j] * x_j(t − delay[i, j])` into node `i`) and of brainmass's
//! `DiffusiveCoupling` (`k Σ_j W_ij (x_j(delayed) − x_i)`), so a TVB
//! `weights.txt` is read as is, without a transpose. For a symmetric
//! (undirected) connectome the direction does not matter.
//!
//! A [`Connectome`] is validated once, by [`Connectome::new`]: square
//! matrices of the same shape, finite non-negative entries, one unique label
//! per region. [`example`] generates the project's own small,
//! license-clean example connectome (no atlas data).
//!
//! ```
//! use neurodyn_core::Connectome;
//! let c = Connectome::new(
//!     vec!["A".into(), "B".into()],
//!     vec![0.0, 0.5, 1.0, 0.0], // B → A is 0.5, A → B is 1.0
//!     vec![0.0, 30.0, 30.0, 0.0],
//!     None,
//! )
//! .unwrap();
//! assert_eq!(c.n(), 2);
//! assert_eq!(c.weight(0, 1), 0.5); // into region 0 (A) from region 1 (B)
//! assert_eq!(c.distance_mm(1, 0), 30.0);
//! ```

use std::collections::HashMap;

use rand::RngExt;

use crate::{Error, Result, Seed};

/// A structural connectome of `n` regions: labels, weights, tract lengths
/// and (optionally) region centres.
///
/// `weights[i * n + j]` is the weight from region `j` to region `i` (see the
/// [module documentation](self) for the convention);
/// `distances_mm[i * n + j]` the tract length between them in millimetres.
/// The diagonal is kept as given; [`Connectome::with_zero_diagonal`] clears
/// self-connections.
#[derive(Debug, Clone, PartialEq)]
pub struct Connectome {
    labels: Vec<String>,
    weights: Vec<f64>,
    distances_mm: Vec<f64>,
    centres_mm: Option<Vec<[f64; 3]>>,
}

impl Connectome {
    /// Validate and build a connectome.
    ///
    /// `weights` and `distances_mm` are row-major `N × N` matrices with
    /// `N = labels.len()`; `centres_mm`, if given, holds one `[x, y, z]` per
    /// region. Errors ([`Error::InvalidParameter`]) name the matrix, its
    /// shape or the offending entry, and what is allowed: a matrix whose
    /// length is not a square, matrices of different shapes, a label count
    /// other than `N`, no region at all, NaN or infinite entries, negative
    /// weights or distances, duplicate labels.
    pub fn new(
        labels: Vec<String>,
        weights: Vec<f64>,
        distances_mm: Vec<f64>,
        centres_mm: Option<Vec<[f64; 3]>>,
    ) -> Result<Self> {
        let n = square_side("weights", weights.len())?;
        let nd = square_side("distances_mm", distances_mm.len())?;
        if nd != n {
            return Err(Error::invalid(
                "distances_mm",
                format!("{nd}×{nd}"),
                &format!("the shape of weights, {n}×{n}"),
            ));
        }
        if n == 0 {
            return Err(Error::invalid(
                "weights",
                "0×0",
                "at least one region (an N×N matrix with N ≥ 1)",
            ));
        }
        if labels.len() != n {
            return Err(Error::invalid(
                "labels",
                format!("{} labels", labels.len()),
                &format!("one label per region of the {n}×{n} weights: {n}"),
            ));
        }
        check_entries("weights", n, &weights)?;
        check_entries("distances_mm", n, &distances_mm)?;
        if let Some(c) = &centres_mm {
            if c.len() != n {
                return Err(Error::invalid(
                    "centres_mm",
                    format!("{} centres", c.len()),
                    &format!("one centre per region: {n}"),
                ));
            }
            for (i, p) in c.iter().enumerate() {
                if p.iter().any(|v| !v.is_finite()) {
                    return Err(Error::invalid(
                        &format!("centres_mm[{i}]"),
                        format!("{p:?}"),
                        "finite coordinates (mm)",
                    ));
                }
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, l) in labels.iter().enumerate() {
            if let Some(first) = seen.insert(l.as_str(), i) {
                return Err(Error::invalid(
                    &format!("labels[{i}]"),
                    format!("{l:?}, already the label of region {first}"),
                    "unique labels",
                ));
            }
        }
        Ok(Connectome {
            labels,
            weights,
            distances_mm,
            centres_mm,
        })
    }

    /// The number of regions `N`.
    pub fn n(&self) -> usize {
        self.labels.len()
    }

    /// The weight of the connection from region `source` to region `target`
    /// (`W[target][source]`). Panics if an index is `≥ N`.
    pub fn weight(&self, target: usize, source: usize) -> f64 {
        let n = self.n();
        assert!(target < n && source < n, "region index out of range 0..{n}");
        self.weights[target * n + source]
    }

    /// The tract length in mm from region `source` to region `target`
    /// (`D[target][source]`). Panics if an index is `≥ N`.
    pub fn distance_mm(&self, target: usize, source: usize) -> f64 {
        let n = self.n();
        assert!(target < n && source < n, "region index out of range 0..{n}");
        self.distances_mm[target * n + source]
    }

    /// The region labels, one per region.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The weights, row-major `N × N`, row = target, column = source.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The tract lengths in mm, row-major `N × N`.
    pub fn distances_mm(&self) -> &[f64] {
        &self.distances_mm
    }

    /// The region centres `[x, y, z]` in mm, if known.
    pub fn centres_mm(&self) -> Option<&[[f64; 3]]> {
        self.centres_mm.as_deref()
    }

    /// The same connectome without self-connections: `W[i][i] = 0` for
    /// every region (distances are kept). Whole-brain networks do this
    /// before coupling (brainmass's `Network` does).
    pub fn with_zero_diagonal(mut self) -> Self {
        let n = self.n();
        for i in 0..n {
            self.weights[i * n + i] = 0.0;
        }
        self
    }
}

/// The side `N` of a square matrix holding `len` values.
fn square_side(name: &str, len: usize) -> Result<usize> {
    let mut n = (len as f64).sqrt() as usize;
    while n * n > len {
        n -= 1;
    }
    while (n + 1) * (n + 1) <= len {
        n += 1;
    }
    if n * n == len {
        Ok(n)
    } else {
        Err(Error::invalid(
            name,
            format!(
                "{len} values, not a square matrix ({n}×{n} = {} is the nearest)",
                n * n
            ),
            "a square N×N matrix, row-major (N² values)",
        ))
    }
}

/// Entries of a matrix must be finite and `≥ 0`.
fn check_entries(name: &str, n: usize, values: &[f64]) -> Result<()> {
    for (k, &v) in values.iter().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(
                &format!("{name}[{}][{}]", k / n, k % n),
                v,
                "finite numbers ≥ 0",
            ));
        }
    }
    Ok(())
}

/// Semi-axes (mm) of the ellipsoid the example regions lie in: left–right,
/// posterior–anterior, inferior–superior (about an adult human brain).
const SEMI_AXES_MM: [f64; 3] = [70.0, 85.0, 60.0];
/// Regions keep at least this distance (mm) from the mid-sagittal plane.
const MIDLINE_GAP_MM: f64 = 4.0;
/// Inner radius of the cortical shell, as a fraction of the ellipsoid.
const SHELL_INNER: f64 = 0.6;
/// Jitter (mm, each axis, uniform in ±) of a right region around the mirror
/// image of its left homologue.
const MIRROR_JITTER_MM: f64 = 3.0;
/// Length constant λ (mm) of the exponential distance rule.
const LAMBDA_MM: f64 = 40.0;
/// Factor on the weight of homotopic (left k ↔ right k) links.
const HOMOTOPIC_BOOST: f64 = 3.0;
/// Fraction of the region pairs that keep a link.
const DENSITY: f64 = 0.3;

/// The project's own example connectome of `n` regions, generated from
/// `seed`: small, symmetric, license-clean (no atlas data), for examples and
/// tests of whole-brain networks.
///
/// 1. **Regions.** The first `⌈n/2⌉` regions (`L01`, `L02`, …) lie in the
///    left hemisphere (`x < 0`), the others (`R01`, …) in the right; `Rk` is
///    the homologue of `Lk` (with an odd `n`, the last left region has
///    none). Labels have two digits, more when a hemisphere has over 99
///    regions.
/// 2. **Centres (mm).** Left centres are drawn uniformly (rejection
///    sampling) in the left half of an ellipsoidal shell with semi-axes
///    70 × 85 × 60 mm (left–right, posterior–anterior, inferior–superior),
///    between 0.6 and 1 of the ellipsoid's radius (a cortical sheet) and at
///    least 4 mm from the midline. `Rk` is the mirror image of `Lk`
///    (`x → −x`) moved by up to ±3 mm along each axis, so homologues are
///    near-symmetric but not identical.
/// 3. **Distances.** `D[i][j]` is the Euclidean distance between the
///    centres (mm), a lower bound of real tract lengths; it satisfies the
///    triangle inequality.
/// 4. **Weights.** `W[i][j] = exp(−D[i][j] / λ)` with λ = 40 mm, times 3
///    for homotopic pairs (callosal links between homologues are strong),
///    0 on the diagonal.
/// 5. **Sparsity.** The strongest 30 % of the `n(n−1)/2` pairs keep their
///    link (ties broken by index), as do all homotopic pairs; the others
///    are set to 0 in both directions, so `W` stays symmetric.
/// 6. **Normalisation.** `W` is divided by its maximum, which becomes 1.
///
/// The generator is `Seed::derive(seed, "example-connectome", &[]).rng()`.
/// The result is deterministic for `(n, seed)`: bit-identical on a given
/// platform (the weights use the platform's `exp`), and different seeds
/// give different connectomes. Panics if `n == 0`.
///
/// ```
/// let c = neurodyn_core::connectome::example(8, 1);
/// assert_eq!(c.n(), 8);
/// assert_eq!(c.labels()[0], "L01");
/// assert_eq!(c.labels()[4], "R01");
/// assert_eq!(c.weight(1, 2), c.weight(2, 1));
/// ```
pub fn example(n: usize, seed: u64) -> Connectome {
    assert!(n > 0, "an example connectome needs at least one region");
    let mut rng = Seed::derive(seed, "example-connectome", &[]).rng();
    let n_left = n.div_ceil(2);
    let n_right = n - n_left;
    let digits = n_left.to_string().len().max(2);

    let mut centres: Vec<[f64; 3]> = Vec::with_capacity(n);
    for _ in 0..n_left {
        loop {
            let u = [
                -rng.random::<f64>(),
                2.0 * rng.random::<f64>() - 1.0,
                2.0 * rng.random::<f64>() - 1.0,
            ];
            let r2 = u[0] * u[0] + u[1] * u[1] + u[2] * u[2];
            let x_mm = u[0] * SEMI_AXES_MM[0];
            if (SHELL_INNER * SHELL_INNER..=1.0).contains(&r2) && x_mm <= -MIDLINE_GAP_MM {
                centres.push([x_mm, u[1] * SEMI_AXES_MM[1], u[2] * SEMI_AXES_MM[2]]);
                break;
            }
        }
    }
    for k in 0..n_right {
        let l = centres[k];
        let mut jitter = [0.0; 3];
        for j in &mut jitter {
            *j = MIRROR_JITTER_MM * (2.0 * rng.random::<f64>() - 1.0);
        }
        let x_mm = (-l[0] + jitter[0]).max(MIDLINE_GAP_MM);
        centres.push([x_mm, l[1] + jitter[1], l[2] + jitter[2]]);
    }

    let mut labels: Vec<String> = (1..=n_left).map(|k| format!("L{k:0digits$}")).collect();
    labels.extend((1..=n_right).map(|k| format!("R{k:0digits$}")));

    let mut distances_mm = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..i {
            let (a, b) = (centres[i], centres[j]);
            let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
            distances_mm[i * n + j] = d;
            distances_mm[j * n + i] = d;
        }
    }

    // Upper-triangle pairs with their weights; homotopic pairs are (k, n_left + k).
    let homotopic = |i: usize, j: usize| j >= n_left && j - n_left == i && i < n_right;
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let mut w = (-distances_mm[i * n + j] / LAMBDA_MM).exp();
            if homotopic(i, j) {
                w *= HOMOTOPIC_BOOST;
            }
            pairs.push((w, i, j));
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let keep = (DENSITY * pairs.len() as f64).round() as usize;
    let mut weights = vec![0.0; n * n];
    for (rank, &(w, i, j)) in pairs.iter().enumerate() {
        if rank < keep || homotopic(i, j) {
            weights[i * n + j] = w;
            weights[j * n + i] = w;
        }
    }
    let max = weights.iter().copied().fold(0.0, f64::max);
    if max > 0.0 {
        for w in &mut weights {
            *w /= max;
        }
    }
    Connectome::new(labels, weights, distances_mm, Some(centres))
        .expect("the example generator builds a valid connectome")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("R{i}")).collect()
    }

    /// The error message of an invalid `Connectome::new`.
    fn err(labels: Vec<String>, w: Vec<f64>, d: Vec<f64>, c: Option<Vec<[f64; 3]>>) -> String {
        match Connectome::new(labels, w, d, c) {
            Err(e @ Error::InvalidParameter { .. }) => e.to_string(),
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn accessors_follow_the_target_source_convention() {
        let c = Connectome::new(
            labels(3),
            vec![0.0, 1.0, 2.0, 3.0, 0.5, 5.0, 6.0, 7.0, 8.0],
            vec![0.0, 10.0, 20.0, 30.0, 0.0, 50.0, 60.0, 70.0, 0.0],
            Some(vec![[0.0; 3], [1.0, 2.0, 3.0], [-1.0, 0.0, 4.5]]),
        )
        .unwrap();
        assert_eq!(c.n(), 3);
        assert_eq!(c.weight(1, 2), 5.0); // row 1 (target), column 2 (source)
        assert_eq!(c.weight(2, 1), 7.0);
        assert_eq!(c.distance_mm(0, 2), 20.0);
        assert_eq!(c.centres_mm().unwrap()[2], [-1.0, 0.0, 4.5]);
        let z = c.clone().with_zero_diagonal();
        assert_eq!(
            (z.weight(0, 0), z.weight(1, 1), z.weight(2, 2)),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(z.weight(1, 2), 5.0);
        assert_eq!(z.distances_mm(), c.distances_mm());
    }

    #[test]
    fn a_matrix_that_is_not_square_is_named_with_its_length() {
        let m = err(labels(2), vec![0.0; 5], vec![0.0; 4], None);
        assert!(m.contains("`weights`") && m.contains("5 values"), "{m}");
        let m = err(labels(2), vec![0.0; 4], vec![0.0; 3], None);
        assert!(
            m.contains("`distances_mm`") && m.contains("3 values"),
            "{m}"
        );
    }

    #[test]
    fn matrices_of_different_shapes_are_named_with_both_shapes() {
        let m = err(labels(2), vec![0.0; 4], vec![0.0; 9], None);
        assert!(
            m.contains("`distances_mm` = 3×3") && m.contains("2×2"),
            "{m}"
        );
    }

    #[test]
    fn an_empty_connectome_is_rejected() {
        let m = err(vec![], vec![], vec![], None);
        assert!(
            m.contains("0×0") && m.contains("at least one region"),
            "{m}"
        );
    }

    #[test]
    fn the_label_count_must_be_n() {
        let m = err(labels(3), vec![0.0; 4], vec![0.0; 4], None);
        assert!(
            m.contains("`labels` = 3 labels") && m.contains("2×2"),
            "{m}"
        );
    }

    #[test]
    fn nan_and_infinite_entries_are_named_by_position() {
        let m = err(labels(2), vec![0.0, f64::NAN, 0.0, 0.0], vec![0.0; 4], None);
        assert!(m.contains("`weights[0][1]` = NaN"), "{m}");
        let m = err(
            labels(2),
            vec![0.0; 4],
            vec![0.0, 0.0, f64::INFINITY, 0.0],
            None,
        );
        assert!(m.contains("`distances_mm[1][0]` = inf"), "{m}");
    }

    #[test]
    fn negative_weights_and_distances_are_rejected() {
        let m = err(labels(2), vec![0.0, 0.0, 0.0, -0.5], vec![0.0; 4], None);
        assert!(
            m.contains("`weights[1][1]` = -0.5") && m.contains("≥ 0"),
            "{m}"
        );
        let m = err(labels(2), vec![0.0; 4], vec![0.0, -3.0, 0.0, 0.0], None);
        assert!(m.contains("`distances_mm[0][1]` = -3"), "{m}");
    }

    #[test]
    fn labels_must_be_unique() {
        let l = vec!["A".into(), "B".into(), "A".into()];
        let m = err(l, vec![0.0; 9], vec![0.0; 9], None);
        assert!(
            m.contains("`labels[2]`") && m.contains("region 0") && m.contains("unique"),
            "{m}"
        );
    }

    #[test]
    fn centres_must_be_one_per_region_and_finite() {
        let m = err(labels(2), vec![0.0; 4], vec![0.0; 4], Some(vec![[0.0; 3]]));
        assert!(m.contains("`centres_mm` = 1 centres"), "{m}");
        let m = err(
            labels(2),
            vec![0.0; 4],
            vec![0.0; 4],
            Some(vec![[0.0; 3], [0.0, f64::NAN, 0.0]]),
        );
        assert!(m.contains("`centres_mm[1]`"), "{m}");
    }

    #[test]
    fn example_is_symmetric_sparse_normalised_and_metric() {
        for n in [1, 2, 7, 8, 40] {
            let c = example(n, 42);
            assert_eq!(c.n(), n);
            let (w, d) = (c.weights(), c.distances_mm());
            let max = w.iter().copied().fold(0.0, f64::max);
            if n > 1 {
                assert_eq!(max, 1.0, "n = {n}");
            }
            for i in 0..n {
                assert_eq!(w[i * n + i], 0.0);
                assert_eq!(d[i * n + i], 0.0);
                for j in 0..n {
                    assert_eq!(w[i * n + j], w[j * n + i], "W symmetric at ({i}, {j})");
                    assert_eq!(d[i * n + j], d[j * n + i], "D symmetric at ({i}, {j})");
                    assert!((0.0..=1.0).contains(&w[i * n + j]));
                    if i != j {
                        assert!(d[i * n + j] > 0.0);
                    }
                    for k in 0..n {
                        assert!(
                            d[i * n + j] <= d[i * n + k] + d[k * n + j] + 1e-9,
                            "triangle inequality fails for ({i}, {k}, {j}), n = {n}"
                        );
                    }
                }
            }
            if n >= 8 {
                let pairs = n * (n - 1) / 2;
                let links = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j)));
                let kept = links.filter(|&(i, j)| w[i * n + j] > 0.0).count();
                let nominal = (0.3 * pairs as f64).round() as usize;
                assert!(
                    kept >= nominal && kept <= nominal + n / 2,
                    "{kept} of {pairs}"
                );
            }
        }
    }

    #[test]
    fn example_regions_are_split_into_hemispheres_with_homotopic_links() {
        let c = example(9, 3);
        let l: Vec<&str> = c.labels().iter().map(String::as_str).collect();
        assert_eq!(
            l,
            [
                "L01", "L02", "L03", "L04", "L05", "R01", "R02", "R03", "R04"
            ]
        );
        let centres = c.centres_mm().unwrap();
        for (i, p) in centres.iter().enumerate() {
            let u = [
                p[0] / SEMI_AXES_MM[0],
                p[1] / SEMI_AXES_MM[1],
                p[2] / SEMI_AXES_MM[2],
            ];
            assert!(u.iter().map(|v| v * v).sum::<f64>() <= 1.2, "{p:?}");
            assert_eq!(p[0] < 0.0, i < 5, "hemisphere of region {i}");
        }
        for k in 0..4 {
            assert!(c.weight(k, 5 + k) > 0.0, "homotopic L{k} ↔ R{k} kept");
        }
        assert_eq!(example(120, 0).labels()[60], "R01");
        assert_eq!(example(240, 0).labels()[119], "L120");
    }

    #[test]
    fn example_is_deterministic_for_a_seed_and_differs_between_seeds() {
        assert_eq!(example(16, 7), example(16, 7));
        let (a, b) = (example(16, 7), example(16, 8));
        assert_ne!(a.distances_mm(), b.distances_mm());
        assert_ne!(a.weights(), b.weights());
        assert_ne!(a.centres_mm(), b.centres_mm());
    }
}
