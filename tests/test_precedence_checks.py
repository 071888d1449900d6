"""Two choices of one column beside another condition without parentheses (assistant/precedence_checks.py): found
on the forms people and models write, never on parenthesised or unrelated ORs, the parenthesised fix it proposes
returns what the question means on a real file, and a .sql document gets it as a warning over the OR."""

import pytest
from nichelm.assistant.precedence_checks import unparenthesised_choices
from nichelm.assistant.sqlite_io import execute_readonly
from nichelm.lsp.diagnostics import document_problems

LOOSE = ("SELECT DISTINCT p.name FROM p JOIN r ON r.pid = p.id WHERE r.rating = 1 OR r.rating = 2 "
         "AND strftime('%Y', r.created) = '2022'")


@pytest.fixture
def db(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "r.sqlite", """
        CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE r (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id), rating INTEGER, created TEXT);
        INSERT INTO p VALUES (1, 'lamp'), (2, 'desk'), (3, 'mug');
        INSERT INTO r VALUES (1, 1, 1, '2021-03-01'), (2, 2, 2, '2022-04-01'), (3, 3, 1, '2022-06-01');
    """))


def test_the_condition_beside_the_second_choice_is_found_and_the_fix_means_both(db):
    why = unparenthesised_choices(LOOSE)
    assert why and why.startswith("AND binds tighter than OR")
    fixed = why.rsplit("put the choices in parentheses: ", 1)[1]
    assert fixed == "(r.rating = 1 OR r.rating = 2) AND STRFTIME('%Y', r.created) = '2022'"
    loose = {r[0] for r in execute_readonly(db, LOOSE).rows}
    meant = {r[0] for r in execute_readonly(db, LOOSE.split("WHERE")[0] + "WHERE " + fixed).rows}
    assert loose == {"lamp", "desk", "mug"} and meant == {"desk", "mug"}  # the 2021 one-star review is gone


@pytest.mark.parametrize("sql", [
    "SELECT a FROM t WHERE x = 'F' AND y = 'Milk' OR y = 'Eggs'",  # the condition before the first choice
    "SELECT a FROM t WHERE y IN (1, 2) OR y = 3 AND z > 1",
    "SELECT a FROM t WHERE t.y LIKE 'a%' OR t.y LIKE 'b%' AND t.z = 1",
])
def test_other_forms_of_the_same_shape(sql):
    assert unparenthesised_choices(sql)


@pytest.mark.parametrize("sql", [
    "SELECT a FROM t WHERE (y = 1 OR y = 2) AND z = 3",
    "SELECT a FROM t WHERE y = 1 OR (y = 2 AND z = 3)",  # the reading written out: kept
    "SELECT a FROM t WHERE y IN (1, 2) AND z = 3",
    "SELECT a FROM t WHERE x = 1 OR y = 2 AND z = 3",  # two different columns: not choices of one
    "SELECT a FROM t WHERE y = 1 OR y = 2",
    "not sql at all (",
])
def test_nothing_is_found_where_the_reading_is_plain(sql):
    assert unparenthesised_choices(sql) is None


def test_a_document_gets_a_warning_over_the_or_and_nothing_for_broken_or_ddl_statements():
    doc = ("SELECT a FROM t WHERE y = 'x' OR y = 'z' AND n > 1;\n"
           "SELECT a FROM t WHERE (y = 'x' OR y = 'z') AND n > 1;\n"
           "SELECT a FROM t WHERE y = 1 OR y = 2 AND;\n"
           "CREATE TABLE u AS SELECT a FROM t WHERE y = 1 OR y = 2 AND n = 3;\n")
    got = [(p.kind, p.severity, doc[p.start:p.end]) for p in document_problems(doc, None)]
    assert got[0] == ("precedence", "warning", "OR") and doc.index(" OR ") + 1 == document_problems(doc, None)[0].start
    assert [k for k, _, _ in got] == ["precedence", "syntax"], got


def test_the_warning_sits_on_the_or_of_the_choices_not_on_an_earlier_one():
    sql = "SELECT a FROM t WHERE (b = 1 OR c = 2) AND (t.y = 'x' or T.Y = 'z' AND n > 1)  -- an OR"
    p = document_problems(sql, None)[0]
    assert p.kind == "precedence" and sql[p.start:p.end] == "or" and sql[p.end:].startswith(" T.Y")
