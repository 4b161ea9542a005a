//! Clustering: [`KMeans`] (Lloyd's algorithm on fused / GEMM distances or Elkan's algorithm
//! with triangle-inequality bounds, greedy k-means++) and
//! [`Dbscan`] (density-based clusters on the shared neighbor search), each with linfa as a
//! selectable backend.

use std::ops::Range;
use std::time::Instant;

use linfa::ParamGuard;
use linfa::traits::{Fit, Predict, Transformer as LinfaTransformer};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, AsArray, Axis, Ix2, s};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use oxlearn_core::params::ParamValue;
use oxlearn_core::validate;
use oxlearn_core::{
    Callback, Clusterer, ClustererKind, Error, Estimator, Fitted, FittedClusterer, Progress, Result, Tags,
};

use crate::distance::{self, Dist, Index, KdTree};
use crate::nearest::{NearestSmall, SmallProduct};
use crate::neighbors::{KnnAlgorithm, KnnMetric};

/// Which implementation fits a clusterer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ClusterBackend {
    /// oxlearn's own implementation (the default).
    #[default]
    Native,
    /// linfa-clustering 0.8 (`linfa_clustering::KMeans` / `Dbscan`), for comparison.
    Linfa,
}

/// How [`KMeans`] picks its initial centres (scikit-learn's `init`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KMeansInit {
    /// Greedy k-means++ with `2 + ln(k)` local trials per centre (the default).
    #[default]
    KMeansPlusPlus,
    /// `k` distinct rows drawn uniformly.
    Random,
}

/// Which algorithm runs the k-means iterations (scikit-learn's `algorithm`).
///
/// Both reach the same centres, labels and inertia from the same initial centres (up to
/// floating-point rounding of near ties); they differ only in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KMeansAlgorithm {
    /// Lloyd's algorithm (`"lloyd"`, the default as in scikit-learn >= 1.1): every iteration
    /// computes the distance of every sample to every centre (a fused register-blocked kernel for
    /// up to 32 centres, a blocked GEMM above).
    #[default]
    Lloyd,
    /// Elkan's algorithm (`"elkan"`, Elkan 2003): the triangle inequality, with an upper bound per
    /// sample, a lower bound per sample and centre and the half distances between centres, skips
    /// most distance computations once the centres move little. It keeps `n_samples x
    /// n_clusters` lower bounds in memory. As scikit-learn notes, it can pay on data with
    /// well-defined clusters and few clusters; on poorly separated data the bounds prune little
    /// and Lloyd's dense kernel is as fast or faster (on 200000 x 50 samples of 8 overlapping
    /// classes, `n_clusters` 8, both take about 1.6 s of CPU for 155 iterations; Elkan's skips
    /// 70-90% of the rows in the late iterations but still updates every bound). With one
    /// cluster it runs Lloyd's algorithm (as scikit-learn does).
    Elkan,
}

/// Rows per parallel task in the Lloyd iterations (fixed: results never depend on threads).
const CHUNK: usize = 1024;

/// K-means clustering: scikit-learn's `KMeans`.
///
/// Minimises the within-cluster sum of squares with Lloyd's algorithm. Distances to the centres
/// are computed as `|x|^2 + |c|^2 - 2 x.c` with one GEMM per block of rows; the blocks run in
/// parallel on rayon and are combined in a fixed order, so results do not depend on `n_jobs`.
/// As in scikit-learn, the data are centred before fitting, empty clusters are re-seeded with the
/// points farthest from their centres, and a run stops when the labels no longer change or the
/// squared centre shift falls below `tol` times the mean feature variance.
///
/// Random numbers come from numpy's legacy `RandomState(seed)` stream (MT19937), so a seeded
/// k-means++ picks exactly the centres scikit-learn picks with `random_state=seed` and the
/// iterations, `n_iter` and inertia follow scikit-learn's run (up to floating-point ties).
///
/// With [`KMeansAlgorithm::Elkan`] the iterations use Elkan's bounds instead (same stopping rule,
/// same empty-cluster relocation, same result; see [`KMeansAlgorithm`] for when it pays).
///
/// Sample weights: [`fit_weighted`](Clusterer::fit_weighted) (scikit-learn's
/// `fit(X, sample_weight=w)`): weighted k-means++ draws, weighted centres, relocation and
/// inertia, the same run as scikit-learn's from the same seed; integer weights act as repeated
/// rows. `init` [`KMeansInit::Random`] draws its rows with probability proportional to the
/// weights (its stream is not numpy's, weighted or not). Native backend only.
///
/// Hyper-parameters (scikit-learn's defaults): `n_clusters` 8, `init`
/// [`KMeansInit::KMeansPlusPlus`], `n_init` `None` (= "auto": 1 run for k-means++, 10 for
/// random), `max_iter` 300, `tol` 1e-4, `algorithm` [`KMeansAlgorithm::Lloyd`], `seed` `None`,
/// `n_jobs` `None`, `backend` [`ClusterBackend::Native`] (linfa's inertia is a mean and its
/// stopping rule differs; the fitted model reports the summed inertia either way; linfa ignores
/// `algorithm`), `callback`.
///
/// Fitted accessors: [`cluster_centers`](FittedKMeans::cluster_centers),
/// [`labels`](FittedClusterer::labels), [`inertia`](FittedKMeans::inertia) (a sum, as
/// scikit-learn), [`n_iter`](FittedKMeans::n_iter); [`predict`](FittedClusterer::predict) and
/// [`transform`](FittedKMeans::transform) (distances to the centres).
///
/// Errors: `InvalidParam` for `n_clusters = 0`, `n_init = 0`, `max_iter = 0`, negative `tol`,
/// weights with the linfa backend; `InvalidInput` when there are fewer samples than clusters;
/// the shared validation errors for the weights.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::KMeans;
/// let x = ndarray::array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let model = KMeans::default().n_clusters(2).seed(0).fit(&x)?;
/// let labels = model.labels();
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[2]);
/// assert!((model.inertia() - 0.01).abs() < 1e-12);
/// assert_eq!(model.transform(&x)?.dim(), (4, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    n_clusters: usize,
    init: KMeansInit,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    algorithm: KMeansAlgorithm,
    seed: Option<u64>,
    n_jobs: Option<usize>,
    backend: ClusterBackend,
    callback: Callback,
}

impl Default for KMeans {
    fn default() -> Self {
        KMeans {
            n_clusters: 8,
            init: KMeansInit::KMeansPlusPlus,
            n_init: None,
            max_iter: 300,
            tol: 1e-4,
            algorithm: KMeansAlgorithm::Lloyd,
            seed: None,
            n_jobs: None,
            backend: ClusterBackend::Native,
            callback: Callback::none(),
        }
    }
}

impl KMeans {
    /// Sets the number of clusters (default 8).
    pub fn n_clusters(mut self, k: usize) -> Self {
        self.n_clusters = k;
        self
    }
    /// Sets the initialisation (default k-means++).
    pub fn init(mut self, init: KMeansInit) -> Self {
        self.init = init;
        self
    }
    /// Sets the number of runs with different initial centres; the best inertia wins
    /// (default "auto": 1 for k-means++, 10 for random).
    pub fn n_init(mut self, n: usize) -> Self {
        self.n_init = Some(n);
        self
    }
    /// Sets the most Lloyd iterations per run (default 300).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Sets the convergence tolerance, relative to the mean feature variance (default 1e-4).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Sets the k-means algorithm (default [`KMeansAlgorithm::Lloyd`]).
    pub fn algorithm(mut self, algorithm: KMeansAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }
    /// Sets the random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Sets the number of threads (default `None`: the current rayon pool).
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = Some(n);
        self
    }
    /// Selects the implementation (default [`ClusterBackend::Native`]).
    pub fn backend(mut self, backend: ClusterBackend) -> Self {
        self.backend = backend;
        self
    }
    /// Watches the iterations (one report per iteration; `loss` is the inertia of the
    /// assignment with Lloyd's algorithm, `None` with Elkan's, which does not compute every
    /// distance; `center_shift` is the summed squared centre shift either way).
    pub fn callback(mut self, callback: Callback) -> Self {
        self.callback = callback;
        self
    }

    fn runs(&self) -> usize {
        self.n_init.unwrap_or(match self.init {
            KMeansInit::KMeansPlusPlus => 1,
            KMeansInit::Random => 10,
        })
    }
}

/// A fitted [`KMeans`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedKMeans {
    centers: Array2<f64>,
    labels: Array1<i64>,
    inertia: f64,
    n_iter: usize,
}

