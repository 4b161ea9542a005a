//! Feature-engineering jobs over files larger than memory: [`FeatureJob`] streams CSV or Parquet
//! files through a fitted [`ColumnTransformer`] chunk by chunk and writes Parquet, and
//! [`ColumnTransformer::fit_frame_streaming`] fits one from a stream.
//!
//! # Memory
//! A job holds at most `n_jobs` input chunks of `chunk_rows` rows and their outputs at a time
//! (waves of `n_jobs` chunks are read in order, transformed in parallel, written in order), plus
//! the output rows waiting to fill a Parquet row group of [`ROW_GROUP_ROWS`] rows (the writer
//! keeps metadata per row group until the footer, so one row group per small chunk would grow
//! with the file), so its memory is bounded by the chunk size, not the file size. CSV files are split into chunks by
//! this module (records may contain quoted newlines); Parquet chunks are read as row slices,
//! which decode only the overlapping row groups (so a Parquet row group larger than a chunk is
//! the unit that bounds memory there).
//!
//! # Streaming fit
//! Statistics that need a full pass are computed in one pass per chain stage (an imputer followed
//! by a scaler takes two passes: the scaler's statistics are those of the imputed data): counts,
//! mean and variance (merged exactly with Chan's update, equal to the in-memory fit up to
//! rounding), minimum and maximum, and categories with their counts are exact. Quantiles
//! (median imputation, [`RobustScaler`](crate::RobustScaler), quantile and k-means
//! [`KBinsDiscretizer`](crate::KBinsDiscretizer)) are computed from a deterministic sample of at
//! most [`SAMPLE_CAP`] rows per column (a bottom-k sample keyed by a hash of the row index, so it
//! does not depend on the chunk size): exact when the data has fewer rows, otherwise approximate
//! with a rank error of about `1 / sqrt(SAMPLE_CAP)` (about 0.3%).
//!
//! # Threads
//! Our parallel work runs in a pool of `n_jobs` threads; the polars readers are told to use one
//! thread each inside it, so the job does not oversubscribe the cores against polars' own pool.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxlearn_core::parallel::with_n_jobs;
use oxlearn_core::{Callback, Error, Progress, Result};
use polars::prelude::*;
use rayon::prelude::*;

use crate::column::{ColumnTransformer, FittedColumnTransformer, read_cols};
use crate::data::{Col, pl};
use crate::stats::{ColAccum, accumulate, merge_all};
use crate::step::{FittedStep, Step};

/// The most values per column a streaming fit keeps for quantiles.
pub const SAMPLE_CAP: usize = 100_000;

/// Default rows per chunk.
pub const DEFAULT_CHUNK_ROWS: usize = 100_000;

/// Smallest Parquet row group a job writes (smaller chunks are gathered into one): the Parquet
/// writer keeps metadata per row group until it writes the footer.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// Expands `dir/prefix-*.ext` (a `*` in the file name only) into the sorted matching files; a
/// path without `*` is returned as is.
pub fn expand_input(pattern: &str) -> Result<Vec<PathBuf>> {
    let path = Path::new(pattern);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if !name.contains('*') {
        if !path.exists() {
            return Err(Error::Io(format!("input file {pattern} does not exist")));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let (pre, post) = name.split_once('*').expect("name contains *");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.len() >= pre.len() + post.len() && n.starts_with(pre) && n.ends_with(post) && !post.contains('*')
            })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Io(format!("no file matches {pattern}")));
    }
    Ok(files)
}

enum Format {
    Csv,
    Parquet,
}

fn format_of(p: &Path) -> Result<Format> {
    match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("parquet" | "pq") => Ok(Format::Parquet),
        _ => Err(Error::InvalidInput(format!("{}: only .csv and .parquet inputs are supported", p.display()))),
    }
}

fn io(p: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io(format!("{}: {e}", p.display()))
}

/// Reads files chunk by chunk, in order, holding one chunk at a time.
struct ChunkReader {
    files: Vec<PathBuf>,
    file_idx: usize,
    chunk_rows: usize,
    state: Option<FileState>,
    /// The CSV schema inferred from the first chunk, reused for every later chunk.
    csv_schema: Option<SchemaRef>,
}

