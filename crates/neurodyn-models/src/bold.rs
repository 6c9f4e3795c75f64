//! Balloon–Windkessel haemodynamic model: neural activity → BOLD signal.
//!
//! The model of Friston et al. (2000), with the signal equation and the
//! constants of Stephan et al. (2007), as used by TVB, neurolib and
//! brainmass. Each region has a vasodilatory signal `s`, blood inflow `f`,
//! blood volume `v` and deoxyhaemoglobin content `q` (the last three
//! normalised to 1 at rest), driven by the region's neural activity `z`:
//!
//! ```text
//! ds/dt   = z − κ s − γ (f − 1)
//! df/dt   = s
//! τ dv/dt = f − v^(1/α)
//! τ dq/dt = f (1 − (1 − ρ)^(1/f)) / ρ − v^(1/α) q / v
//!
//! BOLD    = V0 [k1 (1 − q) + k2 (1 − q/v) + k3 (1 − v)]
//! ```
//!
//! Time is in **seconds** inside this module (haemodynamics are slow);
//! [`bold_series`] takes the millisecond grid of the neural simulations and
//! converts. `z` is whatever the caller chooses as neural activity (a firing
//! rate, or an activity normalised to order 1): the model is linear in `z`
//! for small `z`, and a constant `z` raises the steady flow to `f = 1 + z/γ`,
//! so inputs with `z ≤ −γ` have no steady state (the flow reaches zero).
//!
//! Rest is `s = 0`, `f = v = q = 1`, where the signal is 0. A short pulse of
//! activity gives the canonical haemodynamic response: a peak about 3 s
//! later and an undershoot below baseline before the return to rest.
//!
//! # Integration
//!
//! [`Bold::step`] is classical RK4 with `z` held over the step, applied to
//! `(s, ln f, ln v, ln q)` rather than `(s, f, v, q)`, as Stephan et al.
//! (2007) and SPM's `spm_fx_fmri` do. The log form keeps `f`, `v` and `q`
//! positive for any step (in the linear form a stage can push `v` below 0,
//! where `v^(1/α)` is NaN), turns the powers `v^(1/α)` and `(1 − ρ)^(1/f)`
//! into single `exp`s, and lets the signal be computed with `expm1`, which
//! keeps full relative precision for the small deviations from rest that a
//! normalised input produces. Rest is an exact fixed point in floating point
//! (every derivative evaluates to exactly 0 there), so a region with `z = 0`
//! from rest stays at rest bit for bit. At a step of a few ms the RK4 error
//! is far below any measurement noise (see the convergence test).

use crate::neural_mass::{check_finite, check_positive};
use neurodyn_core::Error;

/// Parameters of the Balloon–Windkessel model (time in seconds).
///
/// Defaults are those of Friston et al. (2000) / Stephan et al. (2007) as
/// used by TVB, neurolib and brainmass. `k1`, `k2`, `k3` are independent
/// fields; the classical choice `k1 = 7ρ`, `k2 = 2`, `k3 = 2ρ − 0.2` follows
/// `rho` only through [`BoldParams::with_rho`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoldParams {
    /// Rate of decay of the vasodilatory signal `κ` (1/s).
    pub kappa: f64,
    /// Rate of flow-dependent elimination `γ` (1/s).
    pub gamma: f64,
    /// Haemodynamic transit time `τ` (s).
    pub tau: f64,
    /// Grubb's exponent `α` (vessel stiffness), in (0, 1).
    pub alpha: f64,
    /// Resting oxygen extraction fraction `ρ`, in (0, 1).
    pub rho: f64,
    /// Resting blood volume fraction `V0`: scales the whole signal.
    pub v0: f64,
    /// Intravascular signal coefficient `k1` (classically `7ρ`).
    pub k1: f64,
    /// Concentration-ratio coefficient `k2` (classically 2).
    pub k2: f64,
    /// Extravascular signal coefficient `k3` (classically `2ρ − 0.2`).
    pub k3: f64,
}

impl Default for BoldParams {
    fn default() -> Self {
        let rho = 0.34;
        BoldParams {
            kappa: 0.65,
            gamma: 0.41,
            tau: 0.98,
            alpha: 0.32,
            rho,
            v0: 0.02,
            k1: 7.0 * rho,
            k2: 2.0,
            k3: 2.0 * rho - 0.2,
        }
    }
}

