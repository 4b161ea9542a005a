//! `sample_weight` (`fit_weighted`) and `class_weight`: integer weights equal repeated rows,
//! uniform weights equal no weights, zero weights equal dropped rows, agreement with
//! scikit-learn (golden file from `scripts/golden_weights.py`), and typed errors for bad weights.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, array};
use oxlearn_algorithms::{
    ClassWeight, DecisionFunctionShape, DecisionTreeClassifier, DecisionTreeRegressor, ElasticNet,
    ExtraTreesClassifier, ExtraTreesRegressor, Gamma, GaussianNB, KNeighborsClassifier, Lasso, LinearRegression,
    LinearSVC, LogisticRegression, MaxFeatures, RandomForestClassifier, RandomForestRegressor, Ridge, SVC, SVR, Solver,
    SvmKernel, TreeCriterion,
};
use oxlearn_core::prelude::*;
use oxlearn_core::{Error, Input, ParamValue};

fn golden() -> serde_json::Value {
    serde_json::from_str(include_str!("data/weights_golden.json")).expect("golden json")
}

fn floats(v: &serde_json::Value) -> Array1<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn matrix(v: &serde_json::Value) -> Array2<f64> {
    let rows: Vec<Array1<f64>> = v.as_array().expect("array").iter().map(floats).collect();
    let views: Vec<ArrayView1<'_, f64>> = rows.iter().map(|r| r.view()).collect();
    ndarray::stack(Axis(0), &views).expect("rectangular")
}

fn labels(v: &serde_json::Value) -> Array1<i64> {
    v.as_array().expect("array").iter().map(|x| x.as_i64().expect("integer")).collect()
}

fn assert_close(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>, tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (u, v)) in a.iter().zip(b.iter()).enumerate() {
        assert!((u - v).abs() <= tol * (1.0 + v.abs()), "{what}[{i}]: {u} vs {v}");
    }
}

fn assert_close2(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>, tol: f64, what: &str) {
    assert_eq!(a.dim(), b.dim(), "{what}: shapes");
    for (i, (u, v)) in a.iter().zip(b.iter()).enumerate() {
        assert!((u - v).abs() <= tol * (1.0 + v.abs()), "{what}[{i}]: {u} vs {v}");
    }
}

/// A small regression problem and integer weights (some zero).
fn reg_data() -> (Array2<f64>, Array1<f64>, Array1<f64>) {
    let n = 30;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * 37 + j * 11) % 17) as f64 / 4.0 - 2.0 + (i as f64).sin());
    let y = Array1::from_shape_fn(n, |i| {
        1.5 * x[[i, 0]] - 2.0 * x[[i, 1]] + 0.5 * x[[i, 2]] + 0.3 + ((i * 7) % 5) as f64 * 0.2
    });
    let w = Array1::from_shape_fn(n, |i| ((i * 5) % 4) as f64);
    (x, y, w)
}

/// A small imbalanced classification problem with `k` classes and integer weights (some zero).
fn clf_data(k: usize) -> (Array2<f64>, Array1<i64>, Array1<f64>) {
    let n = 45;
    let class = |i: usize| if i % 9 < 6 { 0 } else { 1 + i % (k - 1) };
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        let c = class(i) as f64;
        c * if j == 0 { 1.5 } else { -1.0 } + ((i * 31 + j * 7) % 13) as f64 / 5.0 - 1.2
    });
    let y = Array1::from_shape_fn(n, |i| class(i) as i64 * 10);
    let w = Array1::from_shape_fn(n, |i| ((i * 7) % 4) as f64);
    (x, y, w)
}

/// Each row repeated as many times as its (integer) weight.
fn repeat<T: Clone>(x: ArrayView2<'_, f64>, y: ArrayView1<'_, T>, w: ArrayView1<'_, f64>) -> (Array2<f64>, Array1<T>) {
    let mut rows = Vec::new();
    let mut ys = Vec::new();
    for (i, &wi) in w.iter().enumerate() {
        for _ in 0..wi as usize {
            rows.push(x.row(i));
            ys.push(y[i].clone());
        }
    }
    (ndarray::stack(Axis(0), &rows).expect("rows"), Array1::from(ys))
}

