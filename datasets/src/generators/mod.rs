//! Random dataset generators with scikit-learn's semantics: [`make_classification`],
//! [`make_regression`], [`make_blobs`], [`make_moons`] and [`make_circles`].
//!
//! Each generator is a params struct built by its `make_*` function, configured with builder
//! setters named as scikit-learn's arguments (defaults equal to scikit-learn's), and run by
//! `generate()`. `seed(s)` makes the output reproducible (bit-identical for the same seed and
//! parameters); without one the generator draws from the operating system's entropy. The
//! random streams differ from NumPy's, so the values differ from scikit-learn's for the same
//! seed, but shapes, class sizes and the structure of the data (clusters on hypercube
//! vertices, the exact linear relation of `make_regression` without noise, points on circles)
//! are the same.
//!
//! Absurd parameters are reported by `generate()` as [`oxlearn_core::Error::InvalidParam`],
//! naming the parameter as scikit-learn does.

mod classification;
mod regression;
mod shapes;

pub use classification::{MakeClassification, make_classification};
pub use regression::{MakeRegression, make_regression};
pub use shapes::{Centers, ClusterStd, MakeBlobs, MakeCircles, MakeMoons, make_blobs, make_circles, make_moons};

use ndarray::{Array1, Array2, Axis};
use oxlearn_core::{Error, Result};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator's RNG: seeded, or from entropy.
fn rng(seed: Option<u64>) -> Xoshiro256PlusPlus {
    match seed {
        Some(s) => Xoshiro256PlusPlus::seed_from_u64(s),
        None => Xoshiro256PlusPlus::from_entropy(),
    }
}

/// A random permutation of `0..n`.
fn permutation(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    idx
}

/// Shuffles the rows of `x` and `y` together (scikit-learn's `utils.shuffle`).
fn shuffle_rows<T: Clone>(x: Array2<f64>, y: Array1<T>, rng: &mut Xoshiro256PlusPlus) -> (Array2<f64>, Array1<T>) {
    let idx = permutation(x.nrows(), rng);
    (x.select(Axis(0), &idx), y.select(Axis(0), &idx))
}

fn check_finite(name: &str, v: f64) -> Result<()> {
    if v.is_finite() { Ok(()) } else { Err(Error::invalid_param(name, format!("must be finite, got {v}"))) }
}

fn check_noise(noise: Option<f64>) -> Result<()> {
    match noise {
        Some(n) if !(n.is_finite() && n >= 0.0) => {
            Err(Error::invalid_param("noise", format!("must be a finite number >= 0, got {n}")))
        }
        _ => Ok(()),
    }
}

/// NumPy's `linspace(start, stop, n, endpoint)`.
fn linspace(start: f64, stop: f64, n: usize, endpoint: bool) -> Vec<f64> {
    let div = if endpoint { n.saturating_sub(1) } else { n };
    if div == 0 {
        return vec![start; n];
    }
    let step = (stop - start) / div as f64;
    let mut v: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
    if endpoint && n > 1 {
        v[n - 1] = stop;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy() {
        assert_eq!(linspace(0.0, 1.0, 5, true), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(linspace(0.0, 1.0, 4, false), vec![0.0, 0.25, 0.5, 0.75]);
        assert_eq!(linspace(0.0, 1.0, 1, true), vec![0.0]);
        assert!(linspace(0.0, 1.0, 0, true).is_empty());
    }
}
