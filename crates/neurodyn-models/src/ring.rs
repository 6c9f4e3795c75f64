//! A ring network of excitatory (RS) and inhibitory (FS) Izhikevich neurons
//! coupled through AMPA, NMDA, GABA-A and GABA-B conductances: the
//! ring-attractor study's network.
//!
//! Neurons `0..n_e` are excitatory with preferred angles `i · 360 / n_e`,
//! `n_e..n_e + n_i` inhibitory. Weights `W[j → i]`: E→E a Gaussian of the
//! angular distance on the circle, `j_ee exp(−d² / σ²)`; E→I, I→E and I→I
//! uniform (`j_ei`, `j_ie`, `j_ii`).
//!
//! Per step (`dt`), in this order:
//! 1. neurons with `v >= v_peak` spike and are reset;
//! 2. each spike of an excitatory neuron `j` adds `g_ampa W[j → i]` to the
//!    AMPA conductance and `g_nmda W[j → i]` to the NMDA conductance of every
//!    neuron `i`; an inhibitory spike adds to GABA-A and GABA-B. Only the
//!    spiking neurons' rows are touched, so the cost follows the spikes.
//!    There is no synaptic delay: a spike acts within its own step, as in
//!    the thesis code;
//! 3. each external (Poisson background) spike adds `g_ext` of its
//!    population to the neuron's background conductance (AMPA-like);
//! 4. `I_i = s_i · (−Σ_x g_x,i B_x(v_i) (v_i − E_x) − g_bg,i (v_i − E_ampa))`,
//!    `B` the NMDA magnesium block (1 for the others), `s_i` the neuron's
//!    serotonin gain; `v, u` advance one Euler step;
//! 5. every conductance decays by the exact factor `exp(−dt / τ_x)` (the
//!    background with `τ_ampa`): a spike at step `s` contributes
//!    `g_x W exp(−(t − t_s) / τ_x)` at step start `t`.
//!
//! Choices (the thesis code's, unless said): no refractory period (the
//! Izhikevich reset plays that role); self-connections of excitatory
//! neurons are kept by default (`self_connections`: the ring kernel at
//! distance 0); the exact exponential decay replaces the thesis code's Euler
//! decay `g − dt g / τ` (effective τ 1 % shorter at τ = 5 ms, dt = 0.1 ms).

use neurodyn_core::Error;

use crate::izhikevich::{IzhikevichCell, Recovery};
use crate::math;

/// Index of a receptor in [`Receptors`]' arrays.
pub const AMPA: usize = 0;
/// NMDA.
pub const NMDA: usize = 1;
/// GABA-A.
pub const GABA_A: usize = 2;
/// GABA-B.
pub const GABA_B: usize = 3;

/// The NMDA receptor's voltage-dependent magnesium block `B(v)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NmdaBlock {
    /// Izhikevich & Edelman (2008): `x / (1 + x)`, `x = ((v + 80) / 60)²`.
    Izhikevich2008,
    /// Jahr & Stevens (1990) at 1.5 mM Mg²⁺: `1 / (1 + 0.4202 exp(−0.062 v))`.
    JahrStevens,
    /// The thesis code's `1 / (1 + 0.4202 exp(+0.062 v))`: Jahr–Stevens with
    /// the exponent's sign flipped, so the block *grows* with depolarisation.
    /// Only to reproduce the reference notebook.
    ThesisExpPlus,
}

