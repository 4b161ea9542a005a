//! The conformance suite: scikit-learn's `check_estimator`, ported to the typestate contract.
//!
//! [`check_estimator!`](crate::check_estimator) expands to a module with one `#[test]` per check,
//! so `cargo test fit_idempotent` runs one check for every registered estimator, as
//! `pytest -k` would. The checks drive estimators through the dynamic layer
//! ([`DynEstimator`]), so one implementation serves classifiers, regressors, transformers and
//! clusterers alike; checks that do not apply to a kind report [`Outcome::NotApplicable`].
//!
//! ```
//! use oxlearn_core::dummy::DummyRegressor;
//! use oxlearn_core::check::{run, Outcome};
//! let outcome = run("feature_mismatch", &|| Box::new(DummyRegressor::default()), &[]);
//! assert_eq!(outcome, Ok(Outcome::Passed));
//! ```
//!
//! Known failures are registered with a reason (`expected_failures: [check => "why"]`) and must
//! still fail: a check that starts passing makes the test fail, so the list never goes stale.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder, s};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dynamic::{DynEstimator, DynFitted, EstimatorKind, Output, TargetView};
use crate::error::{Error, Input};
use crate::labels::Label;

/// Builds a fresh, unfitted estimator (the conformance suite calls it many times).
pub type Make<'a> = &'a dyn Fn() -> Box<dyn DynEstimator>;

/// The result of a check that did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The check ran and passed.
    Passed,
    /// The check does not apply to this estimator (why).
    NotApplicable(&'static str),
}

/// Every check, by name. [`check_estimator!`](crate::check_estimator) makes one test for each.
pub const CHECKS: &[&str] = &[
    "default_fits",
    "invalid_params_rejected",
    "fit_idempotent",
    "seed_deterministic",
    "inputs_not_mutated",
    "predict_repeatable",
    "feature_mismatch",
    "length_mismatch",
    "empty_rows",
    "empty_columns",
    "nonfinite_in_fit",
    "nonfinite_in_predict",
    "nonfinite_in_y",
    "one_sample",
    "one_feature",
    "batch_invariance",
    "output_shapes",
    "fit_transform_consistent",
    "strided_views",
    "serde_round_trip",
    "dyn_clone",
    "labels_round_trip",
    "single_class",
    "proba_consistent",
    "easy_problem",
    "clusterer_labels",
    "sample_weight",
];

type CheckResult = Result<Outcome, String>;

/// Runs one check by name. `invalid` builds estimators with absurd hyper-parameters, whose `fit`
/// must fail with [`Error::InvalidParam`].
pub fn run(check: &str, make: Make<'_>, invalid: &[Make<'_>]) -> CheckResult {
    let result = catch_unwind(AssertUnwindSafe(|| match check {
        "default_fits" => default_fits(make),
        "invalid_params_rejected" => invalid_params_rejected(make, invalid),
        "fit_idempotent" => fit_idempotent(make),
        "seed_deterministic" => seed_deterministic(make),
        "inputs_not_mutated" => inputs_not_mutated(make),
        "predict_repeatable" => predict_repeatable(make),
        "feature_mismatch" => feature_mismatch(make),
        "length_mismatch" => length_mismatch(make),
        "empty_rows" => empty_input(make, 0, 4),
        "empty_columns" => empty_input(make, 20, 0),
        "nonfinite_in_fit" => nonfinite_in_fit(make),
        "nonfinite_in_predict" => nonfinite_in_predict(make),
        "nonfinite_in_y" => nonfinite_in_y(make),
        "one_sample" => tiny_fit(make, 1, 3),
        "one_feature" => tiny_fit(make, 30, 1),
        "batch_invariance" => batch_invariance(make),
        "output_shapes" => output_shapes(make),
        "fit_transform_consistent" => fit_transform_consistent(make),
        "strided_views" => strided_views(make),
        "serde_round_trip" => serde_round_trip(make),
        "dyn_clone" => dyn_clone(make),
        "labels_round_trip" => labels_round_trip(make),
        "single_class" => single_class(make),
        "proba_consistent" => proba_consistent(make),
        "easy_problem" => easy_problem(make),
        "clusterer_labels" => clusterer_labels(make),
        "sample_weight" => sample_weight(make),
        other => Err(format!("unknown check {other:?}")),
    }));
    match result {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into());
            Err(format!("panicked: {msg}"))
        }
    }
}

/// Runs a check and panics (fails the test) unless the outcome matches the registration:
/// a check listed in `expected_failures` must fail, every other check must pass or not apply.
pub fn assert_check(check: &str, make: Make<'_>, invalid: &[Make<'_>], expected_failures: &[(&str, &str)]) {
    let expected = expected_failures.iter().find(|(name, _)| *name == check);
    match (run(check, make, invalid), expected) {
        (Ok(_), None) => {}
        (Err(msg), None) => panic!("check {check} failed for {}: {msg}", make().name()),
        (Err(_), Some(_)) => {}
        (Ok(outcome), Some((_, why))) => panic!(
            "check {check} was registered as a known failure for {} ({why}) but now gives {outcome:?}: remove it from expected_failures",
            make().name()
        ),
    }
}

