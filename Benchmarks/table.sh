#!/usr/bin/env bash
# The issue #13 table: retaind's weight passes against the plain numpy scripts a user
# would write (Benchmarks/peer_drift.py, Benchmarks/peer_restore.py) and against the
# machine, on the SmolLM2-135M shape (F32, rank 256) and the Llama-1B shape with its
# 128 256 × 2048 embedding and lm_head (BF16, rank 64):
#
#   drift      one-shot `retaind drift`; GFLOP/s against the sgemm rate DriftBenchmark
#              measures in the same process with the same threads
#   restore    `retaind restore` α = 10, γ = 10 with retain and forget profiles, in each
#              output_dtype mode (one mode for an all-F32 candidate, where they are the
#              same), against the goal drift + 1.5 × copy
#   copy       cp of the candidate + sync (the machine's floor for writing a checkpoint)
#   profile    `retaind profile build` of PROFILE_TOKENS proxy tokens (default 8 192) on the
#              real SmolLM2-135M (.build-bench/tune, made by Benchmarks/tune.sh) against
#              tools/capture_profile.py (needs torch)
#
# Paired, alternating runs (before, after, numpy, before, after, numpy, …); medians of
# process wall time; peak RSS from /usr/bin/time.
#
#   Benchmarks/table.sh [runs]            (default 5 runs per cell)
#
# Environment: BEFORE_BIN=path/to/older/retaind adds a "before" column (BEFORE_V1=1 gives
# it the version 1 profile, for builds that read no version 2); AFTER_BIN overrides this
# checkout's release build; SHAPES="smollm2-135m llama-1b" picks shapes and JOBS="drift
# restore profile" jobs. Fixtures are made under .build-bench/ the first time (about
# 10 minutes for the 1B shape).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. Benchmarks/openblas.sh
dir=.build-bench
declare -A fixture=([smollm2-135m]="$dir/smollm2-135m" [llama-1b]="$dir/llama-1b-embed")
python3 -c "import ml_dtypes" 2>/dev/null || python3 -m pip install -q ml_dtypes >&2  # the peers' bfloat16
swift build -c release --product retaind >&2
swift build -c release --product DriftBenchmark >&2
bin=$(swift build -c release --show-bin-path)
after=${AFTER_BIN:-$bin/retaind}
before=${BEFORE_BIN:-}
jobs=${JOBS:-drift restore profile}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# Prints "seconds peak_kib" of one run.
timed() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
# cell NAME COMMAND…: one run, its seconds appended to $tmp/NAME and its peak KiB to $tmp/NAME.rss.
cell() {
  local name=$1; shift
  read -r s kib < <(timed "$@")
  echo "$s" >> "$tmp/$name"; echo "$kib" >> "$tmp/$name.rss"
}
med() { [ -s "$tmp/$1" ] && median < "$tmp/$1" || echo "-"; }
mib() { [ -s "$tmp/$1.rss" ] && echo "$(( $(median < "$tmp/$1.rss" | cut -d. -f1) / 1024 )) MiB" || echo "-"; }
runs_of() { [ -s "$tmp/$1" ] && tr '\n' ' ' < "$tmp/$1" || true; }
ratio() { awk -v a="$1" -v n="$2" 'BEGIN {if (a == "-" || n == "-") print "-"; else printf "%.2f×", n / a}'; }

