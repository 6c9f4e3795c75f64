//! Branching processes: the driven Poisson branching process
//! `A(t+1) ~ Poisson(m A(t) + h)` and its avalanches.
//!
//! With `h → 0` (separation of time scales) every avalanche starts from one
//! spontaneous event in a silent network and is a Galton–Watson process with
//! Poisson(m) offspring: [`avalanches`] simulates exactly that limit, one
//! avalanche after another, separated by one empty step. At `m = 1` the
//! sizes follow the Borel distribution and the durations the Galton–Watson
//! extinction law (see `neurodyn_analysis::avalanche`).

use neurodyn_core::{Error, Rng, Seed};
use rand::RngExt;
use rayon::prelude::*;

/// `ln k!` for `k < 10`.
const LN_FACT: [f64; 10] = [
    0.0,
    0.0,
    std::f64::consts::LN_2,
    1.791_759_469_228_055,
    3.178_053_830_347_945_6,
    4.787_491_742_782_046,
    6.579_251_212_010_101,
    8.525_161_361_065_415,
    10.604_602_902_745_25,
    12.801_827_480_081_469,
];

/// `ln k!`: a table below 10, Stirling's series with four corrections above
/// (absolute error below 4e-13 there: the next term is 1/(1188 x^9)).
fn ln_factorial(k: f64) -> f64 {
    if k < 10.0 {
        return LN_FACT[k as usize];
    }
    let x = k + 1.0;
    let r = 1.0 / x;
    let r2 = r * r;
    (x - 0.5) * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI).ln()
        + r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 / 1680.0)))
}

/// Draw Poisson(`mean`) exactly (0 for a zero mean): inversion by
/// sequential search below a mean of 10, Hörmann's transformed rejection
/// with squeeze (PTRS, 1993) above, whose common case takes two uniforms
/// and no logarithm.
pub fn poisson(mean: f64, rng: &mut Rng) -> u64 {
    if mean <= 0.0 {
        0
    } else if mean < 10.0 {
        poisson_inversion(mean, (-mean).exp(), rng)
    } else {
        poisson_ptrs(mean, rng)
    }
}

/// Inversion by sequential search from 0, given `p0 = e^(−mean)`.
fn poisson_inversion(mean: f64, p0: f64, rng: &mut Rng) -> u64 {
    loop {
        let (mut p, mut u, mut k) = (p0, rng.random::<f64>(), 0u64);
        while u > p && p > 0.0 {
            u -= p;
            k += 1;
            p *= mean / k as f64;
        }
        if u <= p {
            return k;
        }
        // rounding left u above the whole mass (p underflowed): draw again
    }
}

/// PTRS for `mean >= 10`.
fn poisson_ptrs(mean: f64, rng: &mut Rng) -> u64 {
    let b = 0.931 + 2.53 * mean.sqrt();
    let a = -0.059 + 0.024_83 * b;
    let v_r = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let x = (2.0 * a / us + b) * u + mean + 0.43;
        if x < 0.0 {
            continue; // k < 0
        }
        let k = x as u64; // floor for x >= 0 (a cast: no libm call)
        if us >= 0.07 && v <= v_r {
            return k;
        }
        if us < 0.013 && v > us {
            continue;
        }
        let kf = k as f64;
        let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        if (v * inv_alpha / (a / (us * us) + b)).ln() <= -mean + kf * mean.ln() - ln_factorial(kf) {
            return k;
        }
    }
}

/// Poisson draws with means `m a + h` for integer `a`, the `e^(−mean)` of
/// the small means (below 10) computed once.
struct Offspring {
    m: f64,
    h: f64,
    p0: Vec<f64>,
}

