//! The CUDA backend (cargo feature `cuda`): cuBLAS SGEMM for the products and NVRTC-compiled
//! kernels (the C source below, compiled once per process) for the fused ops, over device
//! buffers that stay on the GPU for the whole fit.
//!
//! Each backend runs on its own stream, so no kernel waits for the host: the host only blocks
//! in [`Backend::download`] / [`Backend::read_scalar`] (once per epoch). A training step can be
//! recorded as a CUDA graph and replayed ([`Backend::begin_recording`]): one launch per step
//! instead of one host call per kernel, which is what bounds small networks. The driver, cuBLAS and
//! NVRTC are loaded at run time (`cudarc`'s `dynamic-loading`): the crate builds without a
//! CUDA toolkit, and on a machine without a driver [`CudaContext::get`] (and so
//! `Device::Cuda`) is an [`Error::Unsupported`] instead of the loader's panic.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::ThreadId;

use cudarc::cublas::sys::{cublasMath_t, cublasOperation_t, cublasStatus_t};
use cudarc::cublas::{CudaBlas, Gemm, GemmConfig};
use cudarc::driver::sys::{CUgraphInstantiate_flags, CUstreamCaptureMode};
use cudarc::driver::{CudaFunction, CudaGraph, CudaSlice, CudaStream, DevicePtr, LaunchConfig, PushKernelArg};
use oxlearn_core::{Error, Result};

use super::{Activation, AdamStep, Backend, ReplaySpec, SgdStep, Trans};
use crate::device::Device;

const KERNELS: &str = r#"
__device__ __forceinline__ float act_apply(unsigned kind, float z) {
    switch (kind) {
        case 1: return z >= 0.f ? 1.f / (1.f + expf(-z)) : expf(z) / (1.f + expf(z));
        case 2: return tanhf(z);
        case 3: return fmaxf(z, 0.f);
        default: return z;
    }
}
__device__ __forceinline__ float act_deriv(unsigned kind, float a) {
    switch (kind) {
        case 1: return a * (1.f - a);
        case 2: return 1.f - a * a;
        case 3: return a > 0.f ? 1.f : 0.f;
        default: return 1.f;
    }
}
#define FOR_EACH(i, n) for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)

