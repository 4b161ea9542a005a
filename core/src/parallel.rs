//! Thread-count control (`n_jobs`), defined once and used by every parallel estimator.
//!
//! `n_jobs` follows scikit-learn: `None` uses the caller's rayon pool (all cores unless the caller
//! installed a smaller pool), `Some(n)` with `n >= 1` runs the work inside a scoped pool of `n`
//! threads. Results never depend on the thread count: parallel code splits work into chunks whose
//! boundaries do not depend on the number of threads and combines them in a fixed order.

use crate::error::{Error, Result};

/// Runs `f` with at most `n_jobs` rayon threads.
///
/// Nested calls inside an already-sized pool do not oversubscribe: with `n_jobs = None` the work
/// stays on the current pool.
pub fn with_n_jobs<R: Send>(n_jobs: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R> {
    match n_jobs {
        None => Ok(f()),
        Some(0) => Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0")),
        Some(n) if n == rayon::current_num_threads() => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::Other(format!("cannot start a pool of {n} threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}

/// The number of threads `with_n_jobs(n_jobs, ..)` will use.
pub fn effective_n_jobs(n_jobs: Option<usize>) -> usize {
    n_jobs.unwrap_or_else(rayon::current_num_threads).max(1)
}

/// Splits `0..n` into chunks of a size that does not depend on the thread count, so that
/// reductions over the chunks (combined in order) are bit-identical whatever the pool size.
pub fn fixed_chunks(n: usize, chunk: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let chunk = chunk.max(1);
    (0..n.div_ceil(chunk)).map(move |i| i * chunk..((i + 1) * chunk).min(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_size_is_honoured() {
        assert_eq!(with_n_jobs(Some(1), rayon::current_num_threads).unwrap(), 1);
        assert_eq!(with_n_jobs(Some(3), rayon::current_num_threads).unwrap(), 3);
        assert!(with_n_jobs(Some(0), || ()).is_err());
        let chunks: Vec<_> = fixed_chunks(10, 4).collect();
        assert_eq!(chunks, vec![0..4, 4..8, 8..10]);
    }
}
