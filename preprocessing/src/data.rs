//! Column data shared by the matrix and DataFrame paths: numeric columns as `f64` with NaN for
//! missing values, string columns as polars `StringChunked` with nulls, categorical and enum
//! columns as their physical codes plus polars' code-to-string mapping.

use std::sync::Arc;

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
    /// Strings; null marks a missing value.
    Str(StringChunked),
    /// A polars categorical or enum column, read natively (its codes, never cast to strings);
    /// null marks a missing value. Encoders and imputers treat it exactly as the string column
    /// of its values.
    Cat(CatCol),
}

/// A categorical or enum column: polars' physical codes (as `u32`, in polars' chunks, nulls
/// kept) and the mapping from code to string. Consumers read each chunk's codes once and map
/// them to their own category ids through a small per-chunk table.
#[derive(Debug, Clone)]
pub struct CatCol {
    codes: UInt32Chunked,
    mapping: Arc<CategoricalMapping>,
}

impl CatCol {
    /// Reads a categorical or enum series (codes stored in 8 or 16 bits are widened).
    fn from_series(s: &Series) -> Result<CatCol> {
        let (DataType::Categorical(_, mapping) | DataType::Enum(_, mapping)) = s.dtype() else {
            return Err(Error::Other(format!("internal: {} is not a categorical dtype", s.dtype())));
        };
        let mapping = mapping.clone();
        // 8- and 16-bit codes (small enums) are widened chunk by chunk; polars is built without
        // its u8 / u16 dtypes here, so they are read through the arrow arrays, never cast.
        fn widen<'a, T: Copy + Into<u32> + 'a>(
            name: PlSmallStr,
            arrays: impl Iterator<Item = impl IntoIterator<Item = Option<&'a T>>>,
        ) -> UInt32Chunked {
            let mut out = UInt32Chunked::from_iter_options(
                name,
                arrays.flat_map(|a| a.into_iter().map(|o| o.map(|&v| v.into()))),
            );
            out.rechunk_mut();
            out
        }
        let codes = match s.dtype().cat_physical().map_err(pl)? {
            CategoricalPhysical::U32 => s.cat32().map_err(pl)?.physical().clone(),
            CategoricalPhysical::U16 => widen(s.name().clone(), s.cat16().map_err(pl)?.physical().downcast_iter()),
            CategoricalPhysical::U8 => widen(s.name().clone(), s.cat8().map_err(pl)?.physical().downcast_iter()),
        };
        Ok(CatCol { codes, mapping })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Number of missing values.
    pub fn null_count(&self) -> usize {
        self.codes.null_count()
    }

    /// The codes, chunk by chunk.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &<UInt32Type as PolarsDataType>::Array> {
        self.codes.downcast_iter()
    }

    /// The string of a code that occurs in the column.
    pub(crate) fn str_of(&self, code: u32) -> &str {
        self.mapping.cat_to_str(code).unwrap_or("")
    }

    /// The code of a string, if the mapping has it.
    pub(crate) fn code_of(&self, s: &str) -> Option<u32> {
        self.mapping.get_cat(s)
    }

    /// True where row `i` is missing.
    pub(crate) fn is_null(&self, i: usize) -> bool {
        self.codes.get(i).is_none()
    }

    /// 1 where a value is missing, else 0 (an imputer's indicator column).
    pub(crate) fn missing_indicator(&self) -> Vec<f64> {
        self.codes.iter().map(|c| if c.is_none() { 1.0 } else { 0.0 }).collect()
    }

    /// The same column with its missing values set to `code` (a code of the mapping).
    pub(crate) fn fill_null(&self, code: u32) -> Result<CatCol> {
        let codes = self.codes.fill_null_with_values(code).map_err(pl)?;
        Ok(CatCol { codes, mapping: self.mapping.clone() })
    }

    /// The values as strings.
    pub fn to_strings(&self) -> StringChunked {
        let mut out: StringChunked =
            self.chunks().flat_map(|arr| arr.iter().map(|c| c.map(|&c| self.str_of(c)))).collect();
        out.rename(self.codes.name().clone());
        out
    }
}

