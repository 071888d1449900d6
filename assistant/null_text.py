"""Comparisons with the text 'null' that can never be true on the data.

Some Spider training databases store the text 'null' where others hold SQL NULLs, and a model trained on
them learns to write `country = 'null'` for "has no country". On a column that holds SQL NULLs and never
the text 'null', such a test is always false, so the query cannot mean what was asked. `null_text_problem`
says so in words a repair turn can act on. (`country != 'null'` is left alone: on such a column it keeps
exactly the rows IS NOT NULL keeps.)
"""

from __future__ import annotations

from sqlglot import exp

from .errors import NicheError
from .schema import Schema
from .sqlcheck import parse
from .sqlite_io import execute_readonly

CHECK_TIMEOUT_S = 2.0  # the two lookups per column scan at most the column once


def null_text_problem(db_path: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* cannot be right when it tests a column for equality with the text 'null' that the
    column never holds while it does hold SQL NULLs; None otherwise (or when the data cannot be read)."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for table, column in _columns_tested_against_null_text(tree, schema):
        probe = (f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" IS NULL), '
                 f'EXISTS (SELECT 1 FROM "{table}" WHERE lower("{column}") = \'null\')')
        try:
            has_nulls, has_text = execute_readonly(db_path, probe, timeout_s=CHECK_TIMEOUT_S, max_rows=1).rows[0]
        except NicheError:
            continue
        if has_nulls and not has_text:
            return (f"{table}.{column} never holds the text 'null': its missing values are SQL NULLs, so test "
                    f"them with {column} IS NULL (or IS NOT NULL), not with = 'null'")
    return None


def _columns_tested_against_null_text(tree: exp.Expression, schema: Schema) -> list[tuple[str, str]]:
    """(table, column) of each column compared by =, IN or LIKE with the string literal 'null'."""
    tables = {t.name.lower(): t for t in schema.tables}
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    by_alias = {}
    for t in tree.find_all(exp.Table):
        real = tables.get(t.name.lower())
        if real is not None and t.name.lower() not in ctes:
            by_alias[(t.alias or t.name).lower()] = real
    found = []
    for test in tree.find_all(exp.EQ, exp.In, exp.Like, exp.ILike):
        column = _column_against_null_text(test)
        if column is None:
            continue
        qualifier = column.table.lower()
        holders = [by_alias[qualifier]] if qualifier in by_alias else (
            [] if qualifier else list({id(t): t for t in by_alias.values()}.values()))
        holders = [t for t in holders if any(c.name.lower() == column.name.lower() for c in t.columns)]
        if len(holders) == 1:
            real_column = next(c.name for c in holders[0].columns if c.name.lower() == column.name.lower())
            found.append((holders[0].name, real_column))
    return found


def _column_against_null_text(test: exp.Expression) -> exp.Column | None:
    if isinstance(test, exp.In):
        column, values = test.this, test.expressions
    elif _is_null_text(test.expression):
        column, values = test.this, [test.expression]
    else:
        column, values = test.expression, [test.this]
    if isinstance(column, exp.Column) and not _is_null_text(column) and any(_is_null_text(v) for v in values):
        return column
    return None


def _is_null_text(node: exp.Expression) -> bool:
    """'null', or "null": SQLite reads a double-quoted word that names no column as a string."""
    if isinstance(node, exp.Literal):
        return node.is_string and node.this.lower() == "null"
    return (isinstance(node, exp.Column) and not node.table and isinstance(node.this, exp.Identifier)
            and node.this.quoted and node.name.lower() == "null")
