//! `branching-network`: branching networks below, at and above the
//! critical branching ratio, as count series per time bin (the
//! branching-avalanches study's models; reference: ../shared/seeds/000;
//! docs/studies/branching-avalanches.md).
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

use neurodyn_core::contracts::{COUNT_SERIES, DRIVEN_SERIES, LAYERED_CELLS};
use neurodyn_core::drive::{self, NonFinite, Simulation};
use neurodyn_core::{Column, ColumnType, Error, Field, Recorder, Seed, TableId, TableSchema};
use neurodyn_models::branching::{DrivenPoisson, avalanche_activity_each};
use neurodyn_models::layered::{LayeredNetwork, LayeredParams, Pulses, Transmission};
use neurodyn_models::random_graph::{RandomGraphNetwork, RandomGraphParams};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Role, StageKind, check_typed, params_of, same_point,
};
use crate::params::{choice, float, int};
use crate::study::{AxisDef, OutputFile, Scope, StageContext, files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "branching-network",
    role: Role::Model,
    scope: Scope::PerPoint,
    doc: "layered (the notebook's), driven Poisson and random-graph branching networks at branching ratio sigma: activity per time bin (sweeps model, sigma, seed)",
    code_version: "1",
    params: simulate_params,
    axes,
    inputs: &[],
    outputs: &[
        Output::of("activity", &COUNT_SERIES),
        Output::of("driven", &DRIVEN_SERIES),
        Output::of("cells", &LAYERED_CELLS),
    ],
    check: check_typed::<Params>,
    run: simulate,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

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

fn axes() -> Vec<AxisDef> {
    vec![
        AxisDef {
            name: "model",
            integer: false,
            min: 0.0,
            max: 0.0,
            default: &[0.0, 1.0],
            choices: MODEL_NAMES,
            doc: "layered (the notebook's model), poisson (driven branching process, separated time scales), random_graph (K out-neighbours)",
            unit: "",
        },
        AxisDef {
            name: "sigma",
            integer: false,
            min: 0.0,
            max: 1000.0,
            default: &[0.7, 1.0, 1.2],
            choices: &[],
            doc: "branching ratio: expected activations caused by one active neuron",
            unit: "",
        },
        AxisDef {
            name: "seed",
            integer: true,
            min: 0.0,
            max: 1e9,
            default: &[0.0],
            choices: &[],
            doc: "random seed (network, activity)",
            unit: "",
        },
    ]
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

/// Typed parameters (the keys of `simulate_params()`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
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

impl KindParams for Params {
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

pub(crate) fn point_seed(ctx: &StageContext, purpose: &str) -> Seed {
    let point = ctx.point.as_ref().expect("PerPoint");
    point.seed(
        ctx.master_seed,
        &format!("branching-avalanches/{purpose}"),
        &["model", "sigma", "seed"],
    )
}

/// The layered model's parameters at `sigma` with spontaneous probability `spont`.
fn layered_params(p: &Params, sigma: f64, spont: f64) -> Result<LayeredParams, PipelineError> {
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
fn animation_spont(p: &Params, sigma: f64) -> f64 {
    match p.layered_spont.as_str() {
        "fixed" => p.layered_spont_prob,
        _ => notebook_spont_prob(sigma),
    }
}

/// At load: the layered model accepts every sigma of the sweep.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    for point in ctx.points {
        if point.get("model").as_choice() != "layered" {
            continue;
        }
        let sigma = point.get("sigma").as_f64();
        let check = || -> Result<(), PipelineError> {
            layered_params(&p, sigma, animation_spont(&p, sigma))?;
            layered_params(&p, sigma, 0.0)?;
            Pulses {
                interval_steps: p.layered_pulse_interval_steps,
                input_neurons: p.layered_pulse_neurons,
            }
            .validate(p.layered_neurons)?;
            Ok(())
        };
        check().map_err(|e| ctx.model_error(e, point))?;
    }
    Ok(())
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let model = point.get("model").as_choice();
    let sigma = point.get("sigma").as_f64();
    let p: Params = params_of(ctx)?;
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
    // every series streams into its table through the driver: memory holds
    // one chunk of rows
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
            let rng = &mut rng;
            let mut cells = Cells {
                table: t_cells,
                rows: Default::default(),
                step: |t: u64, rows: &mut CellRows| {
                    if t > 0 {
                        net.advance(t as usize, None, rng)?;
                    }
                    for (i, _) in net.state.iter().enumerate().filter(|(_, a)| **a) {
                        rows.0.push(t as u32);
                        rows.1.push((i / n) as u32);
                        rows.2.push((i % n) as u32);
                    }
                    Ok(())
                },
            };
            drive::simulate(
                &mut cells,
                p.layered_animation_steps as u64,
                CHUNK_ROWS,
                &mut rec,
            )?;
            // The avalanche run: pulses, no spontaneous activity.
            let mut net = LayeredNetwork::new(layered_params(p, sigma, 0.0)?)?;
            let pulses = Pulses {
                interval_steps: p.layered_pulse_interval_steps,
                input_neurons: p.layered_pulse_neurons,
            };
            pulses.validate(p.layered_neurons)?;
            // pulses at steps interval, 2 interval, …, pulses × interval; one
            // more interval so the last cascade completes
            let steps = (p.layered_pulses + 1) * pulses.interval_steps;
            let mut series = Counts::new(t_act, 0, |t| {
                if t > 0 {
                    net.advance(t as usize, Some(pulses), rng)?;
                }
                Ok(net.state.iter().filter(|&&a| a).count() as u64)
            });
            drive::simulate(&mut series, steps as u64, CHUNK_ROWS, &mut rec)?;
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
                let burn = (10.0 / (1.0 - sigma)).ceil() as u64;
                let mut process = DrivenPoisson::new(sigma, a * (1.0 - sigma), a.round() as u64)?;
                let mut series = Counts::new(t_drv, burn, |_| Ok(process.next(&mut drng)));
                drive::simulate(&mut series, steps as u64 + burn, CHUNK_ROWS, &mut rec)?;
            }
            // Independent avalanches of the separated-time-scale limit: not a
            // stepped run, but draws made in parallel chunks, pushed in order.
            let (mut steps, mut counts) = (Vec::new(), Vec::new());
            let mut next = 0i64;
            avalanche_activity_each(
                sigma,
                p.poisson_avalanches,
                p.poisson_max_size as u64,
                &seed.child("poisson", 0),
                |part| -> Result<(), PipelineError> {
                    steps.clear();
                    steps.extend(next..next + part.len() as i64);
                    counts.clear();
                    counts.extend(part.iter().map(|&x| x as i64));
                    next += part.len() as i64;
                    rec.append(t_act, &[Column::I64(&steps), Column::I64(&counts)])?;
                    Ok(())
                },
            )?;
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
            let mut series = Counts::new(t_act, 0, |_| Ok(net.step(&mut rng) as u64));
            drive::simulate(
                &mut series,
                p.random_graph_steps as u64,
                CHUNK_ROWS,
                &mut rec,
            )?;
        }
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}

