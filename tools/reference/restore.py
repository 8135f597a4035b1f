#!/usr/bin/env python3
"""numpy reference of docs/spec.md §4 (SAGE restoration), by dense solves: for every profiled
module D = Δ (I + γĈf)(I + γĈf + αĈr)⁻¹ with Ĉ = (d / tr C) FᵀF, W_r = W0 + D rounded
to the output dtype, and the figures measured on what that rounding leaves. Writes the
restored profiled weights (as float32 values) to --out and prints the figures as JSON.
Dense d × d solves: for the small fixtures the tests use, not for real models.

usage: restore.py --base DIR --candidate DIR --profile FILE [--forget-profile FILE]
                  --alpha A [--gamma G] --output-dtype float32|source --out FILE
"""
import argparse
import json
import sys

import numpy as np
from safetensors.numpy import save_file

from profiles import Profile
from st import Checkpoint


def normalised(site):
    F = site["factors"]
    d = F.shape[1]
    return F.T @ F * (d / site["trace"])


def bf16_round(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype(np.uint32)).view(np.float32)


def round_to(x, dtype):
    if dtype == "F32":
        return x.astype(np.float32)
    if dtype == "BF16":
        return bf16_round(x)
    if dtype == "F16":
        return x.astype(np.float16).astype(np.float32)
    raise SystemExit(f"unsupported dtype {dtype}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--candidate", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--forget-profile")
    p.add_argument("--alpha", type=float, required=True)
    p.add_argument("--gamma", type=float, default=10.0)
    p.add_argument("--output-dtype", default="float32", choices=["float32", "source"])
    p.add_argument("--out", required=True)
    a = p.parse_args()
    base, cand = Checkpoint(a.base), Checkpoint(a.candidate)
    retain = Profile(a.profile)
    forget = Profile(a.forget_profile) if a.forget_profile else None
    gamma = a.gamma if forget else 0.0
    out, modules = {}, []
    tot = {"after": 0.0, "n": 0, "w": 0.0, "d": 0.0, "fa": 0.0, "fb": 0.0}
    for name in sorted(retain.modules, key=lambda n: n.encode()):
        layout = retain.layout(name)
        rsite = retain.sites[retain.modules[name]["site"]]
        w0s = base.array(name)
        delta_s = cand.array(name) - w0s  # float32, as stored
        w0 = w0s.T if layout == "in_out" else w0s
        delta = (delta_s.T if layout == "in_out" else delta_s).astype(np.float64)
        d = w0.shape[1]
        Cr = normalised(rsite)
        Cf = normalised(forget.sites[forget.modules[name]["site"]]) if forget else np.zeros((d, d))
        left = np.eye(d) + gamma * Cf
        system = left + a.alpha * Cr
        D = np.linalg.solve(system.T, (delta @ left).T).T
        Wr = (w0.astype(np.float64) + D).astype(np.float32)  # W0 + D formed as the writer does, in float32
        dtype = "F32" if a.output_dtype == "float32" else cand.dtype(name)
        written = round_to(Wr, dtype)
        Dw = (written - w0).astype(np.float64)
        Fr = rsite["factors"]
        R = float(np.sum((w0.astype(np.float64) @ Fr.T) ** 2))
        E0 = float(np.sum((delta @ Fr.T) ** 2))
        Ea = float(np.sum((Dw @ Fr.T) ** 2))
        row = {"name": name, "rho": float(np.sqrt(E0 / R)) if R > 0 else 0.0, "rho_after": float(np.sqrt(Ea / R)) if R > 0 else 0.0,
               "update_kept": float(np.linalg.norm(Dw) / np.linalg.norm(delta)) if np.any(delta) else 1.0}
        if forget:
            Ff = forget.sites[forget.modules[name]["site"]]["factors"]
            fb, fa = float(np.sum((delta @ Ff.T) ** 2)), float(np.sum((Dw @ Ff.T) ** 2))
            row["forget_kept"] = float(np.sqrt(fa / fb)) if fb > 0 else None
            tot["fa"] += fa
            tot["fb"] += fb
        modules.append(row)
        tot["after"] += row["rho_after"] ** 2
        tot["n"] += 1
        tot["w"] += float(np.sum(Dw ** 2))
        tot["d"] += float(np.sum(delta ** 2))
        out[name] = np.ascontiguousarray(written.T if layout == "in_out" else written)
    save_file(out, a.out)
    json.dump({"drift_after": float(np.sqrt(tot["after"] / tot["n"])), "update_kept": float(np.sqrt(tot["w"] / tot["d"])),
               "forget_kept": float(np.sqrt(tot["fa"] / tot["fb"])) if forget else None, "modules": modules}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
