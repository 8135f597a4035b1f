#!/usr/bin/env bash
# Forward throughput on a real model (default: SmolLM2-135M converted by
# tools/convert_smollm2.py into .build-bench/smollm2), Swift against PyTorch CPU in the
# same run on the same shapes (8 × 128 tokens), and the native profile build time for
# 64 × 128 proxy tokens. Needs torch and transformers for the PyTorch side.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-.build-bench/smollm2}
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -q ' avx512f' /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; elif grep -q ' avx2' /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
[ -f "$model/config.json" ] || python3 tools/convert_smollm2.py "$model" >&2
swift build -c release --product ForwardBenchmark >&2 && swift build -c release --product retaind >&2
bin=$(swift build -c release --show-bin-path)
"$bin/ForwardBenchmark" "$model" 8 128
python3 Benchmarks/forward_torch.py "$model" 8 128 2>/dev/null
proxy=$(mktemp --suffix .jsonl)
python3 -c "import random; random.seed(1); [print('{\"ids\": %s}' % [random.randrange(1000, 40000) for _ in range(128)]) for _ in range(64)]" > "$proxy"
/usr/bin/time -f "profile build, 64 × 128 tokens: %e s, peak RSS %M KiB" "$bin/retaind" profile build --base "$model" --proxy "$proxy" \
  --out "$proxy.profile.safetensors" 2>&1 | tail -1
rm -f "$proxy" "$proxy.profile.safetensors"
