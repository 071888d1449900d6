"""Run a backend over a dataset into a run directory, resumably and in parallel where the backend allows.

runs/NAME/
  run.json            what ran: backend spec, dataset, label, backend and hardware info
  predictions.jsonl   one scored record per question, appended (and flushed) as each arrives
  metrics.json        summary numbers and breakdowns (see summary.py), hardware
  report.md           the same, readable, with the misses
  exec_acc.png        execution accuracy by shape / difficulty / hardness

Rerunning into the same directory skips the ids already in predictions.jsonl (a torn last line from a
killed run is dropped), so an interrupted run resumes where it stopped.

Parallelism: "threads" backends (anthropic, daemon) share one instance across K threads; "processes"
backends (local GGUF) get K processes each loading its own model, each taking a contiguous slice of the
database-grouped question list (so the schema prefix stays cached); "serial" ones run in this process.
Every worker scores on its own fresh copies of the databases (metrics.Scorer).
"""

from __future__ import annotations

import gzip
import json
import multiprocessing as mp
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from nichelm.assistant.free_cores import core_count
from nichelm.assistant.prompt import ENUM_VALUES, EXAMPLE_VALUES, prompt_version
from tqdm import tqdm

from . import hardware
from .backends import Backend, BackendSpec, Prediction, concurrency, create
from .datasets import Dataset, Example, group_by_database
from .metrics import DEFAULT_TIMEOUT_S, Scorer
from .summary import summarise, was_repaired

PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"
RUN_INFO = "run.json"


class RunError(Exception):
    code = "run_error"


# --------------------------------------------------------------------------------- predictions file
def archived(path: Path) -> Path:
    """Where a finished run keeps *path* once archived: predictions.jsonl -> predictions.jsonl.gz
    (``gzip -n``; results/ keeps its runs that way, a tenth of the size)."""
    return path.with_name(path.name + ".gz")


def read_predictions(path: Path, repair: bool = False) -> list[dict]:
    """Records in *path*, or in its archived (gzipped) copy when only that exists. A last line cut off by a
    kill is ignored (and cut from the file if *repair*)."""
    if not path.is_file():
        return _parse_lines(gzip.decompress(archived(path).read_bytes()))[0] if archived(path).is_file() else []
    data = path.read_bytes()
    records, good_end = _parse_lines(data)
    if repair and good_end < len(data):
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
    return records


def rewrite_predictions(path: Path, records: list[dict]) -> None:
    """Replace the records of *path* atomically, in the form the run keeps them (archived or not)."""
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    if not path.is_file() and archived(path).is_file():
        path, data = archived(path), gzip.compress(data, mtime=0)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _parse_lines(data: bytes) -> tuple[list[dict], int]:
    """The JSON records of *data*, one a line, up to the first line that does not parse; and where they end."""
    records, good_end, pos = [], 0, 0
    for line in data.split(b"\n"):
        end = pos + len(line) + 1
        if line.strip():
            try:
                records.append(json.loads(line))
                good_end = min(end, len(data))
            except json.JSONDecodeError:
                break
        else:
            good_end = min(end, len(data))
        pos = end
    return records, good_end


def make_record(example: Example, pred: Prediction, score) -> dict:
    rec = {"id": example.id, "db_id": example.db_id, "question": example.question, "gold_sql": example.gold_sql,
           "meta": example.meta}
    rec.update(pred.to_json())
    rec.update(score.to_json())
    return rec


def predict_and_score(backend: Backend, scorer: Scorer, example: Example) -> dict:
    """One question: predict on the worker's copy of the database, then score. Never raises for a
    backend failure; the error is recorded instead."""
    copy = scorer.copy_of(example.db_path)
    start = time.monotonic()
    try:
        pred = backend.predict(replace(example, db_path=str(copy)))
    except Exception as exc:  # a crash on one question must not lose the run
        pred = Prediction("", None, time.monotonic() - start, error=f"backend_crash: {type(exc).__name__}: {exc}")
    return make_record(example, pred, scorer.score(example.db_path, example.gold_sql, pred.sql))


