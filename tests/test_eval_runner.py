"""The evaluation runner end to end with the real tiny model (SmolLM2-135M through llama.cpp):
run directory contents, resumption after a kill, worker processes, rescoring and the comparison table."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from nichelm.assistant.prompt import PROMPT_VERSION
from nichelm.eval.backends import BackendSpec
from nichelm.eval.cli import main
from nichelm.eval.datasets import load
from nichelm.eval.runner import PREDICTIONS, RunError, read_predictions, run

QUESTIONS = [
    ("How many pets are there?", "SELECT count(*) FROM pets", "easy"),
    ("List the names of all pets.", "SELECT name FROM pets", "easy"),
    ("What is the average age of the pets?", "SELECT avg(age) FROM pets", "easy"),
    ("Which pets are older than 3?", "SELECT name FROM pets WHERE age > 3", "medium"),
    ("Name the oldest pet.", "SELECT name FROM pets ORDER BY age DESC LIMIT 1", "medium"),
    ("How many owners are there?", "SELECT count(*) FROM owners", "easy"),
    ("List owner names in alphabetical order.", "SELECT name FROM owners ORDER BY name", "medium"),
    ("How many pets does each owner have?",
     "SELECT o.name, count(*) FROM owners o JOIN pets p ON p.owner_id = o.id GROUP BY o.name", "hard"),
]


@pytest.fixture
def eval_set(tmp_path) -> Path:
    """A real SQLite database and a JSONL question set in the e-commerce format pointing at it."""
    db = tmp_path / "pets.sqlite"
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, age INTEGER, owner_id INTEGER REFERENCES owners(id));
        INSERT INTO owners VALUES (1, 'Kim'), (2, 'Ali');
        INSERT INTO pets VALUES (1, 'Rex', 5, 1), (2, 'Tom', 2, 1), (3, 'Mia', 4, 2);
    """)
    con.commit()
    con.close()
    path = tmp_path / "pets.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"id": f"pets-{i}", "question": q, "sql": sql, "shape": f"shape{i % 3}",
                                 "difficulty": diff, "db": "pets", "db_path": "pets.sqlite"}) + "\n" for i, (q, sql, diff) in enumerate(QUESTIONS))
    return path


def local_spec(model: Path, **kw) -> BackendSpec:
    # Short answers keep the tiny model fast on a busy 2-core machine.
    return BackendSpec("local", {"model": str(model), "max_tokens": 24, "n_ctx": 1024, **kw})


def test_run_directory_and_metrics(tiny_model_path, eval_set, tmp_path):
    ds = load(str(eval_set))
    assert len(ds.examples) == len(QUESTIONS)
    out = tmp_path / "run"
    metrics = run(local_spec(tiny_model_path), ds, out, limit=4, progress=False)
    assert metrics["n"] == 4
    for name in ("predictions.jsonl", "metrics.json", "report.md", "exec_acc.png", "run.json"):
        assert (out / name).is_file(), name
    recs = read_predictions(out / PREDICTIONS)
    assert [r["id"] for r in recs] == [f"pets-{i}" for i in range(4)]
    for r in recs:
        assert r["latency_s"] > 0 and r["prompt_tokens"] > 0
        assert isinstance(r["exec_match"], bool) and isinstance(r["valid_sql"], bool)
    # The second question on the same database reuses the cached schema prefix.
    assert recs[1]["extra"]["cached_tokens"] > 0
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["exec_acc"] == sum(r["exec_match"] for r in recs) / 4
    assert set(saved["by_difficulty"]) == {"easy", "medium"}
    assert saved["by_database"]["pets"]["n"] == 4
    assert saved["backend_info"]["llama_cpp"]["gpu_layers"] == 0
    assert saved["hardware"]["cpu_count"] >= 1
    assert "| model | exec_acc |" in (out / "report.md").read_text()

    # Same directory, different backend options: refused instead of mixing two runs.
    with pytest.raises(RunError):
        run(local_spec(tiny_model_path, candidates=3), ds, out, limit=4, progress=False)


