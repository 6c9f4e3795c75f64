//! Studies declare their sweep axes and stages; a pipeline file chooses values.

use std::path::PathBuf;

use neurodyn_io::{FileMeta, ParquetRecorder, RecorderOptions};

use crate::PipelineError;
use crate::params::{ParamDef, Params};

/// How a stage is instantiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One instance per sweep point; inputs are the same point's upstream instances.
    PerPoint,
    /// One instance for the whole sweep; inputs are all upstream instances.
    Aggregate,
}

/// A sweep axis a study accepts.
#[derive(Debug, Clone)]
pub struct AxisDef {
    /// Name (a column in every stage table read as a dataset).
    pub name: &'static str,
    /// Integer or float axis, with its range.
    pub integer: bool,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Default values when the file gives none (for a choice axis: indices
    /// into `choices`).
    pub default: &'static [f64],
    /// Allowed names of a choice axis (values are strings, e.g. a condition);
    /// empty for a numeric axis.
    pub choices: &'static [&'static str],
    /// One line of documentation.
    pub doc: &'static str,
    /// Unit of the values ("" for none), in the key column's metadata.
    pub unit: &'static str,
}

/// One value on a sweep axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AxisValue {
    /// Integer value.
    Int(i64),
    /// Float value.
    Float(f64),
    /// One of a choice axis' names.
    Choice(&'static str),
    /// No value: the axis does not apply at this point (a pure QIF network
    /// has no reset potential). A null in the files' key column; `null` in
    /// the partition folder's name.
    Null,
}

/// The canonical text of a null value, in seeds (kept from the hive layout
/// the project first wrote, so that seeds, and data, do not change).
pub const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

impl AxisValue {
    /// The value as f64.
    pub fn as_f64(self) -> f64 {
        match self {
            AxisValue::Int(i) => i as f64,
            AxisValue::Float(f) => f,
            AxisValue::Choice(_) | AxisValue::Null => f64::NAN,
        }
    }

    /// The name of a choice value.
    ///
    /// # Panics
    /// On a numeric or null value (a study reads its own choice axes).
    pub fn as_choice(self) -> &'static str {
        match self {
            AxisValue::Choice(c) => c,
            v => panic!("{v:?} is not a choice value"),
        }
    }

    /// True for [`AxisValue::Null`].
    pub fn is_null(self) -> bool {
        self == AxisValue::Null
    }

    /// Canonical text, used in partition folder names and seeds: integers
    /// plainly, floats always with a `.` or exponent (`1.0`, `0.25`), so a
    /// reader infers one type per axis.
    pub fn canonical(self) -> String {
        match self {
            AxisValue::Int(i) => i.to_string(),
            AxisValue::Float(f) => format!("{f:?}"),
            AxisValue::Choice(c) => c.to_string(),
            AxisValue::Null => HIVE_NULL.to_string(),
        }
    }
}

