#!/usr/bin/env python3
"""Fine-tunes a base (SmolLM2-135M) on the fictional authors' biographies and QA until it
has memorised them: the mean answer NLL over every author's QA falls below --target (or
--max-epochs pass). Saves the memorised model in F32 — the base the unlearning runs start
from and retaind measures against.

  python3 Benchmarks/science/memorise.py --base DIR --data DATA_DIR --out DIR
"""
import argparse
import os
import random
import sys
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import answer_nll, batch, read_jsonl  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--max-epochs", type=int, default=30)
    p.add_argument("--target", type=float, default=0.2, help="stop when the mean answer NLL is below this")
    a = p.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    tok = AutoTokenizer.from_pretrained(a.base)
    model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32)
    texts = [r["text"] for r in read_jsonl(os.path.join(a.data, "train.jsonl"))]
    qa = read_jsonl(os.path.join(a.data, "forget_qa.jsonl")) + read_jsonl(os.path.join(a.data, "retain_qa.jsonl"))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    start = time.time()
    for epoch in range(1, a.max_epochs + 1):
        model.train()
        rng.shuffle(texts)
        for i in range(0, len(texts), a.batch):
            ids, mask, labels = batch(tok, texts[i:i + a.batch])
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        nll = answer_nll(model, tok, qa)
        print(f"epoch {epoch}: answer NLL {nll:.3f} ({time.time() - start:.0f} s)", flush=True)
        if nll < a.target:
            break
    model.save_pretrained(a.out, safe_serialization=True)
    tok.save_pretrained(a.out)


if __name__ == "__main__":
    main()
