#!/usr/bin/env bash
# The GPU-machine check for oxlearn-nn, run from the repo root through the `device` tool with
# the prebuilt binaries of scripts/gpu-build.sh carried in .gpu-bin/, the Vulkan loader debs
# in .gl/ and the bench kit in bench-kit/. Needs no Rust toolchain. Writes everything to $OUT/:
#   suite.txt        the backend test suite (CUDA + wgpu on the NVIDIA GPU + CPU)
#   probe-wgpu.jsonl wgpu GEMM GFLOP/s per kernel (tiled, vec4 4x4, vec4 8x4) on FNN-2's step
#                    GEMMs and squares, and the cost per dispatch (fnn_gpu_bench --gemm-probe)
#   probe-cuda.jsonl cuBLAS GFLOP/s (fp32, TF32) on FNN-1's and FNN-2's step GEMMs
#   torch.jsonl      PyTorch eager FNN-1 / FNN-2 (torch_bench.py --device cuda)
#   bench-*.jsonl    our FNN-1 / FNN-2 on cuda (defaults: fp32, steps replayed as CUDA graphs),
#                    cuda without graphs (OXLEARN_CUDA_GRAPHS=0) and wgpu (GEMM auto), then,
#                    time permitting, cuda with TF32 (OXLEARN_CUDA_TF32=1) and wgpu with the
#                    8x4 kernel (OXLEARN_WGPU_GEMM=8x4)
# Budget: one call of about 6 minutes (the optional runs are skipped past GPU_CHECK_OPTIONAL_S,
# default 300 s; GPU_CHECK_SUITE=0 skips the test suite for a benchmark-only rerun).
# Usage from the CPU machine: scripts/gpu-build.sh, then through the device tool
#   run(command="bash scripts/gpu-check.sh", carry=[".gpu-bin", ".gl", "bench-kit"], timeout_s=600)
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export LD_LIBRARY_PATH=$(python3 -c "import nvidia, os; print(os.path.join(list(nvidia.__path__)[0],'cu13','lib'))"):${LD_LIBRARY_PATH:-}
export XDG_RUNTIME_DIR=/tmp
export OXLEARN_REQUIRE_CUDA=1
{ nvidia-smi; ls "$(python3 -c "import nvidia, os; print(os.path.join(list(nvidia.__path__)[0],'cu13','lib'))")"; } > "$OUT/env.txt" 2>&1
chmod +x .gpu-bin/*

# 1. The backend suite (all of nn's integration tests; the GPU ones are backend_suite::*).
if [ "${GPU_CHECK_SUITE:-1}" != 0 ]; then
  timeout 180 .gpu-bin/nn-it --test-threads 8 > "$OUT/suite.txt" 2>&1
  echo "suite exit $? after ${SECONDS}s" >> "$OUT/suite.txt"
  grep -E "FAILED|panicked|failed" "$OUT/suite.txt" | head -20
  tail -4 "$OUT/suite.txt"
fi
timeout 60 .gpu-bin/fnn_gpu_bench --cuda-gemm-probe > "$OUT/probe-cuda.jsonl" 2> "$OUT/probe-cuda.err"
echo "cuda probe exit $? after ${SECONDS}s" >> "$OUT/probe-cuda.err"
python3 - "$OUT/probe-cuda.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f'cuBLAS {r["shape"]:12} {r["m"]}x{r["n"]}x{r["k"]} ta={r["ta"]:d} tb={r["tb"]:d} tf32={r["tf32"]:d} {r["gflops"]:9.1f} GFLOP/s {r["seconds_per_call"]*1e6:8.1f} us')
PY

# 2. The GEMM and dispatch probes (wgpu on the NVIDIA GPU through Vulkan; no data needed).
timeout 90 .gpu-bin/fnn_gpu_bench --dispatch-probe --gemm-probe --device wgpu \
  > "$OUT/probe-wgpu.jsonl" 2> "$OUT/probe-wgpu.err"
echo "probe exit $?" >> "$OUT/probe-wgpu.err"
python3 - "$OUT/probe-wgpu.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["case"] == "gemm-probe":
        print(f'{r["shape"]:7} {r["m"]}x{r["n"]}x{r["k"]} ta={r["ta"]:d} tb={r["tb"]:d} {r["kernel"]:7} {r["gflops"]:9.1f} GFLOP/s ok={r["c00_ok"]}')
    else:
        print(line.strip())
PY

# 3. Data: the kit's fnn1 / fnn2 parquet files, dumped raw for our bench.
D=target/bench-data
timeout 120 python3 bench-kit/make_data.py --only fnn1 --only fnn2 --out $D > "$OUT/make_data.txt" 2>&1
timeout 60 python3 - > "$OUT/dump.txt" 2>&1 <<'PY'
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
timeout 120 python3 bench-kit/torch_bench.py --device cuda --data $D > "$OUT/torch.jsonl" 2> "$OUT/torch.err"
bench() { # name device [VAR=value ...]
  local name=$1 dev=$2
  shift 2
  env "$@" timeout 90 .gpu-bin/fnn_gpu_bench --data $D --device "$dev" --case FNN-1 --case FNN-2 \
    > "$OUT/bench-$name.jsonl" 2> "$OUT/bench-$name.err"
  echo "bench $name exit $? after ${SECONDS}s" >> "$OUT/bench-$name.err"
}
bench cuda cuda
bench cuda-eager cuda OXLEARN_CUDA_GRAPHS=0
bench wgpu wgpu
# 5. Variants, while time is left.
OPT=${GPU_CHECK_OPTIONAL_S:-300}
[ "$SECONDS" -lt "$OPT" ] && bench cuda-tf32 cuda OXLEARN_CUDA_TF32=1
[ "$SECONDS" -lt "$OPT" ] && bench wgpu-8x4 wgpu OXLEARN_WGPU_GEMM=8x4
python3 - "$OUT"/torch.jsonl "$OUT"/bench-*.jsonl <<'PY'
import json, sys
for path in sys.argv[1:]:
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("case") not in ("FNN-1", "FNN-2"):
            continue
        env = r.get("extra", {}).get("env", {}) or {}
        tag = ",".join(f"{k}={v}" for k, v in env.items() if v)
        f = lambda k: "-" if r.get(k) is None else f"{r[k]:.4f}"
        print(f'{r.get("suite")!s:8} {r.get("device")!s:5} {tag:24} {r["case"]} steady {f("steady_epoch_s")}s first {f("first_epoch_s")}s predict {f("predict_s")}s acc {f("score")}')
PY
tail -n 2 "$OUT"/bench-*.err
echo "gpu-check done in ${SECONDS}s"
