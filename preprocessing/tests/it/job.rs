//! Streaming: fitting from files and FeatureJob, checked against the in-memory paths, with the
//! memory bound measured on a file many times larger than the job's budget.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use oxlearn_preprocessing::*;
use polars::prelude::*;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("oxlearn-prep-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes a mixed CSV: floats with gaps, strings with gaps, integers, streaming through a small
/// buffer. Returns its size in bytes.
fn write_csv(path: &Path, rows: usize, seed: u64) -> u64 {
    let mut s = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut total = 0u64;
    let mut out = String::with_capacity(1 << 16);
    out.push_str("a,b,island,sex,grade\n");
    for i in 0..rows {
        if out.len() > 60_000 {
            file.write_all(out.as_bytes()).unwrap();
            total += out.len() as u64;
            out.clear();
        }
        let a = next() * 100.0 - 20.0;
        let b = (next() * 8.0).exp();
        let island = ["Biscoe", "Dream", "Torgersen", "Biscoe"][(next() * 4.0) as usize % 4];
        let sex = if next() < 0.5 { "female" } else { "male" };
        let grade = (next() * 5.0) as i64;
        if i % 7 == 3 {
            out.push(',')
        } else {
            write!(out, "{a:.4},").unwrap()
        }
        if i % 11 == 5 {
            out.push(',')
        } else {
            write!(out, "{b:.3},").unwrap()
        }
        if i % 9 == 4 {
            out.push(',')
        } else {
            write!(out, "{island},").unwrap()
        }
        writeln!(out, "{sex},{grade}").unwrap();
    }
    file.write_all(out.as_bytes()).unwrap();
    file.flush().unwrap();
    total + out.len() as u64
}

fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.into()))
        .unwrap()
        .finish()
        .unwrap()
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn frame_matrix(df: &DataFrame) -> Array2<f64> {
    let mut x = Array2::zeros((df.height(), df.width()));
    for (j, c) in df.columns().iter().enumerate() {
        for (i, v) in c.f64().unwrap().iter().enumerate() {
            x[[i, j]] = v.unwrap_or(f64::NAN);
        }
    }
    x
}

fn prep() -> ColumnTransformer {
    ColumnTransformer::new()
        .add("num", SimpleImputer::mean().then(StandardScaler::default()), Columns::names(["a", "b"]))
        .add("mm", MinMaxScaler::default(), Columns::names(["grade"]))
        .add(
            "cat",
            SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
            Columns::categorical(),
        )
        .add("rob", SimpleImputer::median().then(RobustScaler::default()), Columns::names(["b"]))
}

fn assert_close(a: &Array2<f64>, b: &Array2<f64>, tol: f64) {
    assert_eq!(a.dim(), b.dim());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
    }
}

