"""The language server's pure modules, without a server: database resolution, statement splitting,
question comments, document diagnostics, hover text, positions, settings; plus their doctests and the
stdout guard."""

from __future__ import annotations

import doctest
import importlib
import random
import sqlite3
import subprocess
import sys

import pytest
from lsp_helpers import make_shop
from nichelm.assistant.schema import read_schema
from nichelm.lsp.dbresolve import resolve_database
from nichelm.lsp.diagnostics import document_problems
from nichelm.lsp.hover import hover_markdown
from nichelm.lsp.settings import Settings
from nichelm.lsp.statements import question_at_line, split_statements
from nichelm.lsp.textpos import LineIndex

MODULES = ["textpos", "statements", "dbresolve", "settings", "diagnostics", "hover"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    mod = importlib.import_module(f"nichelm.lsp.{name}")
    result = doctest.testmod(mod)
    assert result.attempted > 0 and result.failed == 0


def test_resolution_order(tmp_path):
    ws = tmp_path / "ws"
    (ws / "docs").mkdir(parents=True)
    make_shop(ws / "only.sqlite")
    doc = ws / "docs" / "q.sql"
    # 3. the lone database of the workspace root
    r = resolve_database("SELECT 1", doc, None, ws)
    assert (r.source, r.path, r.ok) == ("workspace", ws / "only.sqlite", True)
    # 2. the setting, relative to the workspace root, wins over the lone file
    make_shop(ws / "docs" / "other.db")
    r = resolve_database("SELECT 1", doc, "docs/other.db", ws)
    assert (r.source, r.path) == ("setting", ws / "docs" / "other.db")
    # 1. the directive, relative to the document, wins over both
    r = resolve_database("-- notes\n--  NicheLM : db=other.db\nSELECT 1", doc, "only.sqlite", ws)
    assert (r.source, r.path, r.directive_line, r.ok) == ("directive", ws / "docs" / "other.db", 1, True)
    r = resolve_database('-- nichelm: db="../only.sqlite"\n', doc, None, ws)
    assert r.path == (ws / "only.sqlite").resolve() and r.ok
    # A directive after code does not count; a missing file is a problem, not an exception.
    r = resolve_database("SELECT 1;\n-- nichelm: db=other.db", doc, None, ws)
    assert r.source == "workspace"
    r = resolve_database("-- nichelm: db=nope.db", doc, None, ws)
    assert not r.ok and "not found" in r.problem
    # Two candidates and no hint: a problem naming them.
    make_shop(ws / "second.db")
    r = resolve_database("SELECT 1", doc, None, ws)
    assert r.path is None and "only.sqlite" in r.problem and "second.db" in r.problem
    assert resolve_database("SELECT 1", None, None, None).problem


def test_split_statements_offsets_are_exact():
    doc = ("CREATE TRIGGER tr AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;"
           "\n\nSELECT 'a;b', \"x;\" FROM [t;] -- ;\n; /* ; */ SELECT naïve_col FROM t")
    parts = split_statements(doc)
    assert len(parts) == 3
    for st in parts:
        assert doc[st.start:st.end] == st.text
    assert parts[0].text.startswith("CREATE TRIGGER") and parts[0].text.endswith("END")
    assert parts[2].text == "/* ; */ SELECT naïve_col FROM t"


@pytest.mark.parametrize("line,expected", [
    ("-- how many orders per country?", "how many orders per country?"),
    ("   --list customers from the UK", "list customers from the UK"),
    ("-- SELECT name FROM customers", None),  # commented-out SQL
    ("-- nichelm: db=x.db", None),
    ("-- TODO", None),
    ("SELECT 1 -- trailing comment", None),
])
def test_question_lines(line, expected):
    assert question_at_line(line) == expected


def test_document_problems_multi_statement_offsets():
    schema = {"customers": ["id", "name"], "orders": ["id", "customer_id"]}
    doc = ("SELECT name FROM customers;\n"
           "CREATE TABLE tmp AS SELECT id AS k FROM orders;\n"
           "SELECT k, z FROM tmp;\n"
           "ALTER TABLE tmp ADD COLUMN z INTEGER;\n"
           "SELECT z FROM tmp; DROP TABLE tmp; SELECT k FROM tmp;\n"
           "SELECT o.nope FROM orders AS o;\n"
           "SELECT 1 FROM orders WHERE\n")
    got = [(p.kind, doc[p.start:p.end]) for p in document_problems(doc, schema)]
    assert ("unknown_column", "z") in got  # before the ALTER TABLE
    assert ("unknown_table", "tmp") in got  # after the DROP TABLE
    assert ("unknown_column", "nope") in got
    assert any(k == "syntax" for k, _ in got)
    assert len(got) == 4, got
    # Without a schema only syntax is checked.
    assert [p.kind for p in document_problems(doc, None)] == ["syntax"]
    assert got[-1] == ("syntax", "WHERE")


def test_document_problems_size_limit():
    doc = "SELECT 1;\n" * 50 + "SELECT (;\n"
    probs = document_problems(doc, None, max_chars=100)
    assert [p.kind for p in probs] == ["limit"]


def test_hover_text(tmp_path):
    db = make_shop(tmp_path / "s.sqlite")
    schema = read_schema(db)
    sql = "SELECT o.total FROM orders o JOIN customers c ON c.id = o.customer_id"
    md, start, end = hover_markdown(schema, sql, sql.index("customers") + 1, lambda t: 42)
    assert sql[start:end] == "customers" and "42 rows" in md
    assert "referenced by: `orders(customer_id)`" in md
    md, start, end = hover_markdown(schema, sql, sql.index("total") + 2, lambda t: None)
    assert "`orders.total`: REAL" in md and sql[start:end] == "total"
    # A bare column that several tables have: the tables of this statement first.
    md, _, _ = hover_markdown(schema, "SELECT id FROM customers", 8, lambda t: None)
    assert "`customers.id`" in md and "`orders.id`" not in md
    assert hover_markdown(schema, "SELECT 1 FROM customers", 3, lambda t: None) is None


def test_line_index_round_trip_utf16():
    rng = random.Random(5)
    alphabet = ["a", "é", "😀", "\n", " ", "中", "\r\n"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        idx = LineIndex(text)
        for off in range(len(text) + 1):
            if text[off - 1:off] == "\r":
                continue  # between \r and \n is no LSP position
            line, col = idx.position(off)
            assert idx.offset(line, col) == off
            line_start = text.rfind("\n", 0, off) + 1
            assert col == len(text[line_start:off].encode("utf-16-le")) // 2


def test_settings_warn_and_keep_defaults():
    s, warnings = Settings.from_client({"nichelm": {"database": 3, "debounceMs": 50, "generate": "yes",
                                                    "unknown": 1}})
    assert s.database is None and s.debounce_ms == 50 and s.generate is True
    assert len(warnings) == 2 and all("using" in w for w in warnings)
    assert Settings.from_client("nonsense")[1]
    assert Settings.from_client(None) == (Settings(), [])


def test_stdout_guard_keeps_the_protocol_stream_clean():
    code = ("import os, sys\n"
            "from nichelm.lsp.server import _protect_stdout\n"
            "out = _protect_stdout()\n"
            "print('python noise')\n"
            "os.write(1, b'C noise\\n')\n"
            "out.write(b'PROTOCOL')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"PROTOCOL"
    assert b"python noise" in proc.stderr and b"C noise" in proc.stderr


def test_server_module_imports_no_model_code():
    # The server must start fast and light: llama.cpp is the daemon's business.
    code = "import sys, nichelm.lsp.server; print('llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.stdout.strip() == "False", out.stderr


def test_read_schema_of_a_fresh_file_is_stable(tmp_path):
    # The schema store re-reads only when the version changes; the version must not change on reads.
    db = tmp_path / "v.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE a (x)")
    con.commit()
    con.close()
    from nichelm.lsp.schemas import SchemaStore

    store = SchemaStore(max_age_s=0)
    first = store.get(db)
    assert store.changed(db) is False
    assert store.get(db) is first
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE b (y)")
    con.commit()
    con.close()
    assert store.changed(db) is True and store.get(db).metadata == {"a": ["x"], "b": ["y"]}
    assert store.row_count(db, "a") == 0
    db.unlink()
    assert store.changed(db) is True and store.get(db).error is not None
