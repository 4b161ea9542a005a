//! The wgpu backend: every [`Backend`] kernel as a WGSL compute shader (in this folder), over
//! storage buffers that stay on the GPU for the whole fit.
//!
//! How work reaches the GPU:
//!
//! - one process-wide [`WgpuContext`] per adapter choice holds the device, the queue and every
//!   compute pipeline, compiled once per process;
//! - each kernel call records one dispatch into a pending command encoder; its sizes and
//!   scalars go into a 256-byte slot of a ring of uniform blocks bound with a dynamic offset.
//!   Nothing is submitted per kernel: the encoder is submitted when the ring is full (every
//!   `SLOTS` dispatches, tens of training steps), or when the host needs data
//!   ([`Backend::download`], [`Backend::read_scalar`], a host write, [`Backend::synchronize`]);
//! - a host write ([`Backend::write`]) first submits what is pending, so it lands after the
//!   work recorded before it;
//! - GEMM: wherever the packed operands' rows are multiples of 4 floats, products of 2^25
//!   multiply-adds and more run the workgroup-tiled kernel generated for a [`TileShape`]
//!   (`gemm_tile.rs`: 128 x 128 blocks, 8 x 8 outputs per invocation by default; 28-37 TFLOP/s
//!   on an H200) and smaller ones a register-blocked kernel without workgroup memory
//!   (`gemm_vec.wgsl`: 4 x 4 outputs per invocation, operands read as vec4, every transpose
//!   flag); unaligned shapes run the scalar 64 x 64 tiled kernel (`gemm.wgsl`, any shape).
//!   [`GemmKernel`] / `OXLEARN_WGPU_GEMM` force one for measurements. A product
//!   with few outputs for its k range (a small layer's weight gradient, a 10-class output
//!   layer) would run too few invocations, each a long serial loop over k: it splits k over
//!   up to 32 invocations per output (vec4 kernel, or `gemm_split.wgsl`, one output per
//!   invocation, for the shapes the vec4 loads do not fit), and `gemm_reduce.wgsl` adds the
//!   partial sums in a fixed order ([`WgpuBackend::set_split_k`], `OXLEARN_WGPU_SPLITK=0`);
//! - all dispatches of a submit share one compute pass, and bind groups are cached per kernel
//!   and buffers (a training step repeats the same few dozen), which cuts the host's recording
//!   cost per dispatch.
//!
//! Limits: one buffer may hold at most the adapter's `max_storage_buffer_binding_size` (and
//! `max_buffer_size`) bytes (128 MiB on lavapipe, 2 GiB on an H100 / H200). Training data larger
//! than that ([`Backend::upload_data`]) is split over several buffers that the gathers read
//! segment by segment (up to 2^32 values in all; the shuffled order, 4 bytes per training row,
//! stays one buffer, which bounds the rows at a quarter of the binding); prediction batches are
//! sized by [`Backend::max_buffer_len`]; any other buffer over the limit (a minibatch workspace
//! or a weight matrix too large) is an [`Error::InvalidInput`] naming the sizes, returned when
//! the fit allocates, never a GPU fault. [`WgpuBackend::set_max_buffer_bytes`] lowers the limit
//! for tests.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use oxlearn_core::{Error, Result};

use super::{Activation, AdamStep, Backend, SgdStep, Trans};
use crate::device::Device;

mod gemm_tile;
pub use gemm_tile::TileShape;

/// Dispatches recorded before a submit (and uniform slots in the ring).
const SLOTS: usize = 1024;
/// Bytes per uniform slot (the largest `min_uniform_buffer_offset_alignment` wgpu allows).
const SLOT_BYTES: usize = 256;
/// Threads per elementwise workgroup (matches the shaders).
const WG: u32 = 256;
/// The GEMM output tile edge (matches `gemm.wgsl`).
const GEMM_TILE: usize = 64;
/// Rows per chunk of a column sum (fewer chunks for shorter matrices).
const COL_SUM_ROWS: usize = 64;

/// Which adapters a context may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdapterChoice {
    /// Hardware adapters only (discrete, then integrated, then virtual GPUs).
    Hardware,
    /// Any adapter, software rasterizers (lavapipe, llvmpipe) included; hardware preferred.
    Any,
}

/// What an adapter is, for the fitted model and for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterInfo {
    /// The adapter's name ("NVIDIA H200", "llvmpipe (LLVM 19.1.7, 256 bits)").
    pub name: String,
    /// The graphics API ("Vulkan", "Gl", ...).
    pub api: String,
    /// The device type ("DiscreteGpu", "Cpu", ...).
    pub kind: String,
    /// Whether it is a software rasterizer.
    pub software: bool,
}

impl std::fmt::Display for AdapterInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} {})", self.name, self.api, self.kind)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kernel {
    Fill,
    ScaleCopy,
    GatherRows,
    GatherIdx,
    Gemm,
    BiasAct,
    ActBackward,
    Losses,
    SumSquares,
    ColSums,
    Optim,
    /// The split-K GEMM for small or narrow products (`gemm_split.wgsl`).
    GemmSplit,
    /// The split-K GEMM's second pass (`gemm_reduce.wgsl`).
    GemmReduce,
    /// The register-blocked GEMM: bit 0 A transposed, bit 1 B transposed, bit 2 eight rows
    /// per invocation (else four).
    GemmVec(u8),
    /// The workgroup-tiled GEMM of this shape (`gemm_tile.rs`): bit 0 A transposed, bit 1 B
    /// transposed.
    GemmTile(TileShape, u8),
}

/// Which GEMM kernel the wgpu backend runs.
///
/// `Auto` (the default), wherever the vec4 loads are aligned (the packed operands' row lengths
/// are multiples of 4), runs the workgroup-tiled kernel of the backend's tile shape
/// ([`WgpuBackend::set_tile_shape`]) on products of 2^25 multiply-adds and more and the
/// register-blocked kernel ([`GemmKernel::Vec4x4`]) on smaller ones, and the scalar tiled kernel
/// elsewhere. The others force a kernel for measurements (the vec4 kernels still fall back
/// to the tiled one where a shape is not aligned). The environment variable `OXLEARN_WGPU_GEMM`
/// (any [`GemmKernel::parse`] name), read when a backend is created, sets it without code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GemmKernel {
    /// Per shape: `Tile` (the backend's tile shape) for large aligned products, `Vec4x4` for
    /// smaller aligned ones, else `Tiled`.
    #[default]
    Auto,
    /// 64 x 64 output tiles staged through workgroup memory, 4 x 4 outputs per invocation; any
    /// shape.
    Tiled,
    /// No workgroup memory: 4 rows x 4 columns per invocation, operands read as vec4.
    Vec4x4,
    /// As `Vec4x4` with 8 rows x 4 columns per invocation.
    Vec8x4,
    /// The workgroup-tiled kernel of this shape (`gemm_tile.rs`), its k range split `splits`
    /// ways (0: as many as the product needs to fill the GPU, like the other kernels).
    Tile {
        /// The tile shape.
        shape: TileShape,
        /// k splits (0: automatic).
        splits: u8,
    },
}

