"""Problems of a whole .sql document: syntax (sqlglot) and unknown tables/columns against the schema, and a
warning where two choices of one column sit beside another condition without parentheses (precedence_checks).

The document is split into statements and each is checked with nichelm.assistant.sqlcheck; problem
offsets are moved from the statement into the document. Tables created earlier in the same document
count as known, and DDL statements are only syntax-checked (their names are being defined, not used).

>>> [(p.start, p.kind) for p in document_problems("SELECT 1;\\nSELECT nme FROM t;", {"t": ["name"]})]
[(17, 'unknown_column')]
"""

from __future__ import annotations

import re

from nichelm.assistant.errors import Problem
from nichelm.assistant.precedence_checks import precedence_problem
from nichelm.assistant.sqlcheck import parse, validate
from sqlglot import exp

from .statements import has_code, split_statements

_DDL = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(create|drop|alter|pragma|attach|detach|vacuum|"
                  r"reindex|analyze|begin|commit|rollback|savepoint|release)\b", re.IGNORECASE | re.DOTALL)
# One statement longer than this is only syntax-checked: sqlglot's optimiser-free walk is linear,
# but a machine-generated INSERT of megabytes still costs seconds.
MAX_STATEMENT_CHARS = 200_000


def document_problems(doc: str, schema: dict[str, list[str]] | None, *,
                      max_chars: int = 1_000_000) -> list[Problem]:
    """Problems with offsets into *doc*. With schema None only syntax is checked."""
    problems: list[Problem] = []
    known = {k.lower(): list(v) for k, v in schema.items()} if schema is not None else None
    checked = doc[:max_chars]
    for st in split_statements(checked):
        if not has_code(st.text):
            continue
        if st.end >= max_chars and len(doc) > max_chars:
            break  # cut in the middle: checking it would report a bogus syntax error
        ddl = _DDL.match(st.text)
        use_schema = known is not None and not ddl and len(st.text) <= MAX_STATEMENT_CHARS
        try:
            found = validate(st.text, known if use_schema else None)
            if not ddl and len(st.text) <= MAX_STATEMENT_CHARS and not any(p.kind == "syntax" for p in found):
                found += [p for p in [precedence_problem(st.text)] if p]
        except Exception as exc:  # sqlglot bugs on odd input must not take the document down
            found = [Problem(f"could not check this statement: {exc}", 0, len(st.text), "warning", "internal")]
        for p in found:
            if p.kind == "multiple":
                continue
            start = st.start + max(0, min(p.start, len(st.text)))
            end = st.start + max(0, min(max(p.end, p.start), len(st.text)))
            problems.append(Problem(p.message, start, end, p.severity, p.kind))
        if known is not None and ddl:
            _apply_ddl(st.text, known)
    if len(doc) > max_chars:
        problems.append(Problem(f"document is larger than {max_chars} characters; only the first part is checked",
                                0, 0, "information", "limit"))
    return problems


def _apply_ddl(sql: str, known: dict[str, list[str]]) -> None:
    """Make tables created (or dropped) by *sql* known (unknown) to the statements after it."""
    tree, _ = parse(sql)
    if tree is None:
        return
    if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
        target = tree.this
        table = target.this if isinstance(target, exp.Schema) else target
        name = table.name if isinstance(table, exp.Table) else None
        if not name:
            return
        cols: list[str] = []
        if isinstance(target, exp.Schema):
            cols = [c.name for c in target.expressions if isinstance(c, exp.ColumnDef)]
        elif isinstance(tree.expression, exp.Query):
            cols = [s.alias_or_name for s in tree.expression.selects]
        known[name.lower()] = cols
    elif isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
        # sqlglot keeps the dropped names under "tables" (newer) or "this" (older): find them all.
        for table in tree.find_all(exp.Table):
            known.pop(table.name.lower(), None)
    elif isinstance(tree, exp.Alter):
        table = tree.this
        if not isinstance(table, exp.Table) or table.name.lower() not in known:
            return
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef):
                known[table.name.lower()].append(action.name)

