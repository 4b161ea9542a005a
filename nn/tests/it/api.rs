//! The estimator API: devices, solvers and schedules, early stopping, warm starts,
//! `partial_fit`, callbacks, parameters by name and serde.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use ndarray::{Array1, Array2};
use oxlearn_core::{Callback, Error, Estimator, ParamValue, Progress, prelude::*};
use oxlearn_nn::{Activation, Device, LearningRate, MlpClassifier, MlpRegressor, Solver};

fn three_blobs(n: usize) -> (Array2<f64>, Array1<String>) {
    let names = ["setosa", "versicolor", "virginica"];
    let x = Array2::from_shape_fn((n, 4), |(i, j)| {
        (((i * 37 + j * 11) % 17) as f64 / 17.0 - 0.5) + (i % 3) as f64 * if j % 2 == 0 { 1.5 } else { -1.0 }
    });
    let y = (0..n).map(|i| names[i % 3].to_string()).collect();
    (x, y)
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|v| v.to_string()).collect()
}

#[test]
fn gpu_devices_are_typed_errors_and_auto_is_cpu() {
    let (x, y) = three_blobs(30);
    // A GPU that is not built in or not present is a typed error (the backend suite checks the
    // GPU devices where they exist).
    for device in [Device::Wgpu, Device::Cuda] {
        if device.resolve("MlpClassifier").is_ok() {
            continue;
        }
        let err = MlpClassifier::default().device(device).max_iter(2).fit(&x, &y).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    }
    let model = MlpClassifier::default().device(Device::Auto).max_iter(2).seed(0).fit(&x, &y).unwrap();
    assert_eq!(model.device(), Device::Auto.resolve("MlpClassifier").unwrap());
    let model = MlpRegressor::default()
        .device(Device::Cpu)
        .max_iter(2)
        .seed(0)
        .fit(&x, &Array1::linspace(0.0, 1.0, 30))
        .unwrap();
    assert_eq!(model.device(), Device::Cpu);
}

#[test]
fn fitted_attributes_follow_sklearn() {
    let (x, y) = three_blobs(90);
    let model = MlpClassifier::default().hidden_layer_sizes([10, 5]).max_iter(20).seed(0).fit(&x, &y).unwrap();
    assert_eq!(model.classes(), &s(&["setosa", "versicolor", "virginica"])[..]);
    assert_eq!(model.n_layers(), 4);
    assert_eq!(model.n_outputs(), 3);
    assert_eq!(model.out_activation(), "softmax");
    let shapes: Vec<_> = model.coefs().iter().map(|c| c.dim()).collect();
    assert_eq!(shapes, vec![(4, 10), (10, 5), (5, 3)]);
    assert_eq!(model.intercepts()[1].len(), 5);
    assert_eq!(model.n_iter(), model.loss_curve().len());
    assert_eq!(model.t(), 90 * model.n_iter() as u64);
    assert_eq!(model.best_loss(), model.loss_curve().iter().cloned().reduce(f64::min));
    assert!(model.validation_scores().is_none());
    // Glorot bound for the first layer: sqrt(6 / (4 + 10)) (the loss curve is short, so the
    // weights have moved little).
    assert!(model.loss_curve()[0] > *model.loss_curve().last().unwrap());
    let proba = model.predict_proba(&x).unwrap();
    assert_eq!(proba.dim(), (90, 3));
    for row in proba.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn initial_weights_are_glorot_uniform() {
    let x = Array2::from_shape_fn((20, 30), |(i, j)| ((i + j) % 5) as f64);
    let y: Array1<i64> = (0..20).map(|i| i % 2).collect();
    // One epoch of plain SGD with a tiny rate leaves the initial weights nearly untouched.
    let fit = |act| {
        MlpClassifier::default()
            .hidden_layer_sizes([50])
            .activation(act)
            .solver(Solver::Sgd)
            .learning_rate_init(1e-12)
            .max_iter(1)
            .seed(0)
            .fit(&x, &y)
            .unwrap()
    };
    for (act, factor) in [(Activation::Relu, 6.0), (Activation::Logistic, 2.0)] {
        let model = fit(act);
        assert_eq!(model.out_activation(), "logistic");
        let bound = (factor / 80.0f64).sqrt();
        let w = &model.coefs()[0];
        let max = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max <= bound && max > 0.9 * bound, "{act:?}: max |w| {max}, bound {bound}");
    }
}

