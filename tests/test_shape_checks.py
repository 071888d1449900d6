"""Query shapes that give a wrong answer whatever the data: a set operation on two aggregates, IS NULL on a
column the inner joins keep non-NULL, an EXCEPT whose first part is its second filtered more, and a row test
that repeats the HAVING's threshold on a SUM or AVG (and its fix); on a real schema."""

import pytest
from nichelm.assistant.schema import read_schema
from nichelm.assistant.service import _failure
from nichelm.assistant.shape_checks import shape_problem, without_row_test
from nichelm.assistant.sqlite_io import execute_readonly


@pytest.fixture
def shop(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, country TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             placed TEXT, note TEXT);
        CREATE TABLE staff (code TEXT PRIMARY KEY, boss TEXT);
        INSERT INTO customers VALUES (1, 'a@x', 'France'), (2, 'b@x', NULL), (3, 'c@x', 'Spain');
        INSERT INTO orders VALUES (1, 1, '2022-05-01', NULL), (2, 1, '2025-01-09', 'gift'), (3, 3, '2022-02-02', NULL);
    """))


def test_a_set_operation_on_two_aggregates(shop):
    schema = read_schema(shop)
    sql = ("SELECT COUNT(DISTINCT customer_id) FROM orders WHERE substr(placed, 1, 4) = '2022' INTERSECT "
           "SELECT COUNT(DISTINCT customer_id) FROM orders WHERE substr(placed, 1, 4) = '2025'")
    problem = shape_problem(sql, schema)
    assert problem and problem.startswith("INTERSECT is applied to two aggregate values")
    assert shape_problem(sql.replace("INTERSECT", "EXCEPT"), schema).startswith("EXCEPT is applied")
    # the one place that decides, as the repair turn gets it
    assert "compares the two numbers" in _failure(sql, [], shop, schema)


def test_a_row_test_beside_the_same_threshold_on_its_sum_and_its_fix(shop):
    schema = read_schema(shop)
    sql = ("SELECT c.email FROM customers AS c JOIN orders AS o ON o.customer_id = c.id "
           "WHERE o.id > 1 AND c.country = 'France' GROUP BY c.id HAVING SUM(o.id) > 1")
    problem = shape_problem(sql, schema)
    assert problem and problem.startswith("the WHERE clause keeps only rows with o.id > 1, and the HAVING clause "
                                          "tests SUM(o.id) > 1 against the same number")
    assert problem.endswith("remove o.id > 1 from the WHERE clause")
    fixed = without_row_test(sql, schema)
    assert fixed == ("SELECT c.email FROM customers AS c JOIN orders AS o ON o.customer_id = c.id "
                     "WHERE c.country = 'France' GROUP BY c.id HAVING SUM(o.id) > 1")
    # customer 1 has orders 1 and 2: together 3, but only order 2 passes the row test
    def run(q):
        return execute_readonly(shop, q).rows

    assert run(sql) == [("a@x",)] and run(fixed) == [("a@x",)]
    assert run(sql.replace("> 1", ">= 3")) == [] and run(fixed.replace("> 1", ">= 3")) == [("a@x",)]
    # AVG the same; a WHERE of the one test goes entirely; the other SELECT of a query is not touched
    avg = "SELECT customer_id FROM orders WHERE id >= 2 GROUP BY customer_id HAVING AVG(id) >= 2.0"
    assert shape_problem(avg, schema) and without_row_test(avg, schema) == (
        "SELECT customer_id FROM orders GROUP BY customer_id HAVING AVG(id) >= 2.0")
    assert without_row_test("SELECT email FROM customers", schema) is None


def test_a_null_test_the_inner_join_makes_always_false(shop):
    schema = read_schema(shop)
    base = "SELECT customers.email FROM customers JOIN orders ON orders.customer_id = customers.id WHERE "
    problem = shape_problem(base + "customers.country = 'Spain' AND orders.id IS NULL", schema)
    assert problem and problem.startswith("orders.id IS NULL keeps no row: orders.id is the INTEGER PRIMARY KEY")
    assert "LEFT JOIN" in problem
    # a column the join condition ties, under an alias; a column declared NOT NULL
    assert "compared with =" in shape_problem(
        "SELECT c.email FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.customer_id IS NULL", schema)
    assert "NOT NULL" in shape_problem("SELECT id FROM customers WHERE email IS NULL", schema)


def test_an_except_whose_first_part_is_its_second_filtered_more(shop):
    schema = read_schema(shop)
    joined = "SELECT customers.email FROM customers JOIN orders ON customers.id = orders.customer_id"
    for sql in (f"{joined} WHERE customers.country = 'Spain' EXCEPT {joined}",
                (f"{joined} WHERE customers.country = 'Spain' AND orders.note IS NULL EXCEPT {joined} "
                 "WHERE orders.note IS NULL"),
                f"{joined} EXCEPT {joined}"):
        problem = shape_problem(sql, schema)
        assert problem and problem.startswith("EXCEPT removes every row here"), sql
        assert "NOT EXISTS" in problem
        # the database agrees: whatever the rows, nothing is left
        assert execute_readonly(shop, sql).rows == []
    # as the repair turn gets it
    assert "always empty" in _failure(f"{joined} EXCEPT {joined}", [], shop, schema)


@pytest.mark.parametrize("sql", [
    # customers without orders, written right: the first part from customers alone
    ("SELECT email FROM customers WHERE country = 'Spain' EXCEPT "
     "SELECT customers.email FROM customers JOIN orders ON customers.id = orders.customer_id"),
    # the second part filtered more than the first, or on another condition: rows can be left
    ("SELECT customers.email FROM customers JOIN orders ON customers.id = orders.customer_id EXCEPT "
     "SELECT customers.email FROM customers JOIN orders ON customers.id = orders.customer_id WHERE orders.note IS NULL"),
    ("SELECT email FROM customers WHERE country = 'Spain' EXCEPT SELECT email FROM customers WHERE country IS NULL"),
    # the anti-join written right, and its other forms
    "SELECT customers.email FROM customers LEFT JOIN orders ON orders.customer_id = customers.id WHERE orders.id IS NULL",
    "SELECT email FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)",
    # a column that can be NULL even in joined rows; a test on one side of an OR; IS NOT NULL
    "SELECT customers.email FROM customers JOIN orders ON orders.customer_id = customers.id WHERE orders.note IS NULL",
    ("SELECT customers.email FROM customers JOIN orders ON orders.customer_id = customers.id "
     "WHERE orders.id IS NULL OR customers.country IS NULL"),
    "SELECT email FROM customers WHERE country IS NULL",
    "SELECT email FROM customers WHERE id IS NOT NULL",
    # a text PRIMARY KEY may hold NULL in SQLite: left alone
    "SELECT boss FROM staff WHERE code IS NULL",
    # set operations on rows, counted afterwards; a UNION of two counts lists both numbers
    ("SELECT COUNT(*) FROM (SELECT customer_id FROM orders WHERE placed < '2023' INTERSECT "
     "SELECT customer_id FROM orders WHERE placed > '2024')"),
    "SELECT COUNT(*) FROM orders WHERE placed < '2023' UNION SELECT COUNT(*) FROM orders WHERE placed > '2024'",
    # grouped aggregates or a bare column beside the aggregate are per-row values
    ("SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id INTERSECT "
     "SELECT customer_id, COUNT(*) FROM orders WHERE note IS NULL GROUP BY customer_id"),
    # a row threshold other than the sum's, or on another column, or below it, is the question's own
    "SELECT customer_id FROM orders WHERE id > 1 GROUP BY customer_id HAVING SUM(id) > 5",
    "SELECT customer_id FROM orders WHERE customer_id > 1 GROUP BY customer_id HAVING SUM(id) > 1",
    "SELECT customer_id FROM orders WHERE id < 3 GROUP BY customer_id HAVING SUM(id) > 3",
    "SELECT customer_id FROM orders WHERE id > 1 GROUP BY customer_id HAVING MAX(id) > 1",
])
def test_shapes_left_alone(shop, sql):
    assert shape_problem(sql, read_schema(shop)) is None
