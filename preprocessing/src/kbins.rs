//! [`KBinsDiscretizer`]: bins continuous features into intervals (uniform, quantile or k-means
//! edges), output as ordinal codes or one-hot columns.

use ndarray::{Array1, Array2, ArrayView2};
use oxlearn_core::{Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Transformer, TransformerKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::names_or_default;
use crate::scaler::{TRANSFORM_CHUNK, matrix_accums};
use crate::stats::{ColAccum, Needs, percentile_averaged_inverted_cdf};

/// How [`KBinsDiscretizer`] places the bin edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BinStrategy {
    /// Equal-width bins between the minimum and the maximum.
    Uniform,
    /// Equal-frequency bins (numpy's `averaged_inverted_cdf` percentiles, scikit-learn's default).
    #[default]
    Quantile,
    /// Edges halfway between the centres of a 1-D k-means started from the uniform bin centres.
    Kmeans,
}

/// How [`KBinsDiscretizer`] encodes the bin of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BinEncode {
    /// One 0/1 column per bin (scikit-learn's default, dense here).
    #[default]
    OneHot,
    /// The bin index.
    Ordinal,
}

/// Bins continuous data into intervals, scikit-learn's `KBinsDiscretizer`.
///
/// Hyper-parameters: `n_bins` (default 5, at least 2), `encode` (default [`BinEncode::OneHot`],
/// dense), `strategy` (default [`BinStrategy::Quantile`]). Bins narrower than `1e-8` are removed
/// (quantile and k-means), as scikit-learn does; a constant column gets one bin. Unlike
/// scikit-learn, the quantile strategy uses every row (scikit-learn subsamples 200 000 rows at
/// random). In a streaming fit quantile and k-means edges come from an approximate sample.
///
/// Fitted accessors: [`bin_edges`](FittedKBinsDiscretizer::bin_edges),
/// [`n_bins`](FittedKBinsDiscretizer::n_bins).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::{BinEncode, BinStrategy, KBinsDiscretizer};
/// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
/// let kb = KBinsDiscretizer::default().n_bins(2).strategy(BinStrategy::Uniform).encode(BinEncode::Ordinal);
/// assert_eq!(kb.fit(&x)?.transform(&x)?, ndarray::array![[0.0], [0.0], [1.0], [1.0]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KBinsDiscretizer {
    n_bins: usize,
    encode: BinEncode,
    strategy: BinStrategy,
}

impl Default for KBinsDiscretizer {
    fn default() -> Self {
        KBinsDiscretizer { n_bins: 5, encode: BinEncode::OneHot, strategy: BinStrategy::Quantile }
    }
}

impl KBinsDiscretizer {
    /// Number of bins (default 5).
    pub fn n_bins(mut self, n: usize) -> Self {
        self.n_bins = n;
        self
    }
    /// Output encoding (default one-hot).
    pub fn encode(mut self, e: BinEncode) -> Self {
        self.encode = e;
        self
    }
    /// Edge strategy (default quantile).
    pub fn strategy(mut self, s: BinStrategy) -> Self {
        self.strategy = s;
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        Needs { quantiles: self.strategy != BinStrategy::Uniform, categories: false }
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedKBinsDiscretizer> {
        let n = self.n_bins;
        let edges: Vec<Vec<f64>> = acc
            .par_iter()
            .map(|a| {
                let (lo, hi) = (a.num.min, a.num.max);
                if a.num.n == 0 || lo == hi {
                    return vec![f64::NEG_INFINITY, f64::INFINITY];
                }
                let mut e: Vec<f64> = match self.strategy {
                    BinStrategy::Uniform => linspace(lo, hi, n + 1),
                    BinStrategy::Quantile => {
                        let s = a.sketch.as_ref().map(|s| s.sorted()).unwrap_or_default();
                        linspace(0.0, 100.0, n + 1)
                            .into_iter()
                            .map(|q| percentile_averaged_inverted_cdf(&s, q))
                            .collect()
                    }
                    BinStrategy::Kmeans => {
                        let s = a.sketch.as_ref().map(|s| s.sorted()).unwrap_or_default();
                        let centers = kmeans_1d(&s, lo, hi, n);
                        let mut e = vec![lo];
                        e.extend(centers.windows(2).map(|w| (w[0] + w[1]) * 0.5));
                        e.push(hi);
                        e
                    }
                };
                if self.strategy != BinStrategy::Uniform {
                    let mut kept = vec![e[0]];
                    for w in e.windows(2) {
                        if w[1] - w[0] > 1e-8 {
                            kept.push(w[1]);
                        }
                    }
                    e = kept;
                }
                e
            })
            .collect();
        Ok(FittedKBinsDiscretizer { bin_edges: edges, encode: self.encode })
    }
}

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    let step = (b - a) / (n - 1) as f64;
    // numpy computes `a + i * step` and sets the last point to `b` exactly.
    (0..n).map(|i| if i == n - 1 { b } else { a + i as f64 * step }).collect()
}

