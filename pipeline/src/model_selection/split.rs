//! Splitters: [`train_test_split`], [`KFold`], [`StratifiedKFold`], [`GroupKFold`],
//! [`TimeSeriesSplit`], [`ShuffleSplit`], with scikit-learn's fold-size rules.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Debug;

use ndarray::{Array1, Array2, Axis};
use oxlearn_core::{Error, Label, Result};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::target::Target;

/// Train and test indices of one split.
pub type Fold = (Vec<usize>, Vec<usize>);

/// A cross-validation strategy: scikit-learn's splitter objects.
pub trait CrossValidator: Debug + Send + Sync {
    /// The train/test index pairs for `n` samples with target `y` (used by stratified
    /// splitters) and `groups` (used by group splitters).
    ///
    /// # Errors
    /// `InvalidParam` for impossible settings (more folds than samples), `InvalidInput` when a
    /// needed `y` or `groups` is missing.
    fn split(&self, n: usize, y: Option<&Target>, groups: Option<&[i64]>) -> Result<Vec<Fold>>;
}

fn rng(seed: Option<u64>) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed.unwrap_or(0))
}

fn check_n_splits(n_splits: usize, n: usize) -> Result<()> {
    if n_splits < 2 {
        return Err(Error::invalid_param("n_splits", format!("must be at least 2, got {n_splits}")));
    }
    if n_splits > n {
        return Err(Error::invalid_param("n_splits", format!("cannot have {n_splits} folds with only {n} samples")));
    }
    Ok(())
}

fn folds_from_assignment(test_fold: &[usize], n_splits: usize) -> Vec<Fold> {
    (0..n_splits)
        .map(|k| {
            let (test, train): (Vec<usize>, Vec<usize>) = (0..test_fold.len()).partition(|&i| test_fold[i] == k);
            (train, test)
        })
        .collect()
}

/// K folds of consecutive samples (shuffled first with `shuffle(true)`), scikit-learn's `KFold`:
/// the first `n % k` folds get one extra sample. Defaults: 5 folds, no shuffle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KFold {
    n_splits: usize,
    shuffle: bool,
    seed: Option<u64>,
}

impl KFold {
    /// `n_splits` folds, no shuffle.
    pub fn new(n_splits: usize) -> Self {
        KFold { n_splits, shuffle: false, seed: None }
    }
    /// Shuffle the samples before splitting (default false).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Seed of the shuffle (implies `shuffle(true)`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.shuffle = true;
        self
    }
}

impl Default for KFold {
    fn default() -> Self {
        KFold::new(5)
    }
}

impl CrossValidator for KFold {
    fn split(&self, n: usize, _y: Option<&Target>, _g: Option<&[i64]>) -> Result<Vec<Fold>> {
        check_n_splits(self.n_splits, n)?;
        let mut order: Vec<usize> = (0..n).collect();
        if self.shuffle {
            order.shuffle(&mut rng(self.seed));
        }
        let mut test_fold = vec![0; n];
        let mut start = 0;
        for k in 0..self.n_splits {
            let size = n / self.n_splits + usize::from(k < n % self.n_splits);
            for &i in &order[start..start + size] {
                test_fold[i] = k;
            }
            start += size;
        }
        Ok(folds_from_assignment(&test_fold, self.n_splits))
    }
}

/// Class indices in order of first appearance (scikit-learn's `StratifiedKFold` encoding).
fn encode_by_first_appearance<T: PartialOrd>(y: &[T]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| y[a].partial_cmp(&y[b]).unwrap_or(Ordering::Equal).then(a.cmp(&b)));
    // Sorted-value groups, each with its first index.
    let mut group_of = vec![0usize; y.len()];
    let mut firsts: Vec<usize> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        if pos == 0 || y[order[pos - 1]].partial_cmp(&y[i]) != Some(Ordering::Equal) {
            firsts.push(i);
        }
        group_of[i] = firsts.len() - 1;
    }
    let mut by_first: Vec<usize> = (0..firsts.len()).collect();
    by_first.sort_by_key(|&g| firsts[g]);
    let mut rank = vec![0; firsts.len()];
    for (r, &g) in by_first.iter().enumerate() {
        rank[g] = r;
    }
    (group_of.iter().map(|&g| rank[g]).collect(), firsts.len())
}

