//! The CPU backend: f32 kernels over host vectors, GEMM from the `gemm` crate, and a team of
//! spinning helper threads (the private `team` module) for the GEMM blocks and the elementwise
//! kernels that are large enough to pay for it.

mod team;

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use gemm::Parallelism;
use oxlearn_core::Result;

use self::team::Team;

use super::{Activation, AdamStep, Backend, SgdStep, Trans, logistic};
use crate::device::Device;

/// Elementwise kernels shorter than these run on one thread: below them, handing half of the
/// work to a helper costs more than it saves. (Elementwise results never depend on the split.)
const PAR_MIN_CHEAP: usize = 1 << 14;
/// The same for Adam (a square root and a division per value).
const PAR_MIN_ADAM: usize = 1 << 13;
/// The same for the minibatch gather (bound by memory latency).
const PAR_MIN_GATHER: usize = 1 << 12;
/// Columns per task of the parallel column sums (fixed, so each column is summed in the same
/// order whatever the thread count).
const COL_SUMS_BLOCK: usize = 64;

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

/// The non-GEMM kernels the profiler times, in the order of [`kernel_profile`].
const KERNEL_NAMES: [&str; 9] =
    ["gather", "bias_act", "act_backward", "loss", "col_sums", "optimizer", "fill", "sum_squares", "gemm"];
static KERNEL_NANOS: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];
static KERNEL_CALLS: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];

/// Index into [`KERNEL_NAMES`].
#[derive(Clone, Copy)]
enum Kernel {
    Gather = 0,
    BiasAct = 1,
    ActBackward = 2,
    Loss = 3,
    ColSums = 4,
    Optimizer = 5,
    Fill = 6,
    SumSquares = 7,
    Gemm = 8,
}

/// Runs `f`, adding its wall time to `kernel`'s counter when profiling is on.
#[inline(always)]
fn timed<R>(kernel: Kernel, f: impl FnOnce() -> R) -> R {
    let start = PROFILE.load(Ordering::Relaxed).then(Instant::now);
    let r = f();
    if let Some(start) = start {
        KERNEL_NANOS[kernel as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        KERNEL_CALLS[kernel as usize].fetch_add(1, Ordering::Relaxed);
    }
    r
}

/// Switches kernel timing on or off (off by default; for benchmarks) and resets the counters.
pub fn set_gemm_profiling(on: bool) {
    GEMM_NANOS.store(0, Ordering::Relaxed);
    GEMM_FLOPS.store(0, Ordering::Relaxed);
    GEMM_CALLS.store(0, Ordering::Relaxed);
    for (n, c) in KERNEL_NANOS.iter().zip(&KERNEL_CALLS) {
        n.store(0, Ordering::Relaxed);
        c.store(0, Ordering::Relaxed);
    }
    PROFILE.store(on, Ordering::Relaxed);
}

/// Wall seconds and calls per kernel kind of every [`CpuBackend`] since
/// [`set_gemm_profiling`]`(true)`: `(name, seconds, calls)`.
pub fn kernel_profile() -> Vec<(&'static str, f64, u64)> {
    KERNEL_NAMES
        .iter()
        .zip(KERNEL_NANOS.iter().zip(&KERNEL_CALLS))
        .map(|(&name, (n, c))| (name, n.load(Ordering::Relaxed) as f64 * 1e-9, c.load(Ordering::Relaxed)))
        .collect()
}

/// The GEMM counters since [`set_gemm_profiling`]`(true)`.
pub fn gemm_profile() -> GemmProfile {
    GemmProfile {
        seconds: GEMM_NANOS.load(Ordering::Relaxed) as f64 * 1e-9,
        flops: GEMM_FLOPS.load(Ordering::Relaxed),
        calls: GEMM_CALLS.load(Ordering::Relaxed),
    }
}

/// The CPU backend: kernels run on the calling thread and `threads - 1` helper threads of its
/// own (started with the backend, spinning briefly between kernels, stopped when the last clone
/// is dropped). Results do not depend on `threads`.
#[derive(Debug, Clone)]
pub struct CpuBackend {
    threads: usize,
    team: Arc<Team>,
}

impl CpuBackend {
    /// A backend using up to `threads` threads (at least 1).
    pub fn new(threads: usize) -> Self {
        let team = Arc::new(Team::new(threads.max(1)));
        CpuBackend { threads: team.threads(), team }
    }

    /// The thread bound.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` over `0..len` split into one contiguous range per thread when `len >= min_len`
    /// (for elementwise work, whose results do not depend on the split).
    fn for_ranges(&self, len: usize, min_len: usize, f: &(dyn Fn(Range<usize>) + Sync)) {
        if self.threads == 1 || len < min_len {
            f(0..len);
            return;
        }
        let chunk = len.div_ceil(self.threads).next_multiple_of(16);
        self.team.run(len.div_ceil(chunk), &|i| f(i * chunk..((i + 1) * chunk).min(len)));
    }
}

/// `&mut p[range]` from a raw pointer.
///
/// # Safety
/// `range` lies inside the allocation `p` points into, and no other live reference overlaps it.
unsafe fn sub_mut<'a>(p: SendPtr<f32>, range: &Range<usize>) -> &'a mut [f32] {
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts_mut(p.0.add(range.start), range.len()) }
}

