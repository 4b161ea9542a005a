//! The conformance check "a pipeline of one estimator behaves exactly as the estimator", run over
//! every estimator of `oxlearn::registry()`: `Pipeline::new().step("model", est)` fitted on the
//! same data gives bit-identical predictions, probabilities, decision scores, transforms,
//! classes, cluster labels, kind and width, and the same errors on bad input.

use ndarray::{Array1, Array2, ArrayView2, s};
use oxlearn::core::{DynEstimator, DynFitted, EstimatorKind, Label, Output, ParamValue, TargetView};
use oxlearn::pipeline::Pipeline;
use oxlearn::registry::registry;

fn bits(a: &Array2<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn same_output(name: &str, what: &str, a: Result<Output, String>, b: Result<Output, String>) {
    match (a, b) {
        (Ok(Output::Matrix(p)), Ok(Output::Matrix(q))) => {
            assert_eq!(p.dim(), q.dim(), "{name}: {what} shape");
            assert_eq!(bits(&p), bits(&q), "{name}: {what} differs in a pipeline");
        }
        (Ok(Output::Values(p)), Ok(Output::Values(q))) => {
            let (p, q): (Vec<u64>, Vec<u64>) =
                (p.iter().map(|v| v.to_bits()).collect(), q.iter().map(|v| v.to_bits()).collect());
            assert_eq!(p, q, "{name}: {what} differs in a pipeline");
        }
        (Ok(p), Ok(q)) => assert_eq!(p, q, "{name}: {what} differs in a pipeline"),
        (Err(e), Err(f)) => assert_eq!(e, f, "{name}: {what} errors differ"),
        (p, q) => panic!("{name}: {what}: estimator {p:?} vs pipeline {q:?}"),
    }
}

fn matrix(r: oxlearn::core::Result<Array2<f64>>) -> Result<Output, String> {
    r.map(Output::Matrix).map_err(|e| e.to_string())
}

fn compare(name: &str, direct: &dyn DynFitted, piped: &dyn DynFitted, x: ArrayView2<'_, f64>) {
    assert_eq!(direct.kind(), piped.kind(), "{name}: kind");
    assert_eq!(direct.n_features_in(), piped.n_features_in(), "{name}: n_features_in");
    assert_eq!(direct.classes(), piped.classes(), "{name}: classes");
    assert_eq!(direct.labels_dyn(), piped.labels_dyn(), "{name}: labels_");
    assert_eq!(direct.n_clusters_dyn(), piped.n_clusters_dyn(), "{name}: n_clusters");
    let pred = |m: &dyn DynFitted, x: ArrayView2<'_, f64>| m.predict_dyn(x).map_err(|e| e.to_string());
    same_output(name, "predict", pred(direct, x), pred(piped, x));
    let half = x.slice(s![..x.nrows() / 2, ..]);
    same_output(name, "predict (half)", pred(direct, half), pred(piped, half));
    same_output(name, "transform", matrix(direct.transform_dyn(x)), matrix(piped.transform_dyn(x)));
    same_output(name, "predict_proba", matrix(direct.predict_proba_dyn(x)), matrix(piped.predict_proba_dyn(x)));
    same_output(
        name,
        "decision_function",
        matrix(direct.decision_function_dyn(x)),
        matrix(piped.decision_function_dyn(x)),
    );
    // Bad input fails the same way (the pipeline adds no message of its own).
    let narrow = x.slice(s![.., ..x.ncols() - 1]);
    same_output(name, "predict on too few features", pred(direct, narrow), pred(piped, narrow));
    // Output names of a transformer. (For a pipeline ending in a predictor, feature_names_out
    // names the features entering that predictor, which the estimator alone does not have.)
    if direct.kind() == EstimatorKind::Transformer {
        let names = |m: &dyn DynFitted| m.feature_names_out(None).map_err(|e| e.to_string());
        assert_eq!(names(direct), names(piped), "{name}: feature_names_out");
        let input: Vec<String> = (0..x.ncols()).map(|j| format!("f{j}")).collect();
        let named = |m: &dyn DynFitted| m.feature_names_out(Some(&input)).map_err(|e| e.to_string());
        assert_eq!(named(direct), named(piped), "{name}: feature_names_out(input)");
    }
}

#[test]
fn a_one_step_pipeline_behaves_exactly_as_its_estimator() {
    let iris = oxlearn::datasets::iris();
    let labels: Array1<Label> = iris.y.mapv(Label::Int);
    let x3 = iris.x.slice(s![.., ..3]);
    let y_reg = iris.x.column(3).to_owned();
    let mut checked = Vec::new();
    for name in registry().names() {
        let Some(mut est) = registry().estimator(name) else { continue };
        // Small and quick where the defaults are large; seeded where random.
        for (p, v) in [("n_estimators", ParamValue::Int(10)), ("max_iter", ParamValue::Int(30))] {
            let _ = est.set_param(p, &v);
        }
        let _ = est.set_param("random_state", &ParamValue::Int(0));
        let (x, y) = match est.kind() {
            EstimatorKind::Classifier => (iris.x.view(), TargetView::Labels(labels.view())),
            EstimatorKind::Regressor => (x3, TargetView::Values(y_reg.view())),
            _ => (iris.x.view(), TargetView::None),
        };
        let pipe = Pipeline::new().step("model", est.clone());
        assert_eq!(DynEstimator::kind(&pipe), est.kind(), "{name}: pipeline kind");
        assert_eq!(DynEstimator::tags(&pipe), est.tags(), "{name}: pipeline tags");
        match (est.fit_dyn(x, y), pipe.fit_dyn(x, y)) {
            (Ok(direct), Ok(piped)) => compare(name, &*direct, &*piped, x),
            // An estimator whose defaults cannot fit this data fails the same way in a pipeline.
            (Err(e), Err(f)) => assert_eq!(e.to_string(), f.to_string(), "{name}: fit errors differ"),
            (d, p) => panic!("{name}: estimator fit {:?} vs pipeline fit {:?}", d.map(|_| ()), p.map(|_| ())),
        }
        // Fit errors are the estimator's too.
        let empty = Array2::<f64>::zeros((0, x.ncols()));
        let fit_err =
            |e: &dyn DynEstimator| e.fit_dyn(empty.view(), TargetView::None).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(fit_err(&*est), fit_err(&pipe), "{name}: fit on empty input");
        checked.push(name);
    }
    assert!(checked.len() >= 30, "only {} estimators checked: {checked:?}", checked.len());
}