impl NmdaBlock {
    /// From its name (`izhikevich2008`, `jahr_stevens`, `thesis_exp_plus`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "izhikevich2008" => Ok(NmdaBlock::Izhikevich2008),
            "jahr_stevens" => Ok(NmdaBlock::JahrStevens),
            "thesis_exp_plus" => Ok(NmdaBlock::ThesisExpPlus),
            _ => Err(Error::invalid(
                "nmda_block",
                s,
                "\"izhikevich2008\", \"jahr_stevens\" or \"thesis_exp_plus\"",
            )),
        }
    }

    /// The name [`NmdaBlock::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            NmdaBlock::Izhikevich2008 => "izhikevich2008",
            NmdaBlock::JahrStevens => "jahr_stevens",
            NmdaBlock::ThesisExpPlus => "thesis_exp_plus",
        }
    }

    /// `B(v)` (dimensionless, in (0, 1)).
    #[inline(always)]
    pub fn value(self, v_mv: f64) -> f64 {
        match self {
            NmdaBlock::Izhikevich2008 => {
                let x = (v_mv + 80.0) / 60.0;
                let x = x * x;
                x / (1.0 + x)
            }
            NmdaBlock::JahrStevens => 1.0 / (1.0 + 0.4202 * math::exp(-0.062 * v_mv)),
            NmdaBlock::ThesisExpPlus => 1.0 / (1.0 + 0.4202 * math::exp(0.062 * v_mv)),
        }
    }
}

/// Receptor kinetics, indexed by [`AMPA`], [`NMDA`], [`GABA_A`], [`GABA_B`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Receptors {
    /// Decay time constants (ms).
    pub tau_ms: [f64; 4],
    /// Conductance added per presynaptic spike and unit weight (nS).
    pub g_ns: [f64; 4],
    /// Reversal potentials (mV).
    pub e_mv: [f64; 4],
}

/// Everything that defines the network.
#[derive(Debug, Clone, PartialEq)]
pub struct RingParams {
    /// Excitatory (RS) neurons.
    pub n_e: usize,
    /// Inhibitory (FS) neurons.
    pub n_i: usize,
    /// Excitatory cell type.
    pub rs: IzhikevichCell,
    /// Inhibitory cell type.
    pub fs: IzhikevichCell,
    /// Receptor kinetics.
    pub receptors: Receptors,
    /// NMDA magnesium block.
    pub nmda_block: NmdaBlock,
    /// Width of the E→E kernel (degrees).
    pub sigma_deg: f64,
    /// E→E peak weight.
    pub j_ee: f64,
    /// E→I weight.
    pub j_ei: f64,
    /// I→E weight.
    pub j_ie: f64,
    /// I→I weight.
    pub j_ii: f64,
    /// Whether excitatory neurons excite themselves (weight `j_ee`) and
    /// inhibitory ones inhibit themselves (`j_ii`).
    pub self_connections: bool,
    /// Background conductance per external spike onto E neurons (nS).
    pub g_ext_e_ns: f64,
    /// … onto I neurons (nS).
    pub g_ext_i_ns: f64,
    /// Time step (ms).
    pub dt_ms: f64,
}

