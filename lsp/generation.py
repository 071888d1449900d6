"""Question -> SQL for the editor, through the NicheLM daemon (started when needed).

The daemon owns the model; this module owns what the editor needs around it: one shared client that
reconnects when the daemon dies, cancellation of a request the editor no longer wants, a cache per
(database, schema version, question) so asking again is instant, and the text inserted below the
question comment (the SQL, or a comment that says clearly why there is none).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nichelm.assistant.errors import NicheError

log = logging.getLogger(__name__)

# Wait this long for a daemon to start and load its model (the 1.5B loads in a few seconds; a cold
# disk cache or a first download takes longer).
CONNECT_TIMEOUT_S = 180.0
CACHE_SIZE = 256
RETRIES = 3


@dataclass(frozen=True)
class Outcome:
    question: str
    sql: str | None
    error: str | None = None  # a message for people when there is no SQL
    code: str | None = None  # the stable error code
    cached: bool = False
    latency_s: float = 0.0

    def insert_text(self, indent: str = "") -> str:
        """The lines to insert below the question (each line starts with *indent*)."""
        if self.sql:
            body = self.sql.strip().rstrip(";") + ";"
        else:
            body = f"-- nichelm: no SQL ({self.code or 'error'}): {self.error}"
        return "\n".join(indent + line for line in body.split("\n"))


def _norm(question: str) -> str:
    return " ".join(question.lower().split())


class Generator:
    """Asks the daemon for SQL. Thread-safe; `generate` is a coroutine that cancels the daemon's
    request when it is itself cancelled (the editor sent $/cancelRequest)."""

    def __init__(self, *, autostart: bool = True, model: str | None = None,
                 on_schema_changed: Callable[[dict], None] | None = None):
        self.autostart = autostart
        self.model = model
        self.on_schema_changed = on_schema_changed
        self._client = None
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], Outcome] = {}
        self._subscribed: set[str] = set()

    # -- connection --------------------------------------------------------------------------------

    def _connect(self, autostart: bool | None = None):
        """The connected client, creating (and maybe starting the daemon) on first use."""
        from nichelm.assistant.client import Client

        with self._lock:
            if self._client is not None:
                return self._client
        client = Client.connect(autostart=self.autostart if autostart is None else autostart, model=self.model,
                                timeout=CONNECT_TIMEOUT_S)
        with self._lock:
            if self._client is None:
                self._client = client
                self._subscribed.clear()
            else:  # another thread won the race
                client.close()
        return self._client

    def _reset(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            self._subscribed.clear()
        if client is not None:
            with contextlib.suppress(Exception):  # closing a dead connection may fail; it is gone anyway
                client.close()

    def _submit(self, db: Path, question: str):
        client = self._connect()
        self.subscribe(db)
        return client.submit("generate", db=str(db), question=question)

    def subscribe(self, db: Path) -> None:
        """Ask the daemon (if we are connected) to tell us when *db*'s schema changes."""
        if self.on_schema_changed is None:
            return
        with self._lock:
            client = self._client
            if client is None or str(db) in self._subscribed:
                return
            self._subscribed.add(str(db))
        try:
            client.subscribe(str(db), self.on_schema_changed)
        except Exception as exc:  # not fatal: the server also polls schema_version itself
            log.info("subscribe %s failed: %s", db, exc)
            with self._lock:
                self._subscribed.discard(str(db))

    def close(self) -> None:
        self._reset()

    def warm(self, db: Path) -> bool:
        """Have a daemon that already runs read *db*'s schema before the first question (daemon method `warm`),
        and subscribe to its schema changes; True when asked. Opening a file never starts a daemon, and a
        failure only loses the head start (the first question then reads the schema, as before)."""
        from nichelm.assistant import daemon_control

        with self._lock:
            connected = self._client is not None
        if not connected and not daemon_control.socket_path().exists():
            return False
        try:
            client = self._connect(autostart=False)
            self.subscribe(db)
            client.warm(str(db), timeout=5)
            return True
        except Exception as exc:
            log.info("warm %s failed: %s", db, exc)
            return False

    # -- generation --------------------------------------------------------------------------------

    def cached(self, db: Path, schema_key: str, question: str) -> Outcome | None:
        with self._lock:
            return self._cache.get((str(db), schema_key, _norm(question)))

    async def generate(self, db: Path, schema_key: str, question: str) -> Outcome:
        """SQL for *question* on *db*; never raises except CancelledError."""
        hit = self.cached(db, schema_key, question)
        if hit is not None:
            return Outcome(hit.question, hit.sql, hit.error, hit.code, True, 0.0)
        t0 = time.perf_counter()
        loop = asyncio.get_running_loop()
        outcome = None
        for attempt in range(RETRIES + 1):  # after a dead daemon the client reconnects (restarting it)
            try:
                # Connecting (maybe starting the daemon) and sending happen in a worker thread; if the
                # editor cancels meanwhile, the request is cancelled in the daemon as soon as it exists.
                submitted = loop.run_in_executor(None, self._submit, db, question)
                try:
                    pending = await asyncio.shield(submitted)
                except asyncio.CancelledError:
                    log.info("generation cancelled before it was sent: %r", question)
                    submitted.add_done_callback(_cancel_when_sent)
                    raise
                try:
                    while not pending.done():
                        await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    # The editor gave up on this request: free the model for the next one.
                    log.info("generation cancelled: cancelling daemon request %s", pending.id)
                    pending.cancel()
                    raise
                answer = pending.result(0)
                outcome = _outcome(question, answer, time.perf_counter() - t0)
                break
            except asyncio.CancelledError:
                raise
            except NicheError as exc:
                if exc.code in ("connection_lost", "daemon_unavailable") and attempt < RETRIES:
                    log.warning("daemon connection failed (%s); reconnecting", exc.message)
                    self._reset()
                    # A daemon killed a moment ago may still accept connections while it dies.
                    await asyncio.sleep(0.25 * (attempt + 1))
                    continue
                log.warning("generation failed: %s: %s", exc.code, exc.message)
                outcome = Outcome(question, None, exc.message.split("\n")[0], exc.code,
                                  latency_s=time.perf_counter() - t0)
                break
            except Exception as exc:  # the editor must get an answer, not a traceback
                log.exception("generation failed")
                outcome = Outcome(question, None, f"{type(exc).__name__}: {exc}", "internal_error",
                                  latency_s=time.perf_counter() - t0)
                break
        assert outcome is not None
        # Errors that depend on the daemon being up are not cached: the next try may work.
        if outcome.sql is not None or outcome.code in ("no_sql",):
            with self._lock:
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[(str(db), schema_key, _norm(question))] = outcome
        return outcome


def _cancel_when_sent(fut) -> None:
    if fut.cancelled() or fut.exception() is not None:
        return
    pending = fut.result()
    log.info("generation cancelled: cancelling daemon request %s", pending.id)
    pending.cancel()


def _outcome(question: str, answer: dict, latency_s: float) -> Outcome:
    sql = answer.get("sql")
    if sql:
        return Outcome(question, sql, latency_s=latency_s)
    problems = answer.get("problems") or []
    msg = problems[0].get("message") if problems else "the model returned no SQL"
    return Outcome(question, None, msg, "no_sql", latency_s=latency_s)
