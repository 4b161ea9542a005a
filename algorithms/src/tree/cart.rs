//! The CART engine behind every tree and forest: presorted per-feature sample orders that are
//! partitioned node by node (so each level costs O(n * n_features), never n^2), exact best
//! splits at midpoints between consecutive distinct values as scikit-learn's `BestSplitter`,
//! random thresholds as its `RandomSplitter`, depth-first or best-first (`max_leaf_nodes`)
//! growth, and the flat, serde-friendly [`Tree`] it produces.
//!
//! As scikit-learn (whose trees convert `X` to `float32`), feature values are rounded to `f32`
//! before splitting and predicting: thresholds are midpoints of `f32` values and a sample goes
//! left when its `f32` value is at most the threshold. This matters for test samples that lie
//! exactly halfway between two training values (common with integer-valued features): they are
//! routed as scikit-learn routes them, not by the rounding noise of `f64` midpoints.
//!
//! Missing values (NaN) follow scikit-learn 1.9: every sample order keeps a node's NaN samples at
//! its end, the best splitter tries each threshold with the missing samples sent left and sent
//! right plus the split that sends exactly the missing samples right, the random splitter sends
//! them to a random side, and each node stores the side in `missing_go_to_left` (for a node whose
//! samples had no NaN on its feature: the side with more training samples, ties right).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use ndarray::{ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Two feature values closer than this are treated as equal (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;

/// Below this many sample-features in a node, the node's work stays on one thread.
const PARALLEL_WORK: usize = 1 << 16;

/// Rows walked down a tree together, so their memory loads overlap.
const LANES: usize = 16;

/// Rows per prediction block: about 1 MiB of `f32` rows, so that a block and one tree share the
/// cache while every tree walks every row of the block (each tree is then read once per block,
/// not once per few rows), and at least four blocks per thread for balance. Predictions do not
/// depend on it: each row adds its trees in order whatever the blocks.
pub(crate) fn block_rows(n_rows: usize, n_features: usize) -> usize {
    let by_cache = (1usize << 20) / (4 * n_features.max(1));
    let by_balance = n_rows.div_ceil(4 * rayon::current_num_threads().max(1));
    by_cache.min(by_balance).clamp(256, 16_384)
}

/// A feature value as the trees see it: rounded to `f32`, as scikit-learn's `DTYPE`.
#[inline]
fn as_f32(v: f64) -> f32 {
    v as f32
}

/// The greatest `f32` not above `t`: for any `f32` value `v`, `v <= t` exactly when
/// `v <= floor_f32(t)`, so `f32` thresholds route exactly as the `f64` ones.
fn floor_f32(t: f64) -> f32 {
    let r = t as f32;
    if f64::from(r) > t { r.next_down() } else { r }
}

/// How split candidates are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Splitter {
    /// The best threshold of each candidate feature (scikit-learn's `splitter="best"`).
    #[default]
    Best,
    /// One uniformly random threshold per candidate feature, between its least and greatest value
    /// in the node (scikit-learn's `splitter="random"`, the extra-trees rule).
    Random,
}

/// The impurity a split must decrease, resolved for the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Impurity {
    Gini,
    Entropy,
    SquaredError,
    FriedmanMse,
}

/// Hyper-parameters resolved against the data (counts, not fractions).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub impurity: Impurity,
    pub splitter: Splitter,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_weight_leaf: f64,
    pub max_features: usize,
    pub max_leaf_nodes: Option<usize>,
    pub min_impurity_decrease: f64,
}

/// The target a tree is grown on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// Class index of each sample, and the number of classes.
    Classes(&'a [u32], usize),
    /// Real value of each sample.
    Values(&'a [f64]),
}

/// Sample orders of every feature: for feature `f`, `idx[f * n .. (f + 1) * n]` lists sample ids
/// sorted by value (ties by id) and `val` holds the matching values.
#[derive(Debug, Clone)]
pub(crate) struct Presorted {
    n: usize,
    d: usize,
    idx: Vec<u32>,
    val: Vec<f64>,
}

impl Presorted {
    /// Sorts every column of `x` (in parallel over features on the current pool).
    pub fn new(x: ArrayView2<'_, f64>) -> Self {
        let (n, d) = x.dim();
        // 120 MB for 200k x 50: fresh buffers on huge pages (see `oxlearn_core::alloc`).
        let mut idx = vec![0u32; n * d];
        oxlearn_core::alloc::advise_huge_pages(&mut idx);
        let mut val = oxlearn_core::alloc::zeroed_f64(n * d);
        if n > 0 {
            idx.par_chunks_mut(n).zip(val.par_chunks_mut(n)).enumerate().for_each(|(f, (ids, vals))| {
                let col = x.column(f);
                // NaN of either sign becomes the positive NaN, which `total_cmp` sorts last: every
                // segment of an order then ends with its missing samples.
                let mut pairs: Vec<(f64, u32)> = col
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (if v.is_nan() { f64::NAN } else { f64::from(as_f32(v)) }, i as u32))
                    .collect();
                pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                for (p, (v, i)) in pairs.into_iter().enumerate() {
                    ids[p] = i;
                    vals[p] = v;
                }
            });
        }
        Presorted { n, d, idx, val }
    }

    /// The orders restricted to the samples of positive weight (a bootstrap draw).
    pub fn filtered(&self, weight: &[f64]) -> Self {
        let n = weight.iter().filter(|&&w| w > 0.0).count();
        if n == self.n {
            return self.clone();
        }
        let mut idx = oxlearn_core::alloc::vec_with_capacity(n * self.d);
        let mut val = oxlearn_core::alloc::vec_with_capacity(n * self.d);
        for f in 0..self.d {
            let range = f * self.n..(f + 1) * self.n;
            for (&i, &v) in self.idx[range.clone()].iter().zip(&self.val[range]) {
                if weight[i as usize] > 0.0 {
                    idx.push(i);
                    val.push(v);
                }
            }
        }
        Presorted { n, d: self.d, idx, val }
    }
}

/// One node of a fitted [`Tree`]. A leaf has `left == 0` (the root is nobody's child).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    left: u32,
    right: u32,
    feature: u32,
    #[serde(with = "threshold_serde")]
    threshold: f64,
    impurity: f64,
    n_node_samples: u32,
    weighted_n_node_samples: f64,
    /// Where a NaN goes (scikit-learn's `missing_go_to_left`); absent in models saved before
    /// missing values were supported (false: right).
    #[serde(default)]
    missing_go_to_left: bool,
}

/// Thresholds through serde: `+inf` (the split that sends exactly the missing samples right) is
/// written as `f64::MAX`, which JSON can hold and which routes every `f32` value the same way.
mod threshold_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(if *t == f64::INFINITY { f64::MAX } else { *t })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let t = f64::deserialize(d)?;
        Ok(if t == f64::MAX { f64::INFINITY } else { t })
    }
}

/// The part of a node that prediction reads, 16 bytes: four to a cache line. `children` is
/// `[left, right]` (`[0, 0]` for a leaf), indexed by the comparison so the walk has no
/// data-dependent branch to mispredict.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FastNode {
    threshold: f32,
    feature: u32,
    children: [u32; 2],
}

