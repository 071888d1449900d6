"""Aggregate scored prediction records into the numbers of metrics.json (pure; no I/O).

Latency percentiles use linear interpolation between order statistics (numpy's default method).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

BREAKDOWNS = ("shape", "difficulty", "hardness")


def percentile(values: list[float], q: float) -> float:
    """The *q*-th percentile (0..100) of *values*, linearly interpolated; 0.0 for no values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([5.0], 95)
    (2.5, 5.0)
    """
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _rates(records: list[dict]) -> dict:
    n = len(records)
    if not n:
        return {"n": 0, "exec_acc": 0.0, "exact": 0.0, "valid_sql": 0.0}
    return {"n": n,
            "exec_acc": round(sum(bool(r["exec_match"]) for r in records) / n, 4),
            "exact": round(sum(bool(r["exact"]) for r in records) / n, 4),
            "valid_sql": round(sum(bool(r["valid_sql"]) for r in records) / n, 4)}


def was_repaired(rec: dict) -> bool:
    """Whether *rec*'s answer replaced a first answer that failed to compile (the repair turn)."""
    return bool((rec.get("extra") or {}).get("repaired"))


def summarise(records: Iterable[dict]) -> dict:
    """Headline numbers plus breakdowns by shape/difficulty/hardness (where the data has them) and
    by database."""
    recs = list(records)
    out = _rates(recs)
    lat = [float(r.get("latency_s") or 0.0) for r in recs]
    costs = [float(r.get("cost_usd") or 0.0) for r in recs]
    out.update({
        "mean_latency_s": round(sum(lat) / len(lat), 4) if lat else 0.0,
        "p50_latency_s": round(percentile(lat, 50), 4),
        "p95_latency_s": round(percentile(lat, 95), 4),
        "mean_cost_usd": round(sum(costs) / len(costs), 8) if costs else 0.0,
        "total_cost_usd": round(sum(costs), 6),
        "backend_errors": sum(1 for r in recs if r.get("error")),
        "gold_errors": sum(1 for r in recs if r.get("gold_error")),
        "prompt_tokens": sum(int(r.get("prompt_tokens") or 0) for r in recs),
        "completion_tokens": sum(int(r.get("completion_tokens") or 0) for r in recs),
    })
    repaired = [r for r in recs if was_repaired(r)]
    if repaired:
        # A repair only happens when the first SQL failed to compile, so the first attempt of each of
        # these answers could not have matched: exec_acc without repair = exec_acc - repaired_correct / n.
        fixed = sum(bool(r["exec_match"]) for r in repaired)
        out.update({"repaired": len(repaired), "repaired_correct": fixed,
                    "exec_acc_without_repair": round((sum(bool(r["exec_match"]) for r in recs) - fixed) / len(recs), 4)})
    for key in BREAKDOWNS:
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in recs:
            value = (r.get("meta") or {}).get(key)
            if value is not None:
                groups[str(value)].append(r)
        if groups:
            out[f"by_{key}"] = {k: _rates(v) for k, v in sorted(groups.items(), key=lambda kv: _order(key, kv[0]))}
    by_db: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        by_db[r.get("db_id", "?")].append(r)
    out["by_database"] = {k: _rates(v) for k, v in sorted(by_db.items())}
    return out


_LEVELS = {"easy": 0, "medium": 1, "hard": 2, "extra": 3}


def _order(key: str, value: str):
    if key in ("difficulty", "hardness"):
        return (_LEVELS.get(value, 9), value)
    return (0, value)