/// The rows of positive weight.
fn drop_zero<T: Clone>(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, T>,
    w: ArrayView1<'_, f64>,
) -> (Array2<f64>, Array1<T>, Array1<f64>) {
    let keep: Vec<usize> = (0..w.len()).filter(|&i| w[i] > 0.0).collect();
    (x.select(Axis(0), &keep), keep.iter().map(|&i| y[i].clone()).collect(), w.select(Axis(0), &keep))
}

macro_rules! linear_checks {
    ($model:expr, $tol:expr, $uniform:expr) => {{
        let (x, y, w) = reg_data();
        let model = $model;
        let weighted = model.fit_weighted(&x, &y, &w).unwrap();
        let (xr, yr) = repeat(x.view(), y.view(), w.view());
        let repeated = model.fit(&xr, &yr).unwrap();
        assert_close(weighted.coef(), repeated.coef(), $tol, "coef vs repeated rows");
        assert!((weighted.intercept() - repeated.intercept()).abs() < $tol, "intercept vs repeated rows");
        let (xd, yd, wd) = drop_zero(x.view(), y.view(), w.view());
        let dropped = model.fit_weighted(&xd, &yd, &wd).unwrap();
        assert_close(weighted.coef(), dropped.coef(), $tol, "coef vs dropped rows");
        let uniform = model.fit_weighted(&x, &y, &Array1::from_elem(x.nrows(), $uniform)).unwrap();
        let plain = model.fit(&x, &y).unwrap();
        assert_close(uniform.coef(), plain.coef(), $tol, "uniform weights");
        assert!((uniform.intercept() - plain.intercept()).abs() < $tol);
    }};
}

#[test]
fn linear_regressors_weights_equal_repeated_rows() {
    linear_checks!(LinearRegression::default(), 1e-9, 2.5);
    linear_checks!(LinearRegression::default().solver(Solver::Svd), 1e-9, 2.5);
    linear_checks!(LinearRegression::default().fit_intercept(false), 1e-9, 2.5);
    // Ridge's penalty is not rescaled by the weights (as scikit-learn): uniform weights of 1 only.
    linear_checks!(Ridge::default().alpha(0.7), 1e-9, 1.0);
    linear_checks!(Ridge::default().alpha(0.7).solver(Solver::Svd), 1e-9, 1.0);
    linear_checks!(Lasso::default().alpha(0.05).tol(1e-12).max_iter(100_000), 1e-7, 2.5);
    linear_checks!(ElasticNet::default().alpha(0.05).tol(1e-12).max_iter(100_000), 1e-7, 2.5);
}

#[test]
fn linear_regressors_match_scikit_learn() {
    let g = golden();
    let r = &g["reg"];
    let (x, y, w) = (matrix(&r["x"]), floats(&r["y"]), floats(&r["w"]));
    let check = |name: &str, coef: ArrayView1<'_, f64>, intercept: f64, tol: f64| {
        assert_close(coef, floats(&r[name]["coef"]).view(), tol, name);
        let want = r[name]["intercept"].as_f64().unwrap();
        assert!((intercept - want).abs() < tol, "{name} intercept: {intercept} vs {want}");
    };
    let m = LinearRegression::default().fit_weighted(&x, &y, &w).unwrap();
    check("linear", m.coef(), m.intercept(), 1e-10);
    let m = Ridge::default().alpha(1.0).fit_weighted(&x, &y, &w).unwrap();
    check("ridge", m.coef(), m.intercept(), 1e-10);
    let m = Lasso::default().alpha(0.05).tol(1e-12).max_iter(100_000).fit_weighted(&x, &y, &w).unwrap();
    check("lasso", m.coef(), m.intercept(), 1e-8);
    let m = ElasticNet::default().alpha(0.05).tol(1e-12).max_iter(100_000).fit_weighted(&x, &y, &w).unwrap();
    check("enet", m.coef(), m.intercept(), 1e-8);
    let m = SVR::default().tol(1e-10).fit_weighted(&x, &y, &w).unwrap();
    assert_close(m.predict(&x).unwrap().view(), floats(&r["svr_pred"]).view(), 1e-6, "svr");
    assert!(m.support().iter().all(|&i| w[i] > 0.0));
    let wt = floats(&r["w_tree"]);
    let t = DecisionTreeRegressor::default().max_depth(3).seed(0).fit_weighted(&x, &y, &wt).unwrap();
    assert_close(t.predict(&x).unwrap().view(), floats(&r["tree_pred"]).view(), 1e-12, "tree regressor");
}

