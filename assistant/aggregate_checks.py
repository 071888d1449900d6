"""A threshold the question puts on an average or a total, tested on single rows.

"Government forms whose average life expectancy is longer than 72, with their total population" answered with
`SELECT GovernmentForm, SUM(Population) FROM country WHERE LifeExpectancy > 72 GROUP BY GovernmentForm` keeps the
countries that live past 72 and sums those: a form whose countries average 74 keeps only some of them, and one
that averages 70 may still show up. The threshold is on each group's average: `GROUP BY GovernmentForm HAVING
AVG(LifeExpectancy) > 72`.

`row_test_for_group_threshold` speaks for a question that writes "average" (or "mean", "total") within a few words
before a comparison with a number ("average life expectancy is longer than 72", "a total cost above 1000": a noun of
up to three words, or up to five and a verb "is"), on a
grouped SELECT whose WHERE compares a bare column with that number and whose HAVING does not use it. "The average
price of the products above $20" puts the comparison on the rows (a preposition, no verb): left alone.
"""

from __future__ import annotations

import re

from sqlglot import exp

from .schema import Schema
from .sql_tables import conjuncts, drop_condition, number_value
from .sqlcheck import parse

_ABOVE = r"(?:greater|more|larger|higher|longer|bigger|above|over|exceeds?|exceeding|at\s+least|no\s+less)"
_BELOW = r"(?:less|lower|smaller|shorter|fewer|below|under|at\s+most|no\s+more)"
_LINK = r"(?:of|for|in|with|from|among|on|at|by|per|whose|that|which|who)"
# "average <a noun of up to three words> <comparison>", or "average <up to five words> is|are|was|were <comparison>":
# "the average price of the products above 20" (a preposition, no verb) compares the products.
GROUP_THRESHOLD = re.compile(
    rf"\b(?P<word>average|mean|total)\b(?:(?:\s+(?!{_LINK}\b)[\w'-]+){{1,3}}?\s+|(?:\s+[\w'-]+){{1,5}}?\s+"
    rf"(?:is|are|was|were)\s+)(?:{_ABOVE}|{_BELOW})(?:\s+than)?(?:\s+or\s+equal\s+to)?\s+\$?"
    r"(?P<number>\d+(?:\.\d+)?)\b", re.IGNORECASE)
AGGREGATE = {"average": "AVG", "mean": "AVG", "total": "SUM"}
_COMPARISONS = (exp.GT, exp.GTE, exp.LT, exp.LTE)


def row_test_for_group_threshold(question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* tests single rows against the number *question* sets for a group's average or total; None when it
    does not (or the question sets none)."""
    found = _row_test_for_threshold(question, sql)
    if found is None:
        return None
    _, _, test, agg = found
    column, op = test.this.sql("sqlite"), _operator(test)
    return (f"the question puts {test.expression.sql('sqlite')} on each group's "
            f"{'average' if agg == 'AVG' else 'total'}, but the query tests each row's {column} in the WHERE clause "
            f"({test.sql('sqlite')}): remove that row test and keep the groups with HAVING {agg}({column}) {op}")


def group_threshold_fix(question: str, sql: str, schema: Schema) -> str | None:
    """*sql* with the row test that row_test_for_group_threshold finds moved into the HAVING clause as the group's
    AVG or SUM (beside what the HAVING tests already); None when it finds none."""
    found = _row_test_for_threshold(question, sql)
    if found is None:
        return None
    tree, select, test, agg = found
    drop_condition(select, test)
    grouped = test.copy()
    grouped.set("this", exp.Anonymous(this=agg, expressions=[test.this.copy()]))
    having = select.args.get("having")
    select.set("having", exp.Having(this=exp.and_(having.this, grouped) if having is not None else grouped))
    return tree.sql(dialect="sqlite")


def _row_test_for_threshold(question: str, sql: str):
    """(tree, SELECT, WHERE test, "AVG" or "SUM") of the first grouped SELECT that tests a bare column in its WHERE
    against a number the question sets for an average or a total, which its HAVING does not use."""
    wanted = [(AGGREGATE[m["word"].lower()], float(m["number"])) for m in GROUP_THRESHOLD.finditer(question or "")]
    if not wanted:
        return None
    tree, _ = parse(sql)
    if tree is None:
        return None
    for select in tree.find_all(exp.Select):
        where, having = select.args.get("where"), select.args.get("having")
        if where is None or select.args.get("group") is None:
            continue
        in_having = {number_value(n) for n in having.find_all(exp.Literal)} if having is not None else set()
        for test in conjuncts(where.this):
            if not (isinstance(test, _COMPARISONS) and isinstance(test.this, exp.Column)):
                continue
            n = number_value(test.expression)
            for agg, number in wanted:
                if n == number and number not in in_having:
                    return tree, select, test, agg
    return None


def _operator(test: exp.Expression) -> str:
    """"> 72" of `LifeExpectancy > 72`."""
    return test.sql("sqlite")[len(test.this.sql("sqlite")):].strip()
