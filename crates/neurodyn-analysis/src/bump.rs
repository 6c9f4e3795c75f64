//! Activity bumps on a ring: population-vector decoding, population rates,
//! and how long a bump persists after its stimulus.
//!
//! Spikes are `(step, neuron)` pairs sorted by step; the ring's neurons are
//! `0..n` with preferred angles `i · 360 / n` degrees.

use std::f64::consts::PI;

/// A decoded bump.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decoded {
    /// Population-vector angle in `[0, 360)` degrees.
    pub angle_deg: f64,
    /// Resultant length `R` in `[0, 1]`: 1 when all spikes come from one
    /// angle, near 0 for uniform activity.
    pub resultant: f64,
    /// Circular standard deviation `sqrt(−2 ln R)` (degrees): the bump's width.
    pub width_deg: f64,
}

/// Population vector of spike counts (or rates) `counts[i]` of neurons
/// evenly spaced on the ring. `None` without any activity.
pub fn population_vector(counts: &[f64]) -> Option<Decoded> {
    let n = counts.len();
    let (mut x, mut y, mut total) = (0.0, 0.0, 0.0);
    for (i, &c) in counts.iter().enumerate() {
        let th = 2.0 * PI * i as f64 / n as f64;
        x += c * th.cos();
        y += c * th.sin();
        total += c;
    }
    if total <= 0.0 {
        return None;
    }
    let r = ((x * x + y * y).sqrt() / total).min(1.0);
    let angle = y.atan2(x).to_degrees().rem_euclid(360.0);
    Some(Decoded {
        angle_deg: if angle >= 360.0 { 0.0 } else { angle },
        resultant: r,
        width_deg: (-2.0 * r.ln()).sqrt().to_degrees(),
    })
}

/// Smallest difference of two angles (degrees), in `[0, 180]`.
pub fn angle_difference_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// Why [`persistence`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Some neuron stayed above the low threshold in every window.
    Persisted,
    /// A window where no neuron exceeded the low threshold: the bump died.
    Died,
    /// A window where some neuron exceeded the high threshold: runaway activity.
    Runaway,
}

impl Ending {
    /// `persisted`, `died` or `runaway`.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Persisted => "persisted",
            Ending::Died => "died",
            Ending::Runaway => "runaway",
        }
    }
}

/// Sliding windows of the persistence test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersistenceParams {
    /// Window length (steps); each window holds exactly this many steps.
    pub window_steps: u64,
    /// Distance between successive window centres (steps).
    pub hop_steps: u64,
    /// A neuron above this rate keeps the bump alive (Hz).
    pub low_hz: f64,
    /// A neuron above this rate is runaway activity (Hz).
    pub high_hz: f64,
    /// Step length (ms).
    pub dt_ms: f64,
}

/// How long a bump persists after stimulus offset, and why it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Persistence {
    /// Time from `offset_step` to the centre of the first window where the
    /// bump ended (s); `(end − offset) · dt` when it persisted.
    pub time_s: f64,
    /// Why the test stopped.
    pub ending: Ending,
}

/// The reference notebook's persistence test, without its off-by-one:
/// windows `[t − w/2, t − w/2 + w)` centred at `t = offset + w/2`,
/// `offset + w/2 + hop`, … while they end by `end_step`; in each, every
/// neuron's rate is its spike count over `w · dt`. The first window where a
/// neuron exceeds `high_hz` ends the bump as runaway; else the first
/// window where no neuron exceeds `low_hz` ends it as died.
///
/// `spikes` are `(step, neuron)` sorted by step, neurons below `n`.
pub fn persistence(
    spikes: &[(u64, u32)],
    n: usize,
    offset_step: u64,
    end_step: u64,
    p: &PersistenceParams,
) -> Persistence {
    let w = p.window_steps.max(1);
    let half = w / 2;
    let window_s = w as f64 * p.dt_ms / 1000.0;
    let low = p.low_hz * window_s; // counts
    let high = p.high_hz * window_s;
    let mut counts = vec![0u32; n];
    let mut t = offset_step + half;
    // spikes[lo..hi] are counted: the spikes of the current window.
    let mut lo = spikes.partition_point(|s| s.0 < offset_step);
    let mut hi = lo;
    while t - half + w <= end_step {
        let (start, stop) = (t - half, t - half + w);
        while lo < hi && spikes[lo].0 < start {
            counts[spikes[lo].1 as usize] -= 1;
            lo += 1;
        }
        if lo == hi {
            // Windows further apart than their length: skip the gap.
            while hi < spikes.len() && spikes[hi].0 < start {
                hi += 1;
            }
            lo = hi;
        }
        while hi < spikes.len() && spikes[hi].0 < stop {
            counts[spikes[hi].1 as usize] += 1;
            hi += 1;
        }
        let max = counts.iter().copied().max().unwrap_or(0) as f64;
        let time_s = (t - offset_step) as f64 * p.dt_ms / 1000.0;
        if max > high {
            return Persistence {
                time_s,
                ending: Ending::Runaway,
            };
        }
        if max <= low {
            return Persistence {
                time_s,
                ending: Ending::Died,
            };
        }
        t += p.hop_steps.max(1);
    }
    Persistence {
        time_s: end_step.saturating_sub(offset_step) as f64 * p.dt_ms / 1000.0,
        ending: Ending::Persisted,
    }
}

