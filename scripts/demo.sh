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

# Drift of the committed tiny-Llama fixtures (made by tools/fixtures/make_tiny_llama.py
# with a profile captured by tools/capture_profile.py): a full update, a BF16 copy of
# it, and a LoRA adapter.
f=Tests/Fixtures/tiny-llama
echo
echo "\$ retaind profile inspect $f/retain.profile.safetensors"
"$retaind" profile inspect "$f/retain.profile.safetensors"
for c in cand-full cand-bf16 cand-lora; do
  echo
  echo "\$ retaind drift --base $f/base --candidate $f/$c --profile $f/retain.profile.safetensors --top 3"
  "$retaind" drift --base "$f/base" --candidate "$f/$c" --profile "$f/retain.profile.safetensors" --top 3
done

rm -rf "$out/restored"
echo
echo "\$ retaind restore --base $f/base --candidate $f/cand-bf16 --profile $f/retain.profile.safetensors --forget-profile $f/forget.profile.safetensors --alpha 10 --out $out/restored"
"$retaind" restore --base "$f/base" --candidate "$f/cand-bf16" --profile "$f/retain.profile.safetensors" \
  --forget-profile "$f/forget.profile.safetensors" --alpha 10 --out "$out/restored"
echo
echo "\$ cat $out/restored/retaind.json"
cat "$out/restored/retaind.json"
