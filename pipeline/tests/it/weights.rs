//! sample_weight through chains and pipelines: the transformers fit unweighted, the last step
//! gets the weights (scikit-learn's `pipe.fit(X, y, model__sample_weight=w)`).

use ndarray::Array1;
use oxlearn_algorithms::{KNeighborsClassifier, LogisticRegression, Ridge};
use oxlearn_core::prelude::*;
use oxlearn_core::{DynEstimator, DynFitted, Error, Label, Output, TargetView};
use oxlearn_pipeline::Pipeline;
use oxlearn_pipeline::chain::Then;
use oxlearn_preprocessing::StandardScaler;

fn weights(n: usize) -> Array1<f64> {
    (0..n).map(|i| [0.0, 1.0, 2.0, 3.5][i % 4]).collect()
}

#[test]
fn chain_routes_weights_to_the_last_step() {
    let d = oxlearn_datasets::diabetes();
    let w = weights(d.x.nrows());
    let chain = StandardScaler::default().then_fit(Ridge::default().alpha(0.5));
    let fitted = chain.fit_weighted(&d.x, &d.y, &w).unwrap();
    let (scaler, xt) = StandardScaler::default().fit_transform(&d.x).unwrap();
    let direct = Ridge::default().alpha(0.5).fit_weighted(&xt, &d.y, &w).unwrap();
    let want = direct.predict(&scaler.transform(&d.x).unwrap()).unwrap();
    assert_eq!(fitted.predict(&d.x).unwrap(), want);
    // The weights matter: the unweighted chain predicts otherwise.
    assert_ne!(chain.fit(&d.x, &d.y).unwrap().predict(&d.x).unwrap(), want);
    // Through the dynamic layer too.
    let boxed = chain.fit_weighted_dyn(d.x.view(), TargetView::Values(d.y.view()), w.view()).unwrap();
    assert_eq!(boxed.predict_dyn(d.x.view()).unwrap(), Output::Values(want));
}

#[test]
fn pipeline_routes_weights_to_the_last_step() {
    let iris = oxlearn_datasets::iris();
    let y = iris.y.mapv(Label::Int);
    let w = weights(150);
    let pipe = Pipeline::new().step("scale", StandardScaler::default()).step("model", LogisticRegression::default());
    let fitted = pipe.fit_xy_weighted(iris.x.view(), TargetView::Labels(y.view()), w.view()).unwrap();
    let (scaler, xt) = StandardScaler::default().fit_transform(&iris.x).unwrap();
    let direct = LogisticRegression::default().fit_weighted(&xt, &y, &w).unwrap();
    let xs = scaler.transform(&iris.x).unwrap();
    assert_eq!(fitted.predict_proba_dyn(iris.x.view()).unwrap(), direct.predict_proba(&xs).unwrap());
    let nested = pipe.fit_weighted_dyn(iris.x.view(), TargetView::Labels(y.view()), w.view()).unwrap();
    assert_eq!(nested.predict_dyn(iris.x.view()).unwrap(), fitted.predict_dyn(iris.x.view()).unwrap());
}

