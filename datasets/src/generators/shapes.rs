//! [`make_blobs`], [`make_moons`] and [`make_circles`]: Gaussian clusters and the two 2-D toy
//! shapes of scikit-learn.

use std::f64::consts::PI;

use ndarray::{Array1, Array2};
use oxlearn_core::{Error, Result};
use rand::Rng;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{check_noise, linspace, rng, shuffle_rows};

/// Where the blobs of [`make_blobs`] are centred.
#[derive(Debug, Clone, PartialEq)]
pub enum Centers {
    /// This many centres, drawn uniformly in `center_box` (scikit-learn's integer `centers`).
    Count(usize),
    /// These centres, one per row (their width sets the number of features).
    Fixed(Array2<f64>),
}

impl From<usize> for Centers {
    fn from(v: usize) -> Self {
        Centers::Count(v)
    }
}

impl From<Array2<f64>> for Centers {
    fn from(v: Array2<f64>) -> Self {
        Centers::Fixed(v)
    }
}

/// The standard deviation of the blobs of [`make_blobs`].
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterStd {
    /// The same for every blob.
    Same(f64),
    /// One per blob.
    PerCenter(Vec<f64>),
}

impl From<f64> for ClusterStd {
    fn from(v: f64) -> Self {
        ClusterStd::Same(v)
    }
}

impl From<Vec<f64>> for ClusterStd {
    fn from(v: Vec<f64>) -> Self {
        ClusterStd::PerCenter(v)
    }
}

/// Parameters of [`make_blobs`], scikit-learn's `make_blobs`: isotropic Gaussian blobs, for
/// clustering.
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `n_samples` | 100 | >= 1, divided as evenly as possible (the first blobs get one more) |
/// | `n_samples_per_center` | `None` | one count per centre, instead of `n_samples` |
/// | `n_features` | 2 | >= 1; ignored with fixed centres |
/// | `centers` | `None`: 3, or one per `n_samples_per_center` entry | [`Centers`] |
/// | `cluster_std` | 1.0 | >= 0; [`ClusterStd`] |
/// | `center_box` | `(-10.0, 10.0)` | `low < high`, where random centres are drawn |
/// | `shuffle` | `true` | |
/// | `seed` | `None` | |
///
/// Labels are the blob indices, `0..n_centers`.
///
/// ```
/// let (x, y, centers) = oxlearn_datasets::make_blobs(300, 2).centers(4).seed(0).generate_with_centers()?;
/// assert_eq!((x.dim(), centers.dim()), ((300, 2), (4, 2)));
/// assert_eq!(y.iter().filter(|&&c| c == 3).count(), 75);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MakeBlobs {
    n_samples: usize,
    n_samples_per_center: Option<Vec<usize>>,
    n_features: usize,
    centers: Option<Centers>,
    cluster_std: ClusterStd,
    center_box: (f64, f64),
    shuffle: bool,
    seed: Option<u64>,
}

impl Default for MakeBlobs {
    fn default() -> Self {
        MakeBlobs {
            n_samples: 100,
            n_samples_per_center: None,
            n_features: 2,
            centers: None,
            cluster_std: ClusterStd::Same(1.0),
            center_box: (-10.0, 10.0),
            shuffle: true,
            seed: None,
        }
    }
}

/// Gaussian blobs: `n_samples` points in `n_features` dimensions (scikit-learn's `make_blobs`);
/// see [`MakeBlobs`] for the other parameters.
pub fn make_blobs(n_samples: usize, n_features: usize) -> MakeBlobs {
    MakeBlobs { n_samples, n_features, ..MakeBlobs::default() }
}

