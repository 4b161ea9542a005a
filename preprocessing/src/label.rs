//! [`LabelEncoder`]: target labels (strings or integers) to class ids `0..k` and back.

use ndarray::{Array1, ArrayView1, AsArray, Ix1};
use oxlearn_core::{ClassLabel, EncodedLabels, Error, Label, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Col, pl};

/// Encodes target labels as ids into their sorted distinct values, scikit-learn's `LabelEncoder`.
///
/// Works on any [`ClassLabel`] (strings, integers, [`Label`]) and on a polars series
/// ([`fit_series`](Self::fit_series), integer or string columns, giving [`Label`]s).
/// No hyper-parameters.
///
/// Errors: [`Error::EmptyInput`] for no labels, [`Error::UnknownLabel`] for a label not seen in
/// fit, [`Error::InvalidInput`] for an id out of range in `inverse_transform` or a null label.
///
/// ```
/// use oxlearn_preprocessing::LabelEncoder;
/// let y = ndarray::array!["paris", "tokyo", "paris", "amsterdam"].mapv(String::from);
/// let enc = LabelEncoder::default().fit(&y)?;
/// assert_eq!(enc.classes(), ["amsterdam", "paris", "tokyo"]);
/// assert_eq!(enc.transform(&y)?.to_vec(), vec![1, 2, 1, 0]);
/// assert_eq!(enc.inverse_transform(&ndarray::array![2, 0])?.to_vec(), ["tokyo", "amsterdam"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelEncoder {}

impl LabelEncoder {
    /// Learns the sorted distinct labels.
    pub fn fit<'a, L: ClassLabel>(&self, y: impl AsArray<'a, L, Ix1>) -> Result<FittedLabelEncoder<L>> {
        let y: ArrayView1<'a, L> = y.into();
        if y.is_empty() {
            return Err(Error::EmptyInput {
                estimator: "LabelEncoder".into(),
                what: "y",
                rows: 0,
                cols: 1,
                min_rows: 1,
            });
        }
        Ok(FittedLabelEncoder { classes: EncodedLabels::encode(y).classes })
    }

    /// Fits and encodes.
    pub fn fit_transform<'a, L: ClassLabel>(
        &self,
        y: impl AsArray<'a, L, Ix1>,
    ) -> Result<(FittedLabelEncoder<L>, Array1<usize>)> {
        let y: ArrayView1<'a, L> = y.into();
        if y.is_empty() {
            return Err(Error::EmptyInput {
                estimator: "LabelEncoder".into(),
                what: "y",
                rows: 0,
                cols: 1,
                min_rows: 1,
            });
        }
        let enc = EncodedLabels::encode(y);
        Ok((FittedLabelEncoder { classes: enc.classes }, enc.y))
    }

    /// Fits on a polars series of integers or strings (no nulls).
    pub fn fit_series(&self, y: &Series) -> Result<FittedLabelEncoder<Label>> {
        self.fit(&series_labels(y)?)
    }
}

/// Reads a series as labels: integer columns as `Label::Int`, strings as `Label::Str`.
pub fn series_labels(y: &Series) -> Result<Array1<Label>> {
    let name = y.name().to_string();
    let null = || Error::InvalidInput(format!("label column {name:?} contains nulls"));
    if y.dtype().is_integer() {
        let c = y.cast(&DataType::Int64).map_err(pl)?;
        c.i64().map_err(pl)?.iter().map(|v| v.map(Label::Int).ok_or_else(null)).collect()
    } else {
        match Col::from_series(y)? {
            Col::Str(s) => s.iter().map(|v| v.map(|v| Label::Str(v.to_string())).ok_or_else(null)).collect(),
            Col::Cat(c) => c
                .chunks()
                .flat_map(|a| a.iter())
                .map(|v| v.map(|&k| Label::Str(c.str_of(k).to_string())).ok_or_else(null))
                .collect(),
            Col::Num { .. } => Err(Error::InvalidInput(format!(
                "label column {name:?} has dtype {}; labels must be integers or strings",
                y.dtype()
            ))),
        }
    }
}

/// A fitted [`LabelEncoder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedLabelEncoder<L> {
    classes: Vec<L>,
}

impl<L: ClassLabel> FittedLabelEncoder<L> {
    /// The sorted distinct labels (`classes_`).
    pub fn classes(&self) -> &[L] {
        &self.classes
    }

    /// Class id of each label.
    pub fn transform<'a>(&self, y: impl AsArray<'a, L, Ix1>) -> Result<Array1<usize>>
    where
        L: 'a,
    {
        let y: ArrayView1<'a, L> = y.into();
        y.iter()
            .map(|l| {
                self.classes
                    .binary_search(l)
                    .map_err(|_| Error::UnknownLabel { label: format!("{l:?}"), n_classes: self.classes.len() })
            })
            .collect()
    }

    /// Label of each class id.
    pub fn inverse_transform<'a>(&self, ids: impl AsArray<'a, usize, Ix1>) -> Result<Array1<L>> {
        let ids: ArrayView1<'a, usize> = ids.into();
        ids.iter()
            .map(|&i| {
                self.classes.get(i).cloned().ok_or_else(|| {
                    Error::InvalidInput(format!("class id {i} is out of range for {} classes", self.classes.len()))
                })
            })
            .collect()
    }
}

impl FittedLabelEncoder<Label> {
    /// Class ids of a polars series.
    pub fn transform_series(&self, y: &Series) -> Result<Array1<usize>> {
        self.transform(&series_labels(y)?)
    }
}
