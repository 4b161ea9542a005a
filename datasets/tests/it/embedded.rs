//! The embedded datasets: shapes, class counts, names, frames.

use oxlearn_datasets::{Dataset, breast_cancer, diabetes, digits, iris, wine};

fn class_counts(d: &Dataset<i64>) -> Vec<usize> {
    let mut counts = vec![0; d.target_names.len()];
    for &c in &d.y {
        counts[usize::try_from(c).expect("labels are non-negative")] += 1;
    }
    counts
}

/// A dataset, its shape, its class sizes and its class names.
type Expected = (Dataset<i64>, (usize, usize), Vec<usize>, &'static [&'static str]);

#[test]
fn shapes_counts_and_names_match_scikit_learn() {
    let cases: [Expected; 4] = [
        (iris(), (150, 4), vec![50, 50, 50], &["setosa", "versicolor", "virginica"]),
        (wine(), (178, 13), vec![59, 71, 48], &["class_0", "class_1", "class_2"]),
        (breast_cancer(), (569, 30), vec![212, 357], &["malignant", "benign"]),
        (
            digits(),
            (1797, 64),
            vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180],
            &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        ),
    ];
    for (d, dim, counts, names) in cases {
        assert_eq!(d.x.dim(), dim);
        assert_eq!((d.n_samples(), d.n_features()), dim);
        assert_eq!(d.y.len(), dim.0);
        assert_eq!(d.feature_names.len(), dim.1);
        assert_eq!(d.target_names, names);
        assert_eq!(class_counts(&d), counts);
        assert!(d.x.iter().all(|v| v.is_finite()));
        assert!(d.x.is_standard_layout());
    }
}

#[test]
fn values_match_scikit_learn() {
    let iris = iris();
    assert_eq!(iris.x.row(0).to_vec(), [5.1, 3.5, 1.4, 0.2]);
    assert_eq!(iris.x.row(149).to_vec(), [5.9, 3.0, 5.1, 1.8]);
    assert_eq!(iris.feature_names, ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]);
    let digits = digits();
    assert!(digits.x.iter().all(|&v| (0.0..=16.0).contains(&v) && v.fract() == 0.0));
    assert_eq!(digits.feature_names[9], "pixel_1_1");
    // Column sums from scikit-learn 1.9.1.
    let wine = wine();
    assert!((wine.x.column(12).sum() - 132_947.0).abs() < 1e-6, "{}", wine.x.column(12).sum());
}

#[test]
fn diabetes_is_unscaled_regression() {
    let d = diabetes();
    assert_eq!(d.x.dim(), (442, 10));
    assert_eq!(d.feature_names, ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]);
    assert!(d.target_names.is_empty());
    assert_eq!(d.x.row(0).to_vec(), [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]);
    assert_eq!(d.y[0], 151.0);
    let (lo, hi) = d.y.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert_eq!((lo, hi), (25.0, 346.0));
}

#[test]
fn frames_hold_features_then_target() {
    let df = iris().to_frame().unwrap();
    assert_eq!(df.shape(), (150, 5));
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(names.last().map(String::as_str), Some("target"));
    assert_eq!(df.column("target").unwrap().dtype(), &polars::prelude::DataType::Int64);
    assert_eq!(df.column("petal_width_cm").unwrap().dtype(), &polars::prelude::DataType::Float64);

    let df = diabetes().to_frame().unwrap();
    assert_eq!(df.shape(), (442, 11));
    assert_eq!(df.column("target").unwrap().dtype(), &polars::prelude::DataType::Float64);
}

#[test]
fn frame_round_trips_to_the_same_arrays() {
    let d = breast_cancer();
    let (x, y) = oxlearn_datasets::xy_regression(&d.to_frame().unwrap(), "target").unwrap();
    assert_eq!(x, d.x);
    assert_eq!(y, d.y.mapv(|v| v as f64));

    let d = diabetes();
    let (x, y) = oxlearn_datasets::xy_regression(&d.to_frame().unwrap(), "target").unwrap();
    assert_eq!((x, y), (d.x, d.y));
}

#[test]
fn each_call_returns_an_independent_copy() {
    let mut a = iris();
    a.x[[0, 0]] = -1.0;
    assert_eq!(iris().x[[0, 0]], 5.1);
}
