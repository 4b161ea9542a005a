//! Column data shared by the matrix and DataFrame paths: numeric columns as `f64` with NaN for
//! missing values, string columns as polars `StringChunked` with nulls.

use ndarray::{Array2, ArrayView2, Axis};
use oxlearn_core::{Error, Result};
use polars::prelude::*;
use rayon::prelude::*;

/// One input or intermediate column.
#[derive(Debug, Clone)]
pub enum Col {
    /// Numbers (booleans become 0/1); NaN marks a missing value. `int` records that the
    /// source column had an integer dtype (used to spell category names as scikit-learn does).
    Num {
        /// The values.
        v: Vec<f64>,
        /// The source dtype was an integer (or boolean) type.
        int: bool,
    },
    /// Strings (categorical and enum columns are read as their strings); null marks a missing value.
    Str(StringChunked),
}

/// Groups of polars dtypes that the fitted [`ColumnTransformer`](crate::ColumnTransformer)
/// checks against at transform time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DtypeGroup {
    /// Integer and float columns.
    Numeric,
    /// Boolean columns.
    Boolean,
    /// String columns.
    String,
    /// Categorical and enum columns.
    Categorical,
    /// Anything else (dates, lists, ...), which no transformer accepts.
    Other,
}

impl DtypeGroup {
    /// The group of a polars dtype.
    pub fn of(dtype: &DataType) -> Self {
        if dtype.is_primitive_numeric() {
            DtypeGroup::Numeric
        } else if dtype.is_bool() {
            DtypeGroup::Boolean
        } else if dtype.is_string() {
            DtypeGroup::String
        } else if dtype.is_categorical() || dtype.is_enum() {
            DtypeGroup::Categorical
        } else if matches!(dtype, DataType::Null) {
            // An all-null column read from a file; it can stand for any type.
            DtypeGroup::Other
        } else {
            DtypeGroup::Other
        }
    }

    /// Whether a column of group `self` at fit time may be given as `now` at transform time.
    pub fn compatible(self, now: DtypeGroup) -> bool {
        self == now
            || matches!(
                (self, now),
                (DtypeGroup::String, DtypeGroup::Categorical) | (DtypeGroup::Categorical, DtypeGroup::String)
            )
    }
}

impl std::fmt::Display for DtypeGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DtypeGroup::Numeric => "numeric",
            DtypeGroup::Boolean => "boolean",
            DtypeGroup::String => "string",
            DtypeGroup::Categorical => "categorical",
            DtypeGroup::Other => "other",
        })
    }
}

/// Wraps a polars error into oxlearn's error type.
pub(crate) fn pl(e: PolarsError) -> Error {
    Error::Other(format!("polars: {e}"))
}

impl Col {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Col::Num { v, .. } => v.len(),
            Col::Str(s) => s.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for string columns.
    pub fn is_str(&self) -> bool {
        matches!(self, Col::Str(_))
    }

    /// A numeric column of floats.
    pub fn num(v: Vec<f64>) -> Self {
        Col::Num { v, int: false }
    }

    /// Reads a polars column: numbers and booleans as `f64` (null becomes NaN), strings,
    /// categoricals and enums as strings.
    pub fn from_series(s: &Series) -> Result<Col> {
        let dtype = s.dtype();
        match DtypeGroup::of(dtype) {
            DtypeGroup::Numeric | DtypeGroup::Boolean => {
                let int = dtype.is_integer() || dtype.is_bool();
                let cast = s.cast(&DataType::Float64).map_err(pl)?;
                let ca = cast.f64().map_err(pl)?;
                // One contiguous copy into a fresh (huge-page) buffer, then NaN at the nulls.
                let ca = ca.rechunk();
                let mut v = oxlearn_core::alloc::vec_with_capacity(ca.len());
                for arr in ca.downcast_iter() {
                    let start = v.len();
                    v.extend_from_slice(arr.values().as_slice());
                    if let Some(valid) = arr.validity().filter(|b| b.unset_bits() > 0) {
                        v[start..].iter_mut().zip(valid.iter()).for_each(|(x, ok)| *x = if ok { *x } else { f64::NAN });
                    }
                }
                Ok(Col::Num { v, int })
            }
            DtypeGroup::String | DtypeGroup::Categorical => {
                let cast = s.cast(&DataType::String).map_err(pl)?;
                Ok(Col::Str(cast.str().map_err(pl)?.rechunk().into_owned()))
            }
            DtypeGroup::Other if matches!(dtype, DataType::Null) => Ok(Col::num(vec![f64::NAN; s.len()])),
            DtypeGroup::Other => Err(Error::InvalidInput(format!(
                "column {:?} has dtype {dtype}, which no transformer accepts; cast it to a number or a string",
                s.name().as_str()
            ))),
        }
    }

