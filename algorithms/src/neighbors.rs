//! Nearest-neighbor estimators: [`KNeighborsClassifier`] and [`KNeighborsRegressor`]
//! (scikit-learn's `sklearn.neighbors`), on a blocked-GEMM brute-force search or a KD-tree.

use ndarray::{Array1, Array2, ArrayView2, AsArray, Ix2};
use serde::{Deserialize, Serialize};

use oxlearn_core::params::ParamValue;
use oxlearn_core::validate;
use oxlearn_core::{
    ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier, FittedRegressor,
    ProbabilisticClassifier, Regressor, RegressorKind, Result, Tags,
};

use crate::distance::{self, Dist, Index, KdTree};

/// How neighbors vote (scikit-learn's `weights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KnnWeights {
    /// Every neighbor counts the same (`"uniform"`, the default).
    #[default]
    Uniform,
    /// Neighbors count by the inverse of their distance (`"distance"`); a neighbor at distance
    /// zero takes the whole vote (shared among all such neighbors).
    Distance,
}

/// The neighbor search (scikit-learn's `algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KnnAlgorithm {
    /// A KD-tree when there are at most 15 features and `n_neighbors < n_samples / 2`
    /// (scikit-learn's rule), otherwise brute force.
    #[default]
    Auto,
    /// Distances to every training row, in GEMM blocks for the Euclidean metric.
    Brute,
    /// A KD-tree (exact; fast in low dimensions).
    KdTree,
}

/// The distance (scikit-learn's `metric`; `Minkowski` uses the exponent `p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KnnMetric {
    /// Minkowski distance with exponent `p` (the default, with `p = 2`: Euclidean).
    #[default]
    Minkowski,
    /// Euclidean distance (p = 2).
    Euclidean,
    /// Manhattan distance (p = 1).
    Manhattan,
    /// Chebyshev distance (p = infinity).
    Chebyshev,
}

/// Hyper-parameters shared by the two neighbor estimators.
#[derive(Debug, Clone, PartialEq)]
struct NeighborParams {
    n_neighbors: usize,
    weights: KnnWeights,
    algorithm: KnnAlgorithm,
    leaf_size: usize,
    p: f64,
    metric: KnnMetric,
    n_jobs: Option<usize>,
}

impl Default for NeighborParams {
    fn default() -> Self {
        NeighborParams {
            n_neighbors: 5,
            weights: KnnWeights::Uniform,
            algorithm: KnnAlgorithm::Auto,
            leaf_size: 30,
            p: 2.0,
            metric: KnnMetric::Minkowski,
            n_jobs: None,
        }
    }
}

impl NeighborParams {
    fn dist(&self) -> Dist {
        match self.metric {
            KnnMetric::Minkowski => Dist::from_p(self.p),
            KnnMetric::Euclidean => Dist::Euclidean,
            KnnMetric::Manhattan => Dist::Manhattan,
            KnnMetric::Chebyshev => Dist::Chebyshev,
        }
    }

