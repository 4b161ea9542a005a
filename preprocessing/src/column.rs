//! [`ColumnTransformer`]: applies a transformer (or a chain) to each selection of DataFrame
//! columns and concatenates the results into one dense `f64` matrix, scikit-learn's
//! `ColumnTransformer`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis};
use oxlearn_core::parallel::with_n_jobs;
use oxlearn_core::{
    Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Tags, Transformer, TransformerKind,
};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Col, DtypeGroup, default_names, pl};
use crate::encode::NO_OUTPUT;
use crate::kernels::{TRANSFORM_CHUNK, zeros_output};
use crate::sparse::CsrMatrix;
use crate::step::{Block, FittedStep, Step};

type Predicate = Arc<dyn Fn(&str, &DataType) -> bool + Send + Sync>;

/// A selection of DataFrame columns.
#[derive(Clone)]
pub enum Columns {
    /// These columns, by name (a missing one is an error at fit).
    Names(Vec<String>),
    /// Integer and float columns.
    Numeric,
    /// String, categorical, enum and boolean columns.
    Categorical,
    /// String columns only.
    String,
    /// Columns whose name and dtype satisfy the predicate.
    Predicate(Predicate),
    /// Columns by position (the way to select columns of an ndarray matrix, whose columns are
    /// named `x0, x1, ..`); an index past the last column is an error at fit.
    Indices(Vec<usize>),
}

impl fmt::Debug for Columns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Columns::Names(n) => f.debug_tuple("Names").field(n).finish(),
            Columns::Numeric => f.write_str("Numeric"),
            Columns::Categorical => f.write_str("Categorical"),
            Columns::String => f.write_str("String"),
            Columns::Predicate(_) => f.write_str("Predicate(..)"),
            Columns::Indices(i) => f.debug_tuple("Indices").field(i).finish(),
        }
    }
}

impl Columns {
    /// Columns by name.
    pub fn names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Columns::Names(names.into_iter().map(Into::into).collect())
    }
    /// Integer and float columns.
    pub fn numeric() -> Self {
        Columns::Numeric
    }
    /// String, categorical, enum and boolean columns.
    pub fn categorical() -> Self {
        Columns::Categorical
    }
    /// String columns.
    pub fn string() -> Self {
        Columns::String
    }
    /// Columns by position.
    pub fn indices(indices: impl IntoIterator<Item = usize>) -> Self {
        Columns::Indices(indices.into_iter().collect())
    }
    /// Columns chosen by a predicate on the name and the dtype.
    pub fn predicate(f: impl Fn(&str, &DataType) -> bool + Send + Sync + 'static) -> Self {
        Columns::Predicate(Arc::new(f))
    }

    fn resolve(&self, schema: &[(String, DataType)]) -> Result<Vec<String>> {
        let pick = |f: &dyn Fn(&str, &DataType) -> bool| {
            schema.iter().filter(|(n, d)| f(n, d)).map(|(n, _)| n.clone()).collect()
        };
        Ok(match self {
            Columns::Names(names) => {
                let known: HashSet<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
                let missing: Vec<&String> = names.iter().filter(|n| !known.contains(n.as_str())).collect();
                if !missing.is_empty() {
                    return Err(Error::InvalidInput(format!("the frame has no column(s) {missing:?}")));
                }
                names.clone()
            }
            Columns::Numeric => pick(&|_, d| DtypeGroup::of(d) == DtypeGroup::Numeric),
            Columns::Categorical => pick(&|_, d| {
                matches!(DtypeGroup::of(d), DtypeGroup::String | DtypeGroup::Categorical | DtypeGroup::Boolean)
            }),
            Columns::String => pick(&|_, d| d.is_string()),
            Columns::Predicate(p) => pick(&|n, d| p(n, d)),
            Columns::Indices(idx) => {
                if let Some(&bad) = idx.iter().find(|&&i| i >= schema.len()) {
                    return Err(Error::InvalidInput(format!(
                        "column index {bad} is out of range for an input with {} columns",
                        schema.len()
                    )));
                }
                idx.iter().map(|&i| schema[i].0.clone()).collect()
            }
        })
    }
}

/// What happens to the columns no transformer selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Remainder {
    /// Leave them out (default).
    #[default]
    Drop,
    /// Append them unchanged (they must be numeric or boolean).
    Passthrough,
}

