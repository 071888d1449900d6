"""Evaluation sets load into one Example type; every gold query matches itself under the metric."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from nichelm.eval.cli import main
from nichelm.eval.datasets import DatasetError, group_by_database, load
from nichelm.eval.metrics import Scorer


def test_spider_dev_has_972_runnable_questions_with_hardness():
    ds = load("spider-dev")
    assert len(ds.examples) == 972
    assert ds.skipped == {"missing database wta_1": 62}
    assert all(e.db_id != "wta_1" for e in ds.examples)
    # Spider's own labels over all 1034 are 248/446/174/166; without wta_1's 62 questions:
    assert Counter(e.meta["hardness"] for e in ds.examples) == {"easy": 232, "medium": 416, "hard": 160, "extra": 164}
    assert ds.examples[0].id == "spider-dev-0000" and ds.examples[0].gold_sql == "SELECT count(*) FROM singer"


def test_ecommerce_set_and_its_gold_results():
    ds = load("ecommerce")
    assert len(ds.examples) == 500 and len({e.id for e in ds.examples}) == 500
    assert {"shape", "difficulty"} <= set(ds.examples[0].meta)
    with Scorer() as scorer:
        for e in ds.examples[:60]:
            s = scorer.score(e.db_path, e.gold_sql, e.gold_sql)
            assert s.exec_match and s.exact and s.valid_sql, e.id
            # Our top-level ORDER BY rule agrees with the set's own "orders" flag.
            assert s.order_matters == e.meta["orders"], e.id


def test_group_by_database_keeps_file_order_within_a_database():
    ex = load("spider-dev").examples
    mixed = [ex[0], ex[100], ex[1], ex[101], ex[2]]
    grouped = group_by_database(mixed)
    assert [e.id for e in grouped] == [ex[0].id, ex[1].id, ex[2].id, ex[100].id, ex[101].id]


def test_bad_dataset_names_and_rows(tmp_path):
    with pytest.raises(DatasetError):
        load("nope")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "question": "q", "sql": "SELECT 1", "db_path": "missing.sqlite"}\n')
    with pytest.raises(DatasetError, match="does not exist"):
        load(str(bad))
    bad.write_text("{not json\n")
    with pytest.raises(DatasetError, match="not valid JSON"):
        load(str(bad))


def test_check_data_runs_the_quality_check(tmp_path):
    ok = CliRunner().invoke(main, ["check-data"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip()  # the check's own report
    # A set with a question whose gold query fails must fail the check.
    rows = [json.loads(line) for line in load_lines()][:5]
    rows[0]["sql"] = "SELECT nope FROM customers"
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bad = CliRunner().invoke(main, ["check-data", "--data", str(broken)])
    assert bad.exit_code != 0


def load_lines():
    from nichelm.eval.datasets import ECOMMERCE_JSONL

    return ECOMMERCE_JSONL.read_text(encoding="utf-8").splitlines()
