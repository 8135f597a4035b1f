#!/usr/bin/env python3
"""Safetensors fixtures made and checked by the Python ecosystem, for the Swift tests.

The Swift tests call this script to (a) write files with the `safetensors` package that
Swift must read, and (b) read files that Swift wrote, so both directions of the round
trip are checked by an independent implementation. numpy has no bfloat16, so BF16 data
goes through `safetensors.serialize_file` with raw bytes (round to nearest even).

Commands:
  write DIR         single F32/F16/BF16/F64 files and a sharded checkpoint; prints
                    the expected values as JSON (float64 lists)
  read FILE         loads FILE with safetensors; prints {metadata, tensors: {name:
                    {dtype, shape, values}}} as JSON
  lora DIR KIND     a PEFT-style adapter (KIND: plain|rslora|pattern|fan_in_fan_out|bf16)
                    plus expected.safetensors holding each module's s·B·A (F32)
"""
import json
import os
import sys

import numpy as np
from safetensors import deserialize, safe_open, serialize_file
from safetensors.numpy import save_file

try:
    from safetensors._safetensors_rust import TensorSpec
except ImportError:
    TensorSpec = None


NUMPY_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "float32": np.float32,
                "float16": np.float16, "float64": np.float64}
# Older safetensors spell dtypes as numpy/torch names; the header spelling is what docs/spec.md §6 hashes.
DTYPE_NAMES = {"F32": "float32", "F16": "float16", "F64": "float64", "BF16": "bfloat16"}


def bf16_bits(x):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_bf16(path, tensors, metadata=None):
    """tensors: name -> float32 array; stores BF16, returns the BF16 values as float32."""
    payload, values, keep = {}, {}, []
    for name, x in tensors.items():
        bits = np.ascontiguousarray(bf16_bits(x))
        keep.append(bits)
        if TensorSpec is not None:  # safetensors >= 0.8 takes raw pointers
            payload[name] = TensorSpec(dtype="bfloat16", shape=list(x.shape), data_ptr=bits.ctypes.data, data_len=bits.nbytes)
        else:
            payload[name] = {"dtype": "bfloat16", "shape": list(x.shape), "data": bits.tobytes()}
        values[name] = bf16_values(bits)
    serialize_file(payload, path, metadata=metadata)
    return values


def finite_json(values):
    """float64 list with non-finite values spelled "inf", "-inf", "nan" (JSON has none)."""
    return [float(v) if np.isfinite(v) else ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf"))
            for v in np.asarray(values, dtype=np.float64).ravel()]


def listed(values):
    return {k: {"shape": list(v.shape), "values": finite_json(v)} for k, v in values.items()}


def cmd_write(out):
    rng = np.random.default_rng(7)
    expected = {}
    base = {
        "model.embed_tokens.weight": rng.standard_normal((11, 8)).astype(np.float32),
        "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((8, 8)).astype(np.float32),
        "model.layers.0.mlp.up_proj.weight": rng.standard_normal((13, 8)).astype(np.float32),
        "model.norm.weight": np.linspace(-3, 3, 37).astype(np.float32),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    save_file(base, os.path.join(out, "f32.safetensors"), metadata={"format": "pt", "note": "ünïcode ✓"})
    expected["f32"] = listed(base)
    # F16 including subnormals, infinities and signed zeros.
    special = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1e-5, 5.96e-8, 3.0e-7, np.inf, -np.inf], dtype=np.float16)
    f16 = {k: v.astype(np.float16) for k, v in base.items() if v.ndim == 2}
    f16["special"] = special
    save_file(f16, os.path.join(out, "f16.safetensors"))
    expected["f16"] = listed({k: v.astype(np.float32) for k, v in f16.items()})
    f64 = {k: v.astype(np.float64) for k, v in base.items()}
    save_file(f64, os.path.join(out, "f64.safetensors"))
    expected["f64"] = listed({k: v.astype(np.float32) for k, v in f64.items()})
    bf = write_bf16(os.path.join(out, "bf16.safetensors"), {k: v for k, v in base.items() if v.ndim == 2})
    expected["bf16"] = listed(bf)
    # A sharded checkpoint, as save_pretrained lays it out.
    shard_dir = os.path.join(out, "sharded")
    os.makedirs(shard_dir)
    names = sorted(base)
    shards = [names[:3], names[3:]]
    weight_map = {}
    for i, group in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file({n: base[n] for n in group}, os.path.join(shard_dir, fname), metadata={"format": "pt"})
        weight_map.update({n: fname for n in group})
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": int(sum(v.nbytes for v in base.values()))}, "weight_map": weight_map}, f)
    with open(os.path.join(shard_dir, "config.json"), "w") as f:
        json.dump({"model_type": "llama"}, f)
    expected["sharded"] = listed(base)
    json.dump(expected, sys.stdout)


