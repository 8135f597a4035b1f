#!/usr/bin/env python3
"""Writes a BF16 safetensors file of about SIZE_GIB GiB (default 2) shaped like a
Llama-1B's linear layers, streaming tensor by tensor so the writer needs little memory."""
import json
import os
import struct
import sys

import numpy as np


def main(path, size_gib="2"):
    target = float(size_gib) * (1 << 30)
    hidden, inter = 2048, 8192
    layer = [("self_attn.q_proj", (hidden, hidden)), ("self_attn.k_proj", (512, hidden)),
             ("self_attn.v_proj", (512, hidden)), ("self_attn.o_proj", (hidden, hidden)),
             ("mlp.gate_proj", (inter, hidden)), ("mlp.up_proj", (inter, hidden)), ("mlp.down_proj", (hidden, inter))]
    tensors, total, i = [], 0, 0
    while total < target:
        for name, shape in layer:
            nbytes = shape[0] * shape[1] * 2
            tensors.append((f"model.layers.{i}.{name}.weight", shape, total, total + nbytes))
            total += nbytes
        i += 1
    header = {"__metadata__": {"format": "pt"}}
    for name, shape, begin, end in tensors:
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [begin, end]}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    rng = np.random.default_rng(0)
    block = (rng.standard_normal(1 << 22).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, shape, begin, end in tensors:
            left = (end - begin) // 2
            while left:
                n = min(left, block.size)
                f.write(block[:n].tobytes())
                left -= n
    print(f"wrote {path}: {len(tensors)} tensors, {total / (1 << 30):.2f} GiB")


if __name__ == "__main__":
    main(*sys.argv[1:])
