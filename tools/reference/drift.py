#!/usr/bin/env python3
"""numpy reference of docs/spec.md §3 (retention activation bias). Prints every figure
as JSON with docs/spec.md §7's keys. The oracle the Swift tests compare against; kept
deliberately plain: dense products in float64 after forming Δ in float32.

usage: drift.py --base DIR --candidate DIR --profile FILE
"""
import argparse
import json
import sys

import numpy as np

from profiles import Profile
from st import Checkpoint


def module_figures(delta, w0, site, layout):
    """delta, w0: float32 stored weights; returns the docs/spec.md §3 figures of one module."""
    if layout == "in_out":
        delta, w0 = delta.T, w0.T
    delta = delta.astype(np.float64)
    w0 = w0.astype(np.float64)
    F, mu = site["factors"], site["mean"]
    lam = np.sum(F * F, axis=1)
    P = delta @ F.T
    E = float(np.sum(P * P))
    R = float(np.sum((w0 @ F.T) ** 2))
    col = np.sum(P * P, axis=0)
    captured = float(np.sum(col[lam > 0] / lam[lam > 0]))
    upper = E + site["tail"] * max(0.0, float(np.sum(delta * delta)) - captured)
    rho = 0.0 if E == 0 else (float(np.sqrt(E / R)) if R > 0 else float("inf"))
    w0mu = float(np.linalg.norm(w0 @ mu))
    beta = float(np.linalg.norm(delta @ mu)) / w0mu if w0mu > 0 else 0.0
    return {"rho": rho, "beta": beta, "energy": E, "reference_energy": R, "energy_upper": upper}


def drift(base_dir, candidate_dir, profile_path):
    base, cand, prof = Checkpoint(base_dir), Checkpoint(candidate_dir), Profile(profile_path)
    modules, unprofiled = [], []
    for name in sorted(prof.modules, key=lambda n: n.encode()):
        site = prof.sites[prof.modules[name]["site"]]
        w0 = base.array(name)
        if cand.adapter is not None:
            delta = cand.adapter.delta(name).astype(np.float32) if name in cand.adapter.modules else np.zeros_like(w0)
        else:
            delta = cand.array(name) - w0  # formed in float32
        fig = module_figures(delta, w0, site, prof.layout(name))
        modules.append({"name": name, "site": prof.modules[name]["site"], **fig})
    if cand.adapter is not None:
        others = [n for n in cand.adapter.modules if n not in prof.modules]
        for name in sorted(others):
            d = cand.adapter.delta(name)
            unprofiled.append({"name": name, "relative_change": float(np.linalg.norm(d) / np.linalg.norm(base.array(name, np.float64)))})
    else:
        for name in cand.names():
            if name in prof.modules:
                continue
            w0, w1 = base.array(name), cand.array(name)
            diff = float(np.linalg.norm((w1 - w0).astype(np.float64)))
            if diff > 0:
                unprofiled.append({"name": name, "relative_change": diff / float(np.linalg.norm(w0.astype(np.float64)))})
    rhos = np.array([m["rho"] for m in modules])
    worst = int(np.argmax(rhos))
    return {
        "fingerprint": cand.fingerprint(),
        "base_fingerprint": base.fingerprint(),
        "profile_base_fingerprint": prof.base_fingerprint,
        "drift": float(np.sqrt(np.mean(rhos ** 2))),
        "drift_max": float(rhos[worst]),
        "drift_max_module": modules[worst]["name"],
        "modules": modules,
        "unprofiled": unprofiled,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--candidate", required=True)
    p.add_argument("--profile", required=True)
    a = p.parse_args()
    json.dump(drift(a.base, a.candidate, a.profile), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
