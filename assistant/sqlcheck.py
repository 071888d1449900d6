"""Pull one SQL statement out of model output and check it against sqlglot and the schema.

>>> extract_sql("Here you go:\\n```sql\\nSELECT 1\\n```\\nThis returns one.")
'SELECT 1'
>>> [p.kind for p in validate("SELECT nme FROM t", {"t": ["id", "name"]})]
['unknown_column']
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .errors import NoSQLFound, Problem

DIALECT = "sqlite"
_FENCE = re.compile(r"```[ \t]*(?:sql|sqlite)?[ \t]*\n?(.*?)(?:```|$)", re.S | re.I)
_START = re.compile(r"\b(WITH|SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|REPLACE|PRAGMA|EXPLAIN|VALUES)\b",
                    re.I)
_READ_ONLY = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)


def extract_sql(text: str) -> str:
    """The first SQL statement in *text*: inside a code fence if there is one, else from the first
    SQL keyword; prose after it and anything after the first top-level ';' are dropped."""
    if text is None:
        raise NoSQLFound("the model returned nothing")
    m = _FENCE.search(text)
    body = m.group(1) if m else text
    candidates = [_clean(_first_statement(body[m.start():])) for m in _START.finditer(body)]
    candidates = [c for c in candidates if c]
    if not candidates:
        raise NoSQLFound("the model's answer holds no SQL statement")
    # Prose words like "with" or "select" also match the keyword pattern: prefer the first
    # candidate that parses as SQL, else the first one that starts a line.
    for stmt in candidates:
        if _parses(stmt):
            return stmt
    starts_line = [m for m in _START.finditer(body) if m.start() == 0 or body[m.start() - 1] == "\n"]
    if starts_line:
        return _clean(_first_statement(body[starts_line[0].start():]))
    raise NoSQLFound("the model's answer holds no parsable SQL statement")


def _clean(stmt: str) -> str:
    """Drop trailing prose lines ("This query ...") that follow a finished statement."""
    lines = stmt.split("\n")
    while len(lines) > 1 and _looks_like_prose(lines[-1]):
        lines.pop()
    return "\n".join(lines).strip()


def _parses(sql: str) -> bool:
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except (ParseError, TokenError, ValueError):
        return False
    return tree is not None and not isinstance(tree, exp.Command)


def _looks_like_prose(line: str) -> bool:
    s = line.strip()
    if not s:
        return True
    return bool(re.match(r"^(this|the|note|it|here|explanation|which|where this)\b.*[a-z]{3,}.*[.:]$", s, re.I))


def _first_statement(text: str) -> str:
    """Text up to the first ';' that is not inside a string, identifier or comment."""
    quote = None
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == quote:
                if i + 1 < n and text[i + 1] == quote:
                    i += 1
                else:
                    quote = None
        elif ch in ("'", '"', "`"):
            quote = ch
        elif ch == "[":
            quote = "]"
        elif ch == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif ch == ";":
            return text[:i].strip()
        i += 1
    return text.strip()


def parse(sql: str) -> tuple[exp.Expression | None, list[Problem]]:
    """Parse one statement; problems carry character offsets into *sql*."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=DIALECT) if t is not None]
    except ParseError as exc:
        return None, [_problem_from_parse_error(sql, exc)]
    except TokenError as exc:
        return None, [Problem(f"cannot tokenize SQL: {exc}", 0, len(sql))]
    if not trees:
        return None, [Problem("empty statement", 0, len(sql))]
    problems = []
    if len(trees) > 1:
        problems.append(Problem("more than one statement; only the first is used", 0, len(sql),
                                "warning", "multiple"))
    return trees[0], problems


def _problem_from_parse_error(sql: str, exc: ParseError) -> Problem:
    err = exc.errors[0] if exc.errors else {}
    line, col = err.get("line"), err.get("col")
    msg = err.get("description") or str(exc).split("\n")[0]
    if line and col is not None:
        start = _offset(sql, line - 1, max(col - 1, 0))
        hl = err.get("highlight") or ""
        begin = max(0, start - len(hl) + 1) if hl else start
        return Problem(msg, begin, max(begin + max(len(hl), 1), start + 1))
    return Problem(msg, 0, len(sql))


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    line = min(line, len(lines) - 1)
    return min(sum(len(x) + 1 for x in lines[:line]) + col, len(text))