/// Applies transformers to selections of DataFrame columns, scikit-learn's `ColumnTransformer`.
///
/// Each [`add`](Self::add)ed part has a name, a [`Step`] (a transformer or a chain built with
/// `.then(..)`) and a [`Columns`] selection. The output is a dense `f64` matrix: the parts'
/// outputs in order, then the remainder (if passed through). Output names follow scikit-learn
/// (`verbose_feature_names_out = true`): `<part>__<feature>`, `remainder__<column>`.
///
/// Hyper-parameters: `remainder` (default [`Remainder::Drop`]), `n_jobs` (default `None`: the
/// current rayon pool), `verbose_feature_names_out` (default `true`).
///
/// Parts are fitted and applied in parallel (and each part in parallel over columns and row
/// chunks); results are bit-identical whatever the thread count. The input frame is never
/// modified. The fitted transformer remembers the columns and dtype groups it used and rejects a
/// frame that lacks one or changed its type, naming them.
///
/// ```
/// use oxlearn_preprocessing::{ColumnTransformer, Columns, OneHotEncoder, SimpleImputer, StandardScaler};
/// use polars::prelude::*;
/// let df = df!("age" => [Some(30.0), None, Some(50.0)], "plan" => [Some("basic"), Some("pro"), None])?;
/// let prep = ColumnTransformer::new()
///     .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
///     .add("cat", SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
///          Columns::categorical());
/// let fitted = prep.fit_frame(&df)?;
/// let x = fitted.transform_frame(&df)?;
/// assert_eq!(x.dim(), (3, 3));
/// assert_eq!(fitted.feature_names_out(), ["num__age", "cat__plan_basic", "cat__plan_pro"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ColumnTransformer {
    parts: Vec<(String, Step, Columns)>,
    remainder: Remainder,
    n_jobs: Option<usize>,
    verbose_feature_names_out: bool,
}

impl Default for ColumnTransformer {
    fn default() -> Self {
        ColumnTransformer {
            parts: Vec::new(),
            remainder: Remainder::Drop,
            n_jobs: None,
            verbose_feature_names_out: true,
        }
    }
}

/// One fitted part of a [`FittedColumnTransformer`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedPart {
    /// The part's name.
    pub name: String,
    /// The input columns it selected.
    pub columns: Vec<String>,
    /// The fitted step.
    pub step: FittedStep,
    /// Its output names (without the part prefix).
    pub names_out: Vec<String>,
}

/// A fitted [`ColumnTransformer`]. `Clone + Debug + Send + Sync` and serde-serializable (unless
/// it holds a closure-backed [`FunctionTransformer`](crate::FunctionTransformer)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedColumnTransformer {
    parts: Vec<FittedPart>,
    remainder: Vec<String>,
    used: Vec<(String, DtypeGroup)>,
    feature_names_in: Vec<String>,
    feature_names_out: Vec<String>,
    n_jobs: Option<usize>,
}

fn frame_schema(df: &DataFrame) -> Vec<(String, DataType)> {
    df.columns().iter().map(|c| (c.name().to_string(), c.dtype().clone())).collect()
}

/// Reads the named columns of a frame as [`Col`]s, in parallel.
pub(crate) fn read_cols(df: &DataFrame, names: &[String]) -> Result<HashMap<String, Col>> {
    names
        .par_iter()
        .map(|n| {
            let c = df.column(n).map_err(pl)?;
            Ok((n.clone(), Col::from_series(c.as_materialized_series())?))
        })
        .collect()
}

