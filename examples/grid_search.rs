//! Hyper-parameter search: GridSearchCV over a frame pipeline (ColumnTransformer + random
//! forest) on the breast-cancer data, parameters addressed per step (the model's and the
//! preprocessing's: `prep__num__strategy`), candidates x folds in parallel on rayon,
//! `cv_results` as a polars DataFrame.
//!
//! `cargo run --release --example grid_search -- --bench [rows] [parquet]` times a RandomForest
//! grid and a LogisticRegression grid on the first `rows` rows (default 20000) of
//! `target/bench-data/clf-200k-50.parquet` on 2 threads, with the same 3 unshuffled stratified
//! folds as scikit-learn, and the overhead of `cross_validate` over the bare fits. It prints
//! `../shared/bench` JSON lines on stdout (readable lines on stderr); the matching scikit-learn
//! script is `examples/grid_search_sklearn.py`, and `compare.py` joins the two:
//!
//! ```text
//! cargo run --release --example grid_search -- --bench 20000 > target/gs-ox.jsonl
//! OMP_NUM_THREADS=2 taskset -c 0,1 target/bench-venv/bin/python examples/grid_search_sklearn.py 20000 > target/gs-sk.jsonl
//! python3 ../shared/bench/compare.py target/gs-sk.jsonl target/gs-ox.jsonl
//! ```

use oxlearn::core::parallel::with_n_jobs;
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
        // Preprocessing is searchable too: the "num" part's imputer (this data has no nulls, so
        // both strategies score the same here).
        .param("prep__num__strategy", ["median", "mean"])
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

/// Peak resident memory of this process (MiB), from `/proc/self/status` (`None` elsewhere).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One JSON line in `../shared/bench`'s result format (the same keys as
/// `examples/grid_search_sklearn.py`), so `compare.py` joins the two sides on `case` and `data`.
fn json_line(case: &str, data: &str, fit_s: Option<f64>, score: Option<f64>, extra: serde_json::Value) -> String {
    serde_json::json!({
        "suite": "oxlearn", "case": case, "data": data, "threads": 2, "fit_s": fit_s, "predict_s": null,
        "score": score, "metric": score.map(|_| "cv_accuracy"), "reps": 1, "peak_rss_mb": peak_rss_mb(),
        "extra": extra,
    })
    .to_string()
}

fn params_json(params: &[(String, ParamValue)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| {
            let v = match v {
                ParamValue::Float(f) => serde_json::json!(f),
                ParamValue::Int(i) => serde_json::json!(i),
                ParamValue::Bool(b) => serde_json::json!(b),
                ParamValue::Str(s) => serde_json::json!(s),
                ParamValue::None => serde_json::Value::Null,
                ParamValue::IntList(l) => serde_json::json!(l),
            };
            (k.clone(), v)
        })
        .collect();
    serde_json::Value::Object(map)
}