/// Population rates in bins of `bin_steps`: `(E rate, I rate)` per bin (Hz
/// per neuron), neurons `0..n_e` excitatory and `n_e..n_e + n_i` inhibitory,
/// over steps `0..steps` (a last partial bin is divided by its own length).
pub fn population_rates(
    spikes: &[(u64, u32)],
    n_e: usize,
    n_i: usize,
    steps: u64,
    bin_steps: u64,
    dt_ms: f64,
) -> Vec<(f64, f64)> {
    let bin = bin_steps.max(1);
    let bins = steps.div_ceil(bin) as usize;
    let mut counts = vec![(0u64, 0u64); bins];
    for &(s, i) in spikes {
        if s < steps {
            let c = &mut counts[(s / bin) as usize];
            if (i as usize) < n_e {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
    }
    counts
        .iter()
        .enumerate()
        .map(|(b, &(e, i))| {
            let len = bin.min(steps - b as u64 * bin) as f64 * dt_ms / 1000.0;
            (
                e as f64 / (n_e as f64 * len),
                i as f64 / (n_i.max(1) as f64 * len),
            )
        })
        .collect()
}

/// One window of [`decode_over_time`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BumpSample {
    /// First step of the window.
    pub start_step: u64,
    /// The decoded bump (None without spikes).
    pub decoded: Option<Decoded>,
    /// Mean rate (Hz) of the neurons within the half-width of the decoded angle.
    pub amplitude_hz: f64,
}

/// The bump over time: windows of `window_steps` every `hop_steps`
/// (`[k·hop, k·hop + window)`, while inside `0..steps`), each decoded from
/// the spike counts of neurons `0..n` (spikes of other neurons are
/// ignored). Per window: its first step, the decoded bump (None without
/// spikes), and the bump's amplitude: the mean rate (Hz) of the neurons
/// within `halfwidth_deg` of the decoded angle.
pub fn decode_over_time(
    spikes: &[(u64, u32)],
    n: usize,
    steps: u64,
    window_steps: u64,
    hop_steps: u64,
    halfwidth_deg: f64,
    dt_ms: f64,
) -> Vec<BumpSample> {
    let (w, hop) = (window_steps.max(1), hop_steps.max(1));
    let mut out = Vec::new();
    let mut counts = vec![0.0f64; n];
    let mut start = 0u64;
    while start + w <= steps {
        counts.iter_mut().for_each(|c| *c = 0.0);
        let a = spikes.partition_point(|s| s.0 < start);
        let b = spikes.partition_point(|s| s.0 < start + w);
        for &(_, i) in &spikes[a..b] {
            if (i as usize) < n {
                counts[i as usize] += 1.0;
            }
        }
        let d = population_vector(&counts);
        let amplitude = d.map_or(0.0, |d| {
            let (mut sum, mut k) = (0.0, 0usize);
            for (i, &c) in counts.iter().enumerate() {
                if angle_difference_deg(i as f64 * 360.0 / n as f64, d.angle_deg) <= halfwidth_deg {
                    sum += c;
                    k += 1;
                }
            }
            sum / (k.max(1) as f64 * w as f64 * dt_ms / 1000.0)
        });
        out.push(BumpSample {
            start_step: start,
            decoded: d,
            amplitude_hz: amplitude,
        });
        start += hop;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(window: u64, hop: u64) -> PersistenceParams {
        PersistenceParams {
            window_steps: window,
            hop_steps: hop,
            low_hz: 12.0,
            high_hz: 100.0,
            dt_ms: 0.1,
        }
    }

    /// Regular spikes of one neuron at `hz` from step a to b (dt 0.1 ms).
    fn train(neuron: u32, hz: f64, a: u64, b: u64) -> Vec<(u64, u32)> {
        let period = (10_000.0 / hz).round() as u64;
        (a..b)
            .step_by(period as usize)
            .map(|s| (s, neuron))
            .collect()
    }

    #[test]
    fn population_vector_finds_the_angle_and_width() {
        let mut c = vec![0.0; 360];
        c[100] = 4.0;
        let d = population_vector(&c).unwrap();
        assert!((d.angle_deg - 100.0).abs() < 1e-9 && (d.resultant - 1.0).abs() < 1e-12);
        assert!(d.width_deg < 1e-5);
        // Symmetric around 359.5: wraps.
        let mut c = vec![0.0; 360];
        c[359] = 1.0;
        c[0] = 1.0;
        let d = population_vector(&c).unwrap();
        assert!(angle_difference_deg(d.angle_deg, 359.5) < 1e-9, "{d:?}");
        // A von Mises bump of concentration kappa: R = I1(kappa)/I0(kappa);
        // for kappa = 10, R = 0.9486 (tabulated), width = sqrt(-2 ln R) rad.
        let c: Vec<f64> = (0..3600)
            .map(|i| (10.0 * ((i as f64 / 10.0 - 250.0).to_radians().cos())).exp())
            .collect();
        let d = population_vector(&c).unwrap();
        assert!((d.angle_deg - 250.0).abs() < 1e-6);
        assert!((d.resultant - 0.948_599).abs() < 1e-5, "{d:?}");
        assert!(population_vector(&[0.0; 10]).is_none());
        // Uniform activity: R ~ 0.
        assert!(population_vector(&[1.0; 36]).unwrap().resultant < 1e-12);
    }

    #[test]
    fn persistence_reasons_and_times() {
        let n = 10;
        // 20 Hz from the offset (step 1000) to the end (step 41000): persisted.
        let s = train(3, 20.0, 1000, 41_000);
        let r = persistence(&s, n, 1000, 41_000, &p(5000, 500));
        assert_eq!(r.ending, Ending::Persisted);
        assert!((r.time_s - 4.0).abs() < 1e-12);
        // Stops at step 21000 (2 s after offset): the first window without
        // a neuron above 12 Hz is the first one containing fewer than
        // 0.5 s * 12 Hz = 6 spikes: from 20 Hz (10 per window) the count
        // falls to 6 once 2/5 of the window has passed the stop.
        let s = train(3, 20.0, 1000, 21_000);
        let r = persistence(&s, n, 1000, 41_000, &p(5000, 500));
        assert_eq!(r.ending, Ending::Died);
        // Window [start, start+5000) holds the spikes before 21000: 6 when
        // start = 18000 (centre 20500, 1.95 s after the offset).
        assert!((r.time_s - 1.95).abs() < 1e-12, "{r:?}");
        // A burst above 100 Hz: runaway, found in the first window holding
        // more than 50 spikes of one neuron.
        let mut s = train(3, 20.0, 1000, 41_000);
        s.extend(train(7, 200.0, 5000, 41_000));
        s.sort();
        let r = persistence(&s, n, 1000, 41_000, &p(5000, 500));
        assert_eq!(r.ending, Ending::Runaway);
        // Nothing at all: dies in the first window (0.25 s after offset).
        let r = persistence(&[], n, 1000, 41_000, &p(5000, 500));
        assert_eq!((r.ending, r.time_s), (Ending::Died, 0.25));
        // Spikes before the offset are not counted.
        let s = train(3, 500.0, 0, 1000);
        let r = persistence(&s, n, 1000, 41_000, &p(5000, 500));
        assert_eq!(r.ending, Ending::Died);
    }

    #[test]
    fn sliding_counts_equal_a_direct_count() {
        // Random-ish spikes; every window's decision equals one made from a
        // direct count, also when windows are further apart than their length.
        let mut s: Vec<(u64, u32)> = (0..4000u64)
            .map(|k| ((k * 7919) % 40_000, ((k * 31) % 5) as u32))
            .collect();
        s.sort();
        for (w, hop) in [(5000, 500), (1000, 3000), (2000, 2000)] {
            for low in [1.0, 5.0, 20.0] {
                let mut q = p(w, hop);
                q.low_hz = low;
                q.high_hz = 1e9;
                let r = persistence(&s, 5, 0, 40_000, &q);
                // Direct: first window whose max count <= low * window.
                let mut t = w / 2;
                let mut expect = None;
                while t - w / 2 + w <= 40_000 {
                    let mut c = [0u32; 5];
                    for &(st, i) in &s {
                        if st >= t - w / 2 && st < t - w / 2 + w {
                            c[i as usize] += 1;
                        }
                    }
                    let max = *c.iter().max().unwrap() as f64;
                    if max <= low * (w as f64 * 0.1 / 1000.0) {
                        expect = Some(t as f64 * 0.1 / 1000.0);
                        break;
                    }
                    t += hop;
                }
                match expect {
                    Some(te) => assert_eq!((r.ending, r.time_s), (Ending::Died, te)),
                    None => assert_eq!(r.ending, Ending::Persisted),
                }
            }
        }
    }

    #[test]
    fn rates_and_decoding_over_time() {
        // 10 E neurons, 2 I neurons; neuron 2 (72 deg) at 100 Hz, neuron 11 at 50 Hz.
        let mut s = train(2, 100.0, 0, 10_000);
        s.extend(train(11, 50.0, 0, 10_000));
        s.sort();
        let r = population_rates(&s, 10, 2, 10_000, 1000, 0.1);
        assert_eq!(r.len(), 10);
        for &(e, i) in &r {
            assert!(
                (e - 10.0).abs() < 1e-9 && (i - 25.0).abs() < 1e-9,
                "{e} {i}"
            );
        }
        let d = decode_over_time(&s, 10, 10_000, 2000, 1000, 20.0, 0.1);
        assert_eq!(d.len(), 9);
        for b in d {
            assert!((b.decoded.unwrap().angle_deg - 72.0).abs() < 1e-9);
            assert!((b.amplitude_hz - 100.0).abs() < 1e-9, "{b:?}");
        }
    }
}
