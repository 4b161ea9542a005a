//! Model files: round trips (bit-identical predictions) and corrupt, foreign, newer and
//! truncated files (typed errors, never a panic), with a bounded mutation "fuzz" loop.

use std::collections::HashMap;

use oxlearn_algorithms::{FittedRidge, LogisticRegression, Ridge};
use oxlearn_core::Label;
use oxlearn_core::prelude::*;
use oxlearn_pipeline::Pipeline;
use oxlearn_pipeline::persist::{self, ModelFileError, Registry, SaveModel};
use oxlearn_preprocessing::{ColumnTransformer, Columns, OneHotEncoder, SimpleImputer, StandardScaler};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::common::iris_frame;

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register::<LogisticRegression>().register::<Ridge>().register::<StandardScaler>();
    r
}

fn fitted_pipeline() -> oxlearn_pipeline::FittedPipeline {
    let prep = ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
        .add(
            "cat",
            SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
            Columns::categorical(),
        );
    Pipeline::new()
        .step("prep", prep)
        .step("model", LogisticRegression::default())
        .fit_frame(&iris_frame(), "species")
        .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("oxlearn-pipeline-test-{}-{name}", std::process::id()))
}

#[test]
fn pipeline_round_trip_is_bit_identical() {
    let fitted = fitted_pipeline();
    let df = iris_frame();
    let path = tmp("pipe.oxl");
    fitted.save(&path).unwrap();
    let loaded = persist::load_pipeline_file(&path, &registry()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.predict_frame(&df).unwrap(), fitted.predict_frame(&df).unwrap());
    let (a, b) = (loaded.predict_proba_frame(&df).unwrap(), fitted.predict_proba_frame(&df).unwrap());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_eq!(loaded.feature_names_out(), fitted.feature_names_out());
    assert_eq!(loaded.target(), Some("species"));
}

#[test]
fn typed_models_save_and_load() {
    let d = oxlearn_datasets::diabetes();
    let m = Ridge::default().alpha(0.5).fit(&d.x, &d.y).unwrap();
    let path = tmp("ridge.oxl");
    m.save(&path).unwrap();
    let typed: FittedRidge = persist::load_typed(&path).unwrap();
    assert_eq!(typed.predict(&d.x).unwrap(), m.predict(&d.x).unwrap());
    let boxed = persist::load(&path, &registry()).unwrap();
    assert_eq!(boxed.name(), "Ridge");
    // A Ridge file is not a pipeline, nor a logistic regression.
    let e = persist::load_pipeline_file(&path, &registry()).unwrap_err();
    assert!(matches!(e, ModelFileError::WrongModelType { .. }), "{e}");
    assert!(matches!(
        persist::load_typed::<oxlearn_algorithms::FittedLogisticRegression<Label>>(&path),
        Err(ModelFileError::WrongModelType { .. })
    ));
    // Not in the registry.
    let e = persist::load(&path, &Registry::new()).unwrap_err();
    assert!(matches!(e, ModelFileError::UnknownModelType { .. }), "{e}");
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(persist::load(&path, &registry()), Err(ModelFileError::Io { .. })));
}

fn with_metadata(bytes: &[u8], edit: impl FnOnce(&mut HashMap<String, String>)) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let mut m = meta.metadata().clone().unwrap();
    edit(&mut m);
    let tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> = st.tensors();
    safetensors::serialize(tensors, Some(m)).unwrap()
}

#[test]
fn newer_foreign_and_tampered_files_are_typed_errors() {
    let bytes = fitted_pipeline().to_model_bytes().unwrap();
    let r = registry();
    let newer = with_metadata(&bytes, |m| {
        m.insert("format_version".into(), "3".into());
    });
    let e = persist::from_bytes(&newer, &r, "model.oxl").unwrap_err();
    assert_eq!(
        e.to_string(),
        "model file model.oxl was written by format version 3; this oxlearn reads up to version 1"
    );
    let foreign = with_metadata(&bytes, |m| {
        m.insert("format".into(), "pickle".into());
    });
    assert!(matches!(persist::from_bytes(&foreign, &r, "f"), Err(ModelFileError::NotAModelFile { .. })));
    let tampered = with_metadata(&bytes, |m| {
        let s = m["state"].replace("\"species\"", "\"specieS\"");
        m.insert("state".into(), s);
    });
    assert!(matches!(persist::from_bytes(&tampered, &r, "f"), Err(ModelFileError::Checksum { .. })));
    let retyped = with_metadata(&bytes, |m| {
        m.insert("model_type".into(), "../../etc/passwd".into());
    });
    assert!(persist::from_bytes(&retyped, &r, "f").is_err());
    assert!(matches!(persist::from_bytes(b"", &r, "f"), Err(ModelFileError::NotAModelFile { .. })));
    assert!(matches!(persist::from_bytes(b"not a model at all", &r, "f"), Err(ModelFileError::NotAModelFile { .. })));
}

/// Bounded fuzzing: thousands of mutations of a valid file (bit flips, byte overwrites,
/// truncations, header-size edits); each load returns an error, or a model predicting exactly
/// as the original (a flip in ignored padding), and never panics.
#[test]
fn mutated_files_never_panic() {
    let fitted = fitted_pipeline();
    let df = iris_frame();
    let expected = fitted.predict_proba_frame(&df).unwrap();
    let bytes = fitted.to_model_bytes().unwrap();
    let r = registry();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let check = |b: &[u8]| {
        if let Ok(m) = persist::from_bytes(b, &r, "fuzz") {
            let p = m.as_any().downcast_ref::<oxlearn_pipeline::FittedPipeline>().expect("a pipeline");
            assert_eq!(p.predict_proba_frame(&df).unwrap(), expected);
        }
    };
    for _ in 0..1500 {
        let mut b = bytes.clone();
        let flips = rng.gen_range(1..4);
        for _ in 0..flips {
            let i = rng.gen_range(0..b.len());
            if rng.gen_bool(0.5) {
                b[i] ^= 1 << rng.gen_range(0..8);
            } else {
                b[i] = rng.r#gen();
            }
        }
        check(&b);
    }
    for len in (0..bytes.len()).step_by(bytes.len() / 300 + 1) {
        check(&bytes[..len]);
    }
    for size in
        [0u64, 1, 7, 8, u64::MAX, u64::MAX / 2, 1 << 40, bytes.len() as u64, bytes.len() as u64 - 9, 100_000_001]
    {
        let mut b = bytes.clone();
        b[..8].copy_from_slice(&size.to_le_bytes());
        check(&b);
    }
}
