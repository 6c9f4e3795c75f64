//! force-motifs: a mixed LIF/QIF spiking network trained with per-neuron
//! RLS (FORCE) on oscillatory (or sequence) targets; connectivity motifs and
//! bias-corrected dimensionality before, during and after training, swept
//! over the QIF fraction, the LIF reset potential and seeds.
//!
//! Stages: `simulate` (the network, its training and its recordings) and
//! `analyse` (motifs of every recorded weight matrix, dimensionality of the
//! recorded activity) per sweep point, then `tables` and `figures`.

use std::path::PathBuf;

use neurodyn_analysis::dimensionality::{
    covariance, participation_ratio, participation_ratio_bias_corrected,
};
use neurodyn_analysis::motifs::motifs;
use neurodyn_core::{BackgroundRecorder, Column, ColumnType, Field, Recorder, TableSchema};
use neurodyn_learning::trainer::{self, ForceRecord, Schedule};
use neurodyn_models::lif_qif::{LifQifNet, LifQifParams, NoiseScaling};
use neurodyn_plot::{Chart, Series};
use neurodyn_stimuli::targets::Targets;

use super::{choice, choice_list, files, float, int, int_list, positive, recorder};
use serde::Deserialize;

use crate::PipelineError;
use crate::study::{AxisDef, AxisValue, OutputFile, Point, Scope, StageContext, StageDef, Study};
use crate::typed::{KindParams, NoParams, check_typed, params_of, upstream_params};

/// The force-motifs study.
pub struct ForceMotifs;

const VARIABLES: &[&str] = &["r", "input", "spikes", "weights"];

