//! Pairwise distances and neighbor search shared by the neighbors and clustering estimators:
//! blocked GEMM Euclidean distances, brute-force top-k and radius search, and a KD-tree.

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Query rows handled by one parallel task (fixed, so results never depend on the thread count).
/// 128 queries share each packing of a training block in the GEMM (64 measured ~5% slower).
pub(crate) const QUERY_BLOCK: usize = 128;
/// Training rows per GEMM tile in brute-force search (a 128 x 1024 tile is 1 MB, cache-sized).
const TRAIN_BLOCK: usize = 1024;

/// A Minkowski-family distance, evaluated in a "reduced" form that preserves order
/// (squared Euclidean, sum of |d|^p, max |d|) and converted back at the end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum Dist {
    /// p = 2.
    Euclidean,
    /// p = 1.
    Manhattan,
    /// p = infinity.
    Chebyshev,
    /// Any other p >= 1.
    Minkowski(f64),
}

impl Dist {
    /// The distance for Minkowski exponent `p` (1, 2 and infinity get their fast forms).
    pub(crate) fn from_p(p: f64) -> Dist {
        if p == 2.0 {
            Dist::Euclidean
        } else if p == 1.0 {
            Dist::Manhattan
        } else if p.is_infinite() {
            Dist::Chebyshev
        } else {
            Dist::Minkowski(p)
        }
    }

    /// Reduced distance between two rows.
    #[inline]
    pub(crate) fn reduced(self, a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
        match self {
            Dist::Euclidean => a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(),
            Dist::Manhattan => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum(),
            Dist::Chebyshev => a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max),
            Dist::Minkowski(p) => a.iter().zip(b).map(|(x, y)| (x - y).abs().powf(p)).sum(),
        }
    }

    /// Reduced form of one coordinate gap (for box bounds).
    #[inline]
    fn reduce_gap(self, g: f64) -> f64 {
        match self {
            Dist::Euclidean => g * g,
            Dist::Manhattan | Dist::Chebyshev => g,
            Dist::Minkowski(p) => g.powf(p),
        }
    }

    #[inline]
    fn combine(self, acc: f64, term: f64) -> f64 {
        match self {
            Dist::Chebyshev => acc.max(term),
            _ => acc + term,
        }
    }

    /// Reduced distance to true distance.
    #[inline]
    pub(crate) fn to_dist(self, r: f64) -> f64 {
        match self {
            Dist::Euclidean => r.sqrt(),
            Dist::Manhattan | Dist::Chebyshev => r,
            Dist::Minkowski(p) => r.powf(1.0 / p),
        }
    }

    /// True distance to reduced distance.
    #[inline]
    pub(crate) fn to_reduced(self, d: f64) -> f64 {
        match self {
            Dist::Euclidean => d * d,
            Dist::Manhattan | Dist::Chebyshev => d,
            Dist::Minkowski(p) => d.powf(p),
        }
    }
}

/// Squared L2 norm of each row (each as [`sq_norm`]).
pub(crate) fn row_norms_sq(x: ArrayView2<'_, f64>) -> Vec<f64> {
    x.outer_iter().map(sq_norm).collect()
}

/// Squared L2 norm of one row: [`sq_norm_slice`] of its values.
pub(crate) fn sq_norm(row: ArrayView1<'_, f64>) -> f64 {
    match row.as_slice() {
        Some(s) => sq_norm_slice(s),
        None => sq_norm_slice(&row.to_vec()),
    }
}

