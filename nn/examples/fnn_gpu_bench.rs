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
//!
//! Probe modes (no data needed), one JSON line per measurement:
//!
//! - `--gemm-probe [--device wgpu|wgpu-any] [--probe-scale S] [--probe-kernels K,K,...]`:
//!   GFLOP/s of each wgpu GEMM kernel named (`GemmKernel::parse` names; default
//!   `tiled,4x4,8x4,auto`, `auto` being what training uses; split-K on) on FNN-2's step GEMMs
//!   (every transpose flag the training step uses) and on squares of 2048 / 4096, all divided
//!   by `S` (default 1; 8 keeps lavapipe quick). Each timing is the median of 5 repetitions
//!   between synchronisations. `OXLEARN_WGPU_CHECKED=1` measures the kernels compiled with
//!   wgpu's runtime checks.
//! - `--dispatch-probe [--device ...]`: the cost of one small dispatch, recording only and
//!   recorded + executed, over 4000 dispatches.
//! - `--step-probe [--device wgpu|wgpu-any|cuda]`: microseconds per call of each kernel of an
//!   FNN-1 / FNN-2 training step (same shapes), 300 calls between synchronisations.
//! - `--cuda-gemm-probe` (feature `cuda`): cuBLAS GFLOP/s, fp32 then TF32, on FNN-1's and
//!   FNN-2's step GEMMs.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ndarray::{Array1, Array2};
use oxlearn_core::prelude::*;
use oxlearn_core::{Callback, Progress};
use oxlearn_nn::backend::wgpu::{AdapterChoice, GemmKernel, WgpuBackend};
use oxlearn_nn::backend::{Backend, Trans};
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

/// The wgpu backend for the probes: `wgpu` (hardware only) or `wgpu-any`.
fn probe_backend(device: Device) -> std::result::Result<WgpuBackend, Box<dyn std::error::Error>> {
    let choice = if device == Device::WgpuAny { AdapterChoice::Any } else { AdapterChoice::Hardware };
    let be = WgpuBackend::new(choice)?;
    eprintln!("[fnn_gpu_bench] probe on {}", be.adapter());
    Ok(be)
}

/// Seconds per call of `C = op(A) op(B)` (`m x n x k`): the median of 5 repetitions of
/// `calls` calls between synchronisations, after one warm-up call.
#[allow(clippy::too_many_arguments)]
fn time_gemm<B: Backend>(
    be: &B,
    (m, n, k): (usize, usize, usize),
    a: &B::Buf,
    ta: Trans,
    b: &B::Buf,
    tb: Trans,
    c: &mut B::Buf,
    calls: usize,
) -> std::result::Result<f64, Box<dyn std::error::Error>> {
    be.gemm(m, n, k, 1.0, a, ta, b, tb, 0.0, c);
    be.synchronize()?;
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..calls {
            be.gemm(m, n, k, 1.0, a, ta, b, tb, 0.0, c);
        }
        be.synchronize()?;
        times.push(t.elapsed().as_secs_f64() / calls as f64);
    }
    Ok(median(times).unwrap_or(f64::NAN))
}

fn gemm_probe(device: Device, scale: usize, kernels: &[String]) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut be = probe_backend(device)?;
    let (no, yes) = (Trans::No, Trans::Yes);
    // FNN-2's step (batch 1024: 256 -> 1024 -> 1024 -> 10): forward, weight gradients, deltas.
    let shapes = [
        ("fwd0", 1024, 1024, 256, no, no),
        ("fwd1", 1024, 1024, 1024, no, no),
        ("gw1", 1024, 1024, 1024, yes, no),
        ("gw0", 256, 1024, 1024, yes, no),
        ("delta1", 1024, 1024, 1024, no, yes),
        ("fwd2", 1024, 10, 1024, no, no),
        ("gw2", 1024, 10, 1024, yes, no),
        ("sq2048", 2048, 2048, 2048, no, no),
        ("sq4096", 4096, 4096, 4096, no, no),
    ];
    for (name, m, n, k, ta, tb) in shapes {
        let (m, n, k) = ((m / scale).max(4), (n / scale).max(4), (k / scale).max(4));
        let a = be.upload(&vec![0.5f32; m * k])?;
        let b = be.upload(&vec![0.25f32; k * n])?;
        let mut c = be.zeros(m * n)?;
        for kname in kernels {
            let kernel =
                GemmKernel::parse(kname).ok_or_else(|| format!("--probe-kernels: unknown kernel {kname:?}"))?;
            be.set_gemm_kernel(kernel);
            // Enough calls per repetition for ~50 ms on an H100-class GPU at 10 TFLOP/s.
            let flops = 2.0 * (m * n * k) as f64;
            let calls = ((5e11 / flops) as usize).clamp(1, 200);
            let s = time_gemm(&be, (m, n, k), &a, ta, &b, tb, &mut c, calls)?;
            let mut check = vec![0.0f32; 1];
            be.download(&c, &mut check)?;
            let row = serde_json::json!({
                "suite": "oxlearn", "case": "gemm-probe", "device": device.as_str(), "adapter": be.adapter().to_string(),
                "shape": name, "m": m, "n": n, "k": k, "ta": ta == yes, "tb": tb == yes,
                "kernel": kname, "checked": std::env::var("OXLEARN_WGPU_CHECKED").is_ok_and(|v| v.trim() == "1"), "calls": calls, "seconds_per_call": s, "gflops": flops / s / 1e9,
                "c00_ok": (check[0] - 0.125 * k as f32).abs() <= 1e-3 * k as f32
            });
            println!("{row}");
        }
    }
    Ok(())
}

