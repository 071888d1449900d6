"""Hover text for table and column names: type, primary key, foreign keys, row count.

Works on incomplete SQL: the word under the cursor and the FROM/JOIN aliases of its statement come
from a small scan of the text, not from a parse that a half-typed query would fail.

>>> word_at("SELECT o.total FROM orders o", 10)
('o', 'total', 9, 14)
>>> aliases_in("SELECT * FROM orders AS o, items JOIN customers c ON c.id = o.cid")
{'orders': 'orders', 'o': 'orders', 'items': 'items', 'customers': 'customers', 'c': 'customers'}
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nichelm.assistant.schema import Schema, Table

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][A-Za-z_0-9$]*)'
_QUALIFIED = re.compile(rf"(?:({_IDENT})\s*\.\s*)?({_IDENT})")
_NOT_ALIAS = {"where", "join", "inner", "left", "right", "full", "cross", "natural", "on", "using", "group",
              "order", "limit", "having", "union", "except", "intersect", "outer", "set", "values", "as",
              "window", "select", "from", "returning", "default", "indexed", "not"}
# An alias is any identifier that is not a keyword which may follow a table name.
_ALIAS = rf"(?!(?:{'|'.join(sorted(_NOT_ALIAS))})\b){_IDENT}"
_FROM = re.compile(rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+({_IDENT}(?:\s*\.\s*{_IDENT})?)"
                   rf"(?:\s+(?:AS\s+)?({_ALIAS}))?((?:\s*,\s*{_IDENT}(?:\s+(?:AS\s+)?{_ALIAS})?)*)", re.IGNORECASE)
_MORE = re.compile(rf"\s*,\s*({_IDENT})(?:\s+(?:AS\s+)?({_ALIAS}))?", re.IGNORECASE)


def unquote(name: str) -> str:
    if len(name) >= 2 and name[0] in "\"`[":
        inner = name[1:-1]
        return inner.replace('""', '"') if name[0] == '"' else inner
    return name


def word_at(text: str, offset: int) -> tuple[str | None, str, int, int] | None:
    """(qualifier, name, start, end) of the possibly qualified identifier at *offset*, or None."""
    lo = max(0, offset - 200)
    for m in _QUALIFIED.finditer(text, lo, min(len(text), offset + 200)):
        if m.start(2) <= offset <= m.end(2):
            qual = unquote(m.group(1)) if m.group(1) else None
            return qual, unquote(m.group(2)), m.start(2), m.end(2)
        if m.group(1) and m.start(1) <= offset <= m.end(1):
            return None, unquote(m.group(1)), m.start(1), m.end(1)
        if m.start() > offset:
            break
    return None


def aliases_in(statement: str) -> dict[str, str]:
    """alias (lower-case) -> table name, for FROM/JOIN items; a table is also its own alias."""
    out: dict[str, str] = {}

    def add(table: str, alias: str | None) -> None:
        table = unquote(table.split(".")[-1].strip())
        out[table.lower()] = table
        if alias and alias.lower() not in _NOT_ALIAS:
            out[unquote(alias).lower()] = table

    for m in _FROM.finditer(statement):
        add(m.group(1), m.group(2))
        for more in _MORE.finditer(m.group(3) or ""):
            add(more.group(1), more.group(2))
    return out


def _fks_to(schema: Schema, table: Table) -> list[str]:
    refs = []
    for t in schema.tables:
        for fk in t.foreign_keys:
            if fk.ref_table.lower() == table.name.lower():
                refs.append(f"{t.name}({', '.join(fk.columns)})")
    return refs


def table_markdown(schema: Schema, table: Table, rows: int | None) -> str:
    lines = [f"**table** `{table.name}`" + (f" — {rows:,} rows" if rows is not None else "")]
    if table.primary_key:
        lines.append(f"primary key: `{', '.join(table.primary_key)}`")
    lines.append("")
    lines.append("| column | type | |")
    lines.append("| --- | --- | --- |")
    for c in table.columns[:60]:
        lines.append(f"| `{c.name}` | {c.type or '—'} | {_column_flags(table, c.name)} |")
    if len(table.columns) > 60:
        lines.append(f"| … {len(table.columns) - 60} more | | |")
    for fk in table.foreign_keys:
        lines.append(f"\nforeign key `({', '.join(fk.columns)})` → `{fk.ref_table}({', '.join(fk.ref_columns)})`")
    refs = _fks_to(schema, table)
    if refs:
        lines.append(f"\nreferenced by: {', '.join(f'`{r}`' for r in refs)}")
    return "\n".join(lines)


def _column_flags(table: Table, name: str) -> str:
    c = table.column(name)
    flags = []
    if c is None:
        return ""
    if c.pk:
        flags.append("PK")
    if c.notnull:
        flags.append("NOT NULL")
    for fk in table.foreign_keys:
        if name in fk.columns:
            i = fk.columns.index(name)
            ref_col = fk.ref_columns[i] if i < len(fk.ref_columns) and fk.ref_columns[i] else "?"
            flags.append(f"→ {fk.ref_table}.{ref_col}")
    return ", ".join(flags)


def column_markdown(table: Table, column: str, rows: int | None) -> str:
    c = table.column(column)
    assert c is not None
    head = f"**column** `{table.name}.{c.name}`: {c.type or 'no declared type'}"
    lines = [head]
    flags = _column_flags(table, c.name)
    if flags:
        lines.append(flags)
    if c.default is not None:
        lines.append(f"default `{c.default}`")
    if rows is not None:
        lines.append(f"table `{table.name}` has {rows:,} rows")
    return "\n\n".join(lines)


def hover_markdown(schema: Schema, statement: str, offset: int,
                   row_count: Callable[[str], int | None]) -> tuple[str, int, int] | None:
    """(markdown, start, end) for the identifier at *offset* of *statement*, or None.
    row_count(table) is asked only for the table shown."""
    found = word_at(statement, offset)
    if not found:
        return None
    qual, name, start, end = found
    aliases = aliases_in(statement)
    if qual:
        table = schema.table(aliases.get(qual.lower(), qual))
        if table and table.column(name):
            return column_markdown(table, name, row_count(table.name)), start, end
        return None
    table = schema.table(aliases.get(name.lower(), name))
    if table is not None and (name.lower() in aliases or schema.table(name)):
        return table_markdown(schema, table, row_count(table.name)), start, end
    # A bare column: prefer tables of this statement, then any table that has it.
    in_stmt = [schema.table(t) for t in dict.fromkeys(aliases.values())]
    owners = [t for t in in_stmt if t is not None and t.column(name)]
    if not owners:
        owners = [t for t in schema.tables if t.column(name)]
    if not owners:
        return None
    parts = [column_markdown(t, name, row_count(t.name)) for t in owners[:3]]
    if len(owners) > 3:
        parts.append(f"… and {len(owners) - 3} more tables with `{name}`")
    return "\n\n---\n\n".join(parts), start, end
