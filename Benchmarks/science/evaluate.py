#!/usr/bin/env python3
"""Measures models for the science benchmark (issue #17), one JSON line per model:

  --data DIR      answer NLL per token on the forget and the retain authors' QA, and
                  perplexity on held-out man pages (general text the
                  retain profile did not see)
  --text NAME=F   perplexity on the texts of a JSONL file (the register case: held-out
                  licence prose and Python)

  python3 Benchmarks/science/evaluate.py --data DATA_DIR MODEL_DIR…
  python3 Benchmarks/science/evaluate.py --text retain=heldout-retain.jsonl --text forget=heldout-forget.jsonl MODEL_DIR…
"""
import argparse
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import answer_nll, general_heldout, perplexity, read_jsonl  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--data")
    p.add_argument("--text", action="append", default=[], help="NAME=FILE.jsonl")
    p.add_argument("--tokenizer", help="where the tokenizer is, when a model directory has none")
    a = p.parse_args()
    torch.set_grad_enabled(False)
    general = general_heldout() if a.data else []
    texts = {name: [r["text"] for r in read_jsonl(path)] for name, path in (t.split("=", 1) for t in a.text)}
    for path in a.models:
        tok = AutoTokenizer.from_pretrained(a.tokenizer or path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        row = {"model": path}
        if a.data:
            row["forget_qa_nll"] = answer_nll(model, tok, read_jsonl(os.path.join(a.data, "forget_qa.jsonl")))
            row["retain_qa_nll"] = answer_nll(model, tok, read_jsonl(os.path.join(a.data, "retain_qa.jsonl")))
            row["general_ppl"] = perplexity(model, tok, general)
        for name, rows in texts.items():
            row[f"{name}_ppl"] = perplexity(model, tok, rows)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
