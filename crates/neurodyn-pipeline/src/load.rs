//! Loading a pipeline file: header, sweep, and each stage's parameters.

use std::path::Path;

use crate::params::Params;
use crate::spec::{Node, NodeKind, Source, SpecError, get};
use crate::study::{AxisDef, AxisValue, Point, StageDef, Study};

/// A validated pipeline, ready to plan.
pub struct Pipeline {
    /// Pipeline name (output folder name).
    pub name: String,
    /// The study it runs.
    pub study: Box<dyn Study>,
    /// Master seed.
    pub seed: u64,
    /// Sweep axes with their values, in the study's axis order.
    pub axes: Vec<(&'static str, Vec<AxisValue>)>,
    /// Stages with their validated parameters, in topological order.
    pub stages: Vec<(StageDef, Params)>,
    /// The memory one instance of a stage needs, estimated at load
    /// (bytes, the process's baseline included), where its kind estimates
    /// it.
    pub memory_estimates: Vec<(&'static str, f64)>,
    /// Every sweep point, made once at load (the checks at load and the
    /// plan share them).
    points: std::sync::Arc<Vec<Point>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("name", &self.name)
            .field("study", &self.study.name())
            .field("seed", &self.seed)
            .field("axes", &self.axes)
            .finish()
    }
}

/// The studies once written in Rust (`study = "…"`), now pipeline files
/// composed of library stages.
const FORMER_STUDIES: &[&str] = &[
    "rnn-chaos",
    "whole-brain",
    "branching-avalanches",
    "force-motifs",
    "ring-attractor",
];

impl Pipeline {
    /// Read and validate a pipeline file.
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let src = Source::read(path)?;
        Self::from_source(&src)
    }

    /// Validate a pipeline from its source text.
    pub fn from_source(src: &Source) -> Result<Self, SpecError> {
        let doc = src.parse()?;
        let (_, header) = get(&doc, "pipeline")
            .ok_or_else(|| src.error(0, "pipeline", "missing the [pipeline] table"))?;
        let mut name = None;
        let mut study_name = None;
        let mut seed = 0u64;
        let NodeKind::Table(entries) = &header.kind else {
            return Err(src.error(header.span.start, "pipeline", "expected a table"));
        };
        for (k, span, v) in entries {
            let key = format!("pipeline.{k}");
            match (k.as_str(), &v.kind) {
                ("name", NodeKind::Str(s)) => {
                    if s.is_empty()
                        || !s
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    {
                        return Err(src.error(
                            v.span.start,
                            &key,
                            "expected a non-empty name of letters, digits, '-' and '_'",
                        ));
                    }
                    name = Some(s.clone());
                }
                ("study", NodeKind::Str(s)) => study_name = Some((s.clone(), v.span.start)),
                ("seed", NodeKind::Int(i)) if *i >= 0 => seed = *i as u64,
                ("description", NodeKind::Str(_)) => {}
                ("name" | "study" | "description", other) => {
                    return Err(src.error(
                        v.span.start,
                        &key,
                        format!("expected a string, found {}", other.type_name()),
                    ));
                }
                ("seed", _) => {
                    return Err(src.error(v.span.start, &key, "expected an integer >= 0"));
                }
                _ => {
                    return Err(src.error(
                        span.start,
                        &key,
                        "unknown key; [pipeline] accepts: name, seed, description",
                    ));
                }
            }
        }
        let name = name
            .ok_or_else(|| src.error(header.span.start, "pipeline.name", "missing (a string)"))?;
        if let Some((study_name, at)) = study_name {
            // the studies written in Rust are compositions of library stages now
            let msg = if FORMER_STUDIES.contains(&study_name.as_str()) {
                format!(
                    "\"{study_name}\" is composed of library stages now: copy the [stages] of pipelines/{study_name}.toml (`neurodyn stages` lists the kinds)"
                )
            } else {
                "a pipeline composes its stages under [stages.NAME] (`neurodyn stages` lists the kinds); [pipeline] has no study".to_string()
            };
            return Err(src.error(at, "pipeline.study", msg));
        }
        let stages = get(&doc, "stages").map(|x| x.1).ok_or_else(|| {
            src.error(
                header.span.start,
                "stages",
                "missing: compose the study from library stages under [stages.NAME] (`neurodyn stages` lists the kinds; pipelines/*.toml are examples)",
            )
        })?;
        Self::composed(src, &doc, name, seed, stages)
    }

    /// A pipeline that declares its stages (`[stages.NAME]`).
    fn composed(
        src: &Source,
        doc: &Node,
        name: String,
        seed: u64,
        stages: &Node,
    ) -> Result<Self, SpecError> {
        let NodeKind::Table(top) = &doc.kind else {
            unreachable!("a document is a table")
        };
        for (k, span, _) in top {
            if !["pipeline", "sweep", "stages"].contains(&k.as_str()) {
                return Err(src.error(
                    span.start,
                    k,
                    "unknown table; a composed pipeline has: pipeline, sweep, stages (each stage under [stages.NAME])",
                ));
            }
        }
        let table = stages;
        let (study, stages) = crate::compose::compose(src, table)?;
        let axes = parse_sweep(src, &study.axes(), get(doc, "sweep").map(|x| x.1))?;
        let points = std::sync::Arc::new(make_points(&study, &axes));
        let pipeline = Pipeline {
            name,
            study: Box::new(study),
            seed,
            axes,
            stages,
            memory_estimates: Vec::new(),
            points,
        };
        let estimates = pipeline.check_at_load(src, doc, table)?;
        Ok(Pipeline {
            memory_estimates: estimates,
            ..pipeline
        })
    }

