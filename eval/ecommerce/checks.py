"""Checks that one (question, gold SQL) row is fit for an execution-accuracy benchmark.

Used twice: by the builder, to reject a candidate row, and by the quality check, to prove the
committed set is still sound. Each check returns a list of human-readable problems (empty = fine).

>>> question_problems("How many customers live in France?")
[]
>>> question_problems("SELECT name FROM customers")  # doctest: +NORMALIZE_WHITESPACE
['SQL keyword "SELECT"', 'SQL keyword "FROM"', 'table name after FROM ("FROM customers")',
 'select ... from']
>>> question_problems("Which products came from orders placed in 2024?")
[]
"""

from __future__ import annotations

import re
import sqlite3

import sqlglot
from nichelm.assistant.errors import NicheError
from nichelm.assistant.sqlcheck import is_read_only, parse
from nichelm.assistant.sqlite_io import run_query
from sqlglot import exp

TABLES = ("customers", "categories", "products", "orders", "order_items", "reviews")
GOLD_TIMEOUT_S = 10.0

# Upper-case SQL keywords never appear in a user's question; lower-case "from", "where" or
# "distinct" are ordinary English, so only these unambiguous fragments are checked case-insensitively.
_UPPER_KEYWORDS = ("SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "JOIN", "LIMIT", "DISTINCT",
                   "UNION", "INTERSECT", "EXCEPT", "COUNT", "SUM", "AVG", "CASE WHEN", "NULL", "LIKE", "BETWEEN",
                   "OFFSET", "OVER", "PARTITION BY", "WITH")
_FRAGMENTS = (
    (r"\bselect\b.*\bfrom\b", "select ... from"),
    (r"\b(group|order|partition) by\b", "SQL clause"),
    (r"\w_id\b", "a column name like *_id"),
    (r"\b(order_items|parent_id|category_id|customer_id|product_id|order_id|signup_date|order_date|unit_price"
     + r"|created_at)\b", "a column or table name"),
    (r"\b(count|sum|avg|min|max|strftime|coalesce|ifnull|julianday|round)\(", "a SQL function call"),
    (r"\(\s*\*\s*\)", "(*)"),
    (r"(?<![<>!])=|<>|!=|<=|>=", "a comparison operator"),
    (r";\s*$", "a trailing semicolon"),
    (r"\bis (not )?null\b", "IS NULL"),
    (r"%", "a LIKE wildcard"),
    (r"\b(inner|left|outer) join\b", "a join"),
)


def question_problems(question: str) -> list[str]:
    """SQL that leaked into a natural-language question."""
    found = [f'SQL keyword "{k}"' for k in _UPPER_KEYWORDS if re.search(rf"\b{k}\b", question)]
    # "products from orders placed in 2024" is English; "from orders where ..." is SQL.
    m = re.search(rf"\bFROM\s+({'|'.join(TABLES)})\b", question) or re.search(
        rf"\bfrom\s+({'|'.join(TABLES)})(\s+\w+)?\s+(where|join|group\s+by|order\s+by|limit)\b", question, re.IGNORECASE)
    if m:
        found.append(f'table name after FROM ("{m.group(0)}")')
    found += [why for pat, why in _FRAGMENTS if re.search(pat, question, re.IGNORECASE)]
    return found


