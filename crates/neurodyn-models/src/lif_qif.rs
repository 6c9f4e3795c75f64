//! A spiking network mixing quadratic integrate-and-fire neurons (in their
//! theta form) and leaky integrate-and-fire neurons, coupled through
//! exponential synaptic traces: the network of the force-motifs study.
//!
//! Time is in units of the membrane time constant (10 ms in the study).
//! Neurons `0..n_qif` are QIF, the rest LIF:
//!
//! * LIF: `dv/dt = -v + I`; a spike when `v` crosses `v_threshold` from
//!   below, then `v <- v_reset`.
//! * QIF (theta neuron): `dθ/dt = 1 - cos θ + I (1 + cos θ)`; a spike when
//!   the phase crosses π going forward; θ is kept in `[0, 2π)`.
//! * Trace: `dr/dt = -b r` with `b = 1 / ts`, and `r += b` at each spike of
//!   the neuron, so each spike adds unit area.
//! * Input: `I_i = I_ext,i + Σ_j W_ij r_j`, the synaptic part computed once
//!   per step and held over the step; `I_ext,i` is a per-neuron background
//!   current, on during a stimulus window.
//! * Noise, additive in `v` and `θ`, with one of two scalings
//!   ([`NoiseScaling`]).
//!
//! Integration is the explicit midpoint method (RK2). With
//! [`NoiseScaling::Sde`] the increment `σ √dt ξ` (one `ξ` per step) enters the
//! midpoint with half weight and the step with full weight: the stochastic
//! midpoint scheme for additive noise, whose one-step variance is `σ² dt`, so
//! statistics do not depend on `dt`. [`NoiseScaling::Notebook`] reproduces
//! the reference notebook: a fresh `σ ξ` is added to the derivative at each
//! of the two stages and multiplied by `dt`, so the noise variance scales as
//! `dt²` (weaker noise at smaller steps).

use std::f64::consts::PI;

use neurodyn_core::{Error, Rng};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::sparse::Csr;

/// How the noise scales with the time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseScaling {
    /// `σ √dt ξ` per step (Euler–Maruyama/Heun scaling).
    Sde,
    /// The reference notebook's `dt σ ξ` at each RK2 stage.
    Notebook,
}

impl NoiseScaling {
    /// From the pipeline's name (`"sde"`, `"notebook"`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "sde" => Ok(NoiseScaling::Sde),
            "notebook" => Ok(NoiseScaling::Notebook),
            _ => Err(Error::invalid(
                "noise_scaling",
                s,
                "\"sde\" or \"notebook\"",
            )),
        }
    }
}

/// Validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LifQifParams {
    /// Number of neurons.
    pub n: usize,
    /// Connection probability.
    pub p: f64,
    /// Synaptic strength: weights are `N(0,1) gsyn / sqrt(p n)` before centring.
    pub gsyn: f64,
    /// Fraction of QIF neurons.
    pub pqif: f64,
    /// LIF threshold.
    pub v_threshold: f64,
    /// LIF reset (unused for a pure QIF network).
    pub v_reset: f64,
    /// Synaptic decay time `ts` (`b = 1 / ts`).
    pub ts: f64,
    /// Time step.
    pub dt: f64,
    /// Noise amplitude.
    pub sigma: f64,
    /// Noise scaling.
    pub noise: NoiseScaling,
    /// Background currents are `amp (2U - 1)`.
    pub background_amp: f64,
}

