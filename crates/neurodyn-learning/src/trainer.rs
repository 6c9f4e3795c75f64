//! The FORCE trainer of the force-motifs study: a mixed LIF/QIF network
//! whose recurrent inputs `W r` are trained, neuron by neuron with RLS, to
//! follow per-neuron targets.
//!
//! The run is a sequence of loops of `steps` steps. In each loop the
//! background currents are on for the first `stim_steps` steps; in training
//! loops every later step (`s > stim_steps`) makes one RLS update with error
//! `target(s) − W r` (the weights before the update, `r` after the network
//! step). Test loops run the same dynamics without updates. Per loop, the
//! trainer measures the readout `z = W r` (after the update) against the
//! target over the same window: mean squared error and the mean over neurons
//! of the Pearson correlation.

use neurodyn_core::{Column, ColumnType, Error, Field, Recorder, Rng, TableSchema};
use neurodyn_models::lif_qif::LifQifNet;
use neurodyn_stimuli::targets::Targets;

use crate::force::PerNeuronRls;

/// The loops of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Number of loops.
    pub loops: usize,
    /// Steps per loop.
    pub steps: usize,
    /// Steps of each loop with the background current on.
    pub stim_steps: usize,
    /// First and last training loop (inclusive); loops outside are tests.
    pub train: (usize, usize),
}

impl Schedule {
    /// Whether loop `l` trains.
    pub fn trains(&self, l: usize) -> bool {
        l >= self.train.0 && l <= self.train.1
    }

    /// Whether step `s` of a loop is in the evaluation (and training) window.
    pub fn evaluates(&self, s: usize) -> bool {
        s > self.stim_steps
    }
}

/// What to record besides the per-loop statistics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForceRecord {
    /// Record each neuron's trace `r` in `activity`.
    pub r: bool,
    /// Record each neuron's total input (external + synaptic) in `activity`.
    pub input: bool,
    /// Neurons in `activity` (empty: all).
    pub units: Vec<u32>,
    /// `activity` every k steps.
    pub every: usize,
    /// Record every spike in `spikes`.
    pub spikes: bool,
    /// Neurons whose external, synaptic and noise currents go to `currents`.
    pub current_units: Vec<u32>,
    /// Loops in which `currents` are recorded.
    pub current_loops: Vec<u32>,
    /// `currents` every k steps.
    pub current_every: usize,
    /// Neurons whose target and readout go to `readout`, every step.
    pub readout_units: Vec<u32>,
    /// Record the weights initially and after every loop in `weights`.
    pub weights: bool,
}

/// Statistics of one loop.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopStats {
    /// Loop index.
    pub loop_index: u32,
    /// Whether the loop trained.
    pub trained: bool,
    /// Spikes of all neurons in the loop.
    pub spikes: u64,
    /// Mean over neurons and evaluated steps of `(target − z)²`.
    pub mse: f64,
    /// Mean over neurons of the Pearson correlation of target and `z` over
    /// the evaluated steps (neurons with a constant readout left out).
    pub correlation: f64,
    /// `‖W_after − W_before‖ / ‖W_initial‖` (Frobenius norms) of this loop.
    pub weight_change_rel: f64,
    /// `‖W_after − W_initial‖ / ‖W_initial‖`.
    pub weight_change_total_rel: f64,
    /// RLS updates made in the loop.
    pub updates: u64,
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

struct Tables {
    activity: Option<neurodyn_core::TableId>,
    spikes: Option<neurodyn_core::TableId>,
    currents: Option<neurodyn_core::TableId>,
    readout: Option<neurodyn_core::TableId>,
    weights: Option<neurodyn_core::TableId>,
}

fn u32f(name: &str) -> Field {
    Field::new(name, ColumnType::U32, None)
}

fn f64f(name: &str) -> Field {
    Field::new(name, ColumnType::F64, None)
}

