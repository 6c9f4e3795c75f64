//! `fc-fit`: a neural-mass network's functional connectivity (Pearson, of
//! its signal or its BOLD), its similarity to a target FC, each region's
//! dominant frequency (Welch), and optionally the FCD of sliding windows.

use std::path::Path;

use neurodyn_analysis::fc;
use neurodyn_analysis::spectrum;
use neurodyn_core::contracts::{
    ACTIVITY, BOLD, DOMINANT_FREQUENCY, FC_FIT, FC_PAIRS, FCD_MATRIX, NETWORK_RUN,
};
use neurodyn_core::{Column, ColumnType, Field, Recorder, TableSchema};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::analyses::for_each_sample;
use crate::library::models::neural_mass::{self, EXAMPLE_TARGET_FC, file, load_connectome};
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::{ParamDef, ParamKind, choice, float, int, positive};
use crate::study::{OutputFile, Scope, StageContext, files, recorder};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "fc-fit",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "Pearson FC of a neural-mass network's signal (or BOLD), its similarity to a target FC, dominant frequency per region, optional FCD",
    code_version: "2",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "activity",
            kind: Some(&ACTIVITY),
            doc: "the run's activity (its signal rows)",
        },
        Port {
            name: "network",
            kind: Some(&NETWORK_RUN),
            doc: "the run's row: which variable is its signal (and its writer's connectome and periods)",
        },
        Port {
            name: "bold",
            kind: Some(&BOLD),
            doc: "the run's BOLD (read with signal = \"bold\")",
        },
    ],
    outputs: &[
        Output::of("fc", &FC_PAIRS),
        Output::of("fit", &FC_FIT),
        Output::of("spectrum", &DOMINANT_FREQUENCY),
        Output::of("fcd", &FCD_MATRIX),
    ],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

fn params() -> Vec<ParamDef> {
    vec![
        ParamDef {
            kind: ParamKind::File {
                example: EXAMPLE_TARGET_FC,
                optional: true,
            },
            ..file(
                "target",
                EXAMPLE_TARGET_FC,
                "target FC: a square CSV/TSV matrix (optional header row of labels) with one row per region, \"example\", or \"none\" (no fit: fc_similarity is NaN)",
            )
        },
        choice(
            "signal",
            &["activity", "bold"],
            "activity",
            "series the FC is computed from",
        ),
        float(
            "fcd.window_ms",
            0.0,
            1e9,
            0.0,
            "FCD sliding window (ms); 0: no FCD",
        ),
        positive("fcd.step_ms", 1e9, 10.0, "FCD window step (ms)"),
        int(
            "spectrum.max_segment_samples",
            4,
            1 << 24,
            4096,
            "longest Welch segment for the dominant frequencies (samples, a power of two): memory holds one segment per region",
        ),
    ]
}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) target: String,
    pub(crate) signal: String,
    #[serde(rename = "fcd.window_ms")]
    pub(crate) fcd_window_ms: f64,
    #[serde(rename = "fcd.step_ms")]
    pub(crate) fcd_step_ms: f64,
    #[serde(rename = "spectrum.max_segment_samples")]
    pub(crate) max_segment_samples: usize,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let m = self.max_segment_samples;
        if !m.is_power_of_two() {
            return Err((
                "spectrum.max_segment_samples",
                format!(
                    "must be a power of two (such as {} or {})",
                    m.next_power_of_two() / 2,
                    m.next_power_of_two()
                ),
            ));
        }
        Ok(())
    }
}

/// At load: BOLD is written if it is read, the target reads and has one
/// row per region of the connectome (in its order, if labelled), and the
/// FCD window fits the recording.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let fp: Params = ctx.typed()?;
    let Some((stage, sim)) = ctx.input::<neural_mass::Params>("network") else {
        return Ok(());
    };
    let use_bold = fp.signal.as_str() == "bold";
    if use_bold && sim.bold_write.as_str() != "yes" {
        return Err((
            "signal".into(),
            format!("\"bold\" needs {stage}.bold.write = \"yes\""),
        ));
    }
    let period = if use_bold {
        sim.bold_period_ms
    } else {
        sim.period_ms
    };
    neural_mass::check_fcd_window(fp.fcd_window_ms, period, stage, &sim)?;
    if fp.target.as_str() == "none" {
        return Ok(());
    }
    let bad = |m: String| ("target".to_string(), m);
    let tm = load_target_labelled(&fp.target).map_err(|e| bad(e.to_string()))?;
    // the connectome itself is checked by its own stage
    let Ok(connectome) = load_connectome(&sim.connectome) else {
        return Ok(());
    };
    match target_mismatch(&tm, &connectome, stage) {
        Some(m) => Err(bad(format!("\"{}\": {m}", fp.target))),
        None => Ok(()),
    }
}

