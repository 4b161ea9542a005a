//! Categorical encoders: [`OneHotEncoder`] and [`OrdinalEncoder`], for numeric, string and
//! polars categorical / enum columns with missing values (NaN or null), with scikit-learn's
//! category order and naming. A categorical column's codes are mapped to the fitted categories
//! through a per-chunk table (one string look-up per distinct code), with the same results as
//! the column of its strings.

use ndarray::{Array2, ArrayView2};
use oxlearn_core::{
    Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Tags, Transformer, TransformerKind,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{CodeTable, Col, array_to_cols, cols_to_array, default_names, names_or_default, py_num};
use crate::kernels::{FxMap, map_row_chunks, num_key, rows_rev};
use crate::scaler::matrix_accums;
use crate::sparse::CsrMatrix;
use crate::stats::{CatCounts, ColAccum, Needs};

/// The categories of one column: numbers or strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CategoryList {
    /// Numeric categories (sorted when found in fit).
    Num(Vec<f64>),
    /// String categories (sorted when found in fit; given lists keep their order).
    Str(Vec<String>),
}

impl CategoryList {
    /// Number of categories.
    pub fn len(&self) -> usize {
        match self {
            CategoryList::Num(v) => v.len(),
            CategoryList::Str(v) => v.len(),
        }
    }
    /// True without categories.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn label(&self, k: usize, int: bool) -> String {
        match self {
            CategoryList::Num(v) => py_num(v[k], int),
            CategoryList::Str(v) => v[k].clone(),
        }
    }
}

impl From<Vec<&str>> for CategoryList {
    fn from(v: Vec<&str>) -> Self {
        CategoryList::Str(v.into_iter().map(String::from).collect())
    }
}
impl From<Vec<String>> for CategoryList {
    fn from(v: Vec<String>) -> Self {
        CategoryList::Str(v)
    }
}
impl From<Vec<f64>> for CategoryList {
    fn from(v: Vec<f64>) -> Self {
        CategoryList::Num(v)
    }
}

/// Where categories come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Categories {
    /// The sorted distinct values seen in fit (default).
    #[default]
    Auto,
    /// One list per column.
    Given(Vec<CategoryList>),
}

/// What a one-hot encoder does with a category not seen in fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HandleUnknown {
    /// Return [`Error::UnknownCategory`] (default).
    #[default]
    Error,
    /// Encode as all zeros.
    Ignore,
    /// Encode as the infrequent category when the column has one, else all zeros.
    InfrequentIfExist,
}

/// Which one-hot column to drop per feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OneHotDrop {
    /// Keep all (default).
    #[default]
    None,
    /// Drop the first category of every feature.
    First,
    /// Drop the first category of features with exactly two.
    IfBinary,
}

/// A minimum category frequency: an absolute count or a fraction of the samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MinFrequency {
    /// Categories seen fewer times than this are infrequent.
    Count(usize),
    /// Categories seen in less than this fraction of the rows are infrequent.
    Fraction(f64),
}

/// What one column learned in fit: its categories, whether missing is a category of its own, and
/// which categories are infrequent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnCategories {
    /// The categories (missing excluded).
    pub categories: CategoryList,
    /// Missing values were seen in fit and form a category after the others.
    pub has_missing: bool,
    /// The source column had an integer dtype (category names without `.0`).
    pub int: bool,
    /// Indices (into `categories`, then `categories.len()` for missing) of infrequent categories.
    pub infrequent: Vec<usize>,
}

enum Lookup<'a> {
    Num(NumLookup),
    Str(FxMap<&'a str, usize>),
}

/// A category look-up for numbers, built once per transform: a table for integer categories in
/// a small range, else a hash of the value's bits. Returns the category index, or `miss`.
pub(crate) enum NumLookup {
    /// Integer categories: `table[x - lo]`.
    Table { lo: i64, table: Vec<u32> },
    /// Any other numbers.
    Hash(FxMap<u64, u32>),
}

impl NumLookup {
    fn new(cats: &[f64]) -> Self {
        let ints = cats.iter().all(|c| c.fract() == 0.0 && c.abs() < 1e15);
        if ints && !cats.is_empty() {
            let lo = cats.iter().fold(f64::INFINITY, |a, &b| a.min(b)) as i64;
            let hi = cats.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b)) as i64;
            let span = (hi - lo) as u64 + 1;
            if span <= (1 << 16).max(8 * cats.len() as u64) {
                let mut table = vec![u32::MAX; span as usize];
                for (k, &c) in cats.iter().enumerate() {
                    table[(c as i64 - lo) as usize] = k as u32;
                }
                return NumLookup::Table { lo, table };
            }
        }
        NumLookup::Hash(cats.iter().enumerate().map(|(k, &c)| (num_key(c), k as u32)).collect())
    }

    /// The category index of a non-NaN value, or `miss`.
    #[inline(always)]
    fn get(&self, x: f64, miss: u32) -> u32 {
        match self {
            NumLookup::Table { lo, table } => {
                // `x as i64` saturates (NaN gives 0); the round trip keeps only exact integers.
                let i = x as i64;
                if i as f64 == x {
                    match table.get(i.wrapping_sub(*lo) as u64 as usize) {
                        Some(&k) if k != u32::MAX => k,
                        _ => miss,
                    }
                } else {
                    miss
                }
            }
            NumLookup::Hash(h) => h.get(&num_key(x)).copied().unwrap_or(miss),
        }
    }
}

/// Output target of a category in a fused one-hot kernel: an absolute output column, nothing
/// ([`NO_OUTPUT`]), or an unknown value under `handle_unknown = error` ([`BAD`]).
pub(crate) const NO_OUTPUT: u32 = u32::MAX;
const BAD: u32 = u32::MAX - 1;

