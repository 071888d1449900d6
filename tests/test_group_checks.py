"""Grouped queries that return a column from an arbitrary row of each group, on a real schema."""

import pytest
from nichelm.assistant.group_checks import ungrouped_column
from nichelm.assistant.schema import read_schema
from nichelm.assistant.service import _failure


@pytest.fixture
def shop(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT UNIQUE, price REAL, brand TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, placed TEXT);
        CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id),
                                  product_id INTEGER REFERENCES products(id), quantity INTEGER);
        CREATE TABLE notes (product_id INTEGER, body TEXT);
        INSERT INTO products VALUES (1, 'Tent', 90, 'Acme'), (2, 'Stove', 40, 'Acme');
        INSERT INTO orders VALUES (1, '2024-01-02');
        INSERT INTO order_items VALUES (1, 1, 1, 2), (2, 1, 1, 5), (3, 1, 2, 1);
    """))


def test_a_column_the_groups_do_not_determine(shop):
    schema = read_schema(shop)
    problem = ungrouped_column("SELECT products.name, order_items.quantity FROM products JOIN order_items ON "
                               "order_items.product_id = products.id GROUP BY products.name", schema)
    assert problem and problem.startswith("order_items.quantity is neither grouped on nor inside an aggregate")
    # an alias and an unqualified column resolve to their table
    assert ungrouped_column("SELECT p.name, quantity FROM products p JOIN order_items oi ON oi.product_id = p.id "
                            "GROUP BY p.id", schema)
    # SQLite's own answer for it to the repair turn, through the one place that decides
    sql = "SELECT products.name, order_items.quantity FROM products JOIN order_items ON order_items.product_id = " \
          "products.id GROUP BY products.id"
    assert "arbitrary row" in _failure(sql, [], shop, schema)


def test_what_the_groups_determine_or_sqlite_defines(shop):
    schema = read_schema(shop)
    for sql in (
        # aggregated, or grouped on
        ("SELECT products.name, SUM(order_items.quantity) FROM products JOIN order_items ON "
        "order_items.product_id = products.id GROUP BY products.name"),
        # a product's other columns, once its key or a unique column is grouped on
        ("SELECT products.price, COUNT(*) FROM products JOIN order_items ON order_items.product_id = products.id "
        "GROUP BY products.name"),
        # the order a line's order_id joins: grouping on the line's key determines it
        "SELECT orders.placed FROM order_items JOIN orders ON order_items.order_id = orders.id GROUP BY order_items.id",
        # a column of a table with a grouped column is left alone (Spider's answers do this with names)
        "SELECT brand, price FROM products GROUP BY brand",
        # one MIN or MAX: SQLite takes the other columns from that row
        ("SELECT products.name, order_items.quantity, MAX(order_items.quantity) FROM products JOIN order_items "
        "ON order_items.product_id = products.id GROUP BY products.id"),
        # grouped on the projection itself, by alias or as written; by position
        "SELECT substr(orders.placed, 1, 4) AS y, COUNT(*) FROM orders GROUP BY y",
        "SELECT substr(orders.placed, 1, 4), COUNT(*) FROM orders GROUP BY substr(orders.placed, 1, 4)",
        ("SELECT products.name, order_items.quantity FROM products JOIN order_items ON "
        "order_items.product_id = products.id GROUP BY 1"),
        # inside a window function or a subquery; no GROUP BY at all
        "SELECT products.name, (SELECT MAX(quantity) FROM order_items) FROM products GROUP BY products.id",
        "SELECT name FROM products",
        "SELECT nonsense FROM",
    ):
        assert ungrouped_column(sql, schema) is None, sql
    # a table with no declared key: any of its columns the groups determine counts as identifying a row
    assert ungrouped_column("SELECT notes.body FROM products JOIN notes ON notes.product_id = products.id "
                            "GROUP BY products.id", schema) is None
