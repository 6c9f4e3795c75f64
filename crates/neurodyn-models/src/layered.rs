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
