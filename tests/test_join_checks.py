"""join_checks: a foreign key joined to a table it does not refer to, found from the query and a real schema."""

import pytest
from nichelm.assistant.join_checks import mismatched_join
from nichelm.assistant.schema import read_schema

SHOP = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT, parent_id INTEGER REFERENCES categories(id));
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, category_id INTEGER REFERENCES categories(id));
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id),
                          product_id INTEGER REFERENCES products(id));
CREATE TABLE reviews (id INTEGER PRIMARY KEY, product_id INTEGER REFERENCES products(id), stars INTEGER);
CREATE TABLE notes (id INTEGER PRIMARY KEY, order_id INTEGER, text TEXT);
"""


@pytest.fixture
def schema(tmp_path, sqlite_file):
    return read_schema(str(sqlite_file(tmp_path / "shop.sqlite", SHOP)))


@pytest.mark.parametrize("sql, key, other", [
    ("SELECT customers.name FROM customers JOIN products ON products.category_id = customers.id",
     "products.category_id refers to categories.id", "customers.id"),
    ("SELECT c.name FROM customers AS c JOIN orders AS o ON o.customer_id = c.id JOIN products AS p "
     "ON o.customer_id = p.id", "orders.customer_id refers to customers.id", "products.id"),
    # in WHERE, and inside a subquery with its own tables
    ("SELECT name FROM products WHERE id IN (SELECT order_items.id FROM order_items, customers "
     "WHERE order_items.order_id = customers.id)", "order_items.order_id refers to orders.id", "customers.id"),
])
def test_a_key_compared_with_another_tables_key_is_found(schema, sql, key, other):
    why = mismatched_join(sql, schema)
    assert why and key in why and f"compares it with {other}" in why


@pytest.mark.parametrize("sql", [
    # the key with the table it refers to, either way round, aliased or not
    "SELECT * FROM orders JOIN customers ON orders.customer_id = customers.id",
    "SELECT * FROM customers c JOIN orders o ON c.id = o.customer_id",
    # a self-join over the parent key
    "SELECT child.name FROM categories AS child JOIN categories AS parent ON child.parent_id = parent.id",
    # two keys that refer to the same table
    "SELECT * FROM order_items JOIN reviews ON reviews.product_id = order_items.product_id",
    # columns without a declared key, and columns of the same name
    "SELECT * FROM notes JOIN orders ON notes.order_id = orders.id",
    "SELECT * FROM notes JOIN order_items ON notes.order_id = order_items.order_id",
    # not a column equality, or not parsable
    "SELECT * FROM products WHERE category_id = 3",
    "SELECT FROM WHERE",
])
def test_joins_that_follow_the_keys_or_say_nothing_of_them_pass(schema, sql):
    assert mismatched_join(sql, schema) is None
