"""`nichelm`: the command line (click). Thin: the work happens in the daemon, client and core modules.

    nichelm serve [--model NAME|PATH] [--lora NAME|PATH] [--socket PATH] [--foreground]
    nichelm ask DB "question" [--run/--no-run] [--json] [--local]
    nichelm schema DB [--json]
    nichelm pull [NAME] [--force]
    nichelm models
    nichelm status | nichelm stop

Environment: NICHELM_HOME (data dir), NICHELM_MODEL (default model), NICHELM_SOCKET (socket path).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path

import click

from .errors import NicheError

EXIT_ERROR = 1


def _fail(exc: NicheError) -> None:
    click.echo(f"error [{exc.code}]: {exc.message}", err=True)
    sys.exit(EXIT_ERROR)


def handles_errors(fn):
    """Turn NicheErrors into one clear line on stderr and exit status 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NicheError as exc:
            _fail(exc)

    return wrapper


socket_option = click.option("--socket", "socket_path", envvar="NICHELM_SOCKET", default=None,
                             type=click.Path(dir_okay=False), help="Daemon socket [env NICHELM_SOCKET].")
model_option = click.option("--model", envvar="NICHELM_MODEL", default=None,
                            help="Model name from `nichelm models` or a GGUF path [env NICHELM_MODEL].")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="NICHELM_HOME", default=None, type=click.Path(file_okay=False),
              help="Data directory for models, socket and logs [env NICHELM_HOME].")
@click.version_option(package_name="nichelm")
def cli(home: str | None) -> None:
    """NicheLM: ask a SQLite database questions in English, answered by a local model."""
    if home:
        os.environ["NICHELM_HOME"] = os.path.abspath(os.path.expanduser(home))


@cli.command()
@model_option
@click.option("--lora", default=None, help="LoRA adapter: registry name or GGUF path.")
@socket_option
@click.option("--foreground", is_flag=True, help="Stay attached and log to stderr.")
@click.option("--threads", type=int, default=None,
              help="The most CPU threads llama.cpp runs (default: all cores; fewer while other work keeps cores busy).")
@click.option("--ctx", type=int, default=4096, show_default=True, help="Context size in tokens.")
@handles_errors
def serve(model, lora, socket_path, foreground, threads, ctx) -> None:
    """Run the daemon that holds the model and answers the REPL and the language server."""
    from . import daemon_control

    if foreground:
        from .daemon import run

        sys.exit(run(model=model, lora=lora, socket_path=socket_path, n_threads=threads, n_ctx=ctx))
    sock = daemon_control.socket_path(socket_path)
    if daemon_control.ping(sock):
        click.echo(f"a daemon already serves {sock}", err=True)
        sys.exit(daemon_control.EXIT_DAEMON_RUNNING)
    extra = (["--threads", str(threads)] if threads else []) + ["--ctx", str(ctx)]
    proc = daemon_control.spawn(model=model, lora=lora, socket=sock, extra_args=extra)
    health = _wait_started(sock, proc)
    click.echo(f"nichelm daemon pid {health['pid']} serving {sock} with {health['model'].get('name')} "
               f"(model loaded in {health['timings'].get('load_s', 0):.1f} s); log: {daemon_control.log_path()}")


def _wait_started(sock, proc, timeout: float = 600.0) -> dict:
    from . import daemon_control
    from .client import Client
    from .protocol import DaemonUnavailable

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            raise DaemonUnavailable(f"the daemon exited with status {code}:\n{daemon_control.log_tail()}")
        if daemon_control.ping(sock):
            with Client(sock, autostart=False) as c:
                return c.wait_ready(max(1.0, deadline - time.monotonic()))
        time.sleep(0.1)
    raise DaemonUnavailable(f"the daemon did not start within {timeout:g} s; see {daemon_control.log_path()}")


@cli.command()
@click.argument("db", type=click.Path())
@click.argument("question")
@click.option("--run/--no-run", "run_it", default=True, show_default=True,
              help="Run the generated SQL (read-only) and print the result.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON.")
@click.option("--local", is_flag=True, help="Load the model in this process instead of using the daemon.")
@click.option("--max-rows", type=int, default=50, show_default=True)
@click.option("--candidates", type=int, default=1, show_default=True,
              help="Sample this many answers and keep the one whose result most agree on.")
@click.option("--examples/--no-examples", default=True, show_default=True,
              help="Show the model example values of text columns (the prompt format the shipped adapter was trained with).")
