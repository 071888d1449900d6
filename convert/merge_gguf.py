"""Merge a GGUF LoRA adapter into its GGUF base, without torch: each weight the adapter touches becomes
``W + (alpha/r)·B·A``, every tensor is written in f16 (norms and biases in f32), and llama.cpp's own
quantizer (convert.merge.quantize_f16) turns that file into the output type.

Why: on a CPU llama.cpp applies an adapter as extra small products in every layer at every token, and on
two cores that costs more than a third of the decoding speed (`python benchmarks/lora_speed.py`); a
merged file decodes at the speed of a plain model. The base's Q4_K_M blocks are too coarse for the update
(merging v2 into Q4_K_M cost 4 points on e-commerce, README), so the default type is Q8_0: the merged
weights, dequantized base plus update, as the training saw them, kept to about 8 bits.

    nichelm-convert merge-lora --base base-q4_k_m.gguf --lora nichelm-v18-lora.gguf --out nichelm-v18-q8_0.gguf
"""

from __future__ import annotations

import time
from pathlib import Path

from .gguf_io import ConversionError, as_float, copy_metadata, reader_meta
from .hf_gguf import _finish, _store
from .lora_average import read_lora_gguf
from .merge import quantize_f16

DEFAULT_QTYPE = "Q8_0"


def merge_lora_gguf(base: str | Path, lora: str | Path, out: str | Path, qtype: str = DEFAULT_QTYPE,
                    keep_f16: bool = False, log=print) -> dict:
    """Write *out*: the GGUF model *base* with the GGUF LoRA *lora* merged in, quantized to *qtype*."""
    import gguf

    t0 = time.monotonic()
    if not Path(base).is_file():
        raise ConversionError(f"missing base model: {base}")
    adapter = read_lora_gguf(lora)
    reader = gguf.GGUFReader(str(base))
    # Both files are in llama.cpp's own layout already, so any architecture merges (no HF renaming or
    # permutation is involved, unlike convert.merge).
    arch = str(reader_meta(reader).get("general.architecture"))
    if adapter.arch != arch:
        raise ConversionError(f"the adapter is for {adapter.arch!r}, the base is {arch!r}")
    scale = adapter.alpha / adapter.rank
    out = Path(out)
    f16 = out.with_name(out.stem + ".f16.gguf")
    writer = gguf.GGUFWriter(str(f16), arch)
    copy_metadata(reader, writer, skip={"general.file_type"})
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    merged = 0
    for t in reader.tensors:
        arr = as_float(t)
        pair = adapter.pairs.get(t.name)
        if pair is not None:
            a, b = pair
            if (b.shape[0], a.shape[1]) != arr.shape:
                raise ConversionError(f"{t.name}: the update is {b.shape[0]}x{a.shape[1]}, the weight {arr.shape}")
            arr = arr + scale * (b @ a)
            merged += 1
        _store(writer, t.name, arr, "f16")
    if merged != len(adapter.pairs):
        unknown = sorted(set(adapter.pairs) - {t.name for t in reader.tensors})
        raise ConversionError(f"the adapter touches tensors the base does not have: {', '.join(unknown[:5])}")
    _finish(writer)
    log(f"wrote {f16} ({merged} of {len(reader.tensors)} tensors merged) in {time.monotonic() - t0:.0f}s")
    quantize_f16(f16, out, qtype, keep_f16)
    log(f"wrote {out} in {time.monotonic() - t0:.0f}s")
    return {"out": str(out), "base": str(base), "lora": str(lora), "qtype": qtype.upper(), "merged_tensors": merged,
            "bytes": out.stat().st_size, "seconds": round(time.monotonic() - t0, 1)}
