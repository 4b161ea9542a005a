//! Metrics against scikit-learn golden values: every metric of `oxlearn_core::metrics` on the
//! cases of `golden/metrics_*.json` (made by `scripts/golden_metrics.py` with scikit-learn 1.9.1),
//! to 1e-9.

use ndarray::{Array1, Array2};
use oxlearn_core::Label;
use oxlearn_core::metrics::{self, Average};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn load(text: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(text).expect("golden file is valid JSON");
    assert_eq!(doc["sklearn_version"], "1.9.1");
    doc["cases"].as_array().expect("cases").clone()
}

fn labels(v: &Value) -> Array1<Label> {
    Array1::from(serde_json::from_value::<Vec<Label>>(v.clone()).expect("a list of labels"))
}

fn label(v: &Value) -> Label {
    serde_json::from_value(v.clone()).expect("a label")
}

/// Floats, with `null` standing for `+inf` (JSON has no infinity).
fn floats(v: &Value) -> Array1<f64> {
    v.as_array().expect("a list of numbers").iter().map(|x| x.as_f64().unwrap_or(f64::INFINITY)).collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Array1<f64>> = v.as_array().expect("a list of rows").iter().map(floats).collect();
    let (n, d) = (rows.len(), rows.first().map_or(0, |r| r.len()));
    Array2::from_shape_fn((n, d), |(i, j)| rows[i][j])
}

fn counts(v: &Value) -> Array2<usize> {
    matrix(v).mapv(|x| x as usize)
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// Collects every mismatch, so that one run reports all of them.
#[derive(Default)]
struct Checker {
    failures: Vec<String>,
    compared: usize,
}

impl Checker {
    fn close(&mut self, what: impl std::fmt::Display, got: f64, want: f64) {
        self.compared += 1;
        let ok = if want.is_infinite() { got == want } else { (got - want).abs() <= TOLERANCE * want.abs().max(1.0) };
        if !ok {
            self.failures.push(format!("{what}: got {got:?}, scikit-learn {want:?}"));
        }
    }

    fn close_all(&mut self, what: impl std::fmt::Display, got: &Array1<f64>, want: &Array1<f64>) {
        if got.len() != want.len() {
            self.failures.push(format!(
                "{what}: got {} values {got}, scikit-learn {} values {want}",
                got.len(),
                want.len()
            ));
            return;
        }
        for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
            self.close(format!("{what}[{i}]"), g, w);
        }
    }

    fn equal<T: PartialEq + std::fmt::Debug>(&mut self, what: impl std::fmt::Display, got: T, want: T) {
        self.compared += 1;
        if got != want {
            self.failures.push(format!("{what}: got {got:?}, scikit-learn {want:?}"));
        }
    }

    fn finish(self, min_compared: usize) {
        assert!(self.failures.is_empty(), "{} mismatches:\n{}", self.failures.len(), self.failures.join("\n"));
        assert!(self.compared >= min_compared, "only {} values compared", self.compared);
    }
}

