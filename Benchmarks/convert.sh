#!/usr/bin/env bash
# Read + convert BF16 → F32 over a generated 2 GiB checkpoint: Swift against the numpy
# path on the same file in the same run. The file is read once first so both sides
# start from the page cache; both run with OpenBLAS/numpy environment as the machine has it.
set -euo pipefail
cd "$(dirname "$0")/.."
# OpenBLAS falls back to its SSE kernels on virtual CPUs it does not recognise; pick
# the fastest kernels the CPU runs (Benchmarks/openblas.sh), unless the environment already chose. numpy and
# retaind then run with the same setting.
. Benchmarks/openblas.sh
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" >&2
dir=.build-bench
mkdir -p "$dir"
file="$dir/bf16-2gib.safetensors"
[ -f "$file" ] || python3 Benchmarks/make_bf16_checkpoint.py "$file" "${SIZE_GIB:-2}"
swift build -c release --product ConvertBenchmark >&2
bin=$(swift build -c release --show-bin-path)/ConvertBenchmark
cat "$file" > /dev/null
swift_json=$("$bin" "$file" 5)
numpy_json=$(python3 Benchmarks/convert_numpy.py "$file" 5)
echo "swift: $swift_json"
echo "numpy: $numpy_json"
python3 - "$swift_json" "$numpy_json" <<'PY'
import json, sys
s, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"input {s['input_bytes'] / 2**30:.2f} GiB BF16")
print(f"swift  {s['best_gbps']:.2f} GB/s best, {s['median_gbps']:.2f} median, peak RSS {s['peak_rss_mib']:.0f} MiB")
print(f"numpy  {n['best_gbps']:.2f} GB/s best, {n['median_gbps']:.2f} median, peak RSS {n['peak_rss_mib']:.0f} MiB")
# Memory traffic: converting reads 2 B and writes 4 B per element (3x the input bytes);
# memcpy reads and writes each byte (2x the bytes copied).
print(f"ratio  {s['median_gbps'] / n['median_gbps']:.2f}x swift/numpy (median)")
print(f"memcpy {s['memcpy_gbps']:.1f} GB/s; swift's traffic is {3 * s['median_gbps'] / (2 * s['memcpy_gbps']) * 100:.0f}% of memcpy's")
PY
