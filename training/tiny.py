"""A tiny random qwen2-architecture model with a real tokenizer, for dry runs and tests on the CPU.

It exercises the real code paths (chat template, LoRA on all seven projections, saving, GGUF conversion)
in seconds. It writes nonsense, so it says nothing about quality.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base_model import load_tokenizer, resolve_base


def make_tiny_model(tokenizer_source: str | os.PathLike, out: str | os.PathLike, *, gguf_file: str | None = None,
                    hidden: int = 64, layers: int = 2, heads: int = 4, kv_heads: int = 2, seed: int = 0) -> Path:
    """Write a random Qwen2ForCausalLM (config.json, safetensors) plus the tokenizer of *tokenizer_source*
    (a GGUF file, model dir or HF id) into *out*; returns *out*."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    out = Path(out)
    tok = load_tokenizer(resolve_base(tokenizer_source, gguf_file))
    config = Qwen2Config(
        vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=4096,
        tie_word_embeddings=True, rms_norm_eps=1e-6, rope_theta=10000.0,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return out
