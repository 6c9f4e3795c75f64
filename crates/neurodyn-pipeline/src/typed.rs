//! Typed parameters: a stage's validated [`Params`] read into its struct
//! (the keys of its `ParamDef`s are the struct's fields; dotted keys are
//! renamed fields), checked once at load through [`check_typed`].

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::params::Params;

/// A kind's parameters as its typed struct `T` (the keys of its
/// [`ParamDef`]s are the struct's fields; dotted keys are renamed fields).
pub fn typed<T: DeserializeOwned>(p: &Params) -> Result<T, String> {
    let v: serde_json::Value =
        serde_json::from_str(&p.canonical_json()).map_err(|e| e.to_string())?;
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// The parameters of the running stage as its kind's struct.
pub fn params_of<T: DeserializeOwned>(
    ctx: &crate::study::StageContext,
) -> Result<T, crate::PipelineError> {
    typed(&ctx.params)
        .map_err(|e| crate::PipelineError::Other(format!("stage {}: parameters: {e}", ctx.stage)))
}

/// The parameters of another stage of the pipeline as its typed struct.
pub fn upstream_params<T: DeserializeOwned>(
    ctx: &crate::study::StageContext,
    stage: &str,
) -> Result<T, crate::PipelineError> {
    typed(ctx.upstream(stage))
        .map_err(|e| crate::PipelineError::Other(format!("stage {stage}: parameters: {e}")))
}

/// A typed kind's load-time check: the parameters parse into `T`, then
/// `T::check`.
pub trait KindParams: DeserializeOwned {
    /// Checks across parameters: the offending key and what is wrong.
    fn check(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

/// The [`StageKind::check`] of a kind with parameters `T`.
pub fn check_typed<T: KindParams>(p: &Params) -> Result<(), (&'static str, String)> {
    let t: T = typed(p).map_err(|e| {
        (
            "",
            format!("internal: the declared parameters do not fit the stage's struct: {e}"),
        )
    })?;
    t.check()
}

/// The parameters of a stage that has none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl KindParams for NoParams {}

/// The parameters of the stage bound to input port `port`, as its typed struct.
pub fn input_params<T: DeserializeOwned>(
    ctx: &crate::study::StageContext,
    port: &str,
) -> Result<T, crate::PipelineError> {
    upstream_params(ctx, ctx.binding(port).stage)
}
