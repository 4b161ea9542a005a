//! Dynamically typed hyper-parameter values, for searches over boxed estimators and pipelines.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A hyper-parameter value addressed by name (`"model__max_depth"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ParamValue {
    /// A real number.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A string (enum-valued parameters use their scikit-learn spelling: `"rbf"`, `"l2"`).
    Str(String),
    /// No value (`None` in scikit-learn, e.g. `max_depth=None`).
    None,
    /// A list of integers (`hidden_layer_sizes`).
    IntList(Vec<i64>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::Str(v) => write!(f, "{v:?}"),
            ParamValue::None => f.write_str("None"),
            ParamValue::IntList(v) => write!(f, "{v:?}"),
        }
    }
}

impl ParamValue {
    /// The value as a real number (integers widen).
    pub fn as_f64(&self, name: &str) -> Result<f64> {
        match *self {
            ParamValue::Float(v) => Ok(v),
            ParamValue::Int(v) => Ok(v as f64),
            _ => Err(self.type_error(name, "a number")),
        }
    }

    /// The value as a non-negative integer.
    pub fn as_usize(&self, name: &str) -> Result<usize> {
        match *self {
            ParamValue::Int(v) if v >= 0 => Ok(v as usize),
            ParamValue::Float(v) if v >= 0.0 && v.fract() == 0.0 => Ok(v as usize),
            _ => Err(self.type_error(name, "a non-negative integer")),
        }
    }

    /// The value as an optional non-negative integer (`None` allowed).
    pub fn as_opt_usize(&self, name: &str) -> Result<Option<usize>> {
        match self {
            ParamValue::None => Ok(None),
            other => other.as_usize(name).map(Some),
        }
    }

    /// The value as a boolean.
    pub fn as_bool(&self, name: &str) -> Result<bool> {
        match *self {
            ParamValue::Bool(v) => Ok(v),
            _ => Err(self.type_error(name, "a boolean")),
        }
    }

    /// The value as a string.
    pub fn as_str(&self, name: &str) -> Result<&str> {
        match self {
            ParamValue::Str(v) => Ok(v),
            _ => Err(self.type_error(name, "a string")),
        }
    }

    fn type_error(&self, name: &str, expected: &str) -> Error {
        Error::invalid_param(name, format!("expected {expected}, got {self}"))
    }
}

macro_rules! from_impl {
    ($($t:ty => $variant:ident as $conv:ty),*) => {
        $(impl From<$t> for ParamValue {
            fn from(v: $t) -> Self { ParamValue::$variant(v as $conv) }
        })*
    };
}
from_impl!(f64 => Float as f64, f32 => Float as f64, i64 => Int as i64, i32 => Int as i64, usize => Int as i64, u64 => Int as i64);

impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}
impl<T: Into<ParamValue>> From<Option<T>> for ParamValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(ParamValue::None, Into::into)
    }
}
