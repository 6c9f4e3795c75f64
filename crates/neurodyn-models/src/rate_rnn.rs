//! Sparse rate recurrent network, its twin trajectories and tangent dynamics.
//!
//! Two forms, both integrated with forward Euler at `a = dt_ms / tau_ms`:
//!
//! - [`RnnForm::Seed`] (the reference study's code): `tau dr/dt = -r + tanh(g W r)`;
//!   nonzero weights drawn with *standard deviation* `1/(N p)`, then mean-centred
//!   over the nonzero entries.
//! - [`RnnForm::Classic`] (Sompolinsky, Crisanti & Sommers 1988):
//!   `tau dx/dt = -x + g W tanh(x)`; nonzero weights with *variance* `1/(N p)`,
//!   not centred.
//!
//! `W` is `N x N`, each off-diagonal entry present with probability `p`, zero
//! diagonal. A trial integrates a reference state `r`, its twin `r + eps` (eps
//! added to every neuron) and a unit tangent vector `v` of the Euler map, all
//! as one block so that one sparse pass serves them all:
//!
//! - seed: `v <- v + a ((1 - t^2) * (g W v) - v)`, `t = tanh(g W r)`;
//! - classic: `v <- v + a (g W ((1 - tanh(x)^2) * v) - v)`.
//!
//! `v` is renormalised after every step; `ln |v|` before renormalising is the
//! step's log stretch, whose mean over steps is the largest Lyapunov exponent
//! of the map (Benettin et al. 1980).
//!
//! Recorded tables (pushed into the recorder, step-major):
//! - `distance(trial u32, step u32, distance f64)`: `|r_twin - r|` *before*
//!   update `step` (so step 0 holds the initial distance `eps sqrt(N)`);
//! - `tangent(trial u32, step u32, log_stretch f64)`: `ln |v|` after update `step`;
//! - `activity(trial u32, step u32, neuron u32[, r f64][, r_twin f64])`: the
//!   chosen variables of the chosen units of the chosen trials every `every`
//!   steps (state before the update).

use neurodyn_core::{Column, ColumnType, Error, Field, Recorder, Rng, TableSchema};
use rand::RngExt;
use rand_distr::{Distribution, Normal};

use crate::math::tanh;
use crate::sparse::Csr;

/// Which equations the network follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RnnForm {
    /// `tau dr/dt = -r + tanh(g W r)`, weights with standard deviation `1/(N p)`, centred.
    Seed,
    /// `tau dx/dt = -x + g W tanh(x)`, weights with variance `1/(N p)`.
    Classic,
}

impl RnnForm {
    /// Parse `"seed"` or `"classic"`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "seed" => Ok(RnnForm::Seed),
            "classic" => Ok(RnnForm::Classic),
            other => Err(Error::invalid("model", other, "\"seed\" or \"classic\"")),
        }
    }
}

/// Validated network parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct RnnParams {
    /// Number of units.
    pub n: usize,
    /// Connection probability of each off-diagonal pair.
    pub p: f64,
    /// Synaptic gain.
    pub g: f64,
    /// Time constant in ms.
    pub tau_ms: f64,
    /// Euler step in ms.
    pub dt_ms: f64,
    /// Equations.
    pub form: RnnForm,
}

impl RnnParams {
    /// Check ranges: `n >= 2`, `0 < p <= 1`, `g >= 0` finite, `tau_ms > 0`,
    /// `0 < dt_ms <= tau_ms` (Euler is unstable beyond).
    pub fn try_new(
        n: usize,
        p: f64,
        g: f64,
        tau_ms: f64,
        dt_ms: f64,
        form: RnnForm,
    ) -> Result<Self, Error> {
        if n < 2 {
            return Err(Error::invalid("n", n, "an integer >= 2"));
        }
        if !(p > 0.0 && p <= 1.0) {
            return Err(Error::invalid("p", p, "0 < p <= 1"));
        }
        if !(g.is_finite() && g >= 0.0) {
            return Err(Error::invalid("g", g, "a finite number >= 0"));
        }
        if !(tau_ms.is_finite() && tau_ms > 0.0) {
            return Err(Error::invalid("tau_ms", tau_ms, "a finite number > 0"));
        }
        if !(dt_ms.is_finite() && dt_ms > 0.0 && dt_ms <= tau_ms) {
            return Err(Error::invalid("dt_ms", dt_ms, "0 < dt_ms <= tau_ms"));
        }
        Ok(RnnParams {
            n,
            p,
            g,
            tau_ms,
            dt_ms,
            form,
        })
    }

