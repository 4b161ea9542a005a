//! Reading CSV and Parquet files into polars DataFrames, writing them back, and turning a
//! DataFrame into the `(X, y)` arrays estimators take.

use std::fs::File;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayViewMut1};
use oxlearn_core::{Error, Label, Result};
use polars::prelude::{
    Column, CsvReadOptions, CsvWriter, DataFrame, DataType, Float64Chunked, LazyCsvReader, LazyFileListReader,
    LazyFrame, ParquetReader, ParquetWriter, PlRefPath, PolarsError, ScanArgsParquet, SerReader, SerWriter, Series,
};

/// Turns a polars error about `path` into an oxlearn error: [`Error::Io`] for an i/o failure
/// (missing file, permission), [`Error::Other`] for content polars cannot parse.
fn file_error(action: &str, path: &Path, e: PolarsError) -> Error {
    match e {
        PolarsError::IO { .. } => Error::Io(format!("cannot {action} {}: {e}", path.display())),
        e => Error::Other(format!("cannot {action} {}: {e}", path.display())),
    }
}

fn ref_path(path: &Path) -> Result<PlRefPath> {
    PlRefPath::try_from_path(path).map_err(|e| file_error("open", path, e))
}

/// Reads a CSV file with a header row into a DataFrame, inferring column types from the whole
/// file as pandas does (a column of integers with one `1.5` in row 10,000 is `f64`), with
/// polars' other defaults: `,` separator, empty fields are nulls.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened, [`Error::Other`] when it cannot be parsed; both
/// name the path.
pub fn read_csv(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .map_err(|e| file_error("read CSV file", path, e))
}

/// A lazy scan of a CSV file (header row, types inferred from the whole file as [`read_csv`]
/// does, which costs one pass over it): the data is read at `collect`, and only the columns
/// the query needs.
///
/// # Errors
/// As [`read_csv`]; some errors surface only at `collect`.
pub fn scan_csv(path: impl AsRef<Path>) -> Result<LazyFrame> {
    let path = path.as_ref();
    LazyCsvReader::new(ref_path(path)?)
        .with_has_header(true)
        .with_infer_schema_length(None)
        .finish()
        .map_err(|e| file_error("scan CSV file", path, e))
}

/// Reads a Parquet file into a DataFrame.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened, [`Error::Other`] when it is not valid Parquet;
/// both name the path.
pub fn read_parquet(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
    ParquetReader::new(file).finish().map_err(|e| file_error("read Parquet file", path, e))
}

/// A lazy scan of a Parquet file (or a glob such as `"events-*.parquet"`): projections and
/// filters are pushed down into the reader when the query is collected.
///
/// # Errors
/// As [`read_parquet`]; some errors surface only at `collect`.
pub fn scan_parquet(path: impl AsRef<Path>) -> Result<LazyFrame> {
    let path = path.as_ref();
    LazyFrame::scan_parquet(ref_path(path)?, ScanArgsParquet::default())
        .map_err(|e| file_error("scan Parquet file", path, e))
}

/// Writes `df` to `path` as CSV with a header row (creating or truncating the file).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_csv(df: &DataFrame, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let file = File::create(path).map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
    CsvWriter::new(file).include_header(true).finish(&mut df.clone()).map_err(|e| file_error("write CSV file", path, e))
}

/// Writes `df` to `path` as Parquet (creating or truncating the file).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_parquet(df: &DataFrame, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let file = File::create(path).map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
    ParquetWriter::new(file).finish(&mut df.clone()).map(|_| ()).map_err(|e| file_error("write Parquet file", path, e))
}

/// What [`frame_to_array_with`] and [`xy_from_frame_with`] do with a null in a feature column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nulls {
    /// A null is an error naming its column and row (the default).
    #[default]
    Error,
    /// A null becomes `f64::NAN`, for estimators and imputers that accept NaN.
    AsNaN,
}

fn column_names(df: &DataFrame) -> Vec<String> {
    df.get_column_names().iter().map(|s| s.to_string()).collect()
}

fn find_column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Column> {
    df.column(name).map_err(|_| {
        Error::InvalidInput(format!("column {name:?} not found; the frame's columns are {:?}", column_names(df)))
    })
}