impl Study for ForceMotifs {
    fn name(&self) -> &'static str {
        "force-motifs"
    }

    fn description(&self) -> &'static str {
        "mixed LIF/QIF network trained with per-neuron RLS (FORCE); motifs and bias-corrected dimensionality"
    }

    fn axes(&self) -> Vec<AxisDef> {
        vec![
            AxisDef {
                name: "pqif",
                integer: false,
                min: 0.0,
                max: 1.0,
                default: &[0.0, 0.25, 0.5, 0.75, 1.0],
                choices: &[],
                doc: "fraction of QIF neurons",
            },
            AxisDef {
                name: "v_reset",
                integer: false,
                min: -1e6,
                max: 1e6,
                default: &[-8.5, -12.3, -17.0, -22.0],
                choices: &[],
                doc: "LIF reset potential, below simulate.v_threshold (null for pqif = 1: no LIF neuron)",
            },
            AxisDef {
                name: "seed",
                integer: true,
                min: 0.0,
                max: 1e9,
                default: &[0.0, 1.0],
                choices: &[],
                doc: "network seed: connectivity, background, targets, initial states and noise",
            },
        ]
    }

    fn canonical_point(&self, mut point: Point) -> Point {
        // A pure QIF network has no reset: one run per seed, v_reset null.
        if point.get("pqif").as_f64() >= 1.0 {
            for (k, v) in &mut point.0 {
                if *k == "v_reset" {
                    *v = AxisValue::Null;
                }
            }
        }
        point
    }

    fn stages(&self) -> Vec<StageDef> {
        vec![
            StageDef {
                name: "simulate",
                scope: Scope::PerPoint,
                inputs: vec![],
                bindings: vec![],
                code_version: "1",
                params: vec![
                    int("n", 2, 100_000, 200, "number of neurons"),
                    positive("p", 1.0, 0.3, "connection probability"),
                    positive(
                        "gsyn",
                        1e6,
                        0.5,
                        "initial synaptic strength: weights N(0,1) gsyn/sqrt(p n), rows centred",
                    ),
                    positive("alpha", 1e12, 0.25, "RLS regulariser: P starts at I/alpha"),
                    float("v_threshold", -1e6, 1e6, 0.0, "LIF threshold"),
                    positive(
                        "ts_tau",
                        1e6,
                        5.0,
                        "synaptic decay time in membrane time constants (b = 1/ts)",
                    ),
                    positive("dt_tau", 1.0, 0.1, "time step in membrane time constants"),
                    positive(
                        "tau_m_ms",
                        1e6,
                        10.0,
                        "membrane time constant in ms (converts steps to ms and counts to Hz)",
                    ),
                    float("sigma", 0.0, 1e6, 1.0, "noise amplitude"),
                    choice(
                        "noise_scaling",
                        &["sde", "notebook"],
                        "sde",
                        "sde: sigma sqrt(dt) xi per step; notebook: dt sigma xi at each RK2 stage (variance ~ dt^2)",
                    ),
                    float(
                        "amp_current",
                        0.0,
                        1e6,
                        20.0,
                        "background currents uniform in [-amp, amp]",
                    ),
                    choice(
                        "target",
                        &["oscillation", "sequence"],
                        "oscillation",
                        "target kind",
                    ),
                    float(
                        "amp0",
                        0.0,
                        1e6,
                        4.0,
                        "target amplitude: oscillations U(0, amp0), sequence bumps amp0",
                    ),
                    int(
                        "cycles_slow",
                        0,
                        1_000_000,
                        1,
                        "oscillation: cycles per loop of one half of the neurons",
                    ),
                    int(
                        "cycles_fast",
                        0,
                        1_000_000,
                        5,
                        "oscillation: cycles per loop of the other half",
                    ),
                    positive(
                        "sequence_width_steps",
                        1e9,
                        20.0,
                        "sequence: bump width (sd) in steps",
                    ),
                    int(
                        "loops",
                        1,
                        1_000_000,
                        16,
                        "loops of the run (loop 0 before training)",
                    ),
                    int(
                        "steps_per_loop",
                        2,
                        100_000_000,
                        1000,
                        "steps per loop (the target's period)",
                    ),
                    int(
                        "stim_steps",
                        0,
                        100_000_000,
                        200,
                        "steps of each loop with the background current on",
                    ),
                    int("train_first_loop", 0, 1_000_000, 1, "first training loop"),
                    int(
                        "train_last_loop",
                        0,
                        1_000_000,
                        10,
                        "last training loop (inclusive)",
                    ),
                    choice_list(
                        "record.variables",
                        VARIABLES,
                        VARIABLES,
                        "recorded: r and input (table activity), spikes, weights (initial and after every loop)",
                    ),
                    int_list("record.units", &[], "neurons in activity (empty: all)"),
                    int(
                        "record.every_steps",
                        1,
                        i64::MAX,
                        1,
                        "activity every k steps",
                    ),
                    int_list(
                        "record.current_units",
                        &[0, 1, 101, 102],
                        "neurons whose external, synaptic and noise currents are recorded",
                    ),
                    int_list(
                        "record.current_loops",
                        &[11, 15],
                        "loops in which currents are recorded",
                    ),
                    int(
                        "record.current_every_steps",
                        1,
                        i64::MAX,
                        20,
                        "currents every k steps",
                    ),
                    int_list(
                        "record.readout_units",
                        &[0, 1, 2, 3],
                        "neurons whose target and readout W r are recorded every step",
                    ),
                ],
                doc: "the network, its FORCE training and its recordings",
                check: check_typed::<SimulateParams>,
                run: simulate,
            },
            StageDef {
                name: "analyse",
                scope: Scope::PerPoint,
                inputs: vec!["simulate"],
                bindings: vec![],
                code_version: "1",
                params: vec![int(
                    "dpr_skip_steps",
                    0,
                    i64::MAX,
                    200,
                    "steps at the start of each loop left out of the covariance (the stimulus window); the samples are the remaining recorded steps",
                )],
                doc: "motifs of each recorded weight matrix, PR and bias-corrected PR of each loop's activity",
                check: check_typed::<AnalyseParams>,
                run: analyse,
            },
            StageDef {
                name: "tables",
                scope: Scope::Aggregate,
                inputs: vec!["analyse", "simulate"],
                bindings: vec![],
                code_version: "1",
                params: vec![],
                doc: "motifs, dimensionality and training tables across the sweep (polars)",
                check: check_typed::<NoParams>,
                run: tables,
            },
            StageDef {
                name: "figures",
                scope: Scope::Aggregate,
                inputs: vec!["tables"],
                bindings: vec![],
                code_version: "1",
                params: vec![
                    float(
                        "reference_pqif",
                        0.0,
                        1.0,
                        0.5,
                        "traces and raster: the sweep point nearest this pqif …",
                    ),
                    float(
                        "reference_v_reset",
                        -1e6,
                        1e6,
                        -12.3,
                        "… and this v_reset, first seed",
                    ),
                ],
                doc: "traces, MSE by loop, motifs by loop, dpr before/after, a raster",
                check: check_typed::<FiguresParams>,
                run: figures,
            },
        ]
    }
}

