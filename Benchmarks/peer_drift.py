#!/usr/bin/env python3
"""The yardstick for `retaind drift`: the plain numpy script a user would write for
docs/spec.md §3 (issue #13). safetensors' numpy loader (ml_dtypes gives numpy its
bfloat16), `W @ F.T` with numpy's threaded BLAS, nothing clever: every profiled
module's rho and beta, and the relative change of every other tensor. Prints the
drift and the wall time of the computation (loading included) as JSON.

  pip install numpy safetensors ml_dtypes
  python3 Benchmarks/peer_drift.py --base DIR --candidate DIR --profile FILE
"""
import argparse
import json
import time

import ml_dtypes  # noqa: F401  (registers numpy's bfloat16, which safetensors needs for BF16)
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--candidate", required=True)
    p.add_argument("--profile", required=True)
    a = p.parse_args()
    t0 = time.perf_counter()
    with safe_open(a.profile, framework="np") as f:
        modules = json.loads(f.metadata()["modules"])
    profile = load_file(a.profile)
    base = safe_open(a.base + "/model.safetensors", framework="np")
    candidate = safe_open(a.candidate + "/model.safetensors", framework="np")
    rhos, betas, unprofiled = {}, {}, {}
    for name in candidate.keys():
        w0 = base.get_tensor(name).astype(np.float32)
        w1 = candidate.get_tensor(name).astype(np.float32)
        delta = w1 - w0
        if name not in modules:
            if w0.dtype.kind == "f":
                change = np.linalg.norm(delta)
                if change > 0:
                    unprofiled[name] = float(change / np.linalg.norm(w0))
            continue
        site = modules[name]["site"]
        if modules[name].get("layout", "out_in") == "in_out":
            w0, delta = w0.T, delta.T
        F, mu = profile[site + ".factors"], profile[site + ".mean"]
        energy = np.sum((delta @ F.T) ** 2, dtype=np.float64)
        reference = np.sum((w0 @ F.T) ** 2, dtype=np.float64)
        rhos[name] = float(np.sqrt(energy / reference))
        betas[name] = float(np.linalg.norm(delta @ mu) / np.linalg.norm(w0 @ mu))
    seconds = time.perf_counter() - t0
    rho = np.array(list(rhos.values()))
    print(json.dumps({"drift": float(np.sqrt(np.mean(rho ** 2))), "drift_max": float(rho.max()),
                      "modules": len(rhos), "unprofiled": len(unprofiled), "seconds": seconds}))


if __name__ == "__main__":
    main()
