//! The one error type of oxlearn's data validation, shared by every crate.

use std::fmt;

/// Where a non-finite value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The feature matrix `X`.
    X,
    /// The target `y`.
    Y,
    /// Sample weights.
    SampleWeight,
    /// A named argument of a function, such as a metric's `y_pred`, `y_score` or `y_proba`.
    Arg(&'static str),
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Input::X => "X",
            Input::Y => "y",
            Input::SampleWeight => "sample_weight",
            Input::Arg(name) => name,
        })
    }
}

/// Every error oxlearn returns for bad input, bad parameters or an impossible request.
///
/// Other crates wrap or extend it through [`Error::Other`]; the data-validation variants exist
/// only here so that every estimator reports the same problem in the same words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input has no rows or no columns.
    #[error(
        "{estimator} got an empty {what}: {rows} rows and {cols} columns; at least {min_rows} row(s) and 1 column are required"
    )]
    EmptyInput {
        /// Estimator name.
        estimator: String,
        /// Which input ("X", "y").
        what: &'static str,
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
        /// The least number of rows accepted.
        min_rows: usize,
    },
    /// A NaN or infinite value where the estimator cannot take one.
    #[error("input {input} contains {kind} at row {row}{column}; impute it or use an estimator that allows NaN", kind = if value.is_nan() { "NaN".to_string() } else { value.to_string() }, column = column_label(.column, .column_name))]
    NonFinite {
        /// Which input.
        input: Input,
        /// Row index.
        row: usize,
        /// Column index (for `X`).
        column: Option<usize>,
        /// Column name, where the input had names.
        column_name: Option<String>,
        /// The offending value.
        value: f64,
    },
    /// `X` has a different width than the estimator was fitted with.
    #[error("X has {got} features, but {estimator} was fitted with {expected}")]
    FeatureMismatch {
        /// Estimator name.
        estimator: String,
        /// Width at fit time.
        expected: usize,
        /// Width now.
        got: usize,
    },
    /// Inputs that must have the same length do not.
    #[error("{estimator}: X has {x_rows} rows but {other} has {other_rows}; they must have the same length")]
    LengthMismatch {
        /// Estimator name.
        estimator: String,
        /// Rows of `X`.
        x_rows: usize,
        /// Name of the other input ("y", "sample_weight").
        other: &'static str,
        /// Its length.
        other_rows: usize,
    },
    /// A shape that does not fit the operation, other than the cases above.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// A hyper-parameter out of its valid range, found by `fit`.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam {
        /// Parameter name, as in scikit-learn.
        name: String,
        /// What is wrong, with the value.
        reason: String,
    },
    /// A category not seen during fit.
    #[error("column {column:?} holds category {category:?} not seen during fit (handle_unknown = error)")]
    UnknownCategory {
        /// Column name or index.
        column: String,
        /// The unseen value.
        category: String,
    },
    /// A label not among the fitted classes.
    #[error("y contains label {label} not among the {n_classes} classes seen during fit")]
    UnknownLabel {
        /// The label, formatted.
        label: String,
        /// Number of fitted classes.
        n_classes: usize,
    },
    /// The data cannot support the request (one class for a classifier, fewer samples than
    /// clusters, ...).
    #[error("{0}")]
    InvalidInput(String),
    /// The operation is not supported by this estimator (e.g. `predict_proba` on a model
    /// without probabilities).
    #[error("{estimator} does not support {operation}")]
    Unsupported {
        /// Estimator name.
        estimator: String,
        /// The operation asked for.
        operation: &'static str,
    },
    /// A numerical failure the caller can act on (singular matrix, no convergence where
    /// convergence is required).
    #[error("numerical error in {estimator}: {reason}")]
    Numerical {
        /// Estimator name.
        estimator: String,
        /// What failed.
        reason: String,
    },
    /// A model file or serialized state that cannot be read.
    #[error("cannot read model: {0}")]
    Format(String),
    /// Input/output (files, streams), with the path where there is one.
    #[error("i/o error: {0}")]
    Io(String),
    /// An error from another part of oxlearn (a backend, a device), already formatted.
    #[error("{0}")]
    Other(String),
}

fn column_label(column: &Option<usize>, name: &Option<String>) -> String {
    match (column, name) {
        (_, Some(name)) => format!(", column {name:?}"),
        (Some(c), None) => format!(", column {c}"),
        (None, None) => String::new(),
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidParam`].
    pub fn invalid_param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParam { name: name.into(), reason: reason.into() }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(estimator: impl Into<String>, operation: &'static str) -> Self {
        Error::Unsupported { estimator: estimator.into(), operation }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// `Result` with oxlearn's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_the_numbers() {
        let e = Error::FeatureMismatch { estimator: "StandardScaler".into(), expected: 4, got: 3 };
        assert_eq!(e.to_string(), "X has 3 features, but StandardScaler was fitted with 4");
        let e = Error::NonFinite {
            input: Input::X,
            row: 17,
            column: Some(2),
            column_name: Some("age".into()),
            value: f64::NAN,
        };
        assert_eq!(
            e.to_string(),
            "input X contains NaN at row 17, column \"age\"; impute it or use an estimator that allows NaN"
        );
        let e = Error::NonFinite { input: Input::Y, row: 3, column: None, column_name: None, value: f64::INFINITY };
        assert!(e.to_string().contains("inf at row 3"), "{e}");
    }
}
