"""Hierarchy pairs (training/hierarchy_data.py): small databases built in tmp_path, deterministic, every
pair runs and returns rows, every template contributes, no e-commerce words, the product's own prompt,
and build-data unchanged without --hierarchies."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from generated_pairs import (
    ECOMMERCE_SET,
    assert_build_adds_to_train_only,
    assert_no_ecommerce_vocabulary,
    assert_no_evaluation_question,
    assert_the_products_prompt,
)
from nichelm.assistant.sqlite_io import execute_readonly
from nichelm.training import hierarchy_data as H
from nichelm.training import spider_data
from nichelm.training.cli import parser
from nichelm.training.dataset import DataOptions

SEED, TARGET = 5, 200
OPTS = DataOptions(example_values=3)

try:
    spider_data.spider_dir()
    HAVE_SPIDER = True
except spider_data.SpiderDataMissing:  # pragma: no cover - depends on the machine
    HAVE_SPIDER = False


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    pairs, hs, report = H.generate(tmp_path_factory.mktemp("hier"), SEED, TARGET)
    return pairs, hs, report, H.to_records(pairs, hs, OPTS)


def _dump(path: str) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_deterministic_for_a_seed(generated, tmp_path):
    pairs, hs, report, records = generated
    again, hs2, _ = H.generate(tmp_path / "a", SEED, TARGET)
    assert again == pairs and H.to_records(again, hs2, OPTS) == records
    assert [_dump(h.path) for h in hs] == [_dump(h.path) for h in hs2]
    other, _, _ = H.generate(tmp_path / "b", SEED + 1, TARGET)
    assert other != pairs
    assert report.kept == len(pairs) == TARGET


def test_every_pair_runs_and_returns_rows(generated):
    pairs, hs, _, _ = generated
    paths = {h.db_id: h.path for h in hs}
    for p in pairs:
        rows = execute_readonly(paths[p["db_id"]], p["query"], timeout_s=5).rows
        assert rows and any(v is not None for v in rows[0]), p


def test_every_template_and_domain_yields_pairs(generated):
    pairs, hs, report, _ = generated
    assert set(report.per_template) == set(H.TEMPLATES)
    assert {h.domain for h in hs} == {"company", "library", "weather", "forum"}
    assert {p["db_id"] for p in pairs} == {h.db_id for h in hs}
    sql = " ".join(p["query"] for p in pairs)
    for idiom in (" AS parent ON child.", "RANK() OVER (PARTITION BY child.id", "strftime('%Y'", "NOT EXISTS",
                  "LEFT JOIN", "AS grandparent ON parent.", "AS manager ON employee.manager_id = manager.id"):
        assert idiom in sql, idiom


def test_databases_hold_a_self_referencing_hierarchy(generated):
    _, hs, _, _ = generated
    for h in hs:
        con = sqlite3.connect(h.path)
        fks = con.execute(f"PRAGMA foreign_key_list({h.table})").fetchall()
        assert [(r[2], r[3], r[4]) for r in fks] == [(h.table, h.parent, "id")]
        tops = con.execute(f"SELECT COUNT(*) FROM {h.table} WHERE {h.parent} IS NULL").fetchone()[0]
        depth = con.execute(f"WITH RECURSIVE d(id, n) AS (SELECT id, 1 FROM {h.table} WHERE {h.parent} IS NULL "
                            f"UNION ALL SELECT t.id, d.n + 1 FROM {h.table} AS t JOIN d ON t.{h.parent} = d.id) "
                            "SELECT MAX(n) FROM d").fetchone()[0]
        con.close()
        assert tops >= 3 and depth == h.depth in (2, 3)


def test_totals_mean_what_the_question_says(generated):
    """A per-parent count over inner joins adds up to every row of the counted table (rows hang only under
    leaves), and a question that says "top-level" tests the parent column for NULL."""
    pairs, hs, _, _ = generated
    paths = {h.db_id: h.path for h in hs}
    checked = 0
    for p in pairs:
        if p["template"] in ("rollup_count", "rollup_measure", "rollup_year") and "top-level" in p["question"]:
            assert "IS NULL" in p["query"], p
        if p["template"] == "rollup_count" and "LEFT JOIN" not in p["query"]:
            table = re.search(r"\bFROM (\w+)", p["query"]).group(1)
            rows = execute_readonly(paths[p["db_id"]], p["query"]).rows
            total = execute_readonly(paths[p["db_id"]], f"SELECT COUNT(*) FROM {table}").rows[0][0]
            assert sum(r[1] for r in rows) == total, p
            checked += 1
    assert checked >= 5


def test_no_ecommerce_vocabulary(generated):
    pairs, hs, _, _ = generated
    assert_no_ecommerce_vocabulary(pairs, [h.path for h in hs])


def test_records_use_the_products_prompt(generated):
    pairs, hs, _, records = generated
    assert_the_products_prompt(pairs, records, {h.db_id: h.path for h in hs}, OPTS, "hierarchy")
    assert all("-- e.g." in r["messages"][0]["content"] for r in records)  # example values, as the main set
    assert H.to_records(pairs[:3], hs, DataOptions(example_values=0))[0]["messages"][0] != records[0]["messages"][0]


@pytest.mark.skipif(not ECOMMERCE_SET.is_file(), reason="e-commerce evaluation set not present")
def test_no_pair_is_an_ecommerce_eval_question(generated):
    assert_no_evaluation_question(generated[0])


def test_build_data_option():
    assert parser().parse_args(["build-data", "--out", "x"]).hierarchies == 0
    a = parser().parse_args(["build-data", "--out", "x", "--hierarchies", "600", "--hierarchy-dir", "d"])
    assert (a.hierarchies, a.hierarchy_dir) == (600, "d")
    assert DataOptions().hierarchies == 0
    with pytest.raises(ValueError):
        DataOptions(hierarchies=-1)


@pytest.mark.skipif(not HAVE_SPIDER, reason="Spider data not present (set NICHELM_SPIDER_DIR)")
def test_build_data_adds_the_pairs_to_train_only(monkeypatch, tmp_path):
    """On the first 400 Spider train questions (fast): with --hierarchies the Spider records and the
    validation split are the same as without, and every hierarchy record is in train."""
    hier = assert_build_adds_to_train_only(monkeypatch, 400, "hierarchies", 30,
                                           lambda r: r.get("source") == "hierarchy", hierarchy_dir=str(tmp_path))
    assert {f"{r['db_id']}.sqlite" for r in hier} <= {p.name for p in tmp_path.iterdir()}  # kept for later


def test_rerender_rebuilds_hierarchy_prompts_from_their_directory(generated):
    from nichelm.training.rerender import HierarchyDirMissing, rerender

    _, hs, _, records = generated
    directory = str(Path(hs[0].path).parent)
    same, report = rerender(records, example_values=3, enum_values=OPTS.enum_values, hierarchy_dir=directory)
    assert same == records and report.changed == 0  # the settings they were built with: unchanged
    bare, report = rerender(records, example_values=0, enum_values=OPTS.enum_values, hierarchy_dir=directory)
    assert report.changed == len(records) and all("-- e.g." not in r["messages"][0]["content"] for r in bare)
    assert [r["messages"][1:] for r in bare] == [r["messages"][1:] for r in records]  # question and answer kept
    with pytest.raises(HierarchyDirMissing, match="--hierarchy-dir"):
        rerender(records[:1], example_values=3, enum_values=OPTS.enum_values)


def test_a_named_bottom_level_node_is_not_joined_to_its_parent(generated):
    """The rows of one named leaf come from the node itself: one join to the hierarchy table, filtered on the
    name of a node at the bottom level."""
    pairs, hs, _, _ = generated
    by_db = {h.db_id: h for h in hs}
    named = [p for p in pairs if p["template"] == "named_child_facts"]
    assert len(named) >= 5
    for p in named:
        h = by_db[p["db_id"]]
        assert p["query"].count(f"JOIN {h.table} ") == 1 and " AS parent" not in p["query"], p
        name = re.search(r"\.name = '([^']+)'", p["query"]).group(1)
        assert h.level_of[name.replace("''", "'")] == h.depth - 1, p


def _event_rows(h, query: str):
    """(event fact, entity fact, {entity id: [(date, row)]}) of the event table a query reads."""
    from nichelm.training.hierarchy_templates_events import events

    f, e = next((f, e) for f, e in events(h) if f" {f.table} " in query + " " or f"FROM {f.table}" in query)
    con = sqlite3.connect(h.path)
    con.row_factory = sqlite3.Row
    try:
        by_entity: dict[int, list] = {}
        for r in con.execute(f"SELECT * FROM {f.table}"):
            by_entity.setdefault(r[f.path[0][1]], []).append(r)
        labels = dict(con.execute(f"SELECT id, {e.label} FROM {e.table}").fetchall())
    finally:
        con.close()
    return f, e, by_entity, labels


def test_event_pairs_mean_what_the_question_says(generated):
    """Recomputed in Python from the rows: entities with rows in both years (or in one and not the other), and
    entities whose total passes the threshold the question names."""
    pairs, hs, _, _ = generated
    by_db = {h.db_id: h for h in hs}
    checked = {"in_both_years": 0, "total_over": 0}
    for p in pairs:
        if p["template"] not in checked:
            continue
        h, q = by_db[p["db_id"]], p["question"]
        f, _, by_entity, labels = _event_rows(h, p["query"])
        got = execute_readonly(h.path, p["query"]).rows
        if p["template"] == "in_both_years":
            y1, y2 = re.findall(r"\b(20\d\d)\b", q)
            years = {k: {r[f.date][:4] for r in rows} for k, rows in by_entity.items()}
            negated = "none in" in q or "no " in q
            want = [k for k, ys in years.items() if y1 in ys and (y2 not in ys if negated else y2 in ys)]
        else:
            x = float(re.search(r"(?:above|more than|passed|over) (-?[\d.]+)", q).group(1))
            since = re.search(r"from (20\d\d) on", q)
            m = next(m for m in f.measures if m.words in q)
            totals = {k: sum(r[m.col] for r in rows if not since or r[f.date] >= since.group(1))
                      for k, rows in by_entity.items()}
            want = [k for k, t in totals.items() if t > x and (not since or any(
                r[f.date] >= since.group(1) for r in by_entity[k]))]
        if got and len(got[0]) == 1 and isinstance(got[0][0], int) and p["query"].startswith(("SELECT COUNT", "WITH")):
            assert got[0][0] == len(want), p
        else:
            assert sorted(r[0] for r in got) == sorted(labels[k] for k in want), p
        checked[p["template"]] += 1
    assert min(checked.values()) >= 5, checked


def test_filtered_rollups_filter_rows_before_grouping(generated):
    """A per-parent count of the rows that pass a test adds up to every such row (rows hang only under leaves,
    and every leaf has a parent): the test is on the rows in WHERE, not on a total in HAVING."""
    pairs, hs, _, _ = generated
    paths = {h.db_id: h.path for h in hs}
    checked = 0
    for p in (p for p in pairs if p["template"] == "rollup_filtered"):
        assert "HAVING" not in p["query"], p
        table, col, cmp, x = re.search(r"WHERE (\w+)\.(\w+) ([<>]) (-?[\d.]+)", p["query"]).groups()
        rows = execute_readonly(paths[p["db_id"]], p["query"]).rows
        want = execute_readonly(paths[p["db_id"]], f"SELECT COUNT(*) FROM {table} WHERE {col} {cmp} {x}").rows[0][0]
        assert sum(r[1] for r in rows) == want, p
        assert x in p["question"] and ("above" in p["question"] or "over" in p["question"]
                                       or "more than" in p["question"]) == (cmp == ">"), p
        checked += 1
    assert checked >= 5


def _kind_of(h, table: str):
    """(the fact whose table is *table*, its kind column) in hierarchy *h*."""
    f = next(f for f in h.facts if f.table == table)
    return f, f.attribute.col


def test_kind_pairs_group_by_the_kind_column_not_the_entity(generated):
    """Rows per kind of their entity in a year, recounted in Python: grouped by the entity's kind column (a
    book's format), never by the entity's id, and the year taken from the rows' own date."""
    pairs, hs, _, _ = generated
    by_db = {h.db_id: h for h in hs}
    checked = 0
    for p in (p for p in pairs if p["template"] == "per_kind_in_year"):
        h, sql = by_db[p["db_id"]], p["query"]
        assert "GROUP BY" in sql and ".id" not in sql.split("GROUP BY")[1], p
        m = re.fullmatch(r"SELECT (\w+)\.(\w+), COUNT\(\*\) FROM (\w+) JOIN \w+ ON \3\.(\w+) = \1\.id "
                         r"WHERE strftime\('%Y', \3\.(\w+)\) = '(\d{4})' GROUP BY \1\.\2", sql)
        if not m:
            continue
        entity, kind, rows_table, fk, date_col, year = m.groups()
        assert _kind_of(h, entity)[1] == kind and year in p["question"], p
        con = sqlite3.connect(h.path)
        try:
            kinds = dict(con.execute(f"SELECT id, {kind} FROM {entity}").fetchall())
            want: dict[str, int] = {}
            for owner, when in con.execute(f"SELECT {fk}, {date_col} FROM {rows_table}"):
                if when.startswith(year):
                    want[kinds[owner]] = want.get(kinds[owner], 0) + 1
        finally:
            con.close()
        assert dict(execute_readonly(h.path, sql).rows) == want, p
        checked += 1
    assert checked >= 3, checked


