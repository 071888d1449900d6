"""The daemon backend: the evaluation goes through a real `nichelm serve` subprocess over its socket."""

from __future__ import annotations

import json
import sqlite3

import pytest
from daemon_helpers import running_daemon
from nichelm.eval.backends import BackendSpec
from nichelm.eval.datasets import load
from nichelm.eval.runner import PREDICTIONS, read_predictions, run

pytestmark = pytest.mark.timeout(600)


def test_run_through_the_daemon(tiny_model_path, tmp_path):
    db = tmp_path / "pets.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);"
                      "INSERT INTO pets VALUES (1, 'Rex', 5), (2, 'Tom', 2);")
    con.commit()
    con.close()
    jsonl = tmp_path / "pets.jsonl"
    jsonl.write_text("".join(json.dumps({"id": f"q{i}", "question": q, "sql": "SELECT count(*) FROM pets",
                                         "db_path": "pets.sqlite"}) + "\n"
                             for i, q in enumerate(["How many pets are there?", "Count the pets."])))
    with running_daemon(tiny_model_path) as d:
        spec = BackendSpec("daemon", {"socket": str(d.sock), "autostart": False})
        metrics = run(spec, load(str(jsonl)), tmp_path / "run", workers=2, progress=False)
    recs = read_predictions(tmp_path / "run" / PREDICTIONS)
    assert metrics["n"] == 2 and sorted(r["id"] for r in recs) == ["q0", "q1"]
    for r in recs:
        assert r["error"] is None, r["error"]
        assert r["raw"] and r["prompt_tokens"] > 0 and r["latency_s"] > 0
        assert r["extra"]["queue_s"] is not None
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["backend_info"]["backend"] == "daemon" and "daemon" in info["backend_info"]