#[test]
fn frame_pipeline_takes_weights() {
    let frame = crate::common::iris_frame();
    let w = weights(150);
    let ct = oxlearn_preprocessing::ColumnTransformer::new()
        .add("num", oxlearn_preprocessing::SimpleImputer::mean(), oxlearn_preprocessing::Columns::numeric())
        .add("cat", oxlearn_preprocessing::OneHotEncoder::default(), oxlearn_preprocessing::Columns::names(["color"]));
    let pipe = Pipeline::new().step("prep", ct).step("model", LogisticRegression::default());
    let weighted = pipe.fit_frame_weighted(&frame, "species", w.view()).unwrap();
    let plain = pipe.fit_frame(&frame, "species").unwrap();
    assert_ne!(weighted.predict_proba_frame(&frame).unwrap(), plain.predict_proba_frame(&frame).unwrap());
    // A ColumnTransformer alone has no weighted fit.
    let only = Pipeline::new().step(
        "prep",
        oxlearn_preprocessing::ColumnTransformer::new().add(
            "num",
            oxlearn_preprocessing::SimpleImputer::mean(),
            oxlearn_preprocessing::Columns::numeric(),
        ),
    );
    let err = only.fit_frame_weighted(&frame, "species", w.view()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

#[test]
fn weight_errors_are_typed() {
    let iris = oxlearn_datasets::iris();
    let y = iris.y.mapv(Label::Int);
    let pipe = Pipeline::new().step("scale", StandardScaler::default()).step("model", LogisticRegression::default());
    let short = Array1::<f64>::ones(149);
    let err = pipe.fit_xy_weighted(iris.x.view(), TargetView::Labels(y.view()), short.view()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("149") && msg.contains("150"), "{msg}");
    let knn = Pipeline::new().step("scale", StandardScaler::default()).step("model", KNeighborsClassifier::default());
    let err = knn.fit_xy_weighted(iris.x.view(), TargetView::Labels(y.view()), weights(150).view()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    let chain = StandardScaler::default().then_fit(KNeighborsClassifier::default());
    assert!(matches!(chain.fit_weighted(&iris.x, &y, &weights(150)).unwrap_err(), Error::Unsupported { .. }));
}

#[test]
fn cross_validate_and_search_fit_each_fold_with_its_weights() {
    use ndarray::Axis;
    use oxlearn_pipeline::{CrossValidator, CvData, CvOptions, GridSearchCV, KFold, cross_validate_with};
    let d = oxlearn_datasets::diabetes();
    let w = weights(d.x.nrows());
    let model = StandardScaler::default().then_fit(Ridge::default());
    let opts = CvOptions { n_jobs: Some(1), sample_weight: Some(w.to_vec()), ..CvOptions::default() };
    let cv = KFold::new(4);
    let got = cross_validate_with(&model, CvData::xy(&d.x, d.y.clone()), &cv, &["r2"], &opts).unwrap();
    let folds = cv.split(d.x.nrows(), None, None).unwrap();
    for (f, (train, test)) in folds.iter().enumerate() {
        let fitted = model
            .fit_weighted(&d.x.select(Axis(0), train), &d.y.select(Axis(0), train), &w.select(Axis(0), train))
            .unwrap();
        let pred = fitted.predict(&d.x.select(Axis(0), test)).unwrap();
        let want = oxlearn_core::metrics::r2_score(d.y.select(Axis(0), test).view(), pred.view()).unwrap();
        assert!((got.test_score("r2").unwrap()[f] - want).abs() < 1e-12, "fold {f}");
    }
    let plain = cross_validate_with(
        &model,
        CvData::xy(&d.x, d.y.clone()),
        &cv,
        &["r2"],
        &CvOptions { n_jobs: Some(1), ..CvOptions::default() },
    )
    .unwrap();
    assert_ne!(plain.test_scores, got.test_scores);

    // The search's folds and its refit get the weights too.
    let search = GridSearchCV::new(model.clone()).param("second__alpha", [0.1, 1.0]).cv(KFold::new(4)).n_jobs(1);
    let res = search.clone().sample_weight(w.to_vec()).fit(&d.x, d.y.clone()).unwrap();
    let alpha = if res.best_index() == 0 { 0.1 } else { 1.0 };
    let refit = StandardScaler::default().then_fit(Ridge::default().alpha(alpha)).fit_weighted(&d.x, &d.y, &w).unwrap();
    assert_eq!(
        res.best_estimator().unwrap().predict_dyn(d.x.view()).unwrap(),
        Output::Values(refit.predict(&d.x).unwrap())
    );
    assert_ne!(res.mean_test_scores(), search.fit(&d.x, d.y.clone()).unwrap().mean_test_scores());

    // Weights of the wrong length: a typed error naming both lengths.
    let short = CvOptions { sample_weight: Some(vec![1.0; 10]), ..CvOptions::default() };
    let err = cross_validate_with(&model, CvData::xy(&d.x, d.y.clone()), &cv, &["r2"], &short).unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { other_rows: 10, .. }), "{err}");
}
