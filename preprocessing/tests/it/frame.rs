//! DataFrame paths: a mixed frame (numbers and strings with nulls, unseen categories) through a
//! ColumnTransformer end to end, schema checks, selection by dtype and predicate, serde.

use oxlearn_core::Error;
use oxlearn_preprocessing::*;
use polars::prelude::*;

fn mixed(n: usize, seed: u64, unseen: bool) -> DataFrame {
    let mut age = Vec::new();
    let mut income = Vec::new();
    let mut plan = Vec::new();
    let mut region = Vec::new();
    let mut visits = Vec::new();
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 33) as f64 / (1u64 << 31) as f64
    };
    for i in 0..n {
        age.push(if i % 7 == 3 { None } else { Some(20.0 + (next() * 50.0).round()) });
        income.push(if i % 11 == 5 { None } else { Some(1000.0 * next()) });
        let plans = if unseen { ["basic", "pro", "team", "platinum"] } else { ["basic", "pro", "team", "team"] };
        plan.push(if i % 9 == 4 { None } else { Some(plans[(next() * 4.0) as usize % 4]) });
        region.push(if i % 13 == 6 { None } else { Some(["north", "south"][(next() * 2.0) as usize % 2]) });
        visits.push((next() * 10.0) as i64);
    }
    df!("age" => age, "income" => income, "plan" => plan, "region" => region, "visits" => visits).unwrap()
}

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
fn mixed_frame_end_to_end() {
    let train = mixed(200, 1, false);
    let test = mixed(50, 2, true);
    let before = test.clone();
    let fitted = prep().fit_frame(&train).unwrap();
    assert_eq!(
        fitted.feature_names_out(),
        [
            "num__age",
            "num__income",
            "num__visits",
            "cat__plan_basic",
            "cat__plan_pro",
            "cat__plan_team",
            "cat__region_north",
            "cat__region_south"
        ]
    );
    let x = fitted.transform_frame(&test).unwrap();
    assert_eq!(x.dim(), (50, 8));
    assert!(x.iter().all(|v| v.is_finite()));
    // Rows holding the unseen "platinum" are all zeros in the plan block; others are one-hot.
    let plan = test.column("plan").unwrap().str().unwrap().clone();
    for i in 0..50 {
        let s: f64 = (3..6).map(|j| x[[i, j]]).sum();
        match plan.get(i) {
            Some("platinum") => assert_eq!(s, 0.0, "row {i}"),
            _ => assert_eq!(s, 1.0, "row {i}"),
        }
        assert_eq!(x[[i, 6]] + x[[i, 7]], 1.0);
    }
    // Numeric block: the training output is standardized.
    let (_, xt) = prep().fit_transform_frame(&train).unwrap();
    for j in 0..3 {
        let c = xt.column(j);
        assert!(c.mean().unwrap().abs() < 1e-12);
    }
    assert!(test.equals_missing(&before), "the input frame is unchanged");
    // Serde round trip gives the same output, bit for bit.
    let json = serde_json::to_string(&fitted).unwrap();
    let back: FittedColumnTransformer = serde_json::from_str(&json).unwrap();
    assert_eq!(back.transform_frame(&test).unwrap(), x);
}

#[test]
fn unseen_category_errors_with_handle_unknown_error() {
    let ct = ColumnTransformer::new().add("cat", OneHotEncoder::default(), Columns::names(["plan"]));
    let fitted = ct.fit_frame(&mixed(100, 1, false)).unwrap();
    let err = fitted.transform_frame(&mixed(100, 2, true)).unwrap_err();
    assert_eq!(err, Error::UnknownCategory { column: "plan".into(), category: "platinum".into() });
    assert_eq!(
        err.to_string(),
        "column \"plan\" holds category \"platinum\" not seen during fit (handle_unknown = error)"
    );
}

#[test]
fn missing_and_retyped_columns_are_named() {
    let train = mixed(60, 1, false);
    let fitted = prep().fit_frame(&train).unwrap();
    let dropped = train.drop("income").unwrap().drop("region").unwrap();
    let err = fitted.transform_frame(&dropped).unwrap_err().to_string();
    assert!(err.contains("\"income\"") && err.contains("\"region\""), "{err}");
    let mut retyped = train.clone();
    let as_str = retyped.column("age").unwrap().cast(&DataType::String).unwrap();
    retyped.with_column(as_str).unwrap();
    let err = fitted.transform_frame(&retyped).unwrap_err().to_string();
    assert!(err.contains("\"age\"") && err.contains("numeric"), "{err}");
}

