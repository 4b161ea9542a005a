//! Timing harness for the preprocessing transforms on generated data (median wall seconds of
//! repeated runs on a 2-thread pool, and the median process CPU seconds of a run): `cargo run
//! --release -p oxlearn-preprocessing --example prep_timing -- [CASE] [REPS]`. Cases: `scaler`
//! (200 000 x 50), `scaler1m` (1 000 000 x 20), `imputer` (1 000 000 x 20, 10% NaN), `onehot`
//! (1 000 000 x 5, 100 categories), `inplace` (StandardScaler transform vs transform_inplace on a
//! fresh copy, 1 000 000 x 20 with 10% NaN), `ct-matrix` (a ColumnTransformer over a 200 000 x 50
//! matrix, columns selected by index), `onehot-frame` (OneHotEncoder in a ColumnTransformer over
//! `target/bench-data/cat-1m-5.parquet` with its columns as String, as Categorical, and as
//! Categorical cast to String inside the timed region, as the code before native categoricals did).

use std::time::Instant;

use ndarray::Array2;
use oxlearn_core::{FittedTransformer, Transformer};
use oxlearn_preprocessing::{ColumnTransformer, Columns, OneHotEncoder, SimpleImputer, StandardScaler};
use polars::prelude::*;

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

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Median wall seconds of `reps` runs of `f` (after `setup`, untimed), and the mean CPU seconds.
fn time_with<S, R>(reps: usize, mut setup: impl FnMut() -> S, mut f: impl FnMut(S) -> R) -> (f64, f64) {
    let mut cpu = 0.0;
    let wall = (0..reps)
        .map(|_| {
            let s = setup();
            let c = cpu_seconds();
            let t = Instant::now();
            std::hint::black_box(f(s));
            let w = t.elapsed().as_secs_f64();
            cpu += cpu_seconds() - c;
            w
        })
        .collect();
    (median(wall), cpu / reps as f64)
}

fn time<R>(reps: usize, mut f: impl FnMut() -> R) -> f64 {
    time_with(reps, || (), |()| f()).0
}

/// `OneHotEncoder()` over every column of `df`: fit, then the (default) sparse transform.
fn onehot_frame(
    label: &str,
    reps: usize,
    df: &DataFrame,
    prepare: impl Fn(&DataFrame) -> DataFrame,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ct = ColumnTransformer::new().add("c", OneHotEncoder::default(), Columns::categorical());
    let fitted = ct.fit_frame(&prepare(df))?;
    let (fit, fit_cpu) = time_with(reps, || (), |()| ct.fit_frame(&prepare(df)).map(|_| ()));
    let (tr, tr_cpu) = time_with(reps, || (), |()| fitted.transform_frame_sparse(&prepare(df)).map(|m| m.nnz()));
    println!(
        "onehot-frame {label}: fit {fit:.5} s (cpu {fit_cpu:.3} s), sparse transform {tr:.5} s (cpu {tr_cpu:.3} s)"
    );
    Ok(())
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
            "inplace" => {
                let x = matrix(1_000_000, 20, 1000, None);
                let f = StandardScaler::default().fit(&x)?;
                let (tr, tr_cpu) = time_with(reps, || (), |()| f.transform(&x));
                let (ip, ip_cpu) = time_with(reps, || x.clone(), |mut y| f.transform_inplace(&mut y).map(|()| y));
                println!(
                    "{case}: transform {tr:.5} s (cpu {tr_cpu:.3} s), transform_inplace {ip:.5} s (cpu {ip_cpu:.3} s)"
                );
            }
            "ct-matrix" => {
                let x = matrix(200_000, 50, 100, None);
                let ct = ColumnTransformer::new().add("s", StandardScaler::default(), Columns::indices(0..25)).add(
                    "i",
                    SimpleImputer::median().then(StandardScaler::default()),
                    Columns::indices(25..50),
                );
                let f = ct.fit(&x)?;
                let (fit, fit_cpu) = time_with(reps, || (), |()| ct.fit(&x).map(|_| ()));
                let (tr, tr_cpu) = time_with(reps, || (), |()| f.transform(&x));
                println!("{case}: fit {fit:.5} s (cpu {fit_cpu:.3} s), transform {tr:.5} s (cpu {tr_cpu:.3} s)");
            }
            "onehot-frame" | "onehot-frame-cat" => {
                let path = std::path::Path::new("target/bench-data/cat-1m-5.parquet");
                let raw = ParquetReader::new(std::fs::File::open(path)?).finish()?;
                let cast_all = |df: &DataFrame, dtype: &DataType| -> DataFrame {
                    let cols: Vec<Column> = df.columns().iter().map(|c| c.cast(dtype).expect("cast")).collect();
                    DataFrame::new(df.height(), cols).expect("frame")
                };
                let strings = cast_all(&raw, &DataType::String);
                let cat_dtype = DataType::from_categories(Categories::global());
                let cats = cast_all(&strings, &cat_dtype);
                if case == "onehot-frame-cat" {
                    // Only the native categorical path (for profiling).
                    onehot_frame("Categorical", reps, &cats, |d| d.clone())?;
                    return Ok(());
                }
                onehot_frame("String", reps, &strings, |d| d.clone())?;
                onehot_frame("Categorical", reps, &cats, |d| d.clone())?;
                onehot_frame("Categorical cast to String (old path)", reps, &cats, |d| cast_all(d, &DataType::String))?;
            }
            other => return Err(format!("unknown case {other}").into()),
        }
        Ok(())
    })
    .map_err(|e| e as Box<dyn std::error::Error>)
}