impl MakeBlobs {
    /// Total number of samples (default 100).
    pub fn n_samples(mut self, v: usize) -> Self {
        self.n_samples = v;
        self
    }
    /// Number of samples of each blob, instead of `n_samples` (scikit-learn's array-like
    /// `n_samples`).
    pub fn n_samples_per_center(mut self, v: Vec<usize>) -> Self {
        self.n_samples_per_center = Some(v);
        self
    }
    /// Number of features (default 2), when the centres are drawn at random.
    pub fn n_features(mut self, v: usize) -> Self {
        self.n_features = v;
        self
    }
    /// The number of blobs or their centres (default: 3 random centres).
    pub fn centers(mut self, v: impl Into<Centers>) -> Self {
        self.centers = Some(v.into());
        self
    }
    /// Standard deviation of the blobs, one for all or one each (default 1.0).
    pub fn cluster_std(mut self, v: impl Into<ClusterStd>) -> Self {
        self.cluster_std = v.into();
        self
    }
    /// Bounds of the box random centres are drawn in (default `(-10.0, 10.0)`).
    pub fn center_box(mut self, low: f64, high: f64) -> Self {
        self.center_box = (low, high);
        self
    }
    /// Shuffle the samples (default `true`).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Seed of the random generator (default `None`: from entropy).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = Some(v);
        self
    }

    /// Generates `X` and the blob index of each sample.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for parameters out of range (see the table above) or
    /// inconsistent lengths (`n_samples_per_center`, `centers` and `cluster_std`).
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<i64>)> {
        self.generate_with_centers().map(|(x, y, _)| (x, y))
    }

    /// Generates `X`, the blob index of each sample and the centres (scikit-learn's
    /// `return_centers=True`).
    ///
    /// # Errors
    /// As [`MakeBlobs::generate`].
    pub fn generate_with_centers(&self) -> Result<(Array2<f64>, Array1<i64>, Array2<f64>)> {
        let (low, high) = self.center_box;
        if !(low < high && (high - low).is_finite()) {
            return Err(Error::invalid_param(
                "center_box",
                format!("must be finite with low < high, got ({low}, {high})"),
            ));
        }
        let fixed = match &self.centers {
            Some(Centers::Fixed(c)) => {
                if c.nrows() == 0 || c.ncols() == 0 {
                    return Err(Error::invalid_param(
                        "centers",
                        format!("must be a non-empty matrix, got {:?}", c.dim()),
                    ));
                }
                if let Some(v) = c.iter().find(|v| !v.is_finite()) {
                    return Err(Error::invalid_param("centers", format!("must be finite, got {v}")));
                }
                Some(c)
            }
            _ => None,
        };
        let n_centers = match (&self.centers, &self.n_samples_per_center) {
            (Some(Centers::Count(k)), _) => *k,
            (Some(Centers::Fixed(c)), _) => c.nrows(),
            (None, Some(per)) => per.len(),
            (None, None) => 3,
        };
        if n_centers == 0 {
            return Err(Error::invalid_param("centers", "must be >= 1, got 0"));
        }
        let n_features = fixed.map_or(self.n_features, |c| c.ncols());
        if n_features == 0 {
            return Err(Error::invalid_param("n_features", "must be >= 1, got 0"));
        }
        let counts: Vec<usize> = match &self.n_samples_per_center {
            Some(per) => {
                if per.len() != n_centers {
                    return Err(Error::invalid_param(
                        "n_samples",
                        format!("has {} per-centre counts but there are {n_centers} centers", per.len()),
                    ));
                }
                per.clone()
            }
            None => (0..n_centers)
                .map(|i| self.n_samples / n_centers + usize::from(i < self.n_samples % n_centers))
                .collect(),
        };
        let Some(total) = counts.iter().try_fold(0usize, |a, &c| a.checked_add(c)) else {
            return Err(Error::invalid_param("n_samples", "the per-centre counts overflow usize"));
        };
        if total == 0 {
            return Err(Error::invalid_param("n_samples", "must be >= 1, got 0"));
        }
        let stds: Vec<f64> = match &self.cluster_std {
            ClusterStd::Same(s) => vec![*s; n_centers],
            ClusterStd::PerCenter(v) => {
                if v.len() != n_centers {
                    return Err(Error::invalid_param(
                        "cluster_std",
                        format!("has {} entries but there are {n_centers} centers", v.len()),
                    ));
                }
                v.clone()
            }
        };
        if let Some(s) = stds.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
            return Err(Error::invalid_param("cluster_std", format!("must be finite and >= 0, got {s}")));
        }

        let mut rng = rng(self.seed);
        let rng = &mut rng;
        let centers = match fixed {
            Some(c) => c.clone(),
            None => Array2::from_shape_simple_fn((n_centers, n_features), || rng.gen_range(low..high)),
        };
        let mut x = Array2::<f64>::zeros((total, n_features));
        let mut y = Array1::<i64>::zeros(total);
        let mut row = 0;
        for (k, &count) in counts.iter().enumerate() {
            for _ in 0..count {
                for j in 0..n_features {
                    let z: f64 = rng.sample(StandardNormal);
                    x[[row, j]] = centers[[k, j]] + stds[k] * z;
                }
                y[row] = k as i64;
                row += 1;
            }
        }
        if self.shuffle {
            (x, y) = shuffle_rows(x, y, rng);
        }
        Ok((x, y, centers))
    }
}

