//! Matrix decomposition: principal component analysis ([`Pca`], scikit-learn's `PCA`) with
//! exact (SVD, covariance eigen-decomposition) and randomized solvers, and linfa as a backend.

use linfa::traits::Fit;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use oxlearn_core::params::ParamValue;
use oxlearn_core::{Error, Estimator, Fitted, FittedTransformer, Result, Tags, Transformer, TransformerKind};

/// How many components [`Pca`] keeps (scikit-learn's `n_components`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum PcaComponents {
    /// All of them: `min(n_samples, n_features)` (`None`, the default).
    #[default]
    All,
    /// This many.
    N(usize),
    /// The fewest whose explained variance ratios add up to more than this fraction, in (0, 1)
    /// (exact solvers only).
    Variance(f64),
}

/// The solver behind [`Pca`] (scikit-learn's `svd_solver`, plus linfa).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PcaSolver {
    /// scikit-learn's policy: `CovarianceEigh` for tall data (`n_features <= 1000` and
    /// `n_samples >= 10 n_features`), `Full` for small data (at most 500 rows and columns),
    /// `Randomized` when fewer than 80% of the components are asked for, `Full` otherwise.
    #[default]
    Auto,
    /// A thin SVD of the centred data (faer).
    Full,
    /// The eigen-decomposition of the covariance matrix `X^T X` (faer's self-adjoint solver):
    /// one pass over the data, fastest for tall data.
    CovarianceEigh,
    /// Halko et al.'s randomized SVD with `n_oversamples` extra vectors and `iterated_power`
    /// power iterations (QR-normalised), seeded.
    Randomized,
    /// linfa-reduction 0.8's `Pca` (a truncated SVD by LOBPCG), for comparison.
    Linfa,
}

/// Principal component analysis: scikit-learn's `PCA`.
///
/// Projects centred data onto the directions of largest variance. Signs follow scikit-learn's
/// `svd_flip` with `u_based_decision=False`: the largest-magnitude entry of each component is
/// positive.
///
/// Hyper-parameters (scikit-learn's defaults): `n_components` [`PcaComponents::All`], `whiten`
/// false, `svd_solver` [`PcaSolver::Auto`], `n_oversamples` 10, `iterated_power` `None`
/// ("auto": 7 when fewer than 10% of the components are asked for, else 4), `seed` `None`.
///
/// Fitted accessors: [`components`](FittedPca::components),
/// [`explained_variance`](FittedPca::explained_variance),
/// [`explained_variance_ratio`](FittedPca::explained_variance_ratio) (over all components, as
/// scikit-learn, not only the kept ones as linfa), [`singular_values`](FittedPca::singular_values),
/// [`mean`](FittedPca::mean), [`noise_variance`](FittedPca::noise_variance),
/// [`n_components`](FittedPca::n_components); `transform` and `inverse_transform`.
///
/// Errors: `InvalidParam` for a component count out of range for the data, a variance fraction
/// outside (0, 1) or with a truncated solver, `n_oversamples = 0`; `EmptyInput` for fewer than
/// two samples; `Numerical` if a decomposition fails.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::{Pca, PcaComponents};
/// let x = ndarray::array![[1.0, 2.0], [2.0, 4.1], [3.0, 5.9], [4.0, 8.0]];
/// let pca = Pca::default().n_components(PcaComponents::N(1)).fit(&x)?;
/// assert!(pca.explained_variance_ratio()[0] > 0.99);
/// let z = pca.transform(&x)?;
/// let back = pca.inverse_transform(&z)?;
/// assert!((back[[0, 1]] - 2.0).abs() < 0.1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "PCA")]
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    n_components: PcaComponents,
    whiten: bool,
    svd_solver: PcaSolver,
    n_oversamples: usize,
    iterated_power: Option<usize>,
    seed: Option<u64>,
}

impl Default for Pca {
    fn default() -> Self {
        Pca {
            n_components: PcaComponents::All,
            whiten: false,
            svd_solver: PcaSolver::Auto,
            n_oversamples: 10,
            iterated_power: None,
            seed: None,
        }
    }
}

impl Pca {
    /// Sets how many components to keep (default all).
    pub fn n_components(mut self, n: PcaComponents) -> Self {
        self.n_components = n;
        self
    }
    /// Scales the projections to unit variance (default false).
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.whiten = whiten;
        self
    }
    /// Sets the solver (default auto).
    pub fn svd_solver(mut self, solver: PcaSolver) -> Self {
        self.svd_solver = solver;
        self
    }
    /// Sets the randomized solver's extra vectors (default 10).
    pub fn n_oversamples(mut self, n: usize) -> Self {
        self.n_oversamples = n;
        self
    }
    /// Sets the randomized solver's power iterations (default auto).
    pub fn iterated_power(mut self, n: usize) -> Self {
        self.iterated_power = Some(n);
        self
    }
    /// Sets the randomized solver's seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

