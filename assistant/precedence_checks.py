"""Two choices of one column beside another condition, without parentheses: a warning for people who write SQL
(the language server's diagnostics, lsp/diagnostics.py).

AND binds tighter than OR, so `reviews.rating = 1 OR reviews.rating = 2 AND strftime('%Y', created_at) = '2022'`
reads as `rating = 1 OR (rating = 2 AND year = 2022)`: the year applies to the second choice only, and every
one-star row of any year is kept. A question that names the two choices and the condition ("one- or two-star
reviews in 2022") almost always means the condition for both. The check looks for an OR one of whose sides is
an unparenthesised AND that starts (or ends) with a test of the column the OR's other side tests: the shape of
choices of one column with a condition attached to one of them. Parenthesised (`a = 1 OR (a = 2 AND y)`) it is
never flagged.

It is not one of the answer checks that send the model's answer back for repair (assistant/answer_checks.py):
measured there (twentieth session), it fixed none of v16's four such e-commerce answers (the repairs dropped half of
a UNION or did not compile) and turned a right Spider dev answer wrong ("houses or apartments with more than 1
room", whose gold reads the condition on apartments only); v17, trained on pairs with the parentheses, writes the
shape on e-commerce no more.
"""

from __future__ import annotations

from sqlglot import exp

from .errors import Problem
from .sql_lexer import tokenize
from .sqlcheck import parse

_TESTS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.In, exp.Between, exp.Is)


def unparenthesised_choices(sql: str) -> str | None:
    """Why *sql*'s OR of two choices of one column leaves a condition on one of them only; None when none does."""
    found = _find(sql)
    return found and found[0]


def _find(sql: str) -> tuple[str, str] | None:
    """(why, the column of the choices as written) for the first such OR of *sql*; None when there is none."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for node in tree.find_all(exp.Or):
        for side, other in ((node.expression, node.this), (node.this, node.expression)):
            if not isinstance(side, exp.And):
                continue
            terms = list(side.flatten())
            near = terms[0] if side is node.expression else terms[-1]
            column = _tested_column(other)
            if column and column.lower() == (_tested_column(near) or "").lower():
                rest = [t for t in terms if t is not near]
                choices = f"({other.sql('sqlite')} OR {near.sql('sqlite')})" if side is node.expression else \
                    f"({near.sql('sqlite')} OR {other.sql('sqlite')})"
                kept = " AND ".join(t.sql("sqlite") for t in rest)
                return (f"AND binds tighter than OR: `{node.sql('sqlite')}` keeps `{other.sql('sqlite')}` without "
                        f"`{kept}`, which applies only to the other choice of {column}. If it is meant for both, "
                        f"put the choices in parentheses: {choices} AND {kept}"), column
    return None


def _tested_column(node: exp.Expression) -> str | None:
    """The column a simple test (`col = 1`, `col IN (...)`, `col LIKE ...`) compares, as written; else None."""
    if isinstance(node, _TESTS) and isinstance(node.this, exp.Column):
        return node.this.sql("sqlite")
    return None


def precedence_problem(sql: str) -> Problem | None:
    """unparenthesised_choices as an editor warning over its OR: the first OR followed by a test of the choices'
    column (else the statement's first OR)."""
    found = _find(sql)
    if found is None:
        return None
    why, column = found
    words = [t for t in tokenize(sql) if "comment" not in t.kind]
    ors = [i for i, t in enumerate(words) if t.upper == "OR"]
    name = [t.value.lower() for t in tokenize(column)]
    at = next((i for i in ors if [t.value.lower() for t in words[i + 1:i + 1 + len(name)]] == name),
              ors[0] if ors else None)
    start, end = (words[at].start, words[at].end) if at is not None else (0, len(sql))
    return Problem(why, start, end, "warning", "precedence")