impl BoldParams {
    /// These parameters with resting extraction fraction `rho` and the
    /// classical signal coefficients that go with it: `k1 = 7ρ`, `k2 = 2`,
    /// `k3 = 2ρ − 0.2`.
    pub fn with_rho(self, rho: f64) -> Self {
        BoldParams {
            rho,
            k1: 7.0 * rho,
            k2: 2.0,
            k3: 2.0 * rho - 0.2,
            ..self
        }
    }

    /// Check every value: `kappa`, `gamma`, `tau`, `v0` finite and > 0;
    /// `alpha` and `rho` strictly between 0 and 1; `k1`, `k2`, `k3` finite.
    pub fn validate(&self) -> Result<(), Error> {
        check_positive("kappa", self.kappa)?;
        check_positive("gamma", self.gamma)?;
        check_positive("tau", self.tau)?;
        check_unit_interval("alpha", self.alpha)?;
        check_unit_interval("rho", self.rho)?;
        check_positive("v0", self.v0)?;
        check_finite("k1", self.k1)?;
        check_finite("k2", self.k2)?;
        check_finite("k3", self.k3)
    }
}

/// `v` must lie strictly between 0 and 1.
fn check_unit_interval(key: &str, v: f64) -> Result<(), Error> {
    if v > 0.0 && v < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(key, v, "a number strictly between 0 and 1"))
    }
}

/// The haemodynamic state of one region, in the model's natural variables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoldState {
    /// Vasodilatory signal `s` (1/s).
    pub s: f64,
    /// Normalised blood inflow `f`.
    pub f: f64,
    /// Normalised blood volume `v`.
    pub v: f64,
    /// Normalised deoxyhaemoglobin content `q`.
    pub q: f64,
}

impl BoldState {
    /// Rest: `s = 0`, `f = v = q = 1`.
    pub const REST: BoldState = BoldState {
        s: 0.0,
        f: 1.0,
        v: 1.0,
        q: 1.0,
    };
}

/// The Balloon–Windkessel model for `n` independent regions.
///
/// State is stored per variable as `s`, `ln f`, `ln v`, `ln q` (see the
/// module docs for why); [`Bold::state`] gives one region in `(s, f, v, q)`.
/// [`Bold::step`] allocates nothing.
#[derive(Debug, Clone)]
pub struct Bold {
    params: BoldParams,
    /// `1/α − 1`: `v^(1/α) / v = exp((1/α − 1) ln v)`.
    inv_alpha_m1: f64,
    /// `1/τ`.
    inv_tau: f64,
    /// `ln(1 − ρ)`: `(1 − ρ)^(1/f) = exp(ln(1 − ρ) / f)`.
    ln_1m_rho: f64,
    /// `expm1(ln(1 − ρ))` = `−ρ` up to rounding; dividing by this rather than
    /// by `−ρ` makes the extraction term exactly 1 at `f = 1`.
    neg_rho: f64,
    s: Vec<f64>,
    ln_f: Vec<f64>,
    ln_v: Vec<f64>,
    ln_q: Vec<f64>,
}

