#!/usr/bin/env bash
# The daemon on the generated Llama-1B-shaped BF16 checkpoint (run Benchmarks/drift.sh
# first): one candidate hard-linked into a watched directory with settle_seconds = 0 and
# a threshold that forces a restore. Prints the pipeline's timings from the history,
# the detection latency (rename → journal entry, less the processing time) and the
# daemon's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/openblas.sh
d=$(pwd)/.build-bench/llama-16
[ -f "$d/retain.profile.safetensors" ] || { echo "run Benchmarks/drift.sh first" >&2; exit 1; }
# RETAIND_BIN runs another build (e.g. the previous release, for a paired comparison).
if [ -n "${RETAIND_BIN:-}" ]; then bin=$RETAIND_BIN; else
  swift build -c release --product retaind >&2
  bin=$(swift build -c release --show-bin-path)/retaind
fi
w=$(pwd)/.build-bench/daemon
rm -rf "$w" && mkdir -p "$w/runs" "$w/staging/checkpoint-1"
cat > "$w/retaind.toml" <<TOML
[store]
database = "$w/state/history.sqlite"
[[watch]]
name = "bench"
dirs = ["$w/runs"]
base = "$d/base"
retain_profile = "$d/retain.profile.safetensors"
settle_seconds = 0
[watch.gate]
threshold = 1e-9
[watch.restore]
alpha = 10.0
output_dtype = "source"
TOML
cp -l "$d/candidate/"* "$w/staging/checkpoint-1/"
cat "$d/base/model.safetensors" "$d/candidate/model.safetensors" > /dev/null
start=$(date +%s.%N)
"$bin" run --config "$w/retaind.toml" 2>/dev/null &
pid=$!
until journalctl -q _PID=$pid MESSAGE_ID=c9c0a2ed410c47abb3159f3d2124f9e8 -o cat 2>/dev/null | grep -q ready; do sleep 0.1; done
ready=$(date +%s.%N)
moved=$(date +%s.%N)
mv "$w/staging/checkpoint-1" "$w/runs/checkpoint-1"
until journalctl -q _PID=$pid RETAIND_CHECKPOINT="$w/runs/checkpoint-1" -o json 2>/dev/null | grep -q RETAIND_STATUS; do sleep 0.2; done
entry=$(journalctl -q _PID=$pid RETAIND_CHECKPOINT="$w/runs/checkpoint-1" -o json | grep RETAIND_STATUS | tail -1)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
kill -TERM $pid; wait $pid || true
python3 - "$entry" "$moved" "$ready" "$start" "$hwm" <<'PY'
import json, sys
e = json.loads(sys.argv[1]); moved, ready, start, hwm = map(float, sys.argv[2:6])
logged = int(e["_SOURCE_REALTIME_TIMESTAMP"]) / 1e6
seconds = float(e["RETAIND_SECONDS"])
print(f"startup to READY (base reference of 1.95 GB): {ready - start:.2f} s")
print(f"outcome: {e['RETAIND_STATUS']}, drift {float(e['RETAIND_DRIFT']):.4g} -> {float(e['RETAIND_DRIFT_AFTER']):.4g}")
print(f"processing (drift + restore + history): {seconds:.2f} s")
print(f"detection latency (rename -> journal entry, less processing): {logged - moved - seconds:.3f} s")
print(f"daemon peak RSS: {hwm / 1024:.0f} MiB")
PY
"$bin" history --config "$w/retaind.toml" --json \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print("history: drift pass %.2f s, restore %.2f s" % (r["drift_seconds"], r["restore_seconds"]))'
rm -rf "$w"
