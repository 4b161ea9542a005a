//! polars Categorical and Enum columns, read natively (codes plus mapping): every encoder,
//! imputer, dtype selection and the streaming job give the same outputs and names as the same
//! column as String, with nulls and categories unseen at fit.

use ndarray::Array2;
use oxlearn_core::Error;
use oxlearn_preprocessing::*;
use polars::prelude::Categories as PlCategories;
use polars::prelude::*;

const COLORS: [&str; 5] = ["red", "green", "blue", "a-much-longer-colour-name", "cyan"];
const SIZES: [&str; 3] = ["S", "M", "L"];
/// Values of the test frame not seen in fit.
const UNSEEN_COLOR: &str = "mauve";

/// A frame with two string columns (nulls, a long value), a number, `rows` rows; with `unseen`,
/// some colours are unseen at fit.
fn frame(rows: usize, seed: u64, unseen: bool) -> DataFrame {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |k: usize| {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 33) % k as u64) as usize
    };
    let (mut color, mut size, mut num) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rows {
        color.push(match next(12) {
            0 => None,
            1 if unseen => Some(UNSEEN_COLOR),
            k => Some(COLORS[k % COLORS.len()]),
        });
        size.push(if i % 5 == 2 { None } else { Some(SIZES[next(3)]) });
        num.push(next(100) as f64 * 0.5);
    }
    df!("color" => color, "size" => size, "num" => num).unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    String,
    Categorical,
    Enum,
}

/// The frame with its string columns as `kind`. The enum lists every value (fit and test) plus
/// one never used, in an order other than the sorted one.
fn as_kind(df: &DataFrame, kind: Kind) -> DataFrame {
    let dtype = match kind {
        Kind::String => return df.clone(),
        Kind::Categorical => DataType::from_categories(PlCategories::global()),
        Kind::Enum => {
            let mut all: Vec<&str> = COLORS.iter().chain(&SIZES).copied().collect();
            all.push(UNSEEN_COLOR);
            all.push("never-used");
            all.reverse();
            DataType::from_frozen_categories(FrozenCategories::new(all).unwrap())
        }
    };
    let mut out = df.clone();
    for name in ["color", "size"] {
        let c = out.column(name).unwrap().cast(&dtype).unwrap();
        out.with_column(c).unwrap();
    }
    assert!(out.column("color").unwrap().dtype().is_categorical() || !matches!(kind, Kind::Categorical));
    out
}

fn bits(x: &Array2<f64>) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// The parts exercised: one-hot (ignore / error, drop, infrequent), ordinal, imputers in front.
fn preps() -> Vec<(&'static str, ColumnTransformer)> {
    let sel = || Columns::names(["color", "size"]);
    vec![
        ("onehot-ignore", ColumnTransformer::new().add("c", OneHotEncoder::default().handle_unknown_ignore(), sel())),
        ("onehot-error", ColumnTransformer::new().add("c", OneHotEncoder::default(), sel())),
        (
            "onehot-drop-infrequent",
            ColumnTransformer::new().add(
                "c",
                OneHotEncoder::default()
                    .drop(OneHotDrop::IfBinary)
                    .min_frequency(MinFrequency::Count(40))
                    .handle_unknown(HandleUnknown::InfrequentIfExist),
                sel(),
            ),
        ),
        ("ordinal", ColumnTransformer::new().add("c", OrdinalEncoder::default().use_encoded_value(-1.0), sel())),
        ("ordinal-error", ColumnTransformer::new().add("c", OrdinalEncoder::default(), sel())),
        (
            "most-frequent-onehot",
            ColumnTransformer::new().add("n", StandardScaler::default(), Columns::numeric()).add(
                "c",
                SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
                Columns::categorical(),
            ),
        ),
        (
            "most-frequent-ordinal",
            ColumnTransformer::new().add(
                "c",
                SimpleImputer::most_frequent().then(OrdinalEncoder::default().use_encoded_value(-1.0)),
                sel(),
            ),
        ),
        (
            "constant-ordinal-indicator",
            ColumnTransformer::new().add(
                "c",
                SimpleImputer::constant("missing_value")
                    .add_indicator(true)
                    .then(OrdinalEncoder::default().use_encoded_value(-1.0)),
                sel(),
            ),
        ),
        (
            "constant-onehot",
            ColumnTransformer::new().add(
                "c",
                SimpleImputer::constant("zzz").then(OneHotEncoder::default().handle_unknown_ignore()),
                sel(),
            ),
        ),
    ]
}

