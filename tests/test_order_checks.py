"""order_checks: the top row of a date or an age taken from the wrong end, and the fix; on a real SQLite file."""

import sqlite3

import pytest
from nichelm.assistant.order_checks import flipped_order, reversed_top_row
from nichelm.assistant.schema import read_schema


@pytest.fixture
def kennel(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "kennel.sqlite", """
        CREATE TABLE dogs (dog_id INTEGER PRIMARY KEY, name TEXT, age INTEGER, date_of_birth TEXT, arrived DATE);
        INSERT INTO dogs VALUES (1, 'Rex', 9, '2015-03-01', '2020-01-05'), (2, 'Fido', 2, '2022-07-09', '2023-04-01'),
                                (3, 'Max', 5, '2019-11-30', '2021-06-12'), (4, 'Ghost', NULL, NULL, NULL);
    """))
    return path, read_schema(path)


def test_the_oldest_taken_from_the_latest_birth_date_is_reported_and_sorted_the_other_way(kennel, check_fix):
    path, schema = kennel
    question, sql = "What is the age of the oldest dog?", "SELECT age FROM dogs ORDER BY date_of_birth DESC LIMIT 1"
    assert reversed_top_row(question, sql, schema) == (
        "the question asks for the oldest, but ORDER BY date_of_birth DESC puts the other end first: sort by "
        "date_of_birth ASC")
    fixed = check_fix("order", path, schema, question, sql)
    assert fixed == "SELECT age FROM dogs ORDER BY date_of_birth ASC NULLS LAST LIMIT 1"
    assert sqlite3.connect(path).execute(fixed).fetchall() == [(9,)]  # not the dog without a birth date


@pytest.mark.parametrize("question, sql, fixed", [
    ("Name the youngest dog.", "SELECT name FROM dogs ORDER BY date_of_birth LIMIT 1",
     "SELECT name FROM dogs ORDER BY date_of_birth DESC LIMIT 1"),
    ("Name the oldest dog.", "SELECT name FROM dogs ORDER BY age ASC LIMIT 1",
     "SELECT name FROM dogs ORDER BY age DESC LIMIT 1"),
    ("Name the youngest dog.", "SELECT name FROM dogs ORDER BY dogs.age DESC LIMIT 1",
     "SELECT name FROM dogs ORDER BY dogs.age ASC NULLS LAST LIMIT 1"),
    ("Which dog arrived most recently?", "SELECT name FROM dogs ORDER BY arrived LIMIT 1",
     "SELECT name FROM dogs ORDER BY arrived DESC LIMIT 1"),
    ("The 2 earliest arrivals?", "SELECT name FROM dogs ORDER BY arrived DESC LIMIT 2",
     "SELECT name FROM dogs ORDER BY arrived ASC NULLS LAST LIMIT 2"),
])
def test_each_end_is_known_for_birth_dates_ages_and_other_dates(kennel, question, sql, fixed):
    _, schema = kennel
    assert reversed_top_row(question, sql, schema)
    assert flipped_order(question, sql, schema) == fixed


@pytest.mark.parametrize("question, sql", [
    # the right end
    ("What is the age of the oldest dog?", "SELECT age FROM dogs ORDER BY date_of_birth LIMIT 1"),
    ("Name the youngest dog.", "SELECT name FROM dogs ORDER BY age LIMIT 1"),
    ("Which dog arrived most recently?", "SELECT name FROM dogs ORDER BY arrived DESC LIMIT 1"),
    # words of both ends, or none
    ("The oldest and the newest arrival?", "SELECT name FROM dogs ORDER BY arrived DESC LIMIT 1"),
    ("Name the heaviest dog.", "SELECT name FROM dogs ORDER BY age DESC LIMIT 1"),
    # "youngest" does not rank by an arrival date, "most recent" not by an age
    ("Which dog is the youngest arrival?", "SELECT name FROM dogs ORDER BY arrived ASC LIMIT 1"),
    ("Which dog is the most recent?", "SELECT name FROM dogs ORDER BY age LIMIT 1"),
    # not a column of dates or ages; no LIMIT; two keys
    ("Name the oldest dog.", "SELECT name FROM dogs ORDER BY name DESC LIMIT 1"),
    ("List dogs from the oldest.", "SELECT name FROM dogs ORDER BY date_of_birth DESC"),
    ("Name the oldest dog.", "SELECT name FROM dogs ORDER BY date_of_birth DESC, name LIMIT 1"),
])
def test_left_alone(kennel, question, sql):
    _, schema = kennel
    assert reversed_top_row(question, sql, schema) is None
    assert flipped_order(question, sql, schema) is None
