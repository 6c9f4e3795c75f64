//! `line-plot`: a column against another, one line per value of a third.

use neurodyn_analysis::stats;
use neurodyn_core::contracts::SUMMARY;
use neurodyn_plot::{Chart, Series};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, Port, Role, StageKind, check_typed, no_axes, params_of, same_point,
};
use crate::params::{ParamDef, ParamKind, ParamValue, name};
use crate::study::{OutputFile, Scope, StageContext, figure_files};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "line-plot",
    role: Role::Figure,
    scope: Scope::Aggregate,
    doc: "figures/<stage>.png and .svg: column y against column x of a table across the sweep, one line per value of column series, with error bars from column error; rows that share an x (seeds) are drawn as their mean with their range shaded",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "table",
        kind: Some(&SUMMARY),
        doc: "a table across the sweep (a collect stage)",
    }],
    outputs: &[],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Column on the x axis.
    pub x: String,
    /// Column on the y axis.
    pub y: String,
    /// Column whose values make one line each ("" for one line).
    pub series: String,
    /// Column of half error bars ("" for none).
    pub error: String,
    /// Logarithmic y axis.
    pub log_y: bool,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.x.is_empty() {
            return Err((
                "x",
                "required: the column on the x axis (e.g. \"g\")".into(),
            ));
        }
        if self.y.is_empty() {
            return Err(("y", "required: the column on the y axis".into()));
        }
        Ok(())
    }
}

fn params() -> Vec<ParamDef> {
    vec![
        name("x", "column on the x axis (required)"),
        name("y", "column on the y axis (required)"),
        name(
            "series",
            "column whose values make one line each (\"\": one line)",
        ),
        name(
            "error",
            "column of half error bars, e.g. a collect stage's c_sd (\"\": none)",
        ),
        ParamDef {
            key: "log_y",
            kind: ParamKind::Bool,
            default: ParamValue::Bool(false),
            doc: "logarithmic y axis",
        },
    ]
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let path = ctx.input_path("table");
    let mut cols = vec![p.x.as_str(), p.y.as_str()];
    if !p.error.is_empty() {
        cols.push(&p.error);
    }
    let v = neurodyn_tables::read_f64_columns(&path, &cols)?;
    let labels = if p.series.is_empty() {
        vec![None; v[0].len()]
    } else {
        neurodyn_tables::read_text_column(&path, &p.series)?
    };
    // one series per label, in order of first appearance, sorted by x
    let mut order: Vec<Option<String>> = Vec::new();
    for l in &labels {
        if !order.contains(l) {
            order.push(l.clone());
        }
    }
    let mut chart = Chart::new(format!("{}: {} vs {}", ctx.pipeline, p.y, p.x))
        .labels(p.x.as_str(), p.y.as_str())
        .log_y(p.log_y);
    let mut repeated = false;
    for l in &order {
        let mut pts: Vec<(f64, f64, f64)> = (0..labels.len())
            .filter(|&i| &labels[i] == l)
            .filter_map(|i| {
                let e = if p.error.is_empty() {
                    Some(0.0)
                } else {
                    v[2][i].or(Some(0.0))
                };
                Some((v[0][i]?, v[1][i]?, e?))
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let name = match l {
            Some(s) => format!("{} = {s}", p.series),
            None if p.series.is_empty() => String::new(),
            None => format!("{} = null", p.series),
        };
        // rows that share an x (seeds, or an axis not named in `series`):
        // their mean, with their range shaded, instead of a zigzag
        let s = if let Some([x, mean, lo, hi]) = mean_and_range(&pts) {
            repeated = true;
            Series::line_markers(name, x, mean).with_band(lo, hi)
        } else {
            let s = Series::line_markers(
                name,
                pts.iter().map(|q| q.0).collect(),
                pts.iter().map(|q| q.1).collect(),
            );
            if p.error.is_empty() {
                s
            } else {
                s.with_errors(pts.iter().map(|q| q.2).collect())
            }
        };
        chart = chart.series(s);
    }
    if repeated {
        chart.title = format!(
            "{}: {} vs {} (mean of the rows at each {}; band: their range)",
            ctx.pipeline, p.y, p.x, p.x
        );
    }
    let base = ctx.pipeline_dir.join("figures").join(ctx.stage);
    let written = neurodyn_plot::save_chart(&chart, &base)?;
    Ok(figure_files(ctx, &written))
}

/// For points `(x, y, _)` sorted by x where some x repeats: per distinct x,
/// `[x, mean of y, min of y, max of y]`; None when every x is distinct.
fn mean_and_range(pts: &[(f64, f64, f64)]) -> Option<[Vec<f64>; 4]> {
    let groups: Vec<&[(f64, f64, f64)]> = pts.chunk_by(|a, b| a.0 == b.0).collect();
    if groups.iter().all(|g| g.len() == 1) {
        return None;
    }
    let ys = |g: &[(f64, f64, f64)]| g.iter().map(|q| q.1).collect::<Vec<f64>>();
    Some([
        groups.iter().map(|g| g[0].0).collect(),
        groups.iter().map(|g| stats::mean(&ys(g))).collect(),
        groups
            .iter()
            .map(|g| ys(g).into_iter().fold(f64::INFINITY, f64::min))
            .collect(),
        groups
            .iter()
            .map(|g| ys(g).into_iter().fold(f64::NEG_INFINITY, f64::max))
            .collect(),
    ])
}

#[cfg(test)]
mod tests {
    use super::mean_and_range;

    #[test]
    fn rows_sharing_an_x_fold_into_their_mean_and_range() {
        assert!(mean_and_range(&[(0.0, 1.0, 0.0), (1.0, 2.0, 0.0)]).is_none());
        let [x, m, lo, hi] = mean_and_range(&[
            (0.0, 1.0, 0.0),
            (0.0, 4.0, 0.0),
            (1.0, 2.0, 0.0),
            (2.0, 3.0, 0.0),
            (2.0, 5.0, 0.0),
            (2.0, 10.0, 0.0),
        ])
        .unwrap();
        assert_eq!(x, [0.0, 1.0, 2.0]);
        assert_eq!(m, [2.5, 2.0, 6.0]);
        assert_eq!(lo, [1.0, 2.0, 3.0]);
        assert_eq!(hi, [4.0, 2.0, 10.0]);
    }
}
