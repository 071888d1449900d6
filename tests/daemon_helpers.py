"""Starting a real `nichelm serve` in a subprocess for the daemon and CLI tests."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class DaemonProc:
    home: Path
    sock: Path
    proc: subprocess.Popen
    log: Path

    def env(self) -> dict:
        env = {**os.environ, "NICHELM_HOME": str(self.home), "NICHELM_SOCKET": str(self.sock)}
        env.pop("NICHELM_MODEL", None)
        return env

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def short_home() -> Path:
    # Unix socket paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    return Path(tempfile.mkdtemp(prefix="nl-", dir="/tmp"))


def serve_cmd(model_path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nichelm.assistant.cli", "serve", "--foreground",
            "--model", str(model_path), "--threads", "2", *extra]


def wait_healthy(sock: Path, proc: subprocess.Popen, timeout: float = 120.0) -> dict:
    from nichelm.assistant.client import Client
    from nichelm.assistant.protocol import DaemonUnavailable

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with status {proc.returncode}")
        if sock.exists():
            try:
                with Client(sock, autostart=False) as c:
                    return c.wait_ready(max(1.0, deadline - time.monotonic()))
            except (ConnectionError, DaemonUnavailable):
                pass  # a stale socket file, or not listening yet
        time.sleep(0.05)
    raise TimeoutError("daemon did not become healthy")


@contextmanager
def running_daemon(model_path: Path, *extra: str, home: Path | None = None):
    """A daemon in a subprocess, in a fresh NICHELM_HOME (removed after) or in *home* (kept: the caller's)."""
    own_home = home is None
    home = home or short_home()
    sock = home / "daemon.sock"
    log = home / "test-daemon.log"
    env = {**os.environ, "NICHELM_HOME": str(home)}
    env.pop("NICHELM_SOCKET", None)
    env.pop("NICHELM_MODEL", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen(serve_cmd(model_path, *extra), env=env, stdout=out, stderr=subprocess.STDOUT)
    d = DaemonProc(home, sock, proc, log)
    try:
        wait_healthy(sock, proc)
        yield d
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if own_home:
            shutil.rmtree(home, ignore_errors=True)


def make_db(path: Path) -> Path:
    """A small shop database."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             total REAL, placed_at TEXT);
        CREATE INDEX orders_customer ON orders(customer_id);
        INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Linus', 'Helsinki'), (3, 'Grace', 'New York');
        INSERT INTO orders VALUES (1, 1, 9.5, '2026-05-01'), (2, 1, 20.0, '2026-05-03'), (3, 2, 5.25, '2026-06-01');
    """)
    con.commit()
    con.close()
    return path


def make_big_db(path: Path, tables: int = 16) -> Path:
    """A database whose schema fills much of the prompt, with names unique to this file, so the
    model's prefill is long and never served from llama.cpp's prefix cache of an earlier test."""
    tag = uuid.uuid4().hex[:6]
    con = sqlite3.connect(path)
    for i in range(tables):
        cols = ", ".join(f"c{j}_{tag} TEXT" for j in range(6))
        con.execute(f"CREATE TABLE t{tag}_{i} (id INTEGER PRIMARY KEY, {cols})")
    con.commit()
    con.close()
    return path


def raw_connect(sock: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(str(sock))
    return s


def read_line(s: socket.socket, buf: bytearray) -> bytes:
    while b"\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf.extend(chunk)
    i = buf.index(b"\n")
    line = bytes(buf[:i])
    del buf[: i + 1]
    return line


def wait_running(client, timeout: float = 30.0) -> None:
    """Until the daemon reports a generation running on the model."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.health()["running"] == "generate":
            return
        time.sleep(0.005)
    raise AssertionError("no generation started")
