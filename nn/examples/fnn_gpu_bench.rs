//! FNN-1 / FNN-2 on any device (../shared/bench/README.md protocol): reads the raw dumps of
//! `fnn1` / `fnn2` (see [`read`]), trains MlpClassifier as the kit's torch loop (FNN-1: 64 -> 256 -> 128 -> 10,
//! batch 256, 5 epochs; FNN-2: 256 -> 1024 -> 1024 -> 10, batch 1024, 3 epochs; ReLU, softmax
//! cross-entropy, Adam 1e-3) and prints one JSON line per case in the kit's format.
//!
//! ```text
//! cargo build --release -p oxlearn-nn --features cuda --example fnn_gpu_bench
//! target/release/examples/fnn_gpu_bench --data target/bench-data --device cuda --case FNN-1
//! ```
//!
//! Options: `--data DIR` (required), `--device cpu|wgpu|wgpu-any|cuda|auto` (default auto),
//! `--case FNN-1|FNN-2` (repeatable; default both), `--epochs N` (overrides the case's),
//! `--threads N` (CPU only).

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ndarray::{Array1, Array2};
use oxlearn_core::prelude::*;
use oxlearn_core::{Callback, Progress};
use oxlearn_nn::{Device, MlpClassifier};

type Data = (Array2<f64>, Array1<i64>);

/// Reads `{name}.x.f32` (row-major little-endian f32) and `{name}.y.i64` (labels), the raw
/// dump `scripts/gpu-check.sh` makes from the kit's parquet file (no parquet reader needed).
fn read(dir: &str, name: &str) -> std::result::Result<Data, Box<dyn std::error::Error>> {
    let xb = std::fs::read(format!("{dir}/{name}.x.f32"))?;
    let yb = std::fs::read(format!("{dir}/{name}.y.i64"))?;
    let y: Array1<i64> = yb.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    let n = y.len();
    if n == 0 || xb.len() % (4 * n) != 0 {
        return Err(format!("{name}: {} bytes of X do not match {n} labels", xb.len()).into());
    }
    let d = xb.len() / 4 / n;
    let x: Vec<f64> =
        xb.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes")))).collect();
    Ok((Array2::from_shape_vec((n, d), x)?, y))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let h = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[h] } else { (v[h - 1] + v[h]) / 2.0 })
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let process_start = Instant::now();
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let dir = opt("--data").ok_or("usage: fnn_gpu_bench --data DIR [--device D] [--case C]")?;
    let device = Device::parse(&opt("--device").unwrap_or_else(|| "auto".into()))?;
    let threads: Option<usize> = opt("--threads").map(|t| t.parse()).transpose()?;
    let mut cases: Vec<String> = args.windows(2).filter(|w| w[0] == "--case").map(|w| w[1].clone()).collect();
    if cases.is_empty() {
        cases = vec!["FNN-1".into(), "FNN-2".into()];
    }
    let resolved = device.resolve("MlpClassifier")?;
    for case in cases {
        let (data, hidden, batch, default_epochs) = match case.as_str() {
            "FNN-1" => ("fnn1", vec![256, 128], 256, 5),
            "FNN-2" => ("fnn2", vec![1024, 1024], 1024, 3),
            other => return Err(format!("unknown case {other}").into()),
        };
        let epochs: usize = opt("--epochs").map(|t| t.parse()).transpose()?.unwrap_or(default_epochs);
        let t = Instant::now();
        let (x, y) = read(&dir, data)?;
        let read_s = t.elapsed().as_secs_f64();
        eprintln!("[fnn_gpu_bench] {case}: read {} x {} in {read_s:.2}s; device {resolved}", x.nrows(), x.ncols());
        let marks = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let log = marks.clone();
        let callback = Callback::new(move |p: &Progress<'_>| {
            log.lock().expect("marks").push(Instant::now());
            eprintln!("[fnn_gpu_bench] epoch {}: loss {:.4}", p.iteration, p.loss.unwrap_or(f64::NAN));
            ControlFlow::Continue(())
        });
        let mut est = MlpClassifier::default()
            .hidden_layer_sizes(hidden.clone())
            .learning_rate_init(1e-3)
            .batch_size(batch)
            .max_iter(epochs)
            .tol(0.0)
            .n_iter_no_change(usize::MAX)
            .alpha(0.0)
            .seed(0)
            .device(device)
            .callback(callback);
        if let Some(t) = threads {
            est = est.n_jobs(t);
        }
        let fit_start = Instant::now();
        let model = est.fit(&x, &y)?;
        let fit_total = fit_start.elapsed().as_secs_f64();
        let marks = marks.lock().expect("marks").clone();
        let mut times = Vec::new();
        let mut prev = fit_start;
        for m in &marks {
            times.push(m.duration_since(prev).as_secs_f64());
            prev = *m;
        }
        let t = Instant::now();
        let pred = model.predict(&x)?;
        let predict_s = t.elapsed().as_secs_f64();
        let acc = pred.iter().zip(y.iter()).filter(|(a, b)| a == b).count() as f64 / y.len() as f64;
        let row = serde_json::json!({
            "suite": "oxlearn", "case": case, "data": data,
            "threads": threads.unwrap_or(0), "fit_s": times.iter().sum::<f64>(),
            "predict_s": predict_s, "score": acc, "metric": "train_accuracy", "reps": epochs,
            "first_epoch_s": times.first(), "steady_epoch_s": median(times[1.min(times.len())..].to_vec()),
            "cold_start_s": marks.first().map(|m| m.duration_since(process_start).as_secs_f64()),
            "device": model.device().as_str(),
            "extra": {
                "n_rows": x.nrows(), "n_features": x.ncols(), "hidden": hidden, "batch": batch,
                "steps_per_epoch": x.nrows().div_ceil(batch), "epoch_s": times,
                "fit_total_s": fit_total, "read_s": read_s, "epoch_loss": model.loss_curve(),
                "note": "predict runs on the CPU in f64; cold_start_s is from process start and includes reading the parquet file"
            }
        });
        println!("{row}");
    }
    Ok(())
}
