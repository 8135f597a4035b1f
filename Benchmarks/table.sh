#!/usr/bin/env bash
# The issue #13 table: one-shot `retaind drift` against the plain numpy script a user
# would write (Benchmarks/peer_drift.py), on the SmolLM2-135M shape (F32, rank 256) and
# the Llama-1B shape with its 128 256 × 2048 embedding and lm_head (BF16, rank 64).
# Paired, alternating runs (before, after, numpy, before, after, numpy, …); medians of
# process wall time, peak RSS from /usr/bin/time; GFLOP/s of the one-shot pass against
# the sgemm rate DriftBenchmark measures in the same process with the same threads.
#
#   Benchmarks/table.sh [runs]            (default 5 runs per column)
#
# Environment: BEFORE_BIN=path/to/older/retaind adds a "before" column (its profile is
# the version 1 file: an older retaind reads no version 2); AFTER_BIN overrides this
# checkout's release build; SHAPES="smollm2-135m llama-1b" picks rows. Fixtures are made
# under .build-bench/ the first time (about 10 minutes for the 1B shape).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. Benchmarks/openblas.sh
dir=.build-bench
declare -A fixture=([smollm2-135m]="$dir/smollm2-135m" [llama-1b]="$dir/llama-1b-embed")
python3 -c "import ml_dtypes" 2>/dev/null || python3 -m pip install -q ml_dtypes >&2  # peer_drift.py's bfloat16
swift build -c release --product retaind >&2
swift build -c release --product DriftBenchmark >&2
bin=$(swift build -c release --show-bin-path)
after=${AFTER_BIN:-$bin/retaind}
before=${BEFORE_BIN:-}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# Prints "seconds peak_kib" of one run.
timed() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }

echo "load before: $(uptime)" >&2
printf '| job | before | retaind | plain numpy | ratio | retaind peak RSS | GFLOP/s (sgemm, same threads) |\n|---|---|---|---|---|---|---|\n'
for shape in ${SHAPES:-smollm2-135m llama-1b}; do
  d=${fixture[$shape]}
  [ -f "$d/retain.profile.safetensors" ] || python3 Benchmarks/make_llama_1b.py "$d" --shape "$shape" >&2
  [ -f "$d/retain-v2.profile.safetensors" ] || python3 Benchmarks/profile_v2.py "$d/base" "$d/retain.profile.safetensors" "$d/retain-v2.profile.safetensors"
  args=(drift --base "$d/base" --candidate "$d/candidate" --json)
  cat "$d"/base/*.safetensors "$d"/candidate/*.safetensors > /dev/null
  : > /tmp/table.$$.b; : > /tmp/table.$$.a; : > /tmp/table.$$.n; : > /tmp/table.$$.rss
  for _ in $(seq "$runs"); do
    [ -n "$before" ] && timed "$before" "${args[@]}" --profile "$d/retain.profile.safetensors" | awk '{print $1}' >> /tmp/table.$$.b
    read -r s kib < <(timed "$after" "${args[@]}" --profile "$d/retain-v2.profile.safetensors")
    echo "$s" >> /tmp/table.$$.a; echo "$kib" >> /tmp/table.$$.rss
    timed python3 Benchmarks/peer_drift.py --base "$d/base" --candidate "$d/candidate" --profile "$d/retain.profile.safetensors" \
      | awk '{print $1}' >> /tmp/table.$$.n
  done
  echo "$shape runs (s): before [$(tr '\n' ' ' < /tmp/table.$$.b)] retaind [$(tr '\n' ' ' < /tmp/table.$$.a)] numpy [$(tr '\n' ' ' < /tmp/table.$$.n)]" >&2
  b=$([ -s /tmp/table.$$.b ] && median < /tmp/table.$$.b || echo "-")
  a=$(median < /tmp/table.$$.a); n=$(median < /tmp/table.$$.n); rss=$(median < /tmp/table.$$.rss)
  gflops=$("$bin/DriftBenchmark" "$d/base" "$d/candidate" "$d/retain-v2.profile.safetensors" 3 \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); g, p = r["one_shot_gflops"], r["sgemm_peak_gflops"]; print("%.0f of %.0f (%d threads): %.0f%%" % (g, p, r["threads"], 100 * g / p))')
  ratio=$(awk -v a="$a" -v n="$n" 'BEGIN {printf "%.2f×", n / a}')
  printf '| drift %s | %s s | %s s | %s s | %s | %d MiB | %s |\n' "$shape" "$b" "$a" "$n" "$ratio" $((rss / 1024)) "$gflops"
done
echo "load after: $(uptime)" >&2
rm -f /tmp/table.$$.*