impl RingParams {
    /// Check every value; errors name the key and the allowed range.
    pub fn validate(&self) -> Result<(), Error> {
        if self.n_e < 1 || self.n_i < 1 {
            return Err(Error::invalid(
                "n_e, n_i",
                format!("{}, {}", self.n_e, self.n_i),
                "at least 1 neuron in each population",
            ));
        }
        if self.n_e + self.n_i > u32::MAX as usize {
            return Err(Error::invalid(
                "n_e + n_i",
                self.n_e + self.n_i,
                "below 2^32",
            ));
        }
        self.rs.validate("RS")?;
        self.fs.validate("FS")?;
        let names = ["ampa", "nmda", "gabaa", "gabab"];
        for (x, name) in names.iter().enumerate() {
            let r = &self.receptors;
            if !(r.tau_ms[x].is_finite() && r.tau_ms[x] > 0.0) {
                return Err(Error::invalid(
                    &format!("tau_{name}_ms"),
                    r.tau_ms[x],
                    "a finite number > 0",
                ));
            }
            if !(r.g_ns[x].is_finite() && r.g_ns[x] >= 0.0) {
                return Err(Error::invalid(
                    &format!("g_{name}_ns"),
                    r.g_ns[x],
                    "a finite number >= 0",
                ));
            }
            if !r.e_mv[x].is_finite() {
                return Err(Error::invalid(
                    &format!("e_{name}_mv"),
                    r.e_mv[x],
                    "a finite number",
                ));
            }
        }
        if !(self.sigma_deg.is_finite() && self.sigma_deg > 0.0) {
            return Err(Error::invalid(
                "sigma_deg",
                self.sigma_deg,
                "a finite number > 0",
            ));
        }
        for (k, v) in [
            ("j_ee", self.j_ee),
            ("j_ei", self.j_ei),
            ("j_ie", self.j_ie),
            ("j_ii", self.j_ii),
            ("g_e_external_ns", self.g_ext_e_ns),
            ("g_i_external_ns", self.g_ext_i_ns),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid(k, v, "a finite number >= 0"));
            }
        }
        if !(self.dt_ms.is_finite() && self.dt_ms > 0.0) {
            return Err(Error::invalid("dt_ms", self.dt_ms, "a finite number > 0"));
        }
        Ok(())
    }

    /// Total number of neurons.
    pub fn n(&self) -> usize {
        self.n_e + self.n_i
    }

    /// Row-major weights `w[j * n + i]` = weight of `j → i`.
    pub fn weights(&self) -> Vec<f64> {
        let (n, ne) = (self.n(), self.n_e);
        let mut w = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                w[j * n + i] = match (j < ne, i < ne) {
                    (true, true) => {
                        let d = ((j as f64 - i as f64) * 360.0 / ne as f64).abs();
                        let d = d.min(360.0 - d);
                        self.j_ee * (-(d * d) / (self.sigma_deg * self.sigma_deg)).exp()
                    }
                    (true, false) => self.j_ei,
                    (false, true) => self.j_ie,
                    (false, false) => self.j_ii,
                };
            }
            if !self.self_connections {
                w[j * n + j] = 0.0;
            }
        }
        w
    }
}

/// The sparse random variant of a weight matrix: each nonzero weight is
/// kept with probability `p` (independently, in row-major order of the
/// draws) and divided by `p`, so that every neuron's expected input is
/// unchanged; `p = 1` keeps everything. `p` must be in (0, 1].
pub fn sparsify(w: &mut [f64], p: f64, rng: &mut neurodyn_core::Rng) -> Result<(), Error> {
    use rand::RngExt;
    if !(p > 0.0 && p <= 1.0) {
        return Err(Error::invalid("connection_p", p, "0 < p <= 1"));
    }
    if p < 1.0 {
        for x in w.iter_mut().filter(|x| **x != 0.0) {
            *x = if rng.random::<f64>() < p { *x / p } else { 0.0 };
        }
    }
    Ok(())
}

/// The network's state and its step.
#[derive(Debug, Clone)]
pub struct RingNetwork {
    params: RingParams,
    w: Vec<f64>,
    serotonin: Vec<f64>,
    decay: [f64; 4],
    /// Membrane potentials (mV).
    pub v: Vec<f64>,
    /// Recovery currents (pA).
    pub u: Vec<f64>,
    /// Receptor conductances per neuron (nS), indexed by receptor.
    pub g: [Vec<f64>; 4],
    /// Background conductance per neuron (nS).
    pub g_bg: Vec<f64>,
}

impl RingNetwork {
    /// A network at its cells' initial state with the given per-neuron
    /// serotonin gains (finite, > 0).
    pub fn new(params: RingParams, serotonin: Vec<f64>) -> Result<Self, Error> {
        let w = params.weights();
        Self::with_weights(params, w, serotonin)
    }