#[test]
fn classification_metrics_match_sklearn() {
    let mut check = Checker::default();
    for case in load(include_str!("golden/metrics_classification.json")) {
        let name = case["name"].as_str().expect("name");
        let (y_true, y_pred) = (labels(&case["y_true"]), labels(&case["y_pred"]));
        let (t, p) = (y_true.view(), y_pred.view());
        check.close(format!("{name} accuracy"), metrics::accuracy_score(t, p).unwrap(), num(&case["accuracy"]));
        check.close(
            format!("{name} balanced_accuracy"),
            metrics::balanced_accuracy_score(t, p).unwrap(),
            num(&case["balanced_accuracy"]),
        );
        let mut averages = vec![("micro", Average::Micro), ("macro", Average::Macro), ("weighted", Average::Weighted)];
        if !case["pos_label"].is_null() {
            averages.push(("binary", Average::binary(label(&case["pos_label"]))));
        }
        for (avg_name, average) in averages {
            let want = |m: &str| num(&case[format!("{m}_{avg_name}")]);
            let got = metrics::precision_score(t, p, average.clone()).unwrap();
            check.close(format!("{name} precision {avg_name}"), got, want("precision"));
            let got = metrics::recall_score(t, p, average.clone()).unwrap();
            check.close(format!("{name} recall {avg_name}"), got, want("recall"));
            let got = metrics::f1_score(t, p, average).unwrap();
            check.close(format!("{name} f1 {avg_name}"), got, want("f1"));
        }
        let per_class = metrics::precision_recall_fscore_support(t, p).unwrap();
        let want = &case["per_class"];
        check.equal(format!("{name} labels"), per_class.labels.to_vec(), labels(&case["labels"]).to_vec());
        check.close_all(format!("{name} per-class precision"), &per_class.precision, &floats(&want["precision"]));
        check.close_all(format!("{name} per-class recall"), &per_class.recall, &floats(&want["recall"]));
        check.close_all(format!("{name} per-class f1"), &per_class.f1, &floats(&want["f1"]));
        check.equal(format!("{name} support"), per_class.support.mapv(|s| s as f64), floats(&want["support"]));

        let cm = metrics::confusion_matrix(t, p, None).unwrap();
        check.equal(format!("{name} confusion labels"), cm.labels.clone(), labels(&case["labels"]).to_vec());
        check.equal(format!("{name} confusion matrix"), cm.matrix, counts(&case["confusion_matrix"]));
        let subset = labels(&case["cm_labels"]).to_vec();
        let cm = metrics::confusion_matrix(t, p, Some(&subset)).unwrap();
        check.equal(format!("{name} confusion matrix with labels"), cm.matrix, counts(&case["cm_subset"]));
    }
    check.finish(180);
}

#[test]
fn roc_curve_and_auc_match_sklearn() {
    let mut check = Checker::default();
    let doc: Value = serde_json::from_str(include_str!("golden/metrics_ranking.json")).expect("valid JSON");
    for case in doc["cases"]["binary"].as_array().expect("binary cases") {
        let name = case["name"].as_str().expect("name");
        let y_true = labels(&case["y_true"]);
        let y_score = floats(&case["y_score"]);
        let pos_label = (!case["pos_label"].is_null()).then(|| label(&case["pos_label"]));
        let roc = metrics::roc_curve(y_true.view(), y_score.view(), pos_label.as_ref()).unwrap();
        check.close_all(format!("{name} fpr"), &roc.fpr, &floats(&case["fpr"]));
        check.close_all(format!("{name} tpr"), &roc.tpr, &floats(&case["tpr"]));
        check.close_all(format!("{name} thresholds"), &roc.thresholds, &floats(&case["thresholds"]));
        if pos_label.is_none() {
            let got = metrics::roc_auc_score(y_true.view(), y_score.view()).unwrap();
            check.close(format!("{name} roc_auc"), got, num(&case["roc_auc"]));
            let area = metrics::auc(roc.fpr.view(), roc.tpr.view()).unwrap();
            check.close(format!("{name} auc of the curve"), area, num(&case["roc_auc"]));
        }
    }
    for case in doc["cases"]["ovr"].as_array().expect("ovr cases") {
        let name = case["name"].as_str().expect("name");
        let y_true = labels(&case["y_true"]);
        let y_proba = matrix(&case["y_proba"]);
        for (avg_name, average) in
            [("macro", Average::Macro), ("weighted", Average::Weighted), ("micro", Average::Micro)]
        {
            let got = metrics::roc_auc_score_ovr(y_true.view(), y_proba.view(), average).unwrap();
            check.close(format!("{name} ovr {avg_name}"), got, num(&case[format!("auc_{avg_name}")]));
        }
    }
    check.finish(270);
}

#[test]
fn log_loss_matches_sklearn() {
    let mut check = Checker::default();
    for case in load(include_str!("golden/metrics_log_loss.json")) {
        let name = case["name"].as_str().expect("name");
        let y_true = labels(&case["y_true"]);
        let y_proba = matrix(&case["y_proba"]);
        let given = (!case["labels"].is_null()).then(|| labels(&case["labels"]).to_vec());
        let got = metrics::log_loss(y_true.view(), y_proba.view(), given.as_deref()).unwrap();
        check.close(format!("{name} log_loss"), got, num(&case["log_loss"]));
    }
    check.finish(6);
}

