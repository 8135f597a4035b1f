"""A LoRA adapter restored by `retaind restore` loads with PEFT, and the ΔW PEFT
applies equals the one retaind reports. Needs torch, transformers, peft and a built
retaind (`swift build`); skipped otherwise."""
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
peft = pytest.importorskip("peft")
transformers = pytest.importorskip("transformers")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "Tests", "Fixtures", "tiny-llama")
BIN = os.path.join(ROOT, ".build", "debug", "retaind")
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
from st import Checkpoint  # noqa: E402


@pytest.mark.skipif(not os.path.exists(BIN), reason="retaind is not built")
def test_restored_adapter_loads_with_peft(tmp_path):
    out = tmp_path / "restored"
    subprocess.run([BIN, "restore", "--base", f"{FIX}/base", "--candidate", f"{FIX}/cand-lora", "--profile", f"{FIX}/retain.profile.safetensors",
                    "--forget-profile", f"{FIX}/forget.profile.safetensors", "--alpha", "10", "--out", str(out)], check=True, capture_output=True)
    base = transformers.LlamaForCausalLM.from_pretrained(f"{FIX}/base")
    model = peft.PeftModel.from_pretrained(base, str(out))
    merged = model.merge_and_unload()
    restored = Checkpoint(str(out))
    reference = Checkpoint(f"{FIX}/base")
    for name in restored.adapter.modules:
        expected = reference.array(name, np.float64) + restored.adapter.delta(name)
        got = merged.state_dict()[name].double().numpy()
        np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.skipif(not os.path.exists(BIN), reason="retaind is not built")
@pytest.mark.parametrize("dtype", ["source", "float32"])
def test_restored_checkpoint_loads_in_transformers(tmp_path, dtype):
    out = tmp_path / "restored"
    subprocess.run([BIN, "restore", "--base", f"{FIX}/base", "--candidate", f"{FIX}/cand-bf16", "--profile", f"{FIX}/retain.profile.safetensors",
                    "--alpha", "10", "--output-dtype", dtype, "--out", str(out)], check=True, capture_output=True)
    model = transformers.LlamaForCausalLM.from_pretrained(str(out), dtype=torch.float32)
    restored = Checkpoint(str(out))
    state = model.state_dict()
    for name in restored.names():
        np.testing.assert_array_equal(state[name].numpy(), restored.array(name))
    with torch.no_grad():
        logits = model(torch.tensor([[1, 2, 3, 4]])).logits
    assert torch.isfinite(logits).all()