    /// Euler factor `dt_ms / tau_ms`.
    pub fn a(&self) -> f64 {
        self.dt_ms / self.tau_ms
    }

    /// Standard deviation of the nonzero weights before centring.
    pub fn weight_sd(&self) -> f64 {
        let np = self.n as f64 * self.p;
        match self.form {
            RnnForm::Seed => 1.0 / np,
            RnnForm::Classic => 1.0 / np.sqrt(),
        }
    }
}

/// Draw the unscaled connectivity `W` (without `g`) for `params`.
///
/// Draw order: for each row, the presence of each off-diagonal entry; then the
/// values of the present entries in row-major order.
pub fn connectivity(params: &RnnParams, rng: &mut Rng) -> Csr {
    let n = params.n;
    let mut trip: Vec<(u32, u32, f64)> = Vec::new();
    for i in 0..n {
        for j in 0..n {
            if i != j && rng.random::<f64>() < params.p {
                trip.push((i as u32, j as u32, 0.0));
            }
        }
    }
    let normal = Normal::new(0.0, params.weight_sd()).expect("sd > 0");
    for t in &mut trip {
        t.2 = normal.sample(rng);
    }
    if params.form == RnnForm::Seed && !trip.is_empty() {
        let mean = trip.iter().map(|t| t.2).sum::<f64>() / trip.len() as f64;
        for t in &mut trip {
            t.2 -= mean;
        }
    }
    Csr::from_sorted_triplets(n, n, &trip)
}

/// Initial states uniform in `[-1, 1)`, one row of `n` per trial.
pub fn initial_states(n: usize, trials: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    (0..trials)
        .map(|_| (0..n).map(|_| 2.0 * rng.random::<f64>() - 1.0).collect())
        .collect()
}

/// Unit tangent vectors with independent normal components, one per trial.
pub fn initial_tangents(n: usize, trials: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let normal = Normal::new(0.0, 1.0).expect("valid");
    (0..trials)
        .map(|_| {
            let mut v: Vec<f64> = (0..n).map(|_| normal.sample(rng)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            v
        })
        .collect()
}

/// What to record of the network's activity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityRecord {
    /// Record the reference trajectory (column `r`).
    pub r: bool,
    /// Record the twin trajectory (column `r_twin`).
    pub r_twin: bool,
    /// Units to record (indices below `n`).
    pub units: Vec<u32>,
    /// Trials to record.
    pub trials: Vec<u32>,
    /// Record every this many steps (>= 1).
    pub every: usize,
}

/// The block of reference, twin and tangent columns and one Euler update.
struct Block<'w> {
    n: usize,
    /// Trials.
    t: usize,
    /// Trials padded to a multiple of `W` lanes (padding columns stay zero).
    tp: usize,
    a: f64,
    form: RnnForm,
    gw: &'w Csr,
    /// `x[j * 3tp + k]`: columns 0..tp reference, tp..2tp twin, 2tp..3tp tangent.
    x: Vec<f64>,
    y: Vec<f64>,
    u: Vec<f64>,
}

/// Groups are padded to a multiple of `W` lanes; the per-row loops run over
/// exact chunks of `W`, which compile to whole vector operations (a plain
/// loop over 24 lanes would be left to the compiler's scalar remainder on
/// wide vector units). Padding is cheaper than a narrower tail chunk here.
const W: usize = 8;

/// An exact chunk of `L` lanes as an array (for whole-vector code).
#[inline(always)]
fn lanes<const L: usize>(s: &[f64], c: usize) -> &[f64; L] {
    s[c..c + L].try_into().expect("L lanes")
}

/// Mutable [`lanes`].
#[inline(always)]
fn lanes_mut<const L: usize>(s: &mut [f64], c: usize) -> &mut [f64; L] {
    (&mut s[c..c + L]).try_into().expect("L lanes")
}

