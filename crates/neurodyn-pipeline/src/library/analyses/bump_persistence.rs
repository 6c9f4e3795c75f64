//! `bump-persistence`: a ring network's population rates, the bump's
//! population-vector angle over time, and how long the bump persists after
//! the stimulus ends (with the angle error at the end of the delay).

use neurodyn_analysis::bump::{self, PersistenceParams};
use neurodyn_core::contracts::{BUMP_TRACK, PERSISTENCE, POPULATION_RATES, RING_TRACES, SPIKES};
use neurodyn_core::{Column, ColumnType, Field, Recorder, TableSchema};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::ring_attractor::{self, read_spikes, steps_of};
use crate::library::{
    KindParams, Output, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, positive};
use crate::study::{OutputFile, Scope, StageContext, files, recorder};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "bump-persistence",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "population rates, the bump's angle over time, persistence after stimulus offset of a ring-attractor run",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "spikes",
            kind: Some(&SPIKES),
            doc: "the ring's spikes",
        },
        Port {
            name: "traces",
            kind: Some(&RING_TRACES),
            doc: "the ring's traces (their writer's geometry and protocol)",
        },
    ],
    outputs: &[
        Output::of("rates", &POPULATION_RATES),
        Output::of("bump", &BUMP_TRACK),
        Output::of("persistence", &PERSISTENCE),
    ],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn params() -> Vec<ParamDef> {
    vec![
        positive("rate_bin_ms", 1e6, 10.0, "bin of the population rates (ms)"),
        positive("window_ms", 1e6, 500.0, "persistence: window length (ms)"),
        positive(
            "hop_ms",
            1e6,
            50.0,
            "persistence: distance between window centres (ms)",
        ),
        positive(
            "low_hz",
            1e6,
            12.0,
            "persistence: a neuron above this keeps the bump alive (Hz)",
        ),
        positive(
            "high_hz",
            1e6,
            100.0,
            "persistence: a neuron above this is runaway activity (Hz)",
        ),
        positive("decode_window_ms", 1e6, 100.0, "bump decoding window (ms)"),
        positive("decode_every_ms", 1e6, 10.0, "bump decoding every (ms)"),
        positive(
            "bump_halfwidth_deg",
            180.0,
            20.0,
            "bump amplitude: mean rate within this of the decoded angle (deg)",
        ),
        positive(
            "end_window_ms",
            1e6,
            500.0,
            "angle error: decoded over the last this many ms (ms)",
        ),
    ]
}

/// `[analyse]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) rate_bin_ms: f64,
    pub(crate) window_ms: f64,
    pub(crate) hop_ms: f64,
    pub(crate) low_hz: f64,
    pub(crate) high_hz: f64,
    pub(crate) decode_window_ms: f64,
    pub(crate) decode_every_ms: f64,
    pub(crate) bump_halfwidth_deg: f64,
    pub(crate) end_window_ms: f64,
}

