//! Fit timings of the L1 / elastic-net [`LogisticRegression`] (proximal Newton) on the bench
//! kit's clf-200k-50, as raw features (no standardization, as the kit uses it); the
//! scikit-learn side is `scripts/bench_logistic_l1.py`, which also writes the raw files read
//! here (`--export`). Not a benchmark harness: one JSON line per configuration.
//!
//! ```text
//! target/bench-venv/bin/python scripts/bench_logistic_l1.py --export
//! cargo build --release -p oxlearn-algorithms --example logistic_l1
//! flock /tmp/bench.lock target/release/examples/logistic_l1 --c 1.0 --l1-ratio 1.0 --reps 3 --threads 2
//! ```
//!
//! Options: `--c C` (1.0), `--l1-ratio R` (1.0), `--tol T` (1e-4), `--max-iter N` (100),
//! `--reps N` (3), `--threads N` (2, the fit's `n_jobs`), `--verbose` (each iteration to stderr),
//! `--data PREFIX`
//! (`target/bench-data/clf-200k-50`: reads `PREFIX.x.f64`, `PREFIX.y.f64`, 200000 x 50).

use std::time::Instant;

use ndarray::{Array1, Array2};
use oxlearn_algorithms::LogisticRegression;
use oxlearn_core::prelude::*;

fn read_f64(path: &str) -> std::io::Result<Vec<f64>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect())
}

/// scikit-learn's objective of a binary model: `1/n Σ log-loss + 1/(C n) (r‖w‖₁ + (1-r)/2 ‖w‖²)`.
fn objective(x: &Array2<f64>, y: &Array1<i64>, w: ndarray::ArrayView1<'_, f64>, b: f64, c: f64, r: f64) -> f64 {
    let z = x.dot(&w) + b;
    let n = y.len() as f64;
    let loss: f64 = z.iter().zip(y).map(|(&z, &t)| z.max(0.0) + (-z.abs()).exp().ln_1p() - t as f64 * z).sum();
    let l1: f64 = w.iter().map(|v| v.abs()).sum();
    let l2: f64 = w.iter().map(|v| v * v).sum();
    loss / n + (r * l1 + 0.5 * (1.0 - r) * l2) / (c * n)
}

/// User + system CPU seconds of this process so far (`/proc/self/stat`, 10 ms ticks; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the command name: state is field 0, utime field 11, stime field 12.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str, default: &str| -> String {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
    };
    let c: f64 = opt("--c", "1.0").parse()?;
    let r: f64 = opt("--l1-ratio", "1.0").parse()?;
    let tol: f64 = opt("--tol", "1e-4").parse()?;
    let max_iter: usize = opt("--max-iter", "100").parse()?;
    let reps: usize = opt("--reps", "3").parse()?;
    let threads: usize = opt("--threads", "2").parse()?;
    let prefix = opt("--data", "target/bench-data/clf-200k-50");
    let xv = read_f64(&format!("{prefix}.x.f64"))?;
    let yv = read_f64(&format!("{prefix}.y.f64"))?;
    let n = yv.len();
    let x = Array2::from_shape_vec((n, xv.len() / n), xv)?;
    let y = Array1::from(yv).mapv(|v| v as i64);
    let mut model = LogisticRegression::default().c(c).l1_ratio(r).tol(tol).max_iter(max_iter).n_jobs(threads);
    if args.iter().any(|a| a == "--verbose") {
        model = model.callback(oxlearn_core::Callback::new(|p: &oxlearn_core::Progress<'_>| {
            eprintln!(
                "iteration {} objective {:.15} {:?} at {:?}",
                p.iteration,
                p.loss.unwrap_or(f64::NAN),
                p.metrics,
                p.elapsed
            );
            std::ops::ControlFlow::Continue(())
        }));
    }
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut last = None;
    for _ in 0..reps {
        let (t, c0) = (Instant::now(), cpu_seconds());
        let m = model.fit(&x, &y)?;
        times.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_seconds() - c0);
        last = Some(m);
    }
    cpus.sort_by(f64::total_cmp);
    let cpu_median = cpus[cpus.len() / 2];
    let m = last.ok_or("--reps must be at least 1")?;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let zeros = m.coef().iter().filter(|&&v| v == 0.0).count();
    let f = objective(&x, &y, m.coef().row(0), m.intercept()[0], c, r);
    let acc = m.score(&x, &y)?;
    println!(
        "{{\"suite\": \"oxlearn\", \"solver\": \"{}\", \"C\": {c}, \"l1_ratio\": {r}, \"tol\": {tol}, \"threads\": {threads}, \"fit_s\": {median:.4}, \"fit_all_s\": {times:.4?}, \"fit_cpu_s\": {cpu_median:.2}, \"n_iter\": {}, \"converged\": {}, \"zeros\": {zeros}, \"objective\": {f:.12}, \"train_accuracy\": {acc}, \"loadavg\": \"{}\"}}",
        m.solver().as_str(),
        m.n_iter().unwrap_or(0),
        m.converged(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    Ok(())
}
