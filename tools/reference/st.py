"""Minimal, independent safetensors and checkpoint reading for the numpy reference.

Reads headers with json and data with numpy.memmap (numpy has no bfloat16: BF16 is
widened by shifting into float32). Understands single-file, sharded and PEFT LoRA
checkpoints (docs/spec.md §1) and the docs/spec.md §6 fingerprint. No code is shared with the Swift
implementation, so agreement between the two is evidence, not tautology.
"""
import hashlib
import json
import os
import re
import struct

import numpy as np

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
           "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


class File:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            self.header = json.loads(f.read(n))
        self.metadata = self.header.pop("__metadata__", {}) or {}
        self.data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n) if os.path.getsize(path) > 8 + n else np.zeros(0, np.uint8)

    def names(self):
        return list(self.header)

    def info(self, name):
        return self.header[name]

    def raw(self, name):
        begin, end = self.header[name]["data_offsets"]
        return bytes(self.data[begin:end])

    def array(self, name, dtype=np.float32):
        info = self.header[name]
        begin, end = info["data_offsets"]
        raw = np.frombuffer(self.data[begin:end].tobytes(), dtype=_DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.astype(dtype).reshape(info["shape"])


class Checkpoint:
    """name -> File for every tensor; `adapter` for LoRA checkpoints."""

    def __init__(self, path):
        self.path = path
        self.adapter = None
        if os.path.isfile(path):
            files = [File(path)]
        elif os.path.exists(os.path.join(path, "adapter_config.json")):
            files = [File(os.path.join(path, "adapter_model.safetensors"))]
            with open(os.path.join(path, "adapter_config.json")) as f:
                self.adapter = Adapter(json.load(f), files[0])
        elif os.path.exists(os.path.join(path, "model.safetensors.index.json")):
            with open(os.path.join(path, "model.safetensors.index.json")) as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
            files = [File(os.path.join(path, s)) for s in shards]
        else:
            files = [File(os.path.join(path, "model.safetensors"))]
        self.files = files
        self.where = {n: f for f in files for n in f.names()}

    def names(self):
        return sorted(self.where, key=lambda n: n.encode())

    def array(self, name, dtype=np.float32):
        return self.where[name].array(name, dtype)

    def dtype(self, name):
        return self.where[name].info(name)["dtype"]

    def shape(self, name):
        return list(self.where[name].info(name)["shape"])

    def fingerprint(self):
        h = hashlib.sha256()
        for name in self.names():
            info = self.where[name].info(name)
            h.update(name.encode() + b"\0" + info["dtype"].encode() + b"\0" + ",".join(map(str, info["shape"])).encode() + b"\0")
            h.update(self.where[name].raw(name))
        return h.hexdigest()


class Adapter:
    """PEFT LoRA: per base weight name, (A [r,d], B [m,r], scale, fan_in_fan_out)."""

    def __init__(self, config, file):
        self.config = config
        self.modules = {}
        pairs = {}
        for name in file.names():
            m = re.fullmatch(r"(?:base_model\.model\.)?(.*)\.lora_([AB])\.weight", name)
            pairs.setdefault(m.group(1), {})[m.group(2)] = file.array(name)
        for module, ab in pairs.items():
            r = self._pattern(config.get("rank_pattern") or {}, module, config["r"])
            alpha = self._pattern(config.get("alpha_pattern") or {}, module, config["lora_alpha"])
            scale = alpha / (np.sqrt(r) if config.get("use_rslora") else r)
            self.modules[module + ".weight"] = (ab["A"], ab["B"], float(scale), bool(config.get("fan_in_fan_out")))

    @staticmethod
    def _pattern(patterns, module, default):
        for key, value in patterns.items():
            if re.match(rf"(.*\.)?({key})$", module):
                return value
        return default

    def delta(self, weight):
        """ΔW in the base weight's storage layout, float64."""
        a, b, s, fan = self.modules[weight]
        d = s * (b.astype(np.float64) @ a.astype(np.float64))
        return d.T if fan else d