impl ColumnTransformer {
    /// An empty column transformer.
    pub fn new() -> Self {
        ColumnTransformer::default()
    }
    /// Adds a part: `step` applied to the `columns` selection, outputs named `<name>__..`.
    pub fn add(mut self, name: impl Into<String>, step: impl Into<Step>, columns: Columns) -> Self {
        self.parts.push((name.into(), step.into(), columns));
        self
    }
    /// What to do with unselected columns (default drop).
    pub fn remainder(mut self, r: Remainder) -> Self {
        self.remainder = r;
        self
    }
    /// Shorthand for `remainder(Remainder::Passthrough)`.
    pub fn remainder_passthrough(self) -> Self {
        self.remainder(Remainder::Passthrough)
    }
    /// Threads to use (default `None`: the current rayon pool).
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = Some(n);
        self
    }
    /// Prefix output names with the part name (default `true`).
    pub fn verbose_feature_names_out(mut self, v: bool) -> Self {
        self.verbose_feature_names_out = v;
        self
    }

    pub(crate) fn n_jobs_param(&self) -> Option<usize> {
        self.n_jobs
    }

    /// The parts: name, step and selection.
    pub fn parts(&self) -> &[(String, Step, Columns)] {
        &self.parts
    }

    pub(crate) fn check_parts(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for (name, step, _) in &self.parts {
            if name.is_empty() || name == "remainder" || name.contains("__") {
                return Err(Error::invalid_param("transformers", format!("invalid part name {name:?}")));
            }
            if !seen.insert(name) {
                return Err(Error::invalid_param("transformers", format!("part name {name:?} is used twice")));
            }
            if step.is_empty() {
                return Err(Error::invalid_param("transformers", format!("part {name:?} has an empty chain")));
            }
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        Ok(())
    }

    /// Resolves the selections against a frame's schema: the columns of each part, and the
    /// remainder.
    pub(crate) fn resolve(&self, schema: &[(String, DataType)]) -> Result<(Vec<Vec<String>>, Vec<String>)> {
        let selections: Vec<Vec<String>> =
            self.parts.iter().map(|(_, _, c)| c.resolve(schema)).collect::<Result<_>>()?;
        let selected: HashSet<&String> = selections.iter().flatten().collect();
        let remainder: Vec<String> = match self.remainder {
            Remainder::Drop => Vec::new(),
            Remainder::Passthrough => {
                schema.iter().map(|(n, _)| n).filter(|n| !selected.contains(n)).cloned().collect()
            }
        };
        for r in &remainder {
            let dtype = &schema.iter().find(|(n, _)| n == r).expect("remainder comes from the schema").1;
            let numeric = dtype.is_primitive_numeric() || dtype.is_bool() || matches!(dtype, DataType::Null);
            if !numeric {
                return Err(Error::InvalidInput(format!(
                    "remainder column {r:?} has dtype {dtype}; passthrough needs numbers, so select it with an encoder"
                )));
            }
        }
        Ok((selections, remainder))
    }

    /// Assembles the fitted transformer from fitted parts.
    pub(crate) fn assemble(
        &self,
        schema: &[(String, DataType)],
        selections: Vec<Vec<String>>,
        fitted: Vec<(FittedStep, Vec<String>)>,
        remainder: Vec<String>,
    ) -> Result<FittedColumnTransformer> {
        let parts: Vec<FittedPart> = self
            .parts
            .iter()
            .zip(selections)
            .zip(fitted)
            .map(|(((name, _, _), columns), (step, names_out))| FittedPart {
                name: name.clone(),
                columns,
                step,
                names_out,
            })
            .collect();
        let mut names = Vec::new();
        for p in &parts {
            for n in &p.names_out {
                names.push(if self.verbose_feature_names_out { format!("{}__{n}", p.name) } else { n.clone() });
            }
        }
        for r in &remainder {
            names.push(if self.verbose_feature_names_out { format!("remainder__{r}") } else { r.clone() });
        }
        if !self.verbose_feature_names_out {
            let mut seen = HashSet::new();
            if let Some(d) = names.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(Error::InvalidInput(format!(
                    "output name {d:?} is not unique; set verbose_feature_names_out(true)"
                )));
            }
        }
        let mut used: Vec<(String, DtypeGroup)> = Vec::new();
        let mut seen = HashSet::new();
        for c in parts.iter().flat_map(|p| p.columns.iter()).chain(&remainder) {
            if seen.insert(c.clone()) {
                let dtype = &schema.iter().find(|(n, _)| n == c).expect("selected from the schema").1;
                used.push((c.clone(), DtypeGroup::of(dtype)));
            }
        }
        Ok(FittedColumnTransformer {
            parts,
            remainder,
            used,
            feature_names_in: schema.iter().map(|(n, _)| n.clone()).collect(),
            feature_names_out: names,
            n_jobs: self.n_jobs,
        })
    }

    /// Fits every part on its columns of `df`.
    ///
    /// Errors: `InvalidParam` for duplicate or empty parts, `EmptyInput` for a frame without rows,
    /// `InvalidInput` for a named column the frame lacks, a string column given to a numeric
    /// transformer or a string remainder passed through, and the transformers' own errors.
    pub fn fit_frame(&self, df: &DataFrame) -> Result<FittedColumnTransformer> {
        let _span = tracing::debug_span!("fit", estimator = "ColumnTransformer", rows = df.height(), cols = df.width())
            .entered();
        self.check_parts()?;
        if df.height() == 0 {
            return Err(Error::EmptyInput {
                estimator: "ColumnTransformer".into(),
                what: "X",
                rows: 0,
                cols: df.width(),
                min_rows: 1,
            });
        }
        let schema = frame_schema(df);
        let (selections, remainder) = self.resolve(&schema)?;
        with_n_jobs(self.n_jobs, || {
            let needed = needed_columns(&selections, &[]);
            let cols = read_cols(df, &needed)?;
            self.fit_parts(&schema, selections, remainder, cols)
        })?
    }

    /// Fits every part on its columns (each read once, moved into the part that uses it last).
    fn fit_parts(
        &self,
        schema: &[(String, DataType)],
        selections: Vec<Vec<String>>,
        remainder: Vec<String>,
        cols: HashMap<String, Col>,
    ) -> Result<FittedColumnTransformer> {
        let (inputs, _) = take_inputs(cols, &selections, &[]);
        let fitted: Vec<(FittedStep, Vec<String>)> = self
            .parts
            .par_iter()
            .zip(&selections)
            .zip(inputs)
            .map(|(((_, step, _), sel), input)| {
                if sel.is_empty() {
                    // scikit-learn skips a part whose selection is empty.
                    return Ok((FittedStep::Chain(Vec::new()), Vec::new()));
                }
                step.fit_cols(input, sel.clone())
            })
            .collect::<Result<_>>()?;
        self.assemble(schema, selections, fitted, remainder)
    }

    /// [`fit_frame`](Self::fit_frame) of a matrix whose columns are named `x0, x1, ..`, without
    /// a frame: the selected columns are gathered straight from the view (once each).
    fn fit_matrix(&self, x: ArrayView2<'_, f64>) -> Result<FittedColumnTransformer> {
        self.check_parts()?;
        let names = default_names(x.ncols());
        let schema: Vec<(String, DataType)> = names.iter().map(|n| (n.clone(), DataType::Float64)).collect();
        let (selections, remainder) = self.resolve(&schema)?;
        with_n_jobs(self.n_jobs, || {
            let needed = needed_columns(&selections, &[]);
            let idx: Vec<usize> =
                needed.iter().map(|n| names.iter().position(|m| m == n).expect("resolved from the names")).collect();
            let cols = needed.into_iter().zip(matrix_columns(x, &idx)).collect();
            self.fit_parts(&schema, selections, remainder, cols)
        })?
    }

    /// Fits, then returns the transformed training frame as well (dense).
    pub fn fit_transform_frame(&self, df: &DataFrame) -> Result<(FittedColumnTransformer, Array2<f64>)> {
        let fitted = self.fit_frame(df)?;
        let x = fitted.transform_frame(df)?;
        Ok((fitted, x))
    }
}