impl Bold {
    /// `n_regions` regions at rest, after validating `params`.
    /// `n_regions` must be at least 1.
    pub fn new(params: BoldParams, n_regions: usize) -> Result<Self, Error> {
        params.validate()?;
        if n_regions == 0 {
            return Err(Error::invalid("n_regions", 0, "at least 1"));
        }
        let ln_1m_rho = (-params.rho).ln_1p();
        Ok(Bold {
            params,
            inv_alpha_m1: 1.0 / params.alpha - 1.0,
            inv_tau: 1.0 / params.tau,
            ln_1m_rho,
            neg_rho: ln_1m_rho.exp_m1(),
            s: vec![0.0; n_regions],
            ln_f: vec![0.0; n_regions],
            ln_v: vec![0.0; n_regions],
            ln_q: vec![0.0; n_regions],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &BoldParams {
        &self.params
    }

    /// Number of regions.
    pub fn n_regions(&self) -> usize {
        self.s.len()
    }

    /// Put every region back at rest.
    pub fn reset(&mut self) {
        for x in [&mut self.s, &mut self.ln_f, &mut self.ln_v, &mut self.ln_q] {
            x.fill(0.0);
        }
    }

    /// Vasodilatory signal `s` of every region (1/s).
    pub fn s(&self) -> &[f64] {
        &self.s
    }

    /// `ln f` (log inflow) of every region.
    pub fn ln_f(&self) -> &[f64] {
        &self.ln_f
    }

    /// `ln v` (log volume) of every region.
    pub fn ln_v(&self) -> &[f64] {
        &self.ln_v
    }

    /// `ln q` (log deoxyhaemoglobin) of every region.
    pub fn ln_q(&self) -> &[f64] {
        &self.ln_q
    }

    /// The state of region `i` as `(s, f, v, q)`. Panics if `i` is out of
    /// range.
    pub fn state(&self, i: usize) -> BoldState {
        BoldState {
            s: self.s[i],
            f: self.ln_f[i].exp(),
            v: self.ln_v[i].exp(),
            q: self.ln_q[i].exp(),
        }
    }

    /// Set the state of region `i`: `s` finite, `f`, `v`, `q` finite and > 0.
    /// Panics if `i` is out of range.
    pub fn set_state(&mut self, i: usize, state: BoldState) -> Result<(), Error> {
        check_finite("s", state.s)?;
        check_positive("f", state.f)?;
        check_positive("v", state.v)?;
        check_positive("q", state.q)?;
        self.s[i] = state.s;
        self.ln_f[i] = state.f.ln();
        self.ln_v[i] = state.v.ln();
        self.ln_q[i] = state.q.ln();
        Ok(())
    }

    /// Right-hand side in `(s, ln f, ln v, ln q)` for input `z`.
    #[inline]
    fn rhs(&self, x: [f64; 4], z: f64) -> [f64; 4] {
        let [s, lf, lv, lq] = x;
        let p = &self.params;
        let f = lf.exp();
        // v^(1/α) / v
        let outflow_per_v = (lv * self.inv_alpha_m1).exp();
        // (1 − (1 − ρ)^(1/f)) / ρ, exactly 1 at f = 1
        let extraction = (self.ln_1m_rho / f).exp_m1() / self.neg_rho;
        [
            z - p.kappa * s - p.gamma * lf.exp_m1(),
            s / f,
            ((lf - lv).exp() - outflow_per_v) * self.inv_tau,
            ((lf - lq).exp() * extraction - outflow_per_v) * self.inv_tau,
        ]
    }

    /// Advance every region by `dt_s` seconds with RK4, region `i` driven by
    /// `z[i]` held constant over the step. Allocation-free. Panics unless
    /// `z.len() == n_regions()`; `dt_s` is not checked (a few ms is
    /// accurate, see the module docs).
    pub fn step(&mut self, z: &[f64], dt_s: f64) {
        assert_eq!(z.len(), self.n_regions(), "one input per region");
        let h = dt_s;
        let half = 0.5 * h;
        let sixth = h / 6.0;
        let add = |x: [f64; 4], c: f64, k: [f64; 4]| {
            [
                x[0] + c * k[0],
                x[1] + c * k[1],
                x[2] + c * k[2],
                x[3] + c * k[3],
            ]
        };
        for i in 0..z.len() {
            let zi = z[i];
            let x = [self.s[i], self.ln_f[i], self.ln_v[i], self.ln_q[i]];
            let k1 = self.rhs(x, zi);
            let k2 = self.rhs(add(x, half, k1), zi);
            let k3 = self.rhs(add(x, half, k2), zi);
            let k4 = self.rhs(add(x, h, k3), zi);
            let mut d = [0.0; 4];
            for j in 0..4 {
                d[j] = k1[j] + 2.0 * (k2[j] + k3[j]) + k4[j];
            }
            let y = add(x, sixth, d);
            self.s[i] = y[0];
            self.ln_f[i] = y[1];
            self.ln_v[i] = y[2];
            self.ln_q[i] = y[3];
        }
    }

    /// The BOLD signal of every region, written to `out`:
    /// `V0 [k1 (1 − q) + k2 (1 − q/v) + k3 (1 − v)]` (computed with `expm1`
    /// from the logs, so exactly 0 at rest). Panics unless
    /// `out.len() == n_regions()`.
    pub fn signal(&self, out: &mut [f64]) {
        assert_eq!(out.len(), self.n_regions(), "one output per region");
        let p = &self.params;
        for i in 0..out.len() {
            let (lv, lq) = (self.ln_v[i], self.ln_q[i]);
            out[i] = -p.v0 * (p.k1 * lq.exp_m1() + p.k2 * (lq - lv).exp_m1() + p.k3 * lv.exp_m1());
        }
    }
}

/// BOLD signal of a neural time series.
///
/// `z` is time-major (`z[t * n_regions + i]`), sample `t` being region
/// activity at `t · dt_ms`; it drives a [`Bold`] model started at rest, one
/// RK4 step of `dt_ms` per sample (the sample held over its step). BOLD is
/// read every `period_ms` (the repetition time, TR), which must be an
/// integer multiple of `dt_ms` (to 1e-9 relative). Returns `(t_ms, bold)`:
/// the times `period_ms, 2·period_ms, …` up to the end of the series
/// (`n_samples · dt_ms`) and the signal there, time-major like `z`. A series
/// shorter than one period gives empty vectors.
pub fn bold_series(
    z: &[f64],
    n_regions: usize,
    dt_ms: f64,
    period_ms: f64,
    params: BoldParams,
) -> Result<(Vec<f64>, Vec<f64>), Error> {
    let mut model = Bold::new(params, n_regions)?;
    check_positive("dt_ms", dt_ms)?;
    check_positive("period_ms", period_ms)?;
    let ratio = period_ms / dt_ms;
    let every = ratio.round();
    if every < 1.0 || (ratio - every).abs() > 1e-9 * every {
        return Err(Error::invalid(
            "period_ms",
            period_ms,
            &format!("an integer multiple of dt_ms = {dt_ms}"),
        ));
    }
    if z.len() % n_regions != 0 {
        return Err(Error::invalid(
            "z",
            format!("{} values", z.len()),
            &format!("a whole number of time steps of n_regions = {n_regions} values"),
        ));
    }
    if let Some(bad) = z.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid("z", bad, "finite numbers"));
    }
    let every = every as usize;
    let n_samples = z.len() / n_regions;
    let n_out = n_samples / every;
    let mut t_ms = Vec::with_capacity(n_out);
    let mut bold = vec![0.0; n_out * n_regions];
    let dt_s = dt_ms * 1e-3;
    for (t, zt) in z.chunks_exact(n_regions).enumerate() {
        model.step(zt, dt_s);
        if (t + 1) % every == 0 {
            let j = (t + 1) / every;
            t_ms.push(j as f64 * period_ms);
            model.signal(&mut bold[(j - 1) * n_regions..j * n_regions]);
        }
    }
    Ok((t_ms, bold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::test_util::invalid_key;

    /// BOLD of one region after a pulse `z = amp` over `[0, pulse_s)`,
    /// stepped at `dt_s` to `t_end_s`, sampled every `every` steps (the
    /// first sample after `every` steps).
    fn impulse_response(amp: f64, pulse_s: f64, dt_s: f64, t_end_s: f64, every: usize) -> Vec<f64> {
        let mut m = Bold::new(BoldParams::default(), 1).unwrap();
        let steps = (t_end_s / dt_s).round() as usize;
        let pulse_steps = (pulse_s / dt_s).round() as usize;
        let mut out = Vec::new();
        let mut y = [0.0];
        for k in 0..steps {
            let z = if k < pulse_steps { amp } else { 0.0 };
            m.step(&[z], dt_s);
            if (k + 1) % every == 0 {
                m.signal(&mut y);
                out.push(y[0]);
            }
        }
        out
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn defaults_are_the_classical_constants() {
        let p = BoldParams::default();
        assert!(p.validate().is_ok());
        assert!((p.k1 - 2.38).abs() < 1e-12);
        assert_eq!(p.k2, 2.0);
        assert!((p.k3 - 0.48).abs() < 1e-12);
        let q = p.with_rho(0.4);
        assert_eq!(q.rho, 0.4);
        assert!((q.k1 - 2.8).abs() < 1e-12 && (q.k3 - 0.6).abs() < 1e-12);
        assert_eq!(q.kappa, p.kappa);
    }

    /// z = 0 from rest: every derivative is exactly 0, so after 100 s at
    /// 1 ms the state is bit-for-bit rest and the signal exactly 0.
    #[test]
    fn rest_is_an_exact_fixed_point() {
        let mut m = Bold::new(BoldParams::default(), 3).unwrap();
        let z = [0.0; 3];
        for _ in 0..100_000 {
            m.step(&z, 1e-3);
        }
        for i in 0..3 {
            assert_eq!(m.state(i), BoldState::REST);
        }
        let mut y = [1.0; 3];
        m.signal(&mut y);
        assert_eq!(y, [0.0; 3]);
    }

    /// z = 1 for 0.1 s (dt = 1 ms): the canonical HRF. The response peaks
    /// between 3 and 7 s (measured: 3.55e-3 at 3.114 s; an independent
    /// RK4 of the untransformed equations gives the same), falls below 0
    /// (undershoot, measured −5.32e-4 = −15.0 % of the peak at 9.106 s) and
    /// returns to rest (|BOLD| < 1e-4 × peak after 60 s).
    #[test]
    fn impulse_gives_peak_then_undershoot_then_rest() {
        let dt = 1e-3;
        let r = impulse_response(1.0, 0.1, dt, 80.0, 1);
        let (i_peak, &peak) = r
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        let t_peak = (i_peak + 1) as f64 * dt;
        let (i_min, &min) = r[i_peak..]
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        let t_min = (i_peak + i_min + 1) as f64 * dt;
        assert!(peak > 0.0);
        assert!((3.0..7.0).contains(&t_peak), "peak at {t_peak} s");
        assert!(min < -0.02 * peak, "undershoot {min} vs peak {peak}");
        assert!(
            t_min > t_peak + 2.0 && t_min < 25.0,
            "undershoot at {t_min} s"
        );
        // It starts positive: no initial dip in this model.
        assert!(r[..i_peak].iter().all(|&y| y >= 0.0));
        let tail = r[60_000..].iter().fold(0.0_f64, |a, &y| a.max(y.abs()));
        assert!(tail < 1e-4 * peak, "tail {tail} vs peak {peak}");
    }

    /// Small inputs: r(2ε) − 2 r(ε) = O(ε²), i.e. O(ε) relative to the
    /// response: measured max |r(2ε) − 2 r(ε)| / max |r(2ε)| = 0.044 ε
    /// (4.41e-4 at ε = 1e-2, 4.41e-5 at ε = 1e-3).
    #[test]
    fn small_inputs_respond_linearly() {
        let dt = 1e-3;
        let dev = |eps: f64| {
            let r1 = impulse_response(eps, 0.1, dt, 30.0, 10);
            let r2 = impulse_response(2.0 * eps, 0.1, dt, 30.0, 10);
            let twice: Vec<f64> = r1.iter().map(|y| 2.0 * y).collect();
            let scale = r2.iter().fold(0.0_f64, |a, &y| a.max(y.abs()));
            max_abs_diff(&r2, &twice) / scale
        };
        let (d2, d3) = (dev(1e-2), dev(1e-3));
        assert!(d2 < 0.1 * 1e-2, "eps 1e-2: {d2}");
        assert!(d3 < 0.1 * 1e-3, "eps 1e-3: {d3}");
        let ratio = d2 / d3;
        assert!((9.0..11.0).contains(&ratio), "ratio {ratio}");
        // And zero input gives exactly zero response.
        assert!(
            impulse_response(0.0, 0.1, dt, 5.0, 1)
                .iter()
                .all(|&y| y == 0.0)
        );
    }

    /// Constant z: the state converges to the analytic steady state
    /// f = 1 + z/γ, v = f^α, q = v (1 − (1 − ρ)^(1/f)) / ρ (from dq/dt = 0:
    /// q = v f E(f) / (ρ v^(1/α)) with v^(1/α) = f), s = 0, and BOLD to the
    /// signal equation at (v, q). Regions are independent.
    #[test]
    fn constant_input_reaches_the_analytic_steady_state() {
        let p = BoldParams::default();
        let zs = [0.5, 0.1, -0.2, 2.0];
        let mut m = Bold::new(p, zs.len()).unwrap();
        for _ in 0..20_000 {
            m.step(&zs, 0.01);
        }
        let mut y = [0.0; 4];
        m.signal(&mut y);
        for (i, &z) in zs.iter().enumerate() {
            let f = 1.0 + z / p.gamma;
            let v = f.powf(p.alpha);
            let q = v * f * (1.0 - (1.0 - p.rho).powf(1.0 / f)) / (p.rho * v.powf(1.0 / p.alpha));
            let bold = p.v0 * (p.k1 * (1.0 - q) + p.k2 * (1.0 - q / v) + p.k3 * (1.0 - v));
            let st = m.state(i);
            assert!(st.s.abs() < 1e-12, "s = {}", st.s);
            for (got, want, name) in [(st.f, f, "f"), (st.v, v, "v"), (st.q, q, "q")] {
                assert!((got / want - 1.0).abs() < 1e-10, "{name}: {got} vs {want}");
            }
            assert!((y[i] - bold).abs() < 1e-12, "bold {} vs {bold}", y[i]);
        }
        // More activity, more signal.
        assert!(y[3] > y[0] && y[0] > y[1] && y[1] > 0.0 && y[2] < 0.0);
    }

    /// RK4 is fourth order: with the pulse edge on the step grid, halving
    /// dt shrinks the change in the impulse response about 16-fold
    /// (dt = 100, 50, 25 ms and 50, 25, 12.5 ms, compared every 100 ms over
    /// 30 s; measured orders 4.22 and 4.11).
    #[test]
    fn halving_dt_converges_at_fourth_order() {
        let r = |dt: f64| impulse_response(1.0, 0.1, dt, 30.0, (0.1 / dt).round() as usize);
        let (a, b, c, d) = (r(0.1), r(0.05), r(0.025), r(0.0125));
        let peak = d.iter().fold(0.0_f64, |m, &y| m.max(y));
        let (d1, d2, d3) = (
            max_abs_diff(&a, &b),
            max_abs_diff(&b, &c),
            max_abs_diff(&c, &d),
        );
        let (o1, o2) = ((d1 / d2).log2(), (d2 / d3).log2());
        for o in [o1, o2] {
            assert!((3.7..4.4).contains(&o), "observed order {o}");
        }
        // Extrapolated to dt = 1 ms the error is negligible: below 1e-11 of
        // the peak (d3 bounds the error at 12.5 ms; measured 1.7e-12).
        let err_1ms = d3 / 12.5f64.powi(4);
        assert!(err_1ms < 1e-11 * peak, "{err_1ms}");
    }

    /// `bold_series` matches stepping the model by hand, reads every
    /// `period_ms / dt_ms` steps, and rejects periods that are not whole
    /// multiples of the step.
    #[test]
    fn bold_series_samples_every_period() {
        let n = 2;
        let dt_ms = 0.5;
        let n_t = 20_001; // 10 000.5 ms
        let z: Vec<f64> = (0..n_t * n)
            .map(|k| {
                let (t, i) = (k / n, k % n);
                if t < 200 { 1.0 + i as f64 } else { 0.0 }
            })
            .collect();
        let (t_ms, bold) = bold_series(&z, n, dt_ms, 2000.0, BoldParams::default()).unwrap();
        assert_eq!(t_ms, vec![2000.0, 4000.0, 6000.0, 8000.0, 10_000.0]);
        assert_eq!(bold.len(), 5 * n);
        let mut m = Bold::new(BoldParams::default(), n).unwrap();
        let mut y = [0.0; 2];
        for (t, zt) in z.chunks_exact(n).enumerate() {
            m.step(zt, dt_ms * 1e-3);
            if (t + 1) % 4000 == 0 {
                m.signal(&mut y);
                let j = (t + 1) / 4000 - 1;
                assert_eq!(&bold[j * n..(j + 1) * n], &y);
            }
        }
        // Region 1 had twice the drive: larger response at the 4 s sample.
        assert!(bold[3] > bold[2] && bold[2] > 0.0);

        // A period that is a multiple only up to rounding is accepted.
        let (t, _) = bold_series(&z[..2 * 7200 * n], n, 0.1, 720.0, BoldParams::default()).unwrap();
        assert_eq!(t.len(), 2);
        // Period equal to dt: every sample.
        let (t, b) = bold_series(&z[..6], n, dt_ms, dt_ms, BoldParams::default()).unwrap();
        assert_eq!((t, b.len()), (vec![0.5, 1.0, 1.5], 6));
        // Shorter than one period: empty.
        let (t, b) = bold_series(&z[..10], n, dt_ms, 2000.0, BoldParams::default()).unwrap();
        assert!(t.is_empty() && b.is_empty());

        let err = |r: Result<(Vec<f64>, Vec<f64>), Error>| invalid_key(r.unwrap_err());
        let p = BoldParams::default();
        assert_eq!(err(bold_series(&z, n, dt_ms, 2000.2, p)), "period_ms");
        assert_eq!(err(bold_series(&z, n, dt_ms, 0.25, p)), "period_ms");
        assert_eq!(err(bold_series(&z, n, dt_ms, -1.0, p)), "period_ms");
        assert_eq!(err(bold_series(&z, n, 0.0, 2000.0, p)), "dt_ms");
        assert_eq!(err(bold_series(&z[..3], n, dt_ms, 2000.0, p)), "z");
        assert_eq!(err(bold_series(&[f64::NAN, 0.0], n, dt_ms, 2000.0, p)), "z");
        assert_eq!(err(bold_series(&z, 0, dt_ms, 2000.0, p)), "n_regions");
        let msg = bold_series(&z, n, dt_ms, 2000.2, p)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("integer multiple of dt_ms = 0.5"), "{msg}");
    }

    #[test]
    fn state_round_trips_and_reset_returns_to_rest() {
        let mut m = Bold::new(BoldParams::default(), 2).unwrap();
        let st = BoldState {
            s: 0.3,
            f: 1.2,
            v: 1.05,
            q: 0.9,
        };
        m.set_state(1, st).unwrap();
        let got = m.state(1);
        for (a, b) in [(got.s, st.s), (got.f, st.f), (got.v, st.v), (got.q, st.q)] {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(m.state(0), BoldState::REST);
        assert_eq!(m.ln_f()[1], 1.2f64.ln());
        let bad = BoldState { v: 0.0, ..st };
        assert_eq!(invalid_key(m.set_state(0, bad).unwrap_err()), "v");
        m.reset();
        assert_eq!(m.state(1), BoldState::REST);
        assert_eq!(m.s(), &[0.0, 0.0]);
        assert_eq!(m.ln_v(), &[0.0, 0.0]);
        assert_eq!(m.ln_q(), &[0.0, 0.0]);
    }

    #[test]
    fn validation_names_the_key() {
        let ok = BoldParams::default();
        let cases: [(&str, BoldParams); 9] = [
            ("kappa", BoldParams { kappa: 0.0, ..ok }),
            ("gamma", BoldParams { gamma: -0.1, ..ok }),
            (
                "tau",
                BoldParams {
                    tau: f64::NAN,
                    ..ok
                },
            ),
            ("alpha", BoldParams { alpha: 1.0, ..ok }),
            ("rho", BoldParams { rho: 0.0, ..ok }),
            ("v0", BoldParams { v0: 0.0, ..ok }),
            ("k1", BoldParams { k1: f64::NAN, ..ok }),
            (
                "k2",
                BoldParams {
                    k2: f64::INFINITY,
                    ..ok
                },
            ),
            (
                "k3",
                BoldParams {
                    k3: f64::NEG_INFINITY,
                    ..ok
                },
            ),
        ];
        for (key, p) in cases {
            assert_eq!(invalid_key(p.validate().unwrap_err()), key);
            assert_eq!(invalid_key(Bold::new(p, 1).unwrap_err()), key);
        }
        assert_eq!(
            invalid_key(BoldParams { rho: 1.2, ..ok }.validate().unwrap_err()),
            "rho"
        );
        assert_eq!(invalid_key(Bold::new(ok, 0).unwrap_err()), "n_regions");
    }
}
