//! `rate-rnn`: a sparse rate RNN run by the simulation driver; its activity
//! as an `activity` table.

use neurodyn_core::contracts::ACTIVITY;
use neurodyn_core::{DriveOptions, drive};
use neurodyn_models::rate_network::RateNetwork;
use neurodyn_models::rate_rnn::{RnnForm, RnnParams};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Role, StageKind, check_typed, params_of,
    same_point, seed_axis,
};
use crate::params::ParamDef;
use crate::params::{choice, int, positive};
use crate::study::{AxisDef, OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "rate-rnn",
    role: Role::Model,
    scope: Scope::PerPoint,
    doc: "sparse rate RNN (seed form tau dr/dt = -r + tanh(g W r), or classic tau dx/dt = -x + g W tanh x); every unit's activity",
    code_version: "1",
    params,
    axes,
    inputs: &[],
    outputs: &[Output::of("activity", &ACTIVITY)],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Equations.
    pub form: String,
    /// Units.
    pub n: usize,
    /// Connection probability.
    pub p: f64,
    /// Time constant (ms).
    pub tau_ms: f64,
    /// Euler step (ms).
    pub dt_ms: f64,
    /// Simulated time, transient included (ms).
    pub duration_ms: f64,
    /// Time discarded before the first sample (ms).
    pub transient_ms: f64,
    /// Sampling period (ms).
    pub sample_ms: f64,
}

impl Params {
    fn steps(&self, ms: f64) -> u64 {
        (ms / self.dt_ms).round() as u64
    }
}

fn whole_steps(x_ms: f64, dt_ms: f64) -> bool {
    let k = (x_ms / dt_ms).round();
    (k * dt_ms - x_ms).abs() <= 1e-9 * x_ms.abs().max(dt_ms)
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.dt_ms > self.tau_ms {
            return Err((
                "dt_ms",
                format!(
                    "{} ms is above tau_ms = {} ms: Euler is unstable; expected dt_ms <= tau_ms",
                    self.dt_ms, self.tau_ms
                ),
            ));
        }
        for (key, x) in [
            ("duration_ms", self.duration_ms),
            ("transient_ms", self.transient_ms),
            ("sample_ms", self.sample_ms),
        ] {
            if !whole_steps(x, self.dt_ms) {
                return Err((
                    key,
                    format!(
                        "{x} ms is not a whole number of steps of dt_ms = {} ms",
                        self.dt_ms
                    ),
                ));
            }
        }
        if self.transient_ms >= self.duration_ms {
            return Err((
                "transient_ms",
                format!(
                    "{} ms leaves nothing of duration_ms = {} ms to record",
                    self.transient_ms, self.duration_ms
                ),
            ));
        }
        let samples =
            self.steps(self.duration_ms - self.transient_ms) / self.steps(self.sample_ms).max(1);
        if samples < 2 {
            return Err((
                "sample_ms",
                format!(
                    "{} ms leaves {samples} sample(s) after the transient; expected at least 2",
                    self.sample_ms
                ),
            ));
        }
        Ok(())
    }
}

fn params() -> Vec<ParamDef> {
    vec![
        choice(
            "form",
            &["seed", "classic"],
            "seed",
            "seed: tau dr/dt = -r + tanh(g W r) (weights sd 1/(N p), centred); classic: tau dx/dt = -x + g W tanh(x) (weights variance 1/(N p)), rate r = tanh(x)",
        ),
        int("n", 2, 20_000, 200, "units"),
        positive(
            "p",
            1.0,
            0.1,
            "connection probability of each off-diagonal pair",
        ),
        positive("tau_ms", 1e6, 20.0, "time constant (ms)"),
        positive("dt_ms", 1e3, 1.0, "Euler step (ms), at most tau_ms"),
        positive(
            "duration_ms",
            1e9,
            5000.0,
            "simulated time, transient included (ms)",
        ),
        crate::params::float(
            "transient_ms",
            0.0,
            1e9,
            1000.0,
            "time discarded before the first sample (ms)",
        ),
        positive(
            "sample_ms",
            1e6,
            10.0,
            "sampling period of the recording (ms), a whole number of steps",
        ),
    ]
}

fn axes() -> Vec<AxisDef> {
    vec![
        AxisDef {
            name: "g",
            integer: false,
            min: 0.0,
            max: 1e6,
            default: &[0.5, 1.0, 1.5, 2.0, 3.0],
            choices: &[],
            doc: "synaptic gain g",
            unit: "",
        },
        seed_axis(),
    ]
}

/// At load: the connectivity and the states fit in memory.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    let n = p.n as f64;
    ctx.fits_memory(
        super::sparse_bytes(n, p.p) + 64.0 * n,
        "n",
        &format!("the connectivity of n = {} at p = {}", p.n, p.p),
        "make `n` or `p` smaller",
    )
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let point = ctx.point.as_ref().expect("PerPoint");
    let g = point.get("g").as_f64();
    let form = RnnForm::parse(&p.form)?;
    let net = RnnParams::try_new(p.n, p.p, g, p.tau_ms, p.dt_ms, form)?;
    let seed = point.seed(ctx.master_seed, "rate-rnn", &["seed"]);
    let mut model = RateNetwork::new(net, &mut seed.rng());
    let labels: Vec<String> = (0..p.n).map(|i| format!("u{i}")).collect();
    let mut rec = recorder(ctx, seed.short())?;
    let opts = DriveOptions {
        dt_ms: p.dt_ms,
        steps: p.steps(p.duration_ms),
        transient_steps: p.steps(p.transient_ms),
        every_steps: p.steps(p.sample_ms).max(1),
        // the rate r
        record: vec![0],
        chunk_samples: (65_536 / p.n).max(1),
    };
    drive(&mut model, &opts, &labels, &mut rec, "activity")?;
    neurodyn_core::Recorder::finish(&mut rec)?;
    Ok(files(ctx, &rec))
}