def test_own_product_pairs_stay_on_the_entitys_own_rows(generated):
    """A total of two of the entity's columns multiplied never joins the dated rows under it (no loans for a
    replacement cost), and over a named node it is the sum of the products of that node's rows."""
    pairs, hs, _, _ = generated
    by_db = {h.db_id: h for h in hs}
    checked = 0
    for p in (p for p in pairs if p["template"] == "own_product"):
        h, sql = by_db[p["db_id"]], p["query"]
        f = next(f for f in h.facts if f.product and f"{f.table}.{f.product.a} * {f.table}.{f.product.b}" in sql)
        below = {g.table for g in h.facts if g is not f and len(g.path) > len(f.path)}
        assert not any(re.search(rf"\b{t}\b", sql) for t in below), p
        named = re.search(r"WHERE \w+\.name = '([^']+)'", sql)
        if named:
            assert named.group(1) in p["question"], p
            con = sqlite3.connect(h.path)
            try:
                node = con.execute(f"SELECT id FROM {h.table} WHERE name = ?", (named.group(1),)).fetchone()[0]
                want = sum(a * b for a, b, owner in con.execute(
                    f"SELECT {f.product.a}, {f.product.b}, {f.path[0][1]} FROM {f.table}") if owner == node)
            finally:
                con.close()
            assert execute_readonly(h.path, sql).rows[0][0] == pytest.approx(want), p
            checked += 1
    assert checked >= 2, checked