echo "load before: $(uptime)" >&2
printf '| job | before | retaind | plain numpy | numpy ÷ retaind | retaind peak RSS (before) | against the machine or the goal |\n|---|---|---|---|---|---|---|\n'
for shape in ${SHAPES:-smollm2-135m llama-1b}; do
  d=${fixture[$shape]}
  [ -f "$d/forget.profile.safetensors" ] || python3 Benchmarks/make_llama_1b.py "$d" --shape "$shape" >&2
  [ -f "$d/retain-v2.profile.safetensors" ] || python3 Benchmarks/profile_v2.py "$d/base" "$d/retain.profile.safetensors" "$d/retain-v2.profile.safetensors"
  before_profile=$d/retain-v2.profile.safetensors
  [ -n "${BEFORE_V1:-}" ] && before_profile=$d/retain.profile.safetensors
  cat "$d"/base/*.safetensors "$d"/candidate/*.safetensors > /dev/null
  dtype=$(python3 -c 'import json, struct, sys; f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); print(next(v["dtype"] for k, v in h.items() if k != "__metadata__"))' "$d/candidate/model.safetensors")
  modes=source; [ "$dtype" != F32 ] && modes="auto source float32"

  # Copy + sync: the floor for writing a checkpoint, and the restore goal's unit.
  for _ in $(seq "$runs"); do
    rm -rf "$tmp/copy-out" && mkdir "$tmp/copy-out"
    cell copy bash -c "cp $d/candidate/* $tmp/copy-out/ && sync -f $tmp/copy-out/model.safetensors"
  done
  rm -rf "$tmp/copy-out"

  if [[ " $jobs " == *" drift "* || " $jobs " == *" restore "* ]]; then
    args=(drift --base "$d/base" --candidate "$d/candidate" --json)
    for _ in $(seq "$runs"); do
      [ -n "$before" ] && cell drift.b "$before" "${args[@]}" --profile "$before_profile"
      cell drift.a "$after" "${args[@]}" --profile "$d/retain-v2.profile.safetensors"
      cell drift.n python3 Benchmarks/peer_drift.py --base "$d/base" --candidate "$d/candidate" --profile "$d/retain.profile.safetensors"
    done
    echo "$shape drift runs (s): before [$(runs_of drift.b)] retaind [$(runs_of drift.a)] numpy [$(runs_of drift.n)]" >&2
    gflops=$("$bin/DriftBenchmark" "$d/base" "$d/candidate" "$d/retain-v2.profile.safetensors" 3 \
      | python3 -c 'import json, sys; r = json.load(sys.stdin); g, p = r["one_shot_gflops"], r["sgemm_peak_gflops"]; print("%.0f of %.0f GFLOP/s sgemm (%d threads): %.0f%%" % (g, p, r["threads"], 100 * g / p))')
    printf '| drift %s | %s s | %s s | %s s | %s | %s (%s) | %s |\n' "$shape" "$(med drift.b)" "$(med drift.a)" "$(med drift.n)" \
      "$(ratio "$(med drift.a)" "$(med drift.n)")" "$(mib drift.a)" "$(mib drift.b)" "$gflops"
  fi

  if [[ " $jobs " == *" restore "* ]]; then
    goal=$(awk -v d="$(med drift.a)" -v c="$(med copy)" 'BEGIN {printf "%.2f", d + 1.5 * c}')
    profiles=(--forget-profile "$d/forget.profile.safetensors" --alpha 10 --gamma 10)
    for mode in $modes; do
      for _ in $(seq "$runs"); do
        args=(restore --base "$d/base" --candidate "$d/candidate" "${profiles[@]}" --output-dtype "$mode" --json)
        [ -n "$before" ] && { rm -rf "$tmp/out"; cell "restore-$mode.b" "$before" "${args[@]}" --profile "$before_profile" --out "$tmp/out"; }
        rm -rf "$tmp/out"; cell "restore-$mode.a" "$after" "${args[@]}" --profile "$d/retain-v2.profile.safetensors" --out "$tmp/out"
        if [ "$mode" = "${modes%% *}" ]; then
          rm -rf "$tmp/out"; cell restore.n python3 Benchmarks/peer_restore.py --base "$d/base" --candidate "$d/candidate" \
            --profile "$d/retain.profile.safetensors" "${profiles[@]}" --out "$tmp/out"
        fi
      done
      rm -rf "$tmp/out"
      echo "$shape restore ($mode) runs (s): before [$(runs_of "restore-$mode.b")] retaind [$(runs_of "restore-$mode.a")] numpy [$(runs_of restore.n)]" >&2
      a=$(med "restore-$mode.a"); n=$(med restore.n)
      [ "$mode" != "${modes%% *}" ] && n="-"
      verdict=$(awk -v a="$a" -v g="$goal" 'BEGIN {printf (a <= g) ? "goal %.2f s met" : "goal %.2f s: %.2f× over", g, a / g}')
      printf '| restore %s (%s) | %s s | %s s | %s | %s | %s (%s) | %s |\n' "$shape" "$mode" "$(med "restore-$mode.b")" "$a" \
        "$([ "$n" = - ] && echo - || echo "$n s")" "$(ratio "$a" "$n")" "$(mib "restore-$mode.a")" "$(mib "restore-$mode.b")" "$verdict"
    done
  fi
  printf '| copy + sync %s | | %s s | | | | |\n' "$shape" "$(med copy)"
  rm -f "$tmp"/*
done

if [[ " $jobs " == *" profile "* ]]; then
  t=$dir/tune
  tokens=${PROFILE_TOKENS:-8192}
  if [ -f "$t/proxy/retain.jsonl" ]; then
    has_torch=$(python3 -c "import torch, transformers; print(1)" 2>/dev/null || true)
    for _ in $(seq "$runs"); do
      [ -n "$before" ] && cell profile.b "$before" profile build --base "$t/base" --proxy "$t/proxy/retain.jsonl" --max-tokens "$tokens" --out "$tmp/p.b"
      cell profile.a "$after" profile build --base "$t/base" --proxy "$t/proxy/retain.jsonl" --max-tokens "$tokens" --out "$tmp/p.a"
      [ -n "$has_torch" ] && cell profile.n python3 tools/capture_profile.py --base "$t/base" --proxy "$t/proxy/retain.jsonl" --max-tokens "$tokens" --out "$tmp/p.n"
    done
    echo "profile runs (s): before [$(runs_of profile.b)] retaind [$(runs_of profile.a)] python [$(runs_of profile.n)]" >&2
    printf '| profile build SmolLM2-135M, %s tokens | %s s | %s s | %s s (Python tool, torch) | %s | %s (%s) | Python tool: %s |\n' "$tokens" \
      "$(med profile.b)" "$(med profile.a)" "$(med profile.n)" "$(ratio "$(med profile.a)" "$(med profile.n)")" \
      "$(mib profile.a)" "$(mib profile.b)" "$(mib profile.n)"
  else
    echo "no .build-bench/tune (run Benchmarks/tune.sh once): profile row skipped" >&2
  fi
fi
echo "load after: $(uptime)" >&2
