//! Hyper-parameter search: GridSearchCV over a frame pipeline (ColumnTransformer + random
//! forest) on the breast-cancer data, parameters addressed per step, candidates x folds in
//! parallel on rayon, `cv_results` as a polars DataFrame.
//!
//! `cargo run --release --example grid_search -- --bench [rows]` times a RandomForest grid and a
//! LogisticRegression grid on `target/bench-data/clf-200k-50.parquet` (first `rows` rows,
//! default 20000) on 2 threads, and the overhead of `cross_validate` over the bare fits; the
//! matching scikit-learn script is `examples/grid_search_sklearn.py`.

use std::error::Error;
use std::time::Instant;

use oxlearn::pipeline::{
    CrossValidator, CvData, CvOptions, GridSearchCV, Pipeline, StratifiedKFold, cross_validate_with,
};
use oxlearn::prelude::*;
use polars::prelude::*;

fn demo() -> Result<(), Box<dyn Error>> {
    let data = oxlearn::datasets::breast_cancer();
    let mut df = data.to_frame()?;
    let labels: Vec<&str> = data.y.iter().map(|&c| data.target_names[c as usize].as_str()).collect();
    df.with_column(Column::from(Series::new("target".into(), labels)))?;
    let prep = ColumnTransformer::new().add(
        "num",
        SimpleImputer::median().then(StandardScaler::default()),
        Columns::numeric(),
    );
    let pipe =
        Pipeline::new().step("prep", prep).step("model", RandomForestClassifier::default().n_estimators(20).seed(0));
    let t0 = Instant::now();
    let search = GridSearchCV::new(pipe)
        .param("model__max_depth", [None, Some(4)])
        .param("model__min_samples_leaf", [1, 5])
        .cv(StratifiedKFold::new(3).seed(0))
        .scoring("accuracy")
        .n_jobs(2)
        .fit_frame(&df, "target")?;
    println!("{} candidates in {:.2}s", search.candidates().len(), t0.elapsed().as_secs_f64());
    println!("best {:?} accuracy {:.4}", search.best_params(), search.best_score());
    let table = search.cv_results();
    println!("{}", table.select(["params", "mean_test_score", "std_test_score", "rank_test_score"])?);
    if search.best_score() < 0.9 {
        return Err(format!("best score {:.4} is below 0.9", search.best_score()).into());
    }
    Ok(())
}

fn bench(rows: usize) -> Result<(), Box<dyn Error>> {
    let path = "target/bench-data/clf-200k-50.parquet";
    let df = oxlearn::datasets::read_parquet(path)?.head(Some(rows));
    let (x, y) = oxlearn::datasets::xy_classification(&df, "target")?;
    println!("data {path}[:{rows}]: {:?}", x.dim());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    pool.install(|| -> Result<(), Box<dyn Error + Send + Sync>> {
        let cv = StratifiedKFold::new(3);
        let rf = GridSearchCV::new(RandomForestClassifier::default().n_estimators(50).seed(0))
            .param("max_depth", [Some(8), None])
            .param("min_samples_leaf", [1, 5])
            .cv(cv.clone())
            .n_jobs(2);
        let t = Instant::now();
        let r = rf.fit(&x, &y)?;
        println!(
            "GridSearchCV RandomForest (4 candidates x 3 folds, 50 trees): {:.2}s, best {:?} {:.4}",
            t.elapsed().as_secs_f64(),
            r.best_params(),
            r.best_score()
        );
        let lr = GridSearchCV::new(LogisticRegression::default().max_iter(1000))
            .param("C", [0.01, 0.1, 1.0, 10.0])
            .cv(cv.clone())
            .n_jobs(2);
        let t = Instant::now();
        let r = lr.fit(&x, &y)?;
        println!(
            "GridSearchCV LogisticRegression (4 candidates x 3 folds): {:.2}s, best {:?} {:.4}",
            t.elapsed().as_secs_f64(),
            r.best_params(),
            r.best_score()
        );

        // cross_validate's overhead over the bare fits (same folds, one thread each, sequential).
        let model = LogisticRegression::default().max_iter(1000);
        let folds = StratifiedKFold::new(5).split(x.nrows(), Some(&(&y).into()), None)?;
        let t = Instant::now();
        for (train, test) in &folds {
            let xt = x.select(ndarray::Axis(0), train);
            let yt: ndarray::Array1<Label> = train.iter().map(|&i| y[i].clone()).collect();
            let m = model.fit(&xt, &yt)?;
            let xs = x.select(ndarray::Axis(0), test);
            let ys: ndarray::Array1<Label> = test.iter().map(|&i| y[i].clone()).collect();
            m.score(&xs, &ys)?;
        }
        let bare = t.elapsed().as_secs_f64();
        let t = Instant::now();
        cross_validate_with(
            &model,
            CvData::xy(&x, &y),
            &StratifiedKFold::new(5),
            &["accuracy"],
            &CvOptions { n_jobs: Some(1), ..CvOptions::default() },
        )?;
        let cv_time = t.elapsed().as_secs_f64();
        println!(
            "cross_validate (5 folds, 1 thread) {cv_time:.3}s vs bare fits {bare:.3}s: overhead {:+.1}%",
            100.0 * (cv_time / bare - 1.0)
        );
        Ok(())
    })
    .map_err(|e| e as Box<dyn Error>)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bench") {
        let rows = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
        return bench(rows);
    }
    demo()
}

#[cfg(test)]
#[test]
fn runs() {
    main().unwrap()
}
