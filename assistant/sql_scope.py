"""The structure of one SQL statement as far as completion needs it: parenthesised groups, the CTEs,
and the tables (with aliases) in scope at a position; plus the schema metadata those refer to.

Pure functions over tokens from `sql_lexer`; used by `completion`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .sql_lexer import Tok, tokenize
from .sql_words import RESERVED, TABLE_FUNCTIONS

# --------------------------------------------------------------------------------------------- schema


class ColumnInfo(NamedTuple):
    name: str
    type: str = ""


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[ColumnInfo, ...]
    # (columns, referenced table, referenced columns)
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


class SchemaIndex:
    """Schema metadata prepared for completion: tables by lower-cased name, in schema order."""

    def __init__(self, tables: Iterable[TableInfo] = ()):
        self.tables: dict[str, TableInfo] = {}
        for t in tables:
            self.tables.setdefault(t.name.lower(), t)
        self._all_columns: list[tuple[str, str]] | None = None
        self._distinct: list[tuple[str, str]] | None = None

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name.lower())

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tables.values()]

    def all_columns(self) -> list[tuple[str, str]]:
        """(column, table) pairs of every table, computed once."""
        if self._all_columns is None:
            self._all_columns = [(c.name, t.name) for t in self.tables.values() for c in t.columns]
        return self._all_columns

    def distinct_columns(self) -> list[tuple[str, str, str]]:
        """(column, lower-cased, where) once per column name: where is its table, or the first and a count."""
        if self._distinct is None:
            owners: dict[str, list[str]] = {}
            for col, table in self.all_columns():
                owners.setdefault(col, []).append(table)
            self._distinct = [
                (col, col.lower(), ts[0] if len(ts) == 1 else f"{ts[0]} +{len(ts) - 1} tables")
                for col, ts in owners.items()
            ]
        return self._distinct

    @classmethod
    def of(cls, schema) -> SchemaIndex:
        if schema is None:
            return cls()
        if isinstance(schema, SchemaIndex):
            return schema
        if hasattr(schema, "tables") and not isinstance(schema, dict):  # nichelm.assistant.schema.Schema
            # Schema objects are immutable, so the index of the last few can be reused safely.
            for held, index in _SCHEMA_INDEXES:
                if held is schema:
                    return index
            index = cls._from_schema(schema)
            _SCHEMA_INDEXES.insert(0, (schema, index))
            del _SCHEMA_INDEXES[4:]
            return index
        return cls(TableInfo(name, _columns_of(cols)) for name, cols in schema.items())

    @classmethod
    def _from_schema(cls, schema) -> SchemaIndex:
        return cls(
                TableInfo(
                    t.name,
                    tuple(ColumnInfo(c.name, c.type or "") for c in t.columns),
                    tuple((tuple(fk.columns), fk.ref_table, tuple(fk.ref_columns)) for fk in t.foreign_keys),
                )
                for t in schema.tables
            )


_SCHEMA_INDEXES: list[tuple[object, SchemaIndex]] = []


def _columns_of(cols) -> tuple[ColumnInfo, ...]:
    if isinstance(cols, dict):
        return tuple(ColumnInfo(str(k), str(v or "")) for k, v in cols.items())
    out = []
    for c in cols or ():
        if isinstance(c, str):
            out.append(ColumnInfo(c))
        elif isinstance(c, (tuple, list)):
            out.append(ColumnInfo(str(c[0]), str(c[1] or "") if len(c) > 1 else ""))
        else:
            out.append(ColumnInfo(str(c)))
    return tuple(out)


@dataclass(frozen=True)
class TableRef:
    """A table source in scope: a real table, a CTE, a subquery or a table-valued function."""

    name: str
    alias: str | None = None
    kind: str = "table"  # "table" | "cte" | "subquery" | "function"
    columns: tuple[str, ...] | None = None  # known from the SQL text (CTE, subquery); None: from the schema
    start: int = 0  # offset of the source in the text (orders refs; the last one before ON was just joined)

    @property
    def ref_name(self) -> str:
        return self.alias or self.name


# ------------------------------------------------------------------------------------- group structure


class Group:
    """A parenthesised part of a statement (or the whole statement as the root)."""

    __slots__ = ("close_tok", "items", "open_tok", "parent")

    def __init__(self, parent: Group | None, open_tok: Tok | None):
        self.items: list = []
        self.parent = parent
        self.open_tok = open_tok
        self.close_tok: Tok | None = None

    @property
    def start(self) -> int:
        return self.open_tok.start if self.open_tok else 0

    @property
    def end(self) -> int:
        return self.close_tok.end if self.close_tok else 1 << 62

    @property
    def kind(self) -> str:
        return "group"

    def first_word(self) -> str:
        for it in self.items:
            return it.upper if isinstance(it, Tok) else ""
        return ""

    @property
    def is_query(self) -> bool:
        return self.parent is None or self.first_word() in ("SELECT", "WITH", "VALUES")


def build_groups(toks: list[Tok]) -> Group:
    root = Group(None, None)
    cur = root
    for t in toks:
        if t.kind == "op" and t.text == "(":
            g = Group(cur, t)
            cur.items.append(g)
            cur = g
        elif t.kind == "op" and t.text == ")":
            if cur.parent is not None:
                cur.close_tok = t
                cur = cur.parent
            # an unmatched ')' is ignored: completion must work on broken input
        else:
            cur.items.append(t)
    return root


def is_word(it, *words: str) -> bool:
    return isinstance(it, Tok) and it.kind == "word" and (not words or it.upper in words)


def is_op(it, *ops: str) -> bool:
    return isinstance(it, Tok) and it.kind == "op" and (not ops or it.text in ops)


def is_name(it) -> bool:
    """A table/column/alias name: a quoted identifier or a word that is not a structural keyword."""
    if not isinstance(it, Tok):
        return False
    return it.kind == "qident" or (it.kind == "word" and it.upper not in STRUCTURAL)


JOIN_WORDS = frozenset({"LEFT", "RIGHT", "FULL", "INNER", "OUTER", "CROSS", "NATURAL"})
STRUCTURAL = RESERVED | JOIN_WORDS | {"OFFSET", "WINDOW", "INDEXED", "RECURSIVE", "MATERIALIZED"}
_FROM_END = frozenset({"WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "WINDOW", "UNION", "INTERSECT",
                       "EXCEPT", "RETURNING", "SET", "VALUES", "SELECT", "DEFAULT", "ON", "USING"})
COMPOUND = frozenset({"UNION", "INTERSECT", "EXCEPT"})


def path_to(root: Group, pos: int) -> list[Group]:
    """Groups from the root down to the innermost one whose parentheses enclose *pos*."""
    path = [root]
    g = root
    while True:
        for it in g.items:
            if isinstance(it, Group) and it.open_tok.end <= pos and (
                it.close_tok is None or pos <= it.close_tok.start
            ):
                g = it
                path.append(g)
                break
        else:
            return path


def items_before(g: Group, pos: int) -> list:
    return [it for it in g.items if (it.close_tok.end if isinstance(it, Group) and it.close_tok
                                      else (it.end if isinstance(it, Tok) else 1 << 62)) <= pos]



# ---------------------------------------------------------------------------------------------- scope


def collect_ctes(path: list[Group], index: SchemaIndex) -> list[TableRef]:
    ctes: list[TableRef] = []
    for g in path:
        if g.is_query and g.first_word() == "WITH":
            defs, _ = _split_with(g)
            for name_tok, cols_group, body in defs:
                if cols_group is not None:
                    cols = tuple(it.value for it in cols_group.items if is_name(it) or is_word(it))
                elif body is not None:
                    cols = _output_columns(body, index, ctes, depth=0)
                else:
                    cols = ()
                ctes.append(TableRef(name_tok.value, None, "cte", cols, name_tok.start))
    return ctes


def _split_with(g: Group) -> tuple[list, list]:
    """CTE definitions (name, column group, body group) and the items of the main statement."""
    items = g.items
    i = 1
    if i < len(items) and is_word(items[i], "RECURSIVE"):
        i += 1
    defs = []
    while i < len(items) and is_name(items[i]):
        name = items[i]
        i += 1
        cols = None
        if i < len(items) and isinstance(items[i], Group):
            cols = items[i]
            i += 1
        if i < len(items) and is_word(items[i], "AS"):
            i += 1
        while i < len(items) and is_word(items[i], "NOT", "MATERIALIZED"):
            i += 1
        body = None
        if i < len(items) and isinstance(items[i], Group):
            body = items[i]
            i += 1
        defs.append((name, cols, body))
        if i < len(items) and is_op(items[i], ","):
            i += 1
        else:
            break
    return defs, items[i:]


def _core_items(g: Group, pos: int | None = None) -> list:
    """The items of the SELECT core of *g* that holds *pos* (the first core when *pos* is None)."""
    items = _split_with(g)[1] if g.first_word() == "WITH" else g.items
    cores: list[list] = [[]]
    for it in items:
        if is_word(it, *COMPOUND):
            cores.append([])
        else:
            cores[-1].append(it)
    chosen = cores[0]
    if pos is not None:
        for core in cores:
            if core and core[0].start <= pos:
                chosen = core
    return chosen


def _table_refs(items: list, index: SchemaIndex, ctes: list[TableRef], depth: int) -> list[TableRef]:
    """Table sources named in FROM/JOIN/UPDATE/INTO at this level of a query."""
    refs: list[TableRef] = []
    cte_by = {c.name.lower(): c for c in ctes}
    expect = False
    in_from = False
    i = 0
    n = len(items)
    while i < n:
        it = items[i]
        if is_word(it):
            u = it.upper
            if u in ("FROM", "JOIN", "UPDATE", "INTO"):
                expect, in_from = True, u in ("FROM", "JOIN")
                i += 1
                continue
            if u in _FROM_END:
                expect = False
                in_from = in_from and u in ("ON", "USING")
                i += 1
                continue
            if expect and u in ("OR", "ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE") and not refs[-1:]:
                i += 1
                continue
        if is_op(it, ",") and in_from and not expect:
            expect = True
            i += 1
            continue
        if expect and (is_name(it) or isinstance(it, Group)):
            start = it.start
            if isinstance(it, Group):
                cols = _output_columns(it, index, ctes, depth + 1) if depth < 4 else ()
                ref_name, kind = "(subquery)", "subquery"
                i += 1
            else:
                name = it.value
                i += 1
                if i + 1 < n and is_op(items[i], ".") and is_name(items[i + 1]):
                    name = items[i + 1].value  # schema-qualified: main.orders
                    i += 2
                kind, cols = "table", None
                if i < n and isinstance(items[i], Group):
                    kind, cols = "function", TABLE_FUNCTIONS.get(name.lower(), ())
                    i += 1
                elif name.lower() in cte_by:  # a CTE shadows a table of the same name
                    kind, cols = "cte", cte_by[name.lower()].columns
                ref_name = name
            if i < n and is_word(items[i], "AS"):
                i += 1
            alias = None
            if i < n and is_name(items[i]):
                alias = items[i].value
                i += 1
            refs.append(TableRef(ref_name, alias, kind, cols, start))
            expect = False
            continue
        i += 1
    return refs


def scope_at(path: list[Group], pos: int, index: SchemaIndex, ctes: list[TableRef]) -> tuple[TableRef, ...]:
    """Tables visible at *pos*: the innermost query's sources first, then enclosing queries' ones."""
    refs: list[TableRef] = []
    seen: set[str] = set()
    for g in reversed(path):
        if not g.is_query:
            continue
        for r in _table_refs(_core_items(g, pos), index, ctes, 0):
            key = r.ref_name.lower()
            if key not in seen:
                seen.add(key)
                refs.append(r)
    return tuple(refs)


def _output_columns(g: Group, index: SchemaIndex, ctes: list[TableRef], depth: int) -> tuple[str, ...]:
    """Column names a SELECT in parentheses yields (aliases, plain columns, expanded stars)."""
    items = _core_items(g)
    if not items or not is_word(items[0], "SELECT"):
        return ()
    select_items: list[list] = [[]]
    for it in items[1:]:
        if is_word(it) and it.upper in ("FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "WINDOW"):
            break
        if is_op(it, ","):
            select_items.append([])
        elif not (is_word(it, "DISTINCT", "ALL") and not select_items[-1] and len(select_items) == 1):
            select_items[-1].append(it)
    refs = None
    out: list[str] = []
    for sel in select_items:
        if not sel:
            continue
        last = sel[-1]
        if is_op(last, "*"):
            if refs is None:
                refs = _table_refs(items, index, ctes, depth)
            qual = sel[0].value if len(sel) == 3 and is_op(sel[1], ".") else None
            for r in refs:
                if qual is None or r.ref_name.lower() == qual.lower():
                    out.extend(ref_columns(r, index))
        elif len(sel) >= 2 and is_name(last) and (is_word(sel[-2], "AS") or len(sel) != 3
                                                    or not is_op(sel[-2], ".")) or is_name(last) or (len(sel) == 1 and is_word(last)):
            out.append(last.value)
    return tuple(out)


def outer_sources(sql: str, schema) -> list[TableRef]:
    """The table sources of *sql*'s outermost SELECT (its first core), CTEs with the columns their bodies yield."""
    root = build_groups(tokenize(sql))
    if not root.is_query:
        return []
    index = SchemaIndex.of(schema)
    return _table_refs(_core_items(root), index, collect_ctes([root], index), 0)