/// Squared L2 norm with eight partial sums (value `i` goes to sum `i % 8`) added in a fixed
/// tree: vectorised, and the same bits for a row wherever it is stored.
#[inline]
pub(crate) fn sq_norm_slice(s: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let chunks = s.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v * v;
        }
    }
    for (a, &v) in acc.iter_mut().zip(rem) {
        *a += v * v;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Squared Euclidean distance between two equally long slices, with eight partial sums as
/// [`sq_norm_slice`] (vectorised; the same bits wherever the rows are stored). Used where only
/// a few, data-dependent pairs are needed (Elkan's k-means), and more accurate there than the
/// `|a|² + |b|² - 2 a·b` of the GEMM paths.
#[inline(always)]
pub(crate) fn sq_dist_slice(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += (p - q) * (p - q);
        }
    }
    for ((s, &p), &q) in acc.iter_mut().zip(ra).zip(rb) {
        *s += (p - q) * (p - q);
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// `out = -2 a bᵀ` (one sequential matrixmultiply GEMM: callers run blocks in parallel). Each
/// value is the same whatever the number of rows in `a` (faer's kernels differ for one row and
/// for many, which would break batch invariance of the neighbour searches).
fn neg2_dots_into(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>, out: &mut ArrayViewMut2<'_, f64>) {
    ndarray::linalg::general_mat_mul(-2.0, &a, &b.t(), 0.0, out);
}

/// Offers the squared distances `max(g + |q|² + |t|², 0)` of one block of training rows
/// (`g = -2 q·t`, one row per query, columns = training rows from `offset`) to each query's
/// top-k, in one pass: eight candidates at a time are compared with the current k-th best and
/// only a group holding a better one is inserted. The values and the order of the offers are
/// those of a plain scan, so are the results. Compiled for AVX2 when the CPU has it.
fn scan_euclidean(tops: &mut [TopK], g: ArrayView2<'_, f64>, qn: &[f64], tn: &[f64], offset: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { scan_euclidean_avx2(tops, g, qn, tn, offset) };
        }
    }
    scan_euclidean_impl(tops, g, qn, tn, offset);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_euclidean_avx2(tops: &mut [TopK], g: ArrayView2<'_, f64>, qn: &[f64], tn: &[f64], offset: usize) {
    scan_euclidean_impl(tops, g, qn, tn, offset);
}

#[inline(always)]
fn scan_euclidean_impl(tops: &mut [TopK], g: ArrayView2<'_, f64>, qn: &[f64], tn: &[f64], offset: usize) {
    const W: usize = 8;
    for ((top, row), &an) in tops.iter_mut().zip(g.outer_iter()).zip(qn) {
        let row = row.to_slice().expect("rows of a row-major buffer are contiguous");
        let row = &row[..tn.len()];
        let mut worst = top.worst();
        let mut offer = |j: usize, worst: &mut f64| {
            let v = (row[j] + an + tn[j]).max(0.0);
            if v <= *worst {
                top.push(v, offset + j);
                *worst = top.worst();
            }
        };
        let full = tn.len() / W * W;
        for (c, (gc, tc)) in row[..full].chunks_exact(W).zip(tn[..full].chunks_exact(W)).enumerate() {
            let mut any = false;
            for (&gv, &t) in gc.iter().zip(tc) {
                any |= (gv + an + t).max(0.0) <= worst;
            }
            if any {
                for j in c * W..(c + 1) * W {
                    offer(j, &mut worst);
                }
            }
        }
        for j in full..tn.len() {
            offer(j, &mut worst);
        }
    }
}

/// Squared Euclidean distances between the rows of `a` and `b` into `out` (`a.nrows() x
/// b.nrows()`), as `|a|^2 + |b|^2 - 2 a.b` (one sequential GEMM: callers run blocks in
/// parallel), clamped at 0.
pub(crate) fn sq_euclidean_into(
    a: ArrayView2<'_, f64>,
    a_norms: &[f64],
    b: ArrayView2<'_, f64>,
    b_norms: &[f64],
    out: &mut ArrayViewMut2<'_, f64>,
) {
    neg2_dots_into(a, b, out);
    for (mut row, &an) in out.outer_iter_mut().zip(a_norms) {
        for (v, &bn) in row.iter_mut().zip(b_norms) {
            *v = (*v + an + bn).max(0.0);
        }
    }
}

