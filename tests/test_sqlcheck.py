import pytest

from nichelm.assistant.errors import NoSQLFound
from nichelm.assistant.sqlcheck import extract_sql, is_read_only, normalise, parse, validate

SCHEMA = {"orders": ["id", "customer_id", "total"], "customers": ["id", "name", "country"]}


@pytest.mark.parametrize("raw, expected", [
    ("SELECT 1", "SELECT 1"),
    ("SELECT name FROM customers;", "SELECT name FROM customers"),
    ("```sql\nSELECT name\nFROM customers\n```", "SELECT name\nFROM customers"),
    ("Sure! Here is the query:\n```\nSELECT 1;\n```\nIt returns 1.", "SELECT 1"),
    ("SELECT name FROM customers; -- the names\nSELECT 2;", "SELECT name FROM customers"),
    ("SELECT ';' AS semi FROM customers; DROP TABLE x", "SELECT ';' AS semi FROM customers"),
    ("The answer is: WITH t AS (SELECT 1) SELECT * FROM t", "WITH t AS (SELECT 1) SELECT * FROM t"),
    ("SELECT count(*) FROM orders\nThis query counts the orders.", "SELECT count(*) FROM orders"),
])
def test_extract_sql(raw, expected):
    assert extract_sql(raw) == expected


@pytest.mark.parametrize("raw", ["", "I don't know.", "Sorry, I cannot help with that"])
def test_extract_sql_without_sql(raw):
    with pytest.raises(NoSQLFound):
        extract_sql(raw)


def test_syntax_error_has_a_position():
    sql = "SELECT name FROM customers WHERE (country = 'FR'"
    [p] = validate(sql, SCHEMA)
    assert p.kind == "syntax"
    assert 0 <= p.start <= len(sql)


def test_unknown_table_and_column_positions():
    sql = "SELECT c.nmae FROM customers AS c JOIN ordrs o ON o.customer_id = c.id"
    problems = validate(sql, SCHEMA)
    kinds = {(p.kind, sql[p.start:p.end]) for p in problems}
    assert ("unknown_column", "nmae") in kinds
    assert ("unknown_table", "ordrs") in kinds


def test_valid_queries_have_no_problems():
    for sql in [
        "SELECT c.name, sum(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id "
        "GROUP BY c.name ORDER BY spent DESC",
        "WITH big AS (SELECT customer_id FROM orders WHERE total > 10) SELECT count(*) FROM big",
        "SELECT name FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)",
        "SELECT x.n FROM (SELECT name AS n FROM customers) AS x",
        "SELECT * FROM customers",
    ]:
        assert validate(sql, SCHEMA) == [], sql


def test_read_only_detection():
    assert is_read_only(parse("SELECT 1")[0])
    assert is_read_only(parse("SELECT 1 UNION SELECT 2")[0])
    assert not is_read_only(parse("DELETE FROM orders")[0])
    assert not is_read_only(parse("UPDATE orders SET total = 0")[0])


def test_normalise_ignores_case_and_spacing():
    a = normalise("select  Name from CUSTOMERS  where id=1")
    b = normalise("SELECT name FROM customers WHERE id = 1;")
    assert a == b
    assert normalise("SELECT name FROM customers") != normalise("SELECT country FROM customers")
