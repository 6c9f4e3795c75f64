//! `ring-attractor`: a working-memory bump in a ring of Izhikevich RS (E)
//! and FS (I) neurons with AMPA/NMDA/GABA-A/GABA-B conductances, Poisson
//! background and an oriented stimulus, under four serotonin conditions
//! (the ring-attractor study's simulation; reference: ../shared/seeds/001;
//! docs/studies/ring-attractor.md): every spike, and decimated traces.

use std::path::Path;

use neurodyn_core::contracts::{RING_TRACES, SPIKES};
use neurodyn_core::drive::{self, NonFinite, Simulation};
use neurodyn_core::{Column, ColumnType, Field, Recorder, Seed, TableId, TableSchema};
use neurodyn_models::izhikevich::{IzhikevichCell, Recovery};
use neurodyn_models::ring::{
    self, AMPA, GABA_A, GABA_B, NMDA, NmdaBlock, Receptors, RingNetwork, RingParams,
};
use neurodyn_stimuli::oriented::{oriented_rates, ring_angles_deg};
use neurodyn_stimuli::poisson::{PoissonTrains, RateEpoch};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Role, StageKind, check_typed, params_of, same_point,
};
use crate::params::{ParamDef, choice, float, int, int_list, positive};
use crate::study::{AxisDef, OutputFile, Scope, StageContext, files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "ring-attractor",
    role: Role::Model,
    scope: Scope::PerPoint,
    doc: "Izhikevich RS/FS ring with AMPA/NMDA/GABA-A/GABA-B conductances, a cue and serotonin gain (sweeps parameter_set, condition, seed)",
    code_version: "1",
    params,
    axes,
    inputs: &[],
    outputs: &[
        Output::of("spikes", &SPIKES),
        Output::of("traces", &RING_TRACES),
    ],
    check: check_typed::<Params>,
    run: simulate,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

/// Serotonin conditions, in the study's order (the figures' x positions).
pub const CONDITION_NAMES: &[&str] = &["normal", "increased", "decreased", "slightly_decreased"];
/// Their (E gain, I gain) on the total synaptic input, as in the reference
/// notebook, one per name of [`CONDITION_NAMES`].
pub const CONDITION_GAINS: [(f64, f64); 4] = [(1.0, 1.0), (0.97, 1.0), (1.02, 1.02), (1.01, 1.01)];

/// Names of the bundled parameter sets, `data/ring-attractor/<name>.toml`.
pub const SET_NAMES: &[&str] = &["original", "book"];
/// Their texts, one per name of [`SET_NAMES`] (compiled in).
pub const SET_TEXTS: [&str; 2] = [
    include_str!("../../../../../data/ring-attractor/original.toml"),
    include_str!("../../../../../data/ring-attractor/book.toml"),
];

fn axes() -> Vec<AxisDef> {
    vec![
        AxisDef {
            name: "parameter_set",
            integer: false,
            min: 0.0,
            max: 0.0,
            default: &[0.0],
            choices: SET_NAMES,
            doc: "bundled parameter set: original (the thesis code's values) or book (Izhikevich 2007 cells)",
            unit: "",
        },
        AxisDef {
            name: "condition",
            integer: false,
            min: 0.0,
            max: 0.0,
            default: &[0.0, 1.0, 2.0, 3.0],
            choices: CONDITION_NAMES,
            doc: "serotonin: normal 1.0; increased: E 0.97; decreased: all 1.02; slightly_decreased: all 1.01",
            unit: "",
        },
        AxisDef {
            name: "seed",
            integer: true,
            min: 0.0,
            max: 1e9,
            default: &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            choices: &[],
            doc: "background noise seed (the same trains in every condition: paired comparisons)",
            unit: "",
        },
    ]
}

fn params() -> Vec<ParamDef> {
    vec![
        int("n_e", 1, 100_000, 360, "excitatory (RS) neurons"),
        int("n_i", 1, 100_000, 90, "inhibitory (FS) neurons"),
        positive("duration_s", 1e6, 5.0, "simulated time (s)"),
        positive("dt_ms", 10.0, 0.1, "Euler step (ms)"),
        float(
            "stimulus_deg",
            0.0,
            360.0,
            100.0,
            "stimulus orientation (degrees)",
        ),
        float("stimulus_on_s", 0.0, 1e6, 1.0, "stimulus onset (s)"),
        float("stimulus_off_s", 0.0, 1e6, 1.25, "stimulus offset (s)"),
        choice(
            "nmda_block",
            &["set", "izhikevich2008", "jahr_stevens", "thesis_exp_plus"],
            "set",
            "NMDA magnesium block: the parameter set's own (original: thesis_exp_plus; book: izhikevich2008) or a named form",
        ),
        positive(
            "connection_p",
            1.0,
            1.0,
            "sparse random variant: each connection kept with this probability (weight / p); 1 = the dense ring",
        ),
        choice(
            "self_connections",
            &["yes", "no"],
            "yes",
            "whether a neuron's own spikes reach it (the ring kernel at distance 0), as in the thesis code",
        ),
        int_list(
            "record.neurons",
            &[0, 100, 180, 360, 405],
            "neurons whose v, u and conductances are recorded",
        ),
        int(
            "record.every_steps",
            1,
            i64::MAX,
            10,
            "record the traces every k steps",
        ),
    ]
}

// Parameter sets.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    name: String,
    nmda_block: String,
    #[serde(rename = "RS")]
    rs: CellFile,
    #[serde(rename = "FS")]
    fs: CellFile,
    receptors: ReceptorFile,
    weights: WeightFile,
    background: BackgroundFile,
    stimulus: StimulusFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CellFile {
    #[serde(rename = "C_pF")]
    c_pf: f64,
    k_ns_per_mv: f64,
    v_r_mv: f64,
    v_t_mv: f64,
    v_peak_mv: f64,
    a_per_ms: f64,
    recovery: String,
    b_ns: Option<f64>,
    v_b_mv: Option<f64>,
    b_cubic: Option<f64>,
    c_mv: f64,
    d_pa: f64,
    v_mv: f64,
    u_pa: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceptorFile {
    tau_ampa_ms: f64,
    tau_nmda_ms: f64,
    tau_gabaa_ms: f64,
    tau_gabab_ms: f64,
    g_ampa_ns: f64,
    g_nmda_ns: f64,
    g_gabaa_ns: f64,
    g_gabab_ns: f64,
    e_ampa_mv: f64,
    e_nmda_mv: f64,
    e_gabaa_mv: f64,
    e_gabab_mv: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightFile {
    sigma_deg: f64,
    j_ee: f64,
    j_ei: f64,
    j_ie: f64,
    j_ii: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackgroundFile {
    v_e_hz: f64,
    v_i_hz: f64,
    g_e_external_ns: f64,
    g_i_external_ns: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StimulusFile {
    amplitude: f64,
    eta: f64,
}

/// A parameter set, validated.
#[derive(Debug, Clone)]
pub struct ParameterSet {
    /// Its name.
    pub name: String,
    /// Excitatory cell.
    pub rs: IzhikevichCell,
    /// Inhibitory cell.
    pub fs: IzhikevichCell,
    /// Receptor kinetics.
    pub receptors: Receptors,
    /// The set's NMDA block.
    pub nmda_block: NmdaBlock,
    /// Ring weights: sigma (deg), j_ee, j_ei, j_ie, j_ii.
    pub weights: [f64; 5],
    /// Background rates (Hz), E and I.
    pub v_e_hz: f64,
    /// Background rate of I neurons (Hz).
    pub v_i_hz: f64,
    /// Background conductance per external spike (nS), E and I.
    pub g_ext_ns: [f64; 2],
    /// Stimulus amplitude A and width eta.
    pub stimulus: [f64; 2],
}

fn cell(file: &str, name: &str, c: &CellFile) -> Result<IzhikevichCell, PipelineError> {
    let err = |key: &str, what: &str| PipelineError::Other(format!("{file}: {name}.{key}: {what}"));
    let recovery = match c.recovery.as_str() {
        "linear" => Recovery::Linear {
            b_ns: c
                .b_ns
                .ok_or_else(|| err("b_ns", "required by recovery = \"linear\""))?,
        },
        "cubic" => Recovery::Cubic {
            v_b_mv: c
                .v_b_mv
                .ok_or_else(|| err("v_b_mv", "required by recovery = \"cubic\""))?,
            b_cubic: c
                .b_cubic
                .ok_or_else(|| err("b_cubic", "required by recovery = \"cubic\""))?,
        },
        other => {
            return Err(err(
                "recovery",
                &format!("\"{other}\": expected \"linear\" or \"cubic\""),
            ));
        }
    };
    let cell = IzhikevichCell {
        c_pf: c.c_pf,
        k: c.k_ns_per_mv,
        v_r_mv: c.v_r_mv,
        v_t_mv: c.v_t_mv,
        v_peak_mv: c.v_peak_mv,
        a_per_ms: c.a_per_ms,
        recovery,
        v_reset_mv: c.c_mv,
        d_pa: c.d_pa,
        v_init_mv: c.v_mv,
        u_init_pa: c.u_pa,
    };
    cell.validate(name)
        .map_err(|e| PipelineError::Other(format!("{file}: {e}")))?;
    Ok(cell)
}

/// Parse a parameter set from TOML text; `file` names it in errors.
pub fn parse_parameter_set(file: &str, text: &str) -> Result<ParameterSet, PipelineError> {
    let f: SetFile =
        toml::from_str(text).map_err(|e| PipelineError::Other(format!("{file}: {e}")))?;
    let r = &f.receptors;
    let set = ParameterSet {
        rs: cell(file, "RS", &f.rs)?,
        fs: cell(file, "FS", &f.fs)?,
        receptors: Receptors {
            tau_ms: [r.tau_ampa_ms, r.tau_nmda_ms, r.tau_gabaa_ms, r.tau_gabab_ms],
            g_ns: [r.g_ampa_ns, r.g_nmda_ns, r.g_gabaa_ns, r.g_gabab_ns],
            e_mv: [r.e_ampa_mv, r.e_nmda_mv, r.e_gabaa_mv, r.e_gabab_mv],
        },
        nmda_block: NmdaBlock::parse(&f.nmda_block)
            .map_err(|e| PipelineError::Other(format!("{file}: {e}")))?,
        weights: [
            f.weights.sigma_deg,
            f.weights.j_ee,
            f.weights.j_ei,
            f.weights.j_ie,
            f.weights.j_ii,
        ],
        v_e_hz: f.background.v_e_hz,
        v_i_hz: f.background.v_i_hz,
        g_ext_ns: [f.background.g_e_external_ns, f.background.g_i_external_ns],
        stimulus: [f.stimulus.amplitude, f.stimulus.eta],
        name: f.name,
    };
    for (k, v) in [
        ("background.v_e_hz", set.v_e_hz),
        ("background.v_i_hz", set.v_i_hz),
        ("stimulus.amplitude", set.stimulus[0]),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(PipelineError::Other(format!(
                "{file}: {k} = {v}: expected a finite number >= 0"
            )));
        }
    }
    if !set.stimulus[1].is_finite() {
        return Err(PipelineError::Other(format!(
            "{file}: stimulus.eta: expected a finite number"
        )));
    }
    Ok(set)
}

impl ParameterSet {
    /// The network of this set with `n_e` + `n_i` neurons, an NMDA block and
    /// the self-connection choice, at `dt_ms`.
    pub fn network(
        &self,
        n_e: usize,
        n_i: usize,
        nmda_block: NmdaBlock,
        self_connections: bool,
        dt_ms: f64,
    ) -> RingParams {
        let [sigma_deg, j_ee, j_ei, j_ie, j_ii] = self.weights;
        RingParams {
            n_e,
            n_i,
            rs: self.rs,
            fs: self.fs,
            receptors: self.receptors,
            nmda_block,
            sigma_deg,
            j_ee,
            j_ei,
            j_ie,
            j_ii,
            self_connections,
            g_ext_e_ns: self.g_ext_ns[0],
            g_ext_i_ns: self.g_ext_ns[1],
            dt_ms,
        }
    }
}

/// A bundled parameter set by name.
pub fn parameter_set(name: &str) -> Result<ParameterSet, PipelineError> {
    let k = SET_NAMES
        .iter()
        .position(|n| *n == name)
        .ok_or_else(|| PipelineError::Other(format!("no parameter set `{name}`")))?;
    parse_parameter_set(&format!("data/ring-attractor/{name}.toml"), SET_TEXTS[k])
}

fn serotonin(condition: &str, n_e: usize, n_i: usize) -> Vec<f64> {
    let k = CONDITION_NAMES
        .iter()
        .position(|c| *c == condition)
        .expect("a declared condition");
    let (e, i) = CONDITION_GAINS[k];
    let mut s = vec![e; n_e];
    s.resize(n_e + n_i, i);
    s
}

/// The network of a sweep point's stage parameters and set.
pub(crate) fn ring_params(p: &Params, set: &ParameterSet) -> Result<RingParams, PipelineError> {
    let block = match p.nmda_block.as_str() {
        "set" => set.nmda_block,
        other => NmdaBlock::parse(other)?,
    };
    let params = set.network(
        p.n_e,
        p.n_i,
        block,
        p.self_connections.as_str() == "yes",
        p.dt_ms,
    );
    params.validate()?;
    Ok(params)
}

/// At load, for each parameter set of the sweep: the network validates,
/// the Poisson rates (background and stimulus peak) fit one spike per
/// step of dt_ms, and the dense weight matrix fits in memory.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    let n = (p.n_e + p.n_i) as f64;
    // the dense n x n weights, and their sparse copy's build
    ctx.fits_memory(
        16.0 * n * n,
        "n_e",
        &format!("dense weights of n_e + n_i = {n} neurons"),
        "make `n_e` or `n_i` smaller",
    )?;
    for (v, point) in ctx.axis_values("parameter_set") {
        let set = parameter_set(v.as_choice()).map_err(|e| ctx.model_error(e, point))?;
        ring_params(&p, &set).map_err(|e| ctx.model_error(e, point))?;
        let peak = oriented_rates(
            set.v_e_hz,
            set.stimulus[0],
            set.stimulus[1],
            p.stimulus_deg,
            &ring_angles_deg(p.n_e),
        )
        .into_iter()
        .chain([set.v_e_hz, set.v_i_hz])
        .fold(0.0, f64::max);
        let max_hz = 1000.0 / p.dt_ms;
        if peak > max_hz {
            return Err((
                "dt_ms".into(),
                format!(
                    "{} ms allows Poisson rates up to 1/dt = {max_hz} Hz, but parameter set {} drives neurons at up to {peak} Hz: dt_ms must be at most {}",
                    p.dt_ms,
                    v.as_choice(),
                    1000.0 / peak
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn steps_of(seconds: f64, dt_ms: f64) -> u64 {
    (seconds * 1000.0 / dt_ms).round() as u64
}

/// `[simulate]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) n_e: usize,
    pub(crate) n_i: usize,
    pub(crate) duration_s: f64,
    pub(crate) dt_ms: f64,
    pub(crate) stimulus_deg: f64,
    pub(crate) stimulus_on_s: f64,
    pub(crate) stimulus_off_s: f64,
    pub(crate) nmda_block: String,
    pub(crate) connection_p: f64,
    pub(crate) self_connections: String,
    #[serde(rename = "record.neurons")]
    pub(crate) record_neurons: Vec<u32>,
    #[serde(rename = "record.every_steps")]
    pub(crate) record_every_steps: usize,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let p = self;
        let (on, off, dur) = (p.stimulus_on_s, p.stimulus_off_s, p.duration_s);
        if off <= on {
            return Err((
                "stimulus_off_s",
                format!("must be after stimulus_on_s = {on}"),
            ));
        }
        if off > dur {
            return Err((
                "stimulus_off_s",
                format!("must be at most duration_s = {dur}"),
            ));
        }
        let n = p.n_e + p.n_i;
        if let Some(k) = p.record_neurons.iter().find(|&&k| k as usize >= n) {
            return Err((
                "record.neurons",
                format!("neuron {k} is not below n_e + n_i = {n}"),
            ));
        }
        if steps_of(dur, p.dt_ms) > u32::MAX as u64 {
            return Err(("duration_s", "more than 2^32 steps".into()));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Stages.

/// Rows buffered before a push to the recorder.
const CHUNK_ROWS: usize = 8192;

/// Stimulus timing and orientation of a simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Protocol {
    /// Simulated time (s).
    pub duration_s: f64,
    /// Stimulus orientation (degrees).
    pub stimulus_deg: f64,
    /// Stimulus onset (s).
    pub on_s: f64,
    /// Stimulus offset (s).
    pub off_s: f64,
}

/// One network simulation: the ring under its Poisson background and the
/// oriented stimulus, advanced one step at a time.
pub struct RingSimulation {
    /// The network (its state is public).
    pub net: RingNetwork,
    trains: PoissonTrains,
    step: u64,
    /// Steps in the whole simulation.
    pub steps: u64,
    ext: Vec<u32>,
    fired: Vec<u32>,
}

impl RingSimulation {
    /// The network of `params` (weights kept with probability
    /// `connection_p`, drawn from `seed`'s child "connectivity") with the
    /// serotonin gains of `condition`, background rates and stimulus of
    /// `set`, background spikes drawn from `seed`.
    pub fn new(
        set: &ParameterSet,
        params: RingParams,
        connection_p: f64,
        condition: &str,
        protocol: &Protocol,
        seed: &Seed,
    ) -> Result<Self, PipelineError> {
        let (n_e, n_i, dt) = (params.n_e, params.n_i, params.dt_ms);
        let n = n_e + n_i;
        let steps = steps_of(protocol.duration_s, dt);
        let on = steps_of(protocol.on_s, dt);
        let off = steps_of(protocol.off_s, dt);
        let mut w = params.weights();
        ring::sparsify(
            &mut w,
            connection_p,
            &mut seed.child("connectivity", 0).rng(),
        )?;
        let net = RingNetwork::with_weights(params, w, serotonin(condition, n_e, n_i))?;
        let mut base = vec![set.v_e_hz; n_e];
        base.resize(n, set.v_i_hz);
        let mut stim = oriented_rates(
            set.v_e_hz,
            set.stimulus[0],
            set.stimulus[1],
            protocol.stimulus_deg,
            &ring_angles_deg(n_e),
        );
        stim.resize(n, set.v_i_hz);
        let mut epochs = vec![RateEpoch {
            start_step: 0,
            rate_hz: base.clone(),
        }];
        if on > 0 {
            epochs.push(RateEpoch {
                start_step: on,
                rate_hz: stim,
            });
        } else {
            epochs[0].rate_hz = stim;
        }
        if off > on {
            epochs.push(RateEpoch {
                start_step: off,
                rate_hz: base,
            });
        }
        Ok(RingSimulation {
            net,
            trains: PoissonTrains::new(dt, epochs, seed.rng())?,
            step: 0,
            steps,
            ext: Vec::new(),
            fired: Vec::new(),
        })
    }

    /// Advance one step; returns the step index and the neurons that
    /// spiked in it (increasing).
    pub fn advance(&mut self) -> (u64, &[u32]) {
        let step = self.step;
        self.ext.clear();
        self.trains.spikes_at(step, &mut self.ext);
        self.fired.clear();
        self.net.step(&self.ext, &mut self.fired);
        self.step += 1;
        (step, &self.fired)
    }
}

/// A ring simulation for the driver, with the spikes and traces buffered.
struct RingRun {
    dt_ms: f64,
    sim: RingSimulation,
    /// Neurons whose traces are recorded, every `every` steps.
    chosen: Vec<u32>,
    every: u64,
    /// spikes, traces
    tables: (TableId, TableId),
    /// step, neuron
    spikes: (Vec<u32>, Vec<u32>),
    /// step, neuron; v, u, the four receptor conductances, background
    traces: TraceRows,
}

/// Rows of (step, neuron; v, u, the four conductances, background).
type TraceRows = (Vec<u32>, Vec<u32>, [Vec<f64>; 7]);

impl Simulation for RingRun {
    fn model_name(&self) -> &str {
        "ring-attractor"
    }

    fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    fn advance(&mut self, step: u64) -> Result<(), neurodyn_core::Error> {
        if step % self.every == 0 {
            let net = &self.sim.net;
            let tr = &mut self.traces;
            for &k in &self.chosen {
                let k = k as usize;
                tr.0.push(step as u32);
                tr.1.push(k as u32);
                let vals = [
                    net.v[k],
                    net.u[k],
                    net.g[AMPA][k],
                    net.g[NMDA][k],
                    net.g[GABA_A][k],
                    net.g[GABA_B][k],
                    net.g_bg[k],
                ];
                for (col, v) in tr.2.iter_mut().zip(vals) {
                    col.push(v);
                }
            }
        }
        let (_, fired) = self.sim.advance();
        for &i in fired {
            self.spikes.0.push(step as u32);
            self.spikes.1.push(i);
        }
        Ok(())
    }

    fn buffered_rows(&self) -> usize {
        self.spikes.0.len().max(self.traces.0.len())
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<(), neurodyn_core::Error> {
        let (t_spk, t_tr) = self.tables;
        let (s, tr) = (&mut self.spikes, &mut self.traces);
        if !s.0.is_empty() {
            rec.append(t_spk, &[Column::U32(&s.0), Column::U32(&s.1)])?;
            s.0.clear();
            s.1.clear();
        }
        if !tr.0.is_empty() {
            let mut cols = vec![Column::U32(&tr.0), Column::U32(&tr.1)];
            cols.extend(tr.2.iter().map(|c| Column::F64(c)));
            rec.append(t_tr, &cols)?;
            tr.0.clear();
            tr.1.clear();
            tr.2.iter_mut().for_each(Vec::clear);
        }
        Ok(())
    }

    fn non_finite(&self) -> Option<NonFinite> {
        let net = &self.sim.net;
        NonFinite::find("v_mv", &net.v)
            .or_else(|| NonFinite::find("u_pa", &net.u))
            .or_else(|| NonFinite::find("g_ampa_ns", &net.g[AMPA]))
            .or_else(|| NonFinite::find("g_nmda_ns", &net.g[NMDA]))
            .or_else(|| NonFinite::find("g_gabaa_ns", &net.g[GABA_A]))
            .or_else(|| NonFinite::find("g_gabab_ns", &net.g[GABA_B]))
            .or_else(|| NonFinite::find("g_background_ns", &net.g_bg))
    }
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let set = parameter_set(point.get("parameter_set").as_choice())?;
    let condition = point.get("condition").as_choice();
    let p: Params = params_of(ctx)?;
    let params = ring_params(&p, &set)?;
    let protocol = Protocol {
        duration_s: p.duration_s,
        stimulus_deg: p.stimulus_deg,
        on_s: p.stimulus_on_s,
        off_s: p.stimulus_off_s,
    };
    // Background: the same trains in every condition of a seed.
    let seed = point.seed(ctx.master_seed, "ring-attractor/background", &["seed"]);
    let params_dt = params.dt_ms;
    let sim = RingSimulation::new(&set, params, p.connection_p, condition, &protocol, &seed)?;
    let steps = sim.steps;

    let mut rec = recorder(ctx, seed.short())?;
    let t_spk = rec.declare(TableSchema::new(
        "spikes",
        vec![
            Field::new("step", ColumnType::U32, Some("step")),
            Field::new("neuron", ColumnType::U32, None),
        ],
    ))?;
    let t_tr = rec.declare(TableSchema::new(
        "traces",
        vec![
            Field::new("step", ColumnType::U32, Some("step")),
            Field::new("neuron", ColumnType::U32, None),
            Field::new("v_mv", ColumnType::F64, Some("mV")),
            Field::new("u_pa", ColumnType::F64, Some("pA")),
            Field::new("g_ampa_ns", ColumnType::F64, Some("nS")),
            Field::new("g_nmda_ns", ColumnType::F64, Some("nS")),
            Field::new("g_gabaa_ns", ColumnType::F64, Some("nS")),
            Field::new("g_gabab_ns", ColumnType::F64, Some("nS")),
            Field::new("g_background_ns", ColumnType::F64, Some("nS")),
        ],
    ))?;
    let mut run = RingRun {
        dt_ms: params_dt,
        sim,
        chosen: p.record_neurons.clone(),
        every: p.record_every_steps as u64,
        tables: (t_spk, t_tr),
        spikes: Default::default(),
        traces: Default::default(),
    };
    drive::simulate(&mut run, steps, CHUNK_ROWS, &mut rec)?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}

/// Every spike of a point's `simulate` output, `(step, neuron)` in step order.
pub(crate) fn read_spikes(path: &Path) -> Result<Vec<(u64, u32)>, PipelineError> {
    let mut spikes = Vec::new();
    neurodyn_io::for_each_batch(path, |t| {
        let (s, k) = (t.u32s("step")?, t.u32s("neuron")?);
        spikes.extend(s.iter().zip(k).map(|(&s, &k)| (s as u64, k)));
        Ok(())
    })?;
    Ok(spikes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_sets_parse_with_their_own_blocks_and_cells() {
        let o = parameter_set("original").unwrap();
        assert_eq!(o.nmda_block, NmdaBlock::ThesisExpPlus);
        assert_eq!(o.rs.recovery, Recovery::Linear { b_ns: 5.0 });
        assert_eq!((o.v_e_hz, o.v_i_hz), (1.0, 12.0));
        let b = parameter_set("book").unwrap();
        assert_eq!(b.nmda_block, NmdaBlock::Izhikevich2008);
        assert!(matches!(b.fs.recovery, Recovery::Cubic { .. }));
        assert_eq!(b.rs, IzhikevichCell::book_rs());
        assert_eq!(b.fs, IzhikevichCell::book_fs());
    }

    #[test]
    fn bad_sets_name_the_file_and_key() {
        let text = SET_TEXTS[0];
        let err = |t: &str| parse_parameter_set("x.toml", t).unwrap_err().to_string();
        let e = err(&text.replace("v_peak_mv = 50.0", "v_peak_mv = -55.0"));
        assert!(e.contains("x.toml") && e.contains("RS.v_peak_mv"), "{e}");
        let e = err(&text.replace("sigma_deg = 14.4", "sigma_deg = 14.4\nsigma_rad = 1.0"));
        assert!(e.contains("x.toml") && e.contains("sigma_rad"), "{e}");
        let e = err(&text.replace("recovery = \"linear\"\nb_ns = 5.0", "recovery = \"cubic\""));
        assert!(e.contains("RS.v_b_mv"), "{e}");
        let e = err(&text.replace("v_e_hz = 1.0", "v_e_hz = -1.0"));
        assert!(e.contains("background.v_e_hz"), "{e}");
    }

    #[test]
    fn serotonin_conditions_scale_the_right_populations() {
        assert_eq!(serotonin("increased", 2, 1), [0.97, 0.97, 1.0]);
        assert_eq!(serotonin("decreased", 1, 1), [1.02, 1.02]);
        assert_eq!(serotonin("normal", 1, 1), [1.0, 1.0]);
    }
}
