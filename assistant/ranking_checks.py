"""The count shown beside "the most common X".

"What is the most common nationality of people?" asks for a nationality. `SELECT nationality, COUNT(*) FROM people
GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1` answers with the nationality and how many people have it: a
column nobody asked for. The question ranks by the count; it does not ask for it ("how many", "number", "count",
"times", "how often", "frequency" would). Spider train's gold queries agree: none of its 85 questions about the
most or least common, frequent or popular value that do not ask for a count shows the count.

`count_beside_most_common` finds it: the question says "most/least common/frequent/popular", does not ask for a
count, and the query's SELECT shows the aggregate it is ordered by, beside other columns, with a LIMIT. The change
is known exactly (`without_shown_count`): the aggregate leaves the SELECT and stays in the ORDER BY.
"""

from __future__ import annotations

import re

from sqlglot import exp

from .sqlcheck import parse

MOST_COMMON = re.compile(r"\b(?:most|least)\s+(?:common(?:ly)?|frequent(?:ly)?|popular)\b", re.IGNORECASE)
ASKS_COUNT = re.compile(r"\b(?:how\s+many|how\s+often|numbers?|counts?|times|frequency|frequencies|popularity)\b",
                        re.IGNORECASE)


def count_beside_most_common(question: str, sql: str) -> str | None:
    """Why *sql* shows the count a "most common X" *question* only ranks by; None when it does not."""
    tree, _ = parse(sql)
    found = _shown_ranking(question, tree) if tree is not None else None
    if found is None:
        return None
    item, _ = found
    shown = (item.this if isinstance(item, exp.Alias) else item).sql(dialect="sqlite")
    return (f"the question asks for the most common value, not how often it occurs: leave {shown} out of the SELECT "
            f"(keep it in the ORDER BY)")


def without_shown_count(question: str, sql: str) -> str | None:
    """*sql* without the SELECT item count_beside_most_common finds (the ORDER BY ranks by its expression); None when
    it finds none."""
    tree, _ = parse(sql)
    found = _shown_ranking(question, tree) if tree is not None else None
    if found is None:
        return None
    item, key = found
    if isinstance(item, exp.Alias) and isinstance(key.this, exp.Column):  # ORDER BY the alias: by the expression
        key.set("this", item.this.copy())
    tree.set("expressions", [e for e in tree.expressions if e is not item])
    return tree.sql(dialect="sqlite")


def _shown_ranking(question: str, tree: exp.Expression):
    """(SELECT item, ORDER BY key) of a top-level SELECT with a LIMIT that shows, beside other columns, the aggregate
    it is ordered by, when *question* asks for a most common value and no count; None otherwise."""
    if not MOST_COMMON.search(question or "") or ASKS_COUNT.search(question or ""):
        return None
    order = tree.args.get("order")
    if not isinstance(tree, exp.Select) or order is None or tree.args.get("limit") is None or len(tree.expressions) < 2:
        return None
    for key in order.expressions:
        node = key.this
        for item in tree.expressions:
            value = item.this if isinstance(item, exp.Alias) else item
            if not isinstance(value, exp.AggFunc):
                continue
            same = value == node or (isinstance(item, exp.Alias) and isinstance(node, exp.Column)
                                     and not node.table and node.name.lower() == item.alias.lower())
            if same:
                return item, key
    return None
