"""The 500 e-commerce evaluation rows: the shape registry, the committed file, and the quality
check (which must pass on the real set and fail on planted bad rows)."""

from __future__ import annotations

import doctest
import json
from collections import Counter

import pytest
from nichelm.eval.ecommerce import build_set, checks, generate, params, quality, shapes
from nichelm.eval.ecommerce.reference import REFERENCE_DB


@pytest.fixture(scope="module")
def rows():
    return build_set.load_rows()


@pytest.fixture(scope="module")
def report(rows):
    return quality.check_rows(rows, REFERENCE_DB)


def test_registry_covers_the_required_sql():
    assert len(shapes.SHAPES) >= 30
    assert all(len(s.questions) >= 3 and len(set(s.questions)) == len(s.questions) for s in shapes.SHAPES)
    assert {s.difficulty for s in shapes.SHAPES} == set(shapes.DIFFICULTIES)
    text = " ".join(s.sql.upper() for s in shapes.SHAPES)
    for feature in ("GROUP BY", "HAVING", "ORDER BY", "LIMIT", "NOT EXISTS", "STRFTIME", "CASE WHEN", "LIKE",
                    "IS NULL", "COALESCE", "DISTINCT", "UNION", "INTERSECT", "EXCEPT", "WITH ", "OVER (",
                    "LAG(", "RANK()", "ROW_NUMBER()", "LEFT JOIN", "PARENT_ID = D.ID"):
        assert feature in text, f"no shape uses {feature}"
    # correlated subquery: the inner query refers to the outer alias
    assert any("p2.category_id = p.category_id" in s.sql for s in shapes.SHAPES)


def test_committed_rows_equal_a_fresh_build(rows):
    fresh = build_set.build_rows(REFERENCE_DB, seed=generate.DEFAULT_SEED)
    assert build_set.DATASET_PATH.read_text(encoding="utf-8") == build_set.dumps_rows(fresh)
    assert fresh == rows


def test_rows_are_spread_evenly_and_well_formed(rows):
    assert len(rows) == 500
    per_shape = Counter(r["shape"] for r in rows)
    assert set(per_shape) == {s.name for s in shapes.SHAPES}
    assert max(per_shape.values()) - min(per_shape.values()) <= 1
    assert len({r["id"] for r in rows}) == 500
    assert all(r["db"] == "ecommerce" for r in rows)
    assert sum(r["orders"] for r in rows) >= 30
    assert any(r["expect_empty"] for r in rows)


def test_quality_check_passes_on_the_real_set(report):
    assert report.failures == []
    assert report.n_rows == 500
    assert sum(report.difficulties.values()) == 500


def _good(rows, shape):
    return dict(next(r for r in rows if r["shape"] == shape))


def _failures(bad_rows):
    return quality.check_rows(bad_rows, REFERENCE_DB).failures


def test_quality_check_fails_on_a_limit_that_cuts_a_tie(rows):
    row = _good(rows, "most_expensive_products")
    # Several products are out of stock, so "the product with the least stock" has no single answer.
    row.update(question="Which product has the least stock?", sql="SELECT name FROM products ORDER BY stock LIMIT 1")
    fails = _failures([row])
    assert any("LIMIT boundary falls on a tie" in f for f in fails), fails


def test_quality_check_fails_on_a_tie_inside_an_ordered_answer(rows):
    row = _good(rows, "most_expensive_products")
    row.update(question="List out-of-stock products by stock level.",
               sql="SELECT name FROM products WHERE stock < 3 ORDER BY stock")
    assert any("ordered answer has a tie" in f for f in _failures([row]))


def test_quality_check_fails_on_a_duplicate_question(rows):
    a, b = dict(rows[0]), dict(rows[1])
    b["question"] = "  " + a["question"].upper()
    fails = _failures([a, b])
    assert fails == [f"{b['id']}: duplicate question (same as {a['id']})"]


def test_quality_check_fails_on_sql_in_a_question(rows):
    for text in ("SELECT name FROM customers", "List every customer_id with orders",
                 "How many orders per status? group by status", "count(*) of reviews"):
        row = _good(rows, "customers_in_country")
        row["question"] = text
        assert _failures([row]), text


def test_quality_check_fails_on_a_failing_or_writing_query(rows):
    broken = _good(rows, "customers_in_country")
    broken["sql"] = "SELECT COUNT(*) FROM shoppers"
    writing = _good(rows, "orders_in_month")
    writing["sql"] = "DELETE FROM orders"
    fails = _failures([broken, writing])
    assert any(f.startswith(broken["id"]) and "gold SQL fails" in f for f in fails)
    assert any(f.startswith(writing["id"]) and "not a read-only statement" in f for f in fails)


def test_quality_check_fails_on_wrong_flags(rows):
    empty_flag = _good(rows, "customers_in_country")
    empty_flag["expect_empty"] = True
    no_rows = _good(rows, "product_name_contains")
    no_rows["sql"] = "SELECT name, price FROM products WHERE name LIKE '%Zeppelin%'"
    order_flag = _good(rows, "most_expensive_products")
    order_flag["orders"] = False
    fails = _failures([empty_flag, no_rows, order_flag])
    assert any("expected no rows" in f for f in fails)
    assert any("returns no rows" in f for f in fails)
    assert any("top-level ORDER BY" in f for f in fails)


@pytest.fixture
def few_rows(tmp_path, rows):
    """A small valid data file, so CLI tests don't re-check all 500 rows each time."""
    path = tmp_path / "few.jsonl"
    path.write_text(build_set.dumps_rows(rows[:5]), encoding="utf-8")
    return path


def test_main_exit_status_and_denylisted_training_data(tmp_path, rows, few_rows, capsys):
    base = ["--db", str(REFERENCE_DB), "--data", str(few_rows)]
    assert quality.main(base) == 0
    assert "OK: every check passed" in capsys.readouterr().out
    clean = tmp_path / "train.jsonl"
    clean.write_text(json.dumps({"db_id": "concert_singer", "question": "How many singers?"}) + "\n")
    assert quality.main(base + ["--training", str(clean)]) == 0
    dirty = tmp_path / "train2.jsonl"
    dirty.write_text(json.dumps({"db_id": "concert_singer", "question": "x"}) + "\n"
                     + json.dumps({"db_id": "department_store", "question": "y"}) + "\n")
    leaked = tmp_path / "train3.json"
    leaked.write_text(json.dumps([{"db_id": "concert_singer", "question": rows[2]["question"]}]))
    capsys.readouterr()
    assert quality.main(base + ["--training", str(dirty), "--training", str(leaked)]) == 1
    out = capsys.readouterr().out
    assert "department_store" in out and "held-out e-commerce question" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**rows[0], "sql": "SELECT nope FROM customers"}) + "\n")
    assert quality.main(["--db", str(REFERENCE_DB), "--data", str(bad)]) == 1
    assert quality.main(["--db", str(REFERENCE_DB), "--data", str(tmp_path / "missing.jsonl")]) == 2


def test_quality_runs_as_a_module_on_the_demo_database(tmp_path, few_rows):
    import os
    import subprocess
    import sys

    env = {**os.environ, "NICHELM_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "nichelm.eval.ecommerce.quality", "--data", str(few_rows)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 rows" in done.stdout and "RuntimeWarning" not in done.stderr
    assert (tmp_path / "home" / "demo" / "ecommerce.sqlite").exists()


@pytest.mark.parametrize("module", [checks, shapes, params, generate])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