fn target_classes(y: Option<&Target>, who: &str) -> Result<(Vec<usize>, usize)> {
    match y {
        Some(Target::Labels(l)) => Ok(encode_by_first_appearance(l.as_slice().unwrap_or(&l.to_vec()))),
        Some(Target::Values(v)) => Ok(encode_by_first_appearance(&v.to_vec())),
        _ => Err(Error::InvalidInput(format!("{who} needs the target y"))),
    }
}

/// K folds that keep each class's proportion, scikit-learn's `StratifiedKFold` (same fold
/// assignment as scikit-learn when not shuffled). Defaults: 5 folds, no shuffle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratifiedKFold {
    n_splits: usize,
    shuffle: bool,
    seed: Option<u64>,
}

impl StratifiedKFold {
    /// `n_splits` folds, no shuffle.
    pub fn new(n_splits: usize) -> Self {
        StratifiedKFold { n_splits, shuffle: false, seed: None }
    }
    /// Shuffle each class before splitting (default false).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Seed of the shuffle (implies `shuffle(true)`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.shuffle = true;
        self
    }
}

impl Default for StratifiedKFold {
    fn default() -> Self {
        StratifiedKFold::new(5)
    }
}

impl CrossValidator for StratifiedKFold {
    fn split(&self, n: usize, y: Option<&Target>, _g: Option<&[i64]>) -> Result<Vec<Fold>> {
        check_n_splits(self.n_splits, n)?;
        let (enc, n_classes) = target_classes(y, "StratifiedKFold")?;
        let k = self.n_splits;
        let mut counts = vec![0usize; n_classes];
        enc.iter().for_each(|&c| counts[c] += 1);
        if counts.iter().all(|&c| c < k) {
            return Err(Error::invalid_param(
                "n_splits",
                format!(
                    "{k} folds is more than the {} members of the largest class",
                    counts.iter().max().copied().unwrap_or(0)
                ),
            ));
        }
        let mut sorted = enc.clone();
        sorted.sort_unstable();
        // allocation[f][c]: members of class c in fold f.
        let mut allocation = vec![vec![0usize; n_classes]; k];
        for (pos, &c) in sorted.iter().enumerate() {
            allocation[pos % k][c] += 1;
        }
        let mut r = rng(self.seed);
        let mut test_fold = vec![0usize; n];
        #[allow(clippy::needless_range_loop)]
        for c in 0..n_classes {
            let mut folds: Vec<usize> = (0..k).flat_map(|f| std::iter::repeat_n(f, allocation[f][c])).collect();
            if self.shuffle {
                folds.shuffle(&mut r);
            }
            let members = (0..n).filter(|&i| enc[i] == c);
            for (i, f) in members.zip(folds) {
                test_fold[i] = f;
            }
        }
        Ok(folds_from_assignment(&test_fold, k))
    }
}

/// K folds with no group in two folds, scikit-learn's `GroupKFold`: the largest groups go first,
/// each to the fold with the fewest samples so far. Default 5 folds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupKFold {
    n_splits: usize,
}

impl GroupKFold {
    /// `n_splits` folds.
    pub fn new(n_splits: usize) -> Self {
        GroupKFold { n_splits }
    }
}

impl Default for GroupKFold {
    fn default() -> Self {
        GroupKFold::new(5)
    }
}

