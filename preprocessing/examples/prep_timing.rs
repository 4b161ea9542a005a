//! Timing harness for the preprocessing transforms on generated data (median wall seconds of
//! repeated runs on a 2-thread pool): `cargo run --release -p oxlearn-preprocessing --example
//! prep_timing -- [CASE] [REPS]`. Cases: `scaler` (200 000 x 50), `scaler1m` (1 000 000 x 20),
//! `imputer` (1 000 000 x 20, 10% NaN), `onehot` (1 000 000 x 5, 100 categories).

use std::time::Instant;

use ndarray::Array2;
use oxlearn_core::{FittedTransformer, Transformer};
use oxlearn_preprocessing::{OneHotEncoder, SimpleImputer, StandardScaler};

/// A reproducible pseudo-random matrix (SplitMix64) with `nan` missing values in ten thousand.
fn matrix(rows: usize, cols: usize, nan_per_10k: u64, cats: Option<u64>) -> Array2<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    Array2::from_shape_simple_fn((rows, cols), || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        match cats {
            Some(k) => (z % k) as f64,
            None if z % 10_000 < nan_per_10k => f64::NAN,
            None => (z >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 3.0,
        }
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<R>(reps: usize, mut f: impl FnMut() -> R) -> f64 {
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map_or("scaler", String::as_str);
    let reps: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(15);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    pool.install(|| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match case {
            "scaler" | "scaler1m" => {
                let x = if case == "scaler" { matrix(200_000, 50, 0, None) } else { matrix(1_000_000, 20, 0, None) };
                let f = StandardScaler::default().fit(&x)?;
                let fit = time(reps, || StandardScaler::default().fit(&x).map(|_| ()));
                let tr = time(reps, || f.transform(&x));
                println!("{case}: fit {fit:.5} s, transform {tr:.5} s");
            }
            "imputer" => {
                let x = matrix(1_000_000, 20, 1000, None);
                let f = SimpleImputer::mean().fit(&x)?;
                let fit = time(reps, || SimpleImputer::mean().fit(&x).map(|_| ()));
                let tr = time(reps, || f.transform(&x));
                println!("{case}: fit {fit:.5} s, transform {tr:.5} s");
            }
            "onehot" => {
                let x = matrix(1_000_000, 5, 0, Some(100));
                let f = OneHotEncoder::default().fit(&x)?;
                let fit = time(reps, || OneHotEncoder::default().fit(&x).map(|_| ()));
                let sp = time(reps, || f.transform_sparse(&x));
                let de = time(reps.min(5), || f.transform(&x));
                println!("{case}: fit {fit:.5} s, sparse transform {sp:.5} s, dense transform {de:.5} s");
            }
            other => return Err(format!("unknown case {other}").into()),
        }
        Ok(())
    })
    .map_err(|e| e as Box<dyn std::error::Error>)
}