impl Offspring {
    fn new(m: f64, h: f64) -> Self {
        // a = 0, 1, … while the mean stays below 10 (at most 64 entries)
        let n = if m > 0.0 {
            ((10.0 - h) / m).ceil().clamp(0.0, 64.0) as usize
        } else {
            1
        };
        let p0 = (0..n)
            .map(|a| m * a as f64 + h)
            .filter(|&mean| mean < 10.0)
            .map(|mean| (-mean).exp())
            .collect();
        Offspring { m, h, p0 }
    }

    /// Poisson(`m a + h`).
    fn draw(&self, a: u64, rng: &mut Rng) -> u64 {
        let mean = self.m * a as f64 + self.h;
        if mean <= 0.0 {
            0
        } else if let Some(&p0) = self.p0.get(a as usize) {
            poisson_inversion(mean, p0, rng)
        } else {
            poisson(mean, rng)
        }
    }
}

/// `steps` steps of `A(t+1) ~ Poisson(m A(t) + h)` from `A(0) = a0`.
pub fn driven_poisson(
    m: f64,
    h: f64,
    a0: u64,
    steps: usize,
    rng: &mut Rng,
) -> Result<Vec<u64>, Error> {
    let mut a = Vec::with_capacity(steps);
    driven_poisson_each(m, h, a0, steps, rng, |x| a.push(x))?;
    Ok(a)
}

/// [`driven_poisson`] pushed to `sink` step by step (memory: none).
pub fn driven_poisson_each(
    m: f64,
    h: f64,
    a0: u64,
    steps: usize,
    rng: &mut Rng,
    mut sink: impl FnMut(u64),
) -> Result<(), Error> {
    let mut process = DrivenPoisson::new(m, h, a0)?;
    for _ in 0..steps {
        sink(process.next(rng));
    }
    Ok(())
}

/// The driven branching process `A(t+1) ~ Poisson(m A(t) + h)`, one step
/// at a time.
pub struct DrivenPoisson {
    off: Offspring,
    x: u64,
}

impl DrivenPoisson {
    /// The process at `A(0) = a0`; `m` and `h` finite and `>= 0`.
    pub fn new(m: f64, h: f64, a0: u64) -> Result<Self, Error> {
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::invalid("m", m, "a finite number >= 0"));
        }
        if !(h.is_finite() && h >= 0.0) {
            return Err(Error::invalid("h", h, "a finite number >= 0"));
        }
        Ok(DrivenPoisson {
            off: Offspring::new(m, h),
            x: a0,
        })
    }

    /// The current `A(t)`; then one step.
    pub fn next(&mut self, rng: &mut Rng) -> u64 {
        let x = self.x;
        self.x = self.off.draw(x, rng);
        x
    }
}

/// One avalanche of the separated-time-scale limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avalanche {
    /// Events in all generations.
    pub size: u64,
    /// Generations with at least one event.
    pub duration: u64,
    /// True when the avalanche was stopped at `max_size` (size and duration
    /// are then lower bounds).
    pub truncated: bool,
}

fn check_avalanche_params(m: f64, max_size: u64) -> Result<(), Error> {
    if !(m.is_finite() && m >= 0.0) {
        return Err(Error::invalid("m", m, "a finite number >= 0"));
    }
    if max_size == 0 {
        return Err(Error::invalid("max_size", 0, "at least 1"));
    }
    Ok(())
}

/// One avalanche from one seed event, calling `generation(a)` with each
/// generation's event count; stopped once `max_size` events have occurred
/// (before drawing the next generation).
fn one_avalanche(
    off: &Offspring,
    max_size: u64,
    rng: &mut Rng,
    mut generation: impl FnMut(u64),
) -> Avalanche {
    let (mut a, mut size, mut duration) = (1u64, 0u64, 0u64);
    while a > 0 {
        generation(a);
        size += a;
        duration += 1;
        if size >= max_size {
            return Avalanche {
                size,
                duration,
                truncated: true,
            };
        }
        a = off.draw(a, rng);
    }
    Avalanche {
        size,
        duration,
        truncated: false,
    }
}