/// What the fused one-hot kernel needs for one input column.
struct HotPlan {
    lookup: NumLookup,
    /// Target of each full category index, then of a missing value, then of an unknown value.
    targets: Vec<u32>,
    /// Index into `targets` for NaN.
    nan_idx: u32,
    /// Index into `targets` for an unknown value.
    unknown_idx: u32,
}

impl ColumnCategories {
    fn n_full(&self) -> usize {
        self.categories.len() + usize::from(self.has_missing)
    }

    fn lookup(&self) -> Lookup<'_> {
        match &self.categories {
            CategoryList::Num(v) => Lookup::Num(NumLookup::new(v)),
            CategoryList::Str(v) => Lookup::Str(v.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect()),
        }
    }

    /// Category index of every row: `Ok(Some(k))`, `Ok(None)` for unknown. The closure gets the
    /// row index and `Some(k)` / `None`. With `fill` (an imputer fused in front), a missing
    /// value is read as the fill value.
    fn codes(
        &self,
        col: &Col,
        fill: Option<&crate::impute::Fill>,
        mut f: impl FnMut(usize, Option<usize>, &dyn Fn() -> String) -> Result<()>,
    ) -> Result<()> {
        use crate::impute::Fill;
        let lk = self.lookup();
        let missing = self.has_missing.then_some(self.categories.len());
        match (col, &lk) {
            (Col::Num { v, .. }, Lookup::Num(m)) => {
                let of = |x: f64| match m.get(x, u32::MAX) {
                    u32::MAX => None,
                    k => Some(k as usize),
                };
                let (missing, fill_x) = match fill {
                    Some(&Fill::Num(fx)) if !fx.is_nan() => (of(fx), fx),
                    _ => (missing, f64::NAN),
                };
                for (i, &x) in v.iter().enumerate() {
                    let k = if x.is_nan() { missing } else { of(x) };
                    f(i, k, &|| py_num(if x.is_nan() { fill_x } else { x }, false))?;
                }
            }
            (Col::Str(s), Lookup::Str(m)) => {
                let fill_s = match fill {
                    Some(Fill::Str(fs)) => Some(fs.as_str()),
                    _ => None,
                };
                let missing = match fill_s {
                    Some(fs) => m.get(fs).copied(),
                    None => missing,
                };
                // A string of at most 12 bytes lives whole in its 16-byte arrow view: its
                // category is looked up once per distinct view, then by the view's bits.
                let mut by_view: FxMap<u128, Option<usize>> = FxMap::default();
                let mut i = 0;
                for arr in s.downcast_iter() {
                    for (view, x) in arr.views().iter().zip(arr.iter()) {
                        let k = match x {
                            None => missing,
                            Some(x) if view.length <= 12 => {
                                *by_view.entry(view.as_u128()).or_insert_with(|| m.get(x).copied())
                            }
                            Some(x) => m.get(x).copied(),
                        };
                        f(i, k, &|| x.or(fill_s).unwrap_or("nan").to_string())?;
                        i += 1;
                    }
                }
            }
            (Col::Cat(c), Lookup::Str(m)) => {
                let fill_s = match fill {
                    Some(Fill::Str(fs)) => Some(fs.as_str()),
                    _ => None,
                };
                let missing = match fill_s {
                    Some(fs) => m.get(fs).copied(),
                    None => missing,
                };
                // Each chunk's codes are mapped to category ids through a table resolved once
                // per distinct code (by its string), then read per row.
                const UNKNOWN: u32 = u32::MAX - 1;
                let missing_label = || fill_s.unwrap_or("nan").to_string();
                let mut i = 0;
                for arr in c.chunks() {
                    let (codes, valid) = (arr.values().as_slice(), arr.validity().filter(|b| b.unset_bits() > 0));
                    let mut table = CodeTable::new(codes);
                    let mut k_of = |code: u32| match table
                        .get(code, |code| m.get(c.str_of(code)).map_or(UNKNOWN, |&k| k as u32))
                    {
                        UNKNOWN => None,
                        k => Some(k as usize),
                    };
                    match valid {
                        None => {
                            for &code in codes {
                                f(i, k_of(code), &|| c.str_of(code).to_string())?;
                                i += 1;
                            }
                        }
                        Some(valid) => {
                            for (&code, ok) in codes.iter().zip(valid.iter()) {
                                if ok {
                                    f(i, k_of(code), &|| c.str_of(code).to_string())?;
                                } else {
                                    f(i, missing, &missing_label)?;
                                }
                                i += 1;
                            }
                        }
                    }
                }
            }
            (Col::Cat(c), Lookup::Num(_)) if fill.is_none() && c.null_count() == c.len() => {
                for i in 0..c.len() {
                    f(i, missing, &|| "nan".to_string())?;
                }
            }
            // An all-missing column read with the other type.
            (Col::Num { v, .. }, Lookup::Str(_)) if fill.is_none() && v.iter().all(|x| x.is_nan()) => {
                for i in 0..v.len() {
                    f(i, missing, &|| "nan".to_string())?;
                }
            }
            (Col::Str(s), Lookup::Num(_)) if fill.is_none() && s.null_count() == s.len() => {
                for i in 0..s.len() {
                    f(i, missing, &|| "nan".to_string())?;
                }
            }
            (c, _) => {
                return Err(Error::InvalidInput(format!(
                    "encoder was fitted on a {} column but got a {} column",
                    if c.is_str() { "numeric" } else { "string" },
                    if c.is_str() { "string" } else { "numeric" }
                )));
            }
        }
        Ok(())
    }

    fn label(&self, k: usize) -> String {
        if k == self.categories.len() { "nan".into() } else { self.categories.label(k, self.int) }
    }
}