/// The data a check fits on: an easy problem of the estimator's kind.
struct Problem {
    x: Array2<f64>,
    labels: Option<Array1<Label>>,
    values: Option<Array1<f64>>,
}

impl Problem {
    fn target(&self) -> TargetView<'_> {
        match (&self.labels, &self.values) {
            (Some(l), _) => TargetView::Labels(l.view()),
            (_, Some(v)) => TargetView::Values(v.view()),
            _ => TargetView::None,
        }
    }

    fn rows(&self, idx: &[usize]) -> Problem {
        Problem {
            x: self.x.select(Axis(0), idx),
            labels: self.labels.as_ref().map(|l| l.select(Axis(0), idx)),
            values: self.values.as_ref().map(|v| v.select(Axis(0), idx)),
        }
    }
}

/// Three well-separated Gaussian blobs in `m` dimensions, `n` rows, seeded. Classes are labelled
/// with non-contiguous integers (-1, 4, 7) so no estimator can assume `0..k`.
fn problem(kind: EstimatorKind, n: usize, m: usize, seed: u64) -> Problem {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let centres = [-4.0, 0.0, 4.0];
    let class: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let x = Array2::from_shape_fn((n, m), |(i, j)| {
        let noise: f64 = rng.r#gen::<f64>() - 0.5 + rng.r#gen::<f64>() - 0.5;
        centres[class[i]] * if j % 2 == 0 { 1.0 } else { -0.5 } + noise
    });
    let labels = [Label::Int(-1), Label::Int(4), Label::Int(7)];
    match kind {
        EstimatorKind::Classifier => {
            Problem { labels: Some(class.iter().map(|&c| labels[c].clone()).collect()), values: None, x }
        }
        EstimatorKind::Regressor => {
            let values = Array1::from_shape_fn(n, |i| {
                x.row(i).iter().enumerate().map(|(j, v)| v * (1.0 + j as f64 * 0.5)).sum::<f64>() + 3.0
            });
            Problem { labels: None, values: Some(values), x }
        }
        EstimatorKind::Transformer | EstimatorKind::Clusterer => Problem { labels: None, values: None, x },
    }
}

fn default_problem(make: Make<'_>) -> Problem {
    problem(make().kind(), 60, 4, 42)
}

fn fit(est: &dyn DynEstimator, p: &Problem) -> Result<Box<dyn DynFitted>, String> {
    est.fit_dyn(p.x.view(), p.target()).map_err(|e| format!("fit failed: {e}"))
}

fn predict(f: &dyn DynFitted, x: ArrayView2<'_, f64>) -> Result<Output, String> {
    f.predict_dyn(x).map_err(|e| format!("predict failed: {e}"))
}

/// Whether a fitted model is a transductive clusterer: it labels its training samples but has
/// no inductive `predict` (scikit-learn's DBSCAN, which offers `fit_predict` and `labels_` only).
fn transductive(f: &dyn DynFitted, x: ArrayView2<'_, f64>) -> bool {
    f.kind() == EstimatorKind::Clusterer && matches!(f.predict_dyn(x), Err(Error::Unsupported { .. }))
}

/// What a model fitted on `x` says about `x` itself: `predict(x)`, or for a transductive
/// clusterer its training `labels` (scikit-learn's `fit_predict`), so the checks that compare
/// predictions on the training rows also run for clusterers without `predict`.
fn predict_train(f: &dyn DynFitted, x: ArrayView2<'_, f64>) -> Result<Output, String> {
    if !transductive(f, x) {
        return predict(f, x);
    }
    let labels = f.labels_dyn().ok_or("a clusterer without labels")?;
    if labels.len() != x.nrows() {
        return Err(format!("{} training labels for {} rows", labels.len(), x.nrows()));
    }
    Ok(Output::Clusters(labels))
}

/// Whether two clusterings are the same partition up to renaming the clusters (noise, -1,
/// stays noise): a transductive clusterer may number its clusters by the order it meets them.
fn same_partition(a: &Output, b: &Output) -> Result<(), String> {
    let (Output::Clusters(x), Output::Clusters(y)) = (a, b) else {
        return Err(format!("not two clusterings:\n{a:?}\nvs\n{b:?}"));
    };
    let mut forward = std::collections::HashMap::new();
    let mut backward = std::collections::HashMap::new();
    let consistent = x.len() == y.len()
        && x.iter().zip(y).all(|(&p, &q)| {
            (p == -1) == (q == -1) && *forward.entry(p).or_insert(q) == q && *backward.entry(q).or_insert(p) == p
        });
    if consistent { Ok(()) } else { Err(format!("partitions differ:\n{a:?}\nvs\n{b:?}")) }
}

/// Compares two outputs: labels and clusters exactly, numbers to a relative 1e-9.
fn same(a: &Output, b: &Output) -> Result<(), String> {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs())) || (x.is_nan() && y.is_nan());
    let ok = match (a, b) {
        (Output::Labels(x), Output::Labels(y)) => x == y,
        (Output::Clusters(x), Output::Clusters(y)) => x == y,
        (Output::Values(x), Output::Values(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(*p, *q)),
        (Output::Matrix(x), Output::Matrix(y)) => x.dim() == y.dim() && x.iter().zip(y).all(|(p, q)| close(*p, *q)),
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("outputs differ:\n{a:?}\nvs\n{b:?}")) }
}