#[test]
fn binary_classification_uses_one_logistic_output() {
    let x = Array2::from_shape_fn((40, 2), |(i, j)| (i as f64 / 20.0 - 1.0) * if j == 0 { 1.0 } else { 0.3 });
    let y: Array1<bool> = x.column(0).mapv(|v| v > 0.0);
    let model = MlpClassifier::default()
        .hidden_layer_sizes([8])
        .learning_rate_init(0.05)
        .max_iter(200)
        .seed(1)
        .fit(&x, &y)
        .unwrap();
    assert_eq!(model.n_outputs(), 1);
    assert_eq!(model.out_activation(), "logistic");
    assert!(model.score(&x, &y).unwrap() > 0.95);
    let proba = model.predict_proba(&x).unwrap();
    assert_eq!(proba.ncols(), 2);
    let pred = model.predict(&x).unwrap();
    for (row, p) in proba.rows().into_iter().zip(pred) {
        assert_eq!(row[1] > 0.5, p);
    }
}

#[test]
fn sgd_variants_and_schedules_train() {
    let (x, y) = three_blobs(120);
    for (nesterov, schedule) in
        [(true, LearningRate::Constant), (false, LearningRate::InvScaling), (true, LearningRate::Adaptive)]
    {
        let model = MlpClassifier::default()
            .solver(Solver::Sgd)
            .nesterovs_momentum(nesterov)
            .learning_rate(schedule)
            .learning_rate_init(0.1)
            .hidden_layer_sizes([16])
            .max_iter(60)
            .seed(0)
            .fit(&x, &y)
            .unwrap();
        let curve = model.loss_curve();
        assert!(curve.last().unwrap() < &curve[0], "{schedule:?}: loss did not fall: {curve:?}");
        if schedule != LearningRate::InvScaling {
            assert!(model.score(&x, &y).unwrap() > 0.9, "{schedule:?}");
        }
    }
}

#[test]
fn tol_and_n_iter_no_change_stop_the_fit() {
    let (x, y) = three_blobs(60);
    // A huge tol: after the first epoch (which always improves on an infinite best loss) no
    // epoch counts as an improvement, and the fit stops once more than n_iter_no_change have
    // not improved, as in scikit-learn: 1 + (3 + 1) epochs.
    let model = MlpClassifier::default().tol(1e6).n_iter_no_change(3).max_iter(100).seed(0).fit(&x, &y).unwrap();
    assert_eq!(model.n_iter(), 5);
    assert!(model.converged());
    let model = MlpClassifier::default().max_iter(3).seed(0).fit(&x, &y).unwrap();
    assert_eq!(model.n_iter(), 3);
    assert!(!model.converged(), "reaching max_iter is reported, not an error");
}

#[test]
fn early_stopping_keeps_the_best_validation_weights() {
    let (x, y) = three_blobs(200);
    let model = MlpClassifier::default()
        .early_stopping(true)
        .validation_fraction(0.2)
        .hidden_layer_sizes([16])
        .learning_rate_init(0.01)
        .max_iter(200)
        .seed(0)
        .fit(&x, &y)
        .unwrap();
    let scores = model.validation_scores().unwrap();
    assert_eq!(scores.len(), model.n_iter());
    assert_eq!(model.best_validation_score(), scores.iter().cloned().reduce(f64::max));
    assert!(model.best_loss().is_none());
    assert!(model.best_validation_score().unwrap() > 0.9);
    assert!(model.converged(), "stopped after {} epochs", model.n_iter());
    // Too small a validation split is an error, as in scikit-learn.
    let err = MlpClassifier::default()
        .early_stopping(true)
        .validation_fraction(0.01)
        .fit(x.slice(ndarray::s![..20, ..]), y.slice(ndarray::s![..20]))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
}