/// Lloyd's k-means on sorted 1-D data from the uniform bin centres (scikit-learn's `KMeans` with
/// that `init` and `n_init=1`: stops when assignments no longer change or the squared centre
/// shift falls below `1e-4` times the variance). Returns sorted centres.
fn kmeans_1d(sorted: &[f64], lo: f64, hi: f64, k: usize) -> Vec<f64> {
    let edges = linspace(lo, hi, k + 1);
    let mut centers: Vec<f64> = edges.windows(2).map(|w| (w[0] + w[1]) * 0.5).collect();
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let var = sorted.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let tol = 1e-4 * var;
    let mut labels = vec![usize::MAX; sorted.len()];
    for _ in 0..300 {
        let mut sums = vec![0.0; k];
        let mut counts = vec![0usize; k];
        let mut changed = false;
        for (i, &x) in sorted.iter().enumerate() {
            let mut best = 0;
            let mut bd = f64::INFINITY;
            for (c, &m) in centers.iter().enumerate() {
                let d = (x - m) * (x - m);
                if d < bd {
                    bd = d;
                    best = c;
                }
            }
            changed |= labels[i] != best;
            labels[i] = best;
            sums[best] += x;
            counts[best] += 1;
        }
        if !changed {
            break;
        }
        let mut shift = 0.0;
        for c in 0..k {
            if counts[c] > 0 {
                let m = sums[c] / counts[c] as f64;
                shift += (m - centers[c]) * (m - centers[c]);
                centers[c] = m;
            }
        }
        if shift <= tol {
            break;
        }
    }
    centers.sort_by(f64::total_cmp);
    centers
}

/// A fitted [`KBinsDiscretizer`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedKBinsDiscretizer {
    #[serde(with = "crate::serde_f64::vec2")]
    bin_edges: Vec<Vec<f64>>,
    encode: BinEncode,
}

impl FittedKBinsDiscretizer {
    /// Edges of each feature's bins (`n_bins + 1` values).
    pub fn bin_edges(&self) -> &[Vec<f64>] {
        &self.bin_edges
    }
    /// Number of bins of each feature.
    pub fn n_bins(&self) -> Array1<usize> {
        self.bin_edges.iter().map(|e| e.len() - 1).collect()
    }
    fn bin(edges: &[f64], x: f64) -> usize {
        // numpy's searchsorted(edges[1:-1], x, side="right").
        let inner = &edges[1..edges.len() - 1];
        inner.partition_point(|&e| e <= x)
    }
}

impl Estimator for KBinsDiscretizer {
    const NAME: &'static str = "KBinsDiscretizer";
    type Kind = TransformerKind;
    fn check_params(&self) -> Result<()> {
        if self.n_bins < 2 {
            return Err(Error::invalid_param("n_bins", format!("must be at least 2, got {}", self.n_bins)));
        }
        Ok(())
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "n_bins" => self.n_bins = value.as_usize(name)?,
            "encode" => {
                self.encode = match value.as_str(name)? {
                    "onehot" | "onehot-dense" => BinEncode::OneHot,
                    "ordinal" => BinEncode::Ordinal,
                    o => return Err(Error::invalid_param(name, format!("unknown value {o:?}"))),
                }
            }
            "strategy" => {
                self.strategy = match value.as_str(name)? {
                    "uniform" => BinStrategy::Uniform,
                    "quantile" => BinStrategy::Quantile,
                    "kmeans" => BinStrategy::Kmeans,
                    o => return Err(Error::invalid_param(name, format!("unknown value {o:?}"))),
                }
            }
            _ => {
                return Err(Error::invalid_param(name, format!("KBinsDiscretizer has no parameter {name:?}")));
            }
        }
        Ok(())
    }
}

impl Transformer for KBinsDiscretizer {
    type Fitted = FittedKBinsDiscretizer;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedKBinsDiscretizer> {
        self.fit_stats(&matrix_accums(x, self.needs()))
    }
}

impl Fitted for FittedKBinsDiscretizer {
    const NAME: &'static str = "KBinsDiscretizer";
    fn n_features_in(&self) -> usize {
        self.bin_edges.len()
    }
}

impl FittedTransformer for FittedKBinsDiscretizer {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let offsets: Vec<usize> = self
            .bin_edges
            .iter()
            .scan(0, |o, e| {
                let cur = *o;
                *o += e.len() - 1;
                Some(cur)
            })
            .collect();
        // Last row first: the order a fresh output fills fastest (see `oxlearn_core::alloc`).
        let mut out = oxlearn_core::alloc::zeros_2d(x.nrows(), self.n_features_out());
        out.axis_chunks_iter_mut(ndarray::Axis(0), TRANSFORM_CHUNK).into_par_iter().enumerate().rev().for_each(
            |(k, mut chunk)| {
                let base = k * TRANSFORM_CHUNK;
                for i in (0..chunk.nrows()).rev() {
                    let mut row = chunk.row_mut(i);
                    for (j, e) in self.bin_edges.iter().enumerate() {
                        let b = Self::bin(e, x[[base + i, j]]);
                        match self.encode {
                            BinEncode::Ordinal => row[j] = b as f64,
                            BinEncode::OneHot => row[offsets[j] + b] = 1.0,
                        }
                    }
                }
            },
        );
        Ok(out)
    }
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if self.encode != BinEncode::Ordinal {
            return Err(Error::unsupported(Self::NAME, "inverse_transform of one-hot bins"));
        }
        let mut out = crate::kernels::copy_output(x);
        for (j, e) in self.bin_edges.iter().enumerate() {
            for v in out.column_mut(j) {
                let b = (v.max(0.0) as usize).min(e.len() - 2);
                *v = (e[b] + e[b + 1]) * 0.5;
            }
        }
        Ok(out)
    }
    fn n_features_out(&self) -> usize {
        match self.encode {
            BinEncode::Ordinal => self.bin_edges.len(),
            BinEncode::OneHot => self.bin_edges.iter().map(|e| e.len() - 1).sum(),
        }
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        let names = names_or_default(input, self.bin_edges.len());
        match self.encode {
            BinEncode::Ordinal => names,
            BinEncode::OneHot => names
                .iter()
                .zip(&self.bin_edges)
                .flat_map(|(n, e)| (0..e.len() - 1).map(move |b| format!("{n}_{b}.0")))
                .collect(),
        }
    }
}
