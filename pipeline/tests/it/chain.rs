//! The static chain: same results as the dynamic pipeline, a typed estimator of its last kind.

use oxlearn_algorithms::{LogisticRegression, Pca, PcaComponents, Ridge};
use oxlearn_core::prelude::*;
use oxlearn_core::{DynEstimator, Label, Output, ParamValue, TargetView};
use oxlearn_pipeline::chain::Then;
use oxlearn_pipeline::{Pipeline, chain};
use oxlearn_preprocessing::StandardScaler;

#[test]
fn chain_equals_dynamic_pipeline() {
    let iris = oxlearn_datasets::iris();
    let y = iris.y.mapv(Label::Int);
    let typed = chain!(
        StandardScaler::default(),
        Pca::default().n_components(PcaComponents::N(2)),
        LogisticRegression::default()
    );
    let fitted = typed.fit(&iris.x, &y).unwrap();
    let pipe = Pipeline::new()
        .step("s", StandardScaler::default())
        .step("p", Pca::default().n_components(PcaComponents::N(2)))
        .step("m", LogisticRegression::default());
    let dynamic = pipe.fit_dyn(iris.x.view(), TargetView::Labels(y.view())).unwrap();
    assert_eq!(Output::Labels(fitted.predict(&iris.x).unwrap()), dynamic.predict_dyn(iris.x.view()).unwrap());
    assert_eq!(fitted.predict_proba(&iris.x).unwrap(), dynamic.predict_proba_dyn(iris.x.view()).unwrap());
    assert_eq!(
        fitted.classes(),
        &y.iter().take(1).cloned().chain([Label::Int(1), Label::Int(2)]).collect::<Vec<_>>()[..]
    );
}

#[test]
fn chain_regressor_params_and_dyn_round_trip() {
    let d = oxlearn_datasets::diabetes();
    let mut c = StandardScaler::default().then_fit(Ridge::default());
    Estimator::set_param(&mut c, "second__alpha", &ParamValue::Float(2.0)).unwrap();
    assert!(Estimator::set_param(&mut c, "alpha", &ParamValue::Float(2.0)).is_err());
    let f = c.fit(&d.x, &d.y).unwrap();
    let direct =
        Ridge::default().alpha(2.0).fit(&StandardScaler::default().fit_transform(&d.x).unwrap().1, &d.y).unwrap();
    assert_eq!(
        f.predict(&d.x).unwrap(),
        direct.predict(&StandardScaler::default().fit(&d.x).unwrap().transform(&d.x).unwrap()).unwrap()
    );
    let boxed = c.fit_dyn(d.x.view(), TargetView::Values(d.y.view())).unwrap();
    let again = c.load_fitted(boxed.state().unwrap()).unwrap();
    assert_eq!(again.predict_dyn(d.x.view()).unwrap(), boxed.predict_dyn(d.x.view()).unwrap());
}
