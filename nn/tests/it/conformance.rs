//! The conformance suite (scikit-learn's `check_estimator`) for both estimators, with small
//! fits.

use oxlearn_nn::{MlpClassifier, MlpRegressor, Solver};

oxlearn_core::check_estimator!(
    mlp_classifier,
    MlpClassifier::default().hidden_layer_sizes([16]).learning_rate_init(0.01).max_iter(100).seed(0),
    invalid: [
        MlpClassifier::default().alpha(-1.0),
        MlpClassifier::default().hidden_layer_sizes([0]),
        MlpClassifier::default().learning_rate_init(-0.1),
        MlpClassifier::default().max_iter(0),
    ]
);

oxlearn_core::check_estimator!(
    mlp_classifier_sgd,
    MlpClassifier::default().solver(Solver::Sgd).hidden_layer_sizes([16]).learning_rate_init(0.05).max_iter(100).seed(0),
    invalid: [MlpClassifier::default().solver(Solver::Sgd).momentum(-0.5)]
);

oxlearn_core::check_estimator!(
    mlp_regressor,
    MlpRegressor::default().hidden_layer_sizes([32]).learning_rate_init(0.05).max_iter(200).seed(0),
    invalid: [MlpRegressor::default().alpha(f64::NAN), MlpRegressor::default().batch_size(0)]
);
