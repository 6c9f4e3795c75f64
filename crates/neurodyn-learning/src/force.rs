//! Per-neuron recursive least squares, the FORCE scheme of the force-motifs
//! study: neuron `i`'s incoming weights `w_i` (over its presynaptic index set
//! `J_i`) are trained so that its recurrent input `w_i · r_{J_i}` follows a
//! target, each neuron with its own inverse correlation matrix `P_i`
//! (`|J_i| x |J_i|`, started at `I / alpha`).
//!
//! One update, for every neuron: `e = target - w·r`, `k = P r`,
//! `c = 1 / (1 + r·k)`, `P <- P - c k kᵀ`, `w <- w + e c k` (because
//! `P_new r = c k`, no second product is needed).
//!
//! ## The kernel
//! `P_i` is symmetric, so only a block upper triangle is stored: the
//! inputs are padded to a multiple of 8 (`Kp`), and block row `b` (rows
//! `8b..8b+8`) keeps columns `8b..Kp`, row-major — the diagonal 8x8 blocks
//! whole, the blocks right of them once. A block row is processed together:
//! for each 8-column chunk, every row applies the pending downdate, adds its
//! dot product with `r`, and (right of the diagonal block) adds its
//! transposed contribution to `k`, so `P r` costs one pass over the stored
//! half with every load and store a full vector. The rank-1 downdate of one
//! step is applied lazily in that same pass at the next step, so each update
//! streams each `P_i` exactly once. The downdate is stored as `s = k √c` and
//! applied as `P_ab -= s_a s_b` with fused multiply-adds: products commute
//! exactly, so the duplicated entries of the diagonal blocks stay equal (`P`
//! stays exactly symmetric), and the arithmetic is the same on every
//! instruction set, so results do not depend on the SIMD width or on the
//! thread count. Neurons are independent and are split across rayon's
//! threads.

use neurodyn_core::Error;
use rayon::prelude::*;

/// Lanes of a chunk.
const L: usize = 8;

/// Per-neuron RLS state over a sparse connectivity pattern.
#[derive(Debug, Clone)]
pub struct PerNeuronRls {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    /// Offset of neuron `i`'s block triangle in `p`.
    p_off: Vec<usize>,
    /// Offset of neuron `i`'s padded vectors (`s`).
    v_off: Vec<usize>,
    /// Block upper triangles.
    p: Vec<f64>,
    /// Pending downdate factor of each neuron, padded (zero: none).
    s: Vec<f64>,
    max_kp: usize,
}

/// Neurons per parallel task: large enough that a task outweighs rayon's
/// overhead, small enough to balance two to sixteen threads.
const CHUNK: usize = 16;

/// Padded size and number of 8-blocks of `k` inputs.
fn blocks(k: usize) -> (usize, usize) {
    let nb = k.div_ceil(L);
    (nb * L, nb)
}

/// Stored entries of a block triangle with `nb` blocks.
fn stored_len(nb: usize) -> usize {
    L * L * nb * (nb + 1) / 2
}

/// Offset of block row `b` in a triangle with `nb` blocks.
fn block_row_off(b: usize, nb: usize) -> usize {
    // rows 8b'..8b'+8 for b' < b, each of length 8 (nb - b')
    L * L * (b * nb - b * (b.saturating_sub(1)) / 2)
}

