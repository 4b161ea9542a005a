#!/usr/bin/env bash
# Side-by-side CPU benchmark vs scikit-learn, A B A B per case, one command (see benches/README.md).
# Usage: scripts/bench-cpu.sh OUT.jsonl [ROUNDS] CASE...
# Needs: target/release/oxlearn-bench (cargo build --release -p oxlearn-benches), the kit's venv and
# data (../shared/bench/run_baselines.sh --no-torch), a quiet machine (check `uptime` first).
set -euo pipefail
out=$1; shift
rounds=2
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
PY=${PY:-target/bench-venv/bin/python}; D=${D:-target/bench-data}; T=${T:-2}; REPS=${REPS:-3}
KIT=${KIT:-../shared/bench}
: > "$out"
uptime >&2
for ((r = 1; r <= rounds; r++)); do
  for c in "$@"; do
    echo "round $r: $c" >&2
    target/release/oxlearn-bench --data "$D" --threads "$T" --reps "$REPS" --only "$c" >> "$out"
    "$PY" "$KIT/sklearn_bench.py" --data "$D" --threads "$T" --reps "$REPS" --only "$c" >> "$out"
  done
done
uptime >&2
"$PY" "$KIT/compare.py" "$out"