def cmd_read(path):
    out = {"tensors": {}}
    with safe_open(path, framework="numpy") as f:
        out["metadata"] = f.metadata() or {}
    with open(path, "rb") as fh:
        raw = fh.read()
    for name, info in deserialize(raw):
        dtype = info["dtype"]
        data = bytes(info["data"])
        if dtype in ("BF16", "bfloat16"):
            values = bf16_values(np.frombuffer(data, dtype=np.uint16))
        else:
            values = np.frombuffer(data, dtype=NUMPY_DTYPES[dtype])
            # Cross-check against the numpy loader for the types it supports.
            with safe_open(path, framework="numpy") as f:
                assert np.array_equal(f.get_tensor(name).ravel(), values, equal_nan=True)
        out["tensors"][name] = {"dtype": dtype, "shape": info["shape"], "values": finite_json(values)}
    json.dump(out, sys.stdout)


def cmd_fingerprint(*paths):
    """docs/spec.md §6, independently: sha256 over sorted tensors of all given files."""
    import hashlib
    entries = {}
    for path in paths:
        with open(path, "rb") as fh:
            for name, info in deserialize(fh.read()):
                entries[name] = info
    h = hashlib.sha256()
    for name in sorted(entries, key=lambda n: n.encode("utf-8")):
        info = entries[name]
        dtype = {v: k for k, v in DTYPE_NAMES.items()}.get(info["dtype"], info["dtype"])
        h.update(name.encode("utf-8") + b"\0" + dtype.encode() + b"\0" + ",".join(map(str, info["shape"])).encode() + b"\0")
        h.update(bytes(info["data"]))
    print(h.hexdigest())


def cmd_lora(out, kind):
    rng = np.random.default_rng(11)
    os.makedirs(out, exist_ok=True)
    modules = {
        "model.layers.0.self_attn.q_proj": (16, 12),
        "model.layers.0.self_attn.v_proj": (8, 12),
        "model.layers.1.mlp.down_proj": (12, 20),
    }
    config = {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_rslora": False, "fan_in_fan_out": False,
              "rank_pattern": {}, "alpha_pattern": {}, "use_dora": False, "target_modules": ["q_proj", "v_proj", "down_proj"],
              "base_model_name_or_path": "tiny-llama"}
    if kind == "rslora":
        config["use_rslora"] = True
    if kind == "pattern":
        # Regex keys, first match in file order wins; 'layers.1' ranks 2 everywhere in layer 1.
        config["rank_pattern"] = {"v_proj": 6, "layers\\.1\\..*": 2}
        config["alpha_pattern"] = {"down_proj": 3}
    if kind == "fan_in_fan_out":
        config["fan_in_fan_out"] = True

    def rank_of(name):
        import re
        for key, value in config["rank_pattern"].items():
            if re.match(rf"(.*\.)?({key})$", name):
                return value
        return config["r"]

    def alpha_of(name):
        import re
        for key, value in config["alpha_pattern"].items():
            if re.match(rf"(.*\.)?({key})$", name):
                return value
        return config["lora_alpha"]

    tensors, expected = {}, {}
    for name, (m, d) in modules.items():
        r = rank_of(name)
        a = rng.standard_normal((r, d)).astype(np.float32)
        b = rng.standard_normal((m, r)).astype(np.float32)
        if kind == "bf16":
            a, b = bf16_values(bf16_bits(a)), bf16_values(bf16_bits(b))
        s = alpha_of(name) / (np.sqrt(r) if config["use_rslora"] else r)
        delta = s * (b.astype(np.float64) @ a.astype(np.float64))
        if config["fan_in_fan_out"]:
            delta = delta.T
        expected[name + ".weight"] = np.ascontiguousarray(delta.astype(np.float32))
        tensors[f"base_model.model.{name}.lora_A.weight"] = a
        tensors[f"base_model.model.{name}.lora_B.weight"] = b
    path = os.path.join(out, "adapter_model.safetensors")
    if kind == "bf16":
        write_bf16(path, tensors, metadata={"format": "pt"})
    else:
        save_file(tensors, path, metadata={"format": "pt"})
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_file(expected, os.path.join(out, "..", os.path.basename(out) + ".expected.safetensors"))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"write": cmd_write, "read": cmd_read, "lora": cmd_lora, "fingerprint": cmd_fingerprint}[cmd](*args)
