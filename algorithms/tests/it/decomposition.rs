//! PCA against scikit-learn (golden file from `scripts/golden_knn_cluster.py`): explained
//! variance ratios and components to 1e-8 on iris and digits, every solver and linfa.

use ndarray::{Array2, Axis};
use oxlearn_algorithms::{Pca, PcaComponents, PcaSolver};
use oxlearn_core::prelude::*;

use crate::accuracy_knn::{floats, golden};
use crate::common::load;

fn check(name: &str, model: Pca, tol: f64, ctol: f64, n_check: usize) {
    let g = golden();
    let case = &g["pca"][name];
    let x = load(name).x;
    let p = model.fit(&x).unwrap();
    let ratio = floats(&case["explained_variance_ratio"]);
    let ev = floats(&case["explained_variance"]);
    let sv = floats(&case["singular_values"]);
    let comps: Vec<Vec<f64>> = case["components"].as_array().unwrap().iter().map(floats).collect();
    for i in 0..n_check.min(p.n_components()) {
        assert!(
            (p.explained_variance_ratio()[i] - ratio[i]).abs() < tol,
            "{name} ratio {i}: {} vs {}",
            p.explained_variance_ratio()[i],
            ratio[i]
        );
        assert!((p.explained_variance()[i] - ev[i]).abs() < tol * ev[0], "{name} variance {i}");
        assert!((p.singular_values()[i] - sv[i]).abs() < tol * sv[0], "{name} singular value {i}");
        // Components up to sign (and with scikit-learn's sign where the solver is exact).
        let c = p.components().row(i).to_vec();
        let same: f64 = c.iter().zip(&comps[i]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let flipped: f64 = c.iter().zip(&comps[i]).map(|(a, b)| (a + b).abs()).fold(0.0, f64::max);
        assert!(same.min(flipped) < ctol, "{name} component {i}: off by {}", same.min(flipped));
        if ctol <= 1e-8 {
            assert!(same < ctol, "{name} component {i}: sign differs from scikit-learn");
        }
    }
    let mean = floats(&case["mean"]);
    assert!(p.mean().iter().zip(&mean).all(|(a, b)| (a - b).abs() < 1e-12));
}

#[test]
fn iris_all_solvers() {
    check("iris", Pca::default(), 1e-8, 1e-8, 4);
    check("iris", Pca::default().svd_solver(PcaSolver::Full), 1e-8, 1e-8, 4);
    check("iris", Pca::default().svd_solver(PcaSolver::CovarianceEigh), 1e-8, 1e-8, 4);
    check(
        "iris",
        Pca::default().svd_solver(PcaSolver::Randomized).n_components(PcaComponents::N(2)).seed(0),
        1e-8,
        1e-6,
        2,
    );
    check("iris", Pca::default().svd_solver(PcaSolver::Linfa).n_components(PcaComponents::N(2)), 1e-6, 1e-4, 2);
}

#[test]
fn digits_all_solvers() {
    // The last components of digits have (near-)zero variance and no defined direction; the
    // first 12 are well separated.
    check("digits", Pca::default(), 1e-8, 1e-8, 12);
    check("digits", Pca::default().svd_solver(PcaSolver::Full), 1e-8, 1e-8, 12);
    check(
        "digits",
        Pca::default().svd_solver(PcaSolver::Randomized).n_components(PcaComponents::N(12)).seed(0),
        1e-6,
        1e-4,
        6,
    );
}

#[test]
fn ratios_are_over_all_components_and_noise_variance() {
    let g = golden();
    for name in ["iris", "digits"] {
        let x = load(name).x;
        let full = Pca::default().fit(&x).unwrap();
        let want = g["pca"][name]["noise_variance"].as_f64().unwrap();
        assert!((full.noise_variance() - want).abs() < 1e-10);
        let two = Pca::default().n_components(PcaComponents::N(2)).fit(&x).unwrap();
        let want2 = g["pca"][name]["n2_noise_variance"].as_f64().unwrap();
        assert!(
            (two.noise_variance() - want2).abs() < 1e-8 * want2.max(1.0),
            "{name}: {} vs {want2}",
            two.noise_variance()
        );
        // Two kept components still report their share of the total variance.
        assert!((two.explained_variance_ratio()[0] - full.explained_variance_ratio()[0]).abs() < 1e-12);
        let linfa = Pca::default().svd_solver(PcaSolver::Linfa).n_components(PcaComponents::N(2)).fit(&x).unwrap();
        assert!((linfa.explained_variance_ratio()[0] - full.explained_variance_ratio()[0]).abs() < 1e-6);
        let frac = Pca::default().n_components(PcaComponents::Variance(0.95)).fit(&x).unwrap();
        assert_eq!(frac.n_components() as i64, g["pca"][name]["n95_n_components"].as_i64().unwrap());
    }
}

#[test]
fn transform_round_trip_and_whitening() {
    let x = load("iris").x;
    let p = Pca::default().fit(&x).unwrap();
    let z = p.transform(&x).unwrap();
    let back = p.inverse_transform(&z).unwrap();
    assert!((&back - &x).iter().all(|v| v.abs() < 1e-10));
    let w = Pca::default().whiten(true).n_components(PcaComponents::N(3)).fit(&x).unwrap();
    let zw = w.transform(&x).unwrap();
    let var = zw.var_axis(Axis(0), 1.0);
    assert!(var.iter().all(|v| (v - 1.0).abs() < 1e-10), "{var}");
    assert_eq!(w.feature_names_out(None), vec!["pca0", "pca1", "pca2"]);
    assert!(matches!(p.inverse_transform(&Array2::<f64>::zeros((2, 3))), Err(Error::FeatureMismatch { .. })));
}

#[test]
fn invalid_parameters() {
    let x = load("iris").x;
    assert!(matches!(Pca::default().n_components(PcaComponents::N(5)).fit(&x), Err(Error::InvalidParam { .. })));
    assert!(matches!(
        Pca::default().n_components(PcaComponents::Variance(1.5)).fit(&x),
        Err(Error::InvalidParam { .. })
    ));
    assert!(matches!(
        Pca::default().n_components(PcaComponents::Variance(0.5)).svd_solver(PcaSolver::Randomized).fit(&x),
        Err(Error::InvalidParam { .. })
    ));
    let mut p = Pca::default();
    p.set_param("n_components", &0.9.into()).unwrap();
    p.set_param("svd_solver", &"covariance_eigh".into()).unwrap();
    assert_eq!(p, Pca::default().n_components(PcaComponents::Variance(0.9)).svd_solver(PcaSolver::CovarianceEigh));
}
