"""The running NicheLM daemon, through `nichelm.assistant.client` (the same path the REPL uses).

The daemon owns one model and queues requests; one thread-safe client is shared by the runner's threads
(a couple of threads keep the daemon's queue fed without overloading it). By default a daemon is
started if none runs (`autostart`), with *model* / *lora* when given.
"""

from __future__ import annotations

import time

from nichelm.assistant.errors import NicheError

from ..datasets import Example
from .base import Prediction


class DaemonBackend:
    concurrency = "threads"

    def __init__(self, socket: str | None = None, candidates: int = 1, examples: int = 0,
                 autostart: bool = True, model: str | None = None, lora: str | None = None,
                 timeout_s: float = 600.0, repair: bool = False):
        self.repair = repair
        from nichelm.assistant.client import Client

        self.socket = socket
        self.candidates = candidates
        self.with_examples = examples > 0
        self.timeout_s = timeout_s
        self.client = Client.connect(socket, autostart=autostart, model=model, lora=lora)

    def predict(self, example: Example) -> Prediction:
        start = time.monotonic()
        try:
            r = self.client.generate(example.db_path, example.question, candidates=self.candidates,
                                     with_examples=self.with_examples, repair=self.repair,
                                     timeout=self.timeout_s)
        except NicheError as exc:
            return Prediction("", None, time.monotonic() - start, error=f"{exc.code}: {exc.message}")
        # latency_s is the round trip through the socket, queueing included: what a REPL user waits.
        return Prediction(r.get("raw", ""), r.get("sql"), time.monotonic() - start, r.get("prompt_tokens", 0),
                          r.get("completion_tokens", 0), 0.0, None,
                          {"generation_s": r.get("latency_s"), "queue_s": r.get("queue_s"),
                           "cached_tokens": r.get("cached_tokens", 0), "repaired": r.get("repaired", False),
                           "first_sql": r.get("first_sql"), "replaced_because": r.get("replaced_because")})

    def info(self) -> dict:
        info: dict = {"backend": "daemon", "socket": str(self.socket or "default"), "candidates": self.candidates,
                      "repair": self.repair}
        try:
            info["daemon"] = self.client.health()
        except Exception as exc:  # best effort: info never fails a run
            info["daemon_error"] = str(exc)
        return info

    def close(self) -> None:
        self.client.close()
