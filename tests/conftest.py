"""Shared fixtures: a real (tiny) llama.cpp model fetched through the product's own registry,
and NICHELM_HOME pointed at a per-test directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

TEST_CACHE = Path(os.environ.get("NICHELM_TEST_CACHE", Path.home() / ".cache" / "nichelm-test"))
TINY_MODEL = "smollm2-135m-instruct-q4_1"


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """SmolLM2-135M-Instruct GGUF, fetched once per machine and verified by sha256."""
    from nichelm.assistant import models

    old = os.environ.get("NICHELM_HOME")
    os.environ["NICHELM_HOME"] = str(TEST_CACHE)
    try:
        return models.ensure(TINY_MODEL, progress=False)
    finally:
        if old is None:
            os.environ.pop("NICHELM_HOME", None)
        else:
            os.environ["NICHELM_HOME"] = old


@pytest.fixture
def nichelm_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("NICHELM_HOME", str(home))
    return home


def write_sqlite(path: Path, script: str) -> Path:
    """A real SQLite file at *path* made by *script* (CREATE/INSERT statements)."""
    con = sqlite3.connect(path)
    try:
        con.executescript(script)
        con.commit()
    finally:
        con.close()
    return path


@pytest.fixture
def sqlite_file():
    """write_sqlite, for tests that build their own small database."""
    return write_sqlite


def fix_of(check: str, path: str, schema, question: str, sql: str) -> str | None:
    """The known fix (answer_checks.known_fix) of *check* for *sql*, once *check* is shown to be the first of the
    product's checks that finds something in it, and the fixed query to pass every check."""
    from nichelm.assistant.answer_checks import first_finding, known_fix

    found = first_finding(path, question, sql, schema)
    assert found and found[0] == check, found
    fixed = known_fix(check, path, question, sql, schema)
    assert fixed and first_finding(path, question, fixed, schema) is None, fixed
    return fixed


@pytest.fixture
def check_fix():
    """fix_of, for the tests of a check whose finding is fixed without the model."""
    return fix_of


@pytest.fixture
def spinning_core():
    """A CPU core of this process's on which a child process spins, busy for the test (Linux only)."""
    if not (os.path.exists("/proc/stat") and hasattr(os, "sched_setaffinity")):
        pytest.skip("needs Linux's /proc/stat and CPU affinity")
    core = min(os.sched_getaffinity(0))
    code = (f"import os, time; os.sched_setaffinity(0, {{{core}}}); end = time.time() + 30\n"
            "while time.time() < end: pass")
    child = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.3)  # started, pinned and spinning
    yield core
    child.kill()
    child.wait()
