"""nichelm-eval misses: a run's wrong answers sorted by what their result looks like beside the gold's."""

import json

import pytest
from click.testing import CliRunner
from nichelm.eval.cli import main
from nichelm.eval.miss_kinds import KINDS, miss_kind

GOLD = [("Ann", 20), ("Ben", 21)]


@pytest.mark.parametrize("pred, kind", [
    (None, "answer fails"),
    ([("Ann", 20, 1), ("Ben", 21, 1)], "more columns, the gold's among them"),  # a count nobody asked for
    ([("Ann", 20, 1), ("Cy", 21, 1)], "more columns, other rows"),
    ([("Ann",), ("Ben",)], "fewer columns, among the gold's"),
    ([("Ann",)], "fewer columns, other rows"),
    ([("Ben", 21), ("Ann", 20)], "same rows, other order"),
    ([("Ann", 20), ("Ann", 20), ("Ben", 21)], "same rows, repeated differently"),  # a DISTINCT missing
    ([("Ann", 20), ("Cy", 22)], "as many rows, other values"),
    ([("Ann", 20)], "other rows"),
    ([], "other rows"),
])
def test_each_wrong_result_has_one_kind(pred, kind):
    assert miss_kind(GOLD, pred) == kind


def test_a_gold_that_fails_and_the_kinds_listed():
    assert miss_kind(None, GOLD) == "gold fails"
    assert len(set(KINDS)) == len(KINDS) == 10


def test_misses_reads_a_run_and_its_databases(tmp_path, sqlite_file):
    sqlite_file(tmp_path / "pets.sqlite", """
        CREATE TABLE student (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE has_pet (student_id INTEGER REFERENCES student(id), kind TEXT);
        INSERT INTO student VALUES (1, 'Ann'), (2, 'Ben');
        INSERT INTO has_pet VALUES (1, 'cat'), (1, 'dog');
    """)
    gold = "SELECT DISTINCT name FROM student JOIN has_pet ON has_pet.student_id = student.id"
    items = {"a": "SELECT name FROM student JOIN has_pet ON has_pet.student_id = student.id",  # Ann twice
             "b": "SELECT nope FROM student",  # fails
             "c": gold}  # right: not a miss
    (tmp_path / "set.jsonl").write_text("".join(
        json.dumps({"id": i, "question": "Who has a pet?", "sql": gold, "db_path": "pets.sqlite"}) + "\n" for i in items))
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"dataset": str(tmp_path / "set.jsonl")}))
    (run / "predictions.jsonl").write_text("".join(
        json.dumps({"id": i, "question": "Who has a pet?", "pred_sql": sql, "exec_match": i == "c"}) + "\n"
        for i, sql in items.items()))
    res = CliRunner().invoke(main, ["misses", str(run)])
    assert res.exit_code == 0, res.output
    assert "2 wrong answers of 3" in res.output
    assert "1  same rows, repeated differently  (e.g. a)" in res.output and "1  answer fails  (e.g. b)" in res.output
    res = CliRunner().invoke(main, ["misses", str(run), "--kind", "answer fails"])
    assert res.output.split() == ["b"]
    assert CliRunner().invoke(main, ["misses", str(run), "--kind", "nope"]).exit_code != 0