impl FittedKMeans {
    /// Cluster centres, one row per cluster (`cluster_centers_`).
    pub fn cluster_centers(&self) -> ArrayView2<'_, f64> {
        self.centers.view()
    }
    /// Sum of squared distances of the training samples to their centres (`inertia_`).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }
    /// Lloyd iterations of the best run (`n_iter_`; 0 for the linfa backend, which hides it).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Euclidean distance of each row of `x` to each centre (scikit-learn's `transform`).
    pub fn transform<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        let x = self.check_x(x.into())?;
        validate::check_finite(x, false)?;
        Ok(distance::euclidean_distances(x, self.centers.view()))
    }
    /// `-inertia` of `x` under the fitted centres (scikit-learn's `score`).
    pub fn score<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<f64> {
        let x = self.check_x(x.into())?;
        validate::check_finite(x, false)?;
        let labels = nearest(x, self.centers.view()).0;
        Ok(-inertia(x, self.centers.view(), &labels, None))
    }
}

impl Estimator for KMeans {
    const NAME: &'static str = "KMeans";
    type Kind = ClustererKind;

    fn tags(&self) -> Tags {
        // linfa's KMeans takes no weights.
        Tags { non_deterministic: true, sample_weight: self.backend == ClusterBackend::Native, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        if self.n_clusters == 0 {
            return Err(Error::invalid_param("n_clusters", "must be at least 1, got 0"));
        }
        if self.n_init == Some(0) {
            return Err(Error::invalid_param("n_init", "must be at least 1, got 0"));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_param("max_iter", "must be at least 1, got 0"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::invalid_param("tol", format!("must be a non-negative finite number, got {}", self.tol)));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "n_clusters" => self.n_clusters = value.as_usize(name)?,
            "init" => {
                self.init = match value.as_str(name)? {
                    "k-means++" => KMeansInit::KMeansPlusPlus,
                    "random" => KMeansInit::Random,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown init {other:?}")));
                    }
                }
            }
            "n_init" => {
                self.n_init = match value {
                    ParamValue::Str(s) if s == "auto" => None,
                    other => Some(other.as_usize(name)?),
                }
            }
            "max_iter" => self.max_iter = value.as_usize(name)?,
            "tol" => self.tol = value.as_f64(name)?,
            "algorithm" => {
                self.algorithm = match value.as_str(name)? {
                    "lloyd" => KMeansAlgorithm::Lloyd,
                    "elkan" => KMeansAlgorithm::Elkan,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown algorithm {other:?}")));
                    }
                }
            }
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
            "backend" => {
                self.backend = match value.as_str(name)? {
                    "native" => ClusterBackend::Native,
                    "linfa" => ClusterBackend::Linfa,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown backend {other:?}")));
                    }
                }
            }
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

impl Clusterer for KMeans {
    type Fitted = FittedKMeans;

    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedKMeans> {
        self.fit_with(x, None)
    }

    /// scikit-learn's `fit(X, sample_weight=w)`: weighted k-means++ draws (the first centre with
    /// probability `w_i / Σw`, candidates by `w_i · d_i²`), weighted centres, weighted inertia;
    /// integer weights give the fit of repeated rows. The tolerance stays the unweighted mean
    /// feature variance times `tol`, as scikit-learn's. Native backend only.
    fn fit_weighted_checked(&self, x: ArrayView2<'_, f64>, sample_weight: ArrayView1<'_, f64>) -> Result<FittedKMeans> {
        if self.backend == ClusterBackend::Linfa {
            return Err(Error::invalid_param("backend", "linfa's KMeans does not support sample weights"));
        }
        let w = sample_weight.to_vec();
        self.fit_with(x, Some(&w))
    }
}

impl KMeans {
    fn fit_with(&self, x: ArrayView2<'_, f64>, sw: Option<&[f64]>) -> Result<FittedKMeans> {
        let (n, k) = (x.nrows(), self.n_clusters);
        if n < k {
            return Err(Error::InvalidInput(format!("KMeans: n_samples={n} should be >= n_clusters={k}")));
        }
        // numpy's legacy `RandomState(seed)` stream, so that a seeded k-means++ draws exactly
        // scikit-learn's candidates (`random_state=seed`) and the Lloyd iterations follow the
        // same path (same centres, same `n_iter`).
        let mut rng = match self.seed {
            Some(s) => NumpyRandomState::new(s),
            None => NumpyRandomState::new(rand::thread_rng().r#gen::<u32>().into()),
        };
        match self.backend {
            ClusterBackend::Native => {
                oxlearn_core::parallel::with_n_jobs(self.n_jobs, || self.fit_native(x, &mut rng, sw))?
            }
            ClusterBackend::Linfa => self.fit_linfa(x, &mut rng),
        }
    }
}

impl KMeans {
    fn fit_native(
        &self,
        x: ArrayView2<'_, f64>,
        rng: &mut NumpyRandomState,
        sw: Option<&[f64]>,
    ) -> Result<FittedKMeans> {
        // Centre the data, as scikit-learn does, for accurate GEMM distances: one parallel pass
        // writes the centred rows (a fresh buffer on huge pages) and their squared norms.
        let mean = crate::linalg::column_means(x);
        let mut xc = oxlearn_core::alloc::zeros_2d(x.nrows(), x.ncols());
        let mut norms = vec![0.0; x.nrows()];
        xc.axis_chunks_iter_mut(Axis(0), CHUNK).into_par_iter().zip(norms.par_chunks_mut(CHUNK)).enumerate().for_each(
            |(b, (mut xb, nb))| {
                for (i, (mut r, nv)) in xb.outer_iter_mut().zip(nb.iter_mut()).enumerate() {
                    r.zip_mut_with(&x.row(b * CHUNK + i), |o, &a| *o = a);
                    r -= &mean;
                    *nv = r.dot(&r);
                }
            },
        );
        // Mean of the feature variances of the centred data: Σ_ij xc_ij² / (n m), from the row
        // norms (one row-major pass instead of a strided pass per column).
        let var_mean = norms.iter().sum::<f64>() / (n_f(xc.nrows()) * n_f(xc.ncols().max(1)));
        let tol = var_mean * self.tol;
        let start = Instant::now();
        let mut best: Option<(Array2<f64>, Vec<usize>, f64, usize)> = None;
        for _ in 0..self.runs() {
            let init = match self.init {
                KMeansInit::KMeansPlusPlus => kmeans_plusplus(xc.view(), &norms, self.n_clusters, rng, sw),
                KMeansInit::Random => {
                    let idx = rng.sample_indices(xc.nrows(), self.n_clusters, sw);
                    xc.select(Axis(0), &idx)
                }
            };
            let (centers, labels, n_iter) = match self.algorithm {
                // One cluster: nothing to prune (scikit-learn switches to Lloyd too).
                KMeansAlgorithm::Elkan if self.n_clusters > 1 && xc.ncols() > 0 => {
                    elkan(xc.view(), sw, init, self.max_iter, tol, &self.callback, start)
                }
                _ => lloyd(xc.view(), &norms, sw, init, self.max_iter, tol, &self.callback, start),
            };
            let inertia = inertia(xc.view(), centers.view(), &labels, sw);
            if best.as_ref().is_none_or(|b| inertia < b.2) {
                best = Some((centers, labels, inertia, n_iter));
            }
        }
        let (mut centers, labels, inertia, n_iter) = best.expect("at least one run");
        centers += &mean;
        Ok(FittedKMeans { centers, labels: labels.into_iter().map(|l| l as i64).collect(), inertia, n_iter })
    }

