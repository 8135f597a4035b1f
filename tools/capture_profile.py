#!/usr/bin/env python3
"""Capture a docs/spec.md §2 retain (or forget) profile from any Hugging Face causal LM.

Runs the base model on a proxy corpus and records, at the input of every linear
module in the decoder layers, the mean and the uncentered second moment of the
activations (float64); modules that read the same input tensor (q/k/v, gate/up)
share one site. Each site keeps the leading eigen-directions of its second moment
as factors, by energy (--energy) between --min-rank and --max-rank. Writes a
*.profile.safetensors that `retaind drift` and the daemon read, naming the base's
fingerprint so a profile is never used against another base.

  python3 tools/capture_profile.py --base DIR --proxy retain.jsonl --out base.retain.profile.safetensors

The proxy is JSONL with a `text` field (tokenized with the base's tokenizer) or an
`ids` field (token ids, used as given), or plain text. Needs torch and transformers;
runs offline from a local directory.
"""
import argparse
import hashlib
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from st import Checkpoint  # noqa: E402  (docs/spec.md §6 fingerprint)

LAYER = re.compile(r"(^|\.)(layers|h|blocks|layer)\.\d+\.")


def read_proxy(path, tokenizer, seq_len, max_tokens):
    """Token windows of seq_len (the last may be shorter), at most max_tokens in all."""
    with open(path, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    sequences = []
    lines = [l for l in text.splitlines() if l.strip()]
    is_jsonl = bool(lines) and all(l.lstrip().startswith("{") for l in lines)
    if is_jsonl:
        for l in lines:
            row = json.loads(l)
            if "ids" in row:
                sequences.append([int(t) for t in row["ids"]])
            elif "text" in row:
                sequences.append(encode(tokenizer, row["text"]))
            else:
                raise SystemExit(f"{path}: every JSONL row needs `text` or `ids`")
    else:
        sequences.append(encode(tokenizer, text))
    windows, total = [], 0
    for seq in sequences:
        for start in range(0, len(seq), seq_len):
            w = seq[start:start + seq_len]
            if total + len(w) > max_tokens:
                w = w[: max_tokens - total]
            if w:
                windows.append(w)
                total += len(w)
            if total >= max_tokens:
                return windows, total, digest
    return windows, total, digest


def encode(tokenizer, text):
    if tokenizer is None:
        raise SystemExit("the proxy holds text but the base has no tokenizer; give token ids (`ids`) instead")
    return tokenizer(text, add_special_tokens=True)["input_ids"]


class Site:
    """float64 statistics of one site: raw rows while n <= d, then the d×d moment.

    Rows are folded into the moment in blocks of at least 4096, so each fold is one
    large matrix product rather than one per sequence."""

    BLOCK = 4096

    def __init__(self, d):
        self.d, self.n = d, 0
        self.sum = np.zeros(d)
        self.sq = 0.0
        self.rows, self.pending = [], 0
        self.moment = None

    def add(self, x):
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.d)
        self.n += x.shape[0]
        self.sum += x.sum(axis=0)
        self.sq += float(np.sum(x * x))
        self.rows.append(x)
        self.pending += x.shape[0]
        if self.n > self.d and self.pending >= max(self.BLOCK, self.d):
            self.fold()

    def fold(self):
        if not self.rows:
            return
        held = np.concatenate(self.rows)
        self.moment = held.T @ held if self.moment is None else self.moment + held.T @ held
        self.rows, self.pending = [], 0

    def decompose(self, energy, min_rank, max_rank):
        n, d = self.n, self.d
        if n > d:
            self.fold()
        trace = self.sq / n
        if self.moment is not None:
            lam, U = np.linalg.eigh(self.moment / n)
            lam, U = lam[::-1], U[:, ::-1].T
        else:
            X = np.concatenate(self.rows)
            lam, V = np.linalg.eigh(X @ X.T / n)
            lam, V = lam[::-1], V[:, ::-1]
            keep = lam > 0
            U = np.zeros((len(lam), d))
            U[keep] = (X.T @ V[:, keep] / np.sqrt(n * lam[keep])).T
        lam = np.maximum(lam, 0)
        cum = np.cumsum(lam)
        hit = np.nonzero(cum >= energy * trace)[0]
        k = int(hit[0]) + 1 if len(hit) else len(lam)
        positive = int(np.sum(lam > max(lam[0] * 1e-12, 0)))
        k = max(1, min(max(k, min_rank), max_rank, d, positive))
        # C order explicitly: U is a transposed view, and safetensors writes an array's
        # memory as it lies.
        factors = np.ascontiguousarray(np.sqrt(lam[:k])[:, None] * U[:k], dtype=np.float32)
        tail = float(lam[k]) if k < len(lam) else 0.0
        return factors, (self.sum / n).astype(np.float32), trace, tail, float(cum[k - 1] / trace) if trace > 0 else 1.0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--base", required=True, help="the base checkpoint directory (save_pretrained layout)")
    p.add_argument("--proxy", required=True, help="retain (or forget) proxy: JSONL with text or ids, or plain text")
    p.add_argument("--out", required=True, help="output *.profile.safetensors")
    p.add_argument("--max-tokens", type=int, default=65536)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--energy", type=float, default=0.999)
    p.add_argument("--min-rank", type=int, default=16)
    p.add_argument("--max-rank", type=int, default=256)
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"], help="dtype the model runs in")
    a = p.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    try:
        from transformers.pytorch_utils import Conv1D
    except ImportError:
        Conv1D = ()

    try:
        tokenizer = AutoTokenizer.from_pretrained(a.base, local_files_only=True)
    except Exception:
        tokenizer = None
    model = AutoModelForCausalLM.from_pretrained(a.base, torch_dtype=getattr(torch, a.dtype), local_files_only=True)
    model.eval()
    windows, total, proxy_digest = read_proxy(a.proxy, tokenizer, a.seq_len, a.max_tokens)
    if not windows:
        raise SystemExit(f"{a.proxy}: no tokens")

    targets = {name: mod for name, mod in model.named_modules()
               if LAYER.search(name) and (isinstance(mod, torch.nn.Linear) or (Conv1D and isinstance(mod, Conv1D)))}
    # Group modules by the input tensor they receive, from one probe forward. The
    # inputs are kept alive until grouping is done, so no address is reused.
    seen, alive = {}, []
    def probe(name):
        def hook(mod, args):
            alive.append(args[0])
            seen[name] = (args[0].data_ptr(), tuple(args[0].shape), args[0].storage_offset())
        return hook
    handles = [m.register_forward_pre_hook(probe(n)) for n, m in targets.items()]
    with torch.no_grad():
        model(torch.tensor([windows[0][:8]]))
    for h in handles:
        h.remove()
    groups = {}
    for name in targets:
        groups.setdefault(seen[name], []).append(name)
    alive.clear()
    site_of, leader = {}, {}
    for members in groups.values():
        members.sort()
        parent = members[0].rsplit(".", 1)[0]
        site = members[0] if len(members) == 1 else parent + "." + "+".join(m.rsplit(".", 1)[1] for m in members)
        for m in members:
            site_of[m] = site
        leader[members[0]] = site

    sites = {}
    def capture(site):
        def hook(mod, args):
            x = args[0].detach().to(torch.float64)
            if site not in sites:
                sites[site] = Site(x.shape[-1])
            sites[site].add(x.reshape(-1, x.shape[-1]).cpu().numpy())
        return hook
    handles = [targets[name].register_forward_pre_hook(capture(site)) for name, site in leader.items()]
    try:
        from tqdm import tqdm
        batches = tqdm(range(0, len(windows), a.batch_size), desc="capture", unit="batch", file=sys.stderr)
    except ImportError:
        batches = range(0, len(windows), a.batch_size)
    with torch.no_grad():
        for i in batches:
            for w in windows[i:i + a.batch_size]:  # one sequence at a time: no padding enters the statistics
                model(torch.tensor([w]))
    for h in handles:
        h.remove()

    tensors, modules, report = {}, {}, []
    for name, site in site_of.items():
        layout = "in_out" if (Conv1D and isinstance(targets[name], Conv1D)) else "out_in"
        modules[name + ".weight"] = {"site": site, "layout": layout}
    for site in sorted(sites):
        factors, mean, trace, tail, kept = sites[site].decompose(a.energy, a.min_rank, a.max_rank)
        tensors[site + ".factors"] = factors
        tensors[site + ".mean"] = mean
        tensors[site + ".trace"] = np.array([trace], dtype=np.float64)
        tensors[site + ".tail"] = np.array([tail], dtype=np.float32)
        report.append((site, factors.shape[0], factors.shape[1], kept))
    # Version 2: each module's reference figures R = ‖W0 Fᵀ‖² and ‖W0 μ‖ from the base's
    # stored weights (F32, as drift reads them) and the factors as stored (F32), so a
    # one-shot drift computes only ΔFᵀ (docs/spec.md §2.4).
    base = Checkpoint(a.base)
    for weight, entry in modules.items():
        w0 = base.array(weight).astype(np.float64)
        if entry["layout"] == "in_out":
            w0 = w0.T
        f = tensors[entry["site"] + ".factors"].astype(np.float32).astype(np.float64)
        mu = tensors[entry["site"] + ".mean"].astype(np.float32).astype(np.float64)
        tensors[weight + ".reference_energy"] = np.array([np.sum((w0 @ f.T) ** 2)], dtype=np.float64)
        tensors[weight + ".reference_mean_norm"] = np.array([np.linalg.norm(w0 @ mu)], dtype=np.float64)
    metadata = {"format": "retain-profile", "version": "2", "tokens": str(total),
                "modules": json.dumps(modules, sort_keys=True, separators=(",", ":")),
                "base_fingerprint": base.fingerprint(), "proxy_fingerprint": proxy_digest}
    from safetensors.numpy import save_file
    tmp = a.out + ".tmp"
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, tmp, metadata=metadata)
    os.replace(tmp, a.out)
    print(f"{a.out}: {len(report)} sites, {len(modules)} modules, {total} tokens", file=sys.stderr)
    for site, k, d, kept in report:
        flag = "  WARNING: max_rank cut the kept energy below 0.9" if kept < 0.9 else ""
        print(f"  {site}: k={k} d={d} energy kept {kept:.4f}{flag}", file=sys.stderr)


if __name__ == "__main__":
    main()