#[test]
fn logistic_regression_weights_equal_repeated_rows() {
    for k in [2, 3] {
        let (x, y, w) = clf_data(k);
        let model = LogisticRegression::default().tol(1e-10).max_iter(10_000);
        let weighted = model.fit_weighted(&x, &y, &w).unwrap();
        assert!(weighted.converged());
        let (xr, yr) = repeat(x.view(), y.view(), w.view());
        let repeated = model.fit(&xr, &yr).unwrap();
        assert_close2(weighted.coef(), repeated.coef(), 1e-6, "logreg coef vs repeated");
        assert_close(weighted.intercept(), repeated.intercept(), 1e-6, "logreg intercept vs repeated");
        let (xd, yd, wd) = drop_zero(x.view(), y.view(), w.view());
        let dropped = model.fit_weighted(&xd, &yd, &wd).unwrap();
        assert_close2(weighted.coef(), dropped.coef(), 1e-6, "logreg coef vs dropped");
        // As scikit-learn, the penalty is not rescaled: weights of `c` everywhere act as `C · c`.
        let uniform = model.fit_weighted(&x, &y, &Array1::from_elem(x.nrows(), 3.0)).unwrap();
        let plain = model.clone().c(3.0).fit(&x, &y).unwrap();
        assert_close2(uniform.coef(), plain.coef(), 1e-6, "logreg uniform");
        let ones = model.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
        let plain = model.fit(&x, &y).unwrap();
        assert_close2(ones.coef(), plain.coef(), 1e-12, "logreg weights of 1");
        // An explicit class weight is a sample weight per class.
        let cw = ClassWeight::explicit([(10, 3.0)]);
        let by_class = model.clone().class_weight(cw).fit(&x, &y).unwrap();
        let sw = y.mapv(|c| if c == 10 { 3.0 } else { 1.0 });
        let by_sample = model.fit_weighted(&x, &y, &sw).unwrap();
        assert_close2(by_class.coef(), by_sample.coef(), 1e-9, "class weight as sample weight");
    }
}

#[test]
fn logistic_regression_matches_scikit_learn() {
    let g = golden();
    for case in ["bin", "multi"] {
        let c = &g[case];
        let (x, y, w) = (matrix(&c["x"]), labels(&c["y"]), floats(&c["w"]));
        let model = LogisticRegression::default().tol(1e-10).max_iter(10_000);
        let balanced = model.clone().class_weight(ClassWeight::Balanced).fit(&x, &y).unwrap();
        assert_close2(balanced.coef(), matrix(&c["logreg_balanced"]["coef"]).view(), 1e-5, "balanced coef");
        assert_close(
            balanced.intercept(),
            floats(&c["logreg_balanced"]["intercept"]).view(),
            1e-5,
            "balanced intercept",
        );
        let weighted = model.fit_weighted(&x, &y, &w).unwrap();
        assert_close2(weighted.coef(), matrix(&c["logreg_weighted"]["coef"]).view(), 1e-5, "weighted coef");
        assert_close(
            weighted.intercept(),
            floats(&c["logreg_weighted"]["intercept"]).view(),
            1e-5,
            "weighted intercept",
        );
        // Balanced weights shift the boundary toward the majority class: more minority predictions.
        let plain = model.fit(&x, &y).unwrap();
        let minority = |p: Array1<i64>| p.iter().filter(|&&c| c != 0).count();
        assert!(minority(balanced.predict(&x).unwrap()) >= minority(plain.predict(&x).unwrap()));
    }
}