/// A fitted [`Pca`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedPca {
    components: Array2<f64>,
    explained_variance: Array1<f64>,
    explained_variance_ratio: Array1<f64>,
    singular_values: Array1<f64>,
    mean: Array1<f64>,
    noise_variance: f64,
    n_samples: usize,
    whiten: bool,
}

impl FittedPca {
    /// Principal axes, one row per component, by decreasing variance (`components_`).
    pub fn components(&self) -> ArrayView2<'_, f64> {
        self.components.view()
    }
    /// Variance along each component (`explained_variance_`, ddof 1).
    pub fn explained_variance(&self) -> ArrayView1<'_, f64> {
        self.explained_variance.view()
    }
    /// Fraction of the total variance along each component (`explained_variance_ratio_`).
    pub fn explained_variance_ratio(&self) -> ArrayView1<'_, f64> {
        self.explained_variance_ratio.view()
    }
    /// Singular values of the centred data for each component (`singular_values_`).
    pub fn singular_values(&self) -> ArrayView1<'_, f64> {
        self.singular_values.view()
    }
    /// Per-feature mean of the training data (`mean_`).
    pub fn mean(&self) -> ArrayView1<'_, f64> {
        self.mean.view()
    }
    /// The probabilistic-PCA noise variance (`noise_variance_`).
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// Number of components kept (`n_components_`).
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }
    /// Number of training samples (`n_samples_`).
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    fn scale(&self) -> Array1<f64> {
        self.explained_variance.mapv(|v| v.sqrt().max(f64::EPSILON))
    }
}

impl Estimator for Pca {
    const NAME: &'static str = "PCA";
    type Kind = TransformerKind;

