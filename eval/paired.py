"""Two runs question by question: which answers one got right and the other did not.

Two accuracies a point apart say little on their own; the questions behind them say more. On the
questions both runs answered: how many each got right, how many B gained and lost against A, how many
answers are the same SQL, and an exact two-sided sign test over the gained and lost ones (the chance of a
split at least this uneven if neither run were better). `--by shape` (or difficulty, hardness, db_id)
shows where the moves are.

    nichelm-eval paired results/ft-v2-ecommerce results/ft-v2-lists-h200-ecommerce --by shape
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from .summary import was_repaired


@dataclass
class Paired:
    n: int = 0
    a_correct: int = 0
    b_correct: int = 0
    same_sql: int = 0
    gained: list[str] = field(default_factory=list)  # ids B got right and A did not
    lost: list[str] = field(default_factory=list)

    @property
    def p_value(self) -> float:
        return sign_test(len(self.gained), len(self.lost))

    def to_json(self) -> dict:
        return {"n": self.n, "a_correct": self.a_correct, "b_correct": self.b_correct, "gained": len(self.gained),
                "lost": len(self.lost), "same_sql": self.same_sql, "sign_test_p": round(self.p_value, 4)}


def sign_test(k: int, m: int) -> float:
    """Exact two-sided sign test: P(a split at least as uneven as k:m of k+m fair coin flips)."""
    n = k + m
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(k, m) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def correct(rec: dict, first_answers: bool = False) -> bool:
    """Whether *rec* matched; with *first_answers*, a repaired answer counts as the failed first one."""
    if first_answers and was_repaired(rec):
        return False
    return bool(rec.get("exec_match"))


def group_of(rec: dict, by: str) -> str:
    if by == "db_id":
        return str(rec.get("db_id"))
    return str((rec.get("meta") or {}).get(by, "?"))


def pair(a: list[dict], b: list[dict], first_answers: bool = False) -> Paired:
    """Compare runs *a* and *b* on the questions both answered (by id), in B's order."""
    by_id = {r["id"]: r for r in a}
    out = Paired()
    for rb in b:
        ra = by_id.get(rb["id"])
        if ra is None:
            continue
        ok_a, ok_b = correct(ra, first_answers), correct(rb, first_answers)
        out.n += 1
        out.a_correct += ok_a
        out.b_correct += ok_b
        out.same_sql += ra.get("pred_sql") == rb.get("pred_sql")
        if ok_b and not ok_a:
            out.gained.append(rb["id"])
        elif ok_a and not ok_b:
            out.lost.append(rb["id"])
    return out


def pair_by(a: list[dict], b: list[dict], by: str, first_answers: bool = False) -> dict[str, Paired]:
    """pair() within each group (shape, difficulty, hardness or db_id) of B's questions."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for rb in b:
        groups[group_of(rb, by)].append(rb)
    return {g: pair(a, recs, first_answers) for g, recs in sorted(groups.items())}


def format_paired(p: Paired, label_a: str, label_b: str, groups: dict[str, Paired] | None = None) -> str:
    summary = (f"{p.n} questions in both: A {p.a_correct} right, B {p.b_correct} right; B gained {len(p.gained)}, "
               f"lost {len(p.lost)} (sign test p = {p.p_value:.3f}); same SQL {p.same_sql}")
    lines = [f"A: {label_a}", f"B: {label_b}", summary]
    if groups:
        lines += ["", "| group | n | A | B | gained | lost |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {g} | {q.n} | {q.a_correct} | {q.b_correct} | {len(q.gained)} | {len(q.lost)} |"
                  for g, q in groups.items() if q.gained or q.lost]
    return "\n".join(lines) + "\n"
