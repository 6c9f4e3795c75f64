//! One force-motifs run on the study's defaults, recording nothing: prints
//! the per-loop statistics and the time per loop.
//!
//! `cargo run --release -p neurodyn-learning --example force_run -- [pqif] [v_reset] [seed] [sde|notebook]`

use std::time::Instant;

use neurodyn_core::{NullRecorder, Seed};
use neurodyn_learning::trainer::{ForceRecord, Schedule, run};
use neurodyn_models::lif_qif::{LifQifNet, LifQifParams, NoiseScaling};
use neurodyn_stimuli::targets::Targets;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let get = |i: usize, d: f64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (pqif, v_reset, seed) = (get(0, 0.5), get(1, -12.3), get(2, 0.0) as u64);
    let noise = NoiseScaling::parse(a.get(3).map(String::as_str).unwrap_or("sde")).unwrap();
    let params = LifQifParams {
        n: 200,
        p: 0.3,
        gsyn: 0.5,
        pqif,
        v_threshold: 0.0,
        v_reset,
        ts: 5.0,
        dt: 0.1,
        sigma: 1.0,
        noise,
        background_amp: 20.0,
    };
    let s = Seed::derive(seed, "example", &[]);
    let mut net = LifQifNet::new(params, &mut s.child("network", 0).rng()).unwrap();
    let targets =
        Targets::oscillations(200, 1000, 4.0, (1.0, 5.0), &mut s.child("target", 0).rng());
    let sched = Schedule {
        loops: 16,
        steps: 1000,
        stim_steps: 200,
        train: (1, 10),
        dt_ms: 0.1 * 10.0,
    };
    let t0 = Instant::now();
    let stats = run(
        &mut net,
        &targets,
        &sched,
        0.25,
        &mut s.child("noise", 0).rng(),
        &ForceRecord::default(),
        &mut NullRecorder::default(),
    )
    .unwrap();
    for st in &stats {
        println!(
            "loop {:2} train {:5} spikes {:5} mse {:.4} corr {:.4} dW {:.4}",
            st.loop_index, st.trained, st.spikes, st.mse, st.correlation, st.weight_change_rel,
        );
    }
    println!(
        "total {:.3} s, {} loops",
        t0.elapsed().as_secs_f64(),
        stats.len()
    );
}