/// The benchmark: prints JSON lines on stdout (an `env` line, one line per grid, the
/// `cross_validate` overhead) and readable lines on stderr.
fn bench(path: &str, rows: usize) -> Result<(), Box<dyn Error>> {
    let df = oxlearn::datasets::read_parquet(path)?.head(Some(rows));
    let (x, y) = oxlearn::datasets::xy_classification(&df, "target")?;
    let name = std::path::Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or("data");
    let data = format!("{name}[:{rows}]");
    eprintln!("data {path}[:{rows}]: {:?}", x.dim());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let loadavg: Vec<f64> = load.split_whitespace().take(3).filter_map(|v| v.parse().ok()).collect();
    println!(
        "{}",
        serde_json::json!({
            "suite": "oxlearn", "case": "env", "data": null, "threads": 2, "fit_s": null, "predict_s": null,
            "score": null, "metric": null, "reps": 1, "peak_rss_mb": null,
            "extra": {"packages": {"oxlearn": env!("CARGO_PKG_VERSION")}, "loadavg": loadavg,
                      "profile": if cfg!(debug_assertions) { "debug" } else { "release" }},
        })
    );
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    pool.install(|| -> Result<(), Box<dyn Error + Send + Sync>> {
        // The same folds on both sides: StratifiedKFold(3) without shuffling.
        let cv = StratifiedKFold::new(3);
        let grids: [(&str, GridSearchCV); 2] = [
            (
                "GridSearchCV-RandomForest",
                GridSearchCV::new(RandomForestClassifier::default().n_estimators(50).seed(0))
                    .param("max_depth", [Some(8), None])
                    .param("min_samples_leaf", [1, 5]),
            ),
            (
                "GridSearchCV-LogisticRegression",
                GridSearchCV::new(LogisticRegression::default().max_iter(1000)).param("C", [0.01, 0.1, 1.0, 10.0]),
            ),
        ];
        for (case, grid) in grids {
            let grid = grid.cv(cv.clone()).n_jobs(2);
            let t = Instant::now();
            let r = grid.fit(&x, &y)?;
            let seconds = t.elapsed().as_secs_f64();
            eprintln!(
                "{case} ({} candidates x 3 folds): {seconds:.2}s, best {:?} {:.4}",
                r.candidates().len(),
                r.best_params(),
                r.best_score()
            );
            let extra = serde_json::json!({
                "n_rows": x.nrows(), "candidates": r.candidates().len(), "folds": 3,
                "best_params": params_json(r.best_params()), "mean_test_scores": r.mean_test_scores(),
            });
            println!("{}", json_line(case, &data, Some(seconds), Some(r.best_score()), extra));
        }

        // cross_validate's overhead over the bare fits: the same folds, both on one thread (the
        // bare loop in a 1-thread pool, cross_validate with n_jobs 1), alternated three times, medians.
        let model = LogisticRegression::default().max_iter(1000);
        let folds = StratifiedKFold::new(5).split(x.nrows(), Some(&(&y).into()), None)?;
        let bare_fits = || -> Result<f64, Box<dyn Error + Send + Sync>> {
            let t = Instant::now();
            for (train, test) in &folds {
                let xt = x.select(ndarray::Axis(0), train);
                let yt: ndarray::Array1<Label> = train.iter().map(|&i| y[i].clone()).collect();
                let m = model.fit(&xt, &yt)?;
                let xs = x.select(ndarray::Axis(0), test);
                let ys: ndarray::Array1<Label> = test.iter().map(|&i| y[i].clone()).collect();
                m.score(&xs, &ys)?;
            }
            Ok(t.elapsed().as_secs_f64())
        };
        let (mut bare_all, mut cv_all) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            bare_all.push(with_n_jobs(Some(1), bare_fits)??);
            let t = Instant::now();
            cross_validate_with(
                &model,
                CvData::xy(&x, &y),
                &StratifiedKFold::new(5),
                &["accuracy"],
                &CvOptions { n_jobs: Some(1), ..CvOptions::default() },
            )?;
            cv_all.push(t.elapsed().as_secs_f64());
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (bare, cv_time) = (median(&mut bare_all), median(&mut cv_all));
        let overhead = 100.0 * (cv_time / bare - 1.0);
        eprintln!("cross_validate (5 folds, 1 thread) {cv_time:.3}s vs bare fits {bare:.3}s: overhead {overhead:+.1}%");
        let extra = serde_json::json!({"n_rows": x.nrows(), "bare_fits_s": bare, "overhead_pct": overhead});
        println!("{}", json_line("cross_validate-overhead", &data, Some(cv_time), None, extra));
        Ok(())
    })
    .map_err(|e| e as Box<dyn Error>)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bench") {
        let rows = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
        let path = args.get(i + 2).map_or("target/bench-data/clf-200k-50.parquet", String::as_str);
        return bench(path, rows);
    }
    demo()
}

#[cfg(test)]
#[test]
fn runs() {
    main().unwrap();
    // The benchmark path on a tiny file (the real data lives in target/bench-data).
    let data = oxlearn::datasets::breast_cancer();
    let mut df = data.to_frame().unwrap();
    df.with_column(Column::from(Series::new("target".into(), data.y.to_vec()))).unwrap();
    let path = std::env::temp_dir().join(format!("oxlearn-grid-bench-{}.parquet", std::process::id()));
    oxlearn::datasets::write_parquet(&df, &path).unwrap();
    let r = bench(path.to_str().unwrap(), 240);
    std::fs::remove_file(&path).unwrap();
    r.unwrap();
}