/// Learns the categories of each column from its statistics.
fn learn_categories(
    acc: &[ColAccum],
    names: &[String],
    given: &Categories,
    reject_unknown: bool,
    infrequent: impl Fn(&[u64], u64) -> Vec<usize> + Sync,
) -> Result<Vec<ColumnCategories>> {
    if let Categories::Given(lists) = given
        && lists.len() != acc.len()
    {
        return Err(Error::invalid_param(
            "categories",
            format!("has {} lists, but the input has {} columns", lists.len(), acc.len()),
        ));
    }
    acc.par_iter()
        .enumerate()
        .map(|(j, a)| -> Result<ColumnCategories> {
            let empty_counts =
                if a.is_str { CatCounts::Str(Default::default()) } else { CatCounts::Num(Default::default()) };
            let counts = a.cats.as_ref().unwrap_or(&empty_counts);
            let (categories, mut count_vec, has_missing) = match given {
                Categories::Auto => {
                    let (cats, counts) = match counts {
                        CatCounts::Num(m) => (
                            CategoryList::Num(m.keys().map(|k| k.0).collect()),
                            m.values().copied().collect::<Vec<_>>(),
                        ),
                        CatCounts::Str(m) => {
                            (CategoryList::Str(m.keys().cloned().collect()), m.values().copied().collect())
                        }
                    };
                    (cats, counts, a.num.n_missing > 0)
                }
                Categories::Given(lists) => {
                    let list = lists[j].clone();
                    // Values outside the given list are unknown already at fit.
                    let (known, given_counts): (Vec<bool>, Vec<u64>) = match (&list, counts) {
                        (CategoryList::Num(l), CatCounts::Num(m)) => {
                            let known = m.keys().map(|k| l.iter().any(|&c| num_key(c) == num_key(k.0))).collect();
                            (known, l.iter().map(|c| m.get(&crate::stats::OrdF64(*c)).copied().unwrap_or(0)).collect())
                        }
                        (CategoryList::Str(l), CatCounts::Str(m)) => {
                            let known = m.keys().map(|k| l.contains(k)).collect();
                            (known, l.iter().map(|c| m.get(c).copied().unwrap_or(0)).collect())
                        }
                        (_, m) if m.is_empty_counts() => (Vec::new(), vec![0; list.len()]),
                        _ => {
                            return Err(Error::invalid_param(
                                "categories",
                                format!("the categories given for column {:?} do not match its type", names[j]),
                            ));
                        }
                    };
                    if reject_unknown && (known.iter().any(|k| !k) || a.num.n_missing > 0) {
                        let category = match counts {
                            CatCounts::Num(m) => {
                                m.keys().zip(&known).find(|(_, k)| !**k).map(|(c, _)| py_num(c.0, a.int))
                            }
                            CatCounts::Str(m) => m.keys().zip(&known).find(|(_, k)| !**k).map(|(c, _)| c.clone()),
                        };
                        return Err(Error::UnknownCategory {
                            column: names[j].clone(),
                            category: category.unwrap_or_else(|| "nan".into()),
                        });
                    }
                    (list, given_counts, false)
                }
            };
            if has_missing {
                count_vec.push(a.num.n_missing);
            }
            let infrequent = infrequent(&count_vec, a.n_rows());
            Ok(ColumnCategories { categories, has_missing, int: a.int, infrequent })
        })
        .collect()
}

