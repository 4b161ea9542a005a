//! Shared helpers: building polars frames and transformers from the golden JSON.

use oxlearn_preprocessing::*;
use polars::prelude::*;
use serde_json::Value;

/// The golden cases written by `scripts/golden_preprocessing.py`.
pub fn golden() -> Value {
    serde_json::from_str(include_str!("golden/transformers.json")).expect("golden json parses")
}

/// A frame from the golden encoding (`order`, `columns`, `dtypes`).
pub fn frame(v: &Value) -> DataFrame {
    let order = v["order"].as_array().unwrap();
    let cols: Vec<Column> = order
        .iter()
        .map(|n| {
            let n = n.as_str().unwrap();
            let vals = v["columns"][n].as_array().unwrap();
            let s = match v["dtypes"][n].as_str().unwrap() {
                "float" => Series::new(n.into(), vals.iter().map(Value::as_f64).collect::<Vec<_>>()),
                "int" => Series::new(n.into(), vals.iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>()),
                _ => Series::new(n.into(), vals.iter().map(|x| x.as_str().map(String::from)).collect::<Vec<_>>()),
            };
            s.into_column()
        })
        .collect();
    DataFrame::new(cols[0].len(), cols).unwrap()
}

fn f(p: &Value, k: &str) -> Option<f64> {
    p.get(k).and_then(Value::as_f64)
}
fn b(p: &Value, k: &str) -> Option<bool> {
    p.get(k).and_then(Value::as_bool)
}
fn s<'a>(p: &'a Value, k: &str) -> Option<&'a str> {
    p.get(k).and_then(Value::as_str)
}

/// The oxlearn step of a golden case.
pub fn step(name: &str, p: &Value) -> Step {
    match name {
        "StandardScaler" => StandardScaler::default()
            .with_mean(b(p, "with_mean").unwrap_or(true))
            .with_std(b(p, "with_std").unwrap_or(true))
            .into(),
        "MinMaxScaler" => {
            let mut t = MinMaxScaler::default().clip(b(p, "clip").unwrap_or(false));
            if let Some(r) = p.get("feature_range") {
                t = t.feature_range(r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
            }
            t.into()
        }
        "MaxAbsScaler" => MaxAbsScaler::default().into(),
        "RobustScaler" => {
            let mut t = RobustScaler::default().unit_variance(b(p, "unit_variance").unwrap_or(false));
            if let Some(r) = p.get("quantile_range") {
                t = t.quantile_range(r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
            }
            t.into()
        }
        "Normalizer" => Normalizer::default()
            .norm(match s(p, "norm").unwrap() {
                "l1" => Norm::L1,
                "l2" => Norm::L2,
                _ => Norm::Max,
            })
            .into(),
        "SimpleImputer" => {
            let mut t = match s(p, "strategy").unwrap() {
                "mean" => SimpleImputer::mean(),
                "median" => SimpleImputer::median(),
                "most_frequent" => SimpleImputer::most_frequent(),
                _ => SimpleImputer::default().strategy(ImputeStrategy::Constant),
            };
            if let Some(v) = f(p, "fill_value") {
                t = t.fill_value(v);
            }
            t.add_indicator(b(p, "add_indicator").unwrap_or(false)).into()
        }
        "OneHotEncoder" => {
            let mut t = OneHotEncoder::default();
            t = match s(p, "handle_unknown") {
                Some("ignore") => t.handle_unknown(HandleUnknown::Ignore),
                Some("infrequent_if_exist") => t.handle_unknown(HandleUnknown::InfrequentIfExist),
                _ => t,
            };
            t = match s(p, "drop") {
                Some("first") => t.drop(OneHotDrop::First),
                Some("if_binary") => t.drop(OneHotDrop::IfBinary),
                _ => t,
            };
            if let Some(m) = p.get("min_frequency") {
                t = t.min_frequency(match m.as_u64() {
                    Some(c) => MinFrequency::Count(c as usize),
                    None => MinFrequency::Fraction(m.as_f64().unwrap()),
                });
            }
            if let Some(m) = p.get("max_categories").and_then(Value::as_u64) {
                t = t.max_categories(m as usize);
            }
            t.into()
        }
        "OrdinalEncoder" => {
            let mut t = OrdinalEncoder::default();
            if let Some(u) = f(p, "unknown_value") {
                t = t.use_encoded_value(u);
            }
            if let Some(m) = f(p, "encoded_missing_value") {
                t = t.encoded_missing_value(m);
            }
            t.into()
        }
        "PolynomialFeatures" => PolynomialFeatures::default()
            .degree(p.get("degree").and_then(Value::as_u64).unwrap_or(2) as usize)
            .interaction_only(b(p, "interaction_only").unwrap_or(false))
            .include_bias(b(p, "include_bias").unwrap_or(true))
            .into(),
        "KBinsDiscretizer" => KBinsDiscretizer::default()
            .n_bins(p["n_bins"].as_u64().unwrap() as usize)
            .strategy(match s(p, "strategy").unwrap() {
                "uniform" => BinStrategy::Uniform,
                "quantile" => BinStrategy::Quantile,
                _ => BinStrategy::Kmeans,
            })
            .encode(if s(p, "encode") == Some("ordinal") { BinEncode::Ordinal } else { BinEncode::OneHot })
            .into(),
        other => panic!("no factory for {other}"),
    }
}

/// The ColumnTransformer of the golden `column_transformer` case.
pub fn golden_column_transformer() -> ColumnTransformer {
    ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::names(["a", "b", "c"]))
        .add(
            "cat",
            SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
            Columns::names(["island", "sex"]),
        )
        .remainder_passthrough()
}

/// Asserts two numbers agree to a relative tolerance (NaN equals NaN).
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * (1.0 + b.abs())
}