impl Block<'_> {
    /// `sq[k] = |twin_k - ref_k|^2` for the `tp` (padded) lanes.
    #[inline(always)]
    fn distances(&self, sq: &mut [f64]) {
        for c in (0..self.tp).step_by(W) {
            self.distances_chunk::<W>(c, sq);
        }
    }

    #[inline(always)]
    fn distances_chunk<const L: usize>(&self, c: usize, sq: &mut [f64]) {
        let (n, tp) = (self.n, self.tp);
        let b = 3 * tp;
        let mut acc = [0.0; L];
        for j in 0..n {
            let r = lanes::<L>(&self.x, j * b + c);
            let tw = lanes::<L>(&self.x, j * b + tp + c);
            for l in 0..L {
                let d = tw[l] - r[l];
                acc[l] += d * d;
            }
        }
        sq[c..c + L].copy_from_slice(&acc);
    }

    /// One Euler step of every column; then `norms[k] = |v_k|` and `v_k` is
    /// renormalised (padding lanes: norm 1).
    #[inline(always)]
    fn advance(&mut self, norms: &mut [f64]) {
        let b = 3 * self.tp;
        match self.form {
            RnnForm::Seed => {
                self.gw.mul_block(&self.x, b, &mut self.u);
                for c in (0..self.tp).step_by(W) {
                    self.seed_chunk::<W>(c);
                }
            }
            RnnForm::Classic => {
                for c in (0..self.tp).step_by(W) {
                    self.classic_input_chunk::<W>(c);
                }
                self.gw.mul_block(&self.y, b, &mut self.u);
                let a = self.a;
                for c in (0..self.n * b).step_by(W) {
                    let uc = *lanes::<W>(&self.u, c);
                    let xc = lanes_mut::<W>(&mut self.x, c);
                    for l in 0..W {
                        xc[l] += a * (uc[l] - xc[l]);
                    }
                }
            }
        }
        for c in (0..self.tp).step_by(W) {
            self.renormalise_chunk::<W>(c, norms);
        }
    }

    /// Seed form, lanes `c..c + L` of every row (after `u = g W x`).
    #[inline(always)]
    fn seed_chunk<const L: usize>(&mut self, c: usize) {
        let (n, tp, a) = (self.n, self.tp, self.a);
        let b = 3 * tp;
        for j in 0..n {
            let (o_ref, o_tw, o_tan) = (j * b + c, j * b + tp + c, j * b + 2 * tp + c);
            let ur = *lanes::<L>(&self.u, o_ref);
            let ut = *lanes::<L>(&self.u, o_tw);
            let uv = *lanes::<L>(&self.u, o_tan);
            let mut tr = [0.0; L];
            let mut tt = [0.0; L];
            for l in 0..L {
                tr[l] = tanh(ur[l]);
                tt[l] = tanh(ut[l]);
            }
            let xr = lanes_mut::<L>(&mut self.x, o_ref);
            for l in 0..L {
                xr[l] += a * (tr[l] - xr[l]);
            }
            let xt = lanes_mut::<L>(&mut self.x, o_tw);
            for l in 0..L {
                xt[l] += a * (tt[l] - xt[l]);
            }
            let xv = lanes_mut::<L>(&mut self.x, o_tan);
            for l in 0..L {
                let v = xv[l];
                xv[l] = v + a * ((1.0 - tr[l] * tr[l]) * uv[l] - v);
            }
        }
    }

    /// Classic form: `y = tanh(x)` for reference and twin, `(1 - tanh^2) v` for tangents.
    #[inline(always)]
    fn classic_input_chunk<const L: usize>(&mut self, c: usize) {
        let (n, tp) = (self.n, self.tp);
        let b = 3 * tp;
        for j in 0..n {
            let (o_ref, o_tw, o_tan) = (j * b + c, j * b + tp + c, j * b + 2 * tp + c);
            let xr = *lanes::<L>(&self.x, o_ref);
            let xt = *lanes::<L>(&self.x, o_tw);
            let xv = *lanes::<L>(&self.x, o_tan);
            let mut tr = [0.0; L];
            let mut tt = [0.0; L];
            let mut yv = [0.0; L];
            for l in 0..L {
                tr[l] = tanh(xr[l]);
                tt[l] = tanh(xt[l]);
                yv[l] = (1.0 - tr[l] * tr[l]) * xv[l];
            }
            *lanes_mut::<L>(&mut self.y, o_ref) = tr;
            *lanes_mut::<L>(&mut self.y, o_tw) = tt;
            *lanes_mut::<L>(&mut self.y, o_tan) = yv;
        }
    }

    /// Tangent norms of lanes `c..c + L` into `norms`, and renormalisation.
    #[inline(always)]
    fn renormalise_chunk<const L: usize>(&mut self, c: usize, norms: &mut [f64]) {
        let (n, t, tp) = (self.n, self.t, self.tp);
        let b = 3 * tp;
        let mut acc = [0.0; L];
        for j in 0..n {
            let v = lanes::<L>(&self.x, j * b + 2 * tp + c);
            for l in 0..L {
                acc[l] += v[l] * v[l];
            }
        }
        for l in 0..L {
            // padding lanes (k >= t) are zero vectors: leave them alone
            acc[l] = if c + l < t { acc[l].sqrt() } else { 1.0 };
        }
        norms[c..c + L].copy_from_slice(&acc);
        let mut inv = [0.0; L];
        for l in 0..L {
            inv[l] = 1.0 / acc[l];
        }
        for j in 0..n {
            let v = lanes_mut::<L>(&mut self.x, j * b + 2 * tp + c);
            for l in 0..L {
                v[l] *= inv[l];
            }
        }
    }
}