/// Parameters of [`make_moons`], scikit-learn's `make_moons`: two interleaving half circles in
/// 2-D, class 0 the upper one (`x^2 + y^2 = 1`, `y >= 0`), class 1 the lower one (centred at
/// `(1, 0.5)`).
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `n_samples` | 100 | >= 1; the lower moon gets the odd one |
/// | `noise` | `None` | >= 0: standard deviation of Gaussian noise added to every coordinate |
/// | `shuffle` | `true` | |
/// | `seed` | `None` | |
///
/// ```
/// let (x, y) = oxlearn_datasets::make_moons(101).noise(0.1).seed(0).generate()?;
/// assert_eq!((x.dim(), y.sum()), ((101, 2), 51));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MakeMoons {
    n_samples: usize,
    noise: Option<f64>,
    shuffle: bool,
    seed: Option<u64>,
}

impl Default for MakeMoons {
    fn default() -> Self {
        MakeMoons { n_samples: 100, noise: None, shuffle: true, seed: None }
    }
}

/// Two interleaving half circles of `n_samples` points (scikit-learn's `make_moons`); see
/// [`MakeMoons`].
pub fn make_moons(n_samples: usize) -> MakeMoons {
    MakeMoons { n_samples, ..MakeMoons::default() }
}

impl MakeMoons {
    /// Number of samples (default 100).
    pub fn n_samples(mut self, v: usize) -> Self {
        self.n_samples = v;
        self
    }
    /// Standard deviation of the Gaussian noise (default none).
    pub fn noise(mut self, v: f64) -> Self {
        self.noise = Some(v);
        self
    }
    /// Shuffle the samples (default `true`).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Seed of the random generator (default `None`: from entropy).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = Some(v);
        self
    }

    /// Generates the points (`n_samples x 2`) and their moon, 0 or 1.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for `n_samples = 0` or a negative or non-finite `noise`.
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<i64>)> {
        if self.n_samples == 0 {
            return Err(Error::invalid_param("n_samples", "must be >= 1, got 0"));
        }
        check_noise(self.noise)?;
        let n_out = self.n_samples / 2;
        let n_in = self.n_samples - n_out;
        let outer = linspace(0.0, PI, n_out, true).into_iter().map(|t| (t.cos(), t.sin()));
        let inner = linspace(0.0, PI, n_in, true).into_iter().map(|t| (1.0 - t.cos(), 1.0 - t.sin() - 0.5));
        two_classes(outer.chain(inner).collect(), n_out, self.shuffle, self.noise, self.seed)
    }
}

