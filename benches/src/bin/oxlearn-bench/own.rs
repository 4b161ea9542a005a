//! The `oxlearn-bench` cases timed through the typed API rather than the dynamic layer: the
//! sparse one-hot output, the `ColumnTransformer` over a polars DataFrame (the kit hands
//! scikit-learn a pandas DataFrame there), and the streaming `FeatureJob` (throughput and peak
//! RSS at 1x and 10x input).

use std::path::{Path, PathBuf};

use oxlearn::core::Transformer;
use oxlearn::preprocessing::{
    ColumnTransformer, Columns, CsrMatrix, FeatureJob, OneHotEncoder, OrdinalEncoder, SimpleImputer, StandardScaler,
};
use oxlearn_benches::{BenchData, CaseResult, cpu_seconds, peak_rss_mb, timed};
use polars::prelude::*;
use serde_json::json;

type Rows = Result<Vec<(String, CaseResult)>, String>;

fn csr_mean_abs(m: &CsrMatrix) -> f64 {
    m.data().iter().map(|v| v.abs()).sum::<f64>() / (m.nrows() * m.ncols()) as f64
}

fn csr_info(r: &mut CaseResult, m: &CsrMatrix) {
    r.extra.insert("out_shape".into(), json!([m.nrows(), m.ncols()]));
    r.extra.insert("out_format".into(), json!("csr"));
    r.extra.insert("out_nnz".into(), json!(m.nnz()));
}

/// `OneHotEncoder()` with scikit-learn's default sparse output: fit, then `transform_sparse`.
pub(crate) fn onehot_sparse(data: &BenchData, reps: usize, _threads: usize) -> Rows {
    let x = &data.x;
    let mut r = CaseResult { metric: Some("out_mean_abs"), n_rows: x.nrows(), ..Default::default() };
    let mut predict_cpu = Vec::new();
    for rep in 0..reps {
        let c0 = cpu_seconds();
        let (fit_s, fitted) = timed(|| OneHotEncoder::default().fit(x));
        r.fit_cpu_s.push(cpu_seconds() - c0);
        let fitted = fitted.map_err(|e| e.to_string())?;
        r.fit_all_s.push(fit_s);
        let c0 = cpu_seconds();
        let (pred_s, out) = timed(|| fitted.transform_sparse(x));
        predict_cpu.push(cpu_seconds() - c0);
        let out = out.map_err(|e| e.to_string())?;
        r.predict_all_s.push(pred_s);
        if rep == 0 {
            r.score = Some(csr_mean_abs(&out));
            csr_info(&mut r, &out);
        }
    }
    r.extra.insert("predict_cpu_s".into(), json!(predict_cpu));
    Ok(vec![("cat-1m-5".into(), r)])
}

fn features(data: &BenchData) -> Result<(DataFrame, Vec<String>, Vec<String>), String> {
    let df = data.frame.drop("target").map_err(|e| e.to_string())?;
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let num = names.iter().filter(|n| n.starts_with("num")).cloned().collect();
    let cat = names.iter().filter(|n| n.starts_with("cat")).cloned().collect();
    Ok((df, num, cat))
}

/// The kit's `ColumnTransformer` on the polars frame: numeric `SimpleImputer(median)` then
/// `StandardScaler`; `cat_*` `SimpleImputer(most_frequent)` then
/// `OneHotEncoder(handle_unknown="ignore")`; CSR output as scikit-learn's (density ~1.6%).
/// `fit_s` times `fit_frame` (which, unlike scikit-learn's `fit`, does not also transform);
/// `extra.fit_transform_s` is `fit_frame` + `transform_frame_sparse`, the work scikit-learn's
/// `fit` does.
pub(crate) fn column_transformer(data: &BenchData, reps: usize, _threads: usize) -> Rows {
    let (df, num, cat) = features(data)?;
    let make = || {
        ColumnTransformer::new()
            .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::names(num.clone()))
            .add(
                "cat",
                SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
                Columns::names(cat.clone()),
            )
    };
    let mut r = CaseResult { metric: Some("out_mean_abs"), n_rows: df.height(), ..Default::default() };
    let (mut predict_cpu, mut fit_transform) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let ct = make();
        let c0 = cpu_seconds();
        let (fit_s, fitted) = timed(|| ct.fit_frame(&df));
        r.fit_cpu_s.push(cpu_seconds() - c0);
        let fitted = fitted.map_err(|e| e.to_string())?;
        r.fit_all_s.push(fit_s);
        let c0 = cpu_seconds();
        let (pred_s, out) = timed(|| fitted.transform_frame_sparse(&df));
        predict_cpu.push(cpu_seconds() - c0);
        let out = out.map_err(|e| e.to_string())?;
        r.predict_all_s.push(pred_s);
        fit_transform.push(fit_s + pred_s);
        if rep == 0 {
            r.score = Some(csr_mean_abs(&out));
            csr_info(&mut r, &out);
        }
    }
    r.extra.insert("predict_cpu_s".into(), json!(predict_cpu));
    r.extra.insert("fit_transform_s".into(), json!(fit_transform));
    Ok(vec![("mixed-200k".into(), r)])
}