    fn check(&self) -> Result<()> {
        if self.n_neighbors == 0 {
            return Err(Error::invalid_param("n_neighbors", "must be at least 1, got 0"));
        }
        if self.leaf_size == 0 {
            return Err(Error::invalid_param("leaf_size", "must be at least 1, got 0"));
        }
        if self.metric == KnnMetric::Minkowski && (self.p.is_nan() || self.p < 1.0) {
            return Err(Error::invalid_param("p", format!("must be at least 1 (or infinity), got {}", self.p)));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        Ok(())
    }

    fn set(&mut self, name: &str, value: &ParamValue, estimator: &str) -> Result<()> {
        match name {
            "n_neighbors" => self.n_neighbors = value.as_usize(name)?,
            "weights" => {
                self.weights = match value.as_str(name)? {
                    "uniform" => KnnWeights::Uniform,
                    "distance" => KnnWeights::Distance,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown weights {other:?}")));
                    }
                }
            }
            "algorithm" => {
                self.algorithm = match value.as_str(name)? {
                    "auto" => KnnAlgorithm::Auto,
                    "brute" => KnnAlgorithm::Brute,
                    "kd_tree" => KnnAlgorithm::KdTree,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown algorithm {other:?}")));
                    }
                }
            }
            "leaf_size" => self.leaf_size = value.as_usize(name)?,
            "p" => self.p = value.as_f64(name)?,
            "metric" => {
                self.metric = match value.as_str(name)? {
                    "minkowski" => KnnMetric::Minkowski,
                    "euclidean" | "l2" => KnnMetric::Euclidean,
                    "manhattan" | "cityblock" | "l1" => KnnMetric::Manhattan,
                    "chebyshev" | "infinity" => KnnMetric::Chebyshev,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown metric {other:?}")));
                    }
                }
            }
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{estimator} has no parameter {name:?}")));
            }
        }
        Ok(())
    }

    /// Stores the training rows and builds the index. Also checks that `x` is finite (the
    /// estimators set `Tags::finite_checked_in_fit`): a row's squared norm is finite exactly
    /// when its values are, unless it overflows, so the norms computed with the copy answer for
    /// the data and the exact search (which also finds the first bad value) runs only on failure.
    fn build(&self, estimator: &str, x: ArrayView2<'_, f64>) -> Result<NeighborIndex> {
        let n = x.nrows();
        let (owned, norms) = oxlearn_core::parallel::with_n_jobs(self.n_jobs, || owned_rows_and_norms(x))?;
        if !norms.iter().all(|v| v.is_finite()) {
            validate::check_finite(x, false)?;
        }
        let x = owned;
        if self.n_neighbors > n {
            return Err(Error::InvalidInput(format!(
                "{estimator}: n_neighbors is {} but only {n} samples were given; n_neighbors must be at most n_samples",
                self.n_neighbors
            )));
        }
        let use_tree = match self.algorithm {
            KnnAlgorithm::KdTree => true,
            KnnAlgorithm::Brute => false,
            KnnAlgorithm::Auto => x.ncols() <= 15 && self.n_neighbors < n / 2,
        };
        let index = if use_tree { Index::KdTree(KdTree::build(x.view(), self.leaf_size)) } else { Index::Brute };
        Ok(NeighborIndex { x, norms, index, dist: self.dist(), n_jobs: self.n_jobs })
    }
}

/// A row-major copy of `x` and each row's squared norm, in one pass over row blocks in
/// parallel (the norms are those of [`distance::row_norms_sq`], bit for bit). The copy is
/// written straight into fresh (huge-page) capacity, without zero-filling it first, from the
/// last row to the first (blocks and rows descending: fresh huge pages fill faster from high
/// addresses down, see [`oxlearn_core::alloc`]).
fn owned_rows_and_norms(x: ArrayView2<'_, f64>) -> (Array2<f64>, Vec<f64>) {
    use rayon::prelude::*;
    const BLOCK: usize = 1024;
    let (n, p) = x.dim();
    let len = n.checked_mul(p).expect("matrix size overflows usize");
    let mut buf: Vec<f64> = oxlearn_core::alloc::vec_with_capacity(len);
    let mut norms = vec![0.0; n];
    if p > 0 {
        let spare = &mut buf.spare_capacity_mut()[..len];
        spare.par_chunks_mut(BLOCK * p).zip(norms.par_chunks_mut(BLOCK)).enumerate().rev().for_each(
            |(b, (dst, nb))| {
                for (r, (d, norm)) in dst.chunks_exact_mut(p).zip(nb.iter_mut()).enumerate().rev() {
                    let src = x.row(b * BLOCK + r);
                    for (o, &v) in d.iter_mut().zip(src.iter()) {
                        o.write(v);
                    }
                    *norm = distance::sq_norm(src);
                }
            },
        );
    }
    // SAFETY: the first `len` slots of the capacity were all written above: the chunks of
    // `BLOCK * p` slots cover `spare` (`len` slots), each chunk is `nb.len()` rows of `p`
    // values, and every row writes its `p` values (`src` has `p` values). With `p == 0`,
    // `len == 0`.
    unsafe { buf.set_len(len) };
    (Array2::from_shape_vec((n, p), buf).expect("n * p values"), norms)
}