    fn tags(&self) -> Tags {
        Tags { min_samples: 2, non_deterministic: self.svd_solver == PcaSolver::Randomized, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        match self.n_components {
            PcaComponents::N(0) => {
                return Err(Error::invalid_param("n_components", "must be at least 1, got 0"));
            }
            PcaComponents::Variance(f) if !(f > 0.0 && f < 1.0) => {
                return Err(Error::invalid_param(
                    "n_components",
                    format!("a variance fraction must be in (0, 1), got {f}"),
                ));
            }
            PcaComponents::Variance(_) if matches!(self.svd_solver, PcaSolver::Randomized | PcaSolver::Linfa) => {
                return Err(Error::invalid_param(
                    "n_components",
                    "a variance fraction needs the full or covariance_eigh solver",
                ));
            }
            _ => {}
        }
        if self.n_oversamples == 0 {
            return Err(Error::invalid_param("n_oversamples", "must be at least 1, got 0"));
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "n_components" => {
                self.n_components = match value {
                    ParamValue::None => PcaComponents::All,
                    ParamValue::Int(_) => PcaComponents::N(value.as_usize(name)?),
                    ParamValue::Float(f) if *f > 0.0 && *f < 1.0 => PcaComponents::Variance(*f),
                    other => PcaComponents::N(other.as_usize(name)?),
                }
            }
            "whiten" => self.whiten = value.as_bool(name)?,
            "svd_solver" => {
                self.svd_solver = match value.as_str(name)? {
                    "auto" => PcaSolver::Auto,
                    "full" => PcaSolver::Full,
                    "covariance_eigh" => PcaSolver::CovarianceEigh,
                    "randomized" => PcaSolver::Randomized,
                    "linfa" => PcaSolver::Linfa,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown svd_solver {other:?}")));
                    }
                }
            }
            "n_oversamples" => self.n_oversamples = value.as_usize(name)?,
            "iterated_power" => {
                self.iterated_power = match value {
                    ParamValue::Str(s) if s == "auto" => None,
                    other => other.as_opt_usize(name)?,
                }
            }
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// A full decomposition: every component's variance, the right singular vectors as rows.
struct Decomposition {
    /// Singular values of the centred data, decreasing.
    s: Vec<f64>,
    /// Right singular vectors, one row per singular value.
    vt: Array2<f64>,
}

impl Transformer for Pca {
    type Fitted = FittedPca;

    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedPca> {
        let (n, m) = x.dim();
        let rank = n.min(m);
        if let PcaComponents::N(k) = self.n_components
            && k > rank
        {
            return Err(Error::invalid_param(
                "n_components",
                format!("{k} must be between 1 and min(n_samples, n_features)={rank}"),
            ));
        }
        let solver = match self.svd_solver {
            PcaSolver::Auto => {
                if m <= 1000 && n >= 10 * m {
                    PcaSolver::CovarianceEigh
                } else if n.max(m) <= 500 {
                    PcaSolver::Full
                } else {
                    match self.n_components {
                        PcaComponents::N(k) if (k as f64) < 0.8 * rank as f64 => PcaSolver::Randomized,
                        _ => PcaSolver::Full,
                    }
                }
            }
            other => other,
        };
        let mean = crate::linalg::column_means(x);
        let nm1 = (n - 1) as f64;
        match solver {
            PcaSolver::Full | PcaSolver::CovarianceEigh => {
                let dec = if solver == PcaSolver::Full {
                    full_svd(x, mean.view())?
                } else {
                    covariance_eigh(x, mean.view())?
                };
                let ev: Array1<f64> = dec.s.iter().map(|s| s * s / nm1).collect();
                let total: f64 = ev.sum();
                let ratio = if total > 0.0 { &ev / total } else { Array1::zeros(ev.len()) };
                let k = match self.n_components {
                    PcaComponents::All => rank,
                    PcaComponents::N(k) => k,
                    PcaComponents::Variance(f) => {
                        let mut acc = 0.0;
                        let below = ratio.iter().take_while(|&&r| {
                            acc += r;
                            acc <= f
                        });
                        (below.count() + 1).min(ratio.len())
                    }
                }
                .min(ev.len());
                let noise_variance = if k < rank { ev.slice(s![k..rank]).mean().unwrap_or(0.0) } else { 0.0 };
                Ok(FittedPca {
                    components: dec.vt.slice(s![..k, ..]).to_owned(),
                    explained_variance: ev.slice(s![..k]).to_owned(),
                    explained_variance_ratio: ratio.slice(s![..k]).to_owned(),
                    singular_values: Array1::from(dec.s[..k].to_vec()),
                    mean,
                    noise_variance,
                    n_samples: n,
                    whiten: self.whiten,
                })
            }
            PcaSolver::Randomized | PcaSolver::Linfa => {
                let k = match self.n_components {
                    PcaComponents::N(k) => k,
                    _ => rank,
                };
                let xc = &x - &mean;
                let (s_vals, vt) = if solver == PcaSolver::Randomized {
                    let n_iter = self.iterated_power.unwrap_or(if (k as f64) < 0.1 * rank as f64 { 7 } else { 4 });
                    let mut rng = match self.seed {
                        Some(s) => Xoshiro256PlusPlus::seed_from_u64(s),
                        None => Xoshiro256PlusPlus::from_entropy(),
                    };
                    randomized_svd(xc.view(), k, self.n_oversamples, n_iter, &mut rng)?
                } else {
                    linfa_pca(xc.view(), k)?
                };
                let total: f64 = xc.iter().map(|v| v * v).sum::<f64>() / nm1;
                let ev: Array1<f64> = s_vals.iter().map(|s| s * s / nm1).collect();
                let ratio = if total > 0.0 { &ev / total } else { Array1::zeros(k) };
                let noise_variance = if k < rank { ((total - ev.sum()) / (rank - k) as f64).max(0.0) } else { 0.0 };
                Ok(FittedPca {
                    components: vt,
                    explained_variance: ev,
                    explained_variance_ratio: ratio,
                    singular_values: Array1::from(s_vals),
                    mean,
                    noise_variance,
                    n_samples: n,
                    whiten: self.whiten,
                })
            }
            PcaSolver::Auto => unreachable!("auto was resolved above"),
        }
    }
}

fn to_faer(a: ArrayView2<'_, f64>) -> faer::Mat<f64> {
    faer::Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

fn from_faer(m: faer::MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Flips each row of `vt` so that its largest-magnitude entry is positive (scikit-learn's
/// `svd_flip(u_based_decision=False)`; the first maximum wins ties, as numpy's argmax).
fn flip_rows(vt: &mut Array2<f64>) {
    for mut row in vt.outer_iter_mut() {
        let mut best = 0;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > row[best].abs() {
                best = j;
            }
        }
        if row[best] < 0.0 {
            row.mapv_inplace(|v| -v);
        }
    }
}

fn numerical(reason: String) -> Error {
    Error::Numerical { estimator: "PCA".into(), reason }
}

/// Thin SVD of the centred data.
fn full_svd(x: ArrayView2<'_, f64>, mean: ArrayView1<'_, f64>) -> Result<Decomposition> {
    let xc = &x - &mean;
    let svd = to_faer(xc.view()).thin_svd().map_err(|e| numerical(format!("svd did not converge: {e:?}")))?;
    let s: Vec<f64> = svd.S().column_vector().iter().copied().collect();
    let mut vt = from_faer(svd.V().transpose());
    flip_rows(&mut vt);
    Ok(Decomposition { s, vt })
}

/// Rows per block when forming `X^T X` (fixed: the sum does not depend on the thread count).
const GRAM_BLOCK: usize = 4096;

/// Eigen-decomposition of the covariance matrix, formed as `X^T X - n mean mean^T` from
/// row blocks summed in order.
fn covariance_eigh(x: ArrayView2<'_, f64>, mean: ArrayView1<'_, f64>) -> Result<Decomposition> {
    let (n, m) = x.dim();
    let parts: Vec<Array2<f64>> = (0..n.div_ceil(GRAM_BLOCK))
        .into_par_iter()
        .map(|b| {
            let xb = x.slice(s![b * GRAM_BLOCK..((b + 1) * GRAM_BLOCK).min(n), ..]);
            let mut g = Array2::<f64>::zeros((m, m));
            faer::linalg::matmul::matmul(
                crate::linalg::as_faer_mut(g.view_mut()),
                faer::Accum::Replace,
                crate::linalg::as_faer(xb.t()),
                crate::linalg::as_faer(xb),
                1.0,
                faer::Par::Seq,
            );
            g
        })
        .collect();
    let mut c = Array2::<f64>::zeros((m, m));
    for p in &parts {
        c += p;
    }
    let nf = n as f64;
    for i in 0..m {
        for j in 0..m {
            c[[i, j]] = (c[[i, j]] - nf * mean[i] * mean[j]) / (nf - 1.0);
        }
    }
    let eig = to_faer(c.view())
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| numerical(format!("eigen-decomposition did not converge: {e:?}")))?;
    let vals: Vec<f64> = eig.S().column_vector().iter().copied().collect();
    let u = eig.U();
    // Decreasing order; negative round-off clipped to zero.
    let order: Vec<usize> = (0..m).rev().collect();
    let s: Vec<f64> = order.iter().map(|&i| (vals[i].max(0.0) * (nf - 1.0)).sqrt()).collect();
    let mut vt = Array2::from_shape_fn((m, m), |(r, j)| u[(j, order[r])]);
    flip_rows(&mut vt);
    // With fewer samples than features only the first n singular values are meaningful.
    let keep = n.min(m);
    Ok(Decomposition { s: s[..keep].to_vec(), vt: vt.slice(s![..keep, ..]).to_owned() })
}

/// Orthonormal basis of the columns of `a` (thin QR).
fn orthonormalize(a: ArrayView2<'_, f64>) -> Array2<f64> {
    from_faer(to_faer(a).qr().compute_thin_Q().as_ref())
}

/// scikit-learn's `randomized_svd` on centred data (QR power-iteration normaliser).
fn randomized_svd(
    xc: ArrayView2<'_, f64>,
    k: usize,
    oversamples: usize,
    n_iter: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<(Vec<f64>, Array2<f64>)> {
    let (n, m) = xc.dim();
    let size = (k + oversamples).min(n.min(m));
    // Standard normal draws (Box-Muller).
    let mut normal = || {
        let u1: f64 = 1.0 - rng.r#gen::<f64>();
        let u2: f64 = rng.r#gen::<f64>();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let omega = Array2::from_shape_fn((m, size), |_| normal());
    let mut q = orthonormalize(xc.dot(&omega).view());
    for _ in 0..n_iter {
        let z = orthonormalize(xc.t().dot(&q).view());
        q = orthonormalize(xc.dot(&z).view());
    }
    let b = q.t().dot(&xc);
    let svd = to_faer(b.view()).thin_svd().map_err(|e| numerical(format!("svd did not converge: {e:?}")))?;
    let s: Vec<f64> = svd.S().column_vector().iter().take(k).copied().collect();
    let mut vt = from_faer(svd.V().transpose()).slice(s![..k, ..]).to_owned();
    flip_rows(&mut vt);
    Ok((s, vt))
}

/// linfa-reduction's PCA on centred data: singular values and sign-flipped components.
fn linfa_pca(xc: ArrayView2<'_, f64>, k: usize) -> Result<(Vec<f64>, Array2<f64>)> {
    let data = linfa::DatasetBase::from(xc.to_owned());
    let model =
        linfa_reduction::Pca::params(k).fit(&data).map_err(|e| Error::Other(format!("linfa PCA failed: {e}")))?;
    let mut vt = model.components().clone();
    flip_rows(&mut vt);
    Ok((model.singular_values().to_vec(), vt))
}

impl Fitted for FittedPca {
    const NAME: &'static str = "PCA";
    fn n_features_in(&self) -> usize {
        self.mean.len()
    }
    /// Shape only: `transform_checked` checks finiteness fused with the product.
    fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
        oxlearn_core::validate::check_predict_shape(Self::NAME, self.mean.len(), x)?;
        Ok(x)
    }
}

impl FittedTransformer for FittedPca {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        // As scikit-learn's `_transform`: project, then centre after the projection
        // (`X Cᵀ - 1 (μ Cᵀ)`), so `X` is read once and never copied; row-parallel.
        let shift = self.mean.dot(&self.components.t()).mapv(|v| -v);
        let mut z = match (
            crate::nearest::SmallProduct::new(self.components.t(), shift.as_slice().expect("fresh")),
            x.to_slice(),
        ) {
            // Few components over row-major rows: the register-blocked kernel, row blocks in
            // parallel, into a fresh output on huge pages.
            (Some(kernel), Some(xs)) => {
                use rayon::prelude::*;
                const BLOCK: usize = 4096;
                let (n, m, k) = (x.nrows(), x.ncols(), self.components.nrows());
                let mut z = oxlearn_core::alloc::zeros_2d(n, k);
                let out = z.as_slice_mut().expect("fresh standard layout");
                out.par_chunks_mut(BLOCK * k).enumerate().for_each(|(b, o)| {
                    let rows = o.len() / k;
                    kernel.run(&xs[b * BLOCK * m..(b * BLOCK + rows) * m], o);
                });
                z
            }
            _ => crate::linalg::matmul_rows(x, self.components.t(), Some(shift.view())),
        };
        if z.ncols() == 0 {
            oxlearn_core::validate::check_finite(x, false)?;
        } else {
            crate::linalg::check_finite_via(x, z.column(0))?;
        }
        if self.whiten {
            z /= &self.scale();
        }
        Ok(z)
    }

    fn inverse_transform_checked(&self, z: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let back = if self.whiten {
            let scaled = &self.components * &self.explained_variance.mapv(f64::sqrt).insert_axis(Axis(1));
            z.dot(&scaled)
        } else {
            z.dot(&self.components)
        };
        Ok(back + &self.mean)
    }

    fn n_features_out(&self) -> usize {
        self.components.nrows()
    }

    fn feature_names_out(&self, _input: Option<&[String]>) -> Vec<String> {
        (0..self.n_features_out()).map(|i| format!("pca{i}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solvers_agree() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let x = Array2::from_shape_fn((300, 6), |(_, j)| rng.r#gen::<f64>() * (j + 1) as f64);
        let full = Pca::default().svd_solver(PcaSolver::Full).fit(&x).unwrap();
        let eigh = Pca::default().svd_solver(PcaSolver::CovarianceEigh).fit(&x).unwrap();
        let rand =
            Pca::default().svd_solver(PcaSolver::Randomized).n_components(PcaComponents::N(3)).seed(0).fit(&x).unwrap();
        for i in 0..6 {
            assert!((full.explained_variance()[i] - eigh.explained_variance()[i]).abs() < 1e-9);
            for j in 0..6 {
                assert!((full.components()[[i, j]] - eigh.components()[[i, j]]).abs() < 1e-7);
            }
        }
        for i in 0..3 {
            assert!((full.explained_variance_ratio()[i] - rand.explained_variance_ratio()[i]).abs() < 1e-6);
        }
        let frac = Pca::default().n_components(PcaComponents::Variance(0.5)).fit(&x).unwrap();
        let cum: f64 = frac.explained_variance_ratio().sum();
        assert!(cum > 0.5 && cum - frac.explained_variance_ratio()[frac.n_components() - 1] <= 0.5);
        let white = Pca::default().whiten(true).fit(&x).unwrap();
        let z = white.transform(&x).unwrap();
        let var0 = z.column(0).mapv(|v| v * v).sum() / 299.0;
        assert!((var0 - 1.0).abs() < 1e-9);
        let back = white.inverse_transform(&z).unwrap();
        assert!((back - &x).iter().all(|v| v.abs() < 1e-9));
    }
}