    /// Converts back to a polars series (numbers as Float64 with NaN kept, strings with nulls).
    pub fn to_series(&self, name: &str) -> Series {
        match self {
            Col::Num { v, .. } => Float64Chunked::from_vec(name.into(), v.clone()).into_series(),
            Col::Str(s) => s.clone().with_name(name.into()).into_series(),
        }
    }
}

/// The columns of a matrix as numeric [`Col`]s (in parallel over columns).
pub(crate) fn array_to_cols(x: ArrayView2<'_, f64>) -> Vec<Col> {
    (0..x.ncols()).into_par_iter().map(|j| Col::num(x.column(j).to_vec())).collect()
}

/// Stacks numeric columns into a matrix; a string column is an error naming it.
pub(crate) fn cols_to_array(estimator: &str, cols: &[Col], names: &[String]) -> Result<Array2<f64>> {
    let n = cols.first().map_or(0, Col::len);
    let mut out = Array2::<f64>::zeros((n, cols.len()));
    for (j, c) in cols.iter().enumerate() {
        match c {
            Col::Num { v, .. } => out.column_mut(j).iter_mut().zip(v).for_each(|(o, &x)| *o = x),
            Col::Str(_) => {
                return Err(Error::InvalidInput(format!(
                    "{estimator} needs numeric columns, but column {:?} holds strings; encode it first",
                    names.get(j).map_or("?", String::as_str)
                )));
            }
        }
    }
    Ok(out)
}

/// Splits a matrix into numeric columns.
pub(crate) fn array_into_cols(x: Array2<f64>) -> Vec<Col> {
    x.axis_iter(Axis(1)).map(|c| Col::num(c.to_vec())).collect()
}

/// Default input names `x0, x1, ..`.
pub(crate) fn default_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("x{i}")).collect()
}

/// Input names given to `feature_names_out`, or the defaults when absent or of the wrong length.
pub(crate) fn names_or_default(input: Option<&[String]>, n: usize) -> Vec<String> {
    match input {
        Some(names) if names.len() == n => names.to_vec(),
        _ => default_names(n),
    }
}

/// Spells a number as Python's `str(float)` does (`1.0`, `0.5`, `1e-07`), or as an integer
/// when the column was an integer column.
pub(crate) fn py_num(v: f64, int: bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if int && v.fract() == 0.0 && v.abs() < 1e18 {
        return format!("{}", v as i64);
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{v:e}");
        let (mant, exp) = s.split_once('e').expect("exponent format has an e");
        let exp: i32 = exp.parse().expect("exponent is an integer");
        return format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    format!("{v:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_number_spelling() {
        assert_eq!(py_num(1.0, false), "1.0");
        assert_eq!(py_num(1.0, true), "1");
        assert_eq!(py_num(0.1, false), "0.1");
        assert_eq!(py_num(1e-7, false), "1e-07");
        assert_eq!(py_num(2.5e20, false), "2.5e+20");
        assert_eq!(py_num(-3.0, false), "-3.0");
    }

    #[test]
    fn series_round_trip() {
        let s = Series::new("a".into(), &[Some(1i64), None, Some(3)]);
        let c = Col::from_series(&s).unwrap();
        match &c {
            Col::Num { v, int } => {
                assert!(*int);
                assert_eq!(v[0], 1.0);
                assert!(v[1].is_nan());
            }
            Col::Str(_) => panic!("numeric expected"),
        }
        let s = Series::new("b".into(), &[Some("x"), None]);
        assert!(Col::from_series(&s).unwrap().is_str());
    }
}