/// The distinct columns of the selections and the remainder, in first-use order.
fn needed_columns(selections: &[Vec<String>], remainder: &[String]) -> Vec<String> {
    let mut s = HashSet::new();
    selections.iter().flatten().chain(remainder).filter(|c| s.insert(c.as_str())).cloned().collect()
}

/// Each part's input columns and the remainder's, taken from `cols`: moved out when used for
/// the last time, cloned before.
fn take_inputs(
    mut cols: HashMap<String, Col>,
    selections: &[Vec<String>],
    remainder: &[String],
) -> (Vec<Vec<Col>>, Vec<Col>) {
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for c in selections.iter().flatten().chain(remainder) {
        *uses.entry(c.as_str()).or_insert(0) += 1;
    }
    let mut take = |c: &String| -> Col {
        let left = uses.get_mut(c.as_str()).expect("counted above");
        *left -= 1;
        if *left == 0 { cols.remove(c).expect("read above") } else { cols[c].clone() }
    };
    let inputs = selections.iter().map(|sel| sel.iter().map(&mut take).collect()).collect();
    let rest = remainder.iter().map(&mut take).collect();
    (inputs, rest)
}

/// The columns `idx` of a matrix as numeric [`Col`]s (what a Float64 frame of it reads as).
/// A row-major matrix is gathered in parallel over fixed row blocks (each block's rows read
/// once, written to every column), a column-major one column by column.
pub(crate) fn matrix_columns(x: ArrayView2<'_, f64>, idx: &[usize]) -> Vec<Col> {
    const BLOCK: usize = 1024;
    let n = x.nrows();
    let Some(xs) = x.as_slice() else {
        return idx.par_iter().map(|&j| Col::num(x.column(j).to_vec())).collect();
    };
    let m = x.ncols();
    let mut cols: Vec<Vec<f64>> = idx.iter().map(|_| oxlearn_core::alloc::zeroed_f64(n)).collect();
    let mut blocks: Vec<Vec<&mut [f64]>> = (0..n.div_ceil(BLOCK)).map(|_| Vec::with_capacity(idx.len())).collect();
    for c in &mut cols {
        for (b, part) in c.chunks_mut(BLOCK).enumerate() {
            blocks[b].push(part);
        }
    }
    blocks.into_par_iter().enumerate().for_each(|(b, mut outs)| {
        let rows = &xs[b * BLOCK * m..((b + 1) * BLOCK).min(n) * m];
        for (i, row) in rows.chunks_exact(m).enumerate() {
            for (o, &j) in outs.iter_mut().zip(idx) {
                o[i] = row[j];
            }
        }
    });
    cols.into_iter().map(Col::num).collect()
}

