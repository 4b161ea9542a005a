//! The dynamic pipeline: frames with strings and nulls, named steps, parameters, feature names,
//! and "a pipeline of one estimator behaves exactly as the estimator".

use ndarray::Array2;
use oxlearn_algorithms::{LogisticRegression, Pca, PcaComponents, RandomForestClassifier, Ridge};
use oxlearn_core::prelude::*;
use oxlearn_core::{DynEstimator, Label, Output, ParamValue, TargetView};
use oxlearn_pipeline::Pipeline;
use oxlearn_preprocessing::{ColumnTransformer, Columns, OneHotEncoder, SimpleImputer, StandardScaler};

use crate::common::iris_frame;

fn prep() -> ColumnTransformer {
    ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
        .add(
            "cat",
            SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
            Columns::categorical(),
        )
}

#[test]
fn frame_pipeline_string_labels_in_and_out() {
    let df = iris_frame();
    let pipe = Pipeline::new().step("prep", prep()).step("model", LogisticRegression::default());
    let fitted = pipe.fit_frame(&df, "species").unwrap();
    let pred = fitted.predict_frame(&df).unwrap();
    assert_eq!(pred.name().as_str(), "species");
    let ca = pred.str().unwrap();
    assert!((0..ca.len()).all(|i| matches!(ca.get(i), Some("setosa" | "versicolor" | "virginica"))));
    assert!(fitted.score_frame(&df).unwrap() > 0.9);
    let proba = fitted.predict_proba_frame(&df).unwrap();
    assert_eq!(proba.dim(), (150, 3));
    assert_eq!(fitted.classes().unwrap()[0], Label::from("setosa"));
    let names = fitted.feature_names_out();
    assert_eq!(names[0], format!("num__{}", oxlearn_datasets::iris().feature_names[0]));
    assert_eq!(&names[4..], ["cat__color_blue", "cat__color_red"]);
    assert!(fitted.named_frame_step("prep").is_some());
    assert_eq!(fitted.named_step("model").unwrap().name(), "LogisticRegression");
    // The target column is not a feature, even though a numeric selection would take it.
    assert!(!names.iter().any(|n| n.contains("species")));
}

#[test]
fn missing_target_and_bad_steps_are_errors() {
    let df = iris_frame();
    let pipe = Pipeline::new().step("prep", prep()).step("model", LogisticRegression::default());
    let e = pipe.fit_frame(&df, "label").unwrap_err();
    assert!(e.to_string().contains("no target column \"label\""), "{e}");
    let bad = Pipeline::new().step("model", Ridge::default()).step("scale", StandardScaler::default());
    assert!(matches!(bad.fit_frame(&df, "species"), Err(Error::InvalidParam { .. })));
    let dup = Pipeline::new().step("a", StandardScaler::default()).step("a", Ridge::default());
    assert!(matches!(dup.fit_frame(&df, "species"), Err(Error::InvalidParam { .. })));
    assert!(matches!(Pipeline::new().fit_frame(&df, "species"), Err(Error::InvalidParam { .. })));
    // A frame pipeline cannot fit from a matrix.
    let x = Array2::<f64>::zeros((4, 2));
    let y = ndarray::array![1.0, 2.0, 3.0, 4.0];
    assert!(pipe.fit_dyn(x.view(), TargetView::Values(y.view())).is_err());
}

#[test]
fn set_param_routes_to_steps() {
    let mut pipe =
        Pipeline::new().step("scale", StandardScaler::default()).step("model", RandomForestClassifier::default());
    pipe.set_param("model__max_depth", &ParamValue::Int(2)).unwrap();
    pipe.set_param("n_jobs", &ParamValue::Int(1)).unwrap();
    let e = pipe.set_param("nope__max_depth", &ParamValue::Int(2)).unwrap_err();
    assert!(e.to_string().contains("no step \"nope\""), "{e}");
    assert!(pipe.set_param("model__nope", &ParamValue::Int(2)).is_err());
    assert!(pipe.set_param("max_depth", &ParamValue::Int(2)).is_err());
}

