//! Splitters, cross-validation and searches.

use ndarray::{Array1, Array2};
use oxlearn_algorithms::{DecisionTreeClassifier, LogisticRegression, Ridge};
use oxlearn_core::dummy::DummyRegressor;
use oxlearn_core::{Error, Label, Output, ParamValue};
use oxlearn_pipeline::*;
use oxlearn_preprocessing::{ColumnTransformer, Columns, SimpleImputer, StandardScaler};

use crate::common::iris_frame;

fn labels(v: &[i64]) -> Target {
    Target::Labels(v.iter().map(|&c| Label::Int(c)).collect())
}

#[test]
fn kfold_sizes_match_sklearn() {
    let folds = KFold::new(3).split(10, None, None).unwrap();
    let tests: Vec<Vec<usize>> = folds.iter().map(|f| f.1.clone()).collect();
    assert_eq!(tests, vec![vec![0, 1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]]);
    assert!(KFold::new(11).split(10, None, None).is_err());
    assert!(KFold::new(1).split(10, None, None).is_err());
    let shuffled = KFold::new(3).seed(1).split(10, None, None).unwrap();
    let mut all: Vec<usize> = shuffled.iter().flat_map(|f| f.1.clone()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

#[test]
fn stratified_kfold_matches_sklearn() {
    // sklearn: StratifiedKFold(3).split(X, [0,0,0,0,1,1,1,1,1,1]) test folds
    // [0,1,4,5], [2,6,7], [3,8,9].
    let y = labels(&[0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    let folds = StratifiedKFold::new(3).split(10, Some(&y), None).unwrap();
    let tests: Vec<Vec<usize>> = folds.iter().map(|f| f.1.clone()).collect();
    assert_eq!(tests, vec![vec![0, 1, 4, 5], vec![2, 6, 7], vec![3, 8, 9]]);
    assert!(StratifiedKFold::new(3).split(10, None, None).is_err());
}

#[test]
fn group_time_series_and_shuffle_splits() {
    let groups = [1i64, 1, 1, 2, 2, 3, 4, 4, 4, 4];
    let folds = GroupKFold::new(2).split(10, None, Some(&groups)).unwrap();
    for (train, test) in &folds {
        for &t in test {
            assert!(train.iter().all(|&r| groups[r] != groups[t]));
        }
    }
    assert!(GroupKFold::new(5).split(10, None, Some(&groups)).is_err());
    let ts = TimeSeriesSplit::new(3).split(8, None, None).unwrap();
    // sklearn: TimeSeriesSplit(3) on 8 samples: test [2,3], [4,5], [6,7].
    assert_eq!(ts[0], (vec![0, 1], vec![2, 3]));
    assert_eq!(ts[2], (vec![0, 1, 2, 3, 4, 5], vec![6, 7]));
    let ss = ShuffleSplit::new(4).test_size(0.3).seed(0).split(10, None, None).unwrap();
    assert_eq!(ss.len(), 4);
    assert!(ss.iter().all(|(tr, te)| tr.len() == 7 && te.len() == 3));
}

#[test]
fn train_test_split_stratifies() {
    let iris = oxlearn_datasets::iris();
    let s = train_test_split(&iris.x, &iris.y).test_size(0.2).stratify(true).seed(3).split().unwrap();
    assert_eq!(s.x_test.nrows(), 30);
    for c in 0..3 {
        assert_eq!(s.y_test.iter().filter(|&&v| v == c).count(), 10);
    }
    let again = train_test_split(&iris.x, &iris.y).test_size(0.2).stratify(true).seed(3).split().unwrap();
    assert_eq!(s, again);
    assert!(train_test_split(&iris.x, &iris.y).test_size(1.5).split().is_err());
    let (tr, te) = train_test_split_frame(&iris_frame(), 0.2, Some("species"), 0).unwrap();
    assert_eq!((tr.height(), te.height()), (120, 30));
}

fn frame_pipe() -> Pipeline {
    let prep = ColumnTransformer::new().add(
        "num",
        SimpleImputer::median().then(StandardScaler::default()),
        Columns::numeric(),
    );
    Pipeline::new().step("prep", prep).step("model", LogisticRegression::default())
}

#[test]
fn cross_validate_on_a_frame() {
    let df = iris_frame();
    let r = cross_validate(
        &frame_pipe(),
        &df,
        "species",
        StratifiedKFold::new(5),
        &["accuracy", "f1_macro", "neg_log_loss", "roc_auc_ovr"],
    )
    .unwrap();
    assert_eq!(r.test_score("accuracy").unwrap().len(), 5);
    assert!(r.mean("accuracy").unwrap() > 0.85, "{r:?}");
    assert!(r.mean("neg_log_loss").unwrap() < 0.0);
    assert!(r.mean("roc_auc_ovr").unwrap() > 0.9);
    assert_eq!(r.to_frame().unwrap().height(), 5);
    // Results do not depend on the thread count.
    let one = cross_validate_with(
        &frame_pipe(),
        CvData::frame(&df, "species"),
        &StratifiedKFold::new(5),
        &["accuracy"],
        &CvOptions { n_jobs: Some(1), ..CvOptions::default() },
    )
    .unwrap();
    assert_eq!(one.test_scores[0], r.test_scores[0]);
    let e = cross_validate(&frame_pipe(), &df, "species", 5, &["nope"]).unwrap_err();
    assert!(matches!(e, Error::InvalidParam { .. }));
}

#[test]
fn cross_validate_matches_manual_folds() {
    let d = oxlearn_datasets::diabetes();
    let r = cross_validate_xy(&Ridge::default(), &d.x, &d.y, KFold::new(4), &["r2", "neg_mean_squared_error"]).unwrap();
    let folds = KFold::new(4).split(d.x.nrows(), None, None).unwrap();
    use oxlearn_core::prelude::*;
    for (k, (train, test)) in folds.iter().enumerate() {
        let sel = |idx: &[usize]| d.x.select(ndarray::Axis(0), idx);
        let y: Array1<f64> = train.iter().map(|&i| d.y[i]).collect();
        let yt: Array1<f64> = test.iter().map(|&i| d.y[i]).collect();
        let m = Ridge::default().fit(&sel(train), &y).unwrap();
        assert_eq!(r.test_scores[0][k], m.score(&sel(test), &yt).unwrap());
    }
}

#[test]
fn cross_val_predict_and_curves() {
    let iris = oxlearn_datasets::iris();
    let data = || CvData::xy(&iris.x, &iris.y);
    let Output::Labels(p) = cross_val_predict(&LogisticRegression::default(), data(), StratifiedKFold::new(5)).unwrap()
    else {
        panic!("labels")
    };
    let acc = p.iter().zip(&iris.y).filter(|(a, b)| **a == Label::Int(**b)).count() as f64 / 150.0;
    assert!(acc > 0.9);
    let scores = cross_val_score(&LogisticRegression::default(), data(), 5, "balanced_accuracy").unwrap();
    assert_eq!(scores.len(), 5);
    let d = oxlearn_datasets::diabetes();
    let lc =
        learning_curve(&Ridge::default(), CvData::xy(&d.x, &d.y), KFold::new(3).seed(0), &[0.3, 1.0], "r2").unwrap();
    assert_eq!(lc.train_sizes, vec![88, 294]);
    assert_eq!(lc.test_scores.len(), 2);
    let (train, test) = validation_curve(
        &DecisionTreeClassifier::default(),
        data(),
        3,
        "max_depth",
        &[ParamValue::Int(1), ParamValue::None],
        "accuracy",
    )
    .unwrap();
    assert!(train[1].iter().all(|&s| s == 1.0));
    assert!(test[0].iter().all(|&s| s < 0.7));
}

#[test]
fn grid_search_on_a_frame_picks_and_refits() {
    let df = iris_frame();
    let search = GridSearchCV::new(frame_pipe())
        .param("model__C", [0.001, 1.0, 10.0])
        .param("model__max_iter", [50, 200])
        .cv(StratifiedKFold::new(3))
        .scoring("accuracy")
        .n_jobs(2)
        .fit_frame(&df, "species")
        .unwrap();
    assert_eq!(search.candidates().len(), 6);
    assert_ne!(search.best_params()[0].1, ParamValue::Float(0.001));
    let table = search.cv_results();
    assert_eq!(table.height(), 6);
    for col in [
        "params",
        "param_model__C",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "split2_test_score",
        "mean_fit_time",
    ] {
        assert!(table.column(col).is_ok(), "{col}");
    }
    let ranks = table.column("rank_test_score").unwrap().i32().unwrap().get(search.best_index()).unwrap();
    assert_eq!(ranks, 1);
    let pred = search.predict_frame(&df).unwrap();
    assert_eq!(pred.len(), 150);
    // Unknown parameters fail before any fit.
    let e = GridSearchCV::new(frame_pipe()).param("model__nope", [1]).fit_frame(&df, "species").unwrap_err();
    assert!(matches!(e, Error::InvalidParam { .. }));
}

#[test]
fn randomized_search_and_multi_metric() {
    let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * 3 + j * 5) % 17) as f64);
    let y = Array1::from_shape_fn(40, |i| (i % 7) as f64);
    let s = RandomizedSearchCV::new(Ridge::default())
        .param_dist("alpha", Distribution::LogUniform(1e-3, 1e3))
        .n_iter(5)
        .seed(1)
        .cv(KFold::new(4))
        .scorings(&["r2", "neg_mean_absolute_error"])
        .return_train_score(true)
        .fit(&x, &y)
        .unwrap();
    assert_eq!(s.candidates().len(), 5);
    let t = s.cv_results();
    assert!(t.column("mean_test_r2").is_ok() && t.column("mean_train_neg_mean_absolute_error").is_ok());
    // Lists smaller than n_iter: each point once.
    let g = RandomizedSearchCV::new(DummyRegressor::default()).param("strategy", ["mean", "median"]).n_iter(10);
    assert_eq!(g.candidates().unwrap().len(), 2);
}

/// The search reports each candidate x fold fit to its callback (what the `progress` feature's
/// bar consumes): every fit once, `total` known, completion counts 1..=total.
#[test]
fn search_callback_sees_every_fit() {
    use std::sync::Mutex;
    let iris = oxlearn_datasets::iris();
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    let cb = oxlearn_core::Callback::new(move |p: &oxlearn_core::Progress<'_>| {
        log.lock().unwrap().push((p.estimator, p.iteration, p.total, p.metrics.first().map(|m| m.0)));
        std::ops::ControlFlow::Continue(())
    });
    let search = RandomizedSearchCV::new(LogisticRegression::default())
        .param("C", [0.1, 1.0, 10.0])
        .cv(StratifiedKFold::new(4))
        .n_jobs(2)
        .callback(cb)
        .fit(&iris.x, labels(&iris.y.to_vec()))
        .unwrap();
    assert_eq!(search.candidates().len(), 3);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|e| e.1);
    assert_eq!(seen.len(), 12);
    for (i, (name, it, total, metric)) in seen.into_iter().enumerate() {
        assert_eq!((name, it, total, metric), ("RandomizedSearchCV", i + 1, Some(12), Some("test_score")));
    }
}