impl GemmKernel {
    /// Parses `auto`, `tiled`, `4x4`, `8x4`, and the tile kernels as
    /// `tile:BMxBNxBK:TMxTN` with an optional `:sS` (k splits), e.g. `tile:128x128x16:8x8:s2`.
    pub fn parse(name: &str) -> Option<GemmKernel> {
        match name {
            "auto" => Some(GemmKernel::Auto),
            "tiled" => Some(GemmKernel::Tiled),
            "4x4" => Some(GemmKernel::Vec4x4),
            "8x4" => Some(GemmKernel::Vec8x4),
            _ => {
                let mut parts = name.strip_prefix("tile:")?.split(':');
                let nums =
                    |t: &str| t.split('x').map(str::parse::<u32>).collect::<std::result::Result<Vec<_>, _>>().ok();
                let (block, inv) = (nums(parts.next()?)?, nums(parts.next()?)?);
                let splits = match parts.next() {
                    Some(t) => t.strip_prefix('s')?.parse().ok()?,
                    None => 0,
                };
                let (&[bm, bn, bk], &[tm, tn]) = (&block[..], &inv[..]) else { return None };
                let shape = TileShape { bm, bn, bk, tm, tn };
                (parts.next().is_none() && shape.is_valid()).then_some(GemmKernel::Tile { shape, splits })
            }
        }
    }
}

/// Whether the register-blocked kernel's vec4 loads are aligned and whole for this GEMM (the
/// conditions at the top of `gemm_vec.wgsl`).
fn gemm_vec_fits(m: usize, n: usize, k: usize, ta: bool, tb: bool) -> bool {
    n.is_multiple_of(4) && (ta || k.is_multiple_of(4)) && (!tb || k.is_multiple_of(4)) && (!ta || m.is_multiple_of(4))
}

/// (kernel, source, read-only flag of each storage binding 1..).
const KERNELS: &[(Kernel, &str, &[bool])] = &[
    (Kernel::Fill, include_str!("fill.wgsl"), &[false]),
    (Kernel::ScaleCopy, include_str!("scale_copy.wgsl"), &[true, false]),
    (Kernel::GatherRows, include_str!("gather_rows.wgsl"), &[true, true, false]),
    (Kernel::GatherIdx, include_str!("gather_idx.wgsl"), &[true, true, false]),
    (Kernel::Gemm, include_str!("gemm.wgsl"), &[true, true, false]),
    (Kernel::BiasAct, include_str!("bias_act.wgsl"), &[false, true]),
    (Kernel::ActBackward, include_str!("act_backward.wgsl"), &[true, false]),
    (Kernel::Losses, include_str!("losses.wgsl"), &[true, true, true, false, false]),
    (Kernel::SumSquares, include_str!("sum_squares.wgsl"), &[true, false]),
    (Kernel::ColSums, include_str!("col_sums.wgsl"), &[true, false, false]),
    (Kernel::Optim, include_str!("optim.wgsl"), &[false, true, false, false]),
    (Kernel::GemmSplit, include_str!("gemm_split.wgsl"), &[true, true, false, false]),
    (Kernel::GemmReduce, include_str!("gemm_reduce.wgsl"), &[true, false]),
];

/// A compiled kernel (wgpu handles: cloning one is a reference count).
#[derive(Clone)]
struct Pipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

/// A device, its queue and the compiled kernels; shared by every fit of the process that uses
/// the same [`AdapterChoice`].
pub struct WgpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: AdapterInfo,
    max_binding: u64,
    max_groups: u32,
    pipelines: HashMap<Kernel, Pipeline>,
    /// The eight register-blocked GEMM variants, compiled on first use.
    gemm_vec: [OnceLock<Pipeline>; 8],
    /// Tiled GEMM variants, compiled on first use.
    gemm_tile: Mutex<HashMap<(TileShape, u8), Pipeline>>,
    /// Whether kernels are compiled with wgpu's injected runtime checks (see [`make_pipeline`]).
    checked: bool,
    dummy_ro: wgpu::Buffer,
    dummy_rw: wgpu::Buffer,
}

impl std::fmt::Debug for WgpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WgpuContext")
            .field("adapter", &self.info)
            .field("max_binding", &self.max_binding)
            .finish_non_exhaustive()
    }
}

fn is_software(info: &wgpu::AdapterInfo) -> bool {
    let name = info.name.to_lowercase();
    info.device_type == wgpu::DeviceType::Cpu
        || ["llvmpipe", "lavapipe", "softpipe", "swiftshader", "software"].iter().any(|s| name.contains(s))
}

/// Lower is better: discrete, integrated, virtual, other, software; Vulkan/Metal/DX12 before GL.
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let kind = if is_software(info) {
        4
    } else {
        match info.device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            _ => 3,
        }
    };
    let api = u8::from(info.backend == wgpu::Backend::Gl);
    (kind, api)
}

fn unavailable(what: &'static str) -> Error {
    Error::Unsupported { estimator: "oxlearn-nn".to_string(), operation: what }
}

impl WgpuContext {
    /// The process-wide context for `choice`, created (adapter lookup, device, pipelines) on
    /// first use. A failure is cached too, so a machine without a GPU pays the lookup once.
    pub fn get(choice: AdapterChoice) -> Result<Arc<WgpuContext>> {
        type Cache = Mutex<HashMap<AdapterChoice, std::result::Result<Arc<WgpuContext>, Error>>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(choice)
            .or_insert_with(|| {
                std::panic::catch_unwind(|| pollster::block_on(Self::create(choice)))
                    .unwrap_or_else(|_| {
                        Err(Error::Other("device wgpu: the wgpu driver panicked while opening the adapter".into()))
                    })
                    .map(Arc::new)
            })
            .clone()
    }

