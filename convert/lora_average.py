"""Average GGUF LoRA adapters of one base into one adapter, exactly.

A LoRA adapter adds ``s * B @ A`` to each weight it touches (``s = alpha / r``). The mean of n adapters'
updates, ``(1/n) * sum(s_i * B_i @ A_i)``, is itself a LoRA of rank ``sum(r_i)``: A is the adapters' A
matrices stacked, B their B matrices side by side, each B_i scaled by ``s_i / (n * s)``, where ``s`` is the
new adapter's scale. So averaging adapters trained with different seeds (an ensemble of the runs, at the
cost of one adapter of the summed rank at inference) needs no training and loses nothing but f16 rounding.

With ``rank`` below the summed rank, each mean update is cut to its best approximation of that rank (the
truncated SVD, computed through QR of the thin factors, never forming the full matrix): an adapter of the
original size, which keeps ``retained`` of each update's squared norm (the report gives the worst tensor and
the median).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .gguf_io import ConversionError, as_float, reader_meta
from .lora_gguf import OUT_TYPES, write_lora_gguf


@dataclass
class AverageReport:
    out: str
    arch: str
    inputs: list[str]
    ranks: list[int]
    rank: int
    alpha: float
    tensors: int
    outtype: str
    bytes: int
    min_retained: float = 1.0
    median_retained: float = 1.0

    def to_json(self) -> dict:
        return self.__dict__.copy()


@dataclass
class _Adapter:
    path: str
    arch: str
    alpha: float
    rank: int
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]


def read_lora_gguf(path: str | Path) -> _Adapter:
    import gguf

    if not Path(path).is_file():
        raise ConversionError(f"missing file: {path}")
    reader = gguf.GGUFReader(str(path))
    meta = reader_meta(reader)
    if meta.get("general.type") != "adapter" or meta.get("adapter.type") != "lora":
        raise ConversionError(f"{path} is not a GGUF LoRA adapter (general.type / adapter.type)")
    alpha = meta.get("adapter.lora.alpha")
    if alpha is None or float(alpha) <= 0:
        raise ConversionError(f"{path}: no adapter.lora.alpha")
    halves: dict[str, dict[str, np.ndarray]] = {}
    for t in reader.tensors:
        base, _, kind = t.name.rpartition(".")
        if kind not in ("lora_a", "lora_b"):
            raise ConversionError(f"{path}: unexpected tensor {t.name!r}")
        halves.setdefault(base, {})[kind] = as_float(t)
    ranks = set()
    pairs = {}
    for base, ab in halves.items():
        if set(ab) != {"lora_a", "lora_b"}:
            raise ConversionError(f"{path}: {base} lacks lora_a or lora_b")
        a, b = ab["lora_a"], ab["lora_b"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise ConversionError(f"{path}: {base} has A{a.shape} and B{b.shape}, which do not multiply")
        ranks.add(a.shape[0])
        pairs[base] = (a, b)
    if len(ranks) != 1:
        raise ConversionError(f"{path}: tensors of different ranks {sorted(ranks)}; llama.cpp scales by one alpha/r")
    return _Adapter(str(path), str(meta.get("general.architecture")), float(alpha), ranks.pop(), pairs)


def truncate(a: np.ndarray, b: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(A', B', retained): the best rank-*rank* factors of B @ A and the share of its squared norm they keep."""
    qb, rb = np.linalg.qr(b.astype(np.float64))  # B = Qb Rb, A^T = Qa Ra, so B A = Qb (Rb Ra^T) Qa^T
    qa, ra = np.linalg.qr(a.astype(np.float64).T)
    u, sv, vt = np.linalg.svd(rb @ ra.T)
    root = np.sqrt(sv[:rank])
    total = float((sv ** 2).sum())
    retained = float((sv[:rank] ** 2).sum()) / total if total > 0 else 1.0
    b2 = (qb @ u[:, :rank]) * root
    a2 = (root[:, None] * vt[:rank]) @ qa.T
    return a2.astype(np.float32), b2.astype(np.float32), retained


def average_loras(paths: list[str | Path], out: str | Path, outtype: str = "f16",
                  rank: int | None = None) -> AverageReport:
    """Write to *out* the adapter whose update is the mean of the updates of the adapters at *paths*
    (cut to *rank* when given and below the summed rank)."""
    if outtype not in OUT_TYPES:
        raise ConversionError(f"outtype must be one of {OUT_TYPES}")
    if len(paths) < 2:
        raise ConversionError("averaging needs at least two adapters")
    adapters = [read_lora_gguf(p) for p in paths]
    first = adapters[0]
    for ad in adapters[1:]:
        if ad.arch != first.arch:
            raise ConversionError(f"{ad.path} is for {ad.arch}, {first.path} for {first.arch}")
        if set(ad.pairs) != set(first.pairs):
            raise ConversionError(f"{ad.path} and {first.path} adapt different tensors")
        for name, (a, b) in ad.pairs.items():
            a0, b0 = first.pairs[name]
            if a.shape[1] != a0.shape[1] or b.shape[0] != b0.shape[0]:
                raise ConversionError(f"{name}: {ad.path} and {first.path} are for weights of different shapes")
    n = len(adapters)
    summed = sum(ad.rank for ad in adapters)
    if rank is not None and rank < 1:
        raise ConversionError("rank must be at least 1")
    rank = summed if rank is None else min(rank, summed)
    scale = first.alpha / first.rank  # the new adapter keeps the first one's alpha/r
    pairs, kept_shares = {}, []
    for name in first.pairs:
        parts = [ad.pairs[name] for ad in adapters]
        a = np.concatenate([p[0] for p in parts], axis=0)
        b = np.concatenate([p[1] * ((ad.alpha / ad.rank) / (n * scale)) for p, ad in zip(parts, adapters)], axis=1)
        if rank < summed:
            a, b, kept = truncate(a, b, rank)
            kept_shares.append(kept)
        pairs[name] = (a, b)
    write_lora_gguf(out, first.arch, scale * rank, pairs, outtype)
    return AverageReport(str(out), first.arch, [ad.path for ad in adapters], [ad.rank for ad in adapters], rank,
                         scale * rank, 2 * len(pairs), outtype, Path(out).stat().st_size,
                         round(min(kept_shares, default=1.0), 6),
                         round(float(np.median(kept_shares)) if kept_shares else 1.0, 6))