    /// A network with its own weights `w[j * n + i]` (`j → i`), e.g. the
    /// ring's made sparse by [`sparsify`].
    pub fn with_weights(
        params: RingParams,
        w: Vec<f64>,
        serotonin: Vec<f64>,
    ) -> Result<Self, Error> {
        params.validate()?;
        let n = params.n();
        if w.len() != n * n || w.iter().any(|x| !x.is_finite()) {
            return Err(Error::invalid(
                "weights",
                w.len(),
                &format!("{} finite weights (n x n)", n * n),
            ));
        }
        if serotonin.len() != n {
            return Err(Error::invalid(
                "serotonin",
                serotonin.len(),
                &format!("one gain per neuron ({n})"),
            ));
        }
        if let Some(&s) = serotonin.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(Error::invalid("serotonin gain", s, "a finite number > 0"));
        }
        let decay = params.receptors.tau_ms.map(|t| (-params.dt_ms / t).exp());
        let mut v = vec![params.rs.v_init_mv; params.n_e];
        v.resize(n, params.fs.v_init_mv);
        let mut u = vec![params.rs.u_init_pa; params.n_e];
        u.resize(n, params.fs.u_init_pa);
        Ok(RingNetwork {
            w,
            serotonin,
            decay,
            v,
            u,
            g: std::array::from_fn(|_| vec![0.0; n]),
            g_bg: vec![0.0; n],
            params,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &RingParams {
        &self.params
    }

    /// One step: `external` lists the neurons receiving a background spike
    /// this step; the neurons that spike are appended to `fired` (in
    /// increasing order).
    pub fn step(&mut self, external: &[u32], fired: &mut Vec<u32>) {
        let p = &self.params;
        let (n, ne) = (p.n(), p.n_e);
        // 1. Spikes and resets.
        let first = fired.len();
        for (i, (v, u)) in self.v.iter_mut().zip(self.u.iter_mut()).enumerate() {
            let cell = if i < ne { &p.rs } else { &p.fs };
            if *v >= cell.v_peak_mv {
                fired.push(i as u32);
                *v = cell.v_reset_mv;
                *u += cell.d_pa;
            }
        }
        // 2. Synaptic conductances, one weight row per spike.
        let [ga, gn, gga, ggb] = p.receptors.g_ns;
        let [g_ampa, g_nmda, g_gabaa, g_gabab] = &mut self.g;
        for &j in &fired[first..] {
            let row = &self.w[j as usize * n..(j as usize + 1) * n];
            if (j as usize) < ne {
                for ((a, m), &w) in g_ampa.iter_mut().zip(g_nmda.iter_mut()).zip(row) {
                    *a += ga * w;
                    *m += gn * w;
                }
            } else {
                for ((a, b), &w) in g_gabaa.iter_mut().zip(g_gabab.iter_mut()).zip(row) {
                    *a += gga * w;
                    *b += ggb * w;
                }
            }
        }
        // 3. Background spikes.
        for &i in external {
            let i = i as usize;
            self.g_bg[i] += if i < ne { p.g_ext_e_ns } else { p.g_ext_i_ns };
        }
        // 4. Membrane update, one population at a time (constant parameters,
        // so the loop vectorises), and 5. decay. Both under a runtime SIMD
        // dispatch, so that the fused multiply-adds of `math::exp` are
        // instructions, not library calls.
        pulp::Arch::new().dispatch(Update(self));
    }
}

/// Steps 4 and 5 of [`RingNetwork::step`], as a SIMD-dispatched operation.
struct Update<'a>(&'a mut RingNetwork);

impl pulp::WithSimd for Update<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let net = self.0;
        let (n, ne) = (net.params.n(), net.params.n_e);
        let (block, e, dt) = (
            net.params.nmda_block,
            net.params.receptors.e_mv,
            net.params.dt_ms,
        );
        for (cell, range) in [(&net.params.rs, 0..ne), (&net.params.fs, ne..n)] {
            let st = Lanes {
                v: &mut net.v[range.clone()],
                u: &mut net.u[range.clone()],
                ga: &net.g[AMPA][range.clone()],
                gn: &net.g[NMDA][range.clone()],
                gga: &net.g[GABA_A][range.clone()],
                ggb: &net.g[GABA_B][range.clone()],
                gbg: &net.g_bg[range.clone()],
                s: &net.serotonin[range],
            };
            update_population(cell, block, e, dt, st);
        }
        for (g, d) in net.g.iter_mut().zip(net.decay) {
            g.iter_mut().for_each(|x| *x *= d);
        }
        let d = net.decay[AMPA];
        net.g_bg.iter_mut().for_each(|x| *x *= d);
    }
}

