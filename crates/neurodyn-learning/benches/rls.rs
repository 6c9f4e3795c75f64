//! The per-neuron RLS update of the force-motifs study (N = 200, p = 0.3:
//! about 60 inputs per neuron). Throughput is reported in floating-point
//! operations as executed (`PerNeuronRls::flops_per_update`): criterion's
//! "elem/s" is FLOP/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neurodyn_core::Seed;
use neurodyn_learning::force::PerNeuronRls;
use rand::RngExt;

fn pattern(n: usize, p: f64) -> (Vec<usize>, Vec<u32>) {
    let mut rng = Seed::derive(1, "bench", &[]).rng();
    let mut indptr = vec![0];
    let mut idx = Vec::new();
    for i in 0..n {
        for j in 0..n {
            if i != j && rng.random::<f64>() < p {
                idx.push(j as u32);
            }
        }
        indptr.push(idx.len());
    }
    (indptr, idx)
}

fn bench(c: &mut Criterion) {
    let n = 200;
    let (indptr, idx) = pattern(n, 0.3);
    let mut rng = Seed::derive(2, "bench", &[]).rng();
    let r: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 0.2).collect();
    let t: Vec<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
    let mut w = vec![0.0; idx.len()];
    let mut err = vec![0.0; n];
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut rls = PerNeuronRls::try_new(&indptr, &idx, 0.25).unwrap();
        let mut g = c.benchmark_group("per_neuron_rls");
        g.throughput(Throughput::Elements(rls.flops_per_update()));
        g.bench_function(format!("update_n200_p0.3_threads{threads}"), |b| {
            pool.install(|| b.iter(|| rls.update(&r, &t, &mut w, &mut err)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
