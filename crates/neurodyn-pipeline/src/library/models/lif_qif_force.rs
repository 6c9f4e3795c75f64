//! `lif-qif-force`: a mixed LIF/QIF spiking network trained with
//! per-neuron RLS (FORCE) on oscillatory (or sequence) targets (the
//! force-motifs study's simulation), swept over the QIF fraction, the LIF
//! reset potential and seeds: its recordings, per-loop training statistics
//! and targets.

use neurodyn_core::contracts::{
    FORCE_ACTIVITY, FORCE_CURRENTS, FORCE_LOOPS, FORCE_READOUT, FORCE_SPIKES, FORCE_TARGETS,
    FORCE_WEIGHTS,
};
use neurodyn_core::{BackgroundRecorder, Column, ColumnType, Field, Recorder, TableSchema};
use neurodyn_learning::trainer::{self, ForceRecord, Schedule};
use neurodyn_models::lif_qif::{LifQifNet, LifQifParams, NoiseScaling};
use neurodyn_stimuli::targets::Targets;
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Role, StageKind, check_typed, params_of,
};
use crate::params::{ParamDef, choice, choice_list, float, int, int_list, positive};
use crate::study::{AxisDef, AxisValue, OutputFile, Point, Scope, StageContext, files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "lif-qif-force",
    role: Role::Model,
    scope: Scope::PerPoint,
    doc: "mixed LIF/QIF spiking network trained by per-neuron RLS (FORCE) on oscillatory or sequence targets (sweeps pqif, v_reset, seed)",
    code_version: "1",
    params,
    axes,
    inputs: &[],
    outputs: &[
        Output::of("activity", &FORCE_ACTIVITY),
        Output::of("spikes", &FORCE_SPIKES),
        Output::of("currents", &FORCE_CURRENTS),
        Output::of("readout", &FORCE_READOUT),
        Output::of("weights", &FORCE_WEIGHTS),
        Output::of("loops", &FORCE_LOOPS),
        Output::of("targets", &FORCE_TARGETS),
    ],
    check: check_typed::<Params>,
    run: simulate,
    canonical: canonical_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

const VARIABLES: &[&str] = &["r", "input", "spikes", "weights"];

fn axes() -> Vec<AxisDef> {
    vec![
        AxisDef {
            name: "pqif",
            integer: false,
            min: 0.0,
            max: 1.0,
            default: &[0.0, 0.25, 0.5, 0.75, 1.0],
            choices: &[],
            doc: "fraction of QIF neurons",
            unit: "",
        },
        AxisDef {
            name: "v_reset",
            integer: false,
            min: -1e6,
            max: 1e6,
            default: &[-8.5, -12.3, -17.0, -22.0],
            choices: &[],
            doc: "LIF reset potential, below simulate.v_threshold (null for pqif = 1: no LIF neuron)",
            unit: "",
        },
        AxisDef {
            name: "seed",
            integer: true,
            min: 0.0,
            max: 1e9,
            default: &[0.0, 1.0],
            choices: &[],
            doc: "network seed: connectivity, background, targets, initial states and noise",
            unit: "",
        },
    ]
}

/// The point a sweep point denotes: a pure QIF network (pqif = 1) has no
/// reset, so its v_reset is null and every v_reset runs once.
fn canonical_point(mut point: Point) -> Point {
    // A pure QIF network has no reset: one run per seed, v_reset null.
    if point.get("pqif").as_f64() >= 1.0 {
        for (k, v) in &mut point.0 {
            if *k == "v_reset" {
                *v = AxisValue::Null;
            }
        }
    }
    point
}

fn params() -> Vec<ParamDef> {
    vec![
        int("n", 2, 100_000, 200, "number of neurons"),
        positive("p", 1.0, 0.3, "connection probability"),
        positive(
            "gsyn",
            1e6,
            0.5,
            "initial synaptic strength: weights N(0,1) gsyn/sqrt(p n), rows centred",
        ),
        positive("alpha", 1e12, 0.25, "RLS regulariser: P starts at I/alpha"),
        float("v_threshold", -1e6, 1e6, 0.0, "LIF threshold"),
        positive(
            "ts_tau",
            1e6,
            5.0,
            "synaptic decay time in membrane time constants (b = 1/ts)",
        ),
        positive("dt_tau", 1.0, 0.1, "time step in membrane time constants"),
        positive(
            "tau_m_ms",
            1e6,
            10.0,
            "membrane time constant in ms (converts steps to ms and counts to Hz)",
        ),
        float(
            "sigma",
            0.0,
            1e6,
            0.316_227_766_016_837_94,
            "noise amplitude; the default sqrt(0.1) gives the reference study's per-step noise variance at dt_tau = 0.1 with the SDE scaling",
        ),
        choice(
            "noise_scaling",
            &["sde", "notebook"],
            "sde",
            "sde: sigma sqrt(dt) xi per step; notebook: dt sigma xi at each RK2 stage (variance ~ dt^2)",
        ),
        float(
            "amp_current",
            0.0,
            1e6,
            20.0,
            "background currents uniform in [-amp, amp]",
        ),
        choice(
            "target",
            &["oscillation", "sequence"],
            "oscillation",
            "target kind",
        ),
        float(
            "amp0",
            0.0,
            1e6,
            4.0,
            "target amplitude: oscillations U(0, amp0), sequence bumps amp0",
        ),
        int(
            "cycles_slow",
            0,
            1_000_000,
            1,
            "oscillation: cycles per loop of one half of the neurons",
        ),
        int(
            "cycles_fast",
            0,
            1_000_000,
            5,
            "oscillation: cycles per loop of the other half",
        ),
        positive(
            "sequence_width_steps",
            1e9,
            20.0,
            "sequence: bump width (sd) in steps",
        ),
        int(
            "loops",
            1,
            1_000_000,
            16,
            "loops of the run (loop 0 before training)",
        ),
        int(
            "steps_per_loop",
            2,
            100_000_000,
            1000,
            "steps per loop (the target's period)",
        ),
        int(
            "stim_steps",
            0,
            100_000_000,
            200,
            "steps of each loop with the background current on",
        ),
        int("train_first_loop", 0, 1_000_000, 1, "first training loop"),
        int(
            "train_last_loop",
            0,
            1_000_000,
            10,
            "last training loop (inclusive)",
        ),
        choice_list(
            "record.variables",
            VARIABLES,
            VARIABLES,
            "recorded: r and input (table activity), spikes, weights (initial and after every loop)",
        ),
        int_list("record.units", &[], "neurons in activity (empty: all)"),
        int(
            "record.every_steps",
            1,
            i64::MAX,
            1,
            "activity every k steps",
        ),
        int_list(
            "record.current_units",
            &[0, 1, 101, 102],
            "neurons whose external, synaptic and noise currents are recorded",
        ),
        int_list(
            "record.current_loops",
            &[11, 15],
            "loops in which currents are recorded",
        ),
        int(
            "record.current_every_steps",
            1,
            i64::MAX,
            20,
            "currents every k steps",
        ),
        int_list(
            "record.readout_units",
            &[0, 1, 2, 3],
            "neurons whose target and readout W r are recorded every step",
        ),
    ]
}

/// Typed parameters (the keys of `params()`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) n: usize,
    pub(crate) p: f64,
    pub(crate) gsyn: f64,
    pub(crate) alpha: f64,
    pub(crate) v_threshold: f64,
    pub(crate) ts_tau: f64,
    pub(crate) dt_tau: f64,
    pub(crate) tau_m_ms: f64,
    pub(crate) sigma: f64,
    pub(crate) noise_scaling: String,
    pub(crate) amp_current: f64,
    pub(crate) target: String,
    pub(crate) amp0: f64,
    pub(crate) cycles_slow: f64,
    pub(crate) cycles_fast: f64,
    pub(crate) sequence_width_steps: f64,
    pub(crate) loops: usize,
    pub(crate) steps_per_loop: usize,
    pub(crate) stim_steps: usize,
    pub(crate) train_first_loop: usize,
    pub(crate) train_last_loop: usize,
    #[serde(rename = "record.variables")]
    pub(crate) record_variables: Vec<String>,
    #[serde(rename = "record.units")]
    pub(crate) record_units: Vec<u32>,
    #[serde(rename = "record.every_steps")]
    pub(crate) record_every_steps: usize,
    #[serde(rename = "record.current_units")]
    pub(crate) record_current_units: Vec<u32>,
    #[serde(rename = "record.current_loops")]
    pub(crate) record_current_loops: Vec<u32>,
    #[serde(rename = "record.current_every_steps")]
    pub(crate) record_current_every_steps: usize,
    #[serde(rename = "record.readout_units")]
    pub(crate) record_readout_units: Vec<u32>,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let p = self;
        let n = p.n;
        let (loops, steps) = (p.loops, p.steps_per_loop);
        if p.stim_steps >= steps {
            return Err((
                "stim_steps",
                format!("must be below steps_per_loop = {steps}"),
            ));
        }
        if p.train_first_loop > p.train_last_loop {
            return Err((
                "train_first_loop",
                format!("must be at most train_last_loop = {}", p.train_last_loop),
            ));
        }
        for (key, units) in [
            ("record.units", &p.record_units),
            ("record.current_units", &p.record_current_units),
            ("record.readout_units", &p.record_readout_units),
        ] {
            if let Some(u) = units.iter().find(|&&u| u as usize >= n) {
                return Err((key, format!("neuron {u} is not below n = {n}")));
            }
        }
        if let Some(l) = p
            .record_current_loops
            .iter()
            .find(|&&l| l as usize >= loops)
        {
            return Err((
                "record.current_loops",
                format!("loop {l} is not below loops = {loops}"),
            ));
        }
        Ok(())
    }
}

