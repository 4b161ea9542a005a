//! Results do not depend on the thread count: fits and transforms with 1 and several threads are
//! bit-identical.

use oxlearn_preprocessing::*;
use polars::prelude::*;

fn frame(n: usize) -> DataFrame {
    let a: Vec<Option<f64>> =
        (0..n).map(|i| if i % 13 == 0 { None } else { Some(((i * 7919) % 1000) as f64 * 0.37 - 50.0) }).collect();
    let b: Vec<f64> = (0..n).map(|i| ((i * 104_729) % 9973) as f64 / 97.0).collect();
    let c: Vec<Option<&str>> =
        (0..n).map(|i| if i % 17 == 0 { None } else { Some(["x", "y", "z", "w", "v"][(i * 31) % 5]) }).collect();
    df!("a" => a, "b" => b, "c" => c).unwrap()
}

fn prep(n_jobs: usize) -> ColumnTransformer {
    ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
        .add("rob", RobustScaler::default(), Columns::names(["b"]))
        .add("bins", KBinsDiscretizer::default().strategy(BinStrategy::Kmeans), Columns::names(["b"]))
        .add("cat", SimpleImputer::most_frequent().then(OneHotEncoder::default()), Columns::categorical())
        .n_jobs(n_jobs)
}

#[test]
fn thread_count_does_not_change_results() {
    let df = frame(120_000);
    let one = prep(1).fit_frame(&df).unwrap();
    let many = prep(4).fit_frame(&df).unwrap();
    assert_eq!(
        serde_json::to_string(&one).unwrap().replace("\"n_jobs\":1", ""),
        serde_json::to_string(&many).unwrap().replace("\"n_jobs\":4", "")
    );
    let x1 = one.transform_frame(&df).unwrap();
    let x4 = many.transform_frame(&df).unwrap();
    assert!(x1.iter().zip(&x4).all(|(a, b)| a.to_bits() == b.to_bits()), "bit-identical");
    // The ndarray path too.
    let x = x1.slice(ndarray::s![.., 0..2]).to_owned();
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let f1 = pool(1).install(|| oxlearn_core::Transformer::fit(&StandardScaler::default(), &x).unwrap());
    let f4 = pool(4).install(|| oxlearn_core::Transformer::fit(&StandardScaler::default(), &x).unwrap());
    assert_eq!(f1.mean(), f4.mean());
    assert_eq!(f1.var(), f4.var());
}

/// The fused row-major kernels (matrix input) agree bit for bit with the column path (frame
/// input), whatever the thread count, and the sparse outputs equal the dense ones.
#[test]
fn matrix_kernels_match_the_column_path_and_sparse_matches_dense() {
    use oxlearn_core::{FittedTransformer, Transformer};
    let df = frame(50_000);
    let num = df.select(["a", "b"]).unwrap();
    let x = ndarray::Array2::from_shape_fn((df.height(), 2), |(i, j)| {
        num.columns()[j].f64().unwrap().get(i).unwrap_or(f64::NAN)
    });
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    for threads in [1, 3] {
        let (scaled, imputed) = pool(threads).install(|| {
            let s = StandardScaler::default().fit(&x).unwrap();
            let i = SimpleImputer::mean().add_indicator(true).fit(&x).unwrap();
            (s.transform(&x).unwrap(), i.transform(&x).unwrap())
        });
        let ct = ColumnTransformer::new()
            .add("s", StandardScaler::default(), Columns::names(["a", "b"]))
            .add("i", SimpleImputer::mean().add_indicator(true), Columns::names(["a", "b"]))
            .n_jobs(threads)
            .fit_frame(&num)
            .unwrap();
        let framed = ct.transform_frame(&num).unwrap();
        let both = ndarray::concatenate![ndarray::Axis(1), scaled, imputed];
        assert_eq!(both.dim(), framed.dim());
        assert!(both.iter().zip(&framed).all(|(a, b)| a.to_bits() == b.to_bits()), "{threads} threads");
        let sparse = ct.transform_frame_sparse(&num).unwrap();
        let dense = sparse.to_dense();
        assert!(dense.iter().zip(&framed).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())));
    }
    // One-hot: the fused dense and sparse kernels against the column path.
    let codes = x.mapv(|v| if v.is_nan() { v } else { (v.abs() as i64 % 7) as f64 });
    let enc = OneHotEncoder::default().handle_unknown_ignore().fit(&codes).unwrap();
    let dense = enc.transform(&codes).unwrap();
    assert_eq!(enc.transform_sparse(&codes).unwrap().to_dense(), dense);
    let frame_codes = df!(
        "x0" => codes.column(0).to_vec(),
        "x1" => codes.column(1).to_vec()
    )
    .unwrap();
    let via_frame = ColumnTransformer::new()
        .add("oh", OneHotEncoder::default().handle_unknown_ignore(), Columns::numeric())
        .verbose_feature_names_out(false)
        .fit_frame(&frame_codes)
        .unwrap();
    assert_eq!(via_frame.transform_frame(&frame_codes).unwrap(), dense);
    assert_eq!(via_frame.feature_names_out(), enc.feature_names_out(None));
    // Unknown values under handle_unknown = error keep their typed error on both outputs.
    let strict = OneHotEncoder::default().fit(&codes).unwrap();
    let unseen = ndarray::array![[99.0, 1.0]];
    assert!(matches!(strict.transform(&unseen), Err(oxlearn_core::Error::UnknownCategory { .. })));
    assert!(matches!(strict.transform_sparse(&unseen), Err(oxlearn_core::Error::UnknownCategory { .. })));
    assert!(matches!(
        strict.transform(&ndarray::array![[f64::INFINITY, 1.0]]),
        Err(oxlearn_core::Error::NonFinite { .. })
    ));
}

/// The fused category counts of a matrix fit (small-integer table, hash for the rest) give the
/// categories of the frame path, with negatives, large and fractional values, -0.0 and NaN, on
/// any thread count; an infinity keeps the validator's error.
#[test]
fn matrix_category_counts_match_the_frame_path() {
    use oxlearn_core::{FittedTransformer, Transformer};
    let vals = [3.0, -3.0, 2000.0, 0.5, -0.0, 0.0, f64::NAN, 1023.0, 1024.0, 7.0];
    let n = 40_000;
    let x = ndarray::Array2::from_shape_fn((n, 2), |(i, j)| vals[(i * (j + 3) + i / 7) % vals.len()]);
    let frame = df!("x0" => x.column(0).to_vec(), "x1" => x.column(1).to_vec()).unwrap();
    let via_frame = ColumnTransformer::new()
        .add("oh", OneHotEncoder::default(), Columns::numeric())
        .verbose_feature_names_out(false)
        .fit_frame(&frame)
        .unwrap();
    let pool = |t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
    for threads in [1, 3] {
        let enc = pool(threads).install(|| OneHotEncoder::default().fit(&x).unwrap());
        assert_eq!(via_frame.feature_names_out(), enc.feature_names_out(None), "{threads} threads");
        assert_eq!(via_frame.transform_frame(&frame).unwrap(), enc.transform(&x).unwrap());
        let ord = pool(threads).install(|| OrdinalEncoder::default().fit(&x).unwrap());
        assert_eq!(ord.categories(), enc.categories());
    }
    let mut bad = x.clone();
    bad[[n - 1, 1]] = f64::NEG_INFINITY;
    assert!(matches!(OneHotEncoder::default().fit(&bad), Err(oxlearn_core::Error::NonFinite { .. })));
    assert!(matches!(SimpleImputer::most_frequent().fit(&bad), Err(oxlearn_core::Error::NonFinite { .. })));
}
