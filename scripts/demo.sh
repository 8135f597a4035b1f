#!/usr/bin/env bash
# The README's main job: run the daemon on the embedded SQLite default with the real
# journald, drop four candidates into a watched run directory (one that passes, one
# that needs restoring, one corrupt, one LoRA adapter), then print the history, one
# checkpoint's figures, and the journal entries.
set -euo pipefail
retaind=$(realpath "${1:-.build/debug/retaind}")
root=$(pwd)
out=$root/demo-out
fixtures=$root/Tests/Fixtures/tiny-llama
rm -rf "$out"
mkdir -p "$out/runs/run-1" "$out/staging" "$out/metrics"

# journald, standalone, as CI starts it (the daemon logs to stderr where there is none).
if [ "$(id -u)" -eq 0 ] && [ -x /lib/systemd/systemd-journald ] && ! pgrep -x systemd-journal >/dev/null; then
  /lib/systemd/systemd-journald >/dev/null 2>&1 &
  for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
fi

cat > "$out/retaind.toml" <<TOML
[store]
database = "$out/state/history.sqlite"

[metrics]
textfile = "$out/metrics/retaind.prom"

[[watch]]
name = "demo"
dirs = ["$out/runs"]
pattern = "*/checkpoint-*"
base = "$fixtures/base"
retain_profile = "$fixtures/retain.profile.safetensors"
forget_profile = "$fixtures/forget.profile.safetensors"
settle_seconds = 1

[watch.gate]
threshold = 0.001

[watch.restore]
alpha = 10.0
gamma = 10.0
TOML

echo "\$ retaind check-config $out/retaind.toml"
"$retaind" check-config "$out/retaind.toml"
echo
python3 tools/make_demo_candidates.py "$out/staging"

echo "\$ retaind run --config $out/retaind.toml &"
"$retaind" run --config "$out/retaind.toml" 2>"$out/daemon.stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -f "$out/state/history.sqlite" ] && break; sleep 0.1; done
sleep 1

for c in checkpoint-100 checkpoint-200 checkpoint-300 checkpoint-400; do
  echo "\$ mv staging/$c runs/run-1/$c"
  mv "$out/staging/$c" "$out/runs/run-1/$c"
done
# The gate a pipeline uses: block until each checkpoint has its verdict; the exit
# status says what to do (0 passed, 10 restored: use the restored one, 12 rejected, …).
echo
for c in checkpoint-100 checkpoint-200 checkpoint-300; do
  echo "\$ retaind wait --config $out/retaind.toml runs/run-1/$c --timeout 60"
  "$retaind" wait --config "$out/retaind.toml" "$out/runs/run-1/$c" --timeout 60 && code=0 || code=$?
  echo "(exit $code)"
done
"$retaind" wait --config "$out/retaind.toml" "$out/runs/run-1/checkpoint-400" --timeout 60 >/dev/null || true

echo
echo "\$ retaind history --config $out/retaind.toml"
"$retaind" history --config "$out/retaind.toml"
echo
echo "\$ retaind runs --config $out/retaind.toml"
"$retaind" runs --config "$out/retaind.toml"
echo
echo "\$ retaind show --config $out/retaind.toml $out/runs/run-1/checkpoint-200 --top 5"
"$retaind" show --config "$out/retaind.toml" "$out/runs/run-1/checkpoint-200" --top 5
echo
echo "\$ retaind report --config $out/retaind.toml --out $out/report.html   # open it in a browser"
"$retaind" report --config "$out/retaind.toml" --out "$out/report.html"
echo
if [ -f "$out/metrics/retaind.prom" ]; then
  echo "\$ grep -E '^retaind_(outcomes_total|drift_ratio|drift_after_ratio)' $out/metrics/retaind.prom   # for node_exporter's textfile collector"
  grep -E '^retaind_(outcomes_total\{.*status="(passed|restored)"|drift_ratio|drift_after_ratio)' "$out/metrics/retaind.prom"
  echo
fi
kill -TERM $pid
wait $pid || true
trap - EXIT

if journalctl -q -n 1 _PID=$pid >/dev/null 2>&1 && [ -n "$(journalctl -q _PID=$pid -o cat 2>/dev/null)" ]; then
  echo "\$ journalctl _PID=$pid -o short-iso"
  journalctl --no-pager _PID=$pid -o short-iso
  echo
  echo "\$ journalctl _PID=$pid MESSAGE_ID=15566e7415ab4e43ad3972e3cd21270c -o verbose   # the restored entries' fields"
  journalctl --no-pager _PID=$pid MESSAGE_ID=15566e7415ab4e43ad3972e3cd21270c -o verbose -n 1 | grep -E "^ +(MESSAGE|PRIORITY|MESSAGE_ID|SYSLOG_IDENTIFIER|RETAIND_[A-Z_]+)="
else
  echo "(no journald here: the daemon logged to stderr)"
  cat "$out/daemon.stderr"
fi
echo
echo "restored checkpoints:"
find "$out/state/restored" -name retaind.json | sort
