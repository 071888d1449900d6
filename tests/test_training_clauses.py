"""Clause pairs (training/clause_templates.py on the billed-work databases of training/ledger_domains.py, named
clause_*): deterministic, every pair runs, every template contributes, no e-commerce words, the product's own
prompt, and each answer recomputed here in Python from the rows: two choices counted with the year applying to
both, each city once and none missing, parties without a matching job, a stand-in for every missing city, the
top N by a sum. build-data unchanged without --clauses."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from generated_pairs import (
    assert_build_adds_to_train_only,
    assert_pairs_of_our_own,
    db_rows,
    generate_on_ledgers,
)
from nichelm.assistant.sqlite_io import execute_readonly
from nichelm.training import clause_templates as C
from nichelm.training import ledger_data as L
from nichelm.training.cli import parser
from nichelm.training.dataset import DataOptions
from nichelm.training.rerender import rerender
from test_training_hierarchy import HAVE_SPIDER

SEED, TARGET = 5, 150
OPTS = DataOptions(example_values=3)
CLAUSES = (C.TEMPLATES, "clause", L.CLAUSE_PAIRS_PER_DB)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_on_ledgers(tmp_path_factory.mktemp("clause"), SEED, TARGET, *CLAUSES, OPTS)


def _answer(g, p) -> list[tuple]:
    return execute_readonly(g.path, p["query"], timeout_s=5).rows


def _of(generated, template):
    return [(generated[1][p["db_id"]], p) for p in generated[0] if p["template"] == template]


def test_deterministic_and_every_template_contributes(generated, tmp_path):
    pairs, dbs, report, _ = generated
    again, _, _ = L.generate(tmp_path / "a", SEED, TARGET, *CLAUSES)
    assert again == pairs and report.kept == len(pairs) == TARGET
    assert set(report.per_template) == {fn.__name__ for fn in C.TEMPLATES}
    assert min(report.per_template.values()) >= TARGET // len(C.TEMPLATES) - 5
    assert {g.w.domain for g in dbs.values()} == {"workshop", "catering", "tool_hire"}
    assert all(db.startswith("clause_") for db in dbs)
    for p in pairs:
        assert _answer(dbs[p["db_id"]], p), p


def test_no_ecommerce_word_nor_evaluation_question_and_the_products_prompt(generated):
    assert_pairs_of_our_own(generated, OPTS)
    _, dbs, _, records = generated
    directory = str(Path(next(iter(dbs.values())).path).parent)
    same, report = rerender(records[:20], example_values=3, enum_values=OPTS.enum_values, hierarchy_dir=directory)
    assert same == records[:20] and report.changed == 0


def test_two_choices_hold_together_with_the_year(generated):
    """The year applies to both choices: the answer is recomputed in Python, and differs from what the
    unparenthesised reading (`a OR b AND year`) gives at least once."""
    differs = 0
    pairs = _of(generated, "two_choices_and_a_year")
    for g, p in pairs:
        w = g.w
        year = re.search(r"\b(20\d\d)\b", p["question"]).group(1)
        assert f"= '{year}'" in p["query"] and (" IN (" in p["query"] or "(" + w.jobs in p["query"]
                                                 or "(" + w.lines in p["query"]), p
        if p["query"].startswith("SELECT COUNT"):
            a, b = w.statuses[1], w.statuses[2]
            jobs = db_rows(g.path, f"SELECT status, substr({w.date}, 1, 4) FROM {w.jobs}")
            want = sum(1 for s, y in jobs if s in (a, b) and y == year)
            loose = sum(1 for s, y in jobs if s == a or (s == b and y == year))
            assert _answer(g, p) == [(want,)], p
        else:
            lines = db_rows(g.path, f"SELECT i.name, l.{w.qty}, substr(j.{w.date}, 1, 4) FROM {w.lines} l JOIN {w.items} i "
                                  f"ON l.{g.item_fk} = i.id JOIN {w.jobs} j ON l.{g.job_fk} = j.id")
            want = {n for n, q, y in lines if q in (1, 2) and y == year}
            loose = {n for n, q, y in lines if q == 1 or (q == 2 and y == year)}
            got = [r[0] for r in _answer(g, p)]
            assert sorted(got) == sorted(want), p
        differs += want != loose
    assert len(pairs) >= 20 and differs >= 5


def test_each_known_city_once_and_none_missing(generated):
    for g, p in _of(generated, "cities_reached"):
        w = g.w
        name = re.search(rf"{w.groups}\.name = '([^']+)'", p["query"]).group(1)
        assert name in p["question"], p
        want = {c for (c,) in db_rows(g.path, f"SELECT pa.city FROM {w.parties} pa JOIN {w.jobs} j ON j.{g.party_fk} = pa.id "
                                            f"JOIN {w.lines} l ON l.{g.job_fk} = j.id JOIN {w.items} i ON l.{g.item_fk} = i.id "
                                            f"JOIN {w.groups} gr ON i.{g.group_fk} = gr.id WHERE gr.name = ?", (name,))}
        got = [r[0] for r in _answer(g, p)]
        assert len(got) == len(set(got)) and set(got) == want - {None}, p


def test_never_had_lists_exactly_the_parties_without_a_matching_job(generated):
    statuses = Counter()
    for g, p in _of(generated, "never_had"):
        w = g.w
        city = re.search(r"city = '([^']+)'", p["query"]).group(1)
        status = next((s for s in w.statuses if f"status = '{s}'" in p["query"]), None)
        jobs = db_rows(g.path, f"SELECT {g.party_fk}, status FROM {w.jobs}")
        busy = {pid for pid, s in jobs if status is None or s == status}
        want = {n for pid, n, c in db_rows(g.path, f"SELECT id, name, city FROM {w.parties}") if c == city and pid not in busy}
        assert city in p["question"] and sorted(r[0] for r in _answer(g, p)) == sorted(want), p
        statuses[status is None] += 1
    assert statuses[True] >= 3 and statuses[False] >= 10


def test_a_missing_city_gets_the_stand_in_word_on_every_job_of_the_month(generated):
    for g, p in _of(generated, "city_or_unknown"):
        w = g.w
        ym = re.search(r"= '(\d{4}-\d\d)'", p["query"]).group(1)
        word = re.search(r"'([^']+)'\)", p["query"]).group(1)
        assert word in p["question"], p
        want = {(j, c if c is not None else word) for j, c in db_rows(
            g.path, f"SELECT j.id, pa.city FROM {w.jobs} j JOIN {w.parties} pa ON j.{g.party_fk} = pa.id "
                    f"WHERE substr(j.{w.date}, 1, 7) = ?", (ym,))}
        got = _answer(g, p)
        assert set(got) == want and len(got) == len(want) and any(c == word for _, c in got), p


def test_top_by_quantity_is_the_largest_sums(generated):
    for g, p in _of(generated, "top_by_quantity"):
        w = g.w
        city = re.search(r"city = '([^']+)'", p["query"]).group(1)
        n = int(p["query"].rsplit("LIMIT ", 1)[1])
        sums = Counter()
        for name, q in db_rows(g.path, f"SELECT i.id || ':' || i.name, l.{w.qty} FROM {w.lines} l JOIN {w.items} i ON "
                                     f"l.{g.item_fk} = i.id JOIN {w.jobs} j ON l.{g.job_fk} = j.id JOIN {w.parties} pa ON "
                                     f"j.{g.party_fk} = pa.id WHERE pa.city = ?", (city,)):
            sums[name] += q
        top = sorted(sums.items(), key=lambda kv: -kv[1])
        assert top[n - 1][1] != top[n][1] if len(top) > n else True
        want = [(k.split(":", 1)[1], v) for k, v in top[:n]]
        got = _answer(g, p)
        assert sorted(got) == sorted(want) and [v for _, v in got] == [v for _, v in want], p  # ties inside the top: any order


def test_build_data_option():
    assert parser().parse_args(["build-data", "--out", "x"]).clauses == 0
    assert parser().parse_args(["build-data", "--out", "x", "--clauses", "400"]).clauses == 400
    with pytest.raises(ValueError):
        DataOptions(clauses=-1)


@pytest.mark.skipif(not HAVE_SPIDER, reason="Spider data not present (set NICHELM_SPIDER_DIR)")
def test_build_data_adds_the_pairs_to_train_only(monkeypatch):
    """On the first 300 Spider train questions: with --clauses the other records and the validation split are
    the same as without, and every clause record is in train."""
    clause = assert_build_adds_to_train_only(monkeypatch, 300, "clauses", 30,
                                             lambda r: r["db_id"].startswith("clause_"), ledgers=20)
    assert all(r["source"] == "ledger" for r in clause)
