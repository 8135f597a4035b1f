#!/usr/bin/env bash
# Forward throughput on a real model (default: SmolLM2-135M converted by
# tools/convert_smollm2.py into .build-bench/smollm2): the Swift decoder against PyTorch
# CPU on the same shapes (SEQUENCES × TOKENS random ids, default 32 × 128, the size of an
# evaluation batch), in alternating runs, medians; the Swift side also prints its GFLOP/s
# against the sgemm rate it measures in the same process. Then the native profile build
# time for 64 × 128 proxy tokens. Needs torch and transformers for the PyTorch side.
#
#   bash Benchmarks/forward.sh [MODEL_DIR] [RUNS]
#   BEFORE_FORWARD=/path/to/older/ForwardBenchmark bash Benchmarks/forward.sh   # before / after / torch
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-.build-bench/smollm2}
runs=${2:-5}
sequences=${SEQUENCES:-32}
tokens=${TOKENS:-128}
. Benchmarks/openblas.sh
[ -f "$model/config.json" ] || python3 tools/convert_smollm2.py "$model" >&2
swift build -c release --product ForwardBenchmark >&2 && swift build -c release --product retaind >&2
bin=$(swift build -c release --show-bin-path)
echo "uptime: $(uptime), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" >&2
out=$(mktemp -d)
for _ in $(seq "$runs"); do
  if [ -n "${BEFORE_FORWARD:-}" ]; then "$BEFORE_FORWARD" "$model" "$sequences" "$tokens" | tee -a "$out/before" >&2; fi
  "$bin/ForwardBenchmark" "$model" "$sequences" "$tokens" | tee -a "$out/after" >&2
  python3 Benchmarks/forward_torch.py "$model" "$sequences" "$tokens" 2>/dev/null | tee -a "$out/torch" >&2
done
echo "uptime: $(uptime)" >&2
python3 - "$out" <<'PY'
import os, re, statistics, sys
print("| side | tokens/s (median) | runs |")
print("|---|---|---|")
for side in ("before", "after", "torch"):
    path = os.path.join(sys.argv[1], side)
    if not os.path.exists(path):
        continue
    rates = [float(m.group(1)) for m in re.finditer(r"([0-9.]+) tokens/s", open(path).read())]
    print(f"| {side} | {statistics.median(rates):.0f} | {', '.join(f'{r:.0f}' for r in rates)} |")
PY
rm -rf "$out"
proxy=$(mktemp --suffix .jsonl)
python3 -c "import random; random.seed(1); [print('{\"ids\": %s}' % [random.randrange(1000, 40000) for _ in range(128)]) for _ in range(64)]" > "$proxy"
/usr/bin/time -f "profile build, 64 × 128 tokens: %e s, peak RSS %M KiB" "$bin/retaind" profile build --base "$model" --proxy "$proxy" \
  --out "$proxy.profile.safetensors" 2>&1 | tail -1
rm -f "$proxy" "$proxy.profile.safetensors"
