//! `rate-rnn-twins`: twin trajectories and tangent dynamics of a sparse rate
//! RNN (the rnn-chaos study's simulation). Each trial runs a reference
//! trajectory and a twin offset by `perturbation`; the first
//! `benettin_trials` also integrate a tangent vector (Benettin).
//!
//! The network (W and the initial states) depends on the `session` axis
//! only, so the `g` axis scales one network.

use neurodyn_core::contracts::{TANGENT_STRETCH, TWIN_ACTIVITY, TWIN_DISTANCE, TWIN_ENDS};
use neurodyn_core::{Column, Recorder};
use neurodyn_models::rate_rnn::{self, ActivityRecord, RnnForm, RnnParams};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Role, StageKind, check_typed, params_of, same_point,
};
use crate::params::{ParamDef, choice, choice_list, int, int_list, positive};
use crate::study::{AxisDef, OutputFile, Scope, StageContext, files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "rate-rnn-twins",
    role: Role::Model,
    scope: Scope::PerPoint,
    doc: "sparse rate RNN run as twin trajectories with Benettin tangents (sweeps g and session)",
    code_version: "2",
    params,
    axes,
    inputs: &[],
    outputs: &[
        Output::of("activity", &TWIN_ACTIVITY),
        Output::of("distance", &TWIN_DISTANCE),
        Output::of("tangent", &TANGENT_STRETCH),
        Output::of("ends", &TWIN_ENDS),
    ],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

fn axes() -> Vec<AxisDef> {
    vec![
        AxisDef {
            name: "g",
            integer: false,
            min: 0.0,
            max: 1e6,
            default: &[1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0],
            choices: &[],
            doc: "synaptic gain",
            unit: "",
        },
        AxisDef {
            name: "session",
            integer: true,
            min: 0.0,
            max: 1e9,
            default: &[1.0, 2.0, 3.0, 4.0, 5.0],
            choices: &[],
            doc: "connectivity seed: W and the initial states are drawn from (seed, session)",
            unit: "",
        },
    ]
}

fn params() -> Vec<ParamDef> {
    vec![
        choice(
            "model",
            &["seed", "classic"],
            "seed",
            "seed: tau dr/dt = -r + tanh(g W r), weight sd 1/(Np), centred; classic: tau dx/dt = -x + g W tanh(x), weight variance 1/(Np)",
        ),
        int("n", 2, 100_000, 200, "number of units"),
        positive("p", 1.0, 0.1, "connection probability"),
        positive("tau_ms", 1e9, 20.0, "time constant (ms)"),
        positive("dt_ms", 1e9, 1.0, "Euler step (ms), at most tau_ms"),
        int("steps", 1, 100_000_000, 7000, "Euler steps per trial"),
        int("trials", 1, 100_000, 20, "twin trials per sweep point"),
        int(
            "benettin_trials",
            1,
            100_000,
            4,
            "trials (the first ones) that also integrate a Benettin tangent (capped at trials)",
        ),
        positive("perturbation", 1.0, 1e-4, "twin offset added to every unit"),
        choice_list(
            "record.variables",
            &["r", "r_twin"],
            &["r", "r_twin"],
            "activity variables recorded (reference and twin trajectory)",
        ),
        int_list(
            "record.units",
            &[0, 1, 2, 3, 4],
            "units whose activity is recorded",
        ),
        int_list("record.trials", &[0], "trials whose activity is recorded"),
        int(
            "record.every_steps",
            1,
            i64::MAX,
            10,
            "record activity every k steps",
        ),
    ]
}

/// Typed parameters (the keys of `params()`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    model: String,
    n: usize,
    p: f64,
    tau_ms: f64,
    pub(crate) dt_ms: f64,
    pub(crate) steps: usize,
    trials: usize,
    benettin_trials: usize,
    perturbation: f64,
    #[serde(rename = "record.variables")]
    pub(crate) record_variables: Vec<String>,
    #[serde(rename = "record.units")]
    record_units: Vec<u32>,
    #[serde(rename = "record.trials")]
    record_trials: Vec<u32>,
    #[serde(rename = "record.every_steps")]
    record_every_steps: usize,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.dt_ms > self.tau_ms {
            return Err(("dt_ms", format!("must be at most tau_ms = {}", self.tau_ms)));
        }
        if let Some(u) = self.record_units.iter().find(|&&u| u as usize >= self.n) {
            return Err((
                "record.units",
                format!("unit {u} is not below n = {}", self.n),
            ));
        }
        if let Some(k) = self
            .record_trials
            .iter()
            .find(|&&k| k as usize >= self.trials)
        {
            return Err((
                "record.trials",
                format!("trial {k} is not below trials = {}", self.trials),
            ));
        }
        Ok(())
    }
}

fn model_params(p: &Params, g: f64) -> Result<RnnParams, PipelineError> {
    Ok(RnnParams::try_new(
        p.n,
        p.p,
        g,
        p.tau_ms,
        p.dt_ms,
        RnnForm::parse(&p.model)?,
    )?)
}

/// At load: the connectivity and every trial's states fit in memory.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    let n = p.n as f64;
    // a trajectory, its twin and a tangent per trial
    ctx.fits_memory(
        super::sparse_bytes(n, p.p) + 4.0 * 8.0 * n * p.trials as f64,
        "n",
        &format!(
            "the connectivity of n = {} at p = {}, and {} trials' states",
            p.n, p.p, p.trials
        ),
        "make `n`, `p` or `trials` smaller",
    )
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let g = point.get("g").as_f64();
    let sp: Params = params_of(ctx)?;
    let params = model_params(&sp, g)?;
    // W and the initial states depend on the session only: g scales one network.
    let seed = point.seed(ctx.master_seed, "rnn-chaos/network", &["session"]);
    let mut rng = seed.rng();
    let w = rate_rnn::connectivity(&params, &mut rng);
    let trials = sp.trials;
    let init = rate_rnn::initial_states(params.n, trials, &mut rng);
    let tangents = rate_rnn::initial_tangents(
        params.n,
        sp.benettin_trials.min(trials),
        &mut seed.child("tangent", 0).rng(),
    );
    let variables = &sp.record_variables;
    let record = ActivityRecord {
        r: variables.iter().any(|v| v == "r"),
        r_twin: variables.iter().any(|v| v == "r_twin"),
        units: sp.record_units.clone(),
        trials: sp.record_trials.clone(),
        every: sp.record_every_steps,
    };
    let mut rec = recorder(ctx, seed.short())?;
    let ends = rate_rnn::run_twins(
        &params,
        &w,
        &init,
        &tangents,
        sp.perturbation,
        sp.steps,
        &record,
        &mut rec,
    )?;
    let t = rec.declare(TWIN_ENDS.schema("ends"))?;
    let idx: Vec<u32> = (0..ends.len() as u32).collect();
    let d0: Vec<f64> = ends.iter().map(|e| e.initial_distance).collect();
    let d1: Vec<f64> = ends.iter().map(|e| e.final_distance).collect();
    rec.append(t, &[Column::U32(&idx), Column::F64(&d0), Column::F64(&d1)])?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
