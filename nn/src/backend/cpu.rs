//! The CPU backend: f32 kernels over host vectors, GEMM from the `gemm` crate, rayon for the
//! elementwise kernels that are large enough to pay for it.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use gemm::Parallelism;
use oxlearn_core::Result;
use rayon::prelude::*;

use super::{Activation, AdamStep, Backend, SgdStep, Trans, logistic};
use crate::device::Device;

/// Elementwise kernels shorter than this run on one thread: below it, waking the pool costs more
/// than the work.
const PAR_MIN_LEN: usize = 1 << 16;
/// Chunk length of the parallel elementwise kernels (fixed, so results never depend on the
/// thread count; elementwise kernels are exact anyway).
const PAR_CHUNK: usize = 1 << 14;

/// GEMMs with fewer multiply-adds than this run their blocks on one thread.
const GEMM_PAR_MIN: usize = 1 << 18;

static PROFILE: AtomicBool = AtomicBool::new(false);
static GEMM_NANOS: AtomicU64 = AtomicU64::new(0);
static GEMM_FLOPS: AtomicU64 = AtomicU64::new(0);
static GEMM_CALLS: AtomicU64 = AtomicU64::new(0);

/// Time spent in GEMM by every [`CpuBackend`] of the process since profiling was switched on.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GemmProfile {
    /// Wall seconds inside GEMM calls.
    pub seconds: f64,
    /// Floating-point operations (`2 m n k` per call).
    pub flops: u64,
    /// Number of calls.
    pub calls: u64,
}

impl GemmProfile {
    /// Achieved GFLOP/s inside GEMM.
    pub fn gflops(&self) -> f64 {
        if self.seconds > 0.0 { self.flops as f64 / self.seconds / 1e9 } else { 0.0 }
    }
}

/// Switches GEMM timing on or off (off by default; for benchmarks) and resets the counters.
pub fn set_gemm_profiling(on: bool) {
    GEMM_NANOS.store(0, Ordering::Relaxed);
    GEMM_FLOPS.store(0, Ordering::Relaxed);
    GEMM_CALLS.store(0, Ordering::Relaxed);
    PROFILE.store(on, Ordering::Relaxed);
}

/// The GEMM counters since [`set_gemm_profiling`]`(true)`.
pub fn gemm_profile() -> GemmProfile {
    GemmProfile {
        seconds: GEMM_NANOS.load(Ordering::Relaxed) as f64 * 1e-9,
        flops: GEMM_FLOPS.load(Ordering::Relaxed),
        calls: GEMM_CALLS.load(Ordering::Relaxed),
    }
}

/// The CPU backend. `threads` bounds the GEMM threads; elementwise kernels use the current
/// rayon pool (a fit runs inside a pool of `n_jobs` threads).
#[derive(Debug, Clone)]
pub struct CpuBackend {
    threads: usize,
}

impl CpuBackend {
    /// A backend using up to `threads` threads (at least 1).
    pub fn new(threads: usize) -> Self {
        CpuBackend { threads: threads.max(1) }
    }

    /// The thread bound.
    pub fn threads(&self) -> usize {
        self.threads
    }

    fn par(&self, len: usize) -> bool {
        self.threads > 1 && len >= PAR_MIN_LEN
    }
}

impl Default for CpuBackend {
    fn default() -> Self {
        CpuBackend::new(rayon::current_num_threads())
    }
}

/// Single-precision GEMM on row-major packed matrices through the `gemm` crate:
/// `C = alpha op(A) op(B) + beta C`. Public for the GEMM-peak benchmark.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    ta: Trans,
    b: &[f32],
    tb: Trans,
    beta: f32,
    c: &mut [f32],
    parallelism: Parallelism,
) {
    assert!(c.len() >= m * n && a.len() >= m * k && b.len() >= k * n, "gemm operands too small");
    if m == 0 || n == 0 {
        return;
    }
    // Row-major strides of op(A) (m x k): stored (m x k) -> (rs k, cs 1); stored (k x m) and
    // transposed -> (rs 1, cs m).
    let (a_rs, a_cs) = match ta {
        Trans::No => (k as isize, 1),
        Trans::Yes => (1, m as isize),
    };
    let (b_rs, b_cs) = match tb {
        Trans::No => (n as isize, 1),
        Trans::Yes => (1, k as isize),
    };
    let start = PROFILE.load(Ordering::Relaxed).then(Instant::now);
    // SAFETY: the pointers come from slices at least as long as the strided extents asserted
    // above; `c` is borrowed mutably and cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            beta != 0.0,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            beta,
            alpha,
            false,
            false,
            false,
            parallelism,
        );
    }
    if let Some(start) = start {
        GEMM_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        GEMM_FLOPS.fetch_add(2 * (m * n * k) as u64, Ordering::Relaxed);
        GEMM_CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Rows (or columns) of `C` per block of [`CpuBackend`]'s GEMM. Fixed, so the blocks, and with
/// them every computed value, do not depend on the thread count.
const GEMM_BLOCK: usize = 128;

/// A pointer that may cross to another rayon task (each task writes a disjoint block of `C`).
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: used only to hand disjoint output blocks of one GEMM to parallel tasks.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}

