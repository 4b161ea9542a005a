//! NaN and infinities in fitted states survive model files: through the generic
//! `oxlearn_core::serde_f64` path (a state with plain, unannotated `f64` fields) and through the
//! preprocessing transformers (OrdinalEncoder's NaN codes inside a frame pipeline), with
//! bit-identical transforms, NaN included.

use ndarray::{Array1, Array2, ArrayView2};
use oxlearn_core::prelude::*;
use oxlearn_core::{DynEstimator, DynFitted, TargetView, TransformerKind};
use oxlearn_pipeline::Pipeline;
use oxlearn_pipeline::persist::{self, Registry, SaveModel};
use oxlearn_preprocessing::{ColumnTransformer, Columns, OrdinalEncoder, SimpleImputer, StandardScaler};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// Clips each column to the training range of column 0 only (other columns unbounded: -inf /
/// inf) and writes NaN above `threshold`: its fitted state holds NaN and infinities in plain
/// `f64`, `Vec<f64>` and `Array1<f64>` fields, with no serde annotation.
#[derive(Debug, Clone, Default)]
struct ClipMark {
    threshold: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FittedClipMark {
    lows: Vec<f64>,
    highs: Array1<f64>,
    marker: f64,
    threshold: f64,
}

impl Estimator for ClipMark {
    const NAME: &'static str = "ClipMark";
    type Kind = TransformerKind;
}

impl Transformer for ClipMark {
    type Fitted = FittedClipMark;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedClipMark> {
        let n = x.ncols();
        let mut lows = vec![f64::NEG_INFINITY; n];
        let mut highs = Array1::from_elem(n, f64::INFINITY);
        lows[0] = x.column(0).fold(f64::INFINITY, |a, &b| a.min(b));
        highs[0] = x.column(0).fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        Ok(FittedClipMark { lows, highs, marker: f64::NAN, threshold: self.threshold })
    }
}

impl Fitted for FittedClipMark {
    const NAME: &'static str = "ClipMark";
    fn n_features_in(&self) -> usize {
        self.lows.len()
    }
}

impl FittedTransformer for FittedClipMark {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut out = x.to_owned();
        for ((_, j), v) in out.indexed_iter_mut() {
            *v = v.clamp(self.lows[j], self.highs[j]);
            if *v > self.threshold {
                *v = self.marker;
            }
        }
        Ok(out)
    }
    fn n_features_out(&self) -> usize {
        self.lows.len()
    }
}

fn same_bits(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    a.dim() == b.dim() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("oxlearn-pipeline-nan-{}-{name}", std::process::id()))
}

#[test]
fn any_estimator_state_keeps_nan_and_infinities_through_a_model_file() {
    // 10 columns, so `lows` and `highs` (8+ entries) are stored as F64 tensors holding -inf / inf.
    let x = Array2::from_shape_fn((30, 10), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 2.0);
    let est = ClipMark { threshold: 6.5 };
    let fitted = DynEstimator::fit_dyn(&est, x.view(), TargetView::None).unwrap();
    let out = fitted.transform_dyn(x.view()).unwrap();
    assert!(out.iter().any(|v| v.is_nan()), "the transform writes NaN");
    let state = fitted.state().unwrap();
    assert_eq!(state["marker"], "NaN");
    assert_eq!(state["lows"][1], "-inf");
    assert_eq!(state["highs"]["data"][1], "inf");

    let mut registry = Registry::new();
    registry.register::<ClipMark>().register::<StandardScaler>();
    let path = tmp("clipmark.oxl");
    persist::save(&*fitted, &path).unwrap();
    let loaded = persist::load(&path, &registry).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(same_bits(&loaded.transform_dyn(x.view()).unwrap(), &out));
    let typed = loaded.as_any().downcast_ref::<FittedClipMark>().unwrap();
    assert!(typed.marker.is_nan());
    assert_eq!(typed.lows[3], f64::NEG_INFINITY);
    assert_eq!(typed.highs[9], f64::INFINITY);

    // The typed save / load_typed path, and inside a pipeline.
    let typed_fit = est.fit(&x).unwrap();
    let path = tmp("clipmark-typed.oxl");
    typed_fit.save(&path).unwrap();
    let back: FittedClipMark = persist::load_typed(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(same_bits(&back.transform(&x).unwrap(), &out));

    let pipe = Pipeline::new().step("scale", StandardScaler::default()).step("mark", ClipMark { threshold: 0.5 });
    let fitted = pipe.fit_xy(x.view(), TargetView::None).unwrap();
    let path = tmp("clipmark-pipe.oxl");
    fitted.save(&path).unwrap();
    let loaded = persist::load_pipeline_file(&path, &registry).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (a, b) = (fitted.transform_dyn(x.view()).unwrap(), loaded.transform_dyn(x.view()).unwrap());
    assert!(a.iter().any(|v| v.is_nan()));
    assert!(same_bits(&a, &b));
}

/// A frame with a numeric column holding nulls and a string column with nulls and a category
/// the training rows lack.
fn frame(rows: usize, with_unseen: bool) -> DataFrame {
    let num: Vec<Option<f64>> = (0..rows).map(|i| if i % 4 == 0 { None } else { Some(i as f64 * 0.5) }).collect();
    let cat: Vec<Option<&str>> = (0..rows)
        .map(|i| match i % 5 {
            0 => None,
            1 if with_unseen => Some("violet"),
            1 | 2 => Some("red"),
            _ => Some("blue"),
        })
        .collect();
    let y: Vec<&str> = (0..rows).map(|i| if i % 3 == 0 { "yes" } else { "no" }).collect();
    df!("num" => num, "cat" => cat, "y" => y).unwrap()
}

#[test]
fn ordinal_encoder_nan_codes_survive_a_pipeline_file() {
    let prep = ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
        .add(
            "cat",
            OrdinalEncoder::default().use_encoded_value(f64::NAN).encoded_missing_value(f64::NAN),
            Columns::categorical(),
        );
    let train = frame(40, false);
    let test = frame(25, true);
    let fitted = Pipeline::new().step("prep", prep).fit_frame(&train, "y").unwrap();
    let out = fitted.transform_frame(&test).unwrap();
    // Missing and unseen categories are both encoded as NaN.
    assert_eq!(out.column(1).iter().filter(|v| v.is_nan()).count(), 10);
    let path = tmp("ordinal-pipe.oxl");
    fitted.save(&path).unwrap();
    let loaded = persist::load_pipeline_file(&path, &Registry::new()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(same_bits(&loaded.transform_frame(&test).unwrap(), &out));
}
