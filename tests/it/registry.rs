//! The model-type registry: (a) every registered estimator round-trips through a model file
//! with bit-identical predictions; (b) every public estimator of the workspace is registered.

use std::collections::BTreeSet;
use std::path::Path;

use ndarray::{Array1, s};
use oxlearn::core::{DynFitted, EstimatorKind, Label, ParamValue, TargetView};
use oxlearn::pipeline::persist;
use oxlearn::registry::registry;

fn same_bits(a: &ndarray::Array2<f64>, b: &ndarray::Array2<f64>) -> bool {
    a.dim() == b.dim() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn assert_same(name: &str, a: &dyn DynFitted, b: &dyn DynFitted, x: ndarray::ArrayView2<'_, f64>) {
    match (a.predict_dyn(x), b.predict_dyn(x)) {
        (Ok(p), Ok(q)) => {
            if let (oxlearn::core::Output::Matrix(p), oxlearn::core::Output::Matrix(q)) = (&p, &q) {
                assert!(same_bits(p, q), "{name}: transform differs after loading");
            } else {
                assert_eq!(p, q, "{name}: predictions differ after loading");
            }
        }
        (Err(e), Err(f)) => assert_eq!(e.to_string(), f.to_string(), "{name}"),
        (p, q) => panic!("{name}: {p:?} vs {q:?}"),
    }
    if let (Ok(p), Ok(q)) = (a.predict_proba_dyn(x), b.predict_proba_dyn(x)) {
        assert!(same_bits(&p, &q), "{name}: predict_proba differs after loading");
    }
    assert_eq!(a.labels_dyn(), b.labels_dyn(), "{name}");
    assert_eq!(a.classes(), b.classes(), "{name}");
}

#[test]
fn every_registered_estimator_round_trips_through_a_file() {
    let iris = oxlearn::datasets::iris();
    let labels: Array1<Label> = iris.y.mapv(Label::Int);
    let x3 = iris.x.slice(s![.., ..3]);
    let y_reg = iris.x.column(3).to_owned();
    let dir = std::env::temp_dir();
    let mut checked = 0;
    for name in registry().names() {
        let Some(mut est) = registry().estimator(name) else { continue };
        // Small and quick where the defaults are large.
        for (p, v) in [("n_estimators", 10i64), ("max_iter", 30)] {
            let _ = est.set_param(p, &ParamValue::Int(v));
        }
        let (x, y) = match est.kind() {
            EstimatorKind::Classifier => (iris.x.view(), TargetView::Labels(labels.view())),
            EstimatorKind::Regressor => (x3, TargetView::Values(y_reg.view())),
            _ => (iris.x.view(), TargetView::None),
        };
        let fitted = est.fit_dyn(x, y).unwrap_or_else(|e| panic!("{name}: fit failed: {e}"));
        let path = dir.join(format!("oxlearn-registry-{}-{name}.oxl", std::process::id()));
        match persist::save(&*fitted, &path) {
            Ok(()) => {}
            // A closure cannot be saved; the error says so and nothing else may fail this way.
            Err(e) if name == "FunctionTransformer" => {
                assert!(matches!(e, persist::ModelFileError::Unsaveable { .. }), "{e}");
                continue;
            }
            Err(e) => panic!("{name}: save failed: {e}"),
        }
        let loaded = oxlearn::load(&path).unwrap_or_else(|e| panic!("{name}: load failed: {e}"));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(loaded.name(), fitted.name());
        assert_same(name, &*fitted, &*loaded, x);
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} estimators round-tripped");
}

/// Rust type names of everything that implements `Estimator` in the workspace's library
/// sources (test modules and the conformance suite's deliberately broken estimators excluded).
fn public_estimators(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for krate in ["core", "algorithms", "preprocessing", "nn"] {
        walk(&root.join(krate).join("src"), &mut files);
    }
    let mut found = BTreeSet::new();
    for f in files {
        if f.file_name().is_some_and(|n| n == "check.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in text.lines() {
            let line = line.trim_start();
            if !line.starts_with("impl") {
                continue;
            }
            let Some(pos) = line.find(" Estimator for ").or_else(|| line.find(">Estimator for ")) else { continue };
            if line[..pos + 1].ends_with("Dyn") {
                continue;
            }
            let rest = &line[pos + " Estimator for ".len()..];
            let ty: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !ty.is_empty() && ty != "E" {
                found.insert(ty);
            }
        }
    }
    found
}

#[test]
fn every_public_estimator_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let public = public_estimators(root);
    assert!(public.len() >= 30, "the scan found only {public:?}");
    let registered: BTreeSet<String> = registry()
        .type_names()
        .into_iter()
        .map(|(_, t)| t.split('<').next().unwrap_or(t).rsplit("::").next().unwrap_or(t).to_string())
        .collect();
    let missing: Vec<&String> = public.difference(&registered).collect();
    assert!(missing.is_empty(), "public estimators missing from oxlearn::registry(): {missing:?}");
}
