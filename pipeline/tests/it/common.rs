//! Shared test data: a small frame with strings, nulls and a string target.

use polars::prelude::*;

/// Iris as a frame with nulls in two columns, a string feature and a string target "species".
pub fn iris_frame() -> DataFrame {
    let iris = oxlearn_datasets::iris();
    let mut cols: Vec<Column> = Vec::new();
    for (j, name) in iris.feature_names.iter().enumerate() {
        let v: Vec<Option<f64>> = iris
            .x
            .column(j)
            .iter()
            .enumerate()
            .map(|(i, &v)| if j < 2 && (i * 7 + j) % 13 == 0 { None } else { Some(v) })
            .collect();
        cols.push(Series::new(name.as_str().into(), v).into());
    }
    let color: Vec<Option<&str>> = (0..150)
        .map(|i| match i % 5 {
            0 => None,
            1 | 2 => Some("red"),
            _ => Some("blue"),
        })
        .collect();
    cols.push(Series::new("color".into(), color).into());
    let species: Vec<&str> = iris.y.iter().map(|&c| iris.target_names[c as usize].as_str()).collect();
    cols.push(Series::new("species".into(), species).into());
    DataFrame::new(150, cols).unwrap()
}
