"""Text tests that the data makes always false: found on a real SQLite file, and sent to repair."""

import pytest
from nichelm.assistant.literal_checks import always_false_literal
from nichelm.assistant.schema import read_schema
from nichelm.assistant.service import _failure


@pytest.fixture
def shop(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, Country TEXT);
        INSERT INTO customers VALUES (1, 'Ann', NULL), (2, 'Bo', 'UK'), (3, 'Cy', 'null'), (4, 'O''Neil', 'IE');
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             status TEXT, note TEXT);
        INSERT INTO orders VALUES (1, 1, 'paid', NULL), (2, 2, NULL, 'gift'), (3, 4, 'Shipped', NULL);
    """))


def test_the_text_null_on_a_column_of_sql_nulls(shop):
    schema = read_schema(shop)
    for sql in ("SELECT id FROM orders WHERE status = 'null'",
                "SELECT o.id FROM orders AS o WHERE o.status IN ('null', '')",
                "SELECT id FROM orders WHERE 'NULL' = status",
                'SELECT id FROM orders WHERE status = "null"',  # SQLite reads "null" as a string here
                "SELECT id FROM orders WHERE status LIKE 'null'",
                ("SELECT customers.name FROM customers JOIN orders ON orders.customer_id = customers.id "
                 "WHERE orders.status = 'null'")):
        problem = always_false_literal(shop, sql, schema)
        assert problem and "orders.status" in problem and "IS NULL" in problem, sql


def test_a_value_in_the_wrong_letter_case(shop):
    schema = read_schema(shop)
    problem = always_false_literal(shop, "SELECT id FROM orders WHERE status = 'shipped'", schema)
    assert problem == ("no row of orders has status = 'shipped', but 'Shipped' differs only in letter case "
                       "(= compares text case-sensitively): use the value as the data spells it")
    problem = always_false_literal(shop, "SELECT id FROM customers c WHERE c.name IN ('x', 'o''neil')", schema)
    assert problem and "'O''Neil'" in problem


def test_what_is_left_alone(shop):
    schema = read_schema(shop)
    for sql in ("SELECT id FROM orders WHERE status IS NULL",
                "SELECT id FROM orders WHERE status != 'null'",  # keeps what IS NOT NULL keeps
                "SELECT name FROM customers WHERE country = 'null'",  # this column does hold the text
                "SELECT id FROM orders WHERE note = 'gift'",
                "SELECT id FROM orders WHERE status = 'refunded'",  # absent in any case: an empty answer may be right
                "SELECT id FROM orders WHERE status LIKE 'ship%'",  # LIKE ignores case already
                "SELECT id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE name = 'null'",
                "SELECT nonsense FROM"):
        assert always_false_literal(shop, sql, schema) is None, sql


def test_repair_treats_it_as_a_failure_only_with_a_database(shop):
    schema = read_schema(shop)
    sql = "SELECT id FROM orders WHERE status = 'null'"
    assert "IS NULL" in _failure(sql, [], shop, schema)
    assert _failure("SELECT id FROM orders WHERE status IS NULL", [], shop, schema) is None
    assert _failure(sql, [], None, schema) is None  # no data to look at: the query itself is valid
    assert "no such column" in _failure("SELECT nope FROM orders", [], shop, schema)  # SQLite's error first