/// The per-neuron slices of one population.
struct Lanes<'a> {
    v: &'a mut [f64],
    u: &'a mut [f64],
    ga: &'a [f64],
    gn: &'a [f64],
    gga: &'a [f64],
    ggb: &'a [f64],
    gbg: &'a [f64],
    s: &'a [f64],
}

/// One population's Euler update, monomorphised for its NMDA block and
/// recovery curve so that the loop has no branches and vectorises.
#[inline(always)]
fn update_population(cell: &IzhikevichCell, block: NmdaBlock, e: [f64; 4], dt: f64, l: Lanes) {
    let vr = cell.v_r_mv;
    match (block, cell.recovery) {
        (NmdaBlock::ThesisExpPlus, Recovery::Linear { b_ns }) => update_lanes(
            cell,
            e,
            dt,
            l,
            |v| NmdaBlock::ThesisExpPlus.value(v),
            |v| b_ns * (v - vr),
        ),
        (NmdaBlock::Izhikevich2008, Recovery::Linear { b_ns }) => update_lanes(
            cell,
            e,
            dt,
            l,
            |v| NmdaBlock::Izhikevich2008.value(v),
            |v| b_ns * (v - vr),
        ),
        (NmdaBlock::JahrStevens, Recovery::Linear { b_ns }) => update_lanes(
            cell,
            e,
            dt,
            l,
            |v| NmdaBlock::JahrStevens.value(v),
            |v| b_ns * (v - vr),
        ),
        (block, Recovery::Cubic { .. }) => update_lanes(
            cell,
            e,
            dt,
            l,
            |v| block.value(v),
            |v| cell.recovery_target(v),
        ),
    }
}

