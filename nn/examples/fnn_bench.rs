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
use oxlearn_nn::backend::Backend;
use oxlearn_nn::backend::Trans;
use oxlearn_nn::backend::cpu::{CpuBackend, gemm_profile, kernel_profile, set_gemm_profiling, sgemm};
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

/// The eight GEMMs of one FNN-1 step (batch 256), `(label, m, n, k, ta, tb)`.
const STEP_GEMMS: [(&str, usize, usize, usize, Trans, Trans); 8] = [
    ("fwd0 A0 W0", 256, 256, 64, Trans::No, Trans::No),
    ("fwd1 A1 W1", 256, 128, 256, Trans::No, Trans::No),
    ("fwd2 A2 W2", 256, 10, 128, Trans::No, Trans::No),
    ("gW2 A2^T D2", 128, 10, 256, Trans::Yes, Trans::No),
    ("D1 D2 W2^T", 256, 128, 10, Trans::No, Trans::Yes),
    ("gW1 A1^T D1", 256, 128, 256, Trans::Yes, Trans::No),
    ("D0 D1 W1^T", 256, 256, 128, Trans::No, Trans::Yes),
    ("gW0 A0^T D0", 64, 256, 256, Trans::Yes, Trans::No),
];

/// Times each step GEMM under several strategies (best of many runs, robust to load) and prints
/// one JSON line per shape.
fn gemm_shapes(threads: usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    pool.install(|| {
        let mut totals = [0.0f64; 4];
        for &(label, m, n, k, ta, tb) in &STEP_GEMMS {
            let a: Vec<f32> = (0..m * k).map(|i| ((i % 97) as f32) * 0.01).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i % 89) as f32) * 0.01).collect();
            let mut c = vec![0.0f32; m * n];
            let mut time = |f: &mut dyn FnMut(&mut [f32])| {
                let mut best = f64::INFINITY;
                for _ in 0..400 {
                    let t = Instant::now();
                    f(&mut c);
                    best = best.min(t.elapsed().as_secs_f64());
                }
                best
            };
            let none = time(&mut |c| sgemm(m, n, k, 1.0, &a, ta, &b, tb, 0.0, c, gemm::Parallelism::None));
            let rayon = time(&mut |c| sgemm(m, n, k, 1.0, &a, ta, &b, tb, 0.0, c, gemm::Parallelism::Rayon(threads)));
            let (a, b) = (a.clone(), b.clone());
            let (one, many) = (CpuBackend::new(1), CpuBackend::new(threads));
            let mut cv = vec![0.0f32; m * n];
            let mut time_be = |be: &CpuBackend| {
                let mut best = f64::INFINITY;
                for _ in 0..400 {
                    let t = Instant::now();
                    be.gemm(m, n, k, 1.0, &a, ta, &b, tb, 0.0, &mut cv);
                    best = best.min(t.elapsed().as_secs_f64());
                }
                best
            };
            let blocked_serial = time_be(&one);
            let blocked_par = time_be(&many);
            let flop = 2.0 * (m * n * k) as f64;
            for (t, v) in totals.iter_mut().zip([none, rayon, blocked_serial, blocked_par]) {
                *t += v;
            }
            println!(
                "{}",
                serde_json::json!({"gemm": label, "m": m, "n": n, "k": k,
                    "gflops": {"none": r6(flop / none / 1e9), "rayon": r6(flop / rayon / 1e9),
                               "blocked_serial": r6(flop / blocked_serial / 1e9), "blocked_par": r6(flop / blocked_par / 1e9)},
                    "us": {"none": r6(none * 1e6), "rayon": r6(rayon * 1e6),
                           "blocked_serial": r6(blocked_serial * 1e6), "blocked_par": r6(blocked_par * 1e6)}})
            );
        }
        println!(
            "{}",
            serde_json::json!({"step_total_us": {"none": r6(totals[0] * 1e6), "rayon": r6(totals[1] * 1e6),
                "blocked_serial": r6(totals[2] * 1e6), "blocked_par": r6(totals[3] * 1e6)}})
        );
    });
}