    /// The stage kinds' checks at load (their inputs' parameters, every
    /// sweep point, the files they read, the memory an instance needs),
    /// each error placed at the key it names.
    fn check_at_load(
        &self,
        src: &Source,
        doc: &Node,
        stages: &Node,
    ) -> Result<Vec<(&'static str, f64)>, SpecError> {
        let mut estimates = Vec::new();
        if self.stages.iter().all(|(d, _)| d.check_at_load.is_none()) {
            return Ok(estimates);
        }
        let budget = crate::memory_budget();
        for (def, params) in &self.stages {
            let Some(check) = def.check_at_load else {
                continue;
            };
            let inputs = def
                .bindings
                .iter()
                .filter_map(|b| {
                    let (_, p) = self.stages.iter().find(|(d, _)| d.name == b.stage)?;
                    Some((b.port, b.stage, p))
                })
                .collect();
            let ctx = crate::library::LoadContext {
                stage: def.name,
                params,
                inputs,
                points: &self.points,
                memory_budget: budget,
                estimate: std::cell::Cell::new(0.0),
            };
            let result = check(&ctx);
            if ctx.estimate.get() > 0.0 {
                estimates.push((def.name, ctx.estimate.get()));
            }
            let Err((key, msg)) = result else {
                continue;
            };
            let sweep = get(doc, "sweep").map(|x| x.1);
            let (at, full) = match key.strip_prefix("sweep.") {
                Some(axis) => {
                    let node = sweep.and_then(|s| get(s, axis)).map(|x| x.1).or(sweep);
                    (node.map_or(0, |n| n.span.start), key.clone())
                }
                None => {
                    let table = get(stages, def.name).map(|x| x.1);
                    let at = table
                        .and_then(|t| crate::params::leaf_position(t, &key))
                        .or(table.map(|t| t.span.start))
                        .unwrap_or(0);
                    let full = if key.is_empty() {
                        format!("stages.{}", def.name)
                    } else {
                        format!("stages.{}.{key}", def.name)
                    };
                    (at, full)
                }
            };
            return Err(src.error(at, &full, msg));
        }
        Ok(estimates)
    }

    /// Every sweep point, last axis varying fastest.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// [`Pipeline::points`], shared (the plan and every instance's context
    /// hold them without a copy).
    pub fn shared_points(&self) -> std::sync::Arc<Vec<Point>> {
        self.points.clone()
    }
}

