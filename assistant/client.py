"""Client for the NicheLM daemon (`nichelm serve`), used by the CLI, the REPL and the language server.

Quick use::

    from nichelm.assistant.client import Client

    client = Client.connect()            # starts `nichelm serve` in the background if none runs
    ans = client.generate("shop.sqlite", "how many orders were placed in May?", execute=True)
    ans["sql"], ans["problems"], ans["result"]        # result: {"columns", "rows", "truncated", ...}
    client.schema("shop.sqlite")         # {"db", "version", "tables": [{"name", "columns", ...}]}
    client.validate("shop.sqlite", "SELECT nme FROM customers")   # {"problems": [...]}
    client.execute("shop.sqlite", "SELECT count(*) FROM orders")   # read-only unless allow_writes=True
    client.subscribe("shop.sqlite", lambda params: print("schema changed:", params["version"]))
    client.close()

API (stable):

- ``Client(socket_path=None, *, autostart=True, model=None, lora=None, start_timeout=120.0)``: nothing
  happens until the first request, which connects (and autostarts the daemon when allowed).
- ``Client.connect(socket_path=None, *, autostart=True, model=None, lora=None, timeout=120.0)``: a client
  that is connected and whose daemon has finished loading its model (health status "ok").
- ``request(method, *, timeout=None, **params)`` -> the result object; failures raise the
  ``NicheError`` subclass for the wire error code (``DatabaseMissing``, ``NotADatabase``,
  ``WriteRefused``, ``Cancelled``, ``protocol.InvalidParams``, ... each with ``.code``/``.message``/
  ``.details``). ``protocol.ConnectionLost`` when the daemon dies mid-request (the next request
  reconnects, restarting the daemon when autostart is on), ``protocol.RequestTimeout`` after *timeout*
  seconds (the request is then cancelled in the daemon).
- ``submit(method, **params)`` -> ``PendingRequest`` with ``.id``, ``.result(timeout=None)``,
  ``.done()`` and ``.cancel()``: for callers that need the request id, e.g. to cancel from another
  thread. A KeyboardInterrupt while blocked in ``result()`` (Ctrl-C in the REPL) cancels the request in
  the daemon and is re-raised.
- ``generate(db, question, *, candidates=1, with_examples=True, execute=False, max_rows=200,
  timeout_s=10.0, timeout=None)`` -> ``Answer.to_json()`` plus ``db`` and ``queue_s``; with
  ``execute=True`` also ``result`` (``QueryResult.to_json()``, or None) and ``execution_error``
  (a wire error object, or None).
- ``schema(db, row_counts=True)``, ``validate(db, sql)``, ``execute(db, sql, *, allow_writes=False,
  max_rows=1000, timeout_s=10.0)``, ``health()``, ``shutdown()``.
- ``subscribe(db, callback)`` -> the subscribe result (``{"db": resolved path, "version": key}``);
  ``callback(params)`` runs on the client's notification thread for each ``schema_changed`` of that
  database (params: ``db``, ``version``, ``previous``, ``tables`` = {table: [columns]}, ``error``).
  ``unsubscribe(db, callback=None)``.
- ``cancel(request_id)`` -> ``{"id", "state": "queued"|"running"|"not_found"}``; the cancelled request
  itself then raises ``Cancelled``.
- ``close()``; also a context manager. All methods are thread-safe: many threads may share one client
  (requests are multiplexed on one connection, answers matched by id).
"""

from __future__ import annotations

import itertools
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import daemon_control
from .errors import NicheError
from .protocol import (
    MAX_LINE_BYTES,
    ConnectionLost,
    DaemonUnavailable,
    RequestTimeout,
    error_from_json,
    request_line,
)

Callback = Callable[[dict], None]
_CONNECT_ERRNOS = (FileNotFoundError, ConnectionRefusedError)


