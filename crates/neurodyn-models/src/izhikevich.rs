//! Izhikevich (2007) two-variable neurons ("Dynamical Systems in
//! Neuroscience", ch. 8):
//!
//! ```text
//! C dv/dt = k (v − v_r)(v − v_t) − u + I
//!   du/dt = a (U(v) − u)
//! if v >= v_peak:  v <- c,  u <- u + d
//! ```
//!
//! with the linear recovery `U(v) = b (v − v_r)` (regular-spiking pyramidal
//! cells, the thesis code's cells) or the book's fast-spiking interneuron
//! with its nonlinear recovery `U(v) = 0` below `v_b` and
//! `b_cubic (v − v_b)³` above. Units: mV, ms, pF, nS, pA.
//!
//! Integration is forward Euler with both variables advanced from the old
//! state (as the thesis code does); spikes are detected at the start of a
//! step, when `v` has reached `v_peak`.

use neurodyn_core::Error;

/// The recovery variable's steady-state curve `U(v)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recovery {
    /// `U(v) = b (v − v_r)`.
    Linear {
        /// Sensitivity of the recovery to v (nS).
        b_ns: f64,
    },
    /// `U(v) = b_cubic (v − v_b)³` for `v >= v_b`, else 0 (the book's FS cell).
    Cubic {
        /// Threshold of the recovery (mV).
        v_b_mv: f64,
        /// Cubic coefficient (pA/mV³).
        b_cubic: f64,
    },
}

/// Parameters of one cell type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IzhikevichCell {
    /// Membrane capacitance (pF).
    pub c_pf: f64,
    /// Gain of the quadratic current (nS/mV).
    pub k: f64,
    /// Resting potential (mV).
    pub v_r_mv: f64,
    /// Instantaneous threshold potential (mV).
    pub v_t_mv: f64,
    /// Spike cutoff (mV).
    pub v_peak_mv: f64,
    /// Recovery rate (1/ms).
    pub a_per_ms: f64,
    /// Recovery curve.
    pub recovery: Recovery,
    /// Reset potential `c` (mV).
    pub v_reset_mv: f64,
    /// Recovery jump at a spike `d` (pA).
    pub d_pa: f64,
    /// Initial potential (mV).
    pub v_init_mv: f64,
    /// Initial recovery current (pA).
    pub u_init_pa: f64,
}

impl IzhikevichCell {
    /// The book's regular-spiking pyramidal cell (Izhikevich 2007, §8.2.1).
    pub fn book_rs() -> Self {
        IzhikevichCell {
            c_pf: 100.0,
            k: 0.7,
            v_r_mv: -60.0,
            v_t_mv: -40.0,
            v_peak_mv: 35.0,
            a_per_ms: 0.03,
            recovery: Recovery::Linear { b_ns: -2.0 },
            v_reset_mv: -50.0,
            d_pa: 100.0,
            v_init_mv: -60.0,
            u_init_pa: 0.0,
        }
    }

    /// The book's fast-spiking interneuron with its cubic recovery
    /// (Izhikevich 2007, §8.2.6).
    pub fn book_fs() -> Self {
        IzhikevichCell {
            c_pf: 20.0,
            k: 1.0,
            v_r_mv: -55.0,
            v_t_mv: -40.0,
            v_peak_mv: 25.0,
            a_per_ms: 0.2,
            recovery: Recovery::Cubic {
                v_b_mv: -55.0,
                b_cubic: 0.025,
            },
            v_reset_mv: -45.0,
            d_pa: 0.0,
            v_init_mv: -55.0,
            u_init_pa: 0.0,
        }
    }