/// cuBLAS SGEMM GFLOP/s (fp32, then TF32) on the GEMMs of FNN-1's and FNN-2's steps.
#[cfg(feature = "cuda")]
fn cuda_gemm_probe() -> std::result::Result<(), Box<dyn std::error::Error>> {
    use oxlearn_nn::backend::cuda::CudaBackend;
    let (no, yes) = (Trans::No, Trans::Yes);
    let shapes = [
        ("fnn1-fwd0", 256, 256, 64, no, no),
        ("fnn1-fwd1", 256, 128, 256, no, no),
        ("fnn1-gw1", 256, 128, 256, yes, no),
        ("fnn1-delta1", 256, 256, 128, no, yes),
        ("fnn2-fwd0", 1024, 1024, 256, no, no),
        ("fnn2-fwd1", 1024, 1024, 1024, no, no),
        ("fnn2-gw1", 1024, 1024, 1024, yes, no),
        ("fnn2-gw0", 256, 1024, 1024, yes, no),
        ("fnn2-delta1", 1024, 1024, 1024, no, yes),
        ("fnn2-out", 1024, 10, 1024, no, no),
        ("sq4096", 4096, 4096, 4096, no, no),
    ];
    for tf32 in [false, true] {
        let mut be = CudaBackend::new()?;
        be.set_allow_tf32(tf32);
        for (name, m, n, k, ta, tb) in shapes {
            let a = be.upload(&vec![0.5f32; m * k])?;
            let b = be.upload(&vec![0.25f32; k * n])?;
            let mut c = be.zeros(m * n)?;
            let flops = 2.0 * (m * n * k) as f64;
            let calls = ((2e12 / flops) as usize).clamp(20, 2000);
            let s = time_gemm(&be, (m, n, k), &a, ta, &b, tb, &mut c, calls)?;
            let row = serde_json::json!({
                "suite": "oxlearn", "case": "cuda-gemm-probe", "device": "cuda", "gpu": be.name(),
                "shape": name, "m": m, "n": n, "k": k, "ta": ta == yes, "tb": tb == yes, "tf32": tf32,
                "calls": calls, "seconds_per_call": s, "gflops": flops / s / 1e9
            });
            println!("{row}");
        }
    }
    Ok(())
}

/// One kernel call of a training step, over buffers named by index (see [`step_probe`]).
enum Op {
    Gemm { m: usize, n: usize, k: usize, a: usize, ta: Trans, b: usize, tb: Trans, c: usize },
    BiasAct { z: usize, rows: usize, cols: usize, bias: usize },
    Softmax { z: usize, rows: usize, cols: usize, grad: usize, loss: usize },
    ColSums { m: usize, rows: usize, cols: usize, out: usize },
    ActBackward { a: usize, delta: usize, len: usize },
    Adam { p: usize, g: usize, m: usize, v: usize, len: usize },
}

