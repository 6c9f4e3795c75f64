//! `avalanche-figures`: CCDFs of avalanche sizes and durations with the
//! fitted power laws, mean size by duration, rasters of the first seed's
//! series, and the layered model's animations.

use std::path::Path;

use neurodyn_analysis::powerlaw;
use neurodyn_core::contracts::{
    AVALANCHES_SWEEP, COUNT_SERIES, LAYERED_CELLS, POWERLAW_SWEEP, SIZE_BY_DURATION_SWEEP,
};
use neurodyn_models::display;
use neurodyn_plot::{Chart, Series};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::analyses::avalanche_statistics::read_activity;
use crate::library::models::branching_network;
use crate::library::{
    KindParams, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, choice, int};
use crate::study::{OutputFile, Point, Scope, StageContext, figure_files};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "avalanche-figures",
    role: Role::Figure,
    scope: Scope::Aggregate,
    doc: "CCDFs with the fitted power laws, mean size by duration, rasters, layered-model animations (figures/*)",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "avalanches",
            kind: Some(&AVALANCHES_SWEEP),
            doc: "avalanches across the sweep (an avalanche-tables stage)",
        },
        Port {
            name: "powerlaw",
            kind: Some(&POWERLAW_SWEEP),
            doc: "power-law fits across the sweep (an avalanche-tables stage)",
        },
        Port {
            name: "size_by_duration",
            kind: Some(&SIZE_BY_DURATION_SWEEP),
            doc: "mean size by duration across the sweep (an avalanche-tables stage)",
        },
        Port {
            name: "activity",
            kind: Some(&COUNT_SERIES),
            doc: "each point's count series (rasters; its writer's parameters)",
        },
        Port {
            name: "cells",
            kind: Some(&LAYERED_CELLS),
            doc: "the layered model's cells (animations)",
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
    vec![
        int(
            "animation_frames",
            0,
            100_000,
            150,
            "frames of each layered-model GIF (0: none); the notebook's smoothing stretches each step to 3 frames",
        ),
        choice(
            "png_frames",
            &["no", "yes"],
            "no",
            "also write each GIF frame as a PNG",
        ),
        int(
            "raster_steps",
            1,
            1_000_000,
            100,
            "steps shown in the activity rasters",
        ),
    ]
}

impl KindParams for Params {}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) animation_frames: usize,
    pub(crate) png_frames: String,
    pub(crate) raster_steps: usize,
}

