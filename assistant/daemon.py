"""`nichelm serve`: one process owns the model and answers many clients over a private Unix socket.

Threads, and why:
- main: waits for a stop signal (SIGTERM/SIGINT/`shutdown`), then shuts everything down in order;
- loader: fetches and loads the model, so the socket answers `health` ("loading") meanwhile;
- accept + one reader per connection: parse lines and route them; a reader never does slow work,
  so `cancel` is seen while that connection's generation runs;
- one model worker: generations run one at a time in arrival order (llama.cpp is one context);
- a small pool: schema/validate/execute/subscribe, and the read-only run after a generation, so they
  never wait behind the model;
- the schema watcher (watcher.py), which tells subscribers about schema changes.

A client that disconnects has its queued work dropped and its running generation cancelled through
the Engine's cancel Event; the worker moves on to the next job.
"""

from __future__ import annotations

import collections
import faulthandler
import itertools
import logging
import os
import signal
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import daemon_control, daemon_methods, paths, protocol
from .engine import Cancelled, Engine, EngineSettings
from .errors import NicheError
from .prompt import EXAMPLE_VALUES
from .protocol import Busy, DaemonRunning, ShuttingDown
from .schema import schema_version
from .service import SchemaCache, warm_schema

log = logging.getLogger("nichelm.daemon")

SEND_TIMEOUT_S = 10
MAX_QUEUE = 64  # queued generations beyond this get `busy`
MAX_SOCKET_PATH = 107  # sun_path is 108 bytes on Linux, including the NUL


@dataclass
class Job:
    conn: Connection
    rid: Any
    method: str
    params: dict
    cancel: threading.Event = field(default_factory=threading.Event)
    state: str = "queued"  # queued | running | done
    created: float = field(default_factory=time.monotonic)
    queued_at: float = 0.0


class Connection:
    """One client socket: a write lock (replies come from several threads) and its live jobs."""

    _ids = itertools.count(1)

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.id = next(self._ids)
        self.jobs: dict[Any, Job] = {}
        self.subscriptions: set[str] = set()
        self.closed = threading.Event()
        self._write_lock = threading.Lock()

    def send(self, data: bytes) -> bool:
        if self.closed.is_set():
            return False
        try:
            with self._write_lock:
                self.sock.sendall(data)
            return True
        except OSError:  # gone, or not reading (SO_SNDTIMEO): drop it; its reader then cleans up
            self.closed.set()
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False


