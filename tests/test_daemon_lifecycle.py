"""Starting, refusing, restarting and stopping the real daemon; client autostart and reconnect."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess

import pytest
from daemon_helpers import make_db, running_daemon, serve_cmd, short_home, wait_healthy, wait_running
from nichelm.assistant.client import Client
from nichelm.assistant.errors import NicheError
from nichelm.assistant.protocol import DaemonUnavailable

pytestmark = pytest.mark.timeout(300)


def test_shutdown_request_is_clean(tiny_model_path):
    with running_daemon(tiny_model_path) as d:
        with Client(d.sock, autostart=False) as c:
            assert c.shutdown()["pid"] == d.proc.pid
        assert d.proc.wait(30) == 0
        assert not d.sock.exists()
        assert not (d.home / "daemon.pid").exists()
        assert "stopped" in d.log_text()


def test_sigterm_is_clean_and_cancels_work(tiny_model_path, tmp_path):
    from daemon_helpers import make_big_db

    big = make_big_db(tmp_path / "big.sqlite")
    with running_daemon(tiny_model_path) as d:
        c = Client(d.sock, autostart=False)
        pending = c.submit("generate", db=str(big), question="List everything")
        wait_running(c)
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(30) == 0
        assert not d.sock.exists()
        # The running question is answered (cancelled) or the connection drops; never a hang.
        with pytest.raises(NicheError) as info:
            pending.result(30)
        assert info.value.code in ("cancelled", "connection_lost", "shutting_down")
        c.close()


def test_second_daemon_on_the_same_socket_is_refused(tiny_model_path):
    with running_daemon(tiny_model_path) as d:
        env = {**d.env()}
        env.pop("NICHELM_SOCKET")
        second = subprocess.run(serve_cmd(tiny_model_path), env=env, capture_output=True, text=True, timeout=60,
                                check=False)
        assert second.returncode == 3
        assert "already serves" in second.stderr
        with Client(d.sock, autostart=False) as c:
            assert c.health()["pid"] == d.proc.pid  # the first one is untouched


def test_stale_socket_file_is_replaced(tiny_model_path):
    home = short_home()
    try:
        sock = home / "daemon.sock"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(sock))
        s.close()  # a socket file with nobody behind it, as a crashed daemon leaves
        assert sock.exists()
        env = {"NICHELM_HOME": str(home)}
        import os

        proc = subprocess.Popen(serve_cmd(tiny_model_path), env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert wait_healthy(sock, proc)["pid"] == proc.pid
        finally:
            proc.terminate()
            assert proc.wait(30) == 0
        assert not sock.exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_client_autostarts_and_reconnects(tiny_model_path, tmp_path, monkeypatch):
    home = short_home()
    monkeypatch.setenv("NICHELM_HOME", str(home))
    monkeypatch.delenv("NICHELM_SOCKET", raising=False)
    db = make_db(tmp_path / "shop.sqlite")
    started = []
    try:
        with pytest.raises(DaemonUnavailable):
            Client(autostart=False).health()
        client = Client.connect(model=str(tiny_model_path), timeout=120)
        started.append(client.started_process)
        h = client.health()
        assert h["status"] == "ok" and h["pid"] == client.started_process.pid
        assert (home / "daemon.sock").exists() and (home / "daemon.log").exists()
        assert client.schema(db, row_counts=False)["tables"][0]["name"] == "customers"
        # The daemon goes away (stopped by someone else); the next request starts a new one.
        with Client(autostart=False) as other:
            other.shutdown()
        assert client.started_process.wait(30) == 0
        h2 = client.health(timeout=120)
        started.append(client.started_process)
        assert h2["pid"] != h["pid"] and h2["pid"] == client.started_process.pid
        client.shutdown()
        client.close()
        assert client.started_process.wait(30) == 0
    finally:
        for p in started:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(home, ignore_errors=True)


def test_autostart_reports_a_daemon_that_cannot_start(tmp_path, monkeypatch):
    home = short_home()
    monkeypatch.setenv("NICHELM_HOME", str(home))
    monkeypatch.delenv("NICHELM_SOCKET", raising=False)
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"GGUF but not really" * 100)
    try:
        with pytest.raises(Exception) as info:
            Client.connect(model=str(bogus), timeout=120)
        assert getattr(info.value, "code", "") in ("model_error", "daemon_unavailable", "connection_lost")
        assert "could not load" in (home / "daemon.log").read_text()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_two_clients_autostarting_at_once_share_one_daemon(tiny_model_path, monkeypatch):
    import threading

    home = short_home()
    monkeypatch.setenv("NICHELM_HOME", str(home))
    monkeypatch.delenv("NICHELM_SOCKET", raising=False)
    clients: list[Client] = []
    errors: list[BaseException] = []

    def connect():
        try:
            clients.append(Client.connect(model=str(tiny_model_path), timeout=120))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=connect) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert not errors and len(clients) == 2
        pids = {c.health()["pid"] for c in clients}
        assert len(pids) == 1
        clients[0].shutdown()
    finally:
        for c in clients:
            c.close()
            if c.started_process is not None and c.started_process.poll() is None:
                c.started_process.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def test_a_restarted_daemon_reads_a_known_schema_from_disk(tiny_model_path, tmp_path):
    """The first question on a database after a restart finds its schema's state in NICHELM_HOME/states
    (assistant/prefix_disk.py) instead of evaluating it again, and answers as the first daemon did."""
    home = short_home()
    shop = make_db(tmp_path / "shop.sqlite")
    question = "How many customers live in London?"
    try:
        with running_daemon(tiny_model_path, home=home) as d:
            with Client(d.sock, autostart=False) as c:
                first = c.generate(shop, question)
        assert list((home / "states").glob("*/*.state"))
        with running_daemon(tiny_model_path, home=home) as d:
            with Client(d.sock, autostart=False) as c:
                again = c.generate(shop, question)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert first["cached_tokens"] < 0.5 * first["prompt_tokens"]
    assert again["cached_tokens"] > 0.9 * again["prompt_tokens"]
    assert again["raw"] == first["raw"]
