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
//! added to every neuron) and, for the first trials (as many as tangents
//! are given), a unit tangent vector `v` of the Euler map, all as one block
//! so that one sparse pass serves them all:
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
//! - `tangent(trial u32, step u32, log_stretch f64)`: `ln |v|` after update
//!   `step`, for the trials with a tangent;
//! - `activity(trial u32, step u32, neuron u32[, r f64][, r_twin f64])`: the
//!   chosen variables of the chosen units of the chosen trials every `every`
//!   steps (state before the update).

use neurodyn_core::contracts;
use neurodyn_core::drive::{NonFinite, Simulation, simulate};
use neurodyn_core::{Column, ColumnType, Error, Field, Recorder, Rng, TableId, TableSchema};
use rand::RngExt;
use rand_distr::{Distribution, Normal};

use crate::math::tanh_lanes;
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

/// A zeroed `f64` buffer whose first element is 64-byte aligned: with rows
/// of a multiple of 8 lanes, no AVX-512 load straddles two cache lines (the
/// sparse product is a third slower on unaligned rows).
struct Aligned {
    buf: Vec<f64>,
    off: usize,
    len: usize,
}

impl Aligned {
    fn zeros(len: usize) -> Self {
        let buf = vec![0.0; len + 8];
        let off = buf.as_ptr().align_offset(64);
        let off = if off < 8 { off } else { 0 };
        Aligned { buf, off, len }
    }
}

impl std::ops::Deref for Aligned {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.buf[self.off..self.off + self.len]
    }
}

impl std::ops::DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.buf[self.off..self.off + self.len]
    }
}

/// The block of reference, twin and tangent columns and one Euler update.
///
/// Row `j` holds `b` lanes: reference `0..tg`, twin `tg..2 tg`, the `m`
/// tangents from `2 tg`, zero padding up to `b`; `tg` is the number of trials
/// rounded up to 4 and `b = 2 tg + m` rounded up to 8 (20 trials with 4
/// tangents: 48 lanes; with 20 tangents: 64, not the 72 of three groups
/// padded to 8 each). `2 tg` is a multiple of 8, so the reference/twin region
/// and the tangent region start on whole vectors, and tangent chunk `c`
/// (tangent of trial `k` in lane `k`) lines up with reference chunk `c`.
/// Padding lanes start at zero and stay zero (zero input, `tanh 0 = 0`, zero
/// tangent).
struct Block<'w> {
    n: usize,
    /// Trials with a tangent (the first `m`).
    m: usize,
    /// Trials rounded up to a multiple of 4.
    tg: usize,
    /// Lanes per row.
    b: usize,
    a: f64,
    form: RnnForm,
    gw: &'w Csr,
    x: Aligned,
    /// Input of the sparse product (classic form: `tanh x` and `(1 - tanh^2) v`).
    y: Aligned,
    /// Output of the sparse product.
    u: Aligned,
    /// `tanh` of one row's reference and twin lanes (`2 tg`).
    th: Vec<f64>,
    /// Squared twin distances (`tg` rounded up to `W` lanes) and tangent
    /// norms (`b - 2 tg` lanes) being summed over rows.
    dacc: Vec<f64>,
    nacc: Vec<f64>,
    /// Inverse tangent norms after the last update (see `renormalise`).
    vscale: Vec<f64>,
}

/// Whole vectors of `W` lanes (AVX-512: 8 `f64`).
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

/// Add row `row`'s squared twin-reference differences to `dacc` (lanes
/// `0..dacc.len()`; lanes past the trials read tangent or padding values
/// and are ignored) and its squared tangent components to `nacc` (lanes
/// `0..nacc.len()`).
#[inline(always)]
fn accumulate_row(x: &[f64], row: usize, tg: usize, dacc: &mut [f64], nacc: &mut [f64]) {
    for c in (0..dacc.len()).step_by(W) {
        let r = *lanes::<W>(x, row + c);
        let tw = *lanes::<W>(x, row + tg + c);
        let mut d = *lanes::<W>(dacc, c);
        for l in 0..W {
            let e = tw[l] - r[l];
            d[l] += e * e;
        }
        *lanes_mut::<W>(dacc, c) = d;
    }
    for c in (0..nacc.len()).step_by(W) {
        let v = *lanes::<W>(x, row + 2 * tg + c);
        let mut q = *lanes::<W>(nacc, c);
        for l in 0..W {
            q[l] += v[l] * v[l];
        }
        *lanes_mut::<W>(nacc, c) = q;
    }
}

