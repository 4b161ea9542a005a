//! LogisticRegression with the L1 and elastic-net penalties (`l1_ratio > 0`, proximal Newton):
//! scikit-learn's saga optima (golden values from `scripts/golden_logistic_l1.py`), the
//! `l1_ratio -> 0` limit against our L-BFGS, sparsity, weights, thread-count invariance and
//! the parameter surface.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{Array1, Array2, Axis};
use oxlearn_algorithms::{ClassWeight, LogisticRegression, Solver};
use oxlearn_core::prelude::*;
use oxlearn_core::{Callback, Error, ParamValue};
use oxlearn_preprocessing::StandardScaler;
use serde_json::Value;

use crate::common;

fn golden() -> Value {
    serde_json::from_str(include_str!("../data/logistic_l1_golden.json")).expect("golden json")
}

/// The dataset standardized on all rows (as the golden script), labels as integers; with the
/// suffix `+redundant`, one more column: the sum of the first two standardized ones.
fn standardized(name: &str) -> (Array2<f64>, Array1<i64>) {
    let base = name.strip_suffix("+redundant");
    let data = common::load(base.unwrap_or(name));
    let x = StandardScaler::default().fit(&data.x).expect("scaler fits").transform(&data.x).expect("transforms");
    if base.is_some() {
        let extra = &x.column(0) + &x.column(1);
        let x = ndarray::concatenate![Axis(1), x, extra.insert_axis(Axis(1))];
        return (x, data.labels());
    }
    (x, data.labels())
}

/// scikit-learn's objective `1/S Σ w_i loss_i + 1/(C S) (r ‖W‖₁ + (1 - r)/2 ‖W‖²)` of a fitted
/// model (binomial or multinomial loss).
fn objective(
    m: &oxlearn_algorithms::FittedLogisticRegression<i64>,
    x: &Array2<f64>,
    y: &Array1<i64>,
    w: Option<&Array1<f64>>,
    c: f64,
    r: f64,
) -> f64 {
    let z = m.decision_function(x).unwrap();
    let mut total = 0.0;
    let mut s = 0.0;
    for (i, zr) in z.rows().into_iter().enumerate() {
        let wi = w.map_or(1.0, |w| w[i]);
        let loss = if zr.len() == 1 {
            let t = y[i] as f64;
            zr[0].max(0.0) + (-zr[0].abs()).exp().ln_1p() - t * zr[0]
        } else {
            let max = zr.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max + zr.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - zr[y[i] as usize]
        };
        total += wi * loss;
        s += wi;
    }
    let l1: f64 = m.coef().iter().map(|v| v.abs()).sum();
    let l2: f64 = m.coef().iter().map(|v| v * v).sum();
    total / s + (r * l1 + 0.5 * (1.0 - r) * l2) / (c * s)
}

/// The golden script's weights: `0.5 + 0.5 (i mod 4)`.
fn golden_weights(n: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| 0.5 + 0.5 * (i % 4) as f64)
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r.as_array().expect("row").iter().map(|x| x.as_f64().expect("number")).collect())
        .collect();
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

/// Our converged optimum equals scikit-learn's saga optimum (tol 1e-12): coefficients and
/// intercepts within 1e-6 of the largest coefficient (measured: 1e-8 at worst, breast_cancer
/// C=1 l1_ratio=1; below 1e-9 elsewhere), the same zero pattern, and an objective no higher.
/// One case has exactly collinear columns (as the bench kit's clf-200k-50), where the L1 term
/// alone picks the optimum along the null space of `X`.
#[test]
fn matches_scikit_learn_saga() {
    let g = golden();
    for case in g["cases"].as_array().expect("cases") {
        let name = case["dataset"].as_str().expect("dataset");
        let (c, r) = (case["C"].as_f64().expect("C"), case["l1_ratio"].as_f64().expect("l1_ratio"));
        let weighted = case["weighted"].as_bool().expect("weighted");
        let (x, y) = standardized(name);
        let model = LogisticRegression::default().c(c).l1_ratio(r).tol(1e-10).max_iter(200);
        let w = weighted.then(|| golden_weights(y.len()));
        let fitted = match &w {
            Some(w) => model.fit_weighted(&x, &y, w).unwrap(),
            None => model.fit(&x, &y).unwrap(),
        };
        let what = format!("{name} C={c} l1_ratio={r} weighted={weighted}");
        assert!(fitted.converged(), "{what}: not converged in {:?}", fitted.n_iter());
        assert_eq!(fitted.solver(), Solver::ProximalNewton);
        let coef = matrix(&case["coef"]);
        let intercept: Array1<f64> =
            case["intercept"].as_array().expect("intercept").iter().map(|v| v.as_f64().expect("number")).collect();
        assert_eq!(fitted.coef().dim(), coef.dim(), "{what}");
        let scale = coef.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
        for ((i, j), &want) in coef.indexed_iter() {
            let got = fitted.coef()[[i, j]];
            assert!((got - want).abs() <= 1e-6 * scale, "{what}: coef[{i},{j}] {got} vs {want}");
            assert_eq!(got == 0.0, want == 0.0, "{what}: zero pattern at [{i},{j}]: {got} vs {want}");
        }
        for (got, want) in fitted.intercept().iter().zip(&intercept) {
            assert!((got - want).abs() <= 1e-6 * scale.max(want.abs()), "{what}: intercept {got} vs {want}");
        }
        assert!(fitted.coef().iter().any(|&v| v == 0.0), "{what}: the L1 penalty zeroes some coefficients");
        // The objective: ours is no higher than saga's (to rounding).
        let ours = objective(&fitted, &x, &y, w.as_ref(), c, r);
        let theirs = case["objective"].as_f64().expect("objective");
        assert!(ours <= theirs + 1e-13, "{what}: objective {ours} vs scikit-learn's {theirs}");
    }
}