extern "C" __global__ void fill(float* d, unsigned n, float v) { FOR_EACH(i, n) d[i] = v; }
extern "C" __global__ void scale_copy(const float* s, float* d, unsigned n, float a) {
    FOR_EACH(i, n) d[i] = a * s[i];
}
// The replay state (see replay_advance): a recorded step reads its batch start and Adam rate
// from it; an eager call passes a null pointer and its own values.
#define START(cur, start) ((cur) ? (unsigned)(cur)[0] : (start))
extern "C" __global__ void gather_rows(const float* src, const unsigned* order, float* dst,
                                       unsigned total, unsigned cols, unsigned start0,
                                       const double* cur) {
    unsigned start = START(cur, start0);
    FOR_EACH(i, total) {
        unsigned r = i / cols, c = i - r * cols;
        dst[i] = src[(size_t)order[start + r] * cols + c];
    }
}
extern "C" __global__ void gather_idx(const unsigned* src, const unsigned* order, unsigned* dst,
                                      unsigned n, unsigned start0, const double* cur) {
    unsigned start = START(cur, start0);
    FOR_EACH(i, n) dst[i] = src[order[start + i]];
}
extern "C" __global__ void bias_act(float* z, const float* bias, unsigned total, unsigned cols,
                                    unsigned act) {
    FOR_EACH(i, total) z[i] = act_apply(act, z[i] + bias[i % cols]);
}
extern "C" __global__ void act_backward(const float* a, float* d, unsigned n, unsigned act) {
    FOR_EACH(i, n) {
        if (act == 3) { if (a[i] <= 0.f) d[i] = 0.f; }
        else d[i] *= act_deriv(act, a[i]);
    }
}
__device__ void block_add(float total, float* loss) {
    __shared__ float part[256];
    part[threadIdx.x] = total;
    __syncthreads();
    for (unsigned s = 128; s > 0; s >>= 1) {
        if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) loss[0] += part[0];
}
// kind 0 softmax + CE (rows, cols); 1 logistic + BCE (rows); 2 squared error (n = rows*cols).
extern "C" __global__ void losses(const float* z, const unsigned* labels, const float* tgt,
                                  float* grad, float* loss, unsigned n, unsigned cols,
                                  float scale, unsigned kind) {
    float total = 0.f;
    if (kind == 0) {
        for (unsigned r = threadIdx.x; r < n; r += 256) {
            const float* zr = z + (size_t)r * cols;
            float* gr = grad + (size_t)r * cols;
            float mx = zr[0];
            for (unsigned c = 1; c < cols; c++) mx = fmaxf(mx, zr[c]);
            float sum = 0.f;
            for (unsigned c = 0; c < cols; c++) { float e = expf(zr[c] - mx); gr[c] = e; sum += e; }
            float inv = scale / sum;
            for (unsigned c = 0; c < cols; c++) gr[c] *= inv;
            unsigned y = labels[r];
            gr[y] -= scale;
            total += logf(sum) - (zr[y] - mx);
        }
    } else if (kind == 1) {
        for (unsigned r = threadIdx.x; r < n; r += 256) {
            float zr = z[r], y = (float)labels[r];
            grad[r] = scale * (act_apply(1, zr) - y);
            total += fmaxf(zr, 0.f) + log1pf(expf(-fabsf(zr))) - y * zr;
        }
    } else {
        for (unsigned i = threadIdx.x; i < n; i += 256) {
            float d = z[i] - tgt[i];
            grad[i] = scale * d;
            total += d * d;
        }
        total /= 2.f * (float)cols;
    }
    block_add(total, loss);
}
extern "C" __global__ void sum_squares(const float* x, float* loss, unsigned n, float scale) {
    float total = 0.f;
    for (unsigned i = threadIdx.x; i < n; i += 256) total = fmaf(x[i], x[i], total);
    block_add(scale * total, loss);
}
// 256 threads own 64 columns: 4 row slices, combined in a fixed order.
// One 1024-thread block per 32 columns: 32 row slices of one warp each (coalesced row reads),
// combined through shared memory in slice order.
extern "C" __global__ void col_sums(const float* m, float* out, unsigned rows, unsigned cols,
                                    float alpha) {
    __shared__ float part[32][33];
    unsigned tx = threadIdx.x % 32, slice = threadIdx.x / 32;
    unsigned c = blockIdx.x * 32 + tx;
    float total = 0.f;
    if (c < cols) for (unsigned r = slice; r < rows; r += 32) total += m[(size_t)r * cols + c];
    part[slice][tx] = total;
    __syncthreads();
    if (slice == 0 && c < cols) {
        float s = 0.f;
        for (int j = 0; j < 32; ++j) s += part[j][tx];
        out[c] = alpha * s;
    }
}
extern "C" __global__ void adam(float* p, const float* g, float* m, float* v, unsigned n,
                                float lr0, float b1, float b2, float eps, const double* cur) {
    float lr = cur ? (float)cur[3] : lr0;
    FOR_EACH(i, n) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.f - b1) * gi;
        float vi = b2 * v[i] + (1.f - b2) * gi * gi;
        m[i] = mi; v[i] = vi;
        p[i] -= lr * mi / (sqrtf(vi) + eps);
    }
}
extern "C" __global__ void sgd(float* p, const float* g, float* vel, unsigned n, float lr,
                               float mom, unsigned nesterov) {
    FOR_EACH(i, n) {
        float gi = g[i];
        float v = mom * vel[i] - lr * gi;
        vel[i] = v;
        p[i] += nesterov ? mom * v - lr * gi : v;
    }
}
// The first kernel of a replayed step. State: [start, next start, t, Adam rate]; the rate is
// computed in double precision like the host's (then rounded to float by the Adam kernel).
extern "C" __global__ void replay_advance(double* st, unsigned batch, unsigned adam, double lr_init,
                                          double b1, double b2) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        st[0] = st[1];
        st[1] += (double)batch;
        st[2] += 1.0;
        if (adam) st[3] = lr_init * sqrt(1.0 - pow(b2, st[2])) / (1.0 - pow(b1, st[2]));
    }
}
"#;

