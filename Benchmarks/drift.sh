#!/usr/bin/env bash
# Drift of a generated Llama-1B-shaped BF16 candidate against its base, rank-64 profile:
# `retaind drift` (one-shot) and the cached steady state, against the numpy reference
# on the same files in the same run; GFLOP/s against the sgemm peak measured in the
# same process; peak RSS for 8 and 16 layers (flat when the model doubles).
set -euo pipefail
cd "$(dirname "$0")/.."
# OpenBLAS falls back to its SSE kernels on virtual CPUs it does not recognise; pick
# the fastest kernels the CPU runs (Benchmarks/openblas.sh), unless the environment already chose. numpy and
# retaind then run with the same setting.
. Benchmarks/openblas.sh
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" >&2
dir=.build-bench
for layers in 8 16; do
  [ -f "$dir/llama-$layers/retain.profile.safetensors" ] || python3 Benchmarks/make_llama_1b.py "$dir/llama-$layers" --layers "$layers" >&2
done
swift build -c release --product retaind >&2
swift build -c release --product DriftBenchmark >&2
bin=$(swift build -c release --show-bin-path)
rss() { /usr/bin/time -f "%M %e" "$@" 2>&1 >/dev/null | tail -1; }
for layers in 8 16; do
  d="$dir/llama-$layers"
  cat "$d/base/model.safetensors" "$d/candidate/model.safetensors" > /dev/null
  read -r kib secs < <(rss "$bin/retaind" drift --base "$d/base" --candidate "$d/candidate" --profile "$d/retain.profile.safetensors" --json)
  echo "retaind drift, $layers layers: ${secs}s wall, peak RSS $((kib / 1024)) MiB"
done
d="$dir/llama-16"
echo "DriftBenchmark (16 layers): $("$bin/DriftBenchmark" "$d/base" "$d/candidate" "$d/retain.profile.safetensors" 3)"
read -r kib secs < <(rss python3 tools/reference/drift.py --base "$d/base" --candidate "$d/candidate" --profile "$d/retain.profile.safetensors")
echo "numpy reference drift.py, 16 layers: ${secs}s wall, peak RSS $((kib / 1024)) MiB"
