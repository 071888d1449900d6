"""Text tests that the data makes always false: found on a real SQLite file, and sent to repair."""

import pytest
from nichelm.assistant.literal_checks import always_false_literal, wrong_case_fix
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


def test_a_value_in_the_wrong_letter_case_is_written_as_the_data_spells_it(shop):
    from nichelm.assistant.answer_checks import first_finding, known_fix

    schema = read_schema(shop)
    sql = "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status IN ('shipped', 'paid')"
    found = first_finding(shop, "Who has shipped or paid orders?", sql, schema)
    assert found and found[0] == "literal"  # as the service gets it: the check's name, then the known fix
    fixed = known_fix("literal", shop, "Who has shipped or paid orders?", sql, schema)
    assert fixed == ("SELECT c.name FROM customers AS c JOIN orders AS o ON o.customer_id = c.id "
                     "WHERE o.status IN ('Shipped', 'paid')")
    assert always_false_literal(shop, fixed, schema) is None
    assert wrong_case_fix(shop, "SELECT id FROM customers WHERE name = 'o''neil'", schema) == (
        "SELECT id FROM customers WHERE name = 'O''Neil'")


def test_no_spelling_is_guessed(shop, tmp_path, sqlite_file):
    schema = read_schema(shop)
    for sql in ("SELECT id FROM orders WHERE status = 'refunded'",  # in no letter case
                "SELECT id FROM orders WHERE status = 'null'",  # the text 'null' for SQL NULLs: no single spelling
                "SELECT id FROM orders WHERE status = 'Shipped'"):  # already right
        assert wrong_case_fix(shop, sql, schema) is None, sql
    two = str(sqlite_file(tmp_path / "two.sqlite", "CREATE TABLE t (s TEXT); INSERT INTO t VALUES ('Ab'), ('AB');"))
    assert always_false_literal(two, "SELECT * FROM t WHERE s = 'ab'", read_schema(two))  # found ...
    assert wrong_case_fix(two, "SELECT * FROM t WHERE s = 'ab'", read_schema(two)) is None  # ... but which one?


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


@pytest.fixture
def store(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "store.sqlite", """
        CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT, parent_id INTEGER REFERENCES categories(id));
        INSERT INTO categories VALUES (1, 'Outdoors', NULL), (2, 'Camping', 1);
        CREATE TABLE products (id INTEGER PRIMARY KEY, name VARCHAR(40), category_id INTEGER REFERENCES categories(id),
                               code CHAR(3));
        INSERT INTO products VALUES (1, 'Tent', 2, 'TNT'), (2, 'Stove', 2, 'STV');
        CREATE TABLE stock (product_code CHAR(3) REFERENCES products(code), qty INTEGER, site);
        INSERT INTO stock VALUES ('TNT', 4, 'North');
    """))


def test_a_value_of_another_column(store):
    schema = read_schema(store)
    problem = always_false_literal(store, "SELECT name FROM products WHERE name = 'Camping'", schema)
    assert problem == ("no row of products has name = 'Camping', but 'Camping' is a value of categories.name: "
                       "compare that column with it instead (joining its table if the query does not have it yet)")
    # an INTEGER column compared with a text: the text is still looked for elsewhere; untyped columns count
    problem = always_false_literal(store, "SELECT name FROM products p WHERE p.category_id = 'North'", schema)
    assert problem and "stock.site" in problem
    assert "categories.name" in _failure("SELECT id FROM products WHERE name = 'Camping'", [], store, schema)


def test_values_elsewhere_that_are_fair_empty_answers(store):
    schema = read_schema(store)
    for sql in ("SELECT qty FROM stock WHERE product_code = 'STV'",  # a code its foreign key allows: none in stock
                "SELECT name FROM products WHERE name = 'Kayak'",  # nowhere at all
                "SELECT name FROM products WHERE name = 'Tent'",  # there
                "SELECT name FROM products WHERE name LIKE 'Camping'"):  # LIKE is left alone
        assert always_false_literal(store, sql, schema) is None, sql