impl FastNode {
    /// The child a (finite) value goes to; NaN goes left here, so callers that may meet NaN
    /// route it by [`Tree::missing_child`] first.
    #[inline]
    fn next(&self, v: f32) -> u32 {
        self.children[usize::from(v > self.threshold)]
    }
}

/// A fitted binary decision tree in flat arrays (scikit-learn's `tree_` attribute).
///
/// Node 0 is the root. An internal node sends a sample left when `f32(x[feature]) <= threshold`,
/// as scikit-learn, whose trees work on `float32` features (or `x[feature] < threshold` in
/// `f64` for trees grown by the linfa backend, which uses that rule), and a sample whose
/// `x[feature]` is NaN to the side [`Tree::missing_go_to_left`] names. Each node holds
/// `value_width()` values: class fractions for classifiers, the mean target for regressors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "TreeData")]
pub struct Tree {
    nodes: Vec<Node>,
    values: Vec<f64>,
    width: usize,
    n_features: usize,
    #[serde(default)]
    strict_less: bool,
    /// The routing part of `nodes` with `f32` thresholds (empty for linfa's strict-less trees).
    #[serde(skip)]
    fast: Vec<FastNode>,
    /// 1 where a node sends NaN right, one byte per node of `fast`, read only by walks over
    /// blocks that hold a NaN.
    #[serde(skip)]
    missing_right: Vec<u8>,
}

/// The serialized form of a [`Tree`] (the prediction layout is rebuilt on load).
#[derive(Deserialize)]
struct TreeData {
    nodes: Vec<Node>,
    values: Vec<f64>,
    width: usize,
    n_features: usize,
    #[serde(default)]
    strict_less: bool,
}

impl From<TreeData> for Tree {
    fn from(d: TreeData) -> Self {
        Tree::assemble(d.nodes, d.values, d.width, d.n_features, d.strict_less)
    }
}

/// A block of rows in both precisions: `f64` as given, `f32` row-major for the fast walk.
pub(crate) struct Block<'a> {
    x: ArrayView2<'a, f64>,
    x32: &'a [f32],
    /// Whether any value is NaN (only then does the walk test for it).
    has_nan: bool,
}

impl<'a> Block<'a> {
    /// Copies the rows of `x` into `buf` as `f32`, row-major.
    pub fn new(x: ArrayView2<'a, f64>, buf: &'a mut Vec<f32>) -> Self {
        buf.clear();
        buf.reserve(x.len());
        // NaN is found while converting: a branch-free OR of "exponent all ones, mantissa not
        // zero" over the `f32` bits, which vectorises with the conversion.
        let mut nan = 0u32;
        for row in x.outer_iter() {
            match row.as_slice() {
                Some(src) => {
                    let from = buf.len();
                    buf.resize(from + src.len(), 0.0);
                    for (dst, &v) in buf[from..].iter_mut().zip(src) {
                        let f = as_f32(v);
                        *dst = f;
                        nan |= u32::from((f.to_bits() & 0x7fff_ffff) > 0x7f80_0000);
                    }
                }
                None => {
                    for &v in row {
                        let f = as_f32(v);
                        buf.push(f);
                        nan |= u32::from(f.is_nan());
                    }
                }
            }
        }
        Block { x, x32: buf, has_nan: nan != 0 }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }
}