const NAMES: [&str; 12] = [
    "fill",
    "scale_copy",
    "gather_rows",
    "gather_idx",
    "bias_act",
    "act_backward",
    "losses",
    "sum_squares",
    "col_sums",
    "adam",
    "sgd",
    "replay_advance",
];

/// The process-wide CUDA state: the driver context of GPU 0 and the compiled kernels. Each
/// [`CudaBackend`] adds its own stream and cuBLAS handle.
pub struct CudaContext {
    cu: Arc<cudarc::driver::CudaContext>,
    funcs: Vec<CudaFunction>,
    name: String,
}

impl std::fmt::Debug for CudaContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaContext").field("name", &self.name).finish_non_exhaustive()
    }
}

fn unsupported(what: &'static str) -> Error {
    Error::Unsupported { estimator: "oxlearn-nn".to_string(), operation: what }
}

impl CudaContext {
    /// The process-wide context on GPU 0, created on first use (driver, cuBLAS, NVRTC compile).
    /// Without a driver, GPU, cuBLAS or NVRTC: an [`Error::Unsupported`] saying which; the
    /// loader's panics are contained.
    pub fn get() -> Result<Arc<CudaContext>> {
        static CTX: OnceLock<std::result::Result<Arc<CudaContext>, Error>> = OnceLock::new();
        CTX.get_or_init(|| {
            // SAFETY: these only try to dlopen the libraries.
            if !unsafe { cudarc::driver::sys::is_culib_present() } {
                return Err(unsupported("device cuda: no CUDA driver (libcuda) on this machine"));
            }
            std::panic::catch_unwind(Self::create)
                .unwrap_or_else(|_| {
                    Err(unsupported(
                        "device cuda: the CUDA libraries panicked while loading (a missing symbol or library)",
                    ))
                })
                .map(Arc::new)
        })
        .clone()
    }

    fn create() -> Result<CudaContext> {
        let count = cudarc::driver::CudaContext::device_count()
            .map_err(|_| unsupported("device cuda: the CUDA driver failed to initialise (no usable GPU)"))?;
        if count < 1 {
            return Err(unsupported("device cuda: the CUDA driver sees no GPU"));
        }
        // SAFETY: as above.
        if !unsafe { cudarc::cublas::sys::is_culib_present() } {
            return Err(unsupported("device cuda: cuBLAS (libcublas) not found; put its folder on LD_LIBRARY_PATH"));
        }
        // SAFETY: as above.
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(unsupported("device cuda: NVRTC (libnvrtc) not found; put its folder on LD_LIBRARY_PATH"));
        }
        let other = |what: &str, e: &dyn std::fmt::Debug| Error::Other(format!("device cuda: {what} failed: {e:?}"));
        let ctx = cudarc::driver::CudaContext::new(0).map_err(|e| other("opening GPU 0", &e))?;
        let name = ctx.name().unwrap_or_else(|_| "CUDA GPU 0".into());
        // SAFETY: called before any buffer exists. Every backend keeps its buffers on its own
        // stream (a buffer is never used on another backend's stream), so cudarc's per-buffer
        // cross-stream events are not needed; without them, recording a step as a CUDA graph
        // captures nothing but the step's own kernels.
        unsafe { ctx.disable_event_tracking() };
        let ptx = cudarc::nvrtc::compile_ptx(KERNELS).map_err(|e| other("NVRTC compile", &e))?;
        let module = ctx.load_module(ptx).map_err(|e| other("loading the kernels", &e))?;
        let funcs = NAMES
            .iter()
            .map(|n| module.load_function(n))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| other("loading a kernel", &e))?;
        Ok(CudaContext { cu: ctx, funcs, name })
    }

    /// The GPU's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The CUDA backend; cheap to create once the [`CudaContext`] exists.