enum FileState {
    Csv { reader: BufReader<File>, header: Vec<u8>, path: PathBuf },
    Parquet { path: PathBuf, offset: usize, rows: usize },
}

impl ChunkReader {
    fn new(files: Vec<PathBuf>, chunk_rows: usize) -> Self {
        ChunkReader { files, file_idx: 0, chunk_rows: chunk_rows.max(1), state: None, csv_schema: None }
    }

    fn open(&mut self) -> Result<bool> {
        let Some(path) = self.files.get(self.file_idx).cloned() else {
            return Ok(false);
        };
        self.file_idx += 1;
        self.state = Some(match format_of(&path)? {
            Format::Csv => {
                let mut reader = BufReader::new(File::open(&path).map_err(|e| io(&path, e))?);
                let mut header = Vec::new();
                reader.read_until(b'\n', &mut header).map_err(|e| io(&path, e))?;
                if !header.ends_with(b"\n") {
                    header.push(b'\n');
                }
                FileState::Csv { reader, header, path }
            }
            Format::Parquet => {
                let f = File::open(&path).map_err(|e| io(&path, e))?;
                let rows = ParquetReader::new(f).num_rows().map_err(pl)?;
                FileState::Parquet { path, offset: 0, rows }
            }
        });
        Ok(true)
    }

    /// The next chunk, or `None` at the end of the last file.
    fn next_chunk(&mut self) -> Result<Option<DataFrame>> {
        loop {
            if self.state.is_none() && !self.open()? {
                return Ok(None);
            }
            let chunk_rows = self.chunk_rows;
            let df = match self.state.as_mut().expect("opened above") {
                FileState::Csv { reader, header, path } => {
                    let mut buf = header.clone();
                    let mut rows = 0;
                    let mut line = Vec::new();
                    while rows < chunk_rows {
                        // A record ends at a newline outside quotes.
                        let mut quotes = 0usize;
                        let start = buf.len();
                        loop {
                            line.clear();
                            let n = reader.read_until(b'\n', &mut line).map_err(|e| io(path, e))?;
                            if n == 0 {
                                break;
                            }
                            quotes += line.iter().filter(|&&b| b == b'"').count();
                            buf.extend_from_slice(&line);
                            if quotes.is_multiple_of(2) {
                                break;
                            }
                        }
                        if buf.len() == start {
                            break;
                        }
                        if !buf.ends_with(b"\n") {
                            buf.push(b'\n');
                        }
                        if buf[start..].iter().all(|b| b.is_ascii_whitespace()) {
                            buf.truncate(start);
                            continue;
                        }
                        rows += 1;
                    }
                    if rows == 0 {
                        None
                    } else {
                        let opts = CsvReadOptions::default()
                            .with_has_header(true)
                            .with_n_threads(Some(1))
                            .with_infer_schema_length(Some(chunk_rows))
                            .with_schema(self.csv_schema.clone());
                        let df =
                            opts.into_reader_with_file_handle(Cursor::new(buf)).finish().map_err(|e| io(path, e))?;
                        if self.csv_schema.is_none() {
                            self.csv_schema = Some(Arc::new(df.schema().as_ref().clone()));
                        }
                        Some(df)
                    }
                }
                FileState::Parquet { path, offset, rows } => {
                    if *offset >= *rows {
                        None
                    } else {
                        let len = chunk_rows.min(*rows - *offset);
                        let f = File::open(&*path).map_err(|e| io(path, e))?;
                        let df = ParquetReader::new(f)
                            .with_slice(Some((*offset, len)))
                            .read_parallel(ParallelStrategy::None)
                            .finish()
                            .map_err(|e| io(path, e))?;
                        *offset += len;
                        Some(df)
                    }
                }
            };
            match df {
                Some(df) => return Ok(Some(df)),
                None => self.state = None,
            }
        }
    }
}