    /// Check every value; `name` prefixes the keys in errors (`RS.C_pF`).
    pub fn validate(&self, name: &str) -> Result<(), Error> {
        let key = |k: &str| format!("{name}.{k}");
        let finite = [
            ("v_r_mv", self.v_r_mv),
            ("v_t_mv", self.v_t_mv),
            ("v_peak_mv", self.v_peak_mv),
            ("c_mv", self.v_reset_mv),
            ("d_pa", self.d_pa),
            ("v_mv", self.v_init_mv),
            ("u_pa", self.u_init_pa),
        ];
        for (k, v) in finite {
            if !v.is_finite() {
                return Err(Error::invalid(&key(k), v, "a finite number"));
            }
        }
        for (k, v) in [
            ("C_pF", self.c_pf),
            ("k", self.k),
            ("a_per_ms", self.a_per_ms),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(&key(k), v, "a finite number > 0"));
            }
        }
        if self.v_t_mv <= self.v_r_mv {
            return Err(Error::invalid(
                &key("v_t_mv"),
                self.v_t_mv,
                &format!("above v_r_mv = {}", self.v_r_mv),
            ));
        }
        if self.v_peak_mv <= self.v_t_mv {
            return Err(Error::invalid(
                &key("v_peak_mv"),
                self.v_peak_mv,
                &format!("above v_t_mv = {}", self.v_t_mv),
            ));
        }
        if self.v_reset_mv >= self.v_peak_mv {
            return Err(Error::invalid(
                &key("c_mv"),
                self.v_reset_mv,
                &format!("below v_peak_mv = {}", self.v_peak_mv),
            ));
        }
        match self.recovery {
            Recovery::Linear { b_ns } if !b_ns.is_finite() => {
                Err(Error::invalid(&key("b_ns"), b_ns, "a finite number"))
            }
            Recovery::Cubic { v_b_mv, b_cubic } if !(v_b_mv.is_finite() && b_cubic >= 0.0) => {
                Err(Error::invalid(
                    &key("b_cubic"),
                    b_cubic,
                    "a finite number >= 0 (with a finite v_b_mv)",
                ))
            }
            _ => Ok(()),
        }
    }

    /// `U(v)`, the recovery current's steady state at `v` (pA).
    #[inline(always)]
    pub fn recovery_target(&self, v: f64) -> f64 {
        match self.recovery {
            Recovery::Linear { b_ns } => b_ns * (v - self.v_r_mv),
            Recovery::Cubic { v_b_mv, b_cubic } => {
                let x = v - v_b_mv;
                if x > 0.0 { b_cubic * x * x * x } else { 0.0 }
            }
        }
    }

    /// One Euler step of length `dt_ms` under the input current `i_pa`,
    /// from `(v, u)` (both advanced from the old state).
    #[inline(always)]
    pub fn euler(&self, v: f64, u: f64, i_pa: f64, dt_ms: f64) -> (f64, f64) {
        let dv = (self.k * (v - self.v_r_mv) * (v - self.v_t_mv) - u + i_pa) / self.c_pf;
        let du = self.a_per_ms * (self.recovery_target(v) - u);
        (v + dt_ms * dv, u + dt_ms * du)
    }

    /// The constant current (pA) at which the resting state stops being
    /// stable, for linear recovery: where the two equilibria merge
    /// (saddle-node, `I = (k Δ + b)² / 4k`, `Δ = v_t − v_r`) or, when
    /// `b > a C`, where the rest first loses stability through an
    /// Andronov–Hopf bifurcation (trace of the Jacobian zero:
    /// `k (2x − Δ) = a C`, `x = v − v_r`). `None` for the cubic recovery.
    pub fn rheobase_pa(&self) -> Option<f64> {
        let Recovery::Linear { b_ns: b } = self.recovery else {
            return None;
        };
        let (k, delta) = (self.k, self.v_t_mv - self.v_r_mv);
        let ac = self.a_per_ms * self.c_pf;
        if b > ac {
            // Equilibrium at x: I = -(k x² - (k Δ + b) x).
            let x = (ac / k + delta) / 2.0;
            Some(-(k * x * x - (k * delta + b) * x))
        } else {
            Some((k * delta + b).powi(2) / (4.0 * k))
        }
    }
}

/// One point of an f–I curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiPoint {
    /// Injected current (pA).
    pub current_pa: f64,
    /// Spikes in the whole step.
    pub spikes: u32,
    /// Rate over the second half of the step (Hz): the adapted rate.
    pub steady_rate_hz: f64,
    /// Inverse of the first interspike interval (Hz), 0 with fewer than two spikes.
    pub first_isi_rate_hz: f64,
}

