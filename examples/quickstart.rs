//! Quickstart: a polars DataFrame with string labels and missing values -> ColumnTransformer
//! (impute + scale, one-hot) -> LogisticRegression -> 5-fold stratified cross-validation ->
//! save -> load -> predict string labels on held-out rows.
//!
//! Run with `cargo run --release --example quickstart`.

use std::error::Error;

use oxlearn::pipeline::{Pipeline, SaveModel, StratifiedKFold, cross_validate, train_test_split_frame};
use oxlearn::prelude::*;
use oxlearn::registry::LoadPipeline;
use polars::prelude::*;

/// The breast-cancer dataset as a DataFrame: 30 numeric columns with ~4% nulls injected, a
/// string column with nulls, and a string target ("malignant" / "benign").
fn breast_cancer_frame() -> Result<DataFrame, Box<dyn Error>> {
    let data = oxlearn::datasets::breast_cancer();
    let mut columns: Vec<Column> = Vec::new();
    for (j, name) in data.feature_names.iter().enumerate() {
        let values: Vec<Option<f64>> = data
            .x
            .column(j)
            .iter()
            .enumerate()
            .map(|(i, &v)| if (i * 31 + j * 7) % 23 == 0 { None } else { Some(v) })
            .collect();
        columns.push(Series::new(name.as_str().into(), values).into());
    }
    // A categorical feature with missing values: the size band of the mean radius.
    let band: Vec<Option<&str>> = data
        .x
        .column(0)
        .iter()
        .enumerate()
        .map(|(i, &r)| match (i % 29 == 0, r) {
            (true, _) => None,
            (false, r) if r < 12.0 => Some("small"),
            (false, r) if r < 16.0 => Some("medium"),
            _ => Some("large"),
        })
        .collect();
    columns.push(Series::new("size_band".into(), band).into());
    let target: Vec<&str> = data.y.iter().map(|&c| data.target_names[c as usize].as_str()).collect();
    columns.push(Series::new("diagnosis".into(), target).into());
    Ok(DataFrame::new(data.n_samples(), columns)?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let df = breast_cancer_frame()?;
    let (train, test) = train_test_split_frame(&df, 0.25, Some("diagnosis"), 0)?;
    println!("train {:?}, test {:?}", train.shape(), test.shape());

    let prep = ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
        .add(
            "cat",
            SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
            Columns::categorical(),
        );
    let pipe = Pipeline::new().step("prep", prep).step("model", LogisticRegression::default().c(1.0));

    // 5-fold stratified cross-validation on the training rows, folds in parallel.
    let cv = cross_validate(&pipe, &train, "diagnosis", StratifiedKFold::new(5).seed(0), &["accuracy", "f1_macro"])?;
    println!(
        "5-fold CV accuracy {:.4} (folds {:?}), f1_macro {:.4}",
        cv.mean("accuracy").unwrap_or(f64::NAN),
        cv.test_score("accuracy").unwrap_or_default().iter().map(|s| (s * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
        cv.mean("f1_macro").unwrap_or(f64::NAN)
    );

    // Fit on all training rows, save, load, predict string labels for the held-out rows.
    let fitted = pipe.fit_frame(&train, "diagnosis")?;
    let path = std::env::temp_dir().join(format!("oxlearn-quickstart-{}.oxl", std::process::id()));
    fitted.save(&path)?;
    let loaded = Pipeline::load(&path)?;
    std::fs::remove_file(&path)?;
    let predicted = loaded.predict_frame(&test)?;
    assert_eq!(predicted, fitted.predict_frame(&test)?, "a loaded model predicts as the saved one");
    println!("first predictions: {:?}", {
        let ca = predicted.str()?;
        (0..5).map(|i| ca.get(i)).collect::<Vec<_>>()
    });
    println!("{} features, e.g. {:?}", fitted.feature_names_out().len(), &fitted.feature_names_out()[..3]);
    let score = loaded.score_frame(&test)?;
    println!("held-out accuracy {score:.4}");
    if score < 0.9 {
        return Err(format!("held-out accuracy {score:.4} is below 0.9").into());
    }
    Ok(())
}

#[cfg(test)]
#[test]
fn runs() {
    main().unwrap()
}