/// `[simulate]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulateParams {
    pub(crate) n: usize,
    pub(crate) p: f64,
    pub(crate) gsyn: f64,
    pub(crate) alpha: f64,
    pub(crate) v_threshold: f64,
    pub(crate) ts_tau: f64,
    pub(crate) dt_tau: f64,
    pub(crate) tau_m_ms: f64,
    pub(crate) sigma: f64,
    pub(crate) noise_scaling: String,
    pub(crate) amp_current: f64,
    pub(crate) target: String,
    pub(crate) amp0: f64,
    pub(crate) cycles_slow: f64,
    pub(crate) cycles_fast: f64,
    pub(crate) sequence_width_steps: f64,
    pub(crate) loops: usize,
    pub(crate) steps_per_loop: usize,
    pub(crate) stim_steps: usize,
    pub(crate) train_first_loop: usize,
    pub(crate) train_last_loop: usize,
    #[serde(rename = "record.variables")]
    pub(crate) record_variables: Vec<String>,
    #[serde(rename = "record.units")]
    pub(crate) record_units: Vec<u32>,
    #[serde(rename = "record.every_steps")]
    pub(crate) record_every_steps: usize,
    #[serde(rename = "record.current_units")]
    pub(crate) record_current_units: Vec<u32>,
    #[serde(rename = "record.current_loops")]
    pub(crate) record_current_loops: Vec<u32>,
    #[serde(rename = "record.current_every_steps")]
    pub(crate) record_current_every_steps: usize,
    #[serde(rename = "record.readout_units")]
    pub(crate) record_readout_units: Vec<u32>,
}

/// `[analyse]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnalyseParams {
    pub(crate) dpr_skip_steps: usize,
}

impl KindParams for AnalyseParams {}
impl KindParams for FiguresParams {}

/// `[figures]`, typed (the keys of its `ParamDef`s above).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FiguresParams {
    pub(crate) reference_pqif: f64,
    pub(crate) reference_v_reset: f64,
}

impl KindParams for SimulateParams {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let p = self;
        let n = p.n;
        let (loops, steps) = (p.loops, p.steps_per_loop);
        if p.stim_steps >= steps {
            return Err((
                "stim_steps",
                format!("must be below steps_per_loop = {steps}"),
            ));
        }
        if p.train_first_loop > p.train_last_loop {
            return Err((
                "train_first_loop",
                format!("must be at most train_last_loop = {}", p.train_last_loop),
            ));
        }
        for (key, units) in [
            ("record.units", &p.record_units),
            ("record.current_units", &p.record_current_units),
            ("record.readout_units", &p.record_readout_units),
        ] {
            if let Some(u) = units.iter().find(|&&u| u as usize >= n) {
                return Err((key, format!("neuron {u} is not below n = {n}")));
            }
        }
        if let Some(l) = p
            .record_current_loops
            .iter()
            .find(|&&l| l as usize >= loops)
        {
            return Err((
                "record.current_loops",
                format!("loop {l} is not below loops = {loops}"),
            ));
        }
        Ok(())
    }
}