    fn fit_linfa(&self, x: ArrayView2<'_, f64>, rng: &mut NumpyRandomState) -> Result<FittedKMeans> {
        let linfa_rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(rng.next_u64());
        let init = match self.init {
            KMeansInit::KMeansPlusPlus => linfa_clustering::KMeansInit::KMeansPlusPlus,
            KMeansInit::Random => linfa_clustering::KMeansInit::Random,
        };
        let data = linfa::DatasetBase::from(x.as_standard_layout().into_owned());
        let model = linfa_clustering::KMeans::params_with_rng(self.n_clusters, linfa_rng)
            .n_runs(self.runs())
            .max_n_iterations(self.max_iter as u64)
            .tolerance(self.tol.max(f64::MIN_POSITIVE))
            .init_method(init)
            .fit(&data)
            .map_err(|e| Error::Other(format!("linfa KMeans failed: {e}")))?;
        let centers = model.centroids().clone();
        let labels: Array1<usize> = model.predict(data.records());
        let labels = labels.to_vec();
        let inertia = inertia(x, centers.view(), &labels, None);
        Ok(FittedKMeans { centers, labels: labels.into_iter().map(|l| l as i64).collect(), inertia, n_iter: 0 })
    }
}

fn n_f(n: usize) -> f64 {
    n as f64
}

/// Sum of squared distances of each row to its centre (times the row's weight), computed
/// directly (not by GEMM).
fn inertia(x: ArrayView2<'_, f64>, centers: ArrayView2<'_, f64>, labels: &[usize], sw: Option<&[f64]>) -> f64 {
    let parts: Vec<f64> = (0..x.nrows().div_ceil(CHUNK))
        .into_par_iter()
        .map(|b| {
            (b * CHUNK..((b + 1) * CHUNK).min(x.nrows()))
                .map(|i| {
                    weight(sw, i)
                        * x.row(i).iter().zip(centers.row(labels[i])).map(|(a, c)| (a - c) * (a - c)).sum::<f64>()
                })
                .sum()
        })
        .collect();
    parts.iter().sum()
}

/// Row `i`'s sample weight (1 without weights: every product with it is then exact).
#[inline(always)]
fn weight(sw: Option<&[f64]>, i: usize) -> f64 {
    sw.map_or(1.0, |w| w[i])
}

/// Nearest centre of each row of `x` and `|c|² - 2 x·c` at it (the squared distance minus
/// `|x|²`, which does not change the argmin), in parallel over fixed blocks of rows.
fn nearest(x: ArrayView2<'_, f64>, centers: ArrayView2<'_, f64>) -> (Vec<usize>, Vec<f64>) {
    let n = x.nrows();
    let mut labels = vec![0usize; n];
    let mut mins = vec![0.0f64; n];
    if let Some((small, xs)) = small_kernel(x, centers) {
        let m = x.ncols();
        labels.par_chunks_mut(CHUNK).zip(mins.par_chunks_mut(CHUNK)).enumerate().for_each(|(b, (l, d))| {
            let start = b * CHUNK;
            small.run(&xs[start * m..(start + l.len()) * m], |i, _, li, di| {
                l[i] = li;
                d[i] = di;
            });
        });
        return (labels, mins);
    }
    let kernel = NearestKernel::new(centers);
    labels.par_chunks_mut(CHUNK).zip(mins.par_chunks_mut(CHUNK)).enumerate().for_each(|(b, (l, d))| {
        let xb = x.slice(s![b * CHUNK..b * CHUNK + l.len(), ..]);
        let mut g = Array2::<f64>::zeros((l.len(), kernel.k()));
        kernel.run(xb, &mut g, |i, li, di| {
            l[i] = li;
            d[i] = di;
        });
    });
    (labels, mins)
}

/// The fused kernel for few centres ([`NearestSmall`]) with `x` as one row-major slice, when
/// both apply; otherwise the GEMM kernel ([`NearestKernel`]) is used.
fn small_kernel<'a>(x: ArrayView2<'a, f64>, centers: ArrayView2<'_, f64>) -> Option<(NearestSmall, &'a [f64])> {
    if x.ncols() == 0 {
        return None;
    }
    Some((NearestSmall::new(centers)?, x.to_slice()?))
}

/// The distance kernel of the Lloyd iterations and of `predict` for many centres:
/// `G = 1 |c|ᵀ - 2 X Cᵀ` for a
/// block of rows (one sequential faer GEMM), then the first argmin of each row of `G`.
struct NearestKernel {
    /// `-2 Cᵀ`, `m x k`.
    neg2ct: Array2<f64>,
    /// `|c|²` per centre.
    cn: Array1<f64>,
}

impl NearestKernel {
    fn new(centers: ArrayView2<'_, f64>) -> Self {
        NearestKernel { neg2ct: centers.t().mapv(|v| -2.0 * v), cn: centers.outer_iter().map(|c| c.dot(&c)).collect() }
    }

    fn k(&self) -> usize {
        self.cn.len()
    }

    /// Calls `f(i, label, value)` for each row `i` of `xb`; `g` is scratch of `xb.nrows() x k`.
    fn run(&self, xb: ArrayView2<'_, f64>, g: &mut Array2<f64>, mut f: impl FnMut(usize, usize, f64)) {
        g.rows_mut().into_iter().for_each(|mut r| r.assign(&self.cn));
        faer::linalg::matmul::matmul(
            crate::linalg::as_faer_mut(g.view_mut()),
            faer::Accum::Add,
            crate::linalg::as_faer(xb),
            crate::linalg::as_faer(self.neg2ct.view()),
            1.0,
            faer::Par::Seq,
        );
        for (i, row) in g.outer_iter().enumerate() {
            let (l, d) = argmin(row);
            f(i, l, d);
        }
    }
}

/// First index of the minimum and the minimum.
fn argmin(r: ArrayView1<'_, f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, &v) in r.iter().enumerate() {
        if v < best.1 {
            best = (j, v);
        }
    }
    best
}

/// scikit-learn's greedy k-means++: each new centre is the best (lowest potential) of
/// `2 + ln(k)` candidates drawn with probability proportional to the squared distance (times
/// the sample weight; the first centre with probability proportional to the weight).
fn kmeans_plusplus(
    x: ArrayView2<'_, f64>,
    norms: &[f64],
    k: usize,
    rng: &mut NumpyRandomState,
    sw: Option<&[f64]>,
) -> Array2<f64> {
    let n = x.nrows();
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Array2::<f64>::zeros((k, x.ncols()));
    let first = match sw {
        None => rng.choice_uniform(n),
        Some(w) => rng.choice_weighted(w),
    };
    centers.row_mut(0).assign(&x.row(first));
    let weighted_sum = |d: &[f64]| -> f64 { d.iter().enumerate().map(|(i, &v)| weight(sw, i) * v).sum() };
    let mut closest = sq_dist_to_rows(x, norms, &[first]).remove(0);
    let mut pot: f64 = weighted_sum(&closest);
    for c in 1..k {
        let mut cumsum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for (i, &d) in closest.iter().enumerate() {
            acc += weight(sw, i) * d;
            cumsum.push(acc);
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let v = rng.random_sample() * pot;
                cumsum.partition_point(|&s| s < v).min(n - 1)
            })
            .collect();
        let dists = sq_dist_to_rows(x, norms, &candidates);
        let mut best: Option<(usize, f64, Vec<f64>)> = None;
        for (t, mut d) in dists.into_iter().enumerate() {
            for (v, &c0) in d.iter_mut().zip(&closest) {
                *v = v.min(c0);
            }
            let p: f64 = weighted_sum(&d);
            if best.as_ref().is_none_or(|b| p < b.1) {
                best = Some((t, p, d));
            }
        }
        let (t, p, d) = best.expect("at least one candidate");
        centers.row_mut(c).assign(&x.row(candidates[t]));
        pot = p;
        closest = d;
    }
    centers
}

/// numpy's legacy `RandomState` (MT19937 seeded with `init_genrand`, as `RandomState(seed)` for
/// an integer seed below 2³²), with the two draws scikit-learn's k-means++ makes:
/// `random_sample()` and `choice(n, p=uniform)`. Larger seeds are folded to 32 bits.
struct NumpyRandomState {
    key: [u32; 624],
    pos: usize,
}

impl NumpyRandomState {
    fn new(seed: u64) -> Self {
        let mut key = [0u32; 624];
        let mut s = (seed ^ (seed >> 32)) as u32;
        if seed <= u64::from(u32::MAX) {
            s = seed as u32;
        }
        for (i, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1_812_433_253u32.wrapping_mul(s ^ (s >> 30)).wrapping_add(i as u32 + 1);
        }
        NumpyRandomState { key, pos: 624 }
    }