#[test]
fn string_column_in_a_scaler_is_a_clear_error() {
    let ct = ColumnTransformer::new().add("s", StandardScaler::default(), Columns::names(["age", "plan"]));
    let err = ct.fit_frame(&mixed(20, 1, false)).unwrap_err().to_string();
    assert!(err.contains("StandardScaler") && err.contains("\"plan\""), "{err}");
    // NaN where a transformer does not allow it names the column.
    let ct = ColumnTransformer::new().add("p", PolynomialFeatures::default(), Columns::names(["visits", "age"]));
    let err = ct.fit_frame(&mixed(20, 1, false)).unwrap_err();
    assert!(matches!(&err, Error::NonFinite { column_name: Some(c), .. } if c == "age"), "{err}");
    // A string remainder cannot be passed through.
    let ct = ColumnTransformer::new()
        .add("n", StandardScaler::default(), Columns::names(["visits"]))
        .remainder_passthrough();
    assert!(ct.fit_frame(&mixed(20, 1, false)).is_err());
}

#[test]
fn selection_by_predicate_string_and_categorical_dtype() {
    let mut df = mixed(80, 3, false);
    let cat =
        df.column("region").unwrap().cast(&DataType::from_categories(polars::prelude::Categories::global())).unwrap();
    df.with_column(cat).unwrap();
    let ct = ColumnTransformer::new()
        .add("ord", OrdinalEncoder::default(), Columns::string())
        .add(
            "reg",
            OneHotEncoder::default().drop(OneHotDrop::IfBinary),
            Columns::predicate(|n, d| n == "region" && d.is_categorical()),
        )
        .add(
            "poly",
            SimpleImputer::mean().then(PolynomialFeatures::default().include_bias(false)),
            Columns::names(["age", "visits"]),
        )
        .remainder_passthrough();
    let fitted = ct.fit_frame(&df).unwrap();
    assert_eq!(
        fitted.feature_names_out(),
        [
            "ord__plan",
            "reg__region_north",
            "reg__region_south",
            "reg__region_nan",
            "poly__age",
            "poly__visits",
            "poly__age^2",
            "poly__age visits",
            "poly__visits^2",
            "remainder__income"
        ]
    );
    let x = fitted.transform_frame(&df).unwrap();
    assert_eq!(x.ncols(), 10);
    // Missing plan stays NaN under the ordinal encoder's default encoded_missing_value.
    let plan = df.column("plan").unwrap().str().unwrap().clone();
    for i in 0..80 {
        assert_eq!(plan.get(i).is_none(), x[[i, 0]].is_nan());
    }
}

#[test]
fn function_transformer_in_a_frame_cannot_be_serialized() {
    let ct = ColumnTransformer::new().add(
        "log",
        SimpleImputer::mean().then(FunctionTransformer::new(|x| x.mapv(f64::ln_1p)).feature_names_one_to_one()),
        Columns::names(["income"]),
    );
    let fitted = ct.fit_frame(&mixed(30, 1, false)).unwrap();
    assert_eq!(fitted.feature_names_out(), ["log__income"]);
    let err = serde_json::to_string(&fitted).unwrap_err().to_string();
    assert!(err.contains("closure"), "{err}");
}

#[test]
fn given_categories_and_unknowns_at_fit() {
    let df = mixed(60, 4, false);
    let given = OneHotEncoder::default().categories(vec![vec!["team", "pro", "basic"].into()]);
    let ct =
        ColumnTransformer::new().add("p", SimpleImputer::most_frequent().then(given.clone()), Columns::names(["plan"]));
    let fitted = ct.fit_frame(&df).unwrap();
    // Given categories keep their order.
    assert_eq!(fitted.feature_names_out(), ["p__plan_team", "p__plan_pro", "p__plan_basic"]);
    // A value outside the given list is an error at fit under handle_unknown = error.
    let narrow = OneHotEncoder::default().categories(vec![vec!["team"].into()]);
    let err = ColumnTransformer::new()
        .add("p", SimpleImputer::most_frequent().then(narrow), Columns::names(["plan"]))
        .fit_frame(&df)
        .unwrap_err();
    assert!(matches!(err, Error::UnknownCategory { .. }), "{err}");
    // Ordinal codes follow the given order; unknowns get unknown_value.
    let ord = OrdinalEncoder::default().categories(vec![vec!["team", "pro"].into()]).use_encoded_value(-1.0);
    let fitted = ColumnTransformer::new().add("o", ord, Columns::names(["plan"])).fit_frame(&df).unwrap();
    let x = fitted.transform_frame(&df).unwrap();
    let plan = df.column("plan").unwrap().str().unwrap().clone();
    for i in 0..df.height() {
        let want = match plan.get(i) {
            Some("team") => 0.0,
            Some("pro") => 1.0,
            Some(_) => -1.0,
            None => f64::NAN,
        };
        assert!(x[[i, 0]] == want || (want.is_nan() && x[[i, 0]].is_nan()), "row {i}");
    }
}

