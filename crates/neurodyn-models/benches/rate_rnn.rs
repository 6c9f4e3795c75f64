//! Micro-benchmarks of the rate RNN's hot loop, each beside its baseline:
//! our tanh against the platform's, and one sweep point of rnn-chaos.

use criterion::{Criterion, criterion_group, criterion_main};
use neurodyn_core::{NullRecorder, Seed};
use neurodyn_models::rate_rnn::{self, ActivityRecord, RnnForm, RnnParams};
use std::hint::black_box;

fn tanh(c: &mut Criterion) {
    let xs: Vec<f64> = (0..8000).map(|i| (i as f64 - 4000.0) * 1e-3).collect();
    let mut buf = xs.clone();
    c.bench_function("tanh 8000 values: neurodyn", |b| {
        b.iter(|| {
            buf.copy_from_slice(&xs);
            neurodyn_models::math::tanh_in_place(black_box(&mut buf));
        })
    });
    c.bench_function("tanh 8000 values: f64::tanh (baseline)", |b| {
        b.iter(|| {
            buf.copy_from_slice(&xs);
            for x in black_box(&mut buf).iter_mut() {
                *x = x.tanh();
            }
        })
    });
}

fn twins(c: &mut Criterion) {
    let params = RnnParams::try_new(200, 0.1, 10.0, 20.0, 1.0, RnnForm::Seed).unwrap();
    let seed = Seed::derive(1234, "bench", &[]);
    let mut rng = seed.rng();
    let w = rate_rnn::connectivity(&params, &mut rng);
    let init = rate_rnn::initial_states(200, 20, &mut rng);
    let tan = rate_rnn::initial_tangents(200, 20, &mut rng);
    let rec = ActivityRecord {
        r: false,
        r_twin: false,
        units: vec![],
        trials: vec![],
        every: 1,
    };
    let mut g = c.benchmark_group("rnn twins");
    g.sample_size(10);
    // The default (a tangent for the first 4 trials: 48 lanes per row) and,
    // as its baseline, a tangent for every trial (64 lanes).
    for (m, what) in [(4, "4 tangents (default)"), (20, "20 tangents (baseline)")] {
        g.bench_function(
            format!("20 trials x 1000 steps, N=200 p=0.1, ref + twin + {what}"),
            |b| {
                b.iter(|| {
                    let mut sink = NullRecorder::default();
                    rate_rnn::run_twins(&params, &w, &init, &tan[..m], 1e-4, 1000, &rec, &mut sink)
                        .unwrap()
                })
            },
        );
    }
    g.finish();
}

/// The sparse block product of the rnn-chaos step (20 trials, 4 tangents: 48 lanes),
/// on 64-byte aligned rows (as `run_twins` lays them out) and, as its
/// baseline, on rows shifted by one value.
fn matvec(c: &mut Criterion) {
    struct Op<'a>(&'a neurodyn_models::Csr, &'a [f64], &'a mut [f64]);
    impl pulp::WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            self.0.mul_block(self.1, 48, self.2)
        }
    }
    let params = RnnParams::try_new(200, 0.1, 10.0, 20.0, 1.0, RnnForm::Seed).unwrap();
    let w = rate_rnn::connectivity(&params, &mut Seed::derive(1, "bench", &[]).rng());
    let b = 48;
    let xb: Vec<f64> = (0..200 * b + 8).map(|i| (i as f64 * 0.1).sin()).collect();
    let off = xb.as_ptr().align_offset(64);
    let mut out = vec![0.0; 200 * b];
    for (name, o) in [("aligned", off), ("unaligned (baseline)", (off + 1) % 8)] {
        let x = &xb[o..o + 200 * b];
        c.bench_function(
            &format!("sparse block product 200x200 (p=0.1) x 48 columns, {name}"),
            |bch| bch.iter(|| pulp::Arch::new().dispatch(Op(&w, black_box(x), &mut out))),
        );
    }
}

criterion_group!(benches, tanh, matvec, twins);
criterion_main!(benches);
