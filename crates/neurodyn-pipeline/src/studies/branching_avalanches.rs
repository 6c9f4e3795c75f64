//! branching-avalanches: branching networks below, at and above the critical
//! branching ratio; neuronal avalanches (sizes, durations, power-law fits
//! with goodness of fit and alternatives, the crackling relation) and
//! branching-ratio estimates under subsampling (reference:
//! ../shared/seeds/000; docs/studies/branching-avalanches.md).
//!
//! Each sweep point is one model at one branching ratio σ and one seed:
//! - `layered`: the notebook's layered feed-forward model. A spontaneous run
//!   from silence (the notebook's animation; spontaneous probability 0.01,
//!   0.005, 0.001 at σ = 0.7, 1.0, 1.2, log-linearly interpolated between
//!   and constant beyond) recorded cell by cell, and a run of input pulses
//!   into layer 0 without spontaneous activity, one cascade per pulse,
//!   whose total activity is the avalanche series.
//! - `poisson`: the driven Poisson branching process in the limit of
//!   separated time scales: avalanches of Poisson(σ) offspring from one
//!   seed event, one empty bin between them.
//! - `random_graph`: binary neurons with K out-neighbours, transmission σ/K,
//!   weak spontaneous activity and a refractory step.

use std::path::Path;

use neurodyn_analysis::avalanche::{self, crackling_exponent, mean_size_by_duration};
use neurodyn_analysis::branching_ratio;
use neurodyn_analysis::powerlaw::{self, FitOptions, PowerLawReport};
use neurodyn_core::{Column, ColumnType, Field, Recorder, Rng, Seed, TableSchema};
use neurodyn_models::branching::{avalanche_activity_each, driven_poisson_each};
use neurodyn_models::display;
use neurodyn_models::layered::{LayeredNetwork, LayeredParams, Pulses, Transmission};
use neurodyn_models::random_graph::{RandomGraphNetwork, RandomGraphParams};
use neurodyn_plot::{Chart, Series};
use rand_distr::{Binomial, Distribution};

use super::{choice, files, float, int, int_list, recorder};
use serde::Deserialize;

use crate::PipelineError;
use crate::study::{AxisDef, OutputFile, Point, Scope, StageContext, StageDef, Study};
use crate::typed::{KindParams, NoParams, check_typed, params_of, upstream_params};

/// The branching-avalanches study.
pub struct BranchingAvalanches;

/// Models, in the study's order.
pub const MODEL_NAMES: &[&str] = &["layered", "poisson", "random_graph"];

/// The notebook's spontaneous probabilities of the layered model's
/// animations, `(σ, p)`.
pub const NOTEBOOK_SPONT: [(f64, f64); 3] = [(0.7, 0.01), (1.0, 0.005), (1.2, 0.001)];

/// The notebook's spontaneous probability at `sigma`: log-linear
/// interpolation between [`NOTEBOOK_SPONT`], constant beyond its ends.
pub fn notebook_spont_prob(sigma: f64) -> f64 {
    let pts = NOTEBOOK_SPONT;
    if sigma <= pts[0].0 {
        return pts[0].1;
    }
    for w in pts.windows(2) {
        let ((s0, p0), (s1, p1)) = (w[0], w[1]);
        if sigma <= s1 {
            let f = (sigma - s0) / (s1 - s0);
            return (p0.ln() + f * (p1.ln() - p0.ln())).exp();
        }
    }
    pts[pts.len() - 1].1
}

