#!/usr/bin/env bash
# The GPU-machine check for oxlearn-nn, run from the repo root through the `device` tool with
# the prebuilt binaries of scripts/gpu-build.sh carried in .gpu-bin/, the Vulkan loader debs
# in .gl/ and the bench kit in bench-kit/. Needs no Rust toolchain. Writes everything to $OUT/:
#   suite.txt        the backend test suite (CUDA + wgpu on the NVIDIA GPU + CPU)
#   torch.jsonl      PyTorch eager FNN-1 / FNN-2 (torch_bench.py --device cuda)
#   bench-*.jsonl    our FNN-1 / FNN-2 on cuda and wgpu
# Budget: one call of at most ~9 minutes.
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
timeout 240 .gpu-bin/nn-it --test-threads 4 > "$OUT/suite.txt" 2>&1
echo "suite exit $?" >> "$OUT/suite.txt"
tail -5 "$OUT/suite.txt"

# 2. Data: the kit's fnn1 / fnn2 parquet files, dumped raw for our bench.
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

# 3. PyTorch eager, then ours on CUDA and on wgpu (Vulkan on the NVIDIA GPU).
timeout 120 python3 bench-kit/torch_bench.py --device cuda --data $D > "$OUT/torch.jsonl" 2> "$OUT/torch.err"
for dev in cuda wgpu; do
  timeout 90 .gpu-bin/fnn_gpu_bench --data $D --device $dev --case FNN-1 --case FNN-2 \
    > "$OUT/bench-$dev.jsonl" 2> "$OUT/bench-$dev.err"
  echo "bench $dev exit $?" >> "$OUT/bench-$dev.err"
done
cat "$OUT/torch.jsonl" "$OUT"/bench-*.jsonl
tail -n 3 "$OUT"/bench-*.err