impl LifQifParams {
    /// Check every value; errors name the parameter and the allowed range.
    pub fn validate(&self) -> Result<(), Error> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, v, "a finite number > 0"))
            }
        };
        if self.n < 2 {
            return Err(Error::invalid("n", self.n, "at least 2"));
        }
        if !(self.p > 0.0 && self.p <= 1.0) {
            return Err(Error::invalid("p", self.p, "0 < p <= 1"));
        }
        if !(0.0..=1.0).contains(&self.pqif) {
            return Err(Error::invalid("pqif", self.pqif, "0 <= pqif <= 1"));
        }
        pos("gsyn", self.gsyn)?;
        pos("ts", self.ts)?;
        pos("dt", self.dt)?;
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(Error::invalid("sigma", self.sigma, "a finite number >= 0"));
        }
        if !(self.background_amp.is_finite() && self.background_amp >= 0.0) {
            return Err(Error::invalid(
                "amp_current",
                self.background_amp,
                "a finite number >= 0",
            ));
        }
        if self.n_qif() < self.n
            && !(self.v_reset.is_finite()
                && self.v_threshold.is_finite()
                && self.v_reset < self.v_threshold)
        {
            return Err(Error::invalid(
                "v_reset",
                self.v_reset,
                "finite and below v_threshold",
            ));
        }
        Ok(())
    }

    /// Number of QIF neurons, `floor(n pqif)` (the first ones).
    pub fn n_qif(&self) -> usize {
        ((self.n as f64 * self.pqif) + 1e-9).floor() as usize
    }

    /// Trace jump and decay rate `b = 1 / ts`.
    pub fn b(&self) -> f64 {
        1.0 / self.ts
    }
}

/// The network: connectivity, background and state.
#[derive(Debug, Clone)]
pub struct LifQifNet {
    /// Parameters.
    pub params: LifQifParams,
    /// Number of QIF neurons (the first ones).
    pub n_qif: usize,
    /// Weights, row `i` = inputs of neuron `i`.
    pub w: Csr,
    /// Background current of each neuron during the stimulus window.
    pub background: Vec<f64>,
    /// Membrane potential (LIF) or phase (QIF).
    pub x: Vec<f64>,
    /// Synaptic traces.
    pub r: Vec<f64>,
    /// External current of the last step.
    pub external: Vec<f64>,
    /// Synaptic input `W r` of the last step.
    pub synaptic: Vec<f64>,
    /// Noise of the last step as a current (its contribution to `dx/dt`).
    pub noise: Vec<f64>,
    xi: Vec<f64>,
}

/// Sparse random weights: each `(i, j)`, `i != j`, present with probability
/// `p`, value `N(0, 1) gsyn / sqrt(p n)`; then each row is centred over its
/// nonzero entries.
pub fn connectivity(params: &LifQifParams, rng: &mut Rng) -> Csr {
    let n = params.n;
    let scale = params.gsyn / (params.p * n as f64).sqrt();
    let mut trip: Vec<(u32, u32, f64)> = Vec::new();
    for i in 0..n {
        let start = trip.len();
        for j in 0..n {
            if i != j && rng.random::<f64>() < params.p {
                let z: f64 = StandardNormal.sample(rng);
                trip.push((i as u32, j as u32, z * scale));
            }
        }
        let row = &mut trip[start..];
        if !row.is_empty() {
            let m = row.iter().map(|t| t.2).sum::<f64>() / row.len() as f64;
            row.iter_mut().for_each(|t| t.2 -= m);
        }
    }
    Csr::from_sorted_triplets(n, n, &trip)
}

impl LifQifNet {
    /// Draw, in this order: initial states (QIF phases uniform in `[0, 2π)`,
    /// LIF potentials uniform in `[v_reset, v_threshold)`), background
    /// currents, connectivity.
    pub fn new(params: LifQifParams, rng: &mut Rng) -> Result<Self, Error> {
        params.validate()?;
        let n = params.n;
        let n_qif = params.n_qif();
        let x: Vec<f64> = (0..n)
            .map(|i| {
                let u = rng.random::<f64>();
                if i < n_qif {
                    2.0 * PI * u
                } else {
                    params.v_reset + (params.v_threshold - params.v_reset) * u
                }
            })
            .collect();
        let background = (0..n)
            .map(|_| params.background_amp * (2.0 * rng.random::<f64>() - 1.0))
            .collect();
        let w = connectivity(&params, rng);
        Ok(LifQifNet {
            n_qif,
            w,
            background,
            x,
            r: vec![0.0; n],
            external: vec![0.0; n],
            synaptic: vec![0.0; n],
            noise: vec![0.0; n],
            xi: vec![0.0; 2 * n],
            params,
        })
    }