@click.option("--repair/--no-repair", default=True, show_default=True,
              help="When SQLite cannot compile the answer, give the model its error and ask again (up to 3 times).")
@click.option("--retry-empty", type=int, default=None,
              help="When the answer's result is empty, sample N more answers and take a non-empty result at "
                   "least half agree on; when repair found nothing that compiles, take the result most samples "
                   "share (default: 4 where the model runs on a GPU, 0 = off on the CPU).")
@click.option("--doubt-candidates", type=int, default=None,
              help="When the first answer is in doubt (it trips a check no known fix settles, returns nothing "
                   "or has no SQL), sample this many answers and keep the result most agree on (default: 16 where "
                   "the model runs on a GPU, 0 = off on the CPU).")
@click.option("--model", envvar="NICHELM_MODEL", default=None,
              help="Model for --local, or for a daemon this command starts [env NICHELM_MODEL]; "
                   "a running daemon keeps its own model.")
@socket_option
@handles_errors
def ask(db, question, run_it, as_json, local, max_rows, candidates, examples, repair, retry_empty,
        doubt_candidates, model, socket_path) -> None:
    """Turn QUESTION about the SQLite file DB into one SQL query (and run it read-only)."""
    params = {"question": question, "candidates": candidates, "with_examples": examples,
              "execute": run_it, "max_rows": max_rows, "timeout_s": 10.0, "repair": repair,
              "retry_empty": retry_empty, "doubt_candidates": doubt_candidates}
    if local:
        answer = _ask_local(db, params, model)
    else:
        from . import models, paths
        from .client import Client

        if not Path(socket_path or paths.socket_path()).exists():
            models.prefetch(model)  # first run: show the download rather than wait on the daemon
        with Client(socket_path, model=model) as client:
            answer = client.generate(db, question, candidates=candidates, with_examples=examples,
                                     execute=run_it, max_rows=max_rows, repair=repair, retry_empty=retry_empty,
                                     doubt_candidates=doubt_candidates)
    if as_json:
        click.echo(json.dumps(answer, indent=2, ensure_ascii=False))
        return
    _print_answer(answer)


def _ask_local(db: str, params: dict, model: str | None) -> dict:
    from . import daemon_methods, models, paths
    from .engine import Engine, EngineSettings
    from .prompt import EXAMPLE_VALUES
    from .service import SchemaCache

    path = daemon_methods.resolve_db(db)
    schema = SchemaCache(examples=EXAMPLE_VALUES if params["with_examples"] else 0).get(path)
    model_path, lora_path, name = models.resolve(model)
    # each call is a new process: a known database's schema comes back from disk
    engine = Engine(EngineSettings(model_path=str(model_path), lora_path=str(lora_path) if lora_path else None,
                                   state_dir=paths.states_dir()))
    try:
        answer = daemon_methods.generate_answer(engine, schema, path, params, None)
    finally:
        engine.close()
    out = {**answer.to_json(), "db": path, "model": name}
    if params["execute"]:
        out.update(daemon_methods.execution_for(answer, path, params, None))
    return out


def _print_answer(answer: dict) -> None:
    sql = answer.get("sql")
    if sql:
        click.secho(sql, fg="cyan")
        from .render import replaced_note, voted_note

        for note in (voted_note(answer), replaced_note(answer)):
            if note:
                click.secho(note.strip(), dim=True, err=True)
    else:
        click.echo("(the model gave no SQL)", err=True)
        click.echo(answer.get("raw", ""), err=True)
    for p in answer.get("problems") or []:
        click.secho(f"{p['severity']}: {p['message']}", fg="yellow", err=True)
    err = answer.get("execution_error")
    if err:
        click.secho(f"not run [{err.get('code')}]: {err.get('message')}", fg="red", err=True)
    result = answer.get("result")
    if result:
        click.echo(format_table(result["columns"], result["rows"]))
        more = " (more rows not shown)" if result.get("truncated") else ""
        click.echo(f"{len(result['rows'])} row(s){more}", err=True)


def format_table(columns: list[str], rows: list[list], max_width: int = 40) -> str:
    """A plain text table; long cells are cut to *max_width* characters."""

    from .render import cell_text

    def cell(v) -> str:
        s = cell_text(v)
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    body = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line, sep] + ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in body])