/// `C = alpha op(A) op(B) + beta C` in fixed blocks of [`GEMM_BLOCK`] rows of `C` (or columns,
/// when `C` is wider than tall), the blocks run on the current rayon pool when `parallel`. Each
/// block is one single-threaded call of the `gemm` crate, so the result is bit-identical
/// whatever the number of threads; small products on few threads cost no synchronisation.
#[allow(clippy::too_many_arguments)]
fn sgemm_blocked(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    ta: Trans,
    b: &[f32],
    tb: Trans,
    beta: f32,
    c: &mut [f32],
    parallel: bool,
) {
    assert!(c.len() >= m * n && a.len() >= m * k && b.len() >= k * n, "gemm operands too small");
    if m == 0 || n == 0 {
        return;
    }
    let (a_rs, a_cs) = match ta {
        Trans::No => (k as isize, 1isize),
        Trans::Yes => (1, m as isize),
    };
    let (b_rs, b_cs) = match tb {
        Trans::No => (n as isize, 1isize),
        Trans::Yes => (1, k as isize),
    };
    let by_rows = m >= n;
    let blocks = if by_rows { m } else { n }.div_ceil(GEMM_BLOCK);
    let (a_ptr, b_ptr, c_ptr) =
        (SendPtr(a.as_ptr() as *mut f32), SendPtr(b.as_ptr() as *mut f32), SendPtr(c.as_mut_ptr()));
    let block = move |i: usize| {
        let (a_ptr, b_ptr, c_ptr) = (a_ptr, b_ptr, c_ptr);
        let start = i * GEMM_BLOCK;
        let (rows, cols, a_off, b_off, c_off) = if by_rows {
            let rows = GEMM_BLOCK.min(m - start);
            (rows, n, start as isize * a_rs, 0, start * n)
        } else {
            let cols = GEMM_BLOCK.min(n - start);
            (m, cols, 0, start as isize * b_cs, start)
        };
        // SAFETY: the offsets and strides stay inside `a`, `b` and `c` (asserted above); blocks
        // write disjoint parts of `c`, which does not alias `a` or `b`.
        unsafe {
            gemm::gemm(
                rows,
                cols,
                k,
                c_ptr.0.add(c_off),
                1,
                n as isize,
                beta != 0.0,
                a_ptr.0.offset(a_off),
                a_cs,
                a_rs,
                b_ptr.0.offset(b_off),
                b_cs,
                b_rs,
                beta,
                alpha,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    };
    if parallel && blocks > 1 {
        (0..blocks).into_par_iter().for_each(block);
    } else {
        (0..blocks).for_each(block);
    }
}

/// Double-precision GEMM with the same conventions (the prediction path).
#[allow(clippy::too_many_arguments)]
pub fn dgemm(m: usize, n: usize, k: usize, a: &[f64], b: &[f64], c: &mut [f64], parallelism: Parallelism) {
    assert!(c.len() >= m * n && a.len() >= m * k && b.len() >= k * n, "gemm operands too small");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: as in `sgemm`; all three matrices are row-major and packed.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

impl Backend for CpuBackend {
    type Buf = Vec<f32>;
    type Idx = Vec<u32>;

    fn device(&self) -> Device {
        Device::Cpu
    }

    fn zeros(&self, len: usize) -> Result<Vec<f32>> {
        Ok(vec![0.0; len])
    }

    fn upload(&self, host: &[f32]) -> Result<Vec<f32>> {
        Ok(host.to_vec())
    }

    fn write(&self, dst: &mut Vec<f32>, host: &[f32]) -> Result<()> {
        dst[..host.len()].copy_from_slice(host);
        Ok(())
    }

    fn download(&self, src: &Vec<f32>, host: &mut [f32]) -> Result<()> {
        host.copy_from_slice(&src[..host.len()]);
        Ok(())
    }

    fn read_scalar(&self, src: &Vec<f32>) -> Result<f64> {
        Ok(f64::from(src[0]))
    }

    fn upload_idx(&self, host: &[u32]) -> Result<Vec<u32>> {
        Ok(host.to_vec())
    }

    fn write_idx(&self, dst: &mut Vec<u32>, host: &[u32]) -> Result<()> {
        dst[..host.len()].copy_from_slice(host);
        Ok(())
    }

    fn fill(&self, dst: &mut Vec<f32>, len: usize, value: f32) {
        dst[..len].fill(value);
    }

    fn scale_copy(&self, src: &Vec<f32>, alpha: f32, dst: &mut Vec<f32>, len: usize) {
        for (d, &s) in dst[..len].iter_mut().zip(&src[..len]) {
            *d = alpha * s;
        }
    }

    fn gather_rows(&self, src: &Vec<f32>, cols: usize, order: &Vec<u32>, range: Range<usize>, dst: &mut Vec<f32>) {
        let rows = &order[range];
        let copy = |(d, &r): (&mut [f32], &u32)| {
            let r = r as usize;
            d.copy_from_slice(&src[r * cols..(r + 1) * cols]);
        };
        let dst = &mut dst[..rows.len() * cols];
        if self.par(dst.len()) {
            dst.par_chunks_mut(cols).zip(rows.par_iter()).for_each(copy);
        } else {
            dst.chunks_mut(cols).zip(rows.iter()).for_each(copy);
        }
    }

    fn gather_idx(&self, src: &Vec<u32>, order: &Vec<u32>, range: Range<usize>, dst: &mut Vec<u32>) {
        let rows = &order[range];
        for (d, &r) in dst[..rows.len()].iter_mut().zip(rows) {
            *d = src[r as usize];
        }
    }

    fn gemm(
        &self,
        m: usize,
        n: usize,
        k: usize,
        alpha: f32,
        a: &Vec<f32>,
        ta: Trans,
        b: &Vec<f32>,
        tb: Trans,
        beta: f32,
        c: &mut Vec<f32>,
    ) {
        let start = PROFILE.load(Ordering::Relaxed).then(Instant::now);
        sgemm_blocked(m, n, k, alpha, a, ta, b, tb, beta, c, self.threads > 1 && m * n * k >= GEMM_PAR_MIN);
        if let Some(start) = start {
            GEMM_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            GEMM_FLOPS.fetch_add(2 * (m * n * k) as u64, Ordering::Relaxed);
            GEMM_CALLS.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn bias_act(&self, z: &mut Vec<f32>, rows: usize, cols: usize, bias: &Vec<f32>, act: Activation) {
        let bias = &bias[..cols];
        let kernel = |row: &mut [f32]| match act {
            // Monomorphic loops so the compiler vectorises the cheap activations.
            Activation::Identity => row.iter_mut().zip(bias).for_each(|(v, b)| *v += b),
            Activation::Relu => row.iter_mut().zip(bias).for_each(|(v, b)| *v = (*v + b).max(0.0)),
            _ => row.iter_mut().zip(bias).for_each(|(v, b)| *v = act.apply(*v + b)),
        };
        let z = &mut z[..rows * cols];
        if self.par(z.len())
            || (self.threads > 1
                && z.len() >= PAR_MIN_LEN / 8
                && matches!(act, Activation::Tanh | Activation::Logistic))
        {
            let rows_per_chunk = (PAR_CHUNK / cols).max(1);
            z.par_chunks_mut(rows_per_chunk * cols).for_each(|chunk| chunk.chunks_mut(cols).for_each(kernel));
        } else {
            z.chunks_mut(cols).for_each(kernel);
        }
    }

    fn act_backward(&self, a: &Vec<f32>, delta: &mut Vec<f32>, len: usize, act: Activation) {
        // One monomorphic, branch-free loop per activation so that it vectorises (a data-dependent
        // branch on the ReLU mask mispredicts about half the time).
        fn run(d: &mut [f32], a: &[f32], act: Activation) {
            match act {
                Activation::Identity => {}
                Activation::Relu => d.iter_mut().zip(a).for_each(|(d, &a)| *d = if a > 0.0 { *d } else { 0.0 }),
                Activation::Logistic => d.iter_mut().zip(a).for_each(|(d, &a)| *d *= a * (1.0 - a)),
                Activation::Tanh => d.iter_mut().zip(a).for_each(|(d, &a)| *d *= 1.0 - a * a),
            }
        }
        if act == Activation::Identity {
            return;
        }
        let (a, delta) = (&a[..len], &mut delta[..len]);
        if self.par(len) {
            delta.par_chunks_mut(PAR_CHUNK).zip(a.par_chunks(PAR_CHUNK)).for_each(|(d, a)| run(d, a, act));
        } else {
            run(delta, a, act);
        }
    }

    fn softmax_xent(
        &self,
        z: &Vec<f32>,
        labels: &Vec<u32>,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut Vec<f32>,
        loss: &mut Vec<f32>,
    ) {
        let mut total = 0.0f64;
        for ((zr, gr), &y) in
            z[..rows * cols].chunks(cols).zip(grad[..rows * cols].chunks_mut(cols)).zip(&labels[..rows])
        {
            let max = zr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0f32;
            for (g, &v) in gr.iter_mut().zip(zr) {
                let e = (v - max).exp();
                *g = e;
                sum += e;
            }
            let inv = 1.0 / sum;
            for g in gr.iter_mut() {
                *g *= inv * scale;
            }
            let y = y as usize;
            gr[y] -= scale;
            // -log softmax(z)[y] = log(sum) - (z_y - max), exact even where p_y underflows.
            total += f64::from(sum.ln() - (zr[y] - max));
        }
        loss[0] += total as f32;
    }

    fn logistic_xent(
        &self,
        z: &Vec<f32>,
        labels: &Vec<u32>,
        rows: usize,
        scale: f32,
        grad: &mut Vec<f32>,
        loss: &mut Vec<f32>,
    ) {
        let mut total = 0.0f64;
        for ((&zr, g), &y) in z[..rows].iter().zip(&mut grad[..rows]).zip(&labels[..rows]) {
            let y = y as f32;
            *g = scale * (logistic(zr) - y);
            // -[y log p + (1 - y) log(1 - p)] = softplus(z) - y z, computed stably.
            let softplus = zr.max(0.0) + (-zr.abs()).exp().ln_1p();
            total += f64::from(softplus - y * zr);
        }
        loss[0] += total as f32;
    }

    fn squared_error(
        &self,
        pred: &Vec<f32>,
        target: &Vec<f32>,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut Vec<f32>,
        loss: &mut Vec<f32>,
    ) {
        let len = rows * cols;
        let mut total = 0.0f64;
        for ((&p, &t), g) in pred[..len].iter().zip(&target[..len]).zip(&mut grad[..len]) {
            let d = p - t;
            *g = scale * d;
            total += f64::from(d) * f64::from(d);
        }
        loss[0] += (total / (2.0 * cols as f64)) as f32;
    }

    fn col_sums(&self, m: &Vec<f32>, rows: usize, cols: usize, alpha: f32, out: &mut Vec<f32>) {
        let out = &mut out[..cols];
        out.fill(0.0);
        for row in m[..rows * cols].chunks(cols) {
            out.iter_mut().zip(row).for_each(|(o, v)| *o += v);
        }
        out.iter_mut().for_each(|o| *o *= alpha);
    }

    fn sum_squares(&self, x: &Vec<f32>, len: usize, scale: f32, loss: &mut Vec<f32>) {
        // Eight f32 lanes (vectorised), widened to f64 once per lane: accurate and fixed-order.
        let mut lanes = [0.0f32; 8];
        let chunks = x[..len].chunks_exact(8);
        let rest: f64 = chunks.remainder().iter().map(|&v| f64::from(v * v)).sum();
        for c in chunks {
            for (l, &v) in lanes.iter_mut().zip(c) {
                *l += v * v;
            }
        }
        let total: f64 = lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + rest;
        loss[0] += (f64::from(scale) * total) as f32;
    }

    fn adam(
        &self,
        param: &mut Vec<f32>,
        grad: &Vec<f32>,
        m: &mut Vec<f32>,
        v: &mut Vec<f32>,
        len: usize,
        step: AdamStep,
    ) {
        let AdamStep { lr, beta_1, beta_2, epsilon } = step;
        let kernel = |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            // Zipped iterators (no bounds checks) so the update vectorises.
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let mi = beta_1 * *m + (1.0 - beta_1) * g;
                let vi = beta_2 * *v + (1.0 - beta_2) * g * g;
                *m = mi;
                *v = vi;
                *p -= lr * mi / (vi.sqrt() + epsilon);
            }
        };
        let (p, g, m, v) = (&mut param[..len], &grad[..len], &mut m[..len], &mut v[..len]);
        if self.par(len) {
            p.par_chunks_mut(PAR_CHUNK)
                .zip(g.par_chunks(PAR_CHUNK))
                .zip(m.par_chunks_mut(PAR_CHUNK))
                .zip(v.par_chunks_mut(PAR_CHUNK))
                .for_each(|(((p, g), m), v)| kernel(p, g, m, v));
        } else {
            kernel(p, g, m, v);
        }
    }

    fn sgd(&self, param: &mut Vec<f32>, grad: &Vec<f32>, velocity: &mut Vec<f32>, len: usize, step: SgdStep) {
        let SgdStep { lr, momentum, nesterov } = step;
        for ((p, &g), vel) in param[..len].iter_mut().zip(&grad[..len]).zip(&mut velocity[..len]) {
            let v = momentum * *vel - lr * g;
            *vel = v;
            *p += if nesterov { momentum * v - lr * g } else { v };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_transposes_match_naive() {
        let (m, n, k) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let naive = |i: usize, j: usize| (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum::<f32>();
        let mut c = vec![1.0f32; m * n];
        sgemm(m, n, k, 2.0, &a, Trans::No, &b, Trans::No, 0.5, &mut c, Parallelism::None);
        for i in 0..m {
            for j in 0..n {
                assert!((c[i * n + j] - (2.0 * naive(i, j) + 0.5)).abs() < 1e-5);
            }
        }
        // Transposed operands: store A^T (k x m) and B^T (n x k).
        let at: Vec<f32> = (0..k * m).map(|idx| a[(idx % m) * k + idx / m]).collect();
        let bt: Vec<f32> = (0..n * k).map(|idx| b[(idx % k) * n + idx / k]).collect();
        let mut c2 = vec![0.0f32; m * n];
        sgemm(m, n, k, 1.0, &at, Trans::Yes, &bt, Trans::Yes, 0.0, &mut c2, Parallelism::None);
        for i in 0..m {
            for j in 0..n {
                assert!((c2[i * n + j] - naive(i, j)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn blocked_gemm_matches_naive_for_every_transpose_and_thread_count() {
        // Shapes that split into several row blocks (m > n) and column blocks (n > m).
        for (m, n, k) in [(300, 150, 70), (70, 290, 130)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 97) as f32 - 48.0) * 0.01).collect();
            let naive =
                |i: usize, j: usize| (0..k).map(|p| f64::from(a[i * k + p]) * f64::from(b[p * n + j])).sum::<f64>();
            let at: Vec<f32> = (0..k * m).map(|idx| a[(idx % m) * k + idx / m]).collect();
            let bt: Vec<f32> = (0..n * k).map(|idx| b[(idx % k) * n + idx / k]).collect();
            for (ta, tb) in
                [(Trans::No, Trans::No), (Trans::Yes, Trans::No), (Trans::No, Trans::Yes), (Trans::Yes, Trans::Yes)]
            {
                let lhs = if ta == Trans::No { &a } else { &at };
                let rhs = if tb == Trans::No { &b } else { &bt };
                let mut serial = vec![0.5f32; m * n];
                sgemm_blocked(m, n, k, 2.0, lhs, ta, rhs, tb, 1.0, &mut serial, false);
                let mut parallel = vec![0.5f32; m * n];
                let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
                pool.install(|| sgemm_blocked(m, n, k, 2.0, lhs, ta, rhs, tb, 1.0, &mut parallel, true));
                assert_eq!(serial, parallel, "{ta:?} {tb:?}: thread count changed the bits");
                for i in 0..m {
                    for j in 0..n {
                        let want = 2.0 * naive(i, j) + 0.5;
                        assert!((f64::from(serial[i * n + j]) - want).abs() < 1e-3, "{ta:?} {tb:?} ({i}, {j})");
                    }
                }
            }
        }
    }

    #[test]
    fn softmax_xent_gradient_rows_sum_to_zero() {
        let cpu = CpuBackend::new(1);
        let z = vec![1.0, 2.0, 3.0, -1.0, 0.0, 1000.0];
        let labels = vec![2, 0];
        let mut grad = vec![0.0; 6];
        let mut loss = vec![0.0];
        cpu.softmax_xent(&z, &labels, 2, 3, 1.0, &mut grad, &mut loss);
        for row in grad.chunks(3) {
            assert!(row.iter().sum::<f32>().abs() < 1e-6);
        }
        // Row 1 puts all mass on class 2 while the label is 0: loss ~ 1001.
        assert!((loss[0] - (0.407_606 + 1001.0)).abs() < 1e-2, "{}", loss[0]);
    }
}
