//! Dimensionality of activity: the participation ratio of a covariance
//! matrix and its bias-corrected estimate from a finite number of samples
//! (Dahmen, Recanatesi, …, Helias 2022, supplementary: the estimator the
//! force-motifs study calls `dpr_bias`).
//!
//! `PR(C) = (tr C)² / tr(C²)`. Written with the mean and variance of the
//! diagonal (`a`) and off-diagonal (`c`) entries,
//! `PR = N / (1 + var(a)/ā² + (N−1)(var(c) + c̄²)/ā²)`. Estimated from a
//! sample covariance of `M` samples, the variances carry a sampling bias of
//! order `1/M` that makes the raw PR too small; the corrected estimator
//! subtracts it.

/// Sample covariance (denominator `M − 1`) of `m` samples of `n` variables,
/// `x[t * n + i]` being variable `i` at sample `t`. Returns the dense
/// row-major `n x n` matrix, exactly symmetric.
pub fn covariance(x: &[f64], m: usize, n: usize) -> Vec<f64> {
    assert_eq!(x.len(), m * n, "covariance: expected m x n samples");
    assert!(m >= 2, "covariance: needs at least two samples");
    let mut mean = vec![0.0; n];
    for row in x.chunks_exact(n) {
        for (a, v) in mean.iter_mut().zip(row) {
            *a += v;
        }
    }
    mean.iter_mut().for_each(|v| *v /= m as f64);
    let mut c = vec![0.0; n * n];
    let mut d = vec![0.0; n];
    for row in x.chunks_exact(n) {
        for ((dv, v), mv) in d.iter_mut().zip(row).zip(&mean) {
            *dv = v - mv;
        }
        // upper triangle, row by row: contiguous and vectorisable
        for i in 0..n {
            let di = d[i];
            for (cv, dj) in c[i * n + i..(i + 1) * n].iter_mut().zip(&d[i..]) {
                *cv += di * dj;
            }
        }
    }
    let s = 1.0 / (m - 1) as f64;
    for i in 0..n {
        for j in i..n {
            let v = c[i * n + j] * s;
            c[i * n + j] = v;
            c[j * n + i] = v;
        }
    }
    c
}

/// Participation ratio `(tr C)² / tr(C²)` of a symmetric `n x n` matrix.
pub fn participation_ratio(c: &[f64], n: usize) -> f64 {
    assert_eq!(c.len(), n * n);
    let tr: f64 = (0..n).map(|i| c[i * n + i]).sum();
    let tr2: f64 = c.iter().map(|v| v * v).sum();
    tr * tr / tr2
}

/// Moments of the diagonal and off-diagonal entries: (ā², var a with
/// `N−1`, c̄², var c with the study's `N(N−1) − 2` normalisation).
fn entry_moments(c: &[f64], n: usize) -> (f64, f64, f64, f64) {
    let nf = n as f64;
    let noff = nf * (nf - 1.0);
    let (mut sa, mut sc) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            if i == j {
                sa += c[i * n + j];
            } else {
                sc += c[i * n + j];
            }
        }
    }
    let (ma, mc) = (sa / nf, sc / noff);
    let (mut va, mut vc) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let v = c[i * n + j];
            if i == j {
                va += (v - ma) * (v - ma);
            } else {
                vc += (v - mc) * (v - mc);
            }
        }
    }
    // population variances, then the study's small-sample factors
    let astd2 = va / nf * nf / (nf - 1.0);
    let cstd2 = vc / noff * noff / (noff - 2.0);
    (ma * ma, astd2, mc * mc, cstd2)
}

