//! Behaviour of the linear models beyond the conformance suite: our solvers against the linfa
//! backend (an independent oracle), rank-deficient and wide designs, thread-count invariance,
//! label handling, `set_param` by scikit-learn name, callbacks.

use std::ops::ControlFlow;

use ndarray::{Array1, Array2, ShapeBuilder};
use oxlearn_algorithms::{ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, Solver};
use oxlearn_core::prelude::*;
use oxlearn_core::{Callback, ParamValue, Progress};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A seeded regression problem: `y = X w + 0.5 + noise`, with `n x p` Gaussian-ish features.
fn regression(n: usize, p: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, p), |_| rng.r#gen::<f64>() * 2.0 - 1.0 + rng.r#gen::<f64>() - 0.5);
    let w = Array1::from_shape_fn(p, |j| if j % 3 == 2 { 0.0 } else { (j as f64 + 1.0).recip() * 3.0 });
    let y = x.dot(&w) + 0.5 + Array1::from_shape_fn(n, |_| (rng.r#gen::<f64>() - 0.5) * 0.2);
    (x, y)
}

/// A seeded classification problem with `k` classes labelled `10, 20, ...`.
fn classification(n: usize, p: usize, k: usize, seed: u64) -> (Array2<f64>, Array1<i64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let y = Array1::from_shape_fn(n, |i| ((i % k) as i64 + 1) * 10);
    let x = Array2::from_shape_fn((n, p), |(i, j)| {
        let c = (i % k) as f64;
        (c * (j as f64 + 1.0)).sin() * 1.5 + rng.r#gen::<f64>() * 2.0 - 1.0
    });
    (x, y)
}

fn assert_close(a: ndarray::ArrayView1<'_, f64>, b: ndarray::ArrayView1<'_, f64>, tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (u, v)) in a.iter().zip(b.iter()).enumerate() {
        assert!((u - v).abs() <= tol * (1.0 + v.abs()), "{what}[{i}]: {u} vs {v}");
    }
}

#[test]
fn our_solvers_agree_with_linfa() {
    let (x, y) = regression(400, 8, 1);
    let a = LinearRegression::default().fit(&x, &y).unwrap();
    let b = LinearRegression::default().solver(Solver::Linfa).fit(&x, &y).unwrap();
    assert_close(a.coef(), b.coef(), 1e-10, "LinearRegression coef");
    assert!((a.intercept() - b.intercept()).abs() < 1e-10);

    let a = Ridge::default().alpha(3.0).fit(&x, &y).unwrap();
    let b = Ridge::default().alpha(3.0).solver(Solver::Linfa).tol(1e-10).max_iter(Some(10_000)).fit(&x, &y).unwrap();
    assert_close(a.coef(), b.coef(), 1e-6, "Ridge coef");
    assert!(b.n_iter().is_some() && a.n_iter().is_none());

    let a = Lasso::default().alpha(0.02).tol(1e-10).fit(&x, &y).unwrap();
    let b = Lasso::default().alpha(0.02).solver(Solver::Linfa).tol(1e-10).fit(&x, &y).unwrap();
    assert_close(a.coef(), b.coef(), 1e-6, "Lasso coef");
    assert!((a.intercept() - b.intercept()).abs() < 1e-6);
    assert!(a.coef().iter().any(|&c| c == 0.0), "the lasso zeroes some coefficients: {:?}", a.coef());

    let a = ElasticNet::default().alpha(0.05).l1_ratio(0.3).tol(1e-10).fit(&x, &y).unwrap();
    let b = ElasticNet::default().alpha(0.05).l1_ratio(0.3).solver(Solver::Linfa).tol(1e-10).fit(&x, &y).unwrap();
    assert_close(a.coef(), b.coef(), 1e-6, "ElasticNet coef");

    let (x, y) = classification(600, 5, 3, 2);
    let a = LogisticRegression::default().c(0.5).tol(1e-8).max_iter(500).fit(&x, &y).unwrap();
    let b = LogisticRegression::default().c(0.5).tol(1e-8).max_iter(500).solver(Solver::Linfa).fit(&x, &y).unwrap();
    assert!(a.converged());
    for (u, v) in a.predict_proba(&x).unwrap().iter().zip(b.predict_proba(&x).unwrap().iter()) {
        assert!((u - v).abs() < 1e-5, "{u} vs {v}");
    }
}

#[test]
fn wide_and_collinear_designs() {
    // More features than samples: LinearRegression interpolates with the minimum-norm solution,
    // Ridge and Lasso still fit.
    let (x, y) = regression(20, 50, 3);
    let ols = LinearRegression::default().fit(&x, &y).unwrap();
    assert_close(ols.predict(&x).unwrap().view(), y.view(), 1e-8, "interpolation");
    assert!(matches!(LinearRegression::default().solver(Solver::Linfa).fit(&x, &y), Err(Error::Numerical { .. })));
    let chol = Ridge::default().fit(&x, &y).unwrap();
    let svd = Ridge::default().solver(Solver::Svd).fit(&x, &y).unwrap();
    assert_close(chol.coef(), svd.coef(), 1e-9, "wide Ridge");
    assert!(Lasso::default().alpha(0.01).fit(&x, &y).unwrap().converged());

    // An exactly duplicated column: the minimum-norm answer splits the weight in two.
    let (x0, y) = regression(100, 3, 4);
    let mut x = Array2::zeros((100, 4));
    x.slice_mut(ndarray::s![.., ..3]).assign(&x0);
    x.column_mut(3).assign(&x0.column(0));
    let single = LinearRegression::default().fit(&x0, &y).unwrap();
    let double = LinearRegression::default().fit(&x, &y).unwrap();
    assert!(
        (double.coef()[0] - single.coef()[0] / 2.0).abs() < 1e-9 && (double.coef()[3] - double.coef()[0]).abs() < 1e-9
    );
    let ridge0 = Ridge::default().alpha(0.0).fit(&x, &y).unwrap();
    assert_eq!(ridge0.solver(), Solver::Svd, "singular Gram matrix falls back to the SVD path");
    assert_close(ridge0.coef(), double.coef(), 1e-9, "Ridge(0) == OLS");
}