fn simulate(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let p: SimulateParams = params_of(ctx)?;
    let pqif = point.get("pqif").as_f64();
    let v_reset = point.get("v_reset").as_f64(); // NaN (null) for pure QIF
    let n = p.n;
    let params = LifQifParams {
        n,
        p: p.p,
        gsyn: p.gsyn,
        pqif,
        v_threshold: p.v_threshold,
        v_reset,
        ts: p.ts_tau,
        dt: p.dt_tau,
        sigma: p.sigma,
        noise: NoiseScaling::parse(p.noise_scaling.as_str())?,
        background_amp: p.amp_current,
    };
    // Everything random depends on the seed axis only, so that networks of
    // one seed share connectivity, background, targets and noise across
    // pqif and v_reset (a paired comparison, as in the reference study).
    let seed = point.seed(ctx.master_seed, "force-motifs", &["seed"]);
    let mut net = LifQifNet::new(params, &mut seed.child("network", 0).rng())
        .map_err(|e| PipelineError::Other(format!("sweep point {}: {e}", point.label())))?;
    let steps = p.steps_per_loop;
    let stim = p.stim_steps;
    let mut trng = seed.child("target", 0).rng();
    let targets = match p.target.as_str() {
        "sequence" => Targets::sequence(n, steps, stim, p.amp0, p.sequence_width_steps, &mut trng),
        _ => Targets::oscillations(n, steps, p.amp0, (p.cycles_slow, p.cycles_fast), &mut trng),
    };
    let schedule = Schedule {
        loops: p.loops,
        steps,
        stim_steps: stim,
        train: (p.train_first_loop, p.train_last_loop),
    };
    let vars = p.record_variables.clone();
    let has = |v: &str| vars.iter().any(|x| x == v);
    let what = ForceRecord {
        r: has("r"),
        input: has("input"),
        units: p.record_units.clone(),
        every: p.record_every_steps,
        spikes: has("spikes"),
        current_units: p.record_current_units.clone(),
        current_loops: p.record_current_loops.clone(),
        current_every: p.record_current_every_steps,
        readout_units: p.record_readout_units.clone(),
        weights: has("weights"),
    };
    // encoding and compressing the recordings overlaps the simulation
    let mut rec = BackgroundRecorder::new(recorder(ctx, seed.short())?);
    let stats = trainer::run(
        &mut net,
        &targets,
        &schedule,
        p.alpha,
        &mut seed.child("noise", 0).rng(),
        &what,
        &mut rec,
        |_| {},
    )?;

    // per-loop statistics
    let t = rec.declare(TableSchema::new(
        "loops",
        vec![
            Field::new("loop", ColumnType::I64, None),
            Field::new("trained", ColumnType::Bool, None),
            Field::new("spikes", ColumnType::I64, None),
            Field::new("rate_hz", ColumnType::F64, Some("Hz")),
            Field::new("mse", ColumnType::F64, None),
            Field::new("correlation", ColumnType::F64, None),
            Field::new("weight_change_rel", ColumnType::F64, None),
            Field::new("weight_change_total_rel", ColumnType::F64, None),
        ],
    ))?;
    let loop_s = steps as f64 * p.dt_tau * p.tau_m_ms / 1000.0;
    let col_i = |f: &dyn Fn(&trainer::LoopStats) -> i64| stats.iter().map(f).collect::<Vec<_>>();
    let col_f = |f: &dyn Fn(&trainer::LoopStats) -> f64| stats.iter().map(f).collect::<Vec<_>>();
    let trained: Vec<bool> = stats.iter().map(|s| s.trained).collect();
    rec.append(
        t,
        &[
            Column::I64(&col_i(&|s| s.loop_index as i64)),
            Column::Bool(&trained),
            Column::I64(&col_i(&|s| s.spikes as i64)),
            Column::F64(&col_f(&|s| s.spikes as f64 / (n as f64 * loop_s))),
            Column::F64(&col_f(&|s| s.mse)),
            Column::F64(&col_f(&|s| s.correlation)),
            Column::F64(&col_f(&|s| s.weight_change_rel)),
            Column::F64(&col_f(&|s| s.weight_change_total_rel)),
        ],
    )?;
    // the targets' parameters (the signal itself follows from them)
    let t = rec.declare(TableSchema::new(
        "targets",
        vec![
            Field::new("neuron", ColumnType::U32, None),
            Field::new("amplitude", ColumnType::F64, None),
            Field::new("cycles_per_loop", ColumnType::F64, None),
            Field::new("phase_rad", ColumnType::F64, Some("rad")),
            Field::new("centre_step", ColumnType::F64, None),
            Field::new("width_steps", ColumnType::F64, None),
        ],
    ))?;
    let idx: Vec<u32> = (0..n as u32).collect();
    rec.append(
        t,
        &[
            Column::U32(&idx),
            Column::F64(&targets.amplitude),
            Column::F64(&targets.cycles),
            Column::F64(&targets.phase),
            Column::F64(&targets.centre),
            Column::F64(&vec![targets.width; n]),
        ],
    )?;
    rec.finish()?;
    let rec = rec.into_inner().expect("finished");
    Ok(files(ctx, &rec))
}