fn identical(a: &Output, b: &Output) -> Result<(), String> {
    if a == b || (same(a, b).is_ok() && format!("{a:?}") == format!("{b:?}")) {
        Ok(())
    } else {
        Err(format!("outputs are not bit-identical:\n{a:?}\nvs\n{b:?}"))
    }
}

/// `fit_weighted` as its tag says: with [`Tags::sample_weight`](crate::estimator::Tags), weights
/// of 1 give the unweighted model's predictions, and weights of the wrong length, negative or
/// non-finite are typed errors; without it, a typed `Unsupported` (or `InvalidParam`, for a
/// configuration such as a linfa backend that takes no weights), never a silent unweighted fit.
fn sample_weight(make: Make<'_>) -> CheckResult {
    let est = make();
    let p = default_problem(make);
    let n = p.x.nrows();
    let weighted = |w: &Array1<f64>| est.fit_weighted_dyn(p.x.view(), p.target(), w.view());
    if !est.tags().sample_weight {
        return match weighted(&Array1::ones(n)) {
            Err(Error::Unsupported { .. } | Error::InvalidParam { .. }) => Ok(Outcome::Passed),
            Err(other) => Err(format!("without the sample_weight tag expected Unsupported, got {other}")),
            Ok(_) => Err("fit_weighted succeeded but the sample_weight tag is not set".into()),
        };
    }
    let ones = weighted(&Array1::ones(n)).map_err(|e| format!("fit_weighted with weights of 1 failed: {e}"))?;
    let plain = fit(est.as_ref(), &p)?;
    same(&predict_train(ones.as_ref(), p.x.view())?, &predict_train(plain.as_ref(), p.x.view())?)
        .map_err(|e| format!("weights of 1 differ from the unweighted fit: {e}"))?;
    let mut negative = Array1::ones(n);
    negative[3] = -1.0;
    let mut nan = Array1::ones(n);
    nan[5] = f64::NAN;
    let bad =
        [(Array1::ones(n - 1), "too short"), (negative, "negative"), (nan, "NaN"), (Array1::zeros(n), "all zero")];
    for (w, what) in bad {
        match weighted(&w) {
            Err(Error::LengthMismatch { .. } | Error::NonFinite { .. } | Error::InvalidInput(_)) => {}
            Err(other) => return Err(format!("{what} weights: unexpected error {other}")),
            Ok(_) => return Err(format!("{what} weights were accepted")),
        }
    }
    Ok(Outcome::Passed)
}

fn default_fits(make: Make<'_>) -> CheckResult {
    let est = make();
    let p = default_problem(make);
    let fitted = fit(est.as_ref(), &p)?;
    predict_train(fitted.as_ref(), p.x.view())?;
    if fitted.n_features_in() != p.x.ncols() {
        return Err(format!("n_features_in is {}, expected {}", fitted.n_features_in(), p.x.ncols()));
    }
    Ok(Outcome::Passed)
}

fn invalid_params_rejected(make: Make<'_>, invalid: &[Make<'_>]) -> CheckResult {
    if invalid.is_empty() {
        return Ok(Outcome::NotApplicable("no invalid parameter sets registered"));
    }
    let p = default_problem(make);
    for bad in invalid {
        let est = bad();
        match est.fit_dyn(p.x.view(), p.target()) {
            Err(Error::InvalidParam { .. }) => {}
            Err(other) => return Err(format!("{est:?}: expected InvalidParam, got {other}")),
            Ok(_) => return Err(format!("{est:?}: fit accepted invalid parameters")),
        }
    }
    Ok(Outcome::Passed)
}

fn fit_idempotent(make: Make<'_>) -> CheckResult {
    let est = make();
    let p = default_problem(make);
    let a = predict_train(fit(est.as_ref(), &p)?.as_ref(), p.x.view())?;
    let b = predict_train(fit(est.as_ref(), &p)?.as_ref(), p.x.view())?;
    identical(&a, &b)?;
    Ok(Outcome::Passed)
}

fn seed_deterministic(make: Make<'_>) -> CheckResult {
    let p = default_problem(make);
    let a = fit(make().as_ref(), &p)?;
    let b = fit(make().as_ref(), &p)?;
    identical(&predict_train(a.as_ref(), p.x.view())?, &predict_train(b.as_ref(), p.x.view())?)?;
    if a.kind() == EstimatorKind::Classifier
        && let (Ok(pa), Ok(pb)) = (a.predict_proba_dyn(p.x.view()), b.predict_proba_dyn(p.x.view()))
    {
        identical(&Output::Matrix(pa), &Output::Matrix(pb))?;
    }
    Ok(Outcome::Passed)
}

