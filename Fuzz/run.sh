#!/usr/bin/env bash
# Builds the header fuzzer with libFuzzer + AddressSanitizer and runs it for $1 seconds
# (default 600) on a corpus seeded with valid files written by the Python safetensors
# package. Findings (crash-*, leak-*, timeout-*) land in Fuzz/findings/.
set -euo pipefail
seconds=${1:-600}
cd "$(dirname "$0")"
export SWIFT_BACKTRACE=enable=no
swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
  --product HeaderFuzzer --scratch-path ../.build-fuzz >&2
corpus=../.build-fuzz/corpus
mkdir -p "$corpus" findings
if [ -z "$(ls -A "$corpus")" ]; then
  python3 ../tools/testing/st_fixtures.py write "$corpus" >/dev/null
  python3 ../tools/testing/st_fixtures.py lora "$corpus/lora" pattern
  find "$corpus" -name '*.safetensors' -exec mv {} "$corpus" \; 2>/dev/null || true
  find "$corpus" -mindepth 1 -type d -exec rm -rf {} + 2>/dev/null || true
  find "$corpus" -type f ! -name '*.safetensors' -delete
fi
bin=$(swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld --scratch-path ../.build-fuzz --show-bin-path)/HeaderFuzzer
"$bin" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix=findings/ -print_final_stats=1 2>&1 | grep -E "^(#|Done|stat::|==|SUMMARY|INFO: -max)" | tail -25