impl PerNeuronRls {
    /// `P_i = I / alpha` for the pattern of a CSR matrix: neuron `i`'s inputs
    /// are `indices[indptr[i]..indptr[i + 1]]`, in the order of the weight
    /// values passed to [`PerNeuronRls::update`].
    pub fn try_new(indptr: &[usize], indices: &[u32], alpha: f64) -> Result<Self, Error> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::invalid("alpha", alpha, "a finite number > 0"));
        }
        if indptr.is_empty() || *indptr.last().unwrap() != indices.len() {
            return Err(Error::Other(
                "per-neuron RLS: indptr does not match indices".into(),
            ));
        }
        let n = indptr.len() - 1;
        let (mut p_off, mut v_off) = (Vec::with_capacity(n + 1), Vec::with_capacity(n + 1));
        let (mut pt, mut vt, mut max_kp) = (0, 0, 0);
        for i in 0..n {
            let (kp, nb) = blocks(indptr[i + 1] - indptr[i]);
            max_kp = max_kp.max(kp);
            p_off.push(pt);
            v_off.push(vt);
            pt += stored_len(nb);
            vt += kp;
        }
        p_off.push(pt);
        v_off.push(vt);
        let mut rls = PerNeuronRls {
            indptr: indptr.to_vec(),
            indices: indices.to_vec(),
            p_off,
            v_off,
            p: vec![0.0; pt],
            s: vec![0.0; vt],
            max_kp,
        };
        for i in 0..n {
            // padded inputs keep P = 0: their k and s stay 0
            for a in 0..indptr[i + 1] - indptr[i] {
                let at = rls.at(i, a, a);
                rls.p[at] = 1.0 / alpha;
            }
        }
        Ok(rls)
    }

    /// Index in `p` of neuron `i`'s stored entry `(a, b)`, `b >= 8 (a / 8)`.
    fn at(&self, i: usize, a: usize, b: usize) -> usize {
        let (kp, nb) = blocks(self.indptr[i + 1] - self.indptr[i]);
        let br = a / L;
        let row_len = kp - br * L;
        self.p_off[i] + block_row_off(br, nb) + (a % L) * row_len + (b - br * L)
    }

    /// Number of trained neurons.
    pub fn neurons(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Floating-point operations of one [`update`](Self::update) as executed
    /// (3 fused multiply-adds per stored entry of `P`, the padding included,
    /// plus the O(K) vector work), for throughput figures.
    pub fn flops_per_update(&self) -> u64 {
        (0..self.neurons())
            .map(|i| {
                let k = self.indptr[i + 1] - self.indptr[i];
                let (kp, nb) = blocks(k);
                (6 * stored_len(nb) + 10 * kp) as u64
            })
            .sum()
    }

    /// One RLS step for every neuron: `r` is the full presynaptic activity,
    /// `target[i]` neuron `i`'s target, `w` the weight values in the CSR order
    /// given at construction (updated in place). Writes each neuron's error
    /// `target - w·r` (with the weights before the update) to `error`.
    pub fn update(&mut self, r: &[f64], target: &[f64], w: &mut [f64], error: &mut [f64]) {
        let n = self.neurons();
        assert_eq!(target.len(), n, "one target per neuron");
        assert_eq!(error.len(), n, "one error per neuron");
        assert_eq!(w.len(), self.indices.len(), "one weight per input");
        // Split every per-neuron array into chunks of CHUNK neurons.
        let mut tasks = Vec::with_capacity(n.div_ceil(CHUNK));
        let (mut p, mut s, mut w, mut error) =
            (self.p.as_mut_slice(), self.s.as_mut_slice(), w, error);
        let mut first = 0;
        while first < n {
            let last = (first + CHUNK).min(n);
            let (pa, pb) = p.split_at_mut(self.p_off[last] - self.p_off[first]);
            let (sa, sb) = s.split_at_mut(self.v_off[last] - self.v_off[first]);
            let (wa, wb) = w.split_at_mut(self.indptr[last] - self.indptr[first]);
            let (ea, eb) = error.split_at_mut(last - first);
            tasks.push((first..last, pa, sa, wa, ea));
            (p, s, w, error) = (pb, sb, wb, eb);
            first = last;
        }
        let (indptr, indices, max_kp) = (&self.indptr, &self.indices, self.max_kp);
        tasks.into_par_iter().for_each(|(range, p, s, w, e)| {
            let op = Chunk {
                indptr,
                indices,
                range,
                p,
                s,
                w,
                error: e,
                r,
                target,
                max_kp,
            };
            pulp::Arch::new().dispatch(op);
        });
    }

    /// Apply the pending downdates, so that [`p_dense`](Self::p_dense) shows
    /// the current `P` (updates do not need it).
    pub fn flush(&mut self) {
        for i in 0..self.neurons() {
            let (kp, _) = blocks(self.indptr[i + 1] - self.indptr[i]);
            for a in 0..kp {
                for b in (a / L) * L..kp {
                    let (sa, sb) = (self.s[self.v_off[i] + a], self.s[self.v_off[i] + b]);
                    let at = self.at(i, a, b);
                    self.p[at] = (-sa).mul_add(sb, self.p[at]);
                }
            }
            self.s[self.v_off[i]..self.v_off[i + 1]].fill(0.0);
        }
    }

    /// Neuron `i`'s current `P` as a dense row-major `K x K` matrix
    /// (call [`flush`](Self::flush) first).
    pub fn p_dense(&self, i: usize) -> Vec<f64> {
        let k = self.indptr[i + 1] - self.indptr[i];
        let mut d = vec![0.0; k * k];
        for a in 0..k {
            for b in a..k {
                let v = self.p[self.at(i, a, b)];
                d[a * k + b] = v;
                d[b * k + a] = v;
            }
        }
        d
    }
}