#[inline(always)]
fn update_lanes(
    cell: &IzhikevichCell,
    e: [f64; 4],
    dt: f64,
    l: Lanes,
    block: impl Fn(f64) -> f64,
    recovery: impl Fn(f64) -> f64,
) {
    let (k, vr, vt, a) = (cell.k, cell.v_r_mv, cell.v_t_mv, cell.a_per_ms);
    let dt_c = dt / cell.c_pf;
    let [e_ampa, e_nmda, e_gabaa, e_gabab] = e;
    let n = l.v.len();
    let (ga, gn, gga, ggb, gbg, s, u) = (
        &l.ga[..n],
        &l.gn[..n],
        &l.gga[..n],
        &l.ggb[..n],
        &l.gbg[..n],
        &l.s[..n],
        &mut l.u[..n],
    );
    for i in 0..n {
        let v = l.v[i];
        let i_syn = -(ga[i] * (v - e_ampa)
            + gn[i] * block(v) * (v - e_nmda)
            + gga[i] * (v - e_gabaa)
            + ggb[i] * (v - e_gabab)
            + gbg[i] * (v - e_ampa));
        let ui = u[i];
        l.v[i] = v + dt_c * (k * (v - vr) * (v - vt) - ui + s[i] * i_syn);
        u[i] = ui + dt * a * (recovery(v) - ui);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> RingParams {
        RingParams {
            n_e: 36,
            n_i: 9,
            rs: IzhikevichCell::book_rs(),
            fs: IzhikevichCell::book_fs(),
            receptors: Receptors {
                tau_ms: [5.0, 150.0, 6.0, 150.0],
                g_ns: [0.5, 0.4, 1.0, 0.05],
                e_mv: [0.0, 0.0, -70.0, -90.0],
            },
            nmda_block: NmdaBlock::Izhikevich2008,
            sigma_deg: 14.4,
            j_ee: 1.0,
            j_ei: 0.3,
            j_ie: 0.5,
            j_ii: 0.5,
            self_connections: true,
            g_ext_e_ns: 15.0,
            g_ext_i_ns: 6.0,
            dt_ms: 0.1,
        }
    }

    #[test]
    fn one_spike_gives_an_exponential_conductance_with_its_time_constant() {
        let p = params();
        let mut net = RingNetwork::new(p.clone(), vec![1.0; p.n()]).unwrap();
        let w = p.weights();
        // Make neuron 3 (E) and 40 (I) spike in step 0 and nothing else: put
        // them above peak and silence everyone else's dynamics by hand after.
        net.v[3] = 100.0;
        net.v[40] = 100.0;
        let mut fired = Vec::new();
        net.step(&[], &mut fired);
        assert_eq!(fired, [3, 40]);
        // After the step each conductance of neuron 5 is g W exp(-dt/tau)
        // (incremented, then decayed once); after m more steps without
        // spikes, exp(-(m+1) dt / tau).
        let n = p.n();
        let expect = |x: usize, pre: usize, steps: f64| {
            p.receptors.g_ns[x]
                * w[pre * n + 5]
                * (-(steps * p.dt_ms) / p.receptors.tau_ms[x]).exp()
        };
        let mut g_hist = vec![[
            net.g[AMPA][5],
            net.g[NMDA][5],
            net.g[GABA_A][5],
            net.g[GABA_B][5],
        ]];
        // Keep everyone subthreshold: clamp potentials at rest each step.
        for _ in 0..300 {
            net.v.iter_mut().for_each(|v| *v = -70.0);
            let mut f = Vec::new();
            net.step(&[], &mut f);
            assert!(f.is_empty());
            g_hist.push([
                net.g[AMPA][5],
                net.g[NMDA][5],
                net.g[GABA_A][5],
                net.g[GABA_B][5],
            ]);
        }
        for (m, g) in g_hist.iter().enumerate() {
            let steps = (m + 1) as f64;
            for (x, pre) in [(AMPA, 3), (NMDA, 3), (GABA_A, 40), (GABA_B, 40)] {
                let e = expect(x, pre, steps);
                assert!(
                    (g[x] - e).abs() <= 1e-12 * e,
                    "receptor {x} step {m}: {} vs {e}",
                    g[x]
                );
            }
        }
        // The time constant read back from the log-slope of the samples.
        for x in [AMPA, NMDA, GABA_A, GABA_B] {
            let (a, b) = (g_hist[10][x], g_hist[110][x]);
            let tau = 100.0 * p.dt_ms / (a / b).ln();
            assert!(
                (tau / p.receptors.tau_ms[x] - 1.0).abs() < 1e-9,
                "tau {tau}"
            );
        }
    }

    #[test]
    fn nmda_block_is_relieved_by_depolarisation_except_the_thesis_form() {
        // Over the physiological range (the Izhikevich-Edelman form is a
        // parabola in v with its minimum, zero, at -80 mV, E_K).
        let vs: Vec<f64> = (-100..=50).map(|v| v as f64).collect();
        for (block, from) in [
            (NmdaBlock::Izhikevich2008, -80.0),
            (NmdaBlock::JahrStevens, -100.0),
        ] {
            for w in vs.windows(2).filter(|w| w[0] >= from) {
                let (a, b) = (block.value(w[0]), block.value(w[1]));
                assert!(b > a && a >= 0.0 && b < 1.0, "{block:?} at {} mV", w[1]);
            }
        }
        for w in vs.windows(2) {
            let t = NmdaBlock::ThesisExpPlus;
            assert!(
                t.value(w[1]) < t.value(w[0]),
                "the thesis block grows with v"
            );
        }
        // Jahr-Stevens at 0 mV: 1 / 1.4202.
        assert!((NmdaBlock::JahrStevens.value(0.0) - 1.0 / 1.4202).abs() < 1e-15);
        assert!((NmdaBlock::Izhikevich2008.value(-80.0)).abs() < 1e-15);
    }

    #[test]
    fn the_sparse_variant_keeps_a_fraction_p_and_the_mean_input() {
        let p = params();
        let dense = p.weights();
        let mut w = dense.clone();
        let mut rng = neurodyn_core::Seed::derive(5, "sparse", &[]).rng();
        sparsify(&mut w, 0.3, &mut rng).unwrap();
        let n = dense.iter().filter(|x| **x != 0.0).count() as f64;
        let kept = w.iter().filter(|x| **x != 0.0).count() as f64;
        // Binomial(n, 0.3): within 5 sd.
        let sd = (n * 0.3 * 0.7).sqrt();
        assert!((kept - 0.3 * n).abs() < 5.0 * sd, "{kept} of {n}");
        for (a, b) in w.iter().zip(&dense) {
            assert!(*a == 0.0 || (a - b / 0.3).abs() < 1e-12);
        }
        // Total input to the I population (uniform weights j_ei, j_ii):
        // unbiased, its relative sd sqrt((1 - p) / (p m)) over m weights.
        let (ne, nt) = (p.n_e, p.n());
        let total: f64 = (0..nt)
            .flat_map(|j| (ne..nt).map(move |i| (j, i)))
            .map(|(j, i)| w[j * nt + i])
            .sum();
        let want: f64 = (0..nt)
            .flat_map(|j| (ne..nt).map(move |i| (j, i)))
            .map(|(j, i)| dense[j * nt + i])
            .sum();
        let m = (nt * (nt - ne)) as f64;
        assert!(
            (total / want - 1.0).abs() < 5.0 * (0.7 / (0.3 * m)).sqrt(),
            "{total} vs {want}"
        );
        assert!(sparsify(&mut w, 0.0, &mut rng).is_err());
        let before = dense.clone();
        let mut same = dense;
        sparsify(&mut same, 1.0, &mut rng).unwrap();
        assert_eq!(same, before);
    }

    #[test]
    fn weights_follow_the_ring() {
        let p = params();
        let w = p.weights();
        let n = p.n();
        // Symmetric in the angular distance, wrapping around the circle.
        assert_eq!(w[0], p.j_ee);
        assert_eq!(w[1], w[35]);
        assert_eq!(w[n + 2], w[2 * n + 1]);
        assert!((w[1] - (-(10.0f64 * 10.0) / (14.4 * 14.4)).exp()).abs() < 1e-15);
        assert_eq!(w[36], p.j_ei);
        assert_eq!(w[36 * n], p.j_ie);
        assert_eq!(w[36 * n + 40], p.j_ii);
        let mut q = p.clone();
        q.self_connections = false;
        let w = q.weights();
        assert_eq!(w[0], 0.0);
        assert_eq!(w[40 * n + 40], 0.0);
    }

    #[test]
    fn background_drives_a_neuron_towards_the_reversal_potential() {
        // Energy-like check: a large background conductance pulls v up
        // (E_ampa = 0 above rest) and the serotonin gain scales the current.
        let p = params();
        let mut a = RingNetwork::new(p.clone(), vec![1.0; p.n()]).unwrap();
        let mut b = RingNetwork::new(p.clone(), vec![0.5; p.n()]).unwrap();
        let (mut fa, mut fb) = (Vec::new(), Vec::new());
        a.step(&[0], &mut fa);
        b.step(&[0], &mut fb);
        let dv_a = a.v[0] - p.rs.v_init_mv;
        let dv_b = b.v[0] - p.rs.v_init_mv;
        // dv = dt/C * s * g (E - v) with g = g_ext (before decay), v = -60.
        let expect = p.dt_ms / p.rs.c_pf * p.g_ext_e_ns * 60.0;
        assert!((dv_a - expect).abs() < 1e-12, "{dv_a} vs {expect}");
        assert!((dv_b - 0.5 * expect).abs() < 1e-12);
        assert_eq!(a.v[1], p.rs.v_init_mv);
    }
}
