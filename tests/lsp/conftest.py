"""Fixtures for the language server's tests (helpers live in lsp_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from lsp_helpers import lsp_session, make_shop


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A workspace folder holding one database, shop.sqlite."""
    ws = tmp_path / "ws"
    ws.mkdir()
    make_shop(ws / "shop.sqlite")
    return ws


@pytest_asyncio.fixture
async def client(workspace):
    """A server whose workspace is *workspace*, initialised as VS Code would."""
    async with lsp_session(workspace) as c:
        yield c
