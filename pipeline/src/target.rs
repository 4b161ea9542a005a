//! [`Target`]: an owned target (class labels, values or none) and its conversions from
//! ndarray arrays and DataFrame columns.

use ndarray::{Array1, ArrayView1};
use oxlearn_core::{Error, EstimatorKind, Label, Result, TargetView};
use polars::prelude::DataFrame;

/// An owned target.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Class labels (classifiers).
    Labels(Array1<Label>),
    /// Real values (regressors).
    Values(Array1<f64>),
    /// No target (transformers, clusterers).
    None,
}

impl Target {
    /// Reads column `target` of `df` as the estimator `kind` needs it: labels for a classifier,
    /// numbers for a regressor, nothing otherwise.
    ///
    /// # Errors
    /// `InvalidInput` when the column is missing or cannot be read that way (nulls included).
    pub fn from_frame(df: &DataFrame, target: &str, kind: EstimatorKind) -> Result<Target> {
        let col = df.column(target).map_err(|_| {
            let cols: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
            Error::InvalidInput(format!("the frame has no target column {target:?}; its columns are {cols:?}"))
        })?;
        let series = col.as_materialized_series();
        Ok(match kind {
            EstimatorKind::Classifier => Target::Labels(oxlearn_datasets::series_to_labels(series)?),
            EstimatorKind::Regressor => Target::Values(oxlearn_datasets::series_to_f64(series)?),
            _ => Target::None,
        })
    }

    /// The borrowed view the dynamic layer takes.
    pub fn view(&self) -> TargetView<'_> {
        match self {
            Target::Labels(y) => TargetView::Labels(y.view()),
            Target::Values(y) => TargetView::Values(y.view()),
            Target::None => TargetView::None,
        }
    }

    /// Number of entries (0 for `None`).
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Target {
        match self {
            Target::Labels(y) => Target::Labels(idx.iter().map(|&i| y[i].clone()).collect()),
            Target::Values(y) => Target::Values(idx.iter().map(|&i| y[i]).collect()),
            Target::None => Target::None,
        }
    }

    /// Converts to what an estimator of `kind` needs: whole-number values become integer labels
    /// for a classifier, integer labels become values for a regressor.
    ///
    /// # Errors
    /// `InvalidInput` for a non-integral value given to a classifier, string labels given to a
    /// regressor, or no target given to a supervised estimator.
    pub fn for_kind(self, kind: EstimatorKind) -> Result<Target> {
        match (kind, self) {
            (EstimatorKind::Classifier, Target::Values(v)) => v
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e18 {
                        Ok(Label::Int(x as i64))
                    } else {
                        Err(Error::InvalidInput(format!("y holds {x} at row {i}, which is not a class label")))
                    }
                })
                .collect::<Result<Array1<Label>>>()
                .map(Target::Labels),
            (EstimatorKind::Regressor, Target::Labels(l)) => l
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Label::Int(x) => Ok(*x as f64),
                    Label::Str(s) => {
                        Err(Error::InvalidInput(format!("a regressor needs numbers, but y holds {s:?} at row {i}")))
                    }
                })
                .collect::<Result<Array1<f64>>>()
                .map(Target::Values),
            (EstimatorKind::Classifier | EstimatorKind::Regressor, Target::None) => {
                Err(Error::InvalidInput("a supervised estimator needs a target y".into()))
            }
            (_, t) => Ok(t),
        }
    }

    /// Class labels, if this is a classification target.
    pub fn labels(&self) -> Option<ArrayView1<'_, Label>> {
        match self {
            Target::Labels(y) => Some(y.view()),
            _ => None,
        }
    }
}

impl From<Array1<Label>> for Target {
    fn from(y: Array1<Label>) -> Self {
        Target::Labels(y)
    }
}
impl From<&Array1<Label>> for Target {
    fn from(y: &Array1<Label>) -> Self {
        Target::Labels(y.clone())
    }
}
impl From<Array1<f64>> for Target {
    fn from(y: Array1<f64>) -> Self {
        Target::Values(y)
    }
}
impl From<&Array1<f64>> for Target {
    fn from(y: &Array1<f64>) -> Self {
        Target::Values(y.clone())
    }
}
impl From<&Array1<i64>> for Target {
    fn from(y: &Array1<i64>) -> Self {
        Target::Labels(y.mapv(Label::Int))
    }
}
impl From<Array1<i64>> for Target {
    fn from(y: Array1<i64>) -> Self {
        Target::Labels(y.mapv(Label::Int))
    }
}
impl From<&Array1<String>> for Target {
    fn from(y: &Array1<String>) -> Self {
        Target::Labels(y.map(|s| Label::Str(s.clone())))
    }
}
impl From<&Array1<&str>> for Target {
    fn from(y: &Array1<&str>) -> Self {
        Target::Labels(y.mapv(Label::from))
    }
}
impl From<TargetView<'_>> for Target {
    fn from(y: TargetView<'_>) -> Self {
        match y {
            TargetView::Labels(y) => Target::Labels(y.to_owned()),
            TargetView::Values(y) => Target::Values(y.to_owned()),
            TargetView::None => Target::None,
        }
    }
}