#[test]
fn gaussian_nb_weights() {
    let (x, y, w) = clf_data(3);
    let model = GaussianNB::default().var_smoothing(0.0);
    let weighted = model.fit_weighted(&x, &y, &w).unwrap();
    let (xr, yr) = repeat(x.view(), y.view(), w.view());
    let repeated = model.fit(&xr, &yr).unwrap();
    assert_close2(weighted.theta(), repeated.theta(), 1e-12, "theta");
    assert_close2(weighted.var(), repeated.var(), 1e-12, "var");
    assert_close(weighted.class_prior(), repeated.class_prior(), 1e-12, "prior");
    assert_close(weighted.class_count(), repeated.class_count(), 1e-12, "count");
    let g = golden();
    for case in ["bin", "multi"] {
        let c = &g[case];
        let (x, y, w) = (matrix(&c["x"]), labels(&c["y"]), floats(&c["w"]));
        let m = GaussianNB::default().fit_weighted(&x, &y, &w).unwrap();
        assert_close2(m.theta(), matrix(&c["nb_weighted"]["theta"]).view(), 1e-10, "nb theta");
        assert_close2(m.var(), matrix(&c["nb_weighted"]["var"]).view(), 1e-10, "nb var");
        assert_close(m.class_prior(), floats(&c["nb_weighted"]["class_prior"]).view(), 1e-12, "nb prior");
    }
}

#[test]
fn decision_trees_weights_equal_repeated_rows() {
    let grid = Array2::from_shape_fn((64, 2), |(i, j)| (if j == 0 { i % 8 } else { i / 8 }) as f64 * 0.7 - 2.5);
    for k in [2, 3] {
        let (x, y, w) = clf_data(k);
        for criterion in [TreeCriterion::Gini, TreeCriterion::Entropy] {
            let model = DecisionTreeClassifier::default().criterion(criterion).seed(3);
            let weighted = model.fit_weighted(&x, &y, &w).unwrap();
            let (xr, yr) = repeat(x.view(), y.view(), w.view());
            let repeated = model.fit(&xr, &yr).unwrap();
            assert_eq!(weighted.tree().node_count(), repeated.tree().node_count());
            assert_close2(
                weighted.predict_proba(&grid).unwrap().view(),
                repeated.predict_proba(&grid).unwrap().view(),
                1e-12,
                "tree proba vs repeated",
            );
            let uniform = model.fit_weighted(&x, &y, &Array1::from_elem(x.nrows(), 0.5)).unwrap();
            let plain = model.fit(&x, &y).unwrap();
            assert_eq!(uniform.predict(&grid).unwrap(), plain.predict(&grid).unwrap());
            // Real-valued weights (the entropy path without its table) still fit the data.
            let real = model.fit_weighted(&x, &y, &w.mapv(|v| v * 0.37 + 0.01)).unwrap();
            assert!(real.score(&x, &y).unwrap() > 0.9);
        }
    }
    let (x, y, w) = reg_data();
    let model = DecisionTreeRegressor::default().max_depth(4).seed(1);
    let weighted = model.fit_weighted(&x, &y, &w).unwrap();
    let (xr, yr) = repeat(x.view(), y.view(), w.view());
    let repeated = model.fit(&xr, &yr).unwrap();
    let grid = Array2::from_shape_fn((27, 3), |(i, j)| ((i / 3usize.pow(j as u32)) % 3) as f64 * 1.5 - 1.5);
    assert_close(weighted.predict(&grid).unwrap().view(), repeated.predict(&grid).unwrap().view(), 1e-9, "tree reg");
    // min_weight_fraction_leaf counts weight: a leaf needs 20% of the total weight.
    let m = DecisionTreeRegressor::default().min_weight_fraction_leaf(0.2).seed(0).fit_weighted(&x, &y, &w).unwrap();
    let t = m.tree();
    let total = t.weighted_n_node_samples(0);
    assert_eq!(total, w.sum());
    for i in (0..t.node_count()).filter(|&i| t.is_leaf(i)) {
        assert!(t.weighted_n_node_samples(i) >= 0.2 * total - 1e-9);
    }
}

