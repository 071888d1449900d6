"""What the schema knows about a failed query: one sentence added to SQLite's error for the repair turn.

SQLite says *what* is missing ("no such column: orders.product_id"); a small model asked to repair its
query with only that message tends to write the same query again. The schema knows where the column
really is and how the tables join, so the repair turn says so:

    orders has no column product_id; product_id is in order_items, reviews (order_items.order_id = orders.id)
    customers.country is in customers, which the query does not join: order_items.order_id = orders.id,
    orders.customer_id = customers.id
    no table in the query has country; country is in customers: join customers to firsts on
    firsts.customer_id = customers.id

(the last where the outer query reads a WITH table, firsts, that kept the key of the table holding the column).

Pure functions over `schema.Schema`; `service.answer_question` adds the hint to the repair message.
"""

from __future__ import annotations

import difflib
import re
from collections import deque

from .schema import Schema, Table
from .sql_scope import outer_sources

_NO_COLUMN = re.compile(r"no such column: (?:([\w$]+)\.)?([\w$]+)", re.IGNORECASE)
_NO_TABLE = re.compile(r"no such table: (?:main\.)?([\w$]+)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][\w$]*")
_QUALIFIER = re.compile(r"[A-Za-z_][\w$]*\s*\.")
MAX_JOIN_STEPS = 3  # a longer path is more likely wrong than helpful
MAX_NAMES = 4  # tables or similar names listed in one hint


def repair_hint(schema: Schema, sql: str, error: str) -> str | None:
    """One sentence about *error* (SQLite's message for *sql*) from *schema*, or None when it knows nothing."""
    m = _NO_COLUMN.search(error)
    if m:
        return _column_hint(schema, sql, m.group(1), m.group(2))
    m = _NO_TABLE.search(error)
    if m:
        similar = _similar(m.group(1), [t.name for t in schema.tables])
        return f"there is no table {m.group(1)}; tables with a similar name: {', '.join(similar)}" if similar else None
    return None


def tables_in(schema: Schema, sql: str) -> list[str]:
    """Schema tables that *sql* names other than as a column qualifier (so the ones it reads), the one
    it names last first: the table a query joined last is where a missing join most likely continues."""
    by_lower = {t.name.lower(): t.name for t in schema.tables}
    found: list[str] = []
    for w in reversed(_WORD.findall(_QUALIFIER.sub(" ", sql))):
        name = by_lower.get(w.lower())
        if name and name not in found:
            found.append(name)
    return found


def join_path(schema: Schema, sources: list[str], target: str) -> list[str] | None:
    """The shortest foreign-key path from any of *sources* to *target*, as "a.x = b.y" conditions
    (None when they do not connect within MAX_JOIN_STEPS). Of equally short paths, the one from the
    earliest source wins."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for t in schema.tables:
        for fk in t.foreign_keys:
            ref = schema.table(fk.ref_table)
            if ref is None or len(fk.columns) != 1:
                continue
            ref_col = fk.ref_columns[0] or (ref.primary_key[0] if len(ref.primary_key) == 1 else "")
            if not ref_col:
                continue
            cond = f"{t.name}.{fk.columns[0]} = {ref.name}.{ref_col}"
            edges.setdefault(t.name.lower(), []).append((ref.name.lower(), cond))
            edges.setdefault(ref.name.lower(), []).append((t.name.lower(), cond))
    goal = target.lower()
    start = [s.lower() for s in sources if s.lower() != goal]
    prev: dict[str, tuple[str, str] | None] = {s: None for s in start}
    queue = deque((s, 0) for s in start)
    while queue:
        node, depth = queue.popleft()
        if node == goal:
            path = []
            while prev[node] is not None:
                node, cond = prev[node]
                path.append(cond)
            return path[::-1]
        if depth == MAX_JOIN_STEPS:
            continue
        for nxt, cond in edges.get(node, []):
            if nxt not in prev:
                prev[nxt] = (node, cond)
                queue.append((nxt, depth + 1))
    return None


def _column_hint(schema: Schema, sql: str, qualifier: str | None, column: str) -> str | None:
    holders = [t for t in schema.tables if t.column(column)]
    used = tables_in(schema, sql)
    named = schema.table(qualifier) if qualifier else None
    if named is not None and named.column(column):
        if named.name in used:  # read under an alias: SQLite knows it only by that name
            return f"the query gives {named.name} an alias: qualify its columns with the alias"
        # The column exists; its table is missing from FROM/JOIN.
        path = join_path(schema, used, named.name)
        how = f": {', '.join(path)}" if path else ""
        return f"{named.name}.{column} is in {named.name}, which the query does not join{how}"
    lead = f"{named.name} has no column {column}" if named is not None else f"no table in the query has {column}"
    if holders:
        where = f"; {column} is in " + _list(t.name for t in holders)
        via_cte = _cte_join(schema, sql, holders) if named is None else None
        return lead + where + (via_cte or _path_note(schema, named, used, holders))
    pool = named.columns if named is not None else [c for t in schema.tables for c in t.columns]
    similar = _similar(column, [c.name for c in pool])
    if similar:
        where = f"{named.name}'s" if named is not None else "the"
        return lead + f"; {where} columns with a similar name: " + ", ".join(similar)
    return lead + f", and no table has a column {column}"


def _path_note(schema: Schema, named: Table | None, used: list[str], holders: list[Table]) -> str:
    """How the nearest holder of the column joins, e.g. " (order_items.order_id = orders.id)": from the
    table the query put the column on, else from the query's tables (nothing when one of them holds it)."""
    if named is not None:
        sources = [named.name]
    elif used and not any(t.name in used for t in holders):
        sources = used
    else:
        return ""
    paths = [p for p in (join_path(schema, sources, t.name) for t in holders) if p]
    return f" ({', '.join(min(paths, key=len))})" if paths else ""


def _cte_join(schema: Schema, sql: str, holders: list[Table]) -> str | None:
    """The hint's ending `: join H to C on C.x = H.id` where the outer query reads a CTE C whose column x has the name
    of a foreign key to a holder H of the missing column (a per-customer CTE that kept customer_id, asked for the
    customer's country): the join keeps what the CTE computed, where a path from the tables inside it would start
    over from them. None where no CTE of the outer query has such a column."""
    by_name = {h.name.lower(): h for h in holders}
    for ref in outer_sources(sql, schema):
        if ref.kind != "cte":
            continue
        for col in ref.columns or ():
            for t in schema.tables:
                for fk in t.foreign_keys:
                    holder = by_name.get(fk.ref_table.lower())
                    if holder is None or len(fk.columns) != 1 or fk.columns[0].lower() != col.lower():
                        continue
                    key = fk.ref_columns[0] or (holder.primary_key[0] if len(holder.primary_key) == 1 else "")
                    if key:
                        return f": join {holder.name} to {ref.ref_name} on {ref.ref_name}.{col} = {holder.name}.{key}"
    return None


def _similar(name: str, candidates: list[str]) -> list[str]:
    by_lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=MAX_NAMES, cutoff=0.6)
    return [by_lower[c] for c in close]


def _list(names) -> str:
    names = list(dict.fromkeys(names))
    more = len(names) - MAX_NAMES
    return ", ".join(names[:MAX_NAMES]) + (f" and {more} more" if more > 0 else "")