impl CrossValidator for GroupKFold {
    fn split(&self, n: usize, _y: Option<&Target>, groups: Option<&[i64]>) -> Result<Vec<Fold>> {
        let groups = groups.ok_or_else(|| Error::InvalidInput("GroupKFold needs groups".into()))?;
        if groups.len() != n {
            return Err(Error::LengthMismatch {
                estimator: "GroupKFold".into(),
                x_rows: n,
                other: "groups",
                other_rows: groups.len(),
            });
        }
        let mut ids: Vec<i64> = groups.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if self.n_splits < 2 || self.n_splits > ids.len() {
            return Err(Error::invalid_param(
                "n_splits",
                format!("cannot have {} folds with {} groups", self.n_splits, ids.len()),
            ));
        }
        let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &g)| (g, i)).collect();
        let mut sizes = vec![0usize; ids.len()];
        groups.iter().for_each(|g| sizes[index[g]] += 1);
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        let mut fold_size = vec![0usize; self.n_splits];
        let mut fold_of_group = vec![0usize; ids.len()];
        for g in order {
            let lightest = (0..self.n_splits).min_by_key(|&f| (fold_size[f], f)).expect("n_splits >= 2");
            fold_size[lightest] += sizes[g];
            fold_of_group[g] = lightest;
        }
        let test_fold: Vec<usize> = groups.iter().map(|g| fold_of_group[index[g]]).collect();
        Ok(folds_from_assignment(&test_fold, self.n_splits))
    }
}

/// Forward-chaining splits for time-ordered samples, scikit-learn's `TimeSeriesSplit`: test
/// blocks of `n / (n_splits + 1)` samples, each trained on everything before it (minus `gap`,
/// capped at `max_train_size`). Default 5 splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeSeriesSplit {
    n_splits: usize,
    max_train_size: Option<usize>,
    test_size: Option<usize>,
    gap: usize,
}

impl TimeSeriesSplit {
    /// `n_splits` splits.
    pub fn new(n_splits: usize) -> Self {
        TimeSeriesSplit { n_splits, max_train_size: None, test_size: None, gap: 0 }
    }
    /// Most samples in a training set (default unbounded).
    pub fn max_train_size(mut self, v: usize) -> Self {
        self.max_train_size = Some(v);
        self
    }
    /// Samples per test block (default `n / (n_splits + 1)`).
    pub fn test_size(mut self, v: usize) -> Self {
        self.test_size = Some(v);
        self
    }
    /// Samples left out between train and test (default 0).
    pub fn gap(mut self, v: usize) -> Self {
        self.gap = v;
        self
    }
}

impl Default for TimeSeriesSplit {
    fn default() -> Self {
        TimeSeriesSplit::new(5)
    }
}

impl CrossValidator for TimeSeriesSplit {
    fn split(&self, n: usize, _y: Option<&Target>, _g: Option<&[i64]>) -> Result<Vec<Fold>> {
        let k = self.n_splits;
        if k < 2 {
            return Err(Error::invalid_param("n_splits", format!("must be at least 2, got {k}")));
        }
        let test_size = self.test_size.unwrap_or(n / (k + 1));
        let needed = test_size.saturating_mul(k).saturating_add(self.gap);
        if test_size == 0 || needed >= n {
            return Err(Error::invalid_param(
                "n_splits",
                format!("{k} splits of {test_size} test samples with gap {} need more than {n} samples", self.gap),
            ));
        }
        Ok((0..k)
            .map(|i| {
                let start = n - (k - i) * test_size;
                let train_end = start - self.gap;
                let train_start = self.max_train_size.map_or(0, |m| train_end.saturating_sub(m));
                ((train_start..train_end).collect(), (start..start + test_size).collect())
            })
            .collect())
    }
}

/// Independent random splits, scikit-learn's `ShuffleSplit`. Defaults: 10 splits, 10% test.
#[derive(Debug, Clone, PartialEq)]
pub struct ShuffleSplit {
    n_splits: usize,
    test_size: f64,
    seed: Option<u64>,
}

impl ShuffleSplit {
    /// `n_splits` random splits.
    pub fn new(n_splits: usize) -> Self {
        ShuffleSplit { n_splits, test_size: 0.1, seed: None }
    }
    /// Fraction of samples in each test set (default 0.1).
    pub fn test_size(mut self, v: f64) -> Self {
        self.test_size = v;
        self
    }
    /// Seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

impl Default for ShuffleSplit {
    fn default() -> Self {
        ShuffleSplit::new(10)
    }
}

fn test_count(test_size: f64, n: usize) -> Result<usize> {
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(Error::invalid_param("test_size", format!("must be in (0, 1), got {test_size}")));
    }
    let n_test = (test_size * n as f64).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(Error::invalid_param(
            "test_size",
            format!("{test_size} of {n} samples leaves an empty train or test set"),
        ));
    }
    Ok(n_test)
}

