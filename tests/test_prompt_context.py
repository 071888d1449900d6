import sqlite3

from nichelm.assistant.context import estimate_tokens, schema_text_for, select_tables
from nichelm.assistant.prompt import SYSTEM_INSTRUCTIONS, build_messages, normalise_answer, training_messages
from nichelm.assistant.schema import read_schema


def test_training_and_inference_share_the_prompt():
    schema = "CREATE TABLE t (id INTEGER);"
    infer = build_messages(schema, "  how many? ")
    train = training_messages(schema, "how many?", "SELECT count(*)\n  FROM t")
    assert train[:2] == infer
    assert infer[0]["content"].startswith(SYSTEM_INSTRUCTIONS)
    assert infer[0]["content"].endswith(schema)
    assert train[2] == {"role": "assistant", "content": "SELECT count(*) FROM t;"}
    assert normalise_answer("SELECT 1;;") == "SELECT 1;"


def _wide_db(path, n_tables=120):
    con = sqlite3.connect(path)
    for i in range(n_tables):
        con.execute(f"CREATE TABLE t{i}_stuff (id INTEGER PRIMARY KEY, c1 TEXT, c2 TEXT, c3 REAL, c4 INTEGER)")
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES clients(id), "
                "amount REAL)")
    con.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()


def test_small_schema_is_kept_whole(tmp_path):
    path = tmp_path / "small.sqlite"
    _wide_db(path, 2)
    schema = read_schema(path)
    assert select_tables(schema, "total amount of invoices") == schema.table_names


def test_large_schema_is_cut_to_budget_keeping_relevant_tables(tmp_path):
    path = tmp_path / "wide.sqlite"
    _wide_db(path)
    schema = read_schema(path)
    text = schema_text_for(schema, "What is the total amount of all invoices?", budget_tokens=800)
    assert estimate_tokens(text) <= 800
    assert "CREATE TABLE invoices" in text
    # The table its foreign key points to comes along.
    assert "CREATE TABLE clients" in text
    assert text.count("CREATE TABLE") < len(schema.tables)


def test_repair_turn_keeps_the_first_prompt_as_its_prefix():
    from nichelm.assistant.prompt import repair_messages

    first = build_messages("CREATE TABLE t (id INTEGER);", "How many rows?")
    again = repair_messages("CREATE TABLE t (id INTEGER);", "How many rows?", "SELECT count(*) FROM tt",
                            "no such table: tt.")
    assert again[:2] == first  # same system message: the schema stays in llama.cpp's KV cache
    assert again[2] == {"role": "assistant", "content": "SELECT count(*) FROM tt;"}
    assert again[3]["role"] == "user" and "no such table: tt" in again[3]["content"]
    assert ".." not in again[3]["content"]  # the error's own full stop is not doubled
