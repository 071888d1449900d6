"""flag_checks: a yes/no column the question names and the query never tests, or tests unasked; on a real SQLite file."""

import pytest
from nichelm.assistant.answer_checks import first_finding
from nichelm.assistant.flag_checks import flag_mismatch, flag_word
from nichelm.assistant.schema import read_schema


@pytest.fixture
def world(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "world.sqlite", """
        CREATE TABLE country (Code TEXT PRIMARY KEY, Name TEXT, Continent TEXT, Population INTEGER);
        CREATE TABLE countrylanguage (CountryCode TEXT REFERENCES country(Code), Language TEXT, IsOfficial TEXT,
                                      Percentage REAL);
        CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, Is_Male TEXT, male_id INTEGER, Issues TEXT);
        CREATE TABLE parts (id INTEGER PRIMARY KEY, chargeable_yn TEXT, chargeable_amount REAL);
        INSERT INTO country VALUES ('ABW', 'Aruba', 'North America', 103000), ('NLD', 'Netherlands', 'Europe', 159);
        INSERT INTO countrylanguage VALUES ('ABW', 'Dutch', 'T', 5.3), ('ABW', 'English', 'F', 9.5),
                                           ('NLD', 'Dutch', 'T', 95.6);
        INSERT INTO people VALUES (1, 'Al', 'T', NULL, 'a'), (2, 'Bea', 'F', 1, 'b'), (3, 'Cy', 'T', NULL, 'c'),
                                  (4, 'Di', 'F', 3, 'd');
        INSERT INTO parts VALUES (1, '1', 10.0), (2, '0', 0.0);
    """))
    return path, read_schema(path)


def finding(world, question, sql):
    path, schema = world
    return flag_mismatch(path, question, sql, schema)


@pytest.mark.parametrize("column, word", [
    ("IsOfficial", "official"), ("is_open", "open"), ("Is_Male", "male"), ("has_parking", "parking"),
    ("chargeable_yn", "chargeable"), ("returned_flag", "returned"), ("isAVA", "ava"),
    ("Issues", None), ("island", None), ("name", None), ("is_x", None),
])
def test_flag_columns_are_known_by_their_names(column, word):
    assert flag_word(column) == word


def test_a_flag_the_question_names_and_the_query_never_tests_is_reported_with_its_values(world):
    why = finding(world, "What are the official languages of Aruba?",
                  "SELECT Language FROM countrylanguage JOIN country ON Code = CountryCode WHERE Name = 'Aruba'")
    assert why == ("the question says 'official', and countrylanguage.IsOfficial says whether a row is ('T' or 'F'), "
                   "but the query never tests it: keep only the rows that are official")


def test_a_flag_tested_where_the_question_never_names_it_is_reported(world):
    why = finding(world, "How many people live in Europe?",
                  "SELECT SUM(Population) FROM country JOIN countrylanguage ON Code = CountryCode "
                  "WHERE IsOfficial = 'T' AND Continent = 'Europe'")
    assert why == ("the query tests countrylanguage.IsOfficial, but the question never says 'official': leave that "
                   "test out (and a join made only for it)")


@pytest.mark.parametrize("question, sql", [
    # named and tested
    ("Which languages are official in Aruba?",
     "SELECT Language FROM countrylanguage WHERE CountryCode = 'ABW' AND IsOfficial = 'T'"),
    ("Countries where English is not an official language?",
     ("SELECT Name FROM country WHERE Code NOT IN (SELECT CountryCode FROM countrylanguage "
      "WHERE Language = 'English' AND IsOfficial = 'T')")),
    # named, but the flag's table is not read: left to the other checks
    ("Which countries have an official language?", "SELECT Name FROM country"),
    # tested where the question says part of the word: "female" for Is_Male
    ("How many female people are there?", "SELECT COUNT(*) FROM people WHERE Is_Male = 'F'"),
    # the word names another column the query reads: the chargeable amount, the male partner
    ("Which part has the least chargeable amount?", "SELECT id FROM parts ORDER BY chargeable_amount LIMIT 1"),
    ("Names of the male partners?", "SELECT p.name FROM people p JOIN people q ON p.id = q.male_id"),
    # shown, not tested, and not named: nothing to say
    ("Languages of Aruba and whether each is official?",
     "SELECT Language, IsOfficial FROM countrylanguage WHERE CountryCode = 'ABW'"),
    ("Languages of Aruba?", "SELECT Language, IsOfficial FROM countrylanguage WHERE CountryCode = 'ABW'"),
    # a column with the name of a flag but many values is not one
    ("Which issues are open?", "SELECT name FROM people"),
])
def test_left_alone(world, question, sql):
    assert finding(world, question, sql) is None


def test_a_column_named_like_a_flag_with_more_values_than_a_flag_is_not_one(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "codes.sqlite", """
        CREATE TABLE shop (id INTEGER PRIMARY KEY, is_open TEXT);
        INSERT INTO shop VALUES (1, 'mon'), (2, 'tue'), (3, 'wed'), (4, 'thu');
    """))
    assert flag_mismatch(path, "Which shops are open?", "SELECT id FROM shop", read_schema(path)) is None


def test_the_check_runs_with_the_others_as_the_repair_turn_gets_it(world):
    path, schema = world
    found = first_finding(path, "How many official languages are there?",
                          "SELECT COUNT(DISTINCT Language) FROM countrylanguage", schema)
    assert found and found[0] == "flag" and "countrylanguage.IsOfficial" in found[1]
