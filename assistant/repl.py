"""`nichelm-repl [DB]`: ask a SQLite database questions in English, or type SQL, in a terminal.

A question goes to the model (through the daemon, or in-process with --local); the SQL it writes is
shown highlighted and run read-only. SQL you type runs as well, read-only unless `.writes on`.
Generated SQL never changes the database without `.writes on` and a yes to a confirmation.

The loop is thin: reading input (prompt-toolkit, or plain lines when stdin is not a terminal) is here;
what a line means is `repl_input`, dot commands are `repl_commands`, tables are `render`, completion is
`completion` through `repl_completer`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from . import paths, render
from .errors import DatabaseMissing, NicheError, QueryError, WriteRefused
from .repl_commands import COMMANDS, Quit, dispatch
from .repl_input import classify, input_complete, question_text, split_statements
from .sqlite_io import QueryResult, check_database_file, execute_readonly, execute_write

EXIT_BAD_DATABASE = 2
FETCH_ROWS = 1000  # rows fetched per query; the table shows --max-rows of them


class Repl:
    """State of one REPL session and what each kind of input does. Output goes to *out*/*err*."""

    def __init__(self, db: str, backend, *, out: TextIO | None = None, err: TextIO | None = None,
                 colour: bool = False, max_rows: int = 50, writes: bool = False,
                 confirm: Callable[[str], bool] | None = None, history_file: Path | None = None):
        from .repl_completer import SchemaTracker

        self.db = db
        self.backend = backend
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour = colour
        self.max_rows = max_rows
        self.writes = writes
        self.confirm = confirm or _ask_yes_no
        self.history_file = history_file
        self.last_generated: str | None = None
        self.last_sql: str | None = None
        self.schema_tracker = SchemaTracker(db)

    # -- output ----------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def error(self, text: str) -> None:
        print(render.red("error: " + text, self.colour), file=self.err, flush=True)

    def note(self, text: str) -> None:
        print(render.dim(text, self.colour), file=self.out, flush=True)

    def highlight(self, sql: str) -> str:
        return render.highlight_sql(sql, self.colour)

    # -- input -----------------------------------------------------------------------------------

    def handle(self, text: str) -> None:
        """Act on one submitted input. Raises Quit for `.quit`."""
        kind = classify(text)
        self.schema_tracker.refresh()  # another program may have changed it while the prompt waited
        if kind == "meta":
            dispatch(self, text)
        elif kind == "sql":
            self.run_sql(text, user_typed=True)
        elif kind == "question":
            q = question_text(text)
            if q:
                self.ask(q)

    def run_sql(self, sql: str, *, user_typed: bool) -> bool:
        """Run each statement of *sql*; stop at the first error. True when all ran."""
        for stmt in split_statements(sql):
            self.last_sql = stmt
            try:
                if self.writes and user_typed:
                    result = execute_write(self.db, stmt, max_rows=FETCH_ROWS)
                else:
                    result = execute_readonly(self.db, stmt, max_rows=FETCH_ROWS)
            except WriteRefused:
                self.error("this statement would change the database, which is open read-only; "
                           "`.writes on` lets SQL you type change it")
                return False
            except KeyboardInterrupt:
                self.error("query cancelled")
                return False
            except NicheError as exc:
                self.error(_one_line(exc))
                return False
            self.show_result(result, wrote=self.writes and user_typed)
        return True

    def show_result(self, result: QueryResult, *, wrote: bool = False) -> None:
        if result.columns:
            self.say(render.result_table(result.columns, result.rows, max_rows=self.max_rows,
                                         truncated=result.truncated, elapsed_s=result.elapsed_s))
        elif wrote:
            self.say(f"OK, {result.rows_changed} row{'' if result.rows_changed == 1 else 's'} changed")
        else:
            self.say("OK")

    def ask(self, question: str) -> None:
        """Question -> SQL through the model -> shown -> run read-only."""
        self.note("generating SQL… (Ctrl-C cancels)")
        try:
            answer = self.backend.generate(self.db, question)
        except KeyboardInterrupt:
            self.error("generation cancelled")
            return
        except NicheError as exc:
            self.error(_one_line(exc))
            return
        sql = answer.get("sql")
        if not sql:
            raw = " ".join((answer.get("raw") or "").split())
            self.error("model did not produce valid SQL" + (f"; it said: {raw[:200]}" if raw else ""))
            return
        self.last_generated = sql
        self.say(self.highlight(sql))
        self.note(f"-- {answer.get('latency_s', 0):.2f} s" + render.voted_note(answer) + render.replaced_note(answer))
        errors = [p for p in answer.get("problems") or [] if p.get("severity") == "error"]
        if errors:
            self.error("model did not produce valid SQL: " + "; ".join(p["message"] for p in errors))
            self.note("(.run runs it anyway)")
            return
        for line in render.check_notes(answer):  # it runs, but a check of it found something to look at
            self.note(line)
        self.run_generated(sql)

    def run_generated(self, sql: str, *, rerun: bool = False) -> None:
        """Run model-written SQL read-only; a statement that would write is run only with writes on and
        after the user confirms it."""
        for stmt in split_statements(sql):
            self.last_sql = stmt
            try:
                if _writes(stmt):
                    raise WriteRefused("generated SQL would change the database")
                result = execute_readonly(self.db, stmt, max_rows=FETCH_ROWS)
            except WriteRefused:
                if not self.writes:
                    self.error("the generated SQL would change the database, so it was not run; "
                               "to run it: `.writes on`, then `.run` (you will be asked to confirm)")
                    return
                if not self.confirm(f"This statement changes {Path(self.db).name}:\n  {stmt}\nRun it? [y/N] "):
                    self.note("not run")
                    return
                try:
                    result = execute_write(self.db, stmt, max_rows=FETCH_ROWS)
                except NicheError as exc:
                    self.error(_one_line(exc))
                    return
                self.show_result(result, wrote=True)
                continue
            except KeyboardInterrupt:
                self.error("query cancelled")
                return
            except NicheError as exc:
                self.error(_one_line(exc))
                return
            self.show_result(result)


def _writes(sql: str) -> bool:
    """True when sqlglot reads *sql* as something other than a query. The read-only connection is the
    real guard; this only lets us refuse before SQLite sees the statement."""
    from .sqlcheck import reads_only

    return reads_only(sql) is False and not sql.lstrip().upper().startswith(("PRAGMA", "EXPLAIN"))


def _one_line(exc: NicheError) -> str:
    msg = " ".join(exc.message.split())
    if isinstance(exc, QueryError) and "interrupted" in msg:
        return "query cancelled"
    return msg


def _ask_yes_no(prompt: str) -> bool:
    try:
        return input(prompt).strip().lower() in ("y", "yes")
    except (EOFError, KeyboardInterrupt):
        print()
        return False


# ------------------------------------------------------------------------------------------- loops


def _prompt_loop(repl: Repl, prompt_name: str) -> None:
    """Interactive input with completion, highlighting, history and multi-line SQL."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers import SqlLexer

    from .repl_completer import SqlCompleter

    kb = KeyBindings()

    @kb.add("enter")
    def _enter(event) -> None:
        buf = event.current_buffer
        state = buf.complete_state
        if state is not None and state.current_completion is not None:
            buf.apply_completion(state.current_completion)
            return
        if input_complete(buf.text):
            buf.validate_and_handle()
        else:
            buf.insert_text("\n")

    @kb.add("escape", "enter")
    def _submit(event) -> None:
        event.current_buffer.validate_and_handle()

    prompt = f"{prompt_name}> "
    cont = " " * (len(prompt) - 5) + "...> "
    session = PromptSession(
        history=FileHistory(str(repl.history_file)),
        completer=SqlCompleter(repl.schema_tracker.index_fresh, COMMANDS),
        lexer=PygmentsLexer(SqlLexer) if repl.colour else None,
        multiline=True,
        key_bindings=kb,
        prompt_continuation=lambda width, line_number, wrap_count: cont,
        complete_while_typing=True,
        include_default_pygments_style=repl.colour,
        color_depth=None if repl.colour else _mono(),
    )
    while True:
        try:
            text = session.prompt(prompt)
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            return
        try:
            repl.handle(text)
        except Quit:
            return
        except KeyboardInterrupt:
            repl.error("cancelled")


def _mono():
    from prompt_toolkit.output import ColorDepth

    return ColorDepth.MONOCHROME


def _line_loop(repl: Repl, stream: TextIO) -> None:
    """Input from a pipe or file: the same rules for where an input ends, no prompt."""
    pending = ""
    for line in stream:
        pending += line
        text = pending.rstrip("\n")
        if input_complete(text) or (classify(text) == "sql" and not line.strip()):
            pending = ""
            try:
                repl.handle(text)
            except Quit:
                return
    if pending.strip():
        try:
            repl.handle(pending)
        except Quit:
            return


# ------------------------------------------------------------------------------------------ startup


def demo_database() -> str:
    """Path of the embedded demo database (the e-commerce shop used by the evaluation)."""
    try:
        from nichelm.eval.ecommerce.generate import demo_database_path
    except ImportError as exc:
        raise DatabaseMissing(
            "no database given and the demo database is not available in this install; "
            "give the path of a SQLite file: nichelm-repl shop.sqlite") from exc
    return str(demo_database_path())


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("db", required=False)
@click.option("--model", envvar="NICHELM_MODEL", default=None,
              help="Model name from `nichelm models` or a GGUF path [env NICHELM_MODEL].")
@click.option("--local", is_flag=True, help="Load the model in this process instead of using the daemon.")
@click.option("--socket", "socket_path", default=None, help="Daemon socket [env NICHELM_SOCKET].")
@click.option("--max-rows", default=50, show_default=True, type=click.IntRange(1), help="Rows shown per result.")
@click.option("--writes", is_flag=True, help="Start with `.writes on` (SQL you type may change the database).")
@click.option("--color/--no-color", default=None, help="Colour output (default: when stdout is a terminal).")
def main(db, model, local, socket_path, max_rows, writes, color) -> None:
    """Ask DB questions in English or type SQL (default DB: the embedded demo shop)."""
    # A shell started in the background of a non-interactive script inherits SIGINT ignored, and then
    # Ctrl-C could not cancel a generation: this shell always wants it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        path = str(check_database_file(db)) if db else str(check_database_file(demo_database()))
        from .repl_backend import DaemonBackend, LocalBackend

        backend = LocalBackend(model) if local else DaemonBackend(model, socket_path)
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        colour = color if color is not None else (interactive and not os.environ.get("NO_COLOR"))
        repl = Repl(path, backend, colour=colour, max_rows=max_rows, writes=writes,
                    history_file=paths.history_path())
    except NicheError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_BAD_DATABASE)
    if repl.schema_tracker.locked:
        repl.error(f"{path}: the database is locked by another process; queries will fail until it is free")
    threading.Thread(target=backend.warm, args=(path,), name="nichelm-warm", daemon=True).start()
    try:
        if interactive:
            n = len(repl.schema_tracker.schema.tables)
            repl.say(f"NicheLM on {Path(path).name} ({n} table{'' if n == 1 else 's'}); ask a question in "
                     "English or type SQL ending with `;`. .help for help, Ctrl-D to quit.")
            _prompt_loop(repl, Path(path).stem[:24] or "nichelm")
        else:
            _line_loop(repl, sys.stdin)
    finally:
        backend.close()


if __name__ == "__main__":
    main()
