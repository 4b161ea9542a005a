//! [`make_classification`]: scikit-learn's random n-class problem with Gaussian clusters on the
//! vertices of a hypercube.

use ndarray::{Array1, Array2, Axis, s};
use oxlearn_core::{Error, Result};
use rand::Rng;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{check_finite, permutation, rng, shuffle_rows};

/// Parameters of [`make_classification`], scikit-learn's `make_classification`.
///
/// Each class is made of `n_clusters_per_class` Gaussian clusters (unit variance, then mixed by
/// a random linear map each) centred on distinct vertices of a hypercube of side
/// `2 * class_sep` in the `n_informative`-dimensional space. The columns of `X` are, before
/// shuffling: the informative features, `n_redundant` random linear combinations of them,
/// `n_repeated` copies of informative or redundant features, and standard normal noise for the
/// rest. A fraction `flip_y` of the labels is then reassigned at random.
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `n_samples` | 100 | >= 1 |
/// | `n_features` | 20 | >= `n_informative + n_redundant + n_repeated` |
/// | `n_informative` | 2 | >= 1, `2^n_informative >= n_classes * n_clusters_per_class` |
/// | `n_redundant` | 2 | |
/// | `n_repeated` | 0 | |
/// | `n_classes` | 2 | >= 1 |
/// | `n_clusters_per_class` | 2 | >= 1 |
/// | `weights` | `None` (balanced) | `n_classes` or `n_classes - 1` proportions >= 0 |
/// | `flip_y` | 0.01 | in `[0, 1]` |
/// | `class_sep` | 1.0 | > 0 |
/// | `hypercube` | `true` | `false`: vertices of a random polytope instead |
/// | `shift` | `Some(0.0)` | `None`: a random shift in `[-class_sep, class_sep]` per feature |
/// | `scale` | `Some(1.0)` | `None`: a random scale in `[1, 101]` per feature |
/// | `shuffle` | `true` | shuffles rows and columns |
/// | `seed` | `None` | |
///
/// With `weights`, class `k` gets `int(n_samples * weights[k] / n_clusters_per_class)` samples
/// per cluster, the remainder being dealt one by one to the clusters in order, exactly as
/// scikit-learn does; `flip_y` then moves about `flip_y / 2` of the labels (a flipped label
/// may land on its own class).
///
/// ```
/// let (x, y) = oxlearn_datasets::make_classification(1000, 8)
///     .n_informative(3)
///     .n_classes(3)
///     .weights(vec![0.2, 0.3, 0.5])
///     .flip_y(0.0)
///     .seed(0)
///     .generate()?;
/// assert_eq!(x.dim(), (1000, 8));
/// assert_eq!(y.iter().filter(|&&c| c == 2).count(), 500);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MakeClassification {
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    n_redundant: usize,
    n_repeated: usize,
    n_classes: usize,
    n_clusters_per_class: usize,
    weights: Option<Vec<f64>>,
    flip_y: f64,
    class_sep: f64,
    hypercube: bool,
    shift: Option<f64>,
    scale: Option<f64>,
    shuffle: bool,
    seed: Option<u64>,
}

impl Default for MakeClassification {
    fn default() -> Self {
        MakeClassification {
            n_samples: 100,
            n_features: 20,
            n_informative: 2,
            n_redundant: 2,
            n_repeated: 0,
            n_classes: 2,
            n_clusters_per_class: 2,
            weights: None,
            flip_y: 0.01,
            class_sep: 1.0,
            hypercube: true,
            shift: Some(0.0),
            scale: Some(1.0),
            shuffle: true,
            seed: None,
        }
    }
}

/// A random classification problem of `n_samples` rows and `n_features` columns (scikit-learn's
/// `make_classification`); see [`MakeClassification`] for the other parameters.
pub fn make_classification(n_samples: usize, n_features: usize) -> MakeClassification {
    MakeClassification { n_samples, n_features, ..MakeClassification::default() }
}

