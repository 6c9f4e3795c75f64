//! One 5-s simulation of the ring-attractor network (original parameter
//! set, normal serotonin, 360 RS + 90 FS, dt 0.1 ms, 50 000 steps) with
//! every spike recorded (into memory), beside its baseline: the same with
//! the textbook NMDA block, whose rational form needs no exponential.

use criterion::{Criterion, criterion_group, criterion_main};
use neurodyn_core::Seed;
use neurodyn_models::ring::{NmdaBlock, RingParams};
use neurodyn_pipeline::studies::ring_attractor::{
    ParameterSet, Protocol, RingSimulation, parameter_set,
};

fn params(set: &ParameterSet, block: NmdaBlock) -> RingParams {
    let [sigma_deg, j_ee, j_ei, j_ie, j_ii] = set.weights;
    RingParams {
        n_e: 360,
        n_i: 90,
        rs: set.rs,
        fs: set.fs,
        receptors: set.receptors,
        nmda_block: block,
        sigma_deg,
        j_ee,
        j_ei,
        j_ie,
        j_ii,
        self_connections: true,
        g_ext_e_ns: set.g_ext_ns[0],
        g_ext_i_ns: set.g_ext_ns[1],
        dt_ms: 0.1,
    }
}

fn ring(c: &mut Criterion) {
    let set = parameter_set("original").unwrap();
    let protocol = Protocol {
        duration_s: 5.0,
        stimulus_deg: 100.0,
        on_s: 1.0,
        off_s: 1.25,
    };
    let seed = Seed::derive(42, "ring-attractor/background", &[("seed", "0")]);
    let mut g = c.benchmark_group("ring attractor");
    g.sample_size(10);
    for (name, block) in [
        (
            "thesis NMDA block (the original set's)",
            NmdaBlock::ThesisExpPlus,
        ),
        (
            "textbook NMDA block (baseline: no exp)",
            NmdaBlock::Izhikevich2008,
        ),
    ] {
        g.bench_function(
            format!("one 5-s simulation, all spikes recorded, {name}"),
            |b| {
                b.iter(|| {
                    let mut sim =
                        RingSimulation::new(&set, params(&set, block), "normal", &protocol, &seed)
                            .unwrap();
                    let (mut steps, mut neurons) = (Vec::new(), Vec::new());
                    for _ in 0..sim.steps {
                        let (s, fired) = sim.advance();
                        for &k in fired {
                            steps.push(s as u32);
                            neurons.push(k);
                        }
                    }
                    (steps, neurons)
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, ring);
criterion_main!(benches);