/// `n` avalanches, each from one seed event, with Poisson(`m`) offspring
/// per event, stopped once `max_size` events have occurred (a critical
/// avalanche's size has no finite mean; the cap bounds the cost).
pub fn avalanches(m: f64, n: usize, max_size: u64, rng: &mut Rng) -> Result<Vec<Avalanche>, Error> {
    check_avalanche_params(m, max_size)?;
    let off = Offspring::new(m, 0.0);
    Ok((0..n)
        .map(|_| one_avalanche(&off, max_size, rng, |_| {}))
        .collect())
}

/// The activity time series of consecutive avalanches (the same draws as
/// [`avalanches`]): one empty step, then each avalanche's generations
/// followed by one empty step. Segmenting it recovers every avalanche.
pub fn avalanche_activity(
    m: f64,
    n: usize,
    max_size: u64,
    rng: &mut Rng,
) -> Result<Vec<u64>, Error> {
    check_avalanche_params(m, max_size)?;
    let off = Offspring::new(m, 0.0);
    let mut out = vec![0];
    for _ in 0..n {
        one_avalanche(&off, max_size, rng, |a| out.push(a));
        out.extend([0]); // the empty step between avalanches
    }
    Ok(out)
}

/// Avalanches per generator chunk of the parallel forms.
const CHUNK: usize = 1024;

/// `n` items drawn in parallel chunks of [`CHUNK`]: `draw(c, k, rng)`
/// returns chunk `c`'s output for its `k` items, drawing from
/// `seed.child("chunk", c)`; the chunks are concatenated in order, so the
/// result depends on the seed only, not on the thread count.
fn in_chunks<T: Send + Clone>(
    n: usize,
    seed: &Seed,
    draw: impl Fn(usize, usize, &mut Rng) -> Vec<T> + Sync,
) -> Vec<T> {
    let chunks: Vec<Vec<T>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            draw(
                c,
                CHUNK.min(n - c * CHUNK),
                &mut seed.child("chunk", c as u64).rng(),
            )
        })
        .collect();
    chunks.concat()
}

/// [`avalanches`] in parallel: chunk `c` of 1024 avalanches draws from
/// `seed.child("chunk", c)`, so the result depends on the seed only, not on
/// the thread count.
pub fn avalanches_par(
    m: f64,
    n: usize,
    max_size: u64,
    seed: &Seed,
) -> Result<Vec<Avalanche>, Error> {
    check_avalanche_params(m, max_size)?;
    let off = Offspring::new(m, 0.0);
    Ok(in_chunks(n, seed, |_, k, rng| {
        (0..k)
            .map(|_| one_avalanche(&off, max_size, rng, |_| {}))
            .collect()
    }))
}

/// [`avalanche_activity`] in parallel, with the draws of [`avalanches_par`].
pub fn avalanche_activity_par(
    m: f64,
    n: usize,
    max_size: u64,
    seed: &Seed,
) -> Result<Vec<u64>, Error> {
    let mut all = Vec::new();
    avalanche_activity_each(m, n, max_size, seed, |part| {
        all.extend_from_slice(part);
        Ok::<(), Error>(())
    })?;
    Ok(all)
}

/// Chunks of [`CHUNK`] avalanches drawn in parallel per batch of
/// [`avalanche_activity_each`].
const BATCH_CHUNKS: usize = 16;