class PendingRequest:
    """One request sent to the daemon whose answer may not have arrived yet."""

    def __init__(self, client: Client, rid: int, method: str):
        self.id = rid
        self.method = method
        self._client = client
        self._event = threading.Event()
        self._result: Any = None
        self._error: NicheError | None = None

    def _set(self, result: Any = None, error: NicheError | None = None) -> None:
        self._result, self._error = result, error
        self._event.set()

    def done(self) -> bool:
        return self._event.is_set()

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the answer; raise its error. Ctrl-C while waiting cancels the request in the daemon."""
        try:
            if not self._event.wait(timeout):
                self.cancel()
                raise RequestTimeout(f"{self.method}: no answer from the daemon within {timeout:g} s")
        except KeyboardInterrupt:
            self.cancel()
            raise
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self) -> None:
        """Ask the daemon to cancel this request (fire and forget); result() then raises Cancelled."""
        if not self.done():
            self._client._send_cancel(self.id)


class Client:
    """A thread-safe connection to the daemon; see the module docstring for the API."""

    def __init__(self, socket_path: str | os.PathLike | None = None, *, autostart: bool = True,
                 model: str | None = None, lora: str | None = None, start_timeout: float = 120.0):
        self.socket_path = daemon_control.socket_path(socket_path)
        self.autostart = autostart
        self.model = model
        self.lora = lora
        self.start_timeout = start_timeout
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # connection state and the pending table
        self._write_lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._pending: dict[int, PendingRequest] = {}
        self._subs: dict[str, list[Callback]] = {}
        self._notes: queue.Queue = queue.Queue()
        self._closed = False
        self._dispatcher: threading.Thread | None = None
        self.started_process = None  # the Popen of a daemon this client started, if any

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def connect(cls, socket_path: str | os.PathLike | None = None, *, autostart: bool = True,
                model: str | None = None, lora: str | None = None, timeout: float = 120.0) -> Client:
        """A connected client whose daemon has its model loaded (waits up to *timeout* seconds)."""
        client = cls(socket_path, autostart=autostart, model=model, lora=lora, start_timeout=timeout)
        try:
            client.wait_ready(timeout)
        except BaseException:
            client.close()
            raise
        return client

    def wait_ready(self, timeout: float = 120.0) -> dict:
        """Wait until health says "ok" (model loaded); return the health result."""
        deadline = time.monotonic() + timeout
        while True:
            health = self.request("health", timeout=max(0.5, deadline - time.monotonic()))
            if health.get("status") == "ok":
                return health
            if health.get("status") == "error":
                raise error_from_json(health.get("error") or {"code": "model_error",
                                                              "message": "the daemon could not load its model"})
            if time.monotonic() > deadline:
                raise DaemonUnavailable(f"the daemon did not finish loading its model within {timeout:g} s",
                                        health=health)
            time.sleep(0.1)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- connection ------------------------------------------------------------------------------

    def _try_connect(self) -> socket.socket | None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(str(self.socket_path))
        except _CONNECT_ERRNOS:
            s.close()
            return None
        except OSError as exc:
            s.close()
            raise DaemonUnavailable(f"cannot connect to {self.socket_path}: {exc}") from exc
        return s

    def _start_and_connect(self) -> socket.socket:
        proc = daemon_control.spawn(model=self.model, lora=self.lora, socket=self.socket_path)
        self.started_process = proc
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            s = self._try_connect()
            if s is not None:
                return s
            code = proc.poll()
            # Exit status EXIT_DAEMON_RUNNING means another client started one at the same moment:
            # keep waiting for that one's socket, unless that daemon was on its way out (lock free).
            if code == daemon_control.EXIT_DAEMON_RUNNING and _lock_is_free(self.socket_path):
                proc = daemon_control.spawn(model=self.model, lora=self.lora, socket=self.socket_path)
                self.started_process = proc
                continue
            if code is not None and code != daemon_control.EXIT_DAEMON_RUNNING:
                raise DaemonUnavailable(
                    f"the daemon exited with status {code} while starting; log "
                    f"{daemon_control.log_path()}:\n{daemon_control.log_tail()}")
            time.sleep(0.05)
        raise DaemonUnavailable(f"the daemon did not open {self.socket_path} within {self.start_timeout:g} s; "
                                f"see {daemon_control.log_path()}")

    def _ensure_connected(self) -> socket.socket:
        with self._lock:
            if self._closed:
                raise DaemonUnavailable("this client is closed")
            if self._sock is not None:
                return self._sock
            s = self._try_connect()
            if s is None:
                if not self.autostart:
                    raise DaemonUnavailable(
                        f"no NicheLM daemon is running on {self.socket_path}; start one with `nichelm serve`")
                s = self._start_and_connect()
            self._sock = s
            threading.Thread(target=self._reader, args=(s,), name="nichelm-client-reader", daemon=True).start()
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch, name="nichelm-client-notify",
                                                    daemon=True)
                self._dispatcher.start()
            # A reconnect (the daemon restarted) must restore subscriptions; answers are not awaited
            # because we hold the lock the reader needs.
            for db in self._subs:
                self._send(s, next(self._ids), "subscribe", {"db": db}, None)
            return s

    def _send(self, s: socket.socket, rid: int, method: str, params: dict,
              pending: PendingRequest | None) -> None:
        if pending is not None:
            with self._lock:
                self._pending[rid] = pending
        data = request_line(rid, method, params)
        try:
            with self._write_lock:
                s.sendall(data)
        except OSError as exc:
            self._pending.pop(rid, None)
            self._drop(s)
            raise ConnectionLost(f"lost the connection to the daemon: {exc}") from exc

    def _drop(self, s: socket.socket) -> None:
        """Forget a dead connection and fail everything still waiting on it."""
        with self._lock:
            if self._sock is s:
                self._sock = None
            waiting, self._pending = self._pending, {}
        try:
            s.close()
        except OSError:
            pass
        for p in waiting.values():
            p._set(error=ConnectionLost(f"{p.method}: the daemon closed the connection before answering"))

    def _reader(self, s: socket.socket) -> None:
        import json

        buf = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if len(buf) > MAX_LINE_BYTES * 4:
                    break  # a daemon speaking garbage: give up on this connection
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    self._on_message(msg)
        except OSError:
            pass
        finally:
            self._drop(s)

    def _on_message(self, msg: dict) -> None:
        if "id" not in msg and "method" in msg:
            self._notes.put(msg)
            return
        with self._lock:
            pending = self._pending.pop(msg.get("id"), None)
        if pending is None:
            return  # an answer nobody waits for (a re-subscribe, a timed-out request)
        if "error" in msg:
            pending._set(error=error_from_json(msg["error"] or {}))
        else:
            pending._set(result=msg.get("result"))

    def _dispatch(self) -> None:
        # Callbacks run here, not on the reader thread, so a callback may itself make requests.
        while True:
            msg = self._notes.get()
            if msg is None:
                return
            params = msg.get("params") or {}
            if msg.get("method") != "schema_changed":
                continue
            with self._lock:
                callbacks = list(self._subs.get(params.get("db"), ()))
            for cb in callbacks:
                try:
                    cb(params)
                except Exception:  # a broken callback must not stop later notifications
                    import logging

                    logging.getLogger(__name__).exception("schema_changed callback failed")

    def _send_cancel(self, rid: int) -> None:
        with self._lock:
            s = self._sock
        if s is None:
            return
        try:
            self._send(s, next(self._ids), "cancel", {"id": rid}, None)
        except ConnectionLost:
            pass

    # -- requests --------------------------------------------------------------------------------

    def submit(self, method: str, **params) -> PendingRequest:
        """Send a request and return at once; see PendingRequest."""
        params = {k: v for k, v in params.items() if v is not None}
        rid = next(self._ids)
        pending = PendingRequest(self, rid, method)
        s = self._ensure_connected()
        try:
            # Not under self._lock: a large request must not stop the reader thread from taking answers.
            self._send(s, rid, method, params, pending)
        except ConnectionLost:
            # The daemon went away before this request left: it was never seen, so sending it on a
            # fresh connection (restarting the daemon when allowed) is safe.
            self._send(self._ensure_connected(), rid, method, params, pending)
        return pending

    def request(self, method: str, *, timeout: float | None = None, **params) -> Any:
        """Send a request and wait for its result (raises the NicheError for an error answer)."""
        return self.submit(method, **params).result(timeout)

    def generate(self, db: str | os.PathLike, question: str, *, candidates: int = 1,
                 with_examples: bool = True, execute: bool = False, max_rows: int = 200,
                 timeout_s: float = 10.0, repair: bool = True, retry_empty: int | None = None,
                 doubt_candidates: int | None = None, timeout: float | None = None) -> dict:
        # retry_empty / doubt_candidates None: the daemon's defaults for where its model runs
        extra = {k: v for k, v in (("retry_empty", retry_empty), ("doubt_candidates", doubt_candidates))
                 if v is not None}
        return self.request("generate", timeout=timeout, db=_abs(db), question=question,
                            candidates=candidates, with_examples=with_examples, execute=execute,
                            max_rows=max_rows, timeout_s=timeout_s, repair=repair, **extra)

    def warm(self, db: str | os.PathLike, *, with_examples: bool = True, timeout: float | None = 10.0) -> dict:
        """Ask the daemon to read *db*'s schema into the model while it is idle (answers at once)."""
        return self.request("warm", timeout=timeout, db=_abs(db), with_examples=with_examples)

    def schema(self, db: str | os.PathLike, *, row_counts: bool = True, timeout: float | None = None) -> dict:
        return self.request("schema", timeout=timeout, db=_abs(db), row_counts=row_counts)

    def validate(self, db: str | os.PathLike, sql: str, *, timeout: float | None = None) -> dict:
        return self.request("validate", timeout=timeout, db=_abs(db), sql=sql)

    def execute(self, db: str | os.PathLike, sql: str, *, allow_writes: bool = False, max_rows: int = 1000,
                timeout_s: float = 10.0, timeout: float | None = None) -> dict:
        return self.request("execute", timeout=timeout, db=_abs(db), sql=sql, allow_writes=allow_writes,
                            max_rows=max_rows, timeout_s=timeout_s)

    def health(self, *, timeout: float | None = 10.0) -> dict:
        return self.request("health", timeout=timeout)

    def cancel(self, request_id: int | str, *, timeout: float | None = 10.0) -> dict:
        return self.request("cancel", timeout=timeout, id=request_id)

    def subscribe(self, db: str | os.PathLike, callback: Callback, *, timeout: float | None = 10.0) -> dict:
        """Call *callback(params)* on every schema change of *db*; returns {"db", "version"}."""
        result = self.request("subscribe", timeout=timeout, db=_abs(db))
        with self._lock:
            self._subs.setdefault(result["db"], []).append(callback)
        return result

    def unsubscribe(self, db: str | os.PathLike, callback: Callback | None = None) -> None:
        resolved = str(Path(_abs(db)).resolve())
        with self._lock:
            cbs = self._subs.get(resolved, [])
            if callback is not None and callback in cbs:
                cbs.remove(callback)
            if callback is None or not cbs:
                self._subs.pop(resolved, None)
                last = True
            else:
                last = False
        if last and self._sock is not None:
            self.request("unsubscribe", timeout=10.0, db=resolved)

    def shutdown(self, *, timeout: float | None = 10.0) -> dict:
        """Ask the daemon to exit (it answers first, then stops)."""
        return self.request("shutdown", timeout=timeout)

    def in_flight(self) -> list[int]:
        """Ids of requests sent and not yet answered."""
        with self._lock:
            return list(self._pending)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            s = self._sock
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._drop(s)
        self._notes.put(None)


def _lock_is_free(sock: Path) -> bool:
    lock = daemon_control.DaemonLock(sock)
    if lock.acquire():
        lock.release()
        return True
    return False


def _abs(db: str | os.PathLike) -> str:
    # The daemon runs in another working directory: send absolute paths.
    return os.path.abspath(os.path.expanduser(os.fspath(db)))