/// What a [`FeatureJob`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobReport {
    /// Rows written.
    pub rows: usize,
    /// Chunks processed.
    pub chunks: usize,
    /// The most input rows held in memory at once (at most `chunk_rows * n_jobs`).
    pub max_rows_in_flight: usize,
}

/// Streams files through a fitted [`ColumnTransformer`] and writes the features to Parquet.
///
/// Settings: `input` (a path, or a `*` pattern in the file name, `.csv` or `.parquet`),
/// `output` (a `.parquet` path), `chunk_rows` (default [`DEFAULT_CHUNK_ROWS`]), `n_jobs`
/// (default 1), `callback` (told after each wave of chunks, with `rows` written so far; a
/// callback that breaks stops the job after that wave, and the output file then holds the rows
/// transformed so far). The output has one `Float64` column per
/// [`feature_names_out`](FittedColumnTransformer::feature_names_out) entry, rows in input order,
/// and equals the in-memory `transform_frame` of the concatenated input. See the
/// [module docs](self) for the memory bound.
///
/// ```
/// use oxlearn_preprocessing::{ColumnTransformer, Columns, FeatureJob, StandardScaler};
/// use polars::prelude::*;
/// let dir = std::env::temp_dir().join(format!("oxlearn-doc-job-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let input = dir.join("events.csv");
/// std::fs::write(&input, "a,b\n1,2\n3,4\n5,6\n")?;
/// let prep = ColumnTransformer::new().add("num", StandardScaler::default(), Columns::numeric());
/// let fitted = prep.fit_frame_streaming(input.to_str().unwrap())?;
/// let out = dir.join("features.parquet");
/// let report = FeatureJob::new(&fitted).input(input.to_str().unwrap()).output(&out).chunk_rows(2).run()?;
/// assert_eq!((report.rows, report.chunks), (3, 2));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FeatureJob<'a> {
    fitted: &'a FittedColumnTransformer,
    input: Option<String>,
    output: Option<PathBuf>,
    chunk_rows: usize,
    n_jobs: usize,
    callback: Callback,
}

