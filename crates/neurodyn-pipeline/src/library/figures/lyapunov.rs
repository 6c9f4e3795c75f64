//! `lyapunov-figures`: the largest Lyapunov exponent against g, the
//! twin-divergence curves, and activity traces of the recorded units
//! (figures/lambda_vs_g, divergence, activity).

use neurodyn_core::contracts::{DIVERGENCE_CURVES, LYAPUNOV_SUMMARY, TWIN_ACTIVITY};
use neurodyn_plot::{Chart, Series};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::rate_rnn_twins;
use crate::library::{
    KindParams, Port, Role, StageKind, check_typed, dataset, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, int};
use crate::study::{OutputFile, Scope, StageContext, figure_files};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "lyapunov-figures",
    role: Role::Figure,
    scope: Scope::Aggregate,
    doc: "figures/lambda_vs_g, divergence and activity (.png and .svg): exponents against g, divergence curves, traces of recorded units",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "summary",
            kind: Some(&LYAPUNOV_SUMMARY),
            doc: "exponents per g (a lyapunov-tables stage)",
        },
        Port {
            name: "divergence",
            kind: Some(&DIVERGENCE_CURVES),
            doc: "divergence curves per g (a lyapunov-tables stage)",
        },
        Port {
            name: "activity",
            kind: Some(&TWIN_ACTIVITY),
            doc: "recorded activity of the twin runs",
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
        "activity_window_steps",
        1,
        i64::MAX,
        1000,
        "steps of activity shown in the traces figure",
    )]
}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    activity_window_steps: usize,
}

impl KindParams for Params {}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fig = ctx.pipeline_dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: [std::path::PathBuf; 2]| out.extend(figure_files(ctx, &paths));

    let s = neurodyn_tables::read_f64_columns(
        &ctx.input_path("summary"),
        &[
            "g",
            "lambda_benettin_per_s_mean",
            "lambda_benettin_per_s_sd",
            "lambda_notebook_per_s_mean",
        ],
    )?;
    let g: Vec<f64> = s[0].iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    let un = |c: &Vec<Option<f64>>| c.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>();
    let mut chart =
        Chart::new("Largest Lyapunov exponent vs synaptic gain").labels("g", "lambda (1/s)");
    chart.series.push(
        Series::line_markers("Benettin (mean +/- sd over trials)", g.clone(), un(&s[1]))
            .with_errors(un(&s[2])),
    );
    let nb: Vec<(f64, f64)> = g
        .iter()
        .zip(&s[3])
        .filter_map(|(&x, y)| y.map(|y| (x, y)))
        .collect();
    if !nb.is_empty() {
        chart.series.push(Series::markers(
            "notebook estimator (diverging trials)",
            nb.iter().map(|p| p.0).collect(),
            nb.iter().map(|p| p.1).collect(),
        ));
    }
    chart.hlines.push(0.0);
    push(neurodyn_plot::save_chart(&chart, &fig.join("lambda_vs_g"))?);

    let d = neurodyn_tables::read_f64_columns(
        &ctx.input_path("divergence"),
        &["g", "t_ms", "ln_distance_mean", "ln_distance_sd"],
    )?;
    let (dg, dt, dm, ds) = (un(&d[0]), un(&d[1]), un(&d[2]), un(&d[3]));
    let mut chart = Chart::new("Twin-trajectory divergence").labels(
        "t (ms)",
        "ln |delta(t)|: mean, band +/- sd over sessions and trials",
    );
    for &gv in &g {
        let sel: Vec<usize> = (0..dg.len()).filter(|&k| dg[k] == gv).collect();
        let at = |v: &[f64], sign: f64| -> Vec<f64> {
            sel.iter().map(|&k| dm[k] + sign * v[k]).collect()
        };
        let zero = vec![0.0; dg.len()];
        chart.series.push(
            Series::line(
                format!("g = {gv}"),
                sel.iter().map(|&k| dt[k]).collect(),
                at(&zero, 1.0),
            )
            .with_band(at(&ds, -1.0), at(&ds, 1.0)),
        );
    }
    // The y range that shows the growing and saturating curves: from the
    // initial separation down by 1.5 times its rise at most; a curve that
    // decays faster (a stable network, down to ln delta of -300) leaves
    // the plot at its bottom instead of flattening the others.
    let finite = |s: &Series| {
        s.y.iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect::<Vec<_>>()
    };
    let start = chart
        .series
        .iter()
        .filter_map(|s| finite(s).first().copied())
        .fold(f64::INFINITY, f64::min);
    let top = chart
        .series
        .iter()
        .flat_map(finite)
        .fold(f64::NEG_INFINITY, f64::max);
    let bottom = chart
        .series
        .iter()
        .flat_map(finite)
        .fold(f64::INFINITY, f64::min);
    if start.is_finite() && top > start {
        let floor = start - 1.5 * (top - start);
        if bottom < floor {
            // a curve ends where it leaves the range (the chart would
            // otherwise draw it along the bottom edge)
            for s in &mut chart.series {
                if let Some(k) = s.y.iter().position(|v| *v < floor) {
                    s.x.truncate(k);
                    s.y.truncate(k);
                    if let Some((lo, hi)) = &mut s.band {
                        lo.truncate(k);
                        hi.truncate(k);
                    }
                }
            }
            let pad = 0.05 * (top - floor);
            chart = chart.y_range(floor, top + pad);
            chart.title = format!(
                "Twin-trajectory divergence (curves below {floor:.0} continue down to {bottom:.0})"
            );
        }
    }
    push(neurodyn_plot::save_chart(&chart, &fig.join("divergence"))?);

    let window = params_of::<Params>(ctx)?.activity_window_steps;
    let sim: rate_rnn_twins::Params = input_params(ctx, "activity")?;
    let dt_ms = sim.dt_ms;
    let has_r = sim.record_variables.iter().any(|v| v == "r");
    let traces = if has_r {
        neurodyn_tables::rnn_chaos::activity_traces(&dataset(ctx, "activity"), window as u32)?
    } else {
        Vec::new() // nothing recorded to draw
    };
    let panels: Vec<Chart> = traces
        .into_iter()
        .map(|(gv, units)| {
            let mut c = Chart::new(format!("g = {gv}"))
                .labels("t (ms)", "r")
                .size(450, 300);
            for (unit, steps, r) in units {
                let t: Vec<f64> = steps.iter().map(|&s| s as f64 * dt_ms).collect();
                c.series.push(Series::line(format!("unit {unit}"), t, r));
            }
            c
        })
        .collect();
    if !panels.is_empty() {
        push(neurodyn_plot::save_panels(
            &panels,
            panels.len().min(3),
            &fig.join("activity"),
            "Activity of recorded units (first session, first recorded trial)",
        )?);
    }
    Ok(out)
}
