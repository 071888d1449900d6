"""Notice schema changes of the SQLite files the daemon's clients use.

watchdog watches the *directories* of those files (a file watch would be lost when a tool replaces the
file); any write to `x.sqlite`, `x.sqlite-wal` or `x.sqlite-journal` marks the file dirty, and after a
short quiet period its schema version (`PRAGMA schema_version` + inode) is read again. Only a changed
version is reported. A slow poll covers filesystems where inotify sees nothing (network mounts).

Our own reads open and close the file too; those events ("opened", "closed_no_write") are ignored, or
every check would trigger the next one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from .errors import DatabaseLocked, NicheError
from .schema import schema_version

log = logging.getLogger(__name__)

# (db path, new version key or None when unreadable, previous key, the error when unreadable)
OnChange = Callable[[str, "str | None", "str | None", "NicheError | None"], None]
_WRITE_EVENTS = frozenset({"modified", "created", "deleted", "moved", "closed"})
_SUFFIXES = ("", "-wal", "-journal")


class SchemaWatcher:
    def __init__(self, on_change: OnChange, *, debounce_s: float = 0.15, poll_s: float = 10.0):
        self.on_change = on_change
        self.debounce_s = debounce_s
        self.poll_s = poll_s
        self._lock = threading.Condition()
        self._versions: dict[str, str | None] = {}  # db path -> last version key seen
        self._names: dict[str, dict[str, str]] = {}  # directory -> {file name: db path}
        self._dirty: set[str] = set()
        self._last_event = 0.0
        self._stop = False
        self._observer = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            from watchdog.observers import Observer

            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        except Exception as exc:  # noqa: BLE001  # no inotify (or watchdog broken): the poll still works
            log.warning("file watching unavailable (%s); polling every %.0f s instead", exc, self.poll_s)
            self._observer = None
        self._thread = threading.Thread(target=self._run, name="nichelm-schema-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
        if self._thread is not None:
            self._thread.join(timeout=2)

    def watched(self) -> list[str]:
        with self._lock:
            return sorted(self._versions)

    # -- registering --------------------------------------------------------------------------------

    def watch(self, path: str, version_key: str | None) -> None:
        """Start watching *path* (resolved) whose schema version is now *version_key*."""
        directory, name = os.path.split(path)
        with self._lock:
            if path in self._versions:
                return
            self._versions[path] = version_key
            new_dir = directory not in self._names
            names = self._names.setdefault(directory, {})
            for suffix in _SUFFIXES:
                names[name + suffix] = path
        if new_dir and self._observer is not None:
            from watchdog.events import FileSystemEventHandler

            watcher = self

            class Handler(FileSystemEventHandler):
                def on_any_event(self, event):
                    watcher._on_event(event)

            try:
                self._observer.schedule(Handler(), directory, recursive=False)
            except Exception as exc:  # noqa: BLE001  # e.g. inotify watch limit reached
                log.warning("cannot watch %s (%s); relying on polling", directory, exc)

    def _on_event(self, event) -> None:
        if event.event_type not in _WRITE_EVENTS or event.is_directory:
            return
        hits = []
        for p in (event.src_path, getattr(event, "dest_path", "") or ""):
            if not p:
                continue
            p = os.fsdecode(p)
            directory, name = os.path.split(p)
            with self._lock:
                db = self._names.get(directory, {}).get(name)
            if db:
                hits.append(db)
        if hits:
            with self._lock:
                self._dirty.update(hits)
                self._last_event = time.monotonic()
                self._lock.notify_all()

    # -- checking -----------------------------------------------------------------------------------

    def _run(self) -> None:
        next_poll = time.monotonic() + self.poll_s
        while True:
            with self._lock:
                while not self._stop:
                    now = time.monotonic()
                    if self._dirty and now - self._last_event >= self.debounce_s:
                        break
                    if now >= next_poll:
                        break
                    wait = next_poll - now
                    if self._dirty:
                        wait = min(wait, self.debounce_s - (now - self._last_event))
                    self._lock.wait(max(wait, 0.01))
                if self._stop:
                    return
                if time.monotonic() >= next_poll:
                    todo = set(self._versions)
                    next_poll = time.monotonic() + self.poll_s
                else:
                    todo = set(self._dirty)
                self._dirty.clear()
            for path in sorted(todo):
                self.check(path)

    def check(self, path: str) -> bool:
        """Re-read the schema version of *path*; report and return True when it changed."""
        err: NicheError | None = None
        try:
            key: str | None = schema_version(path).key
        except DatabaseLocked:
            # A writer holds the file: not a change we know of yet; look again after the next quiet spell.
            with self._lock:
                self._dirty.add(path)
                self._last_event = time.monotonic()
            return False
        except NicheError as exc:
            key, err = None, exc
        except Exception as exc:  # noqa: BLE001  # an odd filesystem state must not kill the watcher thread
            key, err = None, NicheError(f"{path}: {exc}")
        with self._lock:
            if path not in self._versions:
                return False
            previous = self._versions[path]
            if key == previous:
                return False
            self._versions[path] = key
        try:
            self.on_change(path, key, previous, err)
        except Exception:
            log.exception("schema change handler failed for %s", path)
        return True
