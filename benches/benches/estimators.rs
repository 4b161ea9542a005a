//! Criterion micro-benchmarks: fit and predict of oxlearn estimators over a size sweep.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use oxlearn::prelude::*;

fn data(n: usize, m: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, m), |(i, j)| ((i * 31 + j * 17) % 101) as f64 / 10.0)
}

fn scaler(c: &mut Criterion) {
    let mut group = c.benchmark_group("StandardScaler");
    for n in [10_000, 100_000] {
        let x = data(n, 20);
        group.bench_with_input(BenchmarkId::new("fit_transform", n), &x, |b, x| {
            b.iter(|| StandardScaler::default().fit_transform(x).expect("fits"))
        });
    }
    group.finish();
}

criterion_group!(benches, scaler);
criterion_main!(benches);
