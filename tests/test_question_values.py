"""question_values: a value the question names that the answer never uses, found on a real SQLite file."""

from datetime import date

import pytest
from nichelm.assistant import question_values
from nichelm.assistant.question_values import (
    named_days,
    named_values,
    unused_question_date,
    unused_question_value,
    unused_question_year,
)
from nichelm.assistant.schema import read_schema

SHOP = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, country TEXT, code TEXT);
CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, total REAL);
CREATE TABLE awards (id INTEGER PRIMARY KEY, result TEXT);
INSERT INTO customers VALUES (1, 'Ana Lima', 'Brazil', 'BR'), (2, 'Joe Smith', 'United States', 'USA'),
                             (3, 'Li Wei', 'Brazil', 'AND');
INSERT INTO categories VALUES (1, 'Board Games'), (2, 'Games'), (3, 'country');
INSERT INTO orders VALUES (1, 1, 'cancelled', 10), (2, 1, 'shipped', 20), (3, 2, 'shipped', 5);
INSERT INTO awards VALUES (1, 'Nominated'), (2, 'Won');
"""


@pytest.fixture
def shop(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "shop.sqlite", SHOP))
    return path, read_schema(path)


def finding(shop, question, sql):
    path, schema = shop
    return unused_question_value(path, question, sql, schema)


def test_a_named_value_the_query_never_uses_is_reported_with_its_column(shop):
    why = finding(shop, "List customers in Brazil whose average order is above 10.",
                  "SELECT name FROM customers JOIN orders ON orders.customer_id = customers.id GROUP BY customers.id "
                  "HAVING AVG(total) > 10")
    assert why and "'Brazil' (a value of customers.country)" in why and "never uses it" in why


def test_a_query_that_uses_the_value_anywhere_passes(shop):
    q = "List customers in Brazil."
    assert finding(shop, q, "SELECT name FROM customers WHERE country = 'Brazil'") is None
    assert finding(shop, q, "SELECT name FROM customers WHERE country LIKE '%brazil%'") is None
    assert finding(shop, "How many orders were cancelled or shipped?",
                   "SELECT COUNT(*) FROM orders WHERE status IN ('cancelled', 'shipped')") is None


def test_every_missing_value_is_listed(shop):
    why = finding(shop, "Show the number of cancelled orders next to the number of shipped orders.",
                  "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'")
    assert why and "'shipped' (a value of orders.status)" in why and "'cancelled'" not in why
    both = finding(shop, "Cancelled orders of customers in Brazil?", "SELECT * FROM orders")
    assert both and "'cancelled'" in both and "'Brazil'" in both and "them" in both


def test_a_query_that_tests_the_column_with_another_value_is_told_which_to_write(shop):
    why = finding(shop, "How many shipped orders are there?", "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'")
    assert why == ("the question names 'shipped' (a value of orders.status), but the query compares status with "
                   "'cancelled', which the question does not name: compare status with 'shipped' instead")
    aliased = finding(shop, "Shipped orders of Brazil?", "SELECT o.id FROM orders o JOIN customers c ON "
                      "c.id = o.customer_id WHERE 'Brazil' = c.country AND o.status IN ('cancelled')")
    assert aliased and "compares o.status with 'cancelled'" in aliased and "with 'shipped' instead" in aliased
    # a value the question names too is not a swap: the usual finding says what is missing
    named = finding(shop, "Of the cancelled orders, how many were shipped?",
                    "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'")
    assert named and "never uses it" in named
    # another column's value is not a swap either
    other = finding(shop, "How many shipped orders?", "SELECT COUNT(*) FROM orders JOIN customers ON "
                    "customers.id = orders.customer_id WHERE customers.country = 'Brazil'")
    assert other and "never uses it" in other


def test_letter_case_rules(shop):
    # one word is matched as the data writes it: "nominated" is a verb here, 'Nominated' a stored value
    assert finding(shop, "Who was nominated most often?", "SELECT 1") is None
    assert finding(shop, "How many awards are Nominated?", "SELECT COUNT(*) FROM awards")
    # a word in capitals only must be in capitals in the question: 'AND' is a code, "and" a word
    assert finding(shop, "Customers and orders?", "SELECT 1") is None
    assert finding(shop, "Which customers have the code USA?", "SELECT name FROM customers")
    # several words ignore letter case; the first word of a question may be capitalised
    assert finding(shop, "How many customers live in the united states?", "SELECT COUNT(*) FROM customers")
    assert finding(shop, "Shipped orders, please.", "SELECT * FROM orders")


def test_a_value_inside_a_longer_named_value_does_not_count_alone(shop):
    path, schema = shop
    assert [v.value for v in named_values(path, "Products in Board Games?", schema)] == ["Board Games"]
    assert finding(shop, "Products in Board Games?", "SELECT * FROM categories WHERE name = 'Board Games'") is None


def test_names_of_tables_and_columns_and_many_valued_columns_are_not_values(shop, tmp_path, sqlite_file):
    # 'country' is a category's name but also a column's: a question about countries does not name it
    assert finding(shop, "Which country has most customers?", "SELECT country FROM customers") is None
    rows = ",".join(f"({i}, 'Person {i}')" for i in range(question_values.MAX_DISTINCT + 5))
    path = str(sqlite_file(tmp_path / "people.sqlite",
                           f"CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO people VALUES {rows};"))
    assert unused_question_value(path, "Is Person 7 here?", "SELECT 1", read_schema(path)) is None


def test_values_are_read_again_after_the_file_changes_at_most_every_few_seconds(shop, monkeypatch):
    import sqlite3

    path, _ = shop
    assert finding(shop, "Customers in Peru?", "SELECT 1") is None
    con = sqlite3.connect(path)
    con.execute("INSERT INTO customers VALUES (4, 'Rosa Diaz', 'Peru', 'PE')")
    con.commit()
    con.close()
    # read a moment ago: a file written all the time is not read again for every question
    assert finding(shop, "Customers in Peru?", "SELECT 1") is None
    monkeypatch.setattr(question_values, "REREAD_AFTER_S", 0.0)
    assert finding(shop, "Customers in Peru?", "SELECT 1")


def test_an_unreadable_database_gives_no_finding(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all, just text")
    from nichelm.assistant.schema import Schema

    assert unused_question_value(str(bad), "Customers in Brazil?", "SELECT 1", Schema(tables=())) is None


def test_an_evaluation_can_leave_a_check_out(monkeypatch):
    from nichelm.assistant import answer_checks

    monkeypatch.setattr(answer_checks, "CHECKS", dict(answer_checks.CHECKS))
    before = list(answer_checks.CHECKS)
    assert {"question", "join", "literal", "fanout"} <= set(before)
    answer_checks.disable(["question", "join"])
    assert list(answer_checks.CHECKS) == [name for name in before if name not in ("question", "join")]
    with pytest.raises(ValueError, match="no such answer check: nope"):
        answer_checks.disable(["nope"])


DATED = """
CREATE TABLE members (id INTEGER PRIMARY KEY, joined_on TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, placed_at TEXT, total REAL);
CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id), qty INTEGER);
CREATE TABLE bands (id INTEGER PRIMARY KEY, name TEXT, formed INTEGER);
INSERT INTO orders VALUES (1, '2024-03-01', 10), (2, '2025-01-09', 20);
INSERT INTO bands VALUES (1, 'Ash', 1999);
"""


def test_a_named_year_the_query_never_uses_is_reported_with_the_dated_columns(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "dated.sqlite", DATED))
    schema = read_schema(path)
    why = unused_question_year(path, "In 2025, how many orders had a total of at least 15?",
                               "SELECT COUNT(*) FROM orders WHERE total >= 15", schema)
    assert why and why.startswith("the question names the year 2025, but the query never uses it")
    assert "strftime('%Y', orders.placed_at) = '2025'" in why  # the table the query reads
    # a query on a table without dates: the example is the date one foreign key away, not the schema's first
    lines = unused_question_year(path, "In 2025, how many orders had 2 or more lines?",
                                 "SELECT COUNT(*) FROM (SELECT order_id FROM lines GROUP BY order_id HAVING COUNT(*) >= 2)",
                                 schema)
    assert "strftime('%Y', orders.placed_at) = '2025'" in lines and "joining its table" in lines
    assert "members.joined_on" in lines  # still listed, after it
    both = unused_question_year(path, "Orders of 2024 and of 2025?", "SELECT * FROM orders", schema)
    assert "years 2024 and 2025" in both and "never uses them" in both
    # written anywhere (a date literal, a LIKE pattern, a number) is used
    for sql in ("SELECT COUNT(*) FROM orders WHERE placed_at >= '2025-01-01'",
                "SELECT COUNT(*) FROM orders WHERE placed_at LIKE '2025%'",
                "SELECT COUNT(*) FROM orders WHERE strftime('%Y', placed_at) = '2025'"):
        assert unused_question_year(path, "How many orders in 2025?", sql, schema) is None
    # not a year: money, a decade, part of a word or a code
    for question in ("Orders above $2000?", "Bands of the 1990s?", "Orders of client X2025?"):
        assert unused_question_year(path, question, "SELECT * FROM orders", schema) is None, question
    # the year as the data writes it in a column named for it
    assert "bands.formed" not in why and unused_question_year(
        path, "Bands formed in 1999?", "SELECT name FROM bands WHERE formed = 1999", schema) is None


def test_a_named_year_on_a_schema_without_dates_is_left_alone(shop):
    path, schema = shop
    assert unused_question_year(path, "Customers who joined in 2020?", "SELECT name FROM customers", schema) is None


def test_the_year_check_runs_with_the_others_as_the_repair_turn_gets_it(tmp_path, sqlite_file):
    from nichelm.assistant.answer_checks import first_finding

    path = str(sqlite_file(tmp_path / "dated.sqlite", DATED))
    found = first_finding(path, "How many orders were placed in 2024?", "SELECT COUNT(*) FROM orders", read_schema(path))
    assert found and found[0] == "year" and "2024" in found[1]


def test_named_days_are_read_in_the_ways_questions_write_them():
    assert named_days("hired between November 5th, 2007 and 7th September, 1987, or on 2002-06-21 or Oct 23, 2010 "
                      "or 3 of May 2001; not on February 30, 2020") == [
        date(2007, 11, 5), date(1987, 9, 7), date(2002, 6, 21), date(2010, 10, 23), date(2001, 5, 3)]
    assert named_days("Orders of 2024 above $2000 in March?") == []


def test_a_named_day_the_query_never_writes_is_reported_with_the_range_to_test(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "dated.sqlite", DATED))
    schema = read_schema(path)
    q = "What was the total of orders placed between August 1, 2022 and October 31, 2022?"
    why = unused_question_date(path, q, "SELECT SUM(total) FROM orders WHERE strftime('%Y', placed_at) = '2022'",
                               schema)
    assert why == ("the question names the days 2022-08-01 and 2022-10-31, but the query never compares a date "
                   "with them: test the date column the question means against them (for instance "
                   "orders.placed_at >= '2022-08-01' AND orders.placed_at < '2022-11-01', which keeps the whole of "
                   "the last day)")
    # a list of months that skips one between the two days
    gap = unused_question_date(path, q, "SELECT SUM(total) FROM orders WHERE strftime('%Y-%m', placed_at) IN "
                               "('2022-08', '2022-10')", schema)
    assert gap and "leaves out 2022-09, which lies between them" in gap
    # the day, the day after it, its month (a day that starts or ends one), every month listed: written
    for sql in ("SELECT SUM(total) FROM orders WHERE placed_at BETWEEN '2022-08-01' AND '2022-10-31'",
                "SELECT SUM(total) FROM orders WHERE placed_at >= '2022-08-01' AND placed_at < '2022-11-01'",
                "SELECT SUM(total) FROM orders WHERE strftime('%Y-%m', placed_at) BETWEEN '2022-08' AND '2022-10'",
                "SELECT SUM(total) FROM orders WHERE strftime('%Y-%m', placed_at) IN ('2022-08', '2022-09', '2022-10')"):
        assert unused_question_date(path, q, sql, schema) is None, sql
    # a day inside a month is not its month
    assert unused_question_date(path, "Orders placed on August 9, 2022?",
                                "SELECT * FROM orders WHERE strftime('%Y-%m', placed_at) = '2022-08'", schema)


def test_a_named_day_on_a_schema_without_iso_dates_is_left_alone(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "us.sqlite", "CREATE TABLE orders (id INTEGER PRIMARY KEY, placed_at TEXT);"
                                                    "INSERT INTO orders VALUES (1, '08/01/2022');"))
    assert unused_question_date(path, "Orders placed on August 1, 2022?", "SELECT * FROM orders WHERE "
                                "placed_at = '08/01/2022'", read_schema(path)) is None
