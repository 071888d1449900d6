"""Which SQLite file a document is written against.

In order: a directive comment at the top of the document (`-- nichelm: db=./shop.sqlite`, relative to
the document's folder), the `nichelm.database` setting (relative to the workspace root), the only
.sqlite/.db/.sqlite3 file in the workspace root. The answer says where it came from, or why there is none.

>>> parse_directive("-- a comment\\n-- nichelm: db=./shop.sqlite\\nSELECT 1")
'./shop.sqlite'
>>> parse_directive("SELECT 1\\n-- nichelm: db=x.db") is None
True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_DIRECTIVE = re.compile(r"^\s*--\s*nichelm\s*:\s*(?P<body>.*)$", re.IGNORECASE)
_DB = re.compile(r"""\bdb\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))""", re.IGNORECASE)
DB_SUFFIXES = (".sqlite", ".db", ".sqlite3")
# The directive must come before the first line of code; only this many leading lines are looked at,
# so a huge document costs nothing here.
HEAD_LINES = 50


@dataclass(frozen=True)
class Resolution:
    path: Path | None
    source: str  # "directive" | "setting" | "workspace" | "none"
    problem: str | None = None  # why there is no usable database, for a warning
    directive_line: int | None = None  # where the directive is, to put a diagnostic on it

    @property
    def ok(self) -> bool:
        return self.path is not None and self.problem is None


def parse_directive(text: str) -> str | None:
    """The `db=` value of the nichelm directive in the document's leading comment lines."""
    found = _find_directive(text)
    return found[0] if found else None


def _find_directive(text: str) -> tuple[str, int] | None:
    for i, line in enumerate(text.split("\n", HEAD_LINES)[:HEAD_LINES]):
        s = line.strip()
        if not s:
            continue
        if not s.startswith("--"):
            return None  # code started: a directive further down does not count
        m = _DIRECTIVE.match(s)
        if m:
            db = _DB.search(m.group("body"))
            if db:
                return (db.group("dq") if db.group("dq") is not None else
                        db.group("sq") if db.group("sq") is not None else db.group("bare")), i
    return None


def _expand(value: str, base: Path | None) -> Path:
    p = Path(os.path.expandvars(os.path.expanduser(value)))
    if not p.is_absolute() and base is not None:
        p = base / p
    # Resolved, so that one file reached by two spellings is one schema, and matches the daemon's
    # (resolved) path in its schema_changed notifications.
    return p.resolve()


def _check(p: Path) -> str | None:
    if not p.exists():
        return f"database not found: {p}"
    if p.is_dir():
        return f"database path is a directory: {p}"
    return None


def workspace_candidates(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if p.suffix.lower() in DB_SUFFIXES and p.is_file())
    except OSError:
        return []


def resolve_database(text: str, document_path: Path | None, setting: str | None,
                     workspace_root: Path | None) -> Resolution:
    """Where the database of a document is; never raises."""
    found = _find_directive(text)
    if found:
        value, line = found
        base = document_path.parent if document_path else workspace_root
        p = _expand(value, base)
        return Resolution(p, "directive", _check(p), line)
    if setting:
        p = _expand(setting, workspace_root)
        return Resolution(p, "setting", _check(p))
    if workspace_root is not None:
        cands = workspace_candidates(workspace_root)
        if len(cands) == 1:
            return Resolution(cands[0].resolve(), "workspace")
        if len(cands) > 1:
            names = ", ".join(c.name for c in cands[:5])
            return Resolution(None, "none", f"several databases in the workspace ({names}); choose one with "
                                            "`-- nichelm: db=FILE` at the top of the file or the "
                                            "nichelm.database setting")
    return Resolution(None, "none", "no database: add `-- nichelm: db=FILE` at the top of the file or set "
                                    "nichelm.database")