impl CatCounts {
    fn is_empty_counts(&self) -> bool {
        match self {
            CatCounts::Num(m) => m.is_empty(),
            CatCounts::Str(m) => m.is_empty(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OneHotEncoder

/// Encodes each categorical column as one 0/1 column per category, scikit-learn's
/// `OneHotEncoder` (dense output).
///
/// Hyper-parameters (scikit-learn's defaults): `categories` ([`Categories::Auto`]: sorted
/// distinct values; missing values, when present, are a category of their own named `nan`,
/// placed last), `drop` ([`OneHotDrop::None`]), `handle_unknown` ([`HandleUnknown::Error`]),
/// `min_frequency` (`None`) and `max_categories` (`None`), which group rare categories into one
/// `<column>_infrequent_sklearn` output placed after the frequent ones.
///
/// Output names are `<column>_<category>` (numbers spelled as Python does: `x0_1.0`, or `age_3`
/// for integer DataFrame columns).
///
/// Errors: [`Error::UnknownCategory`] for an unseen category under `handle_unknown = error`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::OneHotEncoder;
/// let x = ndarray::array![[1.0], [3.0], [1.0]];
/// let enc = OneHotEncoder::default().handle_unknown_ignore().fit(&x)?;
/// assert_eq!(enc.transform(&x)?, ndarray::array![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]);
/// assert_eq!(enc.transform(&ndarray::array![[7.0]])?, ndarray::array![[0.0, 0.0]]);
/// assert_eq!(enc.feature_names_out(None), ["x0_1.0", "x0_3.0"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OneHotEncoder {
    categories: Categories,
    drop: OneHotDrop,
    handle_unknown: HandleUnknown,
    min_frequency: Option<MinFrequency>,
    max_categories: Option<usize>,
}

impl OneHotEncoder {
    /// Sets the categories of every column.
    pub fn categories(mut self, lists: Vec<CategoryList>) -> Self {
        self.categories = Categories::Given(lists);
        self
    }
    /// Which category to drop (default none).
    pub fn drop(mut self, d: OneHotDrop) -> Self {
        self.drop = d;
        self
    }
    /// What to do with unseen categories.
    pub fn handle_unknown(mut self, h: HandleUnknown) -> Self {
        self.handle_unknown = h;
        self
    }
    /// Shorthand for `handle_unknown(HandleUnknown::Ignore)`.
    pub fn handle_unknown_ignore(self) -> Self {
        self.handle_unknown(HandleUnknown::Ignore)
    }
    /// Categories rarer than this are grouped as infrequent.
    pub fn min_frequency(mut self, m: MinFrequency) -> Self {
        self.min_frequency = Some(m);
        self
    }
    /// At most this many outputs per column, the infrequent group included.
    pub fn max_categories(mut self, m: usize) -> Self {
        self.max_categories = Some(m);
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        Needs { quantiles: false, categories: true }
    }

    /// scikit-learn's `_identify_infrequent`.
    fn infrequent(&self, counts: &[u64], n_samples: u64) -> Vec<usize> {
        let mut mask: Vec<bool> = match self.min_frequency {
            Some(MinFrequency::Count(m)) => counts.iter().map(|&c| c < m as u64).collect(),
            Some(MinFrequency::Fraction(f)) => counts.iter().map(|&c| (c as f64) < f * n_samples as f64).collect(),
            None => vec![false; counts.len()],
        };
        let n_current = counts.len() - mask.iter().filter(|m| **m).count() + 1;
        if let Some(max) = self.max_categories
            && max < n_current
        {
            let keep = max - 1;
            if keep == 0 {
                mask.iter_mut().for_each(|m| *m = true);
            } else {
                let mut order: Vec<usize> = (0..counts.len()).collect();
                order.sort_by_key(|&i| counts[i]); // stable, as numpy's mergesort
                for &i in &order[..counts.len() - keep] {
                    mask[i] = true;
                }
            }
        }
        mask.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i).collect()
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum], names: &[String]) -> Result<FittedOneHotEncoder> {
        let cols =
            learn_categories(acc, names, &self.categories, self.handle_unknown == HandleUnknown::Error, |c, n| {
                self.infrequent(c, n)
            })?;
        let layouts = cols.iter().map(|c| Layout::new(c, self.drop)).collect();
        Ok(FittedOneHotEncoder { columns: cols, layouts, handle_unknown: self.handle_unknown })
    }
}

/// Output layout of one column: which output each category maps to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Layout {
    /// Output column of each full category index (`None`: dropped, all zeros).
    out: Vec<Option<usize>>,
    /// Output column of the infrequent group, if any (and not dropped).
    infrequent_out: Option<usize>,
    /// Name suffix of each output.
    suffixes: Vec<String>,
}

impl Layout {
    fn new(c: &ColumnCategories, drop: OneHotDrop) -> Self {
        let n = c.n_full();
        let is_inf: Vec<bool> = (0..n).map(|k| c.infrequent.contains(&k)).collect();
        let mut suffixes = Vec::new();
        let mut out = vec![None; n];
        for k in 0..n {
            if !is_inf[k] {
                out[k] = Some(suffixes.len());
                suffixes.push(c.label(k));
            }
        }
        let mut infrequent_out = None;
        if !c.infrequent.is_empty() {
            infrequent_out = Some(suffixes.len());
            suffixes.push("infrequent_sklearn".into());
            for k in &c.infrequent {
                out[*k] = infrequent_out;
            }
        }
        let dropped = match drop {
            OneHotDrop::None => None,
            OneHotDrop::First => out.first().copied().flatten(),
            OneHotDrop::IfBinary if suffixes.len() == 2 => out.first().copied().flatten(),
            OneHotDrop::IfBinary => None,
        };
        if let Some(d) = dropped {
            suffixes.remove(d);
            let shift = |o: Option<usize>| match o {
                Some(x) if x == d => None,
                Some(x) if x > d => Some(x - 1),
                o => o,
            };
            out.iter_mut().for_each(|o| *o = shift(*o));
            infrequent_out = shift(infrequent_out);
        }
        Layout { out, infrequent_out, suffixes }
    }
}

/// A fitted [`OneHotEncoder`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedOneHotEncoder {
    columns: Vec<ColumnCategories>,
    layouts: Vec<Layout>,
    handle_unknown: HandleUnknown,
}

impl FittedOneHotEncoder {
    /// What each column learned (scikit-learn's `categories_` and `infrequent_categories_`).
    pub fn categories(&self) -> &[ColumnCategories] {
        &self.columns
    }

    pub(crate) fn n_out(&self) -> usize {
        self.layouts.iter().map(|l| l.suffixes.len()).sum()
    }

    pub(crate) fn names_out(&self, input: &[String]) -> Vec<String> {
        self.layouts
            .iter()
            .zip(input)
            .flat_map(|(l, name)| l.suffixes.iter().map(move |s| format!("{name}_{s}")))
            .collect()
    }

    /// Fused-kernel plans for numeric categories (`None` when a column has string categories).
    fn hot_plans(&self) -> Option<Vec<HotPlan>> {
        let mut offset = 0u32;
        self.columns
            .iter()
            .zip(&self.layouts)
            .map(|(c, l)| {
                let CategoryList::Num(cats) = &c.categories else { return None };
                let n_cats = cats.len();
                let abs = |o: Option<usize>| o.map_or(NO_OUTPUT, |o| offset + o as u32);
                let mut targets: Vec<u32> = l.out.iter().map(|&o| abs(o)).collect();
                let unknown = match self.handle_unknown {
                    HandleUnknown::Error => BAD,
                    HandleUnknown::Ignore => NO_OUTPUT,
                    HandleUnknown::InfrequentIfExist => abs(l.infrequent_out),
                };
                targets.push(unknown);
                let unknown_idx = (targets.len() - 1) as u32;
                let nan_idx = if c.has_missing { n_cats as u32 } else { unknown_idx };
                offset += l.suffixes.len() as u32;
                Some(HotPlan { lookup: NumLookup::new(cats), targets, nan_idx, unknown_idx })
            })
            .collect()
    }