impl Default for CpuBackend {
    fn default() -> Self {
        CpuBackend::new(rayon::current_num_threads())
    }
}

/// Row-major (row stride, column stride) of op(A) (`m x k`) and op(B) (`k x n`): stored as
/// is -> (row length, 1); stored transposed -> (1, stored row length).
fn op_strides(m: usize, n: usize, k: usize, ta: Trans, tb: Trans) -> ((isize, isize), (isize, isize)) {
    let a = match ta {
        Trans::No => (k as isize, 1),
        Trans::Yes => (1, m as isize),
    };
    let b = match tb {
        Trans::No => (n as isize, 1),
        Trans::Yes => (1, k as isize),
    };
    (a, b)
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
    let ((a_rs, a_cs), (b_rs, b_cs)) = op_strides(m, n, k, ta, tb);
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
/// The shortest row block: products with fewer than twice as many rows split by columns.
const GEMM_MIN_ROWS: usize = 16;

/// Rows per block for an `m`-row product: [`GEMM_BLOCK`], or half of `m` (a multiple of 16) for
/// shorter products, so that two threads share them. A function of the shape only.
fn gemm_row_block(m: usize) -> usize {
    if m >= 2 * GEMM_BLOCK { GEMM_BLOCK } else { m.div_ceil(2).next_multiple_of(GEMM_MIN_ROWS).max(GEMM_MIN_ROWS) }
}

/// A pointer that may cross to another thread (each task writes a disjoint block of `C`).
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: used only to hand disjoint output blocks of one GEMM to parallel tasks.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}