#[test]
fn decision_tree_classifier_matches_scikit_learn() {
    let g = golden();
    for case in ["bin", "multi"] {
        let c = &g[case];
        let (x, y) = (matrix(&c["x"]), labels(&c["y"]));
        let balanced =
            DecisionTreeClassifier::default().max_depth(3).seed(0).class_weight(ClassWeight::Balanced).fit(&x, &y);
        let proba = balanced.unwrap().predict_proba(&x).unwrap();
        assert_close2(proba.view(), matrix(&c["tree_balanced_proba"]).view(), 1e-9, "tree balanced");
        let wt = floats(&c["w_tree"]);
        let weighted = DecisionTreeClassifier::default().max_depth(3).seed(0).fit_weighted(&x, &y, &wt).unwrap();
        let proba = weighted.predict_proba(&x).unwrap();
        assert_close2(proba.view(), matrix(&c["tree_weighted_proba"]).view(), 1e-9, "tree weighted");
    }
}

#[test]
fn forests_weights() {
    let (x, y, w) = clf_data(3);
    let model = RandomForestClassifier::default().n_estimators(15).seed(5).n_jobs(2);
    // Weights of 1 are the unweighted forest: the same bootstrap draws and the same trees.
    let ones = model.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
    let plain = model.fit(&x, &y).unwrap();
    assert_eq!(ones.predict_proba(&x).unwrap(), plain.predict_proba(&x).unwrap());
    // Without bootstrap and with every feature, each tree is a decision tree: integer weights
    // are repeated rows.
    let exact = model.clone().bootstrap(false).max_features(MaxFeatures::All);
    let (xr, yr) = repeat(x.view(), y.view(), w.view());
    let weighted = exact.fit_weighted(&x, &y, &w).unwrap();
    let repeated = exact.fit(&xr, &yr).unwrap();
    assert_close2(
        weighted.predict_proba(&x).unwrap().view(),
        repeated.predict_proba(&x).unwrap().view(),
        1e-12,
        "forest",
    );
    // A class whose samples all weigh 0 is never predicted.
    let w0 = y.mapv(|c| if c == 10 { 0.0 } else { 1.0 });
    let f = model.fit_weighted(&x, &y, &w0).unwrap();
    assert!(f.predict_proba(&x).unwrap().column(1).iter().all(|&p| p == 0.0));
    // class_weight: balanced lifts the minority classes; balanced_subsample runs per tree and
    // is balanced itself without bootstrap.
    let plain_minority = plain.predict(&x).unwrap().iter().filter(|&&c| c != 0).count();
    let bal = model.clone().class_weight(ClassWeight::Balanced).fit(&x, &y).unwrap();
    assert!(bal.predict(&x).unwrap().iter().filter(|&&c| c != 0).count() >= plain_minority);
    let sub = model.clone().class_weight(ClassWeight::BalancedSubsample).fit_weighted(&x, &y, &w).unwrap();
    assert!(sub.score(&x, &y).unwrap() > 0.8);
    let sub = exact.clone().class_weight(ClassWeight::BalancedSubsample).fit(&x, &y).unwrap();
    let bal = exact.clone().class_weight(ClassWeight::Balanced).fit(&x, &y).unwrap();
    assert_eq!(sub.predict_proba(&x).unwrap(), bal.predict_proba(&x).unwrap());

    // Extra-trees share the forest code: weights of 1 change nothing, class weights apply.
    let et = ExtraTreesClassifier::default().n_estimators(10).seed(4);
    let ones = et.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
    assert_eq!(ones.predict_proba(&x).unwrap(), et.fit(&x, &y).unwrap().predict_proba(&x).unwrap());
    let f = et.clone().class_weight(ClassWeight::Balanced).fit_weighted(&x, &y, &w0).unwrap();
    assert!(f.predict_proba(&x).unwrap().column(1).iter().all(|&p| p == 0.0));

    let (x, y, w) = reg_data();
    let et = ExtraTreesRegressor::default().n_estimators(10).seed(4);
    let ones = et.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
    assert_eq!(ones.predict(&x).unwrap(), et.fit(&x, &y).unwrap().predict(&x).unwrap());
    let model = RandomForestRegressor::default().n_estimators(10).seed(2).n_jobs(2);
    let ones = model.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
    assert_eq!(ones.predict(&x).unwrap(), model.fit(&x, &y).unwrap().predict(&x).unwrap());
    let exact = model.clone().bootstrap(false);
    let (xr, yr) = repeat(x.view(), y.view(), w.view());
    assert_close(
        exact.fit_weighted(&x, &y, &w).unwrap().predict(&x).unwrap().view(),
        exact.fit(&xr, &yr).unwrap().predict(&x).unwrap().view(),
        1e-9,
        "forest regressor",
    );
}