/// Runs `op`; its output buffer is taken out of `bufs` for the call (the inputs stay shared).
fn run_op<B: Backend>(be: &B, bufs: &mut [Option<B::Buf>], labels: &B::Idx, op: &Op) {
    use oxlearn_nn::backend::{Activation, AdamStep};
    let out = match *op {
        Op::Gemm { c, .. } => c,
        Op::BiasAct { z, .. } => z,
        Op::Softmax { grad, .. } => grad,
        Op::ColSums { out, .. } => out,
        Op::ActBackward { delta, .. } => delta,
        Op::Adam { p, .. } => p,
    };
    let mut dst = bufs[out].take().expect("distinct buffers per op");
    let get = |i: usize| bufs[i].as_ref().expect("an op reads no buffer it writes");
    match *op {
        Op::Gemm { m, n, k, a, ta, b, tb, .. } => be.gemm(m, n, k, 1.0, get(a), ta, get(b), tb, 0.0, &mut dst),
        Op::BiasAct { rows, cols, bias, .. } => be.bias_act(&mut dst, rows, cols, get(bias), Activation::Relu),
        Op::Softmax { z, rows, cols, loss, .. } => {
            let mut l = bufs[loss].take().expect("loss buffer");
            be.softmax_xent(bufs[z].as_ref().expect("logits"), labels, rows, cols, 1.0, &mut dst, &mut l);
            bufs[loss] = Some(l);
        }
        Op::ColSums { m, rows, cols, .. } => be.col_sums(get(m), rows, cols, 1.0, &mut dst),
        Op::ActBackward { a, len, .. } => be.act_backward(get(a), &mut dst, len, Activation::Relu),
        Op::Adam { g, m, v, len, .. } => {
            let (mut mb, mut vb) = (bufs[m].take().expect("m"), bufs[v].take().expect("v"));
            let step = AdamStep { lr: 1e-3, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8 };
            be.adam(&mut dst, bufs[g].as_ref().expect("gradient"), &mut mb, &mut vb, len, step);
            bufs[m] = Some(mb);
            bufs[v] = Some(vb);
        }
    }
    bufs[out] = Some(dst);
}

/// Times each kernel of one FNN-1 / FNN-2 training step (the calls `Network::train_step`
/// makes, with the same shapes), each repeated between synchronisations: where a step's time
/// goes. One Adam call stands for the six of a step.
fn step_probe<B: Backend>(be: &B, label: &str) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let (no, yes) = (Trans::No, Trans::Yes);
    for (case, units, batch) in
        [("FNN-1", vec![64usize, 256, 128, 10], 256usize), ("FNN-2", vec![256, 1024, 1024, 10], 1024)]
    {
        let layers = units.len() - 1;
        let mut bufs: Vec<Option<B::Buf>> = Vec::new();
        let mut buf = |len: usize| -> std::result::Result<usize, Box<dyn std::error::Error>> {
            bufs.push(Some(be.upload(&vec![0.01f32; len.max(1)])?));
            Ok(bufs.len() - 1)
        };
        let widest = batch * units.iter().max().copied().unwrap_or(1);
        let (scratch, scratch2, loss) = (buf(widest)?, buf(widest)?, buf(1)?);
        let mut ops: Vec<(String, Op)> = Vec::new();
        let a: Vec<usize> = units.iter().map(|&u| buf(batch * u)).collect::<Result<_, _>>()?;
        for l in 0..layers {
            let (i, o) = (units[l], units[l + 1]);
            let (w, bias) = (buf(i * o)?, buf(o)?);
            ops.push((
                format!("fwd{l} gemm {batch}x{o}x{i}"),
                Op::Gemm { m: batch, n: o, k: i, a: a[l], ta: no, b: w, tb: no, c: scratch },
            ));
            ops.push((format!("fwd{l} bias_act {batch}x{o}"), Op::BiasAct { z: scratch, rows: batch, cols: o, bias }));
        }
        let out = units[layers];
        ops.push((
            format!("softmax_xent {batch}x{out}"),
            Op::Softmax { z: a[layers], rows: batch, cols: out, grad: scratch, loss },
        ));
        for l in (0..layers).rev() {
            let (i, o) = (units[l], units[l + 1]);
            let (d, w, gw, gb) = (buf(batch * o)?, buf(i * o)?, buf(i * o)?, buf(o)?);
            ops.push((
                format!("gw{l} gemm {i}x{o}x{batch} ta"),
                Op::Gemm { m: i, n: o, k: batch, a: a[l], ta: yes, b: d, tb: no, c: gw },
            ));
            ops.push((format!("gb{l} col_sums {batch}x{o}"), Op::ColSums { m: d, rows: batch, cols: o, out: gb }));
            if l > 0 {
                ops.push((
                    format!("delta{l} gemm {batch}x{i}x{o} tb"),
                    Op::Gemm { m: batch, n: i, k: o, a: d, ta: no, b: w, tb: yes, c: scratch2 },
                ));
                ops.push((
                    format!("delta{l} act_backward {batch}x{i}"),
                    Op::ActBackward { a: a[l], delta: scratch2, len: batch * i },
                ));
            }
        }
        let n1 = units[1] * units[2];
        let (p, g, m, v) = (buf(n1)?, buf(n1)?, buf(n1)?, buf(n1)?);
        ops.push((format!("adam {n1}"), Op::Adam { p, g, m, v, len: n1 }));
        let labels = be.upload_idx(&vec![1u32; batch])?;
        let mut total = 0.0;
        for (name, op) in &ops {
            run_op(be, &mut bufs, &labels, op);
            be.synchronize()?;
            let reps = 300;
            let t = Instant::now();
            for _ in 0..reps {
                run_op(be, &mut bufs, &labels, op);
            }
            be.synchronize()?;
            let us = t.elapsed().as_secs_f64() / reps as f64 * 1e6;
            total += us;
            println!(
                "{}",
                serde_json::json!({"suite": "oxlearn", "case": "step-probe", "device": label, "net": case, "op": name, "us": us})
            );
        }
        println!(
            "{}",
            serde_json::json!({"suite": "oxlearn", "case": "step-probe", "device": label, "net": case, "op": "sum (one Adam call)", "us": total})
        );
    }
    Ok(())
}

