"""The long-join-path augmentation templates (training/augment_templates_paths.py) on real Spider train
databases that have 3- and 4-table foreign-key chains, and on a small SQLite file built here."""

from __future__ import annotations

import random
import re
import sqlite3

import pytest
from nichelm.assistant.sqlite_io import connect_readonly, execute_readonly
from nichelm.training import augment, spider_data
from nichelm.training import augment_templates_paths as paths
from nichelm.training.augment_profile import profile
from nichelm.training.denylist import ECOMMERCE_DENYLIST

try:
    SPIDER = spider_data.spider_dir()
except spider_data.SpiderDataMissing:  # pragma: no cover - depends on the machine
    SPIDER = None
needs_spider = pytest.mark.skipif(SPIDER is None, reason="Spider data not present (set NICHELM_SPIDER_DIR)")

# employees -> departments -> locations -> countries (salaries, hire dates); song -> files -> artist -> genre;
# student <- takes -> section -> course; view_unit_status -> bookings (dates) -> apartments -> buildings.
DBS = {
    "chain_aggregate": ["hr_1", "music_1"],
    "path_distinct": ["college_2", "hr_1"],
    "path_distinct_group": ["college_1", "music_1"],
    "path_filter_date": ["hr_1", "apartment_rentals"],
}
NAMES = {f.__name__ for f in paths.TEMPLATES}
SEEDS = range(4)
_FROM = re.compile(r"\b(?:FROM|JOIN) (\"[^\"]+\"|\w+) AS (T\d)\b")


@pytest.fixture(scope="module")
def profiles():
    if SPIDER is None:
        pytest.skip("Spider data not present")
    dbs = sorted({d for ds in DBS.values() for d in ds})
    return {d: profile(d, spider_data.database_path(d)) for d in dbs}


def _tables(sql: str) -> dict[str, str]:
    """{alias: table} of a T1/T2/... join."""
    return {alias: table.strip('"') for table, alias in _FROM.findall(sql)}


def _cands(profiles, name: str):
    fn = getattr(paths, name)
    return [(db, c) for db in DBS[name] for seed in SEEDS for c in fn(profiles[db], random.Random(seed))]


def test_databases_are_usable_train_databases():
    deny = {d.lower() for d in ECOMMERCE_DENYLIST}
    assert not {d.lower() for ds in DBS.values() for d in ds} & deny
    assert NAMES <= set(augment.TEMPLATES)


@needs_spider
@pytest.mark.parametrize("name", sorted(DBS))
def test_pairs_run_read_only_and_walk_three_or_four_tables(profiles, name):
    made = _cands(profiles, name)
    assert {db for db, _ in made} == set(DBS[name])
    sizes = set()
    for db, c in made:
        path = spider_data.database_path(db)
        con = connect_readonly(path)
        try:
            assert augment.validate(con, c) is None, (db, c)
        finally:
            con.close()
        assert execute_readonly(path, c.sql, timeout_s=5).rows, (db, c)
        tabs = _tables(c.sql)
        assert sorted(tabs) == [f"T{i}" for i in range(1, len(tabs) + 1)], c.sql
        assert len(set(tabs.values())) == len(tabs) >= 3, c.sql  # no table twice: no cycles
        assert c.sql.count(" JOIN ") == len(tabs) - 1
        sizes.add(len(tabs))
    assert sizes == {3, 4}, (name, sizes)


@needs_spider
def test_chains_are_many_to_one_so_totals_are_not_inflated(profiles):
    for db in DBS["chain_aggregate"]:
        chains = paths._chains(profiles[db])
        assert any(len(r.tabs) == 4 for r in chains)
        con = connect_readonly(spider_data.database_path(db))
        try:
            for r in chains:
                (joined,) = con.execute(f"SELECT COUNT(*) {r.frm()}").fetchone()
                (base,) = con.execute(f'SELECT COUNT(*) FROM "{r.tabs[0].name}"').fetchone()
                assert joined <= base, (db, r.frm())
        finally:
            con.close()


@needs_spider
def test_chain_aggregate_filters_or_groups_on_the_far_label(profiles):
    for db, c in _cands(profiles, "chain_aggregate"):
        tabs = _tables(c.sql)
        far = f"T{len(tabs)}"
        assert f"WHERE {far}." in c.sql or f"GROUP BY {far}." in c.sql, c.sql
        assert re.search(r"\b(SUM|AVG)\(T1\.|COUNT\(\*\)", c.sql), c.sql  # the measure is on the first table


