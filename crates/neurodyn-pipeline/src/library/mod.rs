//! The stage library: every kind of stage a pipeline file can compose.
//!
//! A stage kind is a model run, an analysis, a table across the sweep or a
//! figure (one file each, in the folder of its role). It declares its
//! parameters (validated once, at load, into a typed struct), the sweep
//! axes it reads, the table kinds it reads on its input ports and writes,
//! and its code version. A pipeline file's `[stages.NAME]` entries pick a
//! kind, bind its ports to upstream tables (`inputs = ["simulate.spikes"]`)
//! and set its parameters; the loader checks the whole graph before
//! anything runs.

pub mod analyses;
pub mod figures;
pub mod models;
pub mod tables;

use neurodyn_core::contracts::TableKind;

use crate::PipelineError;
use crate::params::{ParamDef, Params};
use crate::study::{AxisDef, OutputFile, Point, Scope, StageContext};
pub use crate::study::{BASELINE_BYTES, LoadCheck, LoadContext, LoadError};
pub use crate::typed::{KindParams, check_typed, params_of, typed, upstream_params};

/// What a stage kind does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs a model and records it.
    Model,
    /// Analyses one sweep point's tables.
    Analysis,
    /// Derives one table across the sweep.
    Table,
    /// Draws figures.
    Figure,
}

impl Role {
    /// The word `neurodyn stages` shows.
    pub fn name(self) -> &'static str {
        match self {
            Role::Model => "model",
            Role::Analysis => "analysis",
            Role::Table => "table",
            Role::Figure => "figure",
        }
    }
}

/// An input port: a name and the table kind it reads.
#[derive(Debug, Clone, Copy)]
pub struct Port {
    /// Port name (the key the stage's code reads it by).
    pub name: &'static str,
    /// Table kind read; `None`: a table of any kind (tables across the sweep).
    pub kind: Option<&'static TableKind>,
    /// One line of documentation.
    pub doc: &'static str,
}

impl Port {
    /// A port reading tables of kind `kind`.
    pub const fn of(name: &'static str, kind: &'static TableKind, doc: &'static str) -> Self {
        Port {
            name,
            kind: Some(kind),
            doc,
        }
    }
}

/// A table a stage kind writes.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Table name (`spikes`): the dataset folder `<stage>/<table>/` of a
    /// PerPoint stage, the file `tables/<table>.parquet` of an Aggregate one
    /// (or `tables/<stage>.parquet`, see `named_by_stage`).
    pub table: &'static str,
    /// Its kind.
    pub kind: &'static TableKind,
    /// An Aggregate table named after the stage that writes it
    /// (`tables/<stage>.parquet`), for kinds a pipeline uses several times
    /// (`collect`). The loader refuses two stages writing one file.
    pub named_by_stage: bool,
}

impl Output {
    /// A table called `table` of kind `kind`.
    pub const fn of(table: &'static str, kind: &'static TableKind) -> Self {
        Output {
            table,
            kind,
            named_by_stage: false,
        }
    }

    /// An Aggregate table written to `tables/<stage>.parquet`.
    pub const fn by_stage(table: &'static str, kind: &'static TableKind) -> Self {
        Output {
            table,
            kind,
            named_by_stage: true,
        }
    }
}

/// A kind of stage.
#[derive(Clone)]
pub struct StageKind {
    /// Kind name, used in `kind = "…"`.
    pub name: &'static str,
    /// Role (and the library folder of its file).
    pub role: Role,
    /// PerPoint (models, analyses) or Aggregate (tables, figures).
    pub scope: Scope,
    /// One line of documentation.
    pub doc: &'static str,
    /// Bump when results would change.
    pub code_version: &'static str,
    /// Declared parameters.
    pub params: fn() -> Vec<ParamDef>,
    /// Sweep axes the kind reads from the sweep point (set under `[sweep]`;
    /// an axis not swept takes its default values).
    pub axes: fn() -> Vec<AxisDef>,
    /// Input ports.
    pub inputs: &'static [Port],
    /// Tables written.
    pub outputs: &'static [Output],
    /// Checks run at load: the typed parameters parse and are consistent.
    pub check: fn(&Params) -> Result<(), (&'static str, String)>,
    /// The computation.
    pub run: fn(&StageContext) -> Result<Vec<OutputFile>, PipelineError>,
    /// The point a sweep point denotes for this kind ([`same_point`] for
    /// most): a kind may null an axis that does not apply there (a pure QIF
    /// network has no reset potential); equal points then run once.
    pub canonical: fn(Point) -> Point,
    /// The expected work of an instance at a sweep point, relative to the
    /// kind's other points (None: the same at every point). Shards and MPI
    /// dealing balance by it; it never changes what is computed.
    pub cost: Option<fn(&Point) -> f64>,
    /// Checks at load that need more than the kind's own parameters: the
    /// parameters of the stages on its inputs, every sweep point, the
    /// content of a file it names, and the memory an instance needs. They
    /// run before anything runs; an error names the key it is about.
    pub check_at_load: Option<LoadCheck>,
}

impl LoadContext<'_> {
    /// The stage's parameters as its typed struct (they were checked
    /// already, so this does not fail for a kind's own struct).
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, LoadError> {
        typed(self.params).map_err(|e| (String::new(), format!("internal: {e}")))
    }