/// CPU time of the whole process in seconds (every thread's run time from
/// /proc/self/task/*/schedstat, nanosecond resolution); robust to other processes' load.
fn process_cpu_s() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return f64::NAN };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        * 1e-9
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Times single training steps of the FNN-1 network on `x` (minibatches of 256 in order, three
/// epochs' worth) and prints the distribution of step times: the minimum and low percentiles
/// approximate a quiet machine when other processes load this one.
fn step_bench(x: &Array2<f64>, y: &Array1<i64>, threads: usize) -> Result<(), Box<dyn std::error::Error>> {
    use oxlearn_nn::network::{HostTargets, Network, OutputLoss};
    let units = [x.ncols(), 256, 128, 10];
    let coefs: Vec<Vec<f32>> =
        units.windows(2).map(|w| (0..w[0] * w[1]).map(|i| ((i * 37 % 101) as f32 - 50.0) * 1e-3).collect()).collect();
    let intercepts: Vec<Vec<f32>> = units[1..].iter().map(|&u| vec![0.01; u]).collect();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let labels: Vec<u32> = y.iter().map(|&v| v as u32).collect();
    let n = x.nrows();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let (times, cpu) = pool.install(|| -> oxlearn_core::Result<(Vec<f64>, f64)> {
        let mut net = Network::new(
            CpuBackend::new(threads),
            &units,
            oxlearn_nn::Activation::Relu,
            OutputLoss::SoftmaxCrossEntropy,
            0.0,
            &coefs,
            &intercepts,
            256,
        )?;
        let data = net.upload_data(&x32, HostTargets::Classes(&labels))?;
        let order: Vec<u32> = (0..n as u32).map(|i| (i * 7919) % n as u32).collect();
        let order = net.backend().upload_idx(&order)?;
        let mut opt = net.adam(1e-3, 0.9, 0.999, 1e-8)?;
        let mut times = Vec::new();
        let cpu0 = process_cpu_s();
        for _ in 0..3 {
            let mut start = 0;
            while start < n {
                let end = (start + 256).min(n);
                let t = Instant::now();
                net.train_step(&data, &order, start..end, &mut opt);
                times.push(t.elapsed().as_secs_f64());
                start = end;
            }
        }
        Ok((times, (process_cpu_s() - cpu0) / 3.0))
    })?;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    let steps = n.div_ceil(256) as f64;
    println!(
        "{}",
        serde_json::json!({"step_bench": "FNN-1", "threads": threads, "steps": times.len(),
            "step_us": {"min": r6(q(0.0) * 1e6), "p10": r6(q(0.1) * 1e6), "p50": r6(q(0.5) * 1e6)},
            "epoch_s_from_steps": {"min": r6(q(0.0) * steps), "p10": r6(q(0.1) * steps), "p50": r6(q(0.5) * steps)},
            "epoch_cpu_s": r6(cpu), "loadavg": loadavg()})
    );
    Ok(())
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
    if args.iter().any(|a| a == "--gemm-shapes") {
        gemm_shapes(threads);
        return Ok(());
    }
    let started_utc = unix_now();
    let load_start = loadavg();

    let t = Instant::now();
    let (x, y) = read_fnn1(&dir)?;
    let read_s = t.elapsed().as_secs_f64();
    eprintln!("[oxlearn fnn_bench] read {} x {} in {read_s:.3}s, {threads} threads", x.nrows(), x.ncols());
    if args.iter().any(|a| a == "--step-bench") {
        return step_bench(&x, &y, threads);
    }

    // Epoch times from the callback: each report marks the end of an epoch.
    let marks = Arc::new(Mutex::new(Vec::<(Instant, f64, f64)>::new()));
    let log = marks.clone();
    let callback = Callback::new(move |p: &Progress<'_>| {
        log.lock().expect("marks").push((Instant::now(), unix_now(), process_cpu_s()));
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
    let fit_cpu_start = process_cpu_s();
    let fit_start = Instant::now();
    let model = est.fit(&x, &y)?;
    let gemm = gemm_profile();
    let kernels = kernel_profile();
    set_gemm_profiling(false);

    let marks = marks.lock().expect("marks").clone();
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    let (mut prev, mut prev_cpu) = (fit_start, fit_cpu_start);
    for (m, _, cpu) in &marks {
        times.push(m.duration_since(prev).as_secs_f64());
        cpu_times.push(cpu - prev_cpu);
        (prev, prev_cpu) = (*m, *cpu);
    }
    let fit_s: f64 = times.iter().sum();
    let epoch1_end = marks.first().map(|m| m.1);
    let steady_cpu_s = median(&cpu_times[1.min(cpu_times.len())..]);
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
            "epoch_cpu_s": cpu_times.iter().map(|v| r6(*v)).collect::<Vec<_>>(),
            "steady_epoch_cpu_s": steady_cpu_s.map(r6),
            "epoch_loss": model.loss_curve(),
            "cold_start_source": launch_source, "cold_start_proc_stat_s": cold_proc,
            "cold_start_parts_s": {"read_parquet": r6(read_s), "first_epoch": times.first().map(|v| r6(*v))},
            "gemm_s": r6(gemm.seconds), "gemm_calls": gemm.calls, "gemm_gflop": r6(gemm.flops as f64 / 1e9),
            "gemm_share_of_fit": r6(gemm.seconds / fit_s),
            "gemm_gflops_in_fit": r6(gemm_gflops),
            "gemm_peak_gflops_2048": peak.map(r6),
            "gemm_fraction_of_peak": peak.map(|p| r6(gemm_gflops / p)),
            "kernel_s": kernels.iter().map(|(k, s, _)| (k.to_string(), serde_json::json!(r6(*s)))).collect::<serde_json::Map<_, _>>(),
            "loadavg_end": loadavg(),
        }
    });
    println!("{env}");
    println!("{row}");
    Ok(())
}
