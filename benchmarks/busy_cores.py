"""Other processes keeping CPU cores busy while a benchmark measures (its --busy N option)."""

from __future__ import annotations

import contextlib
import subprocess
import sys


@contextlib.contextmanager
def spinning(n: int):
    """*n* child processes that spin until the block ends (0: none)."""
    children = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()
