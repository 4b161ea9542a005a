//! [`ClassWeight`]: scikit-learn's `class_weight` (`"balanced"`, `"balanced_subsample"` or a
//! map from label to weight), resolved against a classifier's classes at fit time.

use ndarray::{Array1, ArrayView1};
use oxlearn_core::{ClassLabel, Error, Label, ParamValue, Result};
use serde::{Deserialize, Serialize};

/// Weights of the classes of a classifier, scikit-learn's `class_weight`. Each sample's weight
/// is multiplied by the weight of its class (and by its `sample_weight` in `fit_weighted`).
///
/// - [`ClassWeight::Balanced`] (`"balanced"`): class `c` weighs `n_samples / (n_classes *
///   count_c)`, so every class carries the same total weight (counts of the unweighted `y`, as
///   scikit-learn's `compute_class_weight`);
/// - [`ClassWeight::BalancedSubsample`] (`"balanced_subsample"`, forests only): the same, on
///   each tree's bootstrap sample;
/// - [`ClassWeight::Explicit`] (a dict `{label: weight}`): classes not listed weigh 1; a label
///   that is not among the classes seen in `fit` is an [`Error::InvalidParam`].
///
/// ```
/// use oxlearn_algorithms::{ClassWeight, LogisticRegression};
/// use oxlearn_core::prelude::*;
/// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0], [4.0]];
/// let y = ndarray::array![0, 0, 0, 0, 1];
/// let balanced = LogisticRegression::default().class_weight(ClassWeight::Balanced).fit(&x, &y)?;
/// let explicit = LogisticRegression::default().class_weight(ClassWeight::explicit([(1, 4.0)])).fit(&x, &y)?;
/// assert_eq!(balanced.predict(&ndarray::array![[3.5]])?[0], 1);
/// assert_eq!(explicit.predict(&ndarray::array![[3.5]])?[0], 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// `n_samples / (n_classes * bincount(y))`.
    Balanced,
    /// [`ClassWeight::Balanced`] computed on each bootstrap sample (forests only).
    BalancedSubsample,
    /// A weight per label; unlisted classes weigh 1.
    Explicit(Vec<(Label, f64)>),
}

impl ClassWeight {
    /// An explicit map from label to weight (scikit-learn's `class_weight={0: 1.0, 1: 10.0}`).
    pub fn explicit<K: Into<Label>>(weights: impl IntoIterator<Item = (K, f64)>) -> Self {
        ClassWeight::Explicit(weights.into_iter().map(|(k, w)| (k.into(), w)).collect())
    }