    /// Advance one step, with the background on or off; noise from `rng`.
    /// Pushes the indices of the neurons that spiked to `spikes` (cleared
    /// first).
    pub fn step(&mut self, stimulus_on: bool, rng: &mut Rng, spikes: &mut Vec<u32>) {
        self.compute_synaptic();
        self.step_prepared(stimulus_on, rng, spikes);
    }

    /// `synaptic = W r` with the current weights and traces.
    pub fn compute_synaptic(&mut self) {
        for i in 0..self.params.n {
            let r = self.w.indptr[i]..self.w.indptr[i + 1];
            self.synaptic[i] = self.w.indices[r.clone()]
                .iter()
                .zip(&self.w.values[r])
                .fold(0.0, |a, (&j, &v)| a + v * self.r[j as usize]);
        }
    }

    /// [`step`](Self::step) with `synaptic` already equal to `W r` (from
    /// [`compute_synaptic`](Self::compute_synaptic) after the last change of
    /// `W` or `r`): a trainer that needs the readout `W r` anyway computes it
    /// once.
    pub fn step_prepared(&mut self, stimulus_on: bool, rng: &mut Rng, spikes: &mut Vec<u32>) {
        let p = &self.params;
        let (n, nq, dt, b) = (p.n, self.n_qif, p.dt, p.b());
        spikes.clear();
        let draws = match p.noise {
            NoiseScaling::Sde => n,
            NoiseScaling::Notebook => 2 * n,
        };
        for v in &mut self.xi[..draws] {
            *v = StandardNormal.sample(rng);
        }
        let (sqdt, sigma) = (dt.sqrt(), p.sigma);
        for i in 0..n {
            let ext = if stimulus_on { self.background[i] } else { 0.0 };
            self.external[i] = ext;
            let input = ext + self.synaptic[i];
            let x = self.x[i];
            let f = |x: f64| {
                if i < nq {
                    let c = x.cos();
                    1.0 - c + input * (1.0 + c)
                } else {
                    -x + input
                }
            };
            let xn = match p.noise {
                NoiseScaling::Sde => {
                    let dw = sigma * sqdt * self.xi[i];
                    self.noise[i] = dw / dt;
                    let mid = x + 0.5 * dt * f(x) + 0.5 * dw;
                    x + dt * f(mid) + dw
                }
                NoiseScaling::Notebook => {
                    let (a, c) = (sigma * self.xi[i], sigma * self.xi[n + i]);
                    self.noise[i] = a;
                    let mid = x + 0.5 * dt * (f(x) + a);
                    x + dt * (f(mid) + c)
                }
            };
            let mut spiked = false;
            if i < nq {
                // forward crossing of pi: the phase advanced past its distance to pi
                let to_pi = if x <= PI { PI - x } else { 3.0 * PI - x };
                spiked = xn - x > to_pi;
                self.x[i] = xn.rem_euclid(2.0 * PI);
            } else if x < p.v_threshold && xn >= p.v_threshold {
                spiked = true;
                self.x[i] = p.v_reset;
            } else {
                self.x[i] = xn;
            }
            // exact for the linear decay at second order: r (1 - h + h²/2)
            let h = b * dt;
            let mut r = self.r[i] * (1.0 - h + 0.5 * h * h);
            if spiked {
                r += b;
                spikes.push(i as u32);
            }
            self.r[i] = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    fn params(n: usize, pqif: f64) -> LifQifParams {
        LifQifParams {
            n,
            p: 0.3,
            gsyn: 0.5,
            pqif,
            v_threshold: 0.0,
            v_reset: -12.3,
            ts: 5.0,
            dt: 0.1,
            sigma: 1.0,
            noise: NoiseScaling::Sde,
            background_amp: 20.0,
        }
    }

    /// Uncoupled, noiseless neurons with a constant current `input`.
    fn isolated(pqif: f64, input: f64, v_reset: f64, dt: f64) -> LifQifNet {
        let mut p = params(2, pqif);
        p.sigma = 0.0;
        p.v_reset = v_reset;
        p.dt = dt;
        let mut net = LifQifNet::new(p, &mut Seed::derive(1, "net", &[]).rng()).unwrap();
        net.w.values.iter_mut().for_each(|v| *v = 0.0);
        net.background = vec![input; 2];
        net
    }

    fn spike_times(net: &mut LifQifNet, steps: usize) -> Vec<f64> {
        let mut rng = Seed::derive(2, "noise", &[]).rng();
        let mut spikes = Vec::new();
        let mut t = Vec::new();
        for s in 0..steps {
            net.step(true, &mut rng, &mut spikes);
            if spikes.contains(&0) {
                t.push((s + 1) as f64 * net.params.dt);
            }
        }
        t
    }

    #[test]
    fn lif_fires_with_the_analytic_period() {
        // dv/dt = -v + I from v_reset to threshold 0: T = ln((I - v_r) / I)
        let (input, vr, dt) = (2.0, -1.0, 0.001);
        let mut net = isolated(0.0, input, vr, dt);
        let t = spike_times(&mut net, 20_000);
        let periods: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        let want = ((input - vr) / input).ln();
        assert!(periods.len() > 10);
        for p in periods {
            assert!((p - want).abs() <= dt * 1.01, "{p} vs {want}");
        }
    }

    #[test]
    fn qif_fires_with_the_analytic_period() {
        // theta neuron with constant I > 0: T = pi / sqrt(I)
        let (input, dt) = (0.5, 0.001);
        let mut net = isolated(1.0, input, 0.0, dt);
        let t = spike_times(&mut net, 50_000);
        let periods: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        let want = PI / input.sqrt();
        assert!(periods.len() > 5);
        for p in periods {
            assert!((p - want).abs() <= dt * 1.01, "{p} vs {want}");
        }
        // and never a spike for I < 0 (a stable fixed point)
        let mut net = isolated(1.0, -0.5, 0.0, dt);
        net.x = vec![0.1, 0.1];
        assert!(spike_times(&mut net, 20_000).is_empty());
    }

    #[test]
    fn trace_jumps_by_b_and_decays_at_rate_b() {
        // Sampled every step, a spike's trace contributes b dt q^k at the
        // k-th step after it, q = 1 - h + h²/2 (h = b dt, the midpoint
        // factor); so the summed trace equals an independent sum over the
        // spike times. Its continuous-time limit is unit area per spike.
        let mut net =
            LifQifNet::new(params(50, 0.5), &mut Seed::derive(3, "net", &[]).rng()).unwrap();
        net.w.values.iter_mut().for_each(|v| *v = 0.0);
        let mut rng = Seed::derive(4, "noise", &[]).rng();
        let mut spikes = Vec::new();
        let steps = 30_000;
        let (mut area, mut want, mut count) = (0.0, 0.0, 0usize);
        let (b, dt) = (net.params.b(), net.params.dt);
        let h = b * dt;
        let q: f64 = 1.0 - h + 0.5 * h * h;
        for s in 0..steps {
            net.step(s < 10_000, &mut rng, &mut spikes);
            count += spikes.len();
            let left = steps - s; // samples including this one
            want += spikes.len() as f64 * b * dt * (1.0 - q.powi(left)) / (1.0 - q);
            area += net.r.iter().sum::<f64>() * dt;
        }
        assert!(count > 1000);
        assert!((area - want).abs() < 1e-9 * want, "{area} vs {want}");
        // unit area per spike up to the sampling bias h/2 and the tail
        assert!(
            (area / count as f64 - 1.0).abs() < h,
            "{area} for {count} spikes"
        );
    }

    #[test]
    fn sde_noise_variance_does_not_depend_on_dt_and_the_notebook_scaling_does() {
        // free LIF (threshold out of reach): dv = -v dt + sigma dW has
        // stationary variance sigma^2 / 2 whatever dt
        let var = |noise: NoiseScaling, dt: f64| {
            let mut p = params(400, 0.0);
            p.v_threshold = 1e9;
            p.v_reset = -1.0;
            p.dt = dt;
            p.noise = noise;
            let mut net = LifQifNet::new(p, &mut Seed::derive(5, "net", &[]).rng()).unwrap();
            net.w.values.iter_mut().for_each(|v| *v = 0.0);
            net.x.iter_mut().for_each(|v| *v = 0.0);
            let mut rng = Seed::derive(6, "noise", &[]).rng();
            let mut spikes = Vec::new();
            let (mut s, mut s2, mut k) = (0.0, 0.0, 0.0);
            let steps = (20.0 / dt) as usize;
            for st in 0..steps {
                net.step(false, &mut rng, &mut spikes);
                if st * 2 > steps {
                    for &x in &net.x {
                        s += x;
                        s2 += x * x;
                        k += 1.0;
                    }
                }
            }
            s2 / k - (s / k) * (s / k)
        };
        // 400 neurons x ~10 correlation times: relative sd of the
        // variance estimate about sqrt(2 / 4000) = 2 %; allow 10 % plus the
        // scheme's O(dt) bias
        for dt in [0.1, 0.02] {
            let v = var(NoiseScaling::Sde, dt);
            assert!((v - 0.5).abs() < 0.05 + 0.5 * dt, "dt {dt}: {v}");
        }
        let (a, b) = (
            var(NoiseScaling::Notebook, 0.1),
            var(NoiseScaling::Notebook, 0.02),
        );
        // notebook: variance ~ sigma^2 dt / 2 (per-step noise dt sigma)
        assert!(
            a / b > 3.0,
            "notebook scaling should shrink with dt: {a} vs {b}"
        );
    }

    #[test]
    fn connectivity_rows_are_centred_without_autapses() {
        let p = params(200, 0.5);
        let w = connectivity(&p, &mut Seed::derive(7, "w", &[]).rng());
        let nnz = w.nnz() as f64;
        let want = 0.3 * 200.0 * 199.0;
        assert!((nnz - want).abs() < 5.0 * (want * 0.7).sqrt(), "{nnz}");
        for i in 0..200 {
            assert_eq!(w.get(i, i), 0.0);
            let r = w.indptr[i]..w.indptr[i + 1];
            let s: f64 = w.values[r].iter().sum();
            assert!(s.abs() < 1e-12);
        }
        // variance of the entries: (gsyn^2 / (p n)) (1 - 1/K) after centring
        let var = w.values.iter().map(|v| v * v).sum::<f64>() / nnz;
        let want = 0.25 / 60.0 * (1.0 - 1.0 / 60.0);
        assert!(
            (var / want - 1.0).abs() < 5.0 * (2.0 / nnz).sqrt(),
            "{var} vs {want}"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        let mut p = params(10, 0.5);
        p.v_reset = 1.0;
        let e = LifQifNet::new(p, &mut Seed::derive(1, "x", &[]).rng()).unwrap_err();
        assert!(e.to_string().contains("v_reset"), "{e}");
        let mut p = params(10, 1.0);
        p.v_reset = f64::NAN; // unused by a pure QIF network
        assert!(LifQifNet::new(p, &mut Seed::derive(1, "x", &[]).rng()).is_ok());
        assert!(NoiseScaling::parse("ito").is_err());
    }
}