/// Responses of a cell, starting from its initial state, to steps of
/// constant current of `duration_ms` (forward Euler at `dt_ms`).
pub fn fi_curve(
    cell: &IzhikevichCell,
    currents_pa: &[f64],
    dt_ms: f64,
    duration_ms: f64,
) -> Vec<FiPoint> {
    let steps = (duration_ms / dt_ms).round() as u64;
    currents_pa
        .iter()
        .map(|&i_pa| {
            let (mut v, mut u) = (cell.v_init_mv, cell.u_init_pa);
            let mut times = Vec::new();
            for s in 0..steps {
                if v >= cell.v_peak_mv {
                    times.push(s);
                    v = cell.v_reset_mv;
                    u += cell.d_pa;
                }
                (v, u) = cell.euler(v, u, i_pa, dt_ms);
            }
            let half = steps / 2;
            let late = times.iter().filter(|&&t| t >= half).count();
            let first_isi_rate_hz = if times.len() >= 2 {
                1000.0 / ((times[1] - times[0]) as f64 * dt_ms)
            } else {
                0.0
            };
            FiPoint {
                current_pa: i_pa,
                spikes: times.len() as u32,
                steady_rate_hz: late as f64 / ((steps - half) as f64 * dt_ms / 1000.0),
                first_isi_rate_hz,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn onset(cell: &IzhikevichCell, lo: f64, hi: f64) -> f64 {
        // Smallest current with repetitive firing in 2 s (bisection to 0.05 pA).
        let fires = |i: f64| fi_curve(cell, &[i], 0.1, 2000.0)[0].steady_rate_hz > 0.0;
        assert!(!fires(lo) && fires(hi));
        let (mut lo, mut hi) = (lo, hi);
        while hi - lo > 0.05 {
            let m = 0.5 * (lo + hi);
            if fires(m) { hi = m } else { lo = m }
        }
        hi
    }

    #[test]
    fn book_rs_rheobase_is_the_saddle_node_current() {
        // (k (v_t - v_r) + b)^2 / 4k = (14 - 2)^2 / 2.8 = 51.43 pA.
        let rs = IzhikevichCell::book_rs();
        let analytic = rs.rheobase_pa().unwrap();
        assert!((analytic - 144.0 / 2.8).abs() < 1e-12);
        let numeric = onset(&rs, 30.0, 100.0);
        assert!(
            (numeric - analytic).abs() < 0.01 * analytic,
            "onset {numeric} pA vs saddle-node {analytic} pA"
        );
    }

    #[test]
    fn rs_adapts_and_fs_does_not() {
        // Compared where each cell fires 40-80 Hz steadily: the RS cell's
        // first interval is much shorter than its adapted ones (its recovery
        // builds up over spikes: d = 100 pA, 1/a = 33 ms); the FS cell's is
        // not (d = 0).
        let currents: Vec<f64> = (5..=60).map(|i| i as f64 * 10.0).collect();
        for (cell, min_ratio, max_ratio) in [
            (IzhikevichCell::book_rs(), 1.3, f64::INFINITY),
            (IzhikevichCell::book_fs(), 0.85, 1.2),
        ] {
            let pts: Vec<FiPoint> = fi_curve(&cell, &currents, 0.1, 1000.0)
                .into_iter()
                .filter(|p| (40.0..=80.0).contains(&p.steady_rate_hz))
                .collect();
            assert!(pts.len() >= 3, "{cell:?}");
            for p in pts {
                let ratio = p.first_isi_rate_hz / p.steady_rate_hz;
                assert!(ratio >= min_ratio && ratio <= max_ratio, "{p:?}: {ratio}");
            }
        }
    }

    #[test]
    fn class_1_rs_starts_at_low_rates_class_2_fs_jumps() {
        // Just above onset the RS (saddle-node) fires slowly; the book FS
        // cell (its rest loses stability through a Hopf bifurcation) starts
        // at a high rate.
        let rs = IzhikevichCell::book_rs();
        let i0 = onset(&rs, 30.0, 100.0);
        let p = fi_curve(&rs, &[i0 + 0.5], 0.1, 2000.0)[0];
        assert!(p.steady_rate_hz < 10.0, "{p:?}");
        let fs = IzhikevichCell::book_fs();
        let i0 = onset(&fs, 0.0, 300.0);
        let p = fi_curve(&fs, &[i0 + 0.5], 0.1, 2000.0)[0];
        assert!(p.steady_rate_hz > 20.0, "{p:?}");
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = IzhikevichCell::book_rs();
        c.v_peak_mv = -45.0;
        let e = c.validate("RS").unwrap_err().to_string();
        assert!(e.contains("RS.v_peak_mv"), "{e}");
        let mut c = IzhikevichCell::book_rs();
        c.c_pf = 0.0;
        assert!(
            c.validate("RS")
                .unwrap_err()
                .to_string()
                .contains("RS.C_pF")
        );
    }
}
