"""Execution-accuracy semantics on known cases, with real SQLite files."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from nichelm.eval.metrics import Scorer, exact_match, gold_orders, results_match, score


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, grp TEXT, price REAL, qty INTEGER, note TEXT);
        INSERT INTO t VALUES (1, 'ann', 'a', 10.0, 3, NULL), (2, 'bob', 'a', 2.5, 1, 'x'),
                             (3, 'cy', 'b', 7.0, 2, NULL), (4, 'dee', 'b', 7.0, 5, 'y');
    """)
    con.commit()
    con.close()
    return path


# ------------------------------------------------------------------ pure comparison
def test_column_permutation_is_ignored():
    gold = [(1, "ann"), (2, "bob")]
    assert results_match(gold, [("ann", 1), ("bob", 2)], order_matters=False)
    assert results_match(gold, [("ann", 1), ("bob", 2)], order_matters=True)


def test_column_permutation_must_be_consistent_across_rows():
    # Each row's cells match as a bag, but no single column permutation maps pred onto gold.
    gold = [(1, 2), (3, 4)]
    pred = [(1, 2), (4, 3)]
    assert not results_match(gold, pred, order_matters=False)


def test_permutation_with_equal_columns():
    # Two columns holding the same values: any assignment must still line up row by row.
    gold = [(1, 1, "a"), (2, 2, "b")]
    assert results_match(gold, [("a", 1, 1), ("b", 2, 2)], order_matters=False)
    assert not results_match(gold, [("a", 1, 1), ("b", 2, 3)], order_matters=False)


def test_duplicates_count_as_a_multiset():
    assert results_match([(1,), (1,), (2,)], [(2,), (1,), (1,)], order_matters=False)
    assert not results_match([(1,), (1,), (2,)], [(1,), (2,), (2,)], order_matters=False)
    assert not results_match([(1,), (1,), (2,)], [(1,), (2,)], order_matters=False)  # DISTINCT dropped


def test_order_matters_only_when_asked():
    gold = [(1,), (2,), (3,)]
    assert results_match(gold, [(3,), (1,), (2,)], order_matters=False)
    assert not results_match(gold, [(3,), (1,), (2,)], order_matters=True)


def test_different_column_counts_or_row_counts_do_not_match():
    assert not results_match([(1, 2)], [(1,)], order_matters=False)
    assert not results_match([(1,)], [(1,), (1,)], order_matters=False)


def test_both_empty_match_even_with_different_columns():
    assert results_match([], [], order_matters=True)
    assert not results_match([], [(1,)], order_matters=False)


def test_nulls_equal_nulls_only():
    assert results_match([(None, 1)], [(None, 1)], order_matters=False)
    assert not results_match([(None,)], [(0,)], order_matters=False)
    assert not results_match([(None,)], [("",)], order_matters=False)


def test_int_float_and_float_noise():
    assert results_match([(2,)], [(2.0,)], order_matters=False)
    assert results_match([(0.3,)], [(0.1 + 0.2,)], order_matters=False)
    assert results_match([(10 / 3,)], [(3.333333333333333,)], order_matters=False)
    assert not results_match([(2.0,)], [(2.01,)], order_matters=False)
    assert not results_match([(0.1234,)], [(0.1235,)], order_matters=False)


def test_text_never_equals_number_and_is_case_sensitive():
    assert not results_match([("1",)], [(1,)], order_matters=False)
    assert not results_match([("Ann",)], [("ann",)], order_matters=False)


def test_top_level_order_by_only():
    assert gold_orders("SELECT name FROM t ORDER BY price DESC")
    assert gold_orders("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1")
    assert gold_orders("WITH x AS (SELECT 1 AS a) SELECT a FROM x ORDER BY a")
    assert not gold_orders("SELECT name FROM t WHERE id IN (SELECT id FROM t ORDER BY price LIMIT 2)")
    assert not gold_orders("SELECT count(*) FROM t")


# ------------------------------------------------------------------ on a real database
def test_score_on_database(db):
    gold = "SELECT name, price FROM t WHERE grp = 'a'"
    assert score(db, gold, "SELECT price, name FROM t WHERE grp = 'a'").exec_match
    assert score(db, gold, "SELECT name, price FROM t WHERE id <= 2 ORDER BY name DESC").exec_match
    s = score(db, gold, "SELECT name FROM t WHERE grp = 'a'")
    assert not s.exec_match and s.valid_sql and not s.exact


def test_ordered_gold_on_database(db):
    gold = "SELECT name FROM t ORDER BY qty"
    s = score(db, gold, "SELECT name FROM t ORDER BY qty DESC")
    assert s.order_matters and not s.exec_match
    assert score(db, gold, "SELECT name FROM t ORDER BY qty ASC;").exec_match


def test_avg_vs_sum_over_count(db):
    # AVG() returns a float, SUM()/COUNT() on integers an integer division: 11/4 = 2 vs 2.75.
    assert not score(db, "SELECT avg(qty) FROM t", "SELECT sum(qty) / count(*) FROM t").exec_match
    assert score(db, "SELECT avg(qty) FROM t", "SELECT sum(qty) * 1.0 / count(*) FROM t").exec_match


def test_null_handling_on_database(db):
    gold = "SELECT name FROM t WHERE note IS NULL"
    assert score(db, gold, "SELECT name FROM t WHERE note IS NULL").exec_match
    assert not score(db, gold, "SELECT name FROM t WHERE note = NULL").exec_match  # valid SQL, empty result
    assert score(db, gold, "SELECT name FROM t WHERE note = NULL").valid_sql


def test_invalid_predictions(db):
    gold = "SELECT count(*) FROM t"
    syntax = score(db, gold, "SELEC count(*) FROM t")
    assert not syntax.valid_sql and not syntax.exec_match and syntax.pred_error
    missing = score(db, gold, "SELECT count(*) FROM nope")
    assert not missing.valid_sql and "no such table" in missing.pred_error
    none = score(db, gold, None)
    assert not none.valid_sql and not none.exec_match


def test_writes_are_refused_and_leave_the_file_alone(db):
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    s = score(db, "SELECT count(*) FROM t", "DELETE FROM t")
    assert not s.valid_sql and "write_refused" in s.pred_error
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_timeout_is_an_invalid_prediction(db):
    slow = ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
            "SELECT count(*) FROM r")
    s = score(db, "SELECT count(*) FROM t", slow, timeout_s=0.3)
    assert not s.valid_sql and "query_timeout" in s.pred_error


def test_exact_match_after_normalisation():
    assert exact_match("SELECT count(*) FROM t", "select COUNT(*)  from T;")
    assert exact_match('SELECT "name" FROM t WHERE id = 1', "SELECT name FROM t WHERE id = 1")
    assert not exact_match("SELECT name FROM t", "SELECT name, id FROM t")
    assert not exact_match("SELECT 1", None)


def test_scorer_uses_a_private_copy(db):
    before = db.stat().st_mtime_ns
    with Scorer() as scorer:
        copy = scorer.copy_of(db)
        assert copy != db and copy.read_bytes() == db.read_bytes()
        assert scorer.score(db, "SELECT max(price) FROM t", "SELECT price FROM t ORDER BY price DESC LIMIT 1").exec_match
        workdir = copy.parent.parent
    assert not workdir.exists()  # copies removed on close
    assert db.stat().st_mtime_ns == before