#[test]
fn streaming_fit_matches_in_memory_fit() {
    let dir = temp_dir("sfit");
    let csv = dir.join("data.csv");
    write_csv(&csv, 5000, 1);
    let df = read_csv(&csv);
    let memory = prep().fit_frame(&df).unwrap();
    let streamed = prep().fit_frame_streaming_with(csv.to_str().unwrap(), 700).unwrap();
    assert_eq!(streamed.feature_names_out(), memory.feature_names_out());
    assert_close(&streamed.transform_frame(&df).unwrap(), &memory.transform_frame(&df).unwrap(), 1e-9);
    // Parquet input, split over two files matched by a pattern.
    let mut a = df.slice(0, 3000);
    let mut b = df.slice(3000, 2000);
    ParquetWriter::new(std::fs::File::create(dir.join("part-0.parquet")).unwrap()).finish(&mut a).unwrap();
    ParquetWriter::new(std::fs::File::create(dir.join("part-1.parquet")).unwrap()).finish(&mut b).unwrap();
    let pattern = dir.join("part-*.parquet");
    let streamed = prep().fit_frame_streaming_with(pattern.to_str().unwrap(), 999).unwrap();
    assert_close(&streamed.transform_frame(&df).unwrap(), &memory.transform_frame(&df).unwrap(), 1e-9);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The callback sees every wave (chunks and rows so far), and breaking stops the job with the
/// rows written so far in a valid output file.
#[test]
fn feature_job_reports_progress_and_can_stop() {
    use std::ops::ControlFlow;
    use std::sync::{Arc, Mutex};
    let dir = temp_dir("progress");
    let csv = dir.join("data.csv");
    write_csv(&csv, 1000, 3);
    let fitted = prep().fit_frame(&read_csv(&csv)).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let out = dir.join("all.parquet");
    let job = FeatureJob::new(&fitted).input(csv.to_str().unwrap()).output(&out).chunk_rows(100).n_jobs(2);
    let report = job
        .callback(oxlearn_core::Callback::new(move |p: &oxlearn_core::Progress<'_>| {
            log.lock().unwrap().push((p.iteration, p.metrics[0].1 as usize));
            ControlFlow::Continue(())
        }))
        .run()
        .unwrap();
    assert_eq!((report.rows, report.chunks), (1000, 10));
    assert_eq!(*seen.lock().unwrap(), (1..=5).map(|w| (2 * w, 200 * w)).collect::<Vec<_>>());

    let stopped = dir.join("stopped.parquet");
    let report = FeatureJob::new(&fitted)
        .input(csv.to_str().unwrap())
        .output(&stopped)
        .chunk_rows(100)
        .callback(oxlearn_core::Callback::new(|p: &oxlearn_core::Progress<'_>| {
            if p.iteration >= 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        }))
        .run()
        .unwrap();
    assert_eq!((report.rows, report.chunks), (300, 3));
    let full = frame_matrix(&read_parquet(&out));
    let part = frame_matrix(&read_parquet(&stopped));
    assert_eq!(part, full.slice(ndarray::s![..300, ..]).to_owned());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn feature_job_errors_are_typed() {
    let dir = temp_dir("errs");
    let csv = dir.join("data.csv");
    write_csv(&csv, 50, 2);
    let fitted = prep().fit_frame(&read_csv(&csv)).unwrap();
    let job = FeatureJob::new(&fitted).input(dir.join("nothing-*.csv").to_str().unwrap()).output(dir.join("o.parquet"));
    assert!(matches!(job.run(), Err(oxlearn_core::Error::Io(_))));
    let job = FeatureJob::new(&fitted).input(csv.to_str().unwrap()).output(dir.join("o.parquet")).chunk_rows(0);
    assert!(matches!(job.run(), Err(oxlearn_core::Error::InvalidParam { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The job on a file 60 times larger than its row budget (chunk_rows * n_jobs rows): the rows held
/// at once never exceed the budget, and the output equals the in-memory transform. Then, in a
/// fresh process, the job runs on a ~50 MB file and on three copies of it (~150 MB): the peak
/// resident memory grows by less than a budget derived from the chunk size
/// ([`job_budget_kb`]), the larger input is over 5 times that budget, and the growth does not
/// increase with the input (flat within 2 MiB from 1x to 3x).
#[test]
fn feature_job_is_bounded_and_matches_in_memory_transform() {
    let dir = temp_dir("job");
    let csv = dir.join("events.csv");
    let rows = 300_000;
    let bytes = write_csv(&csv, rows, 3);
    let (chunk_rows, n_jobs) = (5_000, 2);
    let fitted = prep().fit_frame_streaming_with(csv.to_str().unwrap(), 50_000).unwrap();
    let out = dir.join("features.parquet");
    let report = FeatureJob::new(&fitted)
        .input(csv.to_str().unwrap())
        .output(&out)
        .chunk_rows(chunk_rows)
        .n_jobs(n_jobs)
        .run()
        .unwrap();
    assert_eq!(report.rows, rows);
    assert_eq!(report.chunks, rows / chunk_rows);
    assert!(report.max_rows_in_flight <= chunk_rows * n_jobs, "{report:?}");
    assert!(rows >= 30 * report.max_rows_in_flight);
    // Output equal to the in-memory transform of the whole file.
    let written = read_parquet(&out);
    let names: Vec<&str> = written.get_column_names().iter().map(|s| s.as_str()).collect();
    assert_eq!(names, fitted.feature_names_out().iter().map(String::as_str).collect::<Vec<_>>());
    let expected = fitted.transform_frame(&read_csv(&csv)).unwrap();
    assert_eq!(frame_matrix(&written), expected, "bit-identical to the in-memory transform");

    // Peak memory, measured in a fresh process running only the job.
    std::fs::write(dir.join("fitted.json"), serde_json::to_string(&fitted).unwrap()).unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["job::child_runs_feature_job", "--exact", "--nocapture", "--test-threads", "1"])
        .env("OXLEARN_PREP_CHILD_JOB", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "child failed: {stdout} {}", String::from_utf8_lossy(&child.stderr));
    let field = |key: &str| -> u64 {
        let at = stdout.find(key).unwrap_or_else(|| panic!("child reports {key}")) + key.len();
        stdout[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
    };
    let (growth_1x, growth_3x, file_kb) = (field("PEAK_GROWTH_1X_KB="), field("PEAK_GROWTH_3X_KB="), field("FILE_KB="));
    let budget_kb = job_budget_kb(CHILD_CHUNK_ROWS, CHILD_N_JOBS, fitted.n_features_out());
    println!(
        "feature job: peak memory grew by {growth_1x} KiB (1x, {file_kb} KiB) and {growth_3x} KiB (3x); budget {budget_kb} KiB \
         (checked file: {bytes} bytes)"
    );
    assert!(3 * file_kb >= 5 * budget_kb, "the 3x input ({} KiB) is at least 5 times the budget", 3 * file_kb);
    // A job that loaded the input would hold it, its parsed frame and its output: several times
    // the file size. The streaming job's growth is set by the chunk size, not the input size.
    assert!(growth_3x < budget_kb, "peak grew by {growth_3x} KiB for a {} KiB input", 3 * file_kb);
    assert!(growth_3x <= growth_1x + 2048, "peak grew from {growth_1x} KiB (1x) to {growth_3x} KiB (3x)");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Chunk size and parallel chunks of the measured job.
const CHILD_CHUNK_ROWS: usize = 5_000;
const CHILD_N_JOBS: usize = 2;

/// The memory budget of a job on this test's 5-column CSV, derived from its chunk size: a fixed
/// 8 MiB (thread pools, reader and Parquet writer buffers, allocator arenas), 1 KiB per row in
/// flight (`chunk_rows * n_jobs` rows: the CSV text, the parsed frame, its columns, the dense
/// output and its frame copy), and the output rows waiting for a full Parquet row group
/// (`ROW_GROUP_ROWS` rows of `n_out` doubles, held twice while they are concatenated).
fn job_budget_kb(chunk_rows: usize, n_jobs: usize, n_out: usize) -> u64 {
    8 * 1024 + (chunk_rows * n_jobs) as u64 + (2 * 8 * n_out * job::ROW_GROUP_ROWS / 1024) as u64
}

fn proc_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs only inside the child process started by the test above (no-op otherwise).
#[test]
fn child_runs_feature_job() {
    let Some(dir) = std::env::var_os("OXLEARN_PREP_CHILD_JOB") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let fitted: FittedColumnTransformer =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fitted.json")).unwrap()).unwrap();
    let input = dir.join("big.csv");
    let file_kb = write_csv(&input, 1_800_000, 4) / 1024;
    let out = dir.join("child.parquet");
    // Warm up the thread pools and readers on a tiny job so their one-off allocations do not
    // count, then reset the peak (clear_refs 5) and measure the real job.
    let warm = dir.join("warm.csv");
    std::fs::write(
        &warm,
        std::fs::read_to_string(&input).unwrap().lines().take(50).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    FeatureJob::new(&fitted)
        .input(warm.to_str().unwrap())
        .output(dir.join("warm.parquet"))
        .chunk_rows(10)
        .n_jobs(2)
        .run()
        .unwrap();
    let mut growth = Vec::new();
    // 1x: the file; 3x: three hard links of it (no more disk), matched by a pattern.
    for (k, pattern) in [(1, input.clone()), (3, dir.join("copy-*.csv"))] {
        if k == 3 {
            for c in 0..3 {
                std::fs::hard_link(&input, dir.join(format!("copy-{c}.csv"))).unwrap();
            }
        }
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = proc_kb("VmRSS:").unwrap_or(0);
        let report = FeatureJob::new(&fitted)
            .input(pattern.to_str().unwrap())
            .output(&out)
            .chunk_rows(CHILD_CHUNK_ROWS)
            .n_jobs(CHILD_N_JOBS)
            .run()
            .unwrap();
        assert_eq!(report.rows, k * 1_800_000);
        growth.push(proc_kb("VmHWM:").unwrap_or(0).saturating_sub(before));
    }
    println!("PEAK_GROWTH_1X_KB={} PEAK_GROWTH_3X_KB={} FILE_KB={file_kb}", growth[0], growth[1]);
}
