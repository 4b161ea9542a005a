//! [`PolynomialFeatures`]: products of the input features up to a degree.

use ndarray::{Array2, ArrayView2};
use oxlearn_core::{Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Transformer, TransformerKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::names_or_default;
use crate::scaler::TRANSFORM_CHUNK;
use crate::stats::ColAccum;

/// Generates polynomial and interaction features, scikit-learn's `PolynomialFeatures`.
///
/// Hyper-parameters: `degree` (default 2), `interaction_only` (default `false`: only products of
/// distinct features), `include_bias` (default `true`: a leading column of ones). Output columns
/// follow scikit-learn's order (by degree, then lexicographic), named like `x0^2 x1`.
///
/// Fitted accessors: [`powers`](FittedPolynomialFeatures::powers).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::PolynomialFeatures;
/// let x = ndarray::array![[2.0, 3.0]];
/// let fitted = PolynomialFeatures::default().fit(&x)?;
/// assert_eq!(fitted.transform(&x)?, ndarray::array![[1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]);
/// assert_eq!(fitted.feature_names_out(None), ["1", "x0", "x1", "x0^2", "x0 x1", "x1^2"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PolynomialFeatures {
    degree: usize,
    interaction_only: bool,
    include_bias: bool,
}

impl Default for PolynomialFeatures {
    fn default() -> Self {
        PolynomialFeatures { degree: 2, interaction_only: false, include_bias: true }
    }
}

impl PolynomialFeatures {
    /// Maximal degree (default 2).
    pub fn degree(mut self, d: usize) -> Self {
        self.degree = d;
        self
    }
    /// Only products of distinct features (default `false`).
    pub fn interaction_only(mut self, v: bool) -> Self {
        self.interaction_only = v;
        self
    }
    /// Include the bias column (default `true`).
    pub fn include_bias(mut self, v: bool) -> Self {
        self.include_bias = v;
        self
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedPolynomialFeatures> {
        self.build(acc.len())
    }

    fn build(&self, n: usize) -> Result<FittedPolynomialFeatures> {
        let mut combos: Vec<Vec<usize>> = Vec::new();
        let start = if self.include_bias { 0 } else { 1 };
        for d in start..=self.degree {
            let mut cur = Vec::new();
            gen_combos(n, d, 0, self.interaction_only, &mut cur, &mut combos);
            if combos.len() > 10_000_000 {
                return Err(Error::invalid_param(
                    "degree",
                    format!("{} with {n} features gives too many output features", self.degree),
                ));
            }
        }
        Ok(FittedPolynomialFeatures { combos, n_features_in: n })
    }
}

fn gen_combos(n: usize, d: usize, from: usize, distinct: bool, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if cur.len() == d {
        out.push(cur.clone());
        return;
    }
    for i in from..n {
        cur.push(i);
        gen_combos(n, d, if distinct { i + 1 } else { i }, distinct, cur, out);
        cur.pop();
    }
}

/// A fitted [`PolynomialFeatures`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedPolynomialFeatures {
    combos: Vec<Vec<usize>>,
    n_features_in: usize,
}

impl FittedPolynomialFeatures {
    /// Exponent of each input feature in each output feature (scikit-learn's `powers_`).
    pub fn powers(&self) -> Array2<usize> {
        let mut p = Array2::zeros((self.combos.len(), self.n_features_in));
        for (r, c) in self.combos.iter().enumerate() {
            for &j in c {
                p[[r, j]] += 1;
            }
        }
        p
    }
}

impl Estimator for PolynomialFeatures {
    const NAME: &'static str = "PolynomialFeatures";
    type Kind = TransformerKind;
    fn check_params(&self) -> Result<()> {
        if self.degree == 0 && !self.include_bias {
            return Err(Error::invalid_param("degree", "degree 0 without include_bias gives no output"));
        }
        Ok(())
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "degree" => self.degree = value.as_usize(name)?,
            "interaction_only" => self.interaction_only = value.as_bool(name)?,
            "include_bias" => self.include_bias = value.as_bool(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("PolynomialFeatures has no parameter {name:?}")));
            }
        }
        Ok(())
    }
}

impl Transformer for PolynomialFeatures {
    type Fitted = FittedPolynomialFeatures;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedPolynomialFeatures> {
        self.build(x.ncols())
    }
}

impl Fitted for FittedPolynomialFeatures {
    const NAME: &'static str = "PolynomialFeatures";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
}

impl FittedTransformer for FittedPolynomialFeatures {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        // Last row first: the order a fresh output fills fastest (see `oxlearn_core::alloc`).
        let mut out = oxlearn_core::alloc::zeros_2d(x.nrows(), self.combos.len());
        out.axis_chunks_iter_mut(ndarray::Axis(0), TRANSFORM_CHUNK).into_par_iter().enumerate().rev().for_each(
            |(k, mut chunk)| {
                let base = k * TRANSFORM_CHUNK;
                for i in (0..chunk.nrows()).rev() {
                    let mut row = chunk.row_mut(i);
                    let xi = x.row(base + i);
                    for (o, c) in row.iter_mut().zip(&self.combos) {
                        *o = c.iter().fold(1.0, |p, &j| p * xi[j]);
                    }
                }
            },
        );
        Ok(out)
    }
    fn n_features_out(&self) -> usize {
        self.combos.len()
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        let names = names_or_default(input, self.n_features_in);
        self.combos
            .iter()
            .map(|c| {
                if c.is_empty() {
                    return "1".to_string();
                }
                let mut parts = Vec::new();
                let mut i = 0;
                while i < c.len() {
                    let j = c[i];
                    let e = c[i..].iter().take_while(|&&k| k == j).count();
                    parts.push(if e == 1 { names[j].clone() } else { format!("{}^{e}", names[j]) });
                    i += e;
                }
                parts.join(" ")
            })
            .collect()
    }
}
