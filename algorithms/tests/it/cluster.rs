//! KMeans and DBSCAN against scikit-learn (golden file from `scripts/golden_knn_cluster.py`) and
//! against linfa-clustering.

use ndarray::{Array1, Array2};
use oxlearn_algorithms::{ClusterBackend, Dbscan, KMeans, KMeansAlgorithm, KMeansInit, KnnAlgorithm};
use oxlearn_core::metrics::adjusted_rand_score;
use oxlearn_core::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::accuracy_knn::{floats, golden};
use crate::common::load;

fn standardize(x: &Array2<f64>) -> Array2<f64> {
    oxlearn_preprocessing::StandardScaler::default().fit(x).unwrap().transform(x).unwrap()
}

fn blobs(n: usize, m: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let centres: Vec<Vec<f64>> = (0..k).map(|_| (0..m).map(|_| rng.r#gen::<f64>() * 20.0).collect()).collect();
    Array2::from_shape_fn((n, m), |(i, j)| centres[i % k][j] + rng.r#gen::<f64>() - 0.5)
}

#[test]
fn kmeans_iris_matches_scikit_learn() {
    let g = golden();
    let want = g["kmeans"]["iris"]["inertia"].as_f64().unwrap();
    let want_ari = g["kmeans"]["iris"]["ari"].as_f64().unwrap();
    let data = load("iris");
    let species = data.labels();
    for seed in [0, 1, 2] {
        let m = KMeans::default().n_clusters(3).n_init(10).seed(seed).fit(&data.x).unwrap();
        assert!((m.inertia() - want).abs() <= 1e-3 * want, "inertia {} vs scikit-learn {want}", m.inertia());
        let ari = adjusted_rand_score(species.view(), m.labels()).unwrap();
        assert!((ari - want_ari).abs() < 1e-3, "ARI {ari} vs scikit-learn {want_ari}");
        let mut sizes: Vec<usize> = (0..3).map(|c| m.labels().iter().filter(|&&l| l == c).count()).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![38, 50, 62]);
        // Labels are consistent with the centres, and inertia is a sum.
        assert_eq!(m.predict(&data.x).unwrap(), m.labels().to_owned());
        assert!((-m.score(&data.x).unwrap() - m.inertia()).abs() < 1e-9);
        let d = m.transform(&data.x).unwrap();
        let sum: f64 = (0..150).map(|i| d[[i, m.labels()[i] as usize]].powi(2)).sum();
        assert!((sum - m.inertia()).abs() < 1e-8);
        assert!(m.n_iter() >= 1);
    }
}

#[test]
fn kmeans_linfa_backend_agrees() {
    let data = load("iris");
    let ours = KMeans::default().n_clusters(3).n_init(10).seed(0).fit(&data.x).unwrap();
    let linfa = KMeans::default().n_clusters(3).n_init(10).seed(0).backend(ClusterBackend::Linfa).fit(&data.x).unwrap();
    assert!(
        (ours.inertia() - linfa.inertia()).abs() <= 1e-3 * ours.inertia(),
        "{} vs linfa {}",
        ours.inertia(),
        linfa.inertia()
    );
    let ari = adjusted_rand_score(ours.labels(), linfa.labels()).unwrap();
    assert!(ari > 0.999, "ARI between backends {ari}");
}

#[test]
fn kmeans_is_seed_deterministic_and_thread_independent() {
    let x = blobs(3000, 6, 5, 11);
    let a = KMeans::default().n_clusters(5).seed(3).n_jobs(1).fit(&x).unwrap();
    let b = KMeans::default().n_clusters(5).seed(3).n_jobs(2).fit(&x).unwrap();
    assert_eq!(a.labels(), b.labels());
    assert_eq!(a.cluster_centers(), b.cluster_centers());
    assert_eq!(a.inertia().to_bits(), b.inertia().to_bits());
    // Well-separated blobs are recovered.
    let truth: Array1<i64> = (0..3000).map(|i| (i % 5) as i64).collect();
    assert!(adjusted_rand_score(truth.view(), a.labels()).unwrap() > 0.999);
    let r = KMeans::default().n_clusters(5).init(KMeansInit::Random).seed(3).fit(&x).unwrap();
    assert!(r.inertia() <= a.inertia() * 1.0001);
}

/// Elkan and Lloyd from the same seed: the same labels and iterations, centres and inertia
/// equal up to rounding.
fn assert_same_fit(lloyd: &oxlearn_algorithms::FittedKMeans, elkan: &oxlearn_algorithms::FittedKMeans, what: &str) {
    assert_eq!(lloyd.labels(), elkan.labels(), "{what}");
    assert_eq!(lloyd.n_iter(), elkan.n_iter(), "{what}");
    for (a, b) in lloyd.cluster_centers().iter().zip(elkan.cluster_centers().iter()) {
        assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()), "{what}: centre {a} vs {b}");
    }
    let (a, b) = (lloyd.inertia(), elkan.inertia());
    assert!((a - b).abs() <= 1e-9 * (1.0 + a), "{what}: inertia {a} vs {b}");
}