/// `l1_ratio -> 0`: the proximal Newton solver at `l1_ratio = 0` (asked for explicitly) and at
/// a tiny positive mix gives our L-BFGS optimum, binary and multinomial, with weights too.
#[test]
fn tends_to_lbfgs_as_l1_ratio_goes_to_zero() {
    for name in ["breast_cancer", "wine"] {
        let (x, y) = standardized(name);
        let w = golden_weights(y.len());
        let lbfgs = LogisticRegression::default().c(0.3).tol(1e-10).max_iter(10_000);
        let ref_u = lbfgs.fit(&x, &y).unwrap();
        let ref_w = lbfgs.fit_weighted(&x, &y, &w).unwrap();
        assert!(ref_u.converged() && ref_w.converged());
        for (l1_ratio, bound) in [(0.0, 1e-6), (1e-9, 1e-5)] {
            let pn = LogisticRegression::default().c(0.3).l1_ratio(l1_ratio).solver(Solver::ProximalNewton).tol(1e-10);
            for (ours, reference) in [(pn.fit(&x, &y).unwrap(), &ref_u), (pn.fit_weighted(&x, &y, &w).unwrap(), &ref_w)]
            {
                assert!(ours.converged(), "{name} l1_ratio={l1_ratio}");
                for (a, b) in
                    ours.coef().iter().zip(reference.coef()).chain(ours.intercept().iter().zip(reference.intercept()))
                {
                    assert!((a - b).abs() < bound, "{name} l1_ratio={l1_ratio}: {a} vs {b}");
                }
            }
        }
    }
}

/// Smaller `C` zeroes more coefficients; once `λ1 = 1 / (C·n)` exceeds the largest gradient
/// entry at `W = 0` (with the intercept fitted), all of them.
#[test]
fn sparsity_grows_as_c_shrinks() {
    let (x, y) = standardized("breast_cancer");
    let zeros = |c: f64| {
        let m = LogisticRegression::default().c(c).l1_ratio(1.0).tol(1e-8).fit(&x, &y).unwrap();
        assert!(m.converged(), "C={c}");
        m.coef().iter().filter(|&&v| v == 0.0).count()
    };
    let counts: Vec<usize> = [10.0, 1.0, 0.1, 0.01, 1e-4].iter().map(|&c| zeros(c)).collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts[0] < 30 && counts[2] > counts[0], "{counts:?}");
    assert_eq!(counts[4], 30, "{counts:?}");
    // Every feature zero: the intercept alone is the log-odds of the positive class.
    let m = LogisticRegression::default().c(1e-4).l1_ratio(1.0).tol(1e-10).fit(&x, &y).unwrap();
    let pos = y.iter().filter(|&&v| v == 1).count() as f64 / y.len() as f64;
    assert!((m.intercept()[0] - (pos / (1.0 - pos)).ln()).abs() < 1e-8);
}

