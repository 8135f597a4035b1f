#!/usr/bin/env python3
"""Runs a small real unlearning job on a base checkpoint, for manual checks and
benchmarks: gradient ascent (or GradDiff) on a forget proxy, saving a BF16 checkpoint
every --save-every steps as OUT/checkpoint-N, the way a Trainer run would.

  python3 tools/simulate_unlearning.py --base DIR --forget forget.jsonl [--retain retain.jsonl --method graddiff] --out RUN
"""
import argparse
import json
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def windows(path, tokenizer, seq_len):
    ids = []
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            ids += row["ids"] if "ids" in row else tokenizer(row["text"])["input_ids"]
    return [ids[i:i + seq_len] for i in range(0, len(ids) - seq_len + 1, seq_len)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--forget", required=True)
    p.add_argument("--retain")
    p.add_argument("--method", default="ga", choices=["ga", "graddiff"])
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--save-every", type=int, default=10)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=128)
    a = p.parse_args()
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(a.base)
    model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32)
    model.train()
    forget = windows(a.forget, tok, a.seq_len)
    retain = windows(a.retain, tok, a.seq_len) if a.retain else []
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    for step in range(1, a.steps + 1):
        i = (step - 1) * a.batch
        batch = torch.tensor([forget[(i + j) % len(forget)] for j in range(a.batch)])
        loss = -model(batch, labels=batch).loss
        if a.method == "graddiff":
            rb = torch.tensor([retain[(i + j) % len(retain)] for j in range(a.batch)])
            loss = loss + model(rb, labels=rb).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"step {step} loss {loss.item():.4f}", flush=True)
        if step % a.save_every == 0:
            out = os.path.join(a.out, f"checkpoint-{step}")
            model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True)
            model.to(torch.float32)
            tok.save_pretrained(out)


if __name__ == "__main__":
    main()