#[test]
fn kmeans_elkan_matches_lloyd() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let uniform = Array2::from_shape_simple_fn((1200, 6), || rng.r#gen::<f64>());
    // Every row three times.
    let base_rows = Array2::from_shape_simple_fn((100, 3), || rng.r#gen::<f64>());
    let dup = Array2::from_shape_fn((300, 3), |(i, j)| base_rows[[i / 3, j]]);
    let cases: Vec<(&str, Array2<f64>, Vec<usize>)> = vec![
        ("blobs", blobs(3000, 6, 5, 11), vec![1, 5, 9]),
        ("uniform", uniform, vec![2, 8, 20]),
        ("duplicates", dup, vec![1, 4, 8]),
        ("iris", load("iris").x, vec![3, 8]),
    ];
    for (name, x, ks) in &cases {
        for &k in ks {
            for seed in [0, 1] {
                let base = KMeans::default().n_clusters(k).seed(seed);
                let lloyd = base.clone().fit(x).unwrap();
                let elkan = base.clone().algorithm(KMeansAlgorithm::Elkan).fit(x).unwrap();
                assert_same_fit(&lloyd, &elkan, &format!("{name} k={k} seed={seed}"));
                assert_eq!(elkan.predict(x).unwrap(), elkan.labels().to_owned());
            }
        }
    }
    // k = n_samples: every sample its own cluster.
    let x = blobs(30, 3, 30, 2);
    let elkan = KMeans::default().n_clusters(30).seed(0).algorithm(KMeansAlgorithm::Elkan).fit(&x).unwrap();
    assert_same_fit(&KMeans::default().n_clusters(30).seed(0).fit(&x).unwrap(), &elkan, "k=n");
    assert_eq!(elkan.inertia(), 0.0);
    // Stopped by max_iter (the labels are then recomputed from the final centres).
    let x = blobs(2500, 5, 7, 8);
    for max_iter in [1, 2, 3] {
        let base = KMeans::default().n_clusters(9).seed(2).max_iter(max_iter);
        let elkan = base.clone().algorithm(KMeansAlgorithm::Elkan).fit(&x).unwrap();
        assert_same_fit(&base.fit(&x).unwrap(), &elkan, &format!("max_iter={max_iter}"));
        assert_eq!(elkan.n_iter(), max_iter);
        assert_eq!(elkan.predict(&x).unwrap(), elkan.labels().to_owned());
    }
    // Random init, several runs, tol 0 (converges on unchanged labels).
    let x = blobs(2000, 4, 6, 3);
    let base = KMeans::default().n_clusters(6).init(KMeansInit::Random).n_init(3).tol(0.0).seed(4);
    assert_same_fit(&base.clone().fit(&x).unwrap(), &base.algorithm(KMeansAlgorithm::Elkan).fit(&x).unwrap(), "random");
}

#[test]
fn kmeans_elkan_is_thread_independent_and_settable() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let x = Array2::from_shape_simple_fn((5000, 5), || rng.r#gen::<f64>());
    let base = KMeans::default().n_clusters(7).seed(3).algorithm(KMeansAlgorithm::Elkan);
    let a = base.clone().n_jobs(1).fit(&x).unwrap();
    let b = base.clone().n_jobs(2).fit(&x).unwrap();
    assert_eq!(a.labels(), b.labels());
    assert_eq!(a.cluster_centers(), b.cluster_centers());
    assert_eq!(a.inertia().to_bits(), b.inertia().to_bits());
    assert_eq!(a.n_iter(), b.n_iter());
    let mut p = KMeans::default();
    p.set_param("algorithm", &oxlearn_core::params::ParamValue::Str("elkan".into())).unwrap();
    assert_eq!(p, KMeans::default().algorithm(KMeansAlgorithm::Elkan));
    p.set_param("algorithm", &oxlearn_core::params::ParamValue::Str("lloyd".into())).unwrap();
    assert_eq!(p, KMeans::default());
    let err = p.set_param("algorithm", &oxlearn_core::params::ParamValue::Str("full".into()));
    assert!(matches!(err, Err(Error::InvalidParam { .. })));
    let json = serde_json::to_string(&KMeansAlgorithm::Elkan).unwrap();
    assert_eq!(serde_json::from_str::<KMeansAlgorithm>(&json).unwrap(), KMeansAlgorithm::Elkan);
}

#[test]
fn kmeans_callback_sees_iterations_and_can_stop() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let x = blobs(500, 3, 4, 1);
    let seen = Arc::new(AtomicUsize::new(0));
    let s2 = seen.clone();
    let cb = oxlearn_core::Callback::new(move |_: &oxlearn_core::Progress<'_>| {
        s2.fetch_add(1, Ordering::SeqCst);
        std::ops::ControlFlow::Break(())
    });
    let m = KMeans::default().n_clusters(4).seed(0).callback(cb.clone()).fit(&x).unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(m.n_iter(), 1);
    let m = KMeans::default().n_clusters(4).seed(0).algorithm(KMeansAlgorithm::Elkan).callback(cb).fit(&x).unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert_eq!(m.n_iter(), 1);
}