#[test]
fn svms_weights_equal_repeated_rows() {
    for k in [2, 3] {
        let (x, y, w) = clf_data(k);
        let (xr, yr) = repeat(x.view(), y.view(), w.view());
        let (xd, yd, wd) = drop_zero(x.view(), y.view(), w.view());
        // A fixed gamma: `Gamma::Scale` reads the variance of X, which repeating rows changes.
        let svc = SVC::default()
            .kernel(SvmKernel::Rbf)
            .gamma(Gamma::Value(0.5))
            .tol(1e-10)
            .decision_function_shape(DecisionFunctionShape::Ovo);
        let weighted = svc.fit_weighted(&x, &y, &w).unwrap();
        let repeated = svc.fit(&xr, &yr).unwrap();
        let dropped = svc.fit_weighted(&xd, &yd, &wd).unwrap();
        let dec = weighted.decision_function(&x).unwrap();
        assert_close2(dec.view(), repeated.decision_function(&x).unwrap().view(), 1e-6, "svc vs repeated");
        assert_close2(dec.view(), dropped.decision_function(&x).unwrap().view(), 1e-9, "svc vs dropped");
        let ones = svc.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
        assert_close2(
            ones.decision_function(&x).unwrap().view(),
            svc.fit(&x, &y).unwrap().decision_function(&x).unwrap().view(),
            1e-12,
            "svc weights of 1",
        );
        // An explicit class weight is a sample weight per class.
        let by_class = svc.clone().class_weight(ClassWeight::explicit([(0, 2.0)])).fit(&x, &y).unwrap();
        let by_sample = svc.fit_weighted(&x, &y, &y.mapv(|c| if c == 0 { 2.0 } else { 1.0 })).unwrap();
        assert_close2(
            by_class.decision_function(&x).unwrap().view(),
            by_sample.decision_function(&x).unwrap().view(),
            1e-6,
            "svc class weight",
        );
        // The dual coordinate descent converges slowly at tight tolerances: a looser check.
        for (dual, tol, max_iter, close) in [(false, 1e-12, 100_000, 1e-6), (true, 1e-8, 20_000, 2e-3)] {
            let lsvc = LinearSVC::default().dual(Some(dual)).tol(tol).max_iter(max_iter).seed(0);
            let weighted = lsvc.fit_weighted(&x, &y, &w).unwrap();
            let repeated = lsvc.fit(&xr, &yr).unwrap();
            assert_close2(weighted.coef(), repeated.coef(), close, "linear svc vs repeated");
            assert_close(weighted.intercept(), repeated.intercept(), close, "linear svc intercept");
            let ones = lsvc.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
            assert_close2(ones.coef(), lsvc.fit(&x, &y).unwrap().coef(), 1e-12, "linear svc weights of 1");
        }
    }
}

