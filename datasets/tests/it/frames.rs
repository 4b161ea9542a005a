//! Files and DataFrames: CSV and Parquet round trips, `(X, y)` conversion and its errors.

use ndarray::array;
use oxlearn_core::{Error, Label};
use oxlearn_datasets::{
    Nulls, diabetes, frame_to_array, frame_to_array_with, iris, read_csv, read_parquet, scan_csv, scan_parquet,
    write_csv, write_parquet, xy_classification, xy_from_frame, xy_from_frame_with, xy_regression,
};
use polars::prelude::{DataType, IntoLazy, NamedFrom, Series, col, df, lit};

use crate::temp_dir;

fn invalid_input(e: Error) -> String {
    match e {
        Error::InvalidInput(msg) => msg,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn csv_round_trip_keeps_values_and_types() {
    let dir = temp_dir("csv");
    let path = dir.join("iris.csv");
    let d = iris();
    write_csv(&d.to_frame().unwrap(), &path).unwrap();
    let df = read_csv(&path).unwrap();
    assert_eq!(df.shape(), (150, 5));
    assert_eq!(df.column("target").unwrap().dtype(), &DataType::Int64);
    let (x, y) = xy_classification(&df, "target").unwrap();
    assert_eq!(x, d.x);
    assert_eq!(y, d.y.mapv(Label::Int));

    // Diabetes has 4-decimal floats: the text round trip is exact.
    let path = dir.join("diabetes.csv");
    let d = diabetes();
    write_csv(&d.to_frame().unwrap(), &path).unwrap();
    let (x, y) = xy_regression(&read_csv(&path).unwrap(), "target").unwrap();
    assert_eq!((x, y), (d.x, d.y));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn parquet_round_trip_is_bit_identical() {
    let dir = temp_dir("parquet");
    let path = dir.join("random.parquet");
    let (x, y) = oxlearn_datasets::make_regression(200, 5).noise(1.0).seed(3).generate().unwrap();
    let mut columns: Vec<polars::prelude::Column> = x
        .columns()
        .into_iter()
        .enumerate()
        .map(|(j, c)| Series::new(format!("f{j}").into(), c.to_vec()).into())
        .collect();
    columns.push(Series::new("y".into(), y.to_vec()).into());
    let df = polars::prelude::DataFrame::new(200, columns).unwrap();
    write_parquet(&df, &path).unwrap();
    let back = read_parquet(&path).unwrap();
    assert!(back.equals(&df));
    let (x2, y2) = xy_regression(&back, "y").unwrap();
    assert_eq!((x2, y2), (x, y));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn lazy_scans_push_down_the_query() {
    let dir = temp_dir("scan");
    let df = iris().to_frame().unwrap();
    write_csv(&df, dir.join("iris.csv")).unwrap();
    write_parquet(&df, dir.join("iris.parquet")).unwrap();
    for lf in [scan_csv(dir.join("iris.csv")).unwrap(), scan_parquet(dir.join("iris.parquet")).unwrap()] {
        let small =
            lf.filter(col("target").eq(lit(2i64))).select([col("petal_length_cm"), col("target")]).collect().unwrap();
        assert_eq!(small.shape(), (50, 2));
    }
    // The in-memory frame also works lazily.
    assert_eq!(df.lazy().filter(col("target").eq(lit(0i64))).collect().unwrap().height(), 50);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_files_are_io_errors_naming_the_path() {
    let dir = temp_dir("missing");
    for e in [read_csv(dir.join("nope.csv")).unwrap_err(), read_parquet(dir.join("nope.parquet")).unwrap_err()] {
        assert!(matches!(e, Error::Io(_)), "{e:?}");
        assert!(e.to_string().contains("nope."), "{e}");
    }
    // A file that is not Parquet is a read error, not a panic.
    std::fs::write(dir.join("bad.parquet"), b"not parquet at all").unwrap();
    let e = read_parquet(dir.join("bad.parquet")).unwrap_err();
    assert!(e.to_string().contains("bad.parquet"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn numeric_and_boolean_columns_convert() {
    let df = df!(
        "i32" => [1i32, -2],
        "u32" => [3u32, 4],
        "f32" => [0.5f32, 1.5],
        "flag" => [true, false],
        "y" => ["a", "b"]
    )
    .unwrap();
    let (x, y) = xy_from_frame(&df, "y").unwrap();
    assert_eq!(x, array![[1.0, 3.0, 0.5, 1.0], [-2.0, 4.0, 1.5, 0.0]]);
    assert_eq!(y.name().as_str(), "y");
    let (_, labels) = xy_classification(&df, "y").unwrap();
    assert_eq!(labels, array![Label::from("a"), Label::from("b")]);
    assert_eq!(frame_to_array(&df.drop("y").unwrap()).unwrap(), x);
}

#[test]
fn missing_target_lists_the_columns() {
    let df = df!("a" => [1.0], "b" => [2.0]).unwrap();
    let msg = invalid_input(xy_from_frame(&df, "target").unwrap_err());
    assert_eq!(msg, r#"column "target" not found; the frame's columns are ["a", "b"]"#);
    assert!(xy_regression(&df, "target").is_err());
    assert!(xy_classification(&df, "target").is_err());
}

#[test]
fn non_numeric_feature_is_named() {
    let df = df!("age" => [30.0, 40.0], "plan" => ["basic", "pro"], "y" => [0i64, 1]).unwrap();
    let msg = invalid_input(xy_from_frame(&df, "y").unwrap_err());
    assert!(msg.starts_with(r#"feature column "plan" has type str, which is not numeric"#), "{msg}");
    // Dropping it is enough.
    let (x, _) = xy_regression(&df.drop("plan").unwrap(), "y").unwrap();
    assert_eq!(x, array![[30.0], [40.0]]);
}

#[test]
fn nulls_are_errors_unless_asked_for_nan() {
    let df = df!("a" => [Some(1.0), Some(2.0), None], "b" => [Some(1i64), None, Some(3)], "y" => [0i64, 1, 0]).unwrap();
    let msg = invalid_input(xy_from_frame(&df, "y").unwrap_err());
    assert!(msg.starts_with(r#"feature column "a" holds a null at row 2"#), "{msg}");
    let (x, _) = xy_from_frame_with(&df, "y", Nulls::AsNaN).unwrap();
    assert_eq!(x[[0, 0]], 1.0);
    assert!(x[[2, 0]].is_nan() && x[[1, 1]].is_nan());
    assert_eq!(x[[2, 1]], 3.0);
    let all = frame_to_array_with(&df, Nulls::AsNaN).unwrap();
    assert_eq!(all.dim(), (3, 3));
    assert!(frame_to_array(&df).is_err());
}

#[test]
fn target_conversions_and_their_errors() {
    // Integral floats are integer labels; fractional ones are not labels.
    let df = df!("x" => [1.0, 2.0], "y" => [1.0, 2.0], "z" => [0.5, 1.0]).unwrap();
    let (_, y) = xy_classification(&df, "y").unwrap();
    assert_eq!(y, array![Label::Int(1), Label::Int(2)]);
    let msg = invalid_input(xy_classification(&df, "z").unwrap_err());
    assert!(msg.contains("holds 0.5 at row 0, which is not a class label"), "{msg}");

    // A string target is no regression target.
    let df = df!("x" => [1.0, 2.0], "y" => ["a", "b"], "n" => [Some(1.0), None]).unwrap();
    let msg = invalid_input(xy_regression(&df.drop("n").unwrap(), "y").unwrap_err());
    assert!(msg.starts_with(r#"target column "y" has type str, which is not numeric"#), "{msg}");

    // A null target names its row.
    let msg = invalid_input(xy_regression(&df.drop("y").unwrap(), "n").unwrap_err());
    assert!(msg.contains(r#""n" holds a null at row 1"#), "{msg}");
    let msg = invalid_input(xy_classification(&df.drop("y").unwrap(), "n").unwrap_err());
    assert!(msg.contains("null at row 1"), "{msg}");

    // Categorical labels become strings.
    let cat = Series::new("y".into(), ["lo", "hi", "lo"])
        .cast(&DataType::from_categories(polars::prelude::Categories::global()))
        .unwrap();
    let y = oxlearn_datasets::series_to_labels(&cat).unwrap();
    assert_eq!(y, array![Label::from("lo"), Label::from("hi"), Label::from("lo")]);
}

#[test]
fn csv_types_are_inferred_from_the_whole_file() {
    let dir = temp_dir("infer");
    let path = dir.join("late_float.csv");
    let mut text = String::from("a,y\n");
    for i in 0..500 {
        text.push_str(&format!("{i},{}\n", i % 2));
    }
    text.push_str("1.5,0\n");
    std::fs::write(&path, text).unwrap();
    for df in [read_csv(&path).unwrap(), scan_csv(&path).unwrap().collect().unwrap()] {
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Float64);
        let (x, _) = xy_regression(&df, "y").unwrap();
        assert_eq!(x[[500, 0]], 1.5);
    }
    std::fs::remove_dir_all(dir).unwrap();
}