/// The `k` best (smallest reduced distance, then smallest index) candidates seen so far.
struct TopK {
    k: usize,
    d: Vec<f64>,
    i: Vec<usize>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK { k, d: Vec::with_capacity(k + 1), i: Vec::with_capacity(k + 1) }
    }

    /// The bound a candidate must beat (infinite until `k` are held).
    #[inline]
    fn worst(&self) -> f64 {
        if self.d.len() < self.k { f64::INFINITY } else { self.d[self.k - 1] }
    }

    #[inline]
    fn push(&mut self, d: f64, i: usize) {
        let full = self.d.len() == self.k;
        if full {
            let (wd, wi) = (self.d[self.k - 1], self.i[self.k - 1]);
            if d > wd || (d == wd && i > wi) {
                return;
            }
        }
        // Insertion position: after every entry that is (<= d, < i).
        let mut pos = self.d.len();
        while pos > 0 && (self.d[pos - 1] > d || (self.d[pos - 1] == d && self.i[pos - 1] > i)) {
            pos -= 1;
        }
        self.d.insert(pos, d);
        self.i.insert(pos, i);
        if self.d.len() > self.k {
            self.d.pop();
            self.i.pop();
        }
    }
}

/// A neighbor index over training rows: brute force or a KD-tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Index {
    /// Blocked distance computation against every training row.
    Brute,
    /// A KD-tree built at fit time.
    KdTree(KdTree),
}

/// The `k` nearest training rows of each query row: true distances and indices, sorted by
/// distance then index. `k <= train.nrows()` is the caller's responsibility.
pub(crate) fn kneighbors(
    index: &Index,
    train: ArrayView2<'_, f64>,
    train_norms: &[f64],
    queries: ArrayView2<'_, f64>,
    k: usize,
    dist: Dist,
) -> (Array2<f64>, Array2<usize>) {
    let nq = queries.nrows();
    let blocks: Vec<(Vec<f64>, Vec<usize>)> = (0..nq.div_ceil(QUERY_BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = b * QUERY_BLOCK..((b + 1) * QUERY_BLOCK).min(nq);
            let q = queries.slice(s![rows, ..]);
            let tops = match index {
                Index::KdTree(tree) => q.outer_iter().map(|row| tree.knn(train, row, k, dist)).collect(),
                Index::Brute => brute_block(train, train_norms, q, k, dist),
            };
            let mut d = Vec::with_capacity(tops.len() * k);
            let mut i = Vec::with_capacity(tops.len() * k);
            for t in tops {
                d.extend(t.d.iter().map(|&r| dist.to_dist(r)));
                i.extend(t.i);
            }
            (d, i)
        })
        .collect();
    let mut d = Vec::with_capacity(nq * k);
    let mut i = Vec::with_capacity(nq * k);
    for (bd, bi) in blocks {
        d.extend(bd);
        i.extend(bi);
    }
    (
        Array2::from_shape_vec((nq, k), d).expect("k distances per query"),
        Array2::from_shape_vec((nq, k), i).expect("k indices per query"),
    )
}

fn brute_block(
    train: ArrayView2<'_, f64>,
    train_norms: &[f64],
    q: ArrayView2<'_, f64>,
    k: usize,
    dist: Dist,
) -> Vec<TopK> {
    let mut tops: Vec<TopK> = (0..q.nrows()).map(|_| TopK::new(k)).collect();
    let n = train.nrows();
    match dist {
        Dist::Euclidean => {
            let qn = row_norms_sq(q);
            let mut buf = Array2::<f64>::zeros((q.nrows(), TRAIN_BLOCK.min(n)));
            for start in (0..n).step_by(TRAIN_BLOCK) {
                let end = (start + TRAIN_BLOCK).min(n);
                let mut g = buf.slice_mut(s![.., ..end - start]);
                neg2_dots_into(q, train.slice(s![start..end, ..]), &mut g);
                scan_euclidean(&mut tops, g.view(), &qn, &train_norms[start..end], start);
            }
        }
        _ => {
            for (top, qr) in tops.iter_mut().zip(q.outer_iter()) {
                for (j, tr) in train.outer_iter().enumerate() {
                    let v = dist.reduced(qr, tr);
                    if v <= top.worst() {
                        top.push(v, j);
                    }
                }
            }
        }
    }
    tops
}

