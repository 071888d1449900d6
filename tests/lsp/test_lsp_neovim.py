"""Real Neovim (headless) with the shipped lua config: the client attaches, completion items and
diagnostics arrive, and the Generate SQL code action edits the buffer. Debian's neovim is 0.7.2 (the vim.lsp.start_client path); newer ones use vim.lsp.start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NVIM_CONFIG = REPO / "lsp" / "nvim" / "nichelm.lua"

pytestmark = pytest.mark.skipif(shutil.which("nvim") is None,
                                reason="nvim not on PATH (CI: apt-get install -y neovim)")

SCRIPT = r"""
local out = vim.g.nichelm_test_out
local function clients()
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = 0 }) end
  return vim.tbl_values(vim.lsp.buf_get_clients(0))
end
local result = { version = vim.version(), labels = {}, diagnostics = {} }
result.attached = vim.wait(30000, function() return #clients() > 0 end, 50)
local params = { textDocument = vim.lsp.util.make_text_document_params(),
                 position = { line = vim.g.nichelm_line, character = vim.g.nichelm_col } }
-- Until the server has answered initialize, a request may come back empty: ask again.
vim.wait(30000, function()
  local res = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 5000) or {}
  for _, r in pairs(res) do
    local items = r.result and (r.result.items or r.result) or {}
    for _, item in ipairs(items) do table.insert(result.labels, item.label) end
  end
  return #result.labels > 0
end, 200)
vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(result.diagnostics, { message = d.message, lnum = d.lnum, col = d.col })
end
result.omnifunc = vim.api.nvim_buf_get_option(0, "omnifunc")

-- Generate SQL through the code action menu (the first entry is picked), in a file whose database is
-- missing, so the inserted text is the error comment and no model is needed.
vim.cmd("edit " .. vim.g.nichelm_question_file)
vim.wait(30000, function() return #clients() > 0 end, 50)
vim.ui.select = function(items, _, on_choice) on_choice(items[1], 1) end
vim.api.nvim_win_set_cursor(0, { 2, 4 })
vim.wait(10000, function()
  vim.lsp.buf.code_action()
  return vim.wait(3000, function() return vim.api.nvim_buf_line_count(0) > 3 end, 50)
end, 100)
result.after_action = vim.api.nvim_buf_get_lines(0, 0, -1, false)
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.cmd("qa!")
"""


def test_neovim_gets_completion_and_diagnostics(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").mkdir()  # the root marker
    from lsp_helpers import make_shop

    make_shop(ws / "shop.sqlite")
    sql = ws / "sub" / "q.sql"
    sql.parent.mkdir()
    line0 = "SELECT o. FROM orders o;"
    sql.write_text(line0 + "\nSELECT nme FROM customers;\n")
    question = ws / "sub" / "ask.sql"
    question.write_text("-- nichelm: db=absent.sqlite\n-- how many orders per country?\nSELECT 1;\n")
    out = tmp_path / "out.json"
    log = tmp_path / "lsp.log"
    init = tmp_path / "init.lua"
    init.write_text(
        f"vim.g.nichelm_test_out = {json.dumps(str(out))}\n"
        f"vim.g.nichelm_line = 0\nvim.g.nichelm_col = {line0.index('o.') + 2}\n"
        f"vim.g.nichelm_question_file = {json.dumps(str(question))}\n"
        f"dofile({json.dumps(str(NVIM_CONFIG))}).setup({{\n"
        f"  cmd = {{ {json.dumps(sys.executable)}, '-m', 'nichelm.lsp.server', '--log-file', {json.dumps(str(log))} }},\n"
        f"  settings = {{ debounceMs = 50 }},\n"
        f"}})\n")
    script = tmp_path / "script.lua"
    script.write_text(SCRIPT)
    proc = subprocess.run(["nvim", "--headless", "-n", "-i", "NONE", "-u", str(init), str(sql),
                           "-c", f"luafile {script}"], cwd=ws, capture_output=True, text=True, timeout=120, check=False)
    assert out.exists(), (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:],
                          log.read_text()[-3000:] if log.exists() else "")
    result = json.loads(out.read_text())
    assert result["attached"], result
    assert result["labels"] == ["customer_id", "id", "placed_at", "total"], result
    assert result["omnifunc"] == "v:lua.vim.lsp.omnifunc"
    assert {"message": "no such column: nme", "lnum": 1, "col": 7} in result["diagnostics"], result
    lines = result["after_action"]
    assert lines[:2] == ["-- nichelm: db=absent.sqlite", "-- how many orders per country?"], lines
    assert lines[2].startswith("-- nichelm: no SQL (database_missing): database not found"), lines
    assert lines[3] == "SELECT 1;"