impl Study for BranchingAvalanches {
    fn name(&self) -> &'static str {
        "branching-avalanches"
    }

    fn description(&self) -> &'static str {
        "Branching networks at sub/critical/supercritical ratios: avalanches, power-law fits, branching ratios"
    }

    fn axes(&self) -> Vec<AxisDef> {
        vec![
            AxisDef {
                name: "model",
                integer: false,
                min: 0.0,
                max: 0.0,
                default: &[0.0, 1.0],
                choices: MODEL_NAMES,
                doc: "layered (the notebook's model), poisson (driven branching process, separated time scales), random_graph (K out-neighbours)",
            },
            AxisDef {
                name: "sigma",
                integer: false,
                min: 0.0,
                max: 1000.0,
                default: &[0.7, 1.0, 1.2],
                choices: &[],
                doc: "branching ratio: expected activations caused by one active neuron",
            },
            AxisDef {
                name: "seed",
                integer: true,
                min: 0.0,
                max: 1e9,
                default: &[0.0],
                choices: &[],
                doc: "random seed (network, activity)",
            },
        ]
    }

    fn stages(&self) -> Vec<StageDef> {
        vec![
            StageDef {
                name: "simulate",
                scope: Scope::PerPoint,
                inputs: vec![],
                bindings: vec![],
                code_version: "1",
                params: simulate_params(),
                doc: "the model's activity per time bin (and the layered model's cells during its animation run)",
                check: check_typed::<SimulateParams>,
                run: simulate,
            },
            StageDef {
                name: "analyse",
                scope: Scope::PerPoint,
                inputs: vec!["simulate"],
                bindings: vec![],
                code_version: "1",
                params: vec![
                    int(
                        "rebin",
                        1,
                        1_000_000,
                        1,
                        "avalanches in bins of this many time steps",
                    ),
                    int(
                        "min_tail",
                        2,
                        i64::MAX,
                        50,
                        "power-law fits: smallest tail an xmin may leave",
                    ),
                    int(
                        "xmin_max",
                        0,
                        i64::MAX,
                        0,
                        "power-law fits: largest xmin scanned (0: no bound)",
                    ),
                    int(
                        "bootstrap",
                        0,
                        100_000,
                        100,
                        "power-law goodness of fit: synthetic data sets (0: no p-value)",
                    ),
                    int_list(
                        "subsampling_percent",
                        &[100, 10, 1],
                        "branching ratio: percent of events observed (binomial thinning)",
                    ),
                    int(
                        "mr_k_max",
                        2,
                        10_000,
                        40,
                        "multistep regression: largest lag (bins)",
                    ),
                    int(
                        "crackling_t_min",
                        1,
                        i64::MAX,
                        2,
                        "crackling exponent: shortest duration fitted (bins)",
                    ),
                    int(
                        "crackling_t_max",
                        1,
                        i64::MAX,
                        1000,
                        "crackling exponent: longest duration fitted (bins)",
                    ),
                    int(
                        "crackling_min_count",
                        1,
                        i64::MAX,
                        10,
                        "crackling exponent: fewest avalanches of a duration",
                    ),
                ],
                doc: "avalanches, power-law fits of sizes and durations, crackling exponent, branching ratios",
                check: check_typed::<AnalyseParams>,
                run: analyse,
            },
            StageDef {
                name: "tables",
                scope: Scope::Aggregate,
                inputs: vec!["analyse"],
                bindings: vec![],
                code_version: "1",
                params: vec![],
                doc: "tables/avalanches, powerlaw, branching_ratio, crackling, size_by_duration",
                check: check_typed::<NoParams>,
                run: tables,
            },
            StageDef {
                name: "figures",
                scope: Scope::Aggregate,
                inputs: vec!["tables", "simulate"],
                bindings: vec![],
                code_version: "1",
                params: vec![
                    int(
                        "animation_frames",
                        0,
                        100_000,
                        150,
                        "frames of each layered-model GIF (0: none); the notebook's smoothing stretches each step to 3 frames",
                    ),
                    choice(
                        "png_frames",
                        &["no", "yes"],
                        "no",
                        "also write each GIF frame as a PNG",
                    ),
                    int(
                        "raster_steps",
                        1,
                        1_000_000,
                        100,
                        "steps shown in the activity rasters",
                    ),
                ],
                doc: "CCDFs with the fitted power laws, mean size by duration, rasters, layered-model animations",
                check: check_typed::<FiguresParams>,
                run: figures,
            },
        ]
    }
}

fn simulate_params() -> Vec<crate::params::ParamDef> {
    vec![
        int(
            "layered.layers",
            2,
            100_000,
            35,
            "layers (the notebook: 35)",
        ),
        int(
            "layered.neurons",
            1,
            100_000,
            20,
            "neurons per layer (the notebook: 20)",
        ),
        choice(
            "layered.rule",
            &["independent", "linear"],
            "independent",
            "firing rule: 1 - (1 - sigma/N)^k (default), or the notebook's sigma k / N (exceeds 1, clipped)",
        ),
        choice(
            "layered.spont",
            &["notebook", "fixed"],
            "notebook",
            "animation run's spontaneous probability: the notebook's per sigma, or layered.spont_prob",
        ),
        float(
            "layered.spont_prob",
            0.0,
            1.0,
            0.005,
            "spontaneous probability when layered.spont = fixed",
        ),
        int(
            "layered.animation_steps",
            1,
            1_000_000,
            100,
            "steps of the spontaneous (animation) run (the notebook: 100)",
        ),
        int(
            "layered.pulses",
            1,
            100_000_000,
            20_000,
            "input pulses of the avalanche run",
        ),
        int(
            "layered.pulse_interval_steps",
            1,
            1_000_000,
            40,
            "steps between pulses (more than the layers: cascades do not overlap)",
        ),
        int(
            "layered.pulse_neurons",
            1,
            100_000,
            1,
            "layer-0 neurons activated by a pulse",
        ),
        int(
            "poisson.avalanches",
            1,
            100_000_000,
            100_000,
            "avalanches, each from one seed event",
        ),
        int(
            "poisson.max_size",
            1,
            i64::MAX,
            10_000_000,
            "an avalanche is stopped (truncated) at this many events",
        ),
        float(
            "poisson.driven_mean_activity",
            0.0,
            1e9,
            100.0,
            "stationary driven series for the branching ratio (sigma < 1): mean events per bin a, drive h = a (1 - sigma)",
        ),
        int(
            "poisson.driven_steps",
            0,
            1_000_000_000,
            100_000,
            "bins of the stationary driven series (0: none)",
        ),
        int("random_graph.neurons", 2, 100_000_000, 10_000, "neurons"),
        int(
            "random_graph.out_degree",
            1,
            100_000,
            10,
            "out-neighbours per neuron K",
        ),
        float(
            "random_graph.spont_prob",
            0.0,
            1.0,
            1e-5,
            "spontaneous probability per neuron and step",
        ),
        int(
            "random_graph.refractory_steps",
            0,
            1000,
            1,
            "steps after activity during which a neuron cannot fire",
        ),
        int(
            "random_graph.steps",
            1,
            1_000_000_000,
            200_000,
            "steps simulated",
        ),
    ]
}