/// An imputer fused into a following one-hot encoder gives what imputing first gives, for
/// string and numeric columns, and keeps the unknown-category error of a fill value unseen in
/// fit.
#[test]
fn imputer_fused_into_one_hot_matches_imputing_first() {
    let n = 9_000;
    let s: Vec<Option<&str>> = (0..n).map(|i| if i % 11 == 0 { None } else { Some(["p", "q", "r"][i % 3]) }).collect();
    let v: Vec<Option<f64>> = (0..n).map(|i| if i % 7 == 0 { None } else { Some((i % 4) as f64) }).collect();
    let df = df!("s" => s, "v" => v).unwrap();
    let fused = ColumnTransformer::new()
        .add("c", SimpleImputer::most_frequent().then(OneHotEncoder::default()), Columns::names(["s", "v"]))
        .fit_frame(&df)
        .unwrap();
    let imputer = ColumnTransformer::new()
        .add("c", SimpleImputer::most_frequent(), Columns::names(["s", "v"]))
        .verbose_feature_names_out(false)
        .fit_frame(&df)
        .unwrap();
    let FittedStep::SimpleImputer(imp) = &imputer.parts()[0].step else { panic!("an imputer") };
    let (Fill::Str(fs), &Fill::Num(fv)) = (&imp.statistics()[0], &imp.statistics()[1]) else { panic!("fills") };
    let filled = df!(
        "s" => df.column("s").unwrap().str().unwrap().iter().map(|x| x.unwrap_or(fs).to_string()).collect::<Vec<_>>(),
        "v" => df.column("v").unwrap().f64().unwrap().iter().map(|x| x.unwrap_or(fv)).collect::<Vec<_>>()
    )
    .unwrap();
    let plain = ColumnTransformer::new()
        .add("c", OneHotEncoder::default(), Columns::names(["s", "v"]))
        .fit_frame(&filled)
        .unwrap();
    assert_eq!(fused.feature_names_out(), plain.feature_names_out());
    assert_eq!(fused.transform_frame(&df).unwrap(), plain.transform_frame(&filled).unwrap());
    assert_eq!(fused.transform_frame_sparse(&df).unwrap(), plain.transform_frame_sparse(&filled).unwrap());
    // The fused fit counts the fills: infrequent groups depend on those counts.
    for enc in [
        OneHotEncoder::default().min_frequency(MinFrequency::Count(2_700)),
        OneHotEncoder::default().max_categories(2),
        OneHotEncoder::default().drop(OneHotDrop::First),
    ] {
        let fused = ColumnTransformer::new()
            .add("c", SimpleImputer::most_frequent().then(enc.clone()), Columns::names(["s", "v"]))
            .fit_frame(&df)
            .unwrap();
        let plain = ColumnTransformer::new().add("c", enc, Columns::names(["s", "v"])).fit_frame(&filled).unwrap();
        assert_eq!(fused.feature_names_out(), plain.feature_names_out());
        assert_eq!(fused.transform_frame(&df).unwrap(), plain.transform_frame(&filled).unwrap());
    }
    // A constant fill never seen in fit (no nulls there): the encoder's error names it.
    let clean = df!("s" => ["p", "q", "r"]).unwrap();
    let strict = ColumnTransformer::new()
        .add("c", SimpleImputer::constant("zzz").then(OneHotEncoder::default()), Columns::names(["s"]))
        .fit_frame(&clean)
        .unwrap();
    let holes = df!("s" => [Some("p"), None]).unwrap();
    match strict.transform_frame(&holes) {
        Err(Error::UnknownCategory { column, category }) => {
            assert_eq!((column.as_str(), category.as_str()), ("s", "zzz"))
        }
        other => panic!("expected the unknown-category error, got {other:?}"),
    }
}

/// `transform_to_frame` (built from the parts' columns and one-hot codes) equals
/// `transform_frame` as a frame, bit for bit, with a passthrough remainder.
#[test]
fn transform_to_frame_equals_the_matrix() {
    let n = 5_000;
    let s: Vec<Option<&str>> = (0..n).map(|i| if i % 9 == 0 { None } else { Some(["p", "q", "r"][i % 3]) }).collect();
    let v: Vec<Option<f64>> = (0..n).map(|i| if i % 7 == 0 { None } else { Some(i as f64 * 0.25 - 3.0) }).collect();
    let w: Vec<f64> = (0..n).map(|i| (i % 13) as f64).collect();
    let df = df!("s" => s, "v" => v, "w" => w).unwrap();
    let ct = ColumnTransformer::new()
        .add("cat", SimpleImputer::most_frequent().then(OneHotEncoder::default()), Columns::names(["s"]))
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::names(["v"]))
        .remainder_passthrough()
        .fit_frame(&df)
        .unwrap();
    let frame = ct.transform_to_frame(&df).unwrap();
    let x = ct.transform_frame(&df).unwrap();
    assert_eq!(frame, matrix_to_frame(&x, ct.feature_names_out()).unwrap());
}
