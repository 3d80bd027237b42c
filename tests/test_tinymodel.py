import json
import subprocess
import sys
from pathlib import Path

import pytest

from slmmux.tinymodel import build_tiny_model

ROOT = Path(__file__).resolve().parents[1]


def test_build_is_deterministic_and_vllm_shaped(tmp_path):
    a = build_tiny_model(tmp_path / "a", seed=3)
    b = build_tiny_model(tmp_path / "b", seed=3)
    c = build_tiny_model(tmp_path / "c", seed=4)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    assert (a / "model.safetensors").read_bytes() != (c / "model.safetensors").read_bytes()
    cfg = json.loads((a / "config.json").read_text())
    assert cfg["hidden_size"] == 128 and cfg["num_attention_heads"] == 2 and cfg["num_key_value_heads"] == 1
    assert cfg["head_dim"] == 64 and cfg["intermediate_size"] == 256 and cfg["num_hidden_layers"] == 2
    from safetensors import safe_open

    with safe_open(str(a / "model.safetensors"), "pt") as f:
        import torch

        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}


def test_tokenizer_round_trips_and_has_a_chat_template(tmp_path):
    from transformers import AutoTokenizer

    d = build_tiny_model(tmp_path / "m")
    tok = AutoTokenizer.from_pretrained(d)
    assert tok.bos_token == "<s>" and tok.eos_token == "</s>" and tok.pad_token == "<pad>" and tok.unk_token == "<unk>"
    text = "Solve \\frac{1}{2} + 3x = 7. Ünïcode ✓"
    assert tok.decode(tok.encode(text, add_special_tokens=False)) == text
    rendered = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert rendered.startswith("<s>") and rendered.endswith("<|assistant|>\n") and "hi" in rendered
    assert len(tok) == json.loads((d / "config.json").read_text())["vocab_size"]


def test_cli_and_bad_sizes(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_tiny_model.py"), "--out", str(tmp_path / "m"),
                        "--hidden-size", "96"], capture_output=True, text=True)
    assert r.returncode != 0 and "multiple of 64" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_tiny_model.py"), "--out", str(tmp_path / "m"),
                        "--hidden-size", "192", "--layers", "1"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["num_attention_heads"] == 3 and cfg["num_hidden_layers"] == 1
    with pytest.raises(ValueError, match="layers"):
        build_tiny_model(tmp_path / "x", layers=0)
