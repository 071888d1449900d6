import hashlib
import sqlite3
import threading

import pytest

from nichelm.assistant.errors import DatabaseLocked, QueryError, QueryTimeout, WriteRefused
from nichelm.assistant.sqlite_io import execute_readonly, execute_write


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.sqlite"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
    con.executemany("INSERT INTO t (v) VALUES (?)", [(f"v{i}",) for i in range(50)])
    con.commit()
    con.close()
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_select_with_row_cap(db):
    r = execute_readonly(db, "SELECT id, v FROM t ORDER BY id", max_rows=10)
    assert r.columns == ["id", "v"]
    assert len(r.rows) == 10 and r.truncated
    assert r.rows[0] == (1, "v0")


@pytest.mark.parametrize("sql", [
    "DELETE FROM t",
    "DROP TABLE t",
    "UPDATE t SET v = 'x'",
    "INSERT INTO t (v) VALUES ('x')",
    "CREATE TABLE u (x)",
    "PRAGMA user_version = 7",
])
def test_writes_are_refused_and_file_is_untouched(db, sql):
    before = digest(db)
    with pytest.raises(WriteRefused, match="read-only"):
        execute_readonly(db, sql)
    assert digest(db) == before


def test_explicit_write_changes_the_file(db):
    r = execute_write(db, "DELETE FROM t WHERE id <= 5")
    assert r.rows_changed == 5
    assert execute_readonly(db, "SELECT count(*) FROM t").rows == [(45,)]


def test_runaway_query_is_stopped(db):
    sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
           "SELECT count(*) FROM c")
    with pytest.raises(QueryTimeout):
        execute_readonly(db, sql, timeout_s=0.3)


def test_cancel_flag_stops_a_query(db):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(QueryTimeout, match="cancelled"):
        execute_readonly(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT max(x) FROM c",
                         cancel=cancel)


def test_sql_error_is_a_query_error(db):
    with pytest.raises(QueryError, match="no such column"):
        execute_readonly(db, "SELECT nope FROM t")


def test_locked_database_is_reported(db):
    holder = sqlite3.connect(db)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLocked, match="locked"):
            con_sql = "SELECT count(*) FROM t"
            from nichelm.assistant.sqlite_io import connect_readonly, run_query

            con = connect_readonly(db, busy_timeout_s=0.1)
            try:
                run_query(con, con_sql)
            finally:
                con.close()
    finally:
        holder.rollback()
        holder.close()


def test_prepare_error_compiles_without_running(db):
    from nichelm.assistant.sqlite_io import prepare_error

    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert prepare_error(db, "SELECT count(*) FROM t") is None
    assert "no such column: nope" in prepare_error(db, "SELECT nope FROM t")
    assert "no such table: missing" in prepare_error(db, "SELECT * FROM missing")
    assert "syntax error" in prepare_error(db, "SELEC 1")
    # a write compiles (EXPLAIN never runs it) and the file stays as it was
    assert prepare_error(db, "DELETE FROM t") is None
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
