#!/usr/bin/env python3
"""Unlearns the forget authors from the memorised base with one of the usual methods,
saving F32 checkpoints as OUT/checkpoint-N every --save-every steps:

  ga        gradient ascent on the forget texts: minimise −NLL
  graddiff  gradient ascent on forget plus descent on retain texts
  npo       negative preference optimisation (Zhang et al. 2024): minimise
            −(2/β) log σ(−β (log π(y|x) − log π_ref(y|x))) over forget texts,
            π_ref the memorised base

  python3 Benchmarks/science/unlearn.py --base DIR --data DATA_DIR --method ga --out RUN
"""
import argparse
import copy
import os
import random
import sys

import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import batch, read_jsonl, sequence_nll  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--method", default="ga", choices=["ga", "graddiff", "npo"])
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--save-every", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--beta", type=float, default=0.1, help="NPO's β")
    a = p.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    tok = AutoTokenizer.from_pretrained(a.base)
    model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32)
    reference = copy.deepcopy(model).eval() if a.method == "npo" else None
    forget = [r["text"] for r in read_jsonl(os.path.join(a.data, "forget.jsonl"))]
    retain = [r["text"] for r in read_jsonl(os.path.join(a.data, "retain.jsonl"))]
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    model.train()
    for step in range(1, a.steps + 1):
        ids, mask, labels = batch(tok, rng.sample(forget, min(a.batch, len(forget))))
        if a.method == "npo":
            nll, _ = sequence_nll(model, ids, mask, labels)
            with torch.no_grad():
                ref_nll, _ = sequence_nll(reference, ids, mask, labels)
            # log π − log π_ref = ref_nll − nll (summed over the sequence).
            loss = -(2 / a.beta) * F.logsigmoid(-a.beta * (ref_nll - nll)).mean()
        else:
            loss = -model(input_ids=ids, attention_mask=mask, labels=labels).loss
        if a.method == "graddiff":
            rids, rmask, rlabels = batch(tok, rng.sample(retain, a.batch))
            loss = loss + model(input_ids=rids, attention_mask=rmask, labels=rlabels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"{a.method} step {step} loss {loss.item():.4f}", flush=True)
        if step % a.save_every == 0:
            out = os.path.join(a.out, f"checkpoint-{step}")
            model.save_pretrained(out, safe_serialization=True)
            tok.save_pretrained(out)


if __name__ == "__main__":
    main()