def _pairs_of(generated, templates):
    """(pair, its database, the rows its SQL returns) for every pair of *templates*, in the generated order."""
    pairs, hs, _, _ = generated
    by_db = {h.db_id: h for h in hs}
    for p in pairs:
        if p["template"] in templates:
            h = by_db[p["db_id"]]
            yield p, h, execute_readonly(h.path, p["query"]).rows


def test_order_pairs_mean_what_the_question_says(generated):
    """Recomputed in Python from the rows: the n-th dated row of a named entity (from the earliest, or from the
    latest when the question says so), running totals that add up month by month to the year's rows, and
    DISTINCT answers without repeats."""
    checked = {"nth_of_entity": 0, "running_total": 0, "distinct_reached": 0}
    for p, h, got in _pairs_of(generated, checked):
        q, sql = p["question"], p["query"]
        if p["template"] == "nth_of_entity":
            if "PARTITION BY" in sql:
                continue
            f, _, by_entity, labels = _event_rows(h, sql)
            label = re.search(r"= '((?:[^']|'')+)'\)", sql).group(1).replace("''", "'")
            n = int(re.search(r"= (\d)$", sql).group(1))
            latest = "DESC" in sql
            assert label in q and ("recent" in q or "latest" in q) == latest, p
            (key,) = [k for k, v in labels.items() if v == label]
            dates = sorted((r[f.date] for r in by_entity[key]), reverse=latest)
            assert got[0][0] == dates[n - 1], p
        elif p["template"] == "running_total":
            counts = [r[1] for r in got]
            assert [r[2] for r in got] == [sum(counts[:i + 1]) for i in range(len(counts))], p
            assert [r[0] for r in got] == sorted(r[0] for r in got), p
            year = re.search(r"= '(20\d\d)'", sql)
            if "COUNT(*)" in sql:
                table, col = re.search(r"strftime\('%[mY]', (\w+)\.(\w+)\)", sql).groups()
                where = f" WHERE strftime('%Y', {col}) = '{year.group(1)}'" if year else ""
                total = execute_readonly(h.path, f"SELECT COUNT(*) FROM {table}{where}").rows[0][0]
                assert counts and sum(counts) == total, p
        else:
            assert "DISTINCT" in sql, p
            assert len(got) == len(set(got)), p
        checked[p["template"]] += 1
    assert min(checked.values()) >= 3, checked