impl KindParams for Params {}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let sim: ring_attractor::Params = input_params(ctx, "traces")?;
    let (n_e, n_i, dt) = (sim.n_e, sim.n_i, sim.dt_ms);
    let steps = steps_of(sim.duration_s, dt);
    let off = steps_of(sim.stimulus_off_s, dt);
    let stim_deg = sim.stimulus_deg;
    let p: Params = params_of(ctx)?;
    let ms = |value_ms: f64| ((value_ms / dt).round() as u64).max(1);

    let spikes = read_spikes(&ctx.input_path("spikes"))?;
    let e_spikes: Vec<(u64, u32)> = spikes
        .iter()
        .copied()
        .filter(|s| (s.1 as usize) < n_e)
        .collect();

    let mut rec = recorder(ctx, 0)?;
    // Population rates.
    let bin = ms(p.rate_bin_ms);
    let rates = bump::population_rates(&spikes, n_e, n_i, steps, bin, dt);
    let t = rec.declare(TableSchema::new(
        "rates",
        vec![
            Field::new("t_s", ColumnType::F64, Some("s")),
            Field::new("rate_e_hz", ColumnType::F64, Some("Hz")),
            Field::new("rate_i_hz", ColumnType::F64, Some("Hz")),
        ],
    ))?;
    let t_s: Vec<f64> = (0..rates.len())
        .map(|b| b as f64 * bin as f64 * dt / 1000.0)
        .collect();
    let (re, ri): (Vec<f64>, Vec<f64>) = rates.into_iter().unzip();
    rec.append(t, &[Column::F64(&t_s), Column::F64(&re), Column::F64(&ri)])?;

    // The bump over time (window start times).
    let (w, hop) = (ms(p.decode_window_ms), ms(p.decode_every_ms));
    let decoded = bump::decode_over_time(&e_spikes, n_e, steps, w, hop, p.bump_halfwidth_deg, dt);
    let t = rec.declare(TableSchema::new(
        "bump",
        vec![
            Field::new("t_s", ColumnType::F64, Some("s")),
            Field::new("angle_deg", ColumnType::F64, Some("deg")),
            Field::new("width_deg", ColumnType::F64, Some("deg")),
            Field::new("resultant", ColumnType::F64, None),
            Field::new("amplitude_hz", ColumnType::F64, Some("Hz")),
        ],
    ))?;
    let col = |f: fn(&bump::BumpSample) -> f64| -> Vec<f64> { decoded.iter().map(f).collect() };
    let half = w / 2;
    let bt: Vec<f64> = decoded
        .iter()
        .map(|d| (d.start_step + half) as f64 * dt / 1000.0)
        .collect();
    let ang = col(|d| d.decoded.map_or(f64::NAN, |d| d.angle_deg));
    let wid = col(|d| d.decoded.map_or(f64::NAN, |d| d.width_deg));
    let res = col(|d| d.decoded.map_or(f64::NAN, |d| d.resultant));
    let amp = col(|d| d.amplitude_hz);
    rec.append(
        t,
        &[
            Column::F64(&bt),
            Column::F64(&ang),
            Column::F64(&wid),
            Column::F64(&res),
            Column::F64(&amp),
        ],
    )?;

    // Persistence after the stimulus offset, and the angle at the end.
    let pers = bump::persistence(
        &e_spikes,
        n_e,
        off,
        steps,
        &PersistenceParams {
            window_steps: ms(p.window_ms),
            hop_steps: ms(p.hop_ms),
            low_hz: p.low_hz,
            high_hz: p.high_hz,
            dt_ms: dt,
        },
    );
    let end_w = ms(p.end_window_ms).min(steps);
    let mut counts = vec![0.0; n_e];
    for &(s, k) in &e_spikes {
        if s >= steps - end_w {
            counts[k as usize] += 1.0;
        }
    }
    let end = bump::population_vector(&counts);
    let delay_s = (steps - off) as f64 * dt / 1000.0;
    let delay = |lo: usize, hi: usize| {
        spikes
            .iter()
            .filter(|s| s.0 >= off && (lo..hi).contains(&(s.1 as usize)))
            .count() as f64
            / ((hi - lo) as f64 * delay_s)
    };
    let t = rec.declare(TableSchema::new(
        "persistence",
        vec![
            Field::new("persistence_s", ColumnType::F64, Some("s")),
            Field::new("reason", ColumnType::Str, None),
            Field::new("angle_end_deg", ColumnType::F64, Some("deg")),
            Field::new("angle_error_deg", ColumnType::F64, Some("deg")),
            Field::new("rate_e_delay_hz", ColumnType::F64, Some("Hz")),
            Field::new("rate_i_delay_hz", ColumnType::F64, Some("Hz")),
            Field::new("spikes", ColumnType::U32, None),
        ],
    ))?;
    let angle_end = end.map_or(f64::NAN, |d| d.angle_deg);
    let err = end.map_or(f64::NAN, |d| {
        bump::angle_difference_deg(d.angle_deg, stim_deg)
    });
    rec.append(
        t,
        &[
            Column::F64(&[pers.time_s]),
            Column::Str(&[pers.ending.name()]),
            Column::F64(&[angle_end]),
            Column::F64(&[err]),
            Column::F64(&[delay(0, n_e)]),
            Column::F64(&[delay(n_e, n_e + n_i)]),
            Column::U32(&[spikes.len() as u32]),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
