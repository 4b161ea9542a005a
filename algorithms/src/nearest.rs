//! Products of row-major data with a matrix of few columns (k <= 32): the nearest-centre
//! search of k-means ([`NearestSmall`]: the argmin stays in registers) and the projection of PCA
//! ([`SmallProduct`]), one register-blocked dot-product kernel compiled for AVX2 + FMA and for
//! the baseline and picked at run time.
//!
//! For k = 8 a GEMM is a poor shape (8 output columns: the packing and the microkernel's edge
//! handling cost as much as the products), and writing the `n x k` product out only to read it
//! back for the argmin doubles the memory traffic. Here each row's `k` values `|c|² - 2 x·c`
//! stay in registers: the centres are stored transposed and padded to a multiple of 8 (padding
//! centres have `|c|² = +inf`, so they never win), `R` rows are processed together (one FMA
//! with a broadcast row value per row, feature and 8 centres), and the first minimum of each row
//! is found with a vector min and an equality mask. The caller's per-row work (labels, sums)
//! runs inside the same compiled function, so it gets the same instruction set.

use ndarray::ArrayView2;

/// Centres per vector.
const L: usize = 8;
type V = [f64; L];

/// Most centres the kernel handles (4 vectors); more go through the GEMM path.
pub(crate) const MAX_K: usize = 4 * L;

/// Centres laid out for [`NearestSmall::run`].
pub(crate) struct NearestSmall {
    m: usize,
    kv: usize,
    /// `w[p * kv + v][l] = -2 c[v * 8 + l][p]` (0 for padding centres).
    w: Vec<V>,
    /// `|c|²` per centre, `+inf` for padding centres.
    cn: Vec<V>,
}

impl NearestSmall {
    /// The kernel for `centers` (`k x m`), or `None` when `k` is 0 or above [`MAX_K`].
    pub(crate) fn new(centers: ArrayView2<'_, f64>) -> Option<Self> {
        let (k, m) = centers.dim();
        if k == 0 || k > MAX_K {
            return None;
        }
        let kv = k.div_ceil(L);
        let mut w = vec![[0.0; L]; m * kv];
        let mut cn = vec![[f64::INFINITY; L]; kv];
        for (j, c) in centers.outer_iter().enumerate() {
            cn[j / L][j % L] = c.dot(&c);
            for (p, &v) in c.iter().enumerate() {
                w[p * kv + j / L][j % L] = -2.0 * v;
            }
        }
        Some(NearestSmall { m, kv, w, cn })
    }

    /// For each row `i` of the row-major block `x` (`x.len() / m` rows of `m` values), calls
    /// `f(i, row, label, value)` with the first centre minimising `value = |c|² - 2 x·c` (the
    /// squared distance minus `|x|²`). A row with a NaN among its values gets the first
    /// non-NaN minimum (label 0 and `+inf` when there is none), as a sequential `<` scan.
    pub(crate) fn run<F: FnMut(usize, &[f64], usize, f64)>(&self, x: &[f64], f: F) {
        debug_assert!(self.m > 0 && x.len().is_multiple_of(self.m));
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                return unsafe { self.run_avx2(x, f) };
            }
        }
        self.dispatch::<false, F>(x, f);
    }

    /// The AVX2 + FMA build. AVX-512 (one zmm per 8 centres, 8 rows at a time) measured no
    /// faster on the 2-core AMD EPYC (Zen 4 splits zmm operations, and the loop is bounded by
    /// streaming the rows from memory), so there is no separate AVX-512 build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2<F: FnMut(usize, &[f64], usize, f64)>(&self, x: &[f64], f: F) {
        self.dispatch::<true, F>(x, f);
    }

    /// Row blocking for about 8 ymm accumulators (4 rows for up to 8 centres, 2 for up to 16,
    /// 1 above).
    #[inline(always)]
    fn dispatch<const FMA: bool, F: FnMut(usize, &[f64], usize, f64)>(&self, x: &[f64], f: F) {
        match self.kv {
            1 => self.rows::<FMA, 1, 4, F>(x, f),
            2 => self.rows::<FMA, 2, 2, F>(x, f),
            3 => self.rows::<FMA, 3, 1, F>(x, f),
            _ => self.rows::<FMA, 4, 1, F>(x, f),
        }
    }

    /// All rows of `x`, `R` at a time, then the remainder one at a time.
    #[inline(always)]
    fn rows<const FMA: bool, const KV: usize, const R: usize, F: FnMut(usize, &[f64], usize, f64)>(
        &self,
        x: &[f64],
        mut f: F,
    ) {
        let m = self.m;
        let n = x.len() / m;
        let w = &self.w[..m * KV];
        let cn: &[V] = &self.cn[..KV];
        let mut i = 0;
        while i + R <= n {
            let block = &x[i * m..(i + R) * m];
            let acc = dots::<FMA, KV, R>(block, m, w);
            for (r, a) in acc.iter().enumerate() {
                let (l, d) = argmin::<KV>(a, cn);
                f(i + r, &block[r * m..(r + 1) * m], l, d);
            }
            i += R;
        }
        while i < n {
            let row = &x[i * m..(i + 1) * m];
            let acc = dots::<FMA, KV, 1>(row, m, w);
            let (l, d) = argmin::<KV>(&acc[0], cn);
            f(i, row, l, d);
            i += 1;
        }
    }
}

