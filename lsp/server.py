"""`nichelm-lsp`: the NicheLM language server for .sql files (pygls, stdio).

Handlers here are thin: they find the document, its database and schema, call a plain module
(completing, diagnostics, hover, generation) and translate the answer into LSP types. Nothing but the
protocol ever reaches stdout: main() moves the protocol onto a private copy of fd 1 and points fd 1
(and sys.stdout) at stderr, so a stray print in any library cannot corrupt the stream.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as t

from . import completing, hover
from .niche_server import VERSION, NicheLanguageServer
from .statements import question_at_line, split_statements, statement_at
from .textpos import LineIndex

log = logging.getLogger("nichelm.lsp")

GENERATE_COMMAND = "nichelm.generateSql"
GENERATE_TITLE = "Generate SQL"


def _can_resolve_edit(server: NicheLanguageServer) -> bool:
    caps = server.client_capabilities.text_document
    ca = caps.code_action if caps else None
    props = ca.resolve_support.properties if ca and ca.resolve_support else []
    return "edit" in props


server = NicheLanguageServer()


@server.feature(t.INITIALIZE)
def on_initialize(ls: NicheLanguageServer, params: t.InitializeParams) -> None:
    ls.apply_settings(params.initialization_options)


@server.feature(t.INITIALIZED)
async def on_initialized(ls: NicheLanguageServer, params: t.InitializedParams) -> None:
    ls.loop = asyncio.get_running_loop()
    ls._poller = asyncio.ensure_future(ls.poll_schemas())
    ws = ls.client_capabilities.workspace
    if ws and ws.configuration:
        try:
            got = await asyncio.wait_for(ls.workspace_configuration_async(
                t.ConfigurationParams(items=[t.ConfigurationItem(section="nichelm")])), 5)
            if got and isinstance(got[0], dict) and got[0]:
                ls.apply_settings(got[0])
        except Exception as exc:  # a client that announces but does not answer: keep the defaults
            log.info("workspace/configuration failed: %s", exc)
    for uri in list(ls.workspace.text_documents):
        ls.schedule_check(uri, 0)


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: NicheLanguageServer, params: t.DidChangeConfigurationParams) -> None:
    if isinstance(params.settings, dict) and params.settings.get("nichelm") is not None:
        ls.apply_settings(params.settings)
        for uri in list(ls.workspace.text_documents):
            ls.schedule_check(uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: NicheLanguageServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.schedule_check(params.text_document.uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: NicheLanguageServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.schedule_check(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def on_save(ls: NicheLanguageServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.schedule_check(params.text_document.uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: NicheLanguageServer, params: t.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls._checks.pop(uri, None)
    if task is not None:
        task.cancel()
    ls._db_of.pop(uri, None)
    ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=["."]))
async def on_completion(ls: NicheLanguageServer, params: t.CompletionParams) -> t.CompletionList | dict:
    uri, pos = params.text_document.uri, params.position
    text = ls.text_of(uri)
    index = LineIndex(text)
    line_text = index.line_text(pos.line)
    question = question_at_line(line_text)
    if question is not None:
        # Only an explicit request runs the model: a '.' typed in a comment must not.
        explicit = params.context is None or params.context.trigger_kind == t.CompletionTriggerKind.Invoked
        if not ls.settings.generate or not explicit:
            return t.CompletionList(is_incomplete=True, items=[])
        return await _question_completion(ls, uri, pos.line, line_text)
    offset = index.offset(pos.line, pos.character)
    _, entry = await ls.schema_async(uri, text)
    schema = entry.schema if entry is not None else None
    found, cut = completing.complete(text, offset, schema)
    if not found:
        return t.CompletionList(is_incomplete=False, items=[])
    # Every item replaces the same word (the shared analysis gives one start): when the client allows,
    # say the range once (itemDefaults.editRange) instead of once per item, a third of the payload.
    sl, sc = index.position(found[0].replace_start)
    rng = {"start": {"line": sl, "character": sc}, "end": {"line": pos.line, "character": pos.character}}
    return completing.payload(found, rng, cut, completing.supports_default_edit_range(ls.client_capabilities))


async def _question_completion(ls: NicheLanguageServer, uri: str, line: int, line_text: str) -> t.CompletionList:
    # The model runs now, while the editor waits; typing on sends $/cancelRequest, which cancels this
    # coroutine and, through it, the daemon's request.
    got = await ls.generate_below(uri, line)
    if got is None:
        return t.CompletionList(is_incomplete=False, items=[])
    outcome, edit = got
    width = len(line_text.encode("utf-16-le")) // 2
    # One single-line edit (the line itself, plus the SQL after a newline) keeps the item valid for
    # every client; filter_text is the line so the typed prefix always matches.
    whole = t.TextEdit(range=t.Range(t.Position(line, 0), t.Position(line, width)),
                       new_text=line_text + edit.new_text)
    label = "Generate SQL" if outcome.sql else "Generate SQL (failed)"
    return t.CompletionList(is_incomplete=True, items=[t.CompletionItem(
        label=label, kind=t.CompletionItemKind.Snippet, detail=(outcome.sql or outcome.error or "")[:200],
        documentation=t.MarkupContent(kind=t.MarkupKind.Markdown,
                                      value=f"```sql\n{outcome.sql}\n```" if outcome.sql else str(outcome.error)),
        text_edit=whole, filter_text=line_text, sort_text="0",
        data={"cached": outcome.cached, "sql": outcome.sql, "code": outcome.code})])


@server.feature(t.TEXT_DOCUMENT_HOVER)
async def on_hover(ls: NicheLanguageServer, params: t.HoverParams) -> t.Hover | None:
    text = ls.text_of(params.text_document.uri)
    # In a worker thread: the first hover on a table counts its rows, a scan on a big table.
    return await asyncio.get_running_loop().run_in_executor(
        None, _hover, ls, params.text_document.uri, text, params.position)


def _hover(ls: NicheLanguageServer, uri: str, text: str, pos: t.Position) -> t.Hover | None:
    res, entry = ls.schema_for(uri, text)
    if entry is None or entry.schema is None:
        return None
    index = LineIndex(text)
    offset = index.offset(pos.line, pos.character)
    lo = max(0, offset - completing.MAX_CONTEXT_CHARS)
    window = text[lo: offset + completing.MAX_CONTEXT_CHARS]
    st = statement_at(split_statements(window), offset - lo)
    if st is None:
        return None
    found = hover.hover_markdown(entry.schema, st.text, offset - lo - st.start,
                                 lambda table: ls.schemas.row_count(res.path, table))
    if found is None:
        return None
    md, start, end = found
    sl, sc = index.position(lo + st.start + start)
    el, ec = index.position(lo + st.start + end)
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=md),
                   range=t.Range(t.Position(sl, sc), t.Position(el, ec)))


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION,
                t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.RefactorRewrite], resolve_provider=True))
def on_code_action(ls: NicheLanguageServer,
                   params: t.CodeActionParams) -> list[t.CodeAction | t.Command] | None:
    if not ls.settings.generate:
        return None
    uri = params.text_document.uri
    line = params.range.start.line
    index = LineIndex(ls.text_of(uri))
    question = question_at_line(index.line_text(line))
    if question is None:
        return None
    data = {"uri": uri, "line": line, "question": question}
    if _can_resolve_edit(ls):
        # The model runs only when the user picks the action (codeAction/resolve), not on every
        # cursor move that asks for the list of actions.
        return [t.CodeAction(title=GENERATE_TITLE, kind=t.CodeActionKind.RefactorRewrite, data=data)]
    # Without resolve support: a plain Command (the simplest form every client runs); executing it
    # generates and applies the edit through workspace/applyEdit.
    return [t.Command(title=GENERATE_TITLE, command=GENERATE_COMMAND, arguments=[data])]


@server.feature(t.CODE_ACTION_RESOLVE)
async def on_code_action_resolve(ls: NicheLanguageServer, action: t.CodeAction) -> t.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    uri, line = data.get("uri"), data.get("line")
    if not isinstance(uri, str) or not isinstance(line, int) or uri not in ls.workspace.text_documents:
        return action
    got = await ls.generate_below(uri, line)
    if got is not None:
        version = ls.workspace.get_text_document(uri).version
        action.edit = _workspace_edit(uri, version, got[1])
    return action


@server.command(GENERATE_COMMAND)
async def on_generate_command(ls: NicheLanguageServer, *args: Any) -> dict | None:
    data = args[0] if args and isinstance(args[0], dict) else {}
    uri, line = data.get("uri"), data.get("line")
    if not isinstance(uri, str) or not isinstance(line, int) or uri not in ls.workspace.text_documents:
        return None
    got = await ls.generate_below(uri, line)
    if got is None:
        return None
    outcome, edit = got
    version = ls.workspace.get_text_document(uri).version
    await ls.workspace_apply_edit_async(t.ApplyWorkspaceEditParams(
        edit=_workspace_edit(uri, version, edit), label=GENERATE_TITLE))
    return {"sql": outcome.sql, "error": outcome.error, "code": outcome.code}


def _workspace_edit(uri: str, version: int | None, edit: t.TextEdit) -> t.WorkspaceEdit:
    return t.WorkspaceEdit(document_changes=[t.TextDocumentEdit(
        text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=[edit])])


@server.feature(t.SHUTDOWN)
def on_shutdown(ls: NicheLanguageServer, params: Any) -> None:
    if ls._poller is not None:
        ls._poller.cancel()
    ls.generator.close()


# -- entry point ----------------------------------------------------------------------------------------


def _protect_stdout():
    """Return a binary stream for the protocol and make everything else that writes to stdout
    (Python prints, C libraries writing to fd 1) go to stderr instead."""
    sys.stdout.flush()
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(proto_fd, "wb", buffering=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nichelm-lsp", description="NicheLM language server for SQL (stdio)")
    ap.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default and only mode)")
    ap.add_argument("--log-file", help="write logs here instead of stderr")
    ap.add_argument("--log-level", default=os.environ.get("NICHELM_LSP_LOG", "INFO"))
    ap.add_argument("--version", action="version", version=f"nichelm-lsp {VERSION}")
    ap.add_argument("--nvim-config", action="store_true",
                    help="print the path of the shipped Neovim config (nichelm.lua) and exit")
    args = ap.parse_args(argv)
    if args.nvim_config:
        print(Path(__file__).resolve().parent / "nvim" / "nichelm.lua")
        return 0
    handler: logging.Handler = (logging.FileHandler(args.log_file) if args.log_file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler], force=True)
    logging.getLogger("pygls").setLevel(logging.WARNING)
    out = _protect_stdout()
    log.info("nichelm-lsp %s starting (pid %d)", VERSION, os.getpid())
    server.start_io(sys.stdin.buffer, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
