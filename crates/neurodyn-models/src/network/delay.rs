//! Delay lines: the coupling matrix in compressed columns with a delay per
//! entry, and one doubled ring buffer of outputs per source (see the
//! parent module's "Memory" section).

use neurodyn_core::{Connectome, Error};
use rayon::prelude::*;

use super::DelayRule;

/// Delay lines: the coupling matrix in compressed columns (by source) with a
/// delay per entry, and one doubled ring buffer of outputs per source.
///
/// The sums are scattered source by source: a source's targets all read its
/// own short buffer (a few KB, in L1), and the targets' sums stay in L1 too,
/// where gathering row by row would read every source's buffer for every
/// target. Sources are cut into fixed blocks of about [`BLOCK_ENTRIES`]
/// entries; each block's partial sums (each target's terms in ascending
/// source order) are added in block order, so the bits depend on the connectome
/// only, not on how many threads share the blocks.
#[derive(Debug, Clone)]
pub struct DelayLines {
    pub(super) n: usize,
    pub(super) channels: usize,
    pub(super) col_ptr: Vec<usize>,
    pub(super) tgt: Vec<u32>,
    pub(super) lag: Vec<u32>,
    pub(super) w: Vec<f64>,
    /// Source boundaries of the summation blocks (`blocks[b]..blocks[b + 1]`).
    pub(super) blocks: Vec<usize>,
    /// Partial sums of blocks 1.. (block 0 sums into the output itself).
    pub(super) partial: Vec<f64>,
    pub(super) rowsum: Vec<f64>,
    pub(super) len: Vec<u32>,
    pub(super) head: Vec<u32>,
    /// `off_j + len_j`: where source `j`'s second copy starts.
    pub(super) start: Vec<u32>,
    /// `start_j + head_j`: the slot of source `j`'s newest value.
    pub(super) base: Vec<u32>,
    pub(super) buf: Vec<f64>,
    pub(super) min_lag: u32,
    pub(super) max_lag: u32,
}

/// The number of entries below which the sums run on one thread (a rayon
/// fork costs a few µs).
pub(super) const PAR_MIN_ENTRIES: usize = 16_384;

/// Entries per summation block (a block closes once it holds this many).
pub(super) const BLOCK_ENTRIES: usize = 8_192;