impl Tree {
    fn assemble(nodes: Vec<Node>, values: Vec<f64>, width: usize, n_features: usize, strict_less: bool) -> Self {
        let fast = if strict_less {
            Vec::new()
        } else {
            nodes
                .iter()
                .map(|n| FastNode {
                    threshold: floor_f32(n.threshold),
                    feature: n.feature,
                    children: [n.left, n.right],
                })
                .collect()
        };
        let missing_right =
            if strict_less { Vec::new() } else { nodes.iter().map(|n| u8::from(!n.missing_go_to_left)).collect() };
        Tree { nodes, values, width, n_features, strict_less, fast, missing_right }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.left == 0).count()
    }

    /// Depth of the deepest leaf (0 for a single leaf).
    pub fn max_depth(&self) -> usize {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut max = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            if node.left != 0 {
                depth[node.left as usize] = depth[i] + 1;
                depth[node.right as usize] = depth[i] + 1;
                max = max.max(depth[i] + 1);
            }
        }
        max
    }

    /// Whether node `i` is a leaf.
    pub fn is_leaf(&self, i: usize) -> bool {
        self.nodes[i].left == 0
    }

    /// Children `(left, right)` of node `i`, or `None` for a leaf.
    pub fn children(&self, i: usize) -> Option<(usize, usize)> {
        let n = &self.nodes[i];
        (n.left != 0).then_some((n.left as usize, n.right as usize))
    }

    /// Split feature and threshold of node `i`, or `None` for a leaf. The threshold is
    /// `f64::INFINITY` for a split that sends exactly the samples missing that feature right
    /// (every value goes left), as scikit-learn's.
    pub fn split(&self, i: usize) -> Option<(usize, f64)> {
        let n = &self.nodes[i];
        (n.left != 0).then_some((n.feature as usize, n.threshold))
    }

    /// Whether a sample whose split feature is NaN goes to the left child of node `i`
    /// (scikit-learn's `tree_.missing_go_to_left`; false for leaves).
    pub fn missing_go_to_left(&self, i: usize) -> bool {
        self.nodes[i].missing_go_to_left
    }

    /// The child of internal node `i` that a NaN goes to.
    #[inline]
    fn missing_child(&self, i: usize) -> u32 {
        let n = &self.nodes[i];
        if n.missing_go_to_left { n.left } else { n.right }
    }

    /// Whether NaN can be routed: trees grown here (not linfa's strict-less trees, whose nodes
    /// never learnt a side for missing values).
    pub(crate) fn allows_nan(&self) -> bool {
        !self.strict_less
    }

    /// Impurity of node `i` on its training samples.
    pub fn impurity(&self, i: usize) -> f64 {
        self.nodes[i].impurity
    }

    /// Number of (distinct) training samples that reached node `i`.
    pub fn n_node_samples(&self, i: usize) -> usize {
        self.nodes[i].n_node_samples as usize
    }

    /// Total weight (bootstrap count) of the training samples that reached node `i`.
    pub fn weighted_n_node_samples(&self, i: usize) -> f64 {
        self.nodes[i].weighted_n_node_samples
    }

    /// Values of node `i`: class fractions (classifiers) or the mean target (regressors).
    pub fn value(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// Number of values per node.
    pub fn value_width(&self) -> usize {
        self.width
    }

    /// The leaf a sample ends in.
    pub fn apply_row(&self, row: ArrayView1<'_, f64>) -> usize {
        if !self.fast.is_empty() {
            let mut i = 0usize;
            loop {
                let node = &self.fast[i];
                if node.children[0] == 0 {
                    return i;
                }
                let v = row[node.feature as usize];
                i = if v.is_nan() { self.missing_child(i) } else { node.next(as_f32(v)) } as usize;
            }
        }
        let mut i = 0usize;
        loop {
            let node = &self.nodes[i];
            if node.left == 0 {
                return i;
            }
            let v = row[node.feature as usize];
            let left = if v.is_nan() {
                node.missing_go_to_left
            } else if self.strict_less {
                v < node.threshold
            } else {
                v <= node.threshold
            };
            i = if left { node.left as usize } else { node.right as usize };
        }
    }

    /// The leaf value of a sample.
    #[cfg(test)]
    pub(crate) fn predict_row(&self, row: ArrayView1<'_, f64>) -> &[f64] {
        self.value(self.apply_row(row))
    }

    /// The leaf of every row of a block, `LANES` rows walking down together so that their node
    /// loads overlap instead of waiting on each other. Only a block holding a NaN takes the walk
    /// that tests for it.
    pub(crate) fn leaves(&self, block: &Block<'_>, out: &mut [u32]) {
        debug_assert_eq!(out.len(), block.len());
        if self.fast.is_empty() {
            for (o, row) in out.iter_mut().zip(block.x.outer_iter()) {
                *o = self.apply_row(row) as u32;
            }
        } else if block.has_nan {
            self.leaves_lanes::<true>(block, out);
        } else {
            self.leaves_lanes::<false>(block, out);
        }
    }

    /// [`Self::leaves`] on the `f32` nodes; `NAN` says whether values may be NaN.
    fn leaves_lanes<const NAN: bool>(&self, block: &Block<'_>, out: &mut [u32]) {
        let n = block.len();
        let (d, x32, nodes) = (block.x.ncols(), block.x32, &self.fast[..]);
        // Each lane walks one row; a lane whose row reached its leaf takes the next row, so
        // `LANES` independent walks are always in flight.
        const IDLE: usize = usize::MAX;
        let mut row = [IDLE; LANES];
        let mut node = [0u32; LANES];
        let mut next = LANES.min(n);
        for (l, r) in row.iter_mut().enumerate().take(next) {
            *r = l;
        }
        let mut active = next;
        while active > 0 {
            for l in 0..LANES {
                let r = row[l];
                if r == IDLE {
                    continue;
                }
                let nd = &nodes[node[l] as usize];
                if nd.children[0] == 0 {
                    out[r] = node[l];
                    node[l] = 0;
                    if next < n {
                        row[l] = next;
                        next += 1;
                    } else {
                        row[l] = IDLE;
                        active -= 1;
                    }
                    continue;
                }
                let v = x32[r * d + nd.feature as usize];
                node[l] = if NAN {
                    // Branch-free: NaN goes right exactly where the node says so.
                    let right =
                        u8::from(v > nd.threshold) | (u8::from(v.is_nan()) & self.missing_right[node[l] as usize]);
                    nd.children[usize::from(right)]
                } else {
                    nd.next(v)
                };
            }
        }
    }

    /// The leaf of every row of `x`, in parallel over fixed blocks on the current pool.
    pub(crate) fn apply_all(&self, x: ArrayView2<'_, f64>) -> Vec<u32> {
        let mut out = vec![0u32; x.nrows()];
        let rows = block_rows(x.nrows(), x.ncols());
        out.par_chunks_mut(rows).enumerate().for_each_init(Vec::new, |buf, (c, dst)| {
            let start = c * rows;
            let block = Block::new(x.slice(ndarray::s![start..start + dst.len(), ..]), buf);
            self.leaves(&block, dst);
        });
        out
    }

    /// Mean decrease of impurity per feature, weighted by the samples reaching each node,
    /// normalised to sum to 1 (all zero for a single leaf), as scikit-learn's
    /// `feature_importances_`.
    pub fn feature_importances(&self) -> Vec<f64> {
        let mut imp = vec![0.0; self.n_features];
        for node in &self.nodes {
            if node.left != 0 {
                let l = &self.nodes[node.left as usize];
                let r = &self.nodes[node.right as usize];
                imp[node.feature as usize] += node.weighted_n_node_samples * node.impurity
                    - l.weighted_n_node_samples * l.impurity
                    - r.weighted_n_node_samples * r.impurity;
            }
        }
        let root = self.nodes[0].weighted_n_node_samples;
        if root > 0.0 {
            imp.iter_mut().for_each(|v| *v /= root);
        }
        let total: f64 = imp.iter().sum();
        if total > 0.0 {
            imp.iter_mut().for_each(|v| *v /= total);
        }
        imp
    }

    /// Builds a tree from explicit parts (the linfa backend converts its trees with this).
    /// `nodes` lists `(children, feature, threshold)`; node values and impurities are filled in
    /// afterwards by [`Tree::refit_leaves`].
    pub(crate) fn from_structure(structure: &[NodeSpec], n_features: usize, width: usize, strict_less: bool) -> Self {
        let nodes = structure
            .iter()
            .map(|&(children, feature, threshold)| {
                let (left, right) = children.map_or((0, 0), |(l, r)| (l as u32, r as u32));
                Node {
                    left,
                    right,
                    feature: feature as u32,
                    threshold,
                    impurity: 0.0,
                    n_node_samples: 0,
                    weighted_n_node_samples: 0.0,
                    missing_go_to_left: false,
                }
            })
            .collect::<Vec<_>>();
        let values = vec![0.0; nodes.len() * width];
        Tree::assemble(nodes, values, width, n_features, strict_less)
    }

    /// Routes the training samples through the tree and sets every node's sample counts,
    /// impurity and class fractions from them.
    pub(crate) fn refit_leaves(&mut self, x: ArrayView2<'_, f64>, y: &[u32], impurity: Impurity) {
        let k = self.width;
        let mut counts = vec![0.0; self.nodes.len() * k];
        for (r, row) in x.outer_iter().enumerate() {
            let mut i = 0usize;
            loop {
                counts[i * k + y[r] as usize] += 1.0;
                let node = &self.nodes[i];
                if node.left == 0 {
                    break;
                }
                let v = row[node.feature as usize];
                let left = if self.strict_less { v < node.threshold } else { v <= node.threshold };
                i = if left { node.left as usize } else { node.right as usize };
            }
        }
        for (i, node) in self.nodes.iter_mut().enumerate() {
            let c = &counts[i * k..(i + 1) * k];
            let w: f64 = c.iter().sum();
            node.n_node_samples = w as u32;
            node.weighted_n_node_samples = w;
            node.impurity = class_impurity(impurity, c, w);
            for (dst, &src) in self.values[i * k..(i + 1) * k].iter_mut().zip(c) {
                *dst = if w > 0.0 { src / w } else { 1.0 / k as f64 };
            }
        }
    }
}

/// Impurity of a node from its class weights.
fn class_impurity(impurity: Impurity, counts: &[f64], w: f64) -> f64 {
    if w <= 0.0 {
        return 0.0;
    }
    match impurity {
        Impurity::Entropy => -counts.iter().filter(|&&c| c > 0.0).map(|&c| (c / w) * (c / w).log2()).sum::<f64>(),
        _ => 1.0 - counts.iter().map(|&c| (c / w) * (c / w)).sum::<f64>(),
    }
}

/// One node of a tree handed to [`Tree::from_structure`]: children, feature, threshold.
pub(crate) type NodeSpec = (Option<(usize, usize)>, usize, f64);

/// Node totals: class weights, or `[weight, sum w*y, sum w*y^2]` for regression.
type Stats = Vec<f64>;

/// A split of one node's segment: the first `pos` entries of `feature`'s order go left, and its
/// last `n_missing` entries (the NaN samples) go left when `missing_left`.
#[derive(Debug, Clone)]
struct Split {
    feature: usize,
    pos: usize,
    threshold: f64,
    proxy: f64,
    n_missing: usize,
    /// The stored side of NaN: the missing samples' side, or, when the node had none on this
    /// feature, the side with more samples (ties right), as scikit-learn.
    missing_left: bool,
}

