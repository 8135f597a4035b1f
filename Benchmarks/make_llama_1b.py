#!/usr/bin/env python3
"""Generates a Llama-1B-shaped BF16 base and candidate (hidden 2048, intermediate 8192,
16 layers, 8 KV heads, and Llama 3's 128 256 × 2048 embedding and untied lm_head:
~2.9 GiB each; ~1.9 GiB with --no-embeddings) and rank-64 retain and forget profiles
for them, for the drift and restore benchmarks. The embedding and lm_head are unprofiled: they
are the largest tensors, which is what makes them the test of flat memory.

With --shape smollm2-135m it writes SmolLM2-135M's shapes instead (hidden 576,
intermediate 1536, 30 layers, 3 KV heads, 49 152 × 576 tied embedding) in F32, 538 MB
each, with a rank-256 profile: the issue #13 SmolLM2 row's shape, for machines without
torch to convert the real model (tools/convert_smollm2.py).

  python3 Benchmarks/make_llama_1b.py OUT_DIR [--layers 16] [--rank 64] [--no-embeddings]
  python3 Benchmarks/make_llama_1b.py OUT_DIR --shape smollm2-135m
  python3 Benchmarks/make_llama_1b.py OUT_DIR [--shape …] --profiles-only   # same profiles, checkpoints kept
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
from st import Checkpoint  # noqa: E402


def bf16(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


SHAPES = {
    "llama-1b": dict(layers=16, hidden=2048, inter=8192, kv=512, vocab=128256, tied=False, dtype="BF16", rank=64),
    "smollm2-135m": dict(layers=30, hidden=576, inter=1536, kv=192, vocab=49152, tied=True, dtype="F32", rank=256),
}


def shapes(layers, hidden=2048, inter=8192, kv=512, vocab=128256, embeddings=True, tied=False):
    out = [("model.embed_tokens.weight", (vocab, hidden))] if embeddings else []
    for i in range(layers):
        p = f"model.layers.{i}."
        out += [(p + "self_attn.q_proj.weight", (hidden, hidden)), (p + "self_attn.k_proj.weight", (kv, hidden)),
                (p + "self_attn.v_proj.weight", (kv, hidden)), (p + "self_attn.o_proj.weight", (hidden, hidden)),
                (p + "mlp.gate_proj.weight", (inter, hidden)), (p + "mlp.up_proj.weight", (inter, hidden)),
                (p + "mlp.down_proj.weight", (hidden, inter)),
                (p + "input_layernorm.weight", (hidden,)), (p + "post_attention_layernorm.weight", (hidden,))]
    if embeddings:
        out += [("model.norm.weight", (hidden,))] + ([] if tied else [("lm_head.weight", (vocab, hidden))])
    return out


def write(path, tensors, make, dtype="BF16"):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    size = 2 if dtype == "BF16" else 4
    for name, shape in tensors:
        n = int(np.prod(shape)) * size
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, shape in tensors:
            values = make(name, shape)
            f.write((bf16(values) if dtype == "BF16" else np.ascontiguousarray(values, dtype="<f4")).tobytes())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--shape", choices=sorted(SHAPES), default="llama-1b")
    p.add_argument("--layers", type=int)
    p.add_argument("--rank", type=int)
    p.add_argument("--no-embeddings", action="store_true", help="linear layers and norms only (the old fixture)")
    p.add_argument("--profiles-only", action="store_true", help="write only the profiles, for checkpoints made earlier")
    a = p.parse_args()
    shape = SHAPES[a.shape]
    a.layers = a.layers or shape["layers"]
    a.rank = a.rank or shape["rank"]
    dtype = shape["dtype"]
    tensors = shapes(a.layers, shape["hidden"], shape["inter"], shape["kv"], shape["vocab"],
                     embeddings=not a.no_embeddings, tied=shape["tied"])
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(1 << 24).astype(np.float32)

    def weight(name, shape, seed):
        n = int(np.prod(shape))
        start = (hash(name) + seed) % (noise.size - n) if n < noise.size else 0
        w = noise[start:start + n] if n <= noise.size else np.resize(noise, n)
        return (w * 0.02).reshape(shape) + (1.0 if len(shape) == 1 else 0.0)

    for which, seed in () if a.profiles_only else (("base", 0), ("candidate", 0)):
        d = os.path.join(a.out, which)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"model_type": "llama", "hidden_size": shape["hidden"], "intermediate_size": shape["inter"],
                       "num_hidden_layers": a.layers, "vocab_size": shape["vocab"], "tie_word_embeddings": shape["tied"]}, f)
        if which == "base":
            write(os.path.join(d, "model.safetensors"), tensors, lambda n, s: weight(n, s, 0), dtype)
        else:
            # The base plus an update of relative size ~1e-2 (visible after BF16 rounding).
            write(os.path.join(d, "model.safetensors"), tensors,
                  lambda n, s: weight(n, s, 0) + weight(n, s, 12345) * 0.01, dtype)
        print("wrote", d, flush=True)

    base_fp = Checkpoint(os.path.join(a.out, "base")).fingerprint()
    sites, modules = {}, {}
    for name, shape in tensors:
        if len(shape) != 2 or "layers." not in name:
            continue
        layer = name.split(".")[2]
        kind = name.split(".")[-2]
        site = {"q_proj": "qkv", "k_proj": "qkv", "v_proj": "qkv", "o_proj": "o", "gate_proj": "gate_up", "up_proj": "gate_up",
                "down_proj": "down"}[kind]
        site = f"model.layers.{layer}.{site}"
        modules[name] = {"site": site, "layout": "out_in"}
        sites[site] = shape[1]
    write_profile(os.path.join(a.out, "retain.profile.safetensors"), sites, modules, a.rank, rng, base_fp)
    # A forget profile of the same rank with its own directions, for the restore rows.
    write_profile(os.path.join(a.out, "forget.profile.safetensors"), sites, modules, a.rank, np.random.default_rng(1), base_fp)


def write_profile(path, sites, modules, rank, rng, base_fp):
    """A version 1 profile: random orthonormal factors with energies from 10 down to 0.01."""
    out = {}
    for site, d in sites.items():
        q, _ = np.linalg.qr(rng.standard_normal((d, rank)))
        lam = np.geomspace(10.0, 0.01, rank)
        out[site + ".factors"] = np.ascontiguousarray((np.sqrt(lam)[:, None] * q.T).astype(np.float32))
        out[site + ".mean"] = (rng.standard_normal(d) * 0.1).astype(np.float32)
        out[site + ".trace"] = np.array([lam.sum() * 1.25], dtype=np.float64)
        out[site + ".tail"] = np.array([lam[-1] * 0.5], dtype=np.float32)
    from safetensors.numpy import save_file
    save_file(out, path, metadata={
        "format": "retain-profile", "version": "1", "tokens": "8192", "modules": json.dumps(modules),
        "base_fingerprint": base_fp, "proxy_fingerprint": "synthetic"})
    print("wrote", path, flush=True)


if __name__ == "__main__":
    main()