///
/// GEMMs are strict fp32 by default (scikit-learn parity). TF32 tensor cores (10-bit mantissa
/// products, fp32 accumulation: several times the fp32 rate on Ampere and later, relative
/// errors around 1e-3) are opt-in: [`CudaBackend::set_allow_tf32`], or the environment variable
/// `OXLEARN_CUDA_TF32=1` read when a backend is created (so fits through the estimators can use
/// it).
pub struct CudaBackend {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    blas: CudaBlas,
    /// cuBLAS's workspace (set explicitly, as graph capture needs); dropped after `blas`.
    _workspace: CudaSlice<u8>,
    allow_tf32: bool,
    /// Whether training steps are recorded and replayed as CUDA graphs (the default).
    step_replay: bool,
    /// The replay state buffer's device address while a step is being recorded, else 0 (the
    /// kernels then use their own arguments).
    recording_cursor: AtomicU64,
    /// Whether the step being recorded takes Adam's rate from the replay state.
    recording_adam: AtomicBool,
    /// Set when a call failed while recording: the recording is then dropped, and this
    /// backend runs eagerly from then on.
    capture_failed: AtomicBool,
    replay: Mutex<Replay>,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaBackend")
            .field("gpu", &self.ctx.name)
            .field("allow_tf32", &self.allow_tf32)
            .finish_non_exhaustive()
    }
}

/// A recorded step and the device state its replays advance: `[batch start, next start, t,
/// Adam rate]` (f64).
#[derive(Default)]
struct Replay {
    state: Option<CudaSlice<f64>>,
    graph: Option<Graph>,
}

/// A CUDA graph, owned by one backend and only touched under its `replay` lock.
struct Graph(CudaGraph);

// SAFETY: a CUDA graph may be used from any thread as long as calls on it are serialised
// (CUDA's graph thread-safety rules); every use goes through `CudaBackend::replay`'s mutex.
unsafe impl Send for Graph {}

/// cuBLAS's recommended workspace on Hopper.
const BLAS_WORKSPACE: usize = 32 << 20;

#[derive(Clone, Copy)]
enum K {
    Fill = 0,
    ScaleCopy,
    GatherRows,
    GatherIdx,
    BiasAct,
    ActBackward,
    Losses,
    SumSquares,
    ColSums,
    Adam,
    Sgd,
    ReplayAdvance,
}

fn grid(n: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (n.div_ceil(256).clamp(1, 65_535 * 4) as u32, 1, 1),
        block_dim: (256, 1, 1),
        shared_mem_bytes: 0,
    }
}

