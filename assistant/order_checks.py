"""A top row taken from the wrong end of a date or an age.

"What is the age of the oldest dog?" answered with `SELECT age FROM dogs ORDER BY date_of_birth DESC LIMIT 1` takes
the dog born last: the youngest. The oldest is born first (a birth date ascending) and has the greatest age (an age
descending); the earliest, oldest or first-made row has the smallest date, and the latest, newest or most recent the
greatest.

`reversed_top_row` speaks for a query whose top-level ORDER BY, with a LIMIT, sorts by one column that is a date or an
age the question ranks by one of these words, in the direction that gives the other end; `flipped_order` is the fix
(ASC and DESC swapped on that key, rows without a value last). Which column: a birth date (`date_of_birth`, `dob`, `birth_date`, `born`) for
"oldest"/"eldest"/"youngest"; an age (`age`) for the same words, the other way round; any other date (a name with
"date", "time", "year", "day", or a DATE/DATETIME/TIMESTAMP type) for "earliest"/"oldest" and "latest"/"newest"/"most
recent". A question with words of both ends is left alone. Spider train's gold queries trip it twice, both
mistakes of the gold ("the most recent treatment" sorted ascending).
"""

from __future__ import annotations

import re

from sqlglot import exp

from .schema import Schema
from .sql_tables import resolve, tables_by_alias
from .sqlcheck import parse

EARLY = re.compile(r"\b(?:oldest|eldest|earliest)\b", re.IGNORECASE)
LATE = re.compile(r"\b(?:youngest|latest|newest|most\s+recent(?:ly)?)\b", re.IGNORECASE)
BIRTH = re.compile(r"birth|dob|born", re.IGNORECASE)
DATE_NAME = re.compile(r"date|time|year|day|_at$|_on$", re.IGNORECASE)
DATE_TYPE = re.compile(r"date|time", re.IGNORECASE)
PERSON_AGE = {"oldest", "eldest", "youngest"}


def reversed_top_row(question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* takes its top rows from the end of a date or an age opposite to what *question* asks; None when not."""
    tree, _ = parse(sql)
    found = _reversed_key(question, tree, schema) if tree is not None else None
    if found is None:
        return None
    key, word, column = found
    wanted = "ASC" if key.args.get("desc") else "DESC"
    return (f"the question asks for the {word}, but ORDER BY {column} {'DESC' if wanted == 'ASC' else 'ASC'} puts the "
            f"other end first: sort by {column} {wanted}")


def flipped_order(question: str, sql: str, schema: Schema) -> str | None:
    """*sql* with the ORDER BY key reversed_top_row finds sorted the other way; None when it finds none."""
    tree, _ = parse(sql)
    found = _reversed_key(question, tree, schema) if tree is not None else None
    if found is None:
        return None
    key = found[0]
    key.set("desc", not key.args.get("desc"))
    key.set("nulls_first", False)  # a row without the date or age is at neither end: last either way
    return tree.sql(dialect="sqlite")


def _reversed_key(question: str, tree: exp.Expression, schema: Schema):
    """(ORDER BY key, the question's word, the column written) of the one date or age key sorted the wrong way."""
    early, late = EARLY.search(question or ""), LATE.search(question or "")
    if bool(early) == bool(late) or not isinstance(tree, exp.Select) or tree.args.get("limit") is None:
        return None
    order = tree.args.get("order")
    if order is None or len(order.expressions) != 1:
        return None
    key = order.expressions[0]
    if not isinstance(key.this, exp.Column):
        return None
    tables = tables_by_alias(tree, schema)
    found = resolve(key.this, tables)
    table = found and tables[found[0]]
    column = table and table.column(found[1])
    if column is None:
        return None
    word = (early or late).group(0).lower()
    kind = _kind(column.name, column.type or "", word)
    if kind is None:
        return None
    wants_ascending = (word in PERSON_AGE and kind == "age") != bool(early)  # early: smallest date, greatest age
    if bool(key.args.get("desc")) != wants_ascending:
        return None
    return key, word, key.this.sql(dialect="sqlite")


def _kind(name: str, declared: str, word: str) -> str | None:
    """"birth", "age" or "date" for a column the word ranks by; None for one it does not ("youngest" ranks by a birth
    date or an age only, an age is ranked by "oldest", "eldest" and "youngest" only)."""
    if BIRTH.search(name):
        return "birth"
    if name.lower() == "age":
        return "age" if word in PERSON_AGE else None
    dated = DATE_NAME.search(name) or DATE_TYPE.search(declared)
    return "date" if dated and word != "youngest" else None
