//! Conformance suite registrations for the dummy estimators, and the deliberately broken
//! estimators that prove each check bites.

use oxlearn_core::dummy::{DummyClassifier, DummyClassifierStrategy, DummyRegressor, DummyRegressorStrategy};

oxlearn_core::check_estimator!(dummy_classifier_prior, DummyClassifier::default(), invalid: [DummyClassifier::default().constant(7)]);
oxlearn_core::check_estimator!(
    dummy_classifier_most_frequent,
    DummyClassifier::default().strategy(DummyClassifierStrategy::MostFrequent)
);
oxlearn_core::check_estimator!(
    dummy_classifier_stratified,
    DummyClassifier::default().strategy(DummyClassifierStrategy::Stratified).seed(0)
);
oxlearn_core::check_estimator!(
    dummy_classifier_uniform,
    DummyClassifier::default().strategy(DummyClassifierStrategy::Uniform).seed(0)
);
oxlearn_core::check_estimator!(dummy_classifier_constant, DummyClassifier::default().constant(1));
oxlearn_core::check_estimator!(dummy_regressor_mean, DummyRegressor::default());
oxlearn_core::check_estimator!(
    dummy_regressor_median,
    DummyRegressor::default().strategy(DummyRegressorStrategy::Median)
);
oxlearn_core::check_estimator!(
    dummy_regressor_quantile,
    DummyRegressor::default().strategy(DummyRegressorStrategy::Quantile(0.25)),
    invalid: [DummyRegressor::default().strategy(DummyRegressorStrategy::Quantile(1.5)), DummyRegressor::default().strategy(DummyRegressorStrategy::Constant(f64::NAN))]
);
oxlearn_core::check_estimator!(
    dummy_regressor_constant,
    DummyRegressor::default().strategy(DummyRegressorStrategy::Constant(2.5))
);

/// Estimators that each break one rule, and the proof that the matching check catches them.
mod broken {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
    use oxlearn_core::check::{self, CHECKS, Outcome};
    use oxlearn_core::prelude::*;
    use oxlearn_core::{ClassLabel, ClassifierKind, DynEstimator, EncodedLabels, RegressorKind};
    use serde::{Deserialize, Serialize};

    /// A regressor predicting the training mean times a factor; each broken variant bends one rule.
    #[derive(Debug, Clone, Default)]
    pub struct Broken {
        flaw: Flaw,
        /// Shared state used by the "mutates" flaw (interior mutability in the params).
        memory: Arc<Mutex<Option<f64>>>,
    }

    #[derive(Debug, Clone, Copy, Default, PartialEq)]
    pub enum Flaw {
        #[default]
        None,
        /// Writes what it learned back into its hyper-parameters.
        MutatesParams,
        /// Draws from a global, unseeded source.
        IgnoresSeed,
        /// Skips the width check and indexes past the fitted coefficients.
        PanicsOnWidth,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct FittedBroken {
        coef: Array1<f64>,
        offset: f64,
        flaw_panics: bool,
    }

    static GLOBAL_NOISE: AtomicU64 = AtomicU64::new(1);

    impl Estimator for Broken {
        const NAME: &'static str = "Broken";
        type Kind = RegressorKind;
        fn tags(&self) -> oxlearn_core::Tags {
            oxlearn_core::Tags { poor_score: true, ..Default::default() }
        }
    }

    impl Regressor for Broken {
        type Fitted = FittedBroken;
        fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedBroken> {
            let mean = y.mean().unwrap_or(0.0);
            let mut offset = mean;
            match self.flaw {
                Flaw::MutatesParams => *self.memory.lock().unwrap() = Some(mean),
                Flaw::IgnoresSeed => offset += GLOBAL_NOISE.fetch_add(1, Ordering::Relaxed) as f64,
                _ => {}
            }
            Ok(FittedBroken { coef: Array1::zeros(x.ncols()), offset, flaw_panics: self.flaw == Flaw::PanicsOnWidth })
        }
    }

    impl Fitted for FittedBroken {
        const NAME: &'static str = "Broken";
        fn n_features_in(&self) -> usize {
            self.coef.len()
        }
        fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
            if self.flaw_panics {
                return Ok(x); // skips the shared validator
            }
            oxlearn_core::validate::check_predict(Self::NAME, self.n_features_in(), false, x)?;
            Ok(x)
        }
    }