/// Bit-identical fits whatever the thread count (blocks of rows are fixed and reduced in
/// order), binary and multinomial, on enough rows for many blocks.
#[test]
fn results_do_not_depend_on_n_jobs() {
    let n = 3000;
    let x = Array2::from_shape_fn((n, 12), |(i, j)| (((i * 31 + j * 17) % 97) as f64 / 48.5 - 1.0) + (j as f64) * 0.01);
    for k in [2usize, 4] {
        let y = Array1::from_shape_fn(n, |i| {
            let s = x[[i, 0]] - 0.5 * x[[i, 3]] + 0.3 * x[[i, 7]] + (((i * 13) % 11) as f64 / 11.0 - 0.5);
            ((s + 2.0) * k as f64 / 4.0).clamp(0.0, (k - 1) as f64) as i64
        });
        let model = LogisticRegression::default().c(0.05).l1_ratio(0.7).tol(1e-8);
        let one = model.clone().n_jobs(1).fit(&x, &y).unwrap();
        let two = model.clone().n_jobs(2).fit(&x, &y).unwrap();
        let three = model.n_jobs(3).fit(&x, &y).unwrap();
        assert!(one.converged(), "k={k}");
        for other in [&two, &three] {
            assert_eq!(one.coef(), other.coef(), "k={k}");
            assert_eq!(one.intercept(), other.intercept(), "k={k}");
            assert_eq!(one.n_iter(), other.n_iter(), "k={k}");
        }
    }
}

/// Integer sample weights fit as repeated rows; class weights as the equivalent sample weights.
#[test]
fn weights_act_as_repeated_rows_and_class_weights() {
    let (x, y) = standardized("wine");
    let reps: Vec<usize> = (0..y.len()).map(|i| 1 + i % 3).collect();
    let idx: Vec<usize> = reps.iter().enumerate().flat_map(|(i, &r)| std::iter::repeat_n(i, r)).collect();
    let (xr, yr) = (x.select(Axis(0), &idx), y.select(Axis(0), &idx));
    let w = Array1::from_iter(reps.iter().map(|&r| r as f64));
    let model = LogisticRegression::default().c(0.2).l1_ratio(1.0).tol(1e-10);
    let weighted = model.fit_weighted(&x, &y, &w).unwrap();
    let repeated = model.fit(&xr, &yr).unwrap();
    for (a, b) in weighted.coef().iter().zip(repeated.coef()) {
        assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        assert_eq!(*a == 0.0, *b == 0.0);
    }
    let balanced = model.clone().class_weight(ClassWeight::Balanced).fit(&x, &y).unwrap();
    let counts = [0, 1, 2].map(|c| y.iter().filter(|&&v| v == c).count() as f64);
    let sw = y.mapv(|v| y.len() as f64 / (3.0 * counts[v as usize]));
    let by_hand = model.fit_weighted(&x, &y, &sw).unwrap();
    for (a, b) in balanced.coef().iter().zip(by_hand.coef()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
}

/// The callback sees every iteration with the objective (non-increasing) and can stop the fit;
/// `n_iter()` counts the Newton iterations.
#[test]
fn callback_iterations_and_early_stop() {
    let (x, y) = standardized("breast_cancer");
    let seen = Arc::new(std::sync::Mutex::new(Vec::<(usize, f64)>::new()));
    let log = seen.clone();
    let cb = Callback::new(move |p: &oxlearn_core::Progress<'_>| {
        log.lock().unwrap().push((p.iteration, p.loss.expect("objective")));
        ControlFlow::Continue(())
    });
    let m = LogisticRegression::default().l1_ratio(1.0).tol(1e-8).callback(cb).fit(&x, &y).unwrap();
    let seen = seen.lock().unwrap().clone();
    let n_iter = m.n_iter().expect("n_iter");
    assert!(m.converged() && (2..100).contains(&n_iter), "{n_iter}");
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), (1..=n_iter).collect::<Vec<_>>());
    assert!(seen.windows(2).all(|w| w[1].1 <= w[0].1), "{seen:?}");

    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let stop = Callback::new(move |_: &oxlearn_core::Progress<'_>| {
        c2.fetch_add(1, Ordering::SeqCst);
        ControlFlow::Break(())
    });
    let m = LogisticRegression::default().l1_ratio(1.0).tol(1e-8).callback(stop).fit(&x, &y).unwrap();
    assert_eq!((m.n_iter(), m.converged(), calls.load(Ordering::SeqCst)), (Some(1), false, 1));

    let capped = LogisticRegression::default().l1_ratio(0.5).tol(1e-12).max_iter(2).fit(&x, &y).unwrap();
    assert_eq!((capped.n_iter(), capped.converged()), (Some(2), false));
}