/// The update of a contiguous chunk of neurons, as a `pulp` operation so the
/// loops are compiled for the best instruction set found at run time.
struct Chunk<'a> {
    indptr: &'a [usize],
    indices: &'a [u32],
    range: std::ops::Range<usize>,
    p: &'a mut [f64],
    s: &'a mut [f64],
    w: &'a mut [f64],
    error: &'a mut [f64],
    r: &'a [f64],
    target: &'a [f64],
    max_kp: usize,
}

impl pulp::WithSimd for Chunk<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        self.run(simd);
    }
}

/// One block row (`8` rows of `row_len` stored entries starting at column
/// `col0`): apply the downdate, accumulate `P r` into `k`. Written with
/// `pulp` vectors of `S::F64_LANES` lanes (8, 4 or 1), always as logical
/// 8-lane chunks reduced in one fixed order, so every instruction set gives
/// the same bits.
#[inline(always)]
fn block_row<S: pulp::Simd>(
    simd: S,
    p: &mut [f64],
    row_len: usize,
    col0: usize,
    s: &[f64],
    x: &[f64],
    k: &mut [f64],
) {
    let nv = L / S::F64_LANES;
    let zero = simd.splat_f64s(0.0);
    let mut acc = [[zero; L]; L];
    for cb in 0..row_len / L {
        let col = col0 + cb * L;
        let (sc, _) = S::as_simd_f64s(&s[col..col + L]);
        let (rc, _) = S::as_simd_f64s(&x[col..col + L]);
        let mut kacc = [zero; L];
        for (a, acc_a) in acc.iter_mut().enumerate() {
            let nsa = simd.splat_f64s(-s[col0 + a]);
            let ra = simd.splat_f64s(x[col0 + a]);
            let at = a * row_len + cb * L;
            let (row, _) = S::as_mut_simd_f64s(&mut p[at..at + L]);
            for v in 0..nv {
                let val = simd.mul_add_f64s(nsa, sc[v], row[v]);
                row[v] = val;
                acc_a[v] = simd.mul_add_f64s(val, rc[v], acc_a[v]);
                kacc[v] = simd.mul_add_f64s(val, ra, kacc[v]);
            }
        }
        if cb > 0 {
            // right of the diagonal block: the transposed half
            let (kc, _) = S::as_mut_simd_f64s(&mut k[col..col + L]);
            for v in 0..nv {
                kc[v] = simd.add_f64s(kc[v], kacc[v]);
            }
        }
    }
    for (a, acc_a) in acc.iter().enumerate() {
        let mut lanes = [0.0f64; L];
        let (lv, _) = S::as_mut_simd_f64s(&mut lanes);
        lv[..nv].copy_from_slice(&acc_a[..nv]);
        let v = &lanes;
        k[col0 + a] += ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
    }
}