/// A per-chunk look-up from polars codes to a consumer's ids: a table indexed by code (sized by
/// the chunk's largest code), each entry resolved from the code's string on first use, so a
/// string is looked up once per distinct code in the chunk, not once per row. Codes far beyond
/// the chunk's length (a large shared mapping) go through a hash map instead.
pub(crate) struct CodeTable {
    /// Resolved ids (any `u32`), [`UNRESOLVED`] before first use.
    table: Vec<u64>,
    sparse: Option<crate::kernels::FxMap<u32, u32>>,
}

/// A table entry not resolved yet (outside the `u32` ids).
const UNRESOLVED: u64 = u64::MAX;

impl CodeTable {
    /// A table for the codes in `codes` (null slots may hold any code).
    pub(crate) fn new(codes: &[u32]) -> Self {
        let max = codes.iter().copied().max().unwrap_or(0) as usize;
        if max < (4 * codes.len()).max(1 << 16) {
            CodeTable { table: vec![UNRESOLVED; max + 1], sparse: None }
        } else {
            CodeTable { table: Vec::new(), sparse: Some(Default::default()) }
        }
    }

    /// The id of `code`, computed by `resolve` on first use.
    #[inline(always)]
    pub(crate) fn get(&mut self, code: u32, resolve: impl FnOnce(u32) -> u32) -> u32 {
        match self.try_get(code, |c| Ok(resolve(c))) {
            Ok(t) => t,
            Err(_) => unreachable!("resolve cannot fail"),
        }
    }

    /// [`get`](Self::get) with a fallible `resolve` (an error is returned, nothing stored).
    #[inline(always)]
    pub(crate) fn try_get(&mut self, code: u32, resolve: impl FnOnce(u32) -> Result<u32>) -> Result<u32> {
        match &mut self.sparse {
            None => {
                let t = &mut self.table[code as usize];
                if *t == UNRESOLVED {
                    *t = u64::from(resolve(code)?);
                }
                Ok(*t as u32)
            }
            Some(m) => match m.get(&code) {
                Some(&t) => Ok(t),
                None => {
                    let t = resolve(code)?;
                    m.insert(code, t);
                    Ok(t)
                }
            },
        }
    }
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
            Col::Cat(c) => c.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for string (and categorical) columns.
    pub fn is_str(&self) -> bool {
        matches!(self, Col::Str(_) | Col::Cat(_))
    }

    /// True where row `i` is missing (NaN or null).
    pub(crate) fn missing_at(&self, i: usize) -> bool {
        match self {
            Col::Num { v, .. } => v[i].is_nan(),
            Col::Str(s) => s.get(i).is_none(),
            Col::Cat(c) => c.is_null(i),
        }
    }

    /// A numeric column of floats.
    pub fn num(v: Vec<f64>) -> Self {
        Col::Num { v, int: false }
    }

    /// Reads a polars column: numbers and booleans as `f64` (null becomes NaN), strings as
    /// strings, categoricals and enums natively as [`Col::Cat`] (codes and mapping, no cast).
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
            DtypeGroup::Categorical => Ok(Col::Cat(CatCol::from_series(s)?)),
            DtypeGroup::String => {
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

    /// Converts back to a polars series (numbers as Float64 with NaN kept, strings with nulls,
    /// categorical columns as the strings of their values).
    pub fn to_series(&self, name: &str) -> Series {
        match self {
            Col::Num { v, .. } => Float64Chunked::from_vec(name.into(), v.clone()).into_series(),
            Col::Str(s) => s.clone().with_name(name.into()).into_series(),
            Col::Cat(c) => c.to_strings().with_name(name.into()).into_series(),
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
            Col::Str(_) | Col::Cat(_) => {
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
            Col::Str(_) | Col::Cat(_) => panic!("numeric expected"),
        }
        let s = Series::new("b".into(), &[Some("x"), None]);
        assert!(Col::from_series(&s).unwrap().is_str());
    }
}
