//! `force-figures`: a FORCE sweep's figures: targets and readouts of the
//! reference point, MSE by loop, motifs by loop, dimensionality before and
//! after training, and a raster.

use std::path::PathBuf;

use neurodyn_core::contracts::{
    DIMENSIONALITY_SWEEP, FORCE_READOUT, FORCE_SPIKES, MOTIFS_SWEEP, TRAINING_SWEEP,
};
use neurodyn_plot::{Chart, Series};
use serde::Deserialize;

use super::{median_with_quartiles, quartiles_by};
use crate::PipelineError;
use crate::library::models::lif_qif_force;
use crate::library::{
    KindParams, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, float};
use crate::study::{OutputFile, Point, Scope, StageContext, figure_files};
use crate::typed::input_params;
use neurodyn_analysis::stats;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "force-figures",
    role: Role::Figure,
    scope: Scope::Aggregate,
    doc: "traces, MSE by loop, motifs by loop, dpr before/after, a raster (figures/*)",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "training",
            kind: Some(&TRAINING_SWEEP),
            doc: "training statistics across the sweep (a force-tables stage)",
        },
        Port {
            name: "motifs",
            kind: Some(&MOTIFS_SWEEP),
            doc: "motifs across the sweep (a force-tables stage)",
        },
        Port {
            name: "dimensionality",
            kind: Some(&DIMENSIONALITY_SWEEP),
            doc: "dimensionality across the sweep (a force-tables stage)",
        },
        Port {
            name: "readout",
            kind: Some(&FORCE_READOUT),
            doc: "each point's readout (traces; its writer's parameters)",
        },
        Port {
            name: "spikes",
            kind: Some(&FORCE_SPIKES),
            doc: "each point's spikes (raster)",
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
        float(
            "reference_pqif",
            0.0,
            1.0,
            0.5,
            "traces and raster: the sweep point nearest this pqif …",
        ),
        float(
            "reference_v_reset",
            -1e6,
            1e6,
            -12.3,
            "… and this v_reset, first seed",
        ),
    ]
}

impl KindParams for Params {}

/// Typed parameters (the keys of `params()`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) reference_pqif: f64,
    pub(crate) reference_v_reset: f64,
}

