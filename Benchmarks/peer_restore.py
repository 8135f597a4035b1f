#!/usr/bin/env python3
"""The yardstick for `retaind restore`: the plain numpy script a user would write from
docs/spec.md §4 (issue #13). safetensors' numpy loader (ml_dtypes for bfloat16), per
site pair the joint basis Q (numpy's QR), A = Qᵀ Ĉ_r Q, B = Qᵀ Ĉ_f Q and
M = αA (I + γB + αA)⁻¹, then per module D = Δ − (ΔQ) M Qᵀ with numpy's threaded BLAS,
written in the candidate's dtype with safetensors and fsynced, and the figures
(drift_after, forget_kept, update_kept) measured on what was written. Prints them and
the wall time (loading and writing included) as JSON.

  pip install numpy safetensors ml_dtypes
  python3 Benchmarks/peer_restore.py --base DIR --candidate DIR --profile FILE \\
      [--forget-profile FILE] --alpha 10 --gamma 10 --out DIR
"""
import argparse
import json
import os
import time

import ml_dtypes  # noqa: F401  (registers numpy's bfloat16, which safetensors needs for BF16)
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def read_profile(path):
    with safe_open(path, framework="np") as f:
        modules = json.loads(f.metadata()["modules"])
    return modules, load_file(path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--candidate", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--forget-profile")
    p.add_argument("--alpha", type=float, default=10)
    p.add_argument("--gamma", type=float, default=10)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    t0 = time.perf_counter()
    modules, retain = read_profile(a.profile)
    forget_modules, forget = read_profile(a.forget_profile) if a.forget_profile else ({}, None)
    base = safe_open(a.base + "/model.safetensors", framework="np")
    candidate = safe_open(a.candidate + "/model.safetensors", framework="np")

    def normalised_factors(profile, site):
        f = profile[site + ".factors"].astype(np.float64)
        return f, f.shape[1] / float(profile[site + ".trace"][0])

    corrections = {}

    def correction(rsite, fsite):
        key = (rsite, fsite)
        if key not in corrections:
            fr, sr = normalised_factors(retain, rsite)
            rows = [fr]
            if fsite:
                ff, sf = normalised_factors(forget, fsite)
                rows.append(ff)
            q, _ = np.linalg.qr(np.concatenate(rows).T)  # d × r
            a_ = sr * (fr @ q).T @ (fr @ q)
            system = np.eye(q.shape[1]) + a.alpha * a_
            if fsite:
                system += a.gamma * sf * (ff @ q).T @ (ff @ q)
            m = np.linalg.solve(system.T, (a.alpha * a_).T).T  # αA · system⁻¹
            corrections[key] = (q.astype(np.float32), m.astype(np.float32))
        return corrections[key]

    out, squares, written, deltas, forget_before, forget_after = {}, [], 0.0, 0.0, 0.0, 0.0
    for name in candidate.keys():
        w1 = candidate.get_tensor(name)
        if name not in modules:
            out[name] = w1
            continue
        w0 = base.get_tensor(name).astype(np.float32)
        delta = w1.astype(np.float32) - w0
        rsite = modules[name]["site"]
        fsite = forget_modules.get(name, {}).get("site")
        q, m = correction(rsite, fsite)
        restored = (w0 + (delta - ((delta @ q) @ m) @ q.T)).astype(w1.dtype)
        out[name] = restored
        dw = restored.astype(np.float32) - w0
        fr = retain[rsite + ".factors"]
        squares.append(np.sum((dw @ fr.T) ** 2, dtype=np.float64) / np.sum((w0 @ fr.T) ** 2, dtype=np.float64))
        written += np.sum(dw.astype(np.float64) ** 2)
        deltas += np.sum(delta.astype(np.float64) ** 2)
        if fsite:
            ff = forget[fsite + ".factors"]
            forget_before += np.sum((delta @ ff.T) ** 2, dtype=np.float64)
            forget_after += np.sum((dw @ ff.T) ** 2, dtype=np.float64)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "model.safetensors")
    save_file(out, path, metadata={"format": "pt"})
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    seconds = time.perf_counter() - t0
    print(json.dumps({"drift_after": float(np.sqrt(np.mean(squares))),
                      "forget_kept": float(np.sqrt(forget_after / forget_before)) if forget_before else None,
                      "update_kept": float(np.sqrt(written / deltas)), "modules": len(squares), "seconds": seconds}))


if __name__ == "__main__":
    main()