/// `prep__*`: the leading ColumnTransformer's own parameters and its parts' transformers'.
#[test]
fn set_param_reaches_column_transformer_parts() {
    let df = iris_frame();
    let num_cols = |p: &Pipeline| -> Array2<f64> {
        let f = p.clone().step("model", LogisticRegression::default()).fit_frame(&df, "species").unwrap();
        let x = f.named_frame_step("prep").unwrap().transform_frame(&df).unwrap();
        x.slice(ndarray::s![.., ..4]).to_owned()
    };
    let base = Pipeline::new().step("prep", prep());
    let centered = num_cols(&base);
    assert!(centered.column(2).mean().unwrap().abs() < 1e-9);

    // `<part>__<param>` on a chain: every transformer that has it (here only the scaler).
    let mut p = base.clone();
    p.set_param("prep__num__with_mean", &ParamValue::Bool(false)).unwrap();
    let raw = num_cols(&p);
    assert!(raw.column(2).mean().unwrap() > 1.0, "with_mean=false leaves the mean in");
    // `<part>__<transformer>__<param>` addresses one transformer of the chain, sklearn-style.
    let mut q = base.clone();
    q.set_param("prep__num__standardscaler__with_mean", &ParamValue::Bool(false)).unwrap();
    assert_eq!(num_cols(&q), raw);
    q.set_param("prep__num__simpleimputer__strategy", &ParamValue::Str("mean".into())).unwrap();
    assert_ne!(num_cols(&q), raw, "mean imputation changes the imputed rows");
    // The ColumnTransformer's own parameters.
    let mut r = base.clone();
    r.set_param("prep__remainder", &ParamValue::Str("passthrough".into())).unwrap();
    r.set_param("prep__n_jobs", &ParamValue::Int(1)).unwrap();
    r.set_param("prep__verbose_feature_names_out", &ParamValue::Bool(true)).unwrap();

    // Typed errors naming the full parameter.
    for bad in ["prep__nope__with_mean", "prep__num__nope", "prep__nope", "prep__num__onehotencoder__drop"] {
        let e = base.clone().set_param(bad, &ParamValue::Bool(false)).unwrap_err();
        assert!(matches!(&e, Error::InvalidParam { name, .. } if name == bad), "{bad}: {e}");
    }
    let e = base.clone().set_param("prep__remainder", &ParamValue::Str("keep".into())).unwrap_err();
    assert!(e.to_string().contains("passthrough"), "{e}");
    let e = base.clone().set_param("prep__nope__x", &ParamValue::Int(1)).unwrap_err();
    assert!(e.to_string().contains("no part \"nope\""), "{e}");
}

/// The same names reach a ColumnTransformer held as a boxed dynamic estimator.
#[test]
fn column_transformer_set_param_through_the_dyn_layer() {
    let mut dynamic: Box<dyn DynEstimator> = Box::new(prep());
    dynamic.set_param("num__with_mean", &ParamValue::Bool(false)).unwrap();
    dynamic.set_param("remainder", &ParamValue::Str("passthrough".into())).unwrap();
    let mut direct = prep();
    direct.set_param("num__with_mean", &ParamValue::Bool(false)).unwrap();
    direct.set_param("remainder", &ParamValue::Str("passthrough".into())).unwrap();
    let set = dynamic.as_any().downcast_ref::<ColumnTransformer>().unwrap();
    assert_eq!(format!("{set:?}"), format!("{direct:?}"));
    let e = dynamic.set_param("nope__x", &ParamValue::Int(1)).unwrap_err();
    assert!(e.to_string().contains("no part \"nope\""), "{e}");
}

