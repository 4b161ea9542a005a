//! Neighbor search semantics: brute force and KD-tree agree, thread count does not matter,
//! `kneighbors` shapes and errors, serde round trip.

use ndarray::{Array1, Array2, array};
use oxlearn_algorithms::{KNeighborsClassifier, KNeighborsRegressor, KnnAlgorithm, KnnMetric, KnnWeights};
use oxlearn_core::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn random(n: usize, m: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, m), |_| rng.r#gen::<f64>())
}

#[test]
fn brute_and_kd_tree_find_the_same_neighbors() {
    let x = random(3000, 5, 0);
    let q = random(300, 5, 1);
    let y: Array1<f64> = x.column(0).to_owned();
    for metric in [KnnMetric::Euclidean, KnnMetric::Manhattan, KnnMetric::Chebyshev] {
        let brute = KNeighborsRegressor::default().metric(metric).algorithm(KnnAlgorithm::Brute).fit(&x, &y).unwrap();
        let tree = KNeighborsRegressor::default()
            .metric(metric)
            .algorithm(KnnAlgorithm::KdTree)
            .leaf_size(8)
            .fit(&x, &y)
            .unwrap();
        let (db, ib) = brute.kneighbors(&q, Some(9)).unwrap();
        let (dt, it) = tree.kneighbors(&q, Some(9)).unwrap();
        assert_eq!(ib, it, "{metric:?}");
        assert!((&db - &dt).iter().all(|v| v.abs() < 1e-9));
        // Sorted by distance.
        assert!(db.rows().into_iter().all(|r| r.windows(2).into_iter().all(|w| w[0] <= w[1])));
    }
    // Minkowski with p = 3 too.
    let brute = KNeighborsRegressor::default().p(3.0).algorithm(KnnAlgorithm::Brute).fit(&x, &y).unwrap();
    let tree = KNeighborsRegressor::default().p(3.0).algorithm(KnnAlgorithm::KdTree).fit(&x, &y).unwrap();
    assert_eq!(brute.kneighbors(&q, None).unwrap().1, tree.kneighbors(&q, None).unwrap().1);
}

#[test]
fn thread_count_does_not_change_results() {
    let x = random(2000, 30, 2);
    let q = random(500, 30, 3);
    let y: Array1<i64> = (0..2000).map(|i| (i % 4) as i64).collect();
    let one = KNeighborsClassifier::default().n_jobs(1).fit(&x, &y).unwrap();
    let two = KNeighborsClassifier::default().n_jobs(2).fit(&x, &y).unwrap();
    assert!(!one.uses_kd_tree());
    assert_eq!(one.predict_proba(&q).unwrap(), two.predict_proba(&q).unwrap());
    assert_eq!(one.kneighbors(&q, None).unwrap(), two.kneighbors(&q, None).unwrap());
}

#[test]
fn auto_picks_the_tree_in_low_dimensions() {
    let x = random(200, 4, 4);
    let y: Array1<i64> = (0..200).map(|i| (i % 2) as i64).collect();
    assert!(KNeighborsClassifier::default().fit(&x, &y).unwrap().uses_kd_tree());
    assert!(!KNeighborsClassifier::default().algorithm(KnnAlgorithm::Brute).fit(&x, &y).unwrap().uses_kd_tree());
    // n_neighbors >= n_samples / 2: brute force, as scikit-learn.
    assert!(!KNeighborsClassifier::default().n_neighbors(100).fit(&x, &y).unwrap().uses_kd_tree());
}

#[test]
fn kneighbors_of_training_points_start_with_themselves() {
    let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]];
    let y = array![0, 0, 1, 1];
    let m = KNeighborsClassifier::default().n_neighbors(2).fit(&x, &y).unwrap();
    let (d, i) = m.kneighbors(&x, None).unwrap();
    assert_eq!(i.column(0).to_vec(), vec![0, 1, 2, 3]);
    assert!(d.column(0).iter().all(|&v| v == 0.0));
    assert_eq!(i.row(0).to_vec(), vec![0, 1]);
    assert!(m.kneighbors(&x, Some(5)).is_err());
    assert!(matches!(m.kneighbors(&array![[1.0]], None), Err(Error::FeatureMismatch { expected: 2, got: 1, .. })));
}

