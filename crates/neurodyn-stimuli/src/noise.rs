//! White and Ornstein–Uhlenbeck noise with correct `dt` scaling.
//!
//! - White noise for Euler–Maruyama: the increment over `dt` is
//!   `sigma * sqrt(dt) * xi`, `xi ~ N(0, 1)`.
//! - Ornstein–Uhlenbeck `tau dx = -x dt + sigma sqrt(tau) dW`... written here in
//!   the form `dx = -(x / tau) dt + sigma dW`, updated with the exact
//!   discretisation `x <- x e^{-dt/tau} + sigma sqrt(tau/2 (1 - e^{-2dt/tau})) xi`,
//!   whose stationary variance is `sigma^2 tau / 2` and autocorrelation
//!   `e^{-t/tau}` at every `dt`.

use neurodyn_core::{Error, Rng};
use rand_distr::{Distribution, StandardNormal};

/// Increment of a Wiener process scaled by `sigma` over `dt`: `sigma sqrt(dt) xi`.
pub fn white_increment(sigma: f64, dt: f64, rng: &mut Rng) -> f64 {
    let xi: f64 = StandardNormal.sample(rng);
    sigma * dt.sqrt() * xi
}

/// An Ornstein–Uhlenbeck process `dx = -(x / tau) dt + sigma dW`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrnsteinUhlenbeck {
    decay: f64,
    kick: f64,
    /// Current value.
    pub x: f64,
}

impl OrnsteinUhlenbeck {
    /// A process with time constant `tau` and noise amplitude `sigma` (same
    /// time unit as `dt`), started at `x0`.
    pub fn try_new(tau: f64, sigma: f64, dt: f64, x0: f64) -> Result<Self, Error> {
        if !(tau.is_finite() && tau > 0.0) {
            return Err(Error::invalid("tau", tau, "a finite number > 0"));
        }
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(Error::invalid("sigma", sigma, "a finite number >= 0"));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid("dt", dt, "a finite number > 0"));
        }
        let decay = (-dt / tau).exp();
        let kick = sigma * (tau / 2.0 * (1.0 - decay * decay)).sqrt();
        Ok(OrnsteinUhlenbeck { decay, kick, x: x0 })
    }

    /// Advance one step and return the new value.
    pub fn step(&mut self, rng: &mut Rng) -> f64 {
        let xi: f64 = StandardNormal.sample(rng);
        self.x = self.x * self.decay + self.kick * xi;
        self.x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    #[test]
    fn ou_has_its_stationary_variance_and_correlation_at_three_dt() {
        let (tau, sigma) = (5.0, 0.8);
        let var_true = sigma * sigma * tau / 2.0;
        for dt in [0.01, 0.1, 1.0] {
            let mut rng = Seed::derive(3, "ou", &[]).rng();
            let mut p = OrnsteinUhlenbeck::try_new(tau, sigma, dt, 0.0).unwrap();
            let lag = (tau / dt).round() as usize; // one time constant
            let n = 400_000;
            let xs: Vec<f64> = (0..n).map(|_| p.step(&mut rng)).collect();
            let burn = (20.0 * tau / dt) as usize;
            let xs = &xs[burn..];
            let var = xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64;
            // effective number of independent samples ~ T / (2 tau)
            let n_eff = xs.len() as f64 * dt / (2.0 * tau);
            let tol = 5.0 * (2.0 / n_eff).sqrt();
            assert!(
                (var / var_true - 1.0).abs() < tol,
                "dt {dt}: var {var} vs {var_true}"
            );
            let c = xs.iter().zip(&xs[lag..]).map(|(a, b)| a * b).sum::<f64>()
                / (xs.len() - lag) as f64
                / var;
            assert!(
                (c - (-1f64).exp()).abs() < 5.0 / n_eff.sqrt(),
                "dt {dt}: rho {c}"
            );
        }
    }

    #[test]
    fn white_increments_have_variance_sigma2_dt() {
        let mut rng = Seed::derive(4, "w", &[]).rng();
        for dt in [0.01, 0.5] {
            let n = 200_000;
            let v = (0..n)
                .map(|_| white_increment(2.0, dt, &mut rng).powi(2))
                .sum::<f64>()
                / n as f64;
            let want = 4.0 * dt;
            assert!((v / want - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt());
        }
        assert!(OrnsteinUhlenbeck::try_new(0.0, 1.0, 0.1, 0.0).is_err());
    }
}
