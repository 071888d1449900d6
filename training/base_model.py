"""Load the base model and tokenizer: from a GGUF file (dequantized by transformers), a local HF
directory, or a Hugging Face id (on a user's machine with network access).

Heavy imports stay inside the functions so that importing nichelm.training never needs torch.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BaseSpec:
    """Where the base comes from: ``source`` is a directory or a Hugging Face id; ``gguf_file`` the GGUF
    file name inside that directory, or None for safetensors/HF weights."""

    source: str
    gguf_file: str | None = None

    @property
    def is_gguf(self) -> bool:
        return self.gguf_file is not None

    def kwargs(self) -> dict:
        return {"gguf_file": self.gguf_file} if self.gguf_file else {}

    def describe(self) -> str:
        return f"{self.source}/{self.gguf_file}" if self.gguf_file else self.source


def resolve_base(base: str | os.PathLike, gguf_file: str | None = None) -> BaseSpec:
    """A path to a .gguf file, a directory (+ optional gguf_file name), or a Hugging Face id."""
    p = Path(base)
    if p.is_file():
        if p.suffix != ".gguf":
            raise ValueError(f"--base {p} is a file but not a .gguf file")
        return BaseSpec(str(p.resolve().parent), p.name)
    if p.is_dir():
        if gguf_file:
            if not (p / gguf_file).is_file():
                raise FileNotFoundError(f"{gguf_file} not found in {p}")
            return BaseSpec(str(p.resolve()), gguf_file)
        if (p / "config.json").is_file():
            return BaseSpec(str(p.resolve()))
        ggufs = sorted(x.name for x in p.glob("*.gguf"))
        if len(ggufs) == 1:
            return BaseSpec(str(p.resolve()), ggufs[0])
        raise FileNotFoundError(f"{p} has no config.json and {len(ggufs)} .gguf files; pass --gguf-file")
    if str(base).startswith(("/", ".")):
        raise FileNotFoundError(f"base model not found: {base}")
    return BaseSpec(str(base), gguf_file)  # a Hugging Face id


def load_tokenizer(spec: BaseSpec):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(spec.source, **spec.kwargs())
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def strip_quantizer(model) -> None:
    """transformers 5 marks a model dequantized from GGUF as quantized and then refuses save_pretrained;
    the weights are plain tensors, so the marks can go."""
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
    cfg = model.config
    if hasattr(cfg, "quantization_config"):
        try:
            delattr(cfg, "quantization_config")
        except AttributeError:
            cfg.quantization_config = None
    for attr in ("is_quantized", "_is_quantized"):
        if getattr(model, attr, False):
            try:
                setattr(model, attr, False)
            except AttributeError:
                pass


def dequantized_dir(spec: BaseSpec, cache_dir: str | os.PathLike, dtype="bfloat16", log=print) -> BaseSpec:
    """Dequantize a GGUF base once and save it as safetensors in *cache_dir* (reused when present).
    Returns a spec pointing at that directory. Non-GGUF specs are returned unchanged."""
    if not spec.is_gguf:
        return spec
    out = Path(cache_dir)
    if (out / "config.json").is_file() and any(out.glob("*.safetensors")):
        return BaseSpec(str(out))
    import torch
    from transformers import AutoModelForCausalLM

    t0 = time.monotonic()
    model = AutoModelForCausalLM.from_pretrained(spec.source, gguf_file=spec.gguf_file,
                                                 dtype=getattr(torch, dtype))
    strip_quantizer(model)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    load_tokenizer(spec).save_pretrained(out)
    log(f"dequantized {spec.describe()} -> {out} in {time.monotonic() - t0:.0f} s")
    return BaseSpec(str(out))


def load_model(spec: BaseSpec, precision: str = "bf16", device_map=None):
    """The causal LM for training. precision: bf16 | fp32 | qlora-nf4 (needs bitsandbytes and CUDA;
    a GGUF base must be dequantized to a directory first, see dequantized_dir)."""
    import torch
    from transformers import AutoModelForCausalLM

    kw: dict = dict(spec.kwargs())
    if precision == "qlora-nf4":
        from transformers import BitsAndBytesConfig

        if spec.is_gguf:
            raise ValueError("QLoRA loads a safetensors base: dequantize the GGUF first (dequantized_dir)")
        kw["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16)
        kw["dtype"] = torch.bfloat16
    else:
        kw["dtype"] = torch.bfloat16 if precision == "bf16" else torch.float32
    if device_map is not None:
        kw["device_map"] = device_map
    model = AutoModelForCausalLM.from_pretrained(spec.source, **kw)
    if spec.is_gguf:
        strip_quantizer(model)
    return model
