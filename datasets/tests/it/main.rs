//! Integration tests of oxlearn-datasets: embedded datasets, file round trips, DataFrame
//! conversion errors and the generators' scikit-learn properties.

mod embedded;
mod frames;
mod generators;

/// A fresh, empty directory under the system's temp dir, unique to this process and `name`.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oxlearn-datasets-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
