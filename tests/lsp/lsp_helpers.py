"""Helpers for the language server's end-to-end tests: real SQLite files and a real `nichelm-lsp`
subprocess driven over stdio by pytest-lsp's client. (A module of its own, not conftest: tests/ has
another conftest.py, and `from conftest import ...` would be ambiguous.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

SHOP_SQL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, email TEXT);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  total REAL,
  placed_at TEXT
);
CREATE TABLE order_items (order_id INTEGER REFERENCES orders(id), product TEXT, qty INTEGER,
  PRIMARY KEY (order_id, product));
INSERT INTO customers VALUES (1, 'Ada', 'UK', 'ada@example.com'), (2, 'Bo', 'SE', NULL),
  (3, 'Cy', 'UK', NULL);
INSERT INTO orders VALUES (1, 1, 10.5, '2024-05-01'), (2, 1, 3.0, '2024-05-02'), (3, 2, 7.25, '2024-06-01');
"""


def make_shop(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.executescript(SHOP_SQL)
    con.commit()
    con.close()
    return path


def server_command(log_file: Path | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "nichelm.lsp.server", "--log-level", "DEBUG"]
    return cmd + (["--log-file", str(log_file)] if log_file else [])


@contextlib.asynccontextmanager
async def lsp_session(root: Path, *, init_options: dict | None = None, env: dict | None = None,
                      capabilities: str | t.ClientCapabilities = "visual-studio-code",
                      configuration: dict | None = None,
                      log_file: Path | None = None):
    """A real server subprocess, initialised with *root* as the workspace."""
    client = make_test_lsp_client()
    if configuration is not None:
        client.set_configuration(configuration)
    await client.start_io(*server_command(log_file), env={**os.environ, **(env or {})})
    try:
        await client.initialize_session(t.InitializeParams(
            capabilities=client_capabilities(capabilities) if isinstance(capabilities, str) else capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=init_options,
        ))
        yield client
        await asyncio.wait_for(client.shutdown_session(), 20)
    finally:
        # After a failed test the server got no exit notification: end it, or stop() waits forever.
        proc = client._server
        if proc is not None and proc.returncode is None:
            proc.kill()
        await client.stop()


def open_doc(client, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        text_document=t.TextDocumentItem(uri=uri, language_id="sql", version=version, text=text)))
    return uri


def change_doc(client, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))


async def wait_diagnostics(client, uri: str, predicate, timeout: float = 15.0) -> list[t.Diagnostic]:
    """Wait until the diagnostics published for *uri* satisfy *predicate*; return them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        diags = client.diagnostics.get(uri)
        if diags is not None and predicate(list(diags)):
            return list(diags)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"diagnostics for {uri} never matched; last: {diags!r}")
        await asyncio.sleep(0.05)


def pos_of(text: str, needle: str, after: int = 0, nth: int = 0) -> t.Position:
    """LSP position of the start of *needle* (+after chars) in *text*."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    i += after
    line = text.count("\n", 0, i)
    return t.Position(line, i - (text.rfind("\n", 0, i) + 1))
