"""Tests against a text value that the data makes always false, found after an answer compiles.

Three kinds, each a sign that the query cannot mean what was asked:

- **The text 'null' for a missing value.** Some Spider training databases store the text 'null' where
  others hold SQL NULLs, and a model trained on them learns to write `country = 'null'` for "has no
  country". On a column that holds SQL NULLs and never that text, the test is always false.
  (`country != 'null'` is left alone: on such a column it keeps exactly the rows IS NOT NULL keeps.)
- **A value in the wrong case.** `Airline = 'Jetblue Airways'` where the column holds 'JetBlue Airways':
  SQLite's = compares text case-sensitively, so no row matches, while one does ignoring case.
- **A value of another column.** `products.name = 'Camping'` where no product is called that and
  'Camping' is a category's name: the question named a value the query looks for in the wrong place.
  Columns linked to the compared one by a declared foreign key are not counted (a code the referenced
  table knows but no row of this one uses is a fair empty answer), and the search stops after
  `ELSEWHERE_BUDGET_S` seconds on a large database.

`always_false_literal` says which, in words a repair turn can act on. It reads the data through
read-only lookups (the compared column, and other columns only once no row matches), and only for string
literals an answer compares with by =, IN or LIKE 'null'; a lookup that fails or runs out of time counts as
no finding.
"""

from __future__ import annotations

import time

from sqlglot import exp

from .schema import Schema, Table
from .sqlcheck import parse
from .sqlite_io import lookup

MAX_SUGGESTIONS = 3
ELSEWHERE_BUDGET_S = 3.0  # all the lookups of other columns for one value together


def always_false_literal(db_path: str, sql: str, schema: Schema) -> str | None:
    """Why a text test in *sql* can never be true on the database at *db_path*; None when none is."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for table, column, value in _text_tests(tree, schema):
        problem = _null_text(db_path, table, column) if value is None else _absent(db_path, schema, table, column,
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


def _absent(db_path: str, schema: Schema, table: str, column: str, value: str) -> str | None:
    """Why no row of *table* has *column* = *value* looks like a mistake: the value is there in another
    letter case, or it is a value of another column; None when a row has it, or neither."""
    if not _missing(db_path, table, column, value):
        return None
    return _wrong_case(db_path, table, column, value) or _held_elsewhere(db_path, schema, table, column, value)


def _missing(db_path: str, table: str, column: str, value: str) -> bool:
    """Whether no row of *table* has *column* = *value* (False also when the lookup fails)."""
    exact = _lookup(db_path, f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" = {_quote(value)})')
    return bool(exact) and not exact[0][0]


def _wrong_case(db_path: str, table: str, column: str, value: str) -> str | None:
    near = _case_variants(db_path, table, column, value)
    if not near:
        return None
    names = ", ".join(_quote(v) for v in near)
    return (f"no row of {table} has {column} = {_quote(value)}, but {names} differs only in letter case "
            f"(= compares text case-sensitively): use the value as the data spells it")


def _case_variants(db_path: str, table: str, column: str, value: str) -> list:
    """Up to MAX_SUGGESTIONS values of *table*.*column* that differ from *value* in letter case only."""
    text = _quote(value)
    near = _lookup(db_path, f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" <> {text} AND '
                            f'lower("{column}") = lower({text}) LIMIT {MAX_SUGGESTIONS}')
    return [r[0] for r in near or ()]


def wrong_case_fix(db_path: str, sql: str, schema: Schema) -> str | None:
    """*sql* with each text it compares by = or IN that no row holds, but one value of the column does in another
    letter case, written as the data spells it (the change a wrong-case finding asks for); None when there is none."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    spelled = {}
    for table, column, value in _text_tests(tree, schema):
        if value is None or value in spelled:
            continue
        near = _case_variants(db_path, table, column, value) if _missing(db_path, table, column, value) else []
        if len(near) == 1 and isinstance(near[0], str):
            spelled[value] = near[0]
    if not spelled:
        return None
    for literal in [node for node in tree.find_all(exp.Literal) if node.is_string and node.this in spelled]:
        literal.replace(exp.Literal.string(spelled[literal.this]))
    return tree.sql(dialect="sqlite")


def _held_elsewhere(db_path: str, schema: Schema, table: str, column: str, value: str) -> str | None:
    text, holders, deadline = _quote(value), [], time.monotonic() + ELSEWHERE_BUDGET_S
    for other, columns in _other_text_columns(schema, table, column):
        if time.monotonic() > deadline or len(holders) >= MAX_SUGGESTIONS:
            break
        found = _lookup(db_path, "SELECT " + ", ".join(
            f'EXISTS (SELECT 1 FROM "{other}" WHERE "{c}" = {text})' for c in columns))
        holders += [f"{other}.{c}" for c, hit in zip(columns, found[0] if found else ()) if hit]
    if not holders:
        return None
    return (f"no row of {table} has {column} = {text}, but {text} is a value of "
            f"{', '.join(holders[:MAX_SUGGESTIONS])}: compare that column with it instead (joining its table "
            f"if the query does not have it yet)")


def _other_text_columns(schema: Schema, table: str, column: str) -> list[tuple[str, list[str]]]:
    """Per table, the columns that can hold text (SQLite's text affinity, or no declared type) other than
    *table*.*column* and the columns a foreign key links it with; the compared table first."""
    pairs = [{(t.name.lower(), mine.lower()), (fk.ref_table.lower(), theirs.lower())}
             for t in schema.tables for fk in t.foreign_keys for mine, theirs in zip(fk.columns, fk.ref_columns)]
    linked, grown = {(table.lower(), column.lower())}, True
    while grown:  # every column a chain of foreign keys links with this one
        grown = False
        for pair in pairs:
            if pair & linked and not pair <= linked:
                linked |= pair
                grown = True
    out = []
    for t in sorted(schema.tables, key=lambda t: t.name.lower() != table.lower()):
        columns = [c.name for c in t.columns if (t.name.lower(), c.name.lower()) not in linked and holds_text(c.type)]
        if columns:
            out.append((t.name, columns))
    return out


def holds_text(declared: str) -> bool:
    kind = declared.upper()
    return not kind.strip() or any(word in kind for word in ("CHAR", "CLOB", "TEXT"))


def _lookup(db_path: str, sql: str) -> list | None:
    return lookup(db_path, sql, MAX_SUGGESTIONS)


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