impl DelayLines {
    /// Build the lines of `connectome` (diagonal dropped, zero weights
    /// skipped) for steps of `dt_ms` at `speed_mm_per_ms`, with `channels`
    /// values per slot (1, or 2 for the sine coupling's sin and cos).
    pub fn new(
        connectome: &Connectome,
        dt_ms: f64,
        speed_mm_per_ms: f64,
        rule: DelayRule,
        channels: usize,
    ) -> Result<Self, Error> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(Error::invalid("dt_ms", dt_ms, "a finite number > 0"));
        }
        if speed_mm_per_ms.is_nan() || speed_mm_per_ms <= 0.0 {
            return Err(Error::invalid(
                "speed_mm_per_ms",
                speed_mm_per_ms,
                "a number > 0 (mm/ms = m/s; inf for no delays)",
            ));
        }
        assert!(channels == 1 || channels == 2, "1 or 2 channels");
        let n = connectome.n();
        let mut col_ptr = Vec::with_capacity(n + 1);
        let (mut tgt, mut lag, mut w) = (Vec::new(), Vec::new(), Vec::new());
        let mut max_out = vec![0u32; n];
        // Σ_j W_ij: each row's terms arrive in ascending j
        let mut rowsum = vec![0.0; n];
        col_ptr.push(0);
        for j in 0..n {
            for i in 0..n {
                let wij = connectome.weight(i, j);
                if i == j || wij == 0.0 {
                    continue;
                }
                rowsum[i] += wij;
                let steps = connectome.distance_mm(i, j) / speed_mm_per_ms / dt_ms;
                if steps > (u32::MAX / 4) as f64 {
                    return Err(Error::invalid(
                        "speed_mm_per_ms",
                        speed_mm_per_ms,
                        &format!(
                            "a speed that keeps the delay from region {j} to {i} \
                             ({} mm) under 1e9 steps of {dt_ms} ms",
                            connectome.distance_mm(i, j)
                        ),
                    ));
                }
                let mut push = |d: u32, weight: f64| {
                    tgt.push(i as u32);
                    lag.push(d);
                    w.push(weight);
                    max_out[j] = max_out[j].max(d);
                };
                match rule {
                    DelayRule::Ceil => push(steps.ceil() as u32, wij),
                    DelayRule::Round => push(steps.round() as u32, wij),
                    DelayRule::Linear => {
                        let lo = steps.floor();
                        let frac = steps - lo;
                        if frac == 0.0 {
                            push(lo as u32, wij);
                        } else {
                            push(lo as u32, wij * (1.0 - frac));
                            push(lo as u32 + 1, wij * frac);
                        }
                    }
                }
            }
            col_ptr.push(tgt.len());
        }
        let mut blocks = vec![0];
        for j in 1..n {
            if col_ptr[j] - col_ptr[blocks[blocks.len() - 1]] >= BLOCK_ENTRIES {
                blocks.push(j);
            }
        }
        blocks.push(n);
        let len: Vec<u32> = max_out.iter().map(|&m| m + 1).collect();
        let mut start = Vec::with_capacity(n);
        let mut off = 0usize;
        for &l in &len {
            start.push((off + l as usize) as u32);
            off += 2 * l as usize;
        }
        if off * channels > u32::MAX as usize {
            return Err(Error::invalid(
                "speed_mm_per_ms",
                speed_mm_per_ms,
                "a speed whose delays fit the history in memory (2^32 values)",
            ));
        }
        Ok(DelayLines {
            n,
            channels,
            col_ptr,
            min_lag: lag.iter().copied().min().unwrap_or(1),
            max_lag: lag.iter().copied().max().unwrap_or(0),
            partial: vec![0.0; (blocks.len() - 2) * n * channels],
            blocks,
            tgt,
            lag,
            w,
            rowsum,
            head: vec![0; n],
            len,
            base: start.clone(),
            start,
            buf: vec![0.0; off * channels],
        })
    }

    /// Number of regions.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of stored connections (entries; `Linear` stores two per tract
    /// with a fractional delay).
    pub fn n_entries(&self) -> usize {
        self.tgt.len()
    }

    /// Values held in the ring buffers (all channels).
    pub fn history_len(&self) -> usize {
        self.buf.len()
    }

    /// Shortest and longest delay, in steps (`(1, 0)` without connections).
    pub fn lag_range(&self) -> (u32, u32) {
        (self.min_lag, self.max_lag)
    }

    /// Sum of the weights into each region (`Σ_j W_ij`, diagonal excluded).
    pub fn rowsum(&self) -> &[f64] {
        &self.rowsum
    }

    /// Fill every history slot of every source with `values` (one per
    /// region and channel, region-major): a constant history.
    pub fn fill(&mut self, values: &[f64]) {
        assert_eq!(values.len(), self.n * self.channels);
        let c = self.channels;
        for j in 0..self.n {
            let l = self.len[j] as usize;
            let off = self.start[j] as usize - l;
            for slot in off..off + 2 * l {
                self.buf[slot * c..slot * c + c].copy_from_slice(&values[j * c..j * c + c]);
            }
        }
    }

    /// Advance time by one step and store `values` as every source's newest
    /// output.
    pub fn push(&mut self, values: &[f64]) {
        for j in 0..self.n {
            let l = self.len[j];
            let h = self.head[j] + 1;
            let h = if h == l { 0 } else { h };
            self.head[j] = h;
            self.base[j] = self.start[j] + h;
        }
        self.overwrite_head(values);
    }

    /// Replace the newest output of every source (the Heun corrector).
    pub fn overwrite_head(&mut self, values: &[f64]) {
        assert_eq!(values.len(), self.n * self.channels);
        let c = self.channels;
        // the doubled copy: slots base and base - len hold the same time
        if c == 1 {
            for (j, &v) in values.iter().enumerate() {
                let b = self.base[j] as usize;
                self.buf[b] = v;
                self.buf[b - self.len[j] as usize] = v;
            }
        } else {
            for j in 0..self.n {
                let b = self.base[j] as usize;
                let l = self.len[j] as usize;
                for q in 0..c {
                    self.buf[b * c + q] = values[j * c + q];
                    self.buf[(b - l) * c + q] = values[j * c + q];
                }
            }
        }
    }

    /// Delayed sums `S_i = Σ_j W_ij o_j(t + shift − d_ij)` for every region
    /// (`channels` per region, region-major) into `out`. `shift` is 0, or 1
    /// when every delay is at least one step (the sums at `t + dt` from the
    /// history alone).
    pub fn sums(&mut self, shift: u32, out: &mut [f64]) {
        let len = self.n * self.channels;
        assert_eq!(out.len(), len);
        assert!(shift == 0 || self.min_lag >= 1, "shift 1 needs delays >= 1");
        let mut partial = std::mem::take(&mut self.partial);
        let lines = &*self;
        let block = |b: usize, o: &mut [f64]| {
            o.fill(0.0);
            lines.scatter(lines.blocks[b]..lines.blocks[b + 1], shift, o);
        };
        if lines.tgt.len() >= PAR_MIN_ENTRIES && rayon::current_num_threads() > 1 {
            rayon::join(
                || block(0, out),
                || {
                    partial
                        .par_chunks_mut(len)
                        .enumerate()
                        .for_each(|(b, o)| block(b + 1, o))
                },
            );
        } else {
            block(0, out);
            for (b, o) in partial.chunks_mut(len).enumerate() {
                block(b + 1, o);
            }
        }
        for p in partial.chunks(len) {
            for (o, v) in out.iter_mut().zip(p) {
                *o += v;
            }
        }
        self.partial = partial;
    }

    /// Add the delayed outputs of `sources` into `out`, source by source.
    #[inline]
    pub(super) fn scatter(&self, sources: std::ops::Range<usize>, shift: u32, out: &mut [f64]) {
        for j in sources {
            let (a, b) = (self.col_ptr[j], self.col_ptr[j + 1]);
            if a == b {
                continue;
            }
            // slots up to the newest; with shift 1 every lag is at least 1
            let newest = self.base[j] as usize;
            let top = newest + shift as usize;
            let entries = self.tgt[a..b]
                .iter()
                .zip(&self.lag[a..b])
                .zip(&self.w[a..b]);
            if self.channels == 1 {
                let hist = &self.buf[..=newest];
                for ((&i, &d), &w) in entries {
                    out[i as usize] += w * hist[top - d as usize];
                }
            } else {
                for ((&i, &d), &w) in entries {
                    let slot = 2 * (top - d as usize);
                    out[2 * i as usize] += w * self.buf[slot];
                    out[2 * i as usize + 1] += w * self.buf[slot + 1];
                }
            }
        }
    }
}