fn inputs_not_mutated(make: Make<'_>) -> CheckResult {
    // `X` and `y` reach estimators as immutable views, so safe code cannot change them; what is
    // left to check is code behind `unsafe` / FFI and hyper-parameters changed through interior
    // mutability during fit or predict (scikit-learn's check_dont_overwrite_parameters).
    let est = make();
    let p = default_problem(make);
    let before = (p.x.clone(), p.labels.clone(), p.values.clone(), format!("{est:?}"));
    let fitted = fit(est.as_ref(), &p)?;
    let fitted_before = format!("{:?}", fitted.state().ok());
    predict_train(fitted.as_ref(), p.x.view())?;
    let _ = fitted.predict_proba_dyn(p.x.view());
    if p.x != before.0 || p.labels != before.1 || p.values != before.2 {
        return Err("fit or predict changed X or y".into());
    }
    if format!("{est:?}") != before.3 {
        return Err(format!("fit changed the hyper-parameters:\nbefore {}\nafter  {est:?}", before.3));
    }
    if format!("{:?}", fitted.state().ok()) != fitted_before {
        return Err("predict changed the fitted model".into());
    }
    Ok(Outcome::Passed)
}

fn predict_repeatable(make: Make<'_>) -> CheckResult {
    if !make().tags().batch_invariant {
        return Ok(Outcome::NotApplicable("predictions are random by design"));
    }
    let p = default_problem(make);
    let fitted = fit(make().as_ref(), &p)?;
    identical(&predict_train(fitted.as_ref(), p.x.view())?, &predict_train(fitted.as_ref(), p.x.view())?)?;
    if transductive(fitted.as_ref(), p.x.view()) {
        // No predict to repeat: refitting a clone on the same rows must give the same labels
        // (scikit-learn's fit_predict twice), and predict must keep refusing new rows cleanly.
        let again = fit(make().clone_box().as_ref(), &p)?;
        identical(&predict_train(fitted.as_ref(), p.x.view())?, &predict_train(again.as_ref(), p.x.view())?)?;
        if !transductive(fitted.as_ref(), p.x.slice(s![..5, ..])) {
            return Err("predict is unsupported on the training rows but not on a subset".into());
        }
    }
    Ok(Outcome::Passed)
}

fn expect_feature_mismatch(
    result: crate::error::Result<impl std::fmt::Debug>,
    expected: usize,
    got: usize,
    what: &str,
) -> Result<(), String> {
    match result {
        Err(Error::FeatureMismatch { expected: e, got: g, .. }) if e == expected && g == got => Ok(()),
        Err(Error::Unsupported { .. }) => Ok(()),
        Err(other) => Err(format!(
            "{what} with {got} features: expected FeatureMismatch {{ expected: {expected}, got: {got} }}, got {other}"
        )),
        Ok(_) => Err(format!("{what} accepted {got} features after fitting on {expected}")),
    }
}

fn feature_mismatch(make: Make<'_>) -> CheckResult {
    let p = default_problem(make);
    let fitted = fit(make().as_ref(), &p)?;
    let m = p.x.ncols();
    for width in [m + 1, m - 1] {
        let x = Array2::<f64>::ones((5, width));
        expect_feature_mismatch(fitted.predict_dyn(x.view()), m, width, "predict")?;
        if fitted.kind() == EstimatorKind::Classifier {
            expect_feature_mismatch(fitted.predict_proba_dyn(x.view()), m, width, "predict_proba")?;
        }
    }
    Ok(Outcome::Passed)
}

fn length_mismatch(make: Make<'_>) -> CheckResult {
    let est = make();
    let p = default_problem(make);
    let short = p.rows(&(0..p.x.nrows() - 1).collect::<Vec<_>>());
    let target = short.target();
    if target.is_empty() {
        return Ok(Outcome::NotApplicable("unsupervised"));
    }
    match est.fit_dyn(p.x.view(), target) {
        Err(Error::LengthMismatch { x_rows, other_rows, .. })
            if x_rows == p.x.nrows() && other_rows == p.x.nrows() - 1 =>
        {
            Ok(Outcome::Passed)
        }
        Err(other) => Err(format!("expected LengthMismatch, got {other}")),
        Ok(_) => Err("fit accepted y shorter than X".into()),
    }
}

fn empty_input(make: Make<'_>, rows: usize, cols: usize) -> CheckResult {
    let est = make();
    let x = Array2::<f64>::zeros((rows, cols));
    let p = problem(est.kind(), rows, cols.max(1), 0);
    let target = p.target();
    match est.fit_dyn(x.view(), target) {
        Err(Error::EmptyInput { rows: r, cols: c, .. }) if r == rows && c == cols => Ok(Outcome::Passed),
        Err(other) => Err(format!("fit on {rows}x{cols}: expected EmptyInput, got {other}")),
        Ok(_) => Err(format!("fit accepted a {rows}x{cols} matrix")),
    }
}

fn nonfinite_in_fit(make: Make<'_>) -> CheckResult {
    let est = make();
    let allow_nan = est.tags().allow_nan;
    for (value, is_nan) in [(f64::NAN, true), (f64::INFINITY, false), (f64::NEG_INFINITY, false)] {
        let mut p = default_problem(make);
        p.x[[7, 2]] = value;
        match est.fit_dyn(p.x.view(), p.target()) {
            Err(Error::NonFinite { input: Input::X, row: 7, column: Some(2), .. }) if !(is_nan && allow_nan) => {}
            Ok(_) if is_nan && allow_nan => {}
            Err(other) => return Err(format!("fit with {value} at (7, 2): got {other}")),
            Ok(_) => return Err(format!("fit accepted {value} at (7, 2)")),
        }
    }
    Ok(Outcome::Passed)
}