const ONE_BLOCK: LaunchConfig = LaunchConfig { grid_dim: (1, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 };

fn u(v: usize) -> u32 {
    u32::try_from(v).expect("sizes fit in u32")
}

fn act_code(act: Activation) -> u32 {
    match act {
        Activation::Identity => 0,
        Activation::Logistic => 1,
        Activation::Tanh => 2,
        Activation::Relu => 3,
    }
}

macro_rules! launch {
    ($self:ident, $k:expr, $cfg:expr, $($arg:expr),* $(,)?) => {{
        let mut b = $self.stream.launch_builder(&$self.ctx.funcs[$k as usize]);
        $( b.arg($arg); )*
        // SAFETY: the argument list matches the kernel's C signature, and the buffers are at
        // least as long as the sizes passed (the network sizes everything once).
        let launched = unsafe { b.launch($cfg) };
        $self.launched(launched.map(|_| ()), "CUDA kernel launch");
    }};
}

/// Keeps step recordings apart from cuBLAS calls on other threads. cuBLAS loads its kernels
/// lazily, on first use, and a load while another thread's stream is being captured can
/// invalidate that capture; so every cuBLAS call (and handle creation) holds the gate shared,
/// and a recording holds it exclusively from [`Backend::begin_recording`] to
/// [`Backend::end_recording`] (its own thread's calls pass).
struct CaptureGate {
    state: Mutex<GateState>,
    changed: Condvar,
}

struct GateState {
    readers: usize,
    recorder: Option<ThreadId>,
}

static GATE: CaptureGate =
    CaptureGate { state: Mutex::new(GateState { readers: 0, recorder: None }), changed: Condvar::new() };

/// A shared hold on [`GATE`] (or a pass for the recording thread itself).
struct GateRead(bool);

impl CaptureGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> GateRead {
        let me = std::thread::current().id();
        let mut st = self.lock();
        if st.recorder == Some(me) {
            return GateRead(false);
        }
        while st.recorder.is_some() {
            st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.readers += 1;
        GateRead(true)
    }

    fn begin_exclusive(&self) {
        let me = std::thread::current().id();
        let mut st = self.lock();
        while st.recorder.is_some() || st.readers > 0 {
            st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.recorder = Some(me);
    }

    fn end_exclusive(&self) {
        let me = std::thread::current().id();
        let mut st = self.lock();
        if st.recorder == Some(me) {
            st.recorder = None;
            self.changed.notify_all();
        }
    }
}

impl Drop for GateRead {
    fn drop(&mut self) {
        if self.0 {
            let mut st = GATE.lock();
            st.readers -= 1;
            if st.readers == 0 {
                GATE.changed.notify_all();
            }
        }
    }
}

impl CudaBackend {
    /// A backend on GPU 0 (see [`CudaContext::get`] for the errors).
    pub fn new() -> Result<CudaBackend> {
        let ctx = CudaContext::get()?;
        let stream = ctx.cu.new_stream().map_err(Self::err)?;
        let gate = GATE.read();
        let blas = CudaBlas::new(stream.clone()).map_err(Self::err)?;
        let workspace = stream.alloc_zeros::<u8>(BLAS_WORKSPACE).map_err(Self::err)?;
        {
            let (ptr, _sync) = workspace.device_ptr(&stream);
            // SAFETY: the handle is alive; the workspace outlives it (field order) and is used
            // only by this handle's calls, all on `stream`.
            let status = unsafe {
                cudarc::cublas::sys::cublasSetWorkspace_v2(*blas.handle(), ptr as *mut std::ffi::c_void, BLAS_WORKSPACE)
            };
            if status != cublasStatus_t::CUBLAS_STATUS_SUCCESS {
                return Err(Self::err(status));
            }
        }
        drop(gate);
        let mut be = CudaBackend {
            ctx,
            stream,
            blas,
            _workspace: workspace,
            allow_tf32: false,
            step_replay: std::env::var("OXLEARN_CUDA_GRAPHS").map_or(true, |v| v.trim() != "0"),
            recording_cursor: AtomicU64::new(0),
            recording_adam: AtomicBool::new(false),
            capture_failed: AtomicBool::new(false),
            replay: Mutex::new(Replay::default()),
        };
        be.set_allow_tf32(std::env::var("OXLEARN_CUDA_TF32").is_ok_and(|v| v.trim() == "1"));
        Ok(be)
    }

    /// Lets cuBLAS use TF32 tensor cores for this backend's GEMMs (off by default: fp32).
    pub fn set_allow_tf32(&mut self, allow: bool) {
        let mode = if allow { cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH } else { cublasMath_t::CUBLAS_DEFAULT_MATH };
        // SAFETY: the handle is alive and owned by this backend (`&mut self`: no call in flight).
        let status = unsafe { cudarc::cublas::sys::cublasSetMathMode(*self.blas.handle(), mode) };
        assert_eq!(status, cublasStatus_t::CUBLAS_STATUS_SUCCESS, "cublasSetMathMode");
        self.allow_tf32 = allow;
    }

    /// Whether training steps are recorded once and replayed as a CUDA graph (on by default;
    /// the environment variable `OXLEARN_CUDA_GRAPHS=0`, read when a backend is created, turns
    /// it off). Replayed steps run the same kernels with the same arguments as eager ones.
    pub fn set_step_replay(&mut self, on: bool) {
        self.step_replay = on;
    }

    /// Whether training steps are replayed as CUDA graphs.
    pub fn step_replay(&self) -> bool {
        self.step_replay
    }

    /// Whether this backend's GEMMs may use TF32.
    pub fn allow_tf32(&self) -> bool {
        self.allow_tf32
    }

    /// The GPU's name.
    pub fn name(&self) -> &str {
        &self.ctx.name
    }

    fn err(e: impl std::fmt::Debug) -> Error {
        Error::Other(format!("device cuda: {e:?}"))
    }

    /// The replay state's address while recording, else 0 (a null pointer for the kernels).
    fn cursor(&self) -> u64 {
        self.recording_cursor.load(Ordering::Relaxed)
    }

    /// A launch's outcome: a failure while recording marks the recording failed (it is then
    /// dropped and the step runs eagerly); any other failure is a broken device and panics.
    fn launched<E: std::fmt::Debug>(&self, r: std::result::Result<(), E>, what: &str) {
        if let Err(e) = r {
            if self.cursor() != 0 {
                tracing::warn!(target: "oxlearn_nn", error = ?e, "{what} failed while recording a step");
                self.capture_failed.store(true, Ordering::Relaxed);
            } else {
                panic!("{what}: {e:?}");
            }
        }
    }

    fn lock_replay(&self) -> std::sync::MutexGuard<'_, Replay> {
        self.replay.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Backend for CudaBackend {
    type Buf = CudaSlice<f32>;
    type Idx = CudaSlice<u32>;

    fn device(&self) -> Device {
        Device::Cuda
    }

    fn zeros(&self, len: usize) -> Result<CudaSlice<f32>> {
        self.stream.alloc_zeros(len.max(1)).map_err(Self::err)
    }

    fn upload(&self, host: &[f32]) -> Result<CudaSlice<f32>> {
        let mut b = self.zeros(host.len())?;
        self.write(&mut b, host)?;
        Ok(b)
    }

    fn write(&self, dst: &mut CudaSlice<f32>, host: &[f32]) -> Result<()> {
        if host.is_empty() {
            return Ok(());
        }
        self.stream.memcpy_htod(host, &mut dst.slice_mut(..host.len())).map_err(Self::err)
    }

    fn download(&self, src: &CudaSlice<f32>, host: &mut [f32]) -> Result<()> {
        if host.is_empty() {
            return Ok(());
        }
        self.stream.memcpy_dtoh(&src.slice(..host.len()), host).map_err(Self::err)?;
        self.stream.synchronize().map_err(Self::err)
    }

    fn read_scalar(&self, src: &CudaSlice<f32>) -> Result<f64> {
        let mut v = [0.0f32];
        self.download(src, &mut v)?;
        Ok(f64::from(v[0]))
    }

    fn upload_idx(&self, host: &[u32]) -> Result<CudaSlice<u32>> {
        let mut b = self.stream.alloc_zeros(host.len().max(1)).map_err(Self::err)?;
        self.write_idx(&mut b, host)?;
        Ok(b)
    }

    fn write_idx(&self, dst: &mut CudaSlice<u32>, host: &[u32]) -> Result<()> {
        if host.is_empty() {
            return Ok(());
        }
        self.stream.memcpy_htod(host, &mut dst.slice_mut(..host.len())).map_err(Self::err)
    }

    fn fill(&self, dst: &mut CudaSlice<f32>, len: usize, value: f32) {
        if len == 0 {
            return;
        }
        let n = u(len);
        launch!(self, K::Fill, grid(len), dst, &n, &value);
    }

    fn scale_copy(&self, src: &CudaSlice<f32>, alpha: f32, dst: &mut CudaSlice<f32>, len: usize) {
        if len == 0 {
            return;
        }
        let n = u(len);
        launch!(self, K::ScaleCopy, grid(len), src, dst, &n, &alpha);
    }

    fn gather_rows(
        &self,
        src: &CudaSlice<f32>,
        cols: usize,
        order: &CudaSlice<u32>,
        range: Range<usize>,
        dst: &mut CudaSlice<f32>,
    ) {
        let total = range.len() * cols;
        if total == 0 {
            return;
        }
        let (t, c, s, cur) = (u(total), u(cols), u(range.start), self.cursor());
        launch!(self, K::GatherRows, grid(total), src, order, dst, &t, &c, &s, &cur);
    }

    fn gather_idx(&self, src: &CudaSlice<u32>, order: &CudaSlice<u32>, range: Range<usize>, dst: &mut CudaSlice<u32>) {
        if range.is_empty() {
            return;
        }
        let (n, s, cur) = (u(range.len()), u(range.start), self.cursor());
        launch!(self, K::GatherIdx, grid(range.len()), src, order, dst, &n, &s, &cur);
    }

    fn gemm(
        &self,
        m: usize,
        n: usize,
        k: usize,
        alpha: f32,
        a: &CudaSlice<f32>,
        ta: Trans,
        b: &CudaSlice<f32>,
        tb: Trans,
        beta: f32,
        c: &mut CudaSlice<f32>,
    ) {
        if m == 0 || n == 0 {
            return;
        }
        // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
        let op = |t: Trans| match t {
            Trans::No => cublasOperation_t::CUBLAS_OP_N,
            Trans::Yes => cublasOperation_t::CUBLAS_OP_T,
        };
        let cfg = GemmConfig {
            transa: op(tb),
            transb: op(ta),
            m: n as i32,
            n: m as i32,
            k: k as i32,
            alpha,
            lda: (if tb == Trans::Yes { k } else { n }).max(1) as i32,
            ldb: (if ta == Trans::Yes { m } else { k }).max(1) as i32,
            beta,
            ldc: n as i32,
        };
        // SAFETY: the operands hold at least m k, k n and m n values (network invariant).
        let _gate = GATE.read();
        let done = unsafe { self.blas.gemm(cfg, b, a, c) };
        self.launched(done, "cuBLAS SGEMM");
    }

    fn bias_act(&self, z: &mut CudaSlice<f32>, rows: usize, cols: usize, bias: &CudaSlice<f32>, act: Activation) {
        let total = rows * cols;
        if total == 0 {
            return;
        }
        let (t, c, a) = (u(total), u(cols), act_code(act));
        launch!(self, K::BiasAct, grid(total), z, bias, &t, &c, &a);
    }

    fn act_backward(&self, a: &CudaSlice<f32>, delta: &mut CudaSlice<f32>, len: usize, act: Activation) {
        if len == 0 || act == Activation::Identity {
            return;
        }
        let (n, k) = (u(len), act_code(act));
        launch!(self, K::ActBackward, grid(len), a, delta, &n, &k);
    }

    fn softmax_xent(
        &self,
        z: &CudaSlice<f32>,
        labels: &CudaSlice<u32>,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut CudaSlice<f32>,
        loss: &mut CudaSlice<f32>,
    ) {
        let (n, c, kind) = (u(rows), u(cols), 0u32);
        // The target pointer is unused for this loss: pass z again (read-only).
        launch!(self, K::Losses, ONE_BLOCK, z, labels, z, grad, loss, &n, &c, &scale, &kind);
    }

    fn logistic_xent(
        &self,
        z: &CudaSlice<f32>,
        labels: &CudaSlice<u32>,
        rows: usize,
        scale: f32,
        grad: &mut CudaSlice<f32>,
        loss: &mut CudaSlice<f32>,
    ) {
        let (n, c, kind) = (u(rows), 1u32, 1u32);
        launch!(self, K::Losses, ONE_BLOCK, z, labels, z, grad, loss, &n, &c, &scale, &kind);
    }

    fn squared_error(
        &self,
        pred: &CudaSlice<f32>,
        target: &CudaSlice<f32>,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut CudaSlice<f32>,
        loss: &mut CudaSlice<f32>,
    ) {
        let (n, c, kind) = (u(rows * cols), u(cols.max(1)), 2u32);
        // The labels pointer is unused for this loss; any device pointer will do.
        launch!(self, K::Losses, ONE_BLOCK, pred, pred, target, grad, loss, &n, &c, &scale, &kind);
    }

    fn col_sums(&self, m: &CudaSlice<f32>, rows: usize, cols: usize, alpha: f32, out: &mut CudaSlice<f32>) {
        if cols == 0 {
            return;
        }
        let cfg = LaunchConfig { grid_dim: (u(cols.div_ceil(32)), 1, 1), block_dim: (1024, 1, 1), shared_mem_bytes: 0 };
        let (r, c) = (u(rows), u(cols));
        launch!(self, K::ColSums, cfg, m, out, &r, &c, &alpha);
    }

    fn sum_squares(&self, x: &CudaSlice<f32>, len: usize, scale: f32, loss: &mut CudaSlice<f32>) {
        let n = u(len);
        launch!(self, K::SumSquares, ONE_BLOCK, x, loss, &n, &scale);
    }

    fn adam(
        &self,
        param: &mut CudaSlice<f32>,
        grad: &CudaSlice<f32>,
        m: &mut CudaSlice<f32>,
        v: &mut CudaSlice<f32>,
        len: usize,
        step: AdamStep,
    ) {
        if len == 0 {
            return;
        }
        let n = u(len);
        let AdamStep { lr, beta_1, beta_2, epsilon } = step;
        // While recording with Adam's schedule, the rate comes from the replay state.
        let cur = if self.recording_adam.load(Ordering::Relaxed) { self.cursor() } else { 0 };
        launch!(self, K::Adam, grid(len), param, grad, m, v, &n, &lr, &beta_1, &beta_2, &epsilon, &cur);
    }

    fn sgd(
        &self,
        param: &mut CudaSlice<f32>,
        grad: &CudaSlice<f32>,
        velocity: &mut CudaSlice<f32>,
        len: usize,
        step: SgdStep,
    ) {
        if len == 0 {
            return;
        }
        let n = u(len);
        let nesterov = u32::from(step.nesterov);
        launch!(self, K::Sgd, grid(len), param, grad, velocity, &n, &step.lr, &step.momentum, &nesterov);
    }

    fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().map_err(Self::err)
    }

    fn begin_recording(&self, spec: ReplaySpec) -> Result<bool> {
        if !self.step_replay || self.capture_failed.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let mut rep = self.lock_replay();
        rep.graph = None;
        if rep.state.is_none() {
            rep.state = Some(self.stream.alloc_zeros::<f64>(4).map_err(Self::err)?);
        }
        let state = rep.state.as_mut().expect("allocated above");
        // Run the advance kernel once outside the capture: the driver loads kernels lazily,
        // and loading is not allowed while capturing (the caller's eager step warmed the rest).
        let (batch, adam, (lr, b1, b2)) =
            (u(spec.batch), u32::from(spec.adam.is_some()), spec.adam.unwrap_or((0.0, 0.0, 0.0)));
        launch!(self, K::ReplayAdvance, ONE_BLOCK, &mut *state, &batch, &adam, &lr, &b1, &b2);
        let ptr = state.device_ptr(&self.stream).0;
        GATE.begin_exclusive();
        if let Err(e) = self.stream.begin_capture(CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL) {
            GATE.end_exclusive();
            return Err(Self::err(e));
        }
        self.recording_cursor.store(ptr, Ordering::Relaxed);
        self.recording_adam.store(spec.adam.is_some(), Ordering::Relaxed);
        launch!(self, K::ReplayAdvance, ONE_BLOCK, &mut *state, &batch, &adam, &lr, &b1, &b2);
        Ok(true)
    }

    fn end_recording(&self) -> Result<()> {
        self.recording_cursor.store(0, Ordering::Relaxed);
        self.recording_adam.store(false, Ordering::Relaxed);
        let ended = self.stream.end_capture(CUgraphInstantiate_flags(0));
        GATE.end_exclusive();
        let mut rep = self.lock_replay();
        if self.capture_failed.load(Ordering::Relaxed) {
            return Err(Error::Other("device cuda: a call failed while recording a step".into()));
        }
        let graph = match ended {
            Ok(Some(graph)) => graph.upload().map(|()| graph).map_err(Self::err),
            Ok(None) => Err(Error::Other("device cuda: the step recording captured nothing".into())),
            Err(e) => Err(Self::err(e)),
        };
        match graph {
            Ok(graph) => {
                rep.graph = Some(Graph(graph));
                Ok(())
            }
            Err(e) => {
                self.capture_failed.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    fn seek_replay(&self, cursor: usize, t: u64) -> Result<()> {
        let mut rep = self.lock_replay();
        let state = rep.state.as_mut().ok_or_else(|| Error::Other("device cuda: seek before any recording".into()))?;
        // [start, next start, t, rate]: the next replay's advance moves `next` into `start`.
        let host = [cursor as f64, cursor as f64, t as f64, 0.0];
        self.stream.memcpy_htod(&host, state).map_err(Self::err)
    }

    fn replay(&self) -> Result<()> {
        let rep = self.lock_replay();
        let graph =
            rep.graph.as_ref().ok_or_else(|| Error::Other("device cuda: replay before any recording".into()))?;
        graph.0.launch().map_err(Self::err)
    }
}
