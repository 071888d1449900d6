"""Where NicheLM keeps its files: one directory, `NICHELM_HOME`, default a per-user cache dir."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    env = os.environ.get("NICHELM_HOME")
    if env:
        p = Path(env).expanduser()
    else:
        from platformdirs import user_cache_dir

        p = Path(user_cache_dir("nichelm"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def models_dir() -> Path:
    p = home() / "models"
    p.mkdir(parents=True, exist_ok=True)
    return p


def socket_path() -> Path:
    return Path(os.environ.get("NICHELM_SOCKET") or home() / "daemon.sock")


def history_path() -> Path:
    return home() / "repl_history"


def states_dir() -> Path | None:
    """Where kept prompt-prefix states live between processes (assistant/prefix_disk.py); None when
    NICHELM_DISK_STATES=0 turns them off."""
    if os.environ.get("NICHELM_DISK_STATES", "1") == "0":
        return None
    return home() / "states"