    fn next_u32(&mut self) -> u32 {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX: u32 = 0x9908_b0df;
        if self.pos >= 624 {
            for i in 0..624 {
                let y = (self.key[i] & UPPER) | (self.key[(i + 1) % 624] & LOWER);
                self.key[i] = self.key[(i + 397) % 624] ^ (y >> 1) ^ if y & 1 == 1 { MATRIX } else { 0 };
            }
            self.pos = 0;
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// `random_sample()`: 53 random bits in `[0, 1)`.
    fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `choice(n, p=ones(n) / n)`: the normalised running sum of the probabilities, searched
    /// (`side="right"`) for one `random_sample()`, exactly as numpy does it.
    fn choice_uniform(&mut self, n: usize) -> usize {
        let p = 1.0 / n as f64;
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0f64;
        for _ in 0..n {
            acc += p;
            cdf.push(acc);
        }
        let last = acc;
        let u = self.random_sample();
        cdf.partition_point(|&c| c / last <= u).min(n - 1)
    }

    /// `choice(n, p=w / w.sum())`: as [`Self::choice_uniform`] with the weights' running sum
    /// (the same draw as numpy up to the rounding of the weights' total, which numpy sums
    /// pairwise).
    fn choice_weighted(&mut self, w: &[f64]) -> usize {
        let total: f64 = w.iter().sum();
        let mut cdf = Vec::with_capacity(w.len());
        let mut acc = 0.0f64;
        for &wi in w {
            acc += wi / total;
            cdf.push(acc);
        }
        let last = acc;
        let u = self.random_sample();
        cdf.partition_point(|&c| c / last <= u).min(w.len() - 1)
    }

    /// `k` distinct indices below `n` (the `Random` init; not numpy's stream), drawn with
    /// probability proportional to the weights when there are weights (without replacement,
    /// as scikit-learn's `choice(n, k, replace=False, p=w / w.sum())`).
    fn sample_indices(&mut self, n: usize, k: usize, sw: Option<&[f64]>) -> Vec<usize> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.next_u64());
        match sw {
            // Equal weights draw as no weights (the same distribution): the same indices.
            None => rand::seq::index::sample(&mut rng, n, k).into_vec(),
            Some(w) if w.iter().all(|&v| v == w[0]) => rand::seq::index::sample(&mut rng, n, k).into_vec(),
            Some(w) => match rand::seq::index::sample_weighted(&mut rng, n, |i| w[i], k) {
                Ok(idx) => idx.into_vec(),
                // Fewer positive weights than clusters: the positive ones, then the others.
                Err(_) => {
                    let mut idx: Vec<usize> = (0..n).filter(|&i| w[i] > 0.0).collect();
                    idx.extend((0..n).filter(|&i| w[i] <= 0.0).take(k.saturating_sub(idx.len())));
                    idx.truncate(k);
                    idx
                }
            },
        }
    }
}

/// Squared distances of every row of `x` to the rows `idx` of `x`, one vector per index.
fn sq_dist_to_rows(x: ArrayView2<'_, f64>, norms: &[f64], idx: &[usize]) -> Vec<Vec<f64>> {
    let c = x.select(Axis(0), idx);
    let cn: Vec<f64> = idx.iter().map(|&i| norms[i]).collect();
    let n = x.nrows();
    // A few candidates (2 + ln k): the register-blocked product `-2 x·c + |c|²` of row-major
    // rows, then `+ |x|²` clamped at 0 (the same additions in the same order as the GEMM path).
    if let (Some(kernel), Some(xs)) = (SmallProduct::new(c.t().mapv(|v| -2.0 * v).view(), &cn), x.to_slice()) {
        let (t, m) = (idx.len(), x.ncols());
        let mut out = vec![0.0; n * t];
        out.par_chunks_mut(CHUNK * t).enumerate().for_each(|(b, o)| {
            let start = b * CHUNK;
            kernel.run(&xs[start * m..(start + o.len() / t) * m], o);
            for (row, &xn) in o.chunks_exact_mut(t).zip(&norms[start..]) {
                row.iter_mut().for_each(|v| *v = (*v + xn).max(0.0));
            }
        });
        return (0..t).map(|j| out.iter().skip(j).step_by(t).copied().collect()).collect();
    }
    let parts: Vec<Array2<f64>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|b| {
            let rows = b * CHUNK..((b + 1) * CHUNK).min(n);
            let xb = x.slice(s![rows.clone(), ..]);
            let mut d = Array2::<f64>::zeros((c.nrows(), xb.nrows()));
            distance::sq_euclidean_into(c.view(), &cn, xb, &norms[rows], &mut d.view_mut());
            d
        })
        .collect();
    (0..idx.len()).map(|t| parts.iter().flat_map(|p| p.row(t).to_vec()).collect()).collect()
}

/// One Lloyd step over a block: per-cluster weighted sums and weights (counts without sample
/// weights), assignment inertia.
struct Step {
    sums: Array2<f64>,
    weights: Vec<f64>,
    pot: f64,
}

/// One Lloyd assignment over all rows (labels written into `labels`), with the per-block
/// partial sums, counts and potential in block order (the caller reduces them in that order).
fn lloyd_step(
    x: ArrayView2<'_, f64>,
    norms: &[f64],
    sw: Option<&[f64]>,
    centers: ArrayView2<'_, f64>,
    labels: &mut [usize],
) -> Vec<Step> {
    match sw {
        None => lloyd_step_with(x, norms, Unit, centers, labels),
        Some(w) => lloyd_step_with(x, norms, w, centers, labels),
    }
}

/// Per-row weights of a Lloyd step, monomorphised so that the unweighted step compiles to its
/// loops without weights (a run-time `Option` per row measured ~8% slower on 200000 x 50).
trait RowWeights: Copy + Sync {
    /// All weights are 1 (no multiplications are emitted).
    const UNIT: bool;
    fn at(self, i: usize) -> f64;
}

/// Every weight 1.
#[derive(Clone, Copy)]
struct Unit;

impl RowWeights for Unit {
    const UNIT: bool = true;
    #[inline(always)]
    fn at(self, _: usize) -> f64 {
        1.0
    }
}

impl RowWeights for &[f64] {
    const UNIT: bool = false;
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        self[i]
    }
}

/// Adds the rows `rows` of row-major `x` (`m` columns) to their clusters' sums and weights.
fn accumulate<W: RowWeights>(
    sums: &mut [f64],
    weights: &mut [f64],
    labels: &[usize],
    x: &[f64],
    m: usize,
    rows: Range<usize>,
    sw: W,
) {
    for i in rows {
        let l = labels[i];
        let wi = sw.at(i);
        weights[l] += wi;
        add_row(&mut sums[l * m..(l + 1) * m], &x[i * m..(i + 1) * m], (!W::UNIT).then_some(wi));
    }
}

/// [`lloyd_step`] for one kind of weights.
fn lloyd_step_with<W: RowWeights>(
    x: ArrayView2<'_, f64>,
    norms: &[f64],
    sw: W,
    centers: ArrayView2<'_, f64>,
    labels: &mut [usize],
) -> Vec<Step> {
    let (k, m) = centers.dim();
    if let Some((small, xs)) = small_kernel(x, centers) {
        return labels
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(b, lab)| {
                let start = b * CHUNK;
                let mut step = Step { sums: Array2::zeros((k, m)), weights: vec![0.0; k], pot: 0.0 };
                let sums = step.sums.as_slice_mut().expect("fresh array is contiguous");
                small.run(&xs[start * m..(start + lab.len()) * m], |i, row, l, d| {
                    lab[i] = l;
                    let wi = sw.at(start + i);
                    step.weights[l] += wi;
                    let di = (d + norms[start + i]).max(0.0);
                    step.pot += if W::UNIT { di } else { wi * di };
                    add_row(&mut sums[l * m..(l + 1) * m], row, (!W::UNIT).then_some(wi));
                });
                step
            })
            .collect();
    }
    let kernel = NearestKernel::new(centers);
    labels
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(b, lab)| {
            let start = b * CHUNK;
            let xb = x.slice(s![start..start + lab.len(), ..]);
            let mut g = Array2::<f64>::zeros((lab.len(), k));
            let mut step = Step { sums: Array2::zeros((k, m)), weights: vec![0.0; k], pot: 0.0 };
            let sums = step.sums.as_slice_mut().expect("fresh array is contiguous");
            kernel.run(xb, &mut g, |i, l, d| {
                lab[i] = l;
                let wi = sw.at(start + i);
                step.weights[l] += wi;
                let di = (d + norms[start + i]).max(0.0);
                step.pot += if W::UNIT { di } else { wi * di };
                let dst = &mut sums[l * m..(l + 1) * m];
                let row = xb.row(i);
                let w = (!W::UNIT).then_some(wi);
                match row.as_slice() {
                    Some(src) => add_row(dst, src, w),
                    None => add_row(dst, row.iter(), w),
                }
            });
            step
        })
        .collect()
}

/// `dst += row` (times the weight `w` when there are weights).
#[inline(always)]
fn add_row<'a>(dst: &mut [f64], row: impl IntoIterator<Item = &'a f64>, w: Option<f64>) {
    match w {
        None => dst.iter_mut().zip(row).for_each(|(a, v)| *a += v),
        Some(w) => dst.iter_mut().zip(row).for_each(|(a, v)| *a += w * v),
    }
}

