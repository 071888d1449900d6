"""Small GGUF helpers on top of the ``gguf`` package: tensor-name mapping, metadata copying, and a reader
for safetensors files that needs no torch (LoRA adapters trained in bf16 are read as float32).

Names are mapped with gguf's own TensorNameMap (the table llama.cpp's converters use), never by hand.
Only architectures whose Hugging Face weights go into GGUF unchanged are accepted (qwen2, qwen3): the
llama family permutes the rows of q/k on conversion and a LoRA for it would need the same permutation.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

# Architectures whose HF -> GGUF conversion is a rename only (no permutation, no fused tensors).
RENAME_ONLY_ARCHS = ("qwen2", "qwen3")


class ConversionError(ValueError):
    code = "conversion_error"


def arch_enum(arch: str):
    import gguf

    by_name = {v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}
    if arch not in by_name:
        raise ConversionError(f"unknown GGUF architecture {arch!r}")
    return by_name[arch]


def check_arch(arch: str) -> None:
    if arch not in RENAME_ONLY_ARCHS:
        raise ConversionError(
            f"architecture {arch!r} is not supported (supported: {', '.join(RENAME_ONLY_ARCHS)}); its conversion "
            "permutes or fuses tensors, which this writer does not reproduce")


def name_map(arch: str, n_blocks: int):
    """A callable: HF tensor name (``model.layers.0.self_attn.q_proj.weight``) -> GGUF name or None."""
    import gguf

    tmap = gguf.TensorNameMap(arch_enum(arch), n_blocks)

    def to_gguf(hf_name: str) -> str | None:
        return tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))

    return to_gguf


def as_float(tensor) -> np.ndarray:
    """A GGUFReader tensor as float32 in numpy order ([rows, cols]), dequantizing q8_0, q4_k and the like."""
    import gguf

    kind = tensor.tensor_type
    if kind in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
        return np.asarray(tensor.data, dtype=np.float32)
    return np.asarray(gguf.quants.dequantize(tensor.data, kind), dtype=np.float32)


def reader_meta(reader) -> dict:
    """{key: python value} for every metadata field of a GGUFReader."""
    return {k: f.contents() for k, f in reader.fields.items()}


def copy_metadata(reader, writer, skip: set[str] = frozenset()) -> None:
    """Copy every key/value of *reader* into *writer*, except GGUF.* bookkeeping, general.architecture (the
    writer adds it) and *skip*."""
    from gguf import GGUFValueType

    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture" or key in skip:
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), vtype, sub)


_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """All tensors of a .safetensors file as numpy arrays; BF16 becomes float32 (exactly)."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start: base + end]
        dt = info["dtype"]
        if dt == "BF16":
            arr = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif dt in _ST_DTYPES:
            arr = np.frombuffer(raw, dtype=_ST_DTYPES[dt])
        else:
            raise ConversionError(f"{path}: tensor {name} has unsupported dtype {dt}")
        out[name] = arr.reshape(info["shape"]).copy()
    return out
