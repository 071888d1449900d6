"""Other processes keeping CPU cores busy while a benchmark measures (its --busy N option)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading


def _spinners(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


@contextlib.contextmanager
def spinning(n: int):
    """*n* child processes that spin until the block ends (0: none)."""
    children = _spinners(n)
    try:
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()


class LateSpinners:
    """*n* child processes that start spinning *after_s* seconds after `start()` and stop at `stop()`: load that
    arrives in the middle of an answer (0: none)."""

    def __init__(self, n: int, after_s: float):
        self.n, self.after_s = n, after_s
        self._children: list[subprocess.Popen] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def _spawn(self) -> None:
        with self._lock:
            if self._timer is not None:  # not stopped meanwhile
                self._children = _spinners(self.n)

    def start(self) -> None:
        if self.n:
            self._timer = threading.Timer(self.after_s, self._spawn)
            self._timer.start()

    def stop(self) -> int:
        """Stop the children (or the timer that would start them); how many had started."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            started, self._children = self._children, []
        for child in started:
            child.kill()
            child.wait()
        return len(started)