def test_group_pairs_mean_what_the_question_says(generated):
    """Recomputed in Python from the rows: the number of groups with at least N rows (after the test on the rows
    or the year of the group's own row); for either-route pairs, every number and year of the SQL is in the
    question, each year on its own side of the UNION or OR."""
    checked = {"count_big_groups": 0, "either_route": 0}
    for p, h, got in _pairs_of(generated, checked):
        q, sql = p["question"], p["query"]
        for year in re.findall(r"= '(20\d\d)'", sql):
            assert year in q, p
        if p["template"] == "count_big_groups":
            assert "DISTINCT" not in sql and sql.startswith("SELECT COUNT(*) FROM (SELECT "), p
            n = int(re.search(r">= (\d+)\)$", sql).group(1))
            assert re.search(rf"\b{n}\b", q), p
            table, fk = re.search(r"SELECT (\w+)\.(\w+) FROM", sql).groups()
            con = sqlite3.connect(h.path)
            con.row_factory = sqlite3.Row
            try:
                rows = con.execute(f"SELECT * FROM {table}").fetchall()
                test = re.search(rf"WHERE {table}\.(\w+) > ([\d.]+)", sql)
                if test:
                    assert test.group(2) in q, p
                    rows = [r for r in rows if r[test.group(1)] is not None and r[test.group(1)] > float(test.group(2))]
                year = re.search(r"strftime\('%Y', (\w+)\.(\w+)\) = '(\d{4})'", sql)
                if year:
                    owner, col, y = year.groups()
                    assert owner != table, p  # the year of the group's own row, not of the counted rows
                    dates = dict(con.execute(f"SELECT id, {col} FROM {owner}").fetchall())
                    rows = [r for r in rows if (dates[r[fk]] or "")[:4] == y]
            finally:
                con.close()
            sizes = Counter(r[fk] for r in rows)
            assert got[0][0] == sum(1 for c in sizes.values() if c >= n) > 0, p
        else:
            sides = sql.split(" UNION ")
            assert len(sides) == 2 or " OR " in sql, p
            for x in re.findall(r"> ([\d.]+)", sql):
                assert x in q, p
            assert len(got) == len(set(got)) or " OR " in sql, p
        checked[p["template"]] += 1
    assert min(checked.values()) >= 3, checked


