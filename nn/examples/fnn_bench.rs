//! The FNN-1 side-by-side benchmark (../shared/bench/README.md): reads `fnn1.parquet`, trains
//! MlpClassifier 64 -> 256 -> 128 -> 10 (ReLU, softmax cross-entropy, Adam 1e-3, batch 256,
//! 5 epochs) on the CPU and prints JSON lines in the kit's format, plus the GEMM peak of this
//! machine measured with the same GEMM crate.
//!
//! ```text
//! cargo build --release -p oxlearn-nn --example fnn_bench
//! BENCH_LAUNCH_NS=$(date +%s%N) target/release/examples/fnn_bench --data target/bench-data --threads 2
//! ```
//!
//! Options: `--data DIR` (required), `--threads N` (default: all cores), `--epochs N`
//! (default 5), `--no-peak` (skip the GEMM-peak measurement, which runs after the fit).

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ndarray::{Array1, Array2};
use oxlearn_core::prelude::*;
use oxlearn_core::{Callback, Progress};
use oxlearn_nn::backend::Trans;
use oxlearn_nn::backend::cpu::{gemm_profile, set_gemm_profiling, sgemm};
use oxlearn_nn::{Device, MlpClassifier};
use polars::prelude::*;

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Process creation time in Unix seconds from /proc (field 22 of /proc/self/stat against
/// /proc/uptime; 10 ms resolution).
fn process_start_unix() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let ticks: f64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()?;
    Some(unix_now() - (uptime - ticks / 100.0))
}

fn launch_unix() -> (Option<f64>, &'static str) {
    match std::env::var("BENCH_LAUNCH_NS").ok().and_then(|v| v.parse::<u128>().ok()) {
        Some(ns) => (Some(ns as f64 / 1e9), "BENCH_LAUNCH_NS (set by the launcher)"),
        None => (process_start_unix(), "/proc/self/stat starttime"),
    }
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

fn loadavg() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).filter_map(|v| v.parse().ok()).collect())
        .unwrap_or_default()
}