/// At load: the connectivity and the per-neuron RLS matrices fit in
/// memory (each neuron's covers its p n inputs: 4 (p n)^2 bytes stored as
/// block triangles).
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    let n = p.n as f64;
    let k = p.p * n;
    ctx.fits_memory(
        super::sparse_bytes(n, p.p) + 4.0 * (k + 8.0) * (k + 8.0) * n,
        "n",
        &format!(
            "the RLS matrices of n = {} neurons with p n = {k:.0} inputs each",
            p.n
        ),
        "make `n` or `p` smaller",
    )
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let p: Params = params_of(ctx)?;
    let pqif = point.get("pqif").as_f64();
    let v_reset = point.get("v_reset").as_f64(); // NaN (null) for pure QIF
    let n = p.n;
    let params = LifQifParams {
        n,
        p: p.p,
        gsyn: p.gsyn,
        pqif,
        v_threshold: p.v_threshold,
        v_reset,
        ts: p.ts_tau,
        dt: p.dt_tau,
        sigma: p.sigma,
        noise: NoiseScaling::parse(p.noise_scaling.as_str())?,
        background_amp: p.amp_current,
    };
    // Everything random depends on the seed axis only, so that networks of
    // one seed share connectivity, background, targets and noise across
    // pqif and v_reset (a paired comparison, as in the reference study).
    let seed = point.seed(ctx.master_seed, "force-motifs", &["seed"]);
    let mut net = LifQifNet::new(params, &mut seed.child("network", 0).rng())
        .map_err(|e| PipelineError::Other(format!("sweep point {}: {e}", point.label())))?;
    let steps = p.steps_per_loop;
    let stim = p.stim_steps;
    let mut trng = seed.child("target", 0).rng();
    let targets = match p.target.as_str() {
        "sequence" => Targets::sequence(n, steps, stim, p.amp0, p.sequence_width_steps, &mut trng),
        _ => Targets::oscillations(n, steps, p.amp0, (p.cycles_slow, p.cycles_fast), &mut trng),
    };
    let schedule = Schedule {
        loops: p.loops,
        steps,
        stim_steps: stim,
        train: (p.train_first_loop, p.train_last_loop),
        dt_ms: p.dt_tau * p.tau_m_ms,
    };
    let vars = p.record_variables.clone();
    let has = |v: &str| vars.iter().any(|x| x == v);
    let what = ForceRecord {
        r: has("r"),
        input: has("input"),
        units: p.record_units.clone(),
        every: p.record_every_steps,
        spikes: has("spikes"),
        current_units: p.record_current_units.clone(),
        current_loops: p.record_current_loops.clone(),
        current_every: p.record_current_every_steps,
        readout_units: p.record_readout_units.clone(),
        weights: has("weights"),
    };
    // encoding and compressing the recordings overlaps the simulation
    let mut rec = BackgroundRecorder::new(recorder(ctx, seed.short())?);
    let stats = trainer::run(
        &mut net,
        &targets,
        &schedule,
        p.alpha,
        &mut seed.child("noise", 0).rng(),
        &what,
        &mut rec,
    )?;

    // per-loop statistics
    let t = rec.declare(TableSchema::new(
        "loops",
        vec![
            Field::new("loop", ColumnType::I64, None),
            Field::new("trained", ColumnType::Bool, None),
            Field::new("spikes", ColumnType::I64, None),
            Field::new("rate_hz", ColumnType::F64, Some("Hz")),
            Field::new("mse", ColumnType::F64, None),
            Field::new("correlation", ColumnType::F64, None),
            Field::new("weight_change_rel", ColumnType::F64, None),
            Field::new("weight_change_total_rel", ColumnType::F64, None),
        ],
    ))?;
    let loop_s = steps as f64 * p.dt_tau * p.tau_m_ms / 1000.0;
    let col_i = |f: &dyn Fn(&trainer::LoopStats) -> i64| stats.iter().map(f).collect::<Vec<_>>();
    let col_f = |f: &dyn Fn(&trainer::LoopStats) -> f64| stats.iter().map(f).collect::<Vec<_>>();
    let trained: Vec<bool> = stats.iter().map(|s| s.trained).collect();
    rec.append(
        t,
        &[
            Column::I64(&col_i(&|s| s.loop_index as i64)),
            Column::Bool(&trained),
            Column::I64(&col_i(&|s| s.spikes as i64)),
            Column::F64(&col_f(&|s| s.spikes as f64 / (n as f64 * loop_s))),
            Column::F64(&col_f(&|s| s.mse)),
            Column::F64(&col_f(&|s| s.correlation)),
            Column::F64(&col_f(&|s| s.weight_change_rel)),
            Column::F64(&col_f(&|s| s.weight_change_total_rel)),
        ],
    )?;
    // the targets' parameters (the signal itself follows from them)
    let t = rec.declare(TableSchema::new(
        "targets",
        vec![
            Field::new("neuron", ColumnType::U32, None),
            Field::new("amplitude", ColumnType::F64, None),
            Field::new("cycles_per_loop", ColumnType::F64, None),
            Field::new("phase_rad", ColumnType::F64, Some("rad")),
            Field::new("centre_step", ColumnType::F64, None),
            Field::new("width_steps", ColumnType::F64, None),
        ],
    ))?;
    let idx: Vec<u32> = (0..n as u32).collect();
    rec.append(
        t,
        &[
            Column::U32(&idx),
            Column::F64(&targets.amplitude),
            Column::F64(&targets.cycles),
            Column::F64(&targets.phase),
            Column::F64(&targets.centre),
            Column::F64(&vec![targets.width; n]),
        ],
    )?;
    rec.finish()?;
    let rec = rec.into_inner().expect("finished");
    Ok(files(ctx, &rec))
}