/// Lloyd iterations from `init`, as scikit-learn's `_kmeans_single_lloyd`. Returns the centres,
/// labels consistent with them, and the number of iterations.
#[allow(clippy::too_many_arguments)]
fn lloyd(
    x: ArrayView2<'_, f64>,
    norms: &[f64],
    sw: Option<&[f64]>,
    init: Array2<f64>,
    max_iter: usize,
    tol: f64,
    callback: &Callback,
    start: Instant,
) -> (Array2<f64>, Vec<usize>, usize) {
    let (k, m) = init.dim();
    let mut centers = init;
    let mut labels_old: Vec<usize> = Vec::new();
    let mut labels: Vec<usize> = vec![0; x.nrows()];
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let steps = lloyd_step(x, norms, sw, centers.view(), &mut labels);
        let mut sums = Array2::<f64>::zeros((k, m));
        let mut weights = vec![0.0f64; k];
        let mut pot = 0.0;
        for s in steps {
            sums += &s.sums;
            for (c, n) in weights.iter_mut().zip(&s.weights) {
                *c += n;
            }
            pot += s.pot;
        }
        relocate_empty(x, sw, centers.view(), &labels, &mut sums, &mut weights);
        let new_centers = average_centers(&centers, &sums, &weights);
        let shift: f64 = (&new_centers - &centers).iter().map(|v| v * v).sum();
        centers = new_centers;
        let stop = callback.report(&Progress {
            estimator: "KMeans",
            iteration: n_iter,
            total: Some(max_iter),
            loss: Some(pot),
            metrics: &[("center_shift", shift)],
            elapsed: start.elapsed(),
        });
        if labels == labels_old {
            strict = true;
            break;
        }
        if shift <= tol || stop {
            break;
        }
        labels_old.clone_from(&labels);
    }
    if !strict {
        labels = nearest(x, centers.view()).0;
    }
    (centers, labels, n_iter)
}

/// The new centres: each cluster's sum over its weight (its count without sample weights; an
/// empty or weightless cluster keeps its centre).
fn average_centers(centers: &Array2<f64>, sums: &Array2<f64>, weights: &[f64]) -> Array2<f64> {
    let mut new_centers = centers.clone();
    for (j, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            let mut row = new_centers.row_mut(j);
            row.assign(&sums.row(j));
            row /= w;
        }
    }
    new_centers
}

/// The centre geometry Elkan's bounds need: half the distance between each pair of centres
/// (`half[a * k + b]`) and, per centre, half the distance to its nearest other centre (`s(c)`,
/// `+inf` with one centre). Distances are computed directly (not by GEMM), as the bounds are.
struct CentreGeometry {
    half: Vec<f64>,
    s: Vec<f64>,
}

impl CentreGeometry {
    fn new(centers: &[f64], k: usize, m: usize) -> Self {
        let mut half = vec![0.0; k * k];
        for a in 0..k {
            for b in a + 1..k {
                let d =
                    distance::sq_dist_slice(&centers[a * m..(a + 1) * m], &centers[b * m..(b + 1) * m]).sqrt() / 2.0;
                half[a * k + b] = d;
                half[b * k + a] = d;
            }
        }
        let s =
            (0..k).map(|a| (0..k).filter(|&b| b != a).map(|b| half[a * k + b]).fold(f64::INFINITY, f64::min)).collect();
        CentreGeometry { half, s }
    }
}

/// Rows per cached partial sum in Elkan's iterations (for at most [`SUB_MAX_K`] clusters; more
/// clusters keep one sum per block of [`CHUNK`] rows, so the cache stays small next to the data).
const SUB: usize = 64;
const SUB_MAX_K: usize = 32;

/// One block's cluster sums and counts in Elkan's iterations, kept between passes: the sums of
/// each sub-block of rows (each a sequential sum over its rows from zero) and their total in
/// sub-block order. A pass recomputes only the sub-blocks where a label changed, so a converging
/// run stops reading the rows whose labels are settled (in its late iterations most of them),
/// and the values are exactly those of a recomputation from scratch: a function of the labels
/// only, whatever the thread count or the history.
struct BlockSums {
    /// Rows per sub-block.
    sub: usize,
    valid: bool,
    /// `k x m` per sub-block.
    sub_sums: Vec<f64>,
    /// Per sub-block cluster weights (counts without sample weights).
    sub_weights: Vec<f64>,
    /// The block's total (unused with one sub-block).
    sums: Vec<f64>,
    weights: Vec<f64>,
}

impl BlockSums {
    fn new(rows: usize, k: usize, m: usize) -> Self {
        let sub = if k <= SUB_MAX_K { SUB } else { CHUNK };
        let nsub = rows.div_ceil(sub);
        let total = if nsub > 1 { k } else { 0 };
        BlockSums {
            sub,
            valid: false,
            sub_sums: vec![0.0; nsub * k * m],
            sub_weights: vec![0.0; nsub * k],
            sums: vec![0.0; total * m],
            weights: vec![0.0; total],
        }
    }

    /// The block's sums (`k x m`) and weights.
    fn total(&self) -> (&[f64], &[f64]) {
        if self.weights.is_empty() { (&self.sub_sums, &self.sub_weights) } else { (&self.sums, &self.weights) }
    }
}

/// The per-sample state of Elkan's algorithm over a block of rows, and the centres it is
/// measured against. `lower` holds `k` bounds per row.
struct ElkanBlock<'a> {
    x: &'a [f64],
    /// The block's sample weights (none: all 1).
    sw: Option<&'a [f64]>,
    m: usize,
    centers: &'a [f64],
    geo: &'a CentreGeometry,
    labels: &'a mut [usize],
    upper: &'a mut [f64],
    lower: &'a mut [f64],
}

impl ElkanBlock<'_> {
    /// Runs `op` on this block with the AVX2 build when the CPU has it (the same arithmetic as
    /// the baseline build: no fused multiply-adds, so the results do not depend on the CPU).
    /// Returns the number of labels changed.
    fn run(&mut self, op: ElkanOp<'_>) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                return unsafe { self.run_avx2(op) };
            }
        }
        self.run_op(op)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&mut self, op: ElkanOp<'_>) -> usize {
        self.run_op(op)
    }

    #[inline(always)]
    fn run_op(&mut self, op: ElkanOp<'_>) -> usize {
        match op {
            ElkanOp::InitBounds => {
                self.init_bounds();
                0
            }
            ElkanOp::Pass { shift, sums } => {
                let sub = sums.as_ref().map_or(CHUNK, |bs| bs.sub);
                let (changed, mask) = self.pass(shift, sub);
                if let Some(bs) = sums {
                    self.sums(bs, mask);
                }
                changed
            }
        }
    }

    /// scikit-learn's `init_bounds_dense`: the nearest centre of each row, skipping centre `j`
    /// when the current best is within half the distance between them; every computed distance
    /// becomes that centre's lower bound (the others stay 0).
    #[inline(always)]
    fn init_bounds(&mut self) {
        let (m, k) = (self.m, self.geo.s.len());
        for i in 0..self.labels.len() {
            let row = &self.x[i * m..(i + 1) * m];
            let lo = &mut self.lower[i * k..(i + 1) * k];
            let mut best = 0;
            let mut min = distance::sq_dist_slice(row, &self.centers[..m]).sqrt();
            lo[0] = min;
            for (j, l) in lo.iter_mut().enumerate().skip(1) {
                if min > self.geo.half[best * k + j] {
                    let d = distance::sq_dist_slice(row, &self.centers[j * m..(j + 1) * m]).sqrt();
                    *l = d;
                    if d < min {
                        min = d;
                        best = j;
                    }
                }
            }
            self.labels[i] = best;
            self.upper[i] = min;
        }
    }

    /// One Elkan assignment pass (scikit-learn's `_update_chunk_dense`), preceded for each row
    /// by the bound update for the last centre move `shift` (scikit-learn runs that update as a
    /// separate pass after the centres move; the values are the same). Returns the number of
    /// labels changed and a mask of the sub-blocks of `sub` rows where they changed.
    #[inline(always)]
    fn pass(&mut self, shift: Option<&[f64]>, sub: usize) -> (usize, u64) {
        let (m, k) = (self.m, self.geo.s.len());
        let (half, s) = (&self.geo.half, &self.geo.s);
        // First the bounds of every row (a sequential pass over the bounds only), collecting
        // the rows whose bounds do not settle their label; then those rows, whose data are
        // read from memory in a scattered order, each fetched a few rows ahead.
        let mut todo: Vec<usize> = Vec::with_capacity(self.labels.len());
        for i in 0..self.labels.len() {
            let lo = &mut self.lower[i * k..(i + 1) * k];
            let label = self.labels[i];
            let mut u = self.upper[i];
            if let Some(shift) = shift {
                u += shift[label];
                for (l, &sh) in lo.iter_mut().zip(shift) {
                    *l = (*l - sh).max(0.0);
                }
                self.upper[i] = u;
            }
            let row_half = &half[label * k..(label + 1) * k];
            if u > s[label] && lo.iter().zip(row_half).enumerate().any(|(j, (&l, &h))| j != label && u > l && u > h) {
                todo.push(i);
            }
        }
        const AHEAD: usize = 4;
        let mut changed = 0;
        let mut mask = 0u64;
        for (t, &i) in todo.iter().enumerate() {
            if let Some(&next) = todo.get(t + AHEAD) {
                prefetch(&self.x[next * m..(next + 1) * m]);
            }
            let row = &self.x[i * m..(i + 1) * m];
            let lo = &mut self.lower[i * k..(i + 1) * k];
            let old = self.labels[i];
            let mut label = old;
            let mut u = self.upper[i];
            let mut tight = false;
            for j in 0..k {
                if j != label && u > lo[j] && u > half[label * k + j] {
                    if !tight {
                        u = distance::sq_dist_slice(row, &self.centers[label * m..(label + 1) * m]).sqrt();
                        lo[label] = u;
                        tight = true;
                    }
                    if u > lo[j] || u > half[label * k + j] {
                        let d = distance::sq_dist_slice(row, &self.centers[j * m..(j + 1) * m]).sqrt();
                        lo[j] = d;
                        if d < u {
                            label = j;
                            u = d;
                        }
                    }
                }
            }
            self.labels[i] = label;
            self.upper[i] = u;
            if label != old {
                changed += 1;
                mask |= 1 << (i / sub);
            }
        }
        (changed, mask)
    }

    /// Brings `bs` up to date with the labels: recomputes the sub-blocks in `mask` (all of them
    /// the first time), then the block's total.
    #[inline(always)]
    fn sums(&self, bs: &mut BlockSums, mask: u64) {
        let (m, k, n) = (self.m, self.geo.s.len(), self.labels.len());
        let nsub = n.div_ceil(bs.sub);
        let redo = if bs.valid { mask } else { u64::MAX };
        if redo == 0 {
            return;
        }
        for t in (0..nsub).filter(|t| redo >> t & 1 == 1) {
            let sums = &mut bs.sub_sums[t * k * m..(t + 1) * k * m];
            let weights = &mut bs.sub_weights[t * k..(t + 1) * k];
            sums.fill(0.0);
            weights.fill(0.0);
            let rows = t * bs.sub..((t + 1) * bs.sub).min(n);
            match self.sw {
                None => accumulate(sums, weights, self.labels, self.x, m, rows, Unit),
                Some(w) => accumulate(sums, weights, self.labels, self.x, m, rows, w),
            }
        }
        if nsub > 1 {
            bs.sums.fill(0.0);
            bs.weights.fill(0.0);
            for (ss, sc) in bs.sub_sums.chunks_exact(k * m).zip(bs.sub_weights.chunks_exact(k)) {
                bs.sums.iter_mut().zip(ss).for_each(|(a, v)| *a += v);
                bs.weights.iter_mut().zip(sc).for_each(|(a, v)| *a += v);
            }
        }
        bs.valid = true;
    }
}