/// LogisticRegression on iris, 5 stratified folds, accuracy, with `opts`.
fn cv_iris_logistic(opts: &CvOptions) -> CvResults {
    let iris = oxlearn_datasets::iris();
    let y = labels(&iris.y.to_vec());
    cross_validate_with(
        &LogisticRegression::default(),
        CvData::xy(&iris.x, y),
        &StratifiedKFold::new(5),
        &["accuracy"],
        opts,
    )
    .unwrap()
}

/// `cross_validate_with` reports each fold to `CvOptions::callback`.
#[test]
fn cross_validate_callback_sees_every_fold() {
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&n);
    let cb = oxlearn_core::Callback::new(move |p: &oxlearn_core::Progress<'_>| {
        assert_eq!((p.estimator, p.total), ("cross_validate", Some(5)));
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::ops::ControlFlow::Continue(())
    });
    let opts = CvOptions { n_jobs: Some(2), callback: cb, ..CvOptions::default() };
    let r = cv_iris_logistic(&opts);
    assert_eq!(r.test_scores[0].len(), 5);
    assert_eq!(n.load(std::sync::atomic::Ordering::Relaxed), 5);
}

/// A cross_validate callback that breaks stops the run: with one thread the folds run in order,
/// so the folds after the second are skipped (NaN scores and times).
#[test]
fn cross_validate_callback_can_stop() {
    let cb = oxlearn_core::Callback::new(|p: &oxlearn_core::Progress<'_>| {
        if p.iteration >= 2 { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
    });
    let opts = CvOptions { n_jobs: Some(1), callback: cb, return_train_score: true, ..CvOptions::default() };
    let r = cv_iris_logistic(&opts);
    let ran: Vec<bool> = r.test_scores[0].iter().map(|s| s.is_finite()).collect();
    assert_eq!(ran, [true, true, false, false, false]);
    assert!(r.fit_time[2..].iter().all(|t| t.is_nan()) && r.fit_time[..2].iter().all(|t| t.is_finite()));
    let train = r.train_scores.as_ref().expect("train scores asked for");
    assert!(train[0][1].is_finite() && train[0][2].is_nan());
}

