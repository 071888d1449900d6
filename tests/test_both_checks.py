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


COUNTED = ("SELECT customers.name FROM customers JOIN orders ON orders.customer_id = customers.id "
           "WHERE strftime('%Y', orders.placed) IN ('2023', '2024') GROUP BY customers.id HAVING COUNT(*) = 2")


def test_rows_counted_where_the_different_values_are_meant_are_found_and_fixed(shop, tmp_path, sqlite_file):
    from nichelm.assistant.answer_checks import first_finding, known_fix
    from nichelm.assistant.both_checks import distinct_values_fix, rows_counted_for_values

    # Bob's second 2023 order makes two rows of one year; Ann has both years
    con_path = str(sqlite_file(tmp_path / "more.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), placed TEXT);
        INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob');
        INSERT INTO orders VALUES (1, 1, '2023-02-01'), (2, 1, '2024-03-01'), (3, 2, '2023-05-05'), (4, 2, '2023-06-06');
    """))
    why = rows_counted_for_values(con_path, COUNTED)
    assert why and why.startswith("COUNT(*) = 2 counts the rows whose STRFTIME('%Y', orders.placed) is one of the 2 "
                                  "listed values, not the different values")
    assert why.endswith("test COUNT(DISTINCT STRFTIME('%Y', orders.placed)) = 2 instead")
    fixed = distinct_values_fix(COUNTED)
    assert fixed and "HAVING COUNT(DISTINCT STRFTIME('%Y', orders.placed)) = 2" in fixed
    assert sorted(r[0] for r in execute_readonly(con_path, COUNTED).rows) == ["Ann", "Bob"]
    assert [r[0] for r in execute_readonly(con_path, fixed).rows] == ["Ann"]
    found = first_finding(con_path, "Who ordered in 2023 and in 2024?", COUNTED, read_schema(con_path))
    assert found and found[0] == "distinct" and known_fix("distinct", con_path, "", COUNTED, read_schema(con_path)) == fixed
    # >= N is the same slip
    assert rows_counted_for_values(con_path, COUNTED.replace("= 2", ">= 2"))
    # where every group has one row per value the count is right on this data: left alone
    assert rows_counted_for_values(shop, COUNTED) is None


@pytest.mark.parametrize("sql", [
    COUNTED.replace("COUNT(*)", "COUNT(DISTINCT strftime('%Y', orders.placed))"),
    COUNTED.replace("= 2", "= 3"),  # another number than the list's length
    COUNTED.replace("= 2", "> 1"),
    COUNTED.replace(" IN ('2023', '2024')", " = '2023'"),
])
def test_counts_left_alone(tmp_path, sqlite_file, sql):
    from nichelm.assistant.both_checks import distinct_values_fix, rows_counted_for_values

    path = str(sqlite_file(tmp_path / "more.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), placed TEXT);
        INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob');
        INSERT INTO orders VALUES (1, 1, '2023-02-01'), (2, 1, '2024-03-01'), (3, 2, '2023-05-05'), (4, 2, '2023-06-06'),
                                  (5, 2, '2023-07-07');
    """))
    assert rows_counted_for_values(path, sql) is None
    if "DISTINCT" not in sql and " IN " not in sql:
        assert distinct_values_fix(sql) is None
