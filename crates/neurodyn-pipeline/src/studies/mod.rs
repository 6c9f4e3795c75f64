//! The studies neurodyn runs, one module each.

pub mod branching_avalanches;
pub mod force_motifs;
pub mod ring_attractor;
pub mod rnn_chaos;
pub mod whole_brain;

use neurodyn_io::{ParquetRecorder, RecorderOptions};

use crate::PipelineError;
use crate::params::{ParamDef, ParamKind, ParamValue};
use crate::study::{OutputFile, StageContext};

pub(crate) fn int(
    key: &'static str,
    min: i64,
    max: i64,
    default: i64,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Int { min, max },
        default: ParamValue::Int(default),
        doc,
    }
}

pub(crate) fn positive(key: &'static str, max: f64, default: f64, doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Float {
            min: 0.0,
            max,
            min_exclusive: true,
        },
        default: ParamValue::Float(default),
        doc,
    }
}

pub(crate) fn choice(
    key: &'static str,
    allowed: &'static [&'static str],
    default: &'static str,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Choice(allowed),
        default: ParamValue::Str(default.to_string()),
        doc,
    }
}

pub(crate) fn int_list(key: &'static str, default: &[i64], doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::IntList {
            min: 0,
            max: u32::MAX as i64,
        },
        default: ParamValue::IntList(default.to_vec()),
        doc,
    }
}

pub(crate) fn choice_list(
    key: &'static str,
    allowed: &'static [&'static str],
    default: &[&str],
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::ChoiceList(allowed),
        default: ParamValue::StrList(default.iter().map(|s| s.to_string()).collect()),
        doc,
    }
}

pub(crate) fn float(
    key: &'static str,
    min: f64,
    max: f64,
    default: f64,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Float {
            min,
            max,
            min_exclusive: false,
        },
        default: ParamValue::Float(default),
        doc,
    }
}

/// A recorder for a PerPoint instance: one dataset folder per table.
pub(crate) fn recorder(ctx: &StageContext, seed: u64) -> Result<ParquetRecorder, PipelineError> {
    let partition = ctx.partition.as_ref().expect("PerPoint");
    Ok(ParquetRecorder::create_partitioned(
        &ctx.dir,
        partition,
        ctx.file_meta(seed),
        RecorderOptions::default(),
    )?)
}

/// The files a recorder wrote, relative to `ctx.dir` (the stage folder of a
/// PerPoint instance, the pipeline folder of an Aggregate one), for the manifest.
pub(crate) fn files(ctx: &StageContext, rec: &ParquetRecorder) -> Vec<OutputFile> {
    rec.files()
        .into_iter()
        .zip(rec.rows())
        .map(|(path, (_, rows))| OutputFile {
            path: path
                .strip_prefix(&ctx.dir)
                .unwrap_or(&path)
                .display()
                .to_string(),
            rows,
        })
        .collect()
}

/// The files an aggregate derivation wrote (path relative to the pipeline
/// folder, rows), for the manifest.
pub(crate) fn derived(written: Vec<(String, u64)>) -> Vec<OutputFile> {
    written
        .into_iter()
        .map(|(path, rows)| OutputFile { path, rows })
        .collect()
}
