//! Branching processes: the driven Poisson branching process
//! `A(t+1) ~ Poisson(m A(t) + h)` and its avalanches.
//!
//! With `h → 0` (separation of time scales) every avalanche starts from one
//! spontaneous event in a silent network and is a Galton–Watson process with
//! Poisson(m) offspring: [`avalanches`] simulates exactly that limit, one
//! avalanche after another, separated by one empty step. At `m = 1` the
//! sizes follow the Borel distribution and the durations the Galton–Watson
//! extinction law (see `neurodyn_analysis::avalanche`).

use neurodyn_core::{Error, Rng};
use rand_distr::{Distribution, Poisson};

/// Draw Poisson(`mean`) (0 for a zero mean).
fn poisson(mean: f64, rng: &mut Rng) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    // rand_distr samples f64; values are whole numbers.
    Poisson::new(mean)
        .expect("finite positive mean")
        .sample(rng) as u64
}

/// `steps` steps of `A(t+1) ~ Poisson(m A(t) + h)` from `A(0) = a0`.
pub fn driven_poisson(
    m: f64,
    h: f64,
    a0: u64,
    steps: usize,
    rng: &mut Rng,
) -> Result<Vec<u64>, Error> {
    if !(m.is_finite() && m >= 0.0) {
        return Err(Error::invalid("m", m, "a finite number >= 0"));
    }
    if !(h.is_finite() && h >= 0.0) {
        return Err(Error::invalid("h", h, "a finite number >= 0"));
    }
    let mut a = Vec::with_capacity(steps);
    let mut x = a0;
    for _ in 0..steps {
        a.push(x);
        x = poisson(m * x as f64 + h, rng);
    }
    Ok(a)
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
    m: f64,
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
        a = poisson(m * a as f64, rng);
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
    Ok((0..n)
        .map(|_| one_avalanche(m, max_size, rng, |_| {}))
        .collect())
}

/// The activity time series of consecutive avalanches (the same draws as
/// [`avalanches`]): each avalanche's generations, then one empty step.
/// Segmenting it recovers the avalanches.
pub fn avalanche_activity(
    m: f64,
    n: usize,
    max_size: u64,
    rng: &mut Rng,
) -> Result<Vec<u64>, Error> {
    check_avalanche_params(m, max_size)?;
    let mut out = Vec::new();
    for _ in 0..n {
        one_avalanche(m, max_size, rng, |a| out.push(a));
        out.extend([0]); // the empty step between avalanches
    }
    Ok(out)
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
}