    /// Output column of every cell of a row-major chunk (`NO_OUTPUT` for none), through `emit`;
    /// false when a value is infinite or unknown under `handle_unknown = error`.
    #[inline(always)]
    fn hot_row(plans: &[HotPlan], row: &[f64], mut emit: impl FnMut(u32)) -> bool {
        let mut ok = true;
        for (p, &v) in plans.iter().zip(row) {
            let k = if v.is_nan() { p.nan_idx } else { p.lookup.get(v, p.unknown_idx) };
            let t = p.targets[k as usize];
            ok &= t != BAD && !crate::kernels::is_inf(v);
            emit(t);
        }
        ok
    }

    /// Dense one-hot output straight into the row-major result, in parallel over row chunks.
    fn dense_kernel(&self, x: ArrayView2<'_, f64>) -> Option<(Array2<f64>, bool)> {
        let plans = self.hot_plans()?;
        let m = plans.len();
        let n_out = self.n_out();
        Some(map_row_chunks(x, n_out, |xs, os| {
            let mut ok = true;
            for (xr, or) in rows_rev(xs, m, os, n_out) {
                ok &= Self::hot_row(&plans, xr, |t| {
                    if let Some(o) = or.get_mut(t as usize) {
                        *o = 1.0;
                    }
                });
            }
            ok
        }))
    }

    /// Sparse one-hot output, in parallel over fixed row chunks; `None` for string categories,
    /// `Some(None)` when a value needs the validator or the unknown-category error.
    fn sparse_kernel(&self, x: ArrayView2<'_, f64>) -> Option<Option<CsrMatrix>> {
        let plans = self.hot_plans()?;
        let x = x.as_standard_layout();
        let (n, m) = x.dim();
        let n_out = self.n_out();
        let xs = x.as_slice().expect("standard layout");
        Some(crate::kernels::csr_by_row_chunks(n, n_out, m, |rows, idx, data, ends| {
            let mut ok = true;
            let mut k = 0;
            for (xr, end) in xs[rows.start * m..rows.end * m].chunks_exact(m).zip(ends) {
                ok &= Self::hot_row(&plans, xr, |t| {
                    if (t as usize) < n_out {
                        idx[k].write(t as usize);
                        data[k].write(1.0);
                        k += 1;
                    }
                });
                *end = k;
            }
            ok
        }))
    }

