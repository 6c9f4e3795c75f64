//! `neural-mass-figures`: a neural-mass sweep's figures: connectivity and
//! distance heatmaps, time series of the first regions, the FC of the best
//! fit beside the target, and the fit landscape of each model.

use std::path::{Path, PathBuf};

use neurodyn_core::contracts::{ACTIVITY_SWEEP, FC_FIT, FC_SWEEP, FIT_LANDSCAPE, NETWORK_RUN};
use neurodyn_plot::{Chart, Colormap, Heatmap, Series};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::analyses::fc_fit::{self, load_target};
use crate::library::models::neural_mass::{self, load_connectome, signal_of};
use crate::library::{
    KindParams, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, int};
use crate::study::{OutputFile, Scope, StageContext, figure_files};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "neural-mass-figures",
    role: Role::Figure,
    scope: Scope::Aggregate,
    doc: "connectivity and distance heatmaps, time series, FC of the best fit and the target, fit landscapes (figures/*.png, .svg)",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "fit_summary",
            kind: Some(&FIT_LANDSCAPE),
            doc: "the fit landscape (a neural-mass-tables stage)",
        },
        Port {
            name: "fc",
            kind: Some(&FC_SWEEP),
            doc: "FC across the sweep (a neural-mass-tables stage)",
        },
        Port {
            name: "activity",
            kind: Some(&ACTIVITY_SWEEP),
            doc: "activity across the sweep (a neural-mass-tables stage)",
        },
        Port {
            name: "network",
            kind: Some(&NETWORK_RUN),
            doc: "the runs (their writer's connectome is drawn)",
        },
        Port {
            name: "fit",
            kind: Some(&FC_FIT),
            doc: "the fits (their writer's target FC is drawn)",
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
        "regions_shown",
        1,
        1000,
        8,
        "regions drawn in the time-series figures",
    )]
}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    regions_shown: usize,
}

impl KindParams for Params {}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fig = ctx.pipeline_dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: [PathBuf; 2]| out.extend(figure_files(ctx, &paths));
    let sim: neural_mass::Params = input_params(ctx, "network")?;
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
    let cells = neurodyn_tables::whole_brain::fit_landscape(&ctx.input_path("fit_summary"))?;
    let mut models: Vec<String> = cells.iter().map(|c| c.model.clone()).collect();
    models.dedup();
    let sorted_unique = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let fc_params: fc_fit::Params = input_params(ctx, "fit")?;
    for m in &models {
        let mine: Vec<_> = cells.iter().filter(|c| &c.model == m).collect();
        let ks = sorted_unique(mine.iter().map(|c| c.k).collect());
        let speeds = sorted_unique(mine.iter().map(|c| c.speed).collect());
        let mut grid = vec![f64::NAN; ks.len() * speeds.len()];
        let mut sd = grid.clone();
        for c in &mine {
            let r = ks.iter().position(|&k| k == c.k).expect("listed");
            let s = speeds.iter().position(|&v| v == c.speed).expect("listed");
            grid[r * speeds.len() + s] = c.mean;
            sd[r * speeds.len() + s] = c.sd;
        }
        if grid.iter().any(|v| v.is_finite()) {
            // every cell's value written in it; the best cell framed, and
            // the example target's true (k, speed) where it is in the grid
            let best = grid
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(q, v)| (q / speeds.len(), q % speeds.len(), *v));
            let mut h = Heatmap::new(
                format!("FC fit, {m}: similarity to the target"),
                grid,
                ks.len(),
                speeds.len(),
            )
            // the mean over seeds and, where there are several, their sd
            .annotate(3)
            .spread(sd);
            if let Some((r, c, v)) = best {
                h = h.mark(
                    r,
                    c,
                    format!(
                        "best fit: k = {}, speed = {} mm/ms, r = {v:.3}",
                        ks[r], speeds[c]
                    ),
                );
            }
            // the example target is a Hopf network's FC
            if fc_params.target == "example" && m == "hopf" {
                let r = ks.iter().position(|&k| k == neural_mass::TARGET_K);
                let c = speeds.iter().position(|&v| v == neural_mass::TARGET_SPEED);
                if let (Some(r), Some(c)) = (r, c) {
                    h = h.mark(
                        r,
                        c,
                        format!(
                            "the example target's true parameters: k = {}, speed = {} mm/ms (Hopf)",
                            neural_mass::TARGET_K,
                            neural_mass::TARGET_SPEED
                        ),
                    );
                }
            }
            let h = h
                .labels(
                    ks.iter().map(|k| format!("{k}")),
                    speeds.iter().map(|s| format!("{s}")),
                )
                .axis_labels("speed (mm/ms)", "coupling k")
                // the scale of a correlation, the same for every model: a model
                // that fits nowhere stays pale instead of showing its noise
                .colormap(Colormap::RdBu)
                .range(-1.0, 1.0)
                .colorbar_label("Pearson r of FC upper triangles (mean ± sd over seeds)");
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
        let fcs =
            neurodyn_tables::read_f64_columns(&ctx.input_path("fc"), &["k", "speed", "seed", "r"])?;
        let model_col = model_column(&ctx.input_path("fc"))?;
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
    // no target ("none"): no fit to draw (the landscapes above are all NaN
    // and skipped), no target figure
    let (tn, target) = if fc_params.target == "none" {
        (0, Vec::new())
    } else {
        load_target(fc_params.target.as_str())?
    };
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
    let shown = params_of::<Params>(ctx)?.regions_shown.min(n);
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
            &ctx.input_path("activity"),
            m,
            c.k,
            c.speed,
            signal_of(m).0,
            shown as u32,
            // a 700-pixel-wide panel: every sample up to 1024, then each
            // bucket's extremes
            1024,
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
