//! `ColumnTransformer` on an ndarray matrix (columns selected by index) reads the columns
//! straight from the view: its fit and transform equal the frame path's bit for bit.

use ndarray::{Array2, ShapeBuilder};
use oxlearn_core::{Error, FittedTransformer, Transformer};
use oxlearn_preprocessing::*;
use polars::prelude::*;

/// A matrix with NaN, a few integer-coded columns, spanning several row blocks.
fn data(rows: usize, cols: usize) -> Array2<f64> {
    let mut s = 0x0DDB_1A5E_5BAD_5EEDu64;
    Array2::from_shape_fn((rows, cols), |(_, j)| {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        match (z % 37, j % 4) {
            (0, _) => f64::NAN,
            (_, 3) => (z % 6) as f64,
            _ => (z >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 3.0,
        }
    })
}

fn bits(x: &Array2<f64>) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn prep() -> ColumnTransformer {
    ColumnTransformer::new()
        .add("s", StandardScaler::default(), Columns::indices([0, 1, 2, 5]))
        .add("i", SimpleImputer::median().then(MinMaxScaler::default()), Columns::indices([4, 1, 6]))
        .add(
            "h",
            SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
            Columns::indices([3, 7]),
        )
        .add("none", StandardScaler::default(), Columns::indices([]))
        .remainder_passthrough()
}

#[test]
fn matrix_path_equals_frame_path() {
    let x = data(3000, 10);
    let names: Vec<String> = (0..10).map(|j| format!("x{j}")).collect();
    let df = matrix_to_frame(&x, &names).unwrap();
    let by_frame = prep().fit_frame(&df).unwrap();
    let want = by_frame.transform_frame(&df).unwrap();
    let mut col_major = Array2::zeros(x.dim().f());
    col_major.assign(&x);
    for input in [&x, &col_major] {
        let fitted = prep().fit(input).unwrap();
        assert_eq!(fitted.feature_names_out(), by_frame.feature_names_out());
        assert_eq!(bits(&fitted.transform(input).unwrap()), bits(&want));
        // Fitted on the matrix, applied to the frame (and the frame's fit to the matrix).
        assert_eq!(bits(&fitted.transform_frame(&df).unwrap()), bits(&want));
        assert_eq!(bits(&by_frame.transform(input).unwrap()), bits(&want));
    }
    // A slice (not contiguous) reads the same as its copy.
    let wide = data(3000, 13);
    let view = wide.slice(ndarray::s![.., 2..12]);
    let fitted = prep().fit(view).unwrap();
    let want = prep().fit(&view.to_owned()).unwrap().transform(&view.to_owned()).unwrap();
    assert_eq!(bits(&fitted.transform(view).unwrap()), bits(&want));
}

#[test]
fn matrix_path_errors() {
    let x = data(50, 10);
    let fitted = prep().fit(&x).unwrap();
    assert!(matches!(fitted.transform(&data(5, 9)), Err(Error::FeatureMismatch { expected: 10, got: 9, .. })));
    let bad = ColumnTransformer::new().add("s", StandardScaler::default(), Columns::indices([10]));
    assert!(matches!(bad.fit(&x), Err(Error::InvalidInput(m)) if m.contains("index 10")));
    // Fitted on a frame with a string column: a matrix is refused, naming it.
    let df = df!("a" => [1.0, 2.0], "b" => ["u", "v"]).unwrap();
    let f = ColumnTransformer::new()
        .add("h", OneHotEncoder::default(), Columns::names(["b"]))
        .add("n", StandardScaler::default(), Columns::names(["a"]))
        .fit_frame(&df)
        .unwrap();
    let e = f.transform(&ndarray::array![[1.0, 0.0]]).unwrap_err();
    assert!(matches!(&e, Error::InvalidInput(m) if m.contains("\"b\"") && m.contains("changed dtype")), "{e}");
}