/// The stored training rows and their search index.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NeighborIndex {
    x: Array2<f64>,
    norms: Vec<f64>,
    index: Index,
    dist: Dist,
    n_jobs: Option<usize>,
}

impl NeighborIndex {
    fn kneighbors(&self, estimator: &str, q: ArrayView2<'_, f64>, k: usize) -> Result<(Array2<f64>, Array2<usize>)> {
        let n = self.x.nrows();
        if k == 0 || k > n {
            return Err(Error::InvalidInput(format!(
                "{estimator}: asked for {k} neighbors of a model fitted on {n} samples; it must be in 1..={n}"
            )));
        }
        oxlearn_core::parallel::with_n_jobs(self.n_jobs, || {
            distance::kneighbors(&self.index, self.x.view(), &self.norms, q, k, self.dist)
        })
    }

    fn kneighbors_checked<'a>(
        &self,
        estimator: &str,
        x: impl AsArray<'a, f64, Ix2>,
        k: Option<usize>,
        default_k: usize,
    ) -> Result<(Array2<f64>, Array2<usize>)> {
        let x: ArrayView2<'a, f64> = x.into();
        validate::check_predict(estimator, self.x.ncols(), false, x)?;
        self.kneighbors(estimator, x, k.unwrap_or(default_k))
    }
}

/// Vote weights of one query's neighbors (scikit-learn's `_get_weights`).
fn weights_of(weights: KnnWeights, dist: &[f64]) -> Vec<f64> {
    match weights {
        KnnWeights::Uniform => vec![1.0; dist.len()],
        KnnWeights::Distance => {
            if dist.contains(&0.0) {
                dist.iter().map(|&d| if d == 0.0 { 1.0 } else { 0.0 }).collect()
            } else {
                dist.iter().map(|&d| 1.0 / d).collect()
            }
        }
    }
}

macro_rules! neighbor_setters {
    () => {
        /// Sets the number of neighbors (default 5).
        pub fn n_neighbors(mut self, n: usize) -> Self {
            self.params.n_neighbors = n;
            self
        }
        /// Sets the vote weighting (default [`KnnWeights::Uniform`]).
        pub fn weights(mut self, w: KnnWeights) -> Self {
            self.params.weights = w;
            self
        }
        /// Sets the search algorithm (default [`KnnAlgorithm::Auto`]).
        pub fn algorithm(mut self, a: KnnAlgorithm) -> Self {
            self.params.algorithm = a;
            self
        }
        /// Sets the KD-tree leaf size (default 30).
        pub fn leaf_size(mut self, n: usize) -> Self {
            self.params.leaf_size = n;
            self
        }
        /// Sets the Minkowski exponent (default 2; at least 1, `f64::INFINITY` for Chebyshev).
        pub fn p(mut self, p: f64) -> Self {
            self.params.p = p;
            self
        }
        /// Sets the metric (default [`KnnMetric::Minkowski`] with `p`).
        pub fn metric(mut self, m: KnnMetric) -> Self {
            self.params.metric = m;
            self
        }
        /// Sets the number of threads for queries (default `None`: the current rayon pool).
        pub fn n_jobs(mut self, n: usize) -> Self {
            self.params.n_jobs = Some(n);
            self
        }
    };
}

/// Classification by a vote of the `k` nearest training samples: scikit-learn's
/// `KNeighborsClassifier`.
///
/// Hyper-parameters (scikit-learn's defaults): `n_neighbors` 5, `weights`
/// [`KnnWeights::Uniform`], `algorithm` [`KnnAlgorithm::Auto`], `leaf_size` 30, `p` 2,
/// `metric` [`KnnMetric::Minkowski`], `n_jobs` `None`.
///
/// Equal distances are ordered by training index, and a tied vote goes to the first class in
/// sorted order, as in scikit-learn. The fitted model keeps the training data;
/// [`kneighbors`](FittedKNeighborsClassifier::kneighbors) returns distances and indices.
///
/// Errors: `InvalidParam` for `n_neighbors = 0`, `p < 1`, `leaf_size = 0`, `n_jobs = 0`;
/// `InvalidInput` when `n_neighbors` exceeds the number of training samples.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::KNeighborsClassifier;
/// let x = ndarray::array![[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]];
/// let y = ndarray::array!["a", "a", "a", "b", "b", "b"].mapv(String::from);
/// let model = KNeighborsClassifier::default().n_neighbors(3).fit(&x, &y)?;
/// assert_eq!(model.predict(&ndarray::array![[1.5], [10.5]])?.to_vec(), vec!["a", "b"]);
/// let (dist, idx) = model.kneighbors(&ndarray::array![[0.2]], Some(2))?;
/// assert_eq!(idx.row(0).to_vec(), vec![0, 1]);
/// assert!((dist[[0, 1]] - 0.8).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KNeighborsClassifier {
    params: NeighborParams,
}