#[test]
fn regression_metrics_match_sklearn() {
    let mut check = Checker::default();
    type Metric = fn(ndarray::ArrayView1<'_, f64>, ndarray::ArrayView1<'_, f64>) -> oxlearn_core::Result<f64>;
    let all: [(&str, Metric); 6] = [
        ("r2", metrics::r2_score),
        ("mse", metrics::mean_squared_error),
        ("rmse", metrics::root_mean_squared_error),
        ("mae", metrics::mean_absolute_error),
        ("median_ae", metrics::median_absolute_error),
        ("explained_variance", metrics::explained_variance_score),
    ];
    for case in load(include_str!("golden/metrics_regression.json")) {
        let name = case["name"].as_str().expect("name");
        let (y_true, y_pred) = (floats(&case["y_true"]), floats(&case["y_pred"]));
        for (key, metric) in all {
            check.close(format!("{name} {key}"), metric(y_true.view(), y_pred.view()).unwrap(), num(&case[key]));
        }
    }
    check.finish(30);
}

#[test]
fn clustering_metrics_match_sklearn() {
    let mut check = Checker::default();
    let doc: Value = serde_json::from_str(include_str!("golden/metrics_clustering.json")).expect("valid JSON");
    for case in doc["cases"]["ari"].as_array().expect("ari cases") {
        let name = case["name"].as_str().expect("name");
        let (a, b) = (labels(&case["labels_true"]), labels(&case["labels_pred"]));
        check.close(
            format!("{name} ari"),
            metrics::adjusted_rand_score(a.view(), b.view()).unwrap(),
            num(&case["ari"]),
        );
        // Symmetric in its arguments.
        check.close(
            format!("{name} ari swapped"),
            metrics::adjusted_rand_score(b.view(), a.view()).unwrap(),
            num(&case["ari"]),
        );
    }
    for case in doc["cases"]["silhouette"].as_array().expect("silhouette cases") {
        let name = case["name"].as_str().expect("name");
        let (x, l) = (matrix(&case["x"]), labels(&case["labels"]));
        let got = metrics::silhouette_score(x.view(), l.view()).unwrap();
        check.close(format!("{name} silhouette"), got, num(&case["silhouette"]));
        // Fortran-order input gives the same value.
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        let got = metrics::silhouette_score(fortran.view(), l.view()).unwrap();
        check.close(format!("{name} silhouette (fortran order)"), got, num(&case["silhouette"]));
    }
    check.finish(16);
}

#[test]
fn native_label_types_agree_with_dynamic_labels() {
    // The golden cases use the dynamic `Label`; plain `&str` and `i64` labels give the same values.
    let case = &load(include_str!("golden/metrics_classification.json"))[4];
    assert_eq!(case["name"], "multiclass_str");
    let strs = |v: &Value| -> Vec<String> { serde_json::from_value(v.clone()).expect("strings") };
    let (t, p) = (strs(&case["y_true"]), strs(&case["y_pred"]));
    let t: Array1<&str> = t.iter().map(String::as_str).collect();
    let p: Array1<&str> = p.iter().map(String::as_str).collect();
    let f1 = metrics::f1_score(t.view(), p.view(), Average::Weighted).unwrap();
    assert!((f1 - num(&case["f1_weighted"])).abs() < TOLERANCE);
    let cm = metrics::confusion_matrix(t.view(), p.view(), None).unwrap();
    assert_eq!(cm.labels, vec!["bird", "cat", "dog"]);
    assert_eq!(cm.matrix, counts(&case["confusion_matrix"]));

    let case = &load(include_str!("golden/metrics_classification.json"))[0];
    let ints =
        |v: &Value| -> Array1<i64> { Array1::from(serde_json::from_value::<Vec<i64>>(v.clone()).expect("ints")) };
    let (t, p) = (ints(&case["y_true"]), ints(&case["y_pred"]));
    let r = metrics::recall_score(t.view(), p.view(), Average::binary(1)).unwrap();
    assert!((r - num(&case["recall_binary"])).abs() < TOLERANCE);
}
