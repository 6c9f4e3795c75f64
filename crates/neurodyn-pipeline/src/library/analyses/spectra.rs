//! `spectra`: Welch power spectra and peak frequencies of any activity table.

use neurodyn_analysis::spectrum::RegionWelch;
use neurodyn_core::contracts::{ACTIVITY, PEAKS, SPECTRA};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use super::for_each_sample;
use crate::PipelineError;
use crate::library::models::neural_mass;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::ParamDef;
use crate::params::{float, int};
use crate::study::{OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "spectra",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "Welch power spectral density of each node of an activity table's first variable (Hann windows, mean removed; scipy.signal.welch), and each node's peak frequency",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "activity",
        kind: Some(&ACTIVITY),
        doc: "the activity",
    }],
    outputs: &[Output::of("spectra", &SPECTRA), Output::of("peaks", &PEAKS)],
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
    /// Samples before this time are left out (ms).
    pub transient_ms: f64,
    /// Welch segment length (samples, a power of two).
    pub segment_samples: usize,
    /// Overlap of consecutive segments (fraction).
    pub overlap: f64,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if !self.segment_samples.is_power_of_two() {
            return Err((
                "segment_samples",
                format!(
                    "{} is not a power of two: expected 2, 4, 8, …, 1024, …",
                    self.segment_samples
                ),
            ));
        }
        Ok(())
    }
}

fn params() -> Vec<ParamDef> {
    vec![
        float(
            "transient_ms",
            0.0,
            1e9,
            0.0,
            "samples before this time are left out (ms)",
        ),
        int(
            "segment_samples",
            2,
            1 << 24,
            1024,
            "Welch segment length (samples, a power of two); frequency resolution 1000 / (segment_samples * sampling period in ms) Hz",
        ),
        float(
            "overlap",
            0.0,
            0.99,
            0.5,
            "overlap of consecutive segments (fraction of a segment)",
        ),
    ]
}

/// At load, on a neural-mass run: a Welch segment is no longer than the
/// samples recorded after both transients (an upper bound).
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    let Some((stage, sim)) = ctx.input::<neural_mass::Params>("activity") else {
        return Ok(());
    };
    let most =
        ((sim.duration_ms - sim.transient_ms.max(p.transient_ms)) / sim.period_ms).floor() + 1.0;
    if p.segment_samples as f64 > most {
        return Err((
            "segment_samples".into(),
            format!(
                "{} is more than the {most} samples `{stage}` records after transient_ms = {} (every {} ms up to {stage}.duration_ms = {})",
                p.segment_samples,
                sim.transient_ms.max(p.transient_ms),
                sim.period_ms,
                sim.duration_ms
            ),
        ));
    }
    Ok(())
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    // two passes over the table, row group by row group: its layout and
    // period, then the segments (memory: one segment per node)
    let path = ctx.input_path("activity");
    let a = for_each_sample(&path, None, p.transient_ms, |_, _| {})?;
    let period = a.period_ms()?;
    if p.segment_samples > a.samples {
        return Err(PipelineError::Other(format!(
            "segment_samples = {} is more than the {} samples recorded after transient_ms = {}",
            p.segment_samples, a.samples, p.transient_ms
        )));
    }
    let mut welch = RegionWelch::new(a.nodes, period, p.segment_samples, p.overlap)?;
    for_each_sample(&path, None, p.transient_ms, |_, row| welch.push(row))?;
    let psd = welch.finish()?;
    let (mut region, mut freq, mut power) = (Vec::new(), Vec::new(), Vec::new());
    let (mut pr, mut pl, mut pf, mut pp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, s) in psd.iter().enumerate() {
        region.extend(std::iter::repeat_n(i as u32, s.freq_hz.len()));
        freq.extend_from_slice(&s.freq_hz);
        power.extend_from_slice(&s.power);
        // the largest bin above DC (the first of equal maxima)
        let k = (1..s.power.len()).fold(1, |b, k| if s.power[k] > s.power[b] { k } else { b });
        pr.push(i as u32);
        pl.push(a.labels[i].as_str());
        pf.push(s.freq_hz[k]);
        pp.push(s.power[k]);
    }
    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(SPECTRA.schema("spectra"))?;
    rec.append(
        t,
        &[
            Column::U32(&region),
            Column::F64(&freq),
            Column::F64(&power),
        ],
    )?;
    let t = rec.declare(PEAKS.schema("peaks"))?;
    rec.append(
        t,
        &[
            Column::U32(&pr),
            Column::Str(&pl),
            Column::F64(&pf),
            Column::F64(&pp),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