fn nonfinite_in_predict(make: Make<'_>) -> CheckResult {
    let p = default_problem(make);
    let fitted = fit(make().as_ref(), &p)?;
    let allow_nan = make().tags().allow_nan;
    for value in [f64::NAN, f64::INFINITY] {
        let mut x = p.x.slice(s![..10, ..]).to_owned();
        x[[3, 1]] = value;
        match fitted.predict_dyn(x.view()) {
            Err(Error::NonFinite { input: Input::X, row: 3, column: Some(1), .. }) => {}
            Ok(_) if value.is_nan() && allow_nan => {}
            Err(Error::Unsupported { .. }) => {}
            Err(other) => return Err(format!("predict with {value} at (3, 1): got {other}")),
            Ok(_) => return Err(format!("predict accepted {value} at (3, 1)")),
        }
    }
    Ok(Outcome::Passed)
}

fn nonfinite_in_y(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.kind() != EstimatorKind::Regressor {
        return Ok(Outcome::NotApplicable("y holds no real values"));
    }
    let mut p = default_problem(make);
    if let Some(v) = p.values.as_mut() {
        v[5] = f64::NAN;
    }
    match est.fit_dyn(p.x.view(), p.target()) {
        Err(Error::NonFinite { input: Input::Y, row: 5, .. }) => Ok(Outcome::Passed),
        Err(other) => Err(format!("fit with NaN in y[5]: expected NonFinite in y, got {other}")),
        Ok(_) => Err("fit accepted NaN in y".into()),
    }
}

fn tiny_fit(make: Make<'_>, rows: usize, cols: usize) -> CheckResult {
    // Either works or fails with a typed error; a panic is caught by `run` and fails the check.
    let est = make();
    let p = problem(est.kind(), rows, cols, 3);
    if let Ok(fitted) = est.fit_dyn(p.x.view(), p.target()) {
        let out = predict_train(fitted.as_ref(), p.x.view());
        if let Ok(out) = out
            && out.len() != rows
        {
            return Err(format!("predict on {rows} rows gave {} outputs", out.len()));
        }
    }
    Ok(Outcome::Passed)
}

fn batch_invariance(make: Make<'_>) -> CheckResult {
    if !make().tags().batch_invariant {
        return Ok(Outcome::NotApplicable("predictions depend on the batch by design"));
    }
    let p = default_problem(make);
    let fitted = fit(make().as_ref(), &p)?;
    if transductive(fitted.as_ref(), p.x.view()) {
        // Without predict, batch invariance means the partition does not depend on the row
        // order (the neighborhood search is chunked across threads): fit on the reversed rows
        // and compare, up to cluster numbering, with the labels of the rows in order.
        let whole = predict_train(fitted.as_ref(), p.x.view())?;
        let rev: Vec<usize> = (0..p.x.nrows()).rev().collect();
        let reversed_problem = p.rows(&rev);
        let reversed = predict_train(fit(make().as_ref(), &reversed_problem)?.as_ref(), reversed_problem.x.view())?;
        same_partition(&whole, &reorder(&reversed, &rev))
            .map_err(|e| format!("fitting on reversed rows changes the clusters: {e}"))?;
        return Ok(Outcome::Passed);
    }
    let whole = predict(fitted.as_ref(), p.x.view())?;
    // Row by row.
    let rows: Vec<Output> =
        (0..p.x.nrows()).map(|i| predict(fitted.as_ref(), p.x.slice(s![i..=i, ..]))).collect::<Result<_, _>>()?;
    let stacked = stack(&rows)?;
    same(&whole, &stacked).map_err(|e| format!("row by row differs from the whole batch: {e}"))?;
    // Reversed order, mapped back.
    let rev: Vec<usize> = (0..p.x.nrows()).rev().collect();
    let reversed = predict(fitted.as_ref(), p.x.select(Axis(0), &rev).view())?;
    same(&whole, &reorder(&reversed, &rev)).map_err(|e| format!("reordering rows changes predictions: {e}"))?;
    Ok(Outcome::Passed)
}

fn stack(parts: &[Output]) -> Result<Output, String> {
    Ok(match parts.first() {
        Some(Output::Labels(_)) => Output::Labels(
            parts.iter().flat_map(|o| if let Output::Labels(v) = o { v.to_vec() } else { vec![] }).collect(),
        ),
        Some(Output::Values(_)) => Output::Values(
            parts.iter().flat_map(|o| if let Output::Values(v) = o { v.to_vec() } else { vec![] }).collect(),
        ),
        Some(Output::Clusters(_)) => Output::Clusters(
            parts.iter().flat_map(|o| if let Output::Clusters(v) = o { v.to_vec() } else { vec![] }).collect(),
        ),
        Some(Output::Matrix(_)) => {
            let views: Vec<_> =
                parts.iter().filter_map(|o| if let Output::Matrix(m) = o { Some(m.view()) } else { None }).collect();
            Output::Matrix(ndarray::concatenate(Axis(0), &views).map_err(|e| e.to_string())?)
        }
        None => return Err("no rows".into()),
    })
}

