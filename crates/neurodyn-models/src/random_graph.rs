//! A branching network of binary neurons on a random directed graph.
//!
//! `N` neurons; each has exactly `K` distinct out-neighbours, drawn
//! uniformly among the other `N − 1` neurons (no self-loops) when the
//! network is built. The in-degree of a neuron is then
//! `Binomial(N − 1, K / (N − 1))`, mean `K`. One step, from the active set
//! `A(t)` to `A(t + 1)`:
//! 1. transmission: each active neuron activates each of its `K`
//!    out-neighbours independently with probability `σ / K`, so one active
//!    neuron activates `Binomial(K, σ/K)` others, mean `σ` (the branching
//!    ratio, `0 ≤ σ ≤ K`);
//! 2. spontaneous activation: each neuron independently with probability
//!    `spont_prob`;
//! 3. refractoriness: a neuron active at step `t′` cannot be activated by
//!    either route at steps `t′ + 1, …, t′ + r` (`r = refractory_steps`;
//!    with `r = 0` a neuron active at `t` can be activated again at `t + 1`).
//!
//! Activity lasts one step: a neuron is active at `t + 1` only if step 1 or
//! 2 activates it. Cost of a step: `|A(t)| · K` uniform draws for
//! transmission plus about `N · spont_prob + 1` draws for spontaneous
//! activity, whose positions are drawn by geometric gaps (the number of
//! silent neurons before the next spontaneous one is
//! `floor(ln U / ln(1 − p))`, `U` uniform in `(0, 1]`), not `N` draws.

use neurodyn_core::{Error, Rng};
use rand::RngExt;

/// Validated parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomGraphParams {
    /// Neurons `N` (at least 2, at most `u32::MAX`).
    pub neurons: usize,
    /// Out-neighbours per neuron `K` (`1 ≤ K ≤ N − 1`).
    pub out_degree: usize,
    /// Branching ratio σ: expected activations caused by one active neuron
    /// (`0 ≤ σ ≤ K`).
    pub sigma: f64,
    /// Spontaneous activation probability per neuron and step.
    pub spont_prob: f64,
    /// Steps after being active during which a neuron cannot be activated
    /// (0 = none).
    pub refractory_steps: u32,
}

impl RandomGraphParams {
    /// Check every value.
    pub fn validate(&self) -> Result<(), Error> {
        if self.neurons < 2 || self.neurons > u32::MAX as usize {
            return Err(Error::invalid(
                "neurons",
                self.neurons,
                "2 <= neurons <= 4294967295",
            ));
        }
        if self.out_degree < 1 || self.out_degree >= self.neurons {
            return Err(Error::invalid(
                "out_degree",
                self.out_degree,
                &format!("1 <= out_degree <= neurons - 1 ({})", self.neurons - 1),
            ));
        }
        if self.neurons.checked_mul(self.out_degree).is_none() {
            return Err(Error::invalid(
                "neurons, out_degree",
                format!("{}, {}", self.neurons, self.out_degree),
                "a number of edges that fits in memory",
            ));
        }
        let k = self.out_degree as f64;
        if !(self.sigma.is_finite() && self.sigma >= 0.0 && self.sigma <= k) {
            return Err(Error::invalid(
                "sigma",
                self.sigma,
                "0 <= sigma <= out_degree",
            ));
        }
        if !(0.0..=1.0).contains(&self.spont_prob) {
            return Err(Error::invalid("spont_prob", self.spont_prob, "0 <= p <= 1"));
        }
        Ok(())
    }
}

/// The network: its graph and its activity.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomGraphNetwork {
    params: RandomGraphParams,
    /// Out-neighbours of neuron `i`: `targets[i * K..(i + 1) * K]`, sorted.
    targets: Vec<u32>,
    /// Active neurons of the current state, sorted.
    active: Vec<u32>,
    /// Scratch for the next state.
    next: Vec<u32>,
    /// `1 +` the last step at which each neuron was active; 0 = never.
    last: Vec<u64>,
    /// Index of the current state.
    now: u64,
}

