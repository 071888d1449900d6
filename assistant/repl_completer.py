"""prompt-toolkit glue for the REPL: a Completer over `completion.complete` and a schema tracker.

The tracker re-reads the schema only when `PRAGMA schema_version` or the file identity changes, and
keeps a prepared `SchemaIndex`, so completing is pure string work on every keystroke.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from .completion import SchemaIndex, complete
from .errors import DatabaseLocked, NicheError
from .repl_input import classify
from .schema import Schema, SchemaVersion, read_schema, schema_version

MAX_COMPLETIONS = 300  # a menu longer than this helps nobody, and rendering it costs time


class SchemaTracker:
    """The current schema of one database file, refreshed when it changes."""

    def __init__(self, path: str):
        self.path = path
        self.locked = False
        self._checked = time.monotonic()
        try:
            self.schema: Schema = read_schema(path)
        except DatabaseLocked:
            # Another process holds the file; start without a schema and pick it up once it is free.
            self.schema = Schema(())
            self.locked = True
        self.index = SchemaIndex.of(self.schema)

    @property
    def version(self) -> SchemaVersion | None:
        return self.schema.version

    def index_fresh(self, max_age_s: float = 1.0) -> SchemaIndex:
        """The index, re-checked against the file at most every *max_age_s* seconds (for completion while
        typing: another program may change the schema while the prompt waits)."""
        now = time.monotonic()
        if now - self._checked >= max_age_s:
            self.refresh()
        return self.index

    def refresh(self) -> bool:
        """Re-read the schema if it changed; True when it did. A locked or vanished file keeps the old one."""
        self._checked = time.monotonic()
        try:
            current = schema_version(self.path)
            if current == self.schema.version:
                return False
            self.schema = read_schema(self.path)
        except NicheError:
            return False
        self.locked = False
        self.index = SchemaIndex.of(self.schema)
        return True


class SqlCompleter(Completer):
    """Completes SQL from the schema, dot commands, and table/column names inside English questions."""

    def __init__(self, get_index: Callable[[], SchemaIndex], commands: Iterable[str] = ()):
        self.get_index = get_index
        self.commands = sorted(commands)

    def get_completions(self, document: Document, complete_event: CompleteEvent):
        text = document.text
        cursor = document.cursor_position
        kind = classify(text)
        if kind == "meta":
            yield from self._meta(document)
            return
        if kind == "question":
            yield from self._names_in_question(document)
            return
        for c in complete(text, cursor, self.get_index(), limit=MAX_COMPLETIONS):
            yield Completion(c.insert_text, start_position=c.start - cursor, display=c.label,
                             display_meta=c.detail)

    def _meta(self, document: Document):
        before = document.text_before_cursor.lstrip()
        if " " not in before:
            word = before[1:].lower()
            for name in self.commands:
                if name.startswith(word):
                    yield Completion("." + name, start_position=-len(before), display_meta="command")
            return
        if before.startswith(".schema "):
            word = document.get_word_before_cursor(WORD=True)
            for name in self.get_index().names:
                if name.lower().startswith(word.lower()):
                    yield Completion(name, start_position=-len(word), display_meta="table")

    def _names_in_question(self, document: Document):
        # A question is English, but naming a table or column exactly helps the model: offer names
        # once two letters of a word are typed.
        m = re.search(r"[A-Za-z_][\w$]*$", document.text_before_cursor)
        if not m or len(m.group()) < 2:
            return
        word = m.group().lower()
        index = self.get_index()
        seen = set()
        for name in index.names:
            if name.lower().startswith(word) and name not in seen:
                seen.add(name)
                yield Completion(name, start_position=-len(word), display_meta="table")
        for col, table in index.all_columns():
            if col.lower().startswith(word) and col not in seen:
                seen.add(col)
                yield Completion(col, start_position=-len(word), display_meta=f"column of {table}")
