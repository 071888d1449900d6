"""Spider's difficulty label (easy / medium / hard / extra) from the parsed `sql` field of dev.json.

The rules are those of `Evaluator.eval_hardness` in Spider's official `evaluation.py` (taoyds/spider),
re-expressed here so that breakdowns by hardness match published Spider tables. Their quirks are kept on
purpose (e.g. HAVING's 'and'/'or' tokens count as aggregates there), since the point is identical labels.
"""

from __future__ import annotations

LIKE_OP = 9  # index of 'like' in Spider's WHERE_OPS
NO_AGG = 0  # index of 'none' in Spider's AGG_OPS


def _has_agg(unit) -> bool:
    return unit[0] != NO_AGG


def _count_agg(units) -> int:
    return sum(1 for u in units if _has_agg(u))


def _nested(sql: dict) -> list[dict]:
    out = []
    for cond in sql["from"]["conds"][::2] + sql["where"][::2] + sql["having"][::2]:
        if isinstance(cond[3], dict):
            out.append(cond[3])
        if isinstance(cond[4], dict):
            out.append(cond[4])
    out += [sql[k] for k in ("intersect", "except", "union") if sql[k] is not None]
    return out


def _component1(sql: dict) -> int:
    n = sum(1 for k in ("where", "groupBy", "orderBy") if len(sql[k]) > 0)
    n += sql["limit"] is not None
    if sql["from"]["table_units"]:
        n += len(sql["from"]["table_units"]) - 1
    joiners = sql["from"]["conds"][1::2] + sql["where"][1::2] + sql["having"][1::2]
    n += sum(1 for t in joiners if t == "or")
    conds = sql["from"]["conds"][::2] + sql["where"][::2] + sql["having"][::2]
    n += sum(1 for c in conds if c[1] == LIKE_OP)
    return n


def _others(sql: dict) -> int:
    agg = _count_agg(sql["select"][1]) + _count_agg(sql["where"][::2]) + _count_agg(sql["groupBy"])
    if sql["orderBy"]:
        units = sql["orderBy"][1]
        agg += _count_agg([u[1] for u in units if u[1]] + [u[2] for u in units if u[2]])
    agg += _count_agg(sql["having"])
    n = int(agg > 1)
    n += len(sql["select"][1]) > 1
    n += len(sql["where"]) > 1
    n += len(sql["groupBy"]) > 1
    return n


def hardness(sql: dict) -> str:
    """'easy' | 'medium' | 'hard' | 'extra' for one parsed Spider query (dev.json's `sql` field)."""
    c1, c2, o = _component1(sql), len(_nested(sql)), _others(sql)
    if c1 <= 1 and o == 0 and c2 == 0:
        return "easy"
    if (o <= 2 and c1 <= 1 and c2 == 0) or (c1 <= 2 and o < 2 and c2 == 0):
        return "medium"
    if (o > 2 and c1 <= 2 and c2 == 0) or (2 < c1 <= 3 and o <= 2 and c2 == 0) or \
            (c1 <= 1 and o == 0 and c2 <= 1):
        return "hard"
    return "extra"