/// [`avalanche_activity_par`] pushed to `sink` in order, one batch of
/// [`BATCH_CHUNKS`] chunks at a time: memory holds one batch whatever `n`,
/// and the series is the same bits (each chunk draws from its own seed).
pub fn avalanche_activity_each<E: From<Error>>(
    m: f64,
    n: usize,
    max_size: u64,
    seed: &Seed,
    mut sink: impl FnMut(&[u64]) -> Result<(), E>,
) -> Result<(), E> {
    check_avalanche_params(m, max_size)?;
    let off = Offspring::new(m, 0.0);
    let chunks = n.div_ceil(CHUNK);
    for first in (0..chunks).step_by(BATCH_CHUNKS) {
        let last = (first + BATCH_CHUNKS).min(chunks);
        let parts: Vec<Vec<u64>> = (first..last)
            .into_par_iter()
            .map(|c| {
                let rng = &mut seed.child("chunk", c as u64).rng();
                // the leading empty step, then each chunk's avalanches and gaps
                let mut out = if c == 0 { vec![0] } else { Vec::new() };
                for _ in 0..CHUNK.min(n - c * CHUNK) {
                    one_avalanche(&off, max_size, rng, |a| out.push(a));
                    out.extend([0]); // the empty step after it
                }
                out
            })
            .collect();
        for part in &parts {
            sink(part)?;
        }
    }
    Ok(())
}

/// One avalanche of the driven process `A(t+1) ~ Poisson(m A(t) + h)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrivenAvalanche {
    /// Empty bins before it (since the previous avalanche ended).
    pub gap: u64,
    /// Events.
    pub size: u64,
    /// Bins.
    pub duration: u64,
}

/// `n` consecutive avalanches of the driven process `A(t+1) ~ Poisson(m A(t)
/// + h)`, `h > 0`, from an empty bin: each silent stretch is skipped exactly
/// (its length is geometric: an empty bin is followed by another with
/// probability `e^(−h)`), the first bin of an avalanche is Poisson(h)
/// conditioned on being positive, and the avalanche runs until a bin is
/// empty. Drive can start new events inside an avalanche (merging), so at
/// `h > 0` the sizes only approach the Borel law as `h → 0`.
pub fn driven_avalanches(
    m: f64,
    h: f64,
    n: usize,
    rng: &mut Rng,
) -> Result<Vec<DrivenAvalanche>, Error> {
    check_driven(m, h)?;
    let off = Offspring::new(m, h);
    Ok((0..n).map(|_| one_driven(&off, rng)).collect())
}

fn check_driven(m: f64, h: f64) -> Result<(), Error> {
    if !(m.is_finite() && (0.0..=1.0).contains(&m)) {
        return Err(Error::invalid(
            "m",
            m,
            "0 <= m <= 1 (the driven process explodes above 1)",
        ));
    }
    if !(h.is_finite() && h > 0.0) {
        return Err(Error::invalid("h", h, "a finite number > 0"));
    }
    Ok(())
}

fn one_driven(off: &Offspring, rng: &mut Rng) -> DrivenAvalanche {
    let h = off.h;
    let q_empty = (-h).exp();
    // empty bins before the next event: geometric with success 1 − e^(−h)
    let u = 1.0 - rng.random::<f64>();
    let gap = (u.ln() / -h) as u64; // floor: the ratio is >= 0
    // Poisson(h) given >= 1, by inversion over k >= 1
    let mut u = rng.random::<f64>() * -(-h).exp_m1();
    let (mut a, mut p) = (1u64, q_empty * h);
    while u > p && p > 0.0 {
        u -= p;
        a += 1;
        p *= h / a as f64;
    }
    let (mut size, mut duration) = (0u64, 0u64);
    while a > 0 {
        size += a;
        duration += 1;
        a = off.draw(a, rng);
    }
    DrivenAvalanche {
        gap,
        size,
        duration,
    }
}

