//! [`make_regression`]: scikit-learn's random linear regression problem, with an optional
//! low-rank design matrix.

use ndarray::{Array1, Array2, Axis};
use oxlearn_core::{Error, Result};
use rand::Rng;
use rand_distr::{Normal, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{check_finite, permutation, rng};

/// Parameters of [`make_regression`], scikit-learn's `make_regression` (one target).
///
/// `X` is standard normal (or, with `effective_rank`, a matrix whose singular values decay as
/// scikit-learn's `make_low_rank_matrix`); the ground-truth coefficients are zero except
/// `n_informative` of them, uniform in `[0, 100)`; `y = X coef + bias`, plus Gaussian noise of
/// standard deviation `noise`. With `noise = 0` the relation is exact: `y` is computed as
/// `x.dot(&coef) + bias` from the returned arrays.
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `n_samples` | 100 | >= 1 |
/// | `n_features` | 100 | >= 1 |
/// | `n_informative` | 10 | capped at `n_features` |
/// | `bias` | 0.0 | finite |
/// | `effective_rank` | `None` | >= 1: approximate rank of `X` |
/// | `tail_strength` | 0.5 | in `[0, 1]`: weight of the fat tail of the singular values |
/// | `noise` | 0.0 | >= 0 |
/// | `shuffle` | `true` | shuffles rows and columns (and the coefficients with them) |
/// | `seed` | `None` | |
///
/// scikit-learn's `n_targets > 1` is not supported.
///
/// ```
/// let (x, y, coef) = oxlearn_datasets::make_regression(50, 5)
///     .n_informative(2)
///     .bias(3.0)
///     .seed(7)
///     .generate_with_coef()?;
/// assert_eq!(coef.iter().filter(|&&c| c != 0.0).count(), 2);
/// assert_eq!(y, x.dot(&coef) + 3.0); // exact without noise
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MakeRegression {
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    bias: f64,
    effective_rank: Option<usize>,
    tail_strength: f64,
    noise: f64,
    shuffle: bool,
    seed: Option<u64>,
}

impl Default for MakeRegression {
    fn default() -> Self {
        MakeRegression {
            n_samples: 100,
            n_features: 100,
            n_informative: 10,
            bias: 0.0,
            effective_rank: None,
            tail_strength: 0.5,
            noise: 0.0,
            shuffle: true,
            seed: None,
        }
    }
}

/// A random linear regression problem of `n_samples` rows and `n_features` columns
/// (scikit-learn's `make_regression`); see [`MakeRegression`] for the other parameters.
pub fn make_regression(n_samples: usize, n_features: usize) -> MakeRegression {
    MakeRegression { n_samples, n_features, ..MakeRegression::default() }
}

impl MakeRegression {
    /// Number of samples (default 100).
    pub fn n_samples(mut self, v: usize) -> Self {
        self.n_samples = v;
        self
    }
    /// Number of features (default 100).
    pub fn n_features(mut self, v: usize) -> Self {
        self.n_features = v;
        self
    }
    /// Number of features with a non-zero coefficient (default 10, capped at `n_features`).
    pub fn n_informative(mut self, v: usize) -> Self {
        self.n_informative = v;
        self
    }
    /// Intercept added to every target (default 0.0).
    pub fn bias(mut self, v: f64) -> Self {
        self.bias = v;
        self
    }
    /// Approximate number of singular vectors needed to explain most of `X`; `None` (the
    /// default) gives a well-conditioned standard normal `X`.
    pub fn effective_rank(mut self, v: Option<usize>) -> Self {
        self.effective_rank = v;
        self
    }
    /// Relative weight of the slowly decaying tail of the singular values, with
    /// `effective_rank` (default 0.5).
    pub fn tail_strength(mut self, v: f64) -> Self {
        self.tail_strength = v;
        self
    }
    /// Standard deviation of the Gaussian noise added to `y` (default 0.0).
    pub fn noise(mut self, v: f64) -> Self {
        self.noise = v;
        self
    }
    /// Shuffle the rows and the columns (default `true`).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Seed of the random generator (default `None`: from entropy).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = Some(v);
        self
    }

    fn check(&self) -> Result<()> {
        if self.n_samples == 0 {
            return Err(Error::invalid_param("n_samples", "must be >= 1, got 0"));
        }
        if self.n_features == 0 {
            return Err(Error::invalid_param("n_features", "must be >= 1, got 0"));
        }
        if self.effective_rank == Some(0) {
            return Err(Error::invalid_param("effective_rank", "must be >= 1 or None, got 0"));
        }
        check_finite("bias", self.bias)?;
        if !(0.0..=1.0).contains(&self.tail_strength) {
            return Err(Error::invalid_param(
                "tail_strength",
                format!("must be in [0, 1], got {}", self.tail_strength),
            ));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(Error::invalid_param("noise", format!("must be a finite number >= 0, got {}", self.noise)));
        }
        Ok(())
    }

    /// Generates `X` (`n_samples x n_features`) and `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for parameters out of range (see the table above).
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<f64>)> {
        self.generate_with_coef().map(|(x, y, _)| (x, y))
    }

    /// Generates `X`, `y` and the ground-truth coefficients (scikit-learn's `coef=True`).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for parameters out of range (see the table above).
    pub fn generate_with_coef(&self) -> Result<(Array2<f64>, Array1<f64>, Array1<f64>)> {
        self.check()?;
        let mut rng = rng(self.seed);
        let rng = &mut rng;
        let (n, p) = (self.n_samples, self.n_features);
        let mut x = match self.effective_rank {
            None => Array2::from_shape_simple_fn((n, p), || rng.sample(StandardNormal)),
            Some(rank) => low_rank_matrix(n, p, rank as f64, self.tail_strength, rng),
        };
        let mut coef = Array1::<f64>::zeros(p);
        for c in coef.iter_mut().take(self.n_informative.min(p)) {
            *c = 100.0 * rng.r#gen::<f64>();
        }
        if self.shuffle {
            x = x.select(Axis(0), &permutation(n, rng));
            let cols = permutation(p, rng);
            x = x.select(Axis(1), &cols);
            coef = coef.select(Axis(0), &cols);
        }
        // Computed from the returned arrays so that `y == x.dot(&coef) + bias` holds exactly.
        let mut y = x.dot(&coef) + self.bias;
        if self.noise > 0.0 {
            let normal = Normal::new(0.0, self.noise).expect("noise is finite and > 0");
            y.mapv_inplace(|v| v + rng.sample(normal));
        }
        Ok((x, y, coef))
    }
}

