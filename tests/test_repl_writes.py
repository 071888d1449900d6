"""Generated SQL that would write: refused without `.writes on`, run only after a yes, on a real file.

These drive the Repl object directly (the pty tests cover the terminal); no model is needed because the
SQL is given as if the model had written it.
"""

from __future__ import annotations

import io
import sqlite3

import pytest
from nichelm.assistant.repl import Repl


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');")
    return path


def make(db, answers: list[str] | None = None, writes: bool = False):
    out, err = io.StringIO(), io.StringIO()
    asked: list[str] = []

    def confirm(prompt: str) -> bool:
        asked.append(prompt)
        return (answers or ["n"]).pop(0) == "y"

    repl = Repl(str(db), backend=None, out=out, err=err, writes=writes, confirm=confirm,
                history_file=db.parent / "history")
    return repl, out, err, asked


def count(db) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM t").fetchone()[0]


@pytest.mark.parametrize("sql", [
    "DELETE FROM t",
    "UPDATE t SET v = 'x'",
    "DROP TABLE t",
    "INSERT INTO t VALUES (3, 'c')",
    "WITH x AS (SELECT 1) DELETE FROM t",
    "SELECT 1; DELETE FROM t",
])
def test_generated_write_is_refused_without_writes(db, sql):
    before = db.read_bytes()
    repl, _out, err, asked = make(db)
    repl.run_generated(sql)
    assert "would change the database, so it was not run" in err.getvalue()
    assert asked == []
    assert db.read_bytes() == before


def test_generated_write_with_writes_on_needs_a_yes(db):
    before = db.read_bytes()
    repl, out, _, asked = make(db, answers=["n"], writes=True)
    repl.run_generated("DELETE FROM t WHERE id = 1")
    assert len(asked) == 1 and "DELETE FROM t WHERE id = 1" in asked[0]
    assert "not run" in out.getvalue()
    assert db.read_bytes() == before

    repl, out, _err, asked = make(db, answers=["y"], writes=True)
    repl.last_generated = "DELETE FROM t WHERE id = 1"
    repl.handle(".run")
    assert len(asked) == 1
    assert "OK, 1 row changed" in out.getvalue()
    assert count(db) == 1


def test_generated_read_runs_without_asking(db):
    repl, out, _err, asked = make(db)
    repl.run_generated("SELECT v FROM t ORDER BY id")
    assert asked == [] and "(2 rows" in out.getvalue()


def test_run_without_generated_sql_says_so(db):
    repl, _out, err, _ = make(db)
    repl.handle(".run")
    assert "no generated SQL yet" in err.getvalue()


def test_typed_sql_obeys_writes_flag(db):
    repl, _out, err, asked = make(db)
    repl.handle("DELETE FROM t;")
    assert "open read-only" in err.getvalue() and count(db) == 2
    repl.handle(".writes on")
    repl.handle("DELETE FROM t WHERE id = 2;")
    assert count(db) == 1 and asked == []  # what the user typed runs without a question
    repl.handle(".writes off")
    repl.handle("DELETE FROM t;")
    assert count(db) == 1
