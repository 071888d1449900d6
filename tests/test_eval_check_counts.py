"""nichelm-eval checks: which of the product's answer checks trips, counted on real queries and a real file."""

from nichelm.eval.check_counts import count_trips


def test_each_query_counts_for_the_first_check_it_trips(tmp_path, sqlite_file):
    db = str(sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, country TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL);
        INSERT INTO customers VALUES (1, 'France'), (2, NULL), (3, 'Brazil');
        INSERT INTO orders VALUES (1, 1, 9.5), (2, 1, 3.0);
    """))
    items = [
        ("a", "SELECT id FROM customers WHERE country = 'france'", db, False, "Who lives in France?"),  # literal
        ("b", ("SELECT customers.country, orders.total FROM customers JOIN orders ON orders.customer_id = "
               "customers.id GROUP BY customers.id"), db, False, "Totals?"),  # an arbitrary row's total: group
        ("c", "SELECT COUNT(*) FROM orders INTERSECT SELECT COUNT(*) FROM customers", db, True, "?"),  # shape
        ("d", "SELECT COUNT(*) FROM orders", db, True, "How many orders?"),  # nothing
        ("e", None, db, False, "?"),  # no SQL: not counted
        ("f", "SELECT COUNT(*) FROM customers", db, False, "How many customers in Brazil?"),  # question
        ("g", "SELECT customers.country FROM customers JOIN orders ON orders.customer_id = customers.id", db, False,
         "List the distinct countries of buyers."),  # France once per order: repeats
        ("h", "SELECT country FROM customers", db, False, "List the countries, ignoring unknown ones."),  # blanks
    ]
    trips = count_trips(items)
    assert trips.total == 7
    assert trips.by_check == {"literal": [1, 0], "group": [1, 0], "shape": [1, 1], "join": [0, 0], "question": [1, 0],
                              "year": [0, 0], "repeats": [1, 0], "blanks": [1, 0]}
    assert trips.ids == ["a", "b", "c", "f", "g", "h"]
    assert trips.lines("answers") == ["answers: 7 checked; literal 1 (0 right), group 1 (0 right), shape 1 (1 right), "
                                      "join 0, question 1 (0 right), year 0, repeats 1 (0 right), blanks 1 (0 right)"]
    timing = trips.timing_lines()
    assert len(timing) == 1 and timing[0].startswith("time per query: literal ")
    assert all(f"{name} " in timing[0] for name in trips.by_check) and timing[0].endswith(" ms")
    assert trips.calls["literal"] == 7 and trips.calls["question"] == 4  # d, f, g and h get that far
    assert trips.calls["blanks"] == 2  # d and h reach the last check
