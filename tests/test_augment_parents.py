"""The parent-judged-by-children templates (training/augment_templates_parents.py) and the distinct values
reached along a path (augment_templates_paths.path_distinct_group), on a small club database built here:
every kept pair's answer is recomputed in Python from the rows."""

from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter

import pytest
from nichelm.assistant.sqlite_io import connect_readonly, execute_readonly
from nichelm.training import augment
from nichelm.training import augment_templates_parents as parents
from nichelm.training import augment_templates_paths as paths
from nichelm.training.augment_profile import profile

CITIES = ["Leeds", "Oslo", "Porto"]
LEVELS = ["junior", "senior", "veteran"]
EVENTS = ["Spring Relay", "Night Run", "Hill Climb", "River Swim", "Autumn Trail", "Winter Dash"]


@pytest.fixture(scope="module")
def club(tmp_path_factory):
    path = tmp_path_factory.mktemp("club") / "club.sqlite"
    rng = random.Random(7)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE clubs (club_id INTEGER PRIMARY KEY, club_name TEXT NOT NULL, city TEXT, founded INTEGER);
        CREATE TABLE members (member_id INTEGER PRIMARY KEY, member_name TEXT NOT NULL,
                              club_id INTEGER REFERENCES clubs(club_id), level TEXT, fee INTEGER);
        CREATE TABLE events (event_id INTEGER PRIMARY KEY, event_name TEXT NOT NULL);
        CREATE TABLE entries (entry_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
                              event_id INTEGER REFERENCES events(event_id), points INTEGER);""")
    for i in range(1, 13):
        con.execute("INSERT INTO clubs VALUES (?, ?, ?, ?)", (i, f"Club {i:02d}", CITIES[i % 3], 1950 + 3 * i))
    for i in range(1, 41):  # clubs 11 and 12 get no members
        level = LEVELS[i % 3] if i % 9 else None
        con.execute("INSERT INTO members VALUES (?, ?, ?, ?, ?)",
                    (i, f"Member {i:02d}", 1 + i % 10, level, 20 + 7 * i))
    for i, name in enumerate(EVENTS, 1):
        con.execute("INSERT INTO events VALUES (?, ?)", (i, name))
    for i in range(1, 91):  # members 31-40 enter nothing
        con.execute("INSERT INTO entries VALUES (?, ?, ?, ?)", (i, rng.randint(1, 30), rng.randint(1, 6), i % 17))
    con.commit()
    con.close()
    return path


def _kept(club, fn, seeds=range(12)):
    prof = profile("club", club)
    con = connect_readonly(club)
    try:
        return [c for s in seeds for c in fn(prof, random.Random(s)) if augment.validate(con, c) is None]
    finally:
        con.close()


def _rows(path, sql):
    return execute_readonly(path, sql, timeout_s=5).rows


def test_new_templates_are_in_the_driver():
    names = set(augment.TEMPLATES)
    assert {f.__name__ for f in parents.TEMPLATES} <= names and "path_distinct_group" in names


def test_anti_join_where_keeps_parents_of_the_kind_without_children(club):
    kept = _kept(club, parents.anti_join_where)
    assert kept and {"NOT EXISTS" in c.sql for c in kept} == {True, False}  # both forms occur
    raw = sqlite3.connect(club)
    for c in kept:
        assert "EXCEPT" not in c.sql and " JOIN " not in c.sql, c.sql  # the filter and the test on the parent
        table = c.sql.split(" FROM ", 1)[1].split()[0]
        key, child = ("member_id", "entries") if table == "members" else ("club_id", "members")
        col, value = next((g, v) for g in ("city", "level") for v in CITIES + LEVELS
                          if f"{g} = '{v}'" in c.sql)
        label = "member_name" if table == "members" else "club_name"
        want = {r[0] for r in raw.execute(
            f"SELECT {label} FROM {table} WHERE {col} = ? AND {key} NOT IN (SELECT {key} FROM {child} "
            f"WHERE {key} IS NOT NULL)", (value,))}
        got = _rows(club, c.sql)
        assert {r[0] for r in got} == want and len(got[0]) == 2, (c.sql, got, want)
        assert value in c.question


def test_top_k_by_children_shows_the_total_of_the_k_largest(club):
    kept = _kept(club, parents.top_k_by_children)
    assert kept and any("SUM(" in c.sql for c in kept) and any("COUNT(*)" in c.sql for c in kept)
    raw = sqlite3.connect(club)
    for c in kept:
        k = c.tie_k
        assert c.sql.endswith(f"DESC LIMIT {k}") and f"top {k}" in c.question.lower() or f"{k} " in c.question
        got = _rows(club, c.sql)
        alias = c.sql.split(") AS ", 1)[1].split()[0]  # the total is named and ranked by that name
        assert f"ORDER BY {alias} DESC" in c.sql, c.sql
        label, parent, child, fk, key = re.match(
            r"SELECT T1\.(\w+), .* FROM (\w+) AS T1 JOIN (\w+) AS T2 ON T2\.(\w+) = T1\.(\w+)", c.sql).groups()
        measure = c.sql.split("SUM(T2.", 1)[1].split(")")[0] if "SUM(" in c.sql else None
        where = c.sql.split(" WHERE ", 1)[1].split(" GROUP BY")[0].replace("T2.", "") if " WHERE " in c.sql else "1"
        totals = Counter()
        for owner, amount in raw.execute(f"SELECT {fk}, {measure or 1} FROM {child} WHERE {where}"):
            if owner is not None:
                totals[owner] += amount
        names = dict(raw.execute(f"SELECT {key}, {label} FROM {parent}"))
        want = sorted(((names[o], t) for o, t in totals.items()), key=lambda x: -x[1])[:k]
        assert sorted(got, key=lambda r: -r[1]) == got and [r[1] for r in got] == [t for _, t in want], c.sql
        assert {r[0] for r in got} == {n for n, _ in want}, c.sql


def test_path_distinct_group_names_each_value_once_and_skips_blanks(club):
    kept = _kept(club, paths.path_distinct_group, seeds=range(30))
    assert any("level" in c.sql for c in kept), [c.sql for c in kept]
    for c in kept:
        got = [r[0] for r in _rows(club, c.sql)]
        assert c.sql.startswith("SELECT DISTINCT T1.") and len(got) == len(set(got)) and None not in got, c.sql
        if "T1.level" in c.sql:  # members.level has blanks: the SQL drops them and the question says so
            assert c.sql.endswith("AND T1.level IS NOT NULL"), c.sql
            assert any(w in c.question for w in ("known", "no level", "blank")), c.question
        full = c.sql.replace("SELECT DISTINCT", "SELECT").replace(" AND T1.level IS NOT NULL", "")
        assert set(got) == {v for (v,) in _rows(club, full) if v is not None}, c.sql


def test_distinct_linked_lists_each_value_of_parents_with_children_once(club):
    kept = _kept(club, parents.distinct_linked, seeds=range(30))
    assert any("T1.level" in c.sql for c in kept) and any(" WHERE T2." in c.sql for c in kept)
    for c in kept:
        got = [r[0] for r in _rows(club, c.sql)]
        assert c.sql.startswith("SELECT DISTINCT T1.") and len(got) == len(set(got)) and None not in got, c.sql
        if "T1.level" in c.sql:
            assert "T1.level IS NOT NULL" in c.sql and any(w in c.question for w in ("known", "blank", "no level"))
        full = c.sql.replace("SELECT DISTINCT", "SELECT").replace(" AND T1.level IS NOT NULL", "").replace(
            " WHERE T1.level IS NOT NULL", "")
        assert set(got) == {v for (v,) in _rows(club, full) if v is not None}, c.sql


def test_opt_in_templates_are_drawn_only_when_named(club, monkeypatch):
    monkeypatch.setattr(augment, "check_database", lambda db_id, spider_dir=None: club)
    names = {p["template"] for p in augment.pairs_for_database("club", augment.AugmentOptions())}
    assert names and not names & augment.OPT_IN  # the default data stays v14's
    opt = augment.AugmentOptions(opt_in=tuple(sorted(augment.OPT_IN)), per_db=200)
    assert {p["template"] for p in augment.pairs_for_database("club", opt)} >= augment.OPT_IN
    with pytest.raises(ValueError, match="unknown opt-in"):
        augment.AugmentOptions(opt_in=("top_k",))


def test_build_data_takes_augment_with_only_beside_augment():
    from nichelm.training.dataset import DataOptions

    assert DataOptions(augment=10, augment_with=("distinct_linked",)).augment_with == ("distinct_linked",)
    with pytest.raises(ValueError, match="needs augment"):
        DataOptions(augment_with=("distinct_linked",))
