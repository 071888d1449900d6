"""nichelm-eval votes: other votes over a run's kept candidates, replayed with the product's own vote on a real file."""

from types import SimpleNamespace

import pytest
from nichelm.eval.metrics import score
from nichelm.eval.vote_replay import replay

GOLD = "SELECT name FROM pets WHERE age < 4"
RIGHT = "SELECT name FROM pets WHERE age <= 3"
WRONG = "SELECT name FROM pets WHERE age > 4"


@pytest.fixture
def example(tmp_path, sqlite_file):
    db = sqlite_file(tmp_path / "pets.sqlite", """
        CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, species TEXT, age INTEGER);
        INSERT INTO pets VALUES (1, 'Rex', 'dog', 3), (2, 'Tom', 'cat', 5);
    """)
    return SimpleNamespace(id="q1", db_path=str(db), gold_sql=GOLD)


def _right(ex, sql):
    return score(ex.db_path, ex.gold_sql, sql).exec_match


def _run(example, kept, pred, repaired_from=None):
    extra = {"candidate_sqls": kept}
    if repaired_from:
        extra.update(repaired=True, first_sql=repaired_from)
    return [{"id": example.id, "question": "Which pets are younger than 4?", "pred_sql": pred,
             "exec_match": _right(example, pred), "extra": extra}]


def test_the_runs_own_vote_is_the_runs_answer_and_a_heavier_greedy_vote_changes_it(example):
    # the run voted 3 candidates, each counting once: the two wrong ones outvoted the greedy answer
    records = _run(example, [RIGHT, WRONG, WRONG], WRONG)
    same = replay(records, {example.id: example}, 3, 1.0, _right)
    assert (same.n, same.right, same.changed, same.unsure) == (1, 0, 0, 0)
    heavier = replay(records, {example.id: example}, 3, 2.0, _right)  # 2 against 2: the greedy answer, earliest
    assert (heavier.right, heavier.changed, heavier.unsure) == (1, 1, 0)
    assert replay(records, {example.id: example}, 3, 1.5, _right).right == 0
    assert replay(records, {example.id: example}, 1, 1.0, _right).right == 1  # the greedy answer alone
    assert "3 candidates, greedy vote x2: 1 of 1 right (1.000); answer changed on 1" in heavier.line()


def test_a_choice_the_product_would_repair_is_counted_apart(example):
    flagged = "SELECT name FROM pets WHERE species = 'Rex'"  # a name, not a species: a check sends it to the model
    records = _run(example, [flagged, RIGHT], RIGHT)
    alone = replay(records, {example.id: example}, 1, 1.0, _right)
    assert (alone.right, alone.changed, alone.unsure) == (0, 1, 1)
    # a record with fewer kept candidates than asked for is left out
    assert replay(records, {example.id: example}, 3, 1.0, _right).n == 0


def test_a_choice_with_a_known_fix_is_served_fixed(example):
    wrong_case = "SELECT name FROM pets WHERE species = 'Dog'"  # the data writes 'dog': fixed without the model
    records = _run(example, [wrong_case, WRONG], WRONG)
    alone = replay(records, {example.id: example}, 1, 1.0, _right)
    assert (alone.right, alone.changed, alone.unsure) == (1, 1, 0)  # Rex, the one dog, is the gold's answer too


def test_with_doubt_a_greedy_answer_not_in_doubt_is_kept_and_one_in_doubt_is_voted(example):
    # the greedy answer passes every check with rows: kept, though the other two outvote it
    records = _run(example, [RIGHT, WRONG, WRONG], WRONG)
    kept = replay(records, {example.id: example}, 3, 1.0, _right, doubt=True)
    assert (kept.right, kept.changed, kept.unsure) == (1, 1, 0)
    assert "3 candidates, only when in doubt (0 questions), greedy vote x1: 1 of 1 right" in kept.line()
    # an empty greedy result is in doubt: the vote decides, as without --doubt
    empty = "SELECT name FROM pets WHERE age > 99"
    records = _run(example, [empty, RIGHT, RIGHT], RIGHT)
    voted = replay(records, {example.id: example}, 3, 1.0, _right, doubt=True)
    assert (voted.right, voted.changed, voted.unsure, voted.doubted) == (1, 0, 0, 1)


def test_with_doubt_a_greedy_answer_with_a_known_fix_is_served_fixed_not_outvoted(example):
    wrong_case = "SELECT name FROM pets WHERE species = 'Dog' AND age < 4"  # fixed without the model: Rex, right
    records = _run(example, [wrong_case, WRONG, WRONG], WRONG)
    fixed = replay(records, {example.id: example}, 3, 1.0, _right, doubt=True)
    assert (fixed.right, fixed.changed, fixed.unsure, fixed.doubted) == (1, 1, 0, 0)
    assert replay(records, {example.id: example}, 3, 1.0, _right).right == 0  # voting everywhere, WRONG wins
