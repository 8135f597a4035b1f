#!/usr/bin/env python3
"""Prints the issue #17 tables from evaluate.py's output: the same-distribution results
(memorised base first, then candidate / restored pairs) and, when given, the register
case (base, candidate, restored).

For a restored model: "forget kept" is the share of the candidate's forget QA NLL gain
over the base that the restore keeps, (F_restored − F_base) / (F_candidate − F_base);
"retain recovered" the share of the candidate's retain QA damage it undoes,
(R_candidate − R_restored) / (R_candidate − R_base). "update kept" is the restore's own
`update_kept` (‖D‖ / ‖Δ‖, from the `--json` output beside the restored model): above 1
the restore enlarged the update. The register case's "forget kept" is the same on log
perplexity of held-out Python.

  python3 Benchmarks/science/table.py results.jsonl [register.jsonl]
"""
import json
import math
import os
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def update_kept(row):
    path = row["model"].rstrip("/") + ".json"
    return f"{json.load(open(path))['update_kept']:.1f}" if os.path.exists(path) else ""


def name(row):
    parts = row["model"].rstrip("/").split("/")
    return "/".join(parts[-2:]) if parts[-2] not in ("science",) else parts[-1]


def main():
    results = rows(sys.argv[1])
    base = results[0]
    print("| model | forget QA NLL | retain QA NLL | general PPL | forget kept | retain recovered | update kept |")
    print("|---|---|---|---|---|---|---|")
    print(f"| memorised base | {base['forget_qa_nll']:.2f} | {base['retain_qa_nll']:.2f} | {base['general_ppl']:.1f} | | | |")
    for candidate, restored in zip(results[1::2], results[2::2]):
        print(f"| {name(candidate)} | {candidate['forget_qa_nll']:.2f} | {candidate['retain_qa_nll']:.2f} | "
              f"{candidate['general_ppl']:.1f} | | | |")
        gain = candidate["forget_qa_nll"] - base["forget_qa_nll"]
        damage = candidate["retain_qa_nll"] - base["retain_qa_nll"]
        # A share of nothing is no figure: a candidate that barely forgot, or did not damage
        # the kept authors (GradDiff can improve them), gets none.
        kept = f"{(restored['forget_qa_nll'] - base['forget_qa_nll']) / gain:.2f}" if gain > 0.02 else "n/a"
        recovered = f"{(candidate['retain_qa_nll'] - restored['retain_qa_nll']) / damage:.2f}" if damage > 0.02 else "n/a (no damage)"
        print(f"| {name(candidate)} restored | {restored['forget_qa_nll']:.2f} | {restored['retain_qa_nll']:.2f} | "
              f"{restored['general_ppl']:.1f} ({restored['general_ppl'] / base['general_ppl']:.3f}×) | {kept} | {recovered} | {update_kept(restored)} |")
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        base, candidate, restored = rows(sys.argv[2])
        kept = (math.log(restored["forget_ppl"]) - math.log(base["forget_ppl"])) / \
            (math.log(candidate["forget_ppl"]) - math.log(base["forget_ppl"]))
        print()
        print("| register case | held-out retain PPL | held-out forget PPL | retain / base | forget kept | update kept |")
        print("|---|---|---|---|---|---|")
        for label, row in (("base", base), ("GA-20", candidate), ("GA-20 restored", restored)):
            extra = f"{row['retain_ppl'] / base['retain_ppl']:.3f}× | " + \
                (f"{kept:.2f} | {update_kept(row)}" if row is restored else " |")
            print(f"| {label} | {row['retain_ppl']:.2f} | {row['forget_ppl']:.2f} | {extra} |")


if __name__ == "__main__":
    main()
