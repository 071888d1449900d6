"""Ledger pairs (training/ledger_data.py): billed-work databases built in tmp_path, deterministic, every pair
runs and returns rows, every template and domain contributes, no e-commerce words, the product's own prompt,
each money question answered from the column it means (recomputed here in Python from the rows), and
build-data unchanged without --ledgers."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from generated_pairs import (
    ECOMMERCE_SET,
    assert_build_adds_to_train_only,
    assert_no_ecommerce_vocabulary,
    assert_no_evaluation_question,
    assert_the_products_prompt,
    db_rows,
)
from nichelm.assistant.sqlite_io import execute_readonly
from nichelm.training import ledger_data as L
from nichelm.training.cli import parser
from nichelm.training.dataset import DataOptions
from nichelm.training.rerender import rerender
from test_training_hierarchy import HAVE_SPIDER

SEED, TARGET = 11, 150
OPTS = DataOptions(example_values=3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    pairs, ledgers, report = L.generate(tmp_path_factory.mktemp("ledger"), SEED, TARGET)
    return pairs, ledgers, report, L.to_records(pairs, ledgers, OPTS, source="ledger")


def test_deterministic_for_a_seed(generated, tmp_path):
    pairs, ledgers, report, _ = generated
    again, ledgers2, _ = L.generate(tmp_path / "a", SEED, TARGET)
    assert again == pairs
    dump = lambda p: list(sqlite3.connect(p).iterdump())
    assert [dump(g.path) for g in ledgers] == [dump(g.path) for g in ledgers2]
    assert L.generate(tmp_path / "b", SEED + 1, TARGET)[0] != pairs
    assert report.kept == len(pairs) == TARGET


def test_every_pair_runs_and_every_template_and_domain_contributes(generated):
    pairs, ledgers, report, _ = generated
    paths = {g.db_id: g.path for g in ledgers}
    for p in pairs:
        rows = execute_readonly(paths[p["db_id"]], p["query"], timeout_s=5).rows
        assert rows and rows[0][0] is not None, p
    assert set(report.per_template) == {fn.__name__ for fn in L.TEMPLATES}
    assert {g.w.domain for g in ledgers} == {"workshop", "catering", "tool_hire"}
    assert {p["db_id"] for p in pairs} == {g.db_id for g in ledgers}


def test_no_ecommerce_vocabulary(generated):
    pairs, ledgers, _, _ = generated
    assert_no_ecommerce_vocabulary(pairs, [g.path for g in ledgers])


@pytest.mark.skipif(not ECOMMERCE_SET.is_file(), reason="e-commerce evaluation set not present")
def test_no_pair_is_an_ecommerce_eval_question(generated):
    assert_no_evaluation_question(generated[0])


def test_records_use_the_products_prompt(generated):
    pairs, ledgers, _, records = generated
    assert_the_products_prompt(pairs, records, {g.db_id: g.path for g in ledgers}, OPTS, "ledger")
    # rerender reads them from the directory build-data wrote them to, like the hierarchy records
    directory = str(Path(ledgers[0].path).parent)
    same, report = rerender(records[:20], example_values=3, enum_values=OPTS.enum_values, hierarchy_dir=directory)
    assert same == records[:20] and report.changed == 0


def _ledger(generated, db_id):
    return next(g for g in generated[1] if g.db_id == db_id)


def test_line_amounts_use_the_rate_charged_on_the_line_unless_the_list_rate_is_asked_for(generated):
    """A named group's total for a year is recomputed from the rows: quantity times the line's own rate, or the
    item's list rate when the question names it; the two differ (every line has a discount)."""
    checked = defaultdict(int)
    for p in (p for p in generated[0] if p["template"] == "line_amount" and "WHERE" in p["query"].split("GROUP")[0]):
        g = _ledger(generated, p["db_id"])
        w = g.w
        named = re.search(rf"{w.groups}\.name = '([^']+)'", p["query"])
        year = re.search(r"= '(\d{4})'", p["query"]).group(1)
        if not named:
            continue
        assert named.group(1) in p["question"] and year in p["question"], p
        rows = db_rows(g.path, f"SELECT l.{w.qty}, l.{w.charged}, i.{w.list_rate} FROM {w.lines} l "
                             f"JOIN {w.jobs} j ON l.{g.job_fk} = j.id JOIN {w.items} i ON l.{g.item_fk} = i.id "
                             f"JOIN {w.groups} gr ON i.{g.group_fk} = gr.id "
                             f"WHERE gr.name = ? AND substr(j.{w.date}, 1, 4) = ?", (named.group(1), year))
        at_list = w.list_words in p["question"]
        want = sum(q * (lr if at_list else ch) for q, ch, lr in rows)
        other = sum(q * (ch if at_list else lr) for q, ch, lr in rows)
        got = execute_readonly(g.path, p["query"]).rows[0][0]
        assert got == pytest.approx(want) and got != pytest.approx(other), p
        checked[at_list] += 1
    assert checked[True] >= 2 and checked[False] >= 5, dict(checked)


