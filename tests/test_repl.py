"""`nichelm-repl` driven through a pseudo-terminal (pexpect) on real SQLite files; questions go to the
real tiny llama.cpp model, in-process (--local) and through a real daemon."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

REPL = Path(sys.executable).with_name("nichelm-repl")
GEN_TIMEOUT = 240  # the tiny model is quick, but this machine's 2 cores are shared


def _cmd() -> tuple[str, list[str]]:
    if REPL.exists():
        return str(REPL), []
    return sys.executable, ["-m", "nichelm.assistant.repl"]


@pytest.fixture
def home():
    # Short path: the daemon's Unix socket lives here and socket paths are limited to ~100 bytes.
    d = tempfile.mkdtemp(prefix="nlr", dir="/tmp")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def shop(tmp_path) -> Path:
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             total REAL, status TEXT);
        INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Bob', NULL), (3, 'Chloé', 'Paris');
        INSERT INTO orders VALUES (1, 1, 9.5, 'paid'), (2, 1, 20.0, 'paid'), (3, 2, 3.25, 'open');
    """)
    con.commit()
    con.close()
    return path


def spawn(args: list[str], home: Path, **env_extra) -> pexpect.spawn:
    cmd, pre = _cmd()
    env = {**os.environ, "NICHELM_HOME": str(home), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1",
           "NO_COLOR": "1", **env_extra}
    env.pop("NICHELM_SOCKET", None)
    child = pexpect.spawn(cmd, pre + args, env=env, encoding="utf-8", timeout=30, dimensions=(40, 160))
    return child


def start(shop: Path, home: Path, *extra: str, **env) -> pexpect.spawn:
    child = spawn([str(shop), *extra], home, **env)
    child.expect("shop>")
    return child


