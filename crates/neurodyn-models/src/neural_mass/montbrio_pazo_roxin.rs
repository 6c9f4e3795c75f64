//! Montbrió–Pazó–Roxin mean field of quadratic integrate-and-fire neurons.

use super::{NodeModel, check_finite, check_positive};
use neurodyn_core::Error;

/// The exact mean field of all-to-all coupled QIF neurons with Lorentzian
/// excitabilities (Montbrió, Pazó & Roxin 2015, Phys. Rev. X 5:021028):
/// firing rate `r` (1/ms) and mean membrane potential `v` (dimensionless),
///
/// ```text
/// τ dr/dt = Δ/(π τ) + 2 r v                        (+ τ I_r)
/// τ dv/dt = v² + η̄ + J τ r − (π τ r)² + I_v
/// ```
///
/// `η̄` is the centre and `Δ` the half-width of the excitability
/// distribution, `J` the recurrent coupling. `input[0]` (`I_r`) is added to
/// `dr/dt`; `input[1]` (`I_v`) is the paper's `I(t)`, entering like `η̄`.
/// Networks send `r` into the `v` equation (e.g. `I_v = τ Σ_j J_ij r_j`, the
/// form of the recurrent term), so [`NodeModel::coupling_output`] is `r` and
/// the target is `v`.
///
/// Steady states: `dr/dt = 0` gives `v* = −Δ/(2π τ r*)`, and then `dv/dt = 0`
/// gives `Δ²/(2π τ r*)² + η̄ + J τ r* − (π τ r*)² + I_v = 0`.
///
/// Defaults are brainmass's `MontbrioPazoRoxinStep`: `τ = 1 ms`, `Δ = 1`,
/// `η̄ = −5`, `J = 15`; the
/// initial state `(0.025, 0.025)` is the mean of brainmass's `U(0, 0.05)`.
/// There the node is bistable (tested): a low-activity node at
/// `r* ≈ 0.0811 /ms` and a high-activity focus at `r* ≈ 1.031 /ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MontbrioPazoRoxin {
    /// Membrane time constant `τ` (ms).
    pub tau_ms: f64,
    /// Half-width `Δ` of the Lorentzian excitability distribution (> 0).
    pub delta: f64,
    /// Centre `η̄` of the excitability distribution.
    pub eta_bar: f64,
    /// Recurrent synaptic weight `J`.
    pub j: f64,
}

impl Default for MontbrioPazoRoxin {
    fn default() -> Self {
        MontbrioPazoRoxin {
            tau_ms: 1.0,
            delta: 1.0,
            eta_bar: -5.0,
            j: 15.0,
        }
    }
}

impl MontbrioPazoRoxin {
    /// Check every value: `τ` and `Δ` > 0, `η̄` and `J` finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_positive("tau_ms", self.tau_ms)?;
        check_positive("delta", self.delta)?;
        check_finite("eta_bar", self.eta_bar)?;
        check_finite("j", self.j)
    }

    /// `v*` at a steady state with rate `r` (1/ms): `−Δ/(2π τ r)`.
    pub fn steady_v(&self, r_per_ms: f64) -> f64 {
        -self.delta / (2.0 * std::f64::consts::PI * self.tau_ms * r_per_ms)
    }

    /// The steady-state residual in `r`: zero exactly at the rates of the
    /// fixed points under a constant `I_v`.
    pub fn steady_residual(&self, r_per_ms: f64, i_v: f64) -> f64 {
        let pr = std::f64::consts::PI * self.tau_ms * r_per_ms;
        let v = self.steady_v(r_per_ms);
        v * v + self.eta_bar + self.j * self.tau_ms * r_per_ms - pr * pr + i_v
    }
}

impl NodeModel for MontbrioPazoRoxin {
    fn state_names(&self) -> &'static [&'static str] {
        &["r", "v"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 2 && input.len() == 2 && dx.len() == 2);
        let (r, v) = (x[0], x[1]);
        let tau = self.tau_ms;
        let pr = std::f64::consts::PI * tau * r;
        dx[0] = (self.delta / (std::f64::consts::PI * tau) + 2.0 * r * v) / tau + input[0];
        dx[1] = (v * v + self.eta_bar + self.j * tau * r - pr * pr + input[1]) / tau;
    }

    fn initial_state(&self) -> Vec<f64> {
        vec![0.025, 0.025]
    }

    fn coupling_target(&self) -> usize {
        1
    }

    /// The firing rate `r` (1/ms).
    fn coupling_output(&self, x: &[f64]) -> f64 {
        x[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::test_util::{invalid_key, max_abs_derivative, run};

    /// Roots of the steady-state residual on r in (0, 5] /ms: sign changes
    /// on a grid of 5e-4, refined by bisection to 1e-15.
    fn steady_rates(m: &MontbrioPazoRoxin) -> Vec<f64> {
        let f = |r: f64| m.steady_residual(r, 0.0);
        let mut roots = Vec::new();
        let h = 5e-4;
        for k in 1..10_000 {
            let (mut lo, mut hi) = (k as f64 * h, (k + 1) as f64 * h);
            if f(lo).signum() == f(hi).signum() {
                continue;
            }
            while hi - lo > 1e-15 {
                let mid = 0.5 * (lo + hi);
                if f(mid).signum() == f(lo).signum() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            roots.push(0.5 * (lo + hi));
        }
        roots
    }

    /// The defaults have three steady rates (node, saddle, focus). From the
    /// default initial state the node settles on the lowest, from
    /// (1, −1) on the highest (RK4, dt = 0.001 ms, 300 ms): there
    /// |dx/dt| < 1e-9, r* equals the root to 1e-9 relative and
    /// v* = −Δ/(2π τ r*) to 1e-9.
    #[test]
    fn fixed_points_solve_the_analytic_steady_state() {
        let m = MontbrioPazoRoxin::default();
        let roots = steady_rates(&m);
        assert_eq!(roots.len(), 3, "{roots:?}");
        assert!(
            (roots[0] - 0.081134).abs() < 1e-5 && (roots[2] - 1.030597).abs() < 1e-5,
            "{roots:?}"
        );
        for (x0, root) in [(m.initial_state(), roots[0]), (vec![1.0, -1.0], roots[2])] {
            let mut x = x0;
            run(&m, &mut x, &[0.0, 0.0], 0.001, 300_000, |_, _| {});
            assert!(max_abs_derivative(&m, &x, &[0.0, 0.0]) < 1e-9, "{x:?}");
            assert!(
                (x[0] / root - 1.0).abs() < 1e-9,
                "r = {} vs root {root}",
                x[0]
            );
            assert!((x[1] - m.steady_v(x[0])).abs() < 1e-9, "v = {}", x[1]);
        }
    }

    /// A depolarising `I_v` moves the low state up along the same relation.
    #[test]
    fn input_shifts_the_steady_state() {
        let m = MontbrioPazoRoxin::default();
        let mut x = m.initial_state();
        run(&m, &mut x, &[0.0, 0.5], 0.001, 100_000, |_, _| {});
        assert!(max_abs_derivative(&m, &x, &[0.0, 0.5]) < 1e-9);
        assert!(m.steady_residual(x[0], 0.5).abs() < 1e-8);
        assert!(x[0] > 0.0812);
    }

    #[test]
    fn validation_names_the_key() {
        assert!(MontbrioPazoRoxin::default().validate().is_ok());
        let bad = MontbrioPazoRoxin {
            delta: 0.0,
            ..MontbrioPazoRoxin::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "delta");
        let bad = MontbrioPazoRoxin {
            tau_ms: f64::NAN,
            ..MontbrioPazoRoxin::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "tau_ms");
    }
}
