"""Merge a LoRA adapter into its base in transformers, write an f16 GGUF, quantize it with llama.cpp.

The metadata (tokenizer, chat template, hyperparameters) and the tensor list come from the base GGUF the
adapter was trained on, so the merged file differs from the base only in its weights. Quantization is
llama.cpp's own (llama_model_quantize through llama-cpp-python).
"""

from __future__ import annotations

import ctypes
import os
import time
from pathlib import Path

from .gguf_io import ConversionError

QUANT_TYPES = ("Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16")


def quantize(inp: str | Path, out: str | Path, qtype: str = "Q4_K_M", nthread: int | None = None) -> Path:
    """llama.cpp's quantizer: *inp* (f16/f32 GGUF) -> *out* in *qtype*."""
    import llama_cpp

    name = f"LLAMA_FTYPE_MOSTLY_{qtype}"
    if not hasattr(llama_cpp, name):
        raise ConversionError(f"unknown quantization type {qtype}; choose from {', '.join(QUANT_TYPES)}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, name)
    params.nthread = nthread or os.cpu_count() or 1
    rc = llama_cpp.llama_model_quantize(str(inp).encode(), str(out).encode(), ctypes.byref(params))
    if rc != 0:
        raise ConversionError(f"llama_model_quantize failed with code {rc}")
    return Path(out)


def quantize_f16(f16: Path, out: Path, qtype: str, keep_f16: bool = False) -> None:
    """The last step of a merge: the f16 GGUF *f16* becomes *out* (renamed for F16, else quantized to *qtype*,
    the f16 file removed unless *keep_f16*)."""
    if qtype.upper() == "F16":
        f16.replace(out)
        return
    quantize(f16, out, qtype.upper())
    if not keep_f16:
        f16.unlink()


def merge_to_gguf(adapter_dir: str | Path, base: str | Path, out: str | Path, *, gguf_file: str | None = None,
                  template_gguf: str | Path | None = None, qtype: str = "Q4_K_M", keep_f16: bool = False,
                  log=print) -> dict:
    """Merge *adapter_dir* into *base* (GGUF or HF dir/id) and write the quantized GGUF *out*.

    template_gguf: the GGUF whose metadata to copy; defaults to the base when the base is a GGUF."""
    import torch
    from nichelm.training.base_model import load_model, resolve_base
    from peft import PeftModel

    t0 = time.monotonic()
    spec = resolve_base(base, gguf_file)
    template = Path(template_gguf) if template_gguf else (
        Path(spec.source) / spec.gguf_file if spec.is_gguf else None)
    if template is None:
        raise ConversionError("a GGUF template is needed for the metadata: pass --template-gguf (the base GGUF)")
    model = load_model(spec, "fp32")  # merge in fp32: W + (alpha/r)·B·A without bf16 rounding
    model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    with torch.no_grad():
        state = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    del model
    log(f"merged in {time.monotonic() - t0:.0f}s")

    from .hf_gguf import write_from_template

    out = Path(out)
    f16 = out.with_name(out.stem + ".f16.gguf")
    n = write_from_template(state, template, f16, "f16")
    del state
    log(f"wrote {f16} ({n} tensors) in {time.monotonic() - t0:.0f}s")
    quantize_f16(f16, out, qtype, keep_f16)
    log(f"wrote {out} in {time.monotonic() - t0:.0f}s")
    return {"out": str(out), "qtype": qtype, "bytes": out.stat().st_size, "seconds": round(time.monotonic() - t0, 1)}