impl RandomGraphNetwork {
    /// A silent network on a graph drawn from `rng`: each neuron's `K`
    /// out-neighbours are a uniform `K`-subset of the other neurons
    /// (Floyd's algorithm).
    pub fn new(params: RandomGraphParams, rng: &mut Rng) -> Result<Self, Error> {
        params.validate()?;
        Ok(RandomGraphNetwork {
            targets: random_out_neighbours(params.neurons, params.out_degree, rng),
            active: Vec::new(),
            next: Vec::new(),
            last: vec![0; params.neurons],
            now: 0,
            params,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &RandomGraphParams {
        &self.params
    }

    /// Out-neighbours of neuron `i`, sorted.
    pub fn out_neighbours(&self, i: usize) -> &[u32] {
        let k = self.params.out_degree;
        &self.targets[i * k..(i + 1) * k]
    }

    /// Active neurons of the current state, sorted.
    pub fn active(&self) -> &[u32] {
        &self.active
    }

    /// Make neuron `i` active in the current state: an external input,
    /// applied even to a refractory neuron. Returns false when it was
    /// already active.
    pub fn activate(&mut self, i: usize) -> Result<bool, Error> {
        if i >= self.params.neurons {
            return Err(Error::invalid(
                "neuron",
                i,
                &format!("an index below neurons ({})", self.params.neurons),
            ));
        }
        match self.active.binary_search(&(i as u32)) {
            Ok(_) => Ok(false),
            Err(pos) => {
                self.active.insert(pos, i as u32);
                self.last[i] = self.now + 1;
                Ok(true)
            }
        }
    }

    /// Silence every neuron and forget refractoriness (the graph is kept):
    /// the start of a fresh trial.
    pub fn silence(&mut self) {
        self.active.clear();
        // Every past activity is now more than `r` steps old.
        self.now += u64::from(self.params.refractory_steps) + 1;
    }

    /// One step (see the module docs); returns the number of active neurons.
    pub fn step(&mut self, rng: &mut Rng) -> usize {
        let at = self.now + 1;
        self.next.clear();
        self.transmit(at, rng);
        self.spontaneous(at, rng);
        self.next.sort_unstable();
        std::mem::swap(&mut self.active, &mut self.next);
        self.now = at;
        self.active.len()
    }

    /// Whether neuron `j` can be activated at step `at` (not refractory and
    /// not already activated at `at`).
    fn eligible(&self, j: usize, at: u64) -> bool {
        let l = self.last[j];
        l == 0 || at + 1 - l > u64::from(self.params.refractory_steps)
    }

    fn set_active(&mut self, j: usize, at: u64) {
        self.last[j] = at + 1;
        self.next.push(j as u32);
    }

    /// Step 1: each edge from an active neuron transmits with probability σ/K.
    fn transmit(&mut self, at: u64, rng: &mut Rng) {
        let k = self.params.out_degree;
        let q = self.params.sigma / k as f64;
        if q <= 0.0 {
            return;
        }
        for a in 0..self.active.len() {
            let i = self.active[a] as usize;
            for e in i * k..(i + 1) * k {
                let j = self.targets[e] as usize;
                if rng.random::<f64>() < q && self.eligible(j, at) {
                    self.set_active(j, at);
                }
            }
        }
    }

    /// Step 2: spontaneous activations at geometric gaps over the neurons.
    fn spontaneous(&mut self, at: u64, rng: &mut Rng) {
        let (n, p) = (self.params.neurons, self.params.spont_prob);
        if p <= 0.0 {
            return;
        }
        let ln_q = (-p).ln_1p(); // -inf for p = 1: every gap is 0
        let mut j = geometric_gap(ln_q, n, rng);
        while j < n {
            if self.eligible(j, at) {
                self.set_active(j, at);
            }
            j = j.saturating_add(1 + geometric_gap(ln_q, n, rng));
        }
    }
}

/// Failures before the next success of a Bernoulli(p) sequence,
/// `floor(ln U / ln(1 − p))`, `U` uniform in `(0, 1]`; capped at `cap`.
fn geometric_gap(ln_q: f64, cap: usize, rng: &mut Rng) -> usize {
    if ln_q == f64::NEG_INFINITY {
        return 0;
    }
    let u = 1.0 - rng.random::<f64>();
    let g = (u.ln() / ln_q).floor();
    if g < cap as f64 { g as usize } else { cap }
}

/// `K` distinct out-neighbours per neuron, uniform among the other `N − 1`
/// neurons, each neuron's list sorted. Floyd's algorithm draws a uniform
/// `K`-subset of `0..N − 1` (`K` draws, membership by a stamp per neuron);
/// value `v ≥ i` then stands for neuron `v + 1`, which skips neuron `i`.
fn random_out_neighbours(n: usize, k: usize, rng: &mut Rng) -> Vec<u32> {
    let mut targets = Vec::with_capacity(n * k);
    let mut stamp = vec![usize::MAX; n - 1];
    for i in 0..n {
        let start = targets.len();
        for top in (n - 1 - k)..(n - 1) {
            let v = rng.random_range(0..=top);
            let pick = if stamp[v] == i { top } else { v };
            stamp[pick] = i;
            targets.push(if pick >= i { pick + 1 } else { pick } as u32);
        }
        targets[start..].sort_unstable();
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;

    fn params(n: usize, k: usize, sigma: f64, spont_prob: f64, r: u32) -> RandomGraphParams {
        RandomGraphParams {
            neurons: n,
            out_degree: k,
            sigma,
            spont_prob,
            refractory_steps: r,
        }
    }

    fn rng(purpose: &str) -> Rng {
        Seed::derive(11, purpose, &[]).rng()
    }

    /// Sample mean and (unbiased) variance.
    fn mean_var(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    /// Central moments 2 and 4 of Binomial(n, q), from its mass function.
    fn binomial_central_moments(n: usize, q: f64) -> (f64, f64) {
        let mean = n as f64 * q;
        let mut pmf = (1.0 - q).powi(n as i32);
        let (mut m2, mut m4) = (0.0, 0.0);
        for j in 0..=n {
            let d = j as f64 - mean;
            m2 += pmf * d * d;
            m4 += pmf * d.powi(4);
            pmf *= (n - j) as f64 / (j + 1) as f64 * q / (1.0 - q);
        }
        (m2, m4)
    }

    #[test]
    fn validation_rejects_out_of_range_values() {
        assert!(params(10, 3, 1.0, 0.0, 0).validate().is_ok());
        assert!(params(1, 1, 0.0, 0.0, 0).validate().is_err());
        assert!(params(10, 0, 0.0, 0.0, 0).validate().is_err());
        assert!(params(10, 10, 1.0, 0.0, 0).validate().is_err());
        assert!(params(10, 3, 3.5, 0.0, 0).validate().is_err());
        assert!(params(10, 3, -0.1, 0.0, 0).validate().is_err());
        assert!(params(10, 3, f64::NAN, 0.0, 0).validate().is_err());
        assert!(params(10, 3, 1.0, 1.5, 0).validate().is_err());
        let mut net = RandomGraphNetwork::new(params(10, 3, 1.0, 0.0, 0), &mut rng("v")).unwrap();
        assert!(net.activate(10).is_err());
        assert!(net.activate(9).unwrap());
        assert!(!net.activate(9).unwrap());
    }

    #[test]
    fn every_neuron_has_k_distinct_out_neighbours_and_binomial_in_degree() {
        // Out-degree exactly K, sorted, no self-loop, no repeat. Each
        // in-degree is Binomial(N - 1, q), q = K/(N - 1), rows being
        // independent; the in-degrees sum to N K exactly, so the sample
        // variance has expectation N/(N - 1) Var (exchangeable, fixed sum)
        // and is within 5 standard errors of it (se from the binomial's
        // fourth moment). K = N - 1 is the complete graph.
        for (n, k) in [(2000usize, 10usize), (300, 150), (50, 49)] {
            let net =
                RandomGraphNetwork::new(params(n, k, 1.0, 0.0, 0), &mut rng("graph")).unwrap();
            let mut in_deg = vec![0f64; n];
            for i in 0..n {
                let t = net.out_neighbours(i);
                assert_eq!(t.len(), k);
                assert!(t.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
                assert!(t.iter().all(|&j| j as usize != i && (j as usize) < n));
                t.iter().for_each(|&j| in_deg[j as usize] += 1.0);
            }
            let (m, v) = mean_var(&in_deg);
            assert!((m - k as f64).abs() < 1e-12);
            if k == n - 1 {
                assert!(in_deg.iter().all(|&d| d == k as f64));
                continue;
            }
            let (m2, m4) = binomial_central_moments(n - 1, k as f64 / (n - 1) as f64);
            let want = m2 * n as f64 / (n - 1) as f64;
            let tol = 5.0 * ((m4 - m2 * m2) / n as f64).sqrt();
            assert!(
                (v - want).abs() < tol,
                "N {n} K {k}: {v} vs {want} (tol {tol})"
            );
        }
    }

    #[test]
    fn each_out_neighbour_set_is_a_uniform_subset_of_the_others() {
        // N = 5, K = 2: each neuron's set is one of the C(4, 2) = 6 pairs of
        // the other neurons, each with probability 1/6; frequencies over
        // R rows are within 5 standard errors sqrt(p (1 - p) / R).
        let (n, graphs) = (5usize, 4000usize);
        let mut g = rng("uniform-sets");
        let mut freq = vec![vec![0usize; n * n]; n];
        for _ in 0..graphs {
            let net = RandomGraphNetwork::new(params(n, 2, 1.0, 0.0, 0), &mut g).unwrap();
            for (i, f) in freq.iter_mut().enumerate() {
                let t = net.out_neighbours(i);
                f[t[0] as usize * n + t[1] as usize] += 1;
            }
        }
        let p = 1.0 / 6.0;
        let tol = 5.0 * (p * (1.0 - p) / graphs as f64).sqrt();
        for (i, f) in freq.iter().enumerate() {
            for a in 0..n {
                for b in a + 1..n {
                    let got = f[a * n + b] as f64 / graphs as f64;
                    let want = if a == i || b == i { 0.0 } else { p };
                    assert!(
                        (got - want).abs() < tol,
                        "neuron {i} pair ({a}, {b}): {got}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_active_neuron_activates_binomial_k_sigma_over_k_others() {
        // One seed, no spontaneous activity, no refractoriness: the next
        // count is exactly Binomial(K, sigma/K). Its sample mean and
        // variance over R trials are within 5 standard errors of sigma and
        // sigma (1 - sigma/K) (se of the variance from the fourth moment).
        let (n, k, sigma, runs) = (1000usize, 10usize, 1.5, 40_000usize);
        let mut r = rng("offspring");
        let mut net = RandomGraphNetwork::new(params(n, k, sigma, 0.0, 0), &mut r).unwrap();
        let mut counts = Vec::with_capacity(runs);
        for _ in 0..runs {
            net.silence();
            net.activate(r.random_range(0..n)).unwrap();
            counts.push(net.step(&mut r) as f64);
        }
        let (m, v) = mean_var(&counts);
        let (m2, m4) = binomial_central_moments(k, sigma / k as f64);
        assert!((m2 - sigma * (1.0 - sigma / k as f64)).abs() < 1e-12);
        let rf = runs as f64;
        assert!((m - sigma).abs() < 5.0 * (m2 / rf).sqrt(), "mean {m}");
        assert!(
            (v - m2).abs() < 5.0 * ((m4 - m2 * m2) / rf).sqrt(),
            "var {v} vs {m2}"
        );
    }

    #[test]
    fn subcritical_avalanches_have_mean_size_one_over_one_minus_sigma() {
        // A Galton-Watson process with mean offspring sigma < 1 has mean
        // total size 1 / (1 - sigma) (seed included). For N = 10^4, K = 10,
        // collisions between offspring are O(size^2 / N): negligible. The
        // sample mean is within 5 standard errors (from the sample
        // variance; exact variance sigma(1-sigma/K) / (1-sigma)^3 = 3.6).
        let (n, k, sigma, runs) = (10_000usize, 10usize, 0.5, 20_000usize);
        let mut r = rng("avalanche");
        let mut net = RandomGraphNetwork::new(params(n, k, sigma, 0.0, 0), &mut r).unwrap();
        let mut sizes = Vec::with_capacity(runs);
        for _ in 0..runs {
            net.silence();
            net.activate(r.random_range(0..n)).unwrap();
            let mut size = 1usize;
            loop {
                let a = net.step(&mut r);
                if a == 0 {
                    break;
                }
                size += a;
            }
            sizes.push(size as f64);
        }
        let (m, v) = mean_var(&sizes);
        let want = 1.0 / (1.0 - sigma);
        let se = (v / runs as f64).sqrt();
        assert!((m - want).abs() < 5.0 * se, "{m} vs {want} (se {se})");
        // The sample variance is within 5 standard errors (from the sample
        // fourth central moment) of the Galton-Watson variance.
        let gw_var = sigma * (1.0 - sigma / k as f64) / (1.0 - sigma).powi(3);
        let m4 = sizes.iter().map(|s| (s - m).powi(4)).sum::<f64>() / runs as f64;
        let se_v = ((m4 - v * v) / runs as f64).sqrt();
        assert!(
            (v - gw_var).abs() < 5.0 * se_v,
            "variance {v} vs {gw_var} (se {se_v})"
        );
    }

    /// Runs `steps` steps from a few seeds and calls `check(prev, cur)`.
    fn run_pairs(p: RandomGraphParams, steps: usize, mut check: impl FnMut(&[u32], &[u32])) {
        let mut r = rng("refractory");
        let mut net = RandomGraphNetwork::new(p, &mut r).unwrap();
        for i in 0..20 {
            net.activate(i * 7).unwrap();
        }
        let mut prev = net.active().to_vec();
        for _ in 0..steps {
            net.step(&mut r);
            check(&prev, net.active());
            prev.clear();
            prev.extend_from_slice(net.active());
        }
    }

    #[test]
    fn refractory_neurons_are_not_reactivated() {
        // With r = 1 no neuron is active at two consecutive steps, but some
        // are at t and t + 2; with r = 3 no neuron is active twice within
        // 3 steps; with r = 0 consecutive activity occurs (the check can fail).
        // sigma near K and spontaneous activity keep the network busy.
        let overlap =
            |a: &[u32], b: &[u32]| a.iter().filter(|x| b.binary_search(x).is_ok()).count();
        let mut consecutive = 0;
        run_pairs(params(200, 4, 3.5, 0.05, 0), 500, |a, b| {
            consecutive += overlap(a, b)
        });
        assert!(consecutive > 100, "r = 0: {consecutive}");
        for r in [1u32, 3] {
            let mut history: Vec<Vec<u32>> = Vec::new();
            let mut two_apart = 0;
            run_pairs(params(200, 4, 3.5, 0.05, r), 500, |a, b| {
                history.push(a.to_vec());
                let window = history.len().saturating_sub(r as usize);
                for old in &history[window..] {
                    assert_eq!(overlap(old, b), 0, "r = {r}");
                }
                if let Some(old) = history
                    .len()
                    .checked_sub(r as usize + 1)
                    .map(|w| &history[w])
                {
                    two_apart += overlap(old, b);
                }
            });
            assert!(two_apart > 100, "r = {r}: {two_apart}");
        }
    }

    #[test]
    fn spontaneous_activity_alone_has_the_renewal_mean() {
        // sigma = 0, no refractoriness: each step's count is Binomial(N, p),
        // independent across steps: mean N p, variance N p (1 - p). With
        // refractoriness r, each neuron is a renewal process with intervals
        // X = r + 1 + Geometric(p) failures: mean rate 1 / E[X] = p/(1 + r p);
        // the total count over T steps has variance N T Var[X] / E[X]^3,
        // Var[X] = (1 - p) / p^2. Means within 5 standard errors.
        let (n, p, steps) = (5000usize, 0.01, 4000usize);
        for r in [0u32, 2] {
            let mut g = rng("spont");
            let mut net = RandomGraphNetwork::new(params(n, 5, 0.0, p, r), &mut g).unwrap();
            for _ in 0..50 {
                net.step(&mut g); // reach the stationary state
            }
            let counts: Vec<f64> = (0..steps).map(|_| net.step(&mut g) as f64).collect();
            assert!(net.active().windows(2).all(|w| w[0] < w[1]));
            let (m, v) = mean_var(&counts);
            let ex = r as f64 + 1.0 / p;
            let var_x = (1.0 - p) / (p * p);
            let want = n as f64 / ex;
            let se = (n as f64 * var_x / ex.powi(3) / steps as f64).sqrt();
            assert!(
                (m - want).abs() < 5.0 * se,
                "r = {r}: {m} vs {want} (se {se})"
            );
            if r == 0 {
                let var = n as f64 * p * (1.0 - p);
                // Var of the sample variance ~ 2 var^2 / T (near-normal counts).
                assert!(
                    (v - var).abs() < 5.0 * var * (2.0 / steps as f64).sqrt(),
                    "{v} vs {var}"
                );
            }
        }
        // p = 1: every neuron every step.
        let mut g = rng("spont-all");
        let mut net = RandomGraphNetwork::new(params(100, 5, 0.0, 1.0, 0), &mut g).unwrap();
        assert_eq!(net.step(&mut g), 100);
        assert_eq!(net.active(), (0..100).collect::<Vec<u32>>().as_slice());
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let p = params(3000, 8, 1.0, 0.001, 1);
        let run = |seed: u64| {
            let mut g = Seed::derive(seed, "same", &[]).rng();
            let mut net = RandomGraphNetwork::new(p, &mut g).unwrap();
            net.activate(17).unwrap();
            let mut states = Vec::new();
            for _ in 0..300 {
                net.step(&mut g);
                states.push(net.active().to_vec());
            }
            (net.targets.clone(), states)
        };
        let (a, b, c) = (run(1), run(1), run(2));
        assert_eq!(a, b);
        assert!(a.1.iter().map(Vec::len).sum::<usize>() > 300, "active runs");
        assert_ne!(a.0, c.0);
        assert_ne!(a.1, c.1);
    }
}
