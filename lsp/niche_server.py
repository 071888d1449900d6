"""The language server's state and the work behind its handlers: which database a document uses,
its schema, debounced diagnostics, watching schemas for changes, and question-to-SQL edits.

server.py registers the LSP handlers on an instance of NicheLanguageServer; they stay thin.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .dbresolve import Resolution, resolve_database
from .diagnostics import document_problems
from .generation import Generator, Outcome
from .schemas import Entry, SchemaStore
from .settings import Settings
from .statements import question_at_line
from .textpos import LineIndex

log = logging.getLogger("nichelm.lsp")

VERSION = "0.1.0"

_SEVERITY = {
    "error": t.DiagnosticSeverity.Error,
    "warning": t.DiagnosticSeverity.Warning,
    "information": t.DiagnosticSeverity.Information,
}


class NicheLanguageServer(LanguageServer):
    """Owns the state shared by handlers: settings, schemas, the daemon client, pending checks."""

    def __init__(self) -> None:
        super().__init__("nichelm-lsp", VERSION)
        self.settings = Settings()
        self.schemas = SchemaStore()
        self.generator = Generator(on_schema_changed=self._daemon_schema_changed)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._checks: dict[str, asyncio.Task] = {}
        self._db_of: dict[str, Path | None] = {}  # uri -> database used by its last check
        self._warmed: set[Path] = set()  # databases the daemon was asked to read ahead
        self._shown: set[str] = set()  # messages already shown, so a missing DB is said once
        self._poller: asyncio.Task | None = None
        self._options: dict = {}

    # -- documents, databases, schemas ------------------------------------------------------------

    @property
    def root(self) -> Path | None:
        root = self.workspace.root_path
        if not root:
            folders = list(self.workspace.folders.values())
            root = to_fs_path(folders[0].uri) if folders else None
        return Path(root) if root else None

    def text_of(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def resolve(self, uri: str, text: str) -> Resolution:
        path = to_fs_path(uri)
        return resolve_database(text, Path(path) if path else None, self.settings.database, self.root)

    def schema_for(self, uri: str, text: str) -> tuple[Resolution, Entry | None]:
        res = self.resolve(uri, text)
        if not res.ok:
            return res, None
        return res, self.schemas.get(res.path)

    async def schema_async(self, uri: str, text: str) -> tuple[Resolution, Entry | None]:
        """Like schema_for, for handlers on the event loop: a known schema is used as cached (the
        poller keeps it fresh), the first read of a database happens in a worker thread, so a big or
        locked file never stalls the loop."""
        res = self.resolve(uri, text)
        if not res.ok:
            return res, None
        entry = self.schemas.cached(res.path)
        if entry is None or entry.error is not None:
            entry = await asyncio.get_running_loop().run_in_executor(None, self.schemas.get, res.path)
        self._db_of.setdefault(uri, res.path)
        return res, entry

    def show_once(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        if message in self._shown:
            return
        self._shown.add(message)
        log.warning("%s", message)
        self.window_show_message(t.ShowMessageParams(type=kind, message=f"NicheLM: {message}"))

    def apply_settings(self, options: Any) -> None:
        """New settings from the client; later sources (configuration) override earlier ones."""
        if isinstance(options, dict):
            section = options.get("nichelm", options)
            if isinstance(section, dict):
                self._options = {**self._options, **section}
                options = self._options
        self.settings, warnings = Settings.from_client(options)
        self.generator.autostart = self.settings.autostart_daemon
        self.generator.model = self.settings.model
        self.schemas.max_age_s = max(0.05, self.settings.schema_poll_ms / 1000)
        for w in warnings:
            self.show_once(w)

    # -- diagnostics ---------------------------------------------------------------------------------

    def schedule_check(self, uri: str, delay_s: float | None = None) -> None:
        """Check *uri* after the debounce delay; a newer edit cancels the pending check."""
        old = self._checks.pop(uri, None)
        if old is not None and not old.done():
            old.cancel()
        delay = self.settings.debounce_ms / 1000 if delay_s is None else delay_s
        self._checks[uri] = asyncio.ensure_future(self._check(uri, delay))

    async def _check(self, uri: str, delay_s: float) -> None:
        try:
            await asyncio.sleep(delay_s)
            doc = self.workspace.text_documents.get(uri)
            if doc is None:
                return  # closed meanwhile
            text, version = doc.source, doc.version
            loop = asyncio.get_running_loop()
            diags, notes = await loop.run_in_executor(None, self.compute_diagnostics, uri, text)
            for note in notes:  # shown from the loop thread: only it writes to the client
                self.show_once(note)
            current = self.workspace.text_documents.get(uri)
            if current is None or current.version != version:
                return  # edited or closed while we worked: that edit scheduled its own check
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("diagnostics for %s failed", uri)

    def compute_diagnostics(self, uri: str, text: str) -> tuple[list[t.Diagnostic], list[str]]:
        """All diagnostics of a document, and messages to show once (runs in a worker thread, so it
        sends nothing itself)."""
        res, entry = self.schema_for(uri, text)
        self._db_of[uri] = res.path if res.ok else None
        if res.ok and self.settings.generate and res.path not in self._warmed:
            self._warmed.add(res.path)
            # A running daemon reads the schema while the user writes the first question (it never waits).
            threading.Thread(target=self.generator.warm, args=(res.path,), name="nichelm-warm", daemon=True).start()
        index = LineIndex(text)
        diags: list[t.Diagnostic] = []
        notes: list[str] = []
        problem = res.problem or (entry.error.message if entry is not None and entry.error else None)
        if problem:
            line = res.directive_line or 0
            diags.append(t.Diagnostic(
                range=t.Range(t.Position(line, 0), t.Position(line, len(index.line_text(line)))),
                message=f"NicheLM: {problem}; checking syntax only", severity=t.DiagnosticSeverity.Warning,
                source="nichelm", code="database"))
            if res.source != "none" or res.path is not None:
                notes.append(problem)
        if not self.settings.diagnostics:
            return diags, notes
        metadata = entry.metadata if entry is not None and entry.schema is not None else None
        for p in document_problems(text, metadata, max_chars=self.settings.max_document_bytes):
            sl, sc = index.position(p.start)
            el, ec = index.position(max(p.end, p.start))
            diags.append(t.Diagnostic(
                range=t.Range(t.Position(sl, sc), t.Position(el, ec)), message=p.message,
                severity=_SEVERITY.get(p.severity, t.DiagnosticSeverity.Error), source="nichelm", code=p.kind))
        return diags, notes

    def recheck_database(self, db: str) -> None:
        """A database's schema changed: re-check every open document that uses it (no debounce)."""
        for uri, used in list(self._db_of.items()):
            if used is not None and str(used) == db and uri in self.workspace.text_documents:
                self.schedule_check(uri, 0)

    def _daemon_schema_changed(self, params: dict) -> None:
        # Runs on the daemon client's thread: hop onto the server loop.
        db = params.get("db")
        log.info("daemon: schema of %s changed (%s)", db, params.get("version"))
        if db and self.loop is not None:
            self.schemas.forget(Path(db))
            self.loop.call_soon_threadsafe(self.recheck_database, db)

    async def poll_schemas(self) -> None:
        """Look for schema changes of the databases in use (and databases that appear or vanish)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.05, self.settings.schema_poll_ms / 1000))
            try:
                used = {p for p in self._db_of.values() if p is not None}
                for path in used:
                    if await loop.run_in_executor(None, self.schemas.changed, path):
                        log.info("schema of %s changed", path)
                        self.recheck_database(str(path))
                # Documents without a usable database: maybe it exists now.
                for uri, used_path in list(self._db_of.items()):
                    if used_path is None and uri in self.workspace.text_documents:
                        res = self.resolve(uri, self.text_of(uri))
                        if res.ok:
                            self.schedule_check(uri, 0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("schema poll failed")

    # -- question to SQL -------------------------------------------------------------------------------

    async def generate_below(self, uri: str, line: int) -> tuple[Outcome, t.TextEdit] | None:
        """Generate SQL for the question comment on *line*; the edit inserts it below that line."""
        text = self.text_of(uri)
        index = LineIndex(text)
        line_text = index.line_text(line)
        question = question_at_line(line_text)
        if question is None:
            return None
        # Fresh (not cached) schema: the answer is cached under its version.
        res, entry = await asyncio.get_running_loop().run_in_executor(None, self.schema_for, uri, text)
        if not res.ok or entry is None or entry.schema is None:
            why = res.problem or (entry.error.message if entry and entry.error else "no database")
            outcome = Outcome(question, None, why, "database_missing")
        else:
            outcome = await self.generator.generate(res.path, entry.key, question)
        indent = line_text[: len(line_text) - len(line_text.lstrip())]
        end = t.Position(line, len(line_text.encode("utf-16-le")) // 2)
        return outcome, t.TextEdit(range=t.Range(end, end), new_text="\n" + outcome.insert_text(indent))
