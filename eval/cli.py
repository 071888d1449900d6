"""`nichelm-eval`: run a backend on an evaluation set, rescore, compare runs, check the data.

    nichelm-eval run --backend local --model qwen2.5-coder-1.5b-instruct-q4_k_m --dataset ecommerce --out runs/base-ecom
    nichelm-eval run --backend anthropic --dataset spider-dev --workers 4 --out runs/haiku-spider
    nichelm-eval score runs/base-ecom
    nichelm-eval compare runs/*
    nichelm-eval check-data
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nichelm.assistant.answer_checks import CHECKS
from nichelm.assistant.prompt import ENUM_VALUES, EXAMPLE_VALUES

from .backends import KINDS, BackendSpec
from .datasets import DATASETS, DatasetError, load

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _fail(exc: Exception) -> click.ClickException:
    code = getattr(exc, "code", type(exc).__name__)
    msg = getattr(exc, "message", None) or str(exc)
    return click.ClickException(f"[{code}] {msg}")


@click.group(context_settings=CONTEXT)
def main() -> None:
    """Evaluate NicheLM (and other backends) on the e-commerce set and Spider dev."""


def backend_spec(backend: str, model, lora, candidates, examples, n_gpu_layers, threads, base_url, rpm,
                 retries, socket, device, max_tokens=None, repair=False, enum_values=None,
                 repair_hints=True, retry_empty=0, without_checks=(), repair_chain=True,
                 doubt_candidates=0) -> BackendSpec:
    if backend == "local":
        if not model:
            raise click.UsageError("--model is required for the local backend (a GGUF path or a model name)")
        opts = {"model": model, "lora": lora, "candidates": candidates, "examples": examples,
                "n_gpu_layers": n_gpu_layers, "n_threads": threads, "max_tokens": max_tokens,
                "repair": repair or None, "repair_hints": None if repair_hints else False,
                "retry_empty": retry_empty or None, "without_checks": list(without_checks) or None,
                "repair_chain": None if repair_chain else False, "doubt_candidates": doubt_candidates or None}
    elif backend == "daemon":
        opts = {"socket": socket, "candidates": candidates, "examples": examples, "model": model, "lora": lora,
                "repair": repair}
    elif backend == "anthropic":
        opts = {"model": model, "base_url": base_url, "examples": examples, "rpm": rpm, "max_retries": retries}
    else:
        if not model:
            raise click.UsageError("--model is required for the transformers backend (checkpoint dir or .gguf)")
        opts = {"model": model, "adapter": lora, "examples": examples, "device": device, "max_new_tokens": max_tokens}
    if retry_empty and backend != "local":
        raise click.UsageError("--retry-empty: only the local backend runs it")
    if doubt_candidates and backend != "local":
        raise click.UsageError("--doubt-candidates: only the local backend runs it")
    if without_checks and backend != "local":
        raise click.UsageError("--without-check: only the local backend runs the checks in this process")
    if not repair_chain and backend != "local":
        raise click.UsageError("--no-repair-chain: only the local backend runs the repairs in this process")
    if not repair_hints and backend != "local":
        raise click.UsageError("--no-repair-hints: only the local backend can leave the hints out (the daemon "
                               "always sends them)")
    if enum_values is not None:
        if backend == "daemon":
            raise click.UsageError("--enum-values: the daemon builds its prompts with its own setting")
        opts["enum_values"] = enum_values
    return BackendSpec(backend, {k: v for k, v in opts.items() if v is not None})


@main.command(context_settings=CONTEXT)
@click.option("--backend", type=click.Choice(KINDS), default="local", show_default=True)
@click.option("--model", help="local: GGUF path or model name; anthropic: model id (default Claude Haiku 4.5); "
              "transformers: checkpoint dir or .gguf; daemon: model for an autostarted daemon.")
@click.option("--lora", help="LoRA adapter: a GGUF path or registry name (e.g. nichelm-v18-lora) for local/daemon, "
              "a PEFT directory for transformers; none by default, so --model alone is the base model.")
@click.option("--candidates", type=int, default=1, show_default=True,
              help="Sample N candidates and keep the answer most of them agree on when executed.")
@click.option("--examples", type=int, default=EXAMPLE_VALUES, show_default=True,
              help="Example values per text column in the schema prompt (0: none; the shipped adapter was "
                   f"trained with {EXAMPLE_VALUES}).")
@click.option("--enum-values", type=int, help="Category columns with at most N values list them all in the "
              f"schema prompt (prompt v2); 0 = prompt v1 (default: the product's setting, {ENUM_VALUES}).")
@click.option("--repair", is_flag=True, help="local/daemon: when SQLite cannot compile an answer, ask the model "
              "again with the error, up to 3 times (the daemon's default; off here so runs stay comparable).")
@click.option("--no-repair-hints", "repair_hints", is_flag=True, flag_value=False, default=True,
              help="local: with --repair, send SQLite's error alone, without what the schema says about it.")
@click.option("--no-repair-chain", "repair_chain", is_flag=True, flag_value=False, default=True,
              help="local: with --repair, repair only the first answer: a repair that trips another check is "
                   "not repaired in turn (the product before the eighteenth session; to measure what it adds).")
@click.option("--retry-empty", type=int, default=0, show_default=True,
              help="local: when an answer's result is empty, draw N sampled answers and take the non-empty "
                   "result that at least half of them agree on; when repair found nothing that compiles, the "
                   "result most of them share.")
@click.option("--doubt-candidates", type=int, default=0, show_default=True,
              help="local: only when the first answer is in doubt (a check's finding no known fix settles, an empty "
                   "result, no SQL), sample N candidates and keep the answer most agree on (the product's default "
                   "on a GPU: 16).")
@click.option("--dataset", required=True, help=f"{' | '.join(DATASETS)} | a .jsonl in the e-commerce format")
@click.option("--limit", type=int, help="Only the first N questions of the dataset (in file order).")
@click.option("--only-invalid-in", "invalid_in", type=click.Path(exists=True, file_okay=False),
              help="Only the questions that this earlier run answered with SQL that did not run (e.g. to "
                   "compare ways of repairing them; every other answer is the same with or without repair).")
@click.option("--only-ids", "ids_file", type=click.Path(exists=True, dir_okay=False),
              help="Only the questions whose ids this file lists (one a line).")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Parallel workers: threads for anthropic/daemon, processes (each with its own model) for local.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run directory (rerun it to resume).")
@click.option("--label", help="Name of the run in tables (default: from the model and options).")
@click.option("--n-gpu-layers", type=int, help="llama.cpp layers on the GPU (default: all when supported).")
@click.option("--threads", type=int, help="llama.cpp CPU threads per model.")
@click.option("--max-tokens", type=int, help="Longest answer to generate, in tokens (local/transformers).")
@click.option("--timeout", "timeout_s", type=float, default=30.0, show_default=True,
              help="Seconds each gold/predicted query may run when scoring.")
@click.option("--base-url", help="anthropic: API endpoint (default $ANTHROPIC_BASE_URL or Anthropic's).")
@click.option("--rpm", type=float, default=50.0, show_default=True, help="anthropic: requests per minute, at most.")
@click.option("--retries", type=int, default=6, show_default=True, help="anthropic: retries on 429/5xx/overloaded.")
@click.option("--socket", help="daemon: socket path (default: NICHELM_SOCKET or the user's daemon).")
@click.option("--device", help="transformers: torch device (default cuda when available).")
@click.option("--without-check", "without_checks", multiple=True, type=click.Choice(list(CHECKS)),
              help="local: leave out one of the product's answer checks (repeatable), to measure what it adds.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(backend, model, lora, candidates, examples, enum_values, repair, repair_hints, repair_chain, retry_empty,
        doubt_candidates, dataset, limit, invalid_in, ids_file, workers, out, label, n_gpu_layers, threads, timeout_s,
        base_url, rpm, retries, socket, device, max_tokens, without_checks, quiet) -> None:
    """Run BACKEND on a dataset into --out (resumable), then write metrics.json, report.md and a plot."""
    from .runner import invalid_ids
    from .runner import run as run_eval

    spec = backend_spec(backend, model, lora, candidates, examples, n_gpu_layers, threads, base_url, rpm,
                        retries, socket, device, max_tokens, repair, enum_values, repair_hints, retry_empty,
                        without_checks, repair_chain, doubt_candidates)
    try:
        ds = load(dataset)
        if ds.skipped:
            click.echo(f"{ds.name}: {len(ds.examples)} questions; skipped "
                       + ", ".join(f"{n} ({why})" for why, n in ds.skipped.items()), err=True)
        only = invalid_ids(invalid_in) if invalid_in else None
        if ids_file:
            listed = [line.strip() for line in Path(ids_file).read_text(encoding="utf-8").splitlines() if line.strip()]
            wanted = set(listed)
            only = listed if only is None else [i for i in only if i in wanted]
        metrics = run_eval(spec, ds, out, limit=limit, workers=workers, label=label, timeout_s=timeout_s,
                           progress=not quiet, only_ids=only)
    except KeyboardInterrupt:
        raise click.ClickException(f"interrupted; predictions so far are in {out}; rerun the same command to resume")
    except click.ClickException:
        raise
    except Exception as exc:
        if hasattr(exc, "code"):
            raise _fail(exc) from exc
        raise
    _print_summary(metrics, out)


def _print_summary(metrics: dict, out) -> None:
    from .report import COLUMNS, markdown_table, table_row

    click.echo(markdown_table(COLUMNS, [table_row(metrics)]))
    click.echo(f"latency p50 {metrics['p50_latency_s']:.3f} s, p95 {metrics['p95_latency_s']:.3f} s; "
               f"backend errors {metrics['backend_errors']}; run directory {out}")


def _run_examples(out: Path, advice: str) -> dict:
    """The questions the run in *out* covers, by id, from its dataset reloaded as run.json names it."""
    from .runner import RUN_INFO, select

    info = json.loads((out / RUN_INFO).read_text(encoding="utf-8")) if (out / RUN_INFO).is_file() else {}
    try:
        ds = load(info.get("dataset", ""))
    except (DatasetError, Exception) as exc:
        raise click.ClickException(f"cannot reload the dataset of this run ({exc}); {advice}") from exc
    return {e.id: e for e in select(ds, info.get("limit"), info.get("only_ids"))}


@main.command(context_settings=CONTEXT)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--no-exec", is_flag=True, help="Only re-aggregate the stored scores; do not re-execute SQL.")
@click.option("--timeout", "timeout_s", type=float, default=30.0, show_default=True)
def score(run_dir, no_exec, timeout_s) -> None:
    """Recompute metrics of RUN_DIR from its predictions.jsonl[.gz] (re-executing gold and predicted SQL)."""
    from .metrics import Scorer
    from .runner import PREDICTIONS, finalise, read_predictions, rewrite_predictions

    out = Path(run_dir)
    records = read_predictions(out / PREDICTIONS)
    if not records:
        raise click.ClickException(f"{out / PREDICTIONS}: no predictions to score")
    ids = None
    if not no_exec:
        by_id = _run_examples(out, "use --no-exec")
        ids = set(by_id)
        with Scorer(timeout_s) as scorer:
            for r in records:
                ex = by_id.get(r["id"])
                if ex is not None:
                    r.update(scorer.score(ex.db_path, ex.gold_sql, r.get("pred_sql")).to_json())
        rewrite_predictions(out / PREDICTIONS, records)
    metrics = finalise(out, records, ids)
    _print_summary(metrics, out)


@main.command(context_settings=CONTEXT)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--ids-out", type=click.Path(dir_okay=False), help="Write their ids here, one a line (for run --only-ids).")
def empty(run_dir, ids_out) -> None:
    """The questions whose answer in RUN_DIR returns nothing (no rows, or only NULLs), run read-only on its
    database, and how many of those answers were right (what retry_empty would look at)."""
    from nichelm.assistant.errors import NicheError
    from nichelm.assistant.service import is_nothing
    from nichelm.assistant.sqlite_io import execute_readonly

    from .runner import PREDICTIONS, read_predictions

    out = Path(run_dir)
    by_id = _run_examples(out, "empty needs the databases")
    found, right = [], 0
    for r in read_predictions(out / PREDICTIONS):
        ex = by_id.get(r["id"])
        if ex is None or not r.get("pred_sql"):
            continue
        try:
            rows = execute_readonly(ex.db_path, r["pred_sql"], timeout_s=10.0, max_rows=10_000).rows
        except NicheError:
            continue
        if is_nothing(rows):
            found.append(r["id"])
            right += bool(r.get("exec_match"))
    click.echo(f"{len(found)} answers return nothing; {right} of them right")
    if ids_out:
        Path(ids_out).write_text("".join(i + "\n" for i in found), encoding="utf-8")


@main.command(context_settings=CONTEXT)
@click.argument("run_dir", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--spider-train", is_flag=True, help="Instead of a run: the gold queries of Spider train whose "
              "database is present.")
@click.option("--ids-out", type=click.Path(dir_okay=False), help="Write the ids of the answers that trip a check.")
@click.option("--timing", is_flag=True, help="Also print each check's mean time per query.")
@click.option("--first-answers", is_flag=True,
              help="Check each question's first answer (before any repair) instead of its final one; --ids-out then "
                   "also lists the first answers SQLite cannot compile: every answer the repair acts on, so that "
                   "run --only-ids measures a change of the repair on them alone.")
def checks(run_dir, spider_train, ids_out, timing, first_answers) -> None:
    """How often each answer check of the product (assistant/answer_checks.py: CHECKS, in their order) trips on
    RUN_DIR's answers (with how many of those answers were right) and on its gold queries; or on Spider train's gold
    queries."""
    from .check_counts import count_trips
    from .runner import PREDICTIONS, read_predictions

    if spider_train == bool(run_dir):
        raise click.UsageError("give either RUN_DIR or --spider-train")
    if spider_train:
        from nichelm.training.spider_data import load_split

        gold = [(f"train-{i}", e.query, str(e.db_path), True, e.question) for i, e in enumerate(load_split("train"))
                if e.db_path is not None]  # None: the database is missing from this Spider copy
        trips = count_trips(gold)
        click.echo("\n".join(trips.lines("Spider train gold") + (trips.timing_lines() if timing else [])))
        return
    out = Path(run_dir)
    by_id = _run_examples(out, "checks needs the databases")
    recs = [r for r in read_predictions(out / PREDICTIONS) if r["id"] in by_id]
    sql_of = _first_sql if first_answers else (lambda r: r.get("pred_sql"))
    answers = count_trips((r["id"], sql_of(r), by_id[r["id"]].db_path, r.get("exec_match"), r["question"])
                          for r in recs)
    gold = count_trips((r["id"], by_id[r["id"]].gold_sql, by_id[r["id"]].db_path, True, r["question"]) for r in recs)
    click.echo("\n".join(answers.lines("answers") + gold.lines("gold") + (answers.timing_lines() if timing else [])))
    if ids_out:
        ids = set(answers.ids)
        if first_answers:  # the repair also acts on a first answer without SQL or that SQLite cannot compile
            from nichelm.assistant.sqlite_io import prepare_error

            ids |= {r["id"] for r in recs if not sql_of(r) or prepare_error(by_id[r["id"]].db_path, sql_of(r))}
        Path(ids_out).write_text("".join(r["id"] + "\n" for r in recs if r["id"] in ids), encoding="utf-8")


@main.command(context_settings=CONTEXT)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--kind", help="Only list the ids of this kind (as printed).")
@click.option("--timeout", "timeout_s", type=float, default=30.0, show_default=True)
def misses(run_dir, kind, timeout_s) -> None:
    """RUN_DIR's wrong answers sorted by what their result looks like beside the gold's (eval/miss_kinds.py):
    how many of each kind, with a few ids each; with --kind, every id of that kind."""
    from .metrics import execute
    from .miss_kinds import KINDS, miss_kind
    from .runner import PREDICTIONS, read_predictions

    if kind is not None and kind not in KINDS:
        raise click.UsageError(f"no such kind: {kind!r} (kinds: {', '.join(KINDS)})")
    out = Path(run_dir)
    by_id = _run_examples(out, "misses needs the databases")
    found: dict[str, list[str]] = {}
    for r in read_predictions(out / PREDICTIONS):
        ex = by_id.get(r["id"])
        if ex is None or r.get("exec_match"):
            continue
        gold = execute(ex.db_path, ex.gold_sql, timeout_s)
        pred = execute(ex.db_path, r["pred_sql"], timeout_s) if r.get("pred_sql") else None
        found.setdefault(miss_kind(gold.rows, pred and pred.rows), []).append(r["id"])
    if kind is not None:
        click.echo("\n".join(found.get(kind, [])))
        return
    click.echo(f"{sum(map(len, found.values()))} wrong answers of {len(by_id)}")
    for name in sorted(found, key=lambda k: (-len(found[k]), KINDS.index(k))):
        click.echo(f"{len(found[name]):5d}  {name}  (e.g. {', '.join(found[name][:3])})")


@main.command(context_settings=CONTEXT)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--candidates", "counts", default="1,3,5,8", show_default=True,
              help="How many of the kept candidates vote, comma-separated (each at most the run's --candidates).")
@click.option("--greedy-weight", "weights", default="1", show_default=True,
              help="What the greedy answer's vote counts, comma-separated.")
@click.option("--doubt", is_flag=True, help="Vote only where the greedy answer is in doubt (a check's finding no "
              "known fix settles, an empty result, no SQL), as the product's --doubt-candidates does; elsewhere it "
              "is kept (fixed where a known fix settles it).")
def votes(run_dir, counts, weights, doubt) -> None:
    """Replay other votes over the candidates RUN_DIR kept (a run with --candidates N), without the model
    (eval/vote_replay.py): for each number of candidates and greedy weight, how many answers would be right."""
    from .metrics import Scorer
    from .runner import PREDICTIONS, read_predictions
    from .vote_replay import replay

    try:
        ks = [int(k) for k in counts.split(",")]
        ws = [float(w) for w in weights.split(",")]
    except ValueError as exc:
        raise click.UsageError(f"--candidates takes whole numbers and --greedy-weight numbers: {exc}") from exc
    out = Path(run_dir)
    records = read_predictions(out / PREDICTIONS)
    if not any((r.get("extra") or {}).get("candidate_sqls") for r in records):
        raise click.ClickException(f"{out}: no kept candidates (a run with --candidates N keeps them)")
    by_id = _run_examples(out, "votes needs the databases")
    with Scorer() as scorer:
        def right(ex, sql) -> bool:
            return scorer.score(ex.db_path, ex.gold_sql, sql).exec_match

        for k in ks:
            for w in ws:
                click.echo(replay(records, by_id, k, w, right, doubt).line())


def _first_sql(rec: dict) -> str | None:
    """The answer before any repair or retry replaced it (the final one when nothing did)."""
    return (rec.get("extra") or {}).get("first_sql") or rec.get("pred_sql")


@main.command(context_settings=CONTEXT)
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--latency", is_flag=True, help="Also show p50 and p95 latency.")
@click.option("--plot", type=click.Path(dir_okay=False), help="Also draw the runs side by side into this PNG.")
def compare(run_dirs, latency, plot) -> None:
    """Print a markdown table (model, exec_acc, exact, valid_sql, mean_latency_s, mean_cost_usd, n) of runs."""
    from .report import compare as compare_runs
    from .report import write_compare_plot

    click.echo(compare_runs(list(run_dirs), latency=latency), nl=False)
    if plot:
        written = write_compare_plot(list(run_dirs), plot)
        click.echo(f"plot: {written}" if written else "no runs to plot", err=True)


@main.command(context_settings=CONTEXT)
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
@click.option("--by", type=click.Choice(["shape", "difficulty", "hardness", "db_id"]),
              help="Also where the moves are, per group of questions.")
@click.option("--first-answers", is_flag=True,
              help="Count a repaired answer as its failed first answer (a run with repair, without it).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (with the gained and lost ids).")
def paired(run_a, run_b, by, first_answers, as_json) -> None:
    """RUN_B against RUN_A question by question: gained, lost, same SQL, and a sign test."""
    from .paired import format_paired, pair, pair_by
    from .runner import PREDICTIONS, RUN_INFO, read_predictions

    a, b = (read_predictions(Path(d) / PREDICTIONS) for d in (run_a, run_b))
    if not a or not b:
        raise click.ClickException(f"{run_a if not a else run_b}: no predictions")
    result = pair(a, b, first_answers)
    groups = pair_by(a, b, by, first_answers) if by else None
    if as_json:
        out = {**result.to_json(), "gained_ids": result.gained, "lost_ids": result.lost}
        if groups:
            out["groups"] = {g: q.to_json() for g, q in groups.items()}
        click.echo(json.dumps(out, indent=2))
        return

    def label(d):
        info = Path(d) / RUN_INFO
        return f"{d} ({json.loads(info.read_text()).get('label')})" if info.is_file() else str(d)

    click.echo(format_paired(result, label(run_a), label(run_b), groups), nl=False)


@main.command("check-data", context_settings={**CONTEXT, "ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def check_data(args) -> None:
    """Run the e-commerce set's quality check (nichelm.eval.ecommerce.quality); extra ARGS pass through."""
    try:
        from nichelm.eval.ecommerce import quality
    except ImportError as exc:
        raise click.ClickException(f"the e-commerce quality check is not available: {exc}") from exc
    entry = quality.main
    if isinstance(entry, click.Command):
        entry.main(args=list(args), prog_name="nichelm-eval check-data")
        return
    rc = entry(list(args))
    sys.exit(int(rc or 0))


if __name__ == "__main__":
    main()