fn declare<R: Recorder + ?Sized>(rec: &mut R, what: &ForceRecord) -> Result<Tables, Error> {
    let mut t = Tables {
        activity: None,
        spikes: None,
        currents: None,
        readout: None,
        weights: None,
    };
    if what.r || what.input {
        let mut f = vec![u32f("loop"), u32f("step"), u32f("neuron")];
        if what.r {
            f.push(f64f("r"));
        }
        if what.input {
            f.push(f64f("input"));
        }
        t.activity = Some(rec.declare(TableSchema::new("activity", f))?);
    }
    if what.spikes {
        t.spikes = Some(rec.declare(TableSchema::new(
            "spikes",
            vec![u32f("loop"), u32f("step"), u32f("neuron")],
        ))?);
    }
    if !what.current_units.is_empty() && !what.current_loops.is_empty() {
        t.currents = Some(rec.declare(TableSchema::new(
            "currents",
            vec![
                u32f("loop"),
                u32f("step"),
                u32f("neuron"),
                f64f("external"),
                f64f("synaptic"),
                f64f("noise"),
            ],
        ))?);
    }
    if !what.readout_units.is_empty() {
        t.readout = Some(rec.declare(TableSchema::new(
            "readout",
            vec![
                u32f("loop"),
                u32f("step"),
                u32f("neuron"),
                f64f("target"),
                f64f("z"),
            ],
        ))?);
    }
    if what.weights {
        t.weights = Some(rec.declare(TableSchema::new(
            "weights",
            vec![
                Field::new("loop", ColumnType::I64, None),
                u32f("post"),
                u32f("pre"),
                f64f("w"),
            ],
        ))?);
    }
    Ok(t)
}

fn push_weights<R: Recorder + ?Sized>(
    rec: &mut R,
    table: neurodyn_core::TableId,
    net: &LifQifNet,
    loop_index: i64,
) -> Result<(), Error> {
    let w = &net.w;
    let post: Vec<u32> = (0..w.rows)
        .flat_map(|i| std::iter::repeat_n(i as u32, w.indptr[i + 1] - w.indptr[i]))
        .collect();
    let l = vec![loop_index; w.nnz()];
    rec.append(
        table,
        &[
            Column::I64(&l),
            Column::U32(&post),
            Column::U32(&w.indices),
            Column::F64(&w.values),
        ],
    )
}