/// `x · w + 1 biasᵀ` for row-major `x` and a weight matrix `w` of few columns (PCA's
/// projection): a GEMM with 10 output columns over row-major data spends most of its time on
/// strided loads and edge handling; here each row's `k` outputs are accumulated in registers
/// from broadcast row values and written once.
pub(crate) struct SmallProduct {
    m: usize,
    k: usize,
    kv: usize,
    /// `w[p * kv + v][l] = w[p][v * 8 + l]` (0 for padding columns).
    w: Vec<V>,
    bias: Vec<f64>,
}

impl SmallProduct {
    /// The kernel for `w` (`m x k`) and `bias` (`k` values), or `None` when `k` or `m` is 0 or
    /// `k` is above [`MAX_K`].
    pub(crate) fn new(w: ArrayView2<'_, f64>, bias: &[f64]) -> Option<Self> {
        let (m, k) = w.dim();
        if k == 0 || k > MAX_K || m == 0 || bias.len() != k {
            return None;
        }
        let kv = k.div_ceil(L);
        let mut packed = vec![[0.0; L]; m * kv];
        for ((p, j), &v) in w.indexed_iter() {
            packed[p * kv + j / L][j % L] = v;
        }
        Some(SmallProduct { m, k, kv, w: packed, bias: bias.to_vec() })
    }

    /// Writes the `x.len() / m` output rows of the row-major block `x` into `out` (rows of `k`).
    pub(crate) fn run(&self, x: &[f64], out: &mut [f64]) {
        debug_assert!(x.len().is_multiple_of(self.m) && out.len() == x.len() / self.m * self.k);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                return unsafe { self.run_avx2(x, out) };
            }
        }
        self.dispatch::<false>(x, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2(&self, x: &[f64], out: &mut [f64]) {
        self.dispatch::<true>(x, out);
    }

    #[inline(always)]
    fn dispatch<const FMA: bool>(&self, x: &[f64], out: &mut [f64]) {
        match self.kv {
            1 => self.rows::<FMA, 1, 4>(x, out),
            2 => self.rows::<FMA, 2, 2>(x, out),
            3 => self.rows::<FMA, 3, 1>(x, out),
            _ => self.rows::<FMA, 4, 1>(x, out),
        }
    }

    #[inline(always)]
    fn rows<const FMA: bool, const KV: usize, const R: usize>(&self, x: &[f64], out: &mut [f64]) {
        let (m, k) = (self.m, self.k);
        let n = x.len() / m;
        let w = &self.w[..m * KV];
        let bias = &self.bias[..k];
        let mut i = 0;
        let mut write = |i: usize, acc: &[V; KV]| {
            let o = &mut out[i * k..(i + 1) * k];
            for ((o, &a), &b) in o.iter_mut().zip(acc.as_flattened()).zip(bias) {
                *o = a + b;
            }
        };
        while i + R <= n {
            let acc = dots::<FMA, KV, R>(&x[i * m..(i + R) * m], m, w);
            for (r, a) in acc.iter().enumerate() {
                write(i + r, a);
            }
            i += R;
        }
        while i < n {
            let acc = dots::<FMA, KV, 1>(&x[i * m..(i + 1) * m], m, w);
            write(i, &acc[0]);
            i += 1;
        }
    }
}