impl KNeighborsClassifier {
    neighbor_setters!();
}

/// A fitted [`KNeighborsClassifier`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedKNeighborsClassifier<L> {
    index: NeighborIndex,
    y: Vec<usize>,
    classes: Vec<L>,
    n_neighbors: usize,
    weights: KnnWeights,
}

impl<L: ClassLabel> FittedKNeighborsClassifier<L> {
    /// Distances to and training indices of the `k` nearest neighbors (default `n_neighbors`)
    /// of each row of `x`, nearest first.
    pub fn kneighbors<'a>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        k: Option<usize>,
    ) -> Result<(Array2<f64>, Array2<usize>)> {
        self.index.kneighbors_checked("KNeighborsClassifier", x, k, self.n_neighbors)
    }

    /// Number of training samples.
    pub fn n_samples_fit(&self) -> usize {
        self.index.x.nrows()
    }

    /// Whether the model searches with a KD-tree (else brute force).
    pub fn uses_kd_tree(&self) -> bool {
        matches!(self.index.index, Index::KdTree(_))
    }

    fn proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let (dist, idx) = self.index.kneighbors("KNeighborsClassifier", x, self.n_neighbors)?;
        let k = self.classes.len();
        let mut proba = Array2::<f64>::zeros((x.nrows(), k));
        for (r, mut row) in proba.outer_iter_mut().enumerate() {
            let w = weights_of(self.weights, dist.row(r).as_slice().expect("standard layout"));
            for (j, &i) in idx.row(r).iter().enumerate() {
                row[self.y[i]] += w[j];
            }
            let total = row.sum();
            if total > 0.0 {
                row /= total;
            }
        }
        Ok(proba)
    }
}

impl Estimator for KNeighborsClassifier {
    const NAME: &'static str = "KNeighborsClassifier";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        // `fit` checks finiteness on the row norms of its copy of X (see `NeighborParams::build`).
        Tags { min_classes: 1, finite_checked_in_fit: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.params.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.params.set(name, value, Self::NAME)
    }
}

impl Classifier for KNeighborsClassifier {
    type Fitted<L: ClassLabel> = FittedKNeighborsClassifier<L>;

    fn fit_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
    ) -> Result<FittedKNeighborsClassifier<L>> {
        let index = self.params.build(Self::NAME, x)?;
        Ok(FittedKNeighborsClassifier {
            index,
            y: y.y.to_vec(),
            classes: y.classes,
            n_neighbors: self.params.n_neighbors,
            weights: self.params.weights,
        })
    }
}

impl<L: ClassLabel> Fitted for FittedKNeighborsClassifier<L> {
    const NAME: &'static str = "KNeighborsClassifier";
    fn n_features_in(&self) -> usize {
        self.index.x.ncols()
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedKNeighborsClassifier<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let proba = self.proba(x)?;
        // First maximum: a tied vote goes to the smallest class index, as numpy's argmax.
        Ok(proba
            .outer_iter()
            .map(|row| row.iter().enumerate().fold(0, |best, (c, &p)| if p > row[best] { c } else { best }))
            .collect())
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.proba(x)
    }
}

impl<L: ClassLabel> ProbabilisticClassifier<L> for FittedKNeighborsClassifier<L> {}

