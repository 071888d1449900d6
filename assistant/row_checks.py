"""Rows of a result that the question itself rules out, found by running the answer read-only.

- **Repeats where each value is asked for once.** "Name every country with at least one Camping purchase, each
  once" answered with a join of customers, orders and their lines and no DISTINCT: every country is right, but
  one comes back once per matching line. `repeated_rows` trips when the question says it wants each value once
  (`ONCE`: "each once", "without repeats", "no duplicates", "the distinct/different/unique …"; not a count) and
  the result holds the same row twice.
- **Blanks where unknown values are to be left out.** "… ignoring unknown countries", "skip customers with no
  country", "every known country" answered without `IS NOT NULL`: `blank_rows` trips when the question says so
  (`LEAVE_BLANKS_OUT`) and a row of the result is NULL in a column.

- **A table's rows repeated by a join it only filters by.** "What are the names of students who have a pet?"
  answered with `SELECT student.fname FROM student JOIN has_pet …`: a student with three pets comes back three
  times. `joined_repeats` trips, whatever the words, when the query shows columns of some of its tables only and
  the same row of those tables (its rowid) comes back more than once; its fix is SELECT DISTINCT
  (`distinct_fix`). Left alone: a count, an answer sorted by a column of a table it only filters by (one row per
  that table's row is meant), anything but plain columns in the SELECT, and rows whose values repeat but that are
  different rows (two students of the same name). Spider train's gold queries write this both ways (93 of them trip
  it, `nichelm-eval checks --spider-train`, and others write the DISTINCT it asks for), so unlike the other checks
  it is not validated by them; it stands on what the question asks for: each student, not each of their pets.

What is looked at, to keep findings rare where the answer is right: only questions with those words; only a
plain SELECT (a set operation, an answer with a LIMIT, which may repeat a value on purpose, and for repeats a
top-level DISTINCT are left alone); results of at least one row (two for repeats) that come back within
`RUN_TIMEOUT_S` seconds and `MAX_ROWS` rows (a run that fails, times out or is cut counts as no finding).
Validated on Spider train's gold queries: `nichelm-eval checks --spider-train`.
"""

from __future__ import annotations

import re

from sqlglot import exp

from .errors import NicheError
from .schema import Schema
from .sql_tables import own, resolve, tables_by_alias
from .sqlcheck import parse
from .sqlite_io import execute_readonly

ONCE = re.compile(
    r"\b(?:each\s+(?:\w+\s+)?(?:only\s+)?once|(?:without|no)\s+(?:any\s+)?(?:repeats|repetitions?|duplicates?)|"
    r"not\s+repeated|(?:distinct|different|unique)\s+(?!number\b|count\b)\w+)",
    re.IGNORECASE)
COUNTING = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\b", re.IGNORECASE)
_SKIP = r"(?:skip|skipping|ignore|ignoring|leave\s+out|leaving\s+out|exclude|excluding|omit|omitting|drop|dropping)"
LEAVE_BLANKS_OUT = re.compile(
    rf"\b(?:{_SKIP}\s+(?:\w+\s+){{0,3}}?(?:unknown|blank|missing|empty|null)\b|"
    rf"{_SKIP}\s+(?:\w+\s+){{0,3}}?(?:with|having)\s+no\b|"
    r"(?:where|when|if)\s+known\b|(?:every|each|all|only)\s+(?:the\s+)?known\b|"
    r"(?:that|which)\s+(?:are|is)\s+known\b)",
    re.IGNORECASE)
RUN_TIMEOUT_S = 2.0
MAX_ROWS = 5_000


def asks_each_once(question: str) -> bool:
    """Whether *question* asks for each value once (and is not a count of them, whose answer is one row)."""
    return bool(ONCE.search(question)) and not COUNTING.search(question)


def asks_blanks_left_out(question: str) -> bool:
    """Whether *question* asks to leave rows with unknown (NULL) values out."""
    return bool(LEAVE_BLANKS_OUT.search(question))


def repeated_rows(db_path: str, question: str, sql: str) -> str | None:
    """Why *sql* cannot answer *question*, which asks for each value once: its result on the database at
    *db_path* repeats rows. None when the question does not ask that, or nothing repeats."""
    if not asks_each_once(question):
        return None
    rows = _plain_rows(db_path, sql, distinct_ok=False)
    if rows is None or len(rows) < 2:
        return None
    different = len(set(map(repr, rows)))
    if different == len(rows):
        return None
    return (f"the question asks for each value once, but the query returns {len(rows)} rows with only {different} "
            f"different ones (the joins repeat them): use SELECT DISTINCT, or group the rows")


