"""Tests against a text value that the data makes always false, found after an answer compiles.

Two kinds, each a sign that the query cannot mean what was asked:

- **The text 'null' for a missing value.** Some Spider training databases store the text 'null' where
  others hold SQL NULLs, and a model trained on them learns to write `country = 'null'` for "has no
  country". On a column that holds SQL NULLs and never that text, the test is always false.
  (`country != 'null'` is left alone: on such a column it keeps exactly the rows IS NOT NULL keeps.)
- **A value in the wrong case.** `Airline = 'Jetblue Airways'` where the column holds 'JetBlue Airways':
  SQLite's = compares text case-sensitively, so no row matches, while one does ignoring case.

`always_false_literal` says which, in words a repair turn can act on. It reads the data through
read-only lookups on the compared column only, and only for string literals an answer compares with by
=, IN or LIKE 'null'; a lookup that fails or runs out of time counts as no finding.
"""

from __future__ import annotations

from sqlglot import exp

from .errors import NicheError
from .schema import Schema, Table
from .sqlcheck import parse
from .sqlite_io import execute_readonly

LOOKUP_TIMEOUT_S = 2.0  # each lookup scans the compared column at most once
MAX_SUGGESTIONS = 3


def always_false_literal(db_path: str, sql: str, schema: Schema) -> str | None:
    """Why a text test in *sql* can never be true on the database at *db_path*; None when none is."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for table, column, value in _text_tests(tree, schema):
        problem = _null_text(db_path, table, column) if value is None else _wrong_case(db_path, table, column,
                                                                                       value)
        if problem:
            return problem
    return None


def _null_text(db_path: str, table: str, column: str) -> str | None:
    found = _lookup(db_path, f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" IS NULL), '
                             f'EXISTS (SELECT 1 FROM "{table}" WHERE lower("{column}") = \'null\')')
    if found and found[0][0] and not found[0][1]:
        return (f"{table}.{column} never holds the text 'null': its missing values are SQL NULLs, so test "
                f"them with {column} IS NULL (or IS NOT NULL), not with = 'null'")
    return None


def _wrong_case(db_path: str, table: str, column: str, value: str) -> str | None:
    text = _quote(value)
    exact = _lookup(db_path, f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" = {text})')
    if not exact or exact[0][0]:
        return None
    near = _lookup(db_path, f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" <> {text} AND '
                            f'lower("{column}") = lower({text}) LIMIT {MAX_SUGGESTIONS}')
    if not near:
        return None
    names = ", ".join(_quote(r[0]) for r in near)
    return (f"no row of {table} has {column} = {_quote(value)}, but {names} differs only in letter case "
            f"(= compares text case-sensitively): use the value as the data spells it")


def _lookup(db_path: str, sql: str) -> list | None:
    try:
        return execute_readonly(db_path, sql, timeout_s=LOOKUP_TIMEOUT_S, max_rows=MAX_SUGGESTIONS).rows
    except NicheError:
        return None


def _quote(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _text_tests(tree: exp.Expression, schema: Schema) -> list[tuple[str, str, str | None]]:
    """(table, column, value) for each column compared with a string literal by = or IN (value None:
    the text 'null', also by LIKE), the column resolved to a table of the schema."""
    by_alias = _tables_by_alias(tree, schema)
    found = []
    for test in tree.find_all(exp.EQ, exp.In, exp.Like, exp.ILike):
        for column, value in _column_and_texts(test):
            holder = _holder(column, by_alias)
            if holder is None:
                continue
            real = next(c.name for c in holder.columns if c.name.lower() == column.name.lower())
            if value is None or not isinstance(test, (exp.Like, exp.ILike)):
                found.append((holder.name, real, value))
    return found


def _tables_by_alias(tree: exp.Expression, schema: Schema) -> dict[str, Table]:
    tables = {t.name.lower(): t for t in schema.tables}
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return {(t.alias or t.name).lower(): tables[t.name.lower()] for t in tree.find_all(exp.Table)
            if t.name.lower() in tables and t.name.lower() not in ctes}


def _holder(column: exp.Column, by_alias: dict[str, Table]) -> Table | None:
    """The one table of the query that has *column* (by its qualifier, else by name)."""
    qualifier = column.table.lower()
    if qualifier:
        candidates = [by_alias[qualifier]] if qualifier in by_alias else []
    else:
        candidates = list({t.name: t for t in by_alias.values()}.values())
    holders = [t for t in candidates if any(c.name.lower() == column.name.lower() for c in t.columns)]
    return holders[0] if len(holders) == 1 else None


def _column_and_texts(test: exp.Expression) -> list[tuple[exp.Column, str | None]]:
    if isinstance(test, exp.In):
        column, values = test.this, test.expressions
    elif _text_of(test.expression) is not None:
        column, values = test.this, [test.expression]
    else:
        column, values = test.expression, [test.this]
    if not isinstance(column, exp.Column) or _text_of(column) is not None:
        return []
    texts = [_text_of(v) for v in values]
    return [(column, None if t.lower() == "null" else t) for t in texts if t is not None]


def _text_of(node: exp.Expression) -> str | None:
    """The text of a string literal, or of "null" (SQLite reads a double-quoted word that names no column
    as a string; only that word is taken, since any other may be a column)."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if (isinstance(node, exp.Column) and not node.table and isinstance(node.this, exp.Identifier)
            and node.this.quoted and node.name.lower() == "null"):
        return node.name
    return None