/// `C = alpha op(A) op(B) + beta C` in fixed blocks of [`GEMM_BLOCK`] rows of `C` (or columns,
/// when `C` is wider than tall), the blocks run on `team` when given. Each
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
    team: Option<&Team>,
) {
    assert!(c.len() >= m * n && a.len() >= m * k && b.len() >= k * n, "gemm operands too small");
    if m == 0 || n == 0 {
        return;
    }
    let ((a_rs, a_cs), (b_rs, b_cs)) = op_strides(m, n, k, ta, tb);
    // Row blocks keep each block's part of `C` contiguous, so that the elementwise kernels that
    // follow (split into contiguous ranges) touch the rows the same thread wrote; column blocks
    // only for products too short to split by rows.
    let by_rows = m >= 2 * GEMM_MIN_ROWS || m >= n;
    let block = if by_rows { gemm_row_block(m) } else { GEMM_BLOCK };
    let blocks = if by_rows { m } else { n }.div_ceil(block);
    let (a_ptr, b_ptr, c_ptr) =
        (SendPtr(a.as_ptr() as *mut f32), SendPtr(b.as_ptr() as *mut f32), SendPtr(c.as_mut_ptr()));
    let run_block = move |i: usize| {
        let (a_ptr, b_ptr, c_ptr) = (a_ptr, b_ptr, c_ptr);
        let start = i * block;
        let (rows, cols, a_off, b_off, c_off) = if by_rows {
            let rows = block.min(m - start);
            (rows, n, start as isize * a_rs, 0, start * n)
        } else {
            let cols = block.min(n - start);
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
    match team {
        Some(team) if blocks > 1 => team.run(blocks, &run_block),
        _ => (0..blocks).for_each(run_block),
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

/// `exp(x)` in f32 with a polynomial that the compiler vectorises (Cephes' `expf`: range
/// reduction by `ln 2` in two parts, a degree-6 polynomial, the exponent put back through the
/// bits; relative error about 2e-7, like the C library's). Inputs are clamped to
/// `[-87.3, 88.3]`, so results stay normal and finite; NaN stays NaN.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Round to nearest with the 1.5 * 2^23 trick (vectorises, unlike `round`).
    const SHIFTER: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let n = (x * LOG2E + SHIFTER) - SHIFTER;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_2e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `v = exp(v)` over a slice (vectorised).
fn exp_in_place(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = exp_f32(*x));
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
        timed(Kernel::Fill, || {
            let dst = SendPtr(dst[..len].as_mut_ptr());
            // SAFETY: disjoint ranges inside `dst` (sliced above).
            self.for_ranges(len, PAR_MIN_CHEAP / 2, &|r| unsafe { sub_mut(dst, &r) }.fill(value));
        })
    }

    fn scale_copy(&self, src: &Vec<f32>, alpha: f32, dst: &mut Vec<f32>, len: usize) {
        timed(Kernel::Fill, || {
            for (d, &s) in dst[..len].iter_mut().zip(&src[..len]) {
                *d = alpha * s;
            }
        })
    }

    fn gather_rows(&self, src: &Vec<f32>, cols: usize, order: &Vec<u32>, range: Range<usize>, dst: &mut Vec<f32>) {
        timed(Kernel::Gather, || {
            let rows = &order[range];
            let dst = SendPtr(dst[..rows.len() * cols].as_mut_ptr());
            self.for_ranges(rows.len(), (PAR_MIN_GATHER / cols.max(1)).max(2), &|r| {
                // SAFETY: row ranges are disjoint and inside `dst` (sliced above).
                let d = unsafe { sub_mut(dst, &(r.start * cols..r.end * cols)) };
                for (d, &i) in d.chunks_exact_mut(cols).zip(&rows[r]) {
                    let i = i as usize;
                    d.copy_from_slice(&src[i * cols..(i + 1) * cols]);
                }
            });
        })
    }

    fn gather_idx(&self, src: &Vec<u32>, order: &Vec<u32>, range: Range<usize>, dst: &mut Vec<u32>) {
        timed(Kernel::Gather, || {
            let rows = &order[range];
            for (d, &r) in dst[..rows.len()].iter_mut().zip(rows) {
                *d = src[r as usize];
            }
        })
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
        timed(Kernel::Gemm, || {
            let start = PROFILE.load(Ordering::Relaxed).then(Instant::now);
            let team = (self.threads > 1 && m * n * k >= GEMM_PAR_MIN).then_some(&*self.team);
            sgemm_blocked(m, n, k, alpha, a, ta, b, tb, beta, c, team);
            if let Some(start) = start {
                GEMM_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
                GEMM_FLOPS.fetch_add(2 * (m * n * k) as u64, Ordering::Relaxed);
                GEMM_CALLS.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    fn bias_act(&self, z: &mut Vec<f32>, rows: usize, cols: usize, bias: &Vec<f32>, act: Activation) {
        timed(Kernel::BiasAct, || {
            let bias = &bias[..cols];
            let kernel = |row: &mut [f32]| match act {
                // Monomorphic loops so the compiler vectorises the cheap activations.
                Activation::Identity => row.iter_mut().zip(bias).for_each(|(v, b)| *v += b),
                Activation::Relu => row.iter_mut().zip(bias).for_each(|(v, b)| *v = (*v + b).max(0.0)),
                _ => row.iter_mut().zip(bias).for_each(|(v, b)| *v = act.apply(*v + b)),
            };
            let min_len = match act {
                Activation::Tanh | Activation::Logistic => PAR_MIN_CHEAP / 8,
                _ => PAR_MIN_CHEAP,
            };
            let z = SendPtr(z[..rows * cols].as_mut_ptr());
            self.for_ranges(rows, (min_len / cols.max(1)).max(2), &|r| {
                // SAFETY: row ranges are disjoint and inside `z` (sliced above).
                let z = unsafe { sub_mut(z, &(r.start * cols..r.end * cols)) };
                z.chunks_exact_mut(cols).for_each(kernel);
            });
        })
    }

    fn act_backward(&self, a: &Vec<f32>, delta: &mut Vec<f32>, len: usize, act: Activation) {
        timed(Kernel::ActBackward, || {
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
            let (a, delta) = (&a[..len], SendPtr(delta[..len].as_mut_ptr()));
            self.for_ranges(len, PAR_MIN_CHEAP, &|r| {
                // SAFETY: disjoint ranges inside `delta` (sliced above).
                run(unsafe { sub_mut(delta, &r) }, &a[r], act)
            });
        })
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
        timed(Kernel::Loss, || {
            let (z, g) = (&z[..rows * cols], &mut grad[..rows * cols]);
            // Three passes so that the exponentials run as one vectorised loop over the whole
            // batch (rows are only `cols` wide): shift each row by its max, exponentiate, then
            // normalise and take the loss.
            for (zr, gr) in z.chunks(cols).zip(g.chunks_mut(cols)) {
                let max = zr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                gr.iter_mut().zip(zr).for_each(|(g, &v)| *g = v - max);
            }
            exp_in_place(g);
            let mut total = 0.0f64;
            for ((zr, gr), &y) in z.chunks(cols).zip(g.chunks_mut(cols)).zip(&labels[..rows]) {
                let max = zr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let sum: f32 = gr.iter().sum();
                let inv = scale / sum;
                gr.iter_mut().for_each(|g| *g *= inv);
                let y = y as usize;
                gr[y] -= scale;
                // -log softmax(z)[y] = log(sum) - (z_y - max), exact even where p_y underflows.
                total += f64::from(sum.ln() - (zr[y] - max));
            }
            loss[0] += total as f32;
        })
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
        timed(Kernel::Loss, || {
            let mut total = 0.0f64;
            for ((&zr, g), &y) in z[..rows].iter().zip(&mut grad[..rows]).zip(&labels[..rows]) {
                let y = y as f32;
                *g = scale * (logistic(zr) - y);
                // -[y log p + (1 - y) log(1 - p)] = softplus(z) - y z, computed stably.
                let softplus = zr.max(0.0) + (-zr.abs()).exp().ln_1p();
                total += f64::from(softplus - y * zr);
            }
            loss[0] += total as f32;
        })
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
        timed(Kernel::Loss, || {
            let len = rows * cols;
            let mut total = 0.0f64;
            for ((&p, &t), g) in pred[..len].iter().zip(&target[..len]).zip(&mut grad[..len]) {
                let d = p - t;
                *g = scale * d;
                total += f64::from(d) * f64::from(d);
            }
            loss[0] += (total / (2.0 * cols as f64)) as f32;
        })
    }

    fn col_sums(&self, m: &Vec<f32>, rows: usize, cols: usize, alpha: f32, out: &mut Vec<f32>) {
        timed(Kernel::ColSums, || {
            let m = &m[..rows * cols];
            let out = SendPtr(out[..cols].as_mut_ptr());
            // Fixed column blocks, each summed row by row: the same order for any thread count.
            let blocks = cols.div_ceil(COL_SUMS_BLOCK);
            let block = |b: usize| {
                let c = b * COL_SUMS_BLOCK..((b + 1) * COL_SUMS_BLOCK).min(cols);
                // SAFETY: column blocks are disjoint and inside `out` (sliced above).
                let out = unsafe { sub_mut(out, &c) };
                out.fill(0.0);
                for row in m.chunks_exact(cols) {
                    out.iter_mut().zip(&row[c.clone()]).for_each(|(o, v)| *o += v);
                }
                out.iter_mut().for_each(|o| *o *= alpha);
            };
            if self.threads > 1 && rows * cols >= PAR_MIN_CHEAP / 2 && blocks > 1 {
                self.team.run(blocks, &block);
            } else {
                (0..blocks).for_each(block);
            }
        })
    }

    fn sum_squares(&self, x: &Vec<f32>, len: usize, scale: f32, loss: &mut Vec<f32>) {
        timed(Kernel::SumSquares, || {
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
        })
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
        timed(Kernel::Optimizer, || {
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
            let (p, g) = (SendPtr(param[..len].as_mut_ptr()), &grad[..len]);
            let (m, v) = (SendPtr(m[..len].as_mut_ptr()), SendPtr(v[..len].as_mut_ptr()));
            self.for_ranges(len, PAR_MIN_ADAM, &|r| {
                // SAFETY: disjoint ranges inside `param`, `m` and `v` (sliced above), which are
                // distinct buffers.
                let (p, m, v) = unsafe { (sub_mut(p, &r), sub_mut(m, &r), sub_mut(v, &r)) };
                kernel(p, &g[r], m, v)
            });
        })
    }

    fn sgd(&self, param: &mut Vec<f32>, grad: &Vec<f32>, velocity: &mut Vec<f32>, len: usize, step: SgdStep) {
        timed(Kernel::Optimizer, || {
            let SgdStep { lr, momentum, nesterov } = step;
            for ((p, &g), vel) in param[..len].iter_mut().zip(&grad[..len]).zip(&mut velocity[..len]) {
                let v = momentum * *vel - lr * g;
                *vel = v;
                *p += if nesterov { momentum * v - lr * g } else { v };
            }
        })
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
                sgemm_blocked(m, n, k, 2.0, lhs, ta, rhs, tb, 1.0, &mut serial, None);
                let mut parallel = vec![0.5f32; m * n];
                let team = Team::new(3);
                sgemm_blocked(m, n, k, 2.0, lhs, ta, rhs, tb, 1.0, &mut parallel, Some(&team));
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
    fn team_runs_every_task_once_and_kernels_match_one_thread() {
        use std::sync::atomic::AtomicUsize;
        let team = Team::new(2);
        for tasks in [0, 1, 2, 3, 17, 1000] {
            let hits: Vec<AtomicUsize> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
            for _ in 0..50 {
                team.run(tasks, &|i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                });
            }
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 50), "{tasks} tasks");
        }
        // Every kernel with a parallel path, on sizes above the thresholds.
        let (one, three) = (CpuBackend::new(1), CpuBackend::new(3));
        let (rows, cols) = (300, 70);
        let len = rows * cols;
        let x: Vec<f32> = (0..len).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01).collect();
        let order: Vec<u32> = (0..rows as u32).rev().collect();
        let run = |be: &CpuBackend| {
            let mut g = vec![0.0; len];
            be.gather_rows(&x, cols, &order, 0..rows, &mut g);
            let mut z = g.clone();
            be.bias_act(&mut z, rows, cols, &x[..cols].to_vec(), Activation::Tanh);
            let mut d = x.clone();
            be.act_backward(&z, &mut d, len, Activation::Relu);
            let mut s = vec![0.0; cols];
            be.col_sums(&d, rows, cols, 0.5, &mut s);
            let (mut p, mut m, mut v) = (x.clone(), vec![0.1; len], vec![0.2; len]);
            let step = AdamStep { lr: 1e-2, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8 };
            be.adam(&mut p, &d, &mut m, &mut v, len, step);
            let mut f = vec![1.0; len];
            be.fill(&mut f, len, 2.0);
            [g, z, d, s, p, m, v, f]
        };
        assert_eq!(run(&one), run(&three));
    }

    #[test]
    fn vectorised_exp_matches_the_library() {
        let mut worst = 0.0f64;
        for i in -2_000_000..=100_000 {
            let x = i as f32 * 4.3e-5;
            let (got, want) = (f64::from(exp_f32(x)), f64::from(x).exp());
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 5e-7, "relative error {worst}");
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(-1e4) >= 0.0 && exp_f32(-1e4) < 1e-37);
        assert!(exp_f32(1e4).is_finite());
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