/// Rejects string output columns, naming the first.
fn check_blocks(blocks: &[Block], names: &[String]) -> Result<()> {
    let mut offset = 0;
    for b in blocks {
        if let Block::Cols(cols) = b
            && let Some(j) = cols.iter().position(Col::is_str)
        {
            return Err(Error::InvalidInput(format!(
                "output column {:?} holds strings; end the chain with an encoder",
                names.get(offset + j).map_or("?", String::as_str)
            )));
        }
        offset += b.width();
    }
    Ok(())
}

/// Writes row `i` of the blocks through `put(column, value)`, in increasing column order.
#[inline(always)]
fn row_values(blocks: &[Block], i: usize, mut put: impl FnMut(usize, f64)) {
    let mut offset = 0;
    for b in blocks {
        match b {
            Block::Cols(cols) => {
                for (j, c) in cols.iter().enumerate() {
                    if let Col::Num { v, .. } = c {
                        put(offset + j, v[i]);
                    }
                }
            }
            Block::Hot { codes, .. } => {
                for c in codes {
                    let t = c[i];
                    if t != NO_OUTPUT {
                        put(offset + t as usize, 1.0);
                    }
                }
            }
        }
        offset += b.width();
    }
}

/// The dense output, written row by row in parallel over fixed row chunks, last row first (the
/// order a fresh output wants: see `kernels::map_row_chunks`).
fn dense_from_blocks(blocks: &[Block], rows: usize, width: usize) -> Array2<f64> {
    let mut out = zeros_output(rows, width);
    if width == 0 {
        return out;
    }
    let os = out.as_slice_mut().expect("fresh matrix");
    os.par_chunks_mut(TRANSFORM_CHUNK * width).enumerate().rev().for_each(|(k, chunk)| {
        for (r, row) in chunk.chunks_exact_mut(width).enumerate().rev() {
            row_values(blocks, k * TRANSFORM_CHUNK + r, |j, v| row[j] = v);
        }
    });
    out
}

/// The CSR output (exact zeros left out), built in parallel over fixed row chunks straight
/// into the final buffers.
fn csr_from_blocks(blocks: &[Block], rows: usize, width: usize) -> CsrMatrix {
    // At most one entry per numeric column and per one-hot input column.
    let max_per_row = blocks
        .iter()
        .map(|b| match b {
            Block::Cols(cols) => cols.len(),
            Block::Hot { codes, .. } => codes.len(),
        })
        .sum();
    crate::kernels::csr_by_row_chunks(rows, width, max_per_row, |range, idx, data, ends| {
        let mut k = 0;
        for (i, end) in range.zip(ends) {
            row_values(blocks, i, |j, v| {
                if v != 0.0 {
                    idx[k].write(j);
                    data[k].write(v);
                    k += 1;
                }
            });
            *end = k;
        }
        true
    })
    .expect("the fill never fails")
}

impl FittedColumnTransformer {
    /// Output names (`<part>__<feature>`, `remainder__<column>`).
    pub fn feature_names_out(&self) -> &[String] {
        &self.feature_names_out
    }
    /// The columns of the frame seen in fit.
    pub fn feature_names_in(&self) -> &[String] {
        &self.feature_names_in
    }
    /// Number of output columns.
    pub fn n_features_out(&self) -> usize {
        self.feature_names_out.len()
    }
    /// The fitted parts.
    pub fn parts(&self) -> &[FittedPart] {
        &self.parts
    }
    /// The columns passed through.
    pub fn remainder(&self) -> &[String] {
        &self.remainder
    }
    /// The input columns the transform reads, with their dtype group at fit.
    pub fn used_columns(&self) -> &[(String, DtypeGroup)] {
        &self.used
    }