impl CrossValidator for ShuffleSplit {
    fn split(&self, n: usize, _y: Option<&Target>, _g: Option<&[i64]>) -> Result<Vec<Fold>> {
        let n_test = test_count(self.test_size, n)?;
        let mut r = rng(self.seed);
        Ok((0..self.n_splits)
            .map(|_| {
                let mut p: Vec<usize> = (0..n).collect();
                p.shuffle(&mut r);
                let test = p[..n_test].to_vec();
                let train = p[n_test..].to_vec();
                (train, test)
            })
            .collect())
    }
}

/// An integer `cv` as scikit-learn reads it: stratified folds for class labels, plain folds
/// otherwise.
impl CrossValidator for usize {
    fn split(&self, n: usize, y: Option<&Target>, g: Option<&[i64]>) -> Result<Vec<Fold>> {
        match y {
            Some(Target::Labels(_)) => StratifiedKFold::new(*self).split(n, y, g),
            _ => KFold::new(*self).split(n, y, g),
        }
    }
}

impl<C: CrossValidator + ?Sized> CrossValidator for Box<C> {
    fn split(&self, n: usize, y: Option<&Target>, g: Option<&[i64]>) -> Result<Vec<Fold>> {
        (**self).split(n, y, g)
    }
}

/// Stratified test indices: each class contributes its share (largest remainders first).
fn stratified_test<T: PartialOrd>(y: &[T], n_test: usize, r: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let n = y.len();
    let (enc, n_classes) = encode_by_first_appearance(y);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &c) in enc.iter().enumerate() {
        members[c].push(i);
    }
    let exact: Vec<f64> = members.iter().map(|m| m.len() as f64 * n_test as f64 / n as f64).collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = n_test - take.iter().sum::<usize>();
    let mut by_rem: Vec<usize> = (0..n_classes).collect();
    by_rem.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .partial_cmp(&(exact[a] - exact[a].floor()))
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(&b))
    });
    for c in by_rem {
        if left == 0 {
            break;
        }
        if take[c] < members[c].len() {
            take[c] += 1;
            left -= 1;
        }
    }
    let mut test = Vec::with_capacity(n_test);
    for (c, m) in members.iter_mut().enumerate() {
        m.shuffle(r);
        test.extend_from_slice(&m[..take[c]]);
    }
    test.shuffle(r);
    test
}

/// The result of [`train_test_split`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainTestSplit<T> {
    /// Training rows.
    pub x_train: Array2<f64>,
    /// Test rows.
    pub x_test: Array2<f64>,
    /// Training targets.
    pub y_train: Array1<T>,
    /// Test targets.
    pub y_test: Array1<T>,
    /// Row indices of the training set in the input.
    pub train_index: Vec<usize>,
    /// Row indices of the test set in the input.
    pub test_index: Vec<usize>,
}

/// Builder returned by [`train_test_split`].
#[derive(Debug, Clone)]
pub struct TrainTestSplitter<'a, T> {
    x: &'a Array2<f64>,
    y: &'a Array1<T>,
    test_size: f64,
    shuffle: bool,
    stratify: bool,
    seed: Option<u64>,
}

/// Splits `(x, y)` into random train and test sets, scikit-learn's `train_test_split`.
/// Defaults: `test_size(0.25)`, `shuffle(true)`, `stratify(false)`, seed 0.
///
/// ```
/// use oxlearn_pipeline::train_test_split;
/// let iris = oxlearn_datasets::iris();
/// let s = train_test_split(&iris.x, &iris.y).test_size(0.2).stratify(true).seed(0).split()?;
/// assert_eq!((s.x_train.nrows(), s.x_test.nrows()), (120, 30));
/// assert_eq!(s.y_test.iter().filter(|&&c| c == 0).count(), 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn train_test_split<'a, T: Clone + PartialOrd>(x: &'a Array2<f64>, y: &'a Array1<T>) -> TrainTestSplitter<'a, T> {
    TrainTestSplitter { x, y, test_size: 0.25, shuffle: true, stratify: false, seed: None }
}

