#!/usr/bin/env python3
"""Writes a version 2 copy of a retain profile: the same sites plus each module's
reference figures R = ‖W0 Fᵀ‖² and ‖W0 μ‖ computed with numpy from the base's stored
weights (docs/spec.md §2.4), as tools/capture_profile.py and `retaind profile build`
store them. For benchmark fixtures made without a capture run.

  python3 Benchmarks/profile_v2.py BASE_DIR PROFILE OUT
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
from st import Checkpoint, File  # noqa: E402


def main():
    base_dir, profile_path, out = sys.argv[1:4]
    profile, base = File(profile_path), Checkpoint(base_dir)
    modules = json.loads(profile.metadata["modules"])
    tensors = {}
    for name in profile.names():
        dtype = {"F32": np.float32, "F64": np.float64}[profile.info(name)["dtype"]]
        tensors[name] = np.ascontiguousarray(profile.array(name, dtype))
    for weight, entry in modules.items():
        w0 = base.array(weight).astype(np.float64)
        if entry.get("layout", "out_in") == "in_out":
            w0 = w0.T
        f = tensors[entry["site"] + ".factors"].astype(np.float64)
        mu = tensors[entry["site"] + ".mean"].astype(np.float64)
        tensors[weight + ".reference_energy"] = np.array([np.sum((w0 @ f.T) ** 2)])
        tensors[weight + ".reference_mean_norm"] = np.array([np.linalg.norm(w0 @ mu)])
    from safetensors.numpy import save_file
    save_file(tensors, out + ".tmp", metadata={**profile.metadata, "version": "2"})
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
