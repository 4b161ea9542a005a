//! Shared pieces of oxlearn's benchmarks: reading the side-by-side kit's Parquet files and
//! printing its JSON lines (see `../shared/bench/README.md` and `benches/README.md`).

use std::path::Path;
use std::time::Instant;

use ndarray::{Array1, Array2};
use polars::prelude::*;
use serde_json::{Value, json};

/// A data set of the kit: features in sidecar order, and the target column if there is one.
#[derive(Debug)]
pub struct BenchData {
    /// Features, row-major.
    pub x: Array2<f64>,
    /// The target as f64 (class index or value), if any.
    pub y: Option<Array1<f64>>,
    /// The frame as read (for frame-based cases).
    pub frame: DataFrame,
}

/// Reads `<dir>/<name>.parquet` and its sidecar `<name>.json`.
pub fn load(dir: &Path, name: &str) -> Result<BenchData, String> {
    let sidecar: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.json"))).map_err(|e| format!("{name}.json: {e}"))?,
    )
    .map_err(|e| e.to_string())?;
    let file = std::fs::File::open(dir.join(format!("{name}.parquet"))).map_err(|e| format!("{name}.parquet: {e}"))?;
    let frame = ParquetReader::new(file).finish().map_err(|e| e.to_string())?;
    let features: Vec<String> = sidecar["features"]
        .as_array()
        .ok_or("sidecar has no features")?
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let n = frame.height();
    // On transparent huge pages, as numpy backs the kit's X (see `huge_page_copy`).
    let mut x = oxlearn::core::alloc::zeros_2d(n, features.len());
    for (j, name) in features.iter().enumerate() {
        let col = frame.column(name).map_err(|e| e.to_string())?.cast(&DataType::Float64).map_err(|e| e.to_string())?;
        let ca = col.f64().map_err(|e| e.to_string())?;
        for (i, v) in ca.iter().enumerate() {
            x[[i, j]] = v.unwrap_or(f64::NAN);
        }
    }
    let y = match sidecar["target"].as_str() {
        Some(t) => {
            let col =
                frame.column(t).map_err(|e| e.to_string())?.cast(&DataType::Float64).map_err(|e| e.to_string())?;
            Some(col.f64().map_err(|e| e.to_string())?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        }
        None => None,
    };
    Ok(BenchData { x, y, frame })
}

/// A copy of `x` on transparent huge pages. The kit's scikit-learn side builds X with
/// `np.empty`, which numpy backs with huge pages (its `madvise(MADV_HUGEPAGE)` default for
/// arrays of 4 MiB or more); a plain `clone` here would give 4 KiB pages. Inputs then sit in the
/// same kind of memory on both sides (the difference measured within noise on the 1M x 20
/// StandardScaler transform).
pub fn huge_page_copy(x: ndarray::ArrayView2<'_, f64>) -> Array2<f64> {
    let mut out = oxlearn::core::alloc::zeros_2d(x.nrows(), x.ncols());
    out.assign(&x);
    out
}

/// Peak resident memory of this process in MiB (`VmHWM`).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The 1-, 5- and 15-minute load averages.
pub fn loadavg() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).filter_map(|v| v.parse().ok()).collect())
        .unwrap_or_default()
}

/// Seconds taken by `f`, and its result.
pub fn timed<R>(f: impl FnOnce() -> R) -> (f64, R) {
    let start = Instant::now();
    let r = f();
    (start.elapsed().as_secs_f64(), r)
}

/// Median of a non-empty slice.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

/// One measured case, printed as a JSON line in the kit's format.
#[derive(Debug, Default)]
pub struct CaseResult {
    /// Wall seconds of each fit.
    pub fit_all_s: Vec<f64>,
    /// Wall seconds of each predict / transform.
    pub predict_all_s: Vec<f64>,
    /// Process CPU seconds of each fit.
    pub fit_cpu_s: Vec<f64>,
    /// The case's metric value (first repetition).
    pub score: Option<f64>,
    /// The metric's name.
    pub metric: Option<&'static str>,
    /// Rows fitted.
    pub n_rows: usize,
    /// Anything else.
    pub extra: serde_json::Map<String, Value>,
}

/// Process CPU time (user + system) in seconds.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of /proc/self/stat (11 and 12 after the name).
    (ticks(11) + ticks(12)) / 100.0
}

/// Prints one case line.
pub fn print_case(case: &str, data: &str, threads: usize, reps: usize, r: CaseResult) {
    let mut extra = r.extra;
    extra.insert("n_rows".into(), json!(r.n_rows));
    extra.insert("fit_all_s".into(), json!(r.fit_all_s));
    extra.insert("predict_all_s".into(), json!(r.predict_all_s));
    extra.insert("fit_cpu_s".into(), json!(r.fit_cpu_s));
    extra.insert("loadavg".into(), json!(loadavg()));
    let line = json!({
        "suite": "oxlearn", "case": case, "data": data, "threads": threads,
        "fit_s": median(&r.fit_all_s),
        "predict_s": if r.predict_all_s.is_empty() { Value::Null } else { json!(median(&r.predict_all_s)) },
        "score": r.score, "metric": r.metric, "reps": reps, "peak_rss_mb": peak_rss_mb(),
        "extra": extra,
    });
    println!("{line}");
}

/// Prints the environment line.
pub fn print_env(threads: usize, reps: usize, quick: bool) {
    let line = json!({
        "suite": "oxlearn", "case": "env", "data": null, "threads": threads, "fit_s": null,
        "predict_s": null, "score": null, "metric": null, "reps": reps, "peak_rss_mb": null,
        "extra": {
            "packages": {"oxlearn": env!("CARGO_PKG_VERSION")},
            "loadavg": loadavg(),
            "usable_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "quick_data": quick,
        }
    });
    println!("{line}");
}