fn vm_kb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak-RSS counter (`VmHWM`) to the current RSS (Linux `clear_refs` value 5).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    ParquetWriter::new(f).with_row_group_size(Some(50_000)).finish(df).map_err(|e| e.to_string())?;
    Ok(())
}

/// The streaming job: a `ColumnTransformer` (numeric median imputer + scaler, `cat_*`
/// most-frequent imputer + `OrdinalEncoder`, 9 output columns so that the 10x output stays
/// small on disk) fitted in memory, then `FeatureJob` (default 100 000-row chunks, `n_jobs` =
/// threads) over a Parquet copy of mixed-200k (1x, 200 000 rows) and ten copies stacked (10x,
/// 2 000 000 rows). Each row: `fit_s` = job wall time, `score` = rows/s, `extra.job_peak_rss_mb`
/// = the process's peak RSS during the job (reset before it), `extra.rss_before_mb` = RSS when
/// the job started. Files go to `target/bench-job/`.
pub(crate) fn feature_job(data: &BenchData, reps: usize, threads: usize) -> Rows {
    let (df, num, cat) = features(data)?;
    let dir = PathBuf::from("target/bench-job");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let ct = ColumnTransformer::new()
        .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::names(num))
        .add(
            "cat",
            SimpleImputer::most_frequent().then(OrdinalEncoder::default().use_encoded_value(-1.0)),
            Columns::names(cat),
        );
    let fitted = ct.fit_frame(&df).map_err(|e| e.to_string())?;
    let inputs = [("mixed-200k", 1usize), ("mixed-200k x10", 10)];
    let mut files = Vec::new();
    for (label, k) in inputs {
        let path = dir.join(format!("mixed-x{k}.parquet"));
        if !path.exists() {
            let mut big = df.clone();
            for _ in 1..k {
                big.vstack_mut(&df).map_err(|e| e.to_string())?;
            }
            big.rechunk_mut();
            write_parquet(&mut big, &path)?;
        }
        files.push((label, k, path));
    }
    drop(df);
    let mut rows = Vec::new();
    for (label, k, path) in files {
        let out = dir.join(format!("features-x{k}.parquet"));
        let mut r = CaseResult { metric: Some("rows_per_s"), ..Default::default() };
        let (mut peaks, mut before) = (Vec::new(), Vec::new());
        let mut report = None;
        for _ in 0..reps {
            let reset = reset_peak_rss();
            before.push(vm_kb("VmRSS:").map(|v| v / 1024.0));
            let c0 = cpu_seconds();
            let (s, rep) =
                timed(|| FeatureJob::new(&fitted).input(path.to_string_lossy()).output(&out).n_jobs(threads).run());
            r.fit_cpu_s.push(cpu_seconds() - c0);
            let rep = rep.map_err(|e| e.to_string())?;
            r.fit_all_s.push(s);
            peaks.push(if reset { peak_rss_mb() } else { None });
            report = Some(rep);
        }
        let rep = report.ok_or("no repetition")?;
        r.n_rows = rep.rows;
        let mut secs = r.fit_all_s.clone();
        secs.sort_by(f64::total_cmp);
        r.score = Some(rep.rows as f64 / secs[secs.len() / 2]);
        r.extra.insert("job_peak_rss_mb".into(), json!(peaks));
        r.extra.insert("rss_before_mb".into(), json!(before));
        r.extra.insert("chunks".into(), json!(rep.chunks));
        r.extra.insert("max_rows_in_flight".into(), json!(rep.max_rows_in_flight));
        r.extra.insert("input_mb".into(), json!(std::fs::metadata(&path).map(|m| m.len() as f64 / 1048576.0).ok()));
        r.extra.insert("input_copies".into(), json!(k));
        rows.push((label.to_string(), r));
    }
    Ok(rows)
}
