"""The server's options, sent by the client as initializationOptions or the `nichelm` section of the
workspace configuration. Bad values produce warnings and the default, never a failure.

>>> s, warnings = Settings.from_client({"nichelm": {"database": "shop.db", "debounceMs": "x"}})
>>> s.database, s.debounce_ms, warnings
('shop.db', 300, ['nichelm.debounceMs: expected a number, got str; using 300'])
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# client key -> (attribute, type)
_KEYS = {
    "database": ("database", str),
    "model": ("model", str),
    "debounceMs": ("debounce_ms", int),
    "diagnostics": ("diagnostics", bool),
    "generate": ("generate", bool),
    "autostartDaemon": ("autostart_daemon", bool),
    "schemaPollMs": ("schema_poll_ms", int),
    "maxDocumentBytes": ("max_document_bytes", int),
}


@dataclass
class Settings:
    database: str | None = None  # path of the SQLite file, relative to the workspace root
    model: str | None = None  # model name or GGUF path for a daemon this server starts (default: the daemon's)
    debounce_ms: int = 300  # wait this long after the last edit before re-checking a document
    diagnostics: bool = True
    generate: bool = True  # offer question-to-SQL (needs the daemon and a model)
    autostart_daemon: bool = True
    schema_poll_ms: int = 1000  # how often to look for schema changes when the daemon cannot tell us
    max_document_bytes: int = 1_000_000  # larger documents get syntax checks on the first part only

    @classmethod
    def from_client(cls, options: Any) -> tuple[Settings, list[str]]:
        """Settings from a client dict; accepts both {"nichelm": {...}} and a bare {...}."""
        s = cls()
        warnings: list[str] = []
        if not isinstance(options, dict):
            if options is not None:
                warnings.append(f"nichelm settings: expected an object, got {type(options).__name__}")
            return s, warnings
        section = options.get("nichelm", options)
        if not isinstance(section, dict):
            return s, [f"nichelm settings: expected an object, got {type(section).__name__}"]
        for key, value in section.items():
            if key not in _KEYS or value is None:
                continue
            attr, typ = _KEYS[key]
            default = getattr(s, attr)
            if typ is bool and isinstance(value, bool):
                setattr(s, attr, value)
            elif typ is int and isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                setattr(s, attr, int(value))
            elif typ is str and isinstance(value, str):
                setattr(s, attr, value.strip() or None)
            else:
                want = {bool: "true or false", int: "a number", str: "a string"}[typ]
                warnings.append(f"nichelm.{key}: expected {want}, got {type(value).__name__}; using {default}")
        return s, warnings

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
