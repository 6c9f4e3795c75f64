//! Per-neuron target signals for FORCE training, periodic in a loop of
//! `steps` steps.
//!
//! * Oscillations (the force-motifs study): neuron `i` follows
//!   `A_i cos(2π f_i s / steps + φ_i)` at step `s`, with `A_i ~ U(0, amp0)`,
//!   `φ_i ~ U(0, 2π)`, and half the neurons (a random half) at `f_1` cycles
//!   per loop, the others at `f_2` (1 and 5 in the study: theta and gamma).
//! * Sequences: each neuron a Gaussian bump `amp0 exp(-(s - c_i)² / 2w²)`,
//!   the centres `c_i` spread evenly over `[start, steps)` in a random order,
//!   so the population plays a sequence once per loop.
//!
//! Everything random is drawn from the generator given, so a target is
//! reproducible from the run's seed.

use std::f64::consts::PI;

use rand::{Rng, RngExt};

/// Which kind of target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetKind {
    /// Two-frequency oscillations.
    Oscillation,
    /// A sequence of bumps.
    Sequence,
}

/// Targets of `n` neurons over a loop of `steps` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Kind.
    pub kind: TargetKind,
    /// Steps per loop (the period).
    pub steps: usize,
    /// Amplitude of each neuron's target.
    pub amplitude: Vec<f64>,
    /// Oscillations: cycles per loop (else NaN).
    pub cycles: Vec<f64>,
    /// Oscillations: phase in radians (else NaN).
    pub phase: Vec<f64>,
    /// Sequences: step of the bump's centre (else NaN).
    pub centre: Vec<f64>,
    /// Sequences: bump width in steps (else NaN).
    pub width: f64,
}

/// A random permutation of `0..n` (Fisher–Yates).
fn permutation(n: usize, rng: &mut impl Rng) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

impl Targets {
    /// Oscillatory targets: amplitudes, then phases, then the frequency
    /// assignment are drawn in that order.
    pub fn oscillations(
        n: usize,
        steps: usize,
        amp0: f64,
        cycles: (f64, f64),
        rng: &mut impl Rng,
    ) -> Self {
        let amplitude: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * amp0).collect();
        let phase: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 2.0 * PI).collect();
        let perm = permutation(n, rng);
        let mut c = vec![0.0; n];
        for (rank, &i) in perm.iter().enumerate() {
            c[i] = if rank < n / 2 { cycles.0 } else { cycles.1 };
        }
        Targets {
            kind: TargetKind::Oscillation,
            steps,
            amplitude,
            cycles: c,
            phase,
            centre: vec![f64::NAN; n],
            width: f64::NAN,
        }
    }

    /// Sequence targets: bumps of height `amp0` and width `width` steps,
    /// centred in a random order over `[start, steps)`.
    pub fn sequence(
        n: usize,
        steps: usize,
        start: usize,
        amp0: f64,
        width: f64,
        rng: &mut impl Rng,
    ) -> Self {
        let perm = permutation(n, rng);
        let span = steps.saturating_sub(start) as f64;
        let mut centre = vec![0.0; n];
        for (rank, &i) in perm.iter().enumerate() {
            centre[i] = start as f64 + (rank as f64 + 0.5) * span / n as f64;
        }
        Targets {
            kind: TargetKind::Sequence,
            steps,
            amplitude: vec![amp0; n],
            cycles: vec![f64::NAN; n],
            phase: vec![f64::NAN; n],
            centre,
            width,
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.amplitude.len()
    }

    /// True for no neurons.
    pub fn is_empty(&self) -> bool {
        self.amplitude.is_empty()
    }

    /// Target of neuron `i` at step `s` of a loop.
    pub fn value(&self, i: usize, s: usize) -> f64 {
        match self.kind {
            TargetKind::Oscillation => {
                let w = 2.0 * PI * self.cycles[i] / self.steps as f64;
                self.amplitude[i] * (w * s as f64 + self.phase[i]).cos()
            }
            TargetKind::Sequence => {
                let d = (s as f64 - self.centre[i]) / self.width;
                self.amplitude[i] * (-0.5 * d * d).exp()
            }
        }
    }

    /// Every neuron's target at step `s` into `out`.
    pub fn fill(&self, s: usize, out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.value(i, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    #[test]
    fn oscillations_split_the_frequencies_in_half_and_are_periodic() {
        let mut rng = Seed::derive(1, "targets", &[]).rng();
        let t = Targets::oscillations(201, 1000, 4.0, (1.0, 5.0), &mut rng);
        let slow = t.cycles.iter().filter(|&&c| c == 1.0).count();
        assert_eq!(slow, 100);
        assert_eq!(t.cycles.iter().filter(|&&c| c == 5.0).count(), 101);
        assert!(t.amplitude.iter().all(|&a| (0.0..4.0).contains(&a)));
        for i in 0..t.len() {
            assert!((t.value(i, 0) - t.value(i, 1000)).abs() < 1e-9);
            // zero mean over a loop: a whole number of cycles
            let m: f64 = (0..1000).map(|s| t.value(i, s)).sum::<f64>() / 1000.0;
            assert!(m.abs() < 1e-9);
        }
        // reproducible from the seed
        let mut rng = Seed::derive(1, "targets", &[]).rng();
        let u = Targets::oscillations(201, 1000, 4.0, (1.0, 5.0), &mut rng);
        assert!(t.amplitude == u.amplitude && t.phase == u.phase && t.cycles == u.cycles);
    }

    #[test]
    fn a_sequence_peaks_once_per_neuron_in_order_of_the_centres() {
        let mut rng = Seed::derive(2, "targets", &[]).rng();
        let t = Targets::sequence(50, 1000, 200, 4.0, 10.0, &mut rng);
        let mut peaks: Vec<(usize, usize)> = (0..50)
            .map(|i| {
                let s = (0..1000)
                    .max_by(|&a, &b| t.value(i, a).total_cmp(&t.value(i, b)))
                    .unwrap();
                (s, i)
            })
            .collect();
        peaks.sort();
        // every 16 steps one neuron peaks, all after the start
        for (k, &(s, i)) in peaks.iter().enumerate() {
            assert_eq!(s, 200 + (k * 800 + 400) / 50, "neuron {i}");
            assert!((t.value(i, s) - 4.0).abs() < 0.01);
        }
    }
}
