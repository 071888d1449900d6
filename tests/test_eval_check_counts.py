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
    assert trips.by_check == {"literal": [1, 0], "group": [1, 0], "shape": [1, 1], "ranking": [0, 0], "order": [0, 0],
                              "join": [0, 0], "count": [0, 0], "negation": [0, 0], "both": [0, 0], "distinct": [0, 0],
                              "threshold": [0, 0], "question": [1, 0], "date": [0, 0], "year": [0, 0], "missing": [0, 0],
                              "flag": [0, 0], "repeats": [1, 0], "blanks": [1, 0], "fanout": [0, 0]}
    assert trips.ids == ["a", "b", "c", "f", "g", "h"]
    assert trips.lines("answers") == [("answers: 7 checked; literal 1 (0 right), group 1 (0 right), shape 1 (1 right), "
                                       "ranking 0, order 0, join 0, count 0, negation 0, both 0, distinct 0, threshold 0, "
                                       "question 1 (0 right), date 0, year 0, missing 0, flag 0, repeats 1 (0 right), blanks 1 (0 right), fanout 0")]
    timing = trips.timing_lines()
    assert len(timing) == 1 and timing[0].startswith("time per query: literal ")
    assert all(f"{name} " in timing[0] for name in trips.by_check) and timing[0].endswith(" ms")
    assert trips.calls["literal"] == 7 and trips.calls["question"] == 4  # d, f, g and h get that far
    assert trips.calls["blanks"] == 2 and trips.calls["fanout"] == 1  # d and h reach blanks; d the last check


def test_first_answers_list_every_answer_the_repair_acts_on(tmp_path, sqlite_file):
    """`nichelm-eval checks RUN --first-answers --ids-out F`: the questions whose first answer trips a check or does
    not compile (or has no SQL), whatever the final answer became; a run of them alone measures a repair change."""
    import json

    from click.testing import CliRunner
    from nichelm.eval.cli import main

    sqlite_file(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, country TEXT);
        INSERT INTO customers VALUES (1, 'France'), (2, NULL);
    """)
    questions = [("a", "How many customers are in France?"), ("b", "How many customers are there?"),
                 ("c", "How many customers?"), ("d", "How many customers?")]
    (tmp_path / "set.jsonl").write_text("".join(json.dumps({"id": i, "question": q, "sql": "SELECT COUNT(*) FROM customers",
                                                            "db_path": "shop.sqlite"}) + "\n" for i, q in questions))
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"dataset": str(tmp_path / "set.jsonl")}))
    fixed = "SELECT COUNT(*) FROM customers WHERE country = 'France'"
    preds = [  # a: its first answer ignores 'France' and its repair fixed that; b: fine; c: did not compile; d: no SQL
        {"id": "a", "question": questions[0][1], "pred_sql": fixed, "exec_match": True,
         "extra": {"first_sql": "SELECT COUNT(*) FROM customers"}},
        {"id": "b", "question": questions[1][1], "pred_sql": "SELECT COUNT(*) FROM customers", "exec_match": True},
        {"id": "c", "question": questions[2][1], "pred_sql": "SELECT COUNT(*) FROM customer", "exec_match": False},
        {"id": "d", "question": questions[3][1], "pred_sql": None, "exec_match": False},
    ]
    (run / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    first, final = tmp_path / "first.txt", tmp_path / "final.txt"
    res = CliRunner().invoke(main, ["checks", str(run), "--first-answers", "--ids-out", str(first)])
    assert res.exit_code == 0, res.output
    assert "question 1 (1 right)" in res.output  # a's first answer, counted against its final score
    assert first.read_text().split() == ["a", "c", "d"]
    assert CliRunner().invoke(main, ["checks", str(run), "--ids-out", str(final)]).exit_code == 0
    assert final.read_text().split() == []  # the final answers trip nothing