@cli.command()
@click.argument("name", required=False)
@click.option("--force", is_flag=True, help="Download again even when a verified copy exists.")
@handles_errors
def pull(name, force) -> None:
    """Fetch model NAME (default: the default model and its adapter), verifying its sha256; a merged
    model (kind "merged" in `nichelm models`) is built here from its verified base and adapter."""
    from . import models

    if name:
        names = [name]
    else:
        base = os.environ.get("NICHELM_MODEL") or models.DEFAULT_MODEL
        if base not in models.REGISTRY:  # NICHELM_MODEL may be a GGUF path: nothing to pull for it
            base = models.DEFAULT_MODEL
        names = [base] + [s.name for s in models.REGISTRY.values() if s.kind == "lora" and s.base == base]
    for n in names:
        path = models.pull(n, progress=True, force=force, log=lambda m: click.echo(m, err=True))
        click.echo(str(path))


@cli.command("models")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def models_cmd(as_json) -> None:
    """List the known models and whether they are downloaded (and the space kept schema states take)."""
    from . import models, paths, prefix_disk

    rows = models.list_models()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    default = os.environ.get("NICHELM_MODEL") or models.DEFAULT_MODEL
    table = [[("* " if r["name"] == default else "  ") + r["name"], r["kind"],
              f"{r['size'] / 1e6:.0f} MB" if r["size"] else "built here",
              "yes" if r["present"] else "no", r["path"]] for r in rows]
    click.echo(format_table(["name", "kind", "size", "present", "path"], table, max_width=200))
    others = models.unlisted_files()
    if others:
        click.echo("\nNot in this version's list (an older NicheLM's build, or your own file); "
                   "`--model PATH` still serves one, deleting it frees the space:")
        for p in others:
            click.echo(f"  {p}  {p.stat().st_size / 1e6:.0f} MB")
    states = paths.states_dir()
    n, size = prefix_disk.usage(states) if states else (0, 0)
    if n:
        files = f"{n} file{'s' if n != 1 else ''}"
        click.echo(f"\nKept schema states (a new daemon reads a known database's schema from them): {files}, "
                   f"{size / 1e6:.0f} MB in {states}; deleting the folder frees the space, "
                   "NICHELM_DISK_STATES=0 stops them.")


@cli.command()
@click.argument("db", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Tables, columns, keys, indexes and row counts as JSON.")
@click.option("--examples", is_flag=True, help="Show example values of each column.")
@handles_errors
def schema(db, as_json, examples) -> None:
    """Print the schema of DB as the model sees it (read directly; no daemon needed)."""
    from .daemon_methods import resolve_db, schema_json
    from .schema import read_schema, render_schema

    path = resolve_db(db)
    s = read_schema(path, examples=3 if examples else 0, row_counts=as_json)
    if as_json:
        click.echo(json.dumps(schema_json(s, path), indent=2))
    else:
        click.echo(render_schema(s, with_examples=examples))


@cli.command()
@socket_option
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def status(socket_path, as_json) -> None:
    """Is the daemon running, with which model, how busy."""
    from . import daemon_control
    from .client import Client

    sock = daemon_control.socket_path(socket_path)
    if not daemon_control.ping(sock):
        click.echo(f"not running (no daemon on {sock})")
        sys.exit(EXIT_ERROR)
    with Client(sock, autostart=False) as c:
        h = c.health()
    if as_json:
        click.echo(json.dumps(h, indent=2))
        return
    m = h.get("model") or {}
    click.echo(f"{h['status']}: pid {h['pid']}, up {h['uptime_s']:.0f} s, model {m.get('name')} "
               f"({m.get('model_path', '?')}), {h['clients']} client(s), queue {h['queue_length']}, "
               f"watching {h['watched']} database(s); socket {sock}")


@cli.command()
@socket_option
@click.option("--timeout", type=float, default=15.0, show_default=True)
@handles_errors
def stop(socket_path, timeout) -> None:
    """Stop the daemon (it finishes cleanly and removes its socket)."""
    from . import daemon_control
    from .client import Client

    sock = daemon_control.socket_path(socket_path)
    if not daemon_control.ping(sock):
        click.echo(f"not running (no daemon on {sock})")
        return
    with Client(sock, autostart=False) as c:
        pid = c.shutdown()["pid"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (sock.exists() or _alive(pid)):
        time.sleep(0.05)
    if _alive(pid):
        click.echo(f"daemon pid {pid} is still exiting", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"stopped daemon pid {pid}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child (only when we started it in this process) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def main() -> None:
    cli(prog_name="nichelm")


if __name__ == "__main__":
    main()