    /// Checks that `df` has every used column with a compatible dtype, naming all offenders.
    pub fn check_frame(&self, df: &DataFrame) -> Result<()> {
        self.check_dtypes(|name| df.column(name).ok().map(|c| c.dtype().clone()))
    }

    /// [`check_frame`](Self::check_frame) against the dtype of each used column (`None`: absent).
    fn check_dtypes(&self, dtype_of: impl Fn(&str) -> Option<DataType>) -> Result<()> {
        let mut missing = Vec::new();
        let mut changed = Vec::new();
        for (name, group) in &self.used {
            match dtype_of(name) {
                None => missing.push(name.clone()),
                Some(dtype) => {
                    let now = DtypeGroup::of(&dtype);
                    let null = matches!(dtype, DataType::Null) || *group == DtypeGroup::Other;
                    if !null && !group.compatible(now) {
                        changed.push(format!("{name:?} (fitted as {group}, now {dtype})"));
                    }
                }
            }
        }
        if !missing.is_empty() {
            return Err(Error::InvalidInput(format!(
                "the frame lacks column(s) {missing:?} seen during fit by ColumnTransformer"
            )));
        }
        if !changed.is_empty() {
            return Err(Error::InvalidInput(format!("column(s) changed dtype since fit: {}", changed.join(", "))));
        }
        Ok(())
    }

    /// The output blocks of every part, then the remainder.
    fn blocks(&self, df: &DataFrame) -> Result<Vec<Block>> {
        self.check_frame(df)?;
        let names: Vec<String> = self.used.iter().map(|(n, _)| n.clone()).collect();
        self.blocks_of(read_cols(df, &names)?)
    }

