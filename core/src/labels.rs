//! Class labels: the dynamic [`Label`] type and the encoding of labels into class indices.

use std::collections::BTreeMap;
use std::fmt;

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::estimator::ClassLabel;

/// A class label whose type is known only at run time (string labels from a DataFrame, integer
/// labels from a file). Integers sort before strings; within each, the natural order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Label {
    /// An integer label.
    Int(i64),
    /// A string label.
    Str(String),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Int(i) => write!(f, "{i}"),
            Label::Str(s) => write!(f, "{s}"),
        }
    }
}

impl From<i64> for Label {
    fn from(v: i64) -> Self {
        Label::Int(v)
    }
}
impl From<usize> for Label {
    fn from(v: usize) -> Self {
        Label::Int(v as i64)
    }
}
impl From<i32> for Label {
    fn from(v: i32) -> Self {
        Label::Int(i64::from(v))
    }
}
impl From<&str> for Label {
    fn from(v: &str) -> Self {
        Label::Str(v.to_string())
    }
}
impl From<String> for Label {
    fn from(v: String) -> Self {
        Label::Str(v)
    }
}

/// Labels encoded as indices into their sorted distinct values, as a classifier's `fit` receives
/// them. `classes[y[i]]` is the original label of sample `i`.
#[derive(Debug, Clone)]
pub struct EncodedLabels<L> {
    /// Sorted distinct labels.
    pub classes: Vec<L>,
    /// Class index of each sample.
    pub y: Array1<usize>,
}

impl<L: ClassLabel> EncodedLabels<L> {
    /// Encodes labels (sorted classes, as `numpy.unique`).
    pub fn encode(y: ArrayView1<'_, L>) -> Self {
        // Ids in order of first appearance, then remapped to the sorted order of the labels.
        // While there are few distinct labels (the usual case) a short list scanned linearly
        // beats a map lookup per sample several times over; past `FEW`, a map.
        const FEW: usize = 16;
        let mut few: Vec<&L> = Vec::new();
        let mut map: Option<BTreeMap<&L, usize>> = None;
        let first_seen: Vec<usize> = y
            .iter()
            .map(|label| {
                if let Some(map) = &mut map {
                    let next = map.len();
                    return *map.entry(label).or_insert(next);
                }
                if let Some(id) = few.iter().position(|l| *l == label) {
                    return id;
                }
                few.push(label);
                if few.len() > FEW {
                    map = Some(few.iter().enumerate().map(|(id, l)| (*l, id)).collect());
                }
                few.len() - 1
            })
            .collect();
        // Distinct labels by id.
        let distinct: Vec<&L> = match map {
            None => few,
            Some(map) => {
                let mut by_id = vec![None; map.len()];
                for (label, id) in map {
                    by_id[id] = Some(label);
                }
                by_id.into_iter().map(|l| l.expect("every id has its label")).collect()
            }
        };
        let mut order: Vec<usize> = (0..distinct.len()).collect();
        order.sort_by(|&a, &b| distinct[a].cmp(distinct[b]));
        let mut rank = vec![0; distinct.len()];
        for (r, &id) in order.iter().enumerate() {
            rank[id] = r;
        }
        let encoded = first_seen.into_iter().map(|id| rank[id]).collect();
        let classes = order.iter().map(|&id| distinct[id].clone()).collect();
        EncodedLabels { classes, y: encoded }
    }

    /// Number of distinct classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Number of samples in each class.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for &c in self.y.iter() {
            counts[c] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn encodes_sorted_classes() {
        let y = array!["b", "a", "c", "a"].mapv(String::from);
        let e = EncodedLabels::encode(y.view());
        assert_eq!(e.classes, vec!["a", "b", "c"]);
        assert_eq!(e.y, array![1, 0, 2, 0]);
        assert_eq!(e.counts(), vec![2, 1, 1]);
        let mixed = [Label::Str("x".into()), Label::Int(3)];
        let e = EncodedLabels::encode(ndarray::ArrayView1::from(&mixed));
        assert_eq!(e.classes, vec![Label::Int(3), Label::Str("x".into())]);
    }

    /// Past the short list's 16 distinct labels the map takes over: same encoding as sorting.
    #[test]
    fn many_classes_encode_as_sorted() {
        let y: Vec<i64> = (0..500).map(|i| (i * 37 % 41) - 20).collect();
        let e = EncodedLabels::encode(ndarray::ArrayView1::from(&y));
        let mut classes = y.clone();
        classes.sort_unstable();
        classes.dedup();
        assert_eq!(e.classes, classes);
        for (&label, &id) in y.iter().zip(e.y.iter()) {
            assert_eq!(e.classes[id], label);
        }
    }
}
