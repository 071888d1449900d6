"""Question-to-SQL through the real server and the real daemon with the tiny SmolLM2 model.

Asserts the plumbing (an edit below the question whose text is SQL or a clear error comment, caching,
cancellation, a daemon that dies), not the quality of the answer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_helpers import lsp_session, open_doc, wait_diagnostics
from lsprotocol import types as t
from nichelm.assistant.sqlcheck import parse

pytestmark = pytest.mark.asyncio

QUESTION_DOC = "-- nichelm: db=shop.sqlite\n-- how many orders did each customer place?\n\nSELECT 1;\n"


@pytest.fixture
def short_home():
    # Unix socket paths are limited to ~107 bytes: pytest's tmp_path is too deep for daemon.sock.
    home = Path(tempfile.mkdtemp(prefix="nl-", dir="/tmp"))
    yield home
    from nichelm.assistant.client import Client

    with contextlib.suppress(Exception):  # the test may have killed it already
        with Client(home / "daemon.sock", autostart=False) as c:
            c.shutdown(timeout=10)
    time.sleep(0.3)
    shutil.rmtree(home, ignore_errors=True)


@pytest_asyncio.fixture
async def gen_client(workspace, short_home, tiny_model_path, tmp_path):
    log = tmp_path / "lsp.log"
    # schemaPollMs: an hour, so that only the daemon's schema_changed notification can refresh.
    async with lsp_session(workspace, env={"NICHELM_HOME": str(short_home)}, log_file=log,
                           init_options={"nichelm": {"model": str(tiny_model_path),
                                                     "schemaPollMs": 3_600_000}}) as c:
        c.log_path = log
        c.home = short_home
        yield c


def _assert_sql_or_error(text: str) -> None:
    body = text.strip()
    if body.startswith("-- nichelm: no SQL"):
        assert "(" in body and "):" in body, body  # carries the error code and a message
        return
    tree, problems = parse(body)
    assert tree is not None, (body, problems)


async def _wait_log(path: Path, needle: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if needle in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{needle!r} never logged:\n{path.read_text()[-3000:]}")


async def test_generate_sql_code_action_and_completion(gen_client, workspace):
    client = gen_client
    uri = open_doc(client, workspace / "q.sql", QUESTION_DOC)
    doc = t.TextDocumentIdentifier(uri=uri)
    # No action on a line that is no question.
    none = await client.text_document_code_action_async(t.CodeActionParams(
        doc, t.Range(t.Position(3, 0), t.Position(3, 0)), t.CodeActionContext(diagnostics=[])))
    assert not none
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        doc, t.Range(t.Position(1, 5), t.Position(1, 5)), t.CodeActionContext(diagnostics=[])))
    assert [a.title for a in actions] == ["Generate SQL"]
    assert actions[0].edit is None  # computed only on resolve
    resolved = await asyncio.wait_for(client.code_action_resolve_async(actions[0]), 240)
    edits = resolved.edit.document_changes[0].edits
    assert len(edits) == 1
    edit = edits[0]
    end_of_question = t.Position(1, len("-- how many orders did each customer place?"))
    assert edit.range.start == end_of_question and edit.range.end == end_of_question
    assert edit.new_text.startswith("\n")
    _assert_sql_or_error(edit.new_text)

    # The same question as a completion item on the comment line: answered from the cache.
    res = await client.text_document_completion_async(t.CompletionParams(doc, end_of_question))
    (item,) = res.items
    assert item.label.startswith("Generate SQL")
    assert item.data["cached"] is True
    assert item.text_edit.new_text == "-- how many orders did each customer place?" + edit.new_text
    assert item.text_edit.range.start == t.Position(1, 0)

    # Connected to the daemon, the server hears its schema_changed notifications: with the server's
    # own polling set to an hour, diagnostics still follow an ALTER TABLE.
    text = "SELECT id, vip FROM customers;\n"
    uri2 = open_doc(client, workspace / "s.sql", text)
    await wait_diagnostics(client, uri2, lambda d: [x.message for x in d] == ["no such column: vip"])
    con = sqlite3.connect(workspace / "shop.sqlite")
    con.execute("ALTER TABLE customers ADD COLUMN vip INTEGER")
    con.commit()
    con.close()
    await wait_diagnostics(client, uri2, lambda d: d == [], timeout=30)


async def test_cancel_and_daemon_death(gen_client, workspace):
    client = gen_client
    uri = open_doc(client, workspace / "q.sql", QUESTION_DOC + "-- list the names of customers from the UK\n"
                   "-- what is the total of all orders?\n-- which customer has the most orders?\n")
    doc = t.TextDocumentIdentifier(uri=uri)
    # Warm up: starts the daemon and loads the model.
    first = await asyncio.wait_for(client.text_document_completion_async(
        t.CompletionParams(doc, t.Position(1, 3))), 240)
    _assert_sql_or_error(first.items[0].text_edit.new_text.split("\n", 1)[1])

    # Two questions at once: the daemon answers one at a time, so the second waits behind the first
    # and is surely still in flight when the editor abandons it ($/cancelRequest). It is cancelled in
    # the server and in the daemon; the first one is answered as usual.
    busy = client.text_document_completion_async(t.CompletionParams(doc, t.Position(4, 3)))
    rid = "cancel-me"
    fut = client.protocol.send_request(t.TEXT_DOCUMENT_COMPLETION,
                                       t.CompletionParams(doc, t.Position(6, 3)), msg_id=rid)
    await asyncio.sleep(0.05)
    client.protocol.notify(t.CANCEL_REQUEST, t.CancelParams(id=rid))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(asyncio.wrap_future(fut), 60)
    answered = await asyncio.wait_for(busy, 240)
    _assert_sql_or_error(answered.items[0].text_edit.new_text.split("\n", 1)[1])
    await _wait_log(client.log_path, "generation cancelled")

    # The daemon dies: the next question reconnects (restarting it) and still gets an answer.
    from nichelm.assistant.client import Client

    with Client(client.home / "daemon.sock", autostart=False) as c:
        pid = c.health()["pid"]
    os.kill(pid, signal.SIGKILL)
    res = await asyncio.wait_for(client.text_document_completion_async(
        t.CompletionParams(doc, t.Position(5, 3))), 240)
    (item,) = res.items
    _assert_sql_or_error(item.text_edit.new_text.split("\n", 1)[1])
    assert item.data["code"] != "connection_lost", item.data


async def test_opening_a_file_warms_its_database_in_a_running_daemon(gen_client, workspace):
    client = gen_client
    sock, daemon_log = client.home / "daemon.sock", client.home / "daemon.log"
    uri = open_doc(client, workspace / "q.sql", QUESTION_DOC)
    await wait_diagnostics(client, uri, lambda d: True)
    await asyncio.sleep(0.5)
    assert not sock.exists()  # opening a file never starts the daemon
    doc = t.TextDocumentIdentifier(uri=uri)
    first = await asyncio.wait_for(client.text_document_completion_async(
        t.CompletionParams(doc, t.Position(1, 3))), 240)  # starts the daemon
    _assert_sql_or_error(first.items[0].text_edit.new_text.split("\n", 1)[1])

    club = workspace / "club.sqlite"
    con = sqlite3.connect(club)
    con.execute("CREATE TABLE club_members (id INTEGER PRIMARY KEY, full_name TEXT, joined_on TEXT)")
    con.close()
    open_doc(client, workspace / "club.sql", "-- nichelm: db=club.sqlite\nSELECT full_name FROM club_members;\n")
    await _wait_log(daemon_log, f"warmed {club.resolve()}: ")