/// Indices of the training rows within `radius` (true distance, inclusive) of each query row,
/// sorted by index.
pub(crate) fn radius_neighbors(
    index: &Index,
    train: ArrayView2<'_, f64>,
    train_norms: &[f64],
    queries: ArrayView2<'_, f64>,
    radius: f64,
    dist: Dist,
) -> Vec<Vec<usize>> {
    let nq = queries.nrows();
    let r = dist.to_reduced(radius);
    let blocks: Vec<Vec<Vec<usize>>> = (0..nq.div_ceil(QUERY_BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = b * QUERY_BLOCK..((b + 1) * QUERY_BLOCK).min(nq);
            let q = queries.slice(s![rows, ..]);
            match index {
                Index::KdTree(tree) => q
                    .outer_iter()
                    .map(|row| {
                        let mut found = Vec::new();
                        tree.within(train, row, r, dist, 0, &mut found);
                        found.sort_unstable();
                        found
                    })
                    .collect(),
                Index::Brute => brute_radius_block(train, train_norms, q, r, dist),
            }
        })
        .collect();
    blocks.into_iter().flatten().collect()
}

fn brute_radius_block(
    train: ArrayView2<'_, f64>,
    train_norms: &[f64],
    q: ArrayView2<'_, f64>,
    r: f64,
    dist: Dist,
) -> Vec<Vec<usize>> {
    let mut found: Vec<Vec<usize>> = vec![Vec::new(); q.nrows()];
    let n = train.nrows();
    match dist {
        Dist::Euclidean => {
            let qn = row_norms_sq(q);
            let mut buf = Array2::<f64>::zeros((q.nrows(), TRAIN_BLOCK.min(n)));
            for start in (0..n).step_by(TRAIN_BLOCK) {
                let end = (start + TRAIN_BLOCK).min(n);
                let mut out = buf.slice_mut(s![.., ..end - start]);
                sq_euclidean_into(q, &qn, train.slice(s![start..end, ..]), &train_norms[start..end], &mut out);
                for (f, row) in found.iter_mut().zip(out.outer_iter()) {
                    f.extend(row.iter().enumerate().filter(|&(_, &v)| v <= r).map(|(j, _)| start + j));
                }
            }
        }
        _ => {
            for (f, qr) in found.iter_mut().zip(q.outer_iter()) {
                f.extend(train.outer_iter().enumerate().filter(|(_, tr)| dist.reduced(qr, *tr) <= r).map(|(j, _)| j));
            }
        }
    }
    found
}

/// One node of a [`KdTree`]: rows `idx[start..end]`, their bounding box, and children.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Node {
    start: usize,
    end: usize,
    /// Child node ids (`usize::MAX` for a leaf).
    left: usize,
    right: usize,
}

/// A KD-tree over the training rows (scikit-learn's `KDTree`: split on the dimension of
/// largest spread at the median, leaves of at most `leaf_size` rows, box bounds for pruning).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KdTree {
    idx: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node, the box's lower then upper corner (`2 * n_features` values).
    bounds: Vec<f64>,
    n_features: usize,
}

const LEAF: usize = usize::MAX;

impl KdTree {
    /// Builds the tree over the rows of `x`.
    pub(crate) fn build(x: ArrayView2<'_, f64>, leaf_size: usize) -> KdTree {
        let mut tree =
            KdTree { idx: (0..x.nrows()).collect(), nodes: Vec::new(), bounds: Vec::new(), n_features: x.ncols() };
        tree.build_node(x, 0, x.nrows(), leaf_size.max(1));
        tree
    }

    fn build_node(&mut self, x: ArrayView2<'_, f64>, start: usize, end: usize, leaf_size: usize) -> usize {
        let m = self.n_features;
        let id = self.nodes.len();
        self.nodes.push(Node { start, end, left: LEAF, right: LEAF });
        let mut lo = vec![f64::INFINITY; m];
        let mut hi = vec![f64::NEG_INFINITY; m];
        for &i in &self.idx[start..end] {
            for (j, &v) in x.row(i).iter().enumerate() {
                lo[j] = lo[j].min(v);
                hi[j] = hi[j].max(v);
            }
        }
        self.bounds.extend_from_slice(&lo);
        self.bounds.extend_from_slice(&hi);
        if end - start > leaf_size {
            let (dim, spread) =
                (0..m).map(|j| (j, hi[j] - lo[j])).fold((0, -1.0), |b, c| if c.1 > b.1 { c } else { b });
            if spread > 0.0 {
                let mid = start + (end - start) / 2;
                self.idx[start..end]
                    .select_nth_unstable_by(mid - start, |&a, &b| x[[a, dim]].total_cmp(&x[[b, dim]]).then(a.cmp(&b)));
                let left = self.build_node(x, start, mid, leaf_size);
                let right = self.build_node(x, mid, end, leaf_size);
                self.nodes[id].left = left;
                self.nodes[id].right = right;
            }
        }
        id
    }