    async fn create(choice: AdapterChoice) -> Result<WgpuContext> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let mut adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        adapters.retain(|a| choice == AdapterChoice::Any || !is_software(&a.get_info()));
        adapters.sort_by_key(|a| rank(&a.get_info()));
        let Some(adapter) = adapters.into_iter().next() else {
            return Err(unavailable(match choice {
                AdapterChoice::Hardware => {
                    "device wgpu: no hardware GPU adapter found (Vulkan, Metal, DX12 or GL); use Device::WgpuAny to allow a software adapter such as lavapipe"
                }
                AdapterChoice::Any => {
                    "device wgpu-any: no wgpu adapter at all (install a Vulkan driver, e.g. mesa-vulkan-drivers for lavapipe)"
                }
            }));
        };
        let raw = adapter.get_info();
        let info = AdapterInfo {
            name: raw.name.clone(),
            api: format!("{:?}", raw.backend),
            kind: format!("{:?}", raw.device_type),
            software: is_software(&raw),
        };
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("oxlearn-nn"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Other(format!("device wgpu: cannot open {info}: {e}")))?;
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let checked = std::env::var("OXLEARN_WGPU_CHECKED").is_ok_and(|v| v.trim() == "1");
        let mut pipelines = HashMap::new();
        for &(kernel, body, bindings) in KERNELS {
            pipelines.insert(kernel, make_pipeline(&device, body, bindings, checked));
        }
        let buffer = |size: u64, usage| {
            device.create_buffer(&wgpu::BufferDescriptor { label: None, size, usage, mapped_at_creation: false })
        };
        let dummy_ro = buffer(16, wgpu::BufferUsages::STORAGE);
        let dummy_rw = buffer(16, wgpu::BufferUsages::STORAGE);
        Ok(WgpuContext {
            max_groups: limits.max_compute_workgroups_per_dimension,
            device,
            queue,
            info,
            max_binding,
            pipelines,
            gemm_vec: Default::default(),
            gemm_tile: Default::default(),
            checked,
            dummy_ro,
            dummy_rw,
        })
    }

    /// The adapter this context computes on.
    pub fn adapter(&self) -> &AdapterInfo {
        &self.info
    }

    fn pipeline(&self, kernel: Kernel) -> Pipeline {
        match kernel {
            Kernel::GemmTile(shape, v) => {
                let mut tiles = self.gemm_tile.lock().unwrap_or_else(|e| e.into_inner());
                let make = || {
                    let src = gemm_tile::source(shape, v & 1 != 0, v & 2 != 0);
                    make_pipeline(&self.device, &src, &[true, true, false, false], self.checked)
                };
                tiles.entry((shape, v)).or_insert_with(make).clone()
            }
            Kernel::GemmVec(v) => self.gemm_vec[usize::from(v)]
                .get_or_init(|| {
                    let src = format!(
                        "const TA: bool = {};\nconst TB: bool = {};\nconst RM: u32 = {}u;\n{}",
                        v & 1 != 0,
                        v & 2 != 0,
                        if v & 4 != 0 { 8 } else { 4 },
                        include_str!("gemm_vec.wgsl")
                    );
                    make_pipeline(&self.device, &src, &[true, true, false, false], self.checked)
                })
                .clone(),
            other => self.pipelines[&other].clone(),
        }
    }
}

/// Compiles `body` (after `common.wgsl`) with a uniform block at binding 0 and one storage
/// buffer per `bindings` entry (its read-only flag) at bindings 1...
///
/// Unless `checked` (`OXLEARN_WGPU_CHECKED=1`), without the checks wgpu would inject into the
/// shader: clamps on every array index and a counter bounding every loop. They cost the GEMM
/// kernels a large share of their speed (a clamp per workgroup-memory read; loops the driver
/// then does not unroll), and these kernels do not need them: every index into workgroup or
/// function-local arrays is in range by construction (loop bounds are the arrays' constant
/// lengths, thread ids below the workgroup size), storage-buffer indices are clamped or
/// guarded by the sizes in the uniform block, which the host checks against the buffers it
/// binds, and every loop counts up to a uniform bound far below `u32::MAX`. Storage-buffer
/// accesses stay bounds-checked by the driver where it offers robust buffer access.
fn make_pipeline(device: &wgpu::Device, body: &str, bindings: &[bool], checked: bool) -> Pipeline {
    let common = include_str!("common.wgsl");
    let src = format!("{common}\n{body}");
    let desc =
        wgpu::ShaderModuleDescriptor { label: Some("oxlearn-nn kernel"), source: wgpu::ShaderSource::Wgsl(src.into()) };
    let module = if checked {
        device.create_shader_module(desc)
    } else {
        let mut checks = wgpu::ShaderRuntimeChecks::checked();
        checks.bounds_checks = false;
        checks.force_loop_bounding = false;
        // SAFETY: the kernels compiled here are this module's own WGSL, whose indices and loops
        // are in bounds by construction (see above); the division checks stay on.
        unsafe { device.create_shader_module_trusted(desc, checks) }
    };
    let mut entries = vec![wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: true,
            min_binding_size: wgpu::BufferSize::new(64),
        },
        count: None,
    }];
    for (i, &read_only) in bindings.iter().enumerate() {
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: i as u32 + 1,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        });
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: None, entries: &entries });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: None,
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: Some(&pl),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    Pipeline { layout, pipeline }
}

/// Device memory of `len` 4-byte values: one buffer, or (training data larger than one storage
/// binding, from [`Backend::upload_data`]) consecutive segments of `seg` values each, which only
/// the gathers read.
#[derive(Debug)]
struct Mem {
    first: wgpu::Buffer,
    more: Vec<wgpu::Buffer>,
    seg: usize,
    len: usize,
}

impl Mem {
    /// `(first value, values, buffer)` of each segment.
    fn segments(&self) -> impl Iterator<Item = (usize, usize, &wgpu::Buffer)> {
        std::iter::once(&self.first).chain(&self.more).enumerate().map(|(i, b)| {
            let start = i * self.seg;
            (start, self.seg.min(self.len - start.min(self.len)), b)
        })
    }

