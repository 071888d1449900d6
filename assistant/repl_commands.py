"""The REPL's dot commands. Each takes the running `Repl` and the text after the command name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import NicheError
from .schema import render_schema

if TYPE_CHECKING:  # the Repl imports this module; avoid a cycle at run time
    from .repl import Repl


class Quit(Exception):
    """Raised by `.quit` / `.exit` to leave the loop."""


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[Repl, str], None]
    args: str
    help: str


def _tables(repl: Repl, arg: str) -> None:
    names = repl.schema_tracker.schema.table_names
    repl.say("\n".join(names) if names else "(no tables)")


def _schema(repl: Repl, arg: str) -> None:
    schema = repl.schema_tracker.schema
    wanted = arg.split() or None
    if wanted:
        missing = [w for w in wanted if schema.table(w) is None]
        if missing:
            repl.error(f"no such table: {', '.join(missing)} (see .tables)")
            return
    text = render_schema(schema, wanted)
    repl.say(repl.highlight(text) if text else "(no tables)")


def _model(repl: Repl, arg: str) -> None:
    try:
        info = repl.backend.info()
    except KeyboardInterrupt:
        repl.error("cancelled")
        return
    except NicheError as exc:
        repl.error(f"[{exc.code}] {exc.message}")
        return
    for key in ("backend", "name", "model_path", "lora_path", "n_ctx", "threads", "threads_now", "gpu_layers",
                "load_s", "socket", "pid"):
        if info.get(key) is not None:
            repl.say(f"{key}: {info[key]}")


def _writes(repl: Repl, arg: str) -> None:
    word = arg.strip().lower()
    if word in ("on", "off"):
        repl.writes = word == "on"
    elif word:
        repl.error("usage: .writes on|off")
        return
    state = "on: SQL you type may change the database" if repl.writes else "off: everything runs read-only"
    repl.say(f"writes {state}")


def _run(repl: Repl, arg: str) -> None:
    if not repl.last_generated:
        repl.error("no generated SQL yet; ask a question first")
        return
    repl.run_generated(repl.last_generated, rerun=True)


def _explain(repl: Repl, arg: str) -> None:
    sql = arg.strip() or repl.last_sql
    if not sql:
        repl.error("nothing to explain yet: run a query first or give one: .explain SELECT ...")
        return
    repl.run_sql("EXPLAIN QUERY PLAN " + sql.rstrip().rstrip(";"), user_typed=False)


def _ask(repl: Repl, arg: str) -> None:
    if not arg.strip():
        repl.error("usage: .ask QUESTION")
        return
    repl.ask(arg.strip())


def _help(repl: Repl, arg: str) -> None:
    lines = [
        "Type a question in English to have the model write SQL for it; the SQL is shown, then run",
        "read-only. Type SQL (starting with SELECT, WITH, INSERT, PRAGMA, ... or ending with `;`) to run",
        "it yourself.",
        "",
        "Input: SQL goes on over several lines until a line ends with `;` or you press Enter on an",
        "empty line; Esc then Enter (Meta-Enter) submits at once. A question is one line; start it with",
        "`?` when it begins with a SQL word (`? select the best customers`).",
        "Keys: Tab completes keywords, tables and columns; Ctrl-C cancels a running question or clears",
        "the line; Ctrl-D quits. History is kept in " + str(repl.history_file) + ".",
        "",
        "Commands:",
    ]
    width = max(len(f".{c.name} {c.args}".rstrip()) for c in COMMANDS.values())
    for c in COMMANDS.values():
        if c.name == "exit":
            continue
        lines.append(f"  {f'.{c.name} {c.args}'.rstrip():<{width}}  {c.help}")
    repl.say("\n".join(lines))


def _quit(repl: Repl, arg: str) -> None:
    raise Quit()


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("tables", _tables, "", "list the tables"),
    Command("schema", _schema, "[TABLE ...]", "show CREATE TABLE text (all tables, or the ones named)"),
    Command("model", _model, "", "which model answers questions, and where"),
    Command("writes", _writes, "[on|off]", "allow SQL you type to change the database (default off)"),
    Command("run", _run, "", "run the last generated SQL again (asks before any change to the database)"),
    Command("explain", _explain, "[SQL]", "query plan of SQL (default: the last query)"),
    Command("ask", _ask, "QUESTION", "ask the model even when the question starts with a SQL word"),
    Command("help", _help, "", "this help"),
    Command("quit", _quit, "", "leave (also .exit or Ctrl-D)"),
    Command("exit", _quit, "", "leave"),
)}


def dispatch(repl: Repl, line: str) -> None:
    """Run one `.command args` line."""
    name, _, arg = line.strip()[1:].partition(" ")
    cmd = COMMANDS.get(name.lower())
    if cmd is None:
        repl.error(f"unknown command .{name}; type .help for the list")
        return
    cmd.run(repl, arg)
