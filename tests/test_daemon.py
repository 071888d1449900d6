"""The real daemon over its real socket, in a subprocess, with the real tiny model."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import stat
import threading
import time

import pytest
from daemon_helpers import make_big_db, make_db, raw_connect, read_line, running_daemon, wait_running
from nichelm.assistant.client import Client
from nichelm.assistant.engine import Cancelled
from nichelm.assistant.errors import DatabaseMissing, NicheError, NotADatabase, WriteRefused
from nichelm.assistant.protocol import InvalidParams, UnknownMethod

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def daemon(tiny_model_path):
    with running_daemon(tiny_model_path) as d:
        yield d


@pytest.fixture
def client(daemon):
    with Client(daemon.sock, autostart=False) as c:
        yield c


@pytest.fixture
def shop(tmp_path):
    return make_db(tmp_path / "shop.sqlite")


def test_health(client, daemon):
    h = client.health()
    assert h["status"] == "ok"
    assert h["pid"] == daemon.proc.pid
    assert h["model"]["name"] == "smollm2-135m-instruct-q4_1.gguf"
    assert h["model"]["load_s"] > 0
    assert h["queue_length"] == 0 and h["running"] is None
    assert h["uptime_s"] > 0


def test_socket_is_private(daemon):
    assert stat.S_IMODE(os.stat(daemon.sock).st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(daemon.sock).st_mode)
    assert stat.S_IMODE(os.stat(daemon.home).st_mode) == 0o700
    assert (daemon.home / "daemon.pid").read_text().strip() == str(daemon.proc.pid)


def test_generate_answer_shape(client, shop):
    ans = client.generate(shop, "How many customers are there?", execute=True)
    for key in ("question", "sql", "raw", "problems", "latency_s", "prompt_tokens", "completion_tokens",
                "schema_version", "db", "queue_s", "result", "execution_error"):
        assert key in ans, key
    assert ans["db"] == str(shop.resolve())
    assert ans["prompt_tokens"] > 50 and ans["latency_s"] > 0
    assert isinstance(ans["raw"], str)
    # Either it ran (rows as lists) or there is a structured reason why not; never both.
    assert (ans["result"] is None) != (ans["execution_error"] is None)
    if ans["result"] is not None:
        assert isinstance(ans["result"]["columns"], list) and isinstance(ans["result"]["rows"], list)
    else:
        assert ans["execution_error"]["code"] and ans["execution_error"]["message"]


def test_generate_without_execute_has_no_result(client, shop):
    ans = client.generate(shop, "List the customers in London")
    assert "result" not in ans and "execution_error" not in ans


def test_two_concurrent_clients(daemon, shop, tmp_path):
    other = make_db(tmp_path / "other.sqlite")
    results: dict[str, dict] = {}
    errors: list[BaseException] = []

    def ask(name, db, question):
        try:
            with Client(daemon.sock, autostart=False) as c:
                results[name] = c.generate(db, question)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=("a", shop, "How many orders are there?")),
               threading.Thread(target=ask, args=("b", other, "What is the total of all orders?"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert results["a"]["question"] == "How many orders are there?"
    assert results["b"]["question"] == "What is the total of all orders?"
    assert results["b"]["db"] == str(other.resolve())


def test_health_and_schema_do_not_wait_for_the_model(client, tmp_path, shop):
    big = make_big_db(tmp_path / "big.sqlite")
    pending = client.submit("generate", db=str(big), question="Show everything")
    wait_running(client)
    # Answered while the model is busy (the generation above is still running).
    schema = client.schema(shop)
    h = client.health()
    assert [t["name"] for t in schema["tables"]] == ["customers", "orders"]
    assert h["running"] == "generate"
    pending.cancel()
    with pytest.raises(Cancelled):
        pending.result(120)


def test_disconnect_mid_generation_does_not_wedge(daemon, client, tmp_path, shop):
    big = make_big_db(tmp_path / "big.sqlite")
    s = raw_connect(daemon.sock)
    s.sendall(json.dumps({"id": 1, "method": "generate",
                          "params": {"db": str(big), "question": "List every row"}}).encode() + b"\n")
    wait_running(client)
    s.close()  # the client goes away while its generation runs
    ans = client.generate(shop, "How many customers are there?", timeout=120)
    assert ans["question"] == "How many customers are there?"
    assert client.health()["running"] is None
    deadline = time.monotonic() + 10
    while "client gone, reply dropped (cancelled)" not in daemon.log_text():
        assert time.monotonic() < deadline, daemon.log_text()[-2000:]
        time.sleep(0.05)


def test_cancel_running_and_queued(client, tmp_path):
    big1 = make_big_db(tmp_path / "big1.sqlite")
    big2 = make_big_db(tmp_path / "big2.sqlite")
    first = client.submit("generate", db=str(big1), question="List all rows")
    wait_running(client)
    second = client.submit("generate", db=str(big2), question="Count the rows")
    deadline = time.monotonic() + 10
    while client.health()["queue_length"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert client.cancel(second.id)["state"] == "queued"
    assert client.cancel(first.id)["state"] == "running"
    with pytest.raises(Cancelled):
        second.result(60)
    with pytest.raises(Cancelled):
        first.result(60)
    assert client.cancel(first.id)["state"] == "not_found"
    h = client.health()
    assert h["running"] is None and h["queue_length"] == 0


def test_cancel_from_another_thread(client, tmp_path):
    big = make_big_db(tmp_path / "big.sqlite")
    pending = client.submit("generate", db=str(big), question="Which rows are there?")
    caught: queue.Queue = queue.Queue()

    def wait():
        try:
            pending.result(120)
            caught.put(None)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            caught.put(exc)

    t = threading.Thread(target=wait)
    t.start()
    wait_running(client)
    pending.cancel()
    t.join(120)
    assert isinstance(caught.get_nowait(), Cancelled)


def test_malformed_json_keeps_the_connection(daemon):
    s = raw_connect(daemon.sock)
    buf = bytearray()
    s.sendall(b"{this is not json\n")
    err = json.loads(read_line(s, buf))
    assert err["id"] is None and err["error"]["code"] == "parse_error"
    s.sendall(b"[1, 2, 3]\n")
    assert json.loads(read_line(s, buf))["error"]["code"] == "invalid_request"
    s.sendall(b'{"id": 7, "method": "schema", "params": {}}\n')
    err = json.loads(read_line(s, buf))
    assert err["id"] == 7 and err["error"]["code"] == "invalid_params"
    s.sendall(b'{"id": 8, "method": "health"}\n')
    ok = json.loads(read_line(s, buf))
    assert ok["id"] == 8 and ok["result"]["status"] == "ok"
    s.close()


def test_unknown_method_and_bad_params(client):
    with pytest.raises(UnknownMethod) as info:
        client.request("frobnicate", x=1)
    assert info.value.code == "unknown_method"
    with pytest.raises(InvalidParams):
        client.request("execute", db="/x.sqlite", sql="SELECT 1", allow_writes="yes")
    assert client.health()["status"] == "ok"  # same connection, still fine


def test_missing_and_non_database_files(client, tmp_path):
    with pytest.raises(DatabaseMissing) as info:
        client.generate(tmp_path / "nope.sqlite", "How many rows?")
    assert info.value.code == "database_missing" and "nope.sqlite" in info.value.message
    text = tmp_path / "notes.sqlite"
    text.write_text("just some notes, not a database\n" * 10)
    with pytest.raises(NotADatabase):
        client.generate(text, "How many rows?")
    with pytest.raises(NotADatabase):
        client.schema(text)
    assert text.read_text().startswith("just some notes")


def test_execute_refuses_writes_without_allow_writes(client, shop):
    before = shop.read_bytes()
    for sql in ("DELETE FROM orders", "DROP TABLE customers", "INSERT INTO customers VALUES (9, 'X', 'Y')",
                "UPDATE orders SET total = 0"):
        with pytest.raises(WriteRefused):
            client.execute(shop, sql)
    assert shop.read_bytes() == before
    r = client.execute(shop, "SELECT name FROM customers ORDER BY id")
    assert r["rows"] == [["Ada"], ["Linus"], ["Grace"]] and r["read_only"] is True
    changed = client.execute(shop, "DELETE FROM orders WHERE id = 3", allow_writes=True)
    assert changed["rows_changed"] == 1
    assert client.execute(shop, "SELECT count(*) FROM orders")["rows"] == [[2]]


def test_validate(client, shop):
    r = client.validate(shop, "SELECT nme FROM customers")
    assert [p["kind"] for p in r["problems"]] == ["unknown_column"]
    assert r["problems"][0]["line"] == 0 and r["read_only"] is True
    assert client.validate(shop, "SELECT name FROM customers")["problems"] == []


def test_schema_change_notifies_subscriber(client, shop):
    got: queue.Queue = queue.Queue()
    sub = client.subscribe(shop, got.put)
    assert sub["db"] == str(shop.resolve())
    before = client.schema(shop)
    con = sqlite3.connect(shop)
    con.execute("ALTER TABLE customers ADD COLUMN email TEXT")
    con.commit()
    con.close()
    note = got.get(timeout=8)  # watchdog, not the 10 s poll
    assert note["db"] == sub["db"]
    assert note["version"] != sub["version"] and note["previous"] == sub["version"]
    assert "email" in note["tables"]["customers"]
    after = client.schema(shop)
    assert after["version"] == note["version"] != before["version"]
    assert "email" in [c["name"] for c in after["tables"][0]["columns"]]
    client.unsubscribe(shop)


def test_schema_change_in_wal_mode_and_file_removal(client, tmp_path):
    db = make_db(tmp_path / "wal.sqlite")
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    got: queue.Queue = queue.Queue()
    sub = client.subscribe(db, got.put)
    con.execute("CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER, amount REAL)")
    con.commit()  # lands in shop.sqlite-wal; the main file is untouched until a checkpoint
    note = got.get(timeout=8)
    assert note["previous"] == sub["version"] and "refunds" in note["tables"]
    con.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"wal.sqlite{suffix}").unlink(missing_ok=True)
    note = got.get(timeout=8)
    assert note["version"] is None and note["error"]["code"] == "database_missing"


def test_schema_json_shape(client, shop):
    s = client.schema(shop)
    orders = s["tables"][1]
    assert orders["name"] == "orders" and orders["row_count"] == 3
    assert orders["foreign_keys"] == [{"columns": ["customer_id"], "ref_table": "customers", "ref_columns": ["id"]}]
    assert orders["indexes"][0]["name"] == "orders_customer"
    assert orders["primary_key"] == ["id"]


def test_a_client_that_stops_reading_is_dropped(daemon, client, shop):
    s = raw_connect(daemon.sock)
    sql = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) "
           "SELECT i, printf('%0100d', i) FROM n")
    s.sendall(json.dumps({"id": 1, "method": "execute",
                          "params": {"db": str(shop), "sql": sql, "max_rows": 30000}}).encode() + b"\n")
    before = client.health()["clients"]
    # Its ~3 MB answer does not fit the socket buffer and it never reads: dropped after the send timeout.
    deadline = time.monotonic() + 60
    while client.health()["clients"] >= before:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert client.execute(shop, "SELECT count(*) FROM orders")["rows"] == [[3]]
    s.close()


def test_generate_retries_an_empty_result_only_when_asked(client, tmp_path):
    """retry_empty over the real socket: 0 turns it off, N draws N samples after an empty result; a bool
    is a bad parameter, not a silent 1."""
    from nichelm.assistant.sqlite_io import execute_readonly

    db = tmp_path / "empty_pets.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, species TEXT);")
    con.close()
    q = "List the names of all pets."
    off = client.request("generate", db=str(db), question=q, retry_empty=0)
    on = client.request("generate", db=str(db), question=q, retry_empty=2)
    assert on["completion_tokens"] >= off["completion_tokens"]
    try:
        empty = off["sql"] is not None and not execute_readonly(db, off["sql"]).rows
    except NicheError:
        empty = False
    assert empty
    if empty:  # an empty table: nothing non-empty for the samples to agree on, so the answer stays
        assert on["completion_tokens"] > off["completion_tokens"] and on["sql"] == off["sql"]
    with pytest.raises(InvalidParams):
        client.request("generate", db=str(db), question=q, retry_empty=True)


def test_generate_draws_doubt_candidates_when_asked(client, tmp_path):
    """doubt_candidates over the real socket: an answer over a table without rows is in doubt (its result is empty,
    or it fails), so N candidates are drawn and voted; 0 (this CPU daemon's default) draws none."""
    db = tmp_path / "no_birds.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE birds (id INTEGER PRIMARY KEY, name TEXT, wingspan REAL);")
    con.close()
    q = "List the names of all birds."
    assert client.request("generate", db=str(db), question=q)["candidates"] == 1
    doubted = client.generate(db, q, doubt_candidates=3)
    assert doubted["candidates"] == 3 and 0 <= doubted["agreement"] <= 3
    with pytest.raises(InvalidParams):
        client.request("generate", db=str(db), question=q, doubt_candidates="3")


def test_warm_reads_a_schema_before_the_first_question(client, tmp_path):
    db = tmp_path / "club.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE club_members (id INTEGER PRIMARY KEY, full_name TEXT, joined_on TEXT, fee REAL)")
    con.commit()
    con.close()
    reply = client.warm(db)
    assert reply == {"db": str(db.resolve()), "warming": True}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        h = client.health()
        if h["running"] is None and h["queue_length"] == 0:
            break
        time.sleep(0.05)
    ans = client.generate(db, "How many club members are there?")
    assert ans["cached_tokens"] > 0.8 * ans["prompt_tokens"]
    with pytest.raises(DatabaseMissing):
        client.warm(tmp_path / "none.sqlite")
