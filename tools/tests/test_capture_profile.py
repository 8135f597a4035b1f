"""Tests of tools/capture_profile.py. They need torch and transformers and are skipped
where those are not importable (CI installs neither)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
from profiles import Profile  # noqa: E402
from st import Checkpoint  # noqa: E402


def capture(tmp_path, base, proxy, *extra):
    out = tmp_path / "p.profile.safetensors"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "capture_profile.py"), "--base", str(base), "--proxy", str(proxy),
                    "--out", str(out), "--seq-len", "16", *extra], check=True, capture_output=True)
    return Profile(str(out))


@pytest.fixture
def llama(tmp_path):
    torch.manual_seed(3)
    cfg = transformers.LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                   num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True)
    model = transformers.LlamaForCausalLM(cfg).eval()
    model.save_pretrained(tmp_path / "base")
    proxy = tmp_path / "proxy.jsonl"
    rng = np.random.default_rng(1)
    proxy.write_text("".join(json.dumps({"ids": rng.integers(0, 64, 16).tolist()}) + "\n" for _ in range(6)))
    return model, tmp_path / "base", proxy


def test_sites_group_modules_reading_the_same_input(tmp_path, llama):
    _, base, proxy = llama
    p = capture(tmp_path, base, proxy)
    assert p.modules["model.layers.0.self_attn.q_proj.weight"]["site"] == p.modules["model.layers.0.self_attn.v_proj.weight"]["site"]
    assert p.modules["model.layers.1.mlp.up_proj.weight"]["site"] == p.modules["model.layers.1.mlp.gate_proj.weight"]["site"]
    assert p.modules["model.layers.0.self_attn.q_proj.weight"]["site"] != p.modules["model.layers.1.self_attn.q_proj.weight"]["site"]
    assert len(p.sites) == 8 and len(p.modules) == 14
    assert p.base_fingerprint == Checkpoint(str(base)).fingerprint()


def test_statistics_equal_a_direct_capture(tmp_path, llama):
    model, base, proxy = llama
    p = capture(tmp_path, base, proxy, "--energy", "1.0", "--min-rank", "64", "--max-rank", "64")
    # Inputs of down_proj in layer 1, captured independently with a hook on the model.
    rows = []
    h = model.model.layers[1].mlp.down_proj.register_forward_pre_hook(lambda m, a: rows.append(a[0].reshape(-1, a[0].shape[-1]).double()))
    with torch.no_grad():
        for line in proxy.read_text().splitlines():
            model(torch.tensor([json.loads(line)["ids"]]))
    h.remove()
    X = torch.cat(rows).numpy()
    C = X.T @ X / X.shape[0]
    site = p.sites["model.layers.1.mlp.down_proj"]
    F = site["factors"]
    assert F.shape == (24, 24)
    np.testing.assert_allclose(F.T @ F, C, rtol=0, atol=1e-5 * np.abs(C).max())
    np.testing.assert_allclose(site["mean"], X.mean(axis=0), atol=1e-6)
    assert abs(site["trace"] - np.trace(C)) < 1e-9 * np.trace(C)
    lam = np.sum(F * F, axis=1)
    assert np.all(np.diff(lam) <= 1e-6 * lam[0]), "factors sorted by energy"


def test_gpt2_conv1d_is_in_out(tmp_path):
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=64, n_embd=16, n_layer=1, n_head=2, n_positions=32)
    transformers.GPT2LMHeadModel(cfg).save_pretrained(tmp_path / "gpt2")
    proxy = tmp_path / "proxy.jsonl"
    proxy.write_text(json.dumps({"ids": list(range(20))}) + "\n")
    p = capture(tmp_path, tmp_path / "gpt2", proxy)
    assert p.modules["transformer.h.0.attn.c_attn.weight"]["layout"] == "in_out"
    assert p.sites[p.modules["transformer.h.0.mlp.c_proj.weight"]["site"]]["factors"].shape[1] == 64
