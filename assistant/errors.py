"""Error types with stable codes. The daemon sends `code` to clients; messages are for people."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


class NicheError(Exception):
    code = "internal_error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, **({"details": self.details} if self.details else {})}


class DatabaseError(NicheError):
    code = "database_error"

    @classmethod
    def from_sqlite(cls, path: Path | str, exc: Exception) -> "DatabaseError":
        text = str(exc)
        low = text.lower()
        if "locked" in low or "busy" in low:
            return DatabaseLocked(f"{path}: the database is locked by another process; try again when it is free")
        if "not a database" in low or "malformed" in low or "file is encrypted" in low:
            return NotADatabase(f"{path}: not a SQLite database (or it is corrupt): {text}")
        if "unable to open" in low:
            return DatabaseMissing(f"{path}: cannot open the database: {text}")
        return cls(f"{path}: {text}")


class DatabaseMissing(DatabaseError):
    code = "database_missing"


class NotADatabase(DatabaseError):
    code = "not_a_database"


class DatabaseLocked(DatabaseError):
    code = "database_locked"


class QueryError(NicheError):
    """The SQL failed when SQLite ran it."""

    code = "query_error"


class QueryTimeout(QueryError):
    code = "query_timeout"


class WriteRefused(QueryError):
    code = "write_refused"


class ModelError(NicheError):
    code = "model_error"


class ModelNotFound(ModelError):
    code = "model_not_found"


class HashMismatch(ModelError):
    code = "hash_mismatch"


class NoSQLFound(NicheError):
    """The model's output held nothing that looks like a SQL statement."""

    code = "no_sql"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a SQL text, with a 0-based character range into it."""

    message: str
    start: int = 0
    end: int = 0
    severity: str = "error"  # "error" | "warning"
    kind: str = "syntax"  # "syntax" | "unknown_table" | "unknown_column" | "ambiguous" | "multiple" | "check" | "precedence"

    def line_col(self, text: str) -> tuple[int, int]:
        """0-based (line, column) of `start` in *text*."""
        before = text[: self.start]
        return before.count("\n"), self.start - (before.rfind("\n") + 1)

    def to_json(self) -> dict:
        return {"message": self.message, "start": self.start, "end": self.end,
                "severity": self.severity, "kind": self.kind}


def is_sqlite_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error)
