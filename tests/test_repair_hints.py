"""repair_hints: what the schema says about SQLite's error, on a real SQLite file and SQLite's own messages."""

from __future__ import annotations

import sqlite3

import pytest
from nichelm.assistant.prompt import repair_messages
from nichelm.assistant.repair_hints import join_path, repair_hint, tables_in
from nichelm.assistant.schema import read_schema
from nichelm.assistant.sql_scope import with_kept


@pytest.fixture
def library(tmp_path, sqlite_file):
    return sqlite_file(tmp_path / "library.sqlite", """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT, country TEXT);
        CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, author_id INTEGER REFERENCES authors(id));
        CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT, joined TEXT);
        CREATE TABLE loans (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id),
                            member_id INTEGER REFERENCES members(id), loaned_on TEXT);
        CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
    """)


def sqlite_error(db, sql: str) -> str:
    """The message SQLite itself gives for *sql*, so the tests read the real error format."""
    con = sqlite3.connect(db)
    try:
        con.execute("EXPLAIN " + sql)
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        con.close()
    raise AssertionError(f"{sql!r} compiles")


def hint_for(db, sql):
    return repair_hint(read_schema(db), sql, sqlite_error(db, sql))


def test_a_table_the_query_does_not_join_gets_the_join_path(library):
    sql = "SELECT books.title FROM books JOIN loans ON loans.book_id = books.id WHERE authors.country = 'NO'"
    assert hint_for(library, sql) == ("authors.country is in authors, which the query does not join: "
                                      "books.author_id = authors.id")
    sql = "SELECT count(*) FROM authors WHERE members.joined > '2020'"
    assert hint_for(library, sql) == ("members.joined is in members, which the query does not join: "
                                      "books.author_id = authors.id, loans.book_id = books.id, "
                                      "loans.member_id = members.id")


def test_a_column_on_the_wrong_table_says_where_it_is(library):
    sql = "SELECT books.title FROM books WHERE books.loaned_on > '2024'"
    assert hint_for(library, sql) == "books has no column loaned_on; loaned_on is in loans (loans.book_id = books.id)"
    sql = "SELECT title FROM books WHERE loaned_on > '2024'"
    assert hint_for(library, sql) == ("no table in the query has loaned_on; loaned_on is in loans "
                                      "(loans.book_id = books.id)")


def test_misspelt_names_get_the_near_ones(library):
    assert hint_for(library, "SELECT titel FROM books") == "no table in the query has titel; the columns with a similar name: title"
    assert hint_for(library, "SELECT books.titel FROM books") == "books has no column titel; books's columns with a similar name: title"
    assert hint_for(library, "SELECT count(*) FROM book") == "there is no table book; tables with a similar name: books"
    assert hint_for(library, "SELECT zzz FROM books") == "no table in the query has zzz, and no table has a column zzz"


def test_alias_and_errors_the_schema_cannot_explain(library):
    sql = "SELECT b.title FROM books AS b WHERE books.author_id = 1"
    assert hint_for(library, sql) == "the query gives books an alias: qualify its columns with the alias"
    schema = read_schema(library)
    assert repair_hint(schema, "SELECT", 'near "SELECT": syntax error') is None
    assert repair_hint(schema, "SELECT * FROM nothing_like_it", "no such table: nothing_like_it") is None


def test_join_paths_and_tables_in_order(library):
    schema = read_schema(library)
    assert tables_in(schema, "SELECT authors.name FROM books JOIN loans ON loans.book_id = books.id") == ["loans", "books"]
    assert join_path(schema, ["members"], "authors") == ["loans.member_id = members.id", "loans.book_id = books.id",
                                                        "books.author_id = authors.id"]
    assert join_path(schema, ["members"], "notes") is None  # not connected
    assert join_path(schema, [], "books") is None


def test_the_hint_goes_into_the_repair_turn():
    msgs = repair_messages("CREATE TABLE t (id INTEGER);", "q?", "SELECT x FROM t", "no such column: x.",
                           "no table in the query has x")
    assert msgs[-1]["content"] == ("That query fails in SQLite: no such column: x. In the schema, no table in the "
                                   "query has x. Write a corrected SQLite query for the question.")
    plain = repair_messages("CREATE TABLE t (id INTEGER);", "q?", "SELECT x FROM t", "no such column: x")
    assert plain[-1]["content"] == "That query fails in SQLite: no such column: x. Write a corrected SQLite query for the question."


def test_a_column_missing_from_a_with_table_joins_its_holder_to_it(library):
    """The outer query reads a CTE that kept a foreign key's column: the hint joins the column's table to the CTE
    (keeping what the CTE computed), not to the tables inside it."""
    sql = ("WITH firsts AS (SELECT author_id, MIN(id) AS first_book FROM books GROUP BY author_id) "
           "SELECT COUNT(*) FROM firsts WHERE country = 'NO'")
    assert hint_for(library, sql) == ("no table in the query has country; country is in authors: join authors to "
                                      "firsts on firsts.author_id = authors.id")
    # a CTE without the key: the path from the query's tables, as for any query
    sql = "WITH t AS (SELECT MIN(id) AS first_book FROM books) SELECT COUNT(*) FROM t, books WHERE country = 'NO'"
    assert hint_for(library, sql) == "no table in the query has country; country is in authors (books.author_id = authors.id)"


def test_a_with_clause_comes_back_only_for_a_repair_that_reads_its_table(library):
    schema = read_schema(library)
    failed = "WITH firsts AS (SELECT author_id FROM books) SELECT COUNT(*) FROM firsts WHERE country = 'NO'"
    joined = "SELECT COUNT(*) FROM firsts JOIN authors ON firsts.author_id = authors.id"
    assert with_kept(joined, failed, schema) == "WITH firsts AS (SELECT author_id FROM books) " + joined
    assert with_kept("SELECT COUNT(*) FROM authors", failed, schema) is None  # does not read it
    assert with_kept("WITH f AS (SELECT 1) " + joined, failed, schema) is None  # has a WITH of its own
    assert with_kept(joined, "SELECT COUNT(*) FROM books", schema) is None  # nothing to bring back
    shadow = "WITH books AS (SELECT * FROM books) SELECT title FROM books"
    assert with_kept("SELECT title FROM books", shadow, schema) is None  # a schema table's name
