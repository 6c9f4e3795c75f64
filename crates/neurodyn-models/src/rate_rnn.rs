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
//! - `activity(trial u32, step u32, neuron u32, r f64, r_twin f64)`: the chosen
//!   units of the chosen trials every `every` steps (state before the update).

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
    /// Units to record (indices below `n`).
    pub units: Vec<u32>,
    /// Trials to record.
    pub trials: Vec<u32>,
    /// Record every this many steps (>= 1).
    pub every: usize,
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
    let t_act = rec.declare(TableSchema::new(
        "activity",
        vec![
            Field::new("trial", ColumnType::U32, None),
            Field::new("step", ColumnType::U32, None),
            Field::new("neuron", ColumnType::U32, None),
            Field::new("r", ColumnType::F64, None),
            Field::new("r_twin", ColumnType::F64, None),
        ],
    ))?;

    let mut gw = w.clone();
    gw.scale(params.g);
    let a = params.a();
    // Block layout: x[j * b + k]; columns 0..t reference, t..2t twin, 2t..3t tangent.
    let b = 3 * t;
    let mut x = vec![0.0; n * b];
    for k in 0..t {
        for j in 0..n {
            x[j * b + k] = init[k][j];
            x[j * b + t + k] = init[k][j] + perturbation;
            x[j * b + 2 * t + k] = tangents[k][j];
        }
    }
    let mut y = vec![0.0; n * b]; // input to the sparse product (classic form)
    let mut u = vec![0.0; n * b]; // g W y
    let mut sq = vec![0.0; t];

    let mut d_trial = Vec::with_capacity(CHUNK_ROWS);
    let mut d_step = Vec::with_capacity(CHUNK_ROWS);
    let mut d_val = Vec::with_capacity(CHUNK_ROWS);
    let mut l_trial = Vec::with_capacity(CHUNK_ROWS);
    let mut l_step = Vec::with_capacity(CHUNK_ROWS);
    let mut l_val = Vec::with_capacity(CHUNK_ROWS);
    let (mut a_trial, mut a_step, mut a_neuron, mut a_r, mut a_rt) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());

    let distances = |x: &[f64], sq: &mut [f64]| {
        sq.fill(0.0);
        for j in 0..n {
            let row = &x[j * b..j * b + 2 * t];
            for k in 0..t {
                let d = row[t + k] - row[k];
                sq[k] += d * d;
            }
        }
    };

    let mut initial = vec![0.0; t];
    for step in 0..steps {
        // record the state before this update
        distances(&x, &mut sq);
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
                    a_r.push(x[j as usize * b + k as usize]);
                    a_rt.push(x[j as usize * b + t + k as usize]);
                }
            }
        }

        match params.form {
            RnnForm::Seed => {
                gw.mul_block(&x, b, &mut u);
                for j in 0..n {
                    let xr = &mut x[j * b..(j + 1) * b];
                    let ur = &u[j * b..(j + 1) * b];
                    for k in 0..t {
                        let tr = tanh(ur[k]);
                        let tt = tanh(ur[t + k]);
                        xr[k] += a * (tr - xr[k]);
                        xr[t + k] += a * (tt - xr[t + k]);
                        let v = xr[2 * t + k];
                        xr[2 * t + k] = v + a * ((1.0 - tr * tr) * ur[2 * t + k] - v);
                    }
                }
            }
            RnnForm::Classic => {
                for j in 0..n {
                    let xr = &x[j * b..(j + 1) * b];
                    let yr = &mut y[j * b..(j + 1) * b];
                    for k in 0..t {
                        let tr = tanh(xr[k]);
                        yr[k] = tr;
                        yr[t + k] = tanh(xr[t + k]);
                        yr[2 * t + k] = (1.0 - tr * tr) * xr[2 * t + k];
                    }
                }
                gw.mul_block(&y, b, &mut u);
                for (xv, uv) in x.iter_mut().zip(&u) {
                    *xv += a * (uv - *xv);
                }
            }
        }

        // tangent: log stretch and renormalisation
        sq.fill(0.0);
        for j in 0..n {
            let row = &x[j * b + 2 * t..(j + 1) * b];
            for k in 0..t {
                sq[k] += row[k] * row[k];
            }
        }
        for s in sq.iter_mut() {
            *s = s.sqrt();
        }
        for j in 0..n {
            let row = &mut x[j * b + 2 * t..(j + 1) * b];
            for k in 0..t {
                row[k] /= sq[k];
            }
        }
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
        if a_r.len() >= CHUNK_ROWS || (step + 1 == steps && !a_r.is_empty()) {
            rec.append(
                t_act,
                &[
                    Column::U32(&a_trial),
                    Column::U32(&a_step),
                    Column::U32(&a_neuron),
                    Column::F64(&a_r),
                    Column::F64(&a_rt),
                ],
            )?;
            a_trial.clear();
            a_step.clear();
            a_neuron.clear();
            a_r.clear();
            a_rt.clear();
        }
    }
    distances(&x, &mut sq);
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
