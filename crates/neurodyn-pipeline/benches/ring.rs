//! One 5-s simulation of the ring-attractor network (original parameter
//! set, normal serotonin, 360 RS + 90 FS, dt 0.1 ms, 50 000 steps) with
//! every spike recorded (into memory), beside its baseline: the same with
//! the textbook NMDA block, whose rational form needs no exponential.

use criterion::{Criterion, criterion_group, criterion_main};
use neurodyn_core::Seed;
use neurodyn_models::ring::NmdaBlock;
use neurodyn_pipeline::library::models::ring_attractor::{Protocol, RingSimulation, parameter_set};

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
                    let mut sim = RingSimulation::new(
                        &set,
                        set.network(360, 90, block, true, 0.1),
                        1.0,
                        "normal",
                        &protocol,
                        &seed,
                    )
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
