#!/usr/bin/env bash
# The GPU-machine check for oxlearn-nn, run from the repo root through the `device` tool with
# the prebuilt binaries of scripts/gpu-build.sh carried in .gpu-bin/, the Vulkan loader debs
# in .gl/ and the bench kit in bench-kit/. Needs no Rust toolchain. Writes three files to $OUT/
# (the device tool brings back only a few files):
#   suite.txt      the backend test suite (CUDA + wgpu on the NVIDIA GPU + CPU): all of nn's
#                  integration tests
#   results.jsonl  every JSON line measured: the cuBLAS probe (GFLOP/s, fp32 / TF32, on FNN-1's
#                  and FNN-2's step GEMMs), the per-kernel step probes (cuda, wgpu), the wgpu
#                  GEMM / dispatch probes, PyTorch eager FNN-1 / FNN-2 (torch_bench.py --device
#                  cuda), our FNN-1 / FNN-2 on cuda (defaults: fp32, steps replayed as CUDA
#                  graphs), cuda without graphs (OXLEARN_CUDA_GRAPHS=0), wgpu (GEMM auto), then,
#                  while time is left, cuda with TF32 (OXLEARN_CUDA_TF32=1) and wgpu without
#                  split-K (OXLEARN_WGPU_SPLITK=0)
#   log.txt        stderr of every step, the environment, and a readable summary
# Budget: about 3-4 minutes (the optional runs are skipped past GPU_CHECK_OPTIONAL_S, default
# 300 s; GPU_CHECK_SUITE=0 skips the test suite; GPU_CHECK_QUICK=1 skips the CUDA probes and
# the CUDA-without-graphs run). Exploring wgpu GEMM kernels: GPU_CHECK_KERNELS (the GEMM
# probe's kernel list, `GemmKernel::parse` names, default `4x4,auto`), GPU_CHECK_CHECKED=1 (the
# probe and an FNN run also with wgpu's shader runtime checks), GPU_CHECK_TILES="SHAPE ..."
# (extra wgpu FNN runs with OXLEARN_WGPU_TILE=SHAPE, e.g. 64x64x16:4x4).
# Usage from the CPU machine: scripts/gpu-build.sh, then through the device tool
#   run(command="bash scripts/gpu-check.sh", carry=[".gpu-bin", ".gl", "bench-kit"], timeout_s=420)
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
R="$OUT/results.jsonl"
L="$OUT/log.txt"
: > "$R"
: > "$L"
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
CUDA_LIBS=$(python3 -c "import nvidia, os; print(os.path.join(list(nvidia.__path__)[0],'cu13','lib'))")
export LD_LIBRARY_PATH=$CUDA_LIBS:${LD_LIBRARY_PATH:-}
export XDG_RUNTIME_DIR=/tmp
export OXLEARN_REQUIRE_CUDA=1
{ nvidia-smi; ls "$CUDA_LIBS"; } >> "$L" 2>&1
chmod +x .gpu-bin/*
step() { # label command...: runs it, stdout to results.jsonl, stderr to log.txt
  local label=$1
  shift
  echo "=== $label" >> "$L"
  "$@" >> "$R" 2>> "$L"
  echo "=== $label exit $? after ${SECONDS}s" >> "$L"
}

# 1. The backend suite (the GPU tests are backend_suite::*).
if [ "${GPU_CHECK_SUITE:-1}" != 0 ]; then
  timeout 180 .gpu-bin/nn-it --test-threads 8 > "$OUT/suite.txt" 2>&1
  echo "suite exit $? after ${SECONDS}s" >> "$OUT/suite.txt"
  grep -E "FAILED|panicked|failed" "$OUT/suite.txt" | head -20
  tail -4 "$OUT/suite.txt"
fi

# 2. Probes (no data needed).
QUICK=${GPU_CHECK_QUICK:-0}
if [ "$QUICK" = 0 ]; then
  step cuda-gemm-probe timeout 60 .gpu-bin/fnn_gpu_bench --cuda-gemm-probe
  step cuda-step-probe timeout 60 .gpu-bin/fnn_gpu_bench --step-probe --device cuda
fi
step wgpu-step-probe timeout 60 .gpu-bin/fnn_gpu_bench --step-probe --device wgpu
KERNELS=${GPU_CHECK_KERNELS:-4x4,auto}
step wgpu-probes timeout 150 .gpu-bin/fnn_gpu_bench --dispatch-probe --gemm-probe --device wgpu --probe-kernels "$KERNELS"
if [ "${GPU_CHECK_CHECKED:-0}" != 0 ]; then
  step wgpu-probe-checked env OXLEARN_WGPU_CHECKED=1 timeout 90 .gpu-bin/fnn_gpu_bench --gemm-probe --device wgpu --probe-kernels 4x4,auto
fi

# 3. Data: the kit's fnn1 / fnn2 parquet files, dumped raw for our bench.
D=target/bench-data
step make-data timeout 120 python3 bench-kit/make_data.py --only fnn1 --only fnn2 --out $D
timeout 60 python3 - >> "$L" 2>&1 <<'PY'
import numpy as np, pyarrow.parquet as pq
for name in ["fnn1", "fnn2"]:
    t = pq.read_table(f"target/bench-data/{name}.parquet")
    cols = [c for c in t.column_names if c != "target"]
    X = np.empty((t.num_rows, len(cols)), dtype=np.float32)
    for j, c in enumerate(cols):
        X[:, j] = t.column(c).to_numpy()
    X.tofile(f"target/bench-data/{name}.x.f32")
    t.column("target").to_numpy().astype(np.int64).tofile(f"target/bench-data/{name}.y.i64")
    print(name, X.shape)
PY

# 4. PyTorch eager, then ours on CUDA and on wgpu (Vulkan on the NVIDIA GPU).
step torch timeout 120 python3 bench-kit/torch_bench.py --device cuda --data $D
bench() { # name device [VAR=value ...]
  local name=$1 dev=$2
  shift 2
  step "bench $name" env "$@" timeout 90 .gpu-bin/fnn_gpu_bench --data $D --device "$dev" --case FNN-1 --case FNN-2
}
bench cuda cuda
[ "$QUICK" = 0 ] && bench cuda-eager cuda OXLEARN_CUDA_GRAPHS=0
bench wgpu wgpu
# 5. Variants, while time is left.
OPT=${GPU_CHECK_OPTIONAL_S:-300}
for tile in ${GPU_CHECK_TILES:-}; do
  [ "$SECONDS" -lt "$OPT" ] && bench "wgpu-tile-$tile" wgpu OXLEARN_WGPU_TILE="$tile"
done
[ "$SECONDS" -lt "$OPT" ] && [ "${GPU_CHECK_CHECKED:-0}" != 0 ] && bench wgpu-checked wgpu OXLEARN_WGPU_CHECKED=1
[ "$SECONDS" -lt "$OPT" ] && bench cuda-tf32 cuda OXLEARN_CUDA_TF32=1
[ "$SECONDS" -lt "$OPT" ] && bench wgpu-nosplit wgpu OXLEARN_WGPU_SPLITK=0

# 6. A readable summary (also appended to log.txt).
python3 - "$R" <<'PY' | tee -a "$L"
import json, sys
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    c = r.get("case")
    f = lambda k: "-" if r.get(k) is None else f"{r[k]:.4f}"
    if c == "cuda-gemm-probe":
        print(f'cuBLAS {r["shape"]:12} {r["m"]}x{r["n"]}x{r["k"]} tf32={r["tf32"]:d} {r["gflops"]:9.1f} GFLOP/s {r["seconds_per_call"]*1e6:8.1f} us')
    elif c == "step-probe":
        print(f'step {r["device"]:5} {r["net"]} {r["op"]:34} {r["us"]:9.1f} us')
    elif c == "gemm-probe":
        print(f'wgpu {r["shape"]:7} {r["m"]}x{r["n"]}x{r["k"]} ta={r["ta"]:d} tb={r["tb"]:d} checked={r.get("checked", 0):d} {r["kernel"]:24} {r["gflops"]:9.1f} GFLOP/s ok={r["c00_ok"]:d}')
    elif c in ("FNN-1", "FNN-2"):
        env = r.get("extra", {}).get("env", {}) or {}
        tag = ",".join(f"{k}={v}" for k, v in env.items() if v)
        print(f'{r.get("suite")!s:8} {r.get("device")!s:5} {tag:24} {c} steady {f("steady_epoch_s")}s first {f("first_epoch_s")}s predict {f("predict_s")}s acc {f("score")}')
    else:
        print(line.strip())
PY
grep -E "=== .* exit" "$L" | tail -n 12
echo "gpu-check done in ${SECONDS}s"