/// Undoes a row permutation: `out[perm[i]] = o[i]`.
fn reorder(o: &Output, perm: &[usize]) -> Output {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    match o {
        Output::Labels(v) => Output::Labels(v.select(Axis(0), &inv)),
        Output::Values(v) => Output::Values(v.select(Axis(0), &inv)),
        Output::Clusters(v) => Output::Clusters(v.select(Axis(0), &inv)),
        Output::Matrix(m) => Output::Matrix(m.select(Axis(0), &inv)),
    }
}

fn output_shapes(make: Make<'_>) -> CheckResult {
    let p = default_problem(make);
    let mut fitted = fit(make().as_ref(), &p)?;
    let x = p.x.slice(s![..13, ..]);
    let out = if transductive(fitted.as_ref(), x) {
        // The labels of a clusterer without predict cover the rows it was fitted on.
        fitted = fit(make().as_ref(), &p.rows(&(0..13).collect::<Vec<_>>()))?;
        predict_train(fitted.as_ref(), x)?
    } else {
        predict(fitted.as_ref(), x)?
    };
    if out.len() != 13 {
        return Err(format!("predict on 13 rows gave {} rows", out.len()));
    }
    match (fitted.kind(), &out) {
        (EstimatorKind::Classifier, Output::Labels(_))
        | (EstimatorKind::Regressor, Output::Values(_))
        | (EstimatorKind::Clusterer, Output::Clusters(_)) => {}
        (EstimatorKind::Transformer, Output::Matrix(m)) => {
            let names = fitted.feature_names_out(None).map_err(|e| e.to_string())?;
            if names.len() != m.ncols() {
                return Err(format!("transform gives {} columns but feature_names_out has {}", m.ncols(), names.len()));
            }
        }
        (kind, out) => return Err(format!("a {kind:?} returned {out:?}")),
    }
    if let (Some(classes), Ok(proba)) = (fitted.classes(), fitted.predict_proba_dyn(x))
        && proba.dim() != (13, classes.len())
    {
        return Err(format!("predict_proba shape {:?}, expected (13, {})", proba.dim(), classes.len()));
    }
    Ok(Outcome::Passed)
}

fn fit_transform_consistent(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.kind() != EstimatorKind::Transformer {
        return Ok(Outcome::NotApplicable("not a transformer"));
    }
    let p = default_problem(make);
    let (fitted, direct) =
        est.fit_transform_dyn(p.x.view(), p.target()).map_err(|e| format!("fit_transform failed: {e}"))?;
    let via = fitted.transform_dyn(p.x.view()).map_err(|e| format!("transform failed: {e}"))?;
    same(&Output::Matrix(direct), &Output::Matrix(via))
        .map_err(|e| format!("fit_transform differs from fit then transform: {e}"))?;
    Ok(Outcome::Passed)
}

fn strided_views(make: Make<'_>) -> CheckResult {
    let p = default_problem(make);
    let reference = predict_train(fit(make().as_ref(), &p)?.as_ref(), p.x.view())?;
    // Fortran (column-major) order.
    let mut fortran = Array2::<f64>::zeros(p.x.dim().f());
    fortran.assign(&p.x);
    let f = Problem { x: fortran, labels: p.labels.clone(), values: p.values.clone() };
    let out = predict_train(fit(make().as_ref(), &f)?.as_ref(), f.x.view())?;
    same(&reference, &out).map_err(|e| format!("column-major input changes the result: {e}"))?;
    // A strided view: every other column of a wider matrix, every other row of a taller one.
    let (n, m) = p.x.dim();
    let mut wide = Array2::<f64>::from_elem((2 * n, 2 * m), 1e300);
    wide.slice_mut(s![..;2, ..;2]).assign(&p.x);
    let view = wide.slice(s![..;2, ..;2]);
    let fitted = make().fit_dyn(view, p.target()).map_err(|e| format!("fit on a strided view failed: {e}"))?;
    let out = predict_train(fitted.as_ref(), view)?;
    same(&reference, &out).map_err(|e| format!("strided view changes the result: {e}"))?;
    Ok(Outcome::Passed)
}

fn serde_round_trip(make: Make<'_>) -> CheckResult {
    let est = make();
    let p = default_problem(make);
    let fitted = fit(est.as_ref(), &p)?;
    let state = fitted.state().map_err(|e| format!("state failed: {e}"))?;
    let text = serde_json::to_string(&state).map_err(|e| e.to_string())?;
    let back: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let loaded = est.load_fitted(back).map_err(|e| format!("load_fitted failed: {e}"))?;
    identical(&predict_train(fitted.as_ref(), p.x.view())?, &predict_train(loaded.as_ref(), p.x.view())?)?;
    if let (Ok(a), Ok(b)) = (fitted.predict_proba_dyn(p.x.view()), loaded.predict_proba_dyn(p.x.view())) {
        identical(&Output::Matrix(a), &Output::Matrix(b))?;
    }
    Ok(Outcome::Passed)
}

fn dyn_clone(make: Make<'_>) -> CheckResult {
    let est = make();
    let p = default_problem(make);
    let cloned = est.clone_box();
    let a = fit(est.as_ref(), &p)?;
    let b = fit(cloned.as_ref(), &p)?;
    identical(&predict_train(a.as_ref(), p.x.view())?, &predict_train(b.as_ref(), p.x.view())?)?;
    identical(&predict_train(a.as_ref(), p.x.view())?, &predict_train(a.clone_box().as_ref(), p.x.view())?)?;
    Ok(Outcome::Passed)
}