/// The sweep point nearest the figures' reference (first seed).
fn reference_point(ctx: &StageContext) -> Option<&Point> {
    let fp = params_of::<Params>(ctx).ok()?;
    let (rp, rv) = (fp.reference_pqif, fp.reference_v_reset);
    let d = |p: &Point| {
        let v = p.get("v_reset").as_f64();
        let dv = if v.is_nan() { 1e3 } else { (v - rv).abs() };
        (
            (p.get("pqif").as_f64() - rp).abs(),
            dv,
            p.get("seed").as_f64(),
        )
    };
    ctx.points
        .iter()
        .min_by(|a, b| d(a).partial_cmp(&d(b)).unwrap_or(std::cmp::Ordering::Equal))
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fig = ctx.pipeline_dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: [PathBuf; 2]| out.extend(figure_files(ctx, &paths));
    let sim: lif_qif_force::Params = input_params(ctx, "readout")?;
    let loops = sim.loops;
    let ms_per_step = sim.dt_tau * sim.tau_m_ms;
    let un = |c: &Vec<Option<f64>>| c.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>();
    let pqifs: Vec<f64> = {
        let mut v: Vec<f64> = ctx.points.iter().map(|p| p.get("pqif").as_f64()).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };

    // 1. target vs readout before (loop 0) and after training (last loop)
    if let Some(rp) = reference_point(ctx) {
        let path = ctx.input_point_file("readout", rp);
        if path.exists() {
            let t = neurodyn_io::read_table(&path)?;
            let (l, s, u) = (t.u32s("loop")?, t.u32s("step")?, t.u32s("neuron")?);
            let (tg, z) = (t.f64s("target")?, t.f64s("z")?);
            let mut units: Vec<u32> = u.to_vec();
            units.sort();
            units.dedup();
            let mut panels = Vec::new();
            for (title, lp) in [
                ("before training (loop 0)", 0u32),
                ("after training (last loop)", loops as u32 - 1),
            ] {
                let mut c = Chart::new(format!("{} — {title}", rp.label()))
                    .labels("t in loop (ms)", "input W r")
                    .size(700, 320);
                // a unit's target in the light shade of its output's colour
                for (k, &unit) in units.iter().take(3).enumerate() {
                    let sel: Vec<usize> = (0..l.len())
                        .filter(|&k| l[k] == lp && u[k] == unit)
                        .collect();
                    let tt: Vec<f64> = sel.iter().map(|&k| s[k] as f64 * ms_per_step).collect();
                    c.series.push(
                        Series::line(
                            format!("target {unit}"),
                            tt.clone(),
                            sel.iter().map(|&q| tg[q]).collect(),
                        )
                        .with_colour(10 + k),
                    );
                    c.series.push(
                        Series::line(
                            format!("output {unit}"),
                            tt,
                            sel.iter().map(|&q| z[q]).collect(),
                        )
                        .with_colour(k),
                    );
                }
                panels.push(c);
            }
            push(neurodyn_plot::save_panels(
                &panels,
                1,
                &fig.join("traces"),
                "Target and trained output",
            )?);
        }
        // 5. raster of the last loop
        let path = ctx.input_point_file("spikes", rp);
        if path.exists() {
            let t = neurodyn_io::read_table(&path)?;
            let (l, s, u) = (t.u32s("loop")?, t.u32s("step")?, t.u32s("neuron")?);
            let last = loops as u32 - 1;
            let sel: Vec<usize> = (0..l.len()).filter(|&k| l[k] == last).collect();
            // one-pixel dots on a tall canvas: one row of pixels or more
            // per neuron, so that rows of spikes do not merge into stripes
            let neurons = u.iter().copied().max().map_or(1, |m| m + 1);
            let mut c = Chart::new(format!("Spikes, last loop, {}", rp.label()))
                .labels("t in loop (ms)", "neuron (QIF first, then LIF)")
                .size(1100, (3 * neurons + 160).clamp(600, 1600));
            c.series.push(Series::dots(
                "spike",
                sel.iter().map(|&k| s[k] as f64 * ms_per_step).collect(),
                sel.iter().map(|&k| u[k] as f64).collect(),
            ));
            push(neurodyn_plot::save_chart(&c, &fig.join("raster"))?);
        }
    }

    // 2. MSE by loop per pqif: the median over v_reset and seeds, with the
    // quartiles shaded; the loops trained are shaded grey
    let trained = |c: Chart| {
        c.shade_x(
            sim.train_first_loop as f64 - 0.5,
            sim.train_last_loop as f64 + 0.5,
            format!(
                "trained: loops {}-{}",
                sim.train_first_loop, sim.train_last_loop
            ),
        )
    };
    let tr =
        neurodyn_tables::read_f64_columns(&ctx.input_path("training"), &["pqif", "loop", "mse"])?;
    let tr = quartiles_by(&un(&tr[0]), &un(&tr[1]), &un(&tr[2]));
    // log axis: the error falls by two decades with training
    let mut c = trained(
        Chart::new("Training error by loop (median over v_reset and seeds; band: quartiles)")
            .labels(
                "loop (the others run with fixed weights)",
                "MSE after the stimulus window (log)",
            )
            .log_y(true),
    );
    for &q in &pqifs {
        c.series
            .push(median_with_quartiles(format!("pqif = {q}"), &tr, q));
    }
    push(neurodyn_plot::save_chart(&c, &fig.join("mse_by_loop"))?);

    // 3. motifs by loop per pqif, the same way
    let names = ["sigma2", "tau_rec", "tau_div", "tau_con", "tau_chn"];
    let mut cols = vec!["pqif", "loop"];
    cols.extend(names);
    let mo = neurodyn_tables::read_f64_columns(&ctx.input_path("motifs"), &cols)?;
    let panels: Vec<Chart> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let rows = quartiles_by(&un(&mo[0]), &un(&mo[1]), &un(&mo[2 + k]));
            let mut c = trained(
                Chart::new(*name)
                    .labels("loop (-1: initial)", *name)
                    .size(450, 300),
            );
            for &q in &pqifs {
                c.series
                    .push(median_with_quartiles(format!("pqif = {q}"), &rows, q));
            }
            c
        })
        .collect();
    push(neurodyn_plot::save_panels(
        &panels,
        3,
        &fig.join("motifs_by_loop"),
        "Connectivity motifs by loop (median over v_reset and seeds; band: quartiles)",
    )?);

    // 4. dpr before (loop 0) and after training (last loop) by pqif and v_reset
    let d = neurodyn_tables::read_f64_columns(
        &ctx.input_path("dimensionality"),
        &["pqif", "v_reset", "seed", "loop", "dpr"],
    )?;
    let (pq, vr, lp, dp) = (un(&d[0]), un(&d[1]), un(&d[3]), un(&d[4]));
    let mut v_resets: Vec<f64> = vr.iter().copied().filter(|v| !v.is_nan()).collect();
    v_resets.sort_by(f64::total_cmp);
    v_resets.dedup();
    let mut panels = Vec::new();
    for (title, which) in [
        ("before training (loop 0)", 0.0),
        ("after training (last loop)", (loops - 1) as f64),
    ] {
        let mut c = Chart::new(title)
            .labels("pqif", "bias-corrected PR of r")
            .size(500, 350);
        // mean and sd over seeds
        let mean_at = |q: f64, v: Option<f64>| {
            let sel: Vec<f64> = (0..pq.len())
                .filter(|&k| {
                    pq[k] == q && lp[k] == which && v.map_or(vr[k].is_nan(), |v| vr[k] == v)
                })
                .map(|k| dp[k])
                .collect();
            (!sel.is_empty()).then(|| (q, stats::mean(&sel), stats::sd(&sel)))
        };
        let series = |label: String, v: Option<f64>| {
            let m: Vec<(f64, f64, f64)> = pqifs.iter().filter_map(|&q| mean_at(q, v)).collect();
            let s = Series::line_markers(
                label,
                m.iter().map(|r| r.0).collect(),
                m.iter().map(|r| r.1).collect(),
            );
            (!m.is_empty()).then(|| s.with_errors(m.iter().map(|r| r.2).collect()))
        };
        for &v in &v_resets {
            c.series.extend(series(format!("v_reset = {v}"), Some(v)));
        }
        if let Some(s) = series("pure QIF (no reset)".into(), None) {
            c.series
                .push(s.with_style(neurodyn_plot::SeriesStyle::Markers));
        }
        panels.push(c);
    }
    push(neurodyn_plot::save_panels(
        &panels,
        2,
        &fig.join("dpr"),
        "Dimensionality of the traces r (mean and sd over seeds)",
    )?);
    Ok(out)
}
