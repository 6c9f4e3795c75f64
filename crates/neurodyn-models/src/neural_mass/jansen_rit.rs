//! Jansen–Rit cortical column.

use super::{NodeModel, check_finite, check_non_negative, check_positive};
use neurodyn_core::Error;

/// Jansen & Rit (1995): pyramidal cells (`y0`), excitatory (`y1`) and
/// inhibitory (`y2`) postsynaptic potentials at the pyramidal cells, and
/// their derivatives `y3, y4, y5`:
///
/// ```text
/// dy0/dt = y3                  dy3/dt = A a S(y1 − y2 + u3)        − 2a y3 − a² y0
/// dy1/dt = y4                  dy4/dt = A a (p + C2 S(C1 y0))      − 2a y4 − a² y1
/// dy2/dt = y5                  dy5/dt = B b C4 S(C3 y0 + u5)       − 2b y5 − b² y2
/// S(v)   = 2 e0 / (1 + e^{r (v0 − v)}),   C1..C4 = C · (c1, c2, c3, c4)
/// ```
///
/// Potentials in mV, time in ms (rates `a`, `b` and `e0` are given per
/// second, as in the paper, and converted). The EEG proxy is `y1 − y2`.
///
/// Inputs: `input[4]` is the afferent pulse density `p` in Hz (the paper's
/// 120–320 Hz); `input[3]` and `input[5]` are mV added to the pyramidal and
/// inhibitory sigmoids' arguments (brainmass's `M_inp`, `I_inp`); `input[0..3]`
/// are added to `dy0..2/dt` (mV/ms). As in Jansen & Rit's coupled columns, a
/// network sends the pyramidal output `S(y1 − y2)` in Hz
/// ([`NodeModel::coupling_output`]) into the other columns' `p` slot
/// (`input[4]`).
///
/// Defaults are the paper's standard values, also brainmass's
/// `JansenRitStep`: `A = 3.25 mV`, `B = 22 mV`, `a = 100 /s`, `b = 50 /s`,
/// `C = 135`, `c1..c4 = 1, 0.8, 0.25, 0.25`, `e0 = 2.5 Hz` (so `S` saturates
/// at 5 Hz), `v0 = 6 mV`, `r = 0.56 /mV`, initial state 0.
///
/// At a constant `p = 120 Hz` the column is bistable between two
/// oscillations (tested): from rest it runs a large spike-and-wave cycle at
/// ~2.4 Hz (EEG 1.2–11.2 mV, a spike and a smaller secondary wave per
/// cycle); from a state on the alpha cycle it runs at `p = 200 Hz`, it
/// converges (slowly, over ~10 s) to a ~10.5 Hz alpha cycle (EEG
/// 5.9–8.0 mV). Neither settles to a fixed point; at `p = 50 Hz` the column
/// rests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JansenRit {
    /// Maximum excitatory PSP amplitude `A` (mV).
    pub a_exc_mv: f64,
    /// Maximum inhibitory PSP amplitude `B` (mV).
    pub b_inh_mv: f64,
    /// Excitatory synaptic rate `a` (1/s; the time constant is `1/a`).
    pub a_exc_per_s: f64,
    /// Inhibitory synaptic rate `b` (1/s).
    pub b_inh_per_s: f64,
    /// Connectivity constant `C`.
    pub c: f64,
    /// `C1 / C` (pyramidal → excitatory interneurons).
    pub c1: f64,
    /// `C2 / C` (excitatory interneurons → pyramidal).
    pub c2: f64,
    /// `C3 / C` (pyramidal → inhibitory interneurons).
    pub c3: f64,
    /// `C4 / C` (inhibitory interneurons → pyramidal).
    pub c4: f64,
    /// Half the sigmoid's maximum firing rate `e0` (Hz).
    pub e0_hz: f64,
    /// Potential at half-maximal firing `v0` (mV).
    pub v0_mv: f64,
    /// Sigmoid steepness `r` (1/mV).
    pub r_per_mv: f64,
}

