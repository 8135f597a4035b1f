#!/usr/bin/env bash
# The README's main job (until the daemon lands): generate example checkpoints and
# let retaind validate and fingerprint each one; the corrupt one is refused with its reason.
set -uo pipefail
retaind=${1:-.build/debug/retaind}
out=demo-out
python3 tools/make_example.py "$out"
for ckpt in "$out/base" "$out/run/checkpoint-100" "$out/run/checkpoint-200" "$out/run/checkpoint-300"; do
  echo "\$ retaind inspect $ckpt"
  "$retaind" inspect "$ckpt"
  echo "(exit $?)"
  echo
done
echo "\$ retaind inspect $out/run/checkpoint-200 --json"
"$retaind" inspect "$out/run/checkpoint-200" --json