class Daemon:
    def __init__(self, *, model: str | None = None, lora: str | None = None,
                 socket_path: str | os.PathLike | None = None, n_threads: int | None = None,
                 n_ctx: int = 4096, examples: int = EXAMPLE_VALUES):
        self.model_arg = model or os.environ.get("NICHELM_MODEL") or None
        self.lora_arg = lora
        self.socket_path = daemon_control.socket_path(socket_path)
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.started = time.monotonic()
        self.engine: Engine | None = None
        self.model_name: str | None = None
        self.status = "loading"
        self.load_error: NicheError | None = None
        self.timings: dict[str, float] = {}
        self.cache = SchemaCache(examples=0)
        self.example_cache = SchemaCache(examples=examples)  # only for with_examples requests
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self._queue: collections.deque[Job] = collections.deque()
        self._queue_cv = threading.Condition()
        self._running: Job | None = None
        self._conns: set[Connection] = set()
        self._conns_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="nichelm-io")
        self._lock = daemon_control.DaemonLock(self.socket_path)
        self._listener: socket.socket | None = None
        self._owns_pidfile = False
        self.unfinished = False
        from .watcher import SchemaWatcher

        self.watcher = SchemaWatcher(self._on_schema_change)

    # -- start-up -----------------------------------------------------------------------------------

    def bind(self) -> None:
        """Take the lock, clear a stale socket, listen. Raises DaemonRunning if another daemon is live."""
        daemon_control.secure_home()
        path = self.socket_path
        if len(os.fsencode(str(path))) > MAX_SOCKET_PATH:
            raise NicheError(f"socket path {path} is longer than {MAX_SOCKET_PATH} bytes, which Unix sockets "
                             "cannot use; set NICHELM_SOCKET (or --socket) to a shorter path")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self._lock.acquire():
            raise DaemonRunning(f"another NicheLM daemon already serves {path}; stop it with `nichelm stop`")
        if path.exists() or path.is_symlink():
            if daemon_control.ping(path):
                self._lock.release()
                raise DaemonRunning(f"something already listens on {path}")
            log.info("removing stale socket %s", path)
            path.unlink()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is created 0600: no window where others could connect
        try:
            s.bind(str(path))
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        s.listen(64)
        s.settimeout(0.5)
        self._listener = s
        if path == daemon_control.socket_path(None):
            daemon_control.pid_path().write_text(f"{os.getpid()}\n")
            self._owns_pidfile = True
        log.info("listening on %s (pid %d)", path, os.getpid())

    def _load(self) -> None:
        from . import models

        t0 = time.monotonic()
        try:
            model_path, lora_path, self.model_name = models.resolve(self.model_arg, self.lora_arg, log=log.info)
            self.timings["fetch_s"] = time.monotonic() - t0
            t1 = time.monotonic()
            self.engine = Engine(EngineSettings(model_path=str(model_path),
                                                lora_path=str(lora_path) if lora_path else None,
                                                n_ctx=self.n_ctx, n_threads=self.n_threads,
                                                state_dir=paths.states_dir()))
            self.timings["load_s"] = time.monotonic() - t1
            self.status = "ok"
            log.info("model %s loaded in %.2f s", model_path, self.timings["load_s"])
        except NicheError as exc:
            self.load_error, self.status = exc, "error"
            log.error("cannot load the model: %s", exc.message)
        except Exception as exc:
            self.load_error, self.status = protocol.InternalError(f"loading the model failed: {exc}"), "error"
            log.exception("cannot load the model")
        self.ready.set()
        if self.status == "error":
            # Give waiting clients a moment to read the error from health, then exit non-zero.
            threading.Timer(1.0, self.stop_event.set).start()

    def serve(self) -> int:
        """Run until stopped; return the process exit status."""
        # Handlers first: once the socket answers, a client may already expect SIGTERM to be clean.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: self.stop_event.set())
        self.watcher.start()
        threading.Thread(target=self._load, name="nichelm-loader", daemon=True).start()
        threading.Thread(target=self._accept_loop, name="nichelm-accept", daemon=True).start()
        worker = threading.Thread(target=self._worker, name="nichelm-model", daemon=True)
        worker.start()
        while not self.stop_event.wait(0.5):
            pass
        self._shutdown(worker)
        return 2 if self.status == "error" else 0

    # -- connections --------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self.stop_event.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stop_event.is_set():
                    return
                time.sleep(0.05)
                continue
            sock.settimeout(None)
            # A client that stops reading must not stall the thread replying to it (the model worker
            # among them): a send that blocks this long drops that client instead.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_S, 0))
            conn = Connection(sock)
            with self._conns_lock:
                self._conns.add(conn)
            threading.Thread(target=self._read_loop, args=(conn,), name=f"nichelm-conn-{conn.id}",
                             daemon=True).start()

    def _read_loop(self, conn: Connection) -> None:
        buf = b""
        skipping = False  # inside an over-long line: drop bytes until its newline
        try:
            while not conn.closed.is_set():
                chunk = conn.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    nl = buf.find(b"\n")
                    if nl < 0:
                        if len(buf) > protocol.MAX_LINE_BYTES:
                            if not skipping:
                                conn.send(protocol.error_line(None, protocol.ParseError(
                                    f"request line longer than {protocol.MAX_LINE_BYTES} bytes")))
                            skipping, buf = True, b""
                        break
                    line, buf = buf[:nl], buf[nl + 1:]
                    if skipping:
                        skipping = False
                        continue
                    if line.strip():
                        self._handle_line(conn, line)
        except OSError:
            pass
        finally:
            self._disconnect(conn)

    def _disconnect(self, conn: Connection) -> None:
        conn.closed.set()
        with self._conns_lock:
            self._conns.discard(conn)
            jobs = list(conn.jobs.values())
        # Its queued jobs are skipped by the worker and its running generation stops at the next token.
        for job in jobs:
            job.cancel.set()
        with self._queue_cv:
            self._queue_cv.notify_all()
        try:
            conn.sock.close()
        except OSError:
            pass

    def _handle_line(self, conn: Connection, line: bytes) -> None:
        rid = None
        try:
            rid, method, params = protocol.decode_request(line)
            params = protocol.check_params(method, params)
        except NicheError as exc:
            conn.send(protocol.error_line(rid if rid is not None else exc.details.get("id"), exc))
            return
        if self.stop_event.is_set():
            conn.send(protocol.error_line(rid, ShuttingDown("the daemon is shutting down")))
            return
        if method == "health":
            conn.send(protocol.response_line(rid, self.health()))
        elif method == "cancel":
            conn.send(protocol.response_line(rid, self._cancel(conn, params["id"])))
        elif method == "shutdown":
            conn.send(protocol.response_line(rid, {"ok": True, "pid": os.getpid()}))
            log.info("shutdown requested by a client")
            self.stop_event.set()
        else:
            job = Job(conn, rid, method, params)
            with self._conns_lock:
                if rid in conn.jobs:
                    conn.send(protocol.error_line(rid, protocol.InvalidRequest(
                        f"request id {rid!r} is already in flight on this connection")))
                    return
                conn.jobs[rid] = job
            self._pool.submit(self._run_io, job)

    # -- replies ------------------------------------------------------------------------------------

    def _finish(self, job: Job, result: Any = None, error: BaseException | None = None) -> None:
        job.state = "done"
        if self._running is job:
            self._running = None  # before the reply, so a client's next health sees the model free
        if job.rid is None:  # an internal job (warm): nobody waits for a reply
            return
        with self._conns_lock:
            job.conn.jobs.pop(job.rid, None)
        if error is not None and job.cancel.is_set() and not isinstance(error, Cancelled):
            error = Cancelled(f"{job.method} cancelled")
        if job.conn.closed.is_set():
            log.info("%s %r: client gone, reply dropped (%s)", job.method, job.rid,
                     "done" if error is None else getattr(error, "code", type(error).__name__))
            return
        if error is not None:
            if not isinstance(error, NicheError):
                log.exception("%s failed", job.method, exc_info=error)
            job.conn.send(protocol.error_line(job.rid, error))
        else:
            job.conn.send(protocol.response_line(job.rid, result))

    def _cancel(self, conn: Connection, target: Any) -> dict:
        with self._conns_lock:
            job = conn.jobs.get(target)
        if job is None:
            return {"id": target, "state": "not_found"}
        state = job.state
        job.cancel.set()
        if state == "queued":
            with self._queue_cv:
                try:
                    self._queue.remove(job)
                except ValueError:
                    state = job.state  # the worker took it in the meantime
                else:
                    self._finish(job, error=Cancelled(f"{job.method} cancelled before it started"))
        return {"id": target, "state": state}

    # -- work ---------------------------------------------------------------------------------------

    def _run_io(self, job: Job) -> None:
        """Pool thread: every method except the model part of generate."""
        if job.cancel.is_set():
            return self._finish(job, error=Cancelled(f"{job.method} cancelled"))
        p = job.params
        try:
            if job.method == "generate":
                return self._prepare_generate(job)
            if job.method == "warm":
                result = self._queue_warm(job)
            elif job.method == "schema":
                result = daemon_methods.schema_result(p["db"], self.cache, p["row_counts"])
                self._watch(result["db"], result["version"])
            elif job.method == "validate":
                result = daemon_methods.validate_result(p["db"], p["sql"], self.cache)
                self._watch(result["db"], result["version"])
            elif job.method == "execute":
                result = daemon_methods.execute_result(p["db"], p["sql"], allow_writes=p["allow_writes"],
                                                       max_rows=p["max_rows"], timeout_s=p["timeout_s"],
                                                       cancel=job.cancel)
            elif job.method == "subscribe":
                result = self._subscribe(job.conn, p["db"])
            elif job.method == "unsubscribe":
                path = os.path.realpath(p["db"])
                job.conn.subscriptions.discard(path)
                result = {"db": path}
            else:  # check_params already refused unknown methods
                raise protocol.UnknownMethod(job.method)
        except BaseException as exc:  # noqa: BLE001 - every failure becomes an error reply
            return self._finish(job, error=exc)
        self._finish(job, result)

    def _model_schema(self, params: dict) -> tuple[str, Any]:
        """(resolved path, schema) for a method that will use the model, from the cache its examples setting
        names; the file is watched from then on."""
        path = daemon_methods.resolve_db(params["db"])
        schema = (self.example_cache if params["with_examples"] else self.cache).get(path)
        self._watch(path, schema.version.key if schema.version else None)
        return path, schema

    def _queue_warm(self, job: Job) -> dict:
        """Read a database's schema into the model's cache while the model is idle (engine.warm), so that the
        first question on it evaluates only itself; a question that arrives meanwhile stops it (what was read
        stays). The reply comes at once: {"db", "warming"} and, when not warming, the reason."""
        path, schema = self._model_schema(job.params)
        with self._queue_cv:
            if self._queue or self._running is not None or not self.ready.is_set() or self.engine is None:
                return {"db": path, "warming": False, "reason": "the model is busy or not loaded"}
            self._queue.append(Job(job.conn, None, "warm", {**job.params, "_path": path, "_schema": schema},
                                   queued_at=time.monotonic()))
            self._queue_cv.notify_all()
        return {"db": path, "warming": True}

    def _stop_warming(self) -> None:
        """A question came: queued warm jobs go, a running one stops at its next chunk (holding the queue lock)."""
        self._queue = collections.deque(j for j in self._queue if j.method != "warm")
        if self._running is not None and self._running.method == "warm":
            self._running.cancel.set()

    def _prepare_generate(self, job: Job) -> None:
        # The schema is read here, off the model thread, so a missing file fails at once and a
        # cached schema costs the queue nothing.
        path, schema = self._model_schema(job.params)
        job.params = {**job.params, "_path": path, "_schema": schema}
        with self._queue_cv:
            if len(self._queue) >= MAX_QUEUE:
                raise Busy(f"{len(self._queue)} questions are already waiting for the model; try again shortly")
            if self.stop_event.is_set():
                raise ShuttingDown("the daemon is shutting down")
            job.queued_at = time.monotonic()
            self._stop_warming()
            self._queue.append(job)
            self._queue_cv.notify_all()

    def _worker(self) -> None:
        while True:
            with self._queue_cv:
                while not self.stop_event.is_set() and not (self._queue and self.ready.is_set()):
                    self._queue_cv.wait(0.5)
                if self.stop_event.is_set():
                    return
                job = self._queue.popleft()
                if job.cancel.is_set():  # its client left or cancelled it while it waited
                    self._finish(job, error=Cancelled("generate cancelled before it started"))
                    continue
                job.state = "running"
                self._running = job
            try:
                if job.method == "warm":
                    self._run_warm(job)
                else:
                    self._run_generate(job)
            except BaseException as exc:  # noqa: BLE001 - every failure becomes an error reply
                self._finish(job, error=exc)
            finally:
                with self._queue_cv:
                    self._running = None

    def _run_warm(self, job: Job) -> None:
        p = job.params
        try:
            n = warm_schema(self.engine, p["_schema"], with_examples=p["with_examples"], cancel=job.cancel)
            log.info("warmed %s: %s", p["_path"], "over the schema budget" if n is None else f"{n} tokens")
        except Cancelled:
            log.info("warming %s stopped: a question came", p["_path"])
        job.state = "done"

    def _run_generate(self, job: Job) -> None:
        if self.engine is None:
            raise self.load_error or protocol.InternalError("the model is not loaded")
        p = job.params
        queue_s = time.monotonic() - (job.queued_at or job.created)
        answer = daemon_methods.generate_answer(self.engine, p["_schema"], p["_path"], p, job.cancel)
        result = {**answer.to_json(), "db": p["_path"], "queue_s": round(queue_s, 4),
                  "model": self.model_name}
        if not p["execute"]:
            return self._finish(job, result)

        def run_it() -> None:
            try:
                result.update(daemon_methods.execution_for(answer, p["_path"], p, job.cancel))
                self._finish(job, result)
            except BaseException as exc:  # noqa: BLE001 - every failure becomes an error reply
                self._finish(job, error=exc)

        self._pool.submit(run_it)  # the model moves on to the next question meanwhile

    # -- schema changes -----------------------------------------------------------------------------

    def _watch(self, path: str, key: str | None) -> None:
        self.watcher.watch(path, key)

    def _subscribe(self, conn: Connection, db: str) -> dict:
        path = daemon_methods.resolve_db(db)
        key = schema_version(path).key
        self._watch(path, key)
        conn.subscriptions.add(path)
        return {"db": path, "version": key}

    def _on_schema_change(self, path: str, key: str | None, previous: str | None,
                          err: NicheError | None) -> None:
        log.info("schema of %s changed: %s -> %s", path, previous, key)
        tables = None
        self.cache.forget(path)
        self.example_cache.forget(path)
        if key is not None:
            try:
                tables = self.cache.get(path).as_dict()  # re-read now so the next question is fast
            except NicheError as exc:
                err = exc
        params = {"db": path, "version": key, "previous": previous, "tables": tables,
                  "error": err.to_json() if err else None}
        line = protocol.notification_line("schema_changed", params)
        with self._conns_lock:
            targets = [c for c in self._conns if path in c.subscriptions]
        for conn in targets:
            conn.send(line)

    # -- status and shutdown ------------------------------------------------------------------------

    def health(self) -> dict:
        running = self._running
        out = {
            "status": self.status,
            "pid": os.getpid(),
            "uptime_s": round(time.monotonic() - self.started, 3),
            "queue_length": len(self._queue),
            "running": running.method if running else None,
            "clients": len(self._conns),
            "watched": len(self.watcher.watched()),
            "socket": str(self.socket_path),
            "protocol": protocol.PROTOCOL_VERSION,
            "model": {"name": self.model_name, **(self.engine.info() if self.engine else {})},
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
        if self.load_error is not None:
            out["error"] = self.load_error.to_json()
        return out

    def _shutdown(self, worker: threading.Thread) -> None:
        log.info("shutting down")
        if self._listener is not None:
            self._listener.close()
        try:
            if self.socket_path.exists():
                self.socket_path.unlink()
        except OSError:
            pass
        with self._queue_cv:
            queued, self._queue = list(self._queue), collections.deque()
            running = self._running
            self._queue_cv.notify_all()
        for job in queued:
            self._finish(job, error=ShuttingDown("the daemon shut down before this question was answered"))
        if running is not None:
            running.cancel.set()
        with self._conns_lock:
            in_pool = [job for conn in self._conns for job in conn.jobs.values()]
        for job in in_pool:  # a long read-only query stops at its next progress check
            job.cancel.set()
        worker.join(timeout=10)
        self.watcher.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # A generation still inside llama.cpp (a slow prefill chunk) must not meet the interpreter's
        # teardown: then we leave with os._exit after cleaning up (see run()).
        self.unfinished = worker.is_alive() or not self.ready.is_set()
        if self.engine is not None and not self.unfinished:
            self.engine.close()
        if self._owns_pidfile:
            try:
                if daemon_control.pid_path().read_text().strip() == str(os.getpid()):
                    daemon_control.pid_path().unlink()
            except OSError:
                pass
        self._lock.release()
        log.info("stopped")


def run(*, model: str | None = None, lora: str | None = None, socket_path: str | None = None,
        n_threads: int | None = None, n_ctx: int = 4096) -> int:
    """Entry point of `nichelm serve --foreground`: bind, serve, return an exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    faulthandler.enable()  # a crash inside llama.cpp leaves Python tracebacks in the log
    daemon = Daemon(model=model, lora=lora, socket_path=socket_path, n_threads=n_threads, n_ctx=n_ctx)
    try:
        daemon.bind()
    except DaemonRunning as exc:
        log.error("%s", exc.message)
        return daemon_control.EXIT_DAEMON_RUNNING
    except NicheError as exc:
        log.error("%s", exc.message)
        return 1
    code = daemon.serve()
    if daemon.unfinished:
        logging.shutdown()
        os._exit(code)
    return code