impl MakeClassification {
    /// Number of samples (default 100).
    pub fn n_samples(mut self, v: usize) -> Self {
        self.n_samples = v;
        self
    }
    /// Total number of features (default 20).
    pub fn n_features(mut self, v: usize) -> Self {
        self.n_features = v;
        self
    }
    /// Number of informative features (default 2).
    pub fn n_informative(mut self, v: usize) -> Self {
        self.n_informative = v;
        self
    }
    /// Number of redundant features: random linear combinations of the informative ones
    /// (default 2).
    pub fn n_redundant(mut self, v: usize) -> Self {
        self.n_redundant = v;
        self
    }
    /// Number of duplicated features, drawn from the informative and redundant ones (default 0).
    pub fn n_repeated(mut self, v: usize) -> Self {
        self.n_repeated = v;
        self
    }
    /// Number of classes (default 2).
    pub fn n_classes(mut self, v: usize) -> Self {
        self.n_classes = v;
        self
    }
    /// Number of clusters per class (default 2).
    pub fn n_clusters_per_class(mut self, v: usize) -> Self {
        self.n_clusters_per_class = v;
        self
    }
    /// Proportion of samples in each class (`n_classes` values, or `n_classes - 1` with the last
    /// one inferred as `1 - sum`); default balanced.
    pub fn weights(mut self, v: Vec<f64>) -> Self {
        self.weights = Some(v);
        self
    }
    /// Fraction of samples whose label is reassigned at random (default 0.01).
    pub fn flip_y(mut self, v: f64) -> Self {
        self.flip_y = v;
        self
    }
    /// Half the side of the hypercube: larger values make the task easier (default 1.0).
    pub fn class_sep(mut self, v: f64) -> Self {
        self.class_sep = v;
        self
    }
    /// Clusters on hypercube vertices (default `true`), or on a random polytope's.
    pub fn hypercube(mut self, v: bool) -> Self {
        self.hypercube = v;
        self
    }
    /// Shift added to every feature; `None` draws one per feature in `[-class_sep, class_sep]`
    /// (default `Some(0.0)`).
    pub fn shift(mut self, v: Option<f64>) -> Self {
        self.shift = v;
        self
    }
    /// Factor every feature is multiplied by, after the shift; `None` draws one per feature in
    /// `[1, 101]` (default `Some(1.0)`).
    pub fn scale(mut self, v: Option<f64>) -> Self {
        self.scale = v;
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

    /// The class proportions, completed and checked.
    fn class_weights(&self) -> Result<Vec<f64>> {
        let k = self.n_classes;
        let Some(w) = &self.weights else {
            return Ok(vec![1.0 / k as f64; k]);
        };
        if w.len() != k && w.len() + 1 != k {
            return Err(Error::invalid_param(
                "weights",
                format!("must have n_classes ({k}) or n_classes - 1 ({}) entries, got {}", k - 1, w.len()),
            ));
        }
        if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(Error::invalid_param("weights", format!("must be finite and >= 0, got {bad}")));
        }
        let mut w = w.clone();
        if w.len() + 1 == k {
            let last = 1.0 - w.iter().sum::<f64>();
            if last < 0.0 {
                return Err(Error::invalid_param(
                    "weights",
                    format!("the {} given weights sum to {}, leaving nothing for the last class", k - 1, 1.0 - last),
                ));
            }
            w.push(last);
        }
        Ok(w)
    }

    fn check(&self) -> Result<Vec<f64>> {
        for (name, v) in [
            ("n_samples", self.n_samples),
            ("n_features", self.n_features),
            ("n_informative", self.n_informative),
            ("n_classes", self.n_classes),
            ("n_clusters_per_class", self.n_clusters_per_class),
        ] {
            if v == 0 {
                return Err(Error::invalid_param(name, "must be >= 1, got 0"));
            }
        }
        let used = self.n_informative + self.n_redundant + self.n_repeated;
        if used > self.n_features {
            return Err(Error::invalid_param(
                "n_features",
                format!(
                    "number of informative ({}), redundant ({}) and repeated ({}) features must sum to at most \
                     n_features ({}), got {used}",
                    self.n_informative, self.n_redundant, self.n_repeated, self.n_features
                ),
            ));
        }
        let n_clusters = self.n_classes as u128 * self.n_clusters_per_class as u128;
        if self.n_informative < 128 && n_clusters > 1u128 << self.n_informative {
            return Err(Error::invalid_param(
                "n_informative",
                format!(
                    "n_classes ({}) * n_clusters_per_class ({}) must be at most 2^n_informative ({})",
                    self.n_classes,
                    self.n_clusters_per_class,
                    1u128 << self.n_informative
                ),
            ));
        }
        if n_clusters > 1 << 30 {
            return Err(Error::invalid_param(
                "n_classes",
                format!("n_classes * n_clusters_per_class must be at most 2^30, got {n_clusters}"),
            ));
        }
        if !(0.0..=1.0).contains(&self.flip_y) {
            return Err(Error::invalid_param("flip_y", format!("must be in [0, 1], got {}", self.flip_y)));
        }
        if !(self.class_sep.is_finite() && self.class_sep > 0.0) {
            return Err(Error::invalid_param(
                "class_sep",
                format!("must be a finite number > 0, got {}", self.class_sep),
            ));
        }
        if let Some(v) = self.shift {
            check_finite("shift", v)?;
        }
        if let Some(v) = self.scale {
            check_finite("scale", v)?;
        }
        self.class_weights()
    }