/// `[simulate]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulateParams {
    #[serde(rename = "layered.layers")]
    pub(crate) layered_layers: usize,
    #[serde(rename = "layered.neurons")]
    pub(crate) layered_neurons: usize,
    #[serde(rename = "layered.rule")]
    pub(crate) layered_rule: String,
    #[serde(rename = "layered.spont")]
    pub(crate) layered_spont: String,
    #[serde(rename = "layered.spont_prob")]
    pub(crate) layered_spont_prob: f64,
    #[serde(rename = "layered.animation_steps")]
    pub(crate) layered_animation_steps: usize,
    #[serde(rename = "layered.pulses")]
    pub(crate) layered_pulses: usize,
    #[serde(rename = "layered.pulse_interval_steps")]
    pub(crate) layered_pulse_interval_steps: usize,
    #[serde(rename = "layered.pulse_neurons")]
    pub(crate) layered_pulse_neurons: usize,
    #[serde(rename = "poisson.avalanches")]
    pub(crate) poisson_avalanches: usize,
    #[serde(rename = "poisson.max_size")]
    pub(crate) poisson_max_size: usize,
    #[serde(rename = "poisson.driven_mean_activity")]
    pub(crate) poisson_driven_mean_activity: f64,
    #[serde(rename = "poisson.driven_steps")]
    pub(crate) poisson_driven_steps: usize,
    #[serde(rename = "random_graph.neurons")]
    pub(crate) random_graph_neurons: usize,
    #[serde(rename = "random_graph.out_degree")]
    pub(crate) random_graph_out_degree: usize,
    #[serde(rename = "random_graph.spont_prob")]
    pub(crate) random_graph_spont_prob: f64,
    #[serde(rename = "random_graph.refractory_steps")]
    pub(crate) random_graph_refractory_steps: usize,
    #[serde(rename = "random_graph.steps")]
    pub(crate) random_graph_steps: usize,
}

/// `[analyse]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnalyseParams {
    pub(crate) rebin: usize,
    pub(crate) min_tail: usize,
    pub(crate) xmin_max: usize,
    pub(crate) bootstrap: usize,
    pub(crate) subsampling_percent: Vec<u32>,
    pub(crate) mr_k_max: usize,
    pub(crate) crackling_t_min: usize,
    pub(crate) crackling_t_max: usize,
    pub(crate) crackling_min_count: usize,
}

impl KindParams for AnalyseParams {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.crackling_t_max < self.crackling_t_min {
            return Err(("crackling_t_max", "must be at least crackling_t_min".into()));
        }
        if self.subsampling_percent.iter().any(|&v| v == 0 || v > 100) {
            return Err(("subsampling_percent", "each value in 1..=100".into()));
        }
        Ok(())
    }
}
impl KindParams for FiguresParams {}

/// `[figures]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FiguresParams {
    pub(crate) animation_frames: usize,
    pub(crate) png_frames: String,
    pub(crate) raster_steps: usize,
}

impl KindParams for SimulateParams {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let p = self;
        if p.layered_pulse_neurons > p.layered_neurons {
            return Err((
                "layered.pulse_neurons",
                format!("at most layered.neurons ({})", p.layered_neurons),
            ));
        }
        if p.layered_pulse_interval_steps <= p.layered_layers {
            return Err((
                "layered.pulse_interval_steps",
                format!(
                    "more than layered.layers ({}): cascades must end before the next pulse",
                    p.layered_layers
                ),
            ));
        }
        if p.random_graph_out_degree >= p.random_graph_neurons {
            return Err((
                "random_graph.out_degree",
                "less than random_graph.neurons".into(),
            ));
        }
        Ok(())
    }
}

fn point_seed(ctx: &StageContext, purpose: &str) -> Seed {
    let point = ctx.point.as_ref().expect("PerPoint");
    point.seed(
        ctx.master_seed,
        &format!("branching-avalanches/{purpose}"),
        &["model", "sigma", "seed"],
    )
}

/// The layered model's parameters at `sigma` with spontaneous probability `spont`.
fn layered_params(
    p: &SimulateParams,
    sigma: f64,
    spont: f64,
) -> Result<LayeredParams, PipelineError> {
    let params = LayeredParams {
        layers: p.layered_layers,
        neurons: p.layered_neurons,
        sigma,
        spont_prob: spont,
        rule: Transmission::parse(p.layered_rule.as_str())?,
    };
    params.validate()?;
    Ok(params)
}

