//! The oxlearn side of the side-by-side benchmark kit (`../shared/bench/README.md`): reads the
//! kit's Parquet files, times each case as the Python side does, prints JSON lines.
//!
//! ```text
//! oxlearn-bench --data target/bench-data --threads 2 --reps 3 [--only CASE]... [--backend linfa]
//! ```
//! `--backend linfa` times the estimators' linfa backend (set through the estimator's `solver` /
//! `backend` / `svd_solver` parameter) and marks the rows `extra.variant = "linfa"`; cases without
//! a linfa backend print an error row.
//! Without `--only`, every case runs in its own child process (as the Python side does), so each
//! `peak_rss_mb` covers one case.

use std::path::PathBuf;

use ndarray::{Array1, Array2, s};
use oxlearn::core::{DynEstimator, Label, Output, TargetView};
use oxlearn_benches::{BenchData, CaseResult, cpu_seconds, huge_page_copy, load, print_case, print_env, timed};

struct Args {
    data: PathBuf,
    threads: usize,
    reps: usize,
    only: Vec<String>,
    backend: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { data: PathBuf::from("target/bench-data"), threads: 2, reps: 3, only: vec![], backend: None };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--data" => args.data = PathBuf::from(value()?),
            "--threads" => args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--reps" => args.reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--only" => args.only.push(value()?),
            "--backend" => args.backend = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// What a case measures.
enum Task {
    /// Fit on the whole data, predict on it, score with the metric.
    Supervised { classify: bool },
    /// Fit, then transform the same data.
    Transform,
    /// Fit on rows [0, a), predict rows [a, b) (KNN) or the same rows (SVC).
    Slice { fit_rows: usize, query: Option<(usize, usize)>, classify: bool },
    /// Clustering: fit, predict, report inertia through the case's own scorer.
    Cluster,
    /// Timed by its own function through the typed API (sparse outputs, DataFrames, jobs); it
    /// returns one or more rows (data label, result).
    Own(OwnCase),
}

type OwnCase = fn(&BenchData, usize, usize) -> Result<Vec<(String, CaseResult)>, String>;

struct Case {
    name: &'static str,
    data: &'static str,
    task: Task,
    metric: &'static str,
    make: fn() -> Box<dyn DynEstimator>,
}

fn cases() -> Vec<Case> {
    use oxlearn::algorithms::*;
    use oxlearn::preprocessing::*;
    let sup = |classify| Task::Supervised { classify };
    vec![
        Case {
            name: "StandardScaler",
            data: "clf-200k-50",
            task: Task::Transform,
            metric: "out_mean_abs",
            make: || Box::new(StandardScaler::default()),
        },
        Case {
            // Issue 4's size (1M x 20, with NaN: both sides ignore it in fit and keep it);
            // scikit-learn's side: scripts/sklearn_extra_cases.py.
            name: "StandardScaler(nan-1m-20)",
            data: "nan-1m-20",
            task: Task::Transform,
            metric: "out_mean_abs",
            make: || Box::new(StandardScaler::default()),
        },
        Case {
            // scikit-learn's StandardScaler(copy=False): transform_inplace on a fresh copy of X
            // each repetition (the copy untimed); scripts/sklearn_extra_cases.py does the same.
            name: "StandardScaler(copy=False)",
            data: "nan-1m-20",
            task: Task::Own(standard_scaler_inplace),
            metric: "out_mean_abs",
            make: || Box::new(StandardScaler::default()),
        },
        Case {
            name: "OneHotEncoder(dense)",
            data: "cat-1m-5",
            task: Task::Transform,
            metric: "out_mean_abs",
            make: || Box::new(OneHotEncoder::default()),
        },
        Case {
            name: "OneHotEncoder(sparse)",
            data: "cat-1m-5",
            task: Task::Own(own::onehot_sparse),
            metric: "out_mean_abs",
            make: || Box::new(OneHotEncoder::default()),
        },
        Case {
            name: "ColumnTransformer",
            data: "mixed-200k",
            task: Task::Own(own::column_transformer),
            metric: "out_mean_abs",
            make: || Box::new(StandardScaler::default()),
        },
        Case {
            name: "FeatureJob",
            data: "mixed-200k",
            task: Task::Own(own::feature_job),
            metric: "rows_per_s",
            make: || Box::new(StandardScaler::default()),
        },
        Case {
            name: "SimpleImputer(mean)",
            data: "nan-1m-20",
            task: Task::Transform,
            metric: "out_mean_abs",
            make: || Box::new(SimpleImputer::mean()),
        },
        Case {
            name: "LogisticRegression",
            data: "clf-200k-50",
            task: sup(true),
            metric: "train_accuracy",
            make: || Box::new(LogisticRegression::default().c(1.0).max_iter(1000)),
        },
        Case {
            name: "LinearRegression",
            data: "reg-200k-50",
            task: sup(false),
            metric: "train_r2",
            make: || Box::new(LinearRegression::default()),
        },
        Case {
            name: "Ridge",
            data: "reg-200k-50",
            task: sup(false),
            metric: "train_r2",
            make: || Box::new(Ridge::default().alpha(1.0)),
        },
        Case {
            name: "Lasso",
            data: "reg-200k-50",
            task: sup(false),
            metric: "train_r2",
            make: || Box::new(Lasso::default().alpha(0.1)),
        },
        Case {
            name: "ElasticNet",
            data: "reg-200k-50",
            task: sup(false),
            metric: "train_r2",
            make: || Box::new(ElasticNet::default().alpha(0.1).l1_ratio(0.5)),
        },
        Case {
            name: "LinearSVC",
            data: "clf-200k-50",
            task: sup(true),
            metric: "train_accuracy",
            make: || Box::new(LinearSVC::default().c(1.0).seed(0)),
        },
        Case {
            name: "SVC",
            data: "clf-200k-50",
            task: Task::Slice { fit_rows: 20_000, query: None, classify: true },
            metric: "train_accuracy",
            make: || Box::new(SVC::default()),
        },
        Case {
            name: "DecisionTreeClassifier",
            data: "clf-200k-50",
            task: sup(true),
            metric: "train_accuracy",
            make: || Box::new(DecisionTreeClassifier::default().seed(0)),
        },
        Case {
            name: "DecisionTreeRegressor",
            data: "reg-200k-50",
            task: sup(false),
            metric: "train_r2",
            make: || Box::new(DecisionTreeRegressor::default().seed(0)),
        },
        Case {
            name: "RandomForestClassifier",
            data: "clf-200k-50",
            task: sup(true),
            metric: "train_accuracy",
            make: || Box::new(RandomForestClassifier::default().seed(0)),
        },
        Case {
            name: "RandomForestRegressor",
            data: "reg-200k-50",
            task: sup(false),
            metric: "train_r2",
            make: || Box::new(RandomForestRegressor::default().seed(0)),
        },
        Case {
            name: "KNeighborsClassifier",
            data: "clf-200k-50",
            task: Task::Slice { fit_rows: 20_000, query: Some((20_000, 25_000)), classify: true },
            metric: "holdout_accuracy",
            make: || Box::new(KNeighborsClassifier::default().n_neighbors(5)),
        },
        Case {
            name: "GaussianNB",
            data: "clf-200k-50",
            task: sup(true),
            metric: "train_accuracy",
            make: || Box::new(GaussianNB::default()),
        },
        Case {
            name: "KMeans",
            data: "clf-200k-50",
            task: Task::Cluster,
            metric: "train_inertia",
            make: || Box::new(KMeans::default().n_clusters(8).n_init(1).seed(0)),
        },
        Case {
            name: "KMeans(elkan)",
            data: "clf-200k-50",
            task: Task::Cluster,
            metric: "train_inertia",
            make: || Box::new(KMeans::default().n_clusters(8).n_init(1).seed(0).algorithm(KMeansAlgorithm::Elkan)),
        },
        Case {
            name: "PCA",
            data: "clf-200k-50",
            task: Task::Transform,
            metric: "train_explained_variance_ratio",
            make: || Box::new(Pca::default().n_components(PcaComponents::N(10))),
        },
    ]
}

/// Scores that need the typed fitted model (inertia, explained variance).
fn typed_score(case: &Case, fitted: &dyn oxlearn::core::DynFitted) -> Option<f64> {
    use oxlearn::algorithms::*;
    match case.name {
        "KMeans" | "KMeans(elkan)" => fitted.as_any().downcast_ref::<FittedKMeans>().map(|k| k.inertia()),
        "PCA" => fitted.as_any().downcast_ref::<FittedPca>().map(|p| p.explained_variance_ratio().sum()),
        _ => None,
    }
}

/// The kit's data string: the file name plus the slice for SVC / KNN.
fn data_label(case: &Case) -> String {
    match case.task {
        Task::Slice { fit_rows, query: Some((a, b)), .. } => format!("{}[:{fit_rows}],query[{a}:{b}]", case.data),
        Task::Slice { fit_rows, query: None, .. } => format!("{}[:{fit_rows}]", case.data),
        _ => case.data.to_string(),
    }
}

fn labels(y: &Array1<f64>) -> Array1<Label> {
    y.mapv(|v| Label::Int(v as i64))
}

fn mean_abs(m: &Array2<f64>) -> f64 {
    m.iter().map(|v| v.abs()).sum::<f64>() / m.len() as f64
}

fn score(out: &Output, y: Option<&Array1<f64>>, metric: &str) -> Option<f64> {
    match (out, y) {
        (Output::Labels(pred), Some(y)) => oxlearn::core::metrics::accuracy_score(labels(y).view(), pred.view()).ok(),
        (Output::Values(pred), Some(y)) => oxlearn::core::metrics::r2_score(y.view(), pred.view()).ok(),
        (Output::Matrix(m), _) if metric == "out_mean_abs" => Some(mean_abs(m)),
        _ => None,
    }
}

/// The case's estimator, switched to `backend` through the first of its `solver` / `backend` /
/// `svd_solver` parameters that accepts the name.
fn make_estimator(case: &Case, backend: Option<&str>) -> Result<Box<dyn DynEstimator>, String> {
    let mut est = (case.make)();
    if let Some(b) = backend {
        let value = oxlearn::core::ParamValue::Str(b.to_string());
        if !["solver", "backend", "svd_solver"].iter().any(|p| est.set_param(p, &value).is_ok()) {
            return Err(format!("{} has no {b:?} backend", case.name));
        }
    }
    Ok(est)
}

fn run_case(case: &Case, data: &BenchData, reps: usize, backend: Option<&str>) -> Result<CaseResult, String> {
    let mut r = CaseResult { metric: Some(case.metric), ..Default::default() };
    if let Some(b) = backend {
        r.extra.insert("variant".into(), serde_json::json!(b));
    }
    let (x_fit, y_fit, x_pred, y_pred) = match &case.task {
        Task::Slice { fit_rows, query, .. } => {
            let (a, b) = query.unwrap_or((0, *fit_rows));
            (
                huge_page_copy(data.x.slice(s![..*fit_rows, ..])),
                data.y.as_ref().map(|y| y.slice(s![..*fit_rows]).to_owned()),
                huge_page_copy(data.x.slice(s![a..b, ..])),
                data.y.as_ref().map(|y| y.slice(s![a..b]).to_owned()),
            )
        }
        _ => (huge_page_copy(data.x.view()), data.y.clone(), huge_page_copy(data.x.view()), data.y.clone()),
    };
    let classify = matches!(case.task, Task::Supervised { classify: true } | Task::Slice { classify: true, .. });
    let y_labels = y_fit.as_ref().map(labels);
    r.n_rows = x_fit.nrows();
    let mut predict_cpu_s = Vec::new();
    for rep in 0..reps {
        let est = make_estimator(case, backend)?;
        let target = match (&case.task, classify, &y_labels, &y_fit) {
            (Task::Transform | Task::Cluster, ..) => TargetView::None,
            (_, true, Some(l), _) => TargetView::Labels(l.view()),
            (_, false, _, Some(v)) => TargetView::Values(v.view()),
            _ => TargetView::None,
        };
        let cpu0 = cpu_seconds();
        let (fit_s, fitted) = timed(|| est.fit_dyn(x_fit.view(), target));
        r.fit_cpu_s.push(cpu_seconds() - cpu0);
        let fitted = fitted.map_err(|e| e.to_string())?;
        r.fit_all_s.push(fit_s);
        let cpu0 = cpu_seconds();
        let (pred_s, out) = timed(|| fitted.predict_dyn(x_pred.view()));
        predict_cpu_s.push(cpu_seconds() - cpu0);
        let out = out.map_err(|e| e.to_string())?;
        r.predict_all_s.push(pred_s);
        if rep == 0 {
            r.score = typed_score(case, fitted.as_ref()).or_else(|| score(&out, y_pred.as_ref(), case.metric));
            if let Some(k) = fitted.as_any().downcast_ref::<oxlearn::algorithms::FittedKMeans>() {
                r.extra.insert("n_iter".into(), serde_json::json!(k.n_iter()));
            }
        }
    }
    r.extra.insert("predict_cpu_s".into(), serde_json::json!(predict_cpu_s));
    Ok(r)
}

/// `StandardScaler(copy=False)`: fit, then `transform_inplace` on a fresh copy of X (made
/// before the clock starts) each repetition.
fn standard_scaler_inplace(
    data: &BenchData,
    reps: usize,
    _threads: usize,
) -> Result<Vec<(String, CaseResult)>, String> {
    use oxlearn::core::{FittedTransformer, Transformer};
    let x = &data.x;
    let mut r = CaseResult { metric: Some("out_mean_abs"), n_rows: x.nrows(), ..Default::default() };
    let mut predict_cpu_s = Vec::new();
    for rep in 0..reps {
        let cpu0 = cpu_seconds();
        let (fit_s, fitted) = timed(|| oxlearn::preprocessing::StandardScaler::default().fit(x));
        r.fit_cpu_s.push(cpu_seconds() - cpu0);
        let fitted = fitted.map_err(|e| e.to_string())?;
        r.fit_all_s.push(fit_s);
        let mut out = huge_page_copy(x.view());
        let cpu0 = cpu_seconds();
        let (pred_s, done) = timed(|| fitted.transform_inplace(&mut out));
        predict_cpu_s.push(cpu_seconds() - cpu0);
        done.map_err(|e| e.to_string())?;
        r.predict_all_s.push(pred_s);
        if rep == 0 {
            r.score = Some(mean_abs(&out));
        }
    }
    r.extra.insert("predict_cpu_s".into(), serde_json::json!(predict_cpu_s));
    Ok(vec![("nan-1m-20".into(), r)])
}

#[path = "oxlearn-bench/own.rs"]
mod own;

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("oxlearn-bench: {e}");
            std::process::exit(2);
        }
    };
    let all = cases();
    if args.only.is_empty() {
        // One child process per case, as the Python side.
        print_env(args.threads, args.reps, args.data.to_string_lossy().contains("quick"));
        let exe = std::env::current_exe().expect("own executable");
        for case in &all {
            let status = std::process::Command::new(&exe)
                .args(["--data", &args.data.to_string_lossy(), "--threads", &args.threads.to_string()])
                .args(["--reps", &args.reps.to_string(), "--only", case.name])
                .args(args.backend.iter().flat_map(|b| ["--backend", b.as_str()]))
                .env("OXLEARN_BENCH_CHILD", "1")
                .status();
            if let Err(e) = status {
                eprintln!("{}: {e}", case.name);
            }
        }
        return;
    }
    if std::env::var_os("OXLEARN_BENCH_CHILD").is_none() {
        print_env(args.threads, args.reps, args.data.to_string_lossy().contains("quick"));
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build().expect("thread pool");
    for case in all.iter().filter(|c| args.only.iter().any(|o| o == c.name)) {
        if let (Task::Own(f), None) = (&case.task, &args.backend) {
            let rows = load(&args.data, case.data).and_then(|data| pool.install(|| f(&data, args.reps, args.threads)));
            match rows {
                Ok(rows) => rows.into_iter().for_each(|(d, r)| print_case(case.name, &d, args.threads, args.reps, r)),
                Err(e) => eprintln!("{}: {e}", case.name),
            }
            continue;
        }
        let backend = args.backend.as_deref();
        let result = match case.task {
            Task::Own(_) => Err(format!("{} has no {:?} backend", case.name, backend.unwrap_or_default())),
            _ => {
                load(&args.data, case.data).and_then(|data| pool.install(|| run_case(case, &data, args.reps, backend)))
            }
        };
        match result {
            Ok(r) => print_case(case.name, &data_label(case), args.threads, args.reps, r),
            Err(e) => {
                let mut extra = serde_json::Map::new();
                extra.insert("error".into(), serde_json::json!(e));
                if let Some(b) = backend {
                    extra.insert("variant".into(), serde_json::json!(b));
                }
                eprintln!("{}: {e}", case.name);
                print_case(
                    case.name,
                    &data_label(case),
                    args.threads,
                    args.reps,
                    CaseResult { fit_all_s: vec![f64::NAN], extra, ..Default::default() },
                );
            }
        }
    }
}
