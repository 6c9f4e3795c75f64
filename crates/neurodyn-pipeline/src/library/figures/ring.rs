//! `ring-figures`: a ring sweep's figures: f-I curves, persistence by
//! condition, rasters and their animation, and the decoded bump angle.

use neurodyn_core::contracts::{BUMP_TRACK, FI_CURVES, PERSISTENCE_SWEEP, RING_TRACES, SPIKES};
use neurodyn_plot::{Chart, Series};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::ring_attractor::{self, CONDITION_NAMES, read_spikes};
use crate::library::{
    KindParams, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, int};
use crate::study::{OutputFile, Scope, StageContext, figure_files};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "ring-figures",
    role: Role::Figure,
    scope: Scope::Aggregate,
    doc: "rasters, decoded angle, persistence by condition, f-I curves, raster animation (figures/*)",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "persistence",
            kind: Some(&PERSISTENCE_SWEEP),
            doc: "persistence across the sweep (a ring-tables stage)",
        },
        Port {
            name: "fi_curves",
            kind: Some(&FI_CURVES),
            doc: "f-I curves (a fi-curves stage)",
        },
        Port {
            name: "spikes",
            kind: Some(&SPIKES),
            doc: "each point's spikes (rasters)",
        },
        Port {
            name: "traces",
            kind: Some(&RING_TRACES),
            doc: "each point's traces (their writer's geometry and protocol)",
        },
        Port {
            name: "bump",
            kind: Some(&BUMP_TRACK),
            doc: "each point's decoded bump angle",
        },
    ],
    outputs: &[],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn params() -> Vec<ParamDef> {
    vec![int(
        "animation_frames",
        1,
        1000,
        50,
        "frames of the raster animation (one per 100 ms at the default)",
    )]
}

/// `[figures]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) animation_frames: usize,
}

impl KindParams for Params {}

/// The parameter sets a sweep visits, in axis order.
fn sets_in_sweep(ctx: &StageContext) -> Vec<&'static str> {
    let mut sets: Vec<&'static str> = Vec::new();
    for p in ctx.points.iter() {
        let s = p.get("parameter_set").as_choice();
        if !sets.contains(&s) {
            sets.push(s);
        }
    }
    sets
}

