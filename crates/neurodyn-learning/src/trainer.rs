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

use neurodyn_core::drive::{NonFinite, Simulation, simulate};
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
    /// One step in ms (the network's `dt` times its membrane time
    /// constant), for messages.
    pub dt_ms: f64,
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

fn declare(rec: &mut dyn Recorder, what: &ForceRecord) -> Result<Tables, Error> {
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

/// Rows gathered before they go to the recorder (which is usually a
/// `BackgroundRecorder` batching them again for its writer thread).
const CHUNK_ROWS: usize = 8192;

/// Run the schedule on `net` (modified in place: state and weights), noise
/// from `rng`, recordings pushed to `rec` through the simulation driver.
/// Returns one [`LoopStats`] per loop.
pub fn run(
    net: &mut LifQifNet,
    targets: &Targets,
    schedule: &Schedule,
    alpha: f64,
    rng: &mut Rng,
    what: &ForceRecord,
    rec: &mut dyn Recorder,
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
    let rls = PerNeuronRls::try_new(&net.w.indptr, &net.w.indices, alpha)?;
    let units: Vec<u32> = if what.units.is_empty() {
        (0..n as u32).collect()
    } else {
        what.units.clone()
    };
    let w0 = net.w.values.clone();
    let norm0 = norm(&w0).max(f64::MIN_POSITIVE);
    // the targets of one loop (they repeat every loop), step-major
    let mut table = vec![0.0; schedule.steps * n];
    for (s, row) in table.chunks_exact_mut(n).enumerate() {
        targets.fill(s, row);
    }
    net.compute_synaptic();
    let mut run = Force {
        w_start: w0.clone(),
        net,
        rng,
        schedule,
        alpha,
        what,
        tables,
        rls,
        units,
        w0,
        norm0,
        table,
        stats: Vec::with_capacity(schedule.loops),
        spikes: Vec::new(),
        err: vec![0.0; n],
        held: vec![0.0; n],
        sums: vec![[0.0; 6]; n],
        count: 0,
        nspk: 0,
        updates: 0,
        rows: Rows::new(),
    };
    if what.weights {
        run.rows.push_weights(run.net, -1);
    }
    let steps = (schedule.loops * schedule.steps) as u64;
    simulate(&mut run, steps, CHUNK_ROWS, rec)?;
    Ok(run.stats)
}

/// Rows of (loop, step, neuron) and `values` float columns, buffered
/// between pushes.
struct StepRows {
    ids: [Vec<u32>; 3],
    values: Vec<Vec<f64>>,
}

impl StepRows {
    fn new(values: usize) -> Self {
        StepRows {
            ids: Default::default(),
            values: vec![Vec::new(); values],
        }
    }

    fn len(&self) -> usize {
        self.ids[0].len()
    }

    /// One row: loop `l`, step `s`, `neuron` and its values.
    fn push(&mut self, l: u32, s: u32, neuron: u32, values: &[f64]) {
        self.ids[0].push(l);
        self.ids[1].push(s);
        self.ids[2].push(neuron);
        for (col, &v) in self.values.iter_mut().zip(values) {
            col.push(v);
        }
    }

    /// Append the rows to `table` (if any rows and a table), with the
    /// value columns that `keep` marks, and clear them.
    fn append(
        &mut self,
        rec: &mut dyn Recorder,
        table: Option<neurodyn_core::TableId>,
        keep: &[bool],
    ) -> Result<(), Error> {
        if let (Some(id), false) = (table, self.ids[0].is_empty()) {
            let mut cols: Vec<Column> = self.ids.iter().map(|c| Column::U32(c)).collect();
            let kept = self.values.iter().zip(keep).filter(|(_, k)| **k);
            cols.extend(kept.map(|(c, _)| Column::F64(c)));
            rec.append(id, &cols)?;
        }
        self.ids.iter_mut().for_each(Vec::clear);
        self.values.iter_mut().for_each(Vec::clear);
        Ok(())
    }
}

/// Rows of each recording, buffered between pushes.
struct Rows {
    /// loop, step, neuron, r, input
    activity: StepRows,
    /// loop, step, neuron
    spikes: StepRows,
    /// loop, step, neuron, external, synaptic, noise
    currents: StepRows,
    /// loop, step, neuron, target, z
    readout: StepRows,
    /// loop, post, pre, w
    weights: (Vec<i64>, Vec<u32>, Vec<u32>, Vec<f64>),
}

impl Rows {
    fn new() -> Self {
        Rows {
            activity: StepRows::new(2),
            spikes: StepRows::new(0),
            currents: StepRows::new(3),
            readout: StepRows::new(2),
            weights: Default::default(),
        }
    }

    fn most(&self) -> usize {
        [
            self.activity.len(),
            self.spikes.len(),
            self.currents.len(),
            self.readout.len(),
            self.weights.0.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// The weights of `net` as rows of loop `loop_index`.
    fn push_weights(&mut self, net: &LifQifNet, loop_index: i64) {
        let w = &net.w;
        let r = &mut self.weights;
        for i in 0..w.rows {
            r.1.extend(std::iter::repeat_n(i as u32, w.indptr[i + 1] - w.indptr[i]));
        }
        r.0.extend(std::iter::repeat_n(loop_index, w.nnz()));
        r.2.extend_from_slice(&w.indices);
        r.3.extend_from_slice(&w.values);
    }
}

/// A FORCE run for the driver: step `k` is step `k % steps` of loop
/// `k / steps`.
struct Force<'a> {
    net: &'a mut LifQifNet,
    rng: &'a mut Rng,
    schedule: &'a Schedule,
    alpha: f64,
    what: &'a ForceRecord,
    tables: Tables,
    rls: PerNeuronRls,
    /// Neurons in `activity`.
    units: Vec<u32>,
    /// The weights at the start of the run and of the loop.
    w0: Vec<f64>,
    w_start: Vec<f64>,
    norm0: f64,
    /// The targets of one loop, step-major.
    table: Vec<f64>,
    stats: Vec<LoopStats>,
    spikes: Vec<u32>,
    err: Vec<f64>,
    /// The synaptic input held over the step (the recordings show it).
    held: Vec<f64>,
    /// Per neuron over the loop: Σt Σz Σt² Σz² Σtz Σ(t−z)²
    sums: Vec<[f64; 6]>,
    count: u64,
    nspk: u64,
    updates: u64,
    rows: Rows,
}

impl Force<'_> {
    /// The loop's statistics, after its last step.
    fn end_loop(&mut self, l: usize) {
        let n = self.net.params.n;
        if self.what.weights {
            self.rows.push_weights(self.net, l as i64);
        }
        let c = self.count as f64;
        let mse = self.sums.iter().map(|a| a[5]).sum::<f64>() / (c * n as f64);
        let corrs: Vec<f64> = self
            .sums
            .iter()
            .filter_map(|a| {
                let vt = c * a[2] - a[0] * a[0];
                let vz = c * a[3] - a[1] * a[1];
                let r = (c * a[4] - a[0] * a[1]) / (vt * vz).sqrt();
                r.is_finite().then_some(r)
            })
            .collect();
        self.stats.push(LoopStats {
            loop_index: l as u32,
            trained: self.schedule.trains(l),
            spikes: self.nspk,
            mse,
            correlation: corrs.iter().sum::<f64>() / corrs.len() as f64,
            weight_change_rel: dist(&self.net.w.values, &self.w_start) / self.norm0,
            weight_change_total_rel: dist(&self.net.w.values, &self.w0) / self.norm0,
            updates: self.updates,
        });
    }
}

impl Simulation for Force<'_> {
    fn model_name(&self) -> &str {
        "lif-qif (FORCE)"
    }

    fn dt_ms(&self) -> f64 {
        self.schedule.dt_ms
    }

    fn advance(&mut self, k: u64) -> Result<(), Error> {
        let schedule = self.schedule;
        let (l, s) = (k as usize / schedule.steps, k as usize % schedule.steps);
        let n = self.net.params.n;
        if s == 0 {
            self.w_start.copy_from_slice(&self.net.w.values);
            self.sums.iter_mut().for_each(|a| *a = [0.0; 6]);
            (self.count, self.nspk, self.updates) = (0, 0, 0);
        }
        let net = &mut *self.net;
        // `synaptic` holds W r from the end of the previous step
        net.step_prepared(s < schedule.stim_steps, self.rng, &mut self.spikes);
        self.nspk += self.spikes.len() as u64;
        let eval = schedule.evaluates(s);
        let target = &self.table[s * n..(s + 1) * n];
        if schedule.trains(l) && eval {
            self.rls
                .update(&net.r, target, &mut net.w.values, &mut self.err);
            self.updates += 1;
        }
        // the readout W r with the updated weights: also the next step's
        // synaptic input (the recordings keep the one held over this step)
        self.held.copy_from_slice(&net.synaptic);
        net.compute_synaptic();
        let z = &net.synaptic;
        // a diverging run stops here, before anything non-finite is recorded
        if let Some(i) = z.iter().position(|x| !x.is_finite()) {
            let what = if self.updates > 0 {
                format!(
                    " after {} RLS updates with alpha = {:e}",
                    self.updates, self.alpha
                )
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
            self.count += 1;
            for ((acc, &t), &zi) in self.sums.iter_mut().zip(target).zip(z) {
                acc[0] += t;
                acc[1] += zi;
                acc[2] += t * t;
                acc[3] += zi * zi;
                acc[4] += t * zi;
                acc[5] += (t - zi) * (t - zi);
            }
        }
        // recordings
        let (what, held, rows) = (self.what, &self.held, &mut self.rows);
        let (lu, su) = (l as u32, s as u32);
        if self.tables.activity.is_some() && s % what.every.max(1) == 0 {
            for &u in &self.units {
                let i = u as usize;
                let values = [net.r[i], net.external[i] + held[i]];
                rows.activity.push(lu, su, u, &values);
            }
        }
        if self.tables.spikes.is_some() {
            for &i in &self.spikes {
                rows.spikes.push(lu, su, i, &[]);
            }
        }
        let currents_now = s % what.current_every.max(1) == 0 && what.current_loops.contains(&lu);
        if self.tables.currents.is_some() && currents_now {
            for &i in &what.current_units {
                let k = i as usize;
                let values = [net.external[k], held[k], net.noise[k]];
                rows.currents.push(lu, su, i, &values);
            }
        }
        if self.tables.readout.is_some() {
            for &i in &what.readout_units {
                let values = [target[i as usize], z[i as usize]];
                rows.readout.push(lu, su, i, &values);
            }
        }
        if s + 1 == schedule.steps {
            self.end_loop(l);
        }
        Ok(())
    }

    fn buffered_rows(&self) -> usize {
        self.rows.most()
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<(), Error> {
        let (t, r, what) = (&self.tables, &mut self.rows, self.what);
        r.activity.append(rec, t.activity, &[what.r, what.input])?;
        r.spikes.append(rec, t.spikes, &[])?;
        r.currents.append(rec, t.currents, &[true; 3])?;
        r.readout.append(rec, t.readout, &[true; 2])?;
        let w = &mut r.weights;
        if let (Some(id), false) = (t.weights, w.0.is_empty()) {
            rec.append(
                id,
                &[
                    Column::I64(&w.0),
                    Column::U32(&w.1),
                    Column::U32(&w.2),
                    Column::F64(&w.3),
                ],
            )?;
        }
        w.0.clear();
        w.1.clear();
        w.2.clear();
        w.3.clear();
        Ok(())
    }

    fn non_finite(&self) -> Option<NonFinite> {
        let net = &self.net;
        NonFinite::find("x (membrane potential or phase)", &net.x)
            .or_else(|| NonFinite::find("r", &net.r))
            .or_else(|| NonFinite::find("synaptic", &net.synaptic))
    }
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
            dt_ms: 1.0,
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
            dt_ms: 1.0,
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