#[test]
fn svr_weights_equal_repeated_rows() {
    let (x, y, w) = reg_data();
    let svr = SVR::default().gamma(Gamma::Value(0.3)).c(3.0).tol(1e-10);
    let weighted = svr.fit_weighted(&x, &y, &w).unwrap();
    let (xr, yr) = repeat(x.view(), y.view(), w.view());
    let repeated = svr.fit(&xr, &yr).unwrap();
    let (xd, yd, wd) = drop_zero(x.view(), y.view(), w.view());
    let dropped = svr.fit_weighted(&xd, &yd, &wd).unwrap();
    let pred = weighted.predict(&x).unwrap();
    assert_close(pred.view(), repeated.predict(&x).unwrap().view(), 1e-6, "svr vs repeated");
    assert_close(pred.view(), dropped.predict(&x).unwrap().view(), 1e-9, "svr vs dropped");
    let ones = svr.fit_weighted(&x, &y, &Array1::ones(x.nrows())).unwrap();
    assert_close(ones.predict(&x).unwrap().view(), svr.fit(&x, &y).unwrap().predict(&x).unwrap().view(), 1e-12, "ones");
}

#[test]
fn svms_match_scikit_learn() {
    let g = golden();
    for case in ["bin", "multi"] {
        let c = &g[case];
        let (x, y, w) = (matrix(&c["x"]), labels(&c["y"]), floats(&c["w"]));
        let svc = SVC::default().tol(1e-10).decision_function_shape(DecisionFunctionShape::Ovo);
        let m = svc.clone().class_weight(ClassWeight::Balanced).fit(&x, &y).unwrap();
        assert_close2(
            m.decision_function(&x).unwrap().view(),
            matrix(&c["svc_balanced_dec"]).view(),
            1e-6,
            "svc balanced",
        );
        let m = svc.fit_weighted(&x, &y, &w).unwrap();
        assert_close2(
            m.decision_function(&x).unwrap().view(),
            matrix(&c["svc_weighted_dec"]).view(),
            1e-6,
            "svc weighted",
        );
        let lsvc = LinearSVC::default().dual(Some(false)).tol(1e-12).max_iter(100_000).seed(0);
        let m = lsvc.clone().class_weight(ClassWeight::Balanced).fit(&x, &y).unwrap();
        assert_close2(m.coef(), matrix(&c["linear_svc_balanced"]["coef"]).view(), 1e-5, "linear svc balanced");
        assert_close(
            m.intercept(),
            floats(&c["linear_svc_balanced"]["intercept"]).view(),
            1e-5,
            "linear svc balanced intercept",
        );
        let m = lsvc.fit_weighted(&x, &y, &w).unwrap();
        assert_close2(m.coef(), matrix(&c["linear_svc_weighted"]["coef"]).view(), 1e-5, "linear svc weighted");
        assert_close(
            m.intercept(),
            floats(&c["linear_svc_weighted"]["intercept"]).view(),
            1e-5,
            "linear svc weighted intercept",
        );
    }
}