/// Fit and transform results of one prep on one kind: names, dense, sparse, frame outputs (or
/// the error's text).
fn run(prep: &ColumnTransformer, fit: &DataFrame, test: &DataFrame) -> Result<(Vec<String>, Vec<Vec<u64>>), String> {
    let f = prep.fit_frame(fit).map_err(|e| format!("fit: {e}"))?;
    let mut outs = Vec::new();
    for df in [fit, test] {
        let dense = f.transform_frame(df).map_err(|e| format!("transform: {e}"))?;
        let sparse = f.transform_frame_sparse(df).map_err(|e| format!("sparse: {e}"))?;
        assert_eq!(bits(&sparse.to_dense()), bits(&dense));
        let framed = f.transform_to_frame(df).map_err(|e| format!("frame: {e}"))?;
        assert_eq!(framed.width(), dense.ncols());
        outs.push(bits(&dense));
    }
    Ok((f.feature_names_out().to_vec(), outs))
}

#[test]
fn categorical_and_enum_columns_equal_their_strings() {
    let (fit, test) = (frame(3000, 1, false), frame(1000, 2, true));
    for (name, prep) in preps() {
        let want = run(&prep, &fit, &test);
        if name.ends_with("error") {
            let e = want.as_ref().expect_err(name);
            assert!(e.contains(UNSEEN_COLOR), "{name}: {e}");
        } else {
            assert!(want.is_ok(), "{name}: {want:?}");
        }
        for kind in [Kind::Categorical, Kind::Enum] {
            let got = run(&prep, &as_kind(&fit, kind), &as_kind(&test, kind));
            assert_eq!(got, want, "{name}: {kind:?} differs from String");
            // Fitted on strings, applied to categoricals (and back): the same.
            let mixed = run(&prep, &fit, &as_kind(&test, kind));
            assert_eq!(mixed, want, "{name}: String fit, {kind:?} transform");
        }
    }
}

#[test]
fn categorical_columns_are_read_natively() {
    let df = as_kind(&frame(100, 3, false), Kind::Categorical);
    let col = Col::from_series(df.column("color").unwrap().as_materialized_series()).unwrap();
    assert!(matches!(col, Col::Cat(_)), "{col:?}");
    let strings = frame(100, 3, false);
    let Col::Cat(c) = col else { unreachable!() };
    assert!(c.to_strings().iter().eq(strings.column("color").unwrap().str().unwrap().iter()));
    // Enum codes stored in 8 bits are widened; values read back equal.
    let df = as_kind(&strings, Kind::Enum);
    let Col::Cat(c) = Col::from_series(df.column("size").unwrap().as_materialized_series()).unwrap() else {
        panic!("enum read as categorical")
    };
    assert!(c.to_strings().iter().eq(strings.column("size").unwrap().str().unwrap().iter()));
}

#[test]
fn chunked_columns_and_large_codes() {
    // Several polars chunks, and a mapping whose codes lie far beyond the column's length (the
    // hash side of the per-chunk look-up).
    let cats = PlCategories::new("oxlearn-test-big".into(), "".into(), CategoricalPhysical::U32);
    let dtype = DataType::from_categories(cats);
    let filler: Vec<String> = (0..70_000).map(|i| format!("filler-{i}")).collect();
    let _ = Series::new("f".into(), filler).cast(&dtype).unwrap();
    let (mut a, b) = (frame(500, 4, false), frame(700, 5, true));
    let big_of = |df: &DataFrame| {
        let mut df = df.clone();
        let c = df.column("color").unwrap().cast(&dtype).unwrap();
        df.with_column(c).unwrap();
        df
    };
    let mut big = big_of(&a);
    big.vstack_mut(&big_of(&b)).unwrap();
    a.vstack_mut(&b).unwrap();
    assert!(big.column("color").unwrap().n_chunks() > 1);
    let fit = frame(2000, 6, false);
    for (name, prep) in preps() {
        let f = prep.fit_frame(&fit).unwrap();
        let want = f.transform_frame(&a).map(|x| bits(&x)).map_err(|e| e.to_string());
        let got = f.transform_frame(&big).map(|x| bits(&x)).map_err(|e| e.to_string());
        assert_eq!(got, want, "{name}");
        // Fitting on the chunked categorical equals fitting on its strings.
        let f_big = prep.fit_frame(&big).map(|f| f.feature_names_out().to_vec()).map_err(|e| e.to_string());
        let f_str = prep.fit_frame(&a).map(|f| f.feature_names_out().to_vec()).map_err(|e| e.to_string());
        assert_eq!(f_big, f_str, "{name}: fit");
    }
}