impl<'a> FeatureJob<'a> {
    /// A job for this fitted transformer.
    pub fn new(fitted: &'a FittedColumnTransformer) -> Self {
        FeatureJob {
            fitted,
            input: None,
            output: None,
            chunk_rows: DEFAULT_CHUNK_ROWS,
            n_jobs: 1,
            callback: Callback::none(),
        }
    }
    /// Input file or pattern.
    pub fn input(mut self, pattern: impl Into<String>) -> Self {
        self.input = Some(pattern.into());
        self
    }
    /// Output Parquet file.
    pub fn output(mut self, path: impl AsRef<Path>) -> Self {
        self.output = Some(path.as_ref().to_path_buf());
        self
    }
    /// Rows per chunk (default 100 000).
    pub fn chunk_rows(mut self, n: usize) -> Self {
        self.chunk_rows = n;
        self
    }
    /// Chunks transformed in parallel (default 1).
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = n;
        self
    }
    /// Watches the job (one report per wave of chunks; the `iteration` is the number of chunks
    /// done, the metric `rows` the rows written); a callback that breaks stops the job.
    pub fn callback(mut self, callback: Callback) -> Self {
        self.callback = callback;
        self
    }

    /// Runs the job.
    ///
    /// Errors: `InvalidParam` for zero `chunk_rows` / `n_jobs` or a missing input / output,
    /// `Io` for unreadable or unwritable files, and the transformer's errors for a chunk (missing
    /// columns, changed dtypes, unseen categories under `handle_unknown = error`).
    pub fn run(&self) -> Result<JobReport> {
        if self.chunk_rows == 0 {
            return Err(Error::invalid_param("chunk_rows", "must be at least 1, got 0"));
        }
        if self.n_jobs == 0 {
            return Err(Error::invalid_param("n_jobs", "must be at least 1, got 0"));
        }
        let input = self.input.as_deref().ok_or_else(|| Error::invalid_param("input", "no input file given"))?;
        let output = self.output.as_ref().ok_or_else(|| Error::invalid_param("output", "no output file given"))?;
        let files = expand_input(input)?;
        let _span =
            tracing::info_span!("feature_job", input, files = files.len(), chunk_rows = self.chunk_rows).entered();
        let mut reader = ChunkReader::new(files, self.chunk_rows);
        let names = self.fitted.feature_names_out();
        let schema = Schema::from_iter(names.iter().map(|n| Field::new(n.as_str().into(), DataType::Float64)));
        let file = File::create(output).map_err(|e| io(output, e))?;
        let mut writer = ParquetWriter::new(file).batched(&schema).map_err(|e| io(output, e))?;
        let mut report = JobReport { rows: 0, chunks: 0, max_rows_in_flight: 0 };
        // One pool for the whole job (not one per wave).
        with_n_jobs(Some(self.n_jobs), || self.run_waves(&mut reader, &mut writer, output, &mut report))??;
        writer.finish().map_err(|e| io(output, e))?;
        Ok(report)
    }

    fn run_waves(
        &self,
        reader: &mut ChunkReader,
        writer: &mut polars::io::parquet::write::BatchedWriter<File>,
        output: &Path,
        report: &mut JobReport,
    ) -> Result<()> {
        // Small chunks are written as one row group of at least ROW_GROUP_ROWS rows: the
        // writer keeps metadata per row group until the footer, which would otherwise grow
        // with the number of chunks.
        let mut pending: Vec<DataFrame> = Vec::new();
        let mut pending_rows = 0;
        let start = std::time::Instant::now();
        loop {
            let mut wave = Vec::with_capacity(self.n_jobs);
            while wave.len() < self.n_jobs {
                match reader.next_chunk()? {
                    Some(df) => wave.push(df),
                    None => break,
                }
            }
            if wave.is_empty() {
                break;
            }
            report.max_rows_in_flight = report.max_rows_in_flight.max(wave.iter().map(DataFrame::height).sum());
            let outs: Vec<DataFrame> =
                wave.par_iter().map(|df| self.fitted.transform_to_frame(df)).collect::<Result<_>>()?;
            drop(wave);
            for df in outs {
                report.rows += df.height();
                report.chunks += 1;
                pending_rows += df.height();
                pending.push(df);
            }
            if pending_rows >= ROW_GROUP_ROWS {
                write_row_group(writer, output, &mut pending)?;
                pending_rows = 0;
            }
            let metrics = [("rows", report.rows as f64)];
            let progress = Progress {
                estimator: "FeatureJob",
                iteration: report.chunks,
                total: None,
                loss: None,
                metrics: &metrics,
                elapsed: start.elapsed(),
            };
            if self.callback.report(&progress) {
                break;
            }
        }
        if pending_rows > 0 {
            write_row_group(writer, output, &mut pending)?;
        }
        Ok(())
    }
}

/// Writes the pending output chunks as one row group.
fn write_row_group(
    writer: &mut polars::io::parquet::write::BatchedWriter<File>,
    output: &Path,
    pending: &mut Vec<DataFrame>,
) -> Result<()> {
    let mut parts = pending.drain(..);
    let Some(mut df) = parts.next() else { return Ok(()) };
    for p in parts {
        df.vstack_mut_owned(p).map_err(pl)?;
    }
    df.rechunk_mut();
    writer.write_batch(&df).map_err(|e| io(output, e))
}

impl ColumnTransformer {
    /// Fits from a file or pattern too large for memory, streaming it in chunks of
    /// [`DEFAULT_CHUNK_ROWS`] rows (see the [`job`](crate::job) module for what is exact and what
    /// is approximate).
    pub fn fit_frame_streaming(&self, input: &str) -> Result<FittedColumnTransformer> {
        self.fit_frame_streaming_with(input, DEFAULT_CHUNK_ROWS)
    }

