//! Compressed sparse row matrices and the block product the rate networks use.

/// A square or rectangular matrix in compressed sparse row form.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row `i`'s entries are `indptr[i]..indptr[i + 1]`.
    pub indptr: Vec<usize>,
    /// Column index of each entry.
    pub indices: Vec<u32>,
    /// Value of each entry.
    pub values: Vec<f64>,
}

impl Csr {
    /// Build from `(row, col, value)` triplets given in row-major order.
    pub fn from_sorted_triplets(rows: usize, cols: usize, t: &[(u32, u32, f64)]) -> Self {
        let mut indptr = vec![0usize; rows + 1];
        for &(r, _, _) in t {
            indptr[r as usize + 1] += 1;
        }
        for i in 0..rows {
            indptr[i + 1] += indptr[i];
        }
        Csr {
            rows,
            cols,
            indptr,
            indices: t.iter().map(|x| x.1).collect(),
            values: t.iter().map(|x| x.2).collect(),
        }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Entry `(i, j)` (zero if not stored).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let r = self.indptr[i]..self.indptr[i + 1];
        self.indices[r.clone()]
            .iter()
            .zip(&self.values[r])
            .filter(|(c, _)| **c as usize == j)
            .map(|(_, v)| *v)
            .sum()
    }

    /// Dense row-major copy.
    pub fn to_dense(&self) -> Vec<f64> {
        let mut d = vec![0.0; self.rows * self.cols];
        for i in 0..self.rows {
            for k in self.indptr[i]..self.indptr[i + 1] {
                d[i * self.cols + self.indices[k] as usize] += self.values[k];
            }
        }
        d
    }

    /// Multiply every stored value by `s`.
    pub fn scale(&mut self, s: f64) {
        for v in &mut self.values {
            *v *= s;
        }
    }

    /// `out = self * x` for a block of `b` column vectors stored row-major:
    /// `x[j * b + k]` is component `j` of vector `k`.
    ///
    /// Each output element sums its row's entries in an order fixed by the
    /// matrix (see `mul_slab`) with fused multiply-adds (correctly rounded,
    /// the same on every instruction set), so the result does not depend on
    /// `b`, on how the block is split, or on the SIMD width. Call it inside a
    /// `pulp` dispatch to get vector code.
    #[inline(always)]
    pub fn mul_block(&self, x: &[f64], b: usize, out: &mut [f64]) {
        assert_eq!(x.len(), self.cols * b, "x has the wrong size");
        assert_eq!(out.len(), self.rows * b, "out has the wrong size");
        // Columns in slabs of up to 64 (48 for rnn-chaos with few tangents): the wider the slab, the fewer passes
        // over the matrix and per-row overheads (64 columns: 9.4 us in one
        // slab against 13.8 us in slabs of 24, `cargo bench -p
        // neurodyn-models`). 64-byte aligned rows of x matter as much (16.5
        // us unaligned). Computing row by row and updating each row while it
        // is in L1 was slower (it needs a second state buffer). The slab
        // width does not change any result.
        let mut c0 = 0;
        while c0 < b {
            match b - c0 {
                r if r >= 64 => {
                    self.mul_slab::<64>(x, b, c0, out);
                    c0 += 64;
                }
                r if r >= 48 => {
                    self.mul_slab::<48>(x, b, c0, out);
                    c0 += 48;
                }
                r if r >= 32 => {
                    self.mul_slab::<32>(x, b, c0, out);
                    c0 += 32;
                }
                r if r >= 24 => {
                    self.mul_slab::<24>(x, b, c0, out);
                    c0 += 24;
                }
                r if r >= 20 => {
                    self.mul_slab::<20>(x, b, c0, out);
                    c0 += 20;
                }
                r if r >= 12 => {
                    self.mul_slab::<12>(x, b, c0, out);
                    c0 += 12;
                }
                r if r >= 4 => {
                    self.mul_slab::<4>(x, b, c0, out);
                    c0 += 4;
                }
                _ => {
                    self.mul_slab::<1>(x, b, c0, out);
                    c0 += 1;
                }
            }
        }
    }

    /// Rows times columns `c0..c0 + LANES`. Each row's nonzeros are summed
    /// in two interleaved partial sums (entries 0, 2, 4, … in `s0`, 1, 3, 5, …
    /// in `s1`; an odd last entry also goes to `s0`), combined as `s0 + s1`.
    /// With 8 or more vectors of lanes per sum that is enough independent
    /// chains of fused multiply-adds to keep the FMA units busy, and it
    /// spills fewer registers than four sums (15.4 us against 16.4 us per
    /// step of the rnn-chaos block). The order is fixed by the matrix alone.
    #[inline(always)]
    fn mul_slab<const LANES: usize>(&self, x: &[f64], b: usize, c0: usize, out: &mut [f64]) {
        #[inline(always)]
        fn fma_into<const L: usize>(acc: &mut [f64; L], w: f64, xs: &[f64]) {
            let xs: &[f64; L] = xs.try_into().expect("L values");
            for l in 0..L {
                acc[l] = w.mul_add(xs[l], acc[l]);
            }
        }
        for i in 0..self.rows {
            let (lo, hi) = (self.indptr[i], self.indptr[i + 1]);
            let idx = &self.indices[lo..hi];
            let val = &self.values[lo..hi];
            let (mut s0, mut s1) = ([0.0f64; LANES], [0.0f64; LANES]);
            let col = |j: u32| &x[j as usize * b + c0..j as usize * b + c0 + LANES];
            let mut ic = idx.chunks_exact(2);
            let mut vc = val.chunks_exact(2);
            for (j, w) in (&mut ic).zip(&mut vc) {
                fma_into(&mut s0, w[0], col(j[0]));
                fma_into(&mut s1, w[1], col(j[1]));
            }
            for (&j, &w) in ic.remainder().iter().zip(vc.remainder()) {
                fma_into(&mut s0, w, col(j));
            }
            let o = &mut out[i * b + c0..i * b + c0 + LANES];
            for l in 0..LANES {
                o[l] = s0[l] + s1[l];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_product_equals_dense_product() {
        // 5x4 matrix with a few entries, 21 vectors (one full lane block + a tail)
        let t = [
            (0, 1, 2.0),
            (0, 3, -1.0),
            (1, 0, 0.5),
            (3, 2, 4.0),
            (3, 3, 1.5),
            (4, 0, -2.0),
        ];
        let m = Csr::from_sorted_triplets(5, 4, &t);
        assert_eq!(m.nnz(), 6);
        assert_eq!(m.get(3, 2), 4.0);
        assert_eq!(m.get(2, 2), 0.0);
        let b = 21;
        let x: Vec<f64> = (0..4 * b).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut out = vec![f64::NAN; 5 * b];
        m.mul_block(&x, b, &mut out);
        let d = m.to_dense();
        for i in 0..5 {
            for k in 0..b {
                let want: f64 = (0..4).map(|j| d[i * 4 + j] * x[j * b + k]).sum();
                assert!((out[i * b + k] - want).abs() < 1e-14);
            }
        }
        // the same vector gives the same bits whatever the block width
        let x1: Vec<f64> = (0..4).map(|j| x[j * b + 17]).collect();
        let mut o1 = vec![0.0; 5];
        m.mul_block(&x1, 1, &mut o1);
        for i in 0..5 {
            assert_eq!(o1[i].to_bits(), out[i * b + 17].to_bits());
        }
    }
}