/// scikit-learn's `make_low_rank_matrix`: `U diag(s) V^T` with random orthonormal `U` and `V`
/// (QR of Gaussian matrices) and singular values
/// `s_i = (1 - tail) exp(-(i / rank)^2) + tail exp(-0.1 i / rank)`.
fn low_rank_matrix(
    n_samples: usize,
    n_features: usize,
    rank: f64,
    tail: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Array2<f64> {
    let k = n_samples.min(n_features);
    let mut orthonormal = |rows: usize| -> Array2<f64> {
        let g = Array2::<f64>::from_shape_simple_fn((rows, k), || rng.sample(StandardNormal));
        let q = faer::Mat::<f64>::from_fn(rows, k, |i, j| g[[i, j]]).qr().compute_thin_Q();
        Array2::from_shape_fn((rows, k), |(i, j)| q[(i, j)])
    };
    let mut u = orthonormal(n_samples);
    let v = orthonormal(n_features);
    for (i, mut col) in u.columns_mut().into_iter().enumerate() {
        let i = i as f64;
        let low_rank = (1.0 - tail) * (-(i / rank).powi(2)).exp();
        let fat_tail = tail * (-0.1 * i / rank).exp();
        col *= low_rank + fat_tail;
    }
    u.dot(&v.t())
}