def blank_rows(db_path: str, question: str, sql: str) -> str | None:
    """Why *sql* cannot answer *question*, which asks to leave unknown values out: a row of its result on the
    database at *db_path* is NULL in a column. None when the question does not ask that, or no row is."""
    if not asks_blanks_left_out(question):
        return None
    rows = _plain_rows(db_path, sql, distinct_ok=True)
    if not rows:
        return None
    blank = [i for i in range(len(rows[0])) if any(row[i] is None for row in rows)]
    if not blank:
        return None
    n = sum(1 for row in rows if any(row[i] is None for i in blank))
    return (f"the question asks to leave unknown values out, but {n} of the {len(rows)} rows the query returns "
            f"{'is' if n == 1 else 'are'} NULL in column {blank[0] + 1}: add IS NOT NULL on the column it "
            f"comes from")


def joined_repeats(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* lists the same rows of a table more than once: it selects only columns of some of its tables, and
    joining the others (tables it only filters by) repeats each of those rows once for every matching row, which
    the result shows when each selected table's rowid is added to it. None for any other query, a count, or
    a result whose repeated values belong to different rows (two students with the same name)."""
    if COUNTING.search(question):
        return None
    tree, _ = parse(sql)
    if (not isinstance(tree, exp.Select) or any(tree.args.get(k) for k in ("distinct", "group", "having", "limit"))
            or any(own(a, tree) for a in tree.find_all(exp.AggFunc))):
        return None
    tables = tables_by_alias(tree, schema)
    chosen = [_column_source(e, tables) for e in tree.expressions]
    if len(tables) < 2 or None in chosen:
        return None
    shown = sorted(set(chosen))
    filters = [alias for alias in tables if alias not in shown]
    order = tree.args.get("order")
    if not filters or order and any((resolve(c, tables) or (None,))[0] in filters for c in order.find_all(exp.Column)):
        return None  # nothing only filtered by; or rows sorted by a filter table's column: one row per its row is meant
    probe = tree.copy()
    for alias in shown:
        probe.select(exp.column("rowid", table=alias), copy=False)
    rows = _rows_of(db_path, probe.sql(dialect="sqlite"))
    if not rows:
        return None
    different = len(set(map(repr, rows)))
    if different == len(rows):
        return None
    names = " and ".join(tables[a].name for a in shown)
    others = " and ".join(tables[a].name for a in filters)
    return (f"the query lists {len(rows)} rows of {names} but only {different} different ones: joining {others}, "
            f"which it only filters by, repeats each once for every matching row; if the question asks for the "
            f"{names} rows themselves, use SELECT DISTINCT (or test {others} with EXISTS or IN)")


def distinct_fix(sql: str) -> str | None:
    """*sql* with SELECT DISTINCT (joined_repeats' change); None when it is not a plain SELECT."""
    tree, _ = parse(sql)
    if not isinstance(tree, exp.Select) or tree.args.get("distinct"):
        return None
    tree.set("distinct", exp.Distinct())
    return tree.sql(dialect="sqlite")


def _column_source(node: exp.Expression, tables) -> str | None:
    """The alias of the table a selected plain column comes from; None for anything else (an expression, a *)."""
    node = node.this if isinstance(node, exp.Alias) else node
    if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
        return None
    found = resolve(node, tables)
    return found and found[0]


def _rows_of(db_path: str, sql: str) -> list | None:
    """The rows of *sql* run read-only; None for a run that fails, times out or is cut."""
    try:
        result = execute_readonly(db_path, sql, timeout_s=RUN_TIMEOUT_S, max_rows=MAX_ROWS)
    except NicheError:
        return None
    return None if result.truncated else result.rows


def _plain_rows(db_path: str, sql: str, distinct_ok: bool) -> list | None:
    """The rows of *sql*, a plain SELECT without LIMIT (and without DISTINCT unless *distinct_ok*), run
    read-only; None for any other query, or a run that fails, times out or is cut."""
    tree, _ = parse(sql)
    if not isinstance(tree, exp.Select) or tree.args.get("limit") or (tree.args.get("distinct") and not distinct_ok):
        return None
    return _rows_of(db_path, sql)