    impl FittedRegressor for FittedBroken {
        fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
            Ok(x.outer_iter()
                .map(|row| self.offset + (0..row.len()).map(|j| row[j] * self.coef[j]).sum::<f64>())
                .collect())
        }
    }

    /// A classifier whose probabilities do not sum to one.
    #[derive(Debug, Clone, Default)]
    pub struct BadProba;

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(bound = "L: ClassLabel")]
    pub struct FittedBadProba<L> {
        classes: Vec<L>,
        n_features: usize,
    }

    impl Estimator for BadProba {
        const NAME: &'static str = "BadProba";
        type Kind = ClassifierKind;
        fn tags(&self) -> oxlearn_core::Tags {
            oxlearn_core::Tags { poor_score: true, ..Default::default() }
        }
    }

    impl Classifier for BadProba {
        type Fitted<L: ClassLabel> = FittedBadProba<L>;
        fn fit_checked<L: ClassLabel>(&self, x: ArrayView2<'_, f64>, y: EncodedLabels<L>) -> Result<FittedBadProba<L>> {
            Ok(FittedBadProba { classes: y.classes, n_features: x.ncols() })
        }
    }

    impl<L: ClassLabel> Fitted for FittedBadProba<L> {
        const NAME: &'static str = "BadProba";
        fn n_features_in(&self) -> usize {
            self.n_features
        }
    }

    impl<L: ClassLabel> FittedClassifier<L> for FittedBadProba<L> {
        fn classes(&self) -> &[L] {
            &self.classes
        }
        fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
            Ok(Array1::zeros(x.nrows()))
        }
        fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            // Unnormalised scores passed off as probabilities.
            Ok(Array2::from_elem((x.nrows(), self.classes.len()), 0.5))
        }
    }

    /// A clusterer without predict (as DBSCAN) that labels rows by position, not by data: the
    /// first third of the rows is one cluster, whatever they hold.
    #[derive(Debug, Clone, Default)]
    pub struct ByPosition;

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct FittedByPosition {
        labels: Array1<i64>,
        n_features: usize,
    }

    impl Estimator for ByPosition {
        const NAME: &'static str = "ByPosition";
        type Kind = oxlearn_core::ClustererKind;
    }

    impl Clusterer for ByPosition {
        type Fitted = FittedByPosition;
        fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedByPosition> {
            let n = x.nrows();
            Ok(FittedByPosition { labels: (0..n).map(|i| i64::from(3 * i < n)).collect(), n_features: x.ncols() })
        }
    }

    impl Fitted for FittedByPosition {
        const NAME: &'static str = "ByPosition";
        fn n_features_in(&self) -> usize {
            self.n_features
        }
    }

    impl FittedClusterer for FittedByPosition {
        fn labels(&self) -> ArrayView1<'_, i64> {
            self.labels.view()
        }
        fn n_clusters(&self) -> usize {
            2
        }
    }

    #[test]
    fn clusterers_without_predict_are_checked_on_their_labels() {
        let make = || -> Box<dyn DynEstimator> { Box::new(ByPosition) };
        let err = check::run("batch_invariance", &make, &[]).unwrap_err();
        assert!(err.contains("reversed rows"), "{err}");
        assert_eq!(failing_checks(&make), vec!["batch_invariance", "easy_problem"]);
    }

    fn make(flaw: Flaw) -> impl Fn() -> Box<dyn DynEstimator> {
        move || Box::new(Broken { flaw, memory: Arc::default() })
    }

    fn failing_checks(make: &dyn Fn() -> Box<dyn DynEstimator>) -> Vec<&'static str> {
        CHECKS.iter().copied().filter(|c| check::run(c, make, &[]).is_err()).collect()
    }

    #[test]
    fn the_sound_version_passes_every_check() {
        assert_eq!(failing_checks(&make(Flaw::None)), Vec::<&str>::new());
    }

    #[test]
    fn mutating_hyper_parameters_is_caught() {
        let err = check::run("inputs_not_mutated", &make(Flaw::MutatesParams), &[]).unwrap_err();
        assert!(err.contains("changed the hyper-parameters"), "{err}");
        assert_eq!(failing_checks(&make(Flaw::MutatesParams)), vec!["inputs_not_mutated"]);
    }

    #[test]
    fn ignoring_the_seed_is_caught() {
        let failing = failing_checks(&make(Flaw::IgnoresSeed));
        assert!(failing.contains(&"seed_deterministic"), "{failing:?}");
        assert!(failing.contains(&"fit_idempotent"), "{failing:?}");
    }

    #[test]
    fn panicking_on_width_mismatch_is_caught() {
        let err = check::run("feature_mismatch", &make(Flaw::PanicsOnWidth), &[]).unwrap_err();
        assert!(err.starts_with("panicked"), "{err}");
        // Skipping the shared validator also lets NaN through, which its own check catches.
        assert_eq!(failing_checks(&make(Flaw::PanicsOnWidth)), vec!["feature_mismatch", "nonfinite_in_predict"]);
    }

    #[test]
    fn probabilities_not_summing_to_one_are_caught() {
        let make = || -> Box<dyn DynEstimator> { Box::new(BadProba) };
        let err = check::run("proba_consistent", &make, &[]).unwrap_err();
        assert!(err.contains("sum"), "{err}");
        assert_eq!(failing_checks(&make), vec!["proba_consistent"]);
    }

    #[test]
    fn a_known_failure_that_starts_passing_is_reported() {
        let sound = make(Flaw::None);
        let result = std::panic::catch_unwind(|| {
            check::assert_check("feature_mismatch", &sound, &[], &[("feature_mismatch", "pretend")])
        });
        assert!(result.is_err());
        let flawed = make(Flaw::PanicsOnWidth);
        check::assert_check("feature_mismatch", &flawed, &[], &[("feature_mismatch", "known")]);
    }

    #[test]
    fn checks_that_do_not_apply_say_so() {
        assert_eq!(
            check::run("labels_round_trip", &make(Flaw::None), &[]),
            Ok(Outcome::NotApplicable("not a classifier"))
        );
    }
}