    /// The stage on input `port` and its parameters as `T`, if `port` is
    /// bound to a stage whose parameters are a `T`.
    pub fn input<T: serde::de::DeserializeOwned>(&self, port: &str) -> Option<(&str, T)> {
        let (_, stage, p) = self.inputs.iter().find(|(name, _, _)| *name == port)?;
        typed(p).ok().map(|t| (*stage, t))
    }

    /// The distinct values of sweep axis `axis`, in sweep order, each with
    /// its first point (for messages).
    pub fn axis_values(&self, axis: &str) -> Vec<(crate::study::AxisValue, &Point)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for p in self.points {
            if let Some(v) = p.0.iter().find(|(a, _)| *a == axis).map(|(_, v)| *v)
                && seen.insert(v.canonical())
            {
                out.push((v, p));
            }
        }
        out
    }

    /// A model's refusal of its configuration at `point`, placed at the
    /// key it names: a sweep axis (`sweep.sigma`), one of the stage's
    /// parameters, or the stage.
    pub fn model_error(&self, e: PipelineError, point: &Point) -> LoadError {
        let at = point.label();
        if let PipelineError::Core(neurodyn_core::Error::InvalidParameter {
            name,
            value,
            allowed,
        }) = &e
        {
            let msg = format!("{value} is not allowed at {at}: expected {allowed}");
            if point.0.iter().any(|(a, _)| a == name) {
                return (format!("sweep.{name}"), msg);
            }
            if self.params.0.contains_key(name.as_str()) {
                return (name.clone(), msg);
            }
            return (String::new(), format!("{name} = {msg}"));
        }
        (String::new(), format!("at {at}: {e}"))
    }

    /// An error unless `bytes` fits the memory budget: `key` is the
    /// parameter that drives it, `what` says what takes the memory and
    /// `advice` what to change.
    pub fn fits_memory(
        &self,
        bytes: f64,
        key: &str,
        what: &str,
        advice: &str,
    ) -> Result<(), LoadError> {
        // the process itself, polars, and the recorder's buffers: a run of
        // the smallest studies peaks at 84 to 88 MB of RSS
        let bytes = bytes + BASELINE_BYTES;
        self.estimate.set(self.estimate.get().max(bytes));
        if bytes <= self.memory_budget as f64 {
            return Ok(());
        }
        Err((
            key.to_string(),
            format!(
                "an instance would need about {} ({what}, and 100 MB for the process), more than the {} it may use; {advice}{}",
                crate::human_bytes(bytes),
                crate::human_bytes(self.memory_budget as f64),
                if crate::memory_budget_is_set() {
                    " or raise --max-memory"
                } else {
                    " (the budget is the memory available now; --max-memory sets it)"
                }
            ),
        ))
    }
}

/// A sweep point as it is (the [`StageKind::canonical`] of most kinds).
pub fn same_point(point: Point) -> Point {
    point
}

/// Every stage kind, in the order `neurodyn stages` lists them.
pub fn kinds() -> Vec<StageKind> {
    vec![
        models::rate_rnn::KIND,
        models::rate_rnn_twins::KIND,
        models::ring_attractor::KIND,
        models::neural_mass::KIND,
        models::branching_network::KIND,
        models::lif_qif_force::KIND,
        analyses::avalanches::KIND,
        analyses::powerlaw_fit::KIND,
        analyses::branching_ratio::KIND,
        analyses::dimensionality::KIND,
        analyses::fc::KIND,
        analyses::spectra::KIND,
        analyses::lyapunov::KIND,
        analyses::fc_fit::KIND,
        analyses::avalanche_statistics::KIND,
        analyses::motifs_dimensionality::KIND,
        analyses::bump_persistence::KIND,
        tables::collect::KIND,
        tables::lyapunov::KIND,
        tables::neural_mass::KIND,
        tables::avalanche::KIND,
        tables::force::KIND,
        tables::ring::KIND,
        tables::fi_curves::KIND,
        figures::line_plot::KIND,
        figures::lyapunov::KIND,
        figures::neural_mass::KIND,
        figures::avalanche::KIND,
        figures::force::KIND,
        figures::ring::KIND,
    ]
}

/// The kind called `name`.
pub fn find(name: &str) -> Option<StageKind> {
    kinds().into_iter().find(|k| k.name == name)
}