def is_read_only(tree: exp.Expression) -> bool:
    """True when the statement only reads (SELECT, set operations, VALUES, WITH ... SELECT)."""
    node = tree.this if isinstance(tree, exp.With) else tree
    return isinstance(node, _READ_ONLY)


def reads_only(sql: str | None) -> bool | None:
    """True when *sql* is a query, False when it is something else (a write, DDL...), None when it does
    not parse."""
    tree, _ = parse(sql or "")
    return None if tree is None else is_read_only(tree)


def validate(sql: str, schema: dict[str, list[str]] | None = None) -> list[Problem]:
    """Syntax problems, then unknown tables and columns against *schema* ({table: [columns]})."""
    tree, problems = parse(sql)
    if tree is None or schema is None:
        return problems
    return problems + _schema_problems(sql, tree, schema)


def _schema_problems(sql: str, tree: exp.Expression, schema: dict[str, list[str]]) -> list[Problem]:
    tables = {t.lower(): {c.lower() for c in cols} for t, cols in schema.items()}
    problems: list[Problem] = []
    cte_names = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    # Aliases defined anywhere (tables, subqueries, CTEs) -> the real table (or None if derived).
    alias_to_table: dict[str, str | None] = {}
    seen_tables: list[str] = []
    cursor = 0
    for t in tree.find_all(exp.Table):
        name = t.name
        low = name.lower()
        if low in cte_names:
            alias_to_table[(t.alias or name).lower()] = None
            continue
        if low not in tables:
            start = _find_word(sql, name, cursor)
            problems.append(Problem(f"no such table: {name}", start, start + len(name), "error", "unknown_table"))
            alias_to_table[(t.alias or name).lower()] = None
            continue
        seen_tables.append(low)
        alias_to_table[low] = low
        if t.alias:
            alias_to_table[t.alias.lower()] = low
    for sub in tree.find_all(exp.Subquery):
        if sub.alias:
            alias_to_table[sub.alias.lower()] = None
    select_aliases = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    all_columns = set().union(*(tables[t] for t in seen_tables)) if seen_tables else set()
    derived = any(v is None for v in alias_to_table.values()) or bool(cte_names)
    cursor = 0
    for col in tree.find_all(exp.Column):
        name = col.name
        if not name or isinstance(col.this, exp.Star):
            continue
        low = name.lower()
        qual = col.table.lower() if col.table else ""
        if qual:
            if qual not in alias_to_table:
                start = _find_word(sql, col.table, cursor)
                problems.append(Problem(f"unknown table or alias: {col.table}", start, start + len(col.table),
                                        "error", "unknown_table"))
                continue
            target = alias_to_table[qual]
            if target is None or low in tables.get(target, set()):
                continue
            start = _find_word(sql, name, cursor)
            problems.append(Problem(f"no such column: {col.table}.{name}", start, start + len(name),
                                    "error", "unknown_column"))
        else:
            if low in all_columns or low in select_aliases or derived:
                continue
            if not seen_tables:
                continue
            start = _find_word(sql, name, cursor)
            # A bare double-quoted word that is no column is a string literal in SQLite.
            problems.append(Problem(f"no such column: {name}", start, start + len(name), "error", "unknown_column"))
    return problems


def _find_word(sql: str, word: str, start: int = 0) -> int:
    """Offset of *word* as a whole word at or after *start* (else anywhere, else 0)."""
    pattern = re.compile(r"(?<![\w])" + re.escape(word) + r"(?![\w])", re.I)
    m = pattern.search(sql, start) or pattern.search(sql)
    return m.start() if m else 0


def normalise(sql: str) -> str:
    """Canonical text for exact-match comparison (sqlglot's sqlite output, identifiers lower-cased)."""
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except (ParseError, TokenError):
        return " ".join(sql.lower().split())
    for node in tree.find_all(exp.Identifier):
        node.set("this", node.this.lower())
        node.set("quoted", False)
    return tree.sql(dialect=DIALECT, normalize=True, pretty=False).lower()
