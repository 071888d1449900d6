"""A `<>` on the rows of a joined child table where the parent is meant (assistant/negation_checks.py), on a real
file: found where a parent with the value is still kept, its proposed subquery returns the parents without it,
and left alone where the child's rows are what the query is about, where it counts rows, and where the child has
one row per parent."""

import pytest
from nichelm.assistant.negation_checks import negated_child_test
from nichelm.assistant.schema import read_schema
from nichelm.assistant.sqlite_io import execute_readonly

LOOSE = ("SELECT country.name FROM country JOIN language ON language.country_code = country.code "
         "WHERE language.name <> 'English'")
NOT = "Which countries do not speak English?"


@pytest.fixture
def world(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "world.sqlite", """
        CREATE TABLE country (code TEXT PRIMARY KEY, name TEXT, region TEXT);
        CREATE TABLE language (country_code TEXT REFERENCES country(code), name TEXT, official TEXT);
        CREATE TABLE leader (country_code TEXT REFERENCES country(code), name TEXT, party TEXT);
        INSERT INTO country VALUES ('CA', 'Canada', 'America'), ('FR', 'France', 'Europe'), ('MX', 'Mexico', 'America');
        INSERT INTO language VALUES ('CA', 'English', 'T'), ('CA', 'French', 'T'), ('FR', 'French', 'T'),
                                    ('MX', 'Spanish', 'T'), ('MX', 'Nahuatl', 'F');
        INSERT INTO leader VALUES ('CA', 'A', 'Left'), ('FR', 'B', 'Centre'), ('MX', 'C', 'Left');
    """))


def test_a_not_equal_on_the_child_rows_is_found_and_the_subquery_it_proposes_means_the_parent(world):
    schema = read_schema(world)
    why = negated_child_test(world, NOT, LOOSE, schema)
    assert why and why.startswith("`language.name <> 'English'` tests each language row, not each country")
    loose = [r[0] for r in execute_readonly(world, LOOSE).rows]
    assert sorted(loose) == ["Canada", "France", "Mexico", "Mexico"]  # Canada speaks English; Mexico twice
    subquery = why.split("test it in a subquery: ", 1)[1].split(", without", 1)[0]
    assert subquery == ("country.code NOT IN (SELECT language.country_code FROM language WHERE language.name = "
                        "'English')")
    meant = [r[0] for r in execute_readonly(world, f"SELECT country.name FROM country WHERE {subquery}").rows]
    assert sorted(meant) == ["France", "Mexico"]
    # the other way round, with aliases and a double-quoted value (SQLite reads it as a string)
    assert negated_child_test(world, "Share of American countries with no English?",
                              'SELECT AVG(T1.code = T1.code) FROM country AS T1 JOIN language AS T2 ON '
                              'T1.code = T2.country_code WHERE "English" != T2.name AND T1.region = "America"', schema)
    # the question says no "not": languages other than English are the rows themselves
    assert negated_child_test(world, "Countries where people use languages other than English?", LOOSE, schema) is None


@pytest.mark.parametrize("sql", [
    # the child's rows are what is listed, ordered or tested
    "SELECT language.name FROM country JOIN language ON language.country_code = country.code WHERE country.name <> 'Mexico'",
    ("SELECT country.name, language.name FROM country JOIN language ON language.country_code = country.code "
     "WHERE language.official <> 'F'"),
    ("SELECT country.name FROM country JOIN language ON language.country_code = country.code "
     "WHERE language.official <> 'F' GROUP BY country.code HAVING COUNT(language.name) > 1"),
    # rows counted: the test filters what is counted
    ("SELECT country.name, COUNT(*) FROM country JOIN language ON language.country_code = country.code "
     "WHERE language.official <> 'F' GROUP BY country.code"),
    # one leader row per country: the row's test is the country's
    "SELECT country.name FROM country JOIN leader ON leader.country_code = country.code WHERE leader.party <> 'Left'",
    # the parent's own column, a subquery already, no join
    "SELECT country.name FROM country JOIN language ON language.country_code = country.code WHERE country.region <> 'Europe'",
    "SELECT name FROM country WHERE code NOT IN (SELECT country_code FROM language WHERE name = 'English')",
    "SELECT country_code FROM language WHERE name <> 'English'",
    "not sql (",
])
def test_left_alone(world, sql):
    assert negated_child_test(world, NOT, sql, read_schema(world)) is None