/// [`driven_avalanches`] in parallel, chunk `c` of 1024 drawing from
/// `seed.child("chunk", c)` (each chunk starts after an empty bin).
pub fn driven_avalanches_par(
    m: f64,
    h: f64,
    n: usize,
    seed: &Seed,
) -> Result<Vec<DrivenAvalanche>, Error> {
    check_driven(m, h)?;
    let off = Offspring::new(m, h);
    Ok(in_chunks(n, seed, |_, k, rng| {
        (0..k).map(|_| one_driven(&off, rng)).collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    #[test]
    fn driven_process_has_the_stationary_mean_h_over_1_minus_m() {
        // Stationary mean h / (1 - m); the sample mean over a long run is
        // within a few standard errors (autocorrelation time ~ 1/(1 - m)).
        let (m, h) = (0.9, 2.0);
        let mut rng = Seed::derive(1, "branching", &[]).rng();
        let a = driven_poisson(m, h, 20, 400_000, &mut rng).unwrap();
        let mean = a[1000..].iter().sum::<u64>() as f64 / (a.len() - 1000) as f64;
        let want = h / (1.0 - m);
        // Var = mean / (1 - m^2); effective samples n (1 - m) / (1 + m).
        let var = want / (1.0 - m * m);
        let n_eff = (a.len() - 1000) as f64 * (1.0 - m) / (1.0 + m);
        assert!(
            (mean - want).abs() < 5.0 * (var / n_eff).sqrt(),
            "{mean} vs {want}"
        );
    }

    #[test]
    fn subcritical_avalanches_have_mean_size_1_over_1_minus_m() {
        // E[S] = 1 / (1 - m), Var[S] = m / (1 - m)^3 for Poisson offspring.
        let m = 0.5;
        let mut rng = Seed::derive(2, "branching", &[]).rng();
        let av = avalanches(m, 100_000, u64::MAX, &mut rng).unwrap();
        let mean = av.iter().map(|a| a.size as f64).sum::<f64>() / av.len() as f64;
        let se = (m / (1.0 - m).powi(3) / av.len() as f64).sqrt();
        assert!((mean - 2.0).abs() < 5.0 * se, "{mean}");
        assert!(av.iter().all(|a| !a.truncated && a.duration <= a.size));
    }

    #[test]
    fn activity_is_the_avalanches_one_after_another() {
        let mut r1 = Seed::derive(3, "branching", &[]).rng();
        let mut r2 = Seed::derive(3, "branching", &[]).rng();
        let av = avalanches(1.0, 200, 1000, &mut r1).unwrap();
        let act = avalanche_activity(1.0, 200, 1000, &mut r2).unwrap();
        let sizes: Vec<u64> = act
            .split(|&x| x == 0)
            .filter(|s| !s.is_empty())
            .map(|s| s.iter().sum())
            .collect();
        assert_eq!(sizes, av.iter().map(|a| a.size).collect::<Vec<_>>());
    }

    #[test]
    fn the_poisson_sampler_draws_the_exact_law() {
        // KS distance to the exact CDF within Kolmogorov's 0.1 % bound
        // (conservative for a discrete law), on both sides of the switch from
        // inversion to PTRS; the sample variance within 5 se of the mean.
        let n = 200_000;
        let mut rng = Seed::derive(9, "poisson", &[]).rng();
        for mean in [0.3, 3.0, 9.99, 10.0, 37.5, 1e4, 3e9] {
            let mut x: Vec<u64> = (0..n).map(|_| poisson(mean, &mut rng)).collect();
            x.sort_unstable();
            // exact CDF by the pmf recursion from the mode outwards, in logs
            let ln_pmf = |k: u64| -mean + k as f64 * mean.ln() - ln_factorial(k as f64);
            let (lo, hi) = (x[0], x[n - 1]);
            let below: f64 = if lo == 0 {
                0.0
            } else {
                // P(X < lo) summed downwards from lo - 1 until negligible
                let mut s = 0.0;
                let mut k = lo - 1;
                loop {
                    let t = ln_pmf(k).exp();
                    s += t;
                    if k == 0 || t < 1e-18 {
                        break;
                    }
                    k -= 1;
                }
                s
            };
            let (mut cdf, mut d, mut i) = (below, 0.0f64, 0usize);
            for k in lo..=hi {
                let before = cdf;
                cdf += ln_pmf(k).exp();
                let e = i + x[i..].partition_point(|&v| v == k);
                d = d
                    .max((e as f64 / n as f64 - cdf).abs())
                    .max((i as f64 / n as f64 - before).abs());
                i = e;
                if hi - lo > 2_000_000 {
                    break;
                }
            }
            let m = x.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            let var = x.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            assert!(d < 1.95 / (n as f64).sqrt(), "mean {mean}: KS {d}");
            assert!(
                (m - mean).abs() < 5.0 * (mean / n as f64).sqrt(),
                "mean {mean}: {m}"
            );
            // Var of the sample variance ~ (mu4 - sigma^4)/n, mu4 = λ(1 + 3λ)
            let se_var = ((mean * (1.0 + 3.0 * mean) - mean * mean) / n as f64).sqrt();
            assert!((var - mean).abs() < 5.0 * se_var, "mean {mean}: var {var}");
        }
        // Stirling's series continues the table
        assert!((ln_factorial(10.0) - 15.104_412_573_075_516).abs() < 1e-12);
        assert!((ln_factorial(9.0) - 12.801_827_480_081_469).abs() < 1e-15);
    }

    #[test]
    fn parallel_avalanches_depend_on_the_seed_only_and_are_borel_at_criticality() {
        let seed = Seed::derive(4, "par", &[]);
        let a = avalanches_par(1.0, 5000, 1_000_000, &seed).unwrap();
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| avalanches_par(1.0, 5000, 1_000_000, &seed).unwrap());
        assert_eq!(a, b);
        let act = avalanche_activity_par(1.0, 5000, 1_000_000, &seed).unwrap();
        let sizes: Vec<u64> = act
            .split(|&x| x == 0)
            .filter(|s| !s.is_empty())
            .map(|s| s.iter().sum())
            .collect();
        assert_eq!(sizes, a.iter().map(|x| x.size).collect::<Vec<_>>());
        // P(S = 1) = e^-1 within 5 binomial se
        let p1 = a.iter().filter(|x| x.size == 1).count() as f64 / 5000.0;
        let e1 = (-1f64).exp();
        assert!(
            (p1 - e1).abs() < 5.0 * (e1 * (1.0 - e1) / 5000.0).sqrt(),
            "{p1}"
        );
    }

    #[test]
    fn driven_avalanches_have_geometric_gaps_and_the_stationary_mean() {
        // m = 0.5, h = 0.2: gaps are geometric with mean e^-h / (1 - e^-h);
        // the long-run mean activity (events over all bins, gaps included)
        // is h / (1 - m).
        let (m, h) = (0.5, 0.2);
        let mut rng = Seed::derive(5, "driven", &[]).rng();
        let av = driven_avalanches(m, h, 200_000, &mut rng).unwrap();
        let n = av.len() as f64;
        let gap_mean = av.iter().map(|a| a.gap as f64).sum::<f64>() / n;
        let q = (-h).exp();
        let want = q / (1.0 - q);
        let se = (q / (1.0 - q).powi(2) / n).sqrt();
        assert!((gap_mean - want).abs() < 5.0 * se, "{gap_mean} vs {want}");
        // each avalanche is followed by one empty bin (its end) before the next gap
        let bins: f64 = av
            .iter()
            .map(|a| (a.gap + a.duration + 1) as f64)
            .sum::<f64>();
        let events: f64 = av.iter().map(|a| a.size as f64).sum();
        let rate = events / bins;
        // renewal cycles are independent: se from the ratio estimator
        let cyc: Vec<(f64, f64)> = av
            .iter()
            .map(|a| (a.size as f64, (a.gap + a.duration + 1) as f64))
            .collect();
        let var_r = cyc.iter().map(|(e, b)| (e - rate * b).powi(2)).sum::<f64>() / n;
        let se_r = (var_r / n).sqrt() / (bins / n);
        assert!(
            (rate - h / (1.0 - m)).abs() < 5.0 * se_r,
            "{rate} vs {}",
            h / (1.0 - m)
        );
        assert!(driven_avalanches(1.1, 0.1, 1, &mut rng).is_err());
    }
}