#[test]
fn kmeans_errors() {
    let x = blobs(5, 2, 2, 0);
    assert!(matches!(KMeans::default().n_clusters(6).fit(&x), Err(Error::InvalidInput(_))));
    assert!(matches!(KMeans::default().n_clusters(0).fit(&x), Err(Error::InvalidParam { .. })));
    assert!(matches!(KMeans::default().tol(-1.0).fit(&x), Err(Error::InvalidParam { .. })));
    let m = KMeans::default().n_clusters(2).seed(0).fit(&x).unwrap();
    assert!(matches!(m.transform(&Array2::<f64>::zeros((2, 3))), Err(Error::FeatureMismatch { .. })));
}

fn check_dbscan(name: &str) {
    let g = golden();
    let case = &g["dbscan"][name];
    let eps = case["eps"].as_f64().unwrap();
    let want: Vec<i64> = floats(&case["labels"]).iter().map(|&v| v as i64).collect();
    let core: Vec<usize> = floats(&case["core"]).iter().map(|&v| v as usize).collect();
    let x = standardize(&load(name).x);
    for algorithm in [KnnAlgorithm::Auto, KnnAlgorithm::Brute, KnnAlgorithm::KdTree] {
        let m = Dbscan::default().eps(eps).algorithm(algorithm).fit(&x).unwrap();
        assert_eq!(m.labels().to_vec(), want, "{name} {algorithm:?}");
        assert_eq!(m.core_sample_indices(), core.as_slice());
        assert_eq!(m.components().nrows(), core.len());
    }
    let linfa = Dbscan::default().eps(eps).backend(ClusterBackend::Linfa).fit(&x).unwrap();
    let ari = adjusted_rand_score(linfa.labels(), Array1::from(want.clone()).view()).unwrap();
    assert!(ari > 0.98, "{name}: linfa DBSCAN vs scikit-learn ARI {ari}");
    assert_eq!(linfa.labels().iter().filter(|&&l| l == -1).count(), want.iter().filter(|&&l| l == -1).count());
}

#[test]
fn dbscan_iris_matches_scikit_learn() {
    check_dbscan("iris");
}

#[test]
fn dbscan_wine_matches_scikit_learn() {
    check_dbscan("wine");
}

#[test]
fn dbscan_has_no_predict_and_rejects_bad_params() {
    let x = blobs(50, 2, 2, 0);
    let m = Dbscan::default().fit(&x).unwrap();
    assert!(matches!(m.predict(&x), Err(Error::Unsupported { .. })));
    assert!(matches!(Dbscan::default().eps(0.0).fit(&x), Err(Error::InvalidParam { .. })));
    assert!(matches!(
        Dbscan::default().min_samples(1).backend(ClusterBackend::Linfa).fit(&x),
        Err(Error::InvalidParam { .. })
    ));
    // min_samples = 1: every sample is a core sample.
    let all = Dbscan::default().min_samples(1).eps(1e-6).fit(&x).unwrap();
    assert_eq!(all.core_sample_indices().len(), 50);
}

