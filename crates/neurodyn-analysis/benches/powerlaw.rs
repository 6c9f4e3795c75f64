//! Power-law fits on 5e6 samples (the target: under 10 s; the
//! `powerlaw` package takes hours at that size): the fit with its xmin scan,
//! and the fit with the three likelihood-ratio comparisons, beside the fit at
//! a fixed xmin (the baseline: no scan).

use criterion::{Criterion, criterion_group, criterion_main};
use neurodyn_analysis::powerlaw::{self, FitOptions};
use neurodyn_core::Seed;
use std::hint::black_box;

fn fits(c: &mut Criterion) {
    let mut rng = Seed::derive(1, "powerlaw-bench", &[]).rng();
    let x: Vec<u64> = (0..5_000_000)
        .map(|_| powerlaw::sample(1.5, 1, &mut rng))
        .collect();
    let mut g = c.benchmark_group("power law, 5e6 samples of alpha 1.5");
    g.sample_size(10);
    g.bench_function("fit at xmin = 1 (baseline: no scan)", |b| {
        b.iter(|| powerlaw::fit_with_xmin(black_box(&x), 1))
    });
    g.bench_function("fit with the xmin scan", |b| {
        b.iter(|| powerlaw::fit(black_box(&x), 50, None))
    });
    g.bench_function("fit with the xmin scan and three comparisons", |b| {
        b.iter(|| powerlaw::analyse(black_box(&x), &FitOptions::default()))
    });
    g.finish();
}

criterion_group!(benches, fits);
criterion_main!(benches);