#[test]
fn class_weight_params() {
    let (x, y, _) = clf_data(2);
    let mut lr = LogisticRegression::default();
    lr.set_param("class_weight", &ParamValue::from("balanced")).unwrap();
    assert_eq!(lr, LogisticRegression::default().class_weight(ClassWeight::Balanced));
    lr.set_param("class_weight", &ParamValue::None).unwrap();
    assert_eq!(lr, LogisticRegression::default());
    assert!(lr.set_param("class_weight", &ParamValue::from("often")).is_err());
    let mut forest = RandomForestClassifier::default();
    forest.set_param("class_weight", &ParamValue::from("balanced_subsample")).unwrap();
    let mut tree = DecisionTreeClassifier::default();
    tree.set_param("class_weight", &ParamValue::from("balanced")).unwrap();
    // balanced_subsample is for forests only; explicit weights must be valid and name classes.
    let bad = DecisionTreeClassifier::default().class_weight(ClassWeight::BalancedSubsample).fit(&x, &y);
    assert!(matches!(bad, Err(Error::InvalidParam { .. })), "{bad:?}");
    let bad = LogisticRegression::default().class_weight(ClassWeight::explicit([(0, -1.0)])).fit(&x, &y);
    assert!(matches!(bad, Err(Error::InvalidParam { ref reason, .. }) if reason.contains("-1")), "{bad:?}");
    let bad = LogisticRegression::default().class_weight(ClassWeight::explicit([(7, 2.0)])).fit(&x, &y);
    assert!(matches!(bad, Err(Error::InvalidParam { ref reason, .. }) if reason.contains("class 7")), "{bad:?}");
    let bad = LogisticRegression::default().class_weight(ClassWeight::Balanced).solver(Solver::Linfa).fit(&x, &y);
    assert!(matches!(bad, Err(Error::InvalidParam { .. })), "{bad:?}");
    // String labels.
    let ys = y.mapv(|c| if c == 0 { "no".to_string() } else { "yes".to_string() });
    let m = DecisionTreeClassifier::default().seed(0).class_weight(ClassWeight::explicit([("yes", 5.0)])).fit(&x, &ys);
    assert!(m.is_ok());
}

#[test]
fn bad_sample_weights_are_typed_errors() {
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![0.0, 1.0, 2.0, 3.0];
    let model = Ridge::default();
    let err = model.fit_weighted(&x, &y, &array![1.0, 1.0, 1.0]).unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { x_rows: 4, other: "sample_weight", other_rows: 3, .. }), "{err}");
    let err = model.fit_weighted(&x, &y, &array![1.0, f64::NAN, 1.0, 1.0]).unwrap_err();
    assert!(matches!(err, Error::NonFinite { input: Input::SampleWeight, row: 1, .. }), "{err}");
    let err = model.fit_weighted(&x, &y, &array![1.0, 1.0, -2.5, 1.0]).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(ref m) if m.contains("-2.5") && m.contains("row 2")), "{err}");
    let err = model.fit_weighted(&x, &y, &array![0.0, 0.0, 0.0, 0.0]).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(ref m) if m.contains("all zero")), "{err}");
    let labels = array![0, 0, 1, 1];
    let err = LogisticRegression::default().fit_weighted(&x, &labels, &array![1.0, f64::INFINITY, 1.0, 1.0]);
    assert!(matches!(err, Err(Error::NonFinite { input: Input::SampleWeight, row: 1, .. })), "{err:?}");
    // Class weights that zero every sample.
    let err = DecisionTreeClassifier::default().class_weight(ClassWeight::explicit([(0, 0.0)])).fit_weighted(
        &x,
        &labels,
        &array![1.0, 1.0, 0.0, 0.0],
    );
    assert!(matches!(err, Err(Error::InvalidInput(_))), "{err:?}");
    // Estimators without weights say so (scikit-learn's KNN has none either).
    assert!(!KNeighborsClassifier::default().tags().sample_weight);
    let err = KNeighborsClassifier::default().fit_weighted(&x, &labels, &array![1.0, 1.0, 1.0, 1.0]);
    assert!(matches!(err, Err(Error::Unsupported { operation: "sample_weight", .. })), "{err:?}");
    for tags in [
        LinearRegression::default().tags(),
        Ridge::default().tags(),
        Lasso::default().tags(),
        LogisticRegression::default().tags(),
        GaussianNB::default().tags(),
        DecisionTreeClassifier::default().tags(),
        RandomForestRegressor::default().tags(),
        SVC::default().tags(),
        SVR::default().tags(),
        LinearSVC::default().tags(),
    ] {
        assert!(tags.sample_weight);
    }
}
