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