def test_resume_after_kill(tiny_model_path, eval_set, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "nichelm.eval.cli", "run", "--backend", "local", "--model", str(tiny_model_path),
           "--max-tokens", "24", "--dataset", str(eval_set), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    preds = out / PREDICTIONS
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if preds.is_file() and preds.read_bytes().count(b"\n") >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    before = preds.read_bytes()
    k = len(read_predictions(preds))
    assert 2 <= k < len(QUESTIONS)
    # A torn line from a kill mid-write must not break the resume.
    with open(preds, "ab") as fh:
        fh.write(b'{"id": "pets-7", "raw": "SEL')
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    after = preds.read_bytes()
    assert after.startswith(before.rstrip(b"\n") + b"\n")  # the first k records were kept, not redone
    ids = [r["id"] for r in read_predictions(preds)]
    assert sorted(ids) == sorted(f"pets-{i}" for i in range(len(QUESTIONS)))  # each exactly once
    assert json.loads((out / "metrics.json").read_text())["n"] == len(QUESTIONS)


def test_worker_processes(tiny_model_path, eval_set, tmp_path):
    out = tmp_path / "run"
    metrics = run(local_spec(tiny_model_path), load(str(eval_set)), out, limit=4, workers=2, progress=False)
    ids = [r["id"] for r in read_predictions(out / PREDICTIONS)]
    assert sorted(ids) == [f"pets-{i}" for i in range(4)] and metrics["n"] == 4
    info = json.loads((out / "run.json").read_text())
    assert info["backend_info"]["llama_cpp"]["threads"] == max(1, len(os.sched_getaffinity(0)) // 2)
    assert info["prompt_version"] == PROMPT_VERSION  # numbers stay tied to the prompt format they measure


def test_bad_model_is_a_clear_error(eval_set, tmp_path):
    r = CliRunner().invoke(main, ["run", "--model", str(tmp_path / "nope.gguf"), "--dataset", str(eval_set),
                                  "--out", str(tmp_path / "run"), "--quiet"])
    assert r.exit_code != 0 and "model_not_found" in r.output


def test_score_and_compare(eval_set, tmp_path):
    """`score` re-executes stored predictions; `compare` tabulates runs (no model needed)."""
    ds = load(str(eval_set))
    runs = []
    for name, preds in (("good", [e.gold_sql for e in ds.examples]),
                        ("half", [e.gold_sql if i % 2 else "SELECT 1" for i, e in enumerate(ds.examples)])):
        out = tmp_path / name
        out.mkdir()
        (out / "run.json").write_text(json.dumps({"dataset": str(eval_set), "label": name, "limit": None,
                                                  "backend": {"kind": "local", "options": {}}}))
        with open(out / PREDICTIONS, "w") as fh:
            for e, sql in zip(ds.examples, preds):
                # Stored scores are deliberately wrong: `score` must recompute them.
                fh.write(json.dumps({"id": e.id, "db_id": e.db_id, "question": e.question, "gold_sql": e.gold_sql,
                                     "meta": e.meta, "pred_sql": sql, "latency_s": 0.5, "exec_match": False,
                                     "exact": False, "valid_sql": False}) + "\n")
        r = CliRunner().invoke(main, ["score", str(out)])
        assert r.exit_code == 0, r.output
        runs.append(out)
    good = json.loads((runs[0] / "metrics.json").read_text())
    half = json.loads((runs[1] / "metrics.json").read_text())
    assert (good["exec_acc"], good["exact"], good["valid_sql"]) == (1.0, 1.0, 1.0)
    assert half["exec_acc"] == 0.5 and half["valid_sql"] == 1.0
    r = CliRunner().invoke(main, ["compare", *map(str, runs)])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0] == "| model | exec_acc | exact | valid_sql | mean_latency_s | mean_cost_usd | n |"
    assert lines[2].startswith("| good | 1.000 | 1.000 | 1.000 | 0.500 | 0.00000 | 8 |")
    assert lines[3].startswith("| half | 0.500 |")
    r = CliRunner().invoke(main, ["compare", "--latency", str(runs[0])])
    assert r.output.splitlines()[0].endswith("| n | p50_latency_s | p95_latency_s |")
    assert r.output.splitlines()[2].endswith("| 8 | 0.500 | 0.500 |")
    png = tmp_path / "side_by_side.png"
    r = CliRunner().invoke(main, ["compare", *map(str, runs), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_repair_counts_are_reported_and_paired():
    """A repair happens only after the first SQL failed to compile, so without repair those answers
    could not have matched: the paired figure subtracts the repaired-and-correct ones."""
    from nichelm.eval.summary import summarise

    recs = [{"exec_match": True, "exact": False, "valid_sql": True, "extra": {"repaired": True}},
            {"exec_match": False, "exact": False, "valid_sql": True, "extra": {"repaired": True}},
            {"exec_match": True, "exact": True, "valid_sql": True, "extra": {"repaired": False}},
            {"exec_match": False, "exact": False, "valid_sql": False, "extra": {}}]
    m = summarise(recs)
    assert (m["exec_acc"], m["repaired"], m["repaired_correct"], m["exec_acc_without_repair"]) == (0.5, 2, 1, 0.25)
    assert "repaired" not in summarise(recs[2:])


def test_worker_processes_that_cannot_load_the_model_fail_clearly(eval_set, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)  # a truncated model file: llama.cpp refuses it
    with pytest.raises(RunError, match="could not start"):
        run(local_spec(bad), load(str(eval_set)), tmp_path / "run", workers=2, progress=False)
    assert read_predictions(tmp_path / "run" / PREDICTIONS) == []


def test_enum_values_option_sets_the_prompt_and_its_version(tiny_model_path, eval_set, tmp_path):
    """--enum-values switches the category value lists (prompt v2) for one run, and run.json says so."""
    from nichelm.eval.backends.base import PromptMaker
    from nichelm.eval.cli import backend_spec

    con = sqlite3.connect(tmp_path / "pets.sqlite")
    con.executescript("ALTER TABLE pets ADD COLUMN kind TEXT; UPDATE pets SET kind = CASE WHEN age > 3 "
                      "THEN 'dog' ELSE 'cat' END; INSERT INTO pets VALUES (4, 'Bo', 1, 2, 'cat');")
    con.commit()
    con.close()
    ex = load(str(eval_set)).examples[0]
    listed = PromptMaker(3, enum_values=10).messages(ex)[0][0]["content"]
    plain = PromptMaker(3, enum_values=0).messages(ex)[0][0]["content"]
    assert "kind TEXT,  -- one of 'dog', 'cat'" in listed and "-- one of" not in plain

    spec = backend_spec("local", "m.gguf", None, 1, 3, None, None, None, 50, 6, None, None, enum_values=10)
    assert spec.options["enum_values"] == 10
    assert "enum_values" not in backend_spec("local", "m.gguf", None, 1, 3, None, None, None, 50, 6, None,
                                             None).options  # default runs keep their spec (and resume)
    ablation = backend_spec("local", "m.gguf", None, 1, 3, None, None, None, 50, 6, None, None,
                            without_checks=("question", "join"))
    assert ablation.options["without_checks"] == ["question", "join"]  # recorded in run.json, given to each worker
    assert "without_checks" not in spec.options
    result = CliRunner().invoke(main, ["run", "--backend", "daemon", "--enum-values", "10", "--dataset",
                                       str(eval_set), "--out", str(tmp_path / "d")])
    assert result.exit_code != 0 and "own setting" in result.output

    out = tmp_path / "listed"
    run(local_spec(tiny_model_path, enum_values=10), load(str(eval_set)), out, limit=1, progress=False)
    info = json.loads((out / "run.json").read_text())
    assert info["prompt_version"] == 2 and info["label"].endswith("lists=10")
    assert info["backend_info"]["enum_values"] == 10


def test_no_repair_hints_is_refused_where_it_cannot_apply(eval_set, tmp_path):
    """The daemon always sends repair hints, and the other backends do not repair: --no-repair-hints there
    is an error, not a flag silently ignored (which would mislabel the run)."""
    for backend in ("daemon", "anthropic"):
        for flag in ("--no-repair-hints", "--no-repair-chain"):
            result = CliRunner().invoke(main, ["run", "--backend", backend, "--repair", flag,
                                               "--dataset", str(eval_set), "--out", str(tmp_path / backend)])
            assert result.exit_code == 2 and "only the local backend" in result.output, result.output
            assert not (tmp_path / backend).exists()


def test_only_the_questions_an_earlier_run_could_not_run(tiny_model_path, eval_set, tmp_path):
    """--only-invalid-in: a run over the questions whose SQL did not run in another run (first answers:
    a repaired answer counts), recorded in run.json and kept by `score`."""
    from nichelm.eval.runner import invalid_ids

    earlier = tmp_path / "earlier"
    earlier.mkdir()
    rows = [{"id": "pets-1", "valid_sql": False}, {"id": "pets-2", "valid_sql": True},
            {"id": "pets-4", "valid_sql": True, "extra": {"repaired": True}}, {"id": "pets-5", "valid_sql": True}]
    (earlier / PREDICTIONS).write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert invalid_ids(earlier) == ["pets-1", "pets-4"]

    out = tmp_path / "subset"
    result = CliRunner().invoke(main, ["run", "--model", str(tiny_model_path), "--max-tokens", "24", "--repair",
                                       "--no-repair-hints", "--no-repair-chain", "--dataset", str(eval_set),
                                       "--only-invalid-in",
                                       str(earlier), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "run.json").read_text())
    assert info["only_ids"] == ["pets-1", "pets-4"] and info["label"].endswith("+repair (no hints) (no chain)")
    assert info["backend_info"]["repair_hints"] is False and info["backend_info"]["repair_chain"] is False
    assert sorted(r["id"] for r in read_predictions(out / PREDICTIONS)) == ["pets-1", "pets-4"]
    assert json.loads((out / "metrics.json").read_text())["n"] == 2
    rescored = CliRunner().invoke(main, ["score", str(out)])
    assert rescored.exit_code == 0 and json.loads((out / "metrics.json").read_text())["n"] == 2


def test_only_listed_ids_with_retry_empty(tiny_model_path, eval_set, tmp_path):
    """--only-ids FILE: just those questions; --retry-empty N is recorded and named in the label, and refused
    by backends that cannot run it."""
    ids = tmp_path / "ids.txt"
    ids.write_text("pets-3\n\npets-0\n")
    out = tmp_path / "listed"
    result = CliRunner().invoke(main, ["run", "--model", str(tiny_model_path), "--max-tokens", "24",
                                       "--retry-empty", "2", "--dataset", str(eval_set), "--only-ids", str(ids),
                                       "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "run.json").read_text())
    assert info["only_ids"] == ["pets-3", "pets-0"] and info["label"].endswith("+retry-empty=2")
    assert info["backend_info"]["retry_empty"] == 2
    assert sorted(r["id"] for r in read_predictions(out / PREDICTIONS)) == ["pets-0", "pets-3"]
    refused = CliRunner().invoke(main, ["run", "--backend", "daemon", "--retry-empty", "2", "--dataset",
                                        str(eval_set), "--out", str(tmp_path / "d")])
    assert refused.exit_code == 2 and "only the local backend" in refused.output


def test_empty_lists_the_answers_that_return_nothing(eval_set, tmp_path):
    """`empty`: answers whose rows are none or all NULL, run on their database; failing SQL is not empty."""
    ds = load(str(eval_set))
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"dataset": str(eval_set), "limit": 3}))
    preds = [("SELECT 1 WHERE 0", False), ("SELECT NULL, NULL", True), ("SELECT nope FROM nowhere", False)]
    (out / PREDICTIONS).write_text("".join(json.dumps({"id": e.id, "pred_sql": sql, "exec_match": ok}) + "\n"
                                           for e, (sql, ok) in zip(ds.examples, preds)))
    ids = tmp_path / "ids.txt"
    r = CliRunner().invoke(main, ["empty", str(out), "--ids-out", str(ids)])
    assert r.exit_code == 0, r.output
    assert "2 answers return nothing; 1 of them right" in r.output
    assert ids.read_text().split() == [ds.examples[0].id, ds.examples[1].id]
