#!/usr/bin/env python3
"""Tries restoration methods on the same-distribution benchmark in one process (issue #17
item 2): dense per-site corrections in torch (F64), applied to a candidate in memory, then
forget/retain QA NLL (and held-out general perplexity with --general), with the update's
growth ‖D‖/‖Δ‖ over the profiled modules. One JSON line per (method, candidate); needs
run.sh's outputs under --root. Prototyping only: a method that wins is built into retaind.

Methods (`name:key=value,…`; every one gives D = Δ − Δ K per site):
  sage:alpha=,gamma=            docs/spec.md §4: K = αĈ_r (I + αĈ_r + γĈ_f)⁻¹
  geig:alpha=,gamma=,power=     the same pencil (αĈ_r, I + γĈ_f), sharper shrinkage
                                1/(1 + μ^power) of its generalised eigendirections (power 1 = sage)
  hard:alpha=,gamma=,tau=       those directions kept (μ < tau) or removed, nothing between
  contrast:alpha=,kappa=        D = Δ (I + α (Ĉ_r − κĈ_f)₊)⁻¹: shrinks only, never enlarges Δ
  loop:tau=[,gamma=]            sage with α chosen per site, closed loop on Δ and the forget
                                profile: the largest α on a grid (γ = α, or γ fixed) whose
                                site keeps tau of the update's forget energy tr(DĈ_fDᵀ)
Any method takes tokens=answers: the forget profile from the forget QA's answer tokens only.

  python3 Benchmarks/science/explore.py ga-40 npo-40 --method sage:alpha=10,gamma=10 \\
      --method sage:alpha=1000,gamma=1000 --method contrast:alpha=1000,kappa=0.3
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import answer_nll, general_heldout, perplexity, read_jsonl  # noqa: E402

torch.set_grad_enabled(False)
F64 = torch.float64


def site_of(name):
    """retaind's input sites: q/k/v share one, gate/up share one."""
    layer, _, module = name.rpartition(".")[0].rpartition(".")
    shared = {"q_proj": "k_proj+q_proj+v_proj", "k_proj": "k_proj+q_proj+v_proj", "v_proj": "k_proj+q_proj+v_proj",
              "gate_proj": "gate_proj+up_proj", "up_proj": "gate_proj+up_proj"}
    return f"{layer}.{shared.get(module, module)}"


def retaind_profile(path):
    """Site → normalised Ĉ (d × d) from a retaind profile (rank-k factors, exact trace)."""
    out = {}
    tensors = load_file(path)
    for key in tensors:
        if key.endswith(".factors"):
            site = key[: -len(".factors")]
            f = tensors[key].to(F64)
            trace = float(tensors[site + ".trace"][0])
            out[site] = f.T @ f * (f.shape[1] / trace) if trace > 0 else torch.zeros(f.shape[1], f.shape[1], dtype=F64)
    return out


def capture(model, tok, rows):
    """Site → normalised Ĉ (full rank) from the base's activations at chosen positions.
    `rows` are (text, first position counted) pairs: every token from there on counts."""
    sums, counts, hooks = {}, {}, []
    mask_holder = {}

    def hook(site):
        def f(_module, inputs):
            x = inputs[0][0][mask_holder["mask"]].to(F64)
            sums[site] = sums.get(site, 0) + x.T @ x
            counts[site] = counts.get(site, 0) + x.shape[0]
        return f

    for name, module in model.named_modules():
        if name.endswith(("q_proj", "o_proj", "gate_proj", "down_proj")):
            hooks.append(module.register_forward_pre_hook(hook(site_of(name + ".weight"))))
    for text, start in rows:
        ids = tok(text, return_tensors="pt")["input_ids"][:, :512]
        mask = torch.zeros(ids.shape[1], dtype=torch.bool)
        mask[start:] = True
        mask_holder["mask"] = mask
        model(input_ids=ids)
    for h in hooks:
        h.remove()
    out = {}
    for site, s in sums.items():
        c = s / counts[site]
        out[site] = c * (c.shape[0] / float(torch.trace(c)))
    return out


def answer_rows(tok, qa):
    return [(r["prompt"] + r["answer"], len(tok(r["prompt"])["input_ids"])) for r in qa]


def correction(method, cr, cf, p):
    """K (d × d) with D = Δ − Δ K, for one site."""
    d = cr.shape[0]
    eye = torch.eye(d, dtype=F64)
    alpha, gamma = p.get("alpha", 10.0), p.get("gamma", 10.0)
    if method == "sage":
        x = eye + alpha * cr + gamma * cf
        return torch.linalg.solve(x, alpha * cr).T
    if method in ("geig", "hard"):
        # The pencil (αĈ_r, I + γĈ_f): W with Wᵀ(I + γĈ_f)W = I, WᵀαĈ_r W = diag μ.
        # SAGE is D = Δ W⁻ᵀ diag(1/(1+μ)) Wᵀ; other shrinkages s(μ) change only s.
        b = eye + gamma * cf
        ell = torch.linalg.cholesky(b)
        li = torch.linalg.solve_triangular(ell, eye, upper=False)
        mu, y = torch.linalg.eigh(li @ (alpha * cr) @ li.T)
        mu = mu.clamp(min=0)
        w = li.T @ y
        if method == "geig":
            s = 1 / (1 + mu ** p.get("power", 1.0))
        else:
            s = (mu < p.get("tau", 1.0)).to(F64)
        return eye - (b @ w) * s @ w.T
    if method == "contrast":
        # Orthonormal directions of Ĉ_r − κĈ_f; those with more retain than (κ ×) forget
        # energy are shrunk by 1/(1 + αλ), the rest kept: D = Δ (I + α (Ĉ_r − κĈ_f)₊)⁻¹,
        # a symmetric shrinkage that never enlarges the update.
        lam, u = torch.linalg.eigh(cr - p.get("kappa", 1.0) * cf)
        lam = lam.clamp(min=0)
        return (u * (alpha * lam / (1 + alpha * lam))) @ u.T
    raise ValueError(method)


