//! The reference notebook's layered feed-forward branching model.
//!
//! `layers` layers of `neurons` binary neurons; every neuron of layer `l`
//! projects to every neuron of layer `l + 1`. One step:
//! 1. every neuron becomes active with the spontaneous probability `s`
//!    (on top of its current state);
//! 2. each neuron of layer `l + 1` fires with probability `p(k)`, `k` the
//!    active neurons of layer `l` after step 1, and layer `l` is cleared:
//!    activity moves one layer per step; layer 0 keeps only what the next
//!    step's spontaneous activity or an input pulse puts there.
//!
//! `p(k)` is the independent-transmission rule `1 − (1 − σ/N)^k` (each
//! active neuron transmits independently with probability `σ/N`) by
//! default, or the notebook's linear rule `σ k / N` (clipped at 1: it
//! exceeds 1 for `σ k > N`). The expected number of neurons activated by
//! one active neuron is `σ` under both rules when activity is sparse.
//!
//! The layers' counts form a Markov chain along the layers:
//! [`exact_count_distributions`] propagates their distributions exactly.
//!
//! Input: [`LayeredNetwork::pulse`] activates distinct random neurons of
//! layer 0; [`LayeredNetwork::run`] steps the network and pulses it every
//! `interval_steps` steps (the notebook's `run_with_input`), or without
//! pulses reproduces `run_stochastic`.

use neurodyn_core::{Error, Rng};
use rand::RngExt;

/// Firing probability of a neuron given `k` active neurons upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transmission {
    /// `1 − (1 − σ/N)^k`.
    Independent,
    /// The notebook's `min(1, σ k / N)`.
    Linear,
}

impl Transmission {
    /// From its name (`independent`, `linear`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "independent" => Ok(Transmission::Independent),
            "linear" => Ok(Transmission::Linear),
            _ => Err(Error::invalid(
                "transmission",
                s,
                "\"independent\" or \"linear\"",
            )),
        }
    }
}

/// Validated parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayeredParams {
    /// Layers.
    pub layers: usize,
    /// Neurons per layer.
    pub neurons: usize,
    /// Branching ratio σ.
    pub sigma: f64,
    /// Spontaneous activation probability per neuron and step.
    pub spont_prob: f64,
    /// Firing rule.
    pub rule: Transmission,
}

impl LayeredParams {
    /// Check every value.
    pub fn validate(&self) -> Result<(), Error> {
        if self.layers < 2 || self.neurons < 1 {
            return Err(Error::invalid(
                "layers, neurons",
                format!("{}, {}", self.layers, self.neurons),
                "at least 2 layers of at least 1 neuron",
            ));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0 && self.sigma <= self.neurons as f64) {
            return Err(Error::invalid(
                "sigma",
                self.sigma,
                "0 <= sigma <= neurons per layer",
            ));
        }
        if !(0.0..=1.0).contains(&self.spont_prob) {
            return Err(Error::invalid("spont_prob", self.spont_prob, "0 <= p <= 1"));
        }
        Ok(())
    }

    /// `p(k)`.
    pub fn fire_prob(&self, k: usize) -> f64 {
        let n = self.neurons as f64;
        match self.rule {
            Transmission::Independent => 1.0 - (1.0 - self.sigma / n).powi(k as i32),
            Transmission::Linear => (self.sigma * k as f64 / n).min(1.0),
        }
    }
}

/// Input pulses for [`LayeredNetwork::run`]: `input_neurons` distinct
/// random neurons of layer 0 are activated after every step whose index is
/// a multiple of `interval_steps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pulses {
    /// Steps between pulses (at least 1).
    pub interval_steps: usize,
    /// Neurons activated by each pulse (at most the neurons per layer).
    pub input_neurons: usize,
}

impl Pulses {
    /// Check both values against a layer of `neurons` neurons.
    pub fn validate(&self, neurons: usize) -> Result<(), Error> {
        if self.interval_steps == 0 {
            return Err(Error::invalid("interval_steps", 0, "at least 1"));
        }
        check_input_neurons(self.input_neurons, neurons)
    }
}

fn check_input_neurons(input_neurons: usize, neurons: usize) -> Result<(), Error> {
    if input_neurons > neurons {
        return Err(Error::invalid(
            "input_neurons",
            input_neurons,
            &format!("at most the neurons per layer ({neurons})"),
        ));
    }
    Ok(())
}

/// The network state: `layers × neurons` binary neurons, row-major by layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayeredNetwork {
    params: LayeredParams,
    /// Activity, `state[l * neurons + i]`.
    pub state: Vec<bool>,
}