fn labels_round_trip(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.kind() != EstimatorKind::Classifier {
        return Ok(Outcome::NotApplicable("not a classifier"));
    }
    let mut p = default_problem(make);
    let names = ["spam", "eggs", "ham"];
    let labels = p.labels.take().expect("classifier problem").mapv(|l| match l {
        Label::Int(-1) => Label::from(names[0]),
        Label::Int(4) => Label::from(names[1]),
        _ => Label::from(names[2]),
    });
    let fitted = est
        .fit_dyn(p.x.view(), TargetView::Labels(labels.view()))
        .map_err(|e| format!("fit with string labels failed: {e}"))?;
    let classes = fitted.classes().ok_or("a classifier without classes()")?;
    let expected: Vec<Label> = vec!["eggs".into(), "ham".into(), "spam".into()];
    if classes != expected {
        return Err(format!("classes() is {classes:?}, expected the sorted labels {expected:?}"));
    }
    match predict(fitted.as_ref(), p.x.view())? {
        Output::Labels(pred) if pred.iter().all(|l| expected.contains(l)) => Ok(Outcome::Passed),
        other => Err(format!("predictions are not among the training labels: {other:?}")),
    }
}

fn single_class(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.kind() != EstimatorKind::Classifier {
        return Ok(Outcome::NotApplicable("not a classifier"));
    }
    let p = default_problem(make);
    let one = Array1::from_elem(p.x.nrows(), Label::from("only"));
    match est.fit_dyn(p.x.view(), TargetView::Labels(one.view())) {
        Ok(fitted) => match predict(fitted.as_ref(), p.x.view())? {
            Output::Labels(pred) if pred.iter().all(|l| *l == Label::from("only")) => Ok(Outcome::Passed),
            other => Err(format!("one class in, other predictions out: {other:?}")),
        },
        Err(Error::InvalidInput(_)) | Err(Error::InvalidParam { .. }) => Ok(Outcome::Passed),
        Err(other) => Err(format!("one class: expected success or InvalidInput, got {other}")),
    }
}

fn proba_consistent(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.kind() != EstimatorKind::Classifier {
        return Ok(Outcome::NotApplicable("not a classifier"));
    }
    let p = default_problem(make);
    let fitted = fit(est.as_ref(), &p)?;
    let proba = match fitted.predict_proba_dyn(p.x.view()) {
        Ok(proba) => proba,
        Err(Error::Unsupported { .. }) => return Ok(Outcome::NotApplicable("no predict_proba")),
        Err(e) => return Err(format!("predict_proba failed: {e}")),
    };
    for (i, row) in proba.outer_iter().enumerate() {
        let sum: f64 = row.sum();
        if (sum - 1.0).abs() > 1e-9 || row.iter().any(|&v| !(0.0..=1.0).contains(&v)) {
            return Err(format!("probabilities of row {i} are {row} (sum {sum})"));
        }
    }
    if est.tags().batch_invariant {
        let classes = fitted.classes().ok_or("a classifier without classes()")?;
        if let Output::Labels(pred) = predict(fitted.as_ref(), p.x.view())? {
            for (i, row) in proba.outer_iter().enumerate() {
                let best = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let idx = classes.iter().position(|c| *c == pred[i]).ok_or("prediction not in classes")?;
                // Ties may go either way; the predicted class must reach the maximum.
                if row[idx] < best - 1e-12 {
                    return Err(format!("row {i}: predict gives {:?} but predict_proba is {row}", pred[i]));
                }
            }
        }
    }
    Ok(Outcome::Passed)
}

fn easy_problem(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.tags().poor_score {
        return Ok(Outcome::NotApplicable("tagged poor_score"));
    }
    let train = problem(est.kind(), 90, 4, 7);
    let test = problem(est.kind(), 45, 4, 8);
    let fitted = fit(est.as_ref(), &train)?;
    if fitted.kind() == EstimatorKind::Clusterer {
        // The clusters of the training blobs must recover the three blobs (scikit-learn scores
        // clusterers the same way, through fit_predict); new rows too where there is a predict.
        let truth: Array1<usize> = (0..train.x.nrows()).map(|i| i % 3).collect();
        let found = match predict_train(fitted.as_ref(), train.x.view())? {
            Output::Clusters(found) => found,
            other => return Err(format!("a clusterer returned {other:?}")),
        };
        let ari = crate::metrics::adjusted_rand_score(truth.view(), found.view()).map_err(|e| e.to_string())?;
        if ari < 0.8 {
            return Err(format!("adjusted Rand index {ari:.3} < 0.8 on three separable blobs"));
        }
        return Ok(Outcome::Passed);
    }
    match predict(fitted.as_ref(), test.x.view())? {
        Output::Labels(pred) => {
            let truth = test.labels.as_ref().expect("labels");
            let acc = crate::metrics::accuracy_score(truth.view(), pred.view()).map_err(|e| e.to_string())?;
            if acc < 0.8 {
                return Err(format!("accuracy {acc:.3} < 0.8 on separable blobs"));
            }
        }
        Output::Values(pred) => {
            let truth = test.values.as_ref().expect("values");
            let r2 = crate::metrics::r2_score(truth.view(), pred.view()).map_err(|e| e.to_string())?;
            if r2 < 0.5 {
                return Err(format!("R^2 {r2:.3} < 0.5 on a noiseless linear problem"));
            }
        }
        Output::Clusters(_) | Output::Matrix(_) => {
            return Ok(Outcome::NotApplicable("no score for this kind"));
        }
    }
    Ok(Outcome::Passed)
}