/// scikit-learn's spellings: `penalty`, `l1_ratio`, `solver="saga"`; what is rejected.
#[test]
fn parameters_and_errors() {
    let (x, y) = standardized("iris");
    let mut m = LogisticRegression::default();
    m.set_param("penalty", &ParamValue::Str("l1".into())).unwrap();
    m.set_param("solver", &ParamValue::Str("saga".into())).unwrap();
    assert_eq!(m, LogisticRegression::default().l1_ratio(1.0).solver(Solver::ProximalNewton));
    m.set_param("l1_ratio", &ParamValue::Float(0.25)).unwrap();
    m.set_param("penalty", &ParamValue::Str("elasticnet".into())).unwrap();
    assert_eq!(m, LogisticRegression::default().l1_ratio(0.25).solver(Solver::ProximalNewton));
    m.set_param("penalty", &ParamValue::Str("l2".into())).unwrap();
    assert_eq!(m, LogisticRegression::default().solver(Solver::ProximalNewton));
    for bad in ["l3", "none"] {
        assert!(m.set_param("penalty", &ParamValue::Str(bad.into())).is_err());
    }
    for unsupported in ["liblinear", "sag", "newton-cg"] {
        assert!(matches!(m.set_param("solver", &ParamValue::Str(unsupported.into())), Err(Error::InvalidParam { .. })));
    }
    // `Auto` keeps L-BFGS for the L2 penalty and for no penalty at all.
    assert_eq!(LogisticRegression::default().fit(&x, &y).unwrap().solver(), Solver::Lbfgs);
    let no_penalty = LogisticRegression::default().c(f64::INFINITY).l1_ratio(1.0).max_iter(20);
    assert_eq!(no_penalty.fit(&x, &y).unwrap().solver(), Solver::Lbfgs);
    for bad in [
        LogisticRegression::default().l1_ratio(1.0).solver(Solver::Linfa),
        LogisticRegression::default().l1_ratio(0.5).solver(Solver::Lbfgs),
        LogisticRegression::default().l1_ratio(1.0 + 1e-12),
        LogisticRegression::default().l1_ratio(-1e-12),
        LogisticRegression::default().l1_ratio(f64::NAN),
        LogisticRegression::default().l1_ratio(1.0).c(0.0),
    ] {
        assert!(matches!(bad.fit(&x, &y), Err(Error::InvalidParam { .. })), "{bad:?}");
    }
}

/// Beyond the dense Hessian's limit (`k·(p+1) > 4096`) the proximal gradient method takes over:
/// a wide problem (3 classes x 1400 features: 4203 parameters) converges to an L1 optimum (its
/// subgradient conditions hold), with the zero pattern L1 gives.
#[test]
fn wide_problems_use_the_proximal_gradient_method() {
    let (n, p) = (60, 1400);
    let x = Array2::from_shape_fn((n, p), |(i, j)| {
        let c = (i % 3) as f64;
        let signal = if j < 3 { c * (1.0 + j as f64) - 2.0 } else { 0.0 };
        signal + (((i * 31 + j * 17) % 23) as f64 / 23.0 - 0.5)
    });
    let y = Array1::from_iter((0..n).map(|i| (i % 3) as i64));
    let model = LogisticRegression::default().l1_ratio(1.0).c(0.5).tol(1e-6).max_iter(5000).fit(&x, &y).unwrap();
    assert!(model.converged(), "n_iter {:?}", model.n_iter());
    assert_eq!(model.coef().dim(), (3, p));
    let zeros = model.coef().iter().filter(|&&v| v == 0.0).count();
    assert!(zeros > 3 * p / 2, "L1 keeps most of the noise columns at zero: {zeros} zeros");
    assert_eq!(model.predict(&x).unwrap(), y, "the three signal columns separate the classes");
}

/// Predictions of an L1 model: probabilities that sum to 1, and the decision function is
/// `X coefᵀ + intercept`.
#[test]
fn predictions_follow_the_coefficients() {
    let (x, y) = standardized("iris");
    let m = LogisticRegression::default().l1_ratio(1.0).c(0.3).fit(&x, &y).unwrap();
    let d = m.decision_function(&x).unwrap();
    let by_hand = x.dot(&m.coef().t()) + m.intercept();
    assert!(d.iter().zip(&by_hand).all(|(a, b)| (a - b).abs() < 1e-12));
    let p = m.predict_proba(&x).unwrap();
    assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-12));
    assert!(m.score(&x, &y).unwrap() > 0.85);
}
