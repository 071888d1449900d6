"""ranking_checks: the count shown beside "the most common X", and the fix that leaves it out; on a real SQLite file."""

import sqlite3

import pytest
from nichelm.assistant.ranking_checks import count_beside_most_common, without_shown_count
from nichelm.assistant.schema import read_schema


@pytest.fixture
def people(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "people.sqlite", """
        CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, nationality TEXT, age INTEGER);
        INSERT INTO people VALUES (1, 'Al', 'Chile', 30), (2, 'Bea', 'Peru', 41), (3, 'Cy', 'Peru', 25);
    """))
    return path, read_schema(path)


def test_the_count_beside_the_most_common_value_is_reported_and_left_out_by_the_fix(people, check_fix):
    path, schema = people
    question = "What is the most common nationality of people?"
    sql = "SELECT nationality, COUNT(*) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"
    assert count_beside_most_common(question, sql) == (
        "the question asks for the most common value, not how often it occurs: leave COUNT(*) out of the SELECT "
        "(keep it in the ORDER BY)")
    fixed = check_fix("ranking", path, schema, question, sql)
    assert fixed == "SELECT nationality FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"
    assert sqlite3.connect(path).execute(fixed).fetchall() == [("Peru",)]


def test_a_count_ordered_by_its_alias_is_left_out_and_the_order_keeps_the_expression(people):
    path, _ = people
    question = "Which nationality is least common?"
    sql = "SELECT nationality, COUNT(*) AS n FROM people GROUP BY nationality ORDER BY n ASC LIMIT 1"
    assert count_beside_most_common(question, sql)
    fixed = without_shown_count(question, sql)
    assert fixed == "SELECT nationality FROM people GROUP BY nationality ORDER BY COUNT(*) ASC LIMIT 1"
    assert sqlite3.connect(path).execute(fixed).fetchall() == [("Chile",)]


@pytest.mark.parametrize("question, sql", [
    # the question asks for the count too
    ("What is the most common nationality and how many people have it?",
     "SELECT nationality, COUNT(*) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"),
    ("Show the most common nationality with its number of people.",
     "SELECT nationality, COUNT(*) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"),
    # not a "most common" question
    ("Which nationality has the most people?",
     "SELECT nationality, COUNT(*) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"),
    # the count is not shown, or is all that is shown
    ("What is the most common nationality?",
     "SELECT nationality FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"),
    ("What is the most common nationality?",
     "SELECT COUNT(*) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"),
    # what is shown is not what the rows are ranked by
    ("What is the most common nationality?",
     "SELECT nationality, MAX(age) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC LIMIT 1"),
    # every value, ranked: no LIMIT
    ("List nationalities from the most common to the least common.",
     "SELECT nationality, COUNT(*) FROM people GROUP BY nationality ORDER BY COUNT(*) DESC"),
])
def test_left_alone(question, sql):
    assert count_beside_most_common(question, sql) is None
    assert without_shown_count(question, sql) is None