def test_billed_amounts_come_from_the_stored_total_and_stock_from_the_items_own_columns(generated):
    billed = stock = 0
    for p in generated[0]:
        g = _ledger(generated, p["db_id"])
        w = g.w
        if p["template"] in ("billed_in_month", "above_average_job"):
            assert f"{w.jobs}.{w.total}" in p["query"] and w.lines not in p["query"], p
            billed += 1
        if p["template"] == "on_hand_value":
            assert w.lines not in p["query"] and w.jobs not in p["query"], p
            name = re.search(r"name = '([^']+)'", p["query"]).group(1)
            want = sum(r * u for r, u in db_rows(g.path, f"SELECT i.{w.list_rate}, i.{w.units} FROM {w.items} i JOIN "
                                                       f"{w.groups} gr ON i.{g.group_fk} = gr.id WHERE gr.name = ?",
                                               (name,)))
            assert execute_readonly(g.path, p["query"]).rows[0][0] == pytest.approx(want), p
            stock += 1
    assert billed >= 10 and stock >= 5


def test_a_year_the_question_names_filters_every_part_of_the_query(generated):
    """Jobs counted by their lines and the UNION of two lists keep the year on every side, and the billed total
    of a job is not its lines summed (a fee is added to some)."""
    n = 0
    for p in generated[0]:
        if p["template"] in ("jobs_with_many_lines", "either_in_year"):
            year = re.search(r"\b(20\d\d)\b", p["question"]).group(1)
            for part in p["query"].split(" UNION "):
                assert f"= '{year}'" in part, p
            n += 1
    assert n >= 10
    g = generated[1][0]
    w = g.w
    assert db_rows(g.path, f"SELECT COUNT(*) FROM {w.jobs} j WHERE abs(j.{w.total} - (SELECT SUM(l.{w.qty} * "
                         f"l.{w.charged}) FROM {w.lines} l WHERE l.{g.job_fk} = j.id)) > 1")[0][0] > 0


def test_build_data_option():
    assert parser().parse_args(["build-data", "--out", "x"]).ledgers == 0
    assert parser().parse_args(["build-data", "--out", "x", "--ledgers", "400"]).ledgers == 400
    assert DataOptions().ledgers == 0
    with pytest.raises(ValueError):
        DataOptions(ledgers=-1)


@pytest.mark.skipif(not HAVE_SPIDER, reason="Spider data not present (set NICHELM_SPIDER_DIR)")
def test_build_data_adds_the_pairs_to_train_only(monkeypatch):
    """On the first 300 Spider train questions (fast): with --ledgers the Spider records and the validation
    split are the same as without, and every ledger record is in train."""
    assert_build_adds_to_train_only(monkeypatch, 300, "ledgers", 40, lambda r: r.get("source") == "ledger")