/// The values of a numeric or boolean column as `f64` (a cast, without copying a column that is
/// already `f64`). Anything else is an error naming the column and its type.
fn as_f64<'a>(col: &'a Column, role: &str) -> Result<std::borrow::Cow<'a, Float64Chunked>> {
    let series = col.as_materialized_series();
    let dtype = series.dtype();
    if *dtype == DataType::Float64 {
        let ca = series.f64().expect("checked the dtype");
        return Ok(std::borrow::Cow::Borrowed(ca));
    }
    if !(dtype.is_primitive_numeric() || dtype.is_bool() || dtype.is_null()) {
        return Err(Error::InvalidInput(format!(
            "{role} column {:?} has type {dtype}, which is not numeric; encode it (e.g. with \
             OneHotEncoder or OrdinalEncoder) or drop it first",
            series.name().as_str()
        )));
    }
    let cast = series
        .cast(&DataType::Float64)
        .map_err(|e| Error::InvalidInput(format!("cannot convert column {:?} to f64: {e}", series.name().as_str())))?;
    let ca = cast.f64().expect("cast to f64").clone();
    Ok(std::borrow::Cow::Owned(ca))
}

/// Copies one f64 column into `out`, chunk by chunk through contiguous slices where there are
/// no nulls.
fn fill_column(
    ca: &Float64Chunked,
    name: &str,
    nulls: Nulls,
    role: &str,
    mut out: ArrayViewMut1<'_, f64>,
) -> Result<()> {
    if ca.null_count() > 0 {
        match nulls {
            Nulls::Error => {
                let row = ca.iter().position(|v| v.is_none()).expect("null_count > 0");
                return Err(Error::InvalidInput(format!(
                    "{role} column {name:?} holds a null at row {row} ({} nulls in all); impute or drop \
                     them, or convert with Nulls::AsNaN",
                    ca.null_count()
                )));
            }
            Nulls::AsNaN => {
                for (dst, v) in out.iter_mut().zip(ca.iter()) {
                    *dst = v.unwrap_or(f64::NAN);
                }
                return Ok(());
            }
        }
    }
    let mut start = 0;
    for arr in ca.downcast_iter() {
        let values = arr.values().as_slice();
        out.slice_mut(ndarray::s![start..start + values.len()]).assign(&ndarray::ArrayView1::from(values));
        start += values.len();
    }
    Ok(())
}

fn columns_to_array(df: &DataFrame, columns: &[&Column], nulls: Nulls) -> Result<Array2<f64>> {
    let mut x = Array2::zeros((df.height(), columns.len()));
    for (j, col) in columns.iter().enumerate() {
        let ca = as_f64(col, "feature")?;
        fill_column(&ca, col.name().as_str(), nulls, "feature", x.column_mut(j))?;
    }
    Ok(x)
}

/// Every column of `df` as an `f64` matrix (rows = samples), nulls being errors.
///
/// Integer, float and boolean columns are converted; any other type is an error.
///
/// # Errors
/// [`Error::InvalidInput`] naming the first non-numeric column and its type, or the first null
/// with its column and row.
pub fn frame_to_array(df: &DataFrame) -> Result<Array2<f64>> {
    frame_to_array_with(df, Nulls::Error)
}

/// [`frame_to_array`] with a choice of what a null becomes.
///
/// # Errors
/// As [`frame_to_array`].
pub fn frame_to_array_with(df: &DataFrame, nulls: Nulls) -> Result<Array2<f64>> {
    let columns: Vec<&Column> = df.columns().iter().collect();
    columns_to_array(df, &columns, nulls)
}

/// Splits `df` into the feature matrix (every column but `target`, converted to `f64`, nulls
/// being errors) and the target column, untouched.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("age" => [31i64, 45], "income" => [52.0, 61.5], "churned" => ["no", "yes"])?;
/// let (x, y) = oxlearn_datasets::xy_from_frame(&df, "churned")?;
/// assert_eq!(x, ndarray::array![[31.0, 52.0], [45.0, 61.5]]);
/// assert_eq!(y.name().as_str(), "churned");
///
/// // A missing column names the ones there are.
/// let err = oxlearn_datasets::xy_from_frame(&df, "label").unwrap_err();
/// assert!(err.to_string().contains(r#"["age", "income", "churned"]"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when `target` is not a column (listing the columns there are), when
/// a feature column is not numeric (naming it and its type), or holds a null (naming its column
/// and row).
pub fn xy_from_frame(df: &DataFrame, target: &str) -> Result<(Array2<f64>, Series)> {
    xy_from_frame_with(df, target, Nulls::Error)
}

/// [`xy_from_frame`] with a choice of what a null in a feature column becomes.
///
/// # Errors
/// As [`xy_from_frame`].
pub fn xy_from_frame_with(df: &DataFrame, target: &str, nulls: Nulls) -> Result<(Array2<f64>, Series)> {
    let y = find_column(df, target)?.as_materialized_series().clone();
    let features: Vec<&Column> = df.columns().iter().filter(|c| c.name().as_str() != target).collect();
    let x = columns_to_array(df, &features, nulls)?;
    Ok((x, y))
}

