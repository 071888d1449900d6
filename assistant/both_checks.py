""""Both" answered as "either".

"Which customers ordered in both 2023 and 2024?" answered with `WHERE strftime('%Y', orders.order_date) IN ('2023',
'2024')` lists everyone who ordered in either year: a row holds one year, so no single row has both. What the
question means is the customers with rows of each value: the two sets intersected (`SELECT ... WHERE year = '2023'
INTERSECT SELECT ... WHERE year = '2024'`), or the rows grouped by customer with `HAVING COUNT(DISTINCT year) = 2`.

`either_for_both` speaks for a question that names the values after "both", joined by "and" ("both 2023 and 2024",
not "both the name and the id ... in 2023 or 2024"), on an `IN` list (or an `OR` of equalities on one expression) of
those values, in a query that has neither an INTERSECT nor a `COUNT(DISTINCT ...)`.

The grouped form has a slip of its own: `WHERE strftime('%Y', order_date) IN ('2022', '2024') GROUP BY customers.id
HAVING COUNT(*) = 2` ("ordered at least once in 2022 and at least once in 2024") counts rows, not years: a customer
with two orders in 2022 passes and one with three orders over both years does not. `rows_counted_for_values` finds
a `HAVING COUNT(*) = N` (or `>= N`, or `COUNT(column)`) beside an `IN` list of N values in the same SELECT, where the
data gives another result with `COUNT(DISTINCT <the tested expression>)`; `distinct_values_fix` writes that (made
without the model, answer_checks.FIXES).
"""

from __future__ import annotations

import re
from itertools import pairwise

from sqlglot import exp

from .schema import Schema
from .sql_tables import own
from .sqlcheck import parse
from .sqlite_io import lookup

BOTH = re.compile(r"\bboth\b", re.IGNORECASE)
COUNT_BESIDE_LIST = re.compile(r"\bIN\s*\(.*\bHAVING\b.*\bCOUNT\s*\(", re.IGNORECASE | re.DOTALL)


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


def rows_counted_for_values(db_path: str, sql: str) -> str | None:
    """Why *sql*'s `HAVING COUNT(*) = N` beside an IN list of N values counts rows where the different values are
    meant; None when there is no such pair, or when counting the different values gives the same rows on the data."""
    found = _count_beside_values(sql)
    if found is None:
        return None
    tree, count, tested, n = found
    counted, what, op = count.parent.sql("sqlite"), tested.sql("sqlite"), "=" if isinstance(count.parent, exp.EQ) else ">="
    if _same_rows(db_path, sql, _with_distinct(tree, count, tested)):
        return None
    return (f"{counted} counts the rows whose {what} is one of the {n} listed values, not the different values: a "
            f"group with {n} rows of one value passes and one with more rows over all of them does not. For the "
            f"groups that have each of the {n} values, test COUNT(DISTINCT {what}) {op} {n} instead")


def distinct_values_fix(sql: str) -> str | None:
    """*sql* with the COUNT that rows_counted_for_values finds counting the different tested values; None without one."""
    found = _count_beside_values(sql)
    if found is None:
        return None
    tree, count, tested, _ = found
    return _with_distinct(tree, count, tested)


def _count_beside_values(sql: str):
    """(tree, the COUNT node, the IN's tested expression, N) for a SELECT whose WHERE has `x IN (N literals)` and whose
    HAVING compares a plain COUNT with N by = or >=."""
    if not COUNT_BESIDE_LIST.search(sql):  # most answers stop here, before any parse
        return None
    tree, _ = parse(sql)
    if tree is None:
        return None
    for select in tree.find_all(exp.Select):
        where, having = select.args.get("where"), select.args.get("having")
        if where is None or having is None:
            continue
        lists = [node for node in where.find_all(exp.In) if own(node, select) and len(node.expressions) >= 2
                 and all(isinstance(v, exp.Literal) for v in node.expressions)]
        for count in having.find_all(exp.Count):
            whole = count.parent
            if count.find(exp.Distinct) or not isinstance(whole, (exp.EQ, exp.GTE)) or whole.this is not count:
                continue
            n = whole.expression
            if not (isinstance(n, exp.Literal) and not n.is_string and n.this.isdigit()):
                continue
            for node in lists:
                if len(node.expressions) == int(n.this):
                    return tree, count, node.this, int(n.this)
    return None


def _with_distinct(tree: exp.Expression, count: exp.Count, tested: exp.Expression) -> str:
    """The query of *tree* (changed in place) with *count* counting the different values of *tested*."""
    count.replace(exp.Count(this=exp.Distinct(expressions=[tested.copy()])))
    return tree.sql(dialect="sqlite")


def _same_rows(db_path: str, sql: str, other: str) -> bool:
    """Whether the two queries give the same rows (as multisets) on the data; True when either cannot run."""
    a, b = lookup(db_path, sql, 10_000), lookup(db_path, other, 10_000)
    if a is None or b is None:
        return True
    return sorted(map(repr, a)) == sorted(map(repr, b))