    /// The one-hot encoding as a [`CsrMatrix`] (scikit-learn's default `sparse_output=True`
    /// result), equal to [`transform`](FittedTransformer::transform) made sparse.
    ///
    /// Errors: those of `transform` (width, infinity, unknown categories under
    /// `handle_unknown = error`).
    pub fn transform_sparse<'a>(&self, x: impl ndarray::AsArray<'a, f64, ndarray::Ix2>) -> Result<CsrMatrix> {
        let x: ArrayView2<'a, f64> = x.into();
        crate::kernels::check_shape(self, x)?;
        if let Some(Some(csr)) = self.sparse_kernel(x) {
            return Ok(csr);
        }
        // String categories, or a value that needs an error: the checked column path.
        let dense = self.transform(x)?;
        Ok(dense_to_csr(&dense))
    }

    /// The output column of every row of every input column ([`NO_OUTPUT`] for none), the
    /// compact form of the one-hot output that a caller writes straight into its own dense or
    /// sparse result. With `fills` (a plain imputer fused in front), missing values are read as
    /// their column's fill value.
    pub(crate) fn hot_codes(
        &self,
        cols: &[Col],
        names: &[String],
        fills: Option<&[crate::impute::Fill]>,
    ) -> Result<Vec<Vec<u32>>> {
        let offsets: Vec<usize> = self
            .layouts
            .iter()
            .scan(0, |o, l| {
                let here = *o;
                *o += l.suffixes.len();
                Some(here)
            })
            .collect();
        cols.par_iter()
            .zip(&self.columns)
            .zip(&self.layouts)
            .zip(names)
            .zip(&offsets)
            .enumerate()
            .map(|(j, ((((col, cats), layout), name), &offset))| -> Result<Vec<u32>> {
                // The output of each known category, looked up once.
                let known: Vec<u32> = layout.out.iter().map(|o| o.map_or(NO_OUTPUT, |t| (offset + t) as u32)).collect();
                if let (Col::Cat(c), CategoryList::Str(list)) = (col, &cats.categories) {
                    let fill = fills.map(|f| &f[j]);
                    return self
                        .cat_hot_codes(c, cats, list, &known, (layout, offset), name, fill)
                        .map_err(|e| name_column(e, name));
                }
                let mut codes = oxlearn_core::alloc::filled_vec(col.len(), NO_OUTPUT);
                cats.codes(col, fills.map(|f| &f[j]), |i, k, label| {
                    codes[i] = match k {
                        Some(k) => known[k],
                        None => self.output_of(layout, None, name, label)?.map_or(NO_OUTPUT, |t| (offset + t) as u32),
                    };
                    Ok(())
                })
                .map_err(|e| name_column(e, name))?;
                Ok(codes)
            })
            .collect()
    }

    /// [`hot_codes`](Self::hot_codes) of a categorical column: each chunk's codes are mapped to
    /// output columns through a table resolved once per distinct code (by its string), so a row
    /// costs one table read. The same outputs and errors (the first offending row's) as the
    /// string path.
    #[allow(clippy::too_many_arguments)]
    fn cat_hot_codes(
        &self,
        c: &crate::data::CatCol,
        cats: &ColumnCategories,
        list: &[String],
        known: &[u32],
        (layout, offset): (&Layout, usize),
        name: &str,
        fill: Option<&crate::impute::Fill>,
    ) -> Result<Vec<u32>> {
        let index: FxMap<&str, usize> = list.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
        let target = |k: Option<usize>, label: &dyn Fn() -> String| -> Result<u32> {
            Ok(match k {
                Some(k) => known[k],
                None => self.output_of(layout, None, name, label)?.map_or(NO_OUTPUT, |t| (offset + t) as u32),
            })
        };
        let fill_s = match fill {
            Some(crate::impute::Fill::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let missing_k = match fill_s {
            Some(fs) => index.get(fs).copied(),
            None => cats.has_missing.then_some(list.len()),
        };
        let mut missing_t: Option<u32> = None;
        let mut out: Vec<u32> = oxlearn_core::alloc::vec_with_capacity(c.len());
        for arr in c.chunks() {
            let codes = arr.values().as_slice();
            let mut table = CodeTable::new(codes);
            let mut map = |code: u32| {
                table.try_get(code, |code| {
                    let s = c.str_of(code);
                    target(index.get(s).copied(), &|| s.to_string())
                })
            };
            match arr.validity().filter(|b| b.unset_bits() > 0) {
                None => {
                    for &code in codes {
                        out.push(map(code)?);
                    }
                }
                Some(valid) => {
                    for (&code, ok) in codes.iter().zip(valid.iter()) {
                        let t = match (ok, missing_t) {
                            (true, _) => map(code)?,
                            (false, Some(t)) => t,
                            (false, None) => {
                                let t = target(missing_k, &|| fill_s.unwrap_or("nan").to_string())?;
                                missing_t = Some(t);
                                t
                            }
                        };
                        out.push(t);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The output column of a value with category index `k` (`None` for an unseen value), after
    /// `handle_unknown`: `Ok(None)` writes nothing (all zeros).
    fn output_of(
        &self,
        layout: &Layout,
        k: Option<usize>,
        name: &str,
        label: &dyn Fn() -> String,
    ) -> Result<Option<usize>> {
        match k {
            Some(k) => Ok(layout.out[k]),
            None => match self.handle_unknown {
                HandleUnknown::Error => Err(Error::UnknownCategory { column: name.to_string(), category: label() }),
                HandleUnknown::Ignore => Ok(None),
                HandleUnknown::InfrequentIfExist => Ok(layout.infrequent_out),
            },
        }
    }

    pub(crate) fn transform_cols(&self, cols: &[Col], names: &[String]) -> Result<Vec<Col>> {
        let per_col: Vec<Vec<Col>> = cols
            .par_iter()
            .zip(&self.columns)
            .zip(&self.layouts)
            .zip(names)
            .map(|(((col, cats), layout), name)| -> Result<Vec<Col>> {
                let mut outs: Vec<Vec<f64>> =
                    (0..layout.suffixes.len()).map(|_| oxlearn_core::alloc::zeroed_f64(col.len())).collect();
                cats.codes(col, None, |i, k, label| {
                    let target = self.output_of(layout, k, name, label)?;
                    if let Some(t) = target {
                        outs[t][i] = 1.0;
                    }
                    Ok(())
                })
                .map_err(|e| name_column(e, name))?;
                Ok(outs.into_iter().map(|v| Col::Num { v, int: true }).collect())
            })
            .collect::<Result<_>>()?;
        Ok(per_col.into_iter().flatten().collect())
    }
}

fn name_column(e: Error, name: &str) -> Error {
    match e {
        Error::InvalidInput(m) if m.starts_with("encoder was fitted") => {
            Error::InvalidInput(format!("column {name:?}: {m}"))
        }
        e => e,
    }
}

impl Estimator for OneHotEncoder {
    const NAME: &'static str = "OneHotEncoder";
    type Kind = TransformerKind;
    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }
    fn check_params(&self) -> Result<()> {
        if let Some(MinFrequency::Fraction(f)) = self.min_frequency
            && !(f > 0.0 && f <= 1.0)
        {
            return Err(Error::invalid_param("min_frequency", format!("a fraction must be in (0, 1], got {f}")));
        }
        if let Some(MinFrequency::Count(0)) = self.min_frequency {
            return Err(Error::invalid_param("min_frequency", "a count must be at least 1, got 0"));
        }
        if let Some(m) = self.max_categories
            && m < 1
        {
            return Err(Error::invalid_param("max_categories", format!("must be at least 1, got {m}")));
        }
        Ok(())
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "handle_unknown" => {
                self.handle_unknown = match value.as_str(name)? {
                    "error" => HandleUnknown::Error,
                    "ignore" => HandleUnknown::Ignore,
                    "infrequent_if_exist" => HandleUnknown::InfrequentIfExist,
                    o => return Err(Error::invalid_param(name, format!("unknown value {o:?}"))),
                }
            }
            "drop" => {
                self.drop = match value {
                    ParamValue::None => OneHotDrop::None,
                    v => match v.as_str(name)? {
                        "first" => OneHotDrop::First,
                        "if_binary" => OneHotDrop::IfBinary,
                        o => {
                            return Err(Error::invalid_param(name, format!("unknown value {o:?}")));
                        }
                    },
                }
            }
            "min_frequency" => {
                self.min_frequency = match value {
                    ParamValue::None => None,
                    ParamValue::Int(i) => Some(MinFrequency::Count(
                        value.as_usize(name).map_err(|_| Error::invalid_param(name, format!("got {i}")))?,
                    )),
                    v => Some(MinFrequency::Fraction(v.as_f64(name)?)),
                }
            }
            "max_categories" => self.max_categories = value.as_opt_usize(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("OneHotEncoder has no parameter {name:?}")));
            }
        }
        Ok(())
    }
}

impl Transformer for OneHotEncoder {
    type Fitted = FittedOneHotEncoder;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedOneHotEncoder> {
        self.fit_stats(&matrix_accums(x, self.needs()), &default_names(x.ncols()))
    }

    /// Validates and fits in one sweep over `x` (the validator's finiteness pass is fused with
    /// the category counts; its exact errors are kept).
    fn fit<'a>(&self, x: impl ndarray::AsArray<'a, f64, ndarray::Ix2>) -> Result<FittedOneHotEncoder> {
        let x: ArrayView2<'a, f64> = x.into();
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        let acc = crate::kernels::checked_cat_accums(Self::NAME, &self.tags(), x)?;
        self.fit_stats(&acc, &default_names(x.ncols()))
    }
}

impl Fitted for FittedOneHotEncoder {
    const NAME: &'static str = "OneHotEncoder";
    fn n_features_in(&self) -> usize {
        self.columns.len()
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

fn to_matrix(name: &str, out: Vec<Col>, rows: usize) -> Result<Array2<f64>> {
    if out.is_empty() {
        return Ok(Array2::zeros((rows, 0)));
    }
    let names = default_names(out.len());
    cols_to_array(name, &out, &names)
}

/// The non-zeros of a dense matrix as CSR.
pub(crate) fn dense_to_csr(x: &Array2<f64>) -> CsrMatrix {
    let mut indptr = vec![0];
    let (mut indices, mut data) = (Vec::new(), Vec::new());
    for row in x.rows() {
        for (j, &v) in row.iter().enumerate() {
            if v != 0.0 {
                indices.push(j);
                data.push(v);
            }
        }
        indptr.push(indices.len());
    }
    CsrMatrix::from_parts(x.dim(), indptr, indices, data)
}

impl FittedTransformer for FittedOneHotEncoder {
    /// Validates and transforms in one sweep for numeric categories (the finiteness check is
    /// fused with the kernel; unknown categories under `handle_unknown = error` fall back to the
    /// checked path for their exact error).
    fn transform<'a>(&self, x: impl ndarray::AsArray<'a, f64, ndarray::Ix2>) -> Result<Array2<f64>> {
        let x: ArrayView2<'a, f64> = x.into();
        crate::kernels::check_shape(self, x)?;
        if let Some((out, true)) = self.dense_kernel(x) {
            return Ok(out);
        }
        let x = self.check_x(x)?;
        self.transform_checked(x)
    }

    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if let Some((out, true)) = self.dense_kernel(x) {
            return Ok(out);
        }
        let out = self.transform_cols(&array_to_cols(x), &default_names(x.ncols()))?;
        to_matrix(Self::NAME, out, x.nrows())
    }
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut out = Array2::<f64>::from_elem((x.nrows(), self.columns.len()), f64::NAN);
        let mut offset = 0;
        for (j, (c, l)) in self.columns.iter().zip(&self.layouts).enumerate() {
            let CategoryList::Num(values) = &c.categories else {
                return Err(Error::unsupported(Self::NAME, "inverse_transform of string categories to a matrix"));
            };
            let width = l.suffixes.len();
            for (i, row) in x.rows().into_iter().enumerate() {
                let seg = row.slice(ndarray::s![offset..offset + width]);
                let hot = seg.iter().position(|&v| v == 1.0);
                let k = match hot {
                    Some(o) => l.out.iter().position(|&t| t == Some(o)),
                    // The dropped category (all zeros), if any.
                    None => l.out.iter().position(|t| t.is_none()),
                };
                out[[i, j]] = match k {
                    Some(k) if k < values.len() && l.infrequent_out != Some(hot.unwrap_or(usize::MAX)) => values[k],
                    _ => f64::NAN,
                };
            }
            offset += width;
        }
        Ok(out)
    }
    fn n_features_out(&self) -> usize {
        self.n_out()
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        self.names_out(&names_or_default(input, self.columns.len()))
    }
}