/// A node's missing samples during a scan over its non-missing ones: their totals when they sit
/// on the left (`None`: on the right, or none), and how many sit on each side.
#[derive(Debug, Clone, Copy)]
struct Missing<'s> {
    left: Option<&'s [f64]>,
    n_left: usize,
    n_right: usize,
}

impl Missing<'_> {
    /// No missing samples.
    const NONE: Missing<'static> = Missing { left: None, n_left: 0, n_right: 0 };
}

/// A node waiting to be split.
#[derive(Debug)]
struct Pending {
    id: usize,
    start: usize,
    end: usize,
    depth: usize,
    stats: Stats,
    impurity: f64,
}

/// A split chosen for a pending node, with the children's totals.
#[derive(Debug)]
struct Chosen {
    split: Split,
    left: Stats,
    right: Stats,
    left_impurity: f64,
    right_impurity: f64,
    improvement: f64,
}

/// Best-first frontier entry (largest improvement first, then the oldest node).
#[derive(Debug)]
struct Frontier {
    improvement: f64,
    pending: Pending,
    chosen: Chosen,
}

impl PartialEq for Frontier {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Frontier {}
impl PartialOrd for Frontier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Frontier {
    fn cmp(&self, other: &Self) -> Ordering {
        self.improvement.total_cmp(&other.improvement).then_with(|| other.pending.id.cmp(&self.pending.id))
    }
}

/// Grows one tree. `weight` is the weight (bootstrap count) of each sample, `sorted` the orders
/// of the samples of positive weight.
pub(crate) fn grow(cfg: &Config, sorted: Presorted, target: Target<'_>, weight: &[f64], seed: u64) -> Tree {
    let width = match target {
        Target::Classes(_, k) => k,
        Target::Values(_) => 1,
    };
    let mut b = Builder::new(cfg, sorted, target, weight, seed);
    b.run();
    Tree::assemble(b.nodes, b.values, width, b.d, false)
}

impl<'a> Builder<'a> {
    fn new(cfg: &'a Config, sorted: Presorted, target: Target<'a>, weight: &'a [f64], seed: u64) -> Self {
        let n_total = weight.len();
        let total_weight: f64 = weight.iter().sum();
        // Entropy of integer class weights (bootstrap counts) via a table of c * ln(c); real-valued
        // weights (`sample_weight`, `class_weight`) compute c * ln(c) as they go.
        let integral = || total_weight <= 1e8 && weight.iter().all(|w| w.fract() == 0.0);
        let xlogx = if cfg.impurity == Impurity::Entropy && integral() {
            let max = total_weight.round() as usize;
            (0..=max).map(|c| if c == 0 { 0.0 } else { c as f64 * (c as f64).ln() }).collect()
        } else {
            Vec::new()
        };
        Builder {
            cfg,
            target,
            weight,
            total_weight,
            xlogx,
            n: sorted.n,
            d: sorted.d,
            idx: sorted.idx,
            val: sorted.val,
            goes_left: vec![false; n_total],
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            features: (0..sorted.d).collect(),
            nodes: Vec::new(),
            values: Vec::new(),
        }
    }
}

struct Builder<'a> {
    cfg: &'a Config,
    target: Target<'a>,
    weight: &'a [f64],
    total_weight: f64,
    xlogx: Vec<f64>,
    n: usize,
    d: usize,
    idx: Vec<u32>,
    val: Vec<f64>,
    goes_left: Vec<bool>,
    rng: Xoshiro256PlusPlus,
    features: Vec<usize>,
    nodes: Vec<Node>,
    values: Vec<f64>,
}