impl LayeredNetwork {
    /// A silent network.
    pub fn new(params: LayeredParams) -> Result<Self, Error> {
        params.validate()?;
        Ok(LayeredNetwork {
            state: vec![false; params.layers * params.neurons],
            params,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &LayeredParams {
        &self.params
    }

    /// Active neurons of layer `l`.
    pub fn count(&self, l: usize) -> usize {
        let n = self.params.neurons;
        self.state[l * n..(l + 1) * n]
            .iter()
            .filter(|&&a| a)
            .count()
    }

    /// Activate `input_neurons` distinct neurons of layer 0, chosen
    /// uniformly at random without replacement (the notebook's
    /// `np.random.choice(N, input_neurons, False)`; a partial Fisher–Yates
    /// shuffle). Chosen neurons that are already active stay active.
    /// Fails when `input_neurons` exceeds the neurons per layer.
    pub fn pulse(&mut self, input_neurons: usize, rng: &mut Rng) -> Result<(), Error> {
        let n = self.params.neurons;
        check_input_neurons(input_neurons, n)?;
        let mut order: Vec<usize> = (0..n).collect();
        for i in 0..input_neurons {
            let j = rng.random_range(i..n);
            order.swap(i, j);
            self.state[order[i]] = true;
        }
        Ok(())
    }

    /// The notebook's `run_with_input` (with `pulses`) or `run_stochastic`
    /// (without): `steps` states, the current one first.
    ///
    /// Calls `on_step(0, self)` on the current state, then for
    /// `t = 1, …, steps − 1`: one [`step`](Self::step) (spontaneous
    /// activity at the parameters' `spont_prob`: the notebook's
    /// `run_with_input` uses 0), then, when `t` is a multiple of
    /// `interval_steps`, a [`pulse`](Self::pulse), then `on_step(t, self)`.
    /// The initial state is never pulsed. With spontaneous probability 0,
    /// layer `l` at step `t` holds only the descendants of the pulse of
    /// step `t − l`.
    pub fn run(
        &mut self,
        steps: usize,
        pulses: Option<Pulses>,
        rng: &mut Rng,
        mut on_step: impl FnMut(usize, &LayeredNetwork),
    ) -> Result<(), Error> {
        if let Some(p) = pulses {
            p.validate(self.params.neurons)?;
        }
        if steps == 0 {
            return Ok(());
        }
        on_step(0, self);
        for t in 1..steps {
            self.advance(t, pulses, rng)?;
            on_step(t, self);
        }
        Ok(())
    }

    /// Step `t >= 1` of [`run`](Self::run): one [`step`](Self::step), then
    /// a [`pulse`](Self::pulse) when `t` is a multiple of the pulses'
    /// interval.
    pub fn advance(
        &mut self,
        t: usize,
        pulses: Option<Pulses>,
        rng: &mut Rng,
    ) -> Result<(), Error> {
        self.step(rng);
        if let Some(p) = pulses.filter(|p| t % p.interval_steps == 0) {
            self.pulse(p.input_neurons, rng)?;
        }
        Ok(())
    }

    /// One step (see the module docs).
    pub fn step(&mut self, rng: &mut Rng) {
        let p = self.params;
        let n = p.neurons;
        if p.spont_prob > 0.0 {
            for a in self.state.iter_mut() {
                if !*a && rng.random::<f64>() < p.spont_prob {
                    *a = true;
                }
            }
        }
        for l in (1..p.layers).rev() {
            let q = p.fire_prob(self.count(l - 1));
            for i in 0..n {
                self.state[l * n + i] = rng.random::<f64>() < q;
            }
        }
        self.state[..n].iter_mut().for_each(|a| *a = false);
    }
}

/// Exact distributions of the active count of every layer after each of
/// `steps` steps, from the count distributions `initial[l]` (each over
/// `0..=neurons`). Returns `[step][layer][k]`.
///
/// Layer `l + 1` after a step depends only on layer `l` before it, so the
/// marginal distributions follow exactly: spontaneous activation takes `k`
/// to `k + Binomial(N − k, s)`, then the next layer is `Binomial(N, p(k'))`.
pub fn exact_count_distributions(
    params: &LayeredParams,
    initial: &[Vec<f64>],
    steps: usize,
) -> Vec<Vec<Vec<f64>>> {
    let n = params.neurons;
    let binom = |trials: usize, q: f64| -> Vec<f64> {
        // P(X = j), X ~ Binomial(trials, q), by the recurrence in j.
        let mut out = vec![0.0; trials + 1];
        if q <= 0.0 {
            out[0] = 1.0;
            return out;
        }
        if q >= 1.0 {
            out[trials] = 1.0;
            return out;
        }
        let mut x = (1.0 - q).powi(trials as i32);
        for (j, o) in out.iter_mut().enumerate() {
            *o = x;
            x *= (trials - j) as f64 / (j + 1) as f64 * q / (1.0 - q);
        }
        out
    };
    // After spontaneous activation: k -> k + Binomial(N - k, s).
    let spont: Vec<Vec<f64>> = (0..=n).map(|k| binom(n - k, params.spont_prob)).collect();
    // Next layer's count given k' upstream.
    let fire: Vec<Vec<f64>> = (0..=n).map(|k| binom(n, params.fire_prob(k))).collect();
    let mut cur: Vec<Vec<f64>> = initial.to_vec();
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let mut next = vec![vec![0.0; n + 1]; params.layers];
        next[0][0] = 1.0; // layer 0 is cleared
        for l in 1..params.layers {
            let mut after = vec![0.0; n + 1];
            for (k, &pk) in cur[l - 1].iter().enumerate() {
                for (j, &pj) in spont[k].iter().enumerate() {
                    after[k + j] += pk * pj;
                }
            }
            for (k2, &pk2) in after.iter().enumerate() {
                for (j, &pj) in fire[k2].iter().enumerate() {
                    next[l][j] += pk2 * pj;
                }
            }
        }
        out.push(next.clone());
        cur = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    #[test]
    fn mean_activity_per_layer_matches_the_exact_recursion() {
        // The notebook's sizes (35 layers of 20), one neuron of layer 0
        // active at the start; both rules, sigma <= 1, with and without
        // spontaneous activity. Each layer's mean count over R runs is
        // within 5 standard errors (from the exact variance) of the exact mean.
        let (runs, steps) = (3000, 12);
        for (sigma, s, rule) in [
            (1.0, 0.0, Transmission::Independent),
            (0.7, 0.01, Transmission::Independent),
            (1.0, 0.005, Transmission::Linear),
        ] {
            let p = LayeredParams {
                layers: 35,
                neurons: 20,
                sigma,
                spont_prob: s,
                rule,
            };
            let mut init = vec![vec![1.0; 1]; 35];
            for d in init.iter_mut() {
                d.resize(21, 0.0);
            }
            init[0] = vec![0.0; 21];
            init[0][1] = 1.0;
            let exact = exact_count_distributions(&p, &init, steps);
            let mut sums = vec![vec![0.0f64; 35]; steps];
            let mut rng = Seed::derive(4, "layered", &[]).rng();
            for _ in 0..runs {
                let mut net = LayeredNetwork::new(p).unwrap();
                net.state[0] = true;
                for row in sums.iter_mut() {
                    net.step(&mut rng);
                    for (l, acc) in row.iter_mut().enumerate() {
                        *acc += net.count(l) as f64;
                    }
                }
            }
            for t in 0..steps {
                for l in 0..35 {
                    let d = &exact[t][l];
                    let mean: f64 = d.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
                    let var: f64 = d
                        .iter()
                        .enumerate()
                        .map(|(k, p)| (k as f64 - mean).powi(2) * p)
                        .sum();
                    let got = sums[t][l] / runs as f64;
                    let tol = 5.0 * (var / runs as f64).sqrt() + 1e-12;
                    assert!(
                        (got - mean).abs() <= tol,
                        "sigma {sigma} s {s} {rule:?}: step {t} layer {l}: {got} vs {mean}"
                    );
                }
            }
        }
    }

    /// Mean and variance of a distribution over `0..=n`.
    fn moments(d: &[f64]) -> (f64, f64) {
        let mean: f64 = d.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
        let var = d
            .iter()
            .enumerate()
            .map(|(k, p)| (k as f64 - mean).powi(2) * p)
            .sum();
        (mean, var)
    }

    #[test]
    fn a_pulse_activates_distinct_uniformly_chosen_neurons_of_layer_0() {
        // Each pulse activates exactly k of N neurons; each neuron is chosen
        // with probability k / N: its frequency over R pulses is within 5
        // standard errors sqrt(p (1 - p) / R).
        let (n, k, runs) = (20usize, 5usize, 20_000usize);
        let p = LayeredParams {
            layers: 3,
            neurons: n,
            sigma: 1.0,
            spont_prob: 0.0,
            rule: Transmission::Independent,
        };
        let mut rng = Seed::derive(5, "layered-pulse", &[]).rng();
        let mut net = LayeredNetwork::new(p).unwrap();
        let mut chosen = vec![0usize; n];
        for _ in 0..runs {
            net.state.iter_mut().for_each(|a| *a = false);
            net.pulse(k, &mut rng).unwrap();
            assert_eq!(net.count(0), k);
            assert_eq!(net.count(1) + net.count(2), 0);
            for (c, &a) in chosen.iter_mut().zip(&net.state[..n]) {
                *c += a as usize;
            }
        }
        let q = k as f64 / n as f64;
        let tol = 5.0 * (q * (1.0 - q) / runs as f64).sqrt();
        for (i, &c) in chosen.iter().enumerate() {
            let f = c as f64 / runs as f64;
            assert!((f - q).abs() < tol, "neuron {i}: {f} vs {q}");
        }
        net.pulse(n, &mut rng).unwrap();
        assert_eq!(net.count(0), n);
        assert!(net.pulse(n + 1, &mut rng).is_err());
        let bad = Pulses {
            interval_steps: 0,
            input_neurons: 1,
        };
        assert!(net.run(5, Some(bad), &mut rng, |_, _| {}).is_err());
    }

    #[test]
    fn pulses_arrive_at_multiples_of_the_interval_and_travel_by_the_exact_law() {
        // No spontaneous activity: layer 0 holds k neurons exactly at steps
        // t > 0 with t % interval == 0; layer l at step t holds the
        // descendants of the pulse of step t - l, or nothing. Its mean over
        // the pulses is within 5 standard errors of the exact recursion's
        // mean. The recursion itself is checked against closed forms: one
        // layer down, N (1 - (1 - sigma/N)^k) (independent); k sigma^l at
        // every layer (linear, sigma k <= N).
        let (layers, n, k, interval, steps) = (8usize, 20usize, 4usize, 3usize, 30_000usize);
        for (sigma, rule) in [
            (1.0, Transmission::Independent),
            (0.8, Transmission::Independent),
            (0.9, Transmission::Linear),
        ] {
            let p = LayeredParams {
                layers,
                neurons: n,
                sigma,
                spont_prob: 0.0,
                rule,
            };
            let mut init = vec![vec![0.0; n + 1]; layers];
            init.iter_mut().for_each(|d| d[0] = 1.0);
            init[0] = vec![0.0; n + 1];
            init[0][k] = 1.0;
            let exact = exact_count_distributions(&p, &init, layers - 1);
            let (m1, _) = moments(&exact[0][1]);
            let nf = n as f64;
            match rule {
                Transmission::Independent => {
                    let want = nf * (1.0 - (1.0 - sigma / nf).powi(k as i32));
                    assert!((m1 - want).abs() < 1e-12, "{m1} vs {want}");
                }
                Transmission::Linear => {
                    for l in 1..layers {
                        let (m, _) = moments(&exact[l - 1][l]);
                        let want = k as f64 * sigma.powi(l as i32);
                        assert!((m - want).abs() < 1e-12, "layer {l}: {m} vs {want}");
                    }
                }
            }
            let mut sums = vec![0.0f64; layers];
            let mut samples = vec![0usize; layers];
            let mut net = LayeredNetwork::new(p).unwrap();
            let mut rng = Seed::derive(6, "layered-run", &[]).rng();
            let pulses = Pulses {
                interval_steps: interval,
                input_neurons: k,
            };
            let mut calls = 0;
            net.run(steps, Some(pulses), &mut rng, |t, net| {
                assert_eq!(t, calls);
                calls += 1;
                for l in 0..layers {
                    let c = net.count(l);
                    let pulsed = t > l && (t - l) % interval == 0;
                    if l == 0 || !pulsed {
                        assert_eq!(c, if pulsed { k } else { 0 }, "step {t} layer {l}");
                    } else {
                        sums[l] += c as f64;
                        samples[l] += 1;
                    }
                }
            })
            .unwrap();
            assert_eq!(calls, steps);
            for l in 1..layers {
                let (mean, var) = moments(&exact[l - 1][l]);
                let r = samples[l] as f64;
                let got = sums[l] / r;
                let tol = 5.0 * (var / r).sqrt();
                assert!(
                    (got - mean).abs() <= tol,
                    "sigma {sigma} {rule:?} layer {l}: {got} vs {mean} (tol {tol})"
                );
            }
        }
    }

    #[test]
    fn the_linear_rule_exceeds_one_and_is_clipped() {
        let p = LayeredParams {
            layers: 3,
            neurons: 10,
            sigma: 1.2,
            spont_prob: 0.0,
            rule: Transmission::Linear,
        };
        assert_eq!(p.fire_prob(10), 1.0);
        assert!((p.fire_prob(5) - 0.6).abs() < 1e-15);
        let q = LayeredParams {
            rule: Transmission::Independent,
            ..p
        };
        assert!(q.fire_prob(10) < 1.0);
        // Sparse activity: both rules give sigma / N per active neuron.
        assert!((q.fire_prob(1) - 0.12).abs() < 1e-15);
    }
}