impl<T: Clone + PartialOrd> TrainTestSplitter<'_, T> {
    /// Fraction of samples in the test set (default 0.25).
    pub fn test_size(mut self, v: f64) -> Self {
        self.test_size = v;
        self
    }
    /// Shuffle before splitting (default true; `false` takes the last rows as test set).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Keep class proportions of `y` in both sets (default false).
    pub fn stratify(mut self, v: bool) -> Self {
        self.stratify = v;
        self
    }
    /// Seed of the shuffle (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The train and test index sets.
    ///
    /// # Errors
    /// `LengthMismatch` when `x` and `y` differ in length, `InvalidParam` for a `test_size`
    /// outside (0, 1) or one that empties a set, or `stratify` without `shuffle`.
    pub fn indices(&self) -> Result<(Vec<usize>, Vec<usize>)> {
        let n = self.x.nrows();
        if self.y.len() != n {
            return Err(Error::LengthMismatch {
                estimator: "train_test_split".into(),
                x_rows: n,
                other: "y",
                other_rows: self.y.len(),
            });
        }
        let n_test = test_count(self.test_size, n)?;
        let mut r = rng(self.seed);
        let test: Vec<usize> = match (self.shuffle, self.stratify) {
            (false, true) => {
                return Err(Error::invalid_param("stratify", "stratified splits need shuffle(true)"));
            }
            (false, false) => (n - n_test..n).collect(),
            (true, false) => {
                let mut p: Vec<usize> = (0..n).collect();
                p.shuffle(&mut r);
                p.truncate(n_test);
                p
            }
            (true, true) => stratified_test(&self.y.to_vec(), n_test, &mut r),
        };
        let mut in_test = vec![false; n];
        test.iter().for_each(|&i| in_test[i] = true);
        let mut train: Vec<usize> = (0..n).filter(|&i| !in_test[i]).collect();
        if self.shuffle {
            train.shuffle(&mut r);
        }
        Ok((train, test))
    }

    /// Splits.
    ///
    /// # Errors
    /// As [`indices`](Self::indices).
    pub fn split(&self) -> Result<TrainTestSplit<T>> {
        let (train, test) = self.indices()?;
        Ok(TrainTestSplit {
            x_train: self.x.select(Axis(0), &train),
            x_test: self.x.select(Axis(0), &test),
            y_train: train.iter().map(|&i| self.y[i].clone()).collect(),
            y_test: test.iter().map(|&i| self.y[i].clone()).collect(),
            train_index: train,
            test_index: test,
        })
    }
}

/// Splits a DataFrame's rows into train and test frames (stratified on `stratify_on` when
/// given, a column of class labels).
///
/// # Errors
/// As [`TrainTestSplitter::indices`], and `InvalidInput` for a missing or unreadable column.
pub fn train_test_split_frame(
    df: &polars::prelude::DataFrame,
    test_size: f64,
    stratify_on: Option<&str>,
    seed: u64,
) -> Result<(polars::prelude::DataFrame, polars::prelude::DataFrame)> {
    let n = df.height();
    let dummy = Array2::<f64>::zeros((n, 0));
    let labels: Array1<Label> = match stratify_on {
        Some(col) => match Target::from_frame(df, col, oxlearn_core::EstimatorKind::Classifier)? {
            Target::Labels(l) => l,
            _ => unreachable!("classifier targets are labels"),
        },
        None => Array1::from_elem(n, Label::Int(0)),
    };
    let (train, test) =
        train_test_split(&dummy, &labels).test_size(test_size).stratify(stratify_on.is_some()).seed(seed).indices()?;
    Ok((take_rows(df, &train)?, take_rows(df, &test)?))
}

/// The rows `idx` of a frame, in that order.
pub(crate) fn take_rows(df: &polars::prelude::DataFrame, idx: &[usize]) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::{IdxCa, IdxSize};
    let idx: Vec<IdxSize> = idx.iter().map(|&i| i as IdxSize).collect();
    let ca = IdxCa::from_vec("idx".into(), idx);
    df.take(&ca).map_err(|e| Error::Other(format!("cannot take rows: {e}")))
}