    /// Rejects non-finite or negative explicit weights, and `balanced_subsample` where the
    /// estimator is not a forest.
    pub(crate) fn check(&self, subsample_allowed: bool) -> Result<()> {
        match self {
            ClassWeight::BalancedSubsample if !subsample_allowed => Err(Error::invalid_param(
                "class_weight",
                "\"balanced_subsample\" is only for forests; use \"balanced\"",
            )),
            ClassWeight::Explicit(map) => match map.iter().find(|(_, w)| !(w.is_finite() && *w >= 0.0)) {
                Some((label, w)) => Err(Error::invalid_param(
                    "class_weight",
                    format!("weights must be finite and non-negative, got {w} for class {label}"),
                )),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Parses scikit-learn's string spellings (`"balanced"`, `"balanced_subsample"`) and `None`.
    pub(crate) fn parse(name: &str, value: &ParamValue) -> Result<Option<Self>> {
        match value {
            ParamValue::None => Ok(None),
            ParamValue::Str(s) if s == "balanced" => Ok(Some(ClassWeight::Balanced)),
            ParamValue::Str(s) if s == "balanced_subsample" => Ok(Some(ClassWeight::BalancedSubsample)),
            other => Err(Error::invalid_param(
                name,
                format!(
                    "expected None, \"balanced\" or \"balanced_subsample\" (set a map with the class_weight setter), got {other}"
                ),
            )),
        }
    }

    /// The weight of each class (indexed as `classes`), given the class index of every sample.
    pub(crate) fn per_class<L: ClassLabel>(&self, classes: &[L], y: ArrayView1<'_, usize>) -> Result<Vec<f64>> {
        let k = classes.len();
        match self {
            ClassWeight::Balanced | ClassWeight::BalancedSubsample => Ok(balanced(k, y.iter().copied(), None)),
            ClassWeight::Explicit(map) => {
                let keys: Vec<Option<Label>> = classes.iter().map(as_label).collect();
                let mut out = vec![1.0; k];
                for (label, w) in map {
                    match keys.iter().position(|key| key.as_ref() == Some(label)) {
                        Some(c) => out[c] = *w,
                        None => {
                            return Err(Error::invalid_param(
                                "class_weight",
                                format!("class {label} is not among the {k} classes of y"),
                            ));
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// The weight of every sample: its class's weight times its `sample_weight`, if any.
    pub(crate) fn sample_weights<L: ClassLabel>(
        &self,
        classes: &[L],
        y: ArrayView1<'_, usize>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<Array1<f64>> {
        let per_class = self.per_class(classes, y)?;
        let mut w: Array1<f64> = y.mapv(|c| per_class[c]);
        if let Some(sw) = sample_weight {
            w *= &sw;
        }
        Ok(w)
    }
}

/// `n / (k * count_c)` per class from the class of each sample, each counted `mult[i]` times
/// when given (a bootstrap draw); `k` counts the classes present, as scikit-learn's
/// `compute_sample_weight` on a subsample, and classes without samples weigh 0.
pub(crate) fn balanced(k: usize, y: impl Iterator<Item = usize>, mult: Option<&[f64]>) -> Vec<f64> {
    let mut counts = vec![0.0; k];
    for (i, c) in y.enumerate() {
        counts[c] += mult.map_or(1.0, |m| m[i]);
    }
    let n: f64 = counts.iter().sum();
    let present = counts.iter().filter(|&&c| c > 0.0).count() as f64;
    counts.iter().map(|&c| if c > 0.0 { n / (present * c) } else { 0.0 }).collect()
}

/// A label as the dynamic [`Label`] type, for matching an explicit map: integers (and
/// booleans, as 0/1) become [`Label::Int`], strings [`Label::Str`]; other types match nothing.
fn as_label<L: ClassLabel>(label: &L) -> Option<Label> {
    match serde_json::to_value(label).ok()? {
        serde_json::Value::Number(n) => n.as_i64().map(Label::Int),
        serde_json::Value::String(s) => Some(Label::Str(s)),
        serde_json::Value::Bool(b) => Some(Label::Int(i64::from(b))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn balanced_and_explicit() {
        let y = array![0usize, 0, 0, 1];
        let w = ClassWeight::Balanced.per_class(&["a", "b"].map(String::from), y.view()).unwrap();
        assert_eq!(w, vec![4.0 / 6.0, 2.0]);
        let w = ClassWeight::explicit([("b", 3.0)]).per_class(&["a", "b"].map(String::from), y.view()).unwrap();
        assert_eq!(w, vec![1.0, 3.0]);
        let w = ClassWeight::explicit([(7, 0.5)]).per_class(&[3i64, 7], y.view()).unwrap();
        assert_eq!(w, vec![1.0, 0.5]);
        let w = ClassWeight::explicit([(7, 0.5)]).per_class(&[Label::Int(3), Label::Int(7)], y.view()).unwrap();
        assert_eq!(w, vec![1.0, 0.5]);
        assert!(matches!(
            ClassWeight::explicit([(9, 0.5)]).per_class(&[3i64, 7], y.view()),
            Err(Error::InvalidParam { .. })
        ));
        assert!(ClassWeight::explicit([(1, -1.0)]).check(false).is_err());
        assert!(ClassWeight::BalancedSubsample.check(false).is_err());
        assert!(ClassWeight::BalancedSubsample.check(true).is_ok());
        let sw = array![1.0, 2.0, 0.0, 1.0];
        let w = ClassWeight::Balanced.sample_weights(&[0, 1], y.view(), Some(sw.view())).unwrap();
        assert_eq!(w.to_vec(), vec![4.0 / 6.0, 8.0 / 6.0, 0.0, 2.0]);
    }
}