/// `acc[r][v][l] = Σ_p x[r][p] w[p][v][l]` for the `R` rows of `block`.
#[inline(always)]
fn dots<const FMA: bool, const KV: usize, const R: usize>(block: &[f64], m: usize, w: &[V]) -> [[V; KV]; R] {
    let mut acc = [[[0.0; L]; KV]; R];
    let rows: [&[f64]; R] = std::array::from_fn(|r| &block[r * m..][..m]);
    for (wp, p) in w.chunks_exact(KV).zip(0..m) {
        let wp: &[V; KV] = wp.try_into().expect("chunks of KV");
        for (acc_r, row) in acc.iter_mut().zip(&rows) {
            // SAFETY: every row has length `m` (sliced just above) and `p < m`; the compiler
            // does not see it through the array of slices and would check each load.
            let xv = unsafe { *row.get_unchecked(p) };
            for (a, wv) in acc_r.iter_mut().zip(wp) {
                for (a, &wl) in a.iter_mut().zip(wv) {
                    *a = if FMA { xv.mul_add(wl, *a) } else { *a + xv * wl };
                }
            }
        }
    }
    acc
}

/// First index of the minimum of `cn + acc` over the `KV * 8` centres and the minimum; NaN
/// values are skipped as by a sequential `<` scan starting at `(0, +inf)`.
#[inline(always)]
fn argmin<const KV: usize>(acc: &[V; KV], cn: &[V]) -> (usize, f64) {
    let mut d = [[0.0; L]; KV];
    let mut nan = false;
    for v in 0..KV {
        for l in 0..L {
            d[v][l] = cn[v][l] + acc[v][l];
            nan |= d[v][l].is_nan();
        }
    }
    if nan {
        let mut best = (0, f64::INFINITY);
        for (j, &x) in d.iter().flatten().enumerate() {
            if x < best.1 {
                best = (j, x);
            }
        }
        return best;
    }
    // Without NaN the min is order-independent: lane-wise over the vectors, then a tree.
    let mut mv = d[0];
    for dv in &d[1..] {
        for l in 0..L {
            mv[l] = if dv[l] < mv[l] { dv[l] } else { mv[l] };
        }
    }
    let mut h = L / 2;
    while h > 0 {
        for l in 0..h {
            mv[l] = if mv[l + h] < mv[l] { mv[l + h] } else { mv[l] };
        }
        h /= 2;
    }
    let min = mv[0];
    for (v, dv) in d.iter().enumerate() {
        let mut mask = 0u32;
        for (l, &x) in dv.iter().enumerate() {
            mask |= u32::from(x == min) << l;
        }
        if mask != 0 {
            return (v * L + mask.trailing_zeros() as usize, min);
        }
    }
    (0, min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn reference(x: &Array2<f64>, c: &Array2<f64>) -> Vec<(usize, f64)> {
        x.outer_iter()
            .map(|r| {
                let mut best = (0, f64::INFINITY);
                for (j, cj) in c.outer_iter().enumerate() {
                    let d = cj.dot(&cj) - 2.0 * r.dot(&cj);
                    if d < best.1 {
                        best = (j, d);
                    }
                }
                best
            })
            .collect()
    }

    #[test]
    fn matches_a_plain_scan_for_every_k_and_row_count() {
        for k in [1, 3, 8, 9, 16, 17, 24, 32] {
            for n in [1, 7, 8, 19] {
                let m = 5;
                let x = Array2::from_shape_fn((n, m), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
                let c = Array2::from_shape_fn((k, m), |(i, j)| ((i * 5 + j * 2) % 7) as f64 * 0.5 - 1.5);
                let want = reference(&x, &c);
                let kernel = NearestSmall::new(c.view()).unwrap();
                let mut got = vec![(usize::MAX, 0.0); n];
                kernel.run(x.as_slice().unwrap(), |i, row, l, d| {
                    assert_eq!(row, x.row(i).as_slice().unwrap());
                    got[i] = (l, d);
                });
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.0, w.0, "k={k} n={n}");
                    assert!((g.1 - w.1).abs() < 1e-9);
                }
            }
        }
        assert!(NearestSmall::new(Array2::<f64>::zeros((33, 2)).view()).is_none());
    }

    #[test]
    fn the_baseline_build_agrees_with_the_dispatched_one() {
        let (n, m, k) = (23, 7, 8);
        let x = Array2::from_shape_fn((n, m), |(i, j)| ((i * 13 + j * 5) % 17) as f64 * 0.3 - 2.0);
        let c = Array2::from_shape_fn((k, m), |(i, j)| ((i * 3 + j * 7) % 5) as f64 - 2.0);
        let kernel = NearestSmall::new(c.view()).unwrap();
        let (mut a, mut b) = (vec![], vec![]);
        kernel.run(x.as_slice().unwrap(), |_, _, l, d| a.push((l, d)));
        kernel.dispatch::<false, _>(x.as_slice().unwrap(), |_, _, l, d| b.push((l, d)));
        for (p, q) in a.iter().zip(&b) {
            assert_eq!(p.0, q.0);
            assert!((p.1 - q.1).abs() < 1e-9);
        }
    }

    #[test]
    fn small_product_matches_a_plain_product() {
        for k in [1, 3, 8, 10, 17, 32] {
            let (n, m) = (11, 6);
            let x = Array2::from_shape_fn((n, m), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
            let w = Array2::from_shape_fn((m, k), |(i, j)| ((i * 5 + j * 2) % 7) as f64 * 0.5 - 1.5);
            let bias: Vec<f64> = (0..k).map(|j| j as f64 * 0.25).collect();
            let want = x.dot(&w) + &ndarray::Array1::from(bias.clone());
            let kernel = SmallProduct::new(w.view(), &bias).unwrap();
            let mut got = vec![f64::NAN; n * k];
            kernel.run(x.as_slice().unwrap(), &mut got);
            let mut base = vec![f64::NAN; n * k];
            kernel.dispatch::<false>(x.as_slice().unwrap(), &mut base);
            for ((g, b), w) in got.iter().zip(&base).zip(want.iter()) {
                assert!((g - w).abs() < 1e-9 && (b - w).abs() < 1e-9, "k={k}");
            }
        }
        assert!(SmallProduct::new(Array2::<f64>::zeros((2, 33)).view(), &[0.0; 33]).is_none());
    }

    #[test]
    fn ties_take_the_first_centre_and_nan_rows_are_skipped() {
        let c = ndarray::array![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]];
        let x = ndarray::array![[0.0, 0.0], [f64::NAN, 0.0], [f64::INFINITY, 0.0], [0.0, 2.0]];
        let kernel = NearestSmall::new(c.view()).unwrap();
        let mut got = vec![];
        kernel.run(x.as_slice().unwrap(), |_, _, l, d| got.push((l, d)));
        assert_eq!(got[0], (0, 1.0));
        // Every value of the NaN row is NaN: nothing beats the start.
        assert_eq!(got[1], (0, f64::INFINITY));
        // inf * (-2) is -inf for centres 0 and 2, inf * 0 is NaN for centre 1: the first -inf.
        assert_eq!(got[2], (0, f64::NEG_INFINITY));
        assert_eq!(got[3], (1, -3.0));
    }
}
