"""Live schemas of the databases open documents point at.

A schema is read once and kept until `schema_version` (PRAGMA schema_version + file identity) says it
changed. Checking the version costs a connection and one PRAGMA, so requests reuse a recent check
(`max_age_s`) and a background poll (or the daemon's schema_changed notice) does the rest. Row counts
are counted per table on first hover, not for all tables up front: a big table costs a scan.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nichelm.assistant.errors import DatabaseError
from nichelm.assistant.schema import Schema, read_schema, schema_version
from nichelm.assistant.sqlite_io import connect_readonly


@dataclass
class Entry:
    schema: Schema | None
    key: str  # schema version key ("" when unreadable)
    error: DatabaseError | None = None
    checked_at: float = 0.0
    row_counts: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, list[str]] = field(default_factory=dict)


class SchemaStore:
    """Schemas by resolved database path; thread-safe (diagnostics run in worker threads)."""

    def __init__(self, max_age_s: float = 1.0):
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}

    def get(self, path: Path, *, fresh: bool = False) -> Entry:
        """The entry for *path*, re-checked when older than max_age_s (or always with fresh=True).
        Never raises: an unreadable database gives an entry with `error` set."""
        key = str(path)
        with self._lock:
            entry = self._entries.get(key)
        now = time.monotonic()
        # An unreadable database is looked at again on every request: it is cheap (no schema to read)
        # and the user is likely fixing it right now.
        if entry is not None and entry.error is None and not fresh and now - entry.checked_at < self.max_age_s:
            return entry
        entry = self._refresh(path, entry)
        with self._lock:
            self._entries[key] = entry
        return entry

    def _refresh(self, path: Path, old: Entry | None) -> Entry:
        now = time.monotonic()
        try:
            version = schema_version(path)
            if old is not None and old.schema is not None and old.key == version.key:
                old.checked_at = now
                return old
            schema = read_schema(path)
        except DatabaseError as exc:
            return Entry(None, "", exc, now)
        except OSError as exc:  # deleted between the check and the read
            return Entry(None, "", DatabaseError(f"{path}: {exc}"), now)
        return Entry(schema, schema.version.key if schema.version else "", None, now,
                     metadata=schema.as_dict())

    def cached(self, path: Path) -> Entry | None:
        """The entry as it is, without touching the file (for the event loop's hot path)."""
        with self._lock:
            return self._entries.get(str(path))

    def changed(self, path: Path) -> bool:
        """Re-check *path* now; True when its schema (or readability) differs from the cached one."""
        key = str(path)
        with self._lock:
            old = self._entries.get(key)
        before = (old.key, old.error and old.error.message) if old else None
        new = self.get(path, fresh=True)
        return before != (new.key, new.error and new.error.message)

    def paths(self) -> list[Path]:
        with self._lock:
            return [Path(p) for p in self._entries]

    def forget(self, path: Path) -> None:
        with self._lock:
            self._entries.pop(str(path), None)

    def row_count(self, path: Path, table: str) -> int | None:
        """Rows in *table*, counted once per schema version; None when it cannot be counted."""
        entry = self.get(path)
        if entry.schema is None:
            return None
        if table in entry.row_counts:
            return entry.row_counts[table]
        try:
            con = connect_readonly(path)
            try:
                n = con.execute(f'SELECT count(*) FROM "{table.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
            finally:
                con.close()
        except Exception:  # locked, deleted, a virtual table without its module: just no count
            return None
        entry.row_counts[table] = n
        return n
