"""Finding, starting and locking the daemon process: the file layout under NICHELM_HOME.

    $NICHELM_HOME/            mode 0700
        daemon.sock           the Unix socket (mode 0600), or $NICHELM_SOCKET
        daemon.sock.lock      flock held by the live daemon for its whole life (one daemon per socket)
        daemon.pid            pid of the daemon serving the default socket
        daemon.log            stdout/stderr of daemons started in the background
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import subprocess
import sys
from pathlib import Path

from . import paths

EXIT_DAEMON_RUNNING = 3  # `nichelm serve` exit status when another daemon already serves the socket
LOG_ROTATE_BYTES = 5 * 1024 * 1024


def socket_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit).expanduser() if explicit else paths.socket_path()


def secure_home() -> Path:
    """NICHELM_HOME, created if needed and made private (0700): the socket lives inside it."""
    home = paths.home()
    os.chmod(home, 0o700)
    return home


def lock_path(sock: Path) -> Path:
    return sock.with_name(sock.name + ".lock")


def pid_path() -> Path:
    return paths.home() / "daemon.pid"


def log_path() -> Path:
    return paths.home() / "daemon.log"


def ping(sock: Path, timeout: float = 1.0) -> bool:
    """True when something accepts connections on *sock* (a live daemon)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(sock))
        return True
    except OSError:
        return False
    finally:
        s.close()


class DaemonLock:
    """An exclusive, non-blocking flock next to the socket. The kernel drops it when the process dies,
    so a crashed daemon never leaves a lock behind (unlike the socket file itself)."""

    def __init__(self, sock: Path):
        self.path = lock_path(sock)
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _rotate_log(log: Path) -> None:
    try:
        if log.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
    except FileNotFoundError:
        pass


def spawn(*, model: str | None = None, lora: str | None = None, socket: str | os.PathLike | None = None,
          extra_args: list[str] | None = None) -> subprocess.Popen:
    """Start `nichelm serve --foreground` detached from this process (own session, no terminal),
    its output appended to daemon.log. Returns at once; the caller waits for health."""
    secure_home()
    log = log_path()
    _rotate_log(log)
    cmd = [sys.executable, "-m", "nichelm.assistant.cli", "serve", "--foreground"]
    if model:
        cmd += ["--model", str(model)]
    if lora:
        cmd += ["--lora", str(lora)]
    if socket:
        cmd += ["--socket", str(socket)]
    cmd += extra_args or []
    with open(log, "ab") as out:
        os.chmod(log, 0o600)
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=os.environ.copy())


def log_tail(lines: int = 20) -> str:
    try:
        text = log_path().read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
