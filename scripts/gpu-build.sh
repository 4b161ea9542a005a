#!/usr/bin/env bash
# Builds, on this (CPU-only, x86_64) machine, everything scripts/gpu-check.sh runs on the GPU
# machine, which has no Rust toolchain: the nn integration-test binary and the FNN benchmark,
# in release with `--features cuda` and no debug info, stripped, copied into .gpu-bin/
# (gitignored; carry it to the device machine).
set -euo pipefail
cd "$(dirname "$0")/.."
# Same release profile as the benchmarks (shares their compiled dependencies); strip removes debug info.
mkdir -p .gpu-bin
rm -f .gpu-bin/*
cargo test --release -p oxlearn-nn --features cuda --test it --no-run --message-format=json \
  > target/gpu-build.json
exe=$(python3 - <<'PY'
import json
for line in open("target/gpu-build.json"):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "it":
        print(m["executable"])
PY
)
test -n "$exe" || { echo "gpu-build: no test executable found" >&2; exit 1; }
cp "$exe" .gpu-bin/nn-it
cargo build --release -p oxlearn-nn --features cuda --example fnn_gpu_bench
cp target/release/examples/fnn_gpu_bench .gpu-bin/fnn_gpu_bench
strip .gpu-bin/nn-it .gpu-bin/fnn_gpu_bench
ls -la .gpu-bin
du -sh .gpu-bin