/// The population vector's resultant length (0: no direction, 1: all
/// activity at one angle) above which the bump-angle figure draws the angle:
/// a held bump measures 0.7-0.87 in the default run, spontaneous activity
/// 0.16-0.26, a runaway about 0.
const BUMP_RESULTANT: f64 = 0.5;

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fig = ctx.pipeline_dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: &[std::path::PathBuf]| out.extend(figure_files(ctx, paths));
    let sim: ring_attractor::Params = input_params(ctx, "traces")?;
    let (n_e, n_i, dt) = (sim.n_e, sim.n_i, sim.dt_ms);
    let duration = sim.duration_s;
    let (on, off) = (sim.stimulus_on_s, sim.stimulus_off_s);

    // f-I curves.
    let fi = neurodyn_tables::ring_attractor::fi_curves(&ctx.input_path("fi_curves"))?;
    let mut chart = Chart::new("f-I curves (steady rate over the second half of 1 s)")
        .labels("injected current (pA)", "rate (Hz)");
    for (label, x, y) in fi {
        chart.series.push(Series::line(label, x, y));
    }
    push(&neurodyn_plot::save_chart(&chart, &fig.join("fi_curves"))?);

    // Persistence by condition (every seed, and the mean).
    let pers = neurodyn_tables::ring_attractor::persistence_by_condition(
        &ctx.input_path("persistence"),
        CONDITION_NAMES,
    )?;
    let delay = duration - off;
    let mut chart = Chart::new("Bump persistence after stimulus offset")
        .y_range(0.0, delay * 1.25)
        .labels(
            "condition (0 normal, 1 increased, 2 decreased, 3 slightly decreased)",
            "persistence (s)",
        );
    for (label, x, y) in pers {
        chart.series.push(Series::markers(label, x, y));
    }
    push(&neurodyn_plot::save_chart(
        &chart,
        &fig.join("persistence"),
    )?);

    // Rasters, decoded angle and the animation of the first seed of each
    // condition of each set.
    let first_seed = ctx
        .points
        .iter()
        .map(|p| p.get("seed").as_f64())
        .fold(f64::INFINITY, f64::min);
    // The stimulus bar, drawn up to `until` (s).
    let stim_bar = |y: f64, until: f64| {
        let (a, b) = (on.min(until), off.min(until));
        Series::line("stimulus", vec![a, b], vec![y, y])
    };
    let mut angle_charts = Vec::new();
    for point in ctx
        .points
        .iter()
        .filter(|p| p.get("seed").as_f64() == first_seed)
    {
        let set = point.get("parameter_set").as_choice();
        let cond = point.get("condition").as_choice();
        let spikes = read_spikes(&ctx.input_point_file("spikes", point))?;
        // Spikes before `until` (s) on a fixed 0..duration axis.
        let raster = |lo: usize, hi: usize, until: f64| {
            let (x, y): (Vec<f64>, Vec<f64>) = spikes
                .iter()
                .filter(|s| (lo..hi).contains(&(s.1 as usize)))
                .map(|s| (s.0 as f64 * dt / 1000.0, (s.1 as usize - lo) as f64))
                .filter(|(t, _)| *t < until)
                .unzip();
            Series::dots("spikes", x, y)
        };
        let panels = |until: f64| {
            let mut e = Chart::new("excitatory (RS)")
                .labels("t (s)", "neuron")
                .series(raster(0, n_e, until))
                .x_range(0.0, duration)
                .y_range(-0.06 * n_e as f64, n_e as f64)
                .size(1000, 380);
            if until > on {
                e.series.push(stim_bar(-0.03 * n_e as f64, until));
            }
            vec![
                e,
                Chart::new("inhibitory (FS)")
                    .labels("t (s)", "neuron")
                    .series(raster(n_e, n_e + n_i, until))
                    .x_range(0.0, duration)
                    .y_range(0.0, n_i as f64)
                    .size(1000, 220),
            ]
        };
        let name = format!("{set}_{cond}");
        push(&[neurodyn_plot::save_panels_png(
            &panels(f64::INFINITY),
            1,
            &fig.join(format!("raster_{name}")),
            &format!("{set} parameters, {cond} serotonin, seed {first_seed}"),
        )?]);
        let frames = params_of::<Params>(ctx)?.animation_frames;
        if cond == "normal" && frames > 0 {
            let frame_s = duration / frames as f64;
            // one frame at a time, as it is drawn
            let frame = |f: usize| {
                let t1 = (f + 1) as f64 * frame_s;
                (
                    format!("{set}, {cond} serotonin: t = {t1:.1} s"),
                    panels(t1),
                )
            };
            push(&[neurodyn_plot::save_gif(
                frames,
                frame,
                1,
                &fig.join(format!("raster_{name}")),
                100,
            )?]);
        }
        let bump = neurodyn_tables::read_f64_columns(
            &ctx.input_point_file("bump", point),
            &["t_s", "angle_deg", "resultant"],
        )?;
        // the angle only where there is a bump to point at: without one
        // (spontaneous activity, or a runaway that fires everywhere, with
        // resultant near 0) the population vector's angle is noise
        let (x, y): (Vec<f64>, Vec<f64>) = (0..bump[0].len())
            .filter(|&k| bump[2][k].is_some_and(|r| r >= BUMP_RESULTANT))
            .map(|k| {
                (
                    bump[0][k].unwrap_or(f64::NAN),
                    bump[1][k].unwrap_or(f64::NAN),
                )
            })
            .unzip();
        let name = if x.is_empty() {
            format!("{cond}: no bump")
        } else {
            cond.to_string()
        };
        angle_charts.push((set, Series::dots(name, x, y)));
    }
    for set in sets_in_sweep(ctx) {
        let mut chart = Chart::new(format!(
            "Decoded bump angle ({set} parameters, seed {first_seed}; where resultant >= {BUMP_RESULTANT})"
        ))
        .labels("t (s)", "population-vector angle (deg)")
        .y_range(0.0, 360.0)
        .hline(sim.stimulus_deg);
        for (_, s) in angle_charts.iter().filter(|(s, _)| *s == set) {
            chart.series.push(s.clone());
        }
        chart.series.push(stim_bar(5.0, f64::INFINITY));
        push(&neurodyn_plot::save_chart(
            &chart,
            &fig.join(format!("bump_angle_{set}")),
        )?);
    }
    Ok(out)
}
