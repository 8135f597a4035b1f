#!/usr/bin/env bash
# Restore of the generated Llama-1B-shaped BF16 candidate (rank-64 profile): wall time
# against the drift pass and a plain read+write copy (with fsync) of the same checkpoint,
# and peak RSS. Run Benchmarks/drift.sh first (it generates the files).
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/openblas.sh
d=.build-bench/llama-16
[ -f "$d/retain.profile.safetensors" ] || python3 Benchmarks/make_llama_1b.py "$d" --layers 16 >&2
swift build -c release --product retaind >&2
bin=$(swift build -c release --show-bin-path)/retaind
out=.build-bench/restore-out
rm -rf "$out" "$out-copy"
cat "$d/base/model.safetensors" "$d/candidate/model.safetensors" > /dev/null
t() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
read -r s_drift kib_drift < <(t "$bin" drift --base "$d/base" --candidate "$d/candidate" --profile "$d/retain.profile.safetensors" --json)
mkdir -p "$out-copy"
read -r s_copy kib_copy < <(t bash -c "cp $d/candidate/* $out-copy/ && sync -f $out-copy/model.safetensors")
for dtype in source auto; do
  rm -rf "$out"
  read -r s_restore kib_restore < <(t "$bin" restore --base "$d/base" --candidate "$d/candidate" --profile "$d/retain.profile.safetensors" \
      --alpha 10 --output-dtype "$dtype" --out "$out" --json)
  echo "restore ($dtype): ${s_restore}s, peak RSS $((kib_restore / 1024)) MiB"
done
echo "drift: ${s_drift}s (RSS $((kib_drift / 1024)) MiB); copy with fsync: ${s_copy}s"
python3 -c "print(f'goal: restore <= drift + 1.5 x copy = {$s_drift + 1.5 * $s_copy:.1f}s (the CLI runs its own drift pass first)')"
# The restore step as the daemon runs it (after the drift it needs for the gate), in one
# process with the drift pass and the copy it is compared with (medians of 3).
swift build -c release --product RestoreBenchmark >&2
mkdir -p .build-bench/restore-scratch
"$(swift build -c release --show-bin-path)/RestoreBenchmark" "$d/base" "$d/candidate" "$d/retain.profile.safetensors" .build-bench/restore-scratch 3
rm -rf .build-bench/restore-scratch
rm -rf "$out" "$out-copy"