fn clusterer_labels(make: Make<'_>) -> CheckResult {
    let est = make();
    if est.kind() != EstimatorKind::Clusterer {
        return Ok(Outcome::NotApplicable("not a clusterer"));
    }
    let p = default_problem(make);
    let fitted = fit(est.as_ref(), &p)?;
    let n_clusters = fitted.as_ref().n_clusters_dyn().ok_or("a clusterer without n_clusters")?;
    let labels = fitted.as_ref().labels_dyn().ok_or("a clusterer without labels")?;
    if labels.len() != p.x.nrows() {
        return Err(format!("{} labels for {} rows", labels.len(), p.x.nrows()));
    }
    if let Some(bad) = labels.iter().find(|&&l| l < -1 || l >= n_clusters as i64) {
        return Err(format!("label {bad} outside -1..{n_clusters}"));
    }
    Ok(Outcome::Passed)
}

/// Registers an estimator with the conformance suite: one `#[test]` per check in
/// [`CHECKS`], in a module named after the first argument.
///
/// ```text
/// oxlearn_core::check_estimator!(ridge, Ridge::default());
/// oxlearn_core::check_estimator!(ridge_bad, Ridge::default(), invalid: [Ridge::default().alpha(-1.0)]);
/// oxlearn_core::check_estimator!(kmeans, KMeans::default().seed(0),
///     expected_failures: [batch_invariance => "why it fails"]);
/// ```
#[macro_export]
macro_rules! check_estimator {
    ($name:ident, $ctor:expr) => {
        $crate::check_estimator!($name, $ctor, invalid: [], expected_failures: []);
    };
    ($name:ident, $ctor:expr, invalid: [$($bad:expr),* $(,)?]) => {
        $crate::check_estimator!($name, $ctor, invalid: [$($bad),*], expected_failures: []);
    };
    ($name:ident, $ctor:expr, expected_failures: [$($check:ident => $why:literal),* $(,)?]) => {
        $crate::check_estimator!($name, $ctor, invalid: [], expected_failures: [$($check => $why),*]);
    };
    ($name:ident, $ctor:expr, invalid: [$($bad:expr),* $(,)?], expected_failures: [$($check:ident => $why:literal),* $(,)?]) => {
        #[allow(unused_imports, clippy::redundant_closure)]
        mod $name {
            use super::*;

            fn make() -> ::std::boxed::Box<dyn $crate::DynEstimator> {
                ::std::boxed::Box::new($ctor)
            }

            fn invalid() -> ::std::vec::Vec<::std::boxed::Box<dyn Fn() -> ::std::boxed::Box<dyn $crate::DynEstimator>>> {
                ::std::vec![$(::std::boxed::Box::new(|| -> ::std::boxed::Box<dyn $crate::DynEstimator> { ::std::boxed::Box::new($bad) })),*]
            }

            const EXPECTED_FAILURES: &[(&str, &str)] = &[$((stringify!($check), $why)),*];

            fn check(name: &str) {
                let invalid = invalid();
                let invalid: ::std::vec::Vec<&dyn Fn() -> ::std::boxed::Box<dyn $crate::DynEstimator>> = invalid.iter().map(|b| b.as_ref()).collect();
                $crate::check::assert_check(name, &make, &invalid, EXPECTED_FAILURES);
            }

            #[test]
            fn send_sync_static_default() {
                fn assert_contract<T: $crate::Estimator>(_: &T) {}
                let typed = $ctor;
                assert_contract(&typed);
                // Default equals itself through Debug and Clone (no logic in construction).
                assert_eq!(format!("{:?}", $crate::check::default_of(&typed)), format!("{:?}", $crate::check::default_of(&typed).clone()));
            }

            $crate::__check_tests!(check;
                default_fits, invalid_params_rejected, fit_idempotent, seed_deterministic,
                inputs_not_mutated, predict_repeatable, feature_mismatch, length_mismatch,
                empty_rows, empty_columns, nonfinite_in_fit, nonfinite_in_predict, nonfinite_in_y,
                one_sample, one_feature, batch_invariance, output_shapes, fit_transform_consistent,
                strided_views, serde_round_trip, dyn_clone, labels_round_trip, single_class,
                proba_consistent, easy_problem, clusterer_labels, sample_weight);
        }
    };
}

/// Expands to one test per check name (an implementation detail of [`check_estimator!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __check_tests {
    ($runner:ident; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $runner(stringify!($check));
            }
        )*
    };
}

/// `T::default()` for the estimator type of a value (used by [`check_estimator!`]).
pub fn default_of<T: crate::Estimator>(_: &T) -> T {
    T::default()
}