#[test]
fn results_do_not_depend_on_threads_or_layout() {
    let (x, y) = classification(5000, 12, 4, 5);
    let fit = |n_jobs| LogisticRegression::default().n_jobs(n_jobs).fit(&x, &y).unwrap();
    let (one, two) = (fit(1), fit(2));
    assert_eq!(one.coef(), two.coef());
    assert_eq!(one.n_iter(), two.n_iter());
    let xf = {
        let mut a = Array2::zeros(x.dim().f());
        a.assign(&x);
        a
    };
    let f = LogisticRegression::default().fit(&xf, &y).unwrap();
    assert_close(f.coef().row(0), one.coef().row(0), 1e-9, "Fortran-order input");

    let (x, y) = regression(5000, 12, 6);
    let a = Ridge::default().fit(&x, &y).unwrap();
    let b = oxlearn_core::parallel::with_n_jobs(Some(1), || Ridge::default().fit(&x, &y).unwrap()).unwrap();
    assert_eq!(a.coef(), b.coef());
}

#[test]
fn binary_labels_follow_sklearn() {
    // The second class (sorted) is the positive one: decision > 0 predicts it.
    let (x, y) = classification(200, 3, 2, 7);
    let labels = y.mapv(|v| if v == 10 { "spam".to_string() } else { "ham".to_string() });
    let m = LogisticRegression::default().fit(&x, &labels).unwrap();
    assert_eq!(m.classes(), &["ham".to_string(), "spam".to_string()]);
    assert_eq!(m.coef().dim(), (1, 3));
    let d = m.decision_function(&x).unwrap();
    let p = m.predict_proba(&x).unwrap();
    let pred = m.predict(&x).unwrap();
    for i in 0..x.nrows() {
        assert_eq!(pred[i] == "spam", d[[i, 0]] > 0.0);
        assert!((p[[i, 1]] - 1.0 / (1.0 + (-d[[i, 0]]).exp())).abs() < 1e-12);
    }
    let linfa = LogisticRegression::default().solver(Solver::Linfa).fit(&x, &labels).unwrap();
    assert_eq!(linfa.predict(&x).unwrap(), pred);
    let json = serde_json::to_string(&m).unwrap();
    let back: oxlearn_algorithms::FittedLogisticRegression<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.predict_proba(&x).unwrap(), p);
}

#[test]
fn set_param_by_sklearn_name() {
    let mut m = LogisticRegression::default();
    m.set_param("C", &ParamValue::Float(0.1)).unwrap();
    m.set_param("solver", &ParamValue::from("linfa")).unwrap();
    assert_eq!(m, LogisticRegression::default().c(0.1).solver(Solver::Linfa));
    assert!(m.set_param("solver", &ParamValue::from("liblinear")).is_err());
    let mut e = ElasticNet::default();
    e.set_param("l1_ratio", &ParamValue::Float(0.2)).unwrap();
    e.set_param("max_iter", &ParamValue::Int(50)).unwrap();
    assert_eq!(e, ElasticNet::default().l1_ratio(0.2).max_iter(50));
    let mut l = Lasso::default();
    assert!(l.set_param("l1_ratio", &ParamValue::Float(0.2)).is_err());
    l.set_param("alpha", &ParamValue::Float(0.3)).unwrap();
    assert_eq!(l, Lasso::default().alpha(0.3));
    let mut r = Ridge::default();
    r.set_param("max_iter", &ParamValue::None).unwrap();
    r.set_param("solver", &ParamValue::from("svd")).unwrap();
    assert_eq!(r, Ridge::default().solver(Solver::Svd));
}

#[test]
fn callbacks_see_iterations_and_can_stop() {
    let (x, y) = classification(300, 4, 3, 8);
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    let cb = Callback::new(move |p: &Progress<'_>| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(p.loss.is_some());
        if p.iteration >= 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    let m = LogisticRegression::default().callback(cb).fit(&x, &y).unwrap();
    assert_eq!(m.n_iter(), Some(2));
    assert!(!m.converged());
    assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 2);

    // max_iter reached: a model, reported as not converged.
    let m = LogisticRegression::default().max_iter(1).tol(0.0).fit(&x, &y).unwrap();
    assert_eq!(m.n_iter(), Some(1));
    assert!(!m.converged());
    let (x, y) = regression(100, 5, 9);
    let m = Lasso::default().alpha(1e-6).tol(0.0).max_iter(3).fit(&x, &y).unwrap();
    assert_eq!(m.n_iter(), Some(3));
    assert!(!m.converged() && m.dual_gap() > 0.0);
}
