"""The augmentation generator on real Spider train databases and on small SQLite files built here."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from nichelm.assistant.prompt import normalise_answer
from nichelm.assistant.sqlite_io import connect_readonly, execute_readonly
from nichelm.training import augment, spider_data
from nichelm.training.augment_profile import plural, profile, singular, words
from nichelm.training.augment_templates import Cand
from nichelm.training.dataset import DataOptions, make_record
from nichelm.training.denylist import ECOMMERCE_DENYLIST, DenylistViolation
from nichelm.training.sql_style import restyle_for_database

try:
    SPIDER = spider_data.spider_dir()
except spider_data.SpiderDataMissing:  # pragma: no cover - depends on the machine
    SPIDER = None
needs_spider = pytest.mark.skipif(SPIDER is None, reason="Spider data not present (set NICHELM_SPIDER_DIR)")

TWO_DBS = ["apartment_rentals", "activity_1"]  # one with ISO dates, one with many foreign keys
ECOMMERCE_SET = Path(__file__).resolve().parents[1] / "eval" / "data" / "ecommerce_500.jsonl"


@pytest.fixture(scope="module")
def two_db_pairs():
    opts = augment.AugmentOptions(db_ids=TWO_DBS, target=200, seed=7)
    return augment.generate(opts)


@needs_spider
def test_deterministic_for_a_seed(two_db_pairs):
    pairs, report = two_db_pairs
    again, _ = augment.generate(augment.AugmentOptions(db_ids=TWO_DBS, target=200, seed=7))
    assert pairs == again
    other, _ = augment.generate(augment.AugmentOptions(db_ids=TWO_DBS, target=200, seed=8))
    assert other != pairs
    assert report.kept == len(pairs) >= 40
    assert set(report.per_db) == set(TWO_DBS)
    assert sum(report.per_db.values()) == len(pairs)


@needs_spider
def test_every_pair_executes_and_returns_rows(two_db_pairs):
    pairs, _ = two_db_pairs
    for p in pairs:
        res = execute_readonly(spider_data.database_path(p["db_id"]), p["query"], timeout_s=5)
        assert res.rows, p


@needs_spider
def test_covers_the_sqlite_idioms(two_db_pairs):
    pairs, report = two_db_pairs
    sql = " ".join(p["query"] for p in pairs)
    for idiom in ("strftime('%Y'", "OVER (PARTITION BY", "WITH ", "NOT EXISTS", "CASE WHEN", "LIKE ",
                  "HAVING COUNT(*)", "100.0 *", "ROUND(AVG(", "LAG("):
        assert idiom in sql, idiom
    assert len(report.per_template) >= 20
    # caps hold: no template more than per_db_template (doubled for dates) on one database
    for db in TWO_DBS:
        counts = {}
        for p in pairs:
            if p["db_id"] == db:
                counts[p["template"]] = counts.get(p["template"], 0) + 1
        assert max(counts.values()) <= 4


@needs_spider
def test_records_match_the_training_format(two_db_pairs):
    pairs, _ = two_db_pairs
    opts = augment.AugmentOptions(db_ids=TWO_DBS)
    recs = augment.to_records(pairs[:5], opts)
    for p, r in zip(pairs[:5], recs):
        ex = spider_data.SpiderExample(p["db_id"], p["question"], p["query"], spider_data.database_path(p["db_id"]))
        base = make_record(ex, DataOptions())
        assert r["messages"] == base["messages"]
        answer, _ = restyle_for_database(spider_data.database_path(p["db_id"]), p["query"])
        assert r["messages"][-1]["content"] == normalise_answer(answer)
        assert (r["source"], r["template"]) == ("augment", p["template"])


@needs_spider
def test_denylisted_and_dev_databases_are_refused():
    deny = min(ECOMMERCE_DENYLIST)
    with pytest.raises(DenylistViolation):
        augment.check_database(deny)
    with pytest.raises(DenylistViolation):
        augment.generate(augment.AugmentOptions(db_ids=[deny]))
    with pytest.raises(augment.NotATrainDatabase):
        augment.check_database("concert_singer")  # a dev database
    usable = augment.usable_databases()
    dev = {e.db_id for e in spider_data.load_split("dev")}
    assert usable and not set(usable) & (dev | ECOMMERCE_DENYLIST)


@needs_spider
@pytest.mark.skipif(not ECOMMERCE_SET.is_file(), reason="e-commerce evaluation set not present")
def test_no_pair_is_an_ecommerce_eval_question(two_db_pairs):
    """Guard only: the evaluation questions are read to check for overlap, never to generate anything."""
    norm = lambda s: " ".join(s.lower().split()).rstrip("?.")
    with ECOMMERCE_SET.open(encoding="utf-8") as f:
        held_out = {norm(json.loads(line)["question"]) for line in f if line.strip()}
    pairs, _ = two_db_pairs
    assert held_out and not {norm(p["question"]) for p in pairs} & held_out
    assert not any(p["db_id"].lower().startswith("ecommerce") for p in pairs)


# ---- small databases built here: profiling and validation rules

@pytest.fixture()
def tiny_db(tmp_path):
    path = tmp_path / "t.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE team (team_id INTEGER PRIMARY KEY, team_name TEXT, city TEXT);
        CREATE TABLE player (player_id INTEGER PRIMARY KEY, player_name TEXT, team_id INTEGER REFERENCES team(team_id),
                             position TEXT, salary REAL, joined_on TEXT, debut_year INTEGER);
    """)
    con.executemany("INSERT INTO team VALUES (?,?,?)", [(1, "Owls", "Oslo"), (2, "Bears", "Bergen"),
                                                        (3, "Cats", "Oslo"), (4, "Dogs", "Bergen")])
    rows = [(i, f"Player {i}", 1 + i % 3, ["guard", "forward", "center"][i % 3], 1000.0 + 100 * (i % 7),
             f"20{10 + i % 8}-0{1 + i % 9}-1{i % 10}", 1990 + i % 12) for i in range(1, 31)]
    con.executemany("INSERT INTO player VALUES (?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    return path


def test_profile_finds_roles(tiny_db):
    prof = profile("tiny", tiny_db)
    player = prof.tables["player"]
    assert player.label.name == "player_name"
    assert [c.name for c in player.dates()] == ["joined_on"]
    assert [c.name for c in player.years()] == ["debut_year"]
    assert [c.name for c in player.measures()] == ["salary"]
    assert "position" in [c.name for c in player.groups()]
    assert [(lk.child, lk.col, lk.parent, lk.ref) for lk in prof.links] == [("player", "team_id", "team", "team_id")]


def test_self_reference_is_inferred_only_when_values_match(tmp_path):
    path = tmp_path / "s.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, staff_name TEXT, manager_id INTEGER);
        CREATE TABLE unit (unit_id INTEGER PRIMARY KEY, unit_name TEXT, manager_id INTEGER);
        INSERT INTO staff VALUES (1, 'Ada', NULL), (2, 'Bo', 1), (3, 'Cy', 1), (4, 'Di', 2);
        INSERT INTO unit VALUES (1, 'North', 40), (2, 'South', 41), (3, 'East', 2);
    """)
    con.commit()
    con.close()
    links = [(lk.child, lk.col, lk.parent) for lk in profile("s", path).links]
    assert links == [("staff", "manager_id", "staff")]  # unit.manager_id points elsewhere: no self-link


def test_validate_rejects_bad_pairs(tiny_db):
    con = connect_readonly(tiny_db)
    try:
        ok = Cand("t", "q", "SELECT player_name FROM player WHERE salary > 1500")
        assert augment.validate(con, ok) is None
        assert augment.validate(con, Cand("t", "q", "SELECT player_name FROM player WHERE salary > 99999")) == "empty"
        assert augment.validate(con, Cand("t", "q", "SELECT nope FROM player")).startswith("error:")
        # salary repeats every 7 players: the 1st and 2nd by salary tie, so LIMIT 1 is ambiguous
        tie = Cand("t", "q", "SELECT player_name, salary FROM player ORDER BY salary DESC LIMIT 1", tie_k=1)
        assert augment.validate(con, tie) == "limit_tie"
        no_tie = Cand("t", "q", "SELECT team_name, team_id FROM team ORDER BY team_id DESC LIMIT 1", tie_k=1)
        assert augment.validate(con, no_tie) is None
        zero = Cand("t", "q", "SELECT COUNT(*) FROM player WHERE salary < 0", positive=True)
        assert augment.validate(con, zero) == "zero_count"
    finally:
        con.close()


def test_period_templates_write_sql_that_runs_and_means_what_it_says(tiny_db):
    import random

    from nichelm.training import augment_templates_periods as periods

    prof = profile("tiny", tiny_db)
    con = connect_readonly(tiny_db)
    try:
        made, busiest_widths = {}, set()
        for fn in periods.TEMPLATES:
            for seed in range(6):
                for c in fn(prof, random.Random(seed)):
                    why = augment.validate(con, c)
                    assert not (why or "").startswith("error"), (why, c)  # empty/zero is for the driver to drop
                    if c.template == "busiest_month_per_year":  # the count only when the question asks for it
                        width = len(con.execute(c.sql).fetchall()[0])
                        assert width == (3 if "how many" in c.question else 2), c
                        busiest_widths.add(width)
                    if why is None:
                        made.setdefault(c.template, c)
        assert set(made) == {f.__name__ for f in periods.TEMPLATES} and busiest_widths == {2, 3}
        # the LAG column is this period's value minus the previous one
        rows = con.execute(made["period_change"].sql).fetchall()
        assert rows[0][2] is None and all(b[2] == b[1] - a[1] for a, b in zip(rows, rows[1:]))
        rows = con.execute(made["period_running_total"].sql).fetchall()
        assert rows[-1][2] == sum(r[1] for r in rows)
        # the n-th player of a team by join date, counted by hand
        nth = made["nth_child_of_parent"]
        team, n = nth.sql.split("= '")[1].split("'")[0], int(nth.sql.rsplit("= ", 1)[1])
        dates = sorted(r[0] for r in con.execute("SELECT p.joined_on FROM player p JOIN team t ON p.team_id = "
                                                 "t.team_id WHERE t.team_name = ?", (team,)))
        assert con.execute(nth.sql).fetchall() == [(dates[n - 1],)]
    finally:
        con.close()


def test_words_and_inflection():
    assert words("customer_name") == "customer name"
    assert words("DateOfBirth") == "date of birth"
    assert words("LName") == "last name"
    assert plural("city") == "cities" and plural("match") == "matches" and plural("player") == "players"
    assert singular("people") == "person" and singular("cities") == "city" and singular("status") == "status"


@needs_spider
def test_cli_writes_records_and_report(tmp_path):
    out = tmp_path / "aug.jsonl"
    proc = subprocess.run([sys.executable, "-m", "nichelm.training.cli", "augment", "--out", str(out),
                           "--db", "activity_1", "--target", "30"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert 10 <= len(recs) <= 30 and all(r["db_id"] == "activity_1" for r in recs)
    assert [m["role"] for m in recs[0]["messages"]] == ["system", "user", "assistant"]
    report = json.loads(Path(str(out) + ".report.json").read_text())
    assert report["kept"] == len(recs)
    bad = subprocess.run([sys.executable, "-m", "nichelm.training.cli", "augment", "--out", str(tmp_path / "x"),
                          "--db", min(ECOMMERCE_DENYLIST)], capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "denylist_violation" in bad.stderr


@needs_spider
@pytest.mark.slow  # generates over every usable train database (~1.5 min on 2 cores)
def test_build_data_mixes_augmented_pairs_into_train_only():
    from nichelm.training.dataset import build

    train, val, report = build(DataOptions(augment=300, seed=3))
    aug = [r for r in train if r.get("source") == "augment"]
    assert report.augmented == 300 and 250 <= len(aug) <= 300  # the held-out databases' pairs are dropped
    assert not any(r.get("source") == "augment" for r in val)
    assert not {r["db_id"] for r in aug} & set(report.val_dbs)
    assert not {r["db_id"] for r in aug} & ECOMMERCE_DENYLIST