    /// The single buffer a kernel binds.
    fn whole(&self) -> &wgpu::Buffer {
        assert!(self.more.is_empty(), "a kernel bound a split data buffer (only the gathers read those)");
        &self.first
    }
}

/// A device buffer of `len` f32 values.
#[derive(Debug)]
pub struct WgpuBuf {
    mem: Mem,
}

/// A device buffer of `len` u32 indices.
#[derive(Debug)]
pub struct WgpuIdx {
    mem: Mem,
}

impl WgpuBuf {
    /// Values held.
    pub fn len(&self) -> usize {
        self.mem.len
    }

    /// Device buffers holding it (more than one only for data split by
    /// [`Backend::upload_data`]).
    pub fn buffers(&self) -> usize {
        1 + self.mem.more.len()
    }

    /// Whether it holds no values.
    pub fn is_empty(&self) -> bool {
        self.mem.len == 0
    }
}

/// A bind group's identity: the kernel and the buffers at bindings 1...
type BindKey = (Kernel, [Option<wgpu::Buffer>; 5]);

struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    /// One compute pass holds every dispatch of the encoder (wgpu still separates dispatches
    /// by barriers: each dispatch is its own usage scope).
    pass: Option<wgpu::ComputePass<'static>>,
    params: Vec<u8>,
    slots: usize,
    /// Bind groups by kernel and buffers: a training step repeats the same few dozen, so each is
    /// created once. Cleared at every host read or write (once per epoch in a fit), so buffers
    /// dropped by the caller are not kept alive for long.
    bind_groups: HashMap<BindKey, wgpu::BindGroup>,
}

/// The wgpu backend. Cheap to create: the device and pipelines live in the shared
/// [`WgpuContext`]; the backend holds the command stream of one fit.
pub struct WgpuBackend {
    ctx: Arc<WgpuContext>,
    device_kind: Device,
    pending: Mutex<Pending>,
    params: wgpu::Buffer,
    gemm_kernel: GemmKernel,
    /// The tile shape [`GemmKernel::Auto`] uses for large products.
    tile_shape: TileShape,
    /// Whether small GEMMs split their k range over more invocations (see [`WgpuBackend::gemm`]).
    split_k: bool,
    /// The split-K partial sums, grown on demand.
    part: Mutex<Option<wgpu::Buffer>>,
    /// Bytes one buffer may hold: the adapter's largest storage binding, or less for tests.
    limit_bytes: u64,
}

/// Invocations a GEMM should run for the GPU to hide its memory latency: fewer, and the k range
/// is split (up to [`MAX_SPLITS`] ways, at least [`MIN_SPLIT_K`] values of k each).
const TARGET_INVOCATIONS: usize = 1 << 17;
const MAX_SPLITS: usize = 32;
const MIN_SPLIT_K: usize = 32;
/// Multiply-adds from which [`GemmKernel::Auto`] runs the workgroup-tiled kernel (where the
/// vec4 loads fit): 256 x 256 x 512 and up.
const TILE_MIN_MACS: usize = 1 << 25;
/// Workgroups a tiled GEMM should run (fewer, and it splits its k range): a few per compute
/// unit of a large GPU.
const TILE_TARGET_GROUPS: usize = 256;

impl std::fmt::Debug for WgpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WgpuBackend").field("adapter", &self.ctx.info).finish_non_exhaustive()
    }
}

/// One dispatch's uniform block.
#[derive(Clone, Copy, Default)]
struct P {
    u: [u32; 8],
    f: [f32; 8],
}

