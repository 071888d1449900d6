"""Rows a question rules out, found by running the answer: repeats where each value is asked for once, NULLs
where unknown values are to be left out, a table's rows repeated by a join it only filters by; on a real SQLite
file, and through the one place that decides."""

import pytest
from nichelm.assistant.answer_checks import CHECKS
from nichelm.assistant.row_checks import (
    asks_blanks_left_out,
    asks_each_once,
    blank_rows,
    distinct_fix,
    joined_repeats,
    repeated_rows,
)
from nichelm.assistant.schema import read_schema
from nichelm.assistant.service import _failure

JOINED = ("SELECT customers.country FROM customers JOIN orders ON orders.customer_id = customers.id "
          "WHERE orders.placed >= '2022'")


@pytest.fixture
def shop(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), placed TEXT);
        INSERT INTO customers VALUES (1, 'Ada', 'France'), (2, 'Bo', NULL), (3, 'Cy', 'Spain'), (4, 'Di', 'France');
        INSERT INTO orders VALUES (1, 1, '2022-05-01'), (2, 1, '2025-01-09'), (3, 3, '2022-02-02'), (4, 2, '2023-03-03');
    """))


@pytest.mark.parametrize("question", [
    "Name every customer country with an order since 2022, each once.",
    "List the countries of customers who ordered, without repeats.",
    "Which countries have buyers? Each country only once, please.",
    "List the distinct countries that ordered since 2022.",
    "What are the different countries of customers with orders?",
])
def test_repeats_trip_when_each_value_is_asked_once(shop, question):
    assert asks_each_once(question)
    problem = repeated_rows(shop, question, JOINED)
    assert problem and "4 rows with only 3 different ones" in problem and "SELECT DISTINCT" in problem
    assert problem == _failure(JOINED, [], shop, read_schema(shop), question)  # as the repair turn gets it


@pytest.mark.parametrize("question, sql", [
    ("List the countries of customers with orders since 2022.", JOINED),  # no words asking for it
    ("How many different countries have orders?", JOINED),  # a count: one row
    ("List the distinct countries that ordered.", JOINED.replace("SELECT", "SELECT DISTINCT")),
    ("List the distinct countries that ordered.",
     "SELECT customers.country FROM customers JOIN orders ON orders.customer_id = customers.id GROUP BY 1"),
    ("Show the distinct countries of the two latest orders.", JOINED + " ORDER BY orders.placed DESC LIMIT 2"),
    ("Give the distinct countries, without repeats.", "SELECT country FROM customers WHERE id = 1"),  # one row
    ("List the distinct countries that ordered.", JOINED + " UNION SELECT country FROM customers"),
    ("List the distinct countries that ordered.", "SELECT nope FROM customers"),  # does not run: no finding
])
def test_repeats_stay_quiet_otherwise(shop, question, sql):
    assert repeated_rows(shop, question, sql) is None


@pytest.mark.parametrize("question", [
    "List the countries of customers who ordered, ignoring unknown countries.",
    "Which countries have buyers? Skip customers with no country.",
    "From which countries (where known) have people ordered?",
    "Name every known customer country with an order.",
    "List buyers' countries, leaving out missing ones.",
])
def test_blanks_trip_when_unknown_values_are_to_be_left_out(shop, question):
    assert asks_blanks_left_out(question)
    sql = "SELECT DISTINCT customers.country FROM customers JOIN orders ON orders.customer_id = customers.id"
    problem = blank_rows(shop, question, sql)
    assert problem and "1 of the 3 rows" in problem and "NULL in column 1" in problem and "IS NOT NULL" in problem
    assert blank_rows(shop, question, sql + " WHERE customers.country IS NOT NULL") is None


@pytest.mark.parametrize("question", [
    "List the countries of customers who ordered.",
    "Which customers have an unknown country?",  # asks for the blanks
    "Show customers whose country is known or not, with their names.",
])
def test_blanks_stay_quiet_when_not_asked(shop, question):
    assert blank_rows(shop, question, "SELECT name, country FROM customers") is None


def test_both_checks_are_product_checks_in_the_decided_order():
    assert list(CHECKS)[-3:] == ["repeats", "blanks", "fanout"]


# ------------------------------------------------------------------------------ a table's rows repeated by a join
PETS = """
    CREATE TABLE student (stuid INTEGER PRIMARY KEY, fname TEXT, age INTEGER);
    CREATE TABLE pets (petid INTEGER PRIMARY KEY, pettype TEXT);
    CREATE TABLE has_pet (stuid INTEGER REFERENCES student(stuid), petid INTEGER REFERENCES pets(petid));
    INSERT INTO student VALUES (1, 'Ann', 20), (2, 'Ben', 21), (3, 'Ann', 22), (4, 'Cal', 23);
    INSERT INTO pets VALUES (1, 'dog'), (2, 'cat'), (3, 'dog'), (4, 'dog');
    INSERT INTO has_pet VALUES (1, 1), (1, 2), (2, 3), (3, 4);
