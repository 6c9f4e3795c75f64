//! `ring-attractor`: the Izhikevich RS/FS ring with receptor conductances
//! and serotonin gain (the ring-attractor study's simulation), offered as a
//! model kind: every spike, and decimated traces.

use neurodyn_core::contracts::{SPIKES, STUDY};

use crate::library::{Output, Role, StageKind, same_point};
use crate::params::ParamDef;
use crate::studies::ring_attractor::RingAttractor;
use crate::study::{AxisDef, Scope, StageDef, Study};

fn stage() -> StageDef {
    super::study_stage(&RingAttractor, "simulate")
}

fn params() -> Vec<ParamDef> {
    stage().params
}

fn axes() -> Vec<AxisDef> {
    RingAttractor.axes()
}

/// The tables it writes.
const OUTPUTS: &[Output] = &[Output::of("spikes", &SPIKES), Output::of("traces", &STUDY)];

/// The kind.
pub fn kind() -> StageKind {
    let s = stage();
    StageKind {
        name: "ring-attractor",
        role: Role::Model,
        scope: Scope::PerPoint,
        doc: "Izhikevich RS/FS ring with AMPA/NMDA/GABA-A/GABA-B conductances, a cue and serotonin gain (sweeps parameter_set, condition, seed)",
        code_version: s.code_version,
        params,
        axes,
        inputs: &[],
        outputs: OUTPUTS,
        check: s.check,
        run: s.run,
        canonical: same_point,
    }
}