def closed_loop(base, cw, cr, cf, p):
    """Per site, the largest α = γ·ratio on a grid whose correction keeps at least `tau` of
    the update's forget energy (tr(D Ĉ_f Dᵀ) / tr(Δ Ĉ_f Δᵀ)) at that site."""
    grid = [1000.0, 300.0, 100.0, 30.0, 10.0, 3.0, 1.0, 0.3]
    if "gamma" in p:  # γ fixed, α = γ · ratio per site
        grid = [p["gamma"] * r for r in (100, 30, 10, 3, 1, 0.3, 0.1, 0.03, 0.01)]
    deltas = {}
    for key, w0 in base.items():
        site = site_of(key) if key.endswith("_proj.weight") else None
        if site in cr:
            deltas.setdefault(site, []).append(cw[key].to(F64) - w0.to(F64))
    out, chosen = {}, {}
    for site, ds in deltas.items():
        before = sum(float(torch.sum((d @ cf[site]) * d)) for d in ds)
        for alpha in grid:
            gamma = p["gamma"] if "gamma" in p else alpha * p.get("ratio", 1.0)
            k = correction("sage", cr[site], cf[site], {"alpha": alpha, "gamma": gamma})
            after = sum(float(torch.sum(((d - d @ k) @ cf[site]) * (d - d @ k))) for d in ds)
            if after >= p.get("tau", 0.9) * before or alpha == grid[-1]:
                out[site], chosen[site] = k, alpha
                break
    print(json.dumps({"chosen": chosen}), file=sys.stderr)
    return out


def parse(spec):
    name, _, rest = spec.partition(":")
    params = {}
    for kv in filter(None, rest.split(",")):
        k, v = kv.split("=")
        params[k] = v if k in ("tokens", "label") else float(v)
    return name, params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("candidates", nargs="+", help="ga-40 … (runs/<method>/checkpoint-<steps>)")
    ap.add_argument("--root", default=".build-bench/science")
    ap.add_argument("--method", action="append", required=True)
    ap.add_argument("--general", action="store_true")
    a = ap.parse_args()
    root = a.root
    tok = AutoTokenizer.from_pretrained(f"{root}/memorised")
    model = AutoModelForCausalLM.from_pretrained(f"{root}/memorised", dtype=torch.float32).eval()
    # lm_head is tied to the embeddings: loading it from the base would undo the
    # candidate's embedding update.
    base = {k: v.clone() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    data = f"{root}/data"
    forget_qa, retain_qa = read_jsonl(f"{data}/forget_qa.jsonl"), read_jsonl(f"{data}/retain_qa.jsonl")
    general = general_heldout()
    profiles = {}

    def profile_pair(tokens):
        """retaind's retain and forget profiles; with tokens=answers the forget side is
        captured here on the forget QA's answer tokens only (the prompt as context)."""
        if tokens not in profiles:
            retain = retaind_profile(f"{root}/retain.profile.safetensors")
            if tokens == "retaind":
                profiles[tokens] = (retain, retaind_profile(f"{root}/forget.profile.safetensors"))
            elif tokens == "answers":
                profiles[tokens] = (retain, capture(model, tok, answer_rows(tok, forget_qa)))
            else:
                raise ValueError(tokens)
        return profiles[tokens]

    def evaluate(label, extra):
        row = {"label": label, **extra,
               "forget_qa_nll": answer_nll(model, tok, forget_qa), "retain_qa_nll": answer_nll(model, tok, retain_qa)}
        if a.general:
            row["general_ppl"] = perplexity(model, tok, general)
        print(json.dumps(row), flush=True)

    model.load_state_dict(base, strict=False)
    evaluate("base", {})
    corrections = {}
    for cand in a.candidates:
        m, steps = cand.split("-")
        cw = load_file(f"{root}/runs/{m}/checkpoint-{steps}/model.safetensors")
        model.load_state_dict({**base, **{k: v.float() for k, v in cw.items() if k in base}}, strict=False)
        evaluate(cand, {})
        for spec in a.method:
            name, p = parse(spec)
            cr, cf = profile_pair(p.get("tokens", "retaind"))
            ks = corrections.setdefault(spec, {}) if name != "loop" else {}
            if name == "loop":
                ks.update(closed_loop(base, cw, cr, cf, p))
            state = dict(base)
            norms = [0.0, 0.0]
            for key, w0 in base.items():
                site = site_of(key) if key.endswith("_proj.weight") else None
                if site is None or site not in cr:
                    state[key] = cw[key].float() if key in cw else w0
                    continue
                if site not in ks:
                    ks[site] = correction(name, cr[site], cf[site], p)
                delta = cw[key].to(F64) - w0.to(F64)
                written = delta - delta @ ks[site]
                norms[0] += float(torch.sum(written * written))
                norms[1] += float(torch.sum(delta * delta))
                state[key] = (w0.to(F64) + written).float()
            model.load_state_dict(state, strict=False)
            evaluate(cand, {"method": spec, "update_kept": (norms[0] / norms[1]) ** 0.5})


if __name__ == "__main__":
    main()
