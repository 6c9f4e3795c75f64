//! The DAG of stage instances, their fingerprints and manifests, and the
//! incremental parallel runner.
//!
//! An instance's fingerprint is the blake3 hash of its study, stage, code
//! version, canonical parameters, master seed, sweep point (or the whole
//! sweep for aggregate stages) and the fingerprints of its inputs. An
//! instance whose manifest holds the same fingerprint and whose files all
//! exist is fresh and skipped. Outputs are written atomically and the
//! manifest last, so an interrupted run leaves no partial file visible and
//! the next run completes only what is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use neurodyn_io::atomic::{Holder, InstanceLock, Taken, host_name};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::progress::Progress;
use crate::study::{OutputFile, Point, Scope, StageContext};
use crate::{Pipeline, PipelineError};

/// Name of a PerPoint instance's manifest, in `<stage>/_instances/<partition>/`
/// (readers of `<stage>/<table>` never see it).
pub const MANIFEST: &str = "_manifest.json";

/// Folder of a stage's PerPoint manifests.
pub const INSTANCES: &str = "_instances";

/// One stage instance of the plan.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Index into the pipeline's stages.
    pub stage: usize,
    /// Sweep point (PerPoint) or None (Aggregate).
    pub point: Option<Point>,
    /// Output folder: the stage folder (PerPoint) or the pipeline folder (Aggregate).
    pub dir: PathBuf,
    /// Partition of a PerPoint instance (`g_4.0/session_1`).
    pub partition: Option<PathBuf>,
    /// Manifest path.
    pub manifest: PathBuf,
    /// Fingerprint (hex).
    pub fingerprint: String,
    /// Upstream instances' (stage, fingerprint).
    pub inputs: Vec<InputRef>,
}

/// An input of an instance, as recorded in its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRef {
    /// Upstream stage.
    pub stage: String,
    /// Its instance's fingerprint.
    pub fingerprint: String,
}

/// What a completed instance left behind (written last, atomically).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Stage name.
    pub stage: String,
    /// Sweep point label (empty for aggregate stages).
    pub point: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// Code version of the stage.
    pub code_version: String,
    /// Master seed.
    pub seed: u64,
    /// Canonical parameters.
    pub params: serde_json::Value,
    /// Inputs.
    pub inputs: Vec<InputRef>,
    /// Files written, relative to the instance folder.
    pub files: Vec<OutputFile>,
    /// neurodyn version that wrote it.
    pub neurodyn_version: String,
    /// Seconds the instance took.
    pub elapsed_s: f64,
}

/// Freshness of an instance.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Up to date: would be skipped.
    Fresh,
    /// Never completed.
    Missing,
    /// Completed for other inputs, parameters or code; the reasons.
    Stale(Vec<String>),
}

/// The pipeline's instances and where they write.
pub struct Plan<'p> {
    /// The pipeline.
    pub pipeline: &'p Pipeline,
    /// `<out>/<pipeline name>`.
    pub pipeline_dir: PathBuf,
    /// Every sweep point (shared with every instance's context: cloning
    /// the sweep per instance would make planning quadratic).
    pub points: std::sync::Arc<Vec<Point>>,
    /// Instances in an order where inputs come first.
    pub instances: Vec<Instance>,
    /// Per stage: the index in `instances` of a PerPoint stage's instance at
    /// the first sweep point (the one at point `k` is `k` further on).
    first: Vec<Option<usize>>,
}

