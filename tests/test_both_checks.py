""""Both" answered as "either" (assistant/both_checks.py), on a real file: found for an IN list or an OR of one
expression's values that a "both" question names, its proposed INTERSECT returns the customers with rows of each,
and left alone where the query already intersects or counts distinct values, or the question says no "both"."""

import pytest
from nichelm.assistant.both_checks import either_for_both
from nichelm.assistant.schema import read_schema
from nichelm.assistant.sqlite_io import execute_readonly

BOTH = "Which customers ordered in both 2023 and 2024?"
FROM = "SELECT DISTINCT customers.name FROM customers JOIN orders ON orders.customer_id = customers.id WHERE "
EITHER = FROM + "strftime('%Y', orders.placed) IN ('2023', '2024')"


@pytest.fixture
def shop(tmp_path, sqlite_file):
    return str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), placed TEXT);
        INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy');
        INSERT INTO orders VALUES (1, 1, '2023-02-01'), (2, 1, '2024-03-01'), (3, 2, '2023-05-05'), (4, 3, '2024-09-09');
    """))


def test_either_is_found_and_the_intersection_it_proposes_means_both(shop):
    schema = read_schema(shop)
    why = either_for_both(shop, BOTH, EITHER, schema)
    assert why and "keeps rows of either value" in why
    assert sorted(r[0] for r in execute_readonly(shop, EITHER).rows) == ["Ann", "Bob", "Cy"]
    proposed = why.split("intersect the two sets: ", 1)[1].split(" (or", 1)[0]
    first, second = (part.split(" WHERE ", 1)[1] for part in proposed.split(" INTERSECT "))
    both = FROM + first + " INTERSECT " + FROM + second
    assert [r[0] for r in execute_readonly(shop, both).rows] == ["Ann"]
    assert either_for_both(shop, BOTH, FROM + "orders.placed LIKE '2023%' OR strftime('%Y', orders.placed) = '2023' "
                                             "OR strftime('%Y', orders.placed) = '2024'", schema) is None  # two things
    assert either_for_both(shop, BOTH, FROM + "strftime('%Y', orders.placed) = '2023' OR "
                                             "strftime('%Y', orders.placed) = '2024'", schema)


@pytest.mark.parametrize(("question", "sql"), [
    ("Which customers ordered in 2023 or 2024?", EITHER),  # no "both"
    (BOTH, FROM + "strftime('%Y', orders.placed) = '2023' INTERSECT " + FROM + "strftime('%Y', orders.placed) = '2024'"),
    (BOTH, ("SELECT customers.name FROM customers JOIN orders ON orders.customer_id = customers.id WHERE "
            "strftime('%Y', orders.placed) IN ('2023', '2024') GROUP BY customers.id "
            "HAVING COUNT(DISTINCT strftime('%Y', orders.placed)) = 2")),
    ("Show both the name and the id of customers who ordered in 2023 or 2024.", EITHER),  # the values are not named
    (BOTH, "not sql ("),
])
def test_left_alone(shop, question, sql):
    assert either_for_both(shop, question, sql, read_schema(shop)) is None