/// Run the schedule on `net` (modified in place: state and weights), noise
/// from `rng`, recordings pushed to `rec`. Returns one [`LoopStats`] per loop.
pub fn run<R: Recorder + ?Sized>(
    net: &mut LifQifNet,
    targets: &Targets,
    schedule: &Schedule,
    alpha: f64,
    rng: &mut Rng,
    what: &ForceRecord,
    rec: &mut R,
    mut on_loop: impl FnMut(&LoopStats),
) -> Result<Vec<LoopStats>, Error> {
    let n = net.params.n;
    if targets.len() != n || targets.steps != schedule.steps {
        return Err(Error::Other(format!(
            "targets for {} neurons over {} steps do not fit {n} neurons over {} steps",
            targets.len(),
            targets.steps,
            schedule.steps
        )));
    }
    let tables = declare(rec, what)?;
    let mut rls = PerNeuronRls::try_new(&net.w.indptr, &net.w.indices, alpha)?;
    let units: Vec<u32> = if what.units.is_empty() {
        (0..n as u32).collect()
    } else {
        what.units.clone()
    };
    let every = what.every.max(1);
    let cur_every = what.current_every.max(1);
    let w0 = net.w.values.clone();
    let norm0 = norm(&w0).max(f64::MIN_POSITIVE);
    let mut stats = Vec::with_capacity(schedule.loops);
    let (mut spikes, mut err, mut held) = (Vec::new(), vec![0.0; n], vec![0.0; n]);
    // the targets of one loop (they repeat every loop), step-major
    let mut table = vec![0.0; schedule.steps * n];
    for (s, row) in table.chunks_exact_mut(n).enumerate() {
        targets.fill(s, row);
    }
    net.compute_synaptic();
    // per-step row buffers
    let (mut c_loop, mut c_step, mut c_neuron) = (Vec::new(), Vec::new(), Vec::new());
    let (mut c_a, mut c_b, mut c_c) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(t) = tables.weights {
        push_weights(rec, t, net, -1)?;
    }
    for l in 0..schedule.loops {
        let trains = schedule.trains(l);
        let w_start = net.w.values.clone();
        let mut sums = vec![[0.0f64; 6]; n]; // Σt Σz Σt² Σz² Σtz Σ(t−z)²
        let (mut count, mut nspk, mut updates) = (0u64, 0u64, 0u64);
        for s in 0..schedule.steps {
            // `synaptic` holds W r from the end of the previous step
            net.step_prepared(s < schedule.stim_steps, rng, &mut spikes);
            nspk += spikes.len() as u64;
            let eval = schedule.evaluates(s);
            let target = &table[s * n..(s + 1) * n];
            if trains && eval {
                rls.update(&net.r, target, &mut net.w.values, &mut err);
                updates += 1;
            }
            // the readout W r with the updated weights: also the next step's
            // synaptic input (the recordings keep the one held over this step)
            held.copy_from_slice(&net.synaptic);
            net.compute_synaptic();
            let z = &net.synaptic;
            // a diverging run stops here, before anything non-finite is recorded
            if let Some(i) = z.iter().position(|x| !x.is_finite()) {
                let what = if updates > 0 {
                    format!(" after {updates} RLS updates with alpha = {alpha:e}")
                } else {
                    String::new()
                };
                return Err(Error::Other(format!(
                    "model lif-qif (FORCE) diverged: the readout z = W r of neuron {i} is {} at loop {l}, step {s}{what}",
                    z[i]
                )));
            }
            if let Some(i) = net.r.iter().position(|x| !x.is_finite()) {
                return Err(Error::Other(format!(
                    "model lif-qif (FORCE) diverged: the synaptic trace r of neuron {i} is {} at loop {l}, step {s}",
                    net.r[i]
                )));
            }
            if eval {
                count += 1;
                for ((acc, &t), &zi) in sums.iter_mut().zip(target).zip(z) {
                    acc[0] += t;
                    acc[1] += zi;
                    acc[2] += t * t;
                    acc[3] += zi * zi;
                    acc[4] += t * zi;
                    acc[5] += (t - zi) * (t - zi);
                }
            }
            // recordings
            let (lu, su) = (l as u32, s as u32);
            if let (Some(t), true) = (tables.activity, s % every == 0) {
                c_loop.clear();
                c_step.clear();
                c_neuron.clear();
                c_a.clear();
                c_b.clear();
                for &u in &units {
                    let i = u as usize;
                    c_loop.push(lu);
                    c_step.push(su);
                    c_neuron.push(u);
                    c_a.push(net.r[i]);
                    c_b.push(net.external[i] + held[i]);
                }
                let mut cols = vec![
                    Column::U32(&c_loop),
                    Column::U32(&c_step),
                    Column::U32(&c_neuron),
                ];
                if what.r {
                    cols.push(Column::F64(&c_a));
                }
                if what.input {
                    cols.push(Column::F64(&c_b));
                }
                rec.append(t, &cols)?;
            }
            if let (Some(t), false) = (tables.spikes, spikes.is_empty()) {
                let k = spikes.len();
                rec.append(
                    t,
                    &[
                        Column::U32(&vec![lu; k]),
                        Column::U32(&vec![su; k]),
                        Column::U32(&spikes),
                    ],
                )?;
            }
            let currents_now = s % cur_every == 0 && what.current_loops.contains(&lu);
            if let (Some(t), true) = (tables.currents, currents_now) {
                let u = &what.current_units;
                let k = u.len();
                c_a.clear();
                c_b.clear();
                c_c.clear();
                for &i in u {
                    c_a.push(net.external[i as usize]);
                    c_b.push(held[i as usize]);
                    c_c.push(net.noise[i as usize]);
                }
                rec.append(
                    t,
                    &[
                        Column::U32(&vec![lu; k]),
                        Column::U32(&vec![su; k]),
                        Column::U32(u),
                        Column::F64(&c_a),
                        Column::F64(&c_b),
                        Column::F64(&c_c),
                    ],
                )?;
            }
            if let Some(t) = tables.readout {
                let u = &what.readout_units;
                let k = u.len();
                let tv: Vec<f64> = u.iter().map(|&i| target[i as usize]).collect();
                let zv: Vec<f64> = u.iter().map(|&i| z[i as usize]).collect();
                rec.append(
                    t,
                    &[
                        Column::U32(&vec![lu; k]),
                        Column::U32(&vec![su; k]),
                        Column::U32(u),
                        Column::F64(&tv),
                        Column::F64(&zv),
                    ],
                )?;
            }
        }
        if let Some(t) = tables.weights {
            push_weights(rec, t, net, l as i64)?;
        }
        let c = count as f64;
        let mse = sums.iter().map(|a| a[5]).sum::<f64>() / (c * n as f64);
        let corrs: Vec<f64> = sums
            .iter()
            .filter_map(|a| {
                let vt = c * a[2] - a[0] * a[0];
                let vz = c * a[3] - a[1] * a[1];
                let r = (c * a[4] - a[0] * a[1]) / (vt * vz).sqrt();
                r.is_finite().then_some(r)
            })
            .collect();
        let st = LoopStats {
            loop_index: l as u32,
            trained: trains,
            spikes: nspk,
            mse,
            correlation: corrs.iter().sum::<f64>() / corrs.len() as f64,
            weight_change_rel: dist(&net.w.values, &w_start) / norm0,
            weight_change_total_rel: dist(&net.w.values, &w0) / norm0,
            updates,
        };
        on_loop(&st);
        stats.push(st);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::{MemoryRecorder, Seed};
    use neurodyn_models::lif_qif::{LifQifParams, NoiseScaling};

    /// 30 mixed LIF/QIF neurons and oscillating targets over 200 steps.
    fn small() -> (Seed, LifQifNet, Targets) {
        let params = LifQifParams {
            n: 30,
            p: 0.3,
            gsyn: 0.5,
            pqif: 0.5,
            v_threshold: 0.0,
            v_reset: -12.3,
            ts: 5.0,
            dt: 0.1,
            sigma: 1.0,
            noise: NoiseScaling::Sde,
            background_amp: 20.0,
        };
        let seed = Seed::derive(1, "trainer", &[]);
        let net = LifQifNet::new(params, &mut seed.child("net", 0).rng()).unwrap();
        let targets =
            Targets::oscillations(30, 200, 4.0, (1.0, 5.0), &mut seed.child("t", 0).rng());
        (seed, net, targets)
    }

    #[test]
    fn a_diverging_training_stops_with_the_neuron_loop_and_step() {
        let (seed, mut net, targets) = small();
        let schedule = Schedule {
            loops: 2,
            steps: 200,
            stim_steps: 40,
            train: (0, 1),
        };
        // P = I / alpha overflows: the first RLS gain is inf / inf
        let mut rec = MemoryRecorder::default();
        let e = run(
            &mut net,
            &targets,
            &schedule,
            1e-300,
            &mut seed.child("noise", 0).rng(),
            &ForceRecord::default(),
            &mut rec,
            |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("model lif-qif (FORCE) diverged: the readout z = W r of neuron"),
            "{e}"
        );
        assert!(e.contains("at loop 0, step"), "{e}");
        assert!(e.contains("RLS updates with alpha = 1e-300"), "{e}");
    }

    #[test]
    fn recordings_agree_with_each_other_and_training_reduces_the_error() {
        let (seed, mut net, targets) = small();
        let schedule = Schedule {
            loops: 4,
            steps: 200,
            stim_steps: 40,
            train: (1, 2),
        };
        let what = ForceRecord {
            r: true,
            input: true,
            every: 1,
            spikes: true,
            current_units: vec![0, 29],
            current_loops: vec![3],
            current_every: 10,
            readout_units: (0..30).collect(),
            weights: true,
            ..Default::default()
        };
        let mut rec = MemoryRecorder::default();
        let stats = run(
            &mut net,
            &targets,
            &schedule,
            0.25,
            &mut seed.child("noise", 0).rng(),
            &what,
            &mut rec,
            |_| {},
        )
        .unwrap();
        let a = rec.table("activity").unwrap();
        let ro = rec.table("readout").unwrap();
        assert_eq!(a.rows(), 4 * 200 * 30);
        assert_eq!(ro.rows(), 4 * 200 * 30);
        assert_eq!(rec.table("currents").unwrap().rows(), 2 * 200 / 10);
        // the readout W r after step s is the synaptic input held over step
        // s + 1: after the stimulus window it is the whole input
        let input = a.column("input").unwrap().as_f64().unwrap();
        let z = ro.column("z").unwrap().as_f64().unwrap();
        for l in 0..4 {
            for s in 50..199 {
                for i in 0..30 {
                    let now = (l * 200 + s) * 30 + i;
                    assert_eq!(
                        z[now].to_bits(),
                        input[now + 30].to_bits(),
                        "loop {l} step {s}"
                    );
                }
            }
        }
        // MSE of a loop = mean of (target - z)² over the evaluated steps
        let t = ro.column("target").unwrap().as_f64().unwrap();
        let (mut se, mut k) = (0.0, 0.0);
        for s in 41..200 {
            for i in 0..30 {
                let at = (3 * 200 + s) * 30 + i;
                se += (t[at] - z[at]) * (t[at] - z[at]);
                k += 1.0;
            }
        }
        assert!((se / k - stats[3].mse).abs() < 1e-9 * stats[3].mse);
        assert!(stats[1].trained && !stats[3].trained && stats[3].updates == 0);
        assert_eq!(stats[1].updates, 200 - 41);
        // ~9 inputs per neuron fit the targets only in part, but they help
        assert!(stats[1].mse < 0.8 * stats[0].mse, "{stats:?}");
        // weights: initial + after each loop; unchanged in test loops
        assert_eq!(rec.table("weights").unwrap().rows(), 5 * net.w.nnz());
        assert_eq!(stats[3].weight_change_rel, 0.0);
        assert!(stats[1].weight_change_rel > 0.0);
    }
}