def is_ordered(sql: str) -> bool:
    """True when the top-level statement has an ORDER BY (row order is then part of the answer)."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    return tree.args.get("order") is not None


def gold_rows(con: sqlite3.Connection, sql: str) -> list[tuple]:
    """Run a gold query read-only and return all its rows; raise NicheError when it fails."""
    tree, problems = parse(sql)
    if tree is None:
        raise NicheError(f"does not parse: {problems[0].message}")
    if not is_read_only(tree):
        raise NicheError("not a read-only statement")
    return run_query(con, sql, timeout_s=GOLD_TIMEOUT_S, max_rows=None).rows


def result_problems(rows: list[tuple], expect_empty: bool) -> list[str]:
    if expect_empty and rows:
        return [f"expected no rows, got {len(rows)}"]
    if not expect_empty and not rows:
        return ["returns no rows (set expect_empty if that is the point)"]
    if not expect_empty and all(v is None for r in rows for v in r):
        return ["returns only NULLs"]
    return []


def _int_arg(node) -> int | None:
    if node is None:
        return None
    value = node.args.get("expression") if isinstance(node, (exp.Limit, exp.Offset)) else node
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.this)
    return None


def _key_probe(tree: exp.Expression) -> tuple[exp.Expression, list[int]] | None:
    """A copy of *tree* that also outputs each ORDER BY key, and the key column positions.

    Keys that are output columns (by alias, name or position) are reused; other expressions are
    appended to the SELECT list. Returns None when that cannot be done without changing the rows
    (set operations or DISTINCT with a key that is not an output column).
    """
    probe = tree.copy()
    outputs = probe.expressions if isinstance(probe, exp.Select) else tree.selects
    names = [e.alias_or_name.lower() for e in outputs]
    positions = []
    for ordered in probe.args["order"].expressions:
        key = ordered.this
        if isinstance(key, exp.Literal) and key.is_int:
            positions.append(int(key.this) - 1)
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in names:
            positions.append(names.index(key.name.lower()))
        elif isinstance(probe, exp.Select) and not probe.args.get("distinct"):
            alias = f"__order_key_{len(positions)}"
            probe.select(exp.alias_(key.copy(), alias), copy=False)
            positions.append(len(probe.expressions) - 1)
        else:
            return None
    return probe, positions


def order_problems(con: sqlite3.Connection, sql: str) -> list[str]:
    """Ties that make an ordered gold answer ambiguous.

    - LIMIT k (OFFSET o): rows o+k and o+k+1 of the unlimited result (and rows o and o+1) must
      differ in their ORDER BY keys, or a different but equally correct query returns other rows;
    - rows of the answer with equal ORDER BY keys but different contents have no single right order.
    """
    tree = sqlglot.parse_one(sql, read="sqlite")
    limit = tree.args.get("limit")
    if tree.args.get("order") is None:
        return ["LIMIT without ORDER BY picks arbitrary rows"] if limit is not None else []
    made = _key_probe(tree)
    if made is None:
        return ["cannot read the ORDER BY keys of this query to check for ties"]
    probe, positions = made
    k, offset = _int_arg(limit), _int_arg(tree.args.get("offset")) or 0
    if limit is not None and k is None:
        return ["LIMIT is not a plain integer"]
    if limit is not None:
        probe.set("limit", exp.Limit(expression=exp.Literal.number(offset + k + 1)))
        probe.set("offset", None)
    rows = run_query(con, probe.sql(dialect="sqlite"), timeout_s=GOLD_TIMEOUT_S, max_rows=None).rows
    keys = [tuple(r[i] for i in positions) for r in rows]
    problems = []
    if limit is not None:
        for a, b in ((offset + k - 1, offset + k), (offset - 1, offset)):
            if 0 <= a and b < len(keys) and keys[a] == keys[b]:
                problems.append(f"LIMIT boundary falls on a tie: rows {a + 1} and {b + 1} share key {keys[a]}")
        rows, keys = rows[offset:offset + k], keys[offset:offset + k]
    width = len(tree.selects)
    for i in range(1, len(rows)):
        if keys[i] == keys[i - 1] and rows[i][:width] != rows[i - 1][:width]:
            problems.append(f"ordered answer has a tie: rows {i} and {i + 1} share key {keys[i]}")
            break
    return problems


def row_problems(con: sqlite3.Connection, question: str, sql: str, expect_empty: bool) -> list[str]:
    """Everything wrong with one row (question text, execution, emptiness, ties)."""
    problems = question_problems(question)
    try:
        rows = gold_rows(con, sql)
    except NicheError as exc:
        return problems + [f"gold SQL fails: {exc.message}"]
    problems += result_problems(rows, expect_empty)
    try:
        problems += order_problems(con, sql)
    except NicheError as exc:
        problems.append(f"tie probe fails: {exc.message}")
    return problems
