//! Poisson spike trains on a time grid, drawn event by event.
//!
//! Each neuron spikes in a step with probability `p = rate · dt` (at most one
//! spike per step: the Bernoulli process a per-step `rand() < rate · dt`
//! draws). Instead of one uniform number per neuron and step, the gap to a
//! neuron's next spike is drawn from the geometric distribution of that
//! process, so the cost follows the number of spikes, not `N × steps`.
//! Rates are piecewise constant in time ([`RateEpoch`]); the process is
//! memoryless, so at an epoch boundary every neuron's next spike is simply
//! drawn again from the boundary with the new rates, which is exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use neurodyn_core::{Error, Rng};
use rand::RngExt;

/// Rates from a step on (until the next epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct RateEpoch {
    /// First step at which these rates apply.
    pub start_step: u64,
    /// Rate of each neuron (Hz).
    pub rate_hz: Vec<f64>,
}

/// Independent Poisson (Bernoulli-per-step) spike trains of `n` neurons.
#[derive(Debug, Clone)]
pub struct PoissonTrains {
    dt_ms: f64,
    epochs: Vec<RateEpoch>,
    /// Index of the epoch in force.
    epoch: usize,
    /// (next spike step, neuron), earliest first.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// ln(1 - p) per neuron for the current epoch (0 for a silent neuron).
    ln_q: Vec<f64>,
    rng: Rng,
    /// The next step [`PoissonTrains::spikes_at`] expects.
    step: u64,
}