/// One line per kind: name, role, scope and documentation.
pub fn listing() -> String {
    let mut out = String::new();
    for role in [Role::Model, Role::Analysis, Role::Table, Role::Figure] {
        let heading = match role {
            Role::Model => "models",
            Role::Analysis => "analyses",
            Role::Table => "tables across the sweep",
            Role::Figure => "figures",
        };
        out.push_str(&format!("{heading}:\n"));
        for k in kinds().iter().filter(|k| k.role == role) {
            out.push_str(&format!("  {:<20} {}\n", k.name, k.doc));
        }
    }
    out
}

fn scope_words(s: Scope) -> &'static str {
    match s {
        Scope::PerPoint => "per sweep point",
        Scope::Aggregate => "across the sweep",
    }
}

/// A kind's reference: scope, sweep axes, inputs, outputs and parameters
/// with their defaults and allowed values (what `neurodyn stages NAME`
/// prints, and `docs/stages.md` holds).
pub fn describe(k: &StageKind) -> String {
    let mut o = format!(
        "{} ({}, runs {}, code version {})\n  {}\n",
        k.name,
        k.role.name(),
        scope_words(k.scope),
        k.code_version,
        k.doc
    );
    let axes = (k.axes)();
    if !axes.is_empty() {
        o.push_str("sweep axes (set under [sweep]):\n");
        for a in &axes {
            let default: Vec<String> = a
                .default
                .iter()
                .map(|&x| {
                    if !a.choices.is_empty() {
                        format!("\"{}\"", a.choices[x as usize])
                    } else if a.integer {
                        format!("{}", x as i64)
                    } else {
                        format!("{x:?}")
                    }
                })
                .collect();
            let range = if !a.choices.is_empty() {
                format!("one of {}", a.choices.join(", "))
            } else if a.integer {
                format!("integers in [{}, {}]", a.min as i64, a.max as i64)
            } else {
                format!("numbers in [{}, {}]", a.min, a.max)
            };
            o.push_str(&format!(
                "  {:<24} {}; {range}; default [{}]\n",
                a.name,
                a.doc,
                default.join(", ")
            ));
        }
    }
    o.push_str("inputs:\n");
    if k.inputs.is_empty() {
        o.push_str("  (none)\n");
    }
    for p in k.inputs {
        let kind = p.kind.map_or("any per-point table".to_string(), |t| {
            format!("a table of kind `{}`", t.name)
        });
        o.push_str(&format!("  {:<24} {kind}: {}\n", p.name, p.doc));
    }
    o.push_str("outputs:\n");
    if k.outputs.is_empty() {
        o.push_str("  (figures only, in figures/: see the description above)\n");
    }
    for t in k.outputs {
        o.push_str(&format!(
            "  {:<24} a table of kind `{}`\n",
            t.table, t.kind.name
        ));
    }
    o.push_str("parameters:\n");
    let params = (k.params)();
    if params.is_empty() {
        o.push_str("  (none)\n");
    }
    for d in &params {
        o.push_str(&format!(
            "  {:<24} {}\n  {:<24} default {}; {}\n",
            d.key,
            d.doc,
            "",
            d.default.to_json(),
            d.kind.allowed()
        ));
    }
    o
}

/// The per-point dataset bound to input port `port` (a table of every
/// sweep point, for stages across the sweep).
pub fn dataset(ctx: &StageContext, port: &str) -> neurodyn_tables::Dataset {
    neurodyn_tables::Dataset {
        stage_dir: ctx.input_dir(port),
        table: ctx.binding(port).table.to_string(),
    }
}

/// No sweep axes.
pub fn no_axes() -> Vec<AxisDef> {
    Vec::new()
}

/// No parameters.
pub fn no_params() -> Vec<ParamDef> {
    Vec::new()
}

/// The `seed` axis that PerPoint kinds with randomness share: integer
/// seeds, default `[0]`.
pub fn seed_axis() -> AxisDef {
    AxisDef {
        name: "seed",
        integer: true,
        min: 0.0,
        max: 1e9,
        default: &[0.0],
        choices: &[],
        doc: "seed of the run's random numbers (initial state, connectivity, noise)",
        unit: "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::validate_stage;
    use crate::spec::Source;

    #[test]
    fn every_kind_has_a_unique_name_and_its_defaults_pass_its_check() {
        let ks = kinds();
        let src = Source {
            path: "x.toml".into(),
            text: String::new(),
        };
        for (i, k) in ks.iter().enumerate() {
            assert!(ks[..i].iter().all(|o| o.name != k.name), "{} twice", k.name);
            let p = validate_stage(&src, k.name, &(k.params)(), None).unwrap();
            // defaults pass, or the kind has required parameters
            if let Err((key, msg)) = (k.check)(&p) {
                assert!(msg.starts_with("required"), "kind {}: {key}: {msg}", k.name);
            }
            let expected = match k.role {
                Role::Model | Role::Analysis => Scope::PerPoint,
                Role::Table | Role::Figure => Scope::Aggregate,
            };
            assert_eq!(k.scope, expected, "{}", k.name);
            for (j, port) in k.inputs.iter().enumerate() {
                assert!(k.inputs[..j].iter().all(|o| o.name != port.name));
            }
        }
    }
}