// ---------------------------------------------------------------------------------------------
// OrdinalEncoder

/// Encodes each categorical column as the index of its category, scikit-learn's `OrdinalEncoder`.
///
/// Hyper-parameters (scikit-learn's defaults): `categories` ([`Categories::Auto`]),
/// `handle_unknown` (error; [`use_encoded_value`](Self::use_encoded_value) encodes unseen
/// categories as `unknown_value`), `encoded_missing_value` (NaN: missing values stay missing).
/// `min_frequency` / `max_categories` are not implemented for this encoder.
///
/// Output names are the input names.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::OrdinalEncoder;
/// let x = ndarray::array![[10.0], [30.0], [f64::NAN]];
/// let enc = OrdinalEncoder::default().use_encoded_value(-1.0).fit(&x)?;
/// let out = enc.transform(&ndarray::array![[30.0], [20.0]])?;
/// assert_eq!(out, ndarray::array![[1.0], [-1.0]]);
/// assert!(enc.transform(&x)?[[2, 0]].is_nan());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OrdinalEncoder {
    categories: Categories,
    unknown_value: Option<f64>,
    encoded_missing_value: f64,
}

impl Default for OrdinalEncoder {
    fn default() -> Self {
        OrdinalEncoder { categories: Categories::Auto, unknown_value: None, encoded_missing_value: f64::NAN }
    }
}