    /// The output blocks of a matrix whose column `j` stands for the `j`-th column seen in fit,
    /// the used columns gathered straight from the view (no frame).
    fn matrix_blocks(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Block>> {
        self.check_dtypes(|name| self.feature_names_in.iter().any(|n| n == name).then_some(DataType::Float64))?;
        let idx: Vec<usize> = self
            .used
            .iter()
            .map(|(name, _)| self.feature_names_in.iter().position(|n| n == name).expect("checked above"))
            .collect();
        let cols = self.used.iter().map(|(n, _)| n.clone()).zip(matrix_columns(x, &idx)).collect();
        self.blocks_of(cols)
    }

    /// The output blocks from the used columns, each moved into its last user.
    fn blocks_of(&self, cols: HashMap<String, Col>) -> Result<Vec<Block>> {
        let selections: Vec<Vec<String>> = self.parts.iter().map(|p| p.columns.clone()).collect();
        let (inputs, remainder) = take_inputs(cols, &selections, &self.remainder);
        let mut blocks: Vec<Block> = self
            .parts
            .par_iter()
            .zip(inputs)
            .map(|(p, input)| {
                if p.columns.is_empty() {
                    return Ok(Block::Cols(Vec::new()));
                }
                p.step.transform_block(input, &p.columns)
            })
            .collect::<Result<_>>()?;
        blocks.push(Block::Cols(remainder));
        check_blocks(&blocks, &self.feature_names_out)?;
        Ok(blocks)
    }

    /// Transforms a frame into the dense output matrix. The frame is not modified; rows with
    /// unseen categories follow each encoder's `handle_unknown`.
    pub fn transform_frame(&self, df: &DataFrame) -> Result<Array2<f64>> {
        with_n_jobs(self.n_jobs, || {
            let blocks = self.blocks(df)?;
            Ok(dense_from_blocks(&blocks, df.height(), self.n_features_out()))
        })?
    }

    /// Transforms a frame into a [`CsrMatrix`] (scikit-learn returns CSR when the output's
    /// density is under `sparse_threshold = 0.3`, as one-hot outputs are). Exact zeros are not
    /// stored; otherwise equal to [`transform_frame`](Self::transform_frame).
    pub fn transform_frame_sparse(&self, df: &DataFrame) -> Result<CsrMatrix> {
        with_n_jobs(self.n_jobs, || {
            let blocks = self.blocks(df)?;
            Ok(csr_from_blocks(&blocks, df.height(), self.n_features_out()))
        })?
    }

    /// Transforms a frame into a frame of `Float64` columns named by
    /// [`feature_names_out`](Self::feature_names_out).
    /// The output columns are built straight from the parts' columns (moved, not copied) and
    /// one-hot codes, without a row-major matrix in between; the values equal
    /// [`transform_frame`](Self::transform_frame)'s.
    pub fn transform_to_frame(&self, df: &DataFrame) -> Result<DataFrame> {
        with_n_jobs(self.n_jobs, || {
            let rows = df.height();
            let blocks = self.blocks(df)?;
            let per_block: Vec<Vec<Vec<f64>>> = blocks
                .into_par_iter()
                .map(|b| match b {
                    Block::Cols(cols) => cols
                        .into_iter()
                        .map(|c| match c {
                            Col::Num { v, .. } => v,
                            Col::Str(_) | Col::Cat(_) => unreachable!("string outputs are rejected by blocks()"),
                        })
                        .collect(),
                    Block::Hot { width, codes } => {
                        let mut outs: Vec<Vec<f64>> =
                            (0..width).map(|_| oxlearn_core::alloc::zeroed_f64(rows)).collect();
                        for c in &codes {
                            for (i, &t) in c.iter().enumerate() {
                                if t != NO_OUTPUT {
                                    outs[t as usize][i] = 1.0;
                                }
                            }
                        }
                        outs
                    }
                })
                .collect();
            let columns: Vec<Column> = per_block
                .into_iter()
                .flatten()
                .zip(&self.feature_names_out)
                .map(|(v, n)| Float64Chunked::from_vec(n.as_str().into(), v).into_series().into_column())
                .collect();
            DataFrame::new(rows, columns).map_err(pl)
        })?
    }
}

/// A matrix as a frame of `Float64` columns.
pub fn matrix_to_frame(x: &Array2<f64>, names: &[String]) -> Result<DataFrame> {
    let columns: Vec<Column> = x
        .axis_iter(Axis(1))
        .into_par_iter()
        .zip(names)
        .map(|(c, n)| Float64Chunked::from_vec(n.as_str().into(), c.to_vec()).into_series().into_column())
        .collect();
    DataFrame::new(x.nrows(), columns).map_err(pl)
}

// Setting hyper-parameters by name, for searches over pipelines (`prep__num__with_mean`).
impl ColumnTransformer {
    /// Sets a hyper-parameter by its scikit-learn name, as `ColumnTransformer.set_params` does:
    ///
    /// - `remainder` (`"drop"` / `"passthrough"`), `n_jobs` (an integer or `None`),
    ///   `verbose_feature_names_out` (a boolean);
    /// - `<part>__<param>`: a parameter of the part's transformer (`num__with_mean`); for a chain
    ///   (`SimpleImputer::median().then(StandardScaler::default())`) it is set on every
    ///   transformer of the chain that accepts it;
    /// - `<part>__<transformer>__<param>`: one transformer of a chain, named as scikit-learn's
    ///   `make_pipeline` names steps (the lowercase type name: `num__standardscaler__with_mean`).
    ///
    /// # Errors
    /// `InvalidParam` for an unknown part or parameter, or a value of the wrong type.
    pub fn set_param(&mut self, name: &str, value: &oxlearn_core::ParamValue) -> Result<()> {
        use oxlearn_core::ParamValue;
        match name {
            "remainder" => {
                self.remainder = match value.as_str(name)? {
                    "drop" => Remainder::Drop,
                    "passthrough" => Remainder::Passthrough,
                    other => {
                        return Err(Error::invalid_param(
                            name,
                            format!("expected \"drop\" or \"passthrough\", got {other:?}"),
                        ));
                    }
                };
                return Ok(());
            }
            "n_jobs" => {
                self.n_jobs = match value {
                    ParamValue::None => None,
                    v => Some(v.as_usize(name)?),
                };
                return Ok(());
            }
            "verbose_feature_names_out" => {
                self.verbose_feature_names_out = value.as_bool(name)?;
                return Ok(());
            }
            _ => {}
        }
        let Some((part, rest)) = name.split_once("__") else {
            return Err(Error::invalid_param(
                name,
                "ColumnTransformer has no such parameter; parts' parameters are addressed as <part>__<param>",
            ));
        };
        let names: Vec<String> = self.parts.iter().map(|(n, _, _)| n.clone()).collect();
        let Some((_, step, _)) = self.parts.iter_mut().find(|(n, _, _)| n == part) else {
            return Err(Error::invalid_param(
                name,
                format!("the ColumnTransformer has no part {part:?}; its parts are {names:?}"),
            ));
        };
        set_step_param(step, rest, value).map_err(|e| match e {
            Error::InvalidParam { reason, .. } => Error::invalid_param(name, format!("part {part:?}: {reason}")),
            other => other,
        })
    }
}

/// Sets `name` on a step: a single transformer, or a chain (every transformer accepting it, or
/// the one addressed as `<lowercase type name>__<param>`).
fn set_step_param(step: &mut Step, name: &str, value: &oxlearn_core::ParamValue) -> Result<()> {
    use oxlearn_core::Estimator;
    match step {
        Step::Chain(steps) => {
            if let Some((which, rest)) = name.split_once("__") {
                let mut found = false;
                for s in steps.iter_mut().filter(|s| s.name().to_lowercase() == which) {
                    set_step_param(s, rest, value)?;
                    found = true;
                }
                if found {
                    return Ok(());
                }
            }
            let mut accepted = false;
            let mut last_err = None;
            for s in steps.iter_mut() {
                match set_step_param(s, name, value) {
                    Ok(()) => accepted = true,
                    Err(e) => last_err = Some(e),
                }
            }
            match (accepted, last_err) {
                (true, _) => Ok(()),
                (false, Some(e)) if steps.len() == 1 => Err(e),
                _ => {
                    let chain: Vec<&str> = steps.iter().map(Step::name).collect();
                    Err(Error::invalid_param(name, format!("no transformer of the chain {chain:?} accepts it")))
                }
            }
        }
        Step::StandardScaler(t) => t.set_param(name, value),
        Step::MinMaxScaler(t) => t.set_param(name, value),
        Step::MaxAbsScaler(t) => t.set_param(name, value),
        Step::RobustScaler(t) => t.set_param(name, value),
        Step::Normalizer(t) => t.set_param(name, value),
        Step::SimpleImputer(t) => t.set_param(name, value),
        Step::OneHotEncoder(t) => t.set_param(name, value),
        Step::OrdinalEncoder(t) => t.set_param(name, value),
        Step::PolynomialFeatures(t) => t.set_param(name, value),
        Step::KBinsDiscretizer(t) => t.set_param(name, value),
        Step::FunctionTransformer(t) => t.set_param(name, value),
    }
}

impl Estimator for ColumnTransformer {
    const NAME: &'static str = "ColumnTransformer";
    type Kind = TransformerKind;

    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.check_parts()
    }