# ------------------------------------------------------------------------------------------ workers
def _process_worker(spec: BackendSpec, examples: list[Example], timeout_s: float, q) -> None:
    try:
        backend = create(spec)
    except BaseException as exc:
        q.put(("fatal", f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"))
        return
    try:
        q.put(("info", backend.info()))
        with Scorer(timeout_s) as scorer:
            for ex in examples:
                q.put(("record", predict_and_score(backend, scorer, ex)))
    finally:
        backend.close()
        q.put(("done", None))


def _slices(items: list, k: int) -> list[list]:
    n = len(items)
    return [items[i * n // k:(i + 1) * n // k] for i in range(k) if items[i * n // k:(i + 1) * n // k]]


def _run_processes(spec: BackendSpec, todo: list[Example], workers: int, timeout_s: float, emit, on_info):
    ctx = mp.get_context("spawn")  # llama.cpp state must not be forked
    q = ctx.Queue()
    opts = dict(spec.options)
    if spec.kind == "local" and not opts.get("n_threads"):
        # Split the cores between the models instead of letting each one take them all.
        opts["n_threads"] = max(1, core_count() // workers)
    spec = BackendSpec(spec.kind, opts)
    procs = [ctx.Process(target=_process_worker, args=(spec, part, timeout_s, q), daemon=True)
             for part in _slices(todo, workers)]
    for p in procs:
        p.start()
    finished, fatal = 0, []
    try:
        while finished < len(procs):
            try:
                kind, payload = q.get(timeout=1.0)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    # Drain whatever is left, then stop: a worker died without saying "done".
                    try:
                        while True:
                            kind, payload = q.get(timeout=0.5)
                            if kind == "record":
                                emit(payload)
                    except queue.Empty:
                        pass
                    break
                continue
            if kind == "record":
                emit(payload)
            elif kind == "info":
                on_info(payload)
            elif kind == "fatal":
                fatal.append(payload)
            elif kind == "done":
                finished += 1
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join(timeout=5)
    if fatal:
        raise RunError(f"backend could not start: {fatal[0]}")


def _run_threads(backend: Backend, todo: list[Example], workers: int, scorer: Scorer, emit):
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(predict_and_score, backend, scorer, ex) for ex in todo]
        for fut in as_completed(futures):
            emit(fut.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------------------------- run
def default_label(spec: BackendSpec) -> str:
    o = spec.options
    if spec.kind in ("local", "transformers"):
        label = Path(str(o.get("model", spec.kind))).name.removesuffix(".gguf")
        extra = o.get("lora") or o.get("adapter")
        if extra:
            label += "+" + Path(str(extra)).name.removesuffix(".gguf")
    elif spec.kind == "anthropic":
        label = str(o.get("model") or "claude-haiku-4-5-20251001")
    else:
        label = "daemon" + (f"({Path(str(o['model'])).name.removesuffix('.gguf')})" if o.get("model") else "")
    if (o.get("candidates") or 1) > 1:
        label += f" k={o['candidates']}"
    if o.get("repair"):
        label += " +repair" + (" (no hints)" if o.get("repair_hints") is False else "") + (
            " (no chain)" if o.get("repair_chain") is False else "")
    if o.get("retry_empty"):
        label += f" +retry-empty={o['retry_empty']}"
    if o.get("doubt_candidates"):
        label += f" +doubt-candidates={o['doubt_candidates']}"
    if "examples" in o and o["examples"] != EXAMPLE_VALUES:  # the prompt format's default goes unsaid
        label += f" examples={o['examples']}"
    if "enum_values" in o and o["enum_values"] != ENUM_VALUES:
        label += f" lists={o['enum_values']}"
    return label


def select(dataset: Dataset, limit: int | None = None, only_ids: list[str] | None = None) -> list[Example]:
    """The questions a run covers: the first *limit*, or those in *only_ids*, in dataset order."""
    examples = dataset.examples[:limit] if limit else list(dataset.examples)
    if only_ids is not None:
        wanted = set(only_ids)
        examples = [e for e in examples if e.id in wanted]
    return examples


def invalid_ids(run_dir: str | os.PathLike) -> list[str]:
    """Ids of the questions that the run in *run_dir* answered with SQL that did not run (or none);
    for a run with repair, its first answers (a repaired answer counts as a first answer that failed)."""
    return [r["id"] for r in read_predictions(Path(run_dir) / PREDICTIONS)
            if not r.get("valid_sql") or was_repaired(r)]


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def run(spec: BackendSpec, dataset: Dataset, out: str | os.PathLike, *, limit: int | None = None,
        workers: int = 1, label: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
        progress: bool = True, only_ids: list[str] | None = None) -> dict:
    """Run (or resume) *spec* on *dataset* into *out*; returns the metrics. *only_ids*: just these
    questions (run.json keeps the list, so the metrics say which subset they cover)."""
    out = Path(out)
    if archived(out / PREDICTIONS).is_file():
        raise RunError(f"{out} is an archived run ({archived(out / PREDICTIONS).name}): gunzip it to resume "
                       "the run, or give another --out")
    out.mkdir(parents=True, exist_ok=True)
    info_path = out / RUN_INFO
    info = _load_json(info_path)
    if info and (info.get("backend") != spec.to_json() or info.get("dataset") != dataset.name):
        raise RunError(f"{out} holds a run of {info.get('backend')} on {info.get('dataset')}; "
                       "give another --out (or delete that directory) to start a different run")
    info.update({"backend": spec.to_json(), "dataset": dataset.name, "label": label or info.get("label")
                 or default_label(spec), "limit": limit, "workers": workers, "timeout_s": timeout_s,
                 "skipped": dataset.skipped, "hardware": hardware.describe(), "only_ids": only_ids,
                 # which prompt format the numbers belong to
                 "prompt_version": prompt_version(spec.options.get("enum_values", ENUM_VALUES))})
    info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    examples = select(dataset, limit, only_ids)
    ids = {e.id for e in examples}
    pred_path = out / PREDICTIONS
    done = {r["id"] for r in read_predictions(pred_path, repair=True)} & ids
    todo = group_by_database([e for e in examples if e.id not in done])

    def on_info(backend_info: dict) -> None:
        info["backend_info"] = backend_info
        info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    if todo:
        mode = concurrency(spec.kind)
        with open(pred_path, "a", encoding="utf-8") as fh, \
                tqdm(total=len(examples), initial=len(done), disable=not progress, unit="q",
                     desc=info["label"], dynamic_ncols=True) as bar:
            tally = [0, 0]  # questions, execution matches (this session), for the progress bar

            def emit(rec: dict) -> None:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                fh.flush()  # saved as it comes: a kill loses at most the questions in flight
                tally[0] += 1
                tally[1] += bool(rec.get("exec_match"))
                bar.update(1)
                bar.set_postfix(exec_acc=f"{tally[1] / tally[0]:.3f}", refresh=False)

            if workers > 1 and mode == "processes":
                _run_processes(spec, todo, workers, timeout_s, emit, on_info)
                if tally[0] < len(todo):
                    raise RunError(f"{len(todo) - tally[0]} questions got no answer because a worker process "
                                   f"died; the {tally[0]} answers are saved in {pred_path}: rerun to resume")
            else:
                backend = create(spec)
                try:
                    on_info(backend.info())
                    with Scorer(timeout_s) as scorer:
                        if workers > 1 and mode == "threads":
                            _run_threads(backend, todo, workers, scorer, emit)
                        else:
                            for ex in todo:
                                emit(predict_and_score(backend, scorer, ex))
                finally:
                    backend.close()
    return finalise(out, ids=ids)


def finalise(out: str | os.PathLike, records: list[dict] | None = None, ids: set[str] | None = None) -> dict:
    """Write metrics.json, report.md and the plot for the run in *out*, from *records* (default: its
    predictions file, restricted to *ids* when given, e.g. the first --limit questions)."""
    from .report import write_plot, write_report

    out = Path(out)
    info = _load_json(out / RUN_INFO)
    if records is None:
        records = read_predictions(out / PREDICTIONS)
    if ids is not None:
        records = [r for r in records if r["id"] in ids]
    metrics = summarise(records)
    metrics.update({"label": info.get("label"), "dataset": info.get("dataset"), "backend": info.get("backend"),
                    "backend_info": info.get("backend_info"), "hardware": info.get("hardware"),
                    "skipped": info.get("skipped"), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    (out / METRICS).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_plot(metrics, out)
    write_report(metrics, records, out)
    return metrics
