//! One trajectory of a sparse rate RNN, stepped by the simulation driver
//! ([`neurodyn_core::drive::drive`]): the same equations, connectivity and initial
//! state as [`crate::rate_rnn`], without twins or tangents.
//!
//! - `seed` form: `tau dr/dt = -r + tanh(g W r)`, recorded as `r`;
//! - `classic` form: `tau dx/dt = -x + g W tanh(x)`, recorded as `x` and
//!   the rate `tanh(x)` as `r`.

use neurodyn_core::{Dynamics, Rng};

use crate::math::tanh;
use crate::rate_rnn::{RnnForm, RnnParams, connectivity, initial_states};
use crate::sparse::Csr;

/// A rate network: parameters, connectivity `g W`, state.
#[derive(Debug, Clone)]
pub struct RateNetwork {
    params: RnnParams,
    gw: Csr,
    /// `r` (seed form) or `x` (classic form).
    state: Vec<f64>,
    /// `tanh(x)` in the classic form (the rate), else unused.
    rate: Vec<f64>,
    input: Vec<f64>,
}

impl RateNetwork {
    /// Draw the connectivity and then the initial state (uniform in
    /// `[-1, 1)`) from `rng`, in that order.
    pub fn new(params: RnnParams, rng: &mut Rng) -> Self {
        let mut gw = connectivity(&params, rng);
        gw.scale(params.g);
        let state = initial_states(params.n, 1, rng).remove(0);
        let n = params.n;
        let mut net = RateNetwork {
            params,
            gw,
            state,
            rate: vec![0.0; n],
            input: vec![0.0; n],
        };
        net.update_rate();
        net
    }

    fn update_rate(&mut self) {
        if self.params.form == RnnForm::Classic {
            for (r, &x) in self.rate.iter_mut().zip(&self.state) {
                *r = tanh(x);
            }
        }
    }

    /// The state: `r` (seed form) or `x` (classic form).
    pub fn state(&self) -> &[f64] {
        &self.state
    }
}

impl Dynamics for RateNetwork {
    fn model_name(&self) -> &'static str {
        match self.params.form {
            RnnForm::Seed => "rate-rnn (seed form)",
            RnnForm::Classic => "rate-rnn (classic form)",
        }
    }

    fn nodes(&self) -> usize {
        self.params.n
    }

    fn variables(&self) -> &'static [&'static str] {
        match self.params.form {
            RnnForm::Seed => &["r"],
            RnnForm::Classic => &["r", "x"],
        }
    }

    fn values(&self, index: usize) -> &[f64] {
        match (self.params.form, index) {
            (RnnForm::Seed, _) | (RnnForm::Classic, 1) => &self.state,
            (RnnForm::Classic, _) => &self.rate,
        }
    }

    fn step(&mut self) {
        let a = self.params.a();
        match self.params.form {
            RnnForm::Seed => {
                self.gw.mul_block(&self.state, 1, &mut self.input);
                for (r, &u) in self.state.iter_mut().zip(&self.input) {
                    *r += a * (tanh(u) - *r);
                }
            }
            RnnForm::Classic => {
                self.gw.mul_block(&self.rate, 1, &mut self.input);
                for (x, &u) in self.state.iter_mut().zip(&self.input) {
                    *x += a * (u - *x);
                }
                self.update_rate();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    fn net(g: f64, form: RnnForm) -> RateNetwork {
        let p = RnnParams::try_new(100, 0.2, g, 20.0, 1.0, form).unwrap();
        RateNetwork::new(p, &mut Seed::derive(1, "t", &[]).rng())
    }

    #[test]
    fn below_the_transition_activity_decays_to_zero() {
        // g < 1: the origin is stable; the state shrinks geometrically
        for form in [RnnForm::Seed, RnnForm::Classic] {
            let mut m = net(0.5, form);
            let n0: f64 = m.state().iter().map(|x| x * x).sum();
            for _ in 0..2000 {
                m.step();
            }
            let n1: f64 = m.state().iter().map(|x| x * x).sum();
            assert!(n1 < 1e-12 * n0, "{form:?}: {n0} -> {n1}");
        }
    }

    #[test]
    fn the_step_is_euler_on_the_equations() {
        // compare one step with a dense computation
        let mut m = net(2.0, RnnForm::Seed);
        let w = m.gw.to_dense();
        let r0 = m.state().to_vec();
        m.step();
        for i in 0..100 {
            let u: f64 = (0..100).map(|j| w[i * 100 + j] * r0[j]).sum();
            let want = r0[i] + 0.05 * (u.tanh() - r0[i]);
            assert!((m.state()[i] - want).abs() < 1e-12, "{i}");
        }
    }
}