/// Asks the CPU to bring the cache lines of `row` in (a hint: no effect on results).
#[inline(always)]
fn prefetch(row: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    for p in row.chunks(8).map(<[f64]>::as_ptr).chain(row.last().map(std::ptr::from_ref)) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: prefetching is a hint that never faults; the pointer is into a live slice.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// What [`ElkanBlock::run`] does.
enum ElkanOp<'a> {
    /// [`ElkanBlock::init_bounds`].
    InitBounds,
    /// [`ElkanBlock::pass`] after the centre move `shift`, then [`ElkanBlock::sums`] when
    /// `sums` is given.
    Pass { shift: Option<&'a [f64]>, sums: Option<&'a mut BlockSums> },
}

/// The per-sample Elkan state: labels, upper bounds and `k` lower bounds per sample, and the
/// cluster sums of each block of [`CHUNK`] rows.
struct ElkanState {
    k: usize,
    labels: Vec<usize>,
    upper: Vec<f64>,
    lower: Vec<f64>,
    sums: Vec<BlockSums>,
}

impl ElkanState {
    /// Runs `f` on each block of [`CHUNK`] rows in parallel and returns the results in block
    /// order.
    #[allow(clippy::too_many_arguments)]
    fn blocks<R: Send>(
        &mut self,
        xs: &[f64],
        sw: Option<&[f64]>,
        m: usize,
        centers: &[f64],
        geo: &CentreGeometry,
        f: impl Fn(&mut ElkanBlock<'_>, &mut BlockSums) -> R + Sync,
    ) -> Vec<R> {
        let k = self.k;
        self.labels
            .par_chunks_mut(CHUNK)
            .zip(self.upper.par_chunks_mut(CHUNK))
            .zip(self.lower.par_chunks_mut(CHUNK * k))
            .zip(self.sums.par_iter_mut())
            .enumerate()
            .map(|(b, (((labels, upper), lower), sums))| {
                let start = b * CHUNK;
                let x = &xs[start * m..(start + labels.len()) * m];
                let sw = sw.map(|w| &w[start..start + labels.len()]);
                let mut block = ElkanBlock { x, sw, m, centers, geo, labels, upper, lower };
                f(&mut block, sums)
            })
            .collect()
    }
}

/// Elkan's k-means iterations from `init`, as scikit-learn's `_kmeans_single_elkan`: the same
/// stopping rule (labels unchanged, or summed squared centre shift at most `tol`), the same
/// empty-cluster relocation and the same final relabelling as [`lloyd`]. Returns the centres,
/// labels consistent with them, and the number of iterations. `x` is row-major with at least
/// one column, `init` has at least two rows.
fn elkan(
    x: ArrayView2<'_, f64>,
    sw: Option<&[f64]>,
    init: Array2<f64>,
    max_iter: usize,
    tol: f64,
    callback: &Callback,
    start: Instant,
) -> (Array2<f64>, Vec<usize>, usize) {
    let xs = x.to_slice().expect("the centred copy is row-major");
    let (n, (k, m)) = (x.nrows(), init.dim());
    let mut centers = init.as_standard_layout().into_owned();
    let mut geo = CentreGeometry::new(centers.as_slice().expect("standard layout"), k, m);
    let sums = (0..n.div_ceil(CHUNK)).map(|b| BlockSums::new(CHUNK.min(n - b * CHUNK), k, m)).collect();
    let mut state = ElkanState { k, labels: vec![0; n], upper: vec![0.0; n], lower: vec![0.0; n * k], sums };
    state.blocks(xs, sw, m, centers.as_slice().expect("standard layout"), &geo, |b, _| b.run(ElkanOp::InitBounds));
    let mut shift: Option<Vec<f64>> = None;
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let cs = centers.as_slice().expect("standard layout");
        let sh = shift.as_deref();
        let changed: usize = state
            .blocks(xs, sw, m, cs, &geo, |b, bs| b.run(ElkanOp::Pass { shift: sh, sums: Some(bs) }))
            .into_iter()
            .sum();
        let mut sums = Array2::<f64>::zeros((k, m));
        let mut weights = vec![0.0f64; k];
        for bs in &state.sums {
            let (s, c) = bs.total();
            sums.as_slice_mut().expect("fresh array is contiguous").iter_mut().zip(s).for_each(|(a, v)| *a += v);
            weights.iter_mut().zip(c).for_each(|(a, v)| *a += v);
        }
        relocate_empty(x, sw, centers.view(), &state.labels, &mut sums, &mut weights);
        let new_centers = average_centers(&centers, &sums, &weights);
        let total_shift: f64 = (&new_centers - &centers).iter().map(|v| v * v).sum();
        let ns = new_centers.as_slice().expect("standard layout");
        shift = Some(
            (0..k).map(|j| distance::sq_dist_slice(&ns[j * m..(j + 1) * m], &cs[j * m..(j + 1) * m]).sqrt()).collect(),
        );
        geo = CentreGeometry::new(ns, k, m);
        centers = new_centers;
        let stop = callback.report(&Progress {
            estimator: "KMeans",
            iteration: n_iter,
            total: Some(max_iter),
            loss: None,
            metrics: &[("center_shift", total_shift)],
            elapsed: start.elapsed(),
        });
        // The labels before the first pass are scikit-learn's -1: never equal.
        if it > 0 && changed == 0 {
            strict = true;
            break;
        }
        if total_shift <= tol || stop {
            break;
        }
    }
    if !strict {
        // Labels consistent with the final centres.
        let sh = shift.as_deref();
        state.blocks(xs, sw, m, centers.as_slice().expect("standard layout"), &geo, |b, _| {
            b.run(ElkanOp::Pass { shift: sh, sums: None })
        });
    }
    (centers, state.labels, n_iter)
}