/// A point of the sweep: one value per axis, in the study's axis order.
#[derive(Debug, Clone, PartialEq)]
pub struct Point(pub Vec<(&'static str, AxisValue)>);

impl Point {
    /// The partition path `a_1/b_0.5` (`v_reset_null` for a null value):
    /// one folder per sweep key, named without `=`, so that no dataset
    /// reader takes the folders for hive partitions; the files hold the
    /// keys as typed columns ([`Point::sweep_keys`]).
    pub fn partition_path(&self) -> PathBuf {
        self.0
            .iter()
            .map(|(k, v)| match v {
                AxisValue::Null => format!("{k}_null"),
                v => format!("{k}_{}", v.canonical()),
            })
            .collect()
    }

    /// This point's sweep keys as typed columns of its files; a null value
    /// takes the type of the axis' other values in `points` (Float64 when
    /// it has none); `units`: (axis, unit) of the axes that have one.
    pub fn sweep_keys(
        &self,
        points: &[Point],
        units: &[(&str, &str)],
    ) -> Vec<neurodyn_io::SweepKey> {
        use neurodyn_io::KeyValue;
        let typed = |v: AxisValue| match v {
            AxisValue::Int(i) => Some(KeyValue::Int(Some(i))),
            AxisValue::Float(f) => Some(KeyValue::Float(Some(f))),
            AxisValue::Choice(c) => Some(KeyValue::Str(Some(c.to_string()))),
            AxisValue::Null => None,
        };
        self.0
            .iter()
            .enumerate()
            .map(|(i, (k, v))| neurodyn_io::SweepKey {
                name: k.to_string(),
                unit: units
                    .iter()
                    .find(|(a, _)| a == k)
                    .map(|(_, u)| u.to_string()),
                value: typed(*v).unwrap_or_else(|| {
                    match points
                        .iter()
                        .find_map(|p| p.0.get(i).and_then(|(_, w)| typed(*w)))
                    {
                        Some(KeyValue::Int(_)) => KeyValue::Int(None),
                        Some(KeyValue::Str(_)) => KeyValue::Str(None),
                        _ => KeyValue::Float(None),
                    }
                }),
            })
            .collect()
    }

    /// `a=1 b=0.5`, for messages (a null value shows as `null`).
    pub fn label(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| match v {
                AxisValue::Null => format!("{k}=null"),
                v => format!("{k}={}", v.canonical()),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Value of an axis.
    pub fn get(&self, axis: &str) -> AxisValue {
        self.0
            .iter()
            .find(|(k, _)| *k == axis)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("axis `{axis}` is not part of the sweep"))
    }

    /// `(name, canonical value)` pairs for the given axes (seed derivation).
    pub fn key(&self, axes: &[&str]) -> Vec<(&'static str, String)> {
        self.0
            .iter()
            .filter(|(k, _)| axes.contains(k))
            .map(|(k, v)| (*k, v.canonical()))
            .collect()
    }

    /// The seed of `purpose` under `master` keyed by this point's values on
    /// `axes` only: points that agree on those axes share it.
    pub fn seed(&self, master: u64, purpose: &str, axes: &[&str]) -> neurodyn_core::Seed {
        let key = self.key(axes);
        let key: Vec<(&str, &str)> = key.iter().map(|(k, v)| (*k, v.as_str())).collect();
        neurodyn_core::Seed::derive(master, purpose, &key)
    }
}

/// Everything a stage instance needs to run.
#[derive(Debug, Clone)]
pub struct StageContext {
    /// Pipeline name.
    pub pipeline: String,
    /// Stage name.
    pub stage: &'static str,
    /// The pipeline's master seed.
    pub master_seed: u64,
    /// Validated parameters of this stage.
    pub params: Params,
    /// The sweep point (PerPoint stages) or None (Aggregate).
    pub point: Option<Point>,
    /// Every sweep point (Aggregate stages use it to find inputs), shared
    /// by every instance of the run.
    pub points: std::sync::Arc<Vec<Point>>,
    /// Where this instance writes: the stage folder (PerPoint: each table
    /// goes to `<dir>/<table>/<partition>/<table>.parquet`) or the pipeline's
    /// output folder (Aggregate, which writes `tables/` and `figures/`).
    pub dir: PathBuf,
    /// The partition of a PerPoint instance (`g_4.0/session_1`).
    pub partition: Option<PathBuf>,
    /// The pipeline's output folder `<out>/<pipeline>`.
    pub pipeline_dir: PathBuf,
    /// The sweep axes that have a unit: (axis, unit), for the key columns'
    /// metadata.
    pub key_units: Vec<(&'static str, &'static str)>,
    /// This instance's fingerprint (hex).
    pub fingerprint: String,
    /// Validated parameters of every stage of the pipeline.
    pub all_params: Vec<(&'static str, Params)>,
    /// The upstream table of each input port (composed pipelines).
    pub bindings: Vec<Binding>,
}

/// An input port of a stage bound to a table an upstream stage writes
/// (`inputs = ["simulate.spikes"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The port of the reading stage's kind (`spikes`).
    pub port: &'static str,
    /// The upstream stage (`simulate`).
    pub stage: &'static str,
    /// The table it writes (`spikes`).
    pub table: &'static str,
    /// The upstream stage's scope: a PerPoint table is a hive-partitioned
    /// dataset `<stage>/<table>/`, an Aggregate one a file in `tables/`.
    pub scope: Scope,
    /// An Aggregate table's file is `tables/<stage>.parquet` (true) or
    /// `tables/<table>.parquet` (false).
    pub named_by_stage: bool,
}

impl Binding {
    /// An Aggregate table's file relative to the pipeline folder.
    pub fn table_file(&self) -> String {
        let name = if self.named_by_stage {
            self.stage
        } else {
            self.table
        };
        format!("tables/{name}.parquet")
    }
}

/// A `&'static str` for a name read from a pipeline file (stage, table and
/// axis names), so that composed pipelines share the types of the studies'
/// static names. Each distinct name is stored once per process.
pub fn intern(name: &str) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(n);
    n
}

impl StageContext {
    /// Metadata for the files this instance writes.
    pub fn file_meta(&self, seed: u64) -> FileMeta {
        FileMeta {
            pipeline: self.pipeline.clone(),
            stage: self.stage.to_string(),
            params_json: self.params.canonical_json(),
            seed,
            fingerprint: self.fingerprint.clone(),
        }
    }

    /// Parameters of another stage of the pipeline (e.g. `dt_ms` of `simulate`).
    pub fn upstream(&self, stage: &str) -> &Params {
        self.all_params
            .iter()
            .find(|(n, _)| *n == stage)
            .map(|(_, p)| p)
            .unwrap_or_else(|| panic!("no stage `{stage}` in this study"))
    }

    /// The binding of input port `port`.
    ///
    /// # Panics
    /// If the stage's kind has no such port (the loader binds every port).
    pub fn binding(&self, port: &str) -> &Binding {
        self.bindings
            .iter()
            .find(|b| b.port == port)
            .unwrap_or_else(|| panic!("input port `{port}` is not bound"))
    }

    /// The file behind input port `port`: for a PerPoint upstream, this
    /// point's file (PerPoint stages); for an Aggregate upstream, its file
    /// in `tables/`.
    pub fn input_path(&self, port: &str) -> PathBuf {
        let b = self.binding(port);
        match b.scope {
            Scope::PerPoint => self.input_file(b.stage, b.table),
            Scope::Aggregate => self.pipeline_dir.join(b.table_file()),
        }
    }

    /// The folder of the PerPoint stage bound to port `port` (its tables
    /// are the datasets `<folder>/<table>/`).
    pub fn input_dir(&self, port: &str) -> PathBuf {
        self.pipeline_dir.join(self.binding(port).stage)
    }

    /// The file that the PerPoint stage bound to `port` wrote for `point`
    /// (aggregate stages read single points through it).
    pub fn input_point_file(&self, port: &str, point: &Point) -> PathBuf {
        let b = self.binding(port);
        self.point_file(point, b.stage, b.table)
    }

    /// The validated parameters of the stage bound to port `port`.
    pub fn input_params(&self, port: &str) -> &Params {
        self.upstream(self.binding(port).stage)
    }

    /// This point's file of `table` written by the PerPoint stage `stage`.
    pub fn input_file(&self, stage: &str, table: &str) -> PathBuf {
        let p = self
            .point
            .as_ref()
            .expect("input_file is for PerPoint stages");
        self.point_file(p, stage, table)
    }

    /// The file of `table` that the PerPoint stage `stage` wrote for `point`
    /// (aggregate stages read single points through it).
    pub fn point_file(&self, point: &Point, stage: &str, table: &str) -> PathBuf {
        self.pipeline_dir
            .join(stage)
            .join(table)
            .join(point.partition_path())
            .join(format!("{table}.parquet"))
    }
}

/// A file a stage instance produced, for its manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputFile {
    /// Path relative to the stage folder (PerPoint) or the pipeline folder (Aggregate).
    pub path: String,
    /// Rows (0 for figures).
    pub rows: u64,
}

/// A stage of a study.
#[derive(Clone)]
pub struct StageDef {
    /// Name, also the folder under the pipeline's output.
    pub name: &'static str,
    /// Instantiation.
    pub scope: Scope,
    /// Upstream stages.
    pub inputs: Vec<&'static str>,
    /// Which upstream table feeds each input port (stages of a composed
    /// pipeline; empty for a study's own stages, which name their inputs in
    /// code).
    pub bindings: Vec<Binding>,
    /// Version of the code that computes it: bump when results would change.
    pub code_version: &'static str,
    /// Declared parameters.
    pub params: Vec<ParamDef>,
    /// One line of documentation.
    pub doc: &'static str,
    /// Checks across parameters, run when the file is loaded: the offending
    /// key and what is wrong.
    pub check: fn(&Params) -> Result<(), (&'static str, String)>,
    /// The computation.
    pub run: fn(&StageContext) -> Result<Vec<OutputFile>, PipelineError>,
    /// Expected work at a sweep point, relative to the other points (None:
    /// the same everywhere); see `StageKind::cost`.
    pub cost: Option<fn(&Point) -> f64>,
    /// Checks at load beyond its own parameters; see
    /// `StageKind::check_at_load`.
    pub check_at_load: Option<LoadCheck>,
    /// Whether it only draws figures (`neurodyn plot` redraws these).
    pub draws: bool,
}

/// A study: the science behind a pipeline file.
pub trait Study: Sync {
    /// Name used in `[pipeline] study = "…"`.
    fn name(&self) -> &'static str;
    /// One line of description.
    fn description(&self) -> &'static str;
    /// Sweep axes in canonical order (the partition folder order).
    fn axes(&self) -> Vec<AxisDef>;
    /// Stages in a topological order.
    fn stages(&self) -> Vec<StageDef>;
    /// The point a sweep point actually denotes: a study may null an axis
    /// that does not apply there; equal points then run once.
    fn canonical_point(&self, point: Point) -> Point {
        point
    }
}

/// A recorder for a PerPoint instance: one dataset folder per table.
pub(crate) fn recorder(ctx: &StageContext, seed: u64) -> Result<ParquetRecorder, PipelineError> {
    let partition = ctx.partition.as_ref().expect("PerPoint");
    let point = ctx.point.as_ref().expect("PerPoint");
    Ok(ParquetRecorder::create_partitioned(
        &ctx.dir,
        partition,
        point.sweep_keys(&ctx.points, &ctx.key_units),
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

/// Figure files (PNG, SVG, GIF) a stage wrote, relative to the pipeline
/// folder, for the manifest.
pub(crate) fn figure_files(ctx: &StageContext, paths: &[PathBuf]) -> Vec<OutputFile> {
    paths
        .iter()
        .map(|p| OutputFile {
            path: p
                .strip_prefix(&ctx.pipeline_dir)
                .unwrap_or(p)
                .display()
                .to_string(),
            rows: 0,
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

/// What a load-time check sees (`StageKind::check_at_load`).
pub struct LoadContext<'a> {
    /// The stage's name.
    pub stage: &'a str,
    /// Its validated parameters.
    pub params: &'a Params,
    /// Per input port: the stage bound to it, and that stage's parameters.
    pub inputs: Vec<(&'static str, &'a str, &'a Params)>,
    /// Every sweep point, as this kind sees it.
    pub points: &'a [Point],
    /// The memory one instance may use, in bytes (see
    /// `crate::memory_budget`).
    pub memory_budget: u64,
    /// The largest estimate the check made (bytes, baseline included).
    pub estimate: std::cell::Cell<f64>,
}

/// What every instance needs besides its own estimate (bytes).
pub const BASELINE_BYTES: f64 = 100e6;

/// A kind's checks at load (`StageKind::check_at_load`).
pub type LoadCheck = fn(&LoadContext) -> Result<(), LoadError>;

/// A load-time error: the key it is about (the stage's own parameter,
/// `sweep.AXIS`, or `""` for the stage as a whole), and what is wrong.
pub type LoadError = (String, String);