/// A search over preprocessing parameters of a frame pipeline.
#[test]
fn grid_search_tunes_the_column_transformer() {
    use oxlearn_pipeline::{GridSearchCV, StratifiedKFold};
    let df = iris_frame();
    let pipe = Pipeline::new().step("prep", prep()).step("model", LogisticRegression::default());
    let search = GridSearchCV::new(pipe)
        .param("prep__num__strategy", ["median", "mean"])
        .param("prep__num__with_std", [true, false])
        .param("prep__remainder", ["drop"])
        .cv(StratifiedKFold::new(3).seed(0))
        .n_jobs(2)
        .fit_frame(&df, "species")
        .unwrap();
    let table = search.cv_results();
    assert_eq!(table.height(), 4);
    assert!(table.column("param_prep__num__with_std").is_ok());
    assert!(search.best_score() > 0.85);
    // The refitted best pipeline carries the chosen parameters.
    let best = search.best_pipeline().unwrap();
    assert!(best.score_frame(&df).unwrap() > 0.85);
}

/// A pipeline of one estimator behaves exactly as the estimator (the conformance check).
#[test]
fn one_step_pipeline_equals_the_estimator() {
    let iris = oxlearn_datasets::iris();
    let y = iris.y.mapv(Label::Int);
    let est = LogisticRegression::default();
    let direct = DynEstimator::fit_dyn(&est, iris.x.view(), TargetView::Labels(y.view())).unwrap();
    let pipe = Pipeline::new().step("model", est);
    let piped = pipe.fit_dyn(iris.x.view(), TargetView::Labels(y.view())).unwrap();
    assert_eq!(piped.kind(), direct.kind());
    assert_eq!(piped.predict_dyn(iris.x.view()).unwrap(), direct.predict_dyn(iris.x.view()).unwrap());
    assert_eq!(piped.predict_proba_dyn(iris.x.view()).unwrap(), direct.predict_proba_dyn(iris.x.view()).unwrap());
    assert_eq!(piped.classes(), direct.classes());
    assert_eq!(piped.n_features_in(), 4);
    // Same errors too.
    let narrow = Array2::<f64>::zeros((2, 3));
    assert_eq!(
        piped.predict_dyn(narrow.view()).unwrap_err().to_string(),
        direct.predict_dyn(narrow.view()).unwrap_err().to_string()
    );

    let reg = Ridge::default();
    let yv = iris.x.column(3).to_owned();
    let x = iris.x.slice(ndarray::s![.., ..3]);
    let a = DynEstimator::fit_dyn(&reg, x, TargetView::Values(yv.view())).unwrap();
    let b = Pipeline::new().step("r", reg).fit_dyn(x, TargetView::Values(yv.view())).unwrap();
    assert_eq!(a.predict_dyn(x).unwrap(), b.predict_dyn(x).unwrap());
}

#[test]
fn matrix_pipeline_matches_manual_chain() {
    let iris = oxlearn_datasets::iris();
    let y = iris.y.mapv(Label::Int);
    let pipe = Pipeline::new()
        .step("scale", StandardScaler::default())
        .step("pca", Pca::default().n_components(PcaComponents::N(2)))
        .step("model", LogisticRegression::default());
    let fitted = pipe.fit_dyn(iris.x.view(), TargetView::Labels(y.view())).unwrap();
    let s = StandardScaler::default().fit(&iris.x).unwrap();
    let xs = s.transform(&iris.x).unwrap();
    let p = Pca::default().n_components(PcaComponents::N(2)).fit(&xs).unwrap();
    let xp = p.transform(&xs).unwrap();
    let m = LogisticRegression::default().fit(&xp, &y).unwrap();
    let Output::Labels(pred) = fitted.predict_dyn(iris.x.view()).unwrap() else { panic!("labels") };
    assert_eq!(pred, m.predict(&xp).unwrap());
    let names = fitted.feature_names_out(None).unwrap();
    assert_eq!(names.len(), 2);
}

#[test]
fn transformer_pipeline_transforms() {
    let iris = oxlearn_datasets::iris();
    let pipe = Pipeline::new()
        .step("scale", StandardScaler::default())
        .step("pca", Pca::default().n_components(PcaComponents::N(2)));
    let (fitted, out) = pipe.fit_transform_dyn(iris.x.view(), TargetView::None).unwrap();
    assert_eq!(out.dim(), (150, 2));
    assert_eq!(fitted.transform_dyn(iris.x.view()).unwrap(), out);
}
