//! Recursive least squares with a shared inverse-correlation matrix `P`.
//!
//! For a regressor `r` and error `e = target - w·r`:
//! `k = P r`, `c = 1 / (1 + r·k)`, `w <- w + c e k`, `P <- P - c k kᵀ`.
//! `P r` after the update equals `c k`, so no second product is needed, and
//! the update is written on the upper triangle and mirrored so `P` stays
//! exactly symmetric.

use neurodyn_core::Error;

/// RLS state for `outputs` readouts sharing `n` regressors.
#[derive(Debug, Clone, PartialEq)]
pub struct Rls {
    n: usize,
    /// Inverse correlation estimate, row-major `n x n`.
    pub p: Vec<f64>,
    /// Weights, row-major `outputs x n`.
    pub w: Vec<f64>,
    k: Vec<f64>,
}

impl Rls {
    /// `P = I / alpha` (alpha > 0 is the regulariser), zero weights.
    pub fn try_new(n: usize, outputs: usize, alpha: f64) -> Result<Self, Error> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::invalid("alpha", alpha, "a finite number > 0"));
        }
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            p[i * n + i] = 1.0 / alpha;
        }
        Ok(Rls {
            n,
            p,
            w: vec![0.0; outputs * n],
            k: vec![0.0; n],
        })
    }

    /// Current outputs `w r`.
    pub fn predict(&self, r: &[f64], out: &mut [f64]) {
        for (o, wrow) in out.iter_mut().zip(self.w.chunks_exact(self.n)) {
            *o = wrow.iter().zip(r).map(|(a, b)| a * b).sum();
        }
    }

    /// One update towards `target` for regressor `r`.
    pub fn update(&mut self, r: &[f64], target: &[f64]) {
        let n = self.n;
        for i in 0..n {
            self.k[i] = self.p[i * n..(i + 1) * n]
                .iter()
                .zip(r)
                .map(|(a, b)| a * b)
                .sum();
        }
        let c = 1.0 / (1.0 + r.iter().zip(&self.k).map(|(a, b)| a * b).sum::<f64>());
        for (wrow, t) in self.w.chunks_exact_mut(n).zip(target) {
            let e = t - wrow.iter().zip(r).map(|(a, b)| a * b).sum::<f64>();
            for (w, k) in wrow.iter_mut().zip(&self.k) {
                *w += c * e * k;
            }
        }
        for i in 0..n {
            for j in i..n {
                let v = self.p[i * n + j] - c * self.k[i] * self.k[j];
                self.p[i * n + j] = v;
                self.p[j * n + i] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;
    use rand_distr::{Distribution, StandardNormal};

    /// Solve `a x = b` (n x n, row-major) by Gaussian elimination with partial pivoting.
    fn solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for c in 0..n {
            let p = (c..n)
                .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
                .unwrap();
            for k in 0..n {
                a.swap(c * n + k, p * n + k);
            }
            b.swap(c, p);
            for r in c + 1..n {
                let f = a[r * n + c] / a[c * n + c];
                for k in c..n {
                    a[r * n + k] -= f * a[c * n + k];
                }
                b[r] -= f * b[c];
            }
        }
        let mut x = vec![0.0; n];
        for r in (0..n).rev() {
            let s: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
            x[r] = (b[r] - s) / a[r * n + r];
        }
        x
    }

    #[test]
    fn equals_the_ridge_solution_and_keeps_p_symmetric() {
        // RLS from P = I / alpha, w = 0 is exactly ridge regression:
        // w = (sum r r^T + alpha I)^-1 sum r t, computed here independently.
        let mut rng = Seed::derive(5, "rls", &[]).rng();
        let (n, alpha) = (6, 0.5);
        let w_true: Vec<f64> = (0..2 * n).map(|i| (i as f64 * 0.7).sin()).collect();
        let mut rls = Rls::try_new(n, 2, alpha).unwrap();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = alpha;
        }
        let mut b = vec![vec![0.0; n]; 2];
        for _ in 0..300 {
            let r: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            let noise: f64 = StandardNormal.sample(&mut rng);
            let t: Vec<f64> = w_true
                .chunks(n)
                .map(|w| w.iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() + 0.1 * noise)
                .collect();
            rls.update(&r, &t);
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] += r[i] * r[j];
                }
                b[0][i] += r[i] * t[0];
                b[1][i] += r[i] * t[1];
            }
        }
        for o in 0..2 {
            let ridge = solve(a.clone(), b[o].clone());
            for i in 0..n {
                let got = rls.w[o * n + i];
                assert!(
                    (got - ridge[i]).abs() < 1e-10,
                    "output {o} weight {i}: {got} vs {}",
                    ridge[i]
                );
            }
        }
        let mut out = [0.0; 2];
        rls.predict(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0], &mut out);
        assert_eq!(out, [rls.w[0], rls.w[n]]);
        for i in 0..n {
            for j in 0..n {
                assert_eq!(rls.p[i * n + j].to_bits(), rls.p[j * n + i].to_bits());
            }
        }
        assert!(Rls::try_new(3, 1, 0.0).is_err());
    }
}