/// The spontaneous probability of the layered animation run at `sigma`.
fn animation_spont(p: &SimulateParams, sigma: f64) -> f64 {
    match p.layered_spont.as_str() {
        "fixed" => p.layered_spont_prob,
        _ => notebook_spont_prob(sigma),
    }
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let model = point.get("model").as_choice();
    let sigma = point.get("sigma").as_f64();
    let p: SimulateParams = params_of(ctx)?;
    let p = &p;
    let seed = point_seed(ctx, "simulate");
    let mut rng = seed.rng();
    let mut rec = recorder(ctx, seed.short())?;
    let t_act = rec.declare(TableSchema::new(
        "activity",
        vec![
            Field::new("step", ColumnType::I64, Some("step")),
            Field::new("count", ColumnType::I64, None),
        ],
    ))?;
    // every series streams into its table: memory holds one chunk of rows
    match model {
        "layered" => {
            // The animation run, cell by cell.
            let t_cells = rec.declare(TableSchema::new(
                "cells",
                vec![
                    Field::new("step", ColumnType::U32, Some("step")),
                    Field::new("layer", ColumnType::U32, None),
                    Field::new("neuron", ColumnType::U32, None),
                ],
            ))?;
            let params = layered_params(p, sigma, animation_spont(p, sigma))?;
            let n = params.neurons;
            let mut net = LayeredNetwork::new(params)?;
            let (mut s, mut l, mut k) = (Vec::new(), Vec::new(), Vec::new());
            net.run(p.layered_animation_steps, None, &mut rng, |step, net| {
                for (i, &a) in net.state.iter().enumerate() {
                    if a {
                        s.push(step as u32);
                        l.push((i / n) as u32);
                        k.push((i % n) as u32);
                    }
                }
            })?;
            rec.append(
                t_cells,
                &[Column::U32(&s), Column::U32(&l), Column::U32(&k)],
            )?;
            // The avalanche run: pulses, no spontaneous activity.
            let mut net = LayeredNetwork::new(layered_params(p, sigma, 0.0)?)?;
            let pulses = Pulses {
                interval_steps: p.layered_pulse_interval_steps,
                input_neurons: p.layered_pulse_neurons,
            };
            // pulses at steps interval, 2 interval, …, pulses × interval; one
            // more interval so the last cascade completes
            let steps = (p.layered_pulses + 1) * pulses.interval_steps;
            let mut series = CountSeries::new(&mut rec, t_act);
            let mut failed = None;
            net.run(steps, Some(pulses), &mut rng, |_, net| {
                if failed.is_none() {
                    let active = net.state.iter().filter(|&&a| a).count() as u64;
                    failed = series.push(active).err();
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            series.finish()?;
        }
        "poisson" => {
            // The stationary driven process (below criticality only), for
            // the branching-ratio estimators.
            let steps = p.poisson_driven_steps;
            if sigma < 1.0 && steps > 0 {
                let a = p.poisson_driven_mean_activity;
                let t_drv = rec.declare(TableSchema::new(
                    "driven",
                    vec![
                        Field::new("step", ColumnType::I64, Some("step")),
                        Field::new("count", ColumnType::I64, None),
                    ],
                ))?;
                let mut drng = seed.child("driven", 0).rng();
                // start at the mean and drop a transient of 10 / (1 - sigma) bins
                let burn = (10.0 / (1.0 - sigma)).ceil() as usize;
                let mut series = CountSeries::new(&mut rec, t_drv);
                let (mut seen, mut failed) = (0usize, None);
                driven_poisson_each(
                    sigma,
                    a * (1.0 - sigma),
                    a.round() as u64,
                    steps + burn,
                    &mut drng,
                    |x| {
                        if seen >= burn && failed.is_none() {
                            failed = series.push(x).err();
                        }
                        seen += 1;
                    },
                )?;
                if let Some(e) = failed {
                    return Err(e);
                }
                series.finish()?;
            }
            let mut series = CountSeries::new(&mut rec, t_act);
            avalanche_activity_each(
                sigma,
                p.poisson_avalanches,
                p.poisson_max_size as u64,
                &seed.child("poisson", 0),
                |part| part.iter().try_for_each(|&x| series.push(x)),
            )?;
            series.finish()?;
        }
        _ => {
            let params = RandomGraphParams {
                neurons: p.random_graph_neurons,
                out_degree: p.random_graph_out_degree,
                sigma,
                spont_prob: p.random_graph_spont_prob,
                refractory_steps: p.random_graph_refractory_steps as u32,
            };
            let mut net = RandomGraphNetwork::new(params, &mut rng)?;
            let mut series = CountSeries::new(&mut rec, t_act);
            for _ in 0..p.random_graph_steps {
                series.push(net.step(&mut rng) as u64)?;
            }
            series.finish()?;
        }
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}

/// A `(step, count)` table appended as its series is produced, one chunk
/// of rows at a time.
struct CountSeries<'a> {
    rec: &'a mut neurodyn_io::ParquetRecorder,
    table: neurodyn_core::TableId,
    steps: Vec<i64>,
    counts: Vec<i64>,
    next: i64,
}

impl<'a> CountSeries<'a> {
    /// Rows held before they go to the recorder.
    const CHUNK: usize = 1 << 16;

    fn new(rec: &'a mut neurodyn_io::ParquetRecorder, table: neurodyn_core::TableId) -> Self {
        CountSeries {
            rec,
            table,
            steps: Vec::with_capacity(Self::CHUNK),
            counts: Vec::with_capacity(Self::CHUNK),
            next: 0,
        }
    }

    /// The next step's count.
    fn push(&mut self, x: u64) -> Result<(), PipelineError> {
        self.steps.push(self.next);
        self.counts.push(x as i64);
        self.next += 1;
        if self.steps.len() == Self::CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), PipelineError> {
        if !self.steps.is_empty() {
            self.rec.append(
                self.table,
                &[Column::I64(&self.steps), Column::I64(&self.counts)],
            )?;
            self.steps.clear();
            self.counts.clear();
        }
        Ok(())
    }

    /// The rows still held.
    fn finish(mut self) -> Result<(), PipelineError> {
        self.flush()
    }
}

/// A point's activity series, bin by bin.
fn read_activity(path: &Path) -> Result<Vec<u64>, PipelineError> {
    let mut counts = Vec::new();
    neurodyn_io::for_each_batch(path, |t| {
        counts.extend(t.i64s("count")?.iter().map(|&c| c as u64));
        Ok(())
    })?;
    Ok(counts)
}

/// The power-law table's fields: the quantity's name, counts as int64, the
/// rest float64.
fn powerlaw_columns() -> Vec<Field> {
    neurodyn_tables::branching_avalanches::POWERLAW_COLUMNS
        .iter()
        .map(|&name| {
            let ty = match name {
                "quantity" => ColumnType::Str,
                "n" | "xmin" | "n_tail" => ColumnType::I64,
                _ => ColumnType::F64,
            };
            Field::new(name, ty, None)
        })
        .collect()
}

fn analyse(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let model = point.get("model").as_choice();
    let p: AnalyseParams = params_of(ctx)?;
    let raw = read_activity(&ctx.input_file("simulate", "activity"))?;
    let counts = avalanche::rebin(&raw, p.rebin);
    let av = avalanche::segment(&counts);
    // Only the driven process stops avalanches; its stopped ones are marked.
    let cap = match model {
        "poisson" => upstream_params::<SimulateParams>(ctx, "simulate")?.poisson_max_size as u64,
        _ => u64::MAX,
    };
    let seed = point_seed(ctx, "analyse");
    let mut rec = recorder(ctx, seed.short())?;

    let t = rec.declare(TableSchema::new(
        "avalanches",
        vec![
            Field::new("start_bin", ColumnType::I64, None),
            Field::new("size", ColumnType::I64, None),
            Field::new("duration", ColumnType::I64, Some("bins")),
            Field::new("truncated", ColumnType::Bool, None),
        ],
    ))?;
    for chunk in av.chunks(1 << 16) {
        rec.append(
            t,
            &[
                Column::I64(&chunk.iter().map(|a| a.start as i64).collect::<Vec<_>>()),
                Column::I64(&chunk.iter().map(|a| a.size as i64).collect::<Vec<_>>()),
                Column::I64(&chunk.iter().map(|a| a.duration as i64).collect::<Vec<_>>()),
                Column::Bool(&chunk.iter().map(|a| a.size >= cap).collect::<Vec<_>>()),
            ],
        )?;
    }

    // Power laws of the complete avalanches' sizes and durations.
    let complete: Vec<_> = av.iter().filter(|a| a.size < cap).collect();
    let sizes: Vec<u64> = complete.iter().map(|a| a.size).collect();
    let durations: Vec<u64> = complete.iter().map(|a| a.duration).collect();
    let opts = |quantity: &str| FitOptions {
        min_tail: p.min_tail,
        xmin_max: match p.xmin_max {
            0 => None,
            m => Some(m as u64),
        },
        bootstrap: p.bootstrap,
        seed: Seed::derive(seed.short(), quantity, &[]).short(),
    };
    let t = rec.declare(TableSchema::new("powerlaw", powerlaw_columns()))?;
    let mut fits: Vec<(&str, Option<PowerLawReport>)> = Vec::new();
    for (quantity, x) in [("size", &sizes), ("duration", &durations)] {
        let r = powerlaw::analyse(x, &opts(quantity));
        fits.push((quantity, r));
        if let Some(r) = r {
            let f = r.fit;
            rec.append(
                t,
                &[
                    Column::Str(&[quantity]),
                    Column::I64(&[r.n as i64]),
                    Column::F64(&[f.alpha]),
                    Column::F64(&[f.alpha_se]),
                    Column::I64(&[f.xmin as i64]),
                    Column::I64(&[f.n_tail as i64]),
                    Column::F64(&[f.ks]),
                    Column::F64(&[r.p_value.unwrap_or(f64::NAN)]),
                    Column::F64(&[r.vs_exponential.ratio]),
                    Column::F64(&[r.vs_exponential.p_value]),
                    Column::F64(&[r.vs_lognormal.ratio]),
                    Column::F64(&[r.vs_lognormal.p_value]),
                    Column::F64(&[r.vs_truncated.ratio]),
                    Column::F64(&[r.vs_truncated.p_value]),
                ],
            )?;
        }
    }

    // Crackling: fitted ⟨S⟩(T) exponent against (α_T − 1)/(α_S − 1).
    let alpha = |q: &str| {
        fits.iter()
            .find(|f| f.0 == q)
            .and_then(|f| f.1)
            .map_or(f64::NAN, |r| r.fit.alpha)
    };
    let gamma = crackling_exponent(
        &sizes,
        &durations,
        p.crackling_t_min as u64,
        p.crackling_t_max as u64,
        p.crackling_min_count as u64,
    )
    .unwrap_or(f64::NAN);
    let t = rec.declare(TableSchema::new(
        "crackling",
        vec![
            Field::new("gamma_fit", ColumnType::F64, None),
            Field::new("gamma_predicted", ColumnType::F64, None),
            Field::new("avalanches", ColumnType::I64, None),
        ],
    ))?;
    rec.append(
        t,
        &[
            Column::F64(&[gamma]),
            Column::F64(&[(alpha("duration") - 1.0) / (alpha("size") - 1.0)]),
            Column::I64(&[complete.len() as i64]),
        ],
    )?;
    let by_t = mean_size_by_duration(&sizes, &durations);
    let t = rec.declare(TableSchema::new(
        "size_by_duration",
        vec![
            Field::new("duration", ColumnType::I64, Some("bins")),
            Field::new("mean_size", ColumnType::F64, None),
            Field::new("count", ColumnType::I64, None),
        ],
    ))?;
    rec.append(
        t,
        &[
            Column::I64(&by_t.iter().map(|b| b.0 as i64).collect::<Vec<_>>()),
            Column::F64(&by_t.iter().map(|b| b.1).collect::<Vec<_>>()),
            Column::I64(&by_t.iter().map(|b| b.2 as i64).collect::<Vec<_>>()),
        ],
    )?;

    // Branching ratio of the (rebinned) activity, and of the driven process
    // where there is one, observed through binomial thinning.
    let t = rec.declare(TableSchema::new(
        "branching_ratio",
        vec![
            Field::new("series", ColumnType::Str, None),
            Field::new("subsampling", ColumnType::F64, None),
            Field::new("m_naive", ColumnType::F64, None),
            Field::new("m_mr", ColumnType::F64, None),
            Field::new("b_mr", ColumnType::F64, None),
        ],
    ))?;
    let driven_file = ctx.input_file("simulate", "driven");
    let driven = if driven_file.is_file() {
        Some(avalanche::rebin(&read_activity(&driven_file)?, p.rebin))
    } else {
        None
    };
    let mut series: Vec<(&str, &[u64])> = vec![("activity", &counts)];
    if let Some(d) = &driven {
        series.push(("driven", d));
    }
    for (name, x) in series {
        for pct in p.subsampling_percent.clone() {
            let frac = pct as f64 / 100.0;
            let mut rng: Rng = seed.child(&format!("subsample/{name}"), pct as u64).rng();
            let a: Vec<f64> = x
                .iter()
                .map(|&c| {
                    if pct == 100 || c == 0 {
                        c as f64
                    } else {
                        Binomial::new(c, frac).expect("0 < p <= 1").sample(&mut rng) as f64
                    }
                })
                .collect();
            let mr = branching_ratio::multistep(&a, p.mr_k_max, 2.0);
            rec.append(
                t,
                &[
                    Column::Str(&[name]),
                    Column::F64(&[frac]),
                    Column::F64(&[branching_ratio::naive(&a)]),
                    Column::F64(&[mr.map_or(f64::NAN, |m| m.m)]),
                    Column::F64(&[mr.map_or(f64::NAN, |m| m.b)]),
                ],
            )?;
        }
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}

fn tables(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let written = neurodyn_tables::branching_avalanches::derive(
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
    )?;
    Ok(super::derived(written))
}

fn label(point: &Point) -> String {
    format!(
        "{} sigma={}",
        point.get("model").as_choice(),
        point.get("sigma").canonical()
    )
}

fn figures(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let dir = &ctx.pipeline_dir;
    let fig = dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: &[std::path::PathBuf]| {
        for p in paths {
            let rel = p.strip_prefix(dir).unwrap_or(p).display().to_string();
            out.push(OutputFile { path: rel, rows: 0 });
        }
    };
    let tables = dir.join("tables");
    let first_seed = ctx
        .points
        .iter()
        .map(|p| p.get("seed").as_f64())
        .fold(f64::INFINITY, f64::min);
    let shown: Vec<&Point> = ctx
        .points
        .iter()
        .filter(|p| p.get("seed").as_f64() == first_seed)
        .collect();

    // CCDFs of sizes and durations with the fitted power laws (log10 axes).
    for quantity in ["size", "duration"] {
        let samples = neurodyn_tables::branching_avalanches::samples(
            &tables.join("avalanches.parquet"),
            quantity,
            first_seed as i64,
        )?;
        let fits = neurodyn_tables::branching_avalanches::fits(
            &tables.join("powerlaw.parquet"),
            quantity,
            first_seed as i64,
        )?;
        let mut chart = Chart::new(format!(
            "Avalanche {quantity}s: CCDF (points) and fitted power law from xmin (lines)"
        ))
        .labels(
            format!("log10 {quantity}"),
            format!("log10 P({quantity} >= x)"),
        );
        for (label, x) in samples {
            let (cx, cy) = log_ccdf(&x);
            chart.series.push(Series::markers(label.clone(), cx, cy));
            if let Some(f) = fits.iter().find(|f| f.label == label) {
                let xmax = x.iter().copied().max().unwrap_or(f.xmin).max(f.xmin);
                let (fx, fy) = log_fitted_ccdf(f, xmax);
                chart
                    .series
                    .push(Series::line(format!("{label} fit"), fx, fy));
            }
        }
        push(&neurodyn_plot::save_chart(
            &chart,
            &fig.join(format!("ccdf_{quantity}")),
        )?);
    }

    // Mean size by duration (log10 axes).
    let curves = neurodyn_tables::branching_avalanches::size_by_duration(
        &tables.join("size_by_duration.parquet"),
        first_seed as i64,
    )?;
    let mut chart = Chart::new("Mean avalanche size by duration (crackling: slope gamma)")
        .labels("log10 duration (bins)", "log10 mean size");
    for (label, x, y) in curves {
        chart.series.push(Series::line_markers(label, x, y));
    }
    push(&neurodyn_plot::save_chart(
        &chart,
        &fig.join("size_by_duration"),
    )?);

    // Activity rasters: the layered model's cells during its animation run;
    // the population activity of the other models.
    let fp: FiguresParams = params_of(ctx)?;
    let raster_steps = fp.raster_steps as f64;
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let neurons = sim.layered_neurons;
    let mut panels = Vec::new();
    for point in &shown {
        if point.get("model").as_choice() == "layered" {
            let cells = read_cells(&ctx.point_file(point, "simulate", "cells"))?;
            let (x, y): (Vec<f64>, Vec<f64>) = cells
                .iter()
                .filter(|c| (c.0 as f64) < raster_steps)
                .map(|c| (c.0 as f64, (c.1 as usize * neurons + c.2 as usize) as f64))
                .unzip();
            panels.push(
                Chart::new(format!("{} (spontaneous run)", label(point)))
                    .labels("step", "cell (layer x neurons + neuron)")
                    .x_range(0.0, raster_steps)
                    .series(Series::dots("active", x, y)),
            );
        } else {
            let a = read_activity(&ctx.point_file(point, "simulate", "activity"))?;
            let n = (raster_steps as usize * 10).min(a.len());
            panels.push(
                Chart::new(label(point))
                    .labels("step", "active")
                    .series(Series::dots(
                        "activity",
                        (0..n).map(|i| i as f64).collect(),
                        a[..n].iter().map(|&c| c as f64).collect(),
                    )),
            );
        }
    }
    if !panels.is_empty() {
        push(&[neurodyn_plot::save_panels_png(
            &panels,
            3,
            &fig.join("rasters"),
            "Activity",
        )?]);
    }

    // The layered model's animations (the notebook's smoothing).
    let frames_max = fp.animation_frames;
    if frames_max > 0 {
        let layers = sim.layered_layers;
        for point in shown
            .iter()
            .filter(|p| p.get("model").as_choice() == "layered")
        {
            let cells = read_cells(&ctx.point_file(point, "simulate", "cells"))?;
            let steps = sim.layered_animation_steps;
            let per = layers * neurons;
            let mut states = vec![false; steps * per];
            for c in &cells {
                states[c.0 as usize * per + c.1 as usize * neurons + c.2 as usize] = true;
            }
            let smooth = display::smooth_activity(&states, per, display::DEFAULT_TIME_STRETCH)?;
            let n_frames = (smooth.len() / per).min(frames_max);
            let sigma = point.get("sigma").canonical();
            let frames: Vec<(String, Vec<Chart>)> = (0..n_frames)
                .map(|fi| {
                    let frame = &smooth[fi * per..(fi + 1) * per];
                    let chart = layered_frame(frame, layers, neurons);
                    (
                        format!(
                            "Layered branching model, sigma = {sigma}: step {:.1}",
                            fi as f64 / display::DEFAULT_TIME_STRETCH as f64
                        ),
                        vec![chart],
                    )
                })
                .collect();
            let base = fig.join(format!("layered_sigma_{sigma}"));
            match neurodyn_plot::save_gif(&frames, 1, &base, 40) {
                Ok(p) => push(&[p]),
                Err(neurodyn_plot::PlotError::NoData { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            if fp.png_frames.as_str() == "yes" {
                let fdir = fig.join(format!("layered_sigma_{sigma}_frames"));
                for (fi, (title, charts)) in frames.iter().enumerate() {
                    push(&[neurodyn_plot::save_panels_png(
                        charts,
                        1,
                        &fdir.join(format!("frame_{fi:05}")),
                        title,
                    )?]);
                }
            }
        }
    }
    Ok(out)
}

/// The empirical CCDF `P(X >= x)` at (at most about 300, log-spaced) distinct
/// values, both in log10.
fn log_ccdf(x: &[u64]) -> (Vec<f64>, Vec<f64>) {
    let mut v: Vec<u64> = x.iter().copied().filter(|&a| a > 0).collect();
    v.sort_unstable();
    let n = v.len() as f64;
    let (mut cx, mut cy) = (Vec::new(), Vec::new());
    let mut last_lx = f64::NEG_INFINITY;
    let mut i = 0;
    while i < v.len() {
        let lx = (v[i] as f64).log10();
        if lx - last_lx >= 0.02 {
            cx.push(lx);
            cy.push(((v.len() - i) as f64 / n).log10());
            last_lx = lx;
        }
        i += v[i..].partition_point(|&a| a == v[i]);
    }
    (cx, cy)
}

/// The fitted power law's CCDF on the whole sample's scale, `(n_tail / n)
/// ζ(α, x) / ζ(α, xmin)` from `xmin` to `xmax`, in log10.
fn log_fitted_ccdf(
    f: &neurodyn_tables::branching_avalanches::FitRow,
    xmax: u64,
) -> (Vec<f64>, Vec<f64>) {
    let z0 = powerlaw::hurwitz_zeta(f.alpha, f.xmin as f64);
    let scale = f.n_tail as f64 / f.n as f64;
    let (a, b) = (
        (f.xmin as f64).log10(),
        (xmax as f64).log10().max((f.xmin as f64).log10()),
    );
    (0..=60)
        .map(|k| {
            let x = 10f64
                .powf(a + (b - a) * k as f64 / 60.0)
                .round()
                .max(f.xmin as f64);
            (
                x.log10(),
                (scale * powerlaw::hurwitz_zeta(f.alpha, x) / z0).log10(),
            )
        })
        .unzip()
}

/// Intensity classes of an animation frame (smoothed activity at least).
const FRAME_LEVELS: [(f64, &str); 4] = [
    (0.75, ">= 0.75"),
    (0.5, ">= 0.5"),
    (0.25, ">= 0.25"),
    (0.05, ">= 0.05"),
];

/// One animation frame: cells as markers at (layer, neuron), one series per
/// intensity class (a fixed axis so every frame has the same layout).
fn layered_frame(frame: &[f32], layers: usize, neurons: usize) -> Chart {
    let mut chart = Chart::new("")
        .labels("layer", "neuron")
        .x_range(-0.5, layers as f64 - 0.5)
        .y_range(-0.5, neurons as f64 - 0.5)
        .size(900, 500);
    let mut lo_prev = f64::INFINITY;
    for (lo, name) in FRAME_LEVELS {
        let (x, y): (Vec<f64>, Vec<f64>) = frame
            .iter()
            .enumerate()
            .filter(|(_, v)| (**v as f64) >= lo && (**v as f64) < lo_prev)
            .map(|(i, _)| ((i / neurons) as f64, (i % neurons) as f64))
            .unzip();
        chart.series.push(Series::markers(name, x, y));
        lo_prev = lo;
    }
    chart
}

/// The layered model's active cells `(step, layer, neuron)`.
fn read_cells(path: &Path) -> Result<Vec<(u32, u32, u32)>, PipelineError> {
    let mut out = Vec::new();
    neurodyn_io::for_each_batch(path, |t| {
        let (s, l, k) = (t.u32s("step")?, t.u32s("layer")?, t.u32s("neuron")?);
        out.extend((0..s.len()).map(|i| (s[i], l[i], k[i])));
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notebook_spontaneous_probabilities_are_reproduced_and_interpolated() {
        for (s, p) in NOTEBOOK_SPONT {
            assert!((notebook_spont_prob(s) - p).abs() < 1e-15);
        }
        let mid = notebook_spont_prob(0.85);
        assert!((mid - (0.01f64 * 0.005).sqrt()).abs() < 1e-12);
        assert_eq!(notebook_spont_prob(0.1), 0.01);
        assert_eq!(notebook_spont_prob(3.0), 0.001);
    }
}
