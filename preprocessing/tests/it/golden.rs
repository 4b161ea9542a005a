//! Outputs and feature names equal to scikit-learn's, on ndarray and DataFrame input (golden
//! files from `scripts/golden_preprocessing.py`).

use ndarray::Array2;
use oxlearn_core::prelude::*;
use oxlearn_preprocessing::*;
use serde_json::Value;

use crate::common::{close, frame, golden, golden_column_transformer, step};

fn tolerance(name: &str) -> f64 {
    if name.starts_with("robust_range_unit") { 1e-9 } else { 1e-10 }
}

/// Compares the columns a step produced with the expected rows (numbers or strings).
fn assert_cols(case: &str, got: &[Col], expected: &Value) {
    let rows = expected.as_array().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), got.len(), "{case}: width");
        for (j, e) in row.iter().enumerate() {
            match &got[j] {
                Col::Num { v, .. } => {
                    let e = e.as_f64().unwrap_or(f64::NAN);
                    assert!(close(v[i], e, tolerance(case)), "{case}: row {i} col {j}: got {} expected {e}", v[i]);
                }
                Col::Str(s) => assert_eq!(s.get(i), e.as_str(), "{case}: row {i} col {j}"),
                Col::Cat(c) => assert_eq!(c.to_strings().get(i), e.as_str(), "{case}: row {i} col {j}"),
            }
        }
    }
}

fn assert_matrix(case: &str, got: &Array2<f64>, expected: &Value) {
    let rows = expected.as_array().unwrap();
    assert_eq!(got.nrows(), rows.len(), "{case}: rows");
    for (i, row) in rows.iter().enumerate() {
        for (j, e) in row.as_array().unwrap().iter().enumerate() {
            let e = e.as_f64().unwrap_or(f64::NAN);
            assert!(
                close(got[[i, j]], e, tolerance(case)),
                "{case}: row {i} col {j}: got {} expected {e}",
                got[[i, j]]
            );
        }
    }
}

/// A numeric golden frame as a matrix (null = NaN).
fn matrix(v: &Value) -> Option<Array2<f64>> {
    let order = v["order"].as_array().unwrap();
    if order.iter().any(|n| v["dtypes"][n.as_str().unwrap()] == "str") {
        return None;
    }
    let n = v["columns"][order[0].as_str().unwrap()].as_array().unwrap().len();
    Some(Array2::from_shape_fn((n, order.len()), |(i, j)| {
        v["columns"][order[j].as_str().unwrap()][i].as_f64().unwrap_or(f64::NAN)
    }))
}

fn names(v: &Value) -> Vec<String> {
    v["order"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
}

fn expected_names(c: &Value) -> Vec<String> {
    c["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
}

/// Fits the typed transformer behind a step on a matrix (the ndarray path).
fn matrix_fit(step: &Step, x: &Array2<f64>, test: &Array2<f64>, input: &[String]) -> (Array2<f64>, Vec<String>) {
    macro_rules! go {
        ($t:expr) => {{
            let f = $t.fit(x).expect("fits");
            (f.transform(test).expect("transforms"), f.feature_names_out(Some(input)))
        }};
    }
    match step {
        Step::StandardScaler(t) => go!(t),
        Step::MinMaxScaler(t) => go!(t),
        Step::MaxAbsScaler(t) => go!(t),
        Step::RobustScaler(t) => go!(t),
        Step::Normalizer(t) => go!(t),
        Step::SimpleImputer(t) => go!(t),
        Step::OneHotEncoder(t) => go!(t),
        Step::OrdinalEncoder(t) => go!(t),
        Step::PolynomialFeatures(t) => go!(t),
        Step::KBinsDiscretizer(t) => go!(t),
        other => panic!("no matrix path for {other:?}"),
    }
}

#[test]
fn transformers_match_scikit_learn() {
    let g = golden();
    let mut checked = 0;
    for c in g["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let kind = c["transformer"].as_str().unwrap();
        if kind == "ColumnTransformer" {
            continue;
        }
        let st = step(kind, &c["params"]);
        // DataFrame path.
        let (fit_df, test_df) = (frame(&c["fit"]), frame(&c["test"]));
        let in_names = names(&c["fit"]);
        let fit_cols: Vec<Col> = in_names
            .iter()
            .map(|n| Col::from_series(fit_df.column(n).unwrap().as_materialized_series()).unwrap())
            .collect();
        let test_cols: Vec<Col> = in_names
            .iter()
            .map(|n| Col::from_series(test_df.column(n).unwrap().as_materialized_series()).unwrap())
            .collect();
        let (fitted, _, out_names) =
            st.fit_transform_cols(fit_cols, in_names.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out_names, expected_names(c), "{name}: names (frame)");
        let got = fitted.transform_cols(test_cols, &in_names).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_cols(name, &got, &c["out"]);
        // ndarray path, where the input is numeric.
        let string_out = got.iter().any(Col::is_str);
        if let (Some(x), Some(t), false) = (matrix(&c["fit"]), matrix(&c["test"]), string_out) {
            let (out, n) = matrix_fit(&st, &x, &t, &in_names);
            assert_eq!(n, expected_names(c), "{name}: names (matrix)");
            assert_matrix(name, &out, &c["out"]);
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} cases");
}

#[test]
fn column_transformer_matches_scikit_learn() {
    let g = golden();
    let c = g["cases"].as_array().unwrap().iter().find(|c| c["name"] == "column_transformer").unwrap();
    let fitted = golden_column_transformer().fit_frame(&frame(&c["fit"])).unwrap();
    assert_eq!(fitted.feature_names_out(), expected_names(c).as_slice());
    let out = fitted.transform_frame(&frame(&c["test"])).unwrap();
    assert_matrix("column_transformer", &out, &c["out"]);
}

#[test]
fn label_encoder_matches_scikit_learn() {
    let g = golden();
    let l = &g["label_encoder"];
    let y: Vec<String> = l["y"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let enc = LabelEncoder::default().fit(&ndarray::Array1::from(y.clone())).unwrap();
    let classes: Vec<String> =
        l["classes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(enc.classes(), classes.as_slice());
    let ids = enc.transform(&ndarray::Array1::from(y.clone())).unwrap();
    let expected: Vec<usize> = l["encoded"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    assert_eq!(ids.to_vec(), expected);
    assert_eq!(enc.inverse_transform(&ids).unwrap().to_vec(), y);
    // Integers, and a polars series.
    let ints = LabelEncoder::default().fit(&ndarray::array![30i64, 10, 20, 10]).unwrap();
    assert_eq!(ints.transform(&ndarray::array![10i64, 30]).unwrap().to_vec(), vec![0, 2]);
    assert!(matches!(ints.transform(&ndarray::array![11i64]), Err(Error::UnknownLabel { .. })));
    assert!(ints.inverse_transform(&ndarray::array![3usize]).is_err());
    use polars::prelude::NamedFrom;
    let s = polars::prelude::Series::new("y".into(), &["b", "a", "b"]);
    let enc = LabelEncoder::default().fit_series(&s).unwrap();
    assert_eq!(enc.transform_series(&s).unwrap().to_vec(), vec![1, 0, 1]);
}