impl OrdinalEncoder {
    /// Sets the categories of every column.
    pub fn categories(mut self, lists: Vec<CategoryList>) -> Self {
        self.categories = Categories::Given(lists);
        self
    }
    /// `handle_unknown = "use_encoded_value"` with this `unknown_value` (an integer that is not a
    /// category code, or NaN).
    pub fn use_encoded_value(mut self, unknown_value: f64) -> Self {
        self.unknown_value = Some(unknown_value);
        self
    }
    /// The code of missing values (default NaN).
    pub fn encoded_missing_value(mut self, v: f64) -> Self {
        self.encoded_missing_value = v;
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        Needs { quantiles: false, categories: true }
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum], names: &[String]) -> Result<FittedOrdinalEncoder> {
        let cols = learn_categories(acc, names, &self.categories, self.unknown_value.is_none(), |_, _| Vec::new())?;
        if let Some(u) = self.unknown_value
            && !u.is_nan()
        {
            for (c, name) in cols.iter().zip(names) {
                if u >= 0.0 && u < c.categories.len() as f64 {
                    return Err(Error::invalid_param(
                        "unknown_value",
                        format!("{u} is already the code of a category of column {name:?}"),
                    ));
                }
            }
        }
        Ok(FittedOrdinalEncoder {
            columns: cols,
            unknown_value: self.unknown_value,
            encoded_missing_value: self.encoded_missing_value,
        })
    }
}

/// A fitted [`OrdinalEncoder`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedOrdinalEncoder {
    columns: Vec<ColumnCategories>,
    #[serde(with = "crate::serde_f64::opt")]
    unknown_value: Option<f64>,
    #[serde(with = "crate::serde_f64::scalar")]
    encoded_missing_value: f64,
}

impl FittedOrdinalEncoder {
    /// What each column learned.
    pub fn categories(&self) -> &[ColumnCategories] {
        &self.columns
    }

    pub(crate) fn transform_cols(&self, cols: &[Col], names: &[String]) -> Result<Vec<Col>> {
        cols.par_iter()
            .zip(&self.columns)
            .zip(names)
            .map(|((col, cats), name)| -> Result<Col> {
                let mut v = vec![0.0; col.len()];
                let n_known = cats.categories.len();
                cats.codes(col, None, |i, k, label| {
                    v[i] = match k {
                        Some(k) if k == n_known => self.encoded_missing_value,
                        Some(k) => k as f64,
                        // Missing values always get `encoded_missing_value`, even if none were seen in fit.
                        None if col_missing(col, i) => self.encoded_missing_value,
                        None => match self.unknown_value {
                            Some(u) => u,
                            None => {
                                return Err(Error::UnknownCategory { column: name.clone(), category: label() });
                            }
                        },
                    };
                    Ok(())
                })
                .map_err(|e| name_column(e, name))?;
                Ok(Col::Num { v, int: true })
            })
            .collect()
    }
}

fn col_missing(c: &Col, i: usize) -> bool {
    c.missing_at(i)
}

impl Estimator for OrdinalEncoder {
    const NAME: &'static str = "OrdinalEncoder";
    type Kind = TransformerKind;
    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }
    fn check_params(&self) -> Result<()> {
        if let Some(u) = self.unknown_value
            && !u.is_nan()
            && u.fract() != 0.0
        {
            return Err(Error::invalid_param("unknown_value", format!("must be an integer or NaN, got {u}")));
        }
        Ok(())
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "unknown_value" => {
                self.unknown_value = match value {
                    ParamValue::None => None,
                    v => Some(v.as_f64(name)?),
                }
            }
            "encoded_missing_value" => self.encoded_missing_value = value.as_f64(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("OrdinalEncoder has no parameter {name:?}")));
            }
        }
        Ok(())
    }
}

impl Transformer for OrdinalEncoder {
    type Fitted = FittedOrdinalEncoder;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedOrdinalEncoder> {
        self.fit_stats(&matrix_accums(x, self.needs()), &default_names(x.ncols()))
    }

    /// Validates and fits in one sweep over `x` (the validator's finiteness pass is fused with
    /// the category counts; its exact errors are kept).
    fn fit<'a>(&self, x: impl ndarray::AsArray<'a, f64, ndarray::Ix2>) -> Result<FittedOrdinalEncoder> {
        let x: ArrayView2<'a, f64> = x.into();
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        let acc = crate::kernels::checked_cat_accums(Self::NAME, &self.tags(), x)?;
        self.fit_stats(&acc, &default_names(x.ncols()))
    }
}

impl Fitted for FittedOrdinalEncoder {
    const NAME: &'static str = "OrdinalEncoder";
    fn n_features_in(&self) -> usize {
        self.columns.len()
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedTransformer for FittedOrdinalEncoder {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let out = self.transform_cols(&array_to_cols(x), &default_names(x.ncols()))?;
        to_matrix(Self::NAME, out, x.nrows())
    }
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut out = Array2::<f64>::from_elem(x.raw_dim(), f64::NAN);
        for (j, c) in self.columns.iter().enumerate() {
            let CategoryList::Num(values) = &c.categories else {
                return Err(Error::unsupported(Self::NAME, "inverse_transform of string categories to a matrix"));
            };
            for i in 0..x.nrows() {
                let code = x[[i, j]];
                if code >= 0.0 && code.fract() == 0.0 && (code as usize) < values.len() {
                    out[[i, j]] = values[code as usize];
                }
            }
        }
        Ok(out)
    }
    fn n_features_out(&self) -> usize {
        self.columns.len()
    }
}
