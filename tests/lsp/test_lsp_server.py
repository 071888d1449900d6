"""End-to-end: the real `nichelm-lsp` over stdio (pytest-lsp client) on .sql files and real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from lsp_helpers import change_doc, lsp_session, make_shop, open_doc, pos_of, wait_diagnostics
from lsprotocol import types as t
from pytest_lsp import client_capabilities

pytestmark = pytest.mark.asyncio


def _ranges(diags, text):
    """(kind, message, covered text) for each diagnostic."""
    lines = text.split("\n")
    out = []
    for d in diags:
        s, e = d.range.start, d.range.end
        covered = lines[s.line][s.character:e.character] if s.line == e.line else None
        out.append((d.code, d.message, covered, s.line))
    return out


async def test_syntax_error_and_unknown_column_have_exact_ranges(client, workspace):
    text = ("SELECT name FROM customers;\n"
            "\n"
            "SELECT c.name, c.nickname FROM customers c;\n"
            "SELECT * FROM orders WHERE total >;\n")
    uri = open_doc(client, workspace / "q.sql", text)
    diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 2)
    got = _ranges(diags, text)
    assert ("unknown_column", "no such column: c.nickname", "nickname", 2) in got
    syntax = [g for g in got if g[0] == "syntax"]
    assert len(syntax) == 1 and syntax[0][3] == 3, got
    assert len(got) == 2, got


async def test_unknown_table_and_tables_created_in_the_document(client, workspace):
    text = ("CREATE TABLE scratch (a INTEGER, b TEXT);\n"
            "SELECT a, b FROM scratch;\n"
            "SELECT * FROM nosuch;\n")
    uri = open_doc(client, workspace / "ddl.sql", text)
    diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 1)
    await asyncio.sleep(0.5)
    got = _ranges(client.diagnostics[uri], text)
    assert got == [("unknown_table", "no such table: nosuch", "nosuch", 2)], diags


async def test_two_choices_beside_a_condition_get_a_warning_on_the_or(client, workspace):
    text = ("SELECT id FROM orders WHERE customer_id = 1 OR customer_id = 2 AND total > 10;\n"
            "SELECT id FROM orders WHERE (customer_id = 1 OR customer_id = 2) AND total > 10;\n")
    uri = open_doc(client, workspace / "p.sql", text)
    diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 1)
    await asyncio.sleep(0.5)
    got = _ranges(client.diagnostics[uri], text)
    assert [(code, covered, line) for code, _, covered, line in got] == [("precedence", "OR", 0)], diags
    assert got[0][1].startswith("AND binds tighter than OR") and "(customer_id = 1 OR customer_id = 2)" in got[0][1]
    assert client.diagnostics[uri][0].severity == t.DiagnosticSeverity.Warning


async def test_diagnostics_follow_edits(client, workspace):
    text = "SELECT nme FROM customers;"
    uri = open_doc(client, workspace / "e.sql", text)
    await wait_diagnostics(client, uri, lambda d: [x.code for x in d] == ["unknown_column"])
    change_doc(client, uri, "SELECT name FROM customers;", 2)
    await wait_diagnostics(client, uri, lambda d: d == [])


async def test_hover_on_table_and_alias_qualified_column(client, workspace):
    text = "SELECT o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id;"
    uri = open_doc(client, workspace / "h.sql", text)
    doc = t.TextDocumentIdentifier(uri=uri)
    h = await client.text_document_hover_async(t.HoverParams(doc, pos_of(text, "orders", 2)))
    assert h is not None
    md = h.contents.value
    assert "**table** `orders`" in md and "3 rows" in md
    assert "customer_id" in md and "→ customers.id" in md
    assert h.range.start == pos_of(text, "orders") and h.range.end == pos_of(text, "orders", 6)
    h = await client.text_document_hover_async(t.HoverParams(doc, pos_of(text, "o.customer_id", 3)))
    md = h.contents.value
    assert "`orders.customer_id`: INTEGER" in md and "→ customers.id" in md and "NOT NULL" in md
    h = await client.text_document_hover_async(t.HoverParams(doc, pos_of(text, "c.id", 2)))
    assert "`customers.id`: INTEGER" in h.contents.value and "PK" in h.contents.value
    # Nothing to say about a keyword.
    assert await client.text_document_hover_async(t.HoverParams(doc, pos_of(text, "JOIN", 1))) is None


async def test_directive_picks_the_database_relative_to_the_document(tmp_path):
    ws = tmp_path / "ws"
    (ws / "sub" / "data").mkdir(parents=True)
    make_shop(ws / "a.db")
    make_shop(ws / "b.db")  # two candidates: the workspace alone cannot choose
    con = sqlite3.connect(ws / "sub" / "data" / "zoo.sqlite")
    con.execute("CREATE TABLE animals (id INTEGER PRIMARY KEY, species TEXT)")
    con.commit()
    con.close()
    async with lsp_session(ws) as client:
        text = "-- nichelm: db=./data/zoo.sqlite\nSELECT species, legs FROM animals;\n"
        uri = open_doc(client, ws / "sub" / "zoo.sql", text)
        diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 1)
        assert [(d.code, d.message) for d in diags] == [("unknown_column", "no such column: legs")]
        # Without the directive the workspace has two databases: a warning says so, syntax still checked.
        uri2 = open_doc(client, ws / "other.sql", "SELECT species FROM animals WHERE;\n")
        diags = await wait_diagnostics(client, uri2, lambda d: len(d) >= 2)
        codes = sorted(d.code for d in diags)
        assert codes == ["database", "syntax"], diags
        warn = next(d for d in diags if d.code == "database")
        assert "several databases" in warn.message and warn.severity == t.DiagnosticSeverity.Warning


async def test_setting_from_initialization_options(tmp_path):
    ws = tmp_path / "ws"
    (ws / "db").mkdir(parents=True)
    make_shop(ws / "db" / "main.sqlite")
    async with lsp_session(ws, init_options={"nichelm": {"database": "db/main.sqlite"}}) as client:
        uri = open_doc(client, ws / "q.sql", "SELECT nme FROM customers;")
        diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 1)
        assert [d.code for d in diags] == ["unknown_column"]


async def test_setting_from_workspace_configuration(tmp_path):
    ws = tmp_path / "ws"
    (ws / "db").mkdir(parents=True)
    make_shop(ws / "db" / "main.sqlite")
    async with lsp_session(ws, configuration={"nichelm": {"database": "db/main.sqlite"}}) as client:
        uri = open_doc(client, ws / "q.sql", "SELECT nme FROM customers;")
        diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 1)
        assert [d.code for d in diags] == ["unknown_column"]


async def test_diagnostics_refresh_after_alter_table(client, workspace):
    text = "SELECT id, vip FROM customers;\n"
    uri = open_doc(client, workspace / "s.sql", text)
    await wait_diagnostics(client, uri, lambda d: [x.message for x in d] == ["no such column: vip"])
    con = sqlite3.connect(workspace / "shop.sqlite")
    con.execute("ALTER TABLE customers ADD COLUMN vip INTEGER DEFAULT 0")
    con.commit()
    con.close()
    # No edit to the document: the server notices the schema change by itself.
    await wait_diagnostics(client, uri, lambda d: d == [], timeout=10)
    h = await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri=uri),
                                                             pos_of(text, "vip", 1)))
    assert h is not None and "`customers.vip`: INTEGER" in h.contents.value


async def test_missing_and_deleted_database_do_not_crash(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    async with lsp_session(ws) as client:
        text = "-- nichelm: db=gone.sqlite\nSELECT * FROM t WHERE;\n"
        uri = open_doc(client, ws / "m.sql", text)
        diags = await wait_diagnostics(client, uri, lambda d: len(d) >= 2)
        warn = next(d for d in diags if d.code == "database")
        assert "database not found" in warn.message and warn.range.start.line == 0
        assert any(d.code == "syntax" for d in diags)
        assert any("database not found" in m.message for m in client.messages)
        doc = t.TextDocumentIdentifier(uri=uri)
        comp = await client.text_document_completion_async(t.CompletionParams(doc, t.Position(1, 14)))
        assert comp is not None  # keywords still, no schema
        assert await client.text_document_hover_async(t.HoverParams(doc, t.Position(1, 14))) is None
        # The database appears: its schema is used without any edit.
        make_shop(ws / "gone.sqlite")
        change_doc(client, uri, "-- nichelm: db=gone.sqlite\nSELECT nme FROM customers;\n", 2)
        await wait_diagnostics(client, uri, lambda d: [x.code for x in d] == ["unknown_column"])
        # ... and is deleted again while in use.
        (ws / "gone.sqlite").unlink()
        diags = await wait_diagnostics(client, uri, lambda d: any(x.code == "database" for x in d))
        h = await client.text_document_hover_async(t.HoverParams(doc, t.Position(1, 20)))
        assert h is None
        # A file that is not a database.
        (ws / "gone.sqlite").write_text("hello, I am text")
        change_doc(client, uri, "-- nichelm: db=gone.sqlite\nSELECT 1;\n", 3)
        diags = await wait_diagnostics(
            client, uri, lambda d: any(x.code == "database" and "not a SQLite" in x.message for x in d))
        assert await client.text_document_hover_async(t.HoverParams(doc, t.Position(1, 8))) is None


async def test_malformed_and_huge_documents(client, workspace):
    uri = open_doc(client, workspace / "bad.sql", "SELECT 'unterminated FROM \x00 [[[ /* ;;; \"")
    await wait_diagnostics(client, uri, lambda d: len(d) >= 1)
    big = "".join(f"SELECT name, country FROM customers WHERE id = {i};\n" for i in range(30_000))
    big_uri = open_doc(client, workspace / "big.sql", big + "SELECT nme FROM customers;\n")
    diags = await wait_diagnostics(client, big_uri, lambda d: len(d) >= 1, timeout=60)
    assert any(d.code == "limit" for d in diags) or any(d.code == "unknown_column" for d in diags)
    doc = t.TextDocumentIdentifier(uri=big_uri)
    comp = await client.text_document_completion_async(t.CompletionParams(doc, t.Position(29_999, 26)))
    assert comp is not None


async def test_bad_settings_warn_and_configuration_changes_apply(tmp_path):
    ws = tmp_path / "ws"
    (ws / "db").mkdir(parents=True)
    make_shop(ws / "db" / "a.sqlite")
    con = sqlite3.connect(ws / "db" / "b.sqlite")
    con.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, label TEXT)")
    con.commit()
    con.close()
    async with lsp_session(ws, init_options={"nichelm": {"database": "db/a.sqlite", "debounceMs": "soon"}}) as client:
        uri = open_doc(client, ws / "q.sql", "SELECT label FROM things;")
        await wait_diagnostics(client, uri, lambda d: [x.message for x in d] == ["no such table: things"])
        assert any("nichelm.debounceMs" in m.message for m in client.messages)
        client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
            settings={"nichelm": {"database": "db/b.sqlite"}}))
        await wait_diagnostics(client, uri, lambda d: d == [])
        client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
            settings={"nichelm": {"diagnostics": False, "database": "db/a.sqlite"}}))
        change_doc(client, uri, "SELECT label FROM things WHERE;", 2)
        await asyncio.sleep(1.0)
        assert list(client.diagnostics[uri]) == []


async def test_generate_sql_command_path_without_resolve_support_and_without_database(tmp_path):
    """A client that cannot resolve code actions gets a command; executing it applies an edit through
    workspace/applyEdit. With no database the edit is a comment saying so (no model involved)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    caps = client_capabilities("neovim@v0.7.0")
    caps.text_document.code_action.resolve_support = None
    applied: list[t.ApplyWorkspaceEditParams] = []
    async with lsp_session(ws, capabilities=caps) as client:

        @client.feature(t.WORKSPACE_APPLY_EDIT)
        def on_apply(params: t.ApplyWorkspaceEditParams):
            applied.append(params)
            return t.ApplyWorkspaceEditResult(applied=True)

        text = "-- nichelm: db=absent.sqlite\n  -- which customers spent the most?\nSELECT 1;\n"
        uri = open_doc(client, ws / "g.sql", text)
        actions = await client.text_document_code_action_async(t.CodeActionParams(
            t.TextDocumentIdentifier(uri=uri), t.Range(t.Position(1, 4), t.Position(1, 4)),
            t.CodeActionContext(diagnostics=[])))
        (cmd,) = actions
        assert isinstance(cmd, t.Command) and cmd.title == "Generate SQL"
        assert cmd.command == "nichelm.generateSql"
        result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
            command=cmd.command, arguments=cmd.arguments))
        assert result["sql"] is None and result["code"] == "database_missing"
        (params,) = applied
        (edit,) = params.edit.document_changes[0].edits
        line = "  -- which customers spent the most?"
        assert edit.range.start == t.Position(1, len(line)) == edit.range.end
        # Indented like the question, and says clearly why there is no SQL.
        assert edit.new_text.startswith("\n  -- nichelm: no SQL (database_missing): database not found")