/// Every sweep point of `axes`, last axis varying fastest, each made
/// canonical by `study`; equal canonical points once.
fn make_points(study: &dyn Study, axes: &[(&'static str, Vec<AxisValue>)]) -> Vec<Point> {
    let mut pts = vec![Point(Vec::new())];
    for (name, values) in axes {
        let mut next = Vec::with_capacity(pts.len() * values.len());
        for p in &pts {
            for v in values {
                let mut q = p.clone();
                q.0.push((name, *v));
                next.push(q);
            }
        }
        pts = next;
    }
    // equal canonical points run once (a hash set: linear in the points)
    let mut seen = std::collections::HashSet::with_capacity(pts.len());
    let mut out: Vec<Point> = Vec::with_capacity(pts.len());
    for p in pts {
        let p = study.canonical_point(p);
        if seen.insert(p.label()) {
            out.push(p);
        }
    }
    out
}

fn axis_value(src: &Source, key: &str, def: &AxisDef, node: &Node) -> Result<AxisValue, SpecError> {
    if !def.choices.is_empty() {
        let allowed = def
            .choices
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        return match &node.kind {
            NodeKind::Str(s) => def
                .choices
                .iter()
                .find(|c| *c == s)
                .map(|c| AxisValue::Choice(c))
                .ok_or_else(|| {
                    src.error(
                        node.span.start,
                        key,
                        format!("unknown value \"{s}\": expected one of {allowed}"),
                    )
                }),
            k => Err(src.error(
                node.span.start,
                key,
                format!("expected one of {allowed}, found {}", k.type_name()),
            )),
        };
    }
    let v = match (&node.kind, def.integer) {
        (NodeKind::Int(i), true) => AxisValue::Int(*i),
        (NodeKind::Int(i), false) => AxisValue::Float(*i as f64),
        (NodeKind::Float(f), false) => AxisValue::Float(*f),
        (k, _) => {
            return Err(src.error(
                node.span.start,
                key,
                format!(
                    "expected {}, found {}",
                    if def.integer {
                        "an integer"
                    } else {
                        "a number"
                    },
                    k.type_name()
                ),
            ));
        }
    };
    let x = v.as_f64();
    if !(x.is_finite() && x >= def.min && x <= def.max) {
        return Err(src.error(
            node.span.start,
            key,
            format!(
                "{x} is out of range: expected values in [{}, {}]",
                def.min, def.max
            ),
        ));
    }
    Ok(v)
}

fn parse_sweep(
    src: &Source,
    defs: &[AxisDef],
    sweep: Option<&Node>,
) -> Result<Vec<(&'static str, Vec<AxisValue>)>, SpecError> {
    let allowed = defs.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
    if let Some(NodeKind::Table(entries)) = sweep.map(|s| &s.kind) {
        for (k, span, _) in entries {
            if !defs.iter().any(|d| d.name == k) {
                return Err(src.error(
                    span.start,
                    &format!("sweep.{k}"),
                    format!("unknown sweep axis; this pipeline sweeps: {allowed}"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    for def in defs {
        let key = format!("sweep.{}", def.name);
        let node = sweep.and_then(|s| get(s, def.name)).map(|x| x.1);
        let values = match node {
            None => def
                .default
                .iter()
                .map(|&x| {
                    if !def.choices.is_empty() {
                        AxisValue::Choice(def.choices[x as usize])
                    } else if def.integer {
                        AxisValue::Int(x as i64)
                    } else {
                        AxisValue::Float(x)
                    }
                })
                .collect(),
            Some(n) => match &n.kind {
                NodeKind::Array(items) => items
                    .iter()
                    .map(|it| axis_value(src, &key, def, it))
                    .collect::<Result<Vec<_>, _>>()?,
                NodeKind::Table(_) if def.choices.is_empty() => range(src, &key, def, n)?,
                _ => vec![axis_value(src, &key, def, n)?],
            },
        };
        if values.is_empty() {
            return Err(src.error(
                node.map_or(0, |n| n.span.start),
                &key,
                "the sweep axis has no values",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for v in &values {
            if !seen.insert(v.canonical()) {
                return Err(src.error(
                    node.map_or(0, |n| n.span.start),
                    &key,
                    format!("value {} appears twice", v.canonical()),
                ));
            }
        }
        out.push((def.name, values));
    }
    // the sweep's size is bounded before any point is made
    let total = out
        .iter()
        .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()))
        .filter(|&n| n <= MAX_POINTS);
    if total.is_none() {
        let sizes: Vec<String> = out
            .iter()
            .map(|(name, v)| format!("{name}: {}", v.len()))
            .collect();
        return Err(src.error(
            sweep.map_or(0, |s| s.span.start),
            "sweep",
            format!(
                "the sweep has more than {MAX_POINTS} points ({}); sweep fewer values, or split the study into several pipelines",
                sizes.join(" x ")
            ),
        ));
    }
    Ok(out)
}

/// The most points a sweep may have: planning holds every point (and a few
/// hundred bytes per point and stage) in memory.
pub const MAX_POINTS: usize = 1_000_000;

/// `{ start = a, stop = b, step = s }`, stop inclusive (step defaults to 1).
fn range(src: &Source, key: &str, def: &AxisDef, n: &Node) -> Result<Vec<AxisValue>, SpecError> {
    let NodeKind::Table(entries) = &n.kind else {
        unreachable!()
    };
    for (k, span, _) in entries {
        if !["start", "stop", "step"].contains(&k.as_str()) {
            return Err(src.error(
                span.start,
                &format!("{key}.{k}"),
                "unknown key; a range accepts: start, stop, step (stop is inclusive)",
            ));
        }
    }
    let field = |name: &str| -> Result<Option<AxisValue>, SpecError> {
        get(n, name)
            .map(|(_, v)| axis_value(src, &format!("{key}.{name}"), def, v))
            .transpose()
    };
    let start = field("start")?
        .ok_or_else(|| src.error(n.span.start, key, "a range needs start and stop"))?;
    let stop = field("stop")?
        .ok_or_else(|| src.error(n.span.start, key, "a range needs start and stop"))?;
    let step = match get(n, "step") {
        None => 1.0,
        Some((_, v)) => match v.kind {
            NodeKind::Int(i) if i > 0 => i as f64,
            NodeKind::Float(f) if f > 0.0 && f.is_finite() && !def.integer => f,
            _ => {
                return Err(src.error(
                    v.span.start,
                    &format!("{key}.step"),
                    "expected a positive step (an integer for integer axes)",
                ));
            }
        },
    };
    let (a, b) = (start.as_f64(), stop.as_f64());
    if b < a {
        return Err(src.error(n.span.start, key, "stop is below start"));
    }
    let count = ((b - a) / step + 1e-9).floor() as usize + 1;
    if count > 100_000 {
        return Err(src.error(n.span.start, key, "a range of more than 100000 values"));
    }
    Ok((0..count)
        .map(|i| {
            if def.integer {
                AxisValue::Int(a as i64 + (i as f64 * step) as i64)
            } else {
                // round to 12 significant digits so 0.1 steps print as 0.3, not 0.30000000000000004
                let x = a + i as f64 * step;
                AxisValue::Float(format!("{x:.12e}").parse().expect("a float"))
            }
        })
        .collect())
}
