""""Both" answered as "either".

"Which customers ordered in both 2023 and 2024?" answered with `WHERE strftime('%Y', orders.order_date) IN ('2023',
'2024')` lists everyone who ordered in either year: a row holds one year, so no single row has both. What the
question means is the customers with rows of each value: the two sets intersected (`SELECT ... WHERE year = '2023'
INTERSECT SELECT ... WHERE year = '2024'`), or the rows grouped by customer with `HAVING COUNT(DISTINCT year) = 2`.

`either_for_both` speaks for a question that names the values after "both", joined by "and" ("both 2023 and 2024",
not "both the name and the id ... in 2023 or 2024"), on an `IN` list (or an `OR` of equalities on one expression) of
those values, in a query that has neither an INTERSECT nor a `COUNT(DISTINCT ...)`.
"""

from __future__ import annotations

import re
from itertools import pairwise

from sqlglot import exp

from .schema import Schema
from .sqlcheck import parse

BOTH = re.compile(r"\bboth\b", re.IGNORECASE)


def either_for_both(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* keeps rows of either of the values a "both" *question* names; None when it does not."""
    if not BOTH.search(question):
        return None
    tree, _ = parse(sql)
    if tree is None or tree.find(exp.Intersect) or any(c.find(exp.Distinct) for c in tree.find_all(exp.Count)):
        return None
    for tested, values in _choices(tree):
        if len(values) >= 2 and _named_after_both(values, question):
            what = tested.sql("sqlite")
            first, second = (lit.sql("sqlite") for lit in values[:2])
            return (f"`{what}` is tested against {', '.join(v.sql('sqlite') for v in values)} at once, which keeps "
                    f"rows of either value: one row holds one {what}, so no row has both. For what has rows of each, "
                    f"intersect the two sets: SELECT ... WHERE {what} = {first} INTERSECT SELECT ... WHERE {what} = "
                    f"{second} (or group by what is listed and keep HAVING COUNT(DISTINCT {what}) = {len(values)})")
    return None


def _choices(tree: exp.Expression):
    """(tested expression, [literal values]) for each `x IN (v, w, ...)` and each OR of `x = v` on one x."""
    for node in tree.find_all(exp.In):
        values = node.expressions
        if values and all(isinstance(v, exp.Literal) for v in values):
            yield node.this, values
    for node in tree.find_all(exp.Or):
        if isinstance(node.parent, exp.Or):
            continue  # the outermost OR of a chain collects it
        terms = list(node.flatten())
        if all(isinstance(t, exp.EQ) and isinstance(t.expression, exp.Literal) for t in terms):
            tested = {t.this.sql("sqlite").lower() for t in terms}
            if len(tested) == 1:
                yield terms[0].this, [t.expression for t in terms]


def _named_after_both(values: list[exp.Literal], question: str) -> bool:
    """Whether *question* writes every value as a word of its own after "both", the first within a few words of it
    and each next one after an "and"."""
    for both in BOTH.finditer(question):
        after = question[both.end():]
        found = [re.search(rf"(?<![\w.]){re.escape(str(v.this))}(?!\w)", after, re.IGNORECASE) for v in values]
        if not all(found):
            continue
        spans = sorted((m.start(), m.end()) for m in found)
        gaps = [after[a[1]:b[0]] for a, b in pairwise(spans)]
        if spans[0][0] <= 40 and all(re.search(r"\band\b", g, re.IGNORECASE) for g in gaps):
            return True
    return False
