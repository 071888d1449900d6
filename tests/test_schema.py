import sqlite3

import pytest

from nichelm.assistant.errors import DatabaseMissing, NotADatabase
from nichelm.assistant.schema import read_schema, render_schema, schema_version


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             total REAL, "order date" TEXT);
        CREATE INDEX idx_orders_customer ON orders(customer_id);
        CREATE TABLE pair (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
        INSERT INTO customers VALUES (1, 'Ann', 'FR'), (2, 'Bob', NULL);
        INSERT INTO orders VALUES (1, 1, 9.5, '2024-01-02');
        """
    )
    con.commit()
    con.close()
    return path


def test_reads_tables_columns_keys_and_indexes(shop):
    schema = read_schema(shop, row_counts=True)
    assert schema.table_names == ["customers", "orders", "pair"]
    orders = schema.table("ORDERS")
    assert [c.name for c in orders.columns] == ["id", "customer_id", "total", "order date"]
    assert orders.primary_key == ("id",)
    assert orders.foreign_keys[0].ref_table == "customers"
    assert orders.foreign_keys[0].columns == ("customer_id",)
    assert orders.indexes[0].columns == ("customer_id",)
    assert orders.row_count == 1
    assert schema.table("pair").primary_key == ("a", "b")


def test_render_is_create_table_text_that_sqlite_accepts(shop, tmp_path):
    text = render_schema(read_schema(shop))
    assert "FOREIGN KEY (customer_id) REFERENCES customers (id)" in text
    assert '"order date" TEXT' in text
    assert "PRIMARY KEY (a, b)" in text
    # The rendered text is real DDL: a fresh database accepts it and reads back the same schema.
    copy = tmp_path / "copy.sqlite"
    con = sqlite3.connect(copy)
    con.executescript(text)
    con.close()
    assert render_schema(read_schema(copy)) == text


def test_examples_are_rendered_as_comments(shop):
    schema = read_schema(shop, examples=2)
    text = render_schema(schema, ["customers"], with_examples=True)
    assert "-- e.g. 'Ann', 'Bob'" in text
    assert "orders" not in text


def test_schema_version_changes_on_ddl_only(shop):
    before = schema_version(shop)
    con = sqlite3.connect(shop)
    con.execute("INSERT INTO customers VALUES (3, 'Cy', 'DE')")
    con.commit()
    assert schema_version(shop) == before
    con.execute("ALTER TABLE customers ADD COLUMN email TEXT")
    con.commit()
    con.close()
    after = schema_version(shop)
    assert after != before and after.key != before.key


def test_missing_and_non_sqlite_files_give_clear_errors(tmp_path):
    with pytest.raises(DatabaseMissing, match="no such file"):
        read_schema(tmp_path / "nope.sqlite")
    bad = tmp_path / "notes.sqlite"
    bad.write_text("hello, I am a text file" * 10)
    with pytest.raises(NotADatabase, match="not a SQLite database"):
        read_schema(bad)


def test_examples_only_for_text_like_columns(shop):
    schema = read_schema(shop, examples=3)
    assert "name" in schema.examples["customers"] and "country" in schema.examples["customers"]
    # Keys and numbers add tokens without helping the model spell a value.
    assert "id" not in schema.examples["customers"]
    assert "customer_id" not in schema.examples["orders"] and "total" not in schema.examples["orders"]
    assert schema.examples["orders"]["order date"] == ("2024-01-02",)


@pytest.fixture
def statuses(tmp_path):
    path = tmp_path / "orders.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, city TEXT, note TEXT)")
    statuses = ["new", "paid", "shipped", "delivered", "returned"]
    rows = [(i, statuses[i % 5], f"city {i % 12}", "x" * 40 if i == 7 else "short") for i in range(60)]
    con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def test_columns_with_few_values_list_all_of_them(statuses):
    schema = read_schema(statuses, examples=3, enum_values=10)
    text = render_schema(schema, with_examples=True)
    # 'paid' is the 2nd value seen, 'returned' the 5th: a question naming either must find it in the prompt.
    assert "status TEXT,  -- one of 'new', 'paid', 'shipped', 'delivered', 'returned'" in text
    assert "city TEXT,  -- e.g. 'city 0', 'city 1', 'city 2'" in text  # 12 values: more than ENUM_VALUES
    assert "note TEXT  -- e.g. 'short', 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...'" in text  # a long value: not a list
    assert schema.complete["orders"] == {"status"}


def test_unique_values_of_a_small_table_are_not_a_category(tmp_path):
    path = tmp_path / "band.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, genre TEXT)")
    con.executemany("INSERT INTO singer VALUES (?, ?, ?)",
                    [(i, f"Singer {i}", ["pop", "rock"][i % 2]) for i in range(6)])
    con.commit()
    con.close()
    text = render_schema(read_schema(path, examples=1, enum_values=10), with_examples=True)
    assert "name TEXT,  -- e.g. 'Singer 0'" in text  # six names, six rows: no closed list
    assert "genre TEXT  -- one of 'pop', 'rock'" in text


def test_value_lists_off_and_on_big_tables(statuses, monkeypatch):
    assert "one of" not in render_schema(read_schema(statuses, examples=3, enum_values=0), with_examples=True)
    import nichelm.assistant.schema as schema_mod
    monkeypatch.setattr(schema_mod, "ENUM_SAMPLE_ROWS", 50)  # the table has 60 rows: the list may be partial
    text = render_schema(read_schema(statuses, examples=3, enum_values=10), with_examples=True)
    assert "status TEXT,  -- e.g. 'new', 'paid', 'shipped'" in text