impl Default for JansenRit {
    fn default() -> Self {
        JansenRit {
            a_exc_mv: 3.25,
            b_inh_mv: 22.0,
            a_exc_per_s: 100.0,
            b_inh_per_s: 50.0,
            c: 135.0,
            c1: 1.0,
            c2: 0.8,
            c3: 0.25,
            c4: 0.25,
            e0_hz: 2.5,
            v0_mv: 6.0,
            r_per_mv: 0.56,
        }
    }
}

impl JansenRit {
    /// Check every value: amplitudes, rates, `C`, `e0` and `r` > 0,
    /// `c1..c4` >= 0, `v0` finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_positive("a_exc_mv", self.a_exc_mv)?;
        check_positive("b_inh_mv", self.b_inh_mv)?;
        check_positive("a_exc_per_s", self.a_exc_per_s)?;
        check_positive("b_inh_per_s", self.b_inh_per_s)?;
        check_positive("c", self.c)?;
        check_non_negative("c1", self.c1)?;
        check_non_negative("c2", self.c2)?;
        check_non_negative("c3", self.c3)?;
        check_non_negative("c4", self.c4)?;
        check_positive("e0_hz", self.e0_hz)?;
        check_finite("v0_mv", self.v0_mv)?;
        check_positive("r_per_mv", self.r_per_mv)
    }

    /// The sigmoid `S(v)`: firing rate (Hz) at mean potential `v` (mV).
    #[inline]
    pub fn sigmoid_hz(&self, v_mv: f64) -> f64 {
        2.0 * self.e0_hz / (1.0 + (self.r_per_mv * (self.v0_mv - v_mv)).exp())
    }

    /// The EEG proxy `y1 − y2` (mV).
    #[inline]
    pub fn eeg_mv(x: &[f64]) -> f64 {
        x[1] - x[2]
    }
}