/// Re-seeds empty (weightless) clusters with the points farthest from their centres
/// (scikit-learn's `_relocate_empty_clusters_dense`), moving those points' weight out of their
/// clusters.
fn relocate_empty(
    x: ArrayView2<'_, f64>,
    sw: Option<&[f64]>,
    centers: ArrayView2<'_, f64>,
    labels: &[usize],
    sums: &mut Array2<f64>,
    weights: &mut [f64],
) {
    let empty: Vec<usize> = (0..weights.len()).filter(|&j| weights[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let mut far: Vec<(f64, usize)> = (0..x.nrows())
        .map(|i| (x.row(i).iter().zip(centers.row(labels[i])).map(|(a, c)| (a - c) * (a - c)).sum(), i))
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (&new, &(_, i)) in empty.iter().zip(&far) {
        let old = labels[i];
        let wi = weight(sw, i);
        // Never empty the cluster the point leaves (nor move a weightless point).
        if weights[old] <= wi || wi == 0.0 {
            continue;
        }
        let mut s = sums.row_mut(old);
        s.scaled_add(-wi, &x.row(i));
        let mut t = sums.row_mut(new);
        t.assign(&x.row(i));
        t *= wi;
        weights[old] -= wi;
        weights[new] = wi;
    }
}

impl Fitted for FittedKMeans {
    const NAME: &'static str = "KMeans";
    fn n_features_in(&self) -> usize {
        self.centers.ncols()
    }
    /// Shape only: `predict_checked` checks finiteness fused with the distances; `transform`
    /// and `score` check it themselves.
    fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
        validate::check_predict_shape(Self::NAME, self.centers.ncols(), x)?;
        Ok(x)
    }
}

impl FittedClusterer for FittedKMeans {
    fn labels(&self) -> ArrayView1<'_, i64> {
        self.labels.view()
    }
    fn n_clusters(&self) -> usize {
        self.centers.nrows()
    }
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<i64>> {
        let (labels, mins) = nearest(x, self.centers.view());
        // Fused finiteness check: a non-finite row has no finite `|c|² - 2 x·c`, so its minimum
        // stays at its infinite start (or is -inf).
        crate::linalg::check_finite_via(x, &mins)?;
        Ok(labels.into_iter().map(|l| l as i64).collect())
    }
}

/// Density-based clustering: scikit-learn's `DBSCAN`.
///
/// A sample is a core sample when at least `min_samples` samples (itself included) lie within
/// distance `eps`; clusters are the connected groups of core samples plus the non-core samples
/// within `eps` of one of them. Other samples are noise, labelled -1. Clusters are numbered and
/// border samples assigned in scikit-learn's order (a depth-first expansion from each unlabelled
/// core sample in index order). The neighborhoods come from the same brute-force / KD-tree
/// search as [`KNeighborsClassifier`](crate::KNeighborsClassifier).
///
/// Hyper-parameters (scikit-learn's defaults): `eps` 0.5, `min_samples` 5, `metric`
/// [`KnnMetric::Minkowski`] with `p` 2 (Euclidean), `algorithm` [`KnnAlgorithm::Auto`],
/// `leaf_size` 30, `n_jobs` `None`, `backend` [`ClusterBackend::Native`] (linfa's DBSCAN needs
/// `min_samples >= 2` and the Euclidean metric).
///
/// Fitted accessors: [`labels`](FittedClusterer::labels),
/// [`core_sample_indices`](FittedDbscan::core_sample_indices),
/// [`components`](FittedDbscan::components). There is no `predict` (scikit-learn has none):
/// it returns `Unsupported`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::Dbscan;
/// let x = ndarray::array![[0.0], [0.1], [0.2], [5.0], [5.1], [5.2], [20.0]];
/// let model = Dbscan::default().eps(0.3).min_samples(2).fit(&x)?;
/// assert_eq!(model.labels().to_vec(), vec![0, 0, 0, 1, 1, 1, -1]);
/// assert_eq!(model.n_clusters(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "DBSCAN")]
#[derive(Debug, Clone, PartialEq)]
pub struct Dbscan {
    eps: f64,
    min_samples: usize,
    metric: KnnMetric,
    p: f64,
    algorithm: KnnAlgorithm,
    leaf_size: usize,
    n_jobs: Option<usize>,
    backend: ClusterBackend,
}

impl Default for Dbscan {
    fn default() -> Self {
        Dbscan {
            eps: 0.5,
            min_samples: 5,
            metric: KnnMetric::Minkowski,
            p: 2.0,
            algorithm: KnnAlgorithm::Auto,
            leaf_size: 30,
            n_jobs: None,
            backend: ClusterBackend::Native,
        }
    }
}

impl Dbscan {
    /// Sets the neighborhood radius (default 0.5).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Sets the neighborhood count (itself included) that makes a core sample (default 5).
    pub fn min_samples(mut self, n: usize) -> Self {
        self.min_samples = n;
        self
    }
    /// Sets the metric (default Minkowski with `p`).
    pub fn metric(mut self, metric: KnnMetric) -> Self {
        self.metric = metric;
        self
    }
    /// Sets the Minkowski exponent (default 2).
    pub fn p(mut self, p: f64) -> Self {
        self.p = p;
        self
    }
    /// Sets the neighbor search (default auto).
    pub fn algorithm(mut self, algorithm: KnnAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }
    /// Sets the KD-tree leaf size (default 30).
    pub fn leaf_size(mut self, n: usize) -> Self {
        self.leaf_size = n;
        self
    }
    /// Sets the number of threads (default `None`: the current rayon pool).
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = Some(n);
        self
    }
    /// Selects the implementation (default [`ClusterBackend::Native`]).
    pub fn backend(mut self, backend: ClusterBackend) -> Self {
        self.backend = backend;
        self
    }

    fn dist(&self) -> Dist {
        match self.metric {
            KnnMetric::Minkowski => Dist::from_p(self.p),
            KnnMetric::Euclidean => Dist::Euclidean,
            KnnMetric::Manhattan => Dist::Manhattan,
            KnnMetric::Chebyshev => Dist::Chebyshev,
        }
    }

    fn neighborhoods(&self, x: ArrayView2<'_, f64>) -> Vec<Vec<usize>> {
        let x = x.as_standard_layout();
        let use_tree = match self.algorithm {
            KnnAlgorithm::KdTree => true,
            KnnAlgorithm::Brute => false,
            KnnAlgorithm::Auto => x.ncols() <= 15,
        };
        let index = if use_tree { Index::KdTree(KdTree::build(x.view(), self.leaf_size)) } else { Index::Brute };
        let norms = distance::row_norms_sq(x.view());
        distance::radius_neighbors(&index, x.view(), &norms, x.view(), self.eps, self.dist())
    }
}

/// A fitted [`Dbscan`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedDbscan {
    labels: Array1<i64>,
    core_sample_indices: Vec<usize>,
    components: Array2<f64>,
    n_clusters: usize,
    n_features_in: usize,
}

impl FittedDbscan {
    /// Indices of the core samples, increasing (`core_sample_indices_`).
    pub fn core_sample_indices(&self) -> &[usize] {
        &self.core_sample_indices
    }
    /// The core samples themselves, one row each (`components_`).
    pub fn components(&self) -> ArrayView2<'_, f64> {
        self.components.view()
    }
}

impl Estimator for Dbscan {
    const NAME: &'static str = "DBSCAN";
    type Kind = ClustererKind;

