//! Conformance registrations of the trees and forests (every public estimator and backend).

use oxlearn_algorithms::tree::SampleCount;
use oxlearn_algorithms::{
    DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreesClassifier, ExtraTreesRegressor, MaxFeatures,
    RandomForestClassifier, RandomForestRegressor, Splitter, TreeBackend, TreeCriterion, TreeRegressionCriterion,
};

oxlearn_core::check_estimator!(decision_tree_classifier, DecisionTreeClassifier::default().seed(0),
invalid: [
    DecisionTreeClassifier::default().max_depth(0),
    DecisionTreeClassifier::default().min_samples_split(1),
    DecisionTreeClassifier::default().min_samples_split(1.5),
    DecisionTreeClassifier::default().min_samples_leaf(0),
    DecisionTreeClassifier::default().min_samples_leaf(-2),
    DecisionTreeClassifier::default().max_features(0usize),
    DecisionTreeClassifier::default().max_features(99usize),
    DecisionTreeClassifier::default().max_features(1.5),
    DecisionTreeClassifier::default().max_leaf_nodes(1),
    DecisionTreeClassifier::default().min_impurity_decrease(-1.0),
    DecisionTreeClassifier::default().min_weight_fraction_leaf(0.7),
]);
oxlearn_core::check_estimator!(
    decision_tree_classifier_entropy_random,
    DecisionTreeClassifier::default()
        .criterion(TreeCriterion::Entropy)
        .splitter(Splitter::Random)
        .max_features(MaxFeatures::Sqrt)
        .seed(0)
);
oxlearn_core::check_estimator!(
    decision_tree_classifier_best_first,
    DecisionTreeClassifier::default().max_leaf_nodes(6).min_samples_leaf(SampleCount::Fraction(0.05)).seed(0)
);
oxlearn_core::check_estimator!(decision_tree_classifier_linfa, DecisionTreeClassifier::default().backend(TreeBackend::Linfa),
invalid: [
    DecisionTreeClassifier::default().backend(TreeBackend::Linfa).max_features(MaxFeatures::Sqrt),
    DecisionTreeClassifier::default().backend(TreeBackend::Linfa).max_leaf_nodes(4),
    DecisionTreeClassifier::default().backend(TreeBackend::Linfa).splitter(Splitter::Random),
    DecisionTreeClassifier::default().backend(TreeBackend::Linfa).max_depth(0),
]);
oxlearn_core::check_estimator!(decision_tree_regressor, DecisionTreeRegressor::default().seed(0),
    invalid: [DecisionTreeRegressor::default().max_depth(0), DecisionTreeRegressor::default().min_samples_leaf(0.0)]);
oxlearn_core::check_estimator!(
    decision_tree_regressor_friedman,
    DecisionTreeRegressor::default().criterion(TreeRegressionCriterion::FriedmanMse).max_depth(4).seed(0)
);
oxlearn_core::check_estimator!(random_forest_classifier, RandomForestClassifier::default().n_estimators(20).seed(0),
invalid: [
    RandomForestClassifier::default().n_estimators(0),
    RandomForestClassifier::default().n_jobs(0),
    RandomForestClassifier::default().bootstrap(false).oob_score(true),
    RandomForestClassifier::default().bootstrap(false).max_samples(SampleCount::Count(10)),
    RandomForestClassifier::default().max_samples(SampleCount::Fraction(0.0)),
    RandomForestClassifier::default().max_samples(SampleCount::Count(100_000)),
]);
oxlearn_core::check_estimator!(
    random_forest_classifier_oob,
    RandomForestClassifier::default()
        .n_estimators(20)
        .oob_score(true)
        .max_samples(SampleCount::Fraction(0.8))
        .n_jobs(2)
        .seed(0)
);
oxlearn_core::check_estimator!(random_forest_regressor, RandomForestRegressor::default().n_estimators(20).seed(0),
    invalid: [RandomForestRegressor::default().n_estimators(0), RandomForestRegressor::default().max_features(0usize)]);
oxlearn_core::check_estimator!(extra_trees_classifier, ExtraTreesClassifier::default().n_estimators(20).seed(0),
    invalid: [ExtraTreesClassifier::default().oob_score(true)]);
oxlearn_core::check_estimator!(extra_trees_regressor, ExtraTreesRegressor::default().n_estimators(20).seed(0),
    invalid: [ExtraTreesRegressor::default().max_samples(SampleCount::Fraction(0.5))]);