fn analyse(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let n = sim.n;
    let vars = sim.record_variables.clone();
    let mut rec = recorder(ctx, 0)?;

    // Motifs of every recorded weight matrix, streamed loop by loop.
    if vars.iter().any(|v| v == "weights") {
        let path = ctx.input_file("simulate", "weights");
        let mut out: Vec<(i64, neurodyn_analysis::motifs::Motifs)> = Vec::new();
        let mut dense = vec![0.0; n * n];
        let mut current: Option<i64> = None;
        neurodyn_io::for_each_batch(&path, |t| {
            let (l, post) = (t.i64s("loop")?, t.u32s("post")?);
            let (pre, w) = (t.u32s("pre")?, t.f64s("w")?);
            for k in 0..l.len() {
                if current != Some(l[k]) {
                    if let Some(c) = current {
                        out.push((c, motifs(&dense, n)));
                    }
                    dense.iter_mut().for_each(|v| *v = 0.0);
                    current = Some(l[k]);
                }
                dense[post[k] as usize * n + pre[k] as usize] = w[k];
            }
            Ok(())
        })?;
        if let Some(c) = current {
            out.push((c, motifs(&dense, n)));
        }
        let t = rec.declare(TableSchema::new(
            "motifs",
            vec![
                Field::new("loop", ColumnType::I64, None),
                Field::new("sigma2", ColumnType::F64, None),
                Field::new("tau_rec", ColumnType::F64, None),
                Field::new("tau_div", ColumnType::F64, None),
                Field::new("tau_con", ColumnType::F64, None),
                Field::new("tau_chn", ColumnType::F64, None),
            ],
        ))?;
        let g = |f: &dyn Fn(&neurodyn_analysis::motifs::Motifs) -> f64| {
            out.iter().map(|(_, m)| f(m)).collect::<Vec<_>>()
        };
        let loops: Vec<i64> = out.iter().map(|(l, _)| *l).collect();
        rec.append(
            t,
            &[
                Column::I64(&loops),
                Column::F64(&g(&|m| m.sigma2)),
                Column::F64(&g(&|m| m.tau_rec)),
                Column::F64(&g(&|m| m.tau_div)),
                Column::F64(&g(&|m| m.tau_con)),
                Column::F64(&g(&|m| m.tau_chn)),
            ],
        )?;
    }

    // Dimensionality of each loop's recorded traces r.
    if vars.iter().any(|v| v == "r") {
        let skip = params_of::<AnalyseParams>(ctx)?.dpr_skip_steps;
        let steps = sim.steps_per_loop;
        if skip >= steps {
            return Err(PipelineError::Other(format!(
                "analyse.dpr_skip_steps = {skip} leaves no step of simulate.steps_per_loop = {steps}"
            )));
        }
        let units = sim.record_units.clone();
        let units: Vec<u32> = if units.is_empty() {
            (0..n as u32).collect()
        } else {
            units
        };
        let mut col_of = vec![usize::MAX; n];
        for (c, &u) in units.iter().enumerate() {
            col_of[u as usize] = c;
        }
        let m_units = units.len();
        let path = ctx.input_file("simulate", "activity");
        let mut res: Vec<(i64, u32, f64, f64)> = Vec::new();
        let mut samples: Vec<f64> = Vec::new();
        let mut cur: Option<(u32, u32)> = None; // (loop, step) of the sample being filled
        let mut row = vec![0.0; m_units];
        let finish_loop = |l: u32, samples: &mut Vec<f64>, res: &mut Vec<(i64, u32, f64, f64)>| {
            let m = samples.len() / m_units.max(1);
            if m >= 2 && m_units >= 2 {
                let c = covariance(samples, m, m_units);
                res.push((
                    l as i64,
                    m as u32,
                    participation_ratio(&c, m_units),
                    participation_ratio_bias_corrected(&c, m_units, m),
                ));
            }
            samples.clear();
        };
        neurodyn_io::for_each_batch(&path, |t| {
            let (l, s) = (t.u32s("loop")?, t.u32s("step")?);
            let (u, r) = (t.u32s("neuron")?, t.f64s("r")?);
            for k in 0..l.len() {
                if cur != Some((l[k], s[k])) {
                    if let Some((cl, cs)) = cur {
                        if cs as usize >= skip {
                            samples.extend_from_slice(&row);
                        }
                        if cl != l[k] {
                            finish_loop(cl, &mut samples, &mut res);
                        }
                    }
                    cur = Some((l[k], s[k]));
                }
                row[col_of[u[k] as usize]] = r[k];
            }
            Ok(())
        })?;
        if let Some((cl, cs)) = cur {
            if cs as usize >= skip {
                samples.extend_from_slice(&row);
            }
            finish_loop(cl, &mut samples, &mut res);
        }
        let t = rec.declare(TableSchema::new(
            "dimensionality",
            vec![
                Field::new("loop", ColumnType::I64, None),
                Field::new("samples", ColumnType::U32, None),
                Field::new("pr", ColumnType::F64, None),
                Field::new("dpr", ColumnType::F64, None),
            ],
        ))?;
        rec.append(
            t,
            &[
                Column::I64(&res.iter().map(|x| x.0).collect::<Vec<_>>()),
                Column::U32(&res.iter().map(|x| x.1).collect::<Vec<_>>()),
                Column::F64(&res.iter().map(|x| x.2).collect::<Vec<_>>()),
                Column::F64(&res.iter().map(|x| x.3).collect::<Vec<_>>()),
            ],
        )?;
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}

fn tables(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let written =
        neurodyn_tables::force_motifs::derive(&ctx.pipeline_dir, &ctx.file_meta(ctx.master_seed))?;
    Ok(super::derived(written))
}

/// The sweep point nearest the figures' reference (first seed).
fn reference_point(ctx: &StageContext) -> Option<&Point> {
    let fp = params_of::<FiguresParams>(ctx).ok()?;
    let (rp, rv) = (fp.reference_pqif, fp.reference_v_reset);
    let d = |p: &Point| {
        let v = p.get("v_reset").as_f64();
        let dv = if v.is_nan() { 1e3 } else { (v - rv).abs() };
        (
            (p.get("pqif").as_f64() - rp).abs(),
            dv,
            p.get("seed").as_f64(),
        )
    };
    ctx.points
        .iter()
        .min_by(|a, b| d(a).partial_cmp(&d(b)).unwrap_or(std::cmp::Ordering::Equal))
}

fn figures(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let dir = &ctx.pipeline_dir;
    let fig = dir.join("figures");
    let mut out = Vec::new();
    let mut push = |paths: [PathBuf; 2]| {
        for p in paths {
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            out.push(OutputFile { path: rel, rows: 0 });
        }
    };
    let sim: SimulateParams = upstream_params(ctx, "simulate")?;
    let loops = sim.loops;
    let ms_per_step = sim.dt_tau * sim.tau_m_ms;
    let un = |c: &Vec<Option<f64>>| c.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>();
    let pqifs: Vec<f64> = {
        let mut v: Vec<f64> = ctx.points.iter().map(|p| p.get("pqif").as_f64()).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };

    // 1. target vs readout before (loop 0) and after training (last loop)
    if let Some(rp) = reference_point(ctx) {
        let path = ctx.point_file(rp, "simulate", "readout");
        if path.exists() {
            let t = neurodyn_io::read_table(&path)?;
            let (l, s, u) = (t.u32s("loop")?, t.u32s("step")?, t.u32s("neuron")?);
            let (tg, z) = (t.f64s("target")?, t.f64s("z")?);
            let mut units: Vec<u32> = u.to_vec();
            units.sort();
            units.dedup();
            let mut panels = Vec::new();
            for (title, lp) in [
                ("before training (loop 0)", 0u32),
                ("after training (last loop)", loops as u32 - 1),
            ] {
                let mut c = Chart::new(format!("{} — {title}", rp.label()))
                    .labels("t in loop (ms)", "input W r")
                    .size(700, 320);
                for &unit in units.iter().take(3) {
                    let sel: Vec<usize> = (0..l.len())
                        .filter(|&k| l[k] == lp && u[k] == unit)
                        .collect();
                    let tt: Vec<f64> = sel.iter().map(|&k| s[k] as f64 * ms_per_step).collect();
                    c.series.push(Series::line(
                        format!("target {unit}"),
                        tt.clone(),
                        sel.iter().map(|&k| tg[k]).collect(),
                    ));
                    c.series.push(Series::line(
                        format!("output {unit}"),
                        tt,
                        sel.iter().map(|&k| z[k]).collect(),
                    ));
                }
                panels.push(c);
            }
            push(neurodyn_plot::save_panels(
                &panels,
                1,
                &fig.join("traces"),
                "Target and trained output",
            )?);
        }
        // 5. raster of the last loop
        let path = ctx.point_file(rp, "simulate", "spikes");
        if path.exists() {
            let t = neurodyn_io::read_table(&path)?;
            let (l, s, u) = (t.u32s("loop")?, t.u32s("step")?, t.u32s("neuron")?);
            let last = loops as u32 - 1;
            let sel: Vec<usize> = (0..l.len()).filter(|&k| l[k] == last).collect();
            let mut c = Chart::new(format!("Spikes, last loop, {}", rp.label()))
                .labels("t in loop (ms)", "neuron (QIF first, then LIF)");
            c.series.push(Series::markers(
                "spike",
                sel.iter().map(|&k| s[k] as f64 * ms_per_step).collect(),
                sel.iter().map(|&k| u[k] as f64).collect(),
            ));
            push(neurodyn_plot::save_chart(&c, &fig.join("raster"))?);
        }
    }

    // 2. MSE by loop, mean over v_reset and seeds, per pqif
    let tr = neurodyn_tables::force_motifs::by_pqif_loop(
        &dir.join("tables/training.parquet"),
        &["mse", "correlation"],
    )?;
    let mut c = Chart::new("Training error by loop (mean over v_reset and seeds)")
        .labels("loop", "MSE after the stimulus window");
    for &q in &pqifs {
        let (x, y): (Vec<f64>, Vec<f64>) = tr
            .iter()
            .filter(|r| r.0 == q)
            .map(|r| (r.1, r.2[0]))
            .unzip();
        c.series
            .push(Series::line_markers(format!("pqif = {q}"), x, y));
    }
    push(neurodyn_plot::save_chart(&c, &fig.join("mse_by_loop"))?);

    // 3. motifs by loop per pqif
    let names = ["sigma2", "tau_rec", "tau_div", "tau_con", "tau_chn"];
    let mo =
        neurodyn_tables::force_motifs::by_pqif_loop(&dir.join("tables/motifs.parquet"), &names)?;
    let panels: Vec<Chart> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mut c = Chart::new(*name)
                .labels("loop (-1: initial)", *name)
                .size(450, 300);
            for &q in &pqifs {
                let (x, y): (Vec<f64>, Vec<f64>) = mo
                    .iter()
                    .filter(|r| r.0 == q)
                    .map(|r| (r.1, r.2[k]))
                    .unzip();
                c.series
                    .push(Series::line_markers(format!("pqif = {q}"), x, y));
            }
            c
        })
        .collect();
    push(neurodyn_plot::save_panels(
        &panels,
        3,
        &fig.join("motifs_by_loop"),
        "Connectivity motifs by loop (mean over v_reset and seeds)",
    )?);

    // 4. dpr before (loop 0) and after training (last loop) by pqif and v_reset
    let d = neurodyn_tables::read_f64_columns(
        &dir.join("tables/dimensionality.parquet"),
        &["pqif", "v_reset", "seed", "loop", "dpr"],
    )?;
    let (pq, vr, lp, dp) = (un(&d[0]), un(&d[1]), un(&d[3]), un(&d[4]));
    let mut v_resets: Vec<f64> = vr.iter().copied().filter(|v| !v.is_nan()).collect();
    v_resets.sort_by(f64::total_cmp);
    v_resets.dedup();
    let mut panels = Vec::new();
    for (title, which) in [
        ("before training (loop 0)", 0.0),
        ("after training (last loop)", (loops - 1) as f64),
    ] {
        let mut c = Chart::new(title)
            .labels("pqif", "bias-corrected PR of r")
            .size(500, 350);
        let mean_at = |q: f64, v: Option<f64>| {
            let sel: Vec<f64> = (0..pq.len())
                .filter(|&k| {
                    pq[k] == q && lp[k] == which && v.map_or(vr[k].is_nan(), |v| vr[k] == v)
                })
                .map(|k| dp[k])
                .collect();
            (!sel.is_empty()).then(|| sel.iter().sum::<f64>() / sel.len() as f64)
        };
        for &v in &v_resets {
            let (x, y): (Vec<f64>, Vec<f64>) = pqifs
                .iter()
                .filter_map(|&q| mean_at(q, Some(v)).map(|m| (q, m)))
                .unzip();
            c.series
                .push(Series::line_markers(format!("v_reset = {v}"), x, y));
        }
        let (x, y): (Vec<f64>, Vec<f64>) = pqifs
            .iter()
            .filter_map(|&q| mean_at(q, None).map(|m| (q, m)))
            .unzip();
        if !x.is_empty() {
            c.series.push(Series::markers("pure QIF (no reset)", x, y));
        }
        panels.push(c);
    }
    push(neurodyn_plot::save_panels(
        &panels,
        2,
        &fig.join("dpr"),
        "Dimensionality of the traces r (mean over seeds)",
    )?);
    Ok(out)
}
