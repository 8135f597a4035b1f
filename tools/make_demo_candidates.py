#!/usr/bin/env python3
"""Writes the README demo's candidate checkpoints from the committed tiny-Llama fixtures
(numpy + safetensors only).

OUT/checkpoint-100   W0 + 0.25·ΔW of the fixture's full update: drift ≈ 0.0004, passes
OUT/checkpoint-200   W0 + 1.5·ΔW: drift ≈ 0.0024, over the demo threshold, restored
OUT/checkpoint-300   a model.safetensors whose header is cut short: rejected
OUT/checkpoint-400   the fixture's PEFT LoRA adapter: restored as an adapter
"""
import os
import shutil
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tiny-llama")


def interpolated(t, out):
    base = load_file(os.path.join(FIXTURES, "base", "model.safetensors"))
    cand = load_file(os.path.join(FIXTURES, "cand-full", "model.safetensors"))
    tensors = {k: np.ascontiguousarray(base[k] + np.float32(t) * (cand[k] - base[k]), dtype=np.float32) for k in base}
    os.makedirs(out)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(os.path.join(FIXTURES, "base", "config.json"), out)


def main(out):
    interpolated(0.25, os.path.join(out, "checkpoint-100"))
    interpolated(1.5, os.path.join(out, "checkpoint-200"))
    bad = os.path.join(out, "checkpoint-300")
    interpolated(1.0, bad)
    with open(os.path.join(bad, "model.safetensors"), "r+b") as f:
        f.seek(8)
        f.write(b"{\"model.embed_tokens.weight\": {\"dtype\": \"F32\", \"sha")  # header no longer JSON
    shutil.copytree(os.path.join(FIXTURES, "cand-lora"), os.path.join(out, "checkpoint-400"))


if __name__ == "__main__":
    main(sys.argv[1])