/// Participation ratio of the population covariance estimated from a sample
/// covariance `c` (`n x n`) of `samples` samples, corrected for the
/// finite-sample bias (Dahmen et al. 2022). `samples` is the number of
/// samples `c` was computed from — not a count of trials or loops.
pub fn participation_ratio_bias_corrected(c: &[f64], n: usize, samples: usize) -> f64 {
    assert_eq!(c.len(), n * n);
    assert!(samples >= 2 && n >= 2);
    let (am2, astd2, cm2, cstd2) = entry_moments(c, n);
    let (nf, m) = (n as f64, samples as f64);
    let astd_b =
        astd2 * (m - 1.0) / (m + 1.0) - 2.0 * (am2 - cm2) / (m - 1.0) + 2.0 * cstd2 / (m + 1.0);
    let cstd_b = (m - 1.0) * cstd2 / m
        - (am2 - cm2) / m
        - 4.0 * (cm2 - (am2 * cm2).sqrt()) / (m * (nf + 1.0));
    nf / (1.0 + astd_b / am2 + (nf - 1.0) * (cstd_b / am2 + cm2 / am2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{mean, sd};
    use neurodyn_core::Seed;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn isotropic_covariance_has_pr_n_and_k_equal_eigenvalues_have_pr_k() {
        let n = 30;
        let mut id = vec![0.0; n * n];
        for i in 0..n {
            id[i * n + i] = 2.5;
        }
        assert!((participation_ratio(&id, n) - n as f64).abs() < 1e-12);
        // C = sum of k projectors on orthonormal random vectors
        let mut rng = Seed::derive(1, "pr", &[]).rng();
        let k = 4;
        let mut q: Vec<Vec<f64>> = Vec::new();
        while q.len() < k {
            let mut v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            for u in &q {
                let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
            }
            let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            v.iter_mut().for_each(|a| *a /= norm);
            q.push(v);
        }
        let mut c = vec![0.0; n * n];
        for u in &q {
            for i in 0..n {
                for j in 0..n {
                    c[i * n + j] += 3.0 * u[i] * u[j];
                }
            }
        }
        assert!((participation_ratio(&c, n) - k as f64).abs() < 1e-9);
    }

    #[test]
    fn covariance_matches_the_two_pass_definition() {
        let (m, n) = (50, 7);
        let mut rng = Seed::derive(2, "cov", &[]).rng();
        let x: Vec<f64> = (0..m * n)
            .map(|_| 3.0 + Distribution::<f64>::sample(&StandardNormal, &mut rng))
            .collect();
        let c = covariance(&x, m, n);
        for i in 0..n {
            for j in 0..n {
                let col = |k: usize| (0..m).map(|t| x[t * n + k]).collect::<Vec<_>>();
                let (a, b) = (col(i), col(j));
                let (ma, mb) = (mean(&a), mean(&b));
                let want: f64 = a
                    .iter()
                    .zip(&b)
                    .map(|(p, q)| (p - ma) * (q - mb))
                    .sum::<f64>()
                    / (m - 1) as f64;
                assert!((c[i * n + j] - want).abs() < 1e-12);
                assert_eq!(c[i * n + j].to_bits(), c[j * n + i].to_bits());
            }
        }
    }

    /// Mean and sd over `reps` of (raw PR, corrected PR) of the sample
    /// covariance of `m` Gaussian samples x = L z (covariance L Lᵀ).
    fn estimates(l: &[f64], n: usize, m: usize, reps: usize) -> ((f64, f64), (f64, f64)) {
        let mut rng = Seed::derive(3, "dpr", &[]).rng();
        let (mut raw, mut cor) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let mut x = vec![0.0; m * n];
            let mut z = vec![0.0; n];
            for t in 0..m {
                z.iter_mut()
                    .for_each(|v| *v = StandardNormal.sample(&mut rng));
                for i in 0..n {
                    x[t * n + i] = (0..n).map(|j| l[i * n + j] * z[j]).sum();
                }
            }
            let c = covariance(&x, m, n);
            raw.push(participation_ratio(&c, n));
            cor.push(participation_ratio_bias_corrected(&c, n, m));
        }
        ((mean(&raw), sd(&raw)), (mean(&cor), sd(&cor)))
    }

    fn check(l: &[f64], n: usize, m: usize, truth: f64) {
        let reps = 200;
        let ((raw, _), (cor, sd_cor)) = estimates(l, n, m, reps);
        // unbiased: the mean over reps is within 4 standard errors of the truth
        let tol = 4.0 * sd_cor / (reps as f64).sqrt();
        assert!(
            (cor - truth).abs() < tol,
            "corrected {cor} vs true {truth} (tolerance {tol}); raw {raw}"
        );
        // while the raw estimate is detectably biased low
        assert!(truth - raw > tol, "raw {raw} vs {truth} (tolerance {tol})");
    }

    #[test]
    fn bias_corrected_pr_is_unbiased_for_independent_units() {
        let n = 40;
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            l[i * n + i] = 1.0;
        }
        check(&l, n, 100, n as f64);
    }

    #[test]
    fn bias_corrected_pr_is_unbiased_for_equicorrelated_units() {
        // C = (1 - rho) I + rho 11ᵀ: PR = N / (1 + (N-1) rho²)
        let (n, rho) = (40, 0.2f64);
        let (a, b) = (
            (1.0 - rho).sqrt(),
            ((1.0 + (n as f64 - 1.0) * rho).sqrt() - (1.0 - rho).sqrt()) / n as f64,
        );
        // L = a I + b 11ᵀ is the symmetric square root of C
        let mut l = vec![b; n * n];
        for i in 0..n {
            l[i * n + i] += a;
        }
        let truth = n as f64 / (1.0 + (n as f64 - 1.0) * rho * rho);
        check(&l, n, 200, truth);
    }
}