fn r6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Reads X (features in the sidecar's order, as f64) and the class labels.
fn read_fnn1(dir: &str) -> Result<(Array2<f64>, Array1<i64>), Box<dyn std::error::Error>> {
    let df = ParquetReader::new(std::fs::File::open(format!("{dir}/fnn1.parquet"))?).finish()?;
    let features: Vec<String> = match std::fs::read_to_string(format!("{dir}/fnn1.json")) {
        Ok(text) => {
            let meta: serde_json::Value = serde_json::from_str(&text)?;
            meta["features"]
                .as_array()
                .ok_or("sidecar without features")?
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        }
        Err(_) => df.get_column_names().iter().map(|s| s.to_string()).filter(|n| n != "target").collect(),
    };
    let n = df.height();
    let mut x = Array2::<f64>::zeros((n, features.len()));
    for (j, name) in features.iter().enumerate() {
        let col = df.column(name)?.cast(&DataType::Float64)?;
        for (i, v) in col.f64()?.iter().enumerate() {
            x[[i, j]] = v.ok_or("null in features")?;
        }
    }
    let target = df.column("target")?.cast(&DataType::Int64)?;
    let y = target.i64()?.iter().map(|v| v.ok_or("null in target")).collect::<Result<Array1<i64>, _>>()?;
    Ok((x, y))
}

/// f32 GEMM peak of this machine with the same crate and thread count: the best of a few
/// 2048^3 products.
fn gemm_peak(threads: usize) -> f64 {
    let n = 2048;
    let a: Vec<f32> = (0..n * n).map(|i| ((i % 97) as f32) * 0.01).collect();
    let b: Vec<f32> = (0..n * n).map(|i| ((i % 89) as f32) * 0.01).collect();
    let mut c = vec![0.0f32; n * n];
    let par = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    pool.install(|| {
        let mut best = f64::INFINITY;
        for _ in 0..4 {
            let t = Instant::now();
            sgemm(n, n, n, 1.0, &a, Trans::No, &b, Trans::No, 0.0, &mut c, par);
            best = best.min(t.elapsed().as_secs_f64());
        }
        2.0 * (n as f64).powi(3) / best / 1e9
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (launch, launch_source) = launch_unix();
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let dir = opt("--data").ok_or("usage: fnn_bench --data DIR [--threads N] [--epochs N] [--no-peak]")?;
    let threads: usize = opt("--threads")
        .map(|t| t.parse())
        .transpose()?
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let epochs: usize = opt("--epochs").map(|t| t.parse()).transpose()?.unwrap_or(5);
    let started_utc = unix_now();
    let load_start = loadavg();

    let t = Instant::now();
    let (x, y) = read_fnn1(&dir)?;
    let read_s = t.elapsed().as_secs_f64();
    eprintln!("[oxlearn fnn_bench] read {} x {} in {read_s:.3}s, {threads} threads", x.nrows(), x.ncols());

    // Epoch times from the callback: each report marks the end of an epoch.
    let marks = Arc::new(Mutex::new(Vec::<(Instant, f64)>::new()));
    let log = marks.clone();
    let callback = Callback::new(move |p: &Progress<'_>| {
        log.lock().expect("marks").push((Instant::now(), unix_now()));
        eprintln!("[oxlearn fnn_bench] epoch {}: loss {:.4}", p.iteration, p.loss.unwrap_or(f64::NAN));
        ControlFlow::Continue(())
    });
    let est = MlpClassifier::default()
        .hidden_layer_sizes([256, 128])
        .learning_rate_init(1e-3)
        .batch_size(256)
        .max_iter(epochs)
        .tol(0.0)
        .n_iter_no_change(usize::MAX)
        .alpha(0.0)
        .seed(0)
        .device(Device::Cpu)
        .n_jobs(threads)
        .callback(callback);

    set_gemm_profiling(true);
    let fit_start = Instant::now();
    let model = est.fit(&x, &y)?;
    let gemm = gemm_profile();
    set_gemm_profiling(false);

    let marks = marks.lock().expect("marks").clone();
    let mut times = Vec::new();
    let mut prev = fit_start;
    for (m, _) in &marks {
        times.push(m.duration_since(prev).as_secs_f64());
        prev = *m;
    }
    let fit_s: f64 = times.iter().sum();
    let epoch1_end = marks.first().map(|m| m.1);
    let cold_start = match (launch, epoch1_end) {
        (Some(l), Some(e)) => Some(r6(e - l)),
        _ => None,
    };
    let cold_proc = match (process_start_unix(), epoch1_end) {
        (Some(l), Some(e)) => Some(r6(e - l)),
        _ => None,
    };

    let t = Instant::now();
    let pred = model.predict(&x)?;
    let predict_s = t.elapsed().as_secs_f64();
    let acc = pred.iter().zip(y.iter()).filter(|(a, b)| a == b).count() as f64 / y.len() as f64;
    let mut steady: Vec<f64> = times[1..].to_vec();
    steady.sort_by(f64::total_cmp);
    let steady_s = if steady.is_empty() {
        None
    } else if steady.len() % 2 == 1 {
        Some(steady[steady.len() / 2])
    } else {
        Some((steady[steady.len() / 2 - 1] + steady[steady.len() / 2]) / 2.0)
    };
    let rss = peak_rss_mb();

    let peak = if args.iter().any(|a| a == "--no-peak") { None } else { Some(gemm_peak(threads)) };
    let gemm_gflops = gemm.gflops();

    let env = serde_json::json!({
        "suite": "oxlearn", "case": "env", "data": null, "threads": threads, "fit_s": null, "predict_s": null,
        "score": null, "metric": null, "reps": epochs, "peak_rss_mb": null,
        "extra": {"packages": {"oxlearn": env!("CARGO_PKG_VERSION")}, "loadavg": load_start,
                  "usable_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                  "started_unix": started_utc, "quick_data": dir.contains("quick")}
    });
    let row = serde_json::json!({
        "suite": "oxlearn", "case": "FNN-1", "data": "fnn1", "threads": threads,
        "fit_s": r6(fit_s), "predict_s": r6(predict_s), "score": acc, "metric": "train_accuracy",
        "reps": epochs, "peak_rss_mb": rss,
        "first_epoch_s": times.first().map(|v| r6(*v)), "steady_epoch_s": steady_s.map(r6),
        "cold_start_s": cold_start, "device": "cpu",
        "extra": {
            "n_rows": x.nrows(), "n_features": x.ncols(), "hidden": [256, 128], "batch": 256,
            "steps_per_epoch": x.nrows().div_ceil(256), "epochs": epochs, "lr": 1e-3,
            "epoch_s": times.iter().map(|v| r6(*v)).collect::<Vec<_>>(),
            "epoch_loss": model.loss_curve(),
            "cold_start_source": launch_source, "cold_start_proc_stat_s": cold_proc,
            "cold_start_parts_s": {"read_parquet": r6(read_s), "first_epoch": times.first().map(|v| r6(*v))},
            "gemm_s": r6(gemm.seconds), "gemm_calls": gemm.calls, "gemm_gflop": r6(gemm.flops as f64 / 1e9),
            "gemm_share_of_fit": r6(gemm.seconds / fit_s),
            "gemm_gflops_in_fit": r6(gemm_gflops),
            "gemm_peak_gflops_2048": peak.map(r6),
            "gemm_fraction_of_peak": peak.map(|p| r6(gemm_gflops / p)),
            "loadavg_end": loadavg(),
        }
    });
    println!("{env}");
    println!("{row}");
    Ok(())
}