/// Rows held before they go to the recorder.
const CHUNK_ROWS: usize = 1 << 16;

/// A `(step, count)` series for the driver: step `k` of the model gives
/// its count, and the rows start after `burn` steps (numbered from 0).
/// Counts are integers: the state cannot hold NaN or Inf.
struct Counts<F> {
    table: TableId,
    burn: u64,
    next: F,
    rows: (Vec<i64>, Vec<i64>),
}

impl<F: FnMut(u64) -> Result<u64, Error>> Counts<F> {
    fn new(table: TableId, burn: u64, next: F) -> Self {
        Counts {
            table,
            burn,
            next,
            rows: Default::default(),
        }
    }
}

impl<F: FnMut(u64) -> Result<u64, Error>> Simulation for Counts<F> {
    fn model_name(&self) -> &str {
        "branching"
    }

    fn dt_ms(&self) -> f64 {
        // one step is one time bin
        1.0
    }

    fn advance(&mut self, step: u64) -> Result<(), Error> {
        let x = (self.next)(step)?;
        if step >= self.burn {
            self.rows.0.push((step - self.burn) as i64);
            self.rows.1.push(x as i64);
        }
        Ok(())
    }

    fn buffered_rows(&self) -> usize {
        self.rows.0.len()
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<(), Error> {
        if !self.rows.0.is_empty() {
            rec.append(
                self.table,
                &[Column::I64(&self.rows.0), Column::I64(&self.rows.1)],
            )?;
            self.rows.0.clear();
            self.rows.1.clear();
        }
        Ok(())
    }

    fn non_finite(&self) -> Option<NonFinite> {
        None
    }
}

/// The active cells `(step, layer, neuron)` of a layered run, for the
/// driver: `step(t, rows)` takes step `t` and appends its rows.
struct Cells<F> {
    table: TableId,
    rows: CellRows,
    step: F,
}

/// Rows of (step, layer, neuron).
type CellRows = (Vec<u32>, Vec<u32>, Vec<u32>);

impl<F: FnMut(u64, &mut CellRows) -> Result<(), Error>> Simulation for Cells<F> {
    fn model_name(&self) -> &str {
        "layered"
    }

    fn dt_ms(&self) -> f64 {
        1.0
    }

    fn advance(&mut self, step: u64) -> Result<(), Error> {
        (self.step)(step, &mut self.rows)
    }

    fn buffered_rows(&self) -> usize {
        self.rows.0.len()
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<(), Error> {
        let r = &mut self.rows;
        if !r.0.is_empty() {
            rec.append(
                self.table,
                &[Column::U32(&r.0), Column::U32(&r.1), Column::U32(&r.2)],
            )?;
            r.0.clear();
            r.1.clear();
            r.2.clear();
        }
        Ok(())
    }

    fn non_finite(&self) -> Option<NonFinite> {
        None
    }
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
