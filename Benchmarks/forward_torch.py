#!/usr/bin/env python3
"""PyTorch CPU forward throughput on the same shapes as ForwardBenchmark:
`forward_torch.py MODEL_DIR [SEQUENCES] [TOKENS]`, best of three after a warm-up."""
import sys
import time

import torch
from transformers import AutoModelForCausalLM

path = sys.argv[1]
sequences = int(sys.argv[2]) if len(sys.argv) > 2 else 8
tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 128
model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
batch = torch.randint(0, model.config.vocab_size, (sequences, tokens))
best = float("inf")
with torch.no_grad():
    for i in range(4):
        start = time.time()
        model(batch)
        if i > 0:
            best = min(best, time.time() - start)
print(f"torch: {sequences} × {tokens} tokens in {best:.3f} s: {sequences * tokens / best:.0f} tokens/s "
      f"({torch.get_num_threads()} threads)")