impl PoissonTrains {
    /// Trains with these epochs (the first must start at step 0, starts
    /// strictly increasing, every epoch with the same number of neurons,
    /// rates finite, `>= 0` and with `rate · dt <= 1`).
    pub fn new(dt_ms: f64, epochs: Vec<RateEpoch>, rng: Rng) -> Result<Self, Error> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(Error::invalid("dt_ms", dt_ms, "a finite number > 0"));
        }
        let Some(first) = epochs.first() else {
            return Err(Error::invalid("epochs", 0, "at least one epoch"));
        };
        if first.start_step != 0 {
            return Err(Error::invalid(
                "epochs[0].start_step",
                first.start_step,
                "0 (the first epoch starts the trains)",
            ));
        }
        let n = first.rate_hz.len();
        for (i, e) in epochs.iter().enumerate() {
            if i > 0 && e.start_step <= epochs[i - 1].start_step {
                return Err(Error::invalid(
                    "epoch start_step",
                    e.start_step,
                    "strictly increasing start steps",
                ));
            }
            if e.rate_hz.len() != n {
                return Err(Error::invalid(
                    "epoch rates",
                    e.rate_hz.len(),
                    &format!("one rate per neuron ({n})"),
                ));
            }
            let max_hz = 1000.0 / dt_ms;
            if let Some(&r) = e
                .rate_hz
                .iter()
                .find(|r| !(r.is_finite() && **r >= 0.0 && **r <= max_hz))
            {
                return Err(Error::invalid(
                    "rate_hz",
                    r,
                    &format!("0 <= rate <= 1/dt = {max_hz} Hz"),
                ));
            }
        }
        let mut t = PoissonTrains {
            dt_ms,
            epochs,
            epoch: 0,
            heap: BinaryHeap::with_capacity(n),
            ln_q: vec![0.0; n],
            rng,
            step: 0,
        };
        t.enter_epoch(0);
        Ok(t)
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.ln_q.len()
    }

    /// True when there are no neurons.
    pub fn is_empty(&self) -> bool {
        self.ln_q.is_empty()
    }

    /// Start epoch `e` at its first step: every neuron's next spike is drawn
    /// afresh from there (exact: the process is memoryless).
    fn enter_epoch(&mut self, e: usize) {
        self.epoch = e;
        let start = self.epochs[e].start_step;
        self.heap.clear();
        for i in 0..self.ln_q.len() {
            let p = self.epochs[e].rate_hz[i] * self.dt_ms / 1000.0;
            self.ln_q[i] = if p >= 1.0 {
                f64::NEG_INFINITY
            } else {
                (-p).ln_1p()
            };
            if p > 0.0 {
                let gap = self.gap(i);
                self.heap
                    .push(Reverse((start.saturating_add(gap), i as u32)));
            }
        }
    }

    /// Failures before the next success: `floor(ln U / ln(1 - p))`, U in (0, 1].
    fn gap(&mut self, i: usize) -> u64 {
        let ln_q = self.ln_q[i];
        if ln_q == f64::NEG_INFINITY {
            return 0; // p = 1: a spike every step
        }
        let u = 1.0 - self.rng.random::<f64>(); // (0, 1]
        let g = (u.ln() / ln_q).floor();
        if g < 1e18 { g as u64 } else { u64::MAX / 2 }
    }

    /// The neurons spiking at `step`, appended to `out` in increasing
    /// neuron order. Call once per step with `step` = 0, 1, 2, …
    pub fn spikes_at(&mut self, step: u64, out: &mut Vec<u32>) {
        assert_eq!(
            step, self.step,
            "spikes_at is called once per step, in order"
        );
        self.step += 1;
        if self
            .epochs
            .get(self.epoch + 1)
            .is_some_and(|e| e.start_step == step)
        {
            self.enter_epoch(self.epoch + 1);
        }
        let first = out.len();
        while let Some(&Reverse((s, i))) = self.heap.peek() {
            if s != step {
                debug_assert!(s > step);
                break;
            }
            self.heap.pop();
            out.push(i);
            let gap = self.gap(i as usize);
            self.heap.push(Reverse((step + 1 + gap, i)));
        }
        out[first..].sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    fn rng(seed: u64) -> Rng {
        Seed::derive(seed, "poisson-test", &[]).rng()
    }

    #[test]
    fn counts_are_binomial_and_gaps_geometric() {
        // 200 neurons at 50 Hz, dt 0.1 ms: p = 0.005 per step.
        let (n, steps, p) = (200usize, 40_000u64, 0.005);
        let mut t = PoissonTrains::new(
            0.1,
            vec![RateEpoch {
                start_step: 0,
                rate_hz: vec![50.0; n],
            }],
            rng(7),
        )
        .unwrap();
        let mut counts = vec![0u64; n];
        let mut last = vec![None::<u64>; n];
        let (mut gaps, mut gap_sum, mut gap_sq) = (0u64, 0.0, 0.0);
        let mut out = Vec::new();
        for s in 0..steps {
            out.clear();
            t.spikes_at(s, &mut out);
            assert!(out.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            for &i in &out {
                counts[i as usize] += 1;
                if let Some(l) = last[i as usize] {
                    let g = (s - l - 1) as f64; // failures between two spikes
                    gaps += 1;
                    gap_sum += g;
                    gap_sq += g * g;
                }
                last[i as usize] = Some(s);
            }
        }
        // Total count: mean n·steps·p, sd sqrt(n·steps·p(1-p)); 5 sd.
        let total: u64 = counts.iter().sum();
        let mean = n as f64 * steps as f64 * p;
        let sd = (mean * (1.0 - p)).sqrt();
        assert!(
            (total as f64 - mean).abs() < 5.0 * sd,
            "{total} spikes, expected {mean} ± {sd}"
        );
        // Per-neuron counts: variance of a binomial, within 5 standard errors
        // of the sample variance (sd of s² ≈ σ² sqrt(2/(n-1))).
        let m = total as f64 / n as f64;
        let var = counts.iter().map(|&c| (c as f64 - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        let var_expect = steps as f64 * p * (1.0 - p);
        assert!(
            (var - var_expect).abs() < 5.0 * var_expect * (2.0 / (n - 1) as f64).sqrt(),
            "count variance {var}, expected {var_expect}"
        );
        // Gaps: geometric with mean (1-p)/p; its sd is sqrt(1-p)/p.
        let gm = gap_sum / gaps as f64;
        let expect = (1.0 - p) / p;
        let se = (1.0 - p).sqrt() / p / (gaps as f64).sqrt();
        assert!(
            (gm - expect).abs() < 5.0 * se,
            "mean gap {gm}, expected {expect}"
        );
        let gvar = gap_sq / gaps as f64 - gm * gm;
        let var_expect = (1.0 - p) / (p * p);
        assert!(
            (gvar / var_expect - 1.0).abs() < 0.1,
            "gap variance {gvar}, expected {var_expect}"
        );
    }

    #[test]
    fn epochs_switch_rates_at_their_start() {
        // Silent, then 1000 Hz (p = 0.1) in steps 1000..2000, then silent.
        let n = 50;
        let epochs = vec![
            RateEpoch {
                start_step: 0,
                rate_hz: vec![0.0; n],
            },
            RateEpoch {
                start_step: 1000,
                rate_hz: vec![1000.0; n],
            },
            RateEpoch {
                start_step: 2000,
                rate_hz: vec![0.0; n],
            },
        ];
        let mut t = PoissonTrains::new(0.1, epochs, rng(3)).unwrap();
        let (mut inside, mut outside) = (0u64, 0u64);
        let mut out = Vec::new();
        for s in 0..3000 {
            out.clear();
            t.spikes_at(s, &mut out);
            if (1000..2000).contains(&s) {
                inside += out.len() as u64;
            } else {
                outside += out.len() as u64;
            }
        }
        assert_eq!(outside, 0);
        let mean = n as f64 * 1000.0 * 0.1;
        let sd = (mean * 0.9).sqrt();
        assert!(
            (inside as f64 - mean).abs() < 5.0 * sd,
            "{inside} vs {mean}"
        );
    }

    #[test]
    fn rate_of_one_per_step_spikes_every_step_and_bad_rates_are_refused() {
        let mut t = PoissonTrains::new(
            1.0,
            vec![RateEpoch {
                start_step: 0,
                rate_hz: vec![1000.0, 0.0],
            }],
            rng(1),
        )
        .unwrap();
        let mut out = Vec::new();
        for s in 0..100 {
            out.clear();
            t.spikes_at(s, &mut out);
            assert_eq!(out, [0]);
        }
        let bad = |r: f64| {
            PoissonTrains::new(
                1.0,
                vec![RateEpoch {
                    start_step: 0,
                    rate_hz: vec![r],
                }],
                rng(1),
            )
            .is_err()
        };
        assert!(bad(-1.0) && bad(f64::NAN) && bad(1000.1));
    }
}
