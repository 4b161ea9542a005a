//! Same seed, same loss curve; the thread count never changes the result.

use ndarray::Array2;
use oxlearn_core::prelude::*;
use oxlearn_nn::{MlpClassifier, MlpRegressor};

fn blobs(n: usize) -> (Array2<f64>, Vec<i64>) {
    let x = Array2::from_shape_fn((n, 6), |(i, j)| {
        (((i * 31 + j * 17) % 23) as f64 / 11.0 - 1.0) + (i % 3) as f64 * if j % 2 == 0 { 1.0 } else { -0.7 }
    });
    let y = (0..n).map(|i| (i % 3) as i64).collect();
    (x, y)
}

#[test]
fn same_seed_same_loss_curve() {
    let (x, y) = blobs(300);
    let est = MlpClassifier::default().hidden_layer_sizes([64, 32]).max_iter(15).batch_size(32).seed(3);
    let a = est.fit(&x, &y).unwrap();
    let b = est.fit(&x, &y).unwrap();
    assert_eq!(a.loss_curve().len(), 15);
    assert_eq!(a.loss_curve(), b.loss_curve());
    assert_eq!(a.coefs(), b.coefs());
    let c = est.clone().seed(4).fit(&x, &y).unwrap();
    assert_ne!(a.loss_curve(), c.loss_curve());
}

#[test]
fn thread_count_does_not_change_the_fit() {
    // Large enough for the GEMMs and elementwise kernels to go parallel.
    let x = Array2::from_shape_fn((2000, 48), |(i, j)| ((i * 7 + j * 13) % 29) as f64 / 14.0 - 1.0);
    let y = x.column(0).mapv(|v| v * 2.0) + x.column(5).mapv(|v| v * v);
    let est = MlpRegressor::default().hidden_layer_sizes([256, 128]).max_iter(2).batch_size(512).seed(1);
    let one = est.clone().n_jobs(1).fit(&x, &y).unwrap();
    let two = est.clone().n_jobs(2).fit(&x, &y).unwrap();
    assert_eq!(one.loss_curve(), two.loss_curve());
    assert_eq!(one.coefs(), two.coefs());
    assert_eq!(one.predict(&x).unwrap(), two.predict(&x).unwrap());
}
