"""Fuzz: random incremental edits (fragments of SQL, unicode, emoji, deletions) sent as fast as the
client can, with completion, hover and code-action requests at random (also out-of-range) positions.
The server must answer every request without an error and still be alive at the end."""

from __future__ import annotations

import asyncio
import random

import pytest
from lsp_helpers import lsp_session, open_doc
from lsprotocol import types as t

pytestmark = pytest.mark.asyncio

FRAGMENTS = [
    "SELECT ", "FROM ", "orders", "customers", " o", ".", "o.", "c.name", ", ", " WHERE ", " JOIN ", " ON ",
    "=", "(", ")", ";", "\n", "'", '"', "`", "[", "]", "-- ", "-- how many orders per country?\n", "/*",
    "*/", "total", " GROUP BY ", "count(*)", "😀", "é", "\t", "  ", "WITH x AS (", "CREATE TABLE t (a",
    "-- nichelm: db=shop.sqlite\n", "-- nichelm: db=missing.db\n", "\x00", "\r\n", "BEGIN ", " END",
    "CASE WHEN ", "ÿ" * 3, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id;\n",
]


def utf16_position(text: str, offset: int) -> t.Position:
    before = text[:offset]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1:]
    return t.Position(line, len(col_text.encode("utf-16-le")) // 2)


@pytest.mark.parametrize("seed", [20261126, 7, 12345])
async def test_random_edits_and_requests_never_crash(workspace, tmp_path, seed):
    log = tmp_path / "lsp.log"
    async with lsp_session(workspace, log_file=log) as client:
        await _fuzz(client, workspace, random.Random(seed))
    text = log.read_text()
    # Handlers that fail are logged with a traceback even when the client got an answer.
    assert "Traceback" not in text and " ERROR " not in text, text[-5000:]


async def _fuzz(client, workspace, rng: random.Random) -> None:
    text = "SELECT * FROM orders;\n"
    uri = open_doc(client, workspace / "fuzz.sql", text)
    doc = t.TextDocumentIdentifier(uri=uri)
    version = 1
    pending = []
    for step in range(400):
        # One random incremental edit.
        a = rng.randint(0, len(text))
        b = min(len(text), a + rng.choice([0, 0, 0, 1, 2, 5, 20]))
        new = rng.choice(FRAGMENTS) if rng.random() < 0.85 else ""
        change = t.TextDocumentContentChangePartial(
            range=t.Range(utf16_position(text, a), utf16_position(text, b)), text=new)
        text = text[:a] + new + text[b:]
        version += 1
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]))
        # Random requests, some at positions past the end of the document or of a line.
        if rng.random() < 0.4:
            off = rng.randint(0, len(text))
            pos = utf16_position(text, off)
            if rng.random() < 0.1:
                pos = t.Position(pos.line + rng.randint(0, 3), pos.character + rng.randint(0, 50))
            kind = rng.choice(["completion", "completion", "hover", "action"])
            if kind == "completion":
                req = client.text_document_completion_async(t.CompletionParams(doc, pos))
            elif kind == "hover":
                req = client.text_document_hover_async(t.HoverParams(doc, pos))
            else:
                # Code actions only: resolving would run the model, which this test does not start.
                req = client.text_document_code_action_async(t.CodeActionParams(
                    doc, t.Range(pos, pos), t.CodeActionContext(diagnostics=[])))
            pending.append(asyncio.ensure_future(req))
        if step % 50 == 0:
            await asyncio.sleep(0)
        if len(text) > 20_000:
            text_cut = len(text)
            change = t.TextDocumentContentChangePartial(
                range=t.Range(t.Position(0, 0), utf16_position(text, text_cut // 2)), text="")
            text = text[text_cut // 2:]
            version += 1
            client.text_document_did_change(t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change]))
    results = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 120)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert len(results) > 100
    # Still alive, and its copy of the document matches ours (incremental edits applied correctly).
    assert client._server.returncode is None
    end = utf16_position(text, len(text))
    comp = await client.text_document_completion_async(t.CompletionParams(doc, end))
    assert comp is not None
    await asyncio.sleep(1.0)  # let the debounced check of the last version run
    assert client._server.returncode is None
    assert client.error is None