/// `out[..len] = tanh(x[..len])`, `len` a multiple of `W`, two vectors at a
/// time where it can (independent lanes overlap in the pipeline; three or
/// five at a time spill registers and are slower).
#[inline(always)]
fn tanh_row(x: &[f64], out: &mut [f64], len: usize) {
    let mut c = 0;
    while c + 2 * W <= len {
        *lanes_mut::<{ 2 * W }>(out, c) = tanh_lanes(lanes::<{ 2 * W }>(x, c));
        c += 2 * W;
    }
    if c < len {
        *lanes_mut::<W>(out, c) = tanh_lanes(lanes::<W>(x, c));
    }
}

impl Block<'_> {
    /// Lanes of the tangent region (`b - 2 tg`, a multiple of `W`, `>= m`).
    fn tangent_lanes(&self) -> usize {
        self.b - 2 * self.tg
    }

    /// `sq[k] = |twin_k - ref_k|^2` for `k < t` (other lanes: unspecified),
    /// summed by the same row-by-row `accumulate_row` as the update's.
    #[inline(always)]
    fn distances(&self, sq: &mut [f64]) {
        sq.fill(0.0);
        let mut norms = vec![0.0; self.tangent_lanes()]; // not needed here
        for row in (0..self.n * self.b).step_by(self.b) {
            accumulate_row(&self.x, row, self.tg, sq, &mut norms);
        }
    }

    /// One Euler step of every column; then `norms[k] = |v_k|` and `v_k` is
    /// renormalised (padding lanes: norm 1), and `sq[k]` is the new squared
    /// distance (as [`Block::distances`] computes it, same order, same bits),
    /// accumulated row by row while the rows are in L1.
    #[inline(always)]
    fn advance(&mut self, norms: &mut [f64], sq: &mut [f64]) {
        self.dacc.fill(0.0);
        self.nacc.fill(0.0);
        let (n, a, b, tg) = (self.n, self.a, self.b, self.tg);
        match self.form {
            RnnForm::Seed => {
                self.gw.mul_block(&self.x, b, &mut self.u);
                self.seed_update();
            }
            RnnForm::Classic => {
                self.classic_input();
                self.gw.mul_block(&self.y, b, &mut self.u);
                let (x, u, vscale) = (&mut *self.x, &*self.u, &self.vscale[..]);
                let w2 = 2 * tg;
                for row in (0..n * b).step_by(b) {
                    for c in (0..b).step_by(W) {
                        let uc = *lanes::<W>(u, row + c);
                        let xc = *lanes::<W>(x, row + c);
                        let mut nx = [0.0; W];
                        for l in 0..W {
                            nx[l] = xc[l] + a * (uc[l] - xc[l]);
                        }
                        if c >= w2 {
                            // tangent lanes: the deferred renormalisation
                            let s = *lanes::<W>(vscale, c - w2);
                            for l in 0..W {
                                nx[l] *= s[l];
                            }
                        }
                        *lanes_mut::<W>(x, row + c) = nx;
                    }
                    accumulate_row(x, row, tg, &mut self.dacc, &mut self.nacc);
                }
            }
        }
        sq.copy_from_slice(&self.dacc);
        self.renormalise(norms);
    }

    /// Seed form (after `u = g W x`): `r += a (tanh u - r)` on the reference
    /// and twin lanes, `v += a ((1 - tanh(u_ref)^2) u_v - v)` on the tangents;
    /// each row's contributions to the squared distances and tangent norms
    /// right after its update.
    #[inline(always)]
    fn seed_update(&mut self) {
        let (n, a, b, tg) = (self.n, self.a, self.b, self.tg);
        let (w2, wt) = (2 * tg, b - 2 * tg);
        let (x, u, th) = (&mut *self.x, &*self.u, &mut self.th[..]);
        let (dacc, nacc) = (&mut self.dacc[..], &mut self.nacc[..]);
        let vscale = &self.vscale[..];
        for row in (0..n * b).step_by(b) {
            tanh_row(&u[row..], th, w2);
            for c in (0..w2).step_by(W) {
                // whole arrays by value: the SLP vectoriser leaves the same
                // loop over references scalar
                let t = *lanes::<W>(th, c);
                let xc = *lanes::<W>(x, row + c);
                let mut nx = [0.0; W];
                for l in 0..W {
                    nx[l] = xc[l] + a * (t[l] - xc[l]);
                }
                *lanes_mut::<W>(x, row + c) = nx;
            }
            // tangent chunk c pairs with reference chunk c (lanes past the
            // trials see twin values, but their tangent and input are zero)
            for c in (0..wt).step_by(W) {
                let tr = *lanes::<W>(th, c);
                let uv = *lanes::<W>(u, row + w2 + c);
                let v = *lanes::<W>(x, row + w2 + c);
                let s = *lanes::<W>(vscale, c);
                let mut nv = [0.0; W];
                for l in 0..W {
                    nv[l] = (v[l] + a * ((1.0 - tr[l] * tr[l]) * uv[l] - v[l])) * s[l];
                }
                *lanes_mut::<W>(x, row + w2 + c) = nv;
            }
            // the previous row's sums: its stores have retired by now (a
            // load of the twin lanes, which straddle two of this row's
            // vector stores, cannot be forwarded and would stall)
            if row > 0 {
                accumulate_row(x, row - b, tg, dacc, nacc);
            }
        }
        if n > 0 {
            accumulate_row(x, (n - 1) * b, tg, dacc, nacc);
        }
    }

    /// Classic form: `y = tanh(x)` for reference and twin, `(1 - tanh^2) v`
    /// for tangents.
    #[inline(always)]
    fn classic_input(&mut self) {
        let (n, b, w2, wt) = (self.n, self.b, 2 * self.tg, self.tangent_lanes());
        let (x, y) = (&*self.x, &mut *self.y);
        for j in 0..n {
            let row = j * b;
            tanh_row(&x[row..], &mut y[row..], w2);
            for c in (0..wt).step_by(W) {
                let tr = *lanes::<W>(y, row + c);
                let xv = *lanes::<W>(x, row + w2 + c);
                let mut yv = [0.0; W];
                for l in 0..W {
                    yv[l] = (1.0 - tr[l] * tr[l]) * xv[l];
                }
                *lanes_mut::<W>(y, row + w2 + c) = yv;
            }
        }
    }

    /// Tangent norms (from the squared norms in `nacc`) into `norms` (lanes
    /// `>= m`: 1), and their inverses into `vscale`.
    ///
    /// The renormalisation itself is deferred to the next update, which is
    /// linear in `v` and so multiplies its result by `vscale`: the stored
    /// tangent after an update is the unit tangent's image, whose norm is the
    /// step's stretch, and no extra pass over the state is needed.
    #[inline(always)]
    fn renormalise(&mut self, norms: &mut [f64]) {
        let m = self.m;
        for c in (0..self.b - 2 * self.tg).step_by(W) {
            let mut acc = *lanes::<W>(&self.nacc, c);
            for l in 0..W {
                // padding lanes (k >= m) are zero vectors: leave them alone
                acc[l] = if c + l < m { acc[l].sqrt() } else { 1.0 };
            }
            norms[c..c + W].copy_from_slice(&acc);
            let mut inv = [0.0; W];
            for l in 0..W {
                inv[l] = 1.0 / acc[l];
            }
            *lanes_mut::<W>(&mut self.vscale, c) = inv;
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

struct Advance<'a, 'w>(&'a mut Block<'w>, &'a mut [f64], &'a mut [f64]);
impl pulp::WithSimd for Advance<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.0.advance(self.1, self.2)
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

/// Integrate one reference/twin pair per initial state, and a tangent for
/// each of the first `tangents.len()` trials, for `steps` steps and push
/// `distance`, `tangent` and `activity` into `rec` (see module docs).
///
/// `w` is the unscaled connectivity; `g` comes from `params`. A trial's
/// results do not depend on how many trials or tangents share the run.
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
    let m = tangents.len();
    if m > t || init.iter().chain(tangents).any(|v| v.len() != n) {
        return Err(Error::Other(
            "run_twins: initial states and at most as many tangents, each of length n".into(),
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
    let t_dist = rec.declare(contracts::TWIN_DISTANCE.schema("distance"))?;
    let t_tan = rec.declare(contracts::TANGENT_STRETCH.schema("tangent"))?;
    let mut act_fields = vec![
        Field::new("trial", ColumnType::U32, None),
        Field::new("step", ColumnType::U32, Some("step")),
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
    // Block layout: see `Block`.
    let tg = t.div_ceil(4) * 4;
    let b = (2 * tg + m.max(1)).div_ceil(W) * W;
    let mut x = Aligned::zeros(n * b);
    for k in 0..t {
        for j in 0..n {
            x[j * b + k] = init[k][j];
            x[j * b + tg + k] = init[k][j] + perturbation;
            if k < m {
                x[j * b + 2 * tg + k] = tangents[k][j];
            }
        }
    }
    // distance lanes: the trials rounded up to whole vectors (within the row:
    // tg + dl <= 2 tg + 4 <= b)
    let dl = tg.div_ceil(W) * W;
    let blk = Block {
        n,
        m,
        tg,
        b,
        a,
        form: params.form,
        gw: &gw,
        x,
        y: Aligned::zeros(n * b),
        u: Aligned::zeros(n * b),
        th: vec![0.0; 2 * tg],
        dacc: vec![0.0; dl],
        nacc: vec![0.0; b - 2 * tg],
        vscale: vec![1.0; b - 2 * tg],
    };
    // Runtime SIMD dispatch (AVX2/AVX-512 where present). The arithmetic is
    // the same on every path (plain operations and correctly rounded fused
    // multiply-adds in a fixed order), so results are too.
    let arch = pulp::Arch::new();
    let mut sq = vec![0.0; dl];
    // squared distances of the state before the next update
    arch.dispatch(Distances(&blk, &mut sq));
    let mut run = Twins {
        dt_ms: params.dt_ms,
        norms: vec![0.0; b - 2 * tg],
        blk,
        sq,
        arch,
        record,
        tables: [t_dist, t_tan, t_act],
        initial: vec![0.0; t],
        t,
        d: Default::default(),
        l: Default::default(),
        a: Default::default(),
    };
    simulate(&mut run, steps as u64, CHUNK_ROWS, rec)?;
    Ok((0..t)
        .map(|k| TrialEnd {
            initial_distance: run.initial[k],
            final_distance: run.sq[k].sqrt(),
        })
        .collect())
}

/// A run of [`run_twins`] for the driver: the block, the distances and
/// stretches of the last update, and the rows buffered.
struct Twins<'w, 'r> {
    dt_ms: f64,
    blk: Block<'w>,
    /// Squared distances of the state before the next update.
    sq: Vec<f64>,
    /// Tangent norms of the last update.
    norms: Vec<f64>,
    arch: pulp::Arch,
    record: &'r ActivityRecord,
    /// distance, tangent, activity
    tables: [TableId; 3],
    /// Distances at step 0.
    initial: Vec<f64>,
    /// Trials.
    t: usize,
    /// distance rows: trial, step, distance
    d: TrialRows,
    /// tangent rows: trial, step, log stretch
    l: TrialRows,
    /// activity rows: trial, step, neuron, r, r_twin
    a: UnitRows,
}

/// Rows of (trial, step, value).
type TrialRows = (Vec<u32>, Vec<u32>, Vec<f64>);
/// Rows of (trial, step, neuron, r, r_twin).
type UnitRows = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<f64>, Vec<f64>);

impl Simulation for Twins<'_, '_> {
    fn model_name(&self) -> &str {
        match self.blk.form {
            RnnForm::Seed => "rate-rnn (seed form)",
            RnnForm::Classic => "rate-rnn (classic form)",
        }
    }

    fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    fn advance(&mut self, step: u64) -> Result<(), Error> {
        let step = step as usize;
        let (b, tg) = (self.blk.b, self.blk.tg);
        // record the state before this update
        for k in 0..self.t {
            let d = self.sq[k].sqrt();
            if step == 0 {
                self.initial[k] = d;
            }
            self.d.0.push(k as u32);
            self.d.1.push(step as u32);
            self.d.2.push(d);
        }
        if step % self.record.every == 0 {
            for &k in &self.record.trials {
                for &j in &self.record.units {
                    self.a.0.push(k);
                    self.a.1.push(step as u32);
                    self.a.2.push(j);
                    self.a.3.push(self.blk.x[j as usize * b + k as usize]);
                    self.a.4.push(self.blk.x[j as usize * b + tg + k as usize]);
                }
            }
        }
        // one update of the whole block; norms <- |v| of each tangent before
        // renormalising, sq <- the new squared distances
        self.arch
            .dispatch(Advance(&mut self.blk, &mut self.norms, &mut self.sq));
        for k in 0..self.blk.m {
            self.l.0.push(k as u32);
            self.l.1.push(step as u32);
            self.l.2.push(self.norms[k].ln());
        }
        Ok(())
    }

    fn buffered_rows(&self) -> usize {
        self.d.0.len().max(self.a.0.len())
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<(), Error> {
        let [t_dist, t_tan, t_act] = self.tables;
        let (d, l, a) = (&mut self.d, &mut self.l, &mut self.a);
        rec.append(
            t_dist,
            &[Column::U32(&d.0), Column::U32(&d.1), Column::F64(&d.2)],
        )?;
        rec.append(
            t_tan,
            &[Column::U32(&l.0), Column::U32(&l.1), Column::F64(&l.2)],
        )?;
        if !a.0.is_empty() {
            let mut cols = vec![Column::U32(&a.0), Column::U32(&a.1), Column::U32(&a.2)];
            if self.record.r {
                cols.push(Column::F64(&a.3));
            }
            if self.record.r_twin {
                cols.push(Column::F64(&a.4));
            }
            rec.append(t_act, &cols)?;
        }
        for v in [
            &mut d.0, &mut d.1, &mut l.0, &mut l.1, &mut a.0, &mut a.1, &mut a.2,
        ] {
            v.clear();
        }
        for v in [&mut d.2, &mut l.2, &mut a.3, &mut a.4] {
            v.clear();
        }
        Ok(())
    }

    /// The reference, twin and tangent lanes of every trial.
    fn non_finite(&self) -> Option<NonFinite> {
        let (blk, t) = (&self.blk, self.t);
        let lanes = [
            ("r", 0, t),
            ("r_twin", blk.tg, t),
            ("tangent", 2 * blk.tg, blk.m),
        ];
        for j in 0..blk.n {
            let row = &blk.x[j * blk.b..(j + 1) * blk.b];
            for &(name, off, count) in &lanes {
                if let Some(k) = (0..count).find(|&k| !row[off + k].is_finite()) {
                    return Some(NonFinite {
                        variable: format!("{name} of trial {k}"),
                        node: j,
                        value: row[off + k],
                    });
                }
            }
        }
        None
    }
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
    fn a_trial_does_not_depend_on_how_many_trials_share_its_block() {
        // 3 trials (4 lanes per group, 16 per row), 20 (64 per row), 21
        // (72 per row, groups not on vector boundaries), and 20 or 21 trials
        // of which only the first 4 or 3 carry a tangent (48 and 56 lanes):
        // the first three trials start alike and must give the same bits in
        // every layout.
        for form in [RnnForm::Seed, RnnForm::Classic] {
            let params = RnnParams::try_new(60, 0.2, 6.0, 20.0, 1.0, form).unwrap();
            let mut rng = Seed::derive(11, "layout", &[]).rng();
            let w = connectivity(&params, &mut rng);
            let init = initial_states(60, 21, &mut rng);
            let tan = initial_tangents(60, 21, &mut rng);
            let none = ActivityRecord {
                every: 1,
                ..Default::default()
            };
            let run_t = |t: usize, m: usize| {
                let mut rec = MemoryRecorder::default();
                run_twins(
                    &params,
                    &w,
                    &init[..t],
                    &tan[..m],
                    1e-4,
                    300,
                    &none,
                    &mut rec,
                )
                .unwrap();
                let first3 = |name: &str, col: &str| -> Vec<u64> {
                    let tab = rec.table(name).unwrap();
                    let trial = tab.column("trial").unwrap().as_u32().unwrap().to_vec();
                    let v = tab.column(col).unwrap().as_f64().unwrap();
                    trial
                        .iter()
                        .zip(v)
                        .filter(|(k, _)| **k < 3)
                        .map(|(_, x)| x.to_bits())
                        .collect()
                };
                let tangent_rows = rec.table("tangent").unwrap().rows();
                assert_eq!(
                    tangent_rows,
                    m * 300,
                    "one log stretch per tangent and step"
                );
                (
                    first3("distance", "distance"),
                    first3("tangent", "log_stretch"),
                )
            };
            let (d3, l3) = run_t(3, 3);
            assert_eq!(d3.len(), 3 * 300);
            for (t, m) in [(20, 20), (21, 21), (20, 4), (21, 3)] {
                let (d, l) = run_t(t, m);
                assert_eq!(d, d3, "{form:?}: distances with {t} trials, {m} tangents");
                assert_eq!(
                    l, l3,
                    "{form:?}: log stretches with {t} trials, {m} tangents"
                );
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
