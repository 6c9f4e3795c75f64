//! Second-order connectivity motifs of a weight matrix, as defined in the
//! force-motifs study.
//!
//! With `W` the `N x N` weight matrix after subtracting the mean of all its
//! `N²` entries (zeros included), `σ² = tr(W Wᵀ) / N` and
//!
//! * `τ_rec = tr(W W) / (σ² N)` — reciprocal pairs,
//! * `τ_div = (ΣWWᵀ − tr WWᵀ) / (σ² N (N−1))` — divergent (common input source),
//! * `τ_con = (ΣWᵀW − tr WᵀW) / (σ² N (N−1))` — convergent (common target),
//! * `τ_chn = 2 (ΣWW − tr WW) / (σ² N (N−1))` — chains,
//!
//! where `Σ` is the sum of all entries. The sums of the matrix products
//! reduce to row and column sums (`ΣWWᵀ = Σ_j colsum_j²`, `ΣWᵀW =
//! Σ_i rowsum_i²`, `ΣWW = Σ_j colsum_j rowsum_j`), so the motifs cost O(N²)
//! instead of three O(N³) products.

/// The five motif statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motifs {
    /// Mean squared row norm `tr(W Wᵀ) / N`.
    pub sigma2: f64,
    /// Reciprocal motif.
    pub tau_rec: f64,
    /// Divergent motif.
    pub tau_div: f64,
    /// Convergent motif.
    pub tau_con: f64,
    /// Chain motif.
    pub tau_chn: f64,
}

/// Motifs of a dense row-major `n x n` matrix.
pub fn motifs(w: &[f64], n: usize) -> Motifs {
    assert_eq!(w.len(), n * n, "motifs: expected an n x n matrix");
    let nf = n as f64;
    let mean = w.iter().sum::<f64>() / (nf * nf);
    let mut row = vec![0.0; n];
    let mut col = vec![0.0; n];
    let (mut sq, mut rec) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let v = w[i * n + j] - mean;
            row[i] += v;
            col[j] += v;
            sq += v * v;
            rec += v * (w[j * n + i] - mean);
        }
    }
    let sum_wwt: f64 = col.iter().map(|c| c * c).sum();
    let sum_wtw: f64 = row.iter().map(|r| r * r).sum();
    let sum_ww: f64 = col.iter().zip(&row).map(|(c, r)| c * r).sum();
    let sigma2 = sq / nf;
    let pairs = sigma2 * nf * (nf - 1.0);
    Motifs {
        sigma2,
        tau_rec: rec / (sigma2 * nf),
        tau_div: (sum_wwt - sq) / pairs,
        tau_con: (sum_wtw - sq) / pairs,
        tau_chn: 2.0 * (sum_ww - rec) / pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Seed::derive(seed, "motifs", &[]).rng();
        (0..n * n)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect()
    }

    /// The definitions with explicit matrix products, O(N³).
    fn brute(w: &[f64], n: usize) -> Motifs {
        let m = w.iter().sum::<f64>() / (n * n) as f64;
        let w: Vec<f64> = w.iter().map(|v| v - m).collect();
        let prod = |a: &dyn Fn(usize, usize) -> f64, b: &dyn Fn(usize, usize) -> f64| {
            let mut out = vec![0.0; n * n];
            for i in 0..n {
                for k in 0..n {
                    out[i * n + k] = (0..n).map(|j| a(i, j) * b(j, k)).sum();
                }
            }
            out
        };
        let wf = |i: usize, j: usize| w[i * n + j];
        let wt = |i: usize, j: usize| w[j * n + i];
        let ww = prod(&wf, &wf);
        let wwt = prod(&wf, &wt);
        let wtw = prod(&wt, &wf);
        let tr = |x: &[f64]| (0..n).map(|i| x[i * n + i]).sum::<f64>();
        let sum = |x: &[f64]| x.iter().sum::<f64>();
        let nf = n as f64;
        let sigma2 = tr(&wwt) / nf;
        let pairs = sigma2 * nf * (nf - 1.0);
        Motifs {
            sigma2,
            tau_rec: tr(&ww) / (sigma2 * nf),
            tau_div: (sum(&wwt) - tr(&wwt)) / pairs,
            tau_con: (sum(&wtw) - tr(&wtw)) / pairs,
            tau_chn: 2.0 * (sum(&ww) - tr(&ww)) / pairs,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-10 * (1.0 + b.abs())
    }

    #[test]
    fn row_and_column_sums_equal_the_matrix_product_definitions() {
        let n = 23;
        // structured matrix: every motif nonzero
        let w: Vec<f64> = gaussian(n, 1)
            .iter()
            .enumerate()
            .map(|(k, v)| v + 0.3 * ((k / n) as f64).sin() + 0.2 * ((k % n) as f64).cos())
            .collect();
        let (a, b) = (motifs(&w, n), brute(&w, n));
        for (x, y) in [
            (a.sigma2, b.sigma2),
            (a.tau_rec, b.tau_rec),
            (a.tau_div, b.tau_div),
            (a.tau_con, b.tau_con),
            (a.tau_chn, b.tau_chn),
        ] {
            assert!(close(x, y), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn symmetric_and_antisymmetric_matrices_have_reciprocity_plus_and_minus_one() {
        let n = 40;
        let g = gaussian(n, 2);
        let mut sym = vec![0.0; n * n];
        let mut anti = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                sym[i * n + j] = g[i * n + j] + g[j * n + i];
                anti[i * n + j] = g[i * n + j] - g[j * n + i];
            }
        }
        assert!(close(motifs(&sym, n).tau_rec, 1.0));
        let a = motifs(&anti, n);
        assert!(close(a.tau_rec, -1.0));
        // an antisymmetric matrix: row sums are minus column sums, so
        // divergent and convergent motifs are equal and chains mirror them
        assert!(close(a.tau_div, a.tau_con));
    }

    #[test]
    fn iid_gaussian_matrix_has_motifs_near_zero() {
        // For i.i.d. entries each tau is a normalised sum of ~N³ (div, con,
        // chn) or N² (rec) zero-mean products: standard deviations about
        // sqrt(2)/N (rec) and 1/N (the others). Five standard deviations.
        let n = 300;
        let m = motifs(&gaussian(n, 3), n);
        let nf = n as f64;
        assert!(
            (m.sigma2 / nf - 1.0).abs() < 5.0 * (2.0 / (nf * nf)).sqrt(),
            "{m:?}"
        );
        assert!(m.tau_rec.abs() < 5.0 * 2f64.sqrt() / nf, "{m:?}");
        for t in [m.tau_div, m.tau_con, m.tau_chn / 2.0] {
            assert!(t.abs() < 5.0 / nf, "{m:?}");
        }
    }

    #[test]
    fn a_common_input_source_shows_as_a_divergent_motif() {
        // w_ij = u_j + noise: every row shares the column profile u, so
        // pairs of neurons receive correlated weights from the same source.
        let n = 200;
        let g = gaussian(n, 4);
        let u = gaussian(n, 5)[..n].to_vec();
        let w: Vec<f64> = (0..n * n).map(|k| u[k % n] + 0.5 * g[k]).collect();
        let m = motifs(&w, n);
        // expected: var(u) / (var(u) + 0.25) = 0.8 within sampling error
        assert!((m.tau_div - 0.8).abs() < 0.1, "{m:?}");
        assert!(m.tau_con.abs() < 0.05, "{m:?}");
    }
}