#[test]
fn regressor_early_stopping_scores_r2() {
    let x = Array2::from_shape_fn((150, 3), |(i, j)| ((i * 13 + j * 7) % 31) as f64 / 15.0 - 1.0);
    let y = x.column(0).to_owned() * 2.0 - x.column(2);
    let model = MlpRegressor::default()
        .early_stopping(true)
        .learning_rate_init(0.01)
        .max_iter(100)
        .seed(0)
        .fit(&x, &y)
        .unwrap();
    assert!(model.best_validation_score().unwrap() > 0.8, "{:?}", model.validation_scores());
}

#[test]
fn partial_fit_continues_one_epoch_at_a_time() {
    let (x, y) = three_blobs(90);
    let est = MlpClassifier::default().hidden_layer_sizes([16]).learning_rate_init(0.01).seed(0);
    let mut model = est.partial_fit(&x, &y, &s(&["setosa", "versicolor", "virginica"])).unwrap();
    assert_eq!(model.loss_curve().len(), 1);
    for _ in 0..49 {
        model.partial_fit(&x, &y).unwrap();
    }
    assert_eq!(model.loss_curve().len(), 50);
    assert_eq!(model.n_iter(), 1);
    assert_eq!(model.t(), 50 * 90);
    assert!(model.score(&x, &y).unwrap() > 0.9);
    // 50 partial_fit epochs continue Adam's state: the same as one fit of 50 epochs without
    // shuffling differences... (shuffling restarts from the seed each call, as scikit-learn's
    // random_state does), so only the trend is compared.
    assert!(model.loss_curve()[49] < model.loss_curve()[0]);
    let mut bad = y.clone();
    bad[4] = "rose".to_string();
    let err = model.partial_fit(&x, &bad).unwrap_err();
    assert!(matches!(err, Error::UnknownLabel { .. }), "{err}");
    let err = model.partial_fit(x.slice(ndarray::s![.., ..2]), &y).unwrap_err();
    assert!(matches!(err, Error::FeatureMismatch { expected: 4, got: 2, .. }), "{err}");

    let xr = x.clone();
    let yr = x.column(0).to_owned();
    let mut reg = MlpRegressor::default().seed(0).partial_fit(&xr, &yr).unwrap();
    reg.partial_fit(&xr, &yr).unwrap();
    assert_eq!(reg.loss_curve().len(), 2);
    assert!(MlpRegressor::default().early_stopping(true).partial_fit(&xr, &yr).is_err());
}

#[test]
fn warm_start_continues_from_previous_weights() {
    let (x, y) = three_blobs(90);
    let est = MlpClassifier::default().hidden_layer_sizes([16]).max_iter(10).seed(0);
    let first = est.fit(&x, &y).unwrap();
    let second = est.fit_warm(&first, &x, &y).unwrap();
    assert_eq!(second.loss_curve().len(), 20);
    assert_eq!(&second.loss_curve()[..10], first.loss_curve());
    assert_eq!(second.n_iter(), 10);
    assert!(second.loss_curve()[19] < first.loss_curve()[9]);
    let err = est.clone().hidden_layer_sizes([8]).fit_warm(&first, &x, &y).unwrap_err();
    assert!(matches!(err, Error::InvalidParam { .. }), "{err}");
    let yr = x.column(1).to_owned();
    let reg = MlpRegressor::default().max_iter(5).seed(0).fit(&x, &yr).unwrap();
    let reg2 = MlpRegressor::default().max_iter(5).seed(0).fit_warm(&reg, &x, &yr).unwrap();
    assert_eq!(reg2.loss_curve().len(), 10);
}

#[test]
fn callback_sees_every_epoch_and_can_stop() {
    let (x, y) = three_blobs(60);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let cb = Callback::new(move |p: &Progress<'_>| {
        log.lock().unwrap().push((p.iteration, p.loss.unwrap()));
        if p.iteration >= 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    let model = MlpClassifier::default().max_iter(50).seed(0).callback(cb).fit(&x, &y).unwrap();
    assert_eq!(model.n_iter(), 4);
    assert!(!model.converged());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), model.loss_curve());
}