    /// The inherent [`ColumnTransformer::set_param`]: its own parameters and `<part>__<param>`.
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        ColumnTransformer::set_param(self, name, value)
    }
}

/// On an ndarray matrix the columns are named `x0, x1, ..` (select them with
/// [`Columns::indices`], [`Columns::names`] or [`Columns::numeric`]). The selected columns are
/// read straight from the matrix (no DataFrame is built); the results equal
/// [`fit_frame`](ColumnTransformer::fit_frame) / `transform_frame` of the matrix as a frame of
/// `Float64` columns, bit for bit.
impl Transformer for ColumnTransformer {
    type Fitted = FittedColumnTransformer;

    /// The selected columns are gathered straight from `x` (no DataFrame in between); the
    /// result equals [`fit_frame`](ColumnTransformer::fit_frame) of the matrix as a frame.
    fn fit_checked(&self, x: ndarray::ArrayView2<'_, f64>) -> Result<FittedColumnTransformer> {
        let _span =
            tracing::debug_span!("fit", estimator = "ColumnTransformer", rows = x.nrows(), cols = x.ncols()).entered();
        if x.nrows() == 0 {
            return Err(Error::EmptyInput {
                estimator: "ColumnTransformer".into(),
                what: "X",
                rows: 0,
                cols: x.ncols(),
                min_rows: 1,
            });
        }
        self.fit_matrix(x)
    }
}

impl Fitted for FittedColumnTransformer {
    const NAME: &'static str = "ColumnTransformer";
    fn n_features_in(&self) -> usize {
        self.feature_names_in.len()
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

/// On a matrix, column `j` stands for the `j`-th column seen in fit.
impl FittedTransformer for FittedColumnTransformer {
    /// The used columns are gathered straight from `x` (no DataFrame in between); the result
    /// equals [`transform_frame`](FittedColumnTransformer::transform_frame) of the matrix as a
    /// frame named by `feature_names_in`.
    fn transform_checked(&self, x: ndarray::ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        with_n_jobs(self.n_jobs, || {
            let blocks = self.matrix_blocks(x)?;
            Ok(dense_from_blocks(&blocks, x.nrows(), self.n_features_out()))
        })?
    }
    fn n_features_out(&self) -> usize {
        self.feature_names_out.len()
    }
    fn feature_names_out(&self, _input: Option<&[String]>) -> Vec<String> {
        self.feature_names_out.clone()
    }
}