/// Weighted KMeans (`fit_weighted`, scikit-learn's `fit(X, sample_weight=w)`) against
/// scikit-learn (`scripts/golden_kmeans_weighted.py`): the same weighted k-means++ draws from the
/// same seed, so the same centres, labels, inertia and iterations, for Lloyd and Elkan, with
/// integer, fractional and some zero weights.
#[test]
fn kmeans_weighted_matches_scikit_learn() {
    let g: serde_json::Value = serde_json::from_str(include_str!("data/kmeans_weighted_golden.json")).unwrap();
    let x = load("iris").x;
    for case in g["cases"].as_array().unwrap() {
        let w = Array1::from(floats(&g["weights"][case["weights"].as_str().unwrap()]));
        let seed = case["seed"].as_u64().unwrap();
        let algorithm = match case["algorithm"].as_str().unwrap() {
            "elkan" => KMeansAlgorithm::Elkan,
            _ => KMeansAlgorithm::Lloyd,
        };
        let what = format!("{} seed {seed} {algorithm:?}", case["weights"]);
        let m = KMeans::default().n_clusters(3).n_init(1).seed(seed).algorithm(algorithm).fit_weighted(&x, &w).unwrap();
        let want_labels: Vec<i64> = case["labels"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(m.labels().to_vec(), want_labels, "{what}");
        let want_inertia = case["inertia"].as_f64().unwrap();
        assert!((m.inertia() - want_inertia).abs() <= 1e-9 * want_inertia, "{what}: {} vs {want_inertia}", m.inertia());
        for (row, want) in m.cluster_centers().rows().into_iter().zip(case["centers"].as_array().unwrap()) {
            for (a, b) in row.iter().zip(floats(want)) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: centre {a} vs {b}");
            }
        }
        assert_eq!(m.n_iter() as u64, case["n_iter"].as_u64().unwrap(), "{what}");
    }
}

/// Weights act as repeated rows once the initial centres agree (Random init from well-separated
/// blobs converges to the same partition); zero weights drop rows from the centres; the linfa
/// backend refuses weights.
#[test]
fn kmeans_weights_act_as_repeated_rows() {
    let x = blobs(120, 3, 3, 7);
    let w = Array1::from_iter((0..120).map(|i| (i % 3) as f64));
    let rows: Vec<usize> = (0..120).flat_map(|i| std::iter::repeat_n(i, i % 3)).collect();
    let repeated = x.select(ndarray::Axis(0), &rows);
    let a = KMeans::default().n_clusters(3).seed(0).fit_weighted(&x, &w).unwrap();
    let b = KMeans::default().n_clusters(3).seed(0).fit(&repeated).unwrap();
    assert!((a.inertia() - b.inertia()).abs() <= 1e-9 * b.inertia(), "{} vs {}", a.inertia(), b.inertia());
    let mut ca: Vec<Vec<f64>> = a.cluster_centers().rows().into_iter().map(|r| r.to_vec()).collect();
    let mut cb: Vec<Vec<f64>> = b.cluster_centers().rows().into_iter().map(|r| r.to_vec()).collect();
    ca.sort_by(|p, q| p[0].total_cmp(&q[0]));
    cb.sort_by(|p, q| p[0].total_cmp(&q[0]));
    for (p, q) in ca.iter().zip(&cb) {
        assert!(p.iter().zip(q).all(|(u, v)| (u - v).abs() < 1e-9), "{p:?} vs {q:?}");
    }
    // Random init with weights (zeros included): each centre is the weighted mean of its rows.
    let r = KMeans::default().n_clusters(3).init(KMeansInit::Random).seed(3).fit_weighted(&x, &w).unwrap();
    for c in 0..3 {
        let (mut sum, mut total) = (Array1::<f64>::zeros(3), 0.0);
        for i in (0..120).filter(|&i| r.labels()[i] == c as i64) {
            sum.scaled_add(w[i], &x.row(i));
            total += w[i];
        }
        assert!(total > 0.0);
        let mean = sum / total;
        assert!(mean.iter().zip(r.cluster_centers().row(c)).all(|(u, v)| (u - v).abs() < 1e-9), "centre {c}");
    }
    let linfa = KMeans::default().n_clusters(3).backend(ClusterBackend::Linfa);
    assert!(!linfa.tags().sample_weight);
    assert!(matches!(linfa.fit_weighted(&x, &w), Err(oxlearn_core::Error::InvalidParam { .. })));
}
