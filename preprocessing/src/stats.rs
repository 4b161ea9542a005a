//! Per-column statistics that every fit is computed from: counts, mean and variance, extrema,
//! category counts and quantile sketches. They merge, so the same code serves an in-memory fit
//! (one accumulator over the whole column) and a streaming fit (one per chunk, merged in order).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Col;
use crate::kernels::{FxMap, count_values};

/// Rows per fixed chunk of a column: statistics are computed chunk by chunk and merged in order,
/// so the result never depends on the thread count.
pub(crate) const ROW_CHUNK: usize = 2048;

/// Count, mean, centred sum of squares and extrema of the non-missing values of a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NumStats {
    pub n: u64,
    pub n_missing: u64,
    pub mean: f64,
    pub m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for NumStats {
    fn default() -> Self {
        NumStats { n: 0, n_missing: 0, mean: 0.0, m2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl NumStats {
    /// Statistics of a whole column, computed in fixed chunks merged in order.
    pub fn of(v: &[f64]) -> Self {
        let mut s = NumStats::default();
        for chunk in v.chunks(ROW_CHUNK) {
            s.merge(&crate::kernels::chunk_stats(chunk, 1)[0]);
        }
        s
    }

    /// The statistics of several equally long columns, each equal bit for bit to
    /// [`NumStats::of`] of it: the columns are taken `GROUP` at a time, each fixed row chunk
    /// of a group copied row-major into a small buffer and summarized by the matrix path's
    /// kernel (every column's accumulators see its values in row order whatever the group, so
    /// the result is the same; the group gives the kernel independent lanes to vectorize over).
    pub fn of_columns(cols: &[&[f64]]) -> Vec<Self> {
        const GROUP: usize = 8;
        let n = cols.first().map_or(0, |c| c.len());
        debug_assert!(cols.iter().all(|c| c.len() == n));
        let mut totals = vec![NumStats::default(); cols.len()];
        let mut buf = vec![0.0; ROW_CHUNK * GROUP];
        for (group, out) in cols.chunks(GROUP).zip(totals.chunks_mut(GROUP)) {
            let k = group.len();
            for start in (0..n).step_by(ROW_CHUNK) {
                let rows = ROW_CHUNK.min(n - start);
                let b = &mut buf[..rows * k];
                for (j, c) in group.iter().enumerate() {
                    for (dst, &x) in b[j..].iter_mut().step_by(k).zip(&c[start..start + rows]) {
                        *dst = x;
                    }
                }
                for (t, s) in out.iter_mut().zip(&crate::kernels::chunk_stats(b, k)) {
                    t.merge(s);
                }
            }
        }
        totals
    }

    /// Merges the statistics of further rows (Chan et al.'s pairwise update).
    pub fn merge(&mut self, o: &NumStats) {
        self.n_missing += o.n_missing;
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            let missing = self.n_missing;
            *self = *o;
            self.n_missing = missing;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        let (na, nb, nf) = (self.n as f64, o.n as f64, n as f64);
        self.mean += d * nb / nf;
        self.m2 += o.m2 + d * d * na * nb / nf;
        self.n = n;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// Population variance (NaN without values).
    pub fn var(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.m2 / self.n as f64 }
    }

    /// Mean (NaN without values).
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// Largest absolute value (0 without values).
    pub fn max_abs(&self) -> f64 {
        if self.n == 0 { 0.0 } else { self.min.abs().max(self.max.abs()) }
    }
}

/// An `f64` with a total order, usable as a map key.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct OrdF64(pub f64);
impl PartialEq for OrdF64 {
    fn eq(&self, o: &Self) -> bool {
        self.0.total_cmp(&o.0) == Ordering::Equal
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// Counts of the distinct non-missing values of a column, sorted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CatCounts {
    Num(BTreeMap<OrdF64, u64>),
    Str(BTreeMap<String, u64>),
}

impl CatCounts {
    fn merge(&mut self, o: CatCounts) {
        match (self, o) {
            (CatCounts::Num(a), CatCounts::Num(b)) => b.into_iter().for_each(|(k, c)| *a.entry(k).or_insert(0) += c),
            (CatCounts::Str(a), CatCounts::Str(b)) => b.into_iter().for_each(|(k, c)| *a.entry(k).or_insert(0) += c),
            (a, b) => {
                // A column that was all-null in one chunk may be read as numbers there: keep the
                // non-empty side.
                if a.is_empty() {
                    *a = b;
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            CatCounts::Num(m) => m.is_empty(),
            CatCounts::Str(m) => m.is_empty(),
        }
    }
}

/// Values kept for quantiles: every value (exact) or a deterministic bottom-k sample keyed by a
/// hash of the global row index (approximate, mergeable).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sketch {
    cap: Option<usize>,
    items: Vec<(u64, f64)>,
}

/// SplitMix64: a fixed hash of the row index, so the sample does not depend on chunking.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Sketch {
    fn new(cap: Option<usize>) -> Self {
        Sketch { cap, items: Vec::new() }
    }

    fn push_all(&mut self, v: &[f64], row_offset: u64) {
        if self.cap.is_none() {
            self.items.reserve(v.len());
        }
        for (i, &x) in v.iter().enumerate() {
            if !x.is_nan() {
                let h = if self.cap.is_some() { mix(row_offset + i as u64) } else { 0 };
                self.items.push((h, x));
            }
        }
        self.compact();
    }

    fn compact(&mut self) {
        if let Some(cap) = self.cap
            && self.items.len() > 2 * cap
        {
            self.items.select_nth_unstable_by(cap, |a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            self.items.truncate(cap);
        }
    }

    fn merge(&mut self, o: Sketch) {
        self.items.extend(o.items);
        self.compact();
    }

    /// Kept values, in no particular order.
    fn kept(&self) -> Vec<f64> {
        let mut items = self.items.clone();
        if let Some(cap) = self.cap
            && items.len() > cap
        {
            items.select_nth_unstable_by(cap, |a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            items.truncate(cap);
        }
        items.into_iter().map(|(_, x)| x).collect()
    }

    /// Sorted kept values.
    pub fn sorted(&self) -> Vec<f64> {
        let mut v = self.kept();
        // Unstable is enough: values equal under total_cmp are bit-identical.
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    /// [`percentile_linear`] of the kept values, through two selections instead of a sort
    /// (the same two order statistics, so the same result bit for bit).
    pub fn percentile_linear(&self, q: f64) -> f64 {
        let mut v = self.kept();
        if v.is_empty() {
            return f64::NAN;
        }
        let h = (v.len() - 1) as f64 * q / 100.0;
        let lo = h.floor() as usize;
        let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
        let b = rest.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
        a + (b - a) * (h - lo as f64)
    }
}

/// numpy's `percentile(.., method="linear")` of sorted values, `q` in `[0, 100]`.
pub(crate) fn percentile_linear(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q / 100.0;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = h - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// numpy's `percentile(.., method="averaged_inverted_cdf")` of sorted values, `q` in `[0, 100]`.
pub(crate) fn percentile_averaged_inverted_cdf(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let g = n as f64 * q / 100.0;
    let j = g.floor();
    let idx = |k: f64| sorted[(k.max(0.0) as usize).min(n - 1)];
    if g > j {
        idx(j)
    } else {
        // Exactly on a step of the empirical CDF: average the two neighbours.
        (idx(j - 1.0) + idx(j)) / 2.0
    }
}

/// What a fit needs beyond counts, mean, variance and extrema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    pub quantiles: bool,
    pub categories: bool,
}

/// Everything a fit knows about one column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColAccum {
    pub num: NumStats,
    pub is_str: bool,
    /// The source column had an integer dtype.
    pub int: bool,
    pub sketch: Option<Sketch>,
    pub cats: Option<CatCounts>,
}

impl ColAccum {
    /// Statistics of one column (or one chunk of it, whose first row has global index
    /// `row_offset`). `sample_cap`: `None` keeps every value for exact quantiles.
    /// `num`: the column's [`NumStats`] when already computed (numeric columns).
    fn of(col: &Col, needs: Needs, row_offset: u64, sample_cap: Option<usize>, num: Option<NumStats>) -> Self {
        match col {
            Col::Num { v, int } => {
                let num = num.unwrap_or_else(|| NumStats::of(v));
                let sketch = needs.quantiles.then(|| {
                    let mut s = Sketch::new(sample_cap);
                    s.push_all(v, row_offset);
                    s
                });
                let cats = needs.categories.then(|| {
                    // -0.0 and 0.0 are one category, as in numpy.
                    let mut h = FxMap::default();
                    count_values(v.iter(), &mut h);
                    CatCounts::Num(h.into_iter().map(|(k, c)| (OrdF64(f64::from_bits(k)), c)).collect())
                });
                ColAccum { num, is_str: false, int: *int, sketch, cats }
            }
            Col::Str(s) => {
                let n_missing = s.null_count() as u64;
                let num = NumStats { n: s.len() as u64 - n_missing, n_missing, ..NumStats::default() };
                let cats = needs.categories.then(|| {
                    // Strings of at most 12 bytes live whole in their 16-byte arrow view: they
                    // are counted by the view's bits, then merged by string.
                    let mut short: FxMap<u128, (&str, u64)> = FxMap::default();
                    let mut h: FxMap<&str, u64> = FxMap::default();
                    for arr in s.downcast_iter() {
                        for (view, x) in arr.views().iter().zip(arr.iter()) {
                            match x {
                                Some(x) if view.length <= 12 => short.entry(view.as_u128()).or_insert((x, 0)).1 += 1,
                                Some(x) => *h.entry(x).or_insert(0) += 1,
                                None => {}
                            }
                        }
                    }
                    for (x, c) in short.into_values() {
                        *h.entry(x).or_insert(0) += c;
                    }
                    CatCounts::Str(h.into_iter().map(|(k, c)| (k.to_string(), c)).collect())
                });
                ColAccum { num, is_str: true, int: false, sketch: None, cats }
            }
            Col::Cat(c) => {
                let n_missing = c.null_count() as u64;
                let num = NumStats { n: c.len() as u64 - n_missing, n_missing, ..NumStats::default() };
                let cats = needs.categories.then(|| CatCounts::Str(cat_counts(c)));
                ColAccum { num, is_str: true, int: false, sketch: None, cats }
            }
        }
    }

    /// Merges the statistics of the following rows.
    pub fn merge(&mut self, o: ColAccum) {
        // A chunk where a string column was all null may have been read as numbers.
        if o.is_str && !self.is_str && self.num.n == 0 {
            self.is_str = true;
        }
        self.num.merge(&o.num);
        self.int &= o.int || o.num.n == 0;
        match (&mut self.sketch, o.sketch) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        match (&mut self.cats, o.cats) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
    }

    /// Number of rows seen.
    pub fn n_rows(&self) -> u64 {
        self.num.n + self.num.n_missing
    }
}

/// Counts of the values of a categorical column by string: each chunk's codes are counted in a
/// table indexed by code (a hash for codes far beyond the chunk's length), then the non-zero
/// counts are named through the mapping once.
fn cat_counts(c: &crate::data::CatCol) -> BTreeMap<String, u64> {
    let mut by_code: FxMap<u32, u64> = FxMap::default();
    for arr in c.chunks() {
        let codes = arr.values().as_slice();
        let max = codes.iter().copied().max().unwrap_or(0) as usize;
        let valid = arr.validity().filter(|b| b.unset_bits() > 0);
        if max < (4 * codes.len()).max(1 << 16) {
            let mut table = vec![0u64; max + 1];
            match valid {
                None => codes.iter().for_each(|&k| table[k as usize] += 1),
                Some(v) => codes.iter().zip(v.iter()).filter(|(_, ok)| *ok).for_each(|(&k, _)| table[k as usize] += 1),
            }
            for (k, &n) in table.iter().enumerate().filter(|(_, n)| **n > 0) {
                *by_code.entry(k as u32).or_insert(0) += n;
            }
        } else {
            match valid {
                None => codes.iter().for_each(|&k| *by_code.entry(k).or_insert(0) += 1),
                Some(v) => codes
                    .iter()
                    .zip(v.iter())
                    .filter(|(_, ok)| *ok)
                    .for_each(|(&k, _)| *by_code.entry(k).or_insert(0) += 1),
            }
        }
    }
    let mut out = BTreeMap::new();
    for (k, n) in by_code {
        *out.entry(c.str_of(k).to_string()).or_insert(0) += n;
    }
    out
}

/// Statistics of every column, in parallel over columns.
pub(crate) fn accumulate(cols: &[Col], needs: Needs, row_offset: u64, sample_cap: Option<usize>) -> Vec<ColAccum> {
    // Moments of the numeric columns several at a time (bit-identical to one at a time), in
    // parallel over groups; then everything else per column.
    let nums: Vec<(usize, &[f64])> = cols
        .iter()
        .enumerate()
        .filter_map(|(j, c)| match c {
            Col::Num { v, .. } => Some((j, v.as_slice())),
            _ => None,
        })
        .collect();
    let same_len = nums.windows(2).all(|w| w[0].1.len() == w[1].1.len());
    let mut pre: Vec<Option<NumStats>> = vec![None; cols.len()];
    if nums.len() > 1 && same_len {
        let slices: Vec<&[f64]> = nums.iter().map(|(_, v)| *v).collect();
        let stats: Vec<NumStats> = slices.par_chunks(8).flat_map_iter(NumStats::of_columns).collect();
        for ((j, _), s) in nums.iter().zip(stats) {
            pre[*j] = Some(s);
        }
    }
    cols.par_iter().zip(pre).map(|(c, num)| ColAccum::of(c, needs, row_offset, sample_cap, num)).collect()
}

/// Merges per-chunk statistics column by column, in order.
pub(crate) fn merge_all(acc: &mut Vec<ColAccum>, more: Vec<ColAccum>) {
    if acc.is_empty() {
        *acc = more;
    } else {
        acc.iter_mut().zip(more).for_each(|(a, b)| a.merge(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_chunks_match_the_whole() {
        let v: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 * 0.5 - 7.0).collect();
        let whole = NumStats::of(&v);
        let mut parts = NumStats::default();
        for c in v.chunks(77) {
            parts.merge(&NumStats::of(c));
        }
        assert_eq!(whole.n, parts.n);
        assert!((whole.mean - parts.mean).abs() < 1e-12);
        assert!((whole.var() - parts.var()).abs() < 1e-9);
        assert_eq!(whole.min, parts.min);
    }

    #[test]
    fn column_groups_match_one_column_at_a_time() {
        let cols: Vec<Vec<f64>> = (0..11)
            .map(|j| {
                (0..5000)
                    .map(|i| match (i * 31 + j * 7) % 23 {
                        0 => f64::NAN,
                        r => (r as f64 - 9.5) * 1.37 + (i as f64) * 1e-3 * j as f64,
                    })
                    .collect()
            })
            .chain([vec![f64::NAN; 5000]])
            .collect();
        let slices: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let bits =
            |s: &NumStats| (s.n, s.n_missing, s.mean.to_bits(), s.m2.to_bits(), s.min.to_bits(), s.max.to_bits());
        for (c, g) in slices.iter().zip(NumStats::of_columns(&slices)) {
            assert_eq!(bits(&g), bits(&NumStats::of(c)));
        }
        assert!(NumStats::of_columns(&[&[], &[]]).iter().all(|s| s.n == 0));
    }

    #[test]
    fn percentiles_match_numpy() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_linear(&s, 50.0), 2.5);
        assert_eq!(percentile_linear(&s, 25.0), 1.75);
        assert_eq!(percentile_averaged_inverted_cdf(&s, 50.0), 2.5);
        assert_eq!(percentile_averaged_inverted_cdf(&s, 30.0), 2.0);
        assert_eq!(percentile_averaged_inverted_cdf(&s, 0.0), 1.0);
        assert_eq!(percentile_averaged_inverted_cdf(&s, 100.0), 4.0);
    }

    #[test]
    fn bottom_k_sample_is_chunking_independent() {
        let v: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        let mut a = Sketch::new(Some(500));
        a.push_all(&v, 0);
        let mut b = Sketch::new(Some(500));
        for (k, c) in v.chunks(999).enumerate() {
            let mut s = Sketch::new(Some(500));
            s.push_all(c, (k * 999) as u64);
            b.merge(s);
        }
        assert_eq!(a.sorted(), b.sorted());
        let med = percentile_linear(&a.sorted(), 50.0);
        assert!((med - 5000.0).abs() < 600.0, "{med}");
    }
}

#[cfg(test)]
mod selection_tests {
    use super::*;

    /// The selection-based percentile equals the sorted one bit for bit (odd, even, one value,
    /// ties, signed zeros, capped sketches).
    #[test]
    fn percentile_by_selection_matches_sorting() {
        let base: Vec<f64> = (0..1001).map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 100.0).collect();
        let cases: Vec<Vec<f64>> =
            vec![base.clone(), base[..1000].to_vec(), vec![4.5], vec![0.0, -0.0, -0.0, 1.0], vec![2.0; 7]];
        for v in cases {
            for cap in [None, Some(100)] {
                let mut s = Sketch::new(cap);
                s.push_all(&v, 3);
                for q in [0.0, 25.0, 50.0, 90.0, 100.0] {
                    let want = percentile_linear(&s.sorted(), q);
                    assert_eq!(s.percentile_linear(q).to_bits(), want.to_bits(), "{} values, q {q}", v.len());
                }
            }
        }
        assert!(Sketch::new(None).percentile_linear(50.0).is_nan());
    }
}