enum Bind<'a> {
    F(&'a WgpuBuf),
    I(&'a WgpuIdx),
    /// One segment of split data.
    Raw(&'a wgpu::Buffer),
    DummyRo,
    DummyRw,
}

impl WgpuBackend {
    /// A backend on the adapter `choice` picks (see [`WgpuContext::get`]).
    pub fn new(choice: AdapterChoice) -> Result<WgpuBackend> {
        let ctx = WgpuContext::get(choice)?;
        let device_kind = match choice {
            AdapterChoice::Hardware => Device::Wgpu,
            AdapterChoice::Any => Device::WgpuAny,
        };
        // Each backend has its own uniform ring, so fits on several threads never share one.
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("oxlearn-nn params"),
            size: (SLOTS * SLOT_BYTES) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(WgpuBackend {
            ctx: ctx.clone(),
            device_kind,
            pending: Mutex::new(Pending {
                encoder: None,
                pass: None,
                params: vec![0; SLOTS * SLOT_BYTES],
                slots: 0,
                bind_groups: HashMap::new(),
            }),
            params,
            limit_bytes: ctx.max_binding,
            split_k: std::env::var("OXLEARN_WGPU_SPLITK").map_or(true, |v| v.trim() != "0"),
            part: Mutex::new(None),
            gemm_kernel: std::env::var("OXLEARN_WGPU_GEMM")
                .ok()
                .and_then(|v| GemmKernel::parse(v.trim()))
                .unwrap_or_default(),
            tile_shape: std::env::var("OXLEARN_WGPU_TILE")
                .ok()
                .and_then(|v| match GemmKernel::parse(&format!("tile:{}", v.trim())) {
                    Some(GemmKernel::Tile { shape, .. }) => Some(shape),
                    _ => None,
                })
                .unwrap_or(TileShape::T128),
        })
    }

    /// The tile shape [`GemmKernel::Auto`] runs large products with (default
    /// [`TileShape::T128`]; `OXLEARN_WGPU_TILE=BMxBNxBK:TMxTN`, read when a backend is created,
    /// sets it without code).
    pub fn set_tile_shape(&mut self, shape: TileShape) -> Result<()> {
        if !shape.is_valid() {
            return Err(Error::invalid_param("tile_shape", format!("{shape:?} is not a supported GEMM tile shape")));
        }
        self.tile_shape = shape;
        Ok(())
    }

    /// How many ways a tiled GEMM of `groups` workgroups over `k` values (slices of `bk`) with
    /// an `mn`-value output splits its k range: enough stacked copies for [`TILE_TARGET_GROUPS`]
    /// workgroups, each over at least four slices.
    fn tile_splits(&self, groups: usize, k: usize, bk: usize, mn: usize) -> usize {
        if !self.split_k || groups >= TILE_TARGET_GROUPS {
            return 1;
        }
        let by_limit = (self.limit_bytes as usize / 4 / mn.max(1)).max(1);
        TILE_TARGET_GROUPS.div_ceil(groups.max(1)).min(k / (4 * bk)).min(MAX_SPLITS).min(by_limit).max(1)
    }

    /// Whether GEMMs with few outputs for their k range split it over more invocations (on by
    /// default; `OXLEARN_WGPU_SPLITK=0`, read when a backend is created, turns it off): a
    /// second pass adds the partial sums in a fixed order.
    pub fn set_split_k(&mut self, on: bool) {
        self.split_k = on;
    }

    /// How many ways a GEMM of `invocations` invocations over `k` values with an `mn`-value
    /// output splits its k range (1: no split).
    fn splits(&self, invocations: usize, k: usize, mn: usize) -> usize {
        if !self.split_k || invocations >= TARGET_INVOCATIONS {
            return 1;
        }
        let by_limit = (self.limit_bytes as usize / 4 / mn.max(1)).max(1);
        TARGET_INVOCATIONS.div_ceil(invocations.max(1)).min(k / MIN_SPLIT_K).min(MAX_SPLITS).min(by_limit).max(1)
    }

    /// Records a vec4 or tiled GEMM kernel over `groups` workgroups: with one split it writes
    /// C itself; with more, its partial sums, then the reduce pass adds them into C.
    #[allow(clippy::too_many_arguments)]
    fn gemm_pass(
        &self,
        kernel: Kernel,
        p: P,
        a: &WgpuBuf,
        b: &WgpuBuf,
        c: &mut WgpuBuf,
        groups: (u32, u32),
        splits: usize,
        (alpha, beta): (f32, f32),
    ) {
        if splits == 1 {
            self.dispatch(kernel, p, &[Bind::F(a), Bind::F(b), Bind::F(c), Bind::DummyRw], groups);
            return;
        }
        let mn = c.len().min(p.u[0] as usize * p.u[1] as usize);
        let part = self.part_buffer(splits * mn);
        self.dispatch(kernel, p, &[Bind::F(a), Bind::F(b), Bind::DummyRw, Bind::Raw(&part)], groups);
        let mut r = P::default();
        r.u[..2].copy_from_slice(&[u(mn), u(splits)]);
        r.f[..2].copy_from_slice(&[alpha, beta]);
        self.elementwise(Kernel::GemmReduce, r, &[Bind::Raw(&part), Bind::F(c)]);
    }

    /// The partial-sum buffer, at least `values` long.
    fn part_buffer(&self, values: usize) -> wgpu::Buffer {
        let mut part = self.part.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = (values.max(1) * 4) as u64;
        match &*part {
            Some(b) if b.size() >= bytes => b.clone(),
            _ => {
                let b = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("oxlearn-nn split-K partials"),
                    size: bytes.next_multiple_of(1 << 20).min(self.ctx.max_binding.max(bytes)),
                    usage: wgpu::BufferUsages::STORAGE,
                    mapped_at_creation: false,
                });
                *part = Some(b.clone());
                b
            }
        }
    }

    /// Forces a GEMM kernel (see [`GemmKernel`]; for measurements and tests).
    pub fn set_gemm_kernel(&mut self, kernel: GemmKernel) {
        self.gemm_kernel = kernel;
    }

    /// Lowers the bytes one buffer may hold below the adapter's largest storage binding (for
    /// tests of the splitting paths on small data; never above the adapter's limit).
    pub fn set_max_buffer_bytes(&mut self, bytes: u64) {
        self.limit_bytes = bytes.clamp(16, self.ctx.max_binding);
    }

    /// The GEMM kernel choice in force.
    pub fn gemm_kernel(&self) -> GemmKernel {
        self.gemm_kernel
    }

    /// The adapter this backend computes on.
    pub fn adapter(&self) -> &AdapterInfo {
        &self.ctx.info
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn flush_locked(&self, pending: &mut Pending) {
        // End the pass before finishing its encoder.
        drop(pending.pass.take());
        if let Some(encoder) = pending.encoder.take() {
            self.ctx.queue.write_buffer(&self.params, 0, &pending.params[..pending.slots * SLOT_BYTES]);
            self.ctx.queue.submit([encoder.finish()]);
            pending.slots = 0;
        }
    }

    fn flush(&self) {
        let mut pending = self.lock();
        self.flush_locked(&mut pending);
    }

    fn too_large(&self, what: &str, len: usize) -> Error {
        Error::InvalidInput(format!(
            "device {}: {what} of {len} values ({} bytes) exceeds the largest buffer of {} bytes on {}; use smaller data, a smaller batch_size or another device",
            self.device_kind,
            len as u128 * 4,
            self.limit_bytes,
            self.ctx.info
        ))
    }

    fn alloc(&self, len: usize) -> Result<wgpu::Buffer> {
        let bytes = (len.max(1) as u64).saturating_mul(4);
        if bytes > self.limit_bytes {
            return Err(self.too_large("a buffer", len));
        }
        Ok(self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes.div_ceil(16) * 16,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        }))
    }

    /// One buffer of `len` values, or (`split`) as many as the limit needs.
    fn alloc_mem(&self, len: usize, split: bool) -> Result<Mem> {
        if !split || (len as u64).saturating_mul(4) <= self.limit_bytes {
            return Ok(Mem { first: self.alloc(len)?, more: Vec::new(), seg: len.max(1), len });
        }
        // The gathers index the whole data with u32 values.
        if len > u32::MAX as usize {
            return Err(self.too_large("training data (more than 2^32 values cannot be indexed)", len));
        }
        // Whole 16-byte groups per segment.
        let seg = ((self.limit_bytes / 4) as usize / 4 * 4).max(4);
        let mut buffers = (0..len.div_ceil(seg)).map(|i| self.alloc(seg.min(len - i * seg)));
        let first = buffers.next().expect("at least two segments")?;
        let more = buffers.collect::<Result<Vec<_>>>()?;
        Ok(Mem { first, more, seg, len })
    }

    fn write_mem(&self, dst: &Mem, bytes: &[u8]) {
        let values = bytes.len() / 4;
        assert!(values <= dst.len, "write past the end of a buffer");
        for (start, len, buf) in dst.segments() {
            if start >= values {
                break;
            }
            let end = (start + len).min(values);
            self.write_bytes(buf, &bytes[start * 4..end * 4]);
        }
    }

    fn read_mem(&self, src: &Mem, values: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(values * 4);
        for (start, len, buf) in src.segments() {
            if start >= values {
                break;
            }
            let end = (start + len).min(values);
            out.extend_from_slice(&self.read_bytes(buf, ((end - start) * 4) as u64)?[..(end - start) * 4]);
        }
        Ok(out)
    }

    /// Records one dispatch of `kernel` with `groups` workgroups.
    fn dispatch(&self, kernel: Kernel, p: P, binds: &[Bind<'_>], groups: (u32, u32)) {
        if groups.0 == 0 || groups.1 == 0 {
            return;
        }
        let mut pending = self.lock();
        if pending.slots == SLOTS {
            self.flush_locked(&mut pending);
        }
        let slot = pending.slots;
        pending.slots += 1;
        let off = slot * SLOT_BYTES;
        for (i, v) in p.u.iter().enumerate() {
            pending.params[off + 4 * i..off + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        for (i, v) in p.f.iter().enumerate() {
            let o = off + 32 + 4 * i;
            pending.params[o..o + 4].copy_from_slice(&v.to_le_bytes());
        }
        let pipe = self.ctx.pipeline(kernel);
        let mut key: BindKey = (kernel, Default::default());
        for (slot, b) in key.1.iter_mut().zip(binds) {
            *slot = Some(
                match b {
                    Bind::F(b) => b.mem.whole(),
                    Bind::I(b) => b.mem.whole(),
                    Bind::Raw(b) => b,
                    Bind::DummyRo => &self.ctx.dummy_ro,
                    Bind::DummyRw => &self.ctx.dummy_rw,
                }
                .clone(),
            );
        }
        let pending = &mut *pending;
        if !pending.bind_groups.contains_key(&key) {
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &self.params,
                    offset: 0,
                    size: wgpu::BufferSize::new(64),
                }),
            }];
            for (i, buffer) in key.1.iter().enumerate() {
                if let Some(buffer) = buffer {
                    entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: buffer.as_entire_binding() });
                }
            }
            let bind_group = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &pipe.layout,
                entries: &entries,
            });
            pending.bind_groups.insert(key.clone(), bind_group);
        }
        let bind_group = &pending.bind_groups[&key];
        if pending.pass.is_none() {
            let encoder = pending.encoder.get_or_insert_with(|| {
                self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
            });
            let pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pending.pass = Some(pass.forget_lifetime());
        }
        let pass = pending.pass.as_mut().expect("a pass was just opened");
        pass.set_pipeline(&pipe.pipeline);
        pass.set_bind_group(0, bind_group, &[off as u32]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }

    /// Workgroups for `len` elementwise threads: a 2-D grid within the per-dimension limit.
    fn grid(&self, len: usize) -> (u32, u32) {
        let groups = len.div_ceil(WG as usize);
        let max = self.ctx.max_groups as usize;
        if groups <= max { (groups as u32, 1) } else { (max as u32, groups.div_ceil(max) as u32) }
    }

    fn elementwise(&self, kernel: Kernel, p: P, binds: &[Bind<'_>]) {
        let g = self.grid(p.u[0] as usize);
        self.dispatch(kernel, p, binds, g);
    }

    fn read_bytes(&self, src: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        let mut pending = self.lock();
        self.flush_locked(&mut pending);
        pending.bind_groups.clear();
        let bytes = bytes.div_ceil(4) * 4;
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(src, 0, &staging, 0, bytes);
        self.ctx.queue.submit([encoder.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Other(format!("device wgpu: waiting for the GPU failed: {e}")))?;
        rx.recv()
            .map_err(|_| Error::Other("device wgpu: the buffer map never completed".into()))?
            .map_err(|e| Error::Other(format!("device wgpu: cannot read a buffer back: {e}")))?;
        let out = staging
            .get_mapped_range(..)
            .map_err(|e| Error::Other(format!("device wgpu: cannot read a buffer back: {e}")))?
            .to_vec();
        staging.unmap();
        Ok(out)
    }

    fn write_bytes(&self, dst: &wgpu::Buffer, data: &[u8]) {
        // Submit what was recorded first: the write must land after it.
        let mut pending = self.lock();
        self.flush_locked(&mut pending);
        pending.bind_groups.clear();
        drop(pending);
        let whole = data.len() / 4 * 4;
        if whole > 0 {
            self.ctx.queue.write_buffer(dst, 0, &data[..whole]);
        }
    }
}

fn act_code(act: Activation) -> u32 {
    match act {
        Activation::Identity => 0,
        Activation::Logistic => 1,
        Activation::Tanh => 2,
        Activation::Relu => 3,
    }
}

fn u(v: usize) -> u32 {
    u32::try_from(v).expect("sizes fit in u32 (buffers are bounded by the binding limit)")
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn u32_bytes(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

impl Backend for WgpuBackend {
    type Buf = WgpuBuf;
    type Idx = WgpuIdx;

    fn device(&self) -> Device {
        self.device_kind
    }

    fn zeros(&self, len: usize) -> Result<WgpuBuf> {
        // wgpu zero-initialises new buffers.
        Ok(WgpuBuf { mem: self.alloc_mem(len, false)? })
    }

    fn upload(&self, host: &[f32]) -> Result<WgpuBuf> {
        let mut b = self.zeros(host.len())?;
        self.write(&mut b, host)?;
        Ok(b)
    }

    fn write(&self, dst: &mut WgpuBuf, host: &[f32]) -> Result<()> {
        self.write_mem(&dst.mem, &f32_bytes(host));
        Ok(())
    }

    fn download(&self, src: &WgpuBuf, host: &mut [f32]) -> Result<()> {
        let bytes = self.read_mem(&src.mem, host.len())?;
        for (h, c) in host.iter_mut().zip(bytes.chunks_exact(4)) {
            *h = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        Ok(())
    }

    fn read_scalar(&self, src: &WgpuBuf) -> Result<f64> {
        let mut v = [0.0f32];
        self.download(src, &mut v)?;
        Ok(f64::from(v[0]))
    }

    fn upload_idx(&self, host: &[u32]) -> Result<WgpuIdx> {
        let mut b = WgpuIdx { mem: self.alloc_mem(host.len(), false)? };
        self.write_idx(&mut b, host)?;
        Ok(b)
    }

    fn write_idx(&self, dst: &mut WgpuIdx, host: &[u32]) -> Result<()> {
        self.write_mem(&dst.mem, &u32_bytes(host));
        Ok(())
    }

    fn max_buffer_len(&self) -> usize {
        usize::try_from(self.limit_bytes / 4).unwrap_or(usize::MAX)
    }

    fn upload_data(&self, host: &[f32]) -> Result<WgpuBuf> {
        let b = WgpuBuf { mem: self.alloc_mem(host.len(), true)? };
        self.write_mem(&b.mem, &f32_bytes(host));
        Ok(b)
    }

    fn upload_data_idx(&self, host: &[u32]) -> Result<WgpuIdx> {
        let b = WgpuIdx { mem: self.alloc_mem(host.len(), true)? };
        self.write_mem(&b.mem, &u32_bytes(host));
        Ok(b)
    }

    fn fill(&self, dst: &mut WgpuBuf, len: usize, value: f32) {
        let mut p = P::default();
        p.u[0] = u(len);
        p.f[0] = value;
        self.elementwise(Kernel::Fill, p, &[Bind::F(dst)]);
    }

    fn scale_copy(&self, src: &WgpuBuf, alpha: f32, dst: &mut WgpuBuf, len: usize) {
        let mut p = P::default();
        p.u[0] = u(len);
        p.f[0] = alpha;
        self.elementwise(Kernel::ScaleCopy, p, &[Bind::F(src), Bind::F(dst)]);
    }

    fn gather_rows(&self, src: &WgpuBuf, cols: usize, order: &WgpuIdx, range: Range<usize>, dst: &mut WgpuBuf) {
        if cols == 0 {
            return;
        }
        // One dispatch per segment of split data; each copies the values that segment holds.
        for (start, len, seg) in src.mem.segments() {
            let mut p = P::default();
            p.u[0] = u(range.len() * cols);
            p.u[1] = u(cols);
            p.u[2] = u(range.start);
            p.u[3] = u(start);
            p.u[4] = u(len);
            self.elementwise(Kernel::GatherRows, p, &[Bind::Raw(seg), Bind::I(order), Bind::F(dst)]);
        }
    }

    fn gather_idx(&self, src: &WgpuIdx, order: &WgpuIdx, range: Range<usize>, dst: &mut WgpuIdx) {
        for (start, len, seg) in src.mem.segments() {
            let mut p = P::default();
            p.u[0] = u(range.len());
            p.u[2] = u(range.start);
            p.u[3] = u(start);
            p.u[4] = u(len);
            self.elementwise(Kernel::GatherIdx, p, &[Bind::Raw(seg), Bind::I(order), Bind::I(dst)]);
        }
    }

    fn gemm(
        &self,
        m: usize,
        n: usize,
        k: usize,
        alpha: f32,
        a: &WgpuBuf,
        ta: Trans,
        b: &WgpuBuf,
        tb: Trans,
        beta: f32,
        c: &mut WgpuBuf,
    ) {
        let mut p = P::default();
        let (ta, tb) = (ta == Trans::Yes, tb == Trans::Yes);
        p.u[..5].copy_from_slice(&[u(m), u(n), u(k), u32::from(ta), u32::from(tb)]);
        p.f[0] = alpha;
        p.f[1] = beta;
        let fits = gemm_vec_fits(m, n, k, ta, tb);
        let max = self.ctx.max_groups;
        let mn = m * n;
        let tile = match self.gemm_kernel {
            GemmKernel::Tile { shape, splits } if fits && k > 0 => Some((shape, usize::from(splits))),
            GemmKernel::Auto if fits && m * n * k >= TILE_MIN_MACS => Some((self.tile_shape, 0)),
            _ => None,
        };
        if let Some((shape, forced)) = tile {
            // Workgroups of the tile shape, stacked `splits` times over the k range.
            let (bm, bn, bk) = (shape.bm as usize, shape.bn as usize, shape.bk as usize);
            let blocks = m.div_ceil(bm);
            let want = if forced > 0 {
                forced.min(k.div_ceil(bk))
            } else {
                self.tile_splits(blocks * n.div_ceil(bn), k, bk, mn)
            };
            let k_per = k.div_ceil(want).next_multiple_of(bk);
            let splits = k.div_ceil(k_per);
            p.u[5..8].copy_from_slice(&[u(splits), u(blocks), u(k_per)]);
            let kernel = Kernel::GemmTile(shape, u8::from(ta) | u8::from(tb) << 1);
            let groups = (u(n.div_ceil(bn)), u(blocks * splits));
            assert!(groups.0 <= max && groups.1 <= max, "gemm of {m} x {n} exceeds the dispatch limit");
            self.gemm_pass(kernel, p, a, b, c, groups, splits, (alpha, beta));
            return;
        }
        let rows = match self.gemm_kernel {
            GemmKernel::Tiled => None,
            _ if !fits => None,
            GemmKernel::Vec8x4 => Some(8),
            GemmKernel::Auto | GemmKernel::Vec4x4 | GemmKernel::Tile { .. } => Some(4),
        };
        // The kernel, its workgroups and the k split (S partials, then the reduce pass).
        let (kernel, groups, splits) = match rows {
            // 16 x 16 invocations of `rows` x 4 outputs each; with S splits, S stacked copies
            // of the row blocks, each over its k range.
            Some(rows) => {
                let row_blocks = m.div_ceil(rows).next_multiple_of(16);
                let splits = self.splits(n.div_ceil(4) * row_blocks, k, mn);
                let k_per = k.div_ceil(splits).next_multiple_of(4);
                p.u[5..8].copy_from_slice(&[u(splits), u(row_blocks), u(k_per)]);
                let kernel = Kernel::GemmVec(u8::from(ta) | u8::from(tb) << 1 | u8::from(rows == 8) << 2);
                (kernel, (u(n.div_ceil(64)), u(row_blocks / 16 * splits)), splits)
            }
            // Narrow or small products the 64 x 64 tiles would cover with few workgroups:
            // one output per invocation, the k range split.
            None if self.gemm_kernel != GemmKernel::Tiled
                && n.div_ceil(GEMM_TILE) * m.div_ceil(GEMM_TILE) < 64
                && self.splits(mn, k, mn) > 1 =>
            {
                let splits = self.splits(mn, k, mn);
                let wgs = mn.div_ceil(WG as usize);
                let x = wgs.min(max as usize);
                let rows_per_split = wgs.div_ceil(x);
                p.u[5..8].copy_from_slice(&[u(splits), u(rows_per_split), u(k.div_ceil(splits))]);
                (Kernel::GemmSplit, (u(x), u(rows_per_split * splits)), splits)
            }
            None => (Kernel::Gemm, (u(n.div_ceil(GEMM_TILE)), u(m.div_ceil(GEMM_TILE))), 1),
        };
        assert!(groups.0 <= max && groups.1 <= max, "gemm of {m} x {n} exceeds the dispatch limit");
        if kernel == Kernel::Gemm {
            self.dispatch(kernel, p, &[Bind::F(a), Bind::F(b), Bind::F(c)], groups);
            return;
        }
        self.gemm_pass(kernel, p, a, b, c, groups, splits, (alpha, beta));
    }

    fn bias_act(&self, z: &mut WgpuBuf, rows: usize, cols: usize, bias: &WgpuBuf, act: Activation) {
        let mut p = P::default();
        p.u[0] = u(rows * cols);
        p.u[1] = u(cols);
        p.u[2] = act_code(act);
        if cols == 0 {
            return;
        }
        self.elementwise(Kernel::BiasAct, p, &[Bind::F(z), Bind::F(bias)]);
    }

    fn act_backward(&self, a: &WgpuBuf, delta: &mut WgpuBuf, len: usize, act: Activation) {
        if act == Activation::Identity {
            return;
        }
        let mut p = P::default();
        p.u[0] = u(len);
        p.u[2] = act_code(act);
        self.elementwise(Kernel::ActBackward, p, &[Bind::F(a), Bind::F(delta)]);
    }

    fn softmax_xent(
        &self,
        z: &WgpuBuf,
        labels: &WgpuIdx,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut WgpuBuf,
        loss: &mut WgpuBuf,
    ) {
        let mut p = P::default();
        p.u[0] = u(rows);
        p.u[1] = u(cols);
        p.u[5] = 0;
        p.f[0] = scale;
        let binds = [Bind::F(z), Bind::I(labels), Bind::DummyRo, Bind::F(grad), Bind::F(loss)];
        self.dispatch(Kernel::Losses, p, &binds, (1, 1));
    }

    fn logistic_xent(
        &self,
        z: &WgpuBuf,
        labels: &WgpuIdx,
        rows: usize,
        scale: f32,
        grad: &mut WgpuBuf,
        loss: &mut WgpuBuf,
    ) {
        let mut p = P::default();
        p.u[0] = u(rows);
        p.u[1] = 1;
        p.u[5] = 1;
        p.f[0] = scale;
        let binds = [Bind::F(z), Bind::I(labels), Bind::DummyRo, Bind::F(grad), Bind::F(loss)];
        self.dispatch(Kernel::Losses, p, &binds, (1, 1));
    }

    fn squared_error(
        &self,
        pred: &WgpuBuf,
        target: &WgpuBuf,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut WgpuBuf,
        loss: &mut WgpuBuf,
    ) {
        let mut p = P::default();
        p.u[0] = u(rows * cols);
        p.u[1] = u(cols.max(1));
        p.u[5] = 2;
        p.f[0] = scale;
        let binds = [Bind::F(pred), Bind::DummyRo, Bind::F(target), Bind::F(grad), Bind::F(loss)];
        self.dispatch(Kernel::Losses, p, &binds, (1, 1));
    }

    fn col_sums(&self, m: &WgpuBuf, rows: usize, cols: usize, alpha: f32, out: &mut WgpuBuf) {
        let mut p = P::default();
        p.u[0] = u(rows);
        p.u[1] = u(cols);
        p.f[0] = alpha;
        // Chunks of at least COL_SUM_ROWS rows (a multiple of 4), at most 64 of them: enough
        // workgroups for a tall matrix, each thread a short loop, then a reduce pass.
        let chunk = rows.div_ceil(64).max(COL_SUM_ROWS).next_multiple_of(4);
        let chunks = rows.div_ceil(chunk).max(1);
        p.u[2] = u(chunks);
        p.u[3] = u(chunk);
        let groups = (u(cols.div_ceil(64)), u(chunks));
        if chunks == 1 {
            self.dispatch(Kernel::ColSums, p, &[Bind::F(m), Bind::F(out), Bind::DummyRw], groups);
            return;
        }
        let part = self.part_buffer(chunks * cols);
        self.dispatch(Kernel::ColSums, p, &[Bind::F(m), Bind::DummyRw, Bind::Raw(&part)], groups);
        let mut r = P::default();
        r.u[..2].copy_from_slice(&[u(cols), u(chunks)]);
        r.f[0] = alpha;
        self.elementwise(Kernel::GemmReduce, r, &[Bind::Raw(&part), Bind::F(out)]);
    }

    fn sum_squares(&self, x: &WgpuBuf, len: usize, scale: f32, loss: &mut WgpuBuf) {
        let mut p = P::default();
        p.u[0] = u(len);
        p.f[0] = scale;
        self.dispatch(Kernel::SumSquares, p, &[Bind::F(x), Bind::F(loss)], (1, 1));
    }

    fn adam(&self, param: &mut WgpuBuf, grad: &WgpuBuf, m: &mut WgpuBuf, v: &mut WgpuBuf, len: usize, step: AdamStep) {
        let mut p = P::default();
        p.u[0] = u(len);
        p.u[5] = 0;
        p.f[..4].copy_from_slice(&[step.lr, step.beta_1, step.beta_2, step.epsilon]);
        self.elementwise(Kernel::Optim, p, &[Bind::F(param), Bind::F(grad), Bind::F(m), Bind::F(v)]);
    }

    fn sgd(&self, param: &mut WgpuBuf, grad: &WgpuBuf, velocity: &mut WgpuBuf, len: usize, step: SgdStep) {
        let mut p = P::default();
        p.u[0] = u(len);
        p.u[1] = u32::from(step.nesterov);
        p.u[5] = 1;
        p.f[0] = step.lr;
        p.f[1] = step.momentum;
        self.elementwise(Kernel::Optim, p, &[Bind::F(param), Bind::F(grad), Bind::F(velocity), Bind::DummyRw]);
    }

    fn submit(&self) {
        self.flush();
    }

    fn synchronize(&self) -> Result<()> {
        self.flush();
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Other(format!("device wgpu: waiting for the GPU failed: {e}")))?;
        Ok(())
    }
}