impl Builder<'_> {
    fn run(&mut self) {
        let n = self.n;
        let stats = self.stats(&self.idx[..n]);
        let impurity = self.impurity_of(&stats);
        let root = self.add_node(&stats, impurity, n);
        let root = Pending { id: root, start: 0, end: n, depth: 0, stats, impurity };
        match self.cfg.max_leaf_nodes {
            None => self.depth_first(root),
            Some(max_leaves) => self.best_first(root, max_leaves),
        }
    }

    fn depth_first(&mut self, root: Pending) {
        let mut stack = vec![root];
        while let Some(p) = stack.pop() {
            if let Some(chosen) = self.choose(&p) {
                let (l, r) = self.split_node(&p, chosen);
                stack.push(r);
                stack.push(l);
            }
        }
    }

    fn best_first(&mut self, root: Pending, max_leaves: usize) {
        let mut heap = BinaryHeap::new();
        let push = |b: &mut Self, heap: &mut BinaryHeap<Frontier>, p: Pending| {
            if let Some(chosen) = b.choose(&p) {
                heap.push(Frontier { improvement: chosen.improvement, pending: p, chosen });
            }
        };
        push(self, &mut heap, root);
        let mut splits_left = max_leaves.saturating_sub(1);
        while splits_left > 0 {
            let Some(Frontier { pending, chosen, .. }) = heap.pop() else {
                break;
            };
            let (l, r) = self.split_node(&pending, chosen);
            splits_left -= 1;
            push(self, &mut heap, l);
            push(self, &mut heap, r);
        }
    }

    fn add_node(&mut self, stats: &Stats, impurity: f64, n_samples: usize) -> usize {
        let w = self.stats_weight(stats);
        self.nodes.push(Node {
            left: 0,
            right: 0,
            feature: 0,
            threshold: 0.0,
            impurity,
            n_node_samples: n_samples as u32,
            weighted_n_node_samples: w,
            missing_go_to_left: false,
        });
        match self.target {
            Target::Classes(..) => self.values.extend(stats.iter().map(|&c| if w > 0.0 { c / w } else { 0.0 })),
            Target::Values(_) => self.values.push(if w > 0.0 { stats[1] / w } else { 0.0 }),
        }
        self.nodes.len() - 1
    }

    /// Decides whether a pending node splits, and how.
    fn choose(&mut self, p: &Pending) -> Option<Chosen> {
        let cfg = self.cfg;
        let n_node = p.end - p.start;
        let w_node = self.stats_weight(&p.stats);
        if cfg.max_depth.is_some_and(|m| p.depth >= m)
            || n_node < cfg.min_samples_split
            || n_node < 2 * cfg.min_samples_leaf
            || w_node < 2.0 * cfg.min_weight_leaf
            || p.impurity <= f64::EPSILON
        {
            return None;
        }
        let split = self.find_split(p)?;
        let ids = &self.idx[split.feature * self.n + p.start..split.feature * self.n + p.end];
        let mut left = self.stats(&ids[..split.pos]);
        if split.missing_left && split.n_missing > 0 {
            let missing = self.stats(&ids[ids.len() - split.n_missing..]);
            left.iter_mut().zip(&missing).for_each(|(l, m)| *l += m);
        }
        let right: Stats = p.stats.iter().zip(&left).map(|(t, l)| t - l).collect();
        let (left_impurity, right_impurity) = (self.impurity_of(&left), self.impurity_of(&right));
        let (wl, wr) = (self.stats_weight(&left), self.stats_weight(&right));
        let improvement =
            (w_node / self.total_weight) * (p.impurity - wr / w_node * right_impurity - wl / w_node * left_impurity);
        if improvement + f64::EPSILON < cfg.min_impurity_decrease {
            return None;
        }
        Some(Chosen { split, left, right, left_impurity, right_impurity, improvement })
    }

    /// Applies a chosen split: partitions every feature's segment and adds the two children.
    fn split_node(&mut self, p: &Pending, c: Chosen) -> (Pending, Pending) {
        let Split { feature, pos, threshold, n_missing, missing_left, .. } = c.split;
        let (n, start, end) = (self.n, p.start, p.end);
        let end_present = end - n_missing;
        // NaN sent left leave the split feature's own order to be partitioned too (its missing
        // samples join the left segment, still at its end).
        let missing_moves = missing_left && n_missing > 0;
        let mid = start + pos + if missing_moves { n_missing } else { 0 };
        {
            let ids = &self.idx[feature * n..(feature + 1) * n];
            for &i in &ids[start..start + pos] {
                self.goes_left[i as usize] = true;
            }
            for &i in &ids[start + pos..end_present] {
                self.goes_left[i as usize] = false;
            }
            for &i in &ids[end_present..end] {
                self.goes_left[i as usize] = missing_left;
            }
        }
        let goes_left = &self.goes_left;
        let partition = |ids: &mut [u32], vals: &mut [f64], scratch: &mut (Vec<u32>, Vec<f64>)| {
            let (ids, vals) = (&mut ids[start..end], &mut vals[start..end]);
            let (sid, sval) = scratch;
            sid.resize(end - start, 0);
            sval.resize(end - start, 0.0);
            let (mut l, mut r) = (0usize, 0usize);
            for q in 0..ids.len() {
                let (i, v) = (ids[q], vals[q]);
                ids[l] = i;
                vals[l] = v;
                sid[r] = i;
                sval[r] = v;
                let g = usize::from(goes_left[i as usize]);
                l += g;
                r += 1 - g;
            }
            ids[l..].copy_from_slice(&sid[..r]);
            vals[l..].copy_from_slice(&sval[..r]);
        };
        let chunks = self
            .idx
            .chunks_mut(n)
            .zip(self.val.chunks_mut(n))
            .enumerate()
            .filter(|(f, _)| *f != feature || missing_moves);
        if (end - start) * self.d >= PARALLEL_WORK {
            let tasks: Vec<_> = chunks.map(|(_, c)| c).collect();
            tasks
                .into_par_iter()
                .for_each_init(|| (Vec::new(), Vec::new()), |scratch, (ids, vals)| partition(ids, vals, scratch));
        } else {
            let mut scratch = (Vec::new(), Vec::new());
            for (_, (ids, vals)) in chunks {
                partition(ids, vals, &mut scratch);
            }
        }
        let left = self.add_node(&c.left, c.left_impurity, mid - start);
        let right = self.add_node(&c.right, c.right_impurity, end - mid);
        let node = &mut self.nodes[p.id];
        node.left = left as u32;
        node.right = right as u32;
        node.feature = feature as u32;
        node.threshold = threshold;
        node.missing_go_to_left = missing_left;
        let depth = p.depth + 1;
        (
            Pending { id: left, start, end: mid, depth, stats: c.left, impurity: c.left_impurity },
            Pending { id: right, start: mid, end, depth, stats: c.right, impurity: c.right_impurity },
        )
    }

    /// Visits features in random order until `max_features` were drawn (and at least one was
    /// not constant in the node), and keeps the first best split (scikit-learn's rule).
    fn find_split(&mut self, p: &Pending) -> Option<Split> {
        let (d, max_features) = (self.d, self.cfg.max_features);
        let parallel =
            max_features >= d && self.cfg.splitter == Splitter::Best && (p.end - p.start) * d >= PARALLEL_WORK;
        if parallel {
            // Every feature is visited: draw the order, evaluate in parallel, reduce in order.
            for j in 0..d {
                let r = self.rng.gen_range(j..d);
                self.features.swap(j, r);
            }
            let this = &*self;
            let found: Vec<Option<Split>> =
                this.features.par_iter().map(|&f| this.best_of_feature(f, p).flatten()).collect();
            let mut best: Option<Split> = None;
            for s in found.into_iter().flatten() {
                if best.as_ref().is_none_or(|b| s.proxy > b.proxy) {
                    best = Some(s);
                }
            }
            return best;
        }
        let mut best: Option<Split> = None;
        let mut constant = 0;
        for j in 0..d {
            // As scikit-learn: constant features count as visited, but the search goes on until
            // at least one non-constant feature was evaluated.
            if j >= max_features && j > constant {
                break;
            }
            let r = self.rng.gen_range(j..d);
            self.features.swap(j, r);
            let f = self.features[j];
            let found = match self.cfg.splitter {
                Splitter::Best => self.best_of_feature(f, p),
                Splitter::Random => self.random_of_feature(f, p),
            };
            match found {
                None => constant += 1,
                Some(Some(s)) if best.as_ref().is_none_or(|b| s.proxy > b.proxy) => best = Some(s),
                Some(_) => {}
            }
        }
        best
    }

    /// `None` when the feature is constant in the node; `Some(None)` when no threshold satisfies
    /// the leaf constraints; otherwise the best threshold.
    fn best_of_feature(&self, f: usize, p: &Pending) -> Option<Option<Split>> {
        let range = f * self.n + p.start..f * self.n + p.end;
        let (ids, vals) = (&self.idx[range.clone()], &self.val[range]);
        let len = vals.len();
        if vals[len - 1].is_nan() {
            return self.best_with_missing(f, p, ids, vals);
        }
        if vals[len - 1] <= vals[0] + FEATURE_THRESHOLD {
            return None;
        }
        let found = self.scan(ids, vals, &p.stats, Missing::NONE);
        Some(found.map(|(pos, proxy)| Split {
            feature: f,
            pos,
            threshold: midpoint(vals[pos - 1], vals[pos]),
            proxy,
            n_missing: 0,
            missing_left: pos > len - pos,
        }))
    }

    /// The best split of the candidates of a criterion's scan over the non-missing samples.
    fn scan(&self, ids: &[u32], vals: &[f64], total: &Stats, miss: Missing<'_>) -> Option<(usize, f64)> {
        match self.target {
            Target::Classes(y, k) => match self.cfg.impurity {
                Impurity::Entropy => self.scan_entropy(ids, vals, y, k, total, miss),
                _ => self.scan_gini(ids, vals, y, k, total, miss),
            },
            Target::Values(y) => self.scan_mse(ids, vals, y, total, miss),
        }
    }

    /// [`Self::best_of_feature`] for a feature with NaN in the node (scikit-learn 1.9's
    /// `node_split_best`): the thresholds with the missing samples sent right, then the split that
    /// sends exactly the missing samples right (threshold `+inf`), then the thresholds with the
    /// missing samples sent left; the first best wins. The missing samples count towards
    /// `min_samples_leaf` and `min_weight_leaf` on their side. All-missing counts as constant.
    fn best_with_missing(&self, f: usize, p: &Pending, ids: &[u32], vals: &[f64]) -> Option<Option<Split>> {
        let len = vals.len();
        let m = vals.partition_point(|v| !v.is_nan());
        let n_missing = len - m;
        if m == 0 {
            return None;
        }
        let total = &p.stats;
        let missing = self.stats(&ids[m..]);
        let (ids, vals) = (&ids[..m], &vals[..m]);
        let split = |pos: usize, proxy: f64, missing_left: bool| Split {
            feature: f,
            pos,
            threshold: midpoint(vals[pos - 1], vals[pos]),
            proxy,
            n_missing,
            missing_left,
        };
        let mut best = self
            .scan(ids, vals, total, Missing { left: None, n_left: 0, n_right: n_missing })
            .map(|(pos, proxy)| split(pos, proxy, false));
        // The missing samples alone on the right: every value goes left (`x <= inf`).
        let present: Stats = total.iter().zip(&missing).map(|(t, l)| t - l).collect();
        if self.leaf_ok(m, n_missing, self.stats_weight(&present), self.stats_weight(&missing)) {
            let proxy = self.proxy(&present, &missing);
            if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                best =
                    Some(Split { feature: f, pos: m, threshold: f64::INFINITY, proxy, n_missing, missing_left: false });
            }
        }
        let left = self.scan(ids, vals, total, Missing { left: Some(&missing), n_left: n_missing, n_right: 0 });
        if let Some((pos, proxy)) = left
            && best.as_ref().is_none_or(|b| proxy > b.proxy)
        {
            best = Some(split(pos, proxy, true));
        }
        Some(best)
    }

    /// [`Self::best_with_missing`] computed directly from each candidate's totals (the reference
    /// the incremental scans are tested against).
    #[cfg(test)]
    fn best_with_missing_reference(&self, f: usize, p: &Pending, ids: &[u32], vals: &[f64]) -> Option<Option<Split>> {
        let len = vals.len();
        let m = vals.partition_point(|v| !v.is_nan());
        let n_missing = len - m;
        if m == 0 {
            return None;
        }
        let total = &p.stats;
        let missing = self.stats(&ids[m..]);
        let mut right = vec![0.0; total.len()];
        let mut best: Option<Split> = None;
        for missing_left in [false, true] {
            let mut left = if missing_left { missing.clone() } else { vec![0.0; total.len()] };
            // Missing sent left: the last position (everything left) is no split.
            let last = if missing_left { m - 1 } else { m };
            for q in 0..last {
                self.add_sample(&mut left, ids[q]);
                let pos = q + 1;
                if pos < m && vals[pos] <= vals[q] + FEATURE_THRESHOLD {
                    continue;
                }
                let nl = pos + if missing_left { n_missing } else { 0 };
                for ((r, t), l) in right.iter_mut().zip(total).zip(&left) {
                    *r = t - l;
                }
                if !self.leaf_ok(nl, len - nl, self.stats_weight(&left), self.stats_weight(&right)) {
                    continue;
                }
                let proxy = self.proxy(&left, &right);
                if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                    // The split of the missing samples alone routes every value left: `x <= inf`.
                    let threshold = if pos == m { f64::INFINITY } else { midpoint(vals[q], vals[pos]) };
                    best = Some(Split { feature: f, pos, threshold, proxy, n_missing, missing_left });
                }
            }
        }
        Some(best)
    }

    /// Adds sample `i` to a side's totals.
    #[inline]
    fn add_sample(&self, s: &mut [f64], i: u32) {
        let wi = self.weight[i as usize];
        match self.target {
            Target::Classes(y, _) => s[y[i as usize] as usize] += wi,
            Target::Values(y) => {
                let yi = y[i as usize];
                s[0] += wi;
                s[1] += wi * yi;
                s[2] += wi * yi * yi;
            }
        }
    }

    /// One uniformly random threshold between the feature's least and greatest non-missing value
    /// in the node; NaN samples, if any, go to a random side (scikit-learn 1.9's
    /// `node_split_random`). A feature whose values are all missing, or constant without NaN, is
    /// constant.
    fn random_of_feature(&mut self, f: usize, p: &Pending) -> Option<Option<Split>> {
        let range = f * self.n + p.start..f * self.n + p.end;
        let len = range.len();
        let m = if self.val[range.end - 1].is_nan() {
            self.val[range.clone()].partition_point(|v| !v.is_nan())
        } else {
            len
        };
        let n_missing = len - m;
        if m == 0 {
            return None;
        }
        let (lo, hi) = (self.val[range.start], self.val[range.start + m - 1]);
        if hi <= lo + FEATURE_THRESHOLD && n_missing == 0 {
            return None;
        }
        let u: f64 = self.rng.r#gen();
        let mut threshold = lo + (hi - lo) * u;
        if threshold >= hi {
            threshold = lo;
        }
        let missing_side = (n_missing > 0).then(|| self.rng.gen_bool(0.5));
        let (ids, vals) = (&self.idx[range.clone()], &self.val[range]);
        let pos = vals[..m].partition_point(|&v| v <= threshold);
        let nl = pos + if missing_side == Some(true) { n_missing } else { 0 };
        let nr = len - nl;
        if nl < self.cfg.min_samples_leaf || nr < self.cfg.min_samples_leaf {
            return Some(None);
        }
        let mut left = self.stats(&ids[..pos]);
        if missing_side == Some(true) {
            for &i in &ids[m..] {
                self.add_sample(&mut left, i);
            }
        }
        let right: Stats = p.stats.iter().zip(&left).map(|(t, l)| t - l).collect();
        let (wl, wr) = (self.stats_weight(&left), self.stats_weight(&right));
        if wl < self.cfg.min_weight_leaf || wr < self.cfg.min_weight_leaf {
            return Some(None);
        }
        let proxy = self.proxy(&left, &right);
        let missing_left = missing_side.unwrap_or(nl > nr);
        Some(Some(Split { feature: f, pos, threshold, proxy, n_missing, missing_left }))
    }

    fn leaf_ok(&self, nl: usize, nr: usize, wl: f64, wr: f64) -> bool {
        nl >= self.cfg.min_samples_leaf
            && nr >= self.cfg.min_samples_leaf
            && wl >= self.cfg.min_weight_leaf
            && wr >= self.cfg.min_weight_leaf
    }

    /// Gini: maximise `sum_k l_k^2 / w_l + sum_k r_k^2 / w_r`; the sums of squares are kept
    /// incrementally (exact for integer counts; for real weights, rounding stays relative to
    /// the node's squared weight).
    fn scan_gini(
        &self,
        ids: &[u32],
        vals: &[f64],
        y: &[u32],
        k: usize,
        total: &Stats,
        miss: Missing<'_>,
    ) -> Option<(usize, f64)> {
        let w = self.weight;
        let mut left = miss.left.map_or_else(|| vec![0.0; k], <[f64]>::to_vec);
        let sq_r = total.iter().zip(&left).map(|(t, l)| (t - l) * (t - l)).sum::<f64>();
        let (mut sq_l, mut sq_r) = (left.iter().map(|c| c * c).sum::<f64>(), sq_r);
        let wl0: f64 = left.iter().sum();
        let (mut wl, mut wr) = (wl0, self.stats_weight(total) - wl0);
        let mut best: Option<(usize, f64)> = None;
        let len = ids.len();
        for q in 0..len - 1 {
            let i = ids[q] as usize;
            let (c, wi) = (y[i] as usize, w[i]);
            let a = left[c];
            let b = total[c] - a;
            sq_l += wi * (2.0 * a + wi);
            sq_r += wi * (wi - 2.0 * b);
            left[c] = a + wi;
            wl += wi;
            wr -= wi;
            if vals[q + 1] <= vals[q] + FEATURE_THRESHOLD
                || !self.leaf_ok(miss.n_left + q + 1, miss.n_right + len - q - 1, wl, wr)
            {
                continue;
            }
            let proxy = sq_l / wl + sq_r / wr;
            if best.is_none_or(|(_, b)| proxy > b) {
                best = Some((q + 1, proxy));
            }
        }
        best
    }

    /// Entropy: maximise `-(w_l H_l + w_r H_r)` from a table of `c ln c`.
    fn scan_entropy(
        &self,
        ids: &[u32],
        vals: &[f64],
        y: &[u32],
        k: usize,
        total: &Stats,
        miss: Missing<'_>,
    ) -> Option<(usize, f64)> {
        if self.xlogx.is_empty() {
            return self.scan_entropy_real(ids, vals, y, k, total, miss);
        }
        let w = self.weight;
        let t = &self.xlogx;
        let xl = |c: f64| t[c as usize];
        let mut left: Vec<usize> =
            miss.left.map_or_else(|| vec![0; k], |l| l.iter().map(|&c| c.round() as usize).collect());
        let total: Vec<usize> = total.iter().map(|&c| c.round() as usize).collect();
        let wl0: usize = left.iter().sum();
        let (mut wl, mut wr) = (wl0, total.iter().sum::<usize>() - wl0);
        let mut best: Option<(usize, f64)> = None;
        let len = ids.len();
        for q in 0..len - 1 {
            let i = ids[q] as usize;
            let wi = w[i] as usize;
            left[y[i] as usize] += wi;
            wl += wi;
            wr -= wi;
            if vals[q + 1] <= vals[q] + FEATURE_THRESHOLD
                || !self.leaf_ok(miss.n_left + q + 1, miss.n_right + len - q - 1, wl as f64, wr as f64)
            {
                continue;
            }
            let mut s = -xl(wl as f64) - xl(wr as f64);
            for (l, tot) in left.iter().zip(&total) {
                s += t[*l] + t[tot - l];
            }
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((q + 1, s));
            }
        }
        best
    }

    /// [`Self::scan_entropy`] for real-valued weights: `c ln c` computed for each candidate.
    fn scan_entropy_real(
        &self,
        ids: &[u32],
        vals: &[f64],
        y: &[u32],
        k: usize,
        total: &Stats,
        miss: Missing<'_>,
    ) -> Option<(usize, f64)> {
        let w = self.weight;
        let xl = |c: f64| if c > 0.0 { c * c.ln() } else { 0.0 };
        let mut left = miss.left.map_or_else(|| vec![0.0; k], <[f64]>::to_vec);
        let wl0: f64 = left.iter().sum();
        let (mut wl, mut wr) = (wl0, self.stats_weight(total) - wl0);
        let mut best: Option<(usize, f64)> = None;
        let len = ids.len();
        for q in 0..len - 1 {
            let i = ids[q] as usize;
            let wi = w[i];
            left[y[i] as usize] += wi;
            wl += wi;
            wr -= wi;
            if vals[q + 1] <= vals[q] + FEATURE_THRESHOLD
                || !self.leaf_ok(miss.n_left + q + 1, miss.n_right + len - q - 1, wl, wr)
            {
                continue;
            }
            let mut s = -xl(wl) - xl(wr.max(0.0));
            for (l, tot) in left.iter().zip(total) {
                s += xl(*l) + xl((tot - l).max(0.0));
            }
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((q + 1, s));
            }
        }
        best
    }

    /// Squared error: maximise `s_l^2 / w_l + s_r^2 / w_r` (Friedman: `(w_r s_l - w_l s_r)^2 / (w_l w_r)`).
    fn scan_mse(&self, ids: &[u32], vals: &[f64], y: &[f64], total: &Stats, miss: Missing<'_>) -> Option<(usize, f64)> {
        let w = self.weight;
        let friedman = self.cfg.impurity == Impurity::FriedmanMse;
        let (wt, st) = (total[0], total[1]);
        let (mut wl, mut sl) = miss.left.map_or((0.0, 0.0), |l| (l[0], l[1]));
        let mut best: Option<(usize, f64)> = None;
        let len = ids.len();
        for q in 0..len - 1 {
            let i = ids[q] as usize;
            wl += w[i];
            sl += w[i] * y[i];
            let wr = wt - wl;
            if vals[q + 1] <= vals[q] + FEATURE_THRESHOLD
                || !self.leaf_ok(miss.n_left + q + 1, miss.n_right + len - q - 1, wl, wr)
            {
                continue;
            }
            let sr = st - sl;
            let proxy = if friedman {
                let diff = wr * sl - wl * sr;
                diff * diff / (wl * wr)
            } else {
                sl * sl / wl + sr * sr / wr
            };
            if best.is_none_or(|(_, b)| proxy > b) {
                best = Some((q + 1, proxy));
            }
        }
        best
    }

    /// The proxy of a split from its two sides' totals (the random splitter).
    fn proxy(&self, l: &Stats, r: &Stats) -> f64 {
        match (self.target, self.cfg.impurity) {
            (Target::Classes(..), Impurity::Entropy) => {
                let f = |c: f64| if c > 0.0 { c * c.ln() } else { 0.0 };
                let (wl, wr) = (self.stats_weight(l), self.stats_weight(r));
                l.iter().chain(r).map(|&c| f(c)).sum::<f64>() - f(wl) - f(wr)
            }
            (Target::Classes(..), _) => {
                let (wl, wr) = (self.stats_weight(l), self.stats_weight(r));
                l.iter().map(|c| c * c).sum::<f64>() / wl + r.iter().map(|c| c * c).sum::<f64>() / wr
            }
            (Target::Values(_), Impurity::FriedmanMse) => {
                let diff = r[0] * l[1] - l[0] * r[1];
                diff * diff / (l[0] * r[0])
            }
            (Target::Values(_), _) => l[1] * l[1] / l[0] + r[1] * r[1] / r[0],
        }
    }

    fn stats(&self, ids: &[u32]) -> Stats {
        let w = self.weight;
        match self.target {
            Target::Classes(y, k) => {
                let mut c = vec![0.0; k];
                for &i in ids {
                    c[y[i as usize] as usize] += w[i as usize];
                }
                c
            }
            Target::Values(y) => {
                let mut s = vec![0.0; 3];
                for &i in ids {
                    let (wi, yi) = (w[i as usize], y[i as usize]);
                    s[0] += wi;
                    s[1] += wi * yi;
                    s[2] += wi * yi * yi;
                }
                s
            }
        }
    }

    fn stats_weight(&self, s: &Stats) -> f64 {
        match self.target {
            Target::Classes(..) => s.iter().sum(),
            Target::Values(_) => s[0],
        }
    }

    fn impurity_of(&self, s: &Stats) -> f64 {
        match self.target {
            Target::Classes(..) => class_impurity(self.cfg.impurity, s, self.stats_weight(s)),
            Target::Values(_) => {
                if s[0] <= 0.0 {
                    return 0.0;
                }
                let mean = s[1] / s[0];
                (s[2] / s[0] - mean * mean).max(0.0)
            }
        }
    }
}

