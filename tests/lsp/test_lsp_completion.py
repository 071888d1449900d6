"""End-to-end completion through the real server: tables after FROM, alias-qualified columns, clauses,
the directive's database, and replacement ranges."""

from __future__ import annotations

import sqlite3

import pytest
from lsp_helpers import lsp_session, open_doc, pos_of
from lsprotocol import types as t
from pytest_lsp import client_capabilities

pytestmark = pytest.mark.asyncio


async def _complete(client, uri, pos):
    res = await client.text_document_completion_async(t.CompletionParams(t.TextDocumentIdentifier(uri=uri), pos))
    items = res.items if isinstance(res, t.CompletionList) else res
    return list(items)


async def test_tables_after_from(client, workspace):
    text = "SELECT 1;\nSELECT * FROM "
    uri = open_doc(client, workspace / "c.sql", text)
    items = await _complete(client, uri, t.Position(1, 14))
    tables = [i.label for i in items if i.kind == t.CompletionItemKind.Class]
    assert tables == ["customers", "order_items", "orders"]
    assert all(i.kind == t.CompletionItemKind.Class for i in items[:3])


async def test_prefix_is_replaced(client, workspace):
    text = "SELECT * FROM ord WHERE 1"
    uri = open_doc(client, workspace / "c.sql", text)
    items = await _complete(client, uri, pos_of(text, "ord", 3))
    first = items[0]
    assert first.label in ("order_items", "orders")
    assert first.text_edit.range.start == pos_of(text, "ord")
    assert first.text_edit.range.end == pos_of(text, "ord", 3)


async def test_alias_qualified_columns(client, workspace):
    text = "SELECT c.name, o. FROM orders o JOIN customers c ON c.id = o.customer_id;\nSELECT 2;"
    uri = open_doc(client, workspace / "a.sql", text)
    items = await _complete(client, uri, pos_of(text, "o. FROM", 2))
    assert [i.label for i in items] == ["customer_id", "id", "placed_at", "total"]
    assert all(i.kind == t.CompletionItemKind.Field for i in items)
    items = await _complete(client, uri, pos_of(text, "c.id", 2))
    assert {i.label for i in items} == {"id", "name", "country", "email"}


async def test_clause_aware_where_offers_columns_in_scope(client, workspace):
    text = "SELECT * FROM customers WHERE cou"
    uri = open_doc(client, workspace / "w.sql", text)
    items = await _complete(client, uri, t.Position(0, len(text)))
    assert items[0].label == "country" and items[0].kind == t.CompletionItemKind.Field
    text2 = "SEL"
    uri2 = open_doc(client, workspace / "k.sql", text2)
    items = await _complete(client, uri2, t.Position(0, 3))
    assert items[0].label.upper() == "SELECT" and items[0].kind == t.CompletionItemKind.Keyword


async def test_completion_uses_directive_database(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    con = sqlite3.connect(tmp_path / "zoo.sqlite")
    con.execute("CREATE TABLE animals (id INTEGER PRIMARY KEY, species TEXT, legs INTEGER)")
    con.commit()
    con.close()
    async with lsp_session(ws) as client:
        text = "-- nichelm: db=../zoo.sqlite\nSELECT a. FROM animals a"
        uri = open_doc(client, ws / "z.sql", text)
        items = await _complete(client, uri, pos_of(text, "a. FROM", 2))
        assert [i.label for i in items] == ["id", "legs", "species"]


async def test_no_completion_inside_strings_and_comments(client, workspace):
    text = "SELECT 'FROM ' FROM customers; -- FROM "
    uri = open_doc(client, workspace / "s.sql", text)
    assert await _complete(client, uri, pos_of(text, "FROM ", 5)) == []
    assert await _complete(client, uri, t.Position(0, len(text))) == []


async def test_item_defaults_edit_range_when_the_client_supports_it(workspace):
    caps = client_capabilities("visual-studio-code")
    caps.text_document.completion.completion_list = t.CompletionListCapabilities(item_defaults=["editRange"])
    async with lsp_session(workspace, capabilities=caps) as client:
        text = "SELECT * FROM orders o WHERE o.cu"
        uri = open_doc(client, workspace / "d.sql", text)
        res = await client.text_document_completion_async(
            t.CompletionParams(t.TextDocumentIdentifier(uri=uri), t.Position(0, len(text))))
        assert res.item_defaults.edit_range == t.Range(pos_of(text, "cu"), t.Position(0, len(text)))
        assert res.items[0].label == "customer_id" and res.items[0].text_edit is None
