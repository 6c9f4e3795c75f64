//! The work of `../shared/baselines/hopf_numpy.py` in neurodyn, for
//! `cargo xtask bench`: a Hopf network on a random connectome (density 0.3,
//! weights U(0, 1) symmetrised and scaled to a mean row sum of 1, regions
//! uniform in a 100 mm cube), diffusive coupling on x with k = 0.5, 10 mm/ms,
//! dt 0.1 ms, delays rounded up (as brainmass), 10 s simulated, x recorded
//! every 10 steps after a 50 ms transient, then the FC of the recording.
//!
//! `hopf_baseline_work [N] [euler|heun] [T_ms]` (defaults 68, euler,
//! 10000). Prints one JSON line with the time per step and per delayed read.

use std::time::Instant;

use neurodyn_core::{Connectome, Seed};
use neurodyn_models::network::{
    Coupling, CouplingKind, DelayRule, Integrator, Monitor, Network, NetworkConfig,
};
use neurodyn_models::neural_mass::Hopf;
use rand::RngExt as _;

fn random_connectome(n: usize, seed: u64) -> Connectome {
    let mut r = Seed::derive(seed, "hopf-bench-connectome", &[]).rng();
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let u: f64 = r.random();
            let keep = r.random::<f64>() < 0.3;
            if j > i && keep {
                w[i * n + j] = u;
                w[j * n + i] = u;
            }
        }
    }
    let mean_row: f64 = w.iter().sum::<f64>() / n as f64;
    w.iter_mut().for_each(|v| *v /= mean_row);
    let pos: Vec<[f64; 3]> = (0..n)
        .map(|_| std::array::from_fn(|_| 100.0 * r.random::<f64>()))
        .collect();
    let mut d = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            d[i * n + j] = (0..3)
                .map(|c| (pos[i][c] - pos[j][c]).powi(2))
                .sum::<f64>()
                .sqrt();
        }
    }
    let labels = (0..n).map(|i| format!("r{i}")).collect();
    Connectome::new(labels, w, d, Some(pos)).expect("valid connectome")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(68, |s| s.parse().expect("N"));
    let integrator = match args.get(1).map_or("euler", String::as_str) {
        "heun" => Integrator::Heun,
        _ => Integrator::EulerMaruyama,
    };
    let t_ms: f64 = args.get(2).map_or(10_000.0, |s| s.parse().expect("T_ms"));
    let c = random_connectome(n, n as u64);
    let mut cfg = NetworkConfig::new(0.1, 10.0, Coupling::new(CouplingKind::Diffusive, 0.5));
    cfg.delay_rule = DelayRule::Ceil;
    cfg.integrator = integrator;
    let start = Instant::now();
    let mut net = Network::new(
        Hopf::new(0.2, 0.3),
        &c,
        cfg,
        Seed::derive(0, "hopf", &[]).rng(),
    )
    .expect("valid network");
    let mut r = Seed::derive(0, "hopf-init", &[]).rng();
    net.randomize_state(&[0.0, 0.0], &[0.05, 0.05], &mut r)
        .expect("state");
    let mon = Monitor {
        duration_ms: t_ms,
        transient_ms: 50.0,
        period_ms: 1.0,
        variables: vec![0],
    };
    let rec = net.simulate(&mon).expect("run");
    let sim_s = start.elapsed().as_secs_f64();
    // FC of the recording, as the baseline's np.corrcoef
    let x = &rec.data[0];
    let s = rec.t_ms.len();
    let mut mean = vec![0.0; n];
    for t in 0..s {
        for i in 0..n {
            mean[i] += x[t * n + i] / s as f64;
        }
    }
    let mut cov = vec![0.0; n * n];
    for t in 0..s {
        let row = &x[t * n..(t + 1) * n];
        for i in 0..n {
            let a = row[i] - mean[i];
            for j in i..n {
                cov[i * n + j] += a * (row[j] - mean[j]);
            }
        }
    }
    let mut fc_sum = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            fc_sum += cov[i * n + j] / (cov[i * n + i] * cov[j * n + j]).sqrt();
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let steps = (t_ms / 0.1).round();
    // one delayed sum per step for both schemes (Heun reuses the corrector's
    // sums at t + dt as the next step's sums at t)
    let reads = net.lines().n_entries() as f64;
    println!(
        "{{\"N\": {n}, \"integrator\": \"{integrator:?}\", \"steps\": {steps}, \"entries\": {}, \
         \"history_values\": {}, \"max_delay_steps\": {}, \"sim_s\": {sim_s:.4}, \"wall_s\": {wall:.4}, \
         \"us_per_step\": {:.3}, \"ns_per_delayed_read\": {:.3}, \"mean_fc_offdiag\": {:.5}}}",
        net.lines().n_entries(),
        net.lines().history_len(),
        net.lines().lag_range().1,
        1e6 * sim_s / steps,
        1e9 * sim_s / (steps * reads),
        fc_sum / (n * (n - 1) / 2) as f64,
    );
}
