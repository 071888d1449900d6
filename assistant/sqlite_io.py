"""Open SQLite files safely and run SQL on them with a time limit and a row cap.

Generated SQL runs on a read-only connection (`mode=ro` URI plus `PRAGMA query_only`), so even a
statement that slipped past validation cannot change the file. Writes need `allow_writes=True`,
which only an explicit user action sets.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .errors import (
    DatabaseError,
    DatabaseMissing,
    NicheError,
    NotADatabase,
    QueryError,
    QueryTimeout,
    WriteRefused,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 1000
LOOKUP_TIMEOUT_S = 2.0  # an answer check's lookup scans a column at most once


def check_database_file(path: str | os.PathLike) -> Path:
    """Return the resolved path of an existing SQLite file, or raise a clear DatabaseError."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DatabaseMissing(f"{p}: no such file; give the path of an existing SQLite database")
    if p.is_dir():
        raise DatabaseMissing(f"{p}: is a directory, not a SQLite database file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(16)
    except PermissionError as exc:
        raise DatabaseError(f"{p}: cannot read the file: permission denied") from exc
    if head and head != SQLITE_MAGIC:
        raise NotADatabase(f"{p}: not a SQLite database (its header is not 'SQLite format 3')")
    return p.resolve()


def connect_readonly(path: str | os.PathLike, *, busy_timeout_s: float = 2.0) -> sqlite3.Connection:
    """A connection that cannot write: read-only URI and query_only."""
    p = check_database_file(path)
    uri = f"file:{quote(str(p))}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False)
        con.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError.from_sqlite(p, exc) from exc
    return con


def connect_readwrite(path: str | os.PathLike, *, busy_timeout_s: float = 2.0) -> sqlite3.Connection:
    p = check_database_file(path)
    try:
        return sqlite3.connect(str(p), timeout=busy_timeout_s, check_same_thread=False)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError.from_sqlite(p, exc) from exc


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool = False
    elapsed_s: float = 0.0
    rows_changed: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "columns": self.columns,
            "rows": [[_jsonable(v) for v in r] for r in self.rows],
            "truncated": self.truncated,
            "elapsed_s": round(self.elapsed_s, 4),
            "rows_changed": self.rows_changed,
        }


def _jsonable(v):
    if isinstance(v, bytes):
        return f"<{len(v)} bytes>"
    return v


class _Deadline:
    """Progress handler that aborts a statement once its time is up or a cancel flag is set."""

    def __init__(self, timeout_s: float | None, cancel=None):
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.cancel = cancel
        self.fired = False

    def __call__(self) -> int:
        if (self.deadline is not None and time.monotonic() > self.deadline) or (
            self.cancel is not None and self.cancel.is_set()
        ):
            self.fired = True
            return 1
        return 0


def run_query(
    con: sqlite3.Connection,
    sql: str,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    cancel=None,
) -> QueryResult:
    """Run one statement on *con*, stopping after *timeout_s* and keeping at most *max_rows* rows."""
    guard = _Deadline(timeout_s, cancel)
    con.set_progress_handler(guard, 1000)
    start = time.monotonic()
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        if max_rows is None:
            rows = cur.fetchall()
            truncated = False
        else:
            rows = cur.fetchmany(max_rows + 1)
            truncated = len(rows) > max_rows
            rows = rows[:max_rows]
        changed = con.total_changes
    except sqlite3.OperationalError as exc:
        if guard.fired:
            raise QueryTimeout(
                f"query stopped after {timeout_s:g} s" if not (cancel and cancel.is_set()) else "query cancelled"
            ) from exc
        low = str(exc).lower()
        if "readonly" in low or "read-only" in low or "query_only" in low or "attempt to write" in low:
            raise WriteRefused(
                "this statement would change the database; NicheLM runs queries read-only "
                "unless you allow writes explicitly"
            ) from exc
        if "locked" in low or "busy" in low:
            raise DatabaseError.from_sqlite("database", exc) from exc
        raise QueryError(f"SQLite error: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise QueryError(f"SQLite error: {exc}") from exc
    except sqlite3.Warning as exc:  # e.g. "You can only execute one statement at a time."
        raise QueryError(f"SQLite: {exc}") from exc
    finally:
        con.set_progress_handler(None, 0)
    return QueryResult(columns, rows, truncated, time.monotonic() - start, changed)


def execute_readonly(
    path: str | os.PathLike,
    sql: str,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    cancel=None,
) -> QueryResult:
    """Open *path* read-only, run *sql*, close. The file is never modified."""
    con = connect_readonly(path)
    try:
        return run_query(con, sql, timeout_s=timeout_s, max_rows=max_rows, cancel=cancel)
    finally:
        con.close()


def prepare_error(path: str | os.PathLike, sql: str) -> str | None:
    """SQLite's own message when *sql* cannot even be prepared on the database at *path* (unknown
    table or column, syntax, misuse of an aggregate...), else None. Runs `EXPLAIN`, which compiles the
    statement without executing it: cheap, read-only, and no query time limit is needed."""
    con = connect_readonly(path)
    try:
        con.execute("EXPLAIN " + sql).fetchmany(1)
        return None
    except (sqlite3.DatabaseError, sqlite3.Warning) as exc:
        return str(exc)
    finally:
        con.close()


def execute_write(path: str | os.PathLike, sql: str, *, timeout_s: float | None = DEFAULT_TIMEOUT_S,
                  max_rows: int | None = DEFAULT_MAX_ROWS) -> QueryResult:
    """Run *sql* with writes allowed and commit. Callers must only use this on an explicit user request."""
    con = connect_readwrite(path)
    try:
        before = con.total_changes
        result = run_query(con, sql, timeout_s=timeout_s, max_rows=max_rows)
        con.commit()
        result.rows_changed = con.total_changes - before
        return result
    finally:
        con.close()


def quoted(name: str) -> str:
    """*name* (a table's or a column's) as an SQL identifier that any name survives: "order items", a"b."""
    return '"' + name.replace('"', '""') + '"'


def lookup(db_path: str | os.PathLike, sql: str, max_rows: int) -> list | None:
    """The rows of a small read-only query an answer check makes on the user's file (at most *max_rows*, at most
    LOOKUP_TIMEOUT_S); None when it fails or runs out of time, so that a check stays silent rather than failing."""
    try:
        return execute_readonly(db_path, sql, timeout_s=LOOKUP_TIMEOUT_S, max_rows=max_rows).rows
    except NicheError:
        return None