def with_kept(repaired_sql: str, failed_sql: str, schema) -> str | None:
    """*repaired_sql* with the WITH clause of *failed_sql* in front, where the repair reads a table that only that
    clause defined and has no WITH of its own (a repair that joined a WITH table and dropped its definition);
    None otherwise."""
    failed = build_groups(tokenize(failed_sql))
    toks = tokenize(repaired_sql)
    if failed.first_word() != "WITH" or build_groups(toks).first_word() == "WITH":
        return None
    defs, rest = _split_with(failed)
    names = {d[0].value.lower() for d in defs} - {n.lower() for n in SchemaIndex.of(schema).names}
    words = {t.value.lower() for t in toks if t.kind in ("word", "qident")}
    if not rest or not names & words:
        return None
    return failed_sql[:rest[0].start].rstrip() + " " + repaired_sql.strip()


def ref_columns(ref: TableRef, index: SchemaIndex) -> tuple[str, ...]:
    if ref.columns is not None:
        return ref.columns
    t = index.table(ref.name)
    return t.column_names if t else ()


def just_joined(scope: tuple[TableRef, ...], on_pos: int) -> TableRef | None:
    cands = [r for r in scope if r.start < on_pos]
    return max(cands, key=lambda r: r.start) if len(cands) >= 2 else None


def select_aliases(g: Group, pos: int) -> tuple[str, ...]:
    """Names given with AS in the select list of the core of *g* holding *pos* (ORDER BY and HAVING
    may use them)."""
    items = _core_items(g, pos)
    if not items or not is_word(items[0], "SELECT"):
        return ()
    out = []
    prev = None
    for it in items[1:]:
        if is_word(it) and it.upper in ("FROM", "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "WINDOW"):
            break
        if is_word(prev, "AS") and is_name(it):
            out.append(it.value)
        prev = it
    return tuple(out)