#[test]
fn parameters_by_sklearn_name_and_invalid_values() {
    let mut est = MlpClassifier::default();
    est.set_param("hidden_layer_sizes", &ParamValue::IntList(vec![32, 16])).unwrap();
    est.set_param("activation", &"tanh".into()).unwrap();
    est.set_param("solver", &"sgd".into()).unwrap();
    est.set_param("batch_size", &"auto".into()).unwrap();
    est.set_param("learning_rate", &"adaptive".into()).unwrap();
    est.set_param("random_state", &ParamValue::Int(3)).unwrap();
    est.set_param("device", &"cpu".into()).unwrap();
    assert_eq!(est.config().hidden_layer_sizes, vec![32, 16]);
    assert_eq!(est.config().activation, Activation::Tanh);
    assert_eq!(est.config().seed, Some(3));
    assert_eq!(est.config().device, Device::Cpu);
    assert!(est.set_param("solver", &"lbfgs".into()).is_err());
    assert!(est.set_param("nonsense", &ParamValue::Int(1)).is_err());

    let (x, y) = three_blobs(30);
    for bad in [
        MlpClassifier::default().alpha(-1.0),
        MlpClassifier::default().hidden_layer_sizes([4, 0]),
        MlpClassifier::default().learning_rate_init(0.0),
        MlpClassifier::default().max_iter(0),
        MlpClassifier::default().momentum(1.5),
        MlpClassifier::default().validation_fraction(1.0),
        MlpClassifier::default().beta_2(1.0),
        MlpClassifier::default().batch_size(0),
        MlpClassifier::default().n_iter_no_change(0),
    ] {
        assert!(matches!(bad.fit(&x, &y), Err(Error::InvalidParam { .. })), "{bad:?}");
    }
}

#[test]
fn defaults_are_sklearns() {
    let c = MlpRegressor::default();
    let c = c.config();
    assert_eq!(c.hidden_layer_sizes, vec![100]);
    assert_eq!((c.activation, c.solver, c.learning_rate), (Activation::Relu, Solver::Adam, LearningRate::Constant));
    assert_eq!((c.alpha, c.learning_rate_init, c.power_t, c.tol), (1e-4, 1e-3, 0.5, 1e-4));
    assert_eq!((c.max_iter, c.n_iter_no_change, c.batch_size, c.seed), (200, 10, None, None));
    assert_eq!((c.shuffle, c.early_stopping, c.nesterovs_momentum), (true, false, true));
    assert_eq!((c.momentum, c.validation_fraction, c.beta_1, c.beta_2, c.epsilon), (0.9, 0.1, 0.9, 0.999, 1e-8));
    assert_eq!(c.device, Device::Auto);
}

#[test]
fn serde_round_trip_keeps_predictions_and_partial_fit_state() {
    let (x, y) = three_blobs(60);
    let model = MlpClassifier::default().hidden_layer_sizes([8]).max_iter(5).seed(0).fit(&x, &y).unwrap();
    let json = serde_json::to_string(&model).unwrap();
    let mut back: oxlearn_nn::FittedMlpClassifier<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.predict_proba(&x).unwrap(), model.predict_proba(&x).unwrap());
    let mut again = model.clone();
    again.partial_fit(&x, &y).unwrap();
    back.partial_fit(&x, &y).unwrap();
    assert_eq!(back.loss_curve(), again.loss_curve());
}

/// CPU prediction over many row blocks (run in parallel) equals prediction of any slice of the
/// rows, bit for bit, whatever the thread count.
#[test]
fn cpu_prediction_is_row_independent_across_blocks() {
    let (x, y) = three_blobs(300);
    let model = MlpClassifier::default().hidden_layer_sizes([8]).max_iter(5).seed(0).device(Device::Cpu);
    let fitted = model.fit(&x, &y).unwrap();
    // 10 000 rows: three prediction blocks.
    let big =
        Array2::from_shape_fn((10_000, x.ncols()), |(i, j)| x[[(i * 7 + j) % x.nrows(), j]] + (i % 13) as f64 * 0.01);
    let all = fitted.predict_proba(&big).unwrap();
    for (a, b) in [(0, 1), (1, 4100), (4090, 10_000), (8191, 8193)] {
        let part = fitted.predict_proba(big.slice(ndarray::s![a..b, ..])).unwrap();
        assert_eq!(part, all.slice(ndarray::s![a..b, ..]), "rows {a}..{b}");
    }
    let one_thread = fitted.clone();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    assert_eq!(pool.install(|| one_thread.predict_proba(&big).unwrap()), all);
}
