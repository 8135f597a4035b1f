#!/usr/bin/env python3
"""Writes small example checkpoints for the README demo (numpy + safetensors only).

OUT/base            a Llama-shaped base: 2 layers, hidden 64, BF16, config.json
OUT/run/checkpoint-100   the base with a small full update, sharded in two files
OUT/run/checkpoint-200   a PEFT LoRA adapter (r=8, alpha=16) on q/v projections
OUT/run/checkpoint-300   a copy of checkpoint-100 whose second shard was cut short
"""
import json
import os
import shutil
import sys

import numpy as np
from safetensors import serialize_file

try:
    from safetensors._safetensors_rust import TensorSpec
except ImportError:
    TensorSpec = None

HIDDEN, INTER, LAYERS, VOCAB = 64, 172, 2, 256


def bf16(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def save(path, tensors, dtype="bfloat16"):
    payload, keep = {}, []
    for name, x in tensors.items():
        data = bf16(x) if dtype == "bfloat16" else np.ascontiguousarray(x, dtype=np.float32)
        keep.append(data)
        if TensorSpec is not None:
            payload[name] = TensorSpec(dtype=dtype, shape=list(x.shape), data_ptr=data.ctypes.data, data_len=data.nbytes)
        else:
            payload[name] = {"dtype": dtype, "shape": list(x.shape), "data": data.tobytes()}
    serialize_file(payload, path, metadata={"format": "pt"})


def llama(rng):
    t = {"model.embed_tokens.weight": rng.standard_normal((VOCAB, HIDDEN)) * 0.02,
         "model.norm.weight": np.ones(HIDDEN)}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
            t[p + f"self_attn.{n}.weight"] = rng.standard_normal((HIDDEN, HIDDEN)) * 0.05
        t[p + "mlp.gate_proj.weight"] = rng.standard_normal((INTER, HIDDEN)) * 0.05
        t[p + "mlp.up_proj.weight"] = rng.standard_normal((INTER, HIDDEN)) * 0.05
        t[p + "mlp.down_proj.weight"] = rng.standard_normal((HIDDEN, INTER)) * 0.05
        t[p + "input_layernorm.weight"] = np.ones(HIDDEN)
        t[p + "post_attention_layernorm.weight"] = np.ones(HIDDEN)
    return {k: v.astype(np.float32) for k, v in t.items()}


def config(path):
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": HIDDEN,
                   "intermediate_size": INTER, "num_hidden_layers": LAYERS, "num_attention_heads": 4,
                   "num_key_value_heads": 4, "vocab_size": VOCAB, "tie_word_embeddings": True,
                   "torch_dtype": "bfloat16"}, f, indent=2)


def main(out):
    rng = np.random.default_rng(2026)
    shutil.rmtree(out, ignore_errors=True)
    base = llama(rng)
    os.makedirs(os.path.join(out, "base"))
    save(os.path.join(out, "base", "model.safetensors"), base)
    config(os.path.join(out, "base"))

    full = os.path.join(out, "run", "checkpoint-100")
    os.makedirs(full)
    tuned = {k: v + rng.standard_normal(v.shape).astype(np.float32) * 0.01 for k, v in base.items()}
    names = sorted(tuned)
    half = len(names) // 2
    weight_map = {}
    for i, group in enumerate((names[:half], names[half:])):
        shard = f"model-{i + 1:05d}-of-00002.safetensors"
        save(os.path.join(full, shard), {n: tuned[n] for n in group})
        weight_map.update({n: shard for n in group})
    with open(os.path.join(full, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(v.size * 2 for v in tuned.values())}, "weight_map": weight_map}, f, indent=2)
    config(full)

    lora = os.path.join(out, "run", "checkpoint-200")
    os.makedirs(lora)
    adapter = {}
    for i in range(LAYERS):
        for n in ("q_proj", "v_proj"):
            prefix = f"base_model.model.model.layers.{i}.self_attn.{n}"
            adapter[prefix + ".lora_A.weight"] = rng.standard_normal((8, HIDDEN)).astype(np.float32) * 0.01
            adapter[prefix + ".lora_B.weight"] = rng.standard_normal((HIDDEN, 8)).astype(np.float32) * 0.01
    save(os.path.join(lora, "adapter_model.safetensors"), adapter, dtype="float32")
    with open(os.path.join(lora, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"],
                   "use_rslora": False, "use_dora": False, "fan_in_fan_out": False}, f, indent=2)

    corrupt = os.path.join(out, "run", "checkpoint-300")
    shutil.copytree(full, corrupt)
    shard = os.path.join(corrupt, "model-00002-of-00002.safetensors")
    os.truncate(shard, os.path.getsize(shard) // 2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-out")