"""
WITH_PET = "SELECT student.fname FROM student JOIN has_pet ON student.stuid = has_pet.stuid"


@pytest.fixture
def pets(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "pets.sqlite", PETS))


@pytest.mark.parametrize("sql", [
    WITH_PET,  # Ann (1) twice: two pets
    ("SELECT T1.fname, T1.age FROM student AS T1 JOIN has_pet AS T2 ON T1.stuid = T2.stuid JOIN pets AS T3 "
    "ON T3.petid = T2.petid WHERE T3.pettype = 'dog' OR T3.pettype = 'cat'"),
    "SELECT fname FROM student JOIN has_pet ON student.stuid = has_pet.stuid ORDER BY fname",
])
def test_a_row_listed_once_per_row_of_a_table_it_only_filters_by(pets, sql):
    schema = read_schema(pets)
    question = "What are the names of students who have a pet?"
    problem = joined_repeats(pets, question, sql, schema)
    assert problem and "4 rows of student but only 3 different ones" in problem and "SELECT DISTINCT" in problem
    assert problem == _failure(sql, [], pets, schema, question)  # the last check, reached when the others pass
    fixed = distinct_fix(sql)
    assert fixed.upper().startswith("SELECT DISTINCT") and joined_repeats(pets, question, fixed, schema) is None


@pytest.mark.parametrize("question, sql", [
    # Ann (1) and Ann (3) are two students: the names repeat, the rows do not
    ("Which students have a dog?", ("SELECT student.fname FROM student JOIN has_pet ON student.stuid = has_pet.stuid "
                                   "JOIN pets ON pets.petid = has_pet.petid WHERE pets.pettype = 'dog'")),
    ("List students and their pets' types.",  # a column of every table: one row per pet is meant
     ("SELECT student.fname, pets.pettype FROM student JOIN has_pet ON student.stuid = has_pet.stuid "
     "JOIN pets ON pets.petid = has_pet.petid")),
    ("Students with pets, by pet id.", WITH_PET + " ORDER BY has_pet.petid"),  # sorted by the filter table
    ("How many students have pets?", WITH_PET),  # a count
    ("Students with pets?", WITH_PET.replace("SELECT", "SELECT DISTINCT")),
    ("Students with pets?", WITH_PET + " GROUP BY student.stuid"),
    ("Students with pets?", WITH_PET + " LIMIT 3"),
    ("Students with pets?", "SELECT upper(student.fname) FROM student JOIN has_pet ON student.stuid = has_pet.stuid"),
    ("Students with pets?", "SELECT fname FROM student WHERE stuid IN (SELECT stuid FROM has_pet)"),  # no join
    ("Students with pets?", "SELECT * FROM student JOIN has_pet ON student.stuid = has_pet.stuid"),
    ("Students with pets?", "SELECT nope FROM student JOIN has_pet ON student.stuid = has_pet.stuid"),  # fails
])
def test_joined_repeats_stay_quiet_otherwise(pets, question, sql):
    assert joined_repeats(pets, question, sql, read_schema(pets)) is None


def test_the_service_lists_each_row_once_without_the_model(pets):
    from nichelm.assistant.answer_checks import known_fix

    fixed = known_fix("fanout", pets, "Names of students with a pet?", WITH_PET, read_schema(pets))
    assert fixed == "SELECT DISTINCT student.fname FROM student JOIN has_pet ON student.stuid = has_pet.stuid"
