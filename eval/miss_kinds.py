"""What a wrong answer's result looks like beside the gold's: the first sorting of a run's misses.

    nichelm-eval misses results/ft-v18-s23-h200-spider

Each wrong answer falls in one kind, decided from the two results alone (`miss_kind`): the answer does not run
(or the gold does not), it has more or fewer columns than the gold (and whether the gold's columns are among its
own, row for row, as when an answer shows a count nobody asked for), the same rows in another order, the same
rows repeated another number of times (a missing or extra DISTINCT), as many rows with other values, or other
rows. The kinds say where to look, not why: "other rows" holds wrong joins and wrong tests alike.
"""

from __future__ import annotations

from collections import Counter

from .metrics import norm_rows

KINDS = ("answer fails", "gold fails", "more columns, the gold's among them", "more columns, other rows",
         "fewer columns, among the gold's", "fewer columns, other rows", "same rows, other order",
         "same rows, repeated differently", "as many rows, other values", "other rows")


def miss_kind(gold: list[tuple] | None, pred: list[tuple] | None) -> str:
    """The kind (one of KINDS) of a wrong answer whose result is *pred* where the gold's is *gold* (None: it failed)."""
    if pred is None:
        return "answer fails"
    if gold is None:
        return "gold fails"
    gold, pred = norm_rows(gold), norm_rows(pred)
    width_gold, width_pred = _width(gold), _width(pred)
    if width_gold and width_pred and width_gold != width_pred:
        wide, narrow = (pred, gold) if width_pred > width_gold else (gold, pred)
        inside = len(wide) == len(narrow) and all(column in _columns(wide) for column in _columns(narrow))
        if width_pred > width_gold:
            return "more columns, the gold's among them" if inside else "more columns, other rows"
        return "fewer columns, among the gold's" if inside else "fewer columns, other rows"
    if Counter(gold) == Counter(pred):
        return "same rows, other order"
    if set(gold) == set(pred):
        return "same rows, repeated differently"
    return "as many rows, other values" if len(gold) == len(pred) else "other rows"


def _width(rows: list[tuple]) -> int:
    return len(rows[0]) if rows else 0


def _columns(rows: list[tuple]) -> list[list]:
    """Each column's values, sorted, so that columns compare whatever the rows' order."""
    return [sorted(column, key=repr) for column in zip(*rows)]
