"""Where the REPL's questions go: the shared daemon (default) or a model loaded in this process (--local).

Both return the daemon's `generate` answer dict (``Answer.to_json()``: sql, raw, problems, latency_s, ...)
and both turn Ctrl-C while waiting into a cancelled generation followed by KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path


class DaemonBackend:
    """Questions go to `nichelm serve` over its socket; the daemon is started on the first question."""

    name = "daemon"

    def __init__(self, model: str | None = None, socket_path: str | None = None):
        self.model = model
        self.socket_path = socket_path
        self._client = None

    def _connect(self):
        if self._client is None:
            from . import models, paths
            from .client import Client

            if not Path(self.socket_path or paths.socket_path()).exists():
                models.prefetch(self.model)  # first run: the download shows its progress here
            # Client.connect waits for the model to load; Ctrl-C during that wait just leaves us
            # unconnected, and the next question tries again.
            self._client = Client.connect(self.socket_path, autostart=True, model=self.model)
        return self._client

    def generate(self, db: str, question: str) -> dict:
        client = self._connect()
        pending = client.submit("generate", db=str(Path(db).resolve()), question=question, execute=False)
        # PendingRequest.result cancels the request in the daemon on KeyboardInterrupt and re-raises.
        return pending.result()

    def warm(self, db: str) -> None:
        """When a daemon already runs, have it read the database's schema while the user types the first
        question (daemon method `warm`); otherwise nothing: the daemon starts on the first question, as before."""
        from . import daemon_control
        from .client import Client

        if self._client is not None or not daemon_control.socket_path(self.socket_path).exists():
            return
        # A head start only: any failure leaves the first question as it was.
        with contextlib.suppress(Exception), Client(self.socket_path, autostart=False) as c:
            c.warm(str(Path(db).resolve()), timeout=5)

    def info(self) -> dict:
        health = self._connect().health()
        return {"backend": "daemon", "socket": str(self._client.socket_path), **(health.get("model") or {}),
                "pid": health.get("pid")}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class LocalBackend:
    """The model runs in this process (no daemon); loaded on the first question."""

    name = "local"

    def __init__(self, model: str | None = None):
        self.model = model
        self._engine = None
        self._model_name = None

    def warm(self, db: str) -> None:
        """Nothing: loading the model here before the first question would only move the wait."""

    def _load(self):
        if self._engine is None:
            from . import models, paths
            from .engine import Engine, EngineSettings

            path, lora, self._model_name = models.resolve(self.model)
            self._engine = Engine(EngineSettings(model_path=str(path), lora_path=str(lora) if lora else None,
                                                 state_dir=paths.states_dir()))
        return self._engine

    def generate(self, db: str, question: str) -> dict:
        from .service import SchemaCache, answer_question, served_settings

        engine = self._load()
        schema = SchemaCache().get(db)
        cancel = threading.Event()
        box: dict = {}

        def work():
            try:
                box["answer"] = answer_question(engine, schema, question, db_path=db, repair=True, cancel=cancel,
                                               **served_settings(engine)).to_json()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = exc

        worker = threading.Thread(target=work, name="nichelm-repl-generate", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.05)
        except KeyboardInterrupt:
            cancel.set()
            worker.join()
            raise
        if "error" in box:
            raise box["error"]
        return box["answer"]

    def info(self) -> dict:
        engine = self._load()
        return {"backend": "local", "name": self._model_name, **engine.info()}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