    /// Reduced distance from `q` to the box of node `id` (a lower bound for its rows).
    #[inline]
    fn min_reduced(&self, id: usize, q: ArrayView1<'_, f64>, dist: Dist) -> f64 {
        let m = self.n_features;
        let b = &self.bounds[2 * m * id..2 * m * (id + 1)];
        let mut acc = 0.0;
        for (j, &v) in q.iter().enumerate() {
            let gap = if v < b[j] {
                b[j] - v
            } else if v > b[m + j] {
                v - b[m + j]
            } else {
                0.0
            };
            acc = dist.combine(acc, dist.reduce_gap(gap));
        }
        acc
    }

    fn knn(&self, x: ArrayView2<'_, f64>, q: ArrayView1<'_, f64>, k: usize, dist: Dist) -> TopK {
        let mut top = TopK::new(k);
        if !self.nodes.is_empty() {
            let lb = self.min_reduced(0, q, dist);
            self.knn_node(x, q, dist, 0, lb, &mut top);
        }
        top
    }

    fn knn_node(&self, x: ArrayView2<'_, f64>, q: ArrayView1<'_, f64>, dist: Dist, id: usize, lb: f64, top: &mut TopK) {
        // Ties at the bound may still hold a smaller index, so prune only strictly.
        if lb > top.worst() {
            return;
        }
        let node = &self.nodes[id];
        if node.left == LEAF {
            for &i in &self.idx[node.start..node.end] {
                let v = dist.reduced(q, x.row(i));
                if v <= top.worst() {
                    top.push(v, i);
                }
            }
            return;
        }
        let (l, r) = (node.left, node.right);
        let (lb_l, lb_r) = (self.min_reduced(l, q, dist), self.min_reduced(r, q, dist));
        if lb_l <= lb_r {
            self.knn_node(x, q, dist, l, lb_l, top);
            self.knn_node(x, q, dist, r, lb_r, top);
        } else {
            self.knn_node(x, q, dist, r, lb_r, top);
            self.knn_node(x, q, dist, l, lb_l, top);
        }
    }

    fn within(
        &self,
        x: ArrayView2<'_, f64>,
        q: ArrayView1<'_, f64>,
        r: f64,
        dist: Dist,
        id: usize,
        found: &mut Vec<usize>,
    ) {
        if self.min_reduced(id, q, dist) > r {
            return;
        }
        let node = &self.nodes[id];
        if node.left == LEAF {
            found.extend(self.idx[node.start..node.end].iter().copied().filter(|&i| dist.reduced(q, x.row(i)) <= r));
            return;
        }
        self.within(x, q, r, dist, node.left, found);
        self.within(x, q, r, dist, node.right, found);
    }
}

