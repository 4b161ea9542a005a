//! Quick fit timings of the linear models on 200k x 50 data: our solvers against the linfa
//! backend, with the answers compared. Not a benchmark harness (see `benches/` for that).
//!
//! ```text
//! cargo run --release -p oxlearn-algorithms --example linear_timing [DATA_DIR]
//! ```
//!
//! With `DATA_DIR`, reads `reg_x.f64` / `reg_y.f64` / `clf_x.f64` / `clf_y.f64` (raw
//! little-endian f64, row-major, 200000 x 50), e.g. written from scikit-learn's
//! `make_regression(200_000, 50, noise=1.0, random_state=0)` and
//! `make_classification(200_000, 50, n_informative=20, random_state=0)`; otherwise it draws
//! seeded synthetic data of the same shape.

use std::time::Instant;

use ndarray::{Array1, Array2};
use oxlearn_algorithms::{ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, Solver};
use oxlearn_core::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const N: usize = 200_000;
const P: usize = 50;

fn read_f64(path: &std::path::Path) -> std::io::Result<Vec<f64>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect())
}

#[allow(clippy::type_complexity)]
fn data(dir: Option<&str>) -> Result<(Array2<f64>, Array1<f64>, Array2<f64>, Array1<i64>), Box<dyn std::error::Error>> {
    if let Some(dir) = dir {
        let d = std::path::Path::new(dir);
        let xr = Array2::from_shape_vec((N, P), read_f64(&d.join("reg_x.f64"))?)?;
        let yr = Array1::from(read_f64(&d.join("reg_y.f64"))?);
        let xc = Array2::from_shape_vec((N, P), read_f64(&d.join("clf_x.f64"))?)?;
        let yc = Array1::from(read_f64(&d.join("clf_y.f64"))?).mapv(|v| v as i64);
        return Ok((xr, yr, xc, yc));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut normal = move || (0..12).map(|_| rng.r#gen::<f64>()).sum::<f64>() - 6.0;
    let xr = Array2::from_shape_fn((N, P), |_| normal());
    let w = Array1::from_shape_fn(P, |j| if j % 2 == 0 { (j as f64 * 0.37).sin() * 50.0 } else { 0.0 });
    let yr = xr.dot(&w) + Array1::from_shape_fn(N, |_| normal());
    let xc = Array2::from_shape_fn((N, P), |_| normal());
    let wc = Array1::from_shape_fn(P, |j| if j < 20 { (j as f64 * 0.71).cos() } else { 0.0 });
    let z = xc.dot(&wc);
    let yc = z.mapv(|v| i64::from(v + normal() * 0.5 > 0.0));
    Ok((xr, yr, xc, yc))
}

/// Median wall time of `reps` runs of `f`, and its last result.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], last.expect("at least one run"))
}

fn max_rel_diff(a: ndarray::ArrayView1<'_, f64>, b: ndarray::ArrayView1<'_, f64>) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter().zip(b.iter()).fold(0.0f64, |m, (u, v)| m.max((u - v).abs())) / scale
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1);
    let (xr, yr, xc, yc) = data(dir.as_deref())?;
    println!(
        "data: {} x {} ({}), rayon threads {}",
        N,
        P,
        dir.as_deref().unwrap_or("synthetic"),
        rayon::current_num_threads()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>8} {:>14} {:>12}",
        "model", "ours (s)", "linfa (s)", "speedup", "score ours", "coef diff"
    );

    macro_rules! regressor {
        ($label:expr, $ours:expr, $linfa:expr, $reps_linfa:expr) => {{
            let (t_ours, ours) = time(3, || $ours.fit(&xr, &yr).expect("fit"));
            let (t_linfa, linfa) = time($reps_linfa, || $linfa.fit(&xr, &yr).expect("fit"));
            println!(
                "{:<28} {:>10.3} {:>10.3} {:>7.1}x {:>14.10} {:>12.2e}",
                $label,
                t_ours,
                t_linfa,
                t_linfa / t_ours,
                ours.score(&xr, &yr)?,
                max_rel_diff(ours.coef(), linfa.coef())
            );
        }};
    }
    regressor!("LinearRegression", LinearRegression::default(), LinearRegression::default().solver(Solver::Linfa), 3);
    regressor!("Ridge(1.0) cholesky", Ridge::default(), Ridge::default().solver(Solver::Linfa), 3);
    regressor!("Ridge(1.0) svd", Ridge::default().solver(Solver::Svd), Ridge::default().solver(Solver::Linfa), 1);
    regressor!("Lasso(0.1)", Lasso::default().alpha(0.1), Lasso::default().alpha(0.1).solver(Solver::Linfa), 3);
    regressor!(
        "ElasticNet(0.1, 0.5)",
        ElasticNet::default().alpha(0.1),
        ElasticNet::default().alpha(0.1).solver(Solver::Linfa),
        3
    );

    let (t_ours, ours) = time(3, || LogisticRegression::default().fit(&xc, &yc).expect("fit"));
    let (t_linfa, linfa) = time(1, || LogisticRegression::default().solver(Solver::Linfa).fit(&xc, &yc).expect("fit"));
    println!(
        "{:<28} {:>10.3} {:>10.3} {:>7.1}x {:>14.10} {:>12.2e}   (n_iter {:?}, converged {})",
        "LogisticRegression(C=1)",
        t_ours,
        t_linfa,
        t_linfa / t_ours,
        ours.score(&xc, &yc)?,
        max_rel_diff(ours.coef().row(0), linfa.coef().row(0)),
        ours.n_iter(),
        ours.converged()
    );
    let yk = Array1::from_shape_fn(N, |i| yc[i] + 2 * i64::from(xc[[i, 0]] > 0.5));
    let (t_ours, ours) = time(3, || LogisticRegression::default().fit(&xc, &yk).expect("fit"));
    println!(
        "{:<28} {:>10.3} {:>10} {:>8} {:>14.10} {:>12}   (n_iter {:?}, converged {})",
        "LogisticRegression 4 classes",
        t_ours,
        "-",
        "-",
        ours.score(&xc, &yk)?,
        "-",
        ours.n_iter(),
        ours.converged()
    );
    Ok(())
}