fn label(point: &Point) -> String {
    format!(
        "{} sigma={} seed={}",
        point.get("model").as_choice(),
        point.get("sigma").canonical(),
        point.get("seed").canonical()
    )
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fig = ctx.pipeline_dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: &[std::path::PathBuf]| out.extend(figure_files(ctx, paths));
    let first_seed = ctx
        .points
        .iter()
        .map(|p| p.get("seed").as_f64())
        .fold(f64::INFINITY, f64::min);
    let shown: Vec<&Point> = ctx
        .points
        .iter()
        .filter(|p| p.get("seed").as_f64() == first_seed)
        .collect();

    // CCDFs of sizes and durations with the fitted power laws (log10 axes).
    for quantity in ["size", "duration"] {
        let samples = neurodyn_tables::branching_avalanches::samples(
            &ctx.input_path("avalanches"),
            quantity,
            first_seed as i64,
        )?;
        let fits = neurodyn_tables::branching_avalanches::fits(
            &ctx.input_path("powerlaw"),
            quantity,
            first_seed as i64,
        )?;
        let mut chart = Chart::new(format!(
            "Avalanche {quantity}s (seed {first_seed}): CCDF and power-law fit from xmin"
        ))
        .labels(quantity.to_string(), format!("P({quantity} >= x)"))
        .log_x(true)
        .log_y(true);
        // the CCDFs are computed in log10 (even spacing there); the axes
        // are logarithmic
        let unlog = |v: Vec<f64>| v.into_iter().map(|l| 10f64.powf(l)).collect::<Vec<_>>();
        // each point's CCDF and its fit in one colour
        for (k, (label, x)) in samples.into_iter().enumerate() {
            let (cx, cy) = log_ccdf(&x);
            chart
                .series
                .push(Series::markers(label.clone(), unlog(cx), unlog(cy)).with_colour(k));
            if let Some(f) = fits.iter().find(|f| f.label == label) {
                let xmax = x.iter().copied().max().unwrap_or(f.xmin).max(f.xmin);
                // on the log axes as they are (a log10 pair drew nowhere)
                let (fx, fy) = fitted_ccdf(f, xmax);
                chart
                    .series
                    .push(Series::line(format!("{label} fit"), fx, fy).with_colour(k));
            }
        }
        push(&neurodyn_plot::save_chart(
            &chart,
            &fig.join(format!("ccdf_{quantity}")),
        )?);
    }

    // Mean size by duration (log10 axes).
    let curves = neurodyn_tables::branching_avalanches::size_by_duration(
        &ctx.input_path("size_by_duration"),
        first_seed as i64,
    )?;
    // log-log axes, where the crackling relation <S>(T) ~ T^gamma is a line
    let mut chart = Chart::new(format!(
        "Mean avalanche size by duration, seed {first_seed} (crackling: slope gamma)"
    ))
    .labels("duration (bins)", "mean size")
    .log_x(true)
    .log_y(true);
    for (label, x, y) in curves {
        chart.series.push(Series::line_markers(label, x, y));
    }
    push(&neurodyn_plot::save_chart(
        &chart,
        &fig.join("size_by_duration"),
    )?);

    // Activity rasters: the layered model's cells during its animation run;
    // the population activity of the other models.
    let fp: Params = params_of(ctx)?;
    let raster_steps = fp.raster_steps as f64;
    let sim: branching_network::Params = input_params(ctx, "activity")?;
    let neurons = sim.layered_neurons;
    let mut panels = Vec::new();
    for point in &shown {
        if point.get("model").as_choice() == "layered" {
            let cells = read_cells(&ctx.input_point_file("cells", point))?;
            let (x, y): (Vec<f64>, Vec<f64>) = cells
                .iter()
                .filter(|c| (c.0 as f64) < raster_steps)
                .map(|c| (c.0 as f64, (c.1 as usize * neurons + c.2 as usize) as f64))
                .unzip();
            panels.push(
                Chart::new(format!("{} (spontaneous run)", label(point)))
                    .labels("step", "cell (layer x neurons + neuron)")
                    .x_range(0.0, raster_steps)
                    .series(Series::dots("active", x, y)),
            );
        } else {
            let a = read_activity(&ctx.input_point_file("activity", point))?;
            let n = (raster_steps as usize * 10).min(a.len());
            panels.push(
                Chart::new(label(point))
                    .labels("step", "active")
                    .series(Series::dots(
                        "activity",
                        (0..n).map(|i| i as f64).collect(),
                        a[..n].iter().map(|&c| c as f64).collect(),
                    )),
            );
        }
    }
    if !panels.is_empty() {
        push(&[neurodyn_plot::save_panels_png(
            &panels,
            3,
            &fig.join("rasters"),
            "Activity",
        )?]);
    }

    // The layered model's animations (the notebook's smoothing).
    let frames_max = fp.animation_frames;
    if frames_max > 0 {
        let layers = sim.layered_layers;
        for point in shown
            .iter()
            .filter(|p| p.get("model").as_choice() == "layered")
        {
            let cells = read_cells(&ctx.input_point_file("cells", point))?;
            let steps = sim.layered_animation_steps;
            let per = layers * neurons;
            let mut states = vec![false; steps * per];
            for c in &cells {
                states[c.0 as usize * per + c.1 as usize * neurons + c.2 as usize] = true;
            }
            let smooth = display::smooth_activity(&states, per, display::DEFAULT_TIME_STRETCH)?;
            let n_frames = (smooth.len() / per).min(frames_max);
            let sigma = point.get("sigma").canonical();
            // one frame at a time, as it is drawn
            let frame = |fi: usize| {
                let frame = &smooth[fi * per..(fi + 1) * per];
                let chart = layered_frame(frame, layers, neurons);
                (
                    format!(
                        "Layered branching model, sigma = {sigma}: step {:.1}",
                        fi as f64 / display::DEFAULT_TIME_STRETCH as f64
                    ),
                    vec![chart],
                )
            };
            let base = fig.join(format!("layered_sigma_{sigma}"));
            match neurodyn_plot::save_gif(n_frames, frame, 1, &base, 40) {
                Ok(p) => push(&[p]),
                Err(neurodyn_plot::PlotError::NoData { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            if fp.png_frames.as_str() == "yes" {
                let fdir = fig.join(format!("layered_sigma_{sigma}_frames"));
                for fi in 0..n_frames {
                    let (title, charts) = frame(fi);
                    push(&[neurodyn_plot::save_panels_png(
                        &charts,
                        1,
                        &fdir.join(format!("frame_{fi:05}")),
                        &title,
                    )?]);
                }
            }
        }
    }
    Ok(out)
}

/// The empirical CCDF `P(X >= x)` at (at most about 300, log-spaced) distinct
/// values, both in log10.
fn log_ccdf(x: &[u64]) -> (Vec<f64>, Vec<f64>) {
    let mut v: Vec<u64> = x.iter().copied().filter(|&a| a > 0).collect();
    v.sort_unstable();
    let n = v.len() as f64;
    let (mut cx, mut cy) = (Vec::new(), Vec::new());
    let mut last_lx = f64::NEG_INFINITY;
    let mut i = 0;
    while i < v.len() {
        let lx = (v[i] as f64).log10();
        if lx - last_lx >= 0.02 {
            cx.push(lx);
            cy.push(((v.len() - i) as f64 / n).log10());
            last_lx = lx;
        }
        i += v[i..].partition_point(|&a| a == v[i]);
    }
    (cx, cy)
}

/// The fitted power law's CCDF on the whole sample's scale, `(n_tail / n)
/// ζ(α, x) / ζ(α, xmin)` from `xmin` to `xmax` (61 points evenly spaced in
/// log x).
fn fitted_ccdf(
    f: &neurodyn_tables::branching_avalanches::FitRow,
    xmax: u64,
) -> (Vec<f64>, Vec<f64>) {
    let z0 = powerlaw::hurwitz_zeta(f.alpha, f.xmin as f64);
    let scale = f.n_tail as f64 / f.n as f64;
    let (a, b) = (
        (f.xmin as f64).log10(),
        (xmax as f64).log10().max((f.xmin as f64).log10()),
    );
    (0..=60)
        .map(|k| {
            let x = 10f64
                .powf(a + (b - a) * k as f64 / 60.0)
                .round()
                .max(f.xmin as f64);
            (x, scale * powerlaw::hurwitz_zeta(f.alpha, x) / z0)
        })
        .unzip()
}

/// Intensity classes of an animation frame (smoothed activity at least).
const FRAME_LEVELS: [(f64, &str); 4] = [
    (0.75, ">= 0.75"),
    (0.5, ">= 0.5"),
    (0.25, ">= 0.25"),
    (0.05, ">= 0.05"),
];

/// One animation frame: cells as markers at (layer, neuron), one series per
/// intensity class (a fixed axis so every frame has the same layout).
fn layered_frame(frame: &[f32], layers: usize, neurons: usize) -> Chart {
    let mut chart = Chart::new("")
        .labels("layer", "neuron")
        .x_range(-0.5, layers as f64 - 0.5)
        .y_range(-0.5, neurons as f64 - 0.5)
        .size(900, 500);
    let mut lo_prev = f64::INFINITY;
    for (lo, name) in FRAME_LEVELS {
        let (x, y): (Vec<f64>, Vec<f64>) = frame
            .iter()
            .enumerate()
            .filter(|(_, v)| (**v as f64) >= lo && (**v as f64) < lo_prev)
            .map(|(i, _)| ((i / neurons) as f64, (i % neurons) as f64))
            .unzip();
        chart.series.push(Series::markers(name, x, y));
        lo_prev = lo;
    }
    chart
}

/// The layered model's active cells `(step, layer, neuron)`.
fn read_cells(path: &Path) -> Result<Vec<(u32, u32, u32)>, PipelineError> {
    let mut out = Vec::new();
    neurodyn_io::for_each_batch(path, |t| {
        let (s, l, k) = (t.u32s("step")?, t.u32s("layer")?, t.u32s("neuron")?);
        out.extend((0..s.len()).map(|i| (s[i], l[i], k[i])));
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::fitted_ccdf;
    use neurodyn_tables::branching_avalanches::FitRow;

    #[test]
    fn the_fitted_ccdf_is_in_the_units_of_the_log_axes_it_is_drawn_on() {
        let f = FitRow {
            label: "poisson sigma=1".into(),
            alpha: 1.5,
            xmin: 4,
            n_tail: 250,
            n: 1000,
        };
        let (x, y) = fitted_ccdf(&f, 10_000);
        // it starts at (xmin, n_tail / n) and ends at xmax, as sizes and
        // probabilities (a log10 pair fell off the log axes)
        assert_eq!((x[0], y[0]), (4.0, 0.25));
        assert_eq!(*x.last().unwrap(), 10_000.0);
        // a power law of exponent 1.5 falls as x^-0.5 far from xmin
        let (a, b) = (x.len() - 11, x.len() - 1);
        let slope = (y[b] / y[a]).ln() / (x[b] / x[a]).ln();
        assert!((slope + 0.5).abs() < 0.01, "{slope}");
    }
}