@needs_spider
def test_path_distinct_lists_the_first_table_filtered_by_the_last(profiles):
    for db, c in _cands(profiles, "path_distinct"):
        far = f"T{len(_tables(c.sql))}"
        assert c.sql.startswith("SELECT DISTINCT T1.") and f"WHERE {far}." in c.sql, c.sql
    for db in DBS["path_distinct"]:
        for r in paths._paths(profiles[db]):  # never up to a shared parent and back down
            ups = [r.up(i) for i in range(len(r.links))]
            assert ups == sorted(ups), [t.name for t in r.tabs]


@needs_spider
def test_year_condition_sits_on_the_table_that_holds_the_date(profiles):
    for db, c in _cands(profiles, "path_filter_date"):
        alias, col = re.search(r"strftime\('%Y', (T\d)\.(\"[^\"]+\"|\w+)\)", c.sql).groups()
        table = profiles[db].tables[_tables(c.sql)[alias]]
        assert alias != "T1" and table.col(col.strip('"')).kind == "date", c.sql
        assert re.search(r"in \d{4}\b", c.question), c.question


@needs_spider
def test_driver_keeps_path_pairs():
    opts = augment.AugmentOptions(db_ids=["hr_1", "music_1", "college_2"], target=300, seed=3,
                                  opt_in=tuple(NAMES & augment.OPT_IN))
    pairs, _ = augment.generate(opts)
    kept = [p for p in pairs if p["template"] in NAMES]
    assert {p["template"] for p in kept} == NAMES
    assert {p["db_id"] for p in kept} == set(opts.db_ids)
    for p in kept:
        assert len(_tables(p["query"])) >= 3


def test_non_key_references_and_shared_parents_are_not_followed(tmp_path):
    """A link to a column that is not a key would multiply rows; two children of one parent are siblings,
    not a path."""
    path = tmp_path / "c.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE region (region_id INTEGER PRIMARY KEY, region_name TEXT);
        CREATE TABLE city (city_id INTEGER PRIMARY KEY, city_name TEXT, region_id INTEGER REFERENCES region(region_id));
        CREATE TABLE shop (shop_id INTEGER PRIMARY KEY, shop_name TEXT, revenue REAL,
                           city_id INTEGER REFERENCES city(city_id));
        CREATE TABLE mayor (mayor_id INTEGER PRIMARY KEY, mayor_name TEXT, city_id INTEGER REFERENCES city(city_id));
        CREATE TABLE visit (visit_id INTEGER PRIMARY KEY, tag TEXT, shop_tag TEXT REFERENCES shop(shop_name));
    """)
    con.executemany("INSERT INTO region VALUES (?,?)", [(i, f"Region {i}") for i in range(1, 4)])
    con.executemany("INSERT INTO city VALUES (?,?,?)", [(i, f"City {i}", 1 + i % 3) for i in range(1, 7)])
    con.executemany("INSERT INTO shop VALUES (?,?,?,?)",
                    [(i, f"Shop {i % 4}", 10.0 * i, 1 + i % 6) for i in range(1, 13)])  # names repeat
    con.executemany("INSERT INTO mayor VALUES (?,?,?)", [(i, f"Mayor {i}", i) for i in range(1, 7)])
    con.executemany("INSERT INTO visit VALUES (?,?,?)", [(i, f"v{i}", f"Shop {i % 4}") for i in range(1, 9)])
    con.commit()
    con.close()
    prof = profile("c", path)
    chains = {tuple(t.name for t in r.tabs) for r in paths._chains(prof)}
    assert ("shop", "city", "region") in chains
    assert not any(c[0] == "visit" for c in chains)  # shop_name is not a key of shop
    routes = {tuple(t.name for t in r.tabs) for r in paths._paths(prof)}
    assert ("region", "city", "shop") in routes
    assert ("shop", "city", "mayor") not in routes  # sibling tables of one city: no path
    made = [c for seed in range(6) for c in paths.chain_aggregate(prof, random.Random(seed))]
    rcon = connect_readonly(path)
    try:
        good = [c for c in made if augment.validate(rcon, c) is None]
    finally:
        rcon.close()
    assert good and all("T3.region_name" in c.sql for c in good)
