"""missing_checks: rows a question asks to lack a value, answered without testing it; on a real SQLite file."""

import pytest
from nichelm.assistant.answer_checks import first_finding
from nichelm.assistant.missing_checks import untested_missing_value
from nichelm.assistant.schema import read_schema


@pytest.fixture
def shop(tmp_path, sqlite_file):
    path = str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, country TEXT, phone_number TEXT, email TEXT,
                                joined TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), note TEXT);
        INSERT INTO customers VALUES (1, 'Ann', 'Peru', '555', 'a@x', '2022-01-01'),
                                     (2, 'Bo', NULL, '', 'b@x', '2023-01-01'), (3, 'Cy', 'Chile', NULL, 'c@x', NULL);
        INSERT INTO orders VALUES (1, 1, NULL);
    """))
    return path, read_schema(path)


def finding(shop, question, sql):
    path, schema = shop
    return untested_missing_value(path, question, sql, schema)


def test_a_lacking_column_the_query_never_tests_is_reported_with_the_empty_values_the_data_has(shop):
    why = finding(shop, "Who joined in 2023 without telling us their country?",
                  "SELECT name FROM customers WHERE joined LIKE '2023%'")
    assert why == ("the question asks for rows without country, but the query never tests customers.country: keep "
                   "the rows where it is empty (customers.country IS NULL; the data has NULLs there)")
    # blanks as well as NULLs; a column of several words; other ways to say it
    for question in ("Customers with no phone number?", "Which customers have no phone numbers?",
                     "Customers that did not give a phone number?", "Customers missing their phone number?"):
        why = finding(shop, question, "SELECT name FROM customers")
        assert why and "customers.phone_number IS NULL OR customers.phone_number = ''" in why, question
        assert "the data has NULLs and blank texts there" in why


@pytest.mark.parametrize("question, sql", [
    # the column is tested
    ("Customers without a country?", "SELECT name FROM customers WHERE country IS NULL"),
    ("Customers without a country?", "SELECT name FROM customers WHERE COALESCE(country, '') = ''"),
    # rows of another table: a table is named, not a column
    ("Customers without orders?", "SELECT name FROM customers"),
    # every row has the value: "without" means something else
    ("Customers without an email?", "SELECT name FROM customers"),
    # a column of a table the query does not read
    ("Orders without a note?", "SELECT name FROM customers"),
    # no "without"
    ("Customers and their country?", "SELECT name FROM customers"),
])
def test_left_alone(shop, question, sql):
    assert finding(shop, question, sql) is None


def test_the_check_runs_with_the_others_as_the_repair_turn_gets_it(shop):
    path, schema = shop
    found = first_finding(path, "Customers without a country?", "SELECT name FROM customers", schema)
    assert found and found[0] == "missing" and "customers.country IS NULL" in found[1]
