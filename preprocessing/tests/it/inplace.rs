//! `FittedTransformer::transform_inplace` (scikit-learn's `copy=False`): bit-identical to
//! `transform` for every scaler and the normalizer, on row-major and column-major input, and an
//! error leaves the input untouched.

use ndarray::{Array2, ShapeBuilder};
use oxlearn_core::{Error, FittedTransformer, Transformer};
use oxlearn_preprocessing::*;

/// A reproducible matrix (SplitMix64) with some NaN, spanning several transform chunks.
fn data(rows: usize, cols: usize, nan: bool) -> Array2<f64> {
    let mut s = 0x1234_5678_9ABC_DEF0u64;
    Array2::from_shape_simple_fn((rows, cols), || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        if nan && z.is_multiple_of(53) { f64::NAN } else { (z >> 11) as f64 / (1u64 << 53) as f64 * 17.0 - 5.0 }
    })
}

fn bits(x: &Array2<f64>) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// `transform_inplace` equals `transform` bit for bit, on a row-major and a column-major copy.
fn same_as_transform<F: FittedTransformer>(f: &F, x: &Array2<f64>, what: &str) {
    let want = f.transform(x).unwrap();
    let mut a = x.clone();
    f.transform_inplace(&mut a).unwrap();
    assert_eq!(a.dim(), want.dim(), "{what}");
    assert_eq!(bits(&a), bits(&want), "{what}: row-major");
    let mut b = Array2::zeros(x.dim().f());
    b.assign(x);
    f.transform_inplace(&mut b).unwrap();
    assert!(b.iter().zip(a.iter()).all(|(p, q)| p.to_bits() == q.to_bits()), "{what}: column-major");
}

/// Errors leave `x` as it was.
fn untouched_on_error<F: FittedTransformer>(f: &F, mut x: Array2<f64>, what: &str) -> Error {
    let before = bits(&x);
    let err = f.transform_inplace(&mut x).expect_err(what);
    assert_eq!(bits(&x), before, "{what}: x changed on error");
    err
}

#[test]
fn scalers_in_place_match_transform() {
    let x = data(3 * 4096 + 77, 7, true);
    same_as_transform(&StandardScaler::default().fit(&x).unwrap(), &x, "StandardScaler");
    same_as_transform(&StandardScaler::default().with_mean(false).fit(&x).unwrap(), &x, "StandardScaler(mean off)");
    same_as_transform(&StandardScaler::default().with_std(false).fit(&x).unwrap(), &x, "StandardScaler(std off)");
    same_as_transform(&MinMaxScaler::default().fit(&x).unwrap(), &x, "MinMaxScaler");
    let shifted = x.mapv(|v| v * 1.5 + 2.0);
    same_as_transform(
        &MinMaxScaler::default().feature_range(-1.0, 1.0).clip(true).fit(&x).unwrap(),
        &shifted,
        "MinMaxScaler(clip)",
    );
    same_as_transform(&MaxAbsScaler::default().fit(&x).unwrap(), &x, "MaxAbsScaler");
    same_as_transform(&RobustScaler::default().fit(&x).unwrap(), &x, "RobustScaler");
    let clean = data(5000, 6, false);
    for norm in [Norm::L1, Norm::L2, Norm::Max] {
        same_as_transform(&Normalizer::default().norm(norm).fit(&clean).unwrap(), &clean, "Normalizer");
    }
}

#[test]
fn default_in_place_replaces_with_the_transform() {
    // A transformer without its own kernel: the output (wider than the input) replaces x.
    let x = ndarray::array![[1.0, 0.5], [3.0, 0.5], [1.0, 2.0]];
    let enc = OneHotEncoder::default().fit(&x).unwrap();
    let mut y = x.clone();
    enc.transform_inplace(&mut y).unwrap();
    assert_eq!(y, enc.transform(&x).unwrap());
    let mut bad = ndarray::array![[7.0, 0.5]];
    assert!(matches!(enc.transform_inplace(&mut bad), Err(Error::UnknownCategory { .. })));
    assert_eq!(bad, ndarray::array![[7.0, 0.5]]);
}

#[test]
fn errors_leave_the_input_untouched() {
    let x = data(9000, 5, true);
    let ss = StandardScaler::default().fit(&x).unwrap();
    let mut inf = x.clone();
    inf[[8500, 3]] = f64::INFINITY;
    let e = untouched_on_error(&ss, inf.clone(), "StandardScaler infinity");
    assert!(matches!(e, Error::NonFinite { row: 8500, column: Some(3), .. }), "{e}");
    let e = untouched_on_error(&ss, data(10, 4, false), "StandardScaler width");
    assert!(matches!(e, Error::FeatureMismatch { expected: 5, got: 4, .. }), "{e}");
    untouched_on_error(&MinMaxScaler::default().fit(&x).unwrap(), inf.clone(), "MinMaxScaler infinity");
    untouched_on_error(&MaxAbsScaler::default().fit(&x).unwrap(), inf.clone(), "MaxAbsScaler infinity");
    untouched_on_error(&RobustScaler::default().fit(&x).unwrap(), inf, "RobustScaler infinity");
    // The normalizer rejects NaN (scikit-learn's Normalizer does too).
    let clean = data(9000, 5, false);
    let nz = Normalizer::default().fit(&clean).unwrap();
    let mut nan = clean.clone();
    nan[[8999, 0]] = f64::NAN;
    let e = untouched_on_error(&nz, nan, "Normalizer NaN");
    assert!(matches!(e, Error::NonFinite { row: 8999, .. }), "{e}");
    let e = untouched_on_error(&nz, Array2::zeros((0, 5)), "Normalizer empty");
    assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
}