def quit_(child: pexpect.spawn) -> None:
    child.sendline(".quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_sql_prints_a_table(shop, home):
    child = start(shop, home)
    child.sendline("SELECT id, name, city FROM customers ORDER BY id;")
    child.expect(r"id \| name +\| city")
    child.expect(r"1 \| Ada +\| London")
    child.expect(r"2 \| Bob +\| NULL")
    child.expect(r"\(3 rows")
    quit_(child)


def test_multi_line_sql_runs_at_the_semicolon(shop, home):
    child = start(shop, home)
    child.sendline("SELECT name")
    child.expect(r"\.\.\.>")
    child.sendline("FROM customers WHERE id = 2;")
    child.expect(r"Bob")
    child.expect(r"\(1 row")
    quit_(child)


def test_tables_and_schema(shop, home):
    child = start(shop, home)
    child.sendline(".tables")
    child.expect(r"customers\s+orders")
    child.sendline(".schema orders")
    child.expect(r"CREATE TABLE orders \(")
    child.expect(r"FOREIGN KEY \(customer_id\) REFERENCES customers \(id\)")
    child.sendline(".schema nosuch")
    child.expect("no such table: nosuch")
    child.sendline(".help")
    child.expect(r"\.writes \[on\|off\]")
    quit_(child)


def test_invalid_sql_prints_an_error_and_the_shell_goes_on(shop, home):
    child = start(shop, home)
    child.sendline("SELECT nme FROM customers;")
    child.expect("error: .*no such column: nme")
    child.sendline("SELEC 1;")  # a typo, not a question: ending with `;` makes it SQL
    child.expect('error: .*syntax error')
    child.sendline(".bogus")
    child.expect("unknown command .bogus")
    child.sendline("SELECT 6 * 7 AS answer;")
    child.expect(r"answer\s+-+\s+42")
    quit_(child)


def test_writes_are_refused_unless_allowed_and_the_file_is_unchanged(shop, home):
    before = shop.read_bytes()
    child = start(shop, home)
    child.sendline("DELETE FROM orders;")
    child.expect("would change the database, which is open read-only")
    child.sendline("DROP TABLE customers;")
    child.expect("would change the database")
    child.sendline("SELECT count(*) AS n FROM orders;")
    child.expect(r"n\s+-+\s+3")
    quit_(child)
    assert shop.read_bytes() == before

    child = start(shop, home)
    child.sendline(".writes on")
    child.expect("writes on")
    child.sendline("DELETE FROM orders WHERE id = 3;")
    child.expect("OK, 1 row changed")
    quit_(child)
    with sqlite3.connect(shop) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 2


def test_history_is_written(shop, home):
    child = start(shop, home)
    child.sendline("SELECT 41 + 1;")
    child.expect("42")
    quit_(child)
    history = (home / "repl_history").read_text()
    assert "SELECT 41 + 1;" in history
    # and it is there for the next session: Up, Up recalls it (the last entry is `.quit`)
    child = start(shop, home)
    child.send("\x1b[A")
    child.send("\x1b[A")
    child.send("\r")
    child.expect("42")
    quit_(child)


def test_tab_completes_tables_and_alias_columns(shop, home):
    child = start(shop, home)
    child.send("SELECT * FROM ")
    # the menu opens while typing, with both tables; Tab selects the first into the line
    child.expect(r"customers[^\n]*table \(3 columns\)")
    child.expect(r"orders[^\n]*table \(4 columns\)")
    child.send("\t")
    child.expect("customers")
    child.send("\x03")  # Ctrl-C clears the line
    child.expect("shop>")
    # `o.tot` + Tab completes to the one column of orders it matches; the query then runs as typed.
    child.send("SELECT o.id FROM orders o WHERE o.tot")
    child.expect("orders.total REAL")  # the menu, with the column's table and type
    child.send("\t")
    child.expect("tal")
    child.send(" > 5 ORDER BY 1;\r")
    child.expect(r"\(2 rows")
    quit_(child)


def test_ctrl_c_clears_the_line_and_ctrl_d_quits(shop, home):
    child = start(shop, home)
    child.send("SELECT this is not finished")
    child.expect("not finished")  # the line is drawn before Ctrl-C clears it (no race on a busy machine)
    child.send("\x03")
    child.expect("shop>")
    child.sendline("SELECT 'still here' AS s;")
    child.expect("still here")
    child.expect("shop>")  # Ctrl-D only once the prompt is back, or the key races the rendering
    # The prompt can be drawn a moment before the terminal is back in raw mode, and a Ctrl-D sent in that
    # moment is read as end-of-line by the cooked terminal; a user presses it again, and so does the test.
    for _ in range(3):
        child.sendeof()
        if child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=5) == 0:
            break
    else:
        pytest.fail("Ctrl-D at an empty prompt did not end the REPL")
    child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.sqlite", "no such file"),
    (lambda d: (d / "notes.txt").write_text("hello, not a database") and d / "notes.txt", "not a SQLite database"),
    (lambda d: d, "is a directory"),
])
def test_bad_database_exits_with_status_2(tmp_path, home, make, message):
    path = make(tmp_path)
    child = spawn([str(path)], home)
    child.expect(message)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    # piped (not a terminal) behaves the same
    cmd, pre = _cmd()
    proc = subprocess.run([cmd, *pre, str(path)], input="", capture_output=True, text=True, check=False,
                          env={**os.environ, "NICHELM_HOME": str(home)}, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr


def test_locked_database_gives_a_message_and_the_shell_goes_on(shop, home):
    holder = sqlite3.connect(shop, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        child = spawn([str(shop)], home)
        child.expect("locked", timeout=30)
        child.expect("shop>")
        child.sendline("SELECT count(*) FROM orders;")
        child.expect("locked", timeout=30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    child.sendline("SELECT count(*) AS n FROM orders;")
    child.expect(r"n\s+-+\s+3")
    quit_(child)


def test_piped_input_runs_sql_without_a_terminal(shop, home):
    cmd, pre = _cmd()
    script = "SELECT name FROM customers\nWHERE id = 3;\n.tables\n"
    proc = subprocess.run([cmd, *pre, str(shop)], input=script, capture_output=True, text=True, check=False,
                          env={**os.environ, "NICHELM_HOME": str(home)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Chloé" in proc.stdout and "customers\norders" in proc.stdout


# ------------------------------------------------------------------------------ questions (real model)

ANSWERED = re.compile(r"(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE)\b.*|model did not produce valid SQL",
                      re.IGNORECASE)


def _ask_and_continue(child: pexpect.spawn) -> None:
    child.sendline("how many customers live in London?")
    child.expect("generating SQL")
    child.expect(ANSWERED, timeout=GEN_TIMEOUT)
    child.expect("shop>", timeout=GEN_TIMEOUT)
    # Whatever the tiny model wrote, the shell is alive and the file untouched.
    child.sendline("SELECT 'alive' AS s;")
    child.expect("alive")


def test_question_through_the_local_model(shop, home, tiny_model_path):
    before = shop.read_bytes()
    child = start(shop, home, "--local", "--model", str(tiny_model_path))
    _ask_and_continue(child)
    child.sendline(".model")
    child.expect("backend: local")
    quit_(child)
    assert shop.read_bytes() == before


def test_question_through_the_daemon(shop, home, tiny_model_path):
    before = shop.read_bytes()
    child = start(shop, home, NICHELM_MODEL=str(tiny_model_path))
    try:
        _ask_and_continue(child)
        child.sendline(".model")
        child.expect("backend: daemon")
        quit_(child)
    finally:
        _stop_daemon(home)
    assert shop.read_bytes() == before


def test_opening_a_database_warms_its_schema_in_a_running_daemon(shop, home, tiny_model_path, tmp_path):
    first = start(shop, home, NICHELM_MODEL=str(tiny_model_path))
    try:
        _ask_and_continue(first)  # starts the daemon
        quit_(first)
        club = tmp_path / "club.sqlite"
        con = sqlite3.connect(club)
        con.execute("CREATE TABLE club_members (id INTEGER PRIMARY KEY, full_name TEXT, joined_on TEXT)")
        con.close()
        second = spawn([str(club)], home, NICHELM_MODEL=str(tiny_model_path))
        second.expect("club>")
        log = home / "daemon.log"
        deadline = time.monotonic() + 60
        while f"warmed {club.resolve()}" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"warmed {club.resolve()}: " in log.read_text()
        quit_(second)
    finally:
        _stop_daemon(home)


@pytest.mark.parametrize("backend", ["local", "daemon"])
def test_ctrl_c_cancels_a_generation_and_the_shell_goes_on(tmp_path, home, tiny_model_path, backend):
    # A wide schema makes the prompt long enough that the generation is still running at Ctrl-C.
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    for i in range(60):
        cols = ", ".join(f"attribute_{j}_of_table_{i} TEXT" for j in range(12))
        con.execute(f"CREATE TABLE table_number_{i} (id INTEGER PRIMARY KEY, {cols})")
    con.commit()
    con.close()
    extra = ["--local"] if backend == "local" else []
    child = spawn([str(path), *extra, "--model", str(tiny_model_path)], home)
    try:
        child.expect("shop>")
        if backend == "daemon":
            child.sendline(".model")  # start the daemon and load the model first
            child.expect("backend: daemon", timeout=GEN_TIMEOUT)
        # The interrupt must land while the model works; on a busy machine the answer (or the model's
        # error) can come first, so ask again a few times before calling it a failure.
        for attempt in range(4):
            child.sendline(f"which rows of table number {7 + attempt} have the largest attribute 3?")
            child.expect("generating SQL")
            child.sendintr()
            got = child.expect(["generation cancelled", r"error: (?!generation cancelled)", r"\bSELECT\b"],
                               timeout=GEN_TIMEOUT)
            child.expect("shop>", timeout=GEN_TIMEOUT)
            if got == 0:
                break
        else:
            pytest.fail(f"Ctrl-C never cancelled a generation; last output: {child.before!r}")
        child.sendline("SELECT 'alive' AS s;")
        child.expect("alive")
        if backend == "daemon":  # the daemon is not wedged by the cancelled request
            from nichelm.assistant.client import Client

            with Client(home / "daemon.sock", autostart=False) as c:
                assert c.health()["status"] == "ok"
        quit_(child)
    finally:
        _stop_daemon(home)


def _stop_daemon(home: Path) -> None:
    from nichelm.assistant.client import Client
    from nichelm.assistant.errors import NicheError

    sock = home / "daemon.sock"
    if sock.exists():
        with contextlib.suppress(NicheError), Client(sock, autostart=False) as c:  # NicheError: already gone
            c.shutdown()


def test_no_argument_opens_the_demo_database(home):
    child = spawn([], home)
    child.expect(r"\((\d+) tables\)")
    assert int(child.match.group(1)) >= 5
    child.expect(">")
    child.sendline(".tables")
    child.expect("order_items")
    child.sendline("SELECT count(*) > 0 AS has_orders FROM orders;")
    child.expect(r"has_orders\s+-+\s+1")
    quit_(child)


def test_schema_changes_reach_tables_and_completion(shop, home):
    child = start(shop, home)
    child.sendline("SELECT 1;")
    child.expect(r"\(1 row")
    with sqlite3.connect(shop) as con:
        con.execute("CREATE TABLE suppliers (id INTEGER PRIMARY KEY, supplier_name TEXT)")
    child.sendline(".tables")  # the schema is re-checked before each prompt
    child.expect("suppliers")
    child.expect("shop>")
    child.send("SELECT s.supp")
    child.send(" FROM suppliers s")  # the FROM comes after; completion still sees it
    child.send("\x1b[D" * len(" FROM suppliers s"))  # back to just after `s.supp`
    child.send("\t")  # one candidate: inserted at once
    child.expect("lier_name")
    child.send("\x1b\r")  # Meta-Enter submits without a `;`
    child.expect(r"supplier_name\s+-+\s+\(0 rows")
    quit_(child)