/// Euclidean distances between every row of `x` and every row of `c` (`x.nrows() x c.nrows()`),
/// computed in fixed row blocks in parallel.
pub(crate) fn euclidean_distances(x: ArrayView2<'_, f64>, c: ArrayView2<'_, f64>) -> Array2<f64> {
    let cn = row_norms_sq(c);
    // KMeans' transform of 200k rows x 8 centres is 12.8 MB: a fresh output on huge pages.
    let mut out = oxlearn_core::alloc::zeros_2d(x.nrows(), c.nrows());
    out.axis_chunks_iter_mut(Axis(0), 256).into_par_iter().enumerate().for_each(|(b, mut chunk)| {
        let start = b * 256;
        let xb = x.slice(s![start..start + chunk.nrows(), ..]);
        let xn = row_norms_sq(xb);
        sq_euclidean_into(xb, &xn, c, &cn, &mut chunk);
        chunk.mapv_inplace(f64::sqrt);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn random(n: usize, m: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        Array2::from_shape_fn((n, m), |_| rng.r#gen::<f64>())
    }

    #[test]
    fn kd_tree_and_brute_agree_with_exhaustive_search() {
        let x = random(500, 3, 1);
        let q = random(40, 3, 2);
        let norms = row_norms_sq(x.view());
        let tree = Index::KdTree(KdTree::build(x.view(), 10));
        for dist in [Dist::Euclidean, Dist::Manhattan, Dist::Chebyshev, Dist::Minkowski(3.0)] {
            let (db, ib) = kneighbors(&Index::Brute, x.view(), &norms, q.view(), 7, dist);
            let (dt, it) = kneighbors(&tree, x.view(), &norms, q.view(), 7, dist);
            for r in 0..q.nrows() {
                let mut all: Vec<(f64, usize)> =
                    (0..x.nrows()).map(|j| (dist.to_dist(dist.reduced(q.row(r), x.row(j))), j)).collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let want: Vec<usize> = all[..7].iter().map(|p| p.1).collect();
                assert_eq!(it.row(r).to_vec(), want, "{dist:?}");
                assert_eq!(ib.row(r).to_vec(), want, "{dist:?}");
                for c in 0..7 {
                    assert!((db[[r, c]] - all[c].0).abs() < 1e-9 && (dt[[r, c]] - all[c].0).abs() < 1e-12);
                }
            }
            let rb = radius_neighbors(&Index::Brute, x.view(), &norms, q.view(), 0.2, dist);
            let rt = radius_neighbors(&tree, x.view(), &norms, q.view(), 0.2, dist);
            assert_eq!(rb, rt);
        }
    }

    #[test]
    fn brute_euclidean_across_tiles_matches_exhaustive_search() {
        // Several training tiles with a ragged last one (2500 = 2 * 1024 + 452, 452 = 56 * 8 + 4)
        // and two query blocks.
        let x = random(2500, 6, 5);
        let q = random(150, 6, 6);
        let norms = row_norms_sq(x.view());
        let (d, i) = kneighbors(&Index::Brute, x.view(), &norms, q.view(), 5, Dist::Euclidean);
        for r in 0..q.nrows() {
            let mut all: Vec<(f64, usize)> =
                (0..x.nrows()).map(|j| (Dist::Euclidean.reduced(q.row(r), x.row(j)).sqrt(), j)).collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            assert_eq!(i.row(r).to_vec(), all[..5].iter().map(|p| p.1).collect::<Vec<_>>());
            for c in 0..5 {
                assert!((d[[r, c]] - all[c].0).abs() < 1e-9);
            }
        }
        // The baseline build of the scan gives the same tops as the dispatched one.
        let qn = row_norms_sq(q.view());
        let mut g = Array2::<f64>::zeros((q.nrows(), x.nrows()));
        neg2_dots_into(q.view(), x.view(), &mut g.view_mut());
        let mut a: Vec<TopK> = (0..q.nrows()).map(|_| TopK::new(5)).collect();
        let mut b: Vec<TopK> = (0..q.nrows()).map(|_| TopK::new(5)).collect();
        scan_euclidean(&mut a, g.view(), &qn, &norms, 0);
        scan_euclidean_impl(&mut b, g.view(), &qn, &norms, 0);
        for (ta, tb) in a.iter().zip(&b) {
            assert_eq!((&ta.d, &ta.i), (&tb.d, &tb.i));
        }
    }

    #[test]
    fn ties_go_to_the_smaller_index() {
        let x = ndarray::array![[1.0], [0.0], [1.0], [-1.0], [2.0]];
        let q = ndarray::array![[0.0]];
        let norms = row_norms_sq(x.view());
        for index in [Index::Brute, Index::KdTree(KdTree::build(x.view(), 1))] {
            let (_, i) = kneighbors(&index, x.view(), &norms, q.view(), 3, Dist::Euclidean);
            assert_eq!(i.row(0).to_vec(), vec![1, 0, 2]);
        }
    }
}