/// A search callback that breaks stops the search: later fits are skipped (NaN scores), the
/// refit uses the best complete candidate.
#[test]
fn search_callback_can_stop_the_search() {
    let iris = oxlearn_datasets::iris();
    let cb = oxlearn_core::Callback::new(|p: &oxlearn_core::Progress<'_>| {
        if p.iteration >= 3 { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
    });
    // One thread: fits run in order, so exactly the first candidate's 3 folds run.
    let search = GridSearchCV::new(LogisticRegression::default())
        .param("C", [0.1, 1.0, 10.0])
        .cv(StratifiedKFold::new(3))
        .n_jobs(1)
        .callback(cb)
        .fit(&iris.x, labels(&iris.y.to_vec()))
        .unwrap();
    let means = search.mean_test_scores();
    assert!(means[0] > 0.8, "{means:?}");
    assert!(means[1].is_nan() && means[2].is_nan(), "{means:?}");
    assert_eq!(search.best_index(), 0);
    assert!(search.best_estimator().is_some());
    // Stopped before any candidate completed: no refit.
    let cb = oxlearn_core::Callback::new(|_: &oxlearn_core::Progress<'_>| std::ops::ControlFlow::Break(()));
    let search = GridSearchCV::new(LogisticRegression::default())
        .param("C", [0.1, 1.0])
        .cv(StratifiedKFold::new(3))
        .n_jobs(1)
        .callback(cb)
        .fit(&iris.x, labels(&iris.y.to_vec()))
        .unwrap();
    assert!(search.mean_test_scores().iter().all(|m| m.is_nan()));
    assert!(search.best_estimator().is_none());
}