/// scikit-learn's threshold between two consecutive distinct values.
fn midpoint(a: f64, b: f64) -> f64 {
    let t = a / 2.0 + b / 2.0;
    if t == b || t.is_infinite() { a } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn cfg(impurity: Impurity) -> Config {
        Config {
            impurity,
            splitter: Splitter::Best,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_weight_leaf: 0.0,
            max_features: usize::MAX,
            max_leaf_nodes: None,
            min_impurity_decrease: 0.0,
        }
    }

    #[test]
    fn splits_at_midpoints() {
        let x = array![[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]];
        let y = [0u32, 0, 1, 1];
        let w = [1.0; 4];
        let tree = grow(&cfg(Impurity::Gini), Presorted::new(x.view()), Target::Classes(&y, 2), &w, 0);
        assert_eq!(tree.node_count(), 3);
        assert_eq!(tree.split(0), Some((0, 2.5)));
        assert_eq!(tree.value(1), &[1.0, 0.0]);
        assert_eq!(tree.feature_importances(), vec![1.0, 0.0]);
        assert_eq!(tree.impurity(0), 0.5);
    }

    #[test]
    fn regression_mean_leaves() {
        let x = array![[0.0], [1.0], [2.0], [3.0]];
        let y = [1.0, 1.0, 5.0, 7.0];
        let w = [1.0; 4];
        let tree = grow(&cfg(Impurity::SquaredError), Presorted::new(x.view()), Target::Values(&y), &w, 0);
        assert_eq!(tree.split(0), Some((0, 1.5)));
        assert_eq!(tree.n_leaves(), 3);
        assert_eq!(tree.max_depth(), 2);
        assert_eq!(tree.predict_row(array![3.0].view()), &[7.0]);
    }

    #[test]
    fn blocks_find_nan_in_any_layout() {
        let mut buf = Vec::new();
        let x = array![[1.0, f64::INFINITY], [f64::NEG_INFINITY, 3.0]];
        assert!(!Block::new(x.view(), &mut buf).has_nan);
        assert!(!Block::new(x.t(), &mut buf).has_nan);
        for nan in [f64::NAN, -f64::NAN] {
            let y = array![[1.0, 2.0], [nan, 3.0]];
            let block = Block::new(y.view(), &mut buf);
            assert!(block.has_nan);
            assert!(block.x32[2].is_nan());
            assert!(Block::new(y.t(), &mut buf).has_nan);
        }
    }

    #[test]
    fn nan_sorts_last_and_splits_as_scikit_learn() {
        // Column 0 separates the classes only by being missing: the split of the missing samples
        // alone (threshold +inf, NaN right) is the best.
        let x = array![[1.0, 0.0], [1.0, 1.0], [f64::NAN, 0.0], [-f64::NAN, 1.0], [1.0, 2.0]];
        let y = [0u32, 0, 1, 1, 0];
        let w = [1.0; 5];
        let sorted = Presorted::new(x.view());
        assert_eq!(&sorted.idx[..5], &[0, 1, 4, 2, 3]);
        let tree = grow(&cfg(Impurity::Gini), sorted, Target::Classes(&y, 2), &w, 0);
        assert_eq!(tree.split(0), Some((0, f64::INFINITY)));
        assert!(!tree.missing_go_to_left(0));
        assert_eq!(tree.predict_row(array![f64::NAN, 5.0].view()), &[0.0, 1.0]);
        assert_eq!(tree.predict_row(array![7.0, 5.0].view()), &[1.0, 0.0]);
        // Without NaN in training, NaN goes to the child with more samples (ties right).
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0]];
        let y = [0u32, 0, 0, 1, 1];
        let tree = grow(&cfg(Impurity::Gini), Presorted::new(x.view()), Target::Classes(&y, 2), &w, 0);
        assert_eq!(tree.split(0), Some((0, 2.5)));
        assert!(tree.missing_go_to_left(0));
        assert_eq!(tree.predict_row(array![f64::NAN].view()), &[1.0, 0.0]);
    }

    #[test]
    fn scans_with_missing_values_match_the_direct_totals() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let n = 120;
        // Integer-like values (many ties), 25% missing in columns 0-2, none in column 3.
        let x = ndarray::Array2::from_shape_fn((n, 4), |(_, j)| {
            if j < 3 && rng.gen_bool(0.25) { f64::NAN } else { f64::from(rng.gen_range(0..12u8)) }
        });
        let classes: Vec<u32> = (0..n).map(|_| rng.gen_range(0..3)).collect();
        let values: Vec<f64> = (0..n).map(|_| rng.r#gen::<f64>() * 10.0).collect();
        let ones = vec![1.0; n];
        let counts: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4u8))).collect();
        let real: Vec<f64> = (0..n).map(|_| rng.r#gen::<f64>() + 0.1).collect();
        let mut checked = 0;
        for impurity in [Impurity::Gini, Impurity::Entropy, Impurity::SquaredError, Impurity::FriedmanMse] {
            let target = match impurity {
                Impurity::Gini | Impurity::Entropy => Target::Classes(&classes, 3),
                _ => Target::Values(&values),
            };
            for weight in [&ones, &counts, &real] {
                for min_leaf in [1, 7] {
                    let cfg = Config { min_samples_leaf: min_leaf, min_weight_leaf: 2.0, ..cfg(impurity) };
                    let sorted = Presorted::new(x.view()).filtered(weight);
                    let b = Builder::new(&cfg, sorted, target, weight, 0);
                    let stats = b.stats(&b.idx[..b.n]);
                    let p = Pending { id: 0, start: 0, end: b.n, depth: 0, impurity: b.impurity_of(&stats), stats };
                    for f in 0..4 {
                        let range = f * b.n..(f + 1) * b.n;
                        let (ids, vals) = (&b.idx[range.clone()], &b.val[range]);
                        let (fast, reference) = if f < 3 {
                            (b.best_with_missing(f, &p, ids, vals), b.best_with_missing_reference(f, &p, ids, vals))
                        } else {
                            (b.best_of_feature(f, &p), b.best_of_feature(f, &p))
                        };
                        let (fast, reference) = (fast.flatten().unwrap(), reference.flatten().unwrap());
                        let what = format!("{impurity:?} feature {f} min_leaf {min_leaf}");
                        assert_eq!(
                            (fast.pos, fast.missing_left, fast.n_missing),
                            (reference.pos, reference.missing_left, reference.n_missing),
                            "{what}"
                        );
                        assert_eq!(fast.threshold, reference.threshold, "{what}");
                        assert!(
                            (fast.proxy - reference.proxy).abs() <= 1e-9 * reference.proxy.abs().max(1.0),
                            "{what}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 4 * 3 * 2 * 4);
    }

    #[test]
    fn weights_and_filtering() {
        let x = array![[1.0], [2.0], [3.0], [4.0]];
        let w = [2.0, 0.0, 1.0, 3.0];
        let sorted = Presorted::new(x.view()).filtered(&w);
        assert_eq!(sorted.n, 3);
        assert_eq!(sorted.idx, vec![0, 2, 3]);
        let y = [0u32, 1, 1, 1];
        let tree = grow(&cfg(Impurity::Entropy), sorted, Target::Classes(&y, 2), &w, 0);
        assert_eq!(tree.split(0), Some((0, 2.0)));
        assert_eq!(tree.weighted_n_node_samples(0), 6.0);
        assert_eq!(tree.n_node_samples(0), 3);
    }
}