/// `a · b` as logical 8-lane partial sums (chunks of 8, then the tail one by
/// one), reduced in one fixed order: the same bits on every instruction set.
#[inline(always)]
fn dot<S: pulp::Simd>(simd: S, a: &[f64], b: &[f64]) -> f64 {
    let nv = L / S::F64_LANES;
    let n = a.len().min(b.len());
    let body = n / L * L;
    let zero = simd.splat_f64s(0.0);
    let mut acc = [zero; L];
    for c in (0..body).step_by(L) {
        let (av, _) = S::as_simd_f64s(&a[c..c + L]);
        let (bv, _) = S::as_simd_f64s(&b[c..c + L]);
        for v in 0..nv {
            acc[v] = simd.mul_add_f64s(av[v], bv[v], acc[v]);
        }
    }
    let mut lanes = [0.0f64; L];
    let (lv, _) = S::as_mut_simd_f64s(&mut lanes);
    lv[..nv].copy_from_slice(&acc[..nv]);
    let v = &lanes;
    let mut sum = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
    for i in body..n {
        sum = a[i].mul_add(b[i], sum);
    }
    sum
}

impl Chunk<'_> {
    #[inline(always)]
    fn run<S: pulp::Simd>(self, simd: S) {
        let mut x = vec![0.0; self.max_kp];
        let mut k = vec![0.0; self.max_kp];
        let base = self.indptr[self.range.start];
        let (mut p_at, mut v_at) = (0, 0);
        for (local, i) in self.range.clone().enumerate() {
            let (lo, hi) = (self.indptr[i] - base, self.indptr[i + 1] - base);
            let kn = hi - lo;
            let (kp, nb) = blocks(kn);
            let x = &mut x[..kp];
            let k = &mut k[..kp];
            let s = &mut self.s[v_at..v_at + kp];
            v_at += kp;
            let w = &mut self.w[lo..hi];
            for (xa, &j) in x
                .iter_mut()
                .zip(&self.indices[self.indptr[i]..self.indptr[i + 1]])
            {
                *xa = self.r[j as usize];
            }
            x[kn..].fill(0.0);
            let z = dot(simd, w, x);
            let e = self.target[i] - z;
            self.error[local] = e;
            k.fill(0.0);
            let p = &mut self.p[p_at..p_at + stored_len(nb)];
            p_at += stored_len(nb);
            let mut o = 0;
            for b in 0..nb {
                let row_len = kp - b * L;
                block_row(simd, &mut p[o..o + L * row_len], row_len, b * L, s, x, k);
                o += L * row_len;
            }
            let rk = dot(simd, x, k);
            let c = 1.0 / (1.0 + rk);
            let ec = e * c;
            let sc = c.sqrt();
            for (wv, &kv) in w.iter_mut().zip(k.iter()) {
                *wv = ec.mul_add(kv, *wv);
            }
            for (sv, &kv) in s.iter_mut().zip(k.iter()) {
                *sv = kv * sc;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rls::Rls;
    use neurodyn_core::Seed;
    use rand::RngExt;
    use rand_distr::{Distribution, StandardNormal};

    /// A random pattern: each neuron sees each other neuron with probability `p`.
    fn pattern(n: usize, p: f64, seed: u64) -> (Vec<usize>, Vec<u32>) {
        let mut rng = Seed::derive(seed, "pattern", &[]).rng();
        let mut indptr = vec![0];
        let mut idx = Vec::new();
        for i in 0..n {
            for j in 0..n {
                if i != j && rng.random::<f64>() < p {
                    idx.push(j as u32);
                }
            }
            indptr.push(idx.len());
        }
        (indptr, idx)
    }

    #[test]
    fn recovers_a_known_sparse_linear_map() {
        let (n, alpha) = (40, 0.25);
        let (indptr, idx) = pattern(n, 0.3, 1);
        let mut rng = Seed::derive(2, "map", &[]).rng();
        let w_true: Vec<f64> = idx
            .iter()
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let mut w = vec![0.0; idx.len()];
        let mut rls = PerNeuronRls::try_new(&indptr, &idx, alpha).unwrap();
        let mut err = vec![0.0; n];
        let mut last_err = 0.0;
        for step in 0..400 {
            let r: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            let target: Vec<f64> = (0..n)
                .map(|i| {
                    (indptr[i]..indptr[i + 1])
                        .map(|a| w_true[a] * r[idx[a] as usize])
                        .sum()
                })
                .collect();
            rls.update(&r, &target, &mut w, &mut err);
            if step == 399 {
                last_err = err.iter().map(|e| e * e).sum::<f64>() / n as f64;
            }
        }
        // noiseless targets: after many more samples than inputs the map is
        // recovered up to the vanishing ridge term alpha / steps
        let worst = w
            .iter()
            .zip(&w_true)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-2, "largest weight error {worst}");
        assert!(last_err < 1e-4, "prediction error {last_err}");
    }

    #[test]
    fn agrees_with_the_global_rls_on_each_neurons_inputs_and_keeps_p_symmetric() {
        // Independent computation: the plain dense RLS of `rls.rs`, run on
        // one neuron's inputs alone, must give the same weights and P.
        let (n, alpha) = (30, 0.5);
        let (indptr, idx) = pattern(n, 0.4, 3);
        let mut rng = Seed::derive(4, "data", &[]).rng();
        let mut w = vec![0.0; idx.len()];
        let mut rls = PerNeuronRls::try_new(&indptr, &idx, alpha).unwrap();
        let mut refs: Vec<Rls> = (0..n)
            .map(|i| Rls::try_new(indptr[i + 1] - indptr[i], 1, alpha).unwrap())
            .collect();
        let mut err = vec![0.0; n];
        for _ in 0..50 {
            let r: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let t: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            rls.update(&r, &t, &mut w, &mut err);
            for (i, g) in refs.iter_mut().enumerate() {
                let x: Vec<f64> = idx[indptr[i]..indptr[i + 1]]
                    .iter()
                    .map(|&j| r[j as usize])
                    .collect();
                g.update(&x, &[t[i]]);
            }
        }
        rls.flush();
        for (i, g) in refs.iter().enumerate() {
            for (a, b) in w[indptr[i]..indptr[i + 1]].iter().zip(&g.w) {
                assert!(
                    (a - b).abs() < 1e-9 * (1.0 + b.abs()),
                    "neuron {i}: {a} vs {b}"
                );
            }
            let pd = rls.p_dense(i);
            for (a, b) in pd.iter().zip(&g.p) {
                assert!(
                    (a - b).abs() < 1e-9 * (1.0 + b.abs()),
                    "neuron {i} P: {a} vs {b}"
                );
            }
            let k = indptr[i + 1] - indptr[i];
            for a in 0..k {
                assert!(pd[a * k + a] > 0.0, "P must stay positive definite");
            }
        }
    }

    #[test]
    fn does_not_depend_on_the_thread_count() {
        let (n, alpha) = (50, 1.0);
        let (indptr, idx) = pattern(n, 0.3, 5);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut rng = Seed::derive(6, "data", &[]).rng();
                let mut w = vec![0.1; idx.len()];
                let mut rls = PerNeuronRls::try_new(&indptr, &idx, alpha).unwrap();
                let mut err = vec![0.0; n];
                for _ in 0..20 {
                    let r: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
                    let t: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
                    rls.update(&r, &t, &mut w, &mut err);
                }
                w.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            })
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn rejects_bad_alpha() {
        assert!(PerNeuronRls::try_new(&[0, 0], &[], 0.0).is_err());
        assert!(PerNeuronRls::try_new(&[0, 0], &[], f64::NAN).is_err());
        assert!(PerNeuronRls::try_new(&[0, 2], &[1], 1.0).is_err());
    }
}