/// Regression by the (weighted) mean target of the `k` nearest training samples:
/// scikit-learn's `KNeighborsRegressor`.
///
/// Hyper-parameters and errors as [`KNeighborsClassifier`].
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::{KNeighborsRegressor, KnnWeights};
/// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
/// let y = ndarray::array![0.0, 1.0, 2.0, 3.0];
/// let model = KNeighborsRegressor::default().n_neighbors(2).weights(KnnWeights::Distance).fit(&x, &y)?;
/// assert!((model.predict(&ndarray::array![[1.25]])?[0] - 1.25).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KNeighborsRegressor {
    params: NeighborParams,
}

impl KNeighborsRegressor {
    neighbor_setters!();
}

/// A fitted [`KNeighborsRegressor`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedKNeighborsRegressor {
    index: NeighborIndex,
    y: Vec<f64>,
    n_neighbors: usize,
    weights: KnnWeights,
}

impl FittedKNeighborsRegressor {
    /// Distances to and training indices of the `k` nearest neighbors (default `n_neighbors`)
    /// of each row of `x`, nearest first.
    pub fn kneighbors<'a>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        k: Option<usize>,
    ) -> Result<(Array2<f64>, Array2<usize>)> {
        self.index.kneighbors_checked("KNeighborsRegressor", x, k, self.n_neighbors)
    }

    /// Number of training samples.
    pub fn n_samples_fit(&self) -> usize {
        self.index.x.nrows()
    }
}

impl Estimator for KNeighborsRegressor {
    const NAME: &'static str = "KNeighborsRegressor";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        // `fit` checks finiteness on the row norms of its copy of X (see `NeighborParams::build`).
        Tags { finite_checked_in_fit: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.params.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.params.set(name, value, Self::NAME)
    }
}

impl Regressor for KNeighborsRegressor {
    type Fitted = FittedKNeighborsRegressor;

    fn fit_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ndarray::ArrayView1<'_, f64>,
    ) -> Result<FittedKNeighborsRegressor> {
        let index = self.params.build(Self::NAME, x)?;
        Ok(FittedKNeighborsRegressor {
            index,
            y: y.to_vec(),
            n_neighbors: self.params.n_neighbors,
            weights: self.params.weights,
        })
    }
}

impl Fitted for FittedKNeighborsRegressor {
    const NAME: &'static str = "KNeighborsRegressor";
    fn n_features_in(&self) -> usize {
        self.index.x.ncols()
    }
}

impl FittedRegressor for FittedKNeighborsRegressor {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let (dist, idx) = self.index.kneighbors("KNeighborsRegressor", x, self.n_neighbors)?;
        Ok((0..x.nrows())
            .map(|r| {
                let w = weights_of(self.weights, dist.row(r).as_slice().expect("standard layout"));
                let total: f64 = w.iter().sum();
                idx.row(r).iter().zip(&w).map(|(&i, &wi)| wi * self.y[i]).sum::<f64>() / total
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn tied_vote_goes_to_the_first_class() {
        let x = array![[0.0], [1.0], [-1.0], [5.0]];
        let y = array![2, 1, 2, 1];
        let m = KNeighborsClassifier::default().n_neighbors(2).fit(&x, &y).unwrap();
        // Neighbors of 0.4: rows 0 (class 2) and 1 (class 1): a tie, class 1 (index 0) wins.
        assert_eq!(m.predict(&array![[0.4]]).unwrap()[0], 1);
        assert_eq!(m.predict_proba(&array![[0.4]]).unwrap().row(0).to_vec(), vec![0.5, 0.5]);
    }

    #[test]
    fn distance_weights_and_zero_distance() {
        let x = array![[0.0], [1.0], [3.0]];
        let y = array![0.0, 1.0, 3.0];
        let m = KNeighborsRegressor::default().n_neighbors(2).weights(KnnWeights::Distance).fit(&x, &y).unwrap();
        assert_eq!(m.predict(&array![[1.0]]).unwrap()[0], 1.0);
        assert!(KNeighborsRegressor::default().fit(&x, &y).is_err());
        assert!(matches!(KNeighborsRegressor::default().n_neighbors(0).fit(&x, &y), Err(Error::InvalidParam { .. })));
    }
}
