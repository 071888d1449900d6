"""count_checks: rows of one table counted where the question counts a table the query never reads; real SQLite file."""

import pytest
from nichelm.assistant.answer_checks import first_finding
from nichelm.assistant.count_checks import counted_table_unread
from nichelm.assistant.schema import read_schema


@pytest.fixture
def kennel(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "kennel.sqlite", """
        CREATE TABLE owners (owner_id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
        CREATE TABLE dogs (dog_id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners(owner_id), name TEXT);
        CREATE TABLE treatments (treatment_id INTEGER PRIMARY KEY, dog_id INTEGER REFERENCES dogs(dog_id), cost REAL);
        CREATE TABLE stadium (stadium_id INTEGER PRIMARY KEY, capacity INTEGER);
        CREATE TABLE concert (concert_id INTEGER PRIMARY KEY, stadium_id INTEGER REFERENCES stadium(stadium_id));
        CREATE TABLE station (station_id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE walks (walk_id INTEGER PRIMARY KEY, walker INTEGER REFERENCES owners(owner_id), day TEXT);
        CREATE TABLE train_station (train_id INTEGER, station_id INTEGER REFERENCES station(station_id));
        INSERT INTO owners VALUES (1, 'Ann', 30), (2, 'Bo', 19);
        INSERT INTO dogs VALUES (1, 1, 'Rex'), (2, 1, 'Fido'), (3, 2, 'Max');
        INSERT INTO treatments VALUES (1, 1, 10), (2, 1, 20), (3, 3, 5);
        INSERT INTO stadium VALUES (1, 500), (2, 900);
        INSERT INTO concert VALUES (1, 2), (2, 2), (3, 1);
    """))
    return path, read_schema(path)


def finding(kennel, question, sql):
    return counted_table_unread(question, sql, kennel[1])


def test_rows_of_another_table_counted_where_the_question_counts_a_table_the_query_never_reads(kennel):
    why = finding(kennel, "How many dogs are owned by owners older than 20?", "SELECT COUNT(*) FROM owners WHERE age > 20")
    assert why == ("the question counts dogs, but the query never reads the dogs table (nor a column of it): it counts "
                   "rows of owners; count the dogs rows the question means (join dogs, or count the different values of "
                   "the column that refers to it)")
    assert "counts concert" in finding(kennel, "Find the number of concerts in the stadium with the largest capacity.",
                                       "SELECT count(*) FROM stadium WHERE capacity = (SELECT max(capacity) FROM stadium)")


@pytest.mark.parametrize("question, sql", [
    # the counted table is read
    ("How many dogs does Ann own?", "SELECT COUNT(*) FROM dogs JOIN owners USING (owner_id) WHERE owners.name = 'Ann'"),
    # a column named for it: the different dogs of the treatments
    ("How many dogs went through a treatment?", "SELECT COUNT(DISTINCT dog_id) FROM treatments"),
    # a table that refers to it stands for it (a table of links: one row per owner walking)
    ("Show the number of owners walking on each day.", "SELECT day, COUNT(*) FROM walks GROUP BY day"),
    # the counted phrase names the table read: "train stations" counted from station
    ("How many train stations are there?", "SELECT count(*) FROM station"),
    # nothing counted, or not a table's name
    ("Which dogs does Ann own?", "SELECT dogs.name FROM dogs JOIN owners USING (owner_id) WHERE owners.name = 'Ann'"),
    ("How many times was Rex treated?", "SELECT COUNT(*) FROM owners"),
    # no count in the query
    ("How many dogs are there?", "SELECT name FROM owners"),
    # no table of the schema: SQLite's error says more
    ("How many dogs are there?", "SELECT COUNT(*) FROM dog"),
])
def test_left_alone(kennel, question, sql):
    assert finding(kennel, question, sql) is None


def test_the_check_runs_with_the_others_as_the_repair_turn_gets_it(kennel):
    path, schema = kennel
    found = first_finding(path, "How many dogs are owned by owners older than 20?",
                          "SELECT COUNT(*) FROM owners WHERE age > 20", schema)
    assert found and found[0] == "count"