/// Splits `df` into features and a numeric target (for a regressor).
///
/// # Errors
/// As [`xy_from_frame`], and [`Error::InvalidInput`] when the target is not numeric or holds a
/// null.
pub fn xy_regression(df: &DataFrame, target: &str) -> Result<(Array2<f64>, Array1<f64>)> {
    let (x, y) = xy_from_frame(df, target)?;
    Ok((x, series_to_f64(&y)?))
}

/// Splits `df` into features and class labels (for a classifier): integer, boolean (0/1) and
/// integral float targets become [`Label::Int`], string and categorical targets [`Label::Str`].
///
/// # Errors
/// As [`xy_from_frame`], and as [`series_to_labels`] for the target.
pub fn xy_classification(df: &DataFrame, target: &str) -> Result<(Array2<f64>, Array1<Label>)> {
    let (x, y) = xy_from_frame(df, target)?;
    Ok((x, series_to_labels(&y)?))
}

/// A numeric (or boolean) series as `f64` values.
///
/// # Errors
/// [`Error::InvalidInput`] when the series is not numeric, or holds a null (naming the row).
pub fn series_to_f64(series: &Series) -> Result<Array1<f64>> {
    let col = Column::from(series.clone());
    let ca = as_f64(&col, "target")?;
    let mut y = Array1::zeros(series.len());
    fill_column(&ca, series.name().as_str(), Nulls::Error, "target", y.view_mut())?;
    Ok(y)
}

/// A series as class labels: integers and booleans (as 0/1) become [`Label::Int`], floats that
/// are all whole numbers too, strings and categoricals become [`Label::Str`].
///
/// # Errors
/// [`Error::InvalidInput`] for a null (naming the row), a float that is not a whole number, or
/// a type that cannot be a label (dates, lists, ...).
pub fn series_to_labels(series: &Series) -> Result<Array1<Label>> {
    let name = series.name().as_str();
    let null_error = |row: usize| {
        Error::InvalidInput(format!("target column {name:?} holds a null at row {row}; drop or fill it first"))
    };
    let dtype = series.dtype();
    let cast_error = |e: PolarsError| Error::InvalidInput(format!("cannot read target column {name:?} as labels: {e}"));
    if dtype.is_string() || dtype.is_categorical() || dtype.is_enum() {
        let s = series.cast(&DataType::String).map_err(cast_error)?;
        let ca = s.str().expect("cast to string");
        return ca
            .iter()
            .enumerate()
            .map(|(row, v)| v.map(|s| Label::Str(s.to_string())).ok_or_else(|| null_error(row)))
            .collect();
    }
    if dtype.is_integer() || dtype.is_bool() {
        let s = series.cast(&DataType::Int64).map_err(cast_error)?;
        let ca = s.i64().expect("cast to i64");
        return ca
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(v) => Ok(Label::Int(v)),
                // The cast turns a u64 beyond i64's range into a null.
                None if series.get(row).is_ok_and(|v| !v.is_null()) => Err(Error::InvalidInput(format!(
                    "target column {name:?} holds label {} at row {row}, outside i64's range",
                    series.get(row).map(|v| v.to_string()).unwrap_or_default()
                ))),
                None => Err(null_error(row)),
            })
            .collect();
    }
    if dtype.is_float() {
        let s = series.cast(&DataType::Float64).map_err(cast_error)?;
        let ca = s.f64().expect("cast to f64");
        return ca
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e18 => Ok(Label::Int(v as i64)),
                Some(v) => Err(Error::InvalidInput(format!(
                    "target column {name:?} holds {v} at row {row}, which is not a class label \
                     (a whole number); use xy_regression for a continuous target"
                ))),
                None => Err(null_error(row)),
            })
            .collect();
    }
    Err(Error::InvalidInput(format!(
        "target column {name:?} has type {dtype}, which cannot hold class labels (integers or strings)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{NamedFrom, df};

    #[test]
    fn multi_chunk_columns_are_copied_whole() {
        let mut a = df!("a" => [1.0, 2.0], "t" => [0i64, 1]).unwrap();
        let b = df!("a" => [3.0], "t" => [1i64]).unwrap();
        a.vstack_mut(&b).unwrap();
        assert!(a.column("a").unwrap().as_materialized_series().n_chunks() > 1);
        let (x, y) = xy_regression(&a, "t").unwrap();
        assert_eq!(x, ndarray::array![[1.0], [2.0], [3.0]]);
        assert_eq!(y, ndarray::array![0.0, 1.0, 1.0]);
    }

    #[test]
    fn u64_labels_beyond_i64_are_an_error() {
        let s = Series::new("y".into(), [1u64, u64::MAX]);
        let e = series_to_labels(&s).unwrap_err();
        assert!(e.to_string().contains("row 1, outside i64's range"), "{e}");
    }
}