/// What keeps a target FC from being compared with a network on
/// `connectome` (simulated by `stage`): its size, or its labels' order.
fn target_mismatch(
    tm: &neurodyn_io::connectome::LabelledMatrix,
    connectome: &neurodyn_core::connectome::Connectome,
    stage: &str,
) -> Option<String> {
    let n = connectome.n();
    if tm.n != n {
        return Some(format!(
            "a {} x {} matrix for the {n} regions of {stage}.connectome",
            tm.n, tm.n
        ));
    }
    let labels = tm.labels.as_ref()?;
    let r = (0..n).find(|&r| labels[r] != connectome.labels()[r])?;
    Some(format!(
        "column {} is labelled {:?} but region {r} of the connectome is {:?}; order the target's regions as the connectome's (or drop its header row)",
        r + 1,
        labels[r],
        connectome.labels()[r]
    ))
}

/// The target FC a `target` parameter names: `(n, values row-major)`.
pub fn load_target(value: &str) -> Result<(usize, Vec<f64>), PipelineError> {
    let m = load_target_labelled(value)?;
    Ok((m.n, m.values))
}

/// [`load_target`] with the labels of the file's header row, if any.
pub fn load_target_labelled(
    value: &str,
) -> Result<neurodyn_io::connectome::LabelledMatrix, PipelineError> {
    let m = if value == "example" {
        neurodyn_io::connectome::parse_matrix_csv_labelled(
            EXAMPLE_TARGET_FC.to_vec(),
            Path::new("(bundled) data/whole-brain/target_fc.csv"),
        )?
    } else {
        neurodyn_io::connectome::read_matrix_csv_labelled(Path::new(value))?
    };
    Ok(m)
}

