"""The training answers' SQL style: aliases dropped only where that is safe, strings single-quoted, and
every rewrite kept only when the real database returns the same rows for it."""

from __future__ import annotations

import sqlite3

import pytest
from nichelm.assistant.sqlite_io import connect_readonly
from nichelm.training import spider_data
from nichelm.training.sql_style import drop_aliases, restyle, restyle_checked, restyle_for_database

try:
    spider_data.spider_dir()
    HAVE_SPIDER = True
except spider_data.SpiderDataMissing:  # pragma: no cover
    HAVE_SPIDER = False


@pytest.mark.parametrize("sql, want", [
    ("SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.id = T2.singer_id WHERE T2.year = 2014",
     "SELECT singer.name FROM singer JOIN concert ON singer.id = concert.singer_id WHERE concert.year = 2014"),
    ("SELECT t1.a FROM x AS t1", "SELECT x.a FROM x"),
    # a self-join needs its aliases
    ("SELECT T1.a FROM x AS T1 JOIN x AS T2 ON T1.p = T2.id", None),
    # the same table again in a subquery: T1 must keep telling the two apart
    ("SELECT T1.a FROM x AS T1 WHERE T1.b > (SELECT avg(b) FROM x)", None),
    # an alias that stands for a subquery, not a table
    ("SELECT T1.n FROM (SELECT count(*) AS n FROM x) AS T1", None),
    # each side of a set operation is its own scope
    ("SELECT name FROM artist EXCEPT SELECT T2.name FROM exhibition AS T1 JOIN artist AS T2 ON T1.aid = T2.aid",
     "SELECT name FROM artist EXCEPT SELECT artist.name FROM exhibition JOIN artist ON exhibition.aid = artist.aid"),
    # nothing inside a string literal is touched
    ("SELECT T1.a FROM x AS T1 WHERE T1.b = 'T1.b AS T2'", "SELECT x.a FROM x WHERE x.b = 'T1.b AS T2'"),
])
def test_drop_aliases(sql, want):
    assert drop_aliases(sql) == (want or sql)


def test_double_quoted_values_become_strings_but_names_stay():
    names = {"name", "singer", "country"}
    assert restyle('SELECT "name" FROM singer WHERE country = "France"', names) == \
        "SELECT \"name\" FROM singer WHERE country = 'France'"
    assert restyle('SELECT a FROM t WHERE b = "O\'Brien"', set()) == "SELECT a FROM t WHERE b = 'O''Brien'"


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "s.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, country TEXT);
        CREATE TABLE concert (id INTEGER PRIMARY KEY, singer_id INTEGER REFERENCES singer(id), year INTEGER);
        INSERT INTO singer VALUES (1, 'Ann', 'France'), (2, 'Bo', 'Peru'), (3, 'Cy', 'France');
        INSERT INTO concert VALUES (1, 1, 2014), (2, 1, 2015), (3, 3, 2014);
    """)
    con.commit()
    con.close()
    return path


def test_checked_rewrite_runs_and_returns_the_same_rows(db):
    con = connect_readonly(db)
    sql = ('SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.id = T2.singer_id '
           'WHERE T2.year = 2014 AND T1.country = "France" ORDER BY T1.name')
    new, outcome = restyle_checked(con, sql)
    assert outcome == "rewritten"
    assert new == ("SELECT singer.name FROM singer JOIN concert ON singer.id = concert.singer_id "
                   "WHERE concert.year = 2014 AND singer.country = 'France' ORDER BY singer.name")
    assert con.execute(new).fetchall() == con.execute(sql).fetchall() == [("Ann",), ("Cy",)]
    assert restyle_checked(con, "SELECT name FROM singer") == ("SELECT name FROM singer", "same")


def test_a_rewrite_that_changes_the_result_is_refused(db):
    con = connect_readonly(db)
    # Told (wrongly) that "name" is no column, the rewrite would turn it into the string 'name'.
    sql = 'SELECT "name" FROM singer ORDER BY id'
    assert restyle_checked(con, sql, names=set()) == (sql, "mismatch")
    broken = 'SELECT T1.nope FROM singer AS T1 WHERE T1.country = "Peru"'
    assert restyle_checked(con, broken) == (broken, "unchecked")


def test_spider_style_and_missing_files_keep_the_gold_sql(db):
    sql = 'SELECT T1.name FROM singer AS T1 WHERE T1.country = "Peru"'
    assert restyle_for_database(db, sql, "spider") == (sql, "kept")
    assert restyle_for_database(None, sql) == (sql, "kept")
    assert restyle_for_database(db, sql) == ("SELECT singer.name FROM singer WHERE singer.country = 'Peru'",
                                             "rewritten")
    with pytest.raises(ValueError):
        restyle_for_database(db, sql, "fancy")


@pytest.mark.skipif(not HAVE_SPIDER, reason="Spider data not present")
def test_on_spider_train_most_joins_lose_their_aliases_and_results_hold():
    examples = [e for e in spider_data.load_split("train") if e.db_path][:1500]
    outcomes, joins_left = {}, 0
    for e in examples:
        new, outcome = restyle_for_database(e.db_path, e.query)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "rewritten":
            con = connect_readonly(e.db_path)
            assert con.execute(new).fetchall() == con.execute(e.query).fetchall(), e.query
            con.close()
        joins_left += " AS T" in new.upper() and " JOIN " in new.upper()
    assert outcomes.get("mismatch", 0) <= 5
    assert outcomes["rewritten"] > 0.3 * len(examples)
    assert joins_left < 0.1 * len(examples)
