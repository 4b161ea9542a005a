//! Named scorers (`"accuracy"`, `"f1_macro"`, `"roc_auc"`, `"neg_log_loss"`, `"r2"`,
//! `"neg_mean_squared_error"`, ...): scikit-learn's scoring strings, greater is better.

use ndarray::Array2;
use oxlearn_core::metrics::{self, Average};
use oxlearn_core::{Error, Label, Output, Result};

use crate::target::Target;

/// Every scoring name [`Scorer::new`] accepts.
pub const SCORER_NAMES: &[&str] = &[
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "f1_micro",
    "f1_weighted",
    "precision_macro",
    "precision_micro",
    "precision_weighted",
    "recall_macro",
    "recall_micro",
    "recall_weighted",
    "roc_auc",
    "roc_auc_ovr",
    "roc_auc_ovr_weighted",
    "neg_log_loss",
    "r2",
    "explained_variance",
    "neg_mean_squared_error",
    "neg_root_mean_squared_error",
    "neg_mean_absolute_error",
    "neg_median_absolute_error",
];

/// A named score; greater is better (losses are negated, as scikit-learn's `neg_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorer {
    name: String,
}

/// What a scorer needs from the fitted model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Predict,
    Proba,
}

impl Scorer {
    /// The scorer of a scikit-learn scoring name.
    ///
    /// # Errors
    /// `InvalidParam` for an unknown name, listing the known ones.
    pub fn new(name: &str) -> Result<Scorer> {
        if SCORER_NAMES.contains(&name) {
            Ok(Scorer { name: name.to_string() })
        } else {
            Err(Error::invalid_param("scoring", format!("unknown scorer {name:?}; known scorers are {SCORER_NAMES:?}")))
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn needs(&self) -> Needs {
        if self.name.starts_with("roc_auc") || self.name == "neg_log_loss" { Needs::Proba } else { Needs::Predict }
    }

    /// Scores predictions (`pred`) or probabilities (`proba`, columns in `classes` order)
    /// against the truth.
    pub(crate) fn score(
        &self,
        y: &Target,
        pred: Option<&Output>,
        proba: Option<&Array2<f64>>,
        classes: Option<&[Label]>,
    ) -> Result<f64> {
        let n = self.name.as_str();
        let need_pred = || pred.ok_or_else(|| Error::Other(format!("internal: {n} without predictions")));
        let labels = |who: &str| match (y, need_pred()) {
            (Target::Labels(t), Ok(Output::Labels(p))) => Ok((t.view(), p.view())),
            _ => Err(Error::InvalidInput(format!("scorer {who:?} needs a classifier"))),
        };
        let values = |who: &str| match (y, need_pred()) {
            (Target::Values(t), Ok(Output::Values(p))) => Ok((t.view(), p.view())),
            _ => Err(Error::InvalidInput(format!("scorer {who:?} needs a regressor"))),
        };
        let avg = |suffix: &str| -> Average<Label> {
            match suffix {
                "micro" => Average::Micro,
                "weighted" => Average::Weighted,
                _ => Average::Macro,
            }
        };
        match n {
            "accuracy" => labels(n).and_then(|(t, p)| metrics::accuracy_score(t, p)),
            "balanced_accuracy" => labels(n).and_then(|(t, p)| metrics::balanced_accuracy_score(t, p)),
            _ if n.starts_with("f1_") => labels(n).and_then(|(t, p)| metrics::f1_score(t, p, avg(&n[3..]))),
            _ if n.starts_with("precision_") => {
                labels(n).and_then(|(t, p)| metrics::precision_score(t, p, avg(&n[10..])))
            }
            _ if n.starts_with("recall_") => labels(n).and_then(|(t, p)| metrics::recall_score(t, p, avg(&n[7..]))),
            "r2" => values(n).and_then(|(t, p)| metrics::r2_score(t, p)),
            "explained_variance" => values(n).and_then(|(t, p)| metrics::explained_variance_score(t, p)),
            "neg_mean_squared_error" => values(n).and_then(|(t, p)| metrics::mean_squared_error(t, p)).map(|v| -v),
            "neg_root_mean_squared_error" => {
                values(n).and_then(|(t, p)| metrics::root_mean_squared_error(t, p)).map(|v| -v)
            }
            "neg_mean_absolute_error" => values(n).and_then(|(t, p)| metrics::mean_absolute_error(t, p)).map(|v| -v),
            "neg_median_absolute_error" => {
                values(n).and_then(|(t, p)| metrics::median_absolute_error(t, p)).map(|v| -v)
            }
            _ => {
                let (Target::Labels(t), Some(proba), Some(classes)) = (y, proba, classes) else {
                    return Err(Error::InvalidInput(format!("scorer {n:?} needs a classifier with predict_proba")));
                };
                if n == "neg_log_loss" {
                    return metrics::log_loss(t.view(), proba.view(), Some(classes)).map(|v| -v);
                }
                if classes.len() == 2 && n == "roc_auc" {
                    return metrics::roc_auc_score(t.view(), proba.column(1));
                }
                // One-vs-rest over the fitted classes; classes absent from this test set are
                // dropped with their column (their AUC is undefined).
                let present: Vec<usize> = (0..classes.len()).filter(|&c| t.iter().any(|l| *l == classes[c])).collect();
                let sub = proba.select(ndarray::Axis(1), &present);
                let average = if n.ends_with("weighted") { Average::Weighted } else { Average::Macro };
                metrics::roc_auc_score_ovr(t.view(), sub.view(), average)
            }
        }
    }
}