// The kernels as `WithSimd` operations: monomorphised and inlined into
// pulp's target-feature functions (a closure would be compiled for the
// baseline instruction set and merely called).
struct Distances<'a, 'w>(&'a Block<'w>, &'a mut [f64]);
impl pulp::WithSimd for Distances<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.0.distances(self.1)
    }
}

struct Advance<'a, 'w>(&'a mut Block<'w>, &'a mut [f64]);
impl pulp::WithSimd for Advance<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.0.advance(self.1)
    }
}

/// Per-trial results of [`run_twins`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrialEnd {
    /// Distance `|r_twin - r|` at step 0.
    pub initial_distance: f64,
    /// Distance after the last update.
    pub final_distance: f64,
}

const CHUNK_ROWS: usize = 8192;

/// Integrate `trials` reference/twin/tangent triples for `steps` steps and
/// push `distance`, `tangent` and `activity` into `rec` (see module docs).
///
/// `w` is the unscaled connectivity; `g` comes from `params`.
pub fn run_twins(
    params: &RnnParams,
    w: &Csr,
    init: &[Vec<f64>],
    tangents: &[Vec<f64>],
    perturbation: f64,
    steps: usize,
    record: &ActivityRecord,
    rec: &mut dyn Recorder,
) -> Result<Vec<TrialEnd>, Error> {
    let n = params.n;
    let t = init.len();
    if tangents.len() != t || init.iter().chain(tangents).any(|v| v.len() != n) {
        return Err(Error::Other(
            "run_twins: one initial state and one tangent of length n per trial".into(),
        ));
    }
    if record.every == 0 {
        return Err(Error::invalid("every", 0, "an integer >= 1"));
    }
    if let Some(u) = record.units.iter().find(|&&u| u as usize >= n) {
        return Err(Error::invalid(
            "units",
            u,
            &format!("unit indices below n = {n}"),
        ));
    }
    if let Some(k) = record.trials.iter().find(|&&k| k as usize >= t) {
        return Err(Error::invalid(
            "trials",
            k,
            &format!("trial indices below {t}"),
        ));
    }
    let t_dist = rec.declare(TableSchema::new(
        "distance",
        vec![
            Field::new("trial", ColumnType::U32, None),
            Field::new("step", ColumnType::U32, None),
            Field::new("distance", ColumnType::F64, None),
        ],
    ))?;
    let t_tan = rec.declare(TableSchema::new(
        "tangent",
        vec![
            Field::new("trial", ColumnType::U32, None),
            Field::new("step", ColumnType::U32, None),
            Field::new("log_stretch", ColumnType::F64, Some("1/step")),
        ],
    ))?;
    let mut act_fields = vec![
        Field::new("trial", ColumnType::U32, None),
        Field::new("step", ColumnType::U32, None),
        Field::new("neuron", ColumnType::U32, None),
    ];
    if record.r {
        act_fields.push(Field::new("r", ColumnType::F64, None));
    }
    if record.r_twin {
        act_fields.push(Field::new("r_twin", ColumnType::F64, None));
    }
    let t_act = rec.declare(TableSchema::new("activity", act_fields))?;

    let mut gw = w.clone();
    gw.scale(params.g);
    let a = params.a();
    // Block layout: x[j * b + k]; each group of tp = t rounded up to W
    // lanes (whole vectors), padding lanes stay zero.
    let tp = t.div_ceil(W) * W;
    let b = 3 * tp;
    let mut x = vec![0.0; n * b];
    for k in 0..t {
        for j in 0..n {
            x[j * b + k] = init[k][j];
            x[j * b + tp + k] = init[k][j] + perturbation;
            x[j * b + 2 * tp + k] = tangents[k][j];
        }
    }
    let mut blk = Block {
        n,
        t,
        tp,
        a,
        form: params.form,
        gw: &gw,
        x,
        y: vec![0.0; n * b], // input to the sparse product (classic form)
        u: vec![0.0; n * b], // g W y
    };
    let mut sq = vec![0.0; tp];
    // Runtime SIMD dispatch (AVX2/AVX-512 where present). The arithmetic is
    // the same on every path (no fused multiply-add), so results are too.
    let arch = pulp::Arch::new();

    let mut d_trial = Vec::with_capacity(CHUNK_ROWS);
    let mut d_step = Vec::with_capacity(CHUNK_ROWS);
    let mut d_val = Vec::with_capacity(CHUNK_ROWS);
    let mut l_trial = Vec::with_capacity(CHUNK_ROWS);
    let mut l_step = Vec::with_capacity(CHUNK_ROWS);
    let mut l_val = Vec::with_capacity(CHUNK_ROWS);
    let (mut a_trial, mut a_step, mut a_neuron, mut a_r, mut a_rt) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());

    let mut initial = vec![0.0; t];
    for step in 0..steps {
        // record the state before this update
        arch.dispatch(Distances(&blk, &mut sq));
        for k in 0..t {
            let d = sq[k].sqrt();
            if step == 0 {
                initial[k] = d;
            }
            d_trial.push(k as u32);
            d_step.push(step as u32);
            d_val.push(d);
        }
        if step % record.every == 0 {
            for &k in &record.trials {
                for &j in &record.units {
                    a_trial.push(k);
                    a_step.push(step as u32);
                    a_neuron.push(j);
                    a_r.push(blk.x[j as usize * b + k as usize]);
                    a_rt.push(blk.x[j as usize * b + tp + k as usize]);
                }
            }
        }

        // one update of the whole block; sq <- |v| of each tangent before renormalising
        arch.dispatch(Advance(&mut blk, &mut sq));
        for k in 0..t {
            l_trial.push(k as u32);
            l_step.push(step as u32);
            l_val.push(sq[k].ln());
        }

        if d_val.len() >= CHUNK_ROWS || step + 1 == steps {
            rec.append(
                t_dist,
                &[
                    Column::U32(&d_trial),
                    Column::U32(&d_step),
                    Column::F64(&d_val),
                ],
            )?;
            rec.append(
                t_tan,
                &[
                    Column::U32(&l_trial),
                    Column::U32(&l_step),
                    Column::F64(&l_val),
                ],
            )?;
            for v in [&mut d_trial, &mut d_step, &mut l_trial, &mut l_step] {
                v.clear();
            }
            d_val.clear();
            l_val.clear();
        }
        if a_step.len() >= CHUNK_ROWS || (step + 1 == steps && !a_step.is_empty()) {
            let mut cols = vec![
                Column::U32(&a_trial),
                Column::U32(&a_step),
                Column::U32(&a_neuron),
            ];
            if record.r {
                cols.push(Column::F64(&a_r));
            }
            if record.r_twin {
                cols.push(Column::F64(&a_rt));
            }
            rec.append(t_act, &cols)?;
            a_trial.clear();
            a_step.clear();
            a_neuron.clear();
            a_r.clear();
            a_rt.clear();
        }
    }
    arch.dispatch(Distances(&blk, &mut sq));
    Ok((0..t)
        .map(|k| TrialEnd {
            initial_distance: initial[k],
            final_distance: sq[k].sqrt(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::{MemoryRecorder, Seed};

    fn run(
        form: RnnForm,
        g: f64,
        n: usize,
        p: f64,
        steps: usize,
    ) -> (MemoryRecorder, Vec<TrialEnd>) {
        let params = RnnParams::try_new(n, p, g, 20.0, 1.0, form).unwrap();
        let mut rng = Seed::derive(7, "test", &[]).rng();
        let w = connectivity(&params, &mut rng);
        let init = initial_states(n, 3, &mut rng);
        let tan = initial_tangents(n, 3, &mut rng);
        let mut rec = MemoryRecorder::default();
        let rec_spec = ActivityRecord {
            r: true,
            r_twin: true,
            units: vec![0, 2],
            trials: vec![1],
            every: 10,
        };
        let ends = run_twins(&params, &w, &init, &tan, 1e-4, steps, &rec_spec, &mut rec).unwrap();
        (rec, ends)
    }

    #[test]
    fn connectivity_has_the_stated_statistics() {
        let n = 400;
        let params = RnnParams::try_new(n, 0.1, 1.0, 20.0, 1.0, RnnForm::Seed).unwrap();
        let w = connectivity(&params, &mut Seed::derive(1, "w", &[]).rng());
        for i in 0..n {
            assert_eq!(w.get(i, i), 0.0);
        }
        let m = (n * (n - 1)) as f64;
        let nnz = w.nnz() as f64;
        // binomial count within 5 standard deviations
        let sd = (m * 0.1 * 0.9).sqrt();
        assert!((nnz - 0.1 * m).abs() < 5.0 * sd, "nnz {nnz}");
        let mean = w.values.iter().sum::<f64>() / nnz;
        assert!(mean.abs() < 1e-15, "centred mean {mean}");
        let var = w.values.iter().map(|v| v * v).sum::<f64>() / nnz;
        let want = (1.0 / (n as f64 * 0.1)).powi(2);
        // relative sd of a sample variance is sqrt(2 / nnz)
        assert!(
            ((var / want) - 1.0).abs() < 5.0 * (2.0 / nnz).sqrt(),
            "var {var} vs {want}"
        );
    }

    #[test]
    fn zero_gain_contracts_at_exactly_one_minus_a() {
        // g = 0: r <- (1 - a) r, so distance and tangent shrink by (1 - a) per step.
        for form in [RnnForm::Seed, RnnForm::Classic] {
            let (rec, ends) = run(form, 0.0, 50, 0.2, 40);
            let d = rec.table("distance").unwrap();
            assert_eq!(d.rows(), 3 * 40);
            let eps0 = 1e-4 * (50f64).sqrt();
            for e in &ends {
                assert!((e.initial_distance - eps0).abs() < 1e-12 * eps0);
                let want = eps0 * 0.95f64.powi(40);
                assert!(
                    (e.final_distance / want - 1.0).abs() < 1e-9,
                    "{form:?} {e:?}"
                );
            }
            let l = rec.table("tangent").unwrap().column("log_stretch").unwrap();
            for v in l.as_f64().unwrap() {
                assert!((v - 0.95f64.ln()).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn activity_is_recorded_as_asked() {
        let (rec, _) = run(RnnForm::Seed, 3.0, 30, 0.3, 25);
        let a = rec.table("activity").unwrap();
        // steps 0, 10, 20 x 2 units x 1 trial
        assert_eq!(a.rows(), 6);
        assert_eq!(
            a.column("step").unwrap().as_u32().unwrap(),
            &[0, 0, 10, 10, 20, 20]
        );
        let r = a.column("r").unwrap().as_f64().unwrap();
        let rt = a.column("r_twin").unwrap().as_f64().unwrap();
        assert!((rt[0] - r[0] - 1e-4).abs() < 1e-12);
        assert!(r.iter().all(|v| v.abs() <= 1.0));
    }

    #[test]
    fn bad_record_requests_are_rejected() {
        let params = RnnParams::try_new(10, 0.5, 1.0, 20.0, 1.0, RnnForm::Seed).unwrap();
        let mut rng = Seed::derive(1, "x", &[]).rng();
        let w = connectivity(&params, &mut rng);
        let init = initial_states(10, 1, &mut rng);
        let tan = initial_tangents(10, 1, &mut rng);
        let bad = ActivityRecord {
            r: true,
            r_twin: false,
            units: vec![10],
            trials: vec![0],
            every: 1,
        };
        let mut rec = MemoryRecorder::default();
        assert!(run_twins(&params, &w, &init, &tan, 1e-4, 5, &bad, &mut rec).is_err());
        assert!(RnnParams::try_new(10, 0.0, 1.0, 20.0, 1.0, RnnForm::Seed).is_err());
        assert!(RnnParams::try_new(10, 0.5, 1.0, 20.0, 30.0, RnnForm::Seed).is_err());
    }
}
