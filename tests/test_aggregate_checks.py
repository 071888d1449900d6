"""aggregate_checks: a threshold the question sets for a group's average or total, tested on single rows; the finding,
its fix, and what is left alone, on a real SQLite file."""

import pytest
from nichelm.assistant.aggregate_checks import (
    GROUP_THRESHOLD,
    group_threshold_fix,
    row_test_for_group_threshold,
)
from nichelm.assistant.answer_checks import first_finding, known_fix
from nichelm.assistant.schema import read_schema
from nichelm.assistant.sqlite_io import execute_readonly

Q = "Which government forms have an average life expectancy greater than 72, and what is their total population?"
ROWS = "SELECT form, SUM(population) FROM country WHERE life > 72 GROUP BY form"


@pytest.fixture
def world(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "world.sqlite", """
        CREATE TABLE country (code TEXT PRIMARY KEY, form TEXT, population INTEGER, life REAL);
        INSERT INTO country VALUES ('A', 'Republic', 10, 80), ('B', 'Republic', 20, 60),
                                   ('C', 'Monarchy', 5, 74), ('D', 'Monarchy', 7, 73);
    """))
    return path, read_schema(path)


def test_a_row_test_of_the_groups_average_is_found_and_moved_into_the_having(world):
    path, schema = world
    why = row_test_for_group_threshold(Q, ROWS, schema)
    assert why == ("the question puts 72 on each group's average, but the query tests each row's life in the WHERE "
                   "clause (life > 72): remove that row test and keep the groups with HAVING AVG(life) > 72")
    fixed = group_threshold_fix(Q, ROWS, schema)
    assert fixed == "SELECT form, SUM(population) FROM country GROUP BY form HAVING AVG(life) > 72"
    # the republics average 70: the row test keeps one of them and shows the form anyway
    assert sorted(execute_readonly(path, ROWS).rows) == [("Monarchy", 12), ("Republic", 10)]
    assert execute_readonly(path, fixed).rows == [("Monarchy", 12)]
    # as the service gets it: the check's name, then the known fix
    found = first_finding(path, Q, ROWS, schema)
    assert found and found[0] == "threshold" and known_fix(found[0], path, Q, ROWS, schema) == fixed


def test_the_other_conditions_stay_and_the_having_keeps_its_own(world):
    _, schema = world
    sql = "SELECT form FROM country WHERE life > 72 AND code <> 'Z' GROUP BY form HAVING COUNT(*) > 1"
    assert group_threshold_fix("Forms whose total population is over 72?", sql, schema) == (
        "SELECT form FROM country WHERE code <> 'Z' GROUP BY form HAVING COUNT(*) > 1 AND SUM(life) > 72")


@pytest.mark.parametrize("question", [
    "Which forms have an average life expectancy greater than 72?",
    "Forms whose mean life is at least 72.5?",
    "Departments whose average number of students is more than 10?",
    "Customers with a total spend over $3000?",
])
def test_ways_to_set_a_threshold_for_an_average_or_a_total(question):
    assert GROUP_THRESHOLD.search(question), question


@pytest.mark.parametrize("question, sql", [
    # the comparison is on the rows: "the products above 20", "cities with more than 3000 residents"
    ("What is the average price of the products above 20 in each category?",
     "SELECT form, AVG(life) FROM country WHERE population > 20 GROUP BY form"),
    ("What is the total population of forms with more than 72 years of life?",
     "SELECT form, SUM(population) FROM country WHERE life > 72 GROUP BY form"),
    # already in the HAVING, or no groups at all, or another number
    (Q, "SELECT form, SUM(population) FROM country GROUP BY form HAVING AVG(life) > 72"),
    (Q, "SELECT SUM(population) FROM country WHERE life > 72"),
    (Q, "SELECT form, SUM(population) FROM country WHERE life > 70 GROUP BY form"),
])
def test_left_alone(world, question, sql):
    _, schema = world
    assert row_test_for_group_threshold(question, sql, schema) is None
    assert group_threshold_fix(question, sql, schema) is None
