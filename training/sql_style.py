"""One SQL style for training answers: table names instead of T1/T2 aliases, single-quoted strings.

Spider's gold SQL writes `FROM singer AS T1 JOIN concert AS T2 ... T2.year` and quotes values with double
quotes. A small model then has to remember what T2 stands for when it picks a column, and it learns a
habit (`"value"`) that SQLite only tolerates. Writing the table name at each use (`concert.year`) puts the
table next to the column it qualifies, and `'value'` is standard SQL. Text-to-SQL work has normalised gold
SQL this way before (e.g. RESDSQL removes table aliases).

The rewrite is textual and conservative, token by token, never inside a string literal:

- aliases are replaced only when every alias names one table and every table has at most one alias in
  the whole query (a self-join or a table reused in a subquery keeps its aliases);
- a double-quoted token becomes a single-quoted string unless it names a column or table of the schema;
- `restyle_checked` executes the original and the rewritten query on the real database and keeps the
  rewrite only when both return the same rows in the same order.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from dataclasses import dataclass

from nichelm.assistant.errors import NicheError
from nichelm.assistant.sqlite_io import connect_readonly, run_query

STYLES = ("qualified", "spider")  # spider = gold SQL exactly as the dataset has it
CHECK_TIMEOUT_S = 4.0

_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*|\s+|.""", re.S)
_ALIAS = re.compile(r"t\d+", re.I)


@dataclass(frozen=True)
class Tok:
    text: str

    @property
    def word(self) -> bool:
        return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", self.text))

    @property
    def space(self) -> bool:
        return self.text.isspace()


def tokens(sql: str) -> list[Tok]:
    return [Tok(m.group(0)) for m in _TOKEN.finditer(sql)]


def _next(toks: list[Tok], i: int) -> int:
    """Index of the next non-space token after *i* (len(toks) at the end)."""
    i += 1
    while i < len(toks) and toks[i].space:
        i += 1
    return i


def alias_map(toks: list[Tok]) -> dict[str, str] | None:
    """{alias (lower): table} for `table AS Tn`, or None when the aliases cannot be dropped safely."""
    table_of: dict[str, str] = {}
    uses: dict[str, int] = {}
    for i, t in enumerate(toks):
        if t.word and t.text.upper() in ("FROM", "JOIN"):
            j = _next(toks, i)
            if j < len(toks) and toks[j].word:
                uses[toks[j].text.lower()] = uses.get(toks[j].text.lower(), 0) + 1
        if t.word and t.text.upper() == "AS":
            j = _next(toks, i)
            if j < len(toks) and _ALIAS.fullmatch(toks[j].text):
                k = i - 1
                while k >= 0 and toks[k].space:
                    k -= 1
                if k < 0 or not toks[k].word:
                    return None  # `(subquery) AS T1`: the alias stands for no table
                alias, table = toks[j].text.lower(), toks[k].text
                if table_of.get(alias, table).lower() != table.lower():
                    return None
                table_of[alias] = table
    if not table_of:
        return {}
    tables = [t.lower() for t in table_of.values()]
    if len(set(tables)) != len(tables) or any(uses.get(t, 0) != 1 for t in tables):
        return None
    return table_of


def compound_parts(sql: str) -> list[str]:
    """*sql* split before and after each top-level UNION / INTERSECT / EXCEPT (each part its own scope)."""
    parts, cur, depth = [], [], 0
    for t in tokens(sql):
        depth += (t.text == "(") - (t.text == ")")
        if depth == 0 and t.word and t.text.upper() in ("UNION", "INTERSECT", "EXCEPT"):
            parts += ["".join(cur), t.text]
            cur = []
        else:
            cur.append(t.text)
    return parts + ["".join(cur)]


def drop_aliases(sql: str) -> str:
    """Aliases dropped in each part of a compound query separately (aliases are scoped per SELECT)."""
    parts = compound_parts(sql)
    return "".join(p if p.upper() in ("UNION", "INTERSECT", "EXCEPT") else _drop_aliases_in(p) for p in parts)


def _drop_aliases_in(sql: str) -> str:
    toks = tokens(sql)
    amap = alias_map(toks)
    if not amap:
        return sql
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.word and t.text.upper() == "AS":
            j = _next(toks, i)
            if j < len(toks) and toks[j].text.lower() in amap:
                while out and out[-1].isspace():  # `singer AS T1` -> `singer`
                    out.pop()
                i = j + 1
                continue
        if t.word and t.text.lower() in amap:
            j = i + 1
            if j < len(toks) and toks[j].text == ".":
                out.append(amap[t.text.lower()])
                i += 1
                continue
        out.append(t.text)
        i += 1
    return "".join(out)


def single_quote_strings(sql: str, names: set[str]) -> str:
    """`"France"` -> `'France'` unless the quoted text is a table or column name (lower-cased *names*)."""
    out = []
    for t in tokens(sql):
        s = t.text
        if len(s) >= 2 and s[0] == s[-1] == '"':
            inner = s[1:-1].replace('""', '"')
            if inner.lower() not in names:
                s = "'" + inner.replace("'", "''") + "'"
        out.append(s)
    return "".join(out)


def schema_names(con: sqlite3.Connection) -> set[str]:
    names = set()
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"):
        names.add(table.lower())
        for row in con.execute(f'PRAGMA table_info("{table}")'):
            names.add(str(row[1]).lower())
    return names


def restyle(sql: str, names: set[str]) -> str:
    return single_quote_strings(drop_aliases(sql), names)


def _rows(con: sqlite3.Connection, sql: str):
    try:
        return run_query(con, sql, timeout_s=CHECK_TIMEOUT_S, max_rows=100_000).rows
    except NicheError:
        return None


def restyle_checked(con: sqlite3.Connection, sql: str, names: set[str] | None = None) -> tuple[str, str]:
    """(SQL to train on, outcome): outcome is "same" (nothing to rewrite), "rewritten", "mismatch" (the
    rewrite changed the result: original kept) or "unchecked" (the original does not run: original kept)."""
    new = restyle(sql, schema_names(con) if names is None else names)
    if new == sql:
        return sql, "same"
    old_rows = _rows(con, sql)
    if old_rows is None:
        return sql, "unchecked"
    return (new, "rewritten") if _rows(con, new) == old_rows else (sql, "mismatch")


@functools.lru_cache(maxsize=64)
def _database(path: str) -> tuple[sqlite3.Connection, frozenset[str]]:
    con = connect_readonly(path)
    return con, frozenset(schema_names(con))


def restyle_for_database(db_path: str | os.PathLike | None, sql: str, style: str = "qualified") -> tuple[str, str]:
    """restyle_checked on the database file *db_path* (connections cached); "spider" style or no file:
    the SQL unchanged, outcome "kept"."""
    if style not in STYLES:
        raise ValueError(f"unknown SQL style {style!r} (one of {', '.join(STYLES)})")
    if style == "spider" or db_path is None:
        return sql, "kept"
    con, names = _database(str(db_path))
    return restyle_checked(con, sql, set(names))