    /// [`fit_frame_streaming`](Self::fit_frame_streaming) with a chunk size.
    pub fn fit_frame_streaming_with(&self, input: &str, chunk_rows: usize) -> Result<FittedColumnTransformer> {
        self.check_parts()?;
        if chunk_rows == 0 {
            return Err(Error::invalid_param("chunk_rows", "must be at least 1, got 0"));
        }
        let files = expand_input(input)?;
        with_n_jobs(self.n_jobs_param(), || self.fit_streaming_files(files, chunk_rows))?
    }

    fn fit_streaming_files(&self, files: Vec<PathBuf>, chunk_rows: usize) -> Result<FittedColumnTransformer> {
        let mut first_reader = ChunkReader::new(files.clone(), chunk_rows);
        let first = first_reader.next_chunk()?.ok_or_else(|| Error::EmptyInput {
            estimator: "ColumnTransformer".into(),
            what: "X",
            rows: 0,
            cols: 0,
            min_rows: 1,
        })?;
        drop(first_reader);
        let schema: Vec<(String, DataType)> =
            first.columns().iter().map(|c| (c.name().to_string(), c.dtype().clone())).collect();
        drop(first);
        let (selections, remainder) = self.resolve(&schema)?;
        let leaves: Vec<Vec<Step>> =
            self.parts().iter().map(|(_, s, _)| s.leaves().into_iter().cloned().collect()).collect();
        let depth =
            leaves.iter().zip(&selections).filter(|(_, s)| !s.is_empty()).map(|(l, _)| l.len()).max().unwrap_or(0);
        let mut fitted: Vec<Vec<FittedStep>> = vec![Vec::new(); leaves.len()];
        let mut stage_names: Vec<Vec<String>> = selections.clone();
        let needed: Vec<String> = {
            let mut s = HashSet::new();
            selections.iter().flatten().filter(|c| s.insert(c.as_str())).cloned().collect()
        };
        for stage in 0..depth {
            let active: Vec<bool> =
                leaves.iter().zip(&selections).map(|(l, s)| !s.is_empty() && stage < l.len()).collect();
            let mut accs: Vec<Vec<ColAccum>> = vec![Vec::new(); leaves.len()];
            let mut reader = ChunkReader::new(files.clone(), chunk_rows);
            let mut offset = 0u64;
            while let Some(df) = reader.next_chunk()? {
                let cols = read_cols(&df, &needed)?;
                let chunk: Vec<Option<Vec<ColAccum>>> = (0..leaves.len())
                    .into_par_iter()
                    .map(|p| {
                        if !active[p] {
                            return Ok(None);
                        }
                        let mut input: Vec<Col> = selections[p].iter().map(|c| cols[c].clone()).collect();
                        let mut names = selections[p].clone();
                        for f in &fitted[p] {
                            let next = f.names_out(&names);
                            input = f.transform_cols(input, &names)?;
                            names = next;
                        }
                        let leaf = &leaves[p][stage];
                        leaf.check_fit(&input, &names)?;
                        Ok(Some(accumulate(&input, leaf.needs(), offset, Some(SAMPLE_CAP))))
                    })
                    .collect::<Result<_>>()?;
                for (a, c) in accs.iter_mut().zip(chunk) {
                    if let Some(c) = c {
                        merge_all(a, c);
                    }
                }
                offset += df.height() as u64;
            }
            for p in 0..leaves.len() {
                if active[p] {
                    let f = leaves[p][stage].fit_accums(&accs[p], &stage_names[p])?;
                    stage_names[p] = f.names_out(&stage_names[p]);
                    fitted[p].push(f);
                }
            }
        }
        let parts: Vec<(FittedStep, Vec<String>)> = self
            .parts()
            .iter()
            .zip(fitted)
            .zip(&selections)
            .map(|(((_, step, _), mut f), sel)| {
                let single = !matches!(step, Step::Chain(_)) && f.len() == 1;
                let fs = if single { f.pop().expect("one fitted leaf") } else { FittedStep::Chain(f) };
                let names = if sel.is_empty() { Vec::new() } else { fs.names_out(sel) };
                (fs, names)
            })
            .collect();
        self.assemble(&schema, selections, parts, remainder)
    }
}
