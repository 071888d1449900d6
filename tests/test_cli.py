"""The `nichelm` command, run as a real subprocess against a real daemon and real SQLite files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from daemon_helpers import make_db, running_daemon, short_home

pytestmark = pytest.mark.timeout(300)


def nichelm(*args: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nichelm.assistant.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def daemon(tiny_model_path):
    with running_daemon(tiny_model_path) as d:
        yield d


@pytest.fixture
def shop(tmp_path):
    return make_db(tmp_path / "shop.sqlite")


def test_ask_through_the_daemon_json(daemon, shop):
    r = nichelm("ask", str(shop), "How many customers are there?", "--json", env=daemon.env())
    assert r.returncode == 0, r.stderr
    ans = json.loads(r.stdout)
    assert ans["question"] == "How many customers are there?" and ans["db"] == str(shop.resolve())
    assert "sql" in ans and ("result" in ans and "execution_error" in ans)


def test_ask_plain_output_and_no_run(daemon, shop):
    r = nichelm("ask", str(shop), "List the customer names", "--no-run", env=daemon.env())
    assert r.returncode == 0, r.stderr
    assert "row(s)" not in r.stderr  # nothing was run


def test_ask_missing_database_is_a_clear_error(daemon, tmp_path):
    r = nichelm("ask", str(tmp_path / "nope.sqlite"), "How many?", env=daemon.env())
    assert r.returncode == 1
    assert "error [database_missing]" in r.stderr and "Traceback" not in r.stderr


def test_status_and_schema(daemon, shop):
    r = nichelm("status", env=daemon.env())
    assert r.returncode == 0 and r.stdout.startswith(f"ok: pid {daemon.proc.pid}")
    r = nichelm("schema", str(shop), env=daemon.env())
    assert r.returncode == 0 and "CREATE TABLE customers" in r.stdout
    r = nichelm("schema", str(shop), "--json", env=daemon.env())
    tables = json.loads(r.stdout)["tables"]
    assert [t["name"] for t in tables] == ["customers", "orders"] and tables[0]["row_count"] == 3


def test_models_table():
    home = short_home()
    try:
        r = nichelm("models", env={**os.environ, "NICHELM_HOME": str(home)})
        assert r.returncode == 0
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["name", "kind", "size", "present", "path"]
        row = next(line for line in lines if "smollm2-135m-instruct-q4_1" in line)
        assert " no " in row  # an empty home has nothing downloaded
        assert any(line.startswith("* qwen2.5-coder-1.5b") for line in lines)  # the default model
        assert "Not in this version's list" not in r.stdout
        # an older release's merged build left in the models folder is listed with its size, not as a model
        (home / "models").mkdir(parents=True, exist_ok=True)
        (home / "models" / "nichelm-v9-q6_k.gguf").write_bytes(b"\0" * 2_000_000)
        (home / "models" / "notes.txt").write_text("not a model")
        r = nichelm("models", env={**os.environ, "NICHELM_HOME": str(home)})
        assert r.returncode == 0
        tail = r.stdout.split("Not in this version's list", 1)[1].splitlines()[1:]
        assert [line.split() for line in tail] == [[str(home / "models" / "nichelm-v9-q6_k.gguf"), "2", "MB"]]
        assert "Kept schema states" not in r.stdout
        # kept schema states (assistant/prefix_disk.py) are counted with the space they take
        from nichelm.assistant.prefix_disk import DiskStates

        DiskStates(home / "states", {"model": "m"}).save([1, 2, 3], b"\0" * 3_000_000)
        r = nichelm("models", env={**os.environ, "NICHELM_HOME": str(home)})
        assert r.returncode == 0 and f"1 file, 3 MB in {home / 'states'}" in r.stdout.replace("\n", " ")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_pull_verifies_a_present_model(tiny_model_path):
    env = {**os.environ, "NICHELM_HOME": str(tiny_model_path.parent.parent)}
    r = nichelm("pull", "smollm2-135m-instruct-q4_1", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tiny_model_path)
    assert "already present and verified" in r.stderr
    r = nichelm("pull", "no-such-model", env=env)
    assert r.returncode == 1 and "error [model_not_found]" in r.stderr


def test_ask_local_needs_no_daemon(tiny_model_path, shop):
    home = short_home()
    try:
        env = {**os.environ, "NICHELM_HOME": str(home), "NICHELM_MODEL": str(tiny_model_path)}
        env.pop("NICHELM_SOCKET", None)
        r = nichelm("ask", str(shop), "How many orders are there?", "--local", "--json", env=env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["question"] == "How many orders are there?"
        assert not (home / "daemon.sock").exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_serve_in_background_then_stop(tiny_model_path):
    home = short_home()
    try:
        env = {**os.environ, "NICHELM_HOME": str(home)}
        env.pop("NICHELM_SOCKET", None)
        r = nichelm("status", env=env)
        assert r.returncode == 1 and "not running" in r.stdout
        r = nichelm("serve", "--model", str(tiny_model_path), env=env)
        assert r.returncode == 0, r.stderr
        assert "serving" in r.stdout and (home / "daemon.sock").exists()
        pid = int((home / "daemon.pid").read_text())
        r = nichelm("serve", "--model", str(tiny_model_path), env=env)
        assert r.returncode == 3 and "already serves" in r.stderr
        r = nichelm("stop", env=env)
        assert r.returncode == 0 and f"stopped daemon pid {pid}" in r.stdout, r.stderr
        assert not (home / "daemon.sock").exists()
        assert "stopped" in (home / "daemon.log").read_text()
    finally:
        if (home / "daemon.pid").exists():
            os.kill(int((home / "daemon.pid").read_text()), 15)
        shutil.rmtree(home, ignore_errors=True)