/// Parameters of [`make_circles`], scikit-learn's `make_circles`: a large circle (class 0,
/// radius 1) around a smaller one (class 1, radius `factor`), in 2-D.
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `n_samples` | 100 | >= 1; the inner circle gets the odd one |
/// | `factor` | 0.8 | in `[0, 1)`: inner radius over outer radius |
/// | `noise` | `None` | >= 0: standard deviation of Gaussian noise added to every coordinate |
/// | `shuffle` | `true` | |
/// | `seed` | `None` | |
///
/// ```
/// let (x, y) = oxlearn_datasets::make_circles(100).factor(0.5).seed(0).generate()?;
/// let r: Vec<f64> = x.rows().into_iter().map(|p| p.dot(&p).sqrt()).collect();
/// assert!(r.iter().zip(&y).all(|(r, &c)| (r - if c == 0 { 1.0 } else { 0.5 }).abs() < 1e-12));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MakeCircles {
    n_samples: usize,
    factor: f64,
    noise: Option<f64>,
    shuffle: bool,
    seed: Option<u64>,
}

impl Default for MakeCircles {
    fn default() -> Self {
        MakeCircles { n_samples: 100, factor: 0.8, noise: None, shuffle: true, seed: None }
    }
}

/// A circle inside a circle, `n_samples` points in all (scikit-learn's `make_circles`); see
/// [`MakeCircles`].
pub fn make_circles(n_samples: usize) -> MakeCircles {
    MakeCircles { n_samples, ..MakeCircles::default() }
}

impl MakeCircles {
    /// Number of samples (default 100).
    pub fn n_samples(mut self, v: usize) -> Self {
        self.n_samples = v;
        self
    }
    /// Inner radius over outer radius (default 0.8).
    pub fn factor(mut self, v: f64) -> Self {
        self.factor = v;
        self
    }
    /// Standard deviation of the Gaussian noise (default none).
    pub fn noise(mut self, v: f64) -> Self {
        self.noise = Some(v);
        self
    }
    /// Shuffle the samples (default `true`).
    pub fn shuffle(mut self, v: bool) -> Self {
        self.shuffle = v;
        self
    }
    /// Seed of the random generator (default `None`: from entropy).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = Some(v);
        self
    }

    /// Generates the points (`n_samples x 2`) and their circle: 0 outer, 1 inner.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for `n_samples = 0`, `factor` outside `[0, 1)` or a negative or
    /// non-finite `noise`.
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<i64>)> {
        if self.n_samples == 0 {
            return Err(Error::invalid_param("n_samples", "must be >= 1, got 0"));
        }
        if !(0.0..1.0).contains(&self.factor) {
            return Err(Error::invalid_param("factor", format!("must be in [0, 1), got {}", self.factor)));
        }
        check_noise(self.noise)?;
        let n_out = self.n_samples / 2;
        let n_in = self.n_samples - n_out;
        let f = self.factor;
        let outer = linspace(0.0, 2.0 * PI, n_out, false).into_iter().map(|t| (t.cos(), t.sin()));
        let inner = linspace(0.0, 2.0 * PI, n_in, false).into_iter().map(|t| (t.cos() * f, t.sin() * f));
        two_classes(outer.chain(inner).collect(), n_out, self.shuffle, self.noise, self.seed)
    }
}

/// Points whose first `n_class0` are class 0 and the rest class 1, shuffled, then noised
/// (scikit-learn's order).
fn two_classes(
    points: Vec<(f64, f64)>,
    n_class0: usize,
    shuffle: bool,
    noise: Option<f64>,
    seed: Option<u64>,
) -> Result<(Array2<f64>, Array1<i64>)> {
    let n = points.len();
    let mut x = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { points[i].0 } else { points[i].1 });
    let mut y = Array1::from_shape_fn(n, |i| i64::from(i >= n_class0));
    let mut rng: Xoshiro256PlusPlus = rng(seed);
    if shuffle {
        (x, y) = shuffle_rows(x, y, &mut rng);
    }
    if let Some(sd) = noise {
        x.mapv_inplace(|v| v + sd * rng.sample::<f64, _>(StandardNormal));
    }
    Ok((x, y))
}