fn dispatch_probe(device: Device) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let be = probe_backend(device)?;
    let mut buf = be.zeros(256)?;
    let src = be.upload(&[1.0f32; 256])?;
    be.synchronize()?;
    let count: usize = 4000;
    let t = Instant::now();
    for i in 0..count {
        if i.is_multiple_of(2) {
            be.fill(&mut buf, 256, i as f32);
        } else {
            be.scale_copy(&src, 2.0, &mut buf, 256);
        }
    }
    let record = t.elapsed().as_secs_f64();
    be.synchronize()?;
    let total = t.elapsed().as_secs_f64();
    let row = serde_json::json!({
        "suite": "oxlearn", "case": "dispatch-probe", "device": device.as_str(), "adapter": be.adapter().to_string(),
        "dispatches": count, "record_us_per_dispatch": record / count as f64 * 1e6,
        "total_us_per_dispatch": total / count as f64 * 1e6
    });
    println!("{row}");
    Ok(())
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let process_start = Instant::now();
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if args.iter().any(|a| a == "--step-probe") {
        let device = Device::parse(&opt("--device").unwrap_or_else(|| "wgpu".into()))?;
        match device {
            #[cfg(feature = "cuda")]
            Device::Cuda => {
                let mut be = oxlearn_nn::backend::cuda::CudaBackend::new()?;
                be.set_step_replay(false);
                return step_probe(&be, "cuda");
            }
            _ => return step_probe(&probe_backend(device)?, device.as_str()),
        }
    }
    if args.iter().any(|a| a == "--cuda-gemm-probe") {
        #[cfg(feature = "cuda")]
        return cuda_gemm_probe();
        #[cfg(not(feature = "cuda"))]
        return Err("--cuda-gemm-probe needs the `cuda` feature".into());
    }
    if args.iter().any(|a| a == "--gemm-probe" || a == "--dispatch-probe") {
        let device = Device::parse(&opt("--device").unwrap_or_else(|| "wgpu".into()))?;
        if args.iter().any(|a| a == "--dispatch-probe") {
            dispatch_probe(device)?;
        }
        if args.iter().any(|a| a == "--gemm-probe") {
            let scale: usize = opt("--probe-scale").map(|t| t.parse()).transpose()?.unwrap_or(1);
            let kernels = opt("--probe-kernels").unwrap_or_else(|| "tiled,4x4,8x4,auto".into());
            let kernels: Vec<String> = kernels.split(',').map(|k| k.trim().to_string()).collect();
            gemm_probe(device, scale.max(1), &kernels)?;
        }
        return Ok(());
    }
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
                "predict_device": model.predict_device().as_str(),
                "predict_rows_per_s": x.nrows() as f64 / predict_s,
                "env": {
                    "OXLEARN_WGPU_GEMM": std::env::var("OXLEARN_WGPU_GEMM").ok(),
                    "OXLEARN_CUDA_TF32": std::env::var("OXLEARN_CUDA_TF32").ok(),
                    "OXLEARN_CUDA_GRAPHS": std::env::var("OXLEARN_CUDA_GRAPHS").ok(),
                    "OXLEARN_WGPU_SPLITK": std::env::var("OXLEARN_WGPU_SPLITK").ok(),
                    "OXLEARN_WGPU_TILE": std::env::var("OXLEARN_WGPU_TILE").ok(),
                    "OXLEARN_WGPU_CHECKED": std::env::var("OXLEARN_WGPU_CHECKED").ok()
                },
                "note": "predict runs on predict_device (a GPU: f32 batches); cold_start_s is from process start and includes reading the raw dump"
            }
        });
        println!("{row}");
    }
    Ok(())
}
