"""Pure tests of the cursor analysis and ranking: strings in, suggestions out, no database.

In each case `§` marks the cursor.
"""

from __future__ import annotations

import pytest
from nichelm.assistant.completion import SchemaIndex, TableRef, analyse, complete, suggest_type, tokenize

SCHEMA = {
    "orders": ["id", "customer_id", "total", "created_at", "status"],
    "customers": ["id", "name", "email", "city"],
    "order_items": ["id", "order_id", "product_id", "qty", "price"],
    "products": ["id", "name", "category", "price"],
    "Weird Table": ["Some Col", "select"],
}


def split(marked: str) -> tuple[str, int]:
    assert marked.count("§") == 1, marked
    return marked.replace("§", ""), marked.index("§")


def kinds(marked: str, schema=SCHEMA) -> list[str]:
    text, cur = split(marked)
    return [s.kind for s in analyse(text, cur, schema).suggestions]


def labels(marked: str, schema=SCHEMA, kind: str | None = None) -> list[str]:
    text, cur = split(marked)
    return [c.label for c in complete(text, cur, schema) if kind is None or c.kind == kind]


# ------------------------------------------------------------------------------------ suggestion kinds


@pytest.mark.parametrize("marked, expected", [
    ("§", ["keyword"]),
    ("SEL§", ["keyword"]),
    ("SELECT §", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM §", ["table"]),
    ("SELECT * FROM orders, §", ["table"]),
    ("SELECT * FROM orders o JOIN §", ["table"]),
    ("SELECT * FROM orders o LEFT OUTER JOIN §", ["table"]),
    ("SELECT * FROM orders §", ["keyword"]),
    ("SELECT * FROM orders o §", ["keyword"]),
    ("SELECT * FROM orders WHERE §", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders WHERE total > §", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders WHERE total > 3 AND §", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders WHERE total > 3 §", ["keyword"]),
    ("SELECT * FROM orders GROUP BY §", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders ORDER BY §", ["column", "function", "alias", "keyword"]),
    ("SELECT status, count(*) FROM orders GROUP BY status HAVING §", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders o JOIN customers c ON §", ["join", "column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders o JOIN customers c ON o.customer_id = §", ["column", "function", "alias", "keyword"]),
    ("SELECT o.§ FROM orders o", ["column"]),
    ("INSERT INTO §", ["table"]),
    ("INSERT OR REPLACE INTO §", ["table"]),
    ("INSERT INTO orders (§", ["column"]),
    ("INSERT INTO orders (id, §", ["column"]),
    ("INSERT INTO orders §", ["keyword"]),
    ("UPDATE §", ["table"]),
    ("UPDATE orders §", ["keyword"]),
    ("UPDATE orders SET §", ["column", "function", "alias", "keyword"]),
    ("DELETE FROM §", ["table"]),
    ("DELETE FROM orders WHERE §", ["column", "function", "alias", "keyword"]),
    ("DROP TABLE §", ["table"]),
    ("DROP TABLE IF EXISTS §", ["table"]),
    ("ALTER TABLE §", ["table"]),
    ("CREATE TABLE §", []),
    ("CREATE TABLE t (§", []),
    ("CREATE INDEX ix ON §", ["table"]),
    ("CREATE INDEX ix ON orders (§", ["column"]),
    ("PRAGMA §", ["pragma"]),
    ("PRAGMA table_info(§", ["table"]),
    ("SELECT total AS §", []),
    ("SELECT * FROM orders AS §", []),
    ("WITH §", []),
    ("SELECT * FROM orders LIMIT §", []),
    ("SELECT CAST(total AS §", ["keyword"]),
    ("SELECT count(§) FROM orders", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders WHERE id IN (§", ["column", "function", "alias", "keyword"]),
    ("SELECT * FROM orders LEFT §", ["keyword"]),
    ("SELECT * FROM main.§", ["table"]),
])
def test_suggestion_kinds(marked, expected):
    assert kinds(marked) == expected


@pytest.mark.parametrize("marked", [
    "SELECT 'abc§",
    "SELECT * FROM orders WHERE status = 'pen§ding'",
    "SELECT 'it''s §",
    "SELECT 1 -- a comment §",
    "SELECT 1 /* block §",
    "SELECT 1 /* block § */ FROM orders",
    "-- §",
    "SELECT 12§",
    "SELECT * FROM orders WHERE id = :na§",
])
def test_nothing_inside_strings_comments_and_literals(marked):
    text, cur = split(marked)
    assert analyse(text, cur, SCHEMA).suggestions == ()
    assert complete(text, cur, SCHEMA) == []


@pytest.mark.parametrize("marked, expected_kinds", [
    ("SELECT 'done' §", ["keyword"]),
    ("SELECT 1 /* block */ §", ["keyword"]),
    ("SELECT 1 -- comment\nFROM §", ["table"]),
])
def test_after_closed_strings_and_comments_completion_resumes(marked, expected_kinds):
    assert kinds(marked) == expected_kinds


# ------------------------------------------------------------------------------------------ candidates


@pytest.mark.parametrize("marked, expected", [
    ("SELECT o.§ FROM orders o", ["created_at", "customer_id", "id", "status", "total"]),
    ("SELECT orders.§ FROM orders", ["created_at", "customer_id", "id", "status", "total"]),
    ("SELECT c.§ FROM orders o JOIN customers c ON o.customer_id = c.id", ["city", "email", "id", "name"]),
    ("SELECT * FROM orders o WHERE o.tot§", ["total"]),
    ("SELECT * FROM orders O WHERE o.§", ["created_at", "customer_id", "id", "status", "total"]),
    # A table name works as a qualifier even when it is not in FROM yet.
    ("SELECT products.§", ["category", "id", "name", "price"]),
    ("SELECT * FROM orders o, customers c WHERE c.§", ["city", "email", "id", "name"]),
    # correlated subquery: the outer alias is visible inside
    ("SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.§)",
     ["created_at", "customer_id", "id", "status", "total"]),
    ('SELECT w.§ FROM "Weird Table" w', ["select", "Some Col"]),
])
def test_qualified_columns(marked, expected):
    assert labels(marked) == expected


@pytest.mark.parametrize("marked, expected", [
    ("WITH big AS (SELECT id, total AS amount FROM orders) SELECT big.§ FROM big", ["amount", "id"]),
    ("WITH big(a, b) AS (SELECT id, total FROM orders) SELECT big.§ FROM big", ["a", "b"]),
    ("WITH c AS (SELECT * FROM customers) SELECT c.§ FROM c", ["city", "email", "id", "name"]),
    ("WITH x AS (SELECT o.id, o.total t FROM orders o) SELECT x.§ FROM x", ["id", "t"]),
    ("SELECT s.§ FROM (SELECT id, name AS who FROM customers) s", ["id", "who"]),
    ("SELECT s.§ FROM (SELECT c.* FROM customers c) AS s", ["city", "email", "id", "name"]),
    ("SELECT j.§ FROM json_each('[1]') j", ["atom", "fullkey", "id", "json", "key", "parent", "path", "root",
                                           "type", "value"]),
])
def test_cte_and_subquery_columns(marked, expected):
    assert labels(marked) == expected


def test_select_aliases_in_order_by_and_having():
    got = complete(*split("SELECT status, sum(total) AS revenue FROM orders GROUP BY status ORDER BY re§"), SCHEMA)
    assert (got[0].label, got[0].detail) == ("revenue", "alias in SELECT")
    got = labels("SELECT status, count(*) AS n FROM orders GROUP BY status HAVING §", kind="column")
    assert got[0] == "n" and "total" in got
    # not in WHERE: SQLite tolerates it there, but standard SQL (and most readers) do not
    assert "n" not in labels("SELECT count(*) AS n FROM orders WHERE §", kind="column")


def test_cte_names_offered_as_tables():
    got = labels("WITH recent AS (SELECT * FROM orders) SELECT * FROM §")
    assert got[0] == "recent"
    assert set(got[1:]) == set(SCHEMA)
    assert complete(*split("WITH recent AS (SELECT * FROM orders) SELECT * FROM re§"), SCHEMA)[0].detail == "CTE"


def test_unqualified_columns_come_from_tables_in_scope_only():
    cols = labels("SELECT § FROM customers", kind="column")
    assert cols == ["city", "email", "id", "name"]
    # tables after the cursor count (the FROM is usually typed after the select list)
    cols = labels("SELECT id, § FROM orders o JOIN customers c ON c.id = o.customer_id", kind="column")
    assert set(cols) == {"id", "customer_id", "total", "created_at", "status", "name", "email", "city"}


def test_column_in_several_tables_says_where():
    got = complete(*split("SELECT i§ FROM orders o JOIN customers c ON 1"), SCHEMA)
    first = got[0]
    assert (first.label, first.kind) == ("id", "column")
    assert first.detail == "in o, c"


def test_columns_without_from_come_from_every_table():
    cols = labels("SELECT qt§", kind="column")
    assert cols == ["qty"]
    got = complete(*split("SELECT qt§"), SCHEMA)
    assert got[0].detail == "order_items"


def test_columns_without_from_are_capped_prefix_first():
    from nichelm.assistant.completion import GLOBAL_COLUMNS

    big = {f"t{i}": [f"x_{i}_{j}" for j in range(10)] + [f"ax_{i}"] for i in range(40)}
    cols = [c.label for c in complete("SELECT x", schema=big) if c.kind == "column"]
    assert len(cols) == GLOBAL_COLUMNS and all(c.startswith("x_") for c in cols)
    assert cols == sorted(cols)
    few = [c.label for c in complete("SELECT ax_1", schema=big) if c.kind == "column"]
    assert few[0] == "ax_1" and "ax_10" in few


def test_statement_boundaries_limit_scope():
    cols = labels("SELECT * FROM customers; SELECT § FROM orders", kind="column")
    assert "email" not in cols and "total" in cols


def test_union_branches_have_their_own_scope():
    cols = labels("SELECT id FROM orders UNION SELECT § FROM customers", kind="column")
    assert cols == ["city", "email", "id", "name"]


def test_tables_and_prefix():
    assert labels("SELECT * FROM ord§") == ["order_items", "orders"]
    assert labels("select * from CUST§") == ["customers"]


def test_prefix_start_and_quoting():
    text, cur = split('SELECT * FROM "Wei§')
    ctx = analyse(text, cur, SCHEMA)
    assert (ctx.prefix, ctx.quoted, ctx.start) == ("Wei", True, text.index('"'))
    (c,) = complete(text, cur, SCHEMA)
    assert c.insert_text == '"Weird Table"' and c.start == text.index('"')
    # bare names that need quotes get them
    got = complete(*split("SELECT * FROM Wei§"), SCHEMA)
    assert got[0].insert_text == '"Weird Table"'
    got = complete(*split('SELECT w.sel§ FROM "Weird Table" w'), SCHEMA)
    assert got[0].insert_text == '"select"'


def test_replacement_start_is_after_the_dot():
    text, cur = split("SELECT o.cu§ FROM orders o")
    (c,) = complete(text, cur, SCHEMA)
    assert c.label == "customer_id" and c.start == text.index("cu")


def test_cursor_in_the_middle_of_a_word_uses_the_part_before_it():
    text, cur = split("SELECT * FROM or§ders")
    ctx = analyse(text, cur, SCHEMA)
    assert ctx.prefix == "or"
    assert [c.label for c in complete(text, cur, SCHEMA)][:2] == ["order_items", "orders"]


def test_partial_keyword_is_not_taken_for_an_alias():
    # `WH` could be read as an alias of orders; the word being typed must not count.
    assert labels("SELECT * FROM orders WH§")[0] == "WHERE"


# ------------------------------------------------------------------------------------------------ ranking


def test_exact_prefix_before_fuzzy():
    got = labels("SELECT * FROM orders WHERE cr§")
    assert got[0] == "created_at"
    got = labels("SELECT * FROM orders WHERE cid§")
    assert got[0] == "customer_id"  # fuzzy: c..i..d


def test_fuzzy_tighter_match_first():
    got = labels("SELECT * FROM order_items WHERE pid§", kind="column")
    assert got == ["product_id"]
    got = labels("SELECT * FROM orders WHERE tal§", kind="column")
    assert got == ["total"]


def test_columns_rank_before_functions_and_keywords_in_expressions():
    got = complete(*split("SELECT c§ FROM customers"), SCHEMA)
    assert got[0].kind == "column" and got[0].label == "city"
    first_fn = next(i for i, c in enumerate(got) if c.kind == "function")
    last_col = max(i for i, c in enumerate(got) if c.kind == "column" and c.label.startswith("c"))
    assert last_col < first_fn


def test_keywords_keep_case_of_what_was_typed():
    (c,) = [c for c in complete(*split("select * fr§"), SCHEMA) if c.label == "FROM"]
    assert c.insert_text == "from"
    (c,) = [c for c in complete(*split("SELECT * FR§"), SCHEMA) if c.label == "FROM"]
    assert c.insert_text == "FROM"


def test_curated_keyword_order_for_empty_prefix():
    assert labels("SELECT * FROM orders o §")[:2] == ["WHERE", "JOIN"]
    assert labels("SELECT * FROM orders ORDER BY id §")[:2] == ["ASC", "DESC"]
    assert labels("SELECT * FROM orders WHERE id = 1 §")[:2] == ["AND", "OR"]
    assert labels("SELECT id §")[0] == "FROM"


def test_limit():
    assert len(complete("SELECT ", schema=SCHEMA, limit=5)) == 5


# --------------------------------------------------------------------------------------- join conditions


def test_join_conditions_by_naming_convention():
    got = labels("SELECT * FROM orders o JOIN customers c ON §", kind="join")
    assert got == ["o.customer_id = c.id"]
    got = labels("SELECT * FROM orders o JOIN order_items oi ON §", kind="join")
    assert got == ["oi.order_id = o.id"]


def test_join_conditions_use_declared_foreign_keys():
    from nichelm.assistant.schema import Column, ForeignKey, Schema, Table

    schema = Schema((
        Table("person", (Column("pid", "INTEGER", pk=1), Column("name", "TEXT"))),
        Table("pet", (Column("id", "INTEGER", pk=1), Column("owner", "INTEGER")),
              (ForeignKey(("owner",), "person", ("pid",)),)),
    ))
    got = labels("SELECT * FROM person p JOIN pet ON §", schema=schema, kind="join")
    assert got == ["pet.owner = p.pid"]
    # types come along from a Schema
    got = complete(*split("SELECT p.§ FROM person p"), schema)
    assert got[0].detail == "person.name TEXT" or got[1].detail == "person.name TEXT"


# ---------------------------------------------------------------------------------------- schema inputs


@pytest.mark.parametrize("schema", [
    {"t": ["a", "b"]},
    {"t": [("a", "INTEGER"), ("b", "TEXT")]},
    {"t": {"a": "INTEGER", "b": "TEXT"}},
    SchemaIndex.of({"t": ["a", "b"]}),
])
def test_schema_forms(schema):
    assert labels("SELECT x.§ FROM t x", schema=schema) == ["a", "b"]


def test_no_schema_still_gives_keywords_and_functions():
    got = complete("SELECT cou", schema=None)
    assert got[0].label == "count"
    assert complete("SELECT * FROM ", schema=None) == []


def test_types_in_detail():
    got = complete(*split("SELECT t.§ FROM t"), {"t": {"a": "INTEGER"}})
    assert got[0].detail == "t.a INTEGER"


# ------------------------------------------------------------------------------------- broken input, API


@pytest.mark.parametrize("text", [
    "SELECT ((( FROM",
    "SELECT ))) FROM orders WHERE ",
    "SELECT * FROM (SELECT * FROM (SELECT",
    "'unterminated",
    '"unterminated ident',
    "SELECT * FROM orders o JOIN ON ON ON",
    "WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM ",
    ";;;",
    "SELECT [bracket",
    "SELECT `back",
    "SELECT x FROM t WHERE a.b.c.",
    "\u00e9t\u00e9 SELECT",
])
def test_broken_input_does_not_raise(text):
    for cur in range(len(text) + 1):
        complete(text, cur, SCHEMA)


def test_suggest_type_litecli_style():
    text = "SELECT * FROM orders o WHERE o."
    (s,) = suggest_type(text + " AND 1", text, SCHEMA)
    assert s.kind == "column" and s.qualifier == "o"
    assert s.tables == (TableRef("orders", "o", "table", None, text.index("orders")),)


def test_tokenize_keeps_quoted_identifiers_and_strings_whole():
    toks = tokenize("SELECT \"a b\", 'x''y' FROM [t 1] -- c")
    assert [t.kind for t in toks] == ["word", "qident", "op", "string", "word", "qident", "lcomment"]
    assert toks[1].value == "a b" and toks[5].value == "t 1"
