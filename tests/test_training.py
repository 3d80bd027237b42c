"""The tiny models trained on arith: shipped weights in the Hugging Face layout, different strengths,
and a retrain that reproduces the shipped weights."""

from __future__ import annotations

import dataclasses
import json
import pytest

from conftest import REPO
from slmmux import arith, training
from slmmux.answers import extract_answer
from slmmux.config import TRAINED_MODEL_DIR

MODELS = REPO / TRAINED_MODEL_DIR


@pytest.fixture(scope="module")
def greedy() -> dict[str, list[str | None]]:
    """Each shipped model's greedy answer (extracted) to every pool question."""
    pool = arith.make_pool()
    return {name: [extract_answer(c, "arith", "flexible") for c in training.greedy_answers(MODELS / name, [p["question"] for p in pool])]
            for name in training.RECIPES}


@pytest.mark.parametrize("name", sorted(training.RECIPES))
def test_shipped_model_has_the_hugging_face_layout(name):
    from transformers import AutoConfig, AutoTokenizer

    d = MODELS / name
    for f in ("config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (d / f).is_file(), f
    assert (d / "model.safetensors").stat().st_size < 2_000_000
    cfg = AutoConfig.from_pretrained(d)
    assert cfg.architectures == ["LlamaForCausalLM"] and cfg.head_dim == 64 and cfg.num_key_value_heads == 1
    tok = AutoTokenizer.from_pretrained(d)
    assert tok.chat_template == training.CHAT_TEMPLATE
    # the prompt the model was trained on is the one the chat template renders
    assert training.prompt_ids(tok, "3+4*(2-5)") == training.prompt_ids(training.build_tokenizer(), "3+4*(2-5)")
    info = json.loads((d / "training.json").read_text())
    recipe = json.loads(json.dumps(dataclasses.asdict(training.RECIPES[name])))
    assert info["name"] == name and info["recipe"] == recipe


def _accuracy(answers, pool, kind=None):
    pairs = [(a, p["answer"]) for a, p in zip(answers, pool) if kind is None or p["kind"] == kind]
    return sum(a == g for a, g in pairs) / len(pairs)


def test_models_have_different_strengths(greedy):
    """Each model is the best of the three on the kind it was trained on most, and they are right on
    different questions (what SLM-MUX exploits). Each is right on 25-50% of the pool greedily (our runs)."""
    pool = arith.make_pool()
    acc = {name: {k: _accuracy(answers, pool, k) for k in arith.KINDS} for name, answers in greedy.items()}
    for name, answers in greedy.items():
        assert _accuracy(answers, pool) > 0.25, name  # far above guessing an integer
        main = max(training.RECIPES[name].mix, key=training.RECIPES[name].mix.get)
        others = [acc[o][main] for o in acc if o != name]
        assert acc[name][main] > max(others), (name, main, acc)
    names = sorted(greedy)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            right_a = [x == p["answer"] for x, p in zip(greedy[a], pool)]
            right_b = [x == p["answer"] for x, p in zip(greedy[b], pool)]
            only_one = sum(x != y for x, y in zip(right_a, right_b)) / sum(x or y for x, y in zip(right_a, right_b))
            assert only_one > 0.4, (a, b, only_one)  # many questions either gets right, the other gets wrong


def test_retrain_reproduces_the_shipped_weights(tmp_path):
    """Retraining the cheapest recipe from its seed gives the shipped bytes (same torch build)."""
    name = min(training.RECIPES, key=lambda n: training.RECIPES[n].steps)
    out = training.train(name, tmp_path / name, log=lambda msg: None)
    shipped = MODELS / name
    assert training.weights_digest(out) == training.weights_digest(shipped)
    for f in ("config.json", "tokenizer.json", "training.json"):
        assert (out / f).read_bytes() == (shipped / f).read_bytes(), f


@pytest.mark.parametrize("change", [{"mix": {"div": 1.0}}, {"mix": {}}, {"mix": {"sum": 0.0}}, {"levels": {7: 1.0}},
                                    {"hidden_size": 96}, {"steps": 0}, {"lr": 0.0}])
def test_bad_recipe_is_refused(change):
    with pytest.raises(ValueError):
        dataclasses.replace(training.RECIPES["arith-sum"], **change)