    fn check_params(&self) -> Result<()> {
        validate::check_positive("eps", self.eps)?;
        if self.min_samples == 0 {
            return Err(Error::invalid_param("min_samples", "must be at least 1, got 0"));
        }
        if self.metric == KnnMetric::Minkowski && (self.p.is_nan() || self.p < 1.0) {
            return Err(Error::invalid_param("p", format!("must be at least 1 (or infinity), got {}", self.p)));
        }
        if self.leaf_size == 0 {
            return Err(Error::invalid_param("leaf_size", "must be at least 1, got 0"));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        if self.backend == ClusterBackend::Linfa {
            if self.min_samples < 2 {
                return Err(Error::invalid_param(
                    "min_samples",
                    format!("the linfa backend needs at least 2, got {}", self.min_samples),
                ));
            }
            if self.dist() != Dist::Euclidean {
                return Err(Error::invalid_param("metric", "the linfa backend supports only the Euclidean metric"));
            }
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "eps" => self.eps = value.as_f64(name)?,
            "min_samples" => self.min_samples = value.as_usize(name)?,
            "p" => self.p = value.as_f64(name)?,
            "leaf_size" => self.leaf_size = value.as_usize(name)?,
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
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
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

impl Clusterer for Dbscan {
    type Fitted = FittedDbscan;

    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedDbscan> {
        let neighborhoods = oxlearn_core::parallel::with_n_jobs(self.n_jobs, || self.neighborhoods(x))?;
        let is_core: Vec<bool> = neighborhoods.iter().map(|nb| nb.len() >= self.min_samples).collect();
        let labels: Vec<i64> = match self.backend {
            ClusterBackend::Native => expand(&neighborhoods, &is_core),
            ClusterBackend::Linfa => {
                let params = linfa_clustering::Dbscan::params(self.min_samples)
                    .tolerance(self.eps)
                    .check()
                    .map_err(|e| Error::invalid_param("min_samples", e.to_string()))?;
                let owned = x.as_standard_layout().into_owned();
                let found: Array1<Option<usize>> = params.transform(&owned);
                found.iter().map(|l| l.map_or(-1, |c| c as i64)).collect()
            }
        };
        let core_sample_indices: Vec<usize> = (0..x.nrows()).filter(|&i| is_core[i]).collect();
        let n_clusters = labels.iter().copied().max().map_or(0, |m| (m + 1).max(0) as usize);
        Ok(FittedDbscan {
            labels: Array1::from(labels),
            components: x.select(Axis(0), &core_sample_indices),
            core_sample_indices,
            n_clusters,
            n_features_in: x.ncols(),
        })
    }
}

/// scikit-learn's `dbscan_inner`: depth-first expansion from each unlabelled core sample.
fn expand(neighborhoods: &[Vec<usize>], is_core: &[bool]) -> Vec<i64> {
    let n = neighborhoods.len();
    let mut labels = vec![-1i64; n];
    let mut stack = Vec::new();
    let mut label = 0i64;
    for start in 0..n {
        if labels[start] != -1 || !is_core[start] {
            continue;
        }
        let mut i = start;
        loop {
            if labels[i] == -1 {
                labels[i] = label;
                if is_core[i] {
                    stack.extend(neighborhoods[i].iter().copied().filter(|&v| labels[v] == -1));
                }
            }
            match stack.pop() {
                Some(v) => i = v,
                None => break,
            }
        }
        label += 1;
    }
    labels
}

impl Fitted for FittedDbscan {
    const NAME: &'static str = "DBSCAN";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
}

impl FittedClusterer for FittedDbscan {
    fn labels(&self) -> ArrayView1<'_, i64> {
        self.labels.view()
    }
    fn n_clusters(&self) -> usize {
        self.n_clusters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_random_state_stream() {
        // numpy: np.random.RandomState(0).random_sample(3), then .choice(200000, p=ones/200000)
        // and RandomState(5489).randint(2**32) style raw draws (MT19937 reference: 3499211612).
        let mut r = NumpyRandomState::new(0);
        let want = [0.5488135039273248, 0.7151893663724195, 0.6027633760716439];
        for w in want {
            assert_eq!(r.random_sample(), w);
        }
        let mut r = NumpyRandomState::new(5489);
        assert_eq!(r.next_u32(), 3_499_211_612);
        let mut r = NumpyRandomState::new(0);
        assert_eq!(r.choice_uniform(200_000), 109_762);
    }
    use ndarray::array;

    #[test]
    fn fused_and_gemm_nearest_agree() {
        // Row-major `x` takes the fused kernel for k <= 32, a column-major copy the GEMM path;
        // k = 40 takes the GEMM path either way. Labels agree with a plain scan.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let x = Array2::from_shape_simple_fn((2500, 7), || rng.r#gen::<f64>() * 4.0 - 2.0);
        let mut x_f = Array2::<f64>::zeros(ndarray::ShapeBuilder::f(x.raw_dim()));
        x_f.assign(&x);
        assert!(x_f.as_slice().is_none());
        for k in [3, 8, 40] {
            let c = x.slice(s![..k, ..]).mapv(|v| v * 0.9);
            let scan: Vec<usize> = x
                .outer_iter()
                .map(|r| {
                    let d = |j: usize| r.iter().zip(c.row(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
                    (0..k).fold(0, |best, j| if d(j) < d(best) { j } else { best })
                })
                .collect();
            assert_eq!(nearest(x.view(), c.view()).0, scan, "k={k}");
            assert_eq!(nearest(x_f.view(), c.view()).0, scan, "k={k}");
            let norms = distance::row_norms_sq(x.view());
            let mut labels = vec![0; x.nrows()];
            let steps = lloyd_step(x.view(), &norms, None, c.view(), &mut labels);
            assert_eq!(labels, scan);
            let total: f64 = steps.iter().map(|s| s.weights.iter().sum::<f64>()).sum();
            assert_eq!(total, x.nrows() as f64);
        }
    }

    #[test]
    fn empty_cluster_is_reseeded() {
        // Three identical points and one far away: k-means with k = 2 must still find both.
        let x = array![[0.0], [0.0], [0.0], [10.0]];
        let m = KMeans::default().n_clusters(2).seed(1).fit(&x).unwrap();
        assert_eq!(m.inertia(), 0.0);
        assert!(KMeans::default().n_clusters(5).fit(&x).is_err());
    }

    /// Lloyd and Elkan from the same initial centres: same labels and iterations, centres and
    /// inertia equal up to rounding.
    fn assert_elkan_matches_lloyd(x: &Array2<f64>, init: &Array2<f64>, tol: f64) -> (Vec<usize>, usize) {
        let norms = distance::row_norms_sq(x.view());
        let start = Instant::now();
        let none = Callback::none();
        let (cl, ll, nl) = lloyd(x.view(), &norms, None, init.clone(), 300, tol, &none, start);
        let (ce, le, ne) = elkan(x.view(), None, init.clone(), 300, tol, &none, start);
        assert_eq!(ll, le);
        assert_eq!(nl, ne);
        for (a, b) in cl.iter().zip(ce.iter()) {
            assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
        }
        let (il, ie) = (inertia(x.view(), cl.view(), &ll, None), inertia(x.view(), ce.view(), &le, None));
        assert!((il - ie).abs() <= 1e-9 * (1.0 + il), "{il} vs {ie}");
        (le, ne)
    }

    #[test]
    fn elkan_matches_lloyd_from_the_same_init() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        // Uniform (poorly separated) data and separated blobs, several shapes; k up to n.
        for (n, m, k, spread) in [
            (300, 3, 4, 1.0),
            (2500, 7, 8, 1.0),
            (1500, 5, 6, 0.05),
            (40, 2, 40, 1.0),
            (2100, 3, 40, 1.0),
            (50, 4, 1, 1.0),
        ] {
            let centres = Array2::from_shape_simple_fn((k, m), || rng.r#gen::<f64>() * 10.0);
            let x = Array2::from_shape_fn((n, m), |(i, j)| centres[[i % k, j]] + spread * (rng.r#gen::<f64>() - 0.5));
            let init = x.slice(s![..k, ..]).to_owned();
            let (labels, _) = assert_elkan_matches_lloyd(&x, &init, 0.0);
            if k == n {
                assert_eq!(labels, (0..n).collect::<Vec<_>>());
            }
            assert_elkan_matches_lloyd(&x, &init, 1e-3);
        }
    }

    #[test]
    fn elkan_relocates_empty_clusters_as_lloyd() {
        // Duplicate points and duplicate initial centres: centres 1 and 2 start equal to centre
        // 0 and lose every tie, so they are empty after the first pass and are re-seeded with
        // the farthest points.
        let x =
            array![[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [10.0, 0.0], [0.0, 7.0], [0.0, 7.5]];
        let init = array![[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]];
        let (labels, n_iter) = assert_elkan_matches_lloyd(&x, &init, 0.0);
        assert!(n_iter >= 2);
        let mut used = labels.clone();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, vec![0, 1, 2]);
    }

    #[test]
    fn dbscan_border_goes_to_the_first_cluster() {
        // Point 2 is a border point of both clusters; the first cluster claims it.
        let x = array![[0.0], [0.5], [1.0], [1.5], [2.0]];
        let m = Dbscan::default().eps(0.5).min_samples(3).fit(&x).unwrap();
        assert_eq!(m.core_sample_indices(), &[1, 2, 3]);
        assert_eq!(m.labels().to_vec(), vec![0, 0, 0, 0, 0]);
        assert!(m.predict(&x).is_err());
    }
}
