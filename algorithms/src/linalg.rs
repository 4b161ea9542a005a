//! Dense linear algebra shared by the estimators: GEMM, Gram matrices, Cholesky / QR / SVD /
//! symmetric eigen-decompositions on ndarray views, backed by faer 0.24 (no system BLAS).
//!
//! Every function takes ndarray views of any layout (row-major, column-major, strided, sliced)
//! and returns owned ndarray arrays, so callers never see faer types. Inputs are viewed by faer
//! without copying. Results do not depend on the number of rayon threads: reductions over rows
//! are split into chunks of a fixed size and summed in a fixed order.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::matmul as faer_matmul;
use faer::{Accum, MatMut, MatRef, Par, Side};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, s};
use oxlearn_core::{Error, Result};
use rayon::prelude::*;

/// Rows per chunk in the row-blocked reductions ([`gram`], [`centered_gram`]). Fixed, so that
/// results are identical whatever the thread count.
const ROW_CHUNK: usize = 2048;

/// Views an ndarray matrix as a faer matrix, without copying (any strides, negative included).
pub fn as_faer(a: ArrayView2<'_, f64>) -> MatRef<'_, f64> {
    let (r, c) = a.dim();
    let st = a.strides();
    // SAFETY: the pointer, shape and element strides describe exactly the memory `a` borrows,
    // for the lifetime of the borrow.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), r, c, st[0], st[1]) }
}

/// Views a mutable ndarray matrix as a mutable faer matrix, without copying.
pub fn as_faer_mut(mut a: ArrayViewMut2<'_, f64>) -> MatMut<'_, f64> {
    let (r, c) = a.dim();
    let (s0, s1) = (a.strides()[0], a.strides()[1]);
    // SAFETY: as in `as_faer`; the view is borrowed mutably and uniquely for the lifetime.
    unsafe { MatMut::from_raw_parts_mut(a.as_mut_ptr(), r, c, s0, s1) }
}

/// Copies a faer matrix into a new row-major ndarray array.
pub fn to_ndarray(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// The parallelism to hand faer for an operation of about `flops` floating-point operations:
/// sequential below a threshold (threads cost more than they save), the current rayon pool above.
fn par_for(flops: usize) -> Par {
    if flops < 1 << 22 || rayon::current_num_threads() <= 1 { Par::Seq } else { Par::rayon(0) }
}

/// Matrix product `a · b` (faer GEMM; `a` is `m x k`, `b` is `k x n`, any layouts).
///
/// # Panics
/// When the inner dimensions differ (an internal invariant: callers validate shapes first).
pub fn matmul(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let mut out = Array2::zeros((a.nrows(), b.ncols()));
    matmul_into(a, b, out.view_mut(), false);
    out
}

/// `out = a · b`, or `out += a · b` when `accumulate` is true, without allocating.
///
/// # Panics
/// When the shapes do not agree (an internal invariant).
pub fn matmul_into(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>, out: ArrayViewMut2<'_, f64>, accumulate: bool) {
    assert!(a.ncols() == b.nrows() && out.nrows() == a.nrows() && out.ncols() == b.ncols(), "matmul shapes");
    let flops = a.nrows() * a.ncols() * b.ncols();
    let accum = if accumulate { Accum::Add } else { Accum::Replace };
    faer_matmul(as_faer_mut(out), accum, as_faer(a), as_faer(b), 1.0, par_for(flops));
}

/// Rows per block of the row-parallel products ([`matmul_rows`]). Fixed, so that each output
/// row is computed by the same kernel call whatever the thread count.
const PRODUCT_ROWS: usize = 4096;

/// `x · b + 1 biasᵀ` (`x` is `n x k`, `b` is `k x m`, `bias` has `m` entries or is `None`), in
/// parallel over fixed blocks of rows with faer's sequential kernel in each block: the cheap
/// predictions (`n >> k, m`) are memory-bound, and this reads `x` once with every core.
///
/// # Panics
/// When the shapes do not agree (an internal invariant).
pub fn matmul_rows(x: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>, bias: Option<ArrayView1<'_, f64>>) -> Array2<f64> {
    assert_eq!(x.ncols(), b.nrows(), "matmul_rows shapes");
    let (n, m) = (x.nrows(), b.ncols());
    if let Some(bias) = bias {
        assert_eq!(bias.len(), m, "matmul_rows bias");
    }
    // A large fresh output (PCA's 200k x 10 is 16 MB) faults in on huge pages, as numpy's.
    let mut out = oxlearn_core::alloc::zeros_2d(n, m);
    let block = |(i, mut o): (usize, ArrayViewMut2<'_, f64>)| {
        let start = i * PRODUCT_ROWS;
        let xb = x.slice(s![start..start + o.nrows(), ..]);
        let accum = match bias {
            Some(bias) => {
                o.rows_mut().into_iter().for_each(|mut r| r.assign(&bias));
                Accum::Add
            }
            None => Accum::Replace,
        };
        faer_matmul(as_faer_mut(o), accum, as_faer(xb), as_faer(b), 1.0, Par::Seq);
    };
    if n > PRODUCT_ROWS && rayon::current_num_threads() > 1 {
        out.axis_chunks_iter_mut(Axis(0), PRODUCT_ROWS).into_par_iter().enumerate().for_each(block);
    } else {
        out.axis_chunks_iter_mut(Axis(0), PRODUCT_ROWS).enumerate().for_each(block);
    }
    out
}

/// `x · v + bias` for one coefficient vector (the linear regressors' predict), as
/// [`matmul_rows`].
pub fn matvec_rows(x: ArrayView2<'_, f64>, v: ArrayView1<'_, f64>, bias: f64) -> Array1<f64> {
    let b = v.insert_axis(Axis(1));
    let bias = [bias];
    let out = matmul_rows(x, b, Some(ArrayView1::from(&bias[..])));
    out.into_shape_with_order(x.nrows()).expect("one column, row-major")
}

/// The fused finiteness check of the cheap predictions: `witness` holds one output value per
/// row of `x` that is non-finite whenever that row has a non-finite value (a linear function of
/// the row with any coefficients: `inf · 0` is NaN, `inf - inf` is NaN). When some witness is
/// not finite, `x` is scanned for the exact error of [`oxlearn_core::validate::check_finite`];
/// a finite `x` whose output overflowed passes, as it would have before.
///
/// # Errors
/// [`Error::NonFinite`] at the first non-finite value of `x` (row-major order).
pub fn check_finite_via<'a>(x: ArrayView2<'_, f64>, witness: impl IntoIterator<Item = &'a f64>) -> Result<()> {
    if witness.into_iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    oxlearn_core::validate::check_finite(x, false)
}

/// Mean of each column: per-block sums (blocks of 4096 rows, in parallel, each summed row
/// by row) added in block order, one row-major pass, the same result for any thread count.
pub fn column_means(x: ArrayView2<'_, f64>) -> Array1<f64> {
    const BLOCK: usize = 4096;
    let n = x.nrows().max(1) as f64;
    let block_sum = |xb: ArrayView2<'_, f64>| {
        let mut acc = vec![0.0; xb.ncols()];
        for r in xb.outer_iter() {
            match r.as_slice() {
                Some(rs) => acc.iter_mut().zip(rs).for_each(|(a, &v)| *a += v),
                None => acc.iter_mut().zip(r.iter()).for_each(|(a, &v)| *a += v),
            }
        }
        Array1::from(acc)
    };
    let parts: Vec<Array1<f64>> = if x.nrows() > BLOCK && rayon::current_num_threads() > 1 {
        x.axis_chunks_iter(Axis(0), BLOCK).into_par_iter().map(block_sum).collect()
    } else {
        x.axis_chunks_iter(Axis(0), BLOCK).map(block_sum).collect()
    };
    parts.into_iter().fold(Array1::zeros(x.ncols()), |acc, p| acc + p) / n
}

/// Squared Euclidean norm of each row (`‖x_i‖²`, as scikit-learn's `row_norms(squared=True)`).
pub fn row_norms_sq(x: ArrayView2<'_, f64>) -> Array1<f64> {
    x.outer_iter().map(|r| r.dot(&r)).collect()
}

/// Squared Euclidean norm of each column.
pub fn column_norms_sq(x: ArrayView2<'_, f64>) -> Array1<f64> {
    x.axis_iter(Axis(1)).map(|c| c.dot(&c)).collect()
}

/// `Xᵀ X` (the Gram matrix of the columns), `p x p`.
pub fn gram(x: ArrayView2<'_, f64>) -> Array2<f64> {
    block_gram(x, None, None).0
}

/// `(X - 1 meanᵀ)ᵀ (X - 1 meanᵀ)` without materialising the centred matrix: rows are centred in
/// cache-sized blocks, which avoids the cancellation of `XᵀX - n·mean·meanᵀ`.
///
/// # Panics
/// When `mean.len() != x.ncols()` (an internal invariant).
pub fn centered_gram(x: ArrayView2<'_, f64>, mean: ArrayView1<'_, f64>) -> Array2<f64> {
    block_gram(x, Some(mean), None).0
}

/// The centred Gram matrix and the centred cross-product in one pass over `X`:
/// `(Xc ᵀ Xc, Xcᵀ yc)` with `Xc = X - 1 x_meanᵀ`, `yc = y - y_mean`.
///
/// # Panics
/// When the lengths do not agree (an internal invariant).
pub fn centered_gram_xy(
    x: ArrayView2<'_, f64>,
    x_mean: ArrayView1<'_, f64>,
    y: ArrayView1<'_, f64>,
    y_mean: f64,
) -> (Array2<f64>, Array1<f64>) {
    let (g, xy) = block_gram(x, Some(x_mean), Some((y, y_mean)));
    (g, xy.expect("cross product requested"))
}

/// The Gram matrix of `[X - 1 meanᵀ | y - y_mean]` by row blocks, reduced in a fixed order.
fn block_gram(
    x: ArrayView2<'_, f64>,
    mean: Option<ArrayView1<'_, f64>>,
    y: Option<(ArrayView1<'_, f64>, f64)>,
) -> (Array2<f64>, Option<Array1<f64>>) {
    let (n, p) = x.dim();
    if let Some(m) = mean {
        assert_eq!(m.len(), p, "mean length");
    }
    if let Some((y, _)) = y {
        assert_eq!(y.len(), n, "y length");
    }
    let q = p + usize::from(y.is_some());
    let chunks: Vec<_> = oxlearn_core::parallel::fixed_chunks(n, ROW_CHUNK).collect();
    let partial = |r: std::ops::Range<usize>| -> Array2<f64> {
        // Row-major block `[Xb - mean | yb - y_mean]`, filled row by row (contiguous reads and
        // writes), then one sequential faer product `Bᵀ B`.
        let len = r.len();
        let mut block = Array2::<f64>::zeros((len, q));
        for (mut dst, i) in block.outer_iter_mut().zip(r.clone()) {
            let dst = dst.as_slice_mut().expect("row of a fresh row-major array");
            let src = x.row(i);
            match (src.as_slice(), mean) {
                (Some(src), Some(m)) => dst[..p].iter_mut().zip(src).zip(m).for_each(|((d, s), m)| *d = s - m),
                (Some(src), None) => dst[..p].copy_from_slice(src),
                (None, _) => {
                    dst[..p].iter_mut().enumerate().for_each(|(j, d)| *d = src[j] - mean.map_or(0.0, |m| m[j]))
                }
            }
            if let Some((y, ym)) = y {
                dst[p] = y[i] - ym;
            }
        }
        let mut g = Array2::<f64>::zeros((q, q));
        faer_matmul(
            as_faer_mut(g.view_mut()),
            Accum::Replace,
            as_faer(block.t()),
            as_faer(block.view()),
            1.0,
            Par::Seq,
        );
        g
    };
    let parts: Vec<Array2<f64>> = if chunks.len() > 1 {
        chunks.into_par_iter().map(partial).collect()
    } else {
        chunks.into_iter().map(partial).collect()
    };
    let mut g = Array2::<f64>::zeros((q, q));
    for part in &parts {
        g += part;
    }
    if y.is_some() {
        let xy = g.slice(s![..p, p]).to_owned();
        (g.slice(s![..p, ..p]).to_owned(), Some(xy))
    } else {
        (g, None)
    }
}

/// Solves `A X = B` for a symmetric positive definite `A` by Cholesky (`LLᵀ`).
/// Returns `None` when `A` is not numerically positive definite (a pivot at most
/// `n · ε · max|A_ii|`), so callers can fall back to an SVD path.
///
/// # Panics
/// When the shapes do not agree (an internal invariant).
pub fn cholesky_solve(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    assert!(a.nrows() == a.ncols() && a.nrows() == b.nrows(), "cholesky shapes");
    use faer::linalg::solvers::Solve;
    let llt = as_faer(a).llt(Side::Lower).ok()?;
    // A pivot that is tiny against the largest diagonal entry means A is singular to working
    // precision: the solve would be noise, so report failure instead.
    let l = llt.L();
    let n = a.nrows();
    let max_diag = a.diag().iter().fold(0.0f64, |m, &v| m.max(v.abs()));
    let min_pivot = (0..n).map(|i| l[(i, i)] * l[(i, i)]).fold(f64::INFINITY, f64::min);
    if n > 0 && min_pivot <= n as f64 * f64::EPSILON * max_diag {
        return None;
    }
    let sol = llt.solve(as_faer(b));
    let out = to_ndarray(sol.as_ref());
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// Eigen-decomposition of a symmetric matrix (only the lower triangle is read): eigenvalues in
/// ascending order and the matching orthonormal eigenvectors as the columns of the second array.
///
/// # Errors
/// [`Error::Numerical`] when the iteration does not converge (non-finite input).
pub fn sym_eigh(a: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    assert_eq!(a.nrows(), a.ncols(), "sym_eigh needs a square matrix");
    let evd = as_faer(a).self_adjoint_eigen(Side::Lower).map_err(|e| Error::Numerical {
        estimator: "sym_eigh".into(),
        reason: format!("eigen-decomposition failed: {e:?}"),
    })?;
    let s = evd.S().column_vector();
    let values = Array1::from_shape_fn(s.nrows(), |i| s[i]);
    Ok((values, to_ndarray(evd.U())))
}

/// Thin singular value decomposition `A = U diag(s) Vᵀ`: `U` is `m x k`, `s` has `k` values in
/// non-increasing order and `Vᵀ` is `k x n`, with `k = min(m, n)`.
///
/// # Errors
/// [`Error::Numerical`] when the iteration does not converge (non-finite input).
pub fn svd(a: ArrayView2<'_, f64>) -> Result<(Array2<f64>, Array1<f64>, Array2<f64>)> {
    let dec = as_faer(a).thin_svd().map_err(|e| Error::Numerical {
        estimator: "svd".into(),
        reason: format!("singular value decomposition failed: {e:?}"),
    })?;
    let s = dec.S().column_vector();
    let values = Array1::from_shape_fn(s.nrows(), |i| s[i]);
    let v = dec.V();
    let vt = Array2::from_shape_fn((v.ncols(), v.nrows()), |(i, j)| v[(j, i)]);
    Ok((to_ndarray(dec.U()), values, vt))
}

/// Householder QR of `a` in place (prefer a column-major `a`); returns the upper-trapezoidal
/// factor `R` (`min(m, n) x n`). The Householder vectors are left below the diagonal of `a`.
pub fn qr_r_in_place(a: ArrayViewMut2<'_, f64>) -> Array2<f64> {
    use faer::linalg::qr::no_pivoting::factor::{qr_in_place, qr_in_place_scratch, recommended_block_size};
    let (m, n) = a.dim();
    let k = m.min(n);
    if k == 0 {
        return Array2::zeros((0, n));
    }
    let mut fa = as_faer_mut(a);
    let bs = recommended_block_size::<f64>(m, n);
    let mut coeff = faer::Mat::<f64>::zeros(bs, k);
    let par = par_for(m * n * n);
    let mut buf = MemBuffer::new(qr_in_place_scratch::<f64>(m, n, bs, par, Default::default()));
    qr_in_place(fa.as_mut(), coeff.as_mut(), par, MemStack::new(&mut buf), Default::default());
    let fa = fa.as_ref();
    Array2::from_shape_fn((k, n), |(i, j)| if j >= i { fa[(i, j)] } else { 0.0 })
}

/// Least squares with the minimum-norm solution for rank-deficient `R`-factor systems:
/// `argmin ‖r w - z‖` of least norm, through the SVD of the small `r` (`k x p`). Singular values
/// at most `rcond · s_max` count as zero (scikit-learn's `LinearRegression` uses
/// `rcond = max(n_samples, n_features) · ε`). Also returns the singular values and the rank.
///
/// # Errors
/// [`Error::Numerical`] when the SVD fails.
pub fn min_norm_solve(
    r: ArrayView2<'_, f64>,
    z: ArrayView1<'_, f64>,
    rcond: f64,
) -> Result<(Array1<f64>, Array1<f64>, usize)> {
    let (u, s, vt) = svd(r)?;
    let smax = s.iter().copied().fold(0.0f64, f64::max);
    let cut = rcond * smax;
    let utz = u.t().dot(&z);
    let mut rank = 0;
    let scaled = Array1::from_shape_fn(s.len(), |i| {
        if s[i] > cut && s[i] > 0.0 {
            rank += 1;
            utz[i] / s[i]
        } else {
            0.0
        }
    });
    Ok((vt.t().dot(&scaled), s, rank))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    fn sample(n: usize, p: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, p), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 3.0 + (i as f64).sin())
    }

    fn close(a: &Array2<f64>, b: &Array2<f64>, tol: f64) {
        assert_eq!(a.dim(), b.dim());
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn matmul_any_layout() {
        let a = sample(37, 5);
        let b = sample(5, 9);
        let want = a.dot(&b);
        close(&matmul(a.view(), b.view()), &want, 1e-12);
        let af = a.t().to_owned().reversed_axes(); // column-major copy
        close(&matmul(af.view(), b.view()), &want, 1e-12);
        let big = sample(74, 10);
        let strided = big.slice(s![..;2, ..;2]);
        close(&matmul(strided, b.view()), &strided.dot(&b), 1e-12);
        let neg = a.slice(s![..;-1, ..]);
        close(&matmul(neg, b.view()), &neg.dot(&b), 1e-12);
    }

    #[test]
    fn row_blocked_products() {
        let x = sample(3 * PRODUCT_ROWS + 17, 6);
        let b = sample(6, 3);
        let bias = array![1.0, -2.0, 0.5];
        let want = x.dot(&b) + &bias;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let got = pool.install(|| matmul_rows(x.view(), b.view(), Some(bias.view())));
        close(&got, &want, 1e-12);
        assert_eq!(got, matmul_rows(x.view(), b.view(), Some(bias.view())));
        let v = b.column(1);
        let got = matvec_rows(x.view(), v, 3.0);
        let want = x.dot(&v) + 3.0;
        for (a, w) in got.iter().zip(&want) {
            assert!((a - w).abs() < 1e-10);
        }
        let mut bad = x.clone();
        bad[[5, 2]] = f64::INFINITY;
        let out = matvec_rows(bad.view(), v, 0.0);
        assert!(!out[5].is_finite());
        assert!(matches!(check_finite_via(bad.view(), &out), Err(Error::NonFinite { row: 5, column: Some(2), .. })));
        assert!(check_finite_via(x.view(), &got).is_ok());
    }

    #[test]
    fn grams() {
        let x = sample(5000, 6);
        close(&gram(x.view()), &x.t().dot(&x), 1e-12);
        let m = column_means(x.view());
        let xc = &x - &m;
        close(&centered_gram(x.view(), m.view()), &xc.t().dot(&xc), 1e-12);
        let y = Array1::from_shape_fn(5000, |i| (i as f64).cos());
        let ym = y.mean().unwrap();
        let (g, xy) = centered_gram_xy(x.view(), m.view(), y.view(), ym);
        close(&g, &xc.t().dot(&xc), 1e-12);
        let want = xc.t().dot(&y.mapv(|v| v - ym));
        for (a, b) in xy.iter().zip(want.iter()) {
            assert!((a - b).abs() < 1e-9);
        }
        assert_eq!(row_norms_sq(array![[3.0, 4.0]].view()), array![25.0]);
    }

    #[test]
    fn solves() {
        let a = array![[4.0, 1.0], [1.0, 3.0]];
        let b = array![[1.0], [2.0]];
        let x = cholesky_solve(a.view(), b.view()).unwrap();
        close(&a.dot(&x), &b, 1e-12);
        assert!(cholesky_solve(array![[1.0, 1.0], [1.0, 1.0]].view(), b.view()).is_none());
        let (vals, vecs) = sym_eigh(a.view()).unwrap();
        assert!(vals[0] <= vals[1]);
        close(&a.dot(&vecs), &(&vecs * &vals), 1e-12);
        let m = sample(8, 3);
        let (u, s, vt) = svd(m.view()).unwrap();
        close(&(&u * &s).dot(&vt), &m, 1e-12);
    }

    #[test]
    fn qr_and_min_norm() {
        let x = sample(50, 4);
        let mut a = x.t().to_owned().reversed_axes();
        let r = qr_r_in_place(a.view_mut());
        close(&r.t().dot(&r), &x.t().dot(&x), 1e-10);
        // Duplicate column: minimum-norm solution splits the weight evenly.
        let r = array![[1.0, 1.0], [0.0, 0.0]];
        let (w, _, rank) = min_norm_solve(r.view(), array![2.0, 0.0].view(), 1e-12).unwrap();
        assert_eq!(rank, 1);
        assert!((w[0] - 1.0).abs() < 1e-12 && (w[1] - 1.0).abs() < 1e-12);
    }
}
