//! Quick timings of KMeans, KNeighborsClassifier and PCA on the benchmark kit's `clf-200k-50`
//! shapes, as `oxlearn-bench` times them, without the Parquet reader (this builds only the
//! algorithms crate). Not a benchmark harness (see `benches/` for that).
//!
//! ```text
//! cargo run --release -p oxlearn-algorithms --example cluster_neighbors_timing [DATA_DIR [REPS [CASE...]]]
//! ```
//!
//! With `DATA_DIR`, reads `clf_x.f64` / `clf_y.f64` (raw little-endian f64, row-major,
//! 200000 x 50 and 200000; e.g. the kit's `clf-200k-50.parquet` written out with numpy's
//! `tofile`); otherwise it draws seeded synthetic data of the same shape. Cases: `KMeans`,
//! `KNeighborsClassifier`, `PCA` (default: these three), `KNeighborsClassifier-fit` (fit only), `PCA-transform` (one fit, then transforms). Runs on 2 rayon threads; prints wall and
//! process CPU seconds (10 ms ticks) of each fit and predict / transform.

use std::time::Instant;

use ndarray::{Array1, Array2, s};
use oxlearn_algorithms::{KMeans, KNeighborsClassifier, Pca, PcaComponents};
use oxlearn_core::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const N: usize = 200_000;
const P: usize = 50;

fn read_f64(path: &std::path::Path) -> std::io::Result<Vec<f64>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect())
}

fn data(dir: Option<&str>) -> Result<(Array2<f64>, Array1<i64>), Box<dyn std::error::Error>> {
    if let Some(dir) = dir {
        let dir = std::path::Path::new(dir);
        let x = Array2::from_shape_vec((N, P), read_f64(&dir.join("clf_x.f64"))?)?;
        let y = Array1::from(read_f64(&dir.join("clf_y.f64"))?).mapv(|v| v as i64);
        return Ok((x, y));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let x = Array2::from_shape_simple_fn((N, P), || rng.r#gen::<f64>() * 2.0 - 1.0);
    let y = x.column(0).mapv(|v| i64::from(v > 0.0));
    Ok((x, y))
}

/// Process CPU seconds (user + system, all threads) from `/proc/self/stat`; 0 elsewhere.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let (c, t) = (cpu_s(), Instant::now());
    let out = f();
    (t.elapsed().as_secs_f64(), cpu_s() - c, out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (x, y) = data(args.first().map(String::as_str))?;
    let reps: usize = args.get(1).map_or(Ok(3), |r| r.parse())?;
    let cases: Vec<&str> = if args.len() > 2 {
        args[2..].iter().map(String::as_str).collect()
    } else {
        vec!["KMeans", "KNeighborsClassifier", "PCA"]
    };
    rayon::ThreadPoolBuilder::new().num_threads(2).build_global()?;
    let (xf, yf) = (x.slice(s![..20_000, ..]).to_owned(), y.slice(s![..20_000]).to_owned());
    let (xq, yq) = (x.slice(s![20_000..25_000, ..]).to_owned(), y.slice(s![20_000..25_000]));
    let mut pca = None;
    for case in cases {
        for _ in 0..reps {
            let (fit, pred, note) = match case {
                "KMeans" => {
                    let (fw, fc, m) = timed(|| KMeans::default().n_clusters(8).n_init(1).seed(0).fit(&x));
                    let m = m?;
                    let (pw, pc, l) = timed(|| m.predict(&x));
                    (
                        (fw, fc),
                        (pw, pc),
                        format!("inertia {:.10e} n_iter {} labels {}", m.inertia(), m.n_iter(), l?.len()),
                    )
                }
                "KNeighborsClassifier" => {
                    let (fw, fc, m) = timed(|| KNeighborsClassifier::default().n_neighbors(5).fit(&xf, &yf));
                    let m = m?;
                    let (pw, pc, p) = timed(|| m.predict(&xq));
                    let p = p?;
                    let acc = p.iter().zip(yq).filter(|(a, b)| a == b).count() as f64 / p.len() as f64;
                    ((fw, fc), (pw, pc), format!("holdout accuracy {acc}"))
                }
                "KNeighborsClassifier-fit" => {
                    let (fw, fc, m) = timed(|| KNeighborsClassifier::default().n_neighbors(5).fit(&xf, &yf));
                    ((fw, fc), (0.0, 0.0), format!("n_samples_fit {}", m?.n_samples_fit()))
                }
                "PCA-transform" => {
                    let m = pca
                        .get_or_insert_with(|| Pca::default().n_components(PcaComponents::N(10)).fit(&x).expect("fit"));
                    let (pw, pc, t) = timed(|| m.transform(&x));
                    ((0.0, 0.0), (pw, pc), format!("out {:?}", t?.dim()))
                }
                "PCA" => {
                    let (fw, fc, m) = timed(|| Pca::default().n_components(PcaComponents::N(10)).fit(&x));
                    let m = m?;
                    let (pw, pc, t) = timed(|| m.transform(&x));
                    let t = t?;
                    let evr: f64 = m.explained_variance_ratio().sum();
                    ((fw, fc), (pw, pc), format!("evr {evr:.12} out {:?}", t.dim()))
                }
                other => return Err(format!("unknown case {other}").into()),
            };
            println!(
                "{case:22} fit {:.4} s (cpu {:.2}) predict {:.4} s (cpu {:.2}) {note}",
                fit.0, fit.1, pred.0, pred.1
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_seconds_are_non_negative() {
        assert!(super::cpu_s() >= 0.0);
    }
}