#[test]
fn distance_weighted_probabilities() {
    let x = array![[0.0], [1.0], [4.0]];
    let y = array!["a", "b", "b"].mapv(String::from);
    let m = KNeighborsClassifier::default().n_neighbors(3).weights(KnnWeights::Distance).fit(&x, &y).unwrap();
    let p = m.predict_proba(&array![[0.5]]).unwrap();
    // Weights 2, 2, 1/3.5 over classes a, b.
    let (wa, wb) = (2.0, 2.0 + 1.0 / 3.5);
    assert!((p[[0, 0]] - wa / (wa + wb)).abs() < 1e-12);
    assert_eq!(m.predict(&array![[0.5]]).unwrap()[0], "b");
    // An exact match takes the whole vote.
    assert_eq!(m.predict_proba(&array![[0.0]]).unwrap().row(0).to_vec(), vec![1.0, 0.0]);
}

#[test]
fn serde_round_trip_keeps_the_tree() {
    let x = random(300, 3, 5);
    let y: Array1<i64> = (0..300).map(|i| (i % 3) as i64).collect();
    let m = KNeighborsClassifier::default().fit(&x, &y).unwrap();
    let text = serde_json::to_string(&m).unwrap();
    let back: oxlearn_algorithms::FittedKNeighborsClassifier<i64> = serde_json::from_str(&text).unwrap();
    let q = random(50, 3, 6);
    assert_eq!(m.predict_proba(&q).unwrap(), back.predict_proba(&q).unwrap());
    assert!(back.uses_kd_tree());
}

#[test]
fn invalid_parameters() {
    let x = random(20, 2, 7);
    let y: Array1<f64> = x.column(0).to_owned();
    assert!(matches!(KNeighborsRegressor::default().p(0.5).fit(&x, &y), Err(Error::InvalidParam { .. })));
    assert!(matches!(KNeighborsRegressor::default().leaf_size(0).fit(&x, &y), Err(Error::InvalidParam { .. })));
    assert!(matches!(KNeighborsRegressor::default().n_neighbors(21).fit(&x, &y), Err(Error::InvalidInput(_))));
    let mut est = KNeighborsRegressor::default();
    est.set_param("n_neighbors", &3usize.into()).unwrap();
    est.set_param("weights", &"distance".into()).unwrap();
    est.set_param("algorithm", &"kd_tree".into()).unwrap();
    assert_eq!(
        est,
        KNeighborsRegressor::default().n_neighbors(3).weights(KnnWeights::Distance).algorithm(KnnAlgorithm::KdTree)
    );
    assert!(est.set_param("algorithm", &"ball_tree".into()).is_err());
}

#[test]
fn fit_checks_finiteness_on_its_copy() {
    // The fit-side finiteness check is fused into the copy (row norms); a norm that overflows
    // on finite data must not be mistaken for a non-finite value, and a bad value is reported
    // at its exact place, before the n_neighbors check.
    let mut x = random(50, 4, 3);
    let y: Array1<f64> = x.column(0).to_owned();
    let labels: Array1<i64> = (0..50).map(|i| i % 3).collect();
    x[[10, 1]] = 1e200;
    let m = KNeighborsRegressor::default().fit(&x, &y).unwrap();
    assert_eq!(m.predict(&x).unwrap().len(), 50);
    assert!(KNeighborsClassifier::default().fit(&x, &labels).is_ok());
    x[[20, 3]] = f64::NEG_INFINITY;
    x[[30, 0]] = f64::NAN;
    for err in [
        KNeighborsRegressor::default().fit(&x, &y).unwrap_err(),
        KNeighborsClassifier::default().fit(&x, &labels).unwrap_err(),
        KNeighborsClassifier::default().n_neighbors(80).fit(&x, &labels).unwrap_err(),
    ] {
        assert!(matches!(err, Error::NonFinite { row: 20, column: Some(3), .. }), "{err}");
    }
    // The validator leaves X's values to these estimators, and only to them.
    assert!(KNeighborsClassifier::default().tags().finite_checked_in_fit);
    assert!(!oxlearn_algorithms::KMeans::default().tags().finite_checked_in_fit);
}
