#!/usr/bin/env bash
# Size and build time of `retaind report` on a history of 1000 checkpoints × 210 module
# rows (30 layers × 7 kinds) over 10 runs: with the default 50 heatmap sections, with
# none, and with one per checkpoint. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product ReportHistoryMaker >&2 && swift build -c release --product retaind >&2
bin=$(swift build -c release --show-bin-path)
dir=$(realpath -m "${1:-.build-bench/report}")
"$bin/ReportHistoryMaker" "$dir" 1000 30
for heatmaps in 50 0 1000; do
  /usr/bin/time -f "%e s, peak RSS %M KiB" -o "$dir/time" "$bin/retaind" report --config "$dir/retaind.toml" --heatmaps "$heatmaps" --out "$dir/report-$heatmaps.html" >/dev/null
  echo "--heatmaps $heatmaps: $(stat -c %s "$dir/report-$heatmaps.html") bytes ($(gzip -c "$dir/report-$heatmaps.html" | wc -c) gzipped), $(cat "$dir/time")"
done