fn hash_fingerprint(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new_derive_key("neurodyn fingerprint v1");
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// The content hashes of a stage's input files (`ParamKind::File`
/// parameters: the file named, or the bundled bytes for `"example"`), so
/// that editing a file, or shipping new bundled data, reruns the stages that
/// read it. Empty for stages without input files, which keeps their
/// fingerprints as they were.
fn file_digests(def: &crate::study::StageDef, params: &crate::params::Params) -> String {
    let mut out = String::new();
    for d in &def.params {
        let crate::params::ParamKind::File { example, .. } = d.kind else {
            continue;
        };
        let path = params.str(d.key);
        let digest = if path == "none" {
            "none".to_string()
        } else if path == "example" {
            blake3::hash(example).to_hex().to_string()
        } else {
            match std::fs::read(path) {
                Ok(bytes) => blake3::hash(&bytes).to_hex().to_string(),
                Err(e) => format!("unreadable: {e}"),
            }
        };
        out.push_str(&format!("{}={digest};", d.key));
    }
    out
}

impl<'p> Plan<'p> {
    /// Lay out the instances of `pipeline` under `out_root`.
    pub fn new(pipeline: &'p Pipeline, out_root: &Path) -> Self {
        let pipeline_dir = out_root.join(&pipeline.name);
        let points = pipeline.shared_points();
        let all_labels: String = points.iter().map(|p| p.label() + ";").collect();
        let mut instances: Vec<Instance> = Vec::new();
        // a PerPoint stage's instances: one per point, in sweep order, from here
        let mut first: Vec<Option<usize>> = vec![None; pipeline.stages.len()];
        for (si, (def, params)) in pipeline.stages.iter().enumerate() {
            let json = params.canonical_json();
            let seed = pipeline.seed.to_string();
            let files = file_digests(def, params);
            let mut base = vec![
                pipeline.study.name(),
                def.name,
                def.code_version,
                json.as_str(),
                seed.as_str(),
            ];
            if !files.is_empty() {
                base.push(files.as_str());
            }
            // which upstream table feeds each port (composed pipelines only,
            // so the studies' fingerprints stay as they were)
            let wiring: String = def
                .bindings
                .iter()
                .map(|b| format!("{}={}.{};", b.port, b.stage, b.table))
                .collect();
            if !wiring.is_empty() {
                base.push(wiring.as_str());
            }
            match def.scope {
                Scope::PerPoint => {
                    first[si] = Some(instances.len());
                    for (k, p) in points.iter().enumerate() {
                        let inputs: Vec<InputRef> = def
                            .inputs
                            .iter()
                            .map(|up| {
                                let us = pipeline
                                    .stages
                                    .iter()
                                    .position(|(d, _)| d.name == *up)
                                    .and_then(|us| first[us])
                                    .expect("PerPoint inputs are earlier PerPoint stages");
                                let u = &instances[us + k];
                                InputRef {
                                    stage: up.to_string(),
                                    fingerprint: u.fingerprint.clone(),
                                }
                            })
                            .collect();
                        let label = p.label();
                        let mut parts: Vec<&str> = base.to_vec();
                        parts.push(&label);
                        parts.extend(inputs.iter().map(|i| i.fingerprint.as_str()));
                        let dir = pipeline_dir.join(def.name);
                        let partition = p.partition_path();
                        instances.push(Instance {
                            stage: si,
                            point: Some(p.clone()),
                            manifest: dir.join(INSTANCES).join(&partition).join(MANIFEST),
                            partition: Some(partition),
                            dir,
                            fingerprint: hash_fingerprint(&parts),
                            inputs,
                        });
                    }
                }
                Scope::Aggregate => {
                    let inputs: Vec<InputRef> = instances
                        .iter()
                        .filter(|i| def.inputs.contains(&pipeline.stages[i.stage].0.name))
                        .map(|i| InputRef {
                            stage: pipeline.stages[i.stage].0.name.to_string(),
                            fingerprint: i.fingerprint.clone(),
                        })
                        .collect();
                    let mut parts: Vec<&str> = base.to_vec();
                    parts.push(&all_labels);
                    parts.extend(inputs.iter().map(|i| i.fingerprint.as_str()));
                    instances.push(Instance {
                        stage: si,
                        point: None,
                        manifest: pipeline_dir
                            .join("_manifests")
                            .join(format!("{}.json", def.name)),
                        dir: pipeline_dir.clone(),
                        partition: None,
                        fingerprint: hash_fingerprint(&parts),
                        inputs,
                    });
                }
            }
        }
        Plan {
            pipeline,
            pipeline_dir,
            points,
            instances,
            first,
        }
    }

    /// The expected work of each sweep point, summed over the PerPoint
    /// stages that estimate theirs (`StageDef::cost`; the others count the
    /// same at every point); None when no stage does.
    pub fn point_costs(&self) -> Option<Vec<f64>> {
        let estimates: Vec<fn(&Point) -> f64> = self
            .pipeline
            .stages
            .iter()
            .filter(|(d, _)| d.scope == Scope::PerPoint)
            .filter_map(|(d, _)| d.cost)
            .collect();
        if estimates.is_empty() {
            return None;
        }
        Some(
            self.points
                .iter()
                .map(|p| estimates.iter().map(|f| f(p)).sum())
                .collect(),
        )
    }

    /// The index in `instances` of PerPoint stage `stage`'s instance at the
    /// `k`-th sweep point.
    fn index_at(&self, stage: usize, k: usize) -> usize {
        self.first[stage].expect("a PerPoint stage") + k
    }

    /// The manifest at `path`, if it is there and reads.
    pub fn read_manifest(path: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Freshness of one instance, with reasons when stale.
    pub fn status(&self, inst: &Instance) -> Status {
        let Some(m) = Self::read_manifest(&inst.manifest) else {
            return Status::Missing;
        };
        let (def, params) = &self.pipeline.stages[inst.stage];
        let missing: Vec<String> = m
            .files
            .iter()
            .filter(|f| !inst.dir.join(&f.path).is_file())
            .map(|f| format!("file {} is missing", f.path))
            .collect();
        if m.fingerprint == inst.fingerprint {
            return if missing.is_empty() {
                Status::Fresh
            } else {
                Status::Stale(missing)
            };
        }
        let mut why = Vec::new();
        if m.code_version != def.code_version {
            why.push(format!(
                "code version {} -> {}",
                m.code_version, def.code_version
            ));
        }
        let current: serde_json::Value =
            serde_json::from_str(&params.canonical_json()).expect("canonical json");
        if m.params != current {
            let mut keys: Vec<String> = Vec::new();
            if let (Some(a), Some(b)) = (m.params.as_object(), current.as_object()) {
                for k in a.keys().chain(b.keys()) {
                    if a.get(k) != b.get(k) && !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
            why.push(format!("parameters changed: {}", keys.join(", ")));
        }
        if m.seed != self.pipeline.seed {
            why.push(format!("seed {} -> {}", m.seed, self.pipeline.seed));
        }
        if m.inputs != inst.inputs {
            let mut stages: Vec<&str> = Vec::new();
            for (k, i) in inst.inputs.iter().enumerate() {
                if m.inputs.get(k) != Some(i) && !stages.contains(&i.stage.as_str()) {
                    stages.push(&i.stage);
                }
            }
            if stages.is_empty() {
                why.push("the sweep changed".into());
            } else {
                why.push(format!("inputs changed: {}", stages.join(", ")));
            }
        }
        if why.is_empty() {
            why.push("the sweep changed".into());
        }
        why.extend(missing);
        Status::Stale(why)
    }

    /// The process writing `inst` now, if any (its lock file's holder).
    pub fn holder(&self, inst: &Instance) -> Option<Holder> {
        InstanceLock::holder(&lock_path(inst)).ok().flatten()
    }

    fn context(&self, inst: &Instance) -> StageContext {
        let (def, params) = &self.pipeline.stages[inst.stage];
        StageContext {
            pipeline: self.pipeline.name.clone(),
            stage: def.name,
            master_seed: self.pipeline.seed,
            params: params.clone(),
            point: inst.point.clone(),
            points: self.points.clone(),
            dir: inst.dir.clone(),
            partition: inst.partition.clone(),
            pipeline_dir: self.pipeline_dir.clone(),
            key_units: self
                .pipeline
                .study
                .axes()
                .iter()
                .filter(|a| !a.unit.is_empty())
                .map(|a| (a.name, a.unit))
                .collect(),
            fingerprint: inst.fingerprint.clone(),
            all_params: self
                .pipeline
                .stages
                .iter()
                .map(|(d, p)| (d.name, p.clone()))
                .collect(),
            bindings: def.bindings.clone(),
        }
    }

    fn run_instance(&self, inst: &Instance) -> Result<(), PipelineError> {
        let (def, params) = &self.pipeline.stages[inst.stage];
        let io = |e| PipelineError::Core(neurodyn_core::Error::io(&inst.manifest, e));
        // An old manifest must not vouch for files being replaced.
        match std::fs::remove_file(&inst.manifest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        std::fs::create_dir_all(&inst.dir).map_err(io)?;
        let t0 = Instant::now();
        let files = (def.run)(&self.context(inst))?;
        let m = Manifest {
            stage: def.name.to_string(),
            point: inst.point.as_ref().map(Point::label).unwrap_or_default(),
            fingerprint: inst.fingerprint.clone(),
            code_version: def.code_version.to_string(),
            seed: self.pipeline.seed,
            params: serde_json::from_str(&params.canonical_json()).expect("canonical json"),
            inputs: inst.inputs.clone(),
            files,
            neurodyn_version: neurodyn_core::VERSION.to_string(),
            elapsed_s: t0.elapsed().as_secs_f64(),
        };
        let text = serde_json::to_string_pretty(&m).expect("serialisable");
        neurodyn_io::atomic::write_atomic(&inst.manifest, text.as_bytes())?;
        Ok(())
    }

    /// Remove partitions of PerPoint stages that are not in the current sweep
    /// (so a table folder read as a dataset holds exactly this sweep).
    fn prune(&self) -> Result<usize, PipelineError> {
        let mut removed = 0;
        for (def, _) in &self.pipeline.stages {
            if def.scope != Scope::PerPoint {
                continue;
            }
            // each table's dataset folder, and the manifests' folder
            let root = self.pipeline_dir.join(def.name);
            let Ok(entries) = std::fs::read_dir(&root) else {
                continue;
            };
            for e in entries {
                let dataset = e.map_err(|e| neurodyn_core::Error::io(&root, e))?.path();
                if !dataset.is_dir() {
                    continue;
                }
                let keep: BTreeSet<PathBuf> = self
                    .points
                    .iter()
                    .map(|p| dataset.join(p.partition_path()))
                    .collect();
                removed += prune_dir(&dataset, &keep)?;
            }
        }
        Ok(removed)
    }
}

fn prune_dir(dir: &Path, keep: &BTreeSet<PathBuf>) -> Result<usize, PipelineError> {
    let io = |e| PipelineError::Core(neurodyn_core::Error::io(dir, e));
    if keep.contains(dir) || !dir.is_dir() {
        return Ok(0);
    }
    if !keep.iter().any(|k| k.starts_with(dir)) {
        std::fs::remove_dir_all(dir).map_err(io)?;
        return Ok(1);
    }
    let mut n = 0;
    for e in std::fs::read_dir(dir).map_err(io)? {
        let p = e.map_err(io)?.path();
        if p.is_dir() {
            n += prune_dir(&p, keep)?;
        }
    }
    Ok(n)
}

/// Run `f` inside `pool` if given, else on rayon's global pool.
fn in_pool<R: Send>(pool: Option<&rayon::ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Options of [`run`].
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stages to rerun even when fresh.
    pub force: Vec<String>,
    /// Worker threads (None: rayon's default, one per core).
    pub threads: Option<usize>,
    /// No progress output at all.
    pub quiet: bool,
    /// Run only this shard's per-point instances (and no aggregate stage,
    /// unless `then_aggregate`).
    pub shard: Option<Shard>,
    /// With `shard`: then run the aggregate stages, if every sweep point is
    /// done (the last shard to finish does it).
    pub then_aggregate: bool,
}

/// Shard `index` (1-based) of `count` of the sweep points. The split
/// depends on the sweep only, never on timing: round robin over the sweep
/// (the points at positions `index − 1` modulo `count`), or, where a stage
/// estimates the work of its points ([`Plan::point_costs`]), balanced by
/// that estimate ([`Shard::points`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1, …, count.
    pub index: usize,
    /// Number of shards (≥ 1).
    pub count: usize,
}

impl Shard {
    /// Parse `I/K` (`3/8`): whole numbers with `1 ≤ I ≤ K`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let form = "expected I/K, shard I of K, with whole numbers 1 <= I <= K (such as 1/4 or $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)";
        let (i, k) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: {form}"))?;
        let num = |v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("{text:?}: {form}"))
        };
        let (index, count) = (num(i)?, num(k)?);
        if count == 0 {
            return Err(format!("{text:?}: K = 0 shards; {form}"));
        }
        if index == 0 || index > count {
            return Err(format!(
                "{text:?}: shard {index} of {count} does not exist; shards are numbered 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The positions in the sweep of this shard's points, in sweep order,
    /// of `n` points. Without `costs`, round robin. With them, the longest
    /// processing time rule: points in order of cost, largest first (ties:
    /// sweep order), each to the shard with the least cost so far (ties:
    /// the lowest shard), so no shard exceeds the average by more than its
    /// largest point. Equal costs give round robin.
    pub fn points(&self, n: usize, costs: Option<&[f64]>) -> Vec<usize> {
        let Some(costs) = costs else {
            return (0..n)
                .filter(|k| k % self.count == self.index - 1)
                .collect();
        };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
        let mut load = vec![0.0f64; self.count];
        let mut mine = Vec::new();
        for k in order {
            let s = (0..self.count)
                .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
                .expect("count >= 1");
            load[s] += costs[k];
            if s == self.index - 1 {
                mine.push(k);
            }
        }
        mine.sort_unstable();
        mine
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a run did, per stage: (stage, instances run, instances fresh).
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Per stage.
    pub stages: Vec<(String, usize, usize)>,
    /// Partitions removed because they left the sweep.
    pub pruned: usize,
    /// Wall time in seconds.
    pub elapsed_s: f64,
    /// What the user should know: stale locks taken over, instances held by
    /// other processes, aggregate stages left for later.
    pub notes: Vec<String>,
}

/// What [`claim_and_run`] did with an instance.
enum Claimed {
    /// Ran it.
    Ran,
    /// Found it fresh once it held the lock (another process finished it).
    Fresh,
    /// Another host's process (or one that cannot be asked) holds it.
    Held(Holder),
    /// A live process of this host holds it, and the caller would rather
    /// not wait now.
    Busy,
}

/// The lock file of an instance, beside its manifest.
fn lock_path(inst: &Instance) -> PathBuf {
    inst.manifest.with_extension("lock")
}

/// Take `inst`'s lock and run the instance unless it is fresh by then
/// (`forced`: run anyway). While a live process of this host holds the
/// lock: wait for it if `wait`, else return [`Claimed::Busy`].
fn claim_and_run(
    plan: &Plan<'_>,
    inst: &Instance,
    forced: bool,
    wait: bool,
    notes: &Mutex<Vec<String>>,
) -> Result<Claimed, PipelineError> {
    let path = lock_path(inst);
    let here = host_name();
    loop {
        match InstanceLock::try_take(&path)? {
            Taken::Taken { lock, took_over } => {
                if let Some(h) = took_over {
                    notes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(format!(
                            "{}: took over the lock of {h}, which has ended",
                            path.display()
                        ));
                }
                if !forced && plan.status(inst) == Status::Fresh {
                    return Ok(Claimed::Fresh);
                }
                plan.run_instance(inst)?;
                drop(lock);
                return Ok(Claimed::Ran);
            }
            Taken::Held(h) if h.host == here => {
                // a live process of this host: wait for it, or come back later
                if !wait {
                    return Ok(Claimed::Busy);
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Taken::Held(h) => return Ok(Claimed::Held(h)),
        }
    }
}

/// Run every instance that is not fresh; PerPoint chains run in parallel
/// across sweep points, then the aggregate stages.
pub fn run(plan: &Plan<'_>, opts: &RunOptions) -> Result<RunReport, PipelineError> {
    let run = Run::start(plan, opts.clone(), true)?;
    run.run_points()?;
    run.run_aggregates()?;
    Ok(run.finish())
}

/// Where [`Run::run_dealt`]'s worker threads get their sweep points: one
/// at a time, from whoever deals them (rank 0 of an MPI job).
pub trait Dealer: Sync {
    /// Hand in the point just finished, if any (its position in the sweep,
    /// and for each PerPoint stage reached whether it ran), and take the
    /// position of the next point to run; `None`: no more points.
    fn next(&self, finished: Option<(usize, &[(usize, bool)])>) -> Option<usize>;
    /// A worker thread failed with error `why`: deal no more points, to
    /// anyone.
    fn stop(&self, why: &str);
}

/// A run under way, in the steps that [`run`] takes one after another and
/// that the ranks of an MPI job share out: [`start`](Run::start), the sweep
/// points ([`run_points`](Run::run_points) here, or
/// [`run_dealt`](Run::run_dealt) as a dealer hands them out), the stages
/// across the sweep ([`run_aggregates`](Run::run_aggregates)), and
/// [`finish`](Run::finish).
pub struct Run<'a, 'p> {
    plan: &'a Plan<'p>,
    opts: RunOptions,
    names: Vec<String>,
    /// Per instance: not fresh when the run started, or forced.
    todo: Vec<bool>,
    /// The PerPoint stages, in order.
    per_point: Vec<usize>,
    /// Positions in the sweep of this run's points (its shard's, or all).
    mine: Vec<usize>,
    /// Expected work per sweep point, where stages estimate it.
    costs: Option<Vec<f64>>,
    progress: Progress,
    ran: Vec<AtomicUsize>,
    fresh: Vec<AtomicUsize>,
    notes: Mutex<Vec<String>>,
    pool: Option<rayon::ThreadPool>,
    pruned: usize,
    t0: Instant,
}

/// The stages reached along one point's chain: (stage, whether it ran).
type Reached = Vec<(usize, bool)>;

impl<'a, 'p> Run<'a, 'p> {
    /// Check the options, find what is not fresh and set up the progress
    /// display. With `housekeeping` (one process of a job: every plain run,
    /// rank 0 of an MPI job), first create the output folder, remove the
    /// temporaries of ended processes and prune partitions that left the
    /// sweep.
    pub fn start(
        plan: &'a Plan<'p>,
        opts: RunOptions,
        housekeeping: bool,
    ) -> Result<Self, PipelineError> {
        let t0 = Instant::now();
        let stages = &plan.pipeline.stages;
        for f in &opts.force {
            if !stages.iter().any(|(d, _)| d.name == f) {
                let names: Vec<&str> = stages.iter().map(|(d, _)| d.name).collect();
                return Err(PipelineError::Other(format!(
                    "--force {f}: no such stage; stages: {}",
                    names.join(", ")
                )));
            }
        }
        let mut pruned = 0;
        if housekeeping {
            std::fs::create_dir_all(&plan.pipeline_dir)
                .map_err(|e| neurodyn_core::Error::io(&plan.pipeline_dir, e))?;
            neurodyn_io::atomic::remove_stale_temps(&plan.pipeline_dir)
                .map_err(|e| neurodyn_core::Error::io(&plan.pipeline_dir, e))?;
            // First, so that aggregate stages read exactly this sweep.
            pruned = plan.prune()?;
        }
        // temporary files out of the dataset folders (every process: MPI
        // ranks and shards may start before the housekeeper)
        neurodyn_io::atomic::make_temp_dir(&plan.pipeline_dir)?;
        let names: Vec<String> = stages.iter().map(|(d, _)| d.name.to_string()).collect();
        let todo: Vec<bool> = plan
            .instances
            .iter()
            .map(|i| opts.force.contains(&names[i.stage]) || plan.status(i) != Status::Fresh)
            .collect();
        let costs = plan.point_costs();
        let mine: Vec<usize> = match opts.shard {
            Some(sh) => sh.points(plan.points.len(), costs.as_deref()),
            None => (0..plan.points.len()).collect(),
        };
        // a shard counts its own points: one instance each per PerPoint stage
        let totals: Vec<u64> = (0..stages.len())
            .map(|s| match stages[s].0.scope {
                Scope::PerPoint => mine.len() as u64,
                Scope::Aggregate => plan.instances.iter().filter(|i| i.stage == s).count() as u64,
            })
            .collect();
        let progress = Progress::new(names.clone(), totals, opts.quiet);
        // --threads N: one pool for the whole run (else rayon's global pool)
        let pool = opts
            .threads
            .map(|n| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| PipelineError::Other(format!("--threads {n}: {e}")))
            })
            .transpose()?;
        Ok(Run {
            plan,
            per_point: (0..stages.len())
                .filter(|&s| stages[s].0.scope == Scope::PerPoint)
                .collect(),
            ran: (0..stages.len()).map(|_| AtomicUsize::new(0)).collect(),
            fresh: (0..stages.len()).map(|_| AtomicUsize::new(0)).collect(),
            opts,
            names,
            todo,
            mine,
            costs,
            progress,
            notes: Mutex::new(Vec::new()),
            pool,
            pruned,
            t0,
        })
    }

    fn note(&self, n: String) {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).push(n);
    }

    fn forced(&self, s: usize) -> bool {
        self.opts.force.contains(&self.names[s])
    }

    fn count(&self, s: usize, label: &str, did: bool) {
        let c = if did { &self.ran } else { &self.fresh };
        c[s].fetch_add(1, Ordering::Relaxed);
        self.progress.inc(s, label, did);
    }

    /// PerPoint stages `from`.. of the chain of the `k`-th point. Without
    /// `wait`, the chain stops at an instance another process of this host
    /// is running and returns where it stopped, to be resumed (waiting)
    /// once the other points are done.
    fn chain(
        &self,
        k: usize,
        from: usize,
        wait: bool,
    ) -> Result<(Reached, Option<usize>), PipelineError> {
        let plan = self.plan;
        let p = &plan.points[k];
        let mut out = Vec::new();
        for (j, &s) in self.per_point.iter().enumerate().skip(from) {
            let i = plan.index_at(s, k);
            let inst = &plan.instances[i];
            let mut did = false;
            if self.todo[i] {
                let claimed = claim_and_run(plan, inst, self.forced(s), wait, &self.notes)
                    .map_err(|e| {
                        PipelineError::Other(format!(
                            "stage {} at {}: {e}",
                            self.names[s],
                            p.label()
                        ))
                    })?;
                match claimed {
                    Claimed::Ran => did = true,
                    Claimed::Fresh => {}
                    Claimed::Busy => return Ok((out, Some(j))),
                    Claimed::Held(h) => {
                        // its downstream stages wait for a later run
                        self.note(format!(
                            "stage {} at {}: held by {h}; not run here",
                            self.names[s],
                            p.label()
                        ));
                        break;
                    }
                }
            }
            self.count(s, &p.label(), did);
            out.push((s, did));
        }
        Ok((out, None))
    }

    /// Run this run's sweep points in parallel: first the points no other
    /// process is running, then (waiting for them) the rest.
    pub fn run_points(&self) -> Result<(), PipelineError> {
        // The first error (a point that fails, a disk that is full) stops
        // the run: the points under way finish, no other point starts.
        let stop = std::sync::atomic::AtomicBool::new(false);
        let skipped = std::sync::atomic::AtomicUsize::new(0);
        let step = |k: usize, from: usize, wait: bool| {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Ok((Vec::new(), None));
            }
            let r = self.chain(k, from, wait);
            if r.is_err() {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            r
        };
        let first: Vec<Result<(Reached, Option<usize>), PipelineError>> =
            in_pool(self.pool.as_ref(), || {
                self.mine.par_iter().map(|&k| step(k, 0, false)).collect()
            });
        let mut later = Vec::new();
        let mut failed = None;
        for (&k, r) in self.mine.iter().zip(first) {
            match r {
                Ok((_, Some(j))) => later.push((k, j)),
                Ok(_) => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        let second: Vec<Result<(Reached, Option<usize>), PipelineError>> =
            in_pool(self.pool.as_ref(), || {
                later.par_iter().map(|&(k, j)| step(k, j, true)).collect()
            });
        for r in second {
            if let Err(e) = r {
                failed.get_or_insert(e);
            }
        }
        match failed {
            None => Ok(()),
            Some(e) => {
                let n = skipped.into_inner();
                Err(if n == 0 {
                    e
                } else {
                    PipelineError::Other(format!(
                        "{e}\nthe run stopped there: {n} other sweep point{} did not start. Completed instances are kept: run again to complete only what is missing",
                        if n == 1 { "" } else { "s" }
                    ))
                })
            }
        }
    }

    /// Count this run's points whose every PerPoint instance is fresh (as
    /// fresh), and return the positions of the others: the points a dealer
    /// hands out, largest expected work first where stages estimate it
    /// (ties and otherwise: sweep order), so that the last points dealt are
    /// short ones.
    pub fn pending(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for &k in &self.mine {
            let busy = self
                .per_point
                .iter()
                .any(|&s| self.todo[self.plan.index_at(s, k)]);
            if busy {
                out.push(k);
            } else {
                let label = self.plan.points[k].label();
                for &s in &self.per_point {
                    self.count(s, &label, false);
                }
            }
        }
        if let Some(c) = &self.costs {
            out.sort_by(|&a, &b| c[b].total_cmp(&c[a]).then(a.cmp(&b)));
        }
        out
    }

    /// Run the points `dealer` hands out, on `threads` worker threads, until
    /// it has none left. The first error stops this process's dealing (and
    /// tells the dealer); the points already under way finish.
    pub fn run_dealt(&self, dealer: &dyn Dealer, threads: usize) -> Result<(), PipelineError> {
        let failed: Mutex<Option<PipelineError>> = Mutex::new(None);
        let worker = || {
            let mut finished: Option<(usize, Reached)> = None;
            loop {
                let handed = finished.as_ref().map(|(k, r)| (*k, r.as_slice()));
                let Some(k) = dealer.next(handed) else {
                    return;
                };
                // a dealt point is this process's alone: wait for any other
                // process of this host that holds one of its instances
                match self.chain(k, 0, true) {
                    Ok((reached, _)) => finished = Some((k, reached)),
                    Err(e) => {
                        dealer.stop(&e.to_string());
                        let mut f = failed.lock().unwrap_or_else(|e| e.into_inner());
                        f.get_or_insert(e);
                        return;
                    }
                }
            }
        };
        in_pool(self.pool.as_ref(), || {
            (0..threads.max(1)).into_par_iter().for_each(|_| worker())
        });
        match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Count point `k`, run elsewhere (by another MPI rank), in this run's
    /// progress and report: `reached` as [`Dealer::next`] got it.
    pub fn count_remote(&self, k: usize, reached: &[(usize, bool)]) {
        let label = self.plan.points[k].label();
        for &(s, did) in reached {
            if s < self.names.len() {
                self.count(s, &label, did);
            }
        }
    }

    /// The stages across the sweep: never on a shard (unless
    /// `then_aggregate`), and only once every point's instances are done,
    /// whoever ran them.
    pub fn run_aggregates(&self) -> Result<(), PipelineError> {
        let plan = self.plan;
        let stages = &plan.pipeline.stages;
        let names = &self.names;
        let aggregates: Vec<usize> = (0..plan.instances.len())
            .filter(|&k| stages[plan.instances[k].stage].0.scope == Scope::Aggregate)
            .collect();
        let aggregate_names = || {
            let mut v: Vec<&str> = aggregates
                .iter()
                .map(|&k| names[plan.instances[k].stage].as_str())
                .collect();
            v.dedup();
            v.join(", ")
        };
        if aggregates.is_empty() {
            return Ok(());
        }
        if let Some(sh) = self.opts.shard
            && !self.opts.then_aggregate
        {
            self.note(format!(
                "shard {sh}: the stages across the sweep ({}) are left to a plain `neurodyn run` or to `--then-aggregate`",
                aggregate_names()
            ));
            return Ok(());
        }
        let undone: BTreeSet<String> = plan
            .instances
            .iter()
            .filter(|i| i.point.is_some() && plan.status(i) != Status::Fresh)
            .filter_map(|i| i.point.as_ref().map(Point::label))
            .collect();
        if !undone.is_empty() {
            self.note(format!(
                "the stages across the sweep ({}) did not run: {} of {} sweep points are not done yet (other shards or processes may be running them); run again once they are",
                aggregate_names(),
                undone.len(),
                plan.points.len()
            ));
            return Ok(());
        }
        for k in aggregates {
            let inst = &plan.instances[k];
            let s = inst.stage;
            let mut did = false;
            if self.todo[k] {
                let claimed = in_pool(self.pool.as_ref(), || {
                    claim_and_run(plan, inst, self.forced(s), true, &self.notes)
                })
                .map_err(|e| PipelineError::Other(format!("stage {}: {e}", names[s])))?;
                match claimed {
                    Claimed::Ran => did = true,
                    Claimed::Fresh => {}
                    Claimed::Held(h) => {
                        self.note(format!("stage {}: held by {h}; not run here", names[s]));
                        continue;
                    }
                    // not returned when waiting
                    Claimed::Busy => continue,
                }
            }
            self.count(s, "", did);
        }
        Ok(())
    }

    /// End the progress display and report what the run did.
    pub fn finish(self) -> RunReport {
        self.progress.finish();
        RunReport {
            stages: self
                .names
                .into_iter()
                .enumerate()
                .map(|(s, n)| {
                    (
                        n,
                        self.ran[s].load(Ordering::Relaxed),
                        self.fresh[s].load(Ordering::Relaxed),
                    )
                })
                .collect(),
            pruned: self.pruned,
            elapsed_s: self.t0.elapsed().as_secs_f64(),
            notes: self.notes.into_inner().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shard;

    fn split(n: usize, k: usize, costs: Option<&[f64]>) -> Vec<Vec<usize>> {
        (1..=k)
            .map(|index| Shard { index, count: k }.points(n, costs))
            .collect()
    }

    /// Every point is in exactly one shard.
    fn assert_partition(shards: &[Vec<usize>], n: usize) {
        let mut all: Vec<usize> = shards.concat();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn without_or_with_equal_costs_shards_are_round_robin() {
        for (n, k) in [(0, 3), (1, 3), (7, 3), (12, 4), (5, 5), (3, 8)] {
            let rr = split(n, k, None);
            assert_partition(&rr, n);
            for (i, s) in rr.iter().enumerate() {
                assert!(s.iter().all(|p| p % k == i), "{n} {k}: {rr:?}");
            }
            assert_eq!(
                split(n, k, Some(&vec![2.5; n])),
                rr,
                "{n} points, {k} shards"
            );
        }
    }

    #[test]
    fn costed_shards_are_within_the_largest_point_of_the_average() {
        // 7 node models' relative costs, each over 6 other points
        let model = [0.58, 0.61, 1.0, 0.99, 1.61, 1.75, 1.91];
        let costs: Vec<f64> = model
            .iter()
            .flat_map(|&c| std::iter::repeat_n(c, 6))
            .collect();
        let total: f64 = costs.iter().sum();
        for k in [2, 3, 4, 8] {
            let shards = split(costs.len(), k, Some(&costs));
            assert_partition(&shards, costs.len());
            let loads: Vec<f64> = shards
                .iter()
                .map(|s| s.iter().map(|&p| costs[p]).sum())
                .collect();
            // the longest-processing-time bound: no shard above average +
            // largest point
            for l in &loads {
                assert!(*l <= total / k as f64 + 1.91 + 1e-12, "{k}: {loads:?}");
            }
            // and the spread of the loads is never wider than round robin's
            let rr: Vec<f64> = split(costs.len(), k, None)
                .iter()
                .map(|s| s.iter().map(|&p| costs[p]).sum())
                .collect();
            let spread = |v: &[f64]| {
                v.iter().cloned().fold(f64::MIN, f64::max)
                    - v.iter().cloned().fold(f64::MAX, f64::min)
            };
            assert!(
                spread(&loads) <= spread(&rr) + 1e-12,
                "{k}: {loads:?} vs {rr:?}"
            );
            // the same split every time
            assert_eq!(split(costs.len(), k, Some(&costs)), shards);
        }
    }
}