def test_calendar_pairs_mean_what_the_question_says(generated):
    """A named month keeps its year ('%Y-%m' = 'YYYY-MM', the month and year both in the question) and its rows
    are the rows of that month, recounted in Python; a filled blank keeps every row of the LEFT JOIN's left side
    and shows the question's word (or 0) exactly where the right side has nothing."""
    checked = {"in_named_month": 0, "filled_blanks": 0}
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    for p, h, got in _pairs_of(generated, checked):
        q, sql = p["question"], p["query"]
        if p["template"] == "in_named_month":
            table, col, ym = re.search(r"strftime\('%Y-%m', (\w+)\.(\w+)\) = '(\d{4}-\d\d)'", sql).groups()
            assert "'%m'" not in sql and (ym in q or f"{months[int(ym[5:]) - 1]} {ym[:4]}" in q), p
            dates = [d for (d,) in execute_readonly(h.path, f"SELECT {col} FROM {table}").rows]
            in_month = sum(1 for d in dates if d and d[:7] == ym)
            if sql.startswith("SELECT COUNT(*)"):
                assert got[0][0] == in_month > 0, p
            elif "GROUP BY" not in sql:
                assert len(got) == in_month, p
        else:
            word = re.search(r"COALESCE\([^,]+, ('[^']*'|0)\)", sql).group(1)
            assert word.strip("'") in q, p
            left = re.search(r"FROM (\w+)(?: AS \w+)? LEFT JOIN", sql).group(1)
            assert len(got) == execute_readonly(h.path, f"SELECT COUNT(*) FROM {left}").rows[0][0], p
            plain = execute_readonly(h.path, sql.replace("COALESCE(", "(", 1).replace(f", {word})", ")", 1)).rows
            for a, b in zip(got, plain):
                assert a[1] == (b[1] if b[1] is not None else (0 if word == "0" else word.strip("'"))), p
        checked[p["template"]] += 1
    assert min(checked.values()) >= 3, checked