#[test]
fn label_encoder_reads_categorical_labels() {
    let s = Series::new("y".into(), ["b", "a", "b"]);
    let c = s.cast(&DataType::from_categories(PlCategories::global())).unwrap();
    assert_eq!(label::series_labels(&s).unwrap(), label::series_labels(&c).unwrap());
    let with_null = Series::new("y".into(), [Some("a"), None]).cast(&DataType::from_categories(PlCategories::global()));
    assert!(matches!(label::series_labels(&with_null.unwrap()), Err(Error::InvalidInput(_))));
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("oxlearn-prep-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn streaming_job_on_categorical_parquet_equals_strings() {
    let dir = temp_dir("cat-job");
    let (fit, test) = (frame(3000, 7, false), frame(2500, 8, true));
    let prep = ColumnTransformer::new().add("n", StandardScaler::default(), Columns::numeric()).add(
        "c",
        SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
        Columns::categorical(),
    );
    let mut results = Vec::new();
    for kind in [Kind::String, Kind::Categorical, Kind::Enum] {
        let tag = format!("{kind:?}");
        let (fit_path, test_path) = (dir.join(format!("fit-{tag}.parquet")), dir.join(format!("test-{tag}.parquet")));
        ParquetWriter::new(std::fs::File::create(&fit_path).unwrap()).finish(&mut as_kind(&fit, kind)).unwrap();
        ParquetWriter::new(std::fs::File::create(&test_path).unwrap()).finish(&mut as_kind(&test, kind)).unwrap();
        let back = ParquetReader::new(std::fs::File::open(&test_path).unwrap()).finish().unwrap();
        let group = DtypeGroup::of(back.column("color").unwrap().dtype());
        let expected = if matches!(kind, Kind::String) { DtypeGroup::String } else { DtypeGroup::Categorical };
        assert_eq!(group, expected, "{kind:?} read back from parquet");
        let fitted = prep.fit_frame_streaming_with(fit_path.to_str().unwrap(), 700).unwrap();
        let out = dir.join(format!("out-{tag}.parquet"));
        FeatureJob::new(&fitted).input(test_path.to_str().unwrap()).output(&out).chunk_rows(600).run().unwrap();
        let written = ParquetReader::new(std::fs::File::open(&out).unwrap()).finish().unwrap();
        let cols: Vec<Vec<u64>> = written
            .columns()
            .iter()
            .map(|c| c.f64().unwrap().into_no_null_iter().map(f64::to_bits).collect())
            .collect();
        // The job equals the in-memory transform of the same file.
        let memory = fitted.transform_frame(&back).unwrap();
        for (j, c) in cols.iter().enumerate() {
            assert_eq!(*c, memory.column(j).iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{kind:?} col {j}");
        }
        results.push((fitted.feature_names_out().to_vec(), cols));
    }
    assert_eq!(results[1], results[0], "Categorical job differs from String");
    assert_eq!(results[2], results[0], "Enum job differs from String");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sliced_categorical_frames_equal_sliced_strings() {
    // Slices keep polars' offset arrays (codes and validity read from an offset).
    let (fit, test) = (frame(2000, 9, false), frame(1500, 10, true));
    for (name, prep) in preps().into_iter().filter(|(n, _)| !n.ends_with("error")) {
        let want = run(&prep, &fit.slice(13, 1700), &test.slice(101, 777)).unwrap();
        for kind in [Kind::Categorical, Kind::Enum] {
            let got = run(&prep, &as_kind(&fit, kind).slice(13, 1700), &as_kind(&test, kind).slice(101, 777)).unwrap();
            assert_eq!(got, want, "{name}: sliced {kind:?}");
        }
    }
}