impl NodeModel for JansenRit {
    fn state_names(&self) -> &'static [&'static str] {
        &["y0", "y1", "y2", "y3", "y4", "y5"]
    }

    #[inline]
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
        debug_assert!(x.len() == 6 && input.len() == 6 && dx.len() == 6);
        const PER_MS: f64 = 1e-3;
        let a = self.a_exc_per_s * PER_MS;
        let b = self.b_inh_per_s * PER_MS;
        let s = |v: f64| self.sigmoid_hz(v) * PER_MS;
        let c = self.c;
        dx[0] = x[3] + input[0];
        dx[1] = x[4] + input[1];
        dx[2] = x[5] + input[2];
        dx[3] = self.a_exc_mv * a * s(x[1] - x[2] + input[3]) - 2.0 * a * x[3] - a * a * x[0];
        dx[4] = self.a_exc_mv * a * (input[4] * PER_MS + c * self.c2 * s(c * self.c1 * x[0]))
            - 2.0 * a * x[4]
            - a * a * x[1];
        dx[5] = self.b_inh_mv * b * c * self.c4 * s(c * self.c3 * x[0] + input[5])
            - 2.0 * b * x[5]
            - b * b * x[2];
    }

    fn initial_state(&self) -> Vec<f64> {
        vec![0.0; 6]
    }

    fn coupling_target(&self) -> usize {
        4
    }

    /// The pyramidal output pulse density `S(y1 − y2)` (Hz).
    fn coupling_output(&self, x: &[f64]) -> f64 {
        self.sigmoid_hz(x[1] - x[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::test_util::{invalid_key, period_ms, run};

    const DT: f64 = 0.05;

    fn input_p(p_hz: f64) -> [f64; 6] {
        let mut u = [0.0; 6];
        u[4] = p_hz;
        u
    }

    /// Runs `t_ms` at constant `p`, then records the EEG for 2 s; returns
    /// the EEG's frequency (Hz, from upward crossings of its mid-range),
    /// the largest relative deviation of one period from the mean, and the
    /// EEG's extremes (mV).
    fn eeg_after(x: &mut [f64], p_hz: f64, t_ms: f64) -> (f64, f64, f64, f64) {
        let m = JansenRit::default();
        let transient = (t_ms / DT) as usize;
        let mut eeg = Vec::new();
        run(&m, x, &input_p(p_hz), DT, transient + 40_000, |s, x| {
            if s > transient {
                eeg.push(JansenRit::eeg_mv(x));
            }
        });
        let (period, dev) = period_ms(&eeg, None, DT);
        let lo = eeg.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = eeg.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (1000.0 / period, dev, lo, hi)
    }

    /// Standard parameters, p = 120 Hz (RK4, dt = 0.05 ms, 2 s recorded):
    /// from rest (1 s transient), a slow spike-and-wave cycle (2–3 Hz,
    /// measured ≈ 2.4 Hz, EEG swinging over more than 8 mV); from a state on
    /// the alpha cycle of p = 200 Hz (15 s transient: the approach is slow),
    /// an 8–12 Hz cycle (measured ≈ 10.5 Hz, swing 1–5 mV). Each is periodic
    /// (periods equal to 1e-3), so neither is a fixed point.
    #[test]
    fn p120_is_bistable_between_spike_and_wave_and_alpha_cycles() {
        let m = JansenRit::default();
        let mut x = m.initial_state();
        let (f, dev, lo, hi) = eeg_after(&mut x, 120.0, 1000.0);
        assert!((2.0..3.0).contains(&f), "from rest: {f} Hz");
        assert!(hi - lo > 8.0, "from rest: EEG range {lo}..{hi} mV");
        assert!(dev < 1e-3);

        let mut x = m.initial_state();
        let (f200, _, _, _) = eeg_after(&mut x, 200.0, 1000.0);
        assert!((8.0..12.0).contains(&f200), "p = 200 Hz: {f200} Hz");
        let (f, dev, lo, hi) = eeg_after(&mut x, 120.0, 15_000.0);
        assert!((8.0..12.0).contains(&f), "alpha branch: {f} Hz");
        assert!(hi - lo > 1.0 && hi - lo < 5.0, "alpha: EEG {lo}..{hi} mV");
        assert!(dev < 1e-3, "alpha: periods vary by {dev}");
    }

    /// Below the oscillatory range (p = 50 Hz) the column rests: |dx/dt| <
    /// 1e-9 after 2 s, and the steady state solves the static equations
    /// y1 = A/a (p + C2 S(C1 y0)), y2 = B/b C4 S(C3 y0), y0 = A/a S(y1 − y2).
    #[test]
    fn low_input_settles_to_the_static_solution() {
        let m = JansenRit::default();
        let mut x = m.initial_state();
        run(&m, &mut x, &input_p(50.0), DT, 40_000, |_, _| {});
        let mut dx = [0.0; 6];
        m.derivatives(&x, &input_p(50.0), &mut dx);
        assert!(dx.iter().all(|d| d.abs() < 1e-9), "{dx:?}");
        let (a, b, c) = (m.a_exc_per_s, m.b_inh_per_s, m.c);
        let y0 = m.a_exc_mv / a * m.sigmoid_hz(x[1] - x[2]);
        let y1 = m.a_exc_mv / a * (50.0 + c * m.c2 * m.sigmoid_hz(c * m.c1 * x[0]));
        let y2 = m.b_inh_mv / b * c * m.c4 * m.sigmoid_hz(c * m.c3 * x[0]);
        for (got, want) in [(x[0], y0), (x[1], y1), (x[2], y2)] {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn coupling_output_is_the_pyramidal_rate() {
        let m = JansenRit::default();
        let x = [0.0, 7.0, 1.0, 0.0, 0.0, 0.0];
        assert!((m.coupling_output(&x) - 2.5).abs() < 1e-12);
        assert_eq!(m.state_names()[m.coupling_target()], "y4");
    }

    #[test]
    fn validation_names_the_key() {
        assert!(JansenRit::default().validate().is_ok());
        let bad = JansenRit {
            b_inh_per_s: -50.0,
            ..JansenRit::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "b_inh_per_s");
        let bad = JansenRit {
            v0_mv: f64::NAN,
            ..JansenRit::default()
        };
        assert_eq!(invalid_key(bad.validate().unwrap_err()), "v0_mv");
    }
}
