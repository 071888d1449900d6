"""What can go at the cursor in a SQLite statement: pure functions over text, shared by the REPL and the
language server. No database, no I/O; the schema comes in as plain metadata.

Stable API (import from ``nichelm.assistant.completion``):

``complete(text, cursor=None, schema=None, *, limit=None) -> list[Completion]``
    Ranked completions at *cursor* (a 0-based character offset into *text*; default: end of text).
    ``Completion(label, kind, detail, insert_text, start)``: *kind* is one of ``"keyword"``,
    ``"function"``, ``"table"``, ``"column"``, ``"alias"``, ``"join"``, ``"pragma"``; the editor replaces
    ``text[start:cursor]`` with *insert_text*. Ranking: case-insensitive exact-prefix matches first (in
    the order of the suggestion kinds for the context, then alphabetically), then fuzzy (subsequence)
    matches, tightest first.

``analyse(text, cursor=None, schema=None) -> CursorContext``
    The kinds of suggestion at the cursor without the candidates: ``CursorContext(prefix, start, quoted,
    suggestions)`` where each ``Suggestion(kind, tables, qualifier, words)`` says e.g. "columns of these
    tables in scope" (``tables`` are ``TableRef(name, alias, kind, columns)``; ``columns`` is set for CTEs
    and subqueries, whose columns come from the SQL text itself), "tables", "keywords: these words".
    Inside a string literal or a comment ``suggestions`` is empty.

``suggest_type(full_text, text_before_cursor, schema=None) -> tuple[Suggestion, ...]``
    litecli-style entry point: the same analysis, cursor given as the text before it.

``SchemaIndex.of(schema)``
    Accepts ``None``, ``{table: [column, ...]}``, ``{table: [(column, type), ...]}``,
    ``{table: {column: type}}``, a ``nichelm.assistant.schema.Schema`` (foreign keys then drive join
    suggestions), or a ``SchemaIndex``. Callers that complete often (REPL, LSP) build the index once per
    schema version and pass it (a Schema object is indexed once); plain dicts are indexed on every call
    (1-3 ms for 200 tables).

The tokenizer is `sql_lexer`, statement structure and scope are `sql_scope`; this module decides what
fits at the cursor and ranks the candidates.

>>> [c.label for c in complete("SELECT * FROM ord", schema={"orders": ["id"], "customers": ["id"]})]
['orders']
>>> [c.label for c in complete("SELECT o. FROM orders o", 9, {"orders": ["id", "total"]})]
['id', 'total']
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from .plurals import singular

# Tok, tokenize, SchemaIndex, TableRef, ColumnInfo, TableInfo are re-exported as part of this API.
from .sql_lexer import Tok, tokenize
from .sql_scope import (
    COMPOUND,
    JOIN_WORDS,
    ColumnInfo,
    Group,
    SchemaIndex,
    TableInfo,
    TableRef,
    build_groups,
    collect_ctes,
    is_name,
    is_op,
    is_word,
    items_before,
    just_joined,
    path_to,
    ref_columns,
    scope_at,
    select_aliases,
)
from .sql_words import (
    AFTER_OPERAND_KEYWORDS,
    AFTER_TABLE_KEYWORDS,
    AFTER_TARGET_KEYWORDS,
    EXPRESSION_KEYWORDS,
    FUNCTIONS,
    KEYWORDS,
    PRAGMAS,
    RESERVED,
    STATEMENT_KEYWORDS,
    TABLE_PRAGMAS,
)

__all__ = [
    "ColumnInfo", "Completion", "CursorContext", "Group", "SchemaIndex", "Suggestion", "TableInfo", "TableRef",
    "Tok", "analyse", "complete", "suggest_type", "tokenize",
]

# Keywords after which an operand (column, function, literal) is expected.
_OPERAND_AFTER = frozenset({
    "AND", "OR", "NOT", "LIKE", "GLOB", "REGEXP", "MATCH", "IS", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE",
    "DISTINCT", "ALL", "ESCAPE", "ON", "WHERE", "HAVING", "BY", "SELECT", "SET", "RETURNING", "LIMIT",
    "OFFSET", "IN", "EXISTS", "FILTER", "VALUES",
})
_CLAUSES = frozenset({
    "SELECT", "FROM", "JOIN", "WHERE", "ON", "USING", "HAVING", "BY", "SET", "INTO", "UPDATE", "TABLE",
    "VIEW", "INDEX", "TRIGGER", "VALUES", "LIMIT", "OFFSET", "RETURNING", "PRAGMA", "WITH", "WINDOW",
    "UNION", "INTERSECT", "EXCEPT",
})


# ------------------------------------------------------------------------------------ context objects


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "keyword" | "function" | "table" | "column" | "alias" | "join" | "pragma"
    tables: tuple[TableRef, ...] = ()
    qualifier: str | None = None
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class CursorContext:
    prefix: str  # the word typed so far, without an opening quote
    start: int  # offset where that word (with its opening quote, if any) begins
    quoted: bool = False
    suggestions: tuple[Suggestion, ...] = ()
    ctes: tuple[TableRef, ...] = field(default=(), compare=False)


class Completion(NamedTuple):
    # A NamedTuple, not a dataclass: a completion menu may build thousands per keystroke.
    label: str
    kind: str
    detail: str
    insert_text: str
    start: int = 0  # replace text[start:cursor] with insert_text

    @property
    def text(self) -> str:  # alias: what prompt-toolkit calls the inserted text
        return self.insert_text

    @property
    def display(self) -> str:  # alias: what prompt-toolkit calls the shown label
        return self.label


# ------------------------------------------------------------------------------------------- analysis


def suggest_type(full_text: str, text_before_cursor: str, schema=None) -> tuple[Suggestion, ...]:
    """litecli-style entry point: suggestion kinds for the cursor at the end of *text_before_cursor*."""
    return analyse(full_text, len(text_before_cursor), schema).suggestions


def analyse(text: str, cursor: int | None = None, schema=None) -> CursorContext:
    """Work out what can go at *cursor* in *text* (see the module docstring)."""
    if cursor is None:
        cursor = len(text)
    cursor = max(0, min(cursor, len(text)))
    index = SchemaIndex.of(schema)
    toks = tokenize(text)

    # The token under the cursor decides whether we are in a word, a string or a comment.
    prefix, start, quoted = "", cursor, False
    at = None
    for t in toks:
        if t.start < cursor <= t.end:
            at = t
            break
        if t.start >= cursor:
            break
    if at is not None:
        if at.kind in ("string", "bcomment", "qident") and (cursor < at.end or not at.terminated):
            if at.kind != "qident":
                return CursorContext("", cursor)
            prefix, start, quoted = text[at.start + 1:cursor], at.start, True
        elif at.kind == "lcomment":
            return CursorContext("", cursor)
        elif at.kind in ("number", "param"):
            return CursorContext(text[at.start:cursor], at.start)
        elif at.kind == "word":
            prefix, start = text[at.start:cursor], at.start
    if at is not None and at.kind in ("word", "qident") and at.start == start:
        toks = [t for t in toks if t is not at]

    # Only the statement around the cursor matters.
    sig = [t for t in toks if t.kind not in ("lcomment", "bcomment")]
    lo, hi = 0, len(sig)
    for i, t in enumerate(sig):
        if t.kind == "op" and t.text == ";":
            if t.end <= start:
                lo = i + 1
            elif t.start >= cursor:
                hi = i
                break
    stmt = sig[lo:hi]
    root = build_groups(stmt)
    path = path_to(root, start)
    ctes = collect_ctes(path, index)
    suggestions = _suggest(path, start, index, ctes)
    return CursorContext(prefix, start, quoted, tuple(suggestions), tuple(ctes))



def _suggest(path: list[Group], pos: int, index: SchemaIndex, ctes: list[TableRef]) -> list[Suggestion]:
    g = path[-1]
    before = items_before(g, pos)
    query = next(q for q in reversed(path) if q.is_query)
    scope = scope_at(path, pos, index, ctes)

    # `alias.` / `table.` / `main.`
    if len(before) >= 2 and is_op(before[-1], ".") and before[-1].end == pos and isinstance(before[-2], Tok) \
            and before[-2].kind in ("word", "qident"):
        qual = before[-2].value
        clause = _clause(before[:-2])
        if qual.lower() in ("main", "temp") or (clause and clause.upper in ("FROM", "JOIN", "INTO", "UPDATE",
                                                                             "TABLE")):
            return [Suggestion("table")]
        return [Suggestion("column", scope, qualifier=qual)]

    if not g.is_query:
        return _suggest_in_parens(path, before, scope, index)

    if not before:
        if g.parent is None:
            return [Suggestion("keyword", words=STATEMENT_KEYWORDS)]
        return _expression(scope, extra=("SELECT", "WITH", "VALUES"))

    prev = before[-1]
    clause = _clause(before)
    word = clause.upper if clause is not None else ""
    if is_word(prev, "AS") and word != "CAST":
        return []  # naming an alias or a CTE
    if word == "WITH" or (word == "" and g.first_word() == "WITH"):
        return []  # naming a CTE
    if word in ("FROM", "JOIN"):
        if prev is clause or is_op(prev, ","):
            return [Suggestion("table")]
        if is_word(prev) and prev.upper in JOIN_WORDS:
            return [Suggestion("keyword", words=("JOIN", "OUTER JOIN"))]
        return [Suggestion("keyword", words=AFTER_TABLE_KEYWORDS)]
    if word in ("INTO", "UPDATE") or (word == "TABLE" and query.first_word() != "CREATE"):
        if prev is clause or is_word(prev, "OR", "IF", "EXISTS", "ROLLBACK", "ABORT", "REPLACE", "FAIL",
                                      "IGNORE") and word != "INTO":
            return [Suggestion("table")]
        if prev is clause:
            return [Suggestion("table")]
        return [Suggestion("keyword", words=AFTER_TARGET_KEYWORDS[word])]
    if word in ("TABLE", "VIEW", "TRIGGER") or (word == "INDEX" and prev is clause):
        return []  # naming a new object
    if word == "PRAGMA":
        return [Suggestion("pragma")] if prev is clause else []
    if word == "ON" and query.first_word() == "CREATE":
        return [Suggestion("table")] if prev is clause else []
    if word == "USING":
        return [Suggestion("keyword", words=AFTER_TABLE_KEYWORDS)]
    if word in ("LIMIT", "OFFSET"):
        return [Suggestion("keyword", words=("OFFSET",))] if prev is not clause else []
    if word in COMPOUND:
        return [Suggestion("keyword", words=("SELECT", "ALL", "VALUES"))]

    if word == "":
        return [Suggestion("keyword", words=KEYWORDS)]
    # Expression clauses: SELECT, WHERE, ON, HAVING, GROUP/ORDER/PARTITION BY, SET, VALUES, RETURNING.
    if _operand_expected(before, clause):
        out = []
        if word == "ON" and prev is clause:
            joined = just_joined(scope, clause.start)
            if joined is not None:
                out.append(Suggestion("join", tuple(r for r in scope if r.start <= clause.start)))
        if word in ("BY", "HAVING"):
            aliases = select_aliases(query, pos)
            if aliases:
                out.append(Suggestion("column", (TableRef("SELECT", None, "output", aliases),)))
        return out + _expression(scope)
    heads = _AFTER_OPERAND_HEADS.get(word, ())
    tail = AFTER_TABLE_KEYWORDS if word == "ON" else ()
    return [Suggestion("keyword", words=heads + AFTER_OPERAND_KEYWORDS + tail)]


# Per clause, the keywords most likely after a finished operand (the rest follow in the usual order).
_AFTER_OPERAND_HEADS = {
    "WHERE": ("AND", "OR"), "ON": ("AND", "OR", "WHERE", "JOIN"), "HAVING": ("AND", "OR"),
    "BY": ("ASC", "DESC", "LIMIT"), "SET": ("WHERE",),
}


def _expression(scope: tuple[TableRef, ...], extra: tuple[str, ...] = ()) -> list[Suggestion]:
    return [Suggestion("column", scope), Suggestion("function"), Suggestion("alias", scope),
            Suggestion("keyword", words=EXPRESSION_KEYWORDS + extra)]


def _clause(before: list):
    """The last clause-starting keyword at this level (GROUP BY counts as BY)."""
    for it in reversed(before):
        if isinstance(it, Tok) and it.kind == "word" and it.upper in _CLAUSES:
            return it
    return None


def _operand_expected(before: list, clause: Tok) -> bool:
    prev = before[-1]
    if prev is clause:
        return True
    if isinstance(prev, Group):
        return False
    if prev.kind == "op":
        if prev.text == "*":
            # `SELECT *` / `, *` is the star column, not multiplication.
            p2 = before[-2] if len(before) >= 2 else None
            return not (p2 is None or is_word(p2, "SELECT", "DISTINCT", "ALL") or is_op(p2, ",", "."))
        return prev.text not in (")",)
    if prev.kind == "word":
        return prev.upper in _OPERAND_AFTER
    return False


def _suggest_in_parens(path: list[Group], before: list, scope, index: SchemaIndex) -> list[Suggestion]:
    g = path[-1]
    parent = g.parent
    pos_in_parent = parent.items.index(g)
    ahead = parent.items[pos_in_parent - 1] if pos_in_parent else None
    ahead2 = parent.items[pos_in_parent - 2] if pos_in_parent >= 2 else None
    expecting = not before or is_op(before[-1], ",")
    clause = _clause(parent.items[:pos_in_parent])
    stmt_first = path[0].first_word()

    if isinstance(ahead, Tok) and ahead.kind == "word" and ahead.text.lower() in TABLE_PRAGMAS and \
            stmt_first == "PRAGMA":
        return [Suggestion("table")] if not before else []
    if is_name(ahead) and clause is not None and clause.upper in ("INTO", "INDEX", "ON", "TABLE"):
        if clause.upper == "TABLE" and stmt_first == "CREATE":
            return []  # column definitions of a new table
        # INSERT INTO t (a, b, |) or CREATE INDEX i ON t (|): columns of that table only.
        ref = TableRef(ahead.value, None, "table", None, ahead.start)
        return [Suggestion("column", (ref,))] if expecting else []
    if is_word(ahead, "USING"):
        return [Suggestion("column", scope)] if expecting else []
    if is_word(ahead, "CAST") and before and is_word(before[-1], "AS"):
        return [Suggestion("keyword", words=("INTEGER", "TEXT", "REAL", "NUMERIC", "BLOB"))]
    if before and is_word(before[-1], "AS"):
        return []
    if is_word(ahead, "AS") and ahead2 is not None and stmt_first == "WITH":
        return []
    # Function arguments, IN lists, VALUES rows, bracketed expressions.
    if not before or _operand_expected(before, None):
        extra = ("SELECT",) if (not before and (is_word(ahead, "IN", "EXISTS") or ahead is None
                                                 or is_op(ahead))) else ()
        return _expression(scope, extra)
    return [Suggestion("keyword", words=AFTER_OPERAND_KEYWORDS)]


# -------------------------------------------------------------------------------------------- ranking


def complete(text: str, cursor: int | None = None, schema=None, *, limit: int | None = None) -> list[Completion]:
    """Ranked completions at *cursor* (see the module docstring)."""
    index = SchemaIndex.of(schema)
    ctx = analyse(text, cursor, index)
    if not ctx.suggestions:
        return []
    p = ctx.prefix.lower()
    fuzzy = re.compile(".*?".join(map(re.escape, p))).search if p else None
    keyword_lower = bool(ctx.prefix) and ctx.prefix.islower()
    seen: set[tuple[str, str]] = set()
    ranked: list[tuple] = []
    cands: list[tuple[str, str, str, str]] = []
    # Rank tuples first and build Completion objects only for what is returned: a 200-table schema
    # yields thousands of column candidates when no FROM is typed yet.
    for prio, sug in enumerate(ctx.suggestions):
        for label, kind, detail, insert, sub in _candidates(sug, index, ctx, keyword_lower):
            low = label.lower()
            if p and not low.startswith(p):
                m = fuzzy(low)
                if m is None:
                    continue
                rank = (1, m.end() - m.start(), m.start(), prio, low)
            else:
                # `sub` keeps curated keyword lists in order and CTEs before tables; names sort alphabetically.
                rank = (0, prio, sub, 0, low)
            key = (low, kind)
            if key in seen:
                continue
            seen.add(key)
            ranked.append((rank, len(cands)))
            cands.append((label, kind, detail, insert))
    best = heapq.nsmallest(limit, ranked) if limit else sorted(ranked)
    return [Completion(*cands[i], ctx.start) for _, i in best]


@lru_cache(maxsize=65536)
def _bare_ident(name: str) -> str:
    if not _SIMPLE.match(name) or name.upper() in RESERVED:
        return '"' + name.replace('"', '""') + '"'
    return name


def _ident(name: str, ctx: CursorContext) -> str:
    if ctx.quoted:
        return '"' + name.replace('"', '""') + '"'
    return _bare_ident(name)


_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*\Z")


def _candidates(sug: Suggestion, index: SchemaIndex, ctx: CursorContext,
                keyword_lower: bool) -> Iterator[tuple[str, str, str, str, int]]:
    """(label, kind, detail, insert_text, tie-break rank) for one suggestion kind."""
    k = sug.kind
    if k == "keyword":
        for n, w in enumerate(sug.words):
            yield w, "keyword", "keyword", w.lower() if keyword_lower else w, n
    elif k == "function":
        for f in FUNCTIONS:
            yield f, "function", "function", f, 0
    elif k == "pragma":
        for name in PRAGMAS:
            yield name, "pragma", "pragma", name, 0
    elif k == "table":
        for c in ctx.ctes:
            yield c.name, "table", "CTE", _ident(c.name, ctx), 0
        for t in index.tables.values():
            yield t.name, "table", f"table ({len(t.columns)} columns)", _ident(t.name, ctx), 1
    elif k == "alias":
        for r in sug.tables:
            if r.alias:
                yield r.alias, "alias", f"alias of {r.name}", _ident(r.alias, ctx), 0
            elif r.kind != "subquery":
                yield r.name, "alias", r.kind, _ident(r.name, ctx), 0
    elif k == "column":
        for label, kind, detail, insert in _column_candidates(sug, index, ctx):
            yield label, kind, detail, insert, 0
    elif k == "join":
        for label, kind, detail, insert in _join_candidates(sug.tables, index):
            yield label, kind, detail, insert, 0


def _column_candidates(sug: Suggestion, index: SchemaIndex, ctx: CursorContext):
    if sug.qualifier is not None:
        q = sug.qualifier.lower()
        ref = next((r for r in sug.tables if r.ref_name.lower() == q), None)
        if ref is None:
            ref = next((r for r in sug.tables if r.name.lower() == q and r.kind != "subquery"), None)
        if ref is None:
            cte = next((c for c in ctx.ctes if c.name.lower() == q), None)
            ref = cte or TableRef(sug.qualifier)
        yield from _columns_with_types(ref, index, ctx)
        return
    if sug.tables:
        owners: dict[str, list] = {}
        for ref in sug.tables:
            for name, detail in _columns_with_types_raw(ref, index):
                owners.setdefault(name, []).append((ref, detail))
        for name, refs in owners.items():
            if len(refs) == 1:
                detail = refs[0][1]
            else:
                detail = "in " + ", ".join(r.ref_name for r, _ in refs)
            yield name, "column", detail, _ident(name, ctx)
        return
    # No FROM yet: every column of the database once a letter is typed, so `SELECT na|` still helps.
    # Pre-filtered here with the same subsequence test the ranking uses: this list can be thousands long.
    # At most GLOBAL_COLUMNS of them, prefix matches before fuzzy ones: past that, a menu is noise.
    if not ctx.prefix:
        return
    p = ctx.prefix.lower()
    entries = index.distinct_columns()
    picked = [e for e in entries if e[1].startswith(p)]
    if len(picked) > GLOBAL_COLUMNS:
        picked = heapq.nsmallest(GLOBAL_COLUMNS, picked, key=lambda e: e[1])
    elif len(picked) < GLOBAL_COLUMNS:
        match = re.compile(".*?".join(map(re.escape, p))).search
        fuzzy = [e for e in entries if not e[1].startswith(p) and match(e[1])]
        picked += fuzzy[: GLOBAL_COLUMNS - len(picked)]
    for col, _, detail in picked:
        yield col, "column", detail, _ident(col, ctx)


GLOBAL_COLUMNS = 200  # columns offered from the whole database before any FROM is typed


def _columns_with_types_raw(ref: TableRef, index: SchemaIndex):
    if ref.columns is not None:
        for c in ref.columns:
            yield c, "alias in SELECT" if ref.kind == "output" else f"{ref.ref_name}.{c}"
        return
    t = index.table(ref.name)
    if t is None:
        return
    for c in t.columns:
        yield c.name, f"{t.name}.{c.name}" + (f" {c.type}" if c.type else "")


def _columns_with_types(ref: TableRef, index: SchemaIndex, ctx: CursorContext):
    for name, detail in _columns_with_types_raw(ref, index):
        yield name, "column", detail, _ident(name, ctx)


def _join_candidates(refs: tuple[TableRef, ...], index: SchemaIndex):
    """`a.x = b.y` conditions linking the table just joined to the ones before it: declared foreign keys
    first, then the `<table>_id = <table>.id` naming convention."""
    if len(refs) < 2:
        return
    new = max(refs, key=lambda r: r.start)
    for old in refs:
        if old is new:
            continue
        for a, ca, b, cb in _links(new, old, index):
            label = f"{_q(a.ref_name)}.{_q(ca)} = {_q(b.ref_name)}.{_q(cb)}"
            yield label, "join", f"join {new.name} to {old.name}", label


def _q(name: str) -> str:
    return name if _SIMPLE.match(name) and name.upper() not in RESERVED else '"' + name.replace('"', '""') + '"'


def _links(x: TableRef, y: TableRef, index: SchemaIndex):
    tx, ty = index.table(x.name), index.table(y.name)
    cx = ref_columns(x, index)
    cy = ref_columns(y, index)
    found = []
    for (t, a, b) in ((tx, x, y), (ty, y, x)):
        if t is None:
            continue
        for cols, ref_table, ref_cols in t.foreign_keys:
            other = b.name.lower()
            if ref_table.lower() == other and len(cols) == 1:
                target = ref_cols[0] if ref_cols and ref_cols[0] else (_pk(index, b.name) or "rowid")
                found.append((a, cols[0], b, target))
    if found:
        return found
    lx, ly = {c.lower(): c for c in cx}, {c.lower(): c for c in cy}
    for (a, la, b, lb) in ((x, lx, y, ly), (y, ly, x, lx)):
        for stem in _stems(b.name):
            col = la.get(stem + "_id")
            if col and "id" in lb:
                found.append((a, col, b, lb["id"]))
                break
    if not found:
        for low, col in lx.items():
            if low in ly and low.endswith("_id"):
                found.append((x, col, y, ly[low]))
    return found


def _pk(index: SchemaIndex, table: str) -> str | None:
    t = index.table(table)
    if t is None:
        return None
    return next((c.name for c in t.columns if c.name.lower() == "id"), None)


def _stems(name: str) -> list[str]:
    low = name.lower()
    one = singular(low)
    return [low] if one == low else [low, one]
