"""PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) -> GGUF LoRA adapter for llama.cpp.

The file layout is the one llama.cpp's convert_lora_to_gguf.py writes and ``llama_adapter_lora_init``
reads: general.type = "adapter", adapter.type = "lora", adapter.lora.alpha, and for every adapted weight
``<gguf name>.lora_a`` (PEFT lora_A, shape [r, in]) and ``<gguf name>.lora_b`` (lora_B, shape [out, r]).
llama.cpp scales by alpha / r, as PEFT does. Each pair is checked against the base GGUF's tensor shapes,
so an adapter for another base fails here rather than at load time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .gguf_io import ConversionError, check_arch, name_map, read_safetensors

OUT_TYPES = ("f32", "f16", "q8_0")


@dataclass
class LoraReport:
    out: str
    arch: str
    tensors: int
    rank: int
    alpha: float
    outtype: str
    bytes: int

    def to_json(self) -> dict:
        return self.__dict__.copy()


def _base_name(peft_name: str) -> tuple[str, str]:
    """('model.layers.0.self_attn.q_proj.weight', 'a'|'b') from a PEFT tensor name."""
    name = peft_name.replace("base_model.model.", "", 1)
    for marker, kind in ((".lora_A.weight", "a"), (".lora_B.weight", "b")):
        if name.endswith(marker):
            return name[: -len(marker)] + ".weight", kind
    raise ConversionError(
        f"unexpected tensor {peft_name!r} in the adapter: only lora_A/lora_B weights are supported "
        "(no trained embeddings, biases or modules_to_save)")


def _typed(arr: np.ndarray, outtype: str):
    """(data, raw_dtype) for GGUFWriter.add_tensor."""
    import gguf

    if outtype == "f32":
        return arr.astype(np.float32), None
    if outtype == "q8_0" and arr.shape[-1] % 32 == 0:
        q = gguf.quants.quantize(arr.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
        return q, gguf.GGMLQuantizationType.Q8_0
    return arr.astype(np.float16), None  # f16, and q8_0 rows that are not a multiple of 32 (lora_b: r wide)


def convert_lora(adapter_dir: str | Path, base_gguf: str | Path, out: str | Path, outtype: str = "f16") -> LoraReport:
    """Write the GGUF LoRA adapter for *adapter_dir* (trained on the base *base_gguf*) to *out*."""
    import gguf

    if outtype not in OUT_TYPES:
        raise ConversionError(f"outtype must be one of {OUT_TYPES}")
    adapter_dir = Path(adapter_dir)
    cfg_path = adapter_dir / "adapter_config.json"
    st_path = adapter_dir / "adapter_model.safetensors"
    for p in (cfg_path, st_path, Path(base_gguf)):
        if not p.is_file():
            raise ConversionError(f"missing file: {p}")
    cfg = json.loads(cfg_path.read_text())
    if cfg.get("peft_type", "LORA") != "LORA":
        raise ConversionError(f"adapter is {cfg.get('peft_type')}, not LORA")
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
        raise ConversionError("per-module rank/alpha patterns are not supported: llama.cpp has one alpha")
    if cfg.get("use_dora"):
        raise ConversionError("DoRA adapters are not supported by llama.cpp's LoRA loader")
    rank = int(cfg["r"])
    alpha = float(cfg["lora_alpha"])
    if cfg.get("use_rslora"):
        alpha = alpha * rank / math.sqrt(rank)  # rsLoRA scales by alpha/sqrt(r); llama.cpp by alpha/r

    reader = gguf.GGUFReader(str(base_gguf))
    arch = reader.fields["general.architecture"].contents()
    check_arch(arch)
    n_blocks = int(reader.fields[f"{arch}.block_count"].contents())
    # GGUF shapes are in ggml order (ne0 = columns): reverse to get numpy's [rows, cols].
    base_shapes = {t.name: tuple(int(x) for x in reversed(t.shape.tolist())) for t in reader.tensors}
    to_gguf = name_map(arch, n_blocks)

    pairs: dict[str, dict[str, np.ndarray]] = {}
    for name, arr in read_safetensors(st_path).items():
        base, kind = _base_name(name)
        gname = to_gguf(base)
        if gname is None:
            raise ConversionError(f"no GGUF tensor for {base!r} in architecture {arch}")
        pairs.setdefault(gname, {})[kind] = arr

    for gname, ab in pairs.items():
        if set(ab) != {"a", "b"}:
            raise ConversionError(f"{gname}: lora_A or lora_B is missing")
        a, b = ab["a"], ab["b"]
        if gname not in base_shapes:
            raise ConversionError(f"{gname} is not a tensor of the base GGUF")
        rows, cols = base_shapes[gname]
        if a.shape != (rank, cols) or b.shape != (rows, rank):
            raise ConversionError(
                f"{gname}: adapter shapes A{a.shape} B{b.shape} do not fit base weight [{rows}, {cols}] at r={rank}")
    write_lora_gguf(out, arch, alpha, {g: (ab["a"], ab["b"]) for g, ab in pairs.items()}, outtype)
    return LoraReport(str(out), arch, 2 * len(pairs), rank, alpha, outtype, Path(out).stat().st_size)


def write_lora_gguf(out: str | Path, arch: str, alpha: float, pairs: dict[str, tuple[np.ndarray, np.ndarray]],
                    outtype: str = "f16") -> None:
    """The one writer of the GGUF LoRA layout: *pairs* maps a base tensor's GGUF name to (A [r, in], B [out, r])."""
    import gguf

    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for gname in sorted(pairs, key=_natural):
        for suffix, arr in zip((".lora_a", ".lora_b"), pairs[gname]):
            data, raw = _typed(arr, outtype)
            if raw is None:
                writer.add_tensor(gname + suffix, data)
            else:
                writer.add_tensor(gname + suffix, data, raw_shape=data.shape, raw_dtype=raw)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _natural(name: str):
    return [int(p) if p.isdigit() else p for p in name.replace(".", " . ").split()]