    /// Generates `X` (`n_samples x n_features`) and the class labels `y` in `0..n_classes`.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for parameters out of range (see the table above).
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<i64>)> {
        let weights = self.check()?;
        let mut rng = rng(self.seed);
        let rng = &mut rng;
        let (n, p, ni) = (self.n_samples, self.n_features, self.n_informative);
        let (n_classes, n_per) = (self.n_classes, self.n_clusters_per_class);
        let n_clusters = n_classes * n_per;

        // Samples per cluster, as scikit-learn counts them.
        let mut counts: Vec<usize> =
            (0..n_clusters).map(|k| (n as f64 * weights[k % n_classes] / n_per as f64) as usize).collect();
        let assigned = counts.iter().fold(0usize, |a, &c| a.saturating_add(c));
        for i in 0..n.saturating_sub(assigned) {
            counts[i % n_clusters] += 1;
        }

        // Cluster centroids on distinct hypercube vertices, scaled to [-class_sep, class_sep].
        let mut centroids = hypercube_vertices(n_clusters, ni, rng).mapv(|b| b * 2.0 * self.class_sep - self.class_sep);
        if !self.hypercube {
            for mut row in centroids.rows_mut() {
                row *= rng.r#gen::<f64>();
            }
            for mut col in centroids.columns_mut() {
                col *= rng.r#gen::<f64>();
            }
        }

        let mut x = Array2::<f64>::zeros((n, p));
        let mut y = Array1::<i64>::zeros(n);
        let informative = Array2::from_shape_simple_fn((n, ni), || rng.sample(StandardNormal));
        x.slice_mut(s![.., ..ni]).assign(&informative);
        // Each cluster: a random linear map of its Gaussian samples, moved to its vertex.
        let mut stop = 0;
        for (k, centroid) in centroids.rows().into_iter().enumerate() {
            let start = stop.min(n);
            stop = stop.saturating_add(counts[k]).min(n);
            y.slice_mut(s![start..stop]).fill((k % n_classes) as i64);
            let a = Array2::from_shape_simple_fn((ni, ni), || 2.0 * rng.r#gen::<f64>() - 1.0);
            let mixed = x.slice(s![start..stop, ..ni]).dot(&a) + centroid;
            x.slice_mut(s![start..stop, ..ni]).assign(&mixed);
        }
        let nr = self.n_redundant;
        if nr > 0 {
            let b = Array2::from_shape_simple_fn((ni, nr), || 2.0 * rng.r#gen::<f64>() - 1.0);
            let redundant = x.slice(s![.., ..ni]).dot(&b);
            x.slice_mut(s![.., ni..ni + nr]).assign(&redundant);
        }
        let base = ni + nr;
        for j in 0..self.n_repeated {
            let src = ((base - 1) as f64 * rng.r#gen::<f64>() + 0.5) as usize;
            let col = x.column(src).to_owned();
            x.column_mut(base + j).assign(&col);
        }
        let n_useless = p - base - self.n_repeated;
        if n_useless > 0 {
            let noise = Array2::from_shape_simple_fn((n, n_useless), || rng.sample(StandardNormal));
            x.slice_mut(s![.., p - n_useless..]).assign(&noise);
        }

        // Random label noise: draw the mask first, then the new labels, as scikit-learn.
        let flip: Vec<bool> = (0..n).map(|_| rng.r#gen::<f64>() < self.flip_y).collect();
        for (label, _) in y.iter_mut().zip(&flip).filter(|(_, f)| **f) {
            *label = rng.gen_range(0..n_classes) as i64;
        }

        let shift: Vec<f64> = match self.shift {
            Some(v) => vec![v; p],
            None => (0..p).map(|_| (2.0 * rng.r#gen::<f64>() - 1.0) * self.class_sep).collect(),
        };
        let scale: Vec<f64> = match self.scale {
            Some(v) => vec![v; p],
            None => (0..p).map(|_| 1.0 + 100.0 * rng.r#gen::<f64>()).collect(),
        };
        for (j, mut col) in x.columns_mut().into_iter().enumerate() {
            col.mapv_inplace(|v| (v + shift[j]) * scale[j]);
        }

        if self.shuffle {
            let (xs, ys) = shuffle_rows(x, y, rng);
            let cols = permutation(p, rng);
            x = xs.select(Axis(1), &cols);
            y = ys;
        }
        Ok((x, y))
    }
}

/// `samples` distinct vertices of the unit hypercube in `dimensions` dimensions (0/1 entries),
/// as scikit-learn's `_generate_hypercube`: beyond 30 dimensions the leading coordinates are
/// free random bits and only the last 30 are kept distinct.
fn hypercube_vertices(samples: usize, dimensions: usize, rng: &mut Xoshiro256PlusPlus) -> Array2<f64> {
    let mut out = Array2::zeros((samples, dimensions));
    let free = dimensions.saturating_sub(30);
    for v in out.slice_mut(s![.., ..free]).iter_mut() {
        *v = f64::from(rng.gen_range(0..2u8));
    }
    let d = dimensions - free;
    let codes = rand::seq::index::sample(rng, 1usize << d, samples);
    for (i, code) in codes.iter().enumerate() {
        // Most significant bit first, as NumPy's unpackbits of a big-endian integer.
        for b in 0..d {
            out[[i, free + b]] = ((code >> (d - 1 - b)) & 1) as f64;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn hypercube_vertices_are_distinct() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let v = hypercube_vertices(8, 3, &mut rng);
        let mut rows: Vec<Vec<u8>> = v.rows().into_iter().map(|r| r.iter().map(|&b| b as u8).collect()).collect();
        rows.sort();
        rows.dedup();
        assert_eq!(rows.len(), 8);
        let wide = hypercube_vertices(4, 33, &mut rng);
        assert_eq!(wide.dim(), (4, 33));
        assert!(wide.iter().all(|&b| b == 0.0 || b == 1.0));
    }
}
