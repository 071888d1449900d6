"""Row-set pairs (training/row_set_templates.py on the billed-work databases of training/ledger_domains.py, named
rowset_*): deterministic, every template, kind and SQL form contributes, no e-commerce words, the product's own
prompt, and each answer recomputed here in Python from the rows, with the values read from the question: the
parties with some jobs of one kind and none of another (never the parties with no job at all), the parties with jobs
of both values (never either), and in both cases another answer than the reading that drops a test."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
from generated_pairs import (
    assert_build_adds_to_train_only,
    assert_pairs_of_our_own,
    db_rows,
    generate_on_ledgers,
)
from nichelm.assistant.sqlite_io import execute_readonly
from nichelm.training import ledger_data as L
from nichelm.training import row_set_templates as R
from nichelm.training.cli import parser
from nichelm.training.dataset import DataOptions
from test_training_hierarchy import HAVE_SPIDER

SEED, TARGET = 11, 120
OPTS = DataOptions(example_values=3)
ROW_SETS = (R.TEMPLATES, "rowset", L.ROW_SET_PAIRS_PER_DB)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_on_ledgers(tmp_path_factory.mktemp("rowset"), SEED, TARGET, *ROW_SETS, OPTS)


def _facts(g) -> tuple[dict[int, str], dict[int, dict[str, set]]]:
    """(party names by id, per party the statuses, years and item groups of its jobs), from the rows."""
    w = g.w
    names = dict(db_rows(g.path, f"SELECT id, name FROM {w.parties}"))
    facts: dict[int, dict[str, set]] = defaultdict(lambda: {"status": set(), "year": set(), "group": set()})
    for pid, status, day in db_rows(g.path, f"SELECT {g.party_fk}, status, {w.date} FROM {w.jobs}"):
        facts[pid]["status"].add(status)
        facts[pid]["year"].add(day[:4])
    for pid, group in db_rows(g.path, f"SELECT j.{g.party_fk}, gr.name FROM {w.jobs} j JOIN {w.lines} l ON "
                                      f"l.{g.job_fk} = j.id JOIN {w.items} i ON l.{g.item_fk} = i.id JOIN {w.groups} gr "
                                      f"ON i.{g.group_fk} = gr.id"):
        facts[pid]["group"].add(group)
    return names, facts


def _named(g, question: str) -> tuple[str, list[str]]:
    """(kind, the values the question names, in its order): years, else item groups, else job statuses."""
    years = re.findall(r"\b20\d\d\b", question)
    if years:
        return "year", years
    groups = [n for (n,) in db_rows(g.path, f"SELECT name FROM {g.w.groups}")]
    for kind, words in (("group", groups), ("status", g.w.statuses)):
        found = sorted((m.start(), v) for v in words for m in re.finditer(rf"\b{re.escape(v)}\b", question))
        if found:
            return kind, [v for _, v in found]
    raise AssertionError(question)


def _of(generated, template):
    return [(generated[1][p["db_id"]], p) for p in generated[0] if p["template"] == template]


def _answer(g, p) -> list:
    return [r[0] for r in execute_readonly(g.path, p["query"], timeout_s=5).rows]


def test_deterministic_and_every_template_kind_and_form_contributes(generated, tmp_path):
    pairs, dbs, report, _ = generated
    again, _, _ = L.generate(tmp_path / "a", SEED, TARGET, *ROW_SETS)
    assert again == pairs and report.kept == len(pairs) == TARGET
    assert report.per_template == {"in_both": TARGET // 2, "some_but_none": TARGET // 2}
    assert {g.w.domain for g in dbs.values()} == {"workshop", "catering", "tool_hire"}
    assert all(db.startswith("rowset_") for db in dbs)
    kinds = Counter((p["template"], _named(dbs[p["db_id"]], p["question"])[0]) for p in pairs)
    assert len(kinds) == 6 and min(kinds.values()) >= 8, kinds
    forms = Counter((p["template"], next(f for f in ("INTERSECT", "EXCEPT", "HAVING", "EXISTS", "IN (SELECT")
                                         if f in p["query"])) for p in pairs)
    assert set(forms) == {("in_both", f) for f in ("INTERSECT", "HAVING", "EXISTS", "IN (SELECT")} | {
        ("some_but_none", f) for f in ("EXCEPT", "EXISTS", "IN (SELECT")}, forms
    assert min(forms.values()) >= 5, forms
    assert not any(re.search(r"IN \('[^)]*'\)", p["query"]) and "HAVING" not in p["query"] for p in pairs)


def test_no_ecommerce_word_nor_evaluation_question_and_the_products_prompt(generated):
    assert_pairs_of_our_own(generated, OPTS)


def test_some_but_none_keeps_both_tests(generated):
    """The parties with a job meeting the first test (any job, for a status) and none meeting the second; never
    the same as the parties without the second, which include those with no job at all."""
    pairs = _of(generated, "some_but_none")
    for g, p in pairs:
        names, facts = _facts(g)
        kind, named = _named(g, p["question"])
        has, lacks = (None, named[0]) if kind == "status" else named
        want = {names[pid] for pid, f in facts.items() if (has is None or has in f[kind]) and lacks not in f[kind]}
        loose = {names[pid] for pid in names if pid not in facts or lacks not in facts[pid][kind]}
        got = _answer(g, p)
        assert sorted(got) == sorted(want) and want and want != loose, p
    assert len(pairs) == TARGET // 2


def test_in_both_intersects_the_two_sets(generated):
    """The parties with jobs of both values (or how many there are); never the parties with either."""
    counted = 0
    for g, p in _of(generated, "in_both"):
        names, facts = _facts(g)
        kind, (a, b) = _named(g, p["question"])
        want = {names[pid] for pid, f in facts.items() if {a, b} <= f[kind]}
        either = {names[pid] for pid, f in facts.items() if {a, b} & f[kind]}
        assert want and want != either, p
        if p["question"].startswith("How many"):
            counted += 1
            assert _answer(g, p) == [len(want)], p
        else:
            got = _answer(g, p)
            assert sorted(got) == sorted(want), p
    assert counted >= 5


def test_build_data_option():
    assert parser().parse_args(["build-data", "--out", "x"]).row_sets == 0
    assert parser().parse_args(["build-data", "--out", "x", "--row-sets", "300"]).row_sets == 300
    with pytest.raises(ValueError):
        DataOptions(row_sets=-1)


@pytest.mark.skipif(not HAVE_SPIDER, reason="Spider data not present (set NICHELM_SPIDER_DIR)")
def test_build_data_adds_the_pairs_to_train_only(monkeypatch):
    """On the first 300 Spider train questions: with --row-sets the other records and the validation split are
    the same as without, and every row-set record is in train."""
    rows = assert_build_adds_to_train_only(monkeypatch, 300, "row_sets", 30,
                                           lambda r: r["db_id"].startswith("rowset_"), clauses=20)
    assert all(r["source"] == "ledger" for r in rows)