/// Stream the samples of `variable` (`None`: every row, as in a BOLD
/// table) of a table of `n` regions into `visit`, one value per region;
/// returns the number of samples. Memory is one sample and one row group.
fn read_samples(
    path: &Path,
    variable: Option<&str>,
    n: usize,
    mut visit: impl FnMut(&[f64]),
) -> Result<usize, PipelineError> {
    let s = for_each_sample(path, variable, f64::NEG_INFINITY, |_, row| {
        if row.len() == n {
            visit(row)
        }
    })?;
    if s.samples > 0 && s.nodes != n {
        return Err(PipelineError::Other(format!(
            "{}: samples of {} regions where the connectome has {n}",
            path.display(),
            s.nodes
        )));
    }
    Ok(s.samples)
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let fp: Params = params_of(ctx)?;
    let sim: neural_mass::Params = input_params(ctx, "network")?;
    let connectome = load_connectome(sim.connectome.as_str())?;
    let n = connectome.n();
    let network = neurodyn_io::read_table(&ctx.input_path("network"))?;
    let signal_name = network
        .column("signal")
        .and_then(|c| c.as_str())
        .and_then(|c| c.first().cloned())
        .ok_or_else(|| PipelineError::Other("simulate/network: no signal".into()))?;
    let use_bold = fp.signal.as_str() == "bold";
    if use_bold && sim.bold_write.as_str() != "yes" {
        return Err(PipelineError::Other(format!(
            "{}.signal = \"bold\" needs {}.bold.write = \"yes\"",
            ctx.stage,
            ctx.binding("network").stage
        )));
    }
    let (path, variable, dt_ms) = if use_bold {
        (ctx.input_path("bold"), None, sim.bold_period_ms)
    } else {
        (
            ctx.input_path("activity"),
            Some(signal_name.as_str()),
            sim.period_ms,
        )
    };
    // The series is read twice, row group by row group: first the means
    // (and which regions are constant), then the FC's cross-products, the
    // spectra's segments and the FCD's windows. Memory does not grow with
    // the recorded duration (but for the FCD matrix, n_windows²).
    let mut means = fc::FcMeans::new(n);
    let samples = read_samples(&path, variable, n, |row| means.push(row))?;
    if samples < 3 {
        return Err(PipelineError::Other(format!(
            "{samples} samples of {} are too few for an FC: record longer ({}.duration_ms) or more often",
            if use_bold { "BOLD" } else { "activity" },
            ctx.binding("network").stage
        )));
    }
    let target_param = fp.target.as_str();
    // "none": no fit, fc_similarity NaN
    let target = if target_param == "none" {
        None
    } else {
        let tm = load_target_labelled(target_param)?;
        if let Some(m) = target_mismatch(&tm, &connectome, ctx.binding("network").stage) {
            return Err(PipelineError::Other(format!(
                "{}.target = \"{target_param}\": {m}",
                ctx.stage
            )));
        }
        let target = tm.values;
        Some(target)
    };
    // Dominant frequency per region: Welch with half-overlapping segments
    // of half the longest power of two that fits (so that at least two
    // segments are averaged), or of that power of two for short series, at
    // most spectrum.max_segment_samples; NaN for a constant region (no
    // spectrum to speak of).
    let mut seg = 1usize << (usize::BITS - 1 - samples.leading_zeros());
    if seg >= 32 {
        seg /= 2;
    }
    let seg = seg.min(fp.max_segment_samples);
    let mut welch = if seg >= 4 {
        Some(spectrum::RegionWelch::new(n, dt_ms, seg, 0.5)?)
    } else {
        None
    };
    let point = ctx.point.as_ref().expect("PerPoint");
    let window_ms = fp.fcd_window_ms;
    let fcd_error = |e: neurodyn_core::Error| {
        PipelineError::Other(format!(
            "{}.fcd.window_ms = {window_ms} at {}: {e}",
            ctx.stage,
            point.label()
        ))
    };
    let mut fcd = if window_ms > 0.0 {
        let window = (window_ms / dt_ms).round() as usize;
        let step = ((fp.fcd_step_ms / dt_ms).round() as usize).max(1);
        if window > samples {
            // before the window's buffer is allocated
            return Err(fcd_error(neurodyn_core::Error::invalid(
                "window_samples",
                window,
                &format!("at most the number of samples T = {samples}"),
            )));
        }
        Some(fc::FcdWindows::new(n, window, step).map_err(fcd_error)?)
    } else {
        None
    };
    let mut products = means.products();
    read_samples(&path, variable, n, |row| {
        products.push(row);
        if let Some(w) = welch.as_mut() {
            w.push(row);
        }
        if let Some(f) = fcd.as_mut() {
            f.push(row);
        }
    })?;
    let fcm = products.finish();
    let similarity = match &target {
        Some(target) if n >= 3 => fc::fc_similarity(&fcm, target, n)?,
        _ => f64::NAN,
    };
    let upper = fc::upper_triangle(&fcm, n);
    let finite: Vec<f64> = upper.iter().copied().filter(|v| v.is_finite()).collect();
    // NaN when no pair has a finite r (constant signals)
    let mean_fc = if finite.is_empty() {
        f64::NAN
    } else {
        finite.iter().sum::<f64>() / finite.len() as f64
    };

    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(TableSchema::new(
        "fc",
        vec![
            Field::new("i", ColumnType::U32, None),
            Field::new("j", ColumnType::U32, None),
            Field::new("r", ColumnType::F64, None),
        ],
    ))?;
    let ii: Vec<u32> = (0..n * n).map(|q| (q / n) as u32).collect();
    let jj: Vec<u32> = (0..n * n).map(|q| (q % n) as u32).collect();
    rec.append(t, &[Column::U32(&ii), Column::U32(&jj), Column::F64(&fcm)])?;

    let t = rec.declare(TableSchema::new(
        "fit",
        vec![
            Field::new("signal", ColumnType::Str, None),
            Field::new("n_samples", ColumnType::U32, None),
            Field::new("fc_similarity", ColumnType::F64, None),
            Field::new("mean_fc", ColumnType::F64, None),
        ],
    ))?;
    let sig = if use_bold {
        "bold"
    } else {
        signal_name.as_str()
    };
    rec.append(
        t,
        &[
            Column::Str(&[sig]),
            Column::U32(&[samples as u32]),
            Column::F64(&[similarity]),
            Column::F64(&[mean_fc]),
        ],
    )?;

    let constant = means.constant();
    let dominant: Vec<f64> = match welch {
        Some(w) => w
            .finish()?
            .iter()
            .zip(&constant)
            .map(|(s, &c)| {
                if c {
                    f64::NAN
                } else {
                    spectrum::dominant_frequency_hz(s)
                }
            })
            .collect(),
        None => vec![f64::NAN; n],
    };
    let t = rec.declare(TableSchema::new(
        "spectrum",
        vec![
            Field::new("region", ColumnType::U32, None),
            Field::new("label", ColumnType::Str, None),
            Field::new("dominant_hz", ColumnType::F64, Some("Hz")),
        ],
    ))?;
    let region: Vec<u32> = (0..n as u32).collect();
    let labels: Vec<&str> = connectome.labels().iter().map(String::as_str).collect();
    rec.append(
        t,
        &[
            Column::U32(&region),
            Column::Str(&labels),
            Column::F64(&dominant),
        ],
    )?;

    if let Some(f) = fcd {
        let f = f.finish().map_err(fcd_error)?;
        let w = f.n_windows;
        let t = rec.declare(TableSchema::new(
            "fcd",
            vec![
                Field::new("window_i", ColumnType::U32, None),
                Field::new("window_j", ColumnType::U32, None),
                Field::new("r", ColumnType::F64, None),
            ],
        ))?;
        let wi: Vec<u32> = (0..w * w).map(|q| (q / w) as u32).collect();
        let wj: Vec<u32> = (0..w * w).map(|q| (q % w) as u32).collect();
        rec.append(
            t,
            &[Column::U32(&wi), Column::U32(&wj), Column::F64(&f.matrix)],
        )?;
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}
