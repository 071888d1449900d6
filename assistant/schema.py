"""Read a SQLite file into a typed schema and render it as CREATE TABLE text for the prompt.

The whole schema comes from one connection and a handful of PRAGMA queries; nothing here writes.

>>> import sqlite3, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "t.sqlite")
>>> con = sqlite3.connect(path); _ = con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"); con.close()
>>> print(render_schema(read_schema(path)))
CREATE TABLE t (
  id INTEGER PRIMARY KEY,
  name TEXT
);
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DatabaseError
from .prompt import ENUM_VALUES
from .sqlite_io import connect_readonly


@dataclass(frozen=True)
class Column:
    name: str
    type: str = ""
    notnull: bool = False
    default: str | None = None
    pk: int = 0  # position in the primary key, 0 when not part of it


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    row_count: int | None = None

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in sorted((c for c in self.columns if c.pk), key=lambda c: c.pk))

    def column(self, name: str) -> Column | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)


@dataclass(frozen=True)
class Schema:
    tables: tuple[Table, ...]
    version: "SchemaVersion | None" = None
    examples: dict[str, dict[str, tuple]] = field(default_factory=dict, compare=False, hash=False)
    # {table: columns whose examples are *all* their distinct values (rendered as "one of")}
    complete: dict[str, frozenset] = field(default_factory=dict, compare=False, hash=False)

    def table(self, name: str) -> Table | None:
        low = name.lower()
        return next((t for t in self.tables if t.name.lower() == low), None)

    @property
    def table_names(self) -> list[str]:
        return [t.name for t in self.tables]

    def as_dict(self) -> dict:
        """Plain metadata ({table: [columns]}) for completers and JSON."""
        return {t.name: [c.name for c in t.columns] for t in self.tables}


@dataclass(frozen=True)
class SchemaVersion:
    """Cheap identity of a schema: changes when a table/index is created, altered or dropped,
    or when the file is replaced by another one."""

    path: str
    inode: int
    device: int
    schema_version: int

    def to_json(self) -> dict:
        return {"path": self.path, "inode": self.inode, "device": self.device,
                "schema_version": self.schema_version}

    @property
    def key(self) -> str:
        return f"{self.device}:{self.inode}:{self.schema_version}"


def _quote(name: str) -> str:
    if name.replace("_", "").isalnum() and not name[0].isdigit():
        return name
    return '"' + name.replace('"', '""') + '"'


def schema_version(path: str | os.PathLike, con: sqlite3.Connection | None = None) -> SchemaVersion:
    """Identity of the schema in *path*; raises DatabaseError when it cannot be read."""
    p = Path(path).resolve()
    own = con is None
    con = con or connect_readonly(p)
    try:
        st = p.stat()
        (ver,) = con.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError.from_sqlite(p, exc) from exc
    finally:
        if own:
            con.close()
    return SchemaVersion(str(p), st.st_ino, st.st_dev, int(ver))


def read_schema(path: str | os.PathLike, *, examples: int = 0, row_counts: bool = False,
                enum_values: int = ENUM_VALUES) -> Schema:
    """Read every user table of the SQLite file at *path*.

    examples: how many distinct non-NULL example values to collect per column (0 = none).
    enum_values: with examples, a column with at most this many distinct values gets all of them.
    row_counts: also count the rows of each table (costs a scan on large tables).
    """
    p = Path(path)
    con = connect_readonly(p)
    try:
        version = schema_version(p, con)
        rows = con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
        tables = []
        example_values: dict[str, dict[str, tuple]] = {}
        complete: dict[str, frozenset] = {}
        for (name,) in rows:
            q = _quote(name)
            cols = tuple(
                Column(r[1], r[2] or "", bool(r[3]), r[4], int(r[5]))
                for r in con.execute(f"PRAGMA table_info({q})")
            )
            fks: dict[int, list] = {}
            for r in con.execute(f"PRAGMA foreign_key_list({q})"):
                fks.setdefault(r[0], []).append(r)
            foreign_keys = tuple(
                ForeignKey(tuple(r[3] for r in grp), grp[0][2], tuple((r[4] or "") for r in grp))
                for _, grp in sorted(fks.items())
            )
            indexes = []
            for r in con.execute(f"PRAGMA index_list({q})"):
                idx_cols = tuple(c[2] for c in con.execute(f"PRAGMA index_info({_quote(r[1])})") if c[2])
                indexes.append(Index(r[1], idx_cols, bool(r[2])))
            count = None
            if row_counts:
                count = con.execute(f"SELECT count(*) FROM {q}").fetchone()[0]
            if examples:
                example_values[name], complete[name] = _examples(con, q, cols, examples, enum_values)
            tables.append(Table(name, cols, foreign_keys, tuple(indexes), count))
    except sqlite3.DatabaseError as exc:
        raise DatabaseError.from_sqlite(p, exc) from exc
    finally:
        con.close()
    return Schema(tuple(tables), version, example_values, complete)


_NUMERIC_TYPES = ("INT", "REAL", "FLOA", "DOUB", "NUM", "DEC", "BOOL")


def _wants_examples(c: Column) -> bool:
    """Example values help the model spell values it must match (names, codes, statuses, dates);
    numbers and keys add tokens without telling it anything the type does not."""
    t = c.type.upper()
    if c.pk or any(k in t for k in _NUMERIC_TYPES) or "BLOB" in t:
        return False
    return not c.name.lower().endswith("_id") and c.name.lower() != "id"


ENUM_SAMPLE_ROWS = 100_000  # rows read to decide that a column has few values (bounds the cost)


def _examples(con: sqlite3.Connection, qtable: str, cols: tuple[Column, ...], n: int,
              enum_values: int = 0) -> tuple[dict[str, tuple], frozenset]:
    """({column: example values}, columns whose values are all of the column's distinct values).

    A category column, with at most *enum_values* short distinct values that repeat across rows (a status,
    a type, a country code), is listed in full when the table is small enough (ENUM_SAMPLE_ROWS) for the
    list to be known complete. With enum_values = 0 only the first *n* distinct values are read."""
    out, complete = {}, set()
    table_rows: list[int] = []  # counted once, and only when a column may be a category
    for c in cols:
        if not _wants_examples(c):
            continue
        qc = _quote(c.name)
        present = f"{qc} IS NOT NULL AND {qc} != ''"
        try:
            query = f"SELECT DISTINCT {qc} FROM {qtable} WHERE {present} LIMIT {int(n)}"
            values = [v[0] for v in con.execute(query)]
            if values and all(isinstance(v, (int, float)) for v in values):
                continue  # a column declared as text that holds numbers
            category = enum_values and _category_values(con, qtable, qc, present, enum_values, table_rows)
        except sqlite3.DatabaseError:
            continue
        if category:
            out[c.name] = category
            complete.add(c.name)
        else:
            out[c.name] = tuple(_short(v) for v in values)
    return out, frozenset(complete)


def _category_values(con: sqlite3.Connection, qtable: str, qc: str, present: str, enum_values: int,
                     table_rows: list[int]) -> tuple | None:
    """All distinct values of a category column, or None when it is not one (see _examples)."""
    values = [v[0] for v in con.execute(
        f"SELECT DISTINCT {qc} FROM (SELECT {qc} FROM {qtable} WHERE {present} LIMIT {ENUM_SAMPLE_ROWS}) "
        f"LIMIT {int(enum_values) + 1}")]
    if not 0 < len(values) <= enum_values or any(_short(v) != v for v in values):
        return None
    if not table_rows:
        table_rows.append(con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {qtable} LIMIT {ENUM_SAMPLE_ROWS + 1})").fetchone()[0])
    # Complete only if every row was seen, and a category: its values repeat (names that are unique per
    # row in a small table are not a closed set worth the tokens).
    rows = table_rows[0]
    return tuple(values) if rows <= ENUM_SAMPLE_ROWS and 2 * len(values) <= rows else None


def _short(value, limit: int = 30):
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 3] + "..."
    return value


def render_table(table: Table, examples: dict[str, tuple] | None = None,
                 complete: frozenset = frozenset()) -> str:
    """CREATE TABLE text for one table; example values go in a trailing comment per column
    ("-- one of ..." where they are all of the column's values, "-- e.g. ..." otherwise)."""
    lines = []
    single_pk = len(table.primary_key) == 1
    for c in table.columns:
        parts = [_quote(c.name)]
        if c.type:
            parts.append(c.type)
        if c.pk and single_pk:
            parts.append("PRIMARY KEY")
        elif c.notnull:
            parts.append("NOT NULL")
        lines.append(" ".join(parts))
    if len(table.primary_key) > 1:
        lines.append(f"PRIMARY KEY ({', '.join(_quote(c) for c in table.primary_key)})")
    for fk in table.foreign_keys:
        ref = f" ({', '.join(_quote(c) for c in fk.ref_columns)})" if any(fk.ref_columns) else ""
        lines.append(
            f"FOREIGN KEY ({', '.join(_quote(c) for c in fk.columns)}) REFERENCES {_quote(fk.ref_table)}{ref}"
        )
    body = []
    for i, line in enumerate(lines):
        sep = "," if i < len(lines) - 1 else ""
        comment = ""
        if examples and i < len(table.columns):
            name = table.columns[i].name
            vals = examples.get(name)
            if vals:
                lead = "one of" if name in complete else "e.g."
                comment = f"  -- {lead} " + ", ".join(repr(v) for v in vals)
        body.append(f"  {line}{sep}{comment}")
    return f"CREATE TABLE {_quote(table.name)} (\n" + "\n".join(body) + "\n);"


def render_schema(schema: Schema, tables: list[str] | None = None, *, with_examples: bool = False) -> str:
    """CREATE TABLE text for *tables* (default all), in schema order, separated by blank lines."""
    wanted = None if tables is None else {t.lower() for t in tables}
    parts = [
        render_table(t, schema.examples.get(t.name), schema.complete.get(t.name, frozenset()))
        if with_examples else render_table(t)
        for t in schema.tables
        if wanted is None or t.name.lower() in wanted
    ]
    return "\n\n".join(parts)
