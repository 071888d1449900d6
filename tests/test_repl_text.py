"""Pure pieces of the REPL: classifying input, when Enter submits, splitting statements, result tables."""

from __future__ import annotations

import pytest
from nichelm.assistant.render import cell_text, check_notes, replaced_note, result_table, voted_note
from nichelm.assistant.repl_input import classify, input_complete, question_text, split_statements


@pytest.mark.parametrize("text, kind", [
    ("", "empty"),
    ("   \n", "empty"),
    (".tables", "meta"),
    ("  .schema orders", "meta"),
    ("SELECT 1", "sql"),
    ("select * from t", "sql"),
    ("with x as (select 1) select * from x", "sql"),
    ("PRAGMA table_info(t)", "sql"),
    ("explain query plan select 1", "sql"),
    ("-- a comment\nSELECT 1", "sql"),
    ("/* c */ insert into t values (1)", "sql"),
    ("SELEC 1;", "sql"),  # a typo: `;` says it is SQL
    ("how many orders are there?", "question"),
    ("Which customers spent the most", "question"),
    ("? select the best customers", "question"),
    ("selection of products by price", "question"),  # 'selection' is not SELECT
])
def test_classify(text, kind):
    assert classify(text) == kind


def test_question_text_drops_the_marker():
    assert question_text("  ? select the best customers ") == "select the best customers"
    assert question_text("how many?") == "how many?"


@pytest.mark.parametrize("text, done", [
    ("SELECT 1;", True),
    ("SELECT 1", False),
    ("SELECT *\nFROM t", False),
    ("SELECT *\nFROM t\n", True),  # Enter on an empty line submits
    ("SELECT ';'", False),  # the ; is inside a string
    ("SELECT 1; -- done", True),
    ("how many orders?", True),
    (".schema", True),
    ("", True),
])
def test_input_complete(text, done):
    assert input_complete(text) is done


def test_split_statements():
    assert split_statements("SELECT 1; SELECT ';' ;\n-- only a comment\n") == ["SELECT 1", "SELECT ';'"]
    assert split_statements("SELECT 1") == ["SELECT 1"]
    assert split_statements(";;") == []


def test_result_table_alignment_null_and_row_cap():
    rows = [(i, f"name {i}", None if i % 2 else i * 1.5) for i in range(1, 8)]
    text = result_table(["id", "name", "score"], rows, max_rows=3)
    lines = text.splitlines()
    assert lines[0] == "id | name   | score"
    assert lines[1] == "---+--------+------"
    assert lines[2] == " 1 | name 1 |  NULL"
    assert lines[3] == " 2 | name 2 |     3"
    assert lines[5] == "… 4 more rows"
    assert lines[6] == "(7 rows)"


def test_result_table_truncated_fetch_and_wide_cells():
    text = result_table(["v"], [("x" * 100,)], truncated=True, max_cell=10)
    lines = text.splitlines()
    assert lines[2] == "x" * 9 + "…"
    assert lines[3] == "… more rows not fetched"
    assert lines[4] == "(1+ rows)"
    assert result_table([], []) == "(no result columns)"
    assert result_table(["a"], []).splitlines()[-1] == "(0 rows)"


def test_voted_note_says_how_many_answers_agreed():
    assert voted_note({"candidates": 16, "agreement": 9}) == " (voted among 16 answers: 9 agree)"
    assert voted_note({"candidates": 3, "agreement": 0}) == " (voted among 3 answers: 0 agree)"  # none ran
    assert voted_note({"candidates": 1, "agreement": 1}) == voted_note({}) == ""  # one answer, or an older daemon


def test_replaced_note_says_why():
    assert replaced_note({"repaired": False, "replaced_because": None}) == ""
    assert replaced_note({"repaired": True, "replaced_because": "no such column: x"}) == \
        " (first answer replaced: no such column: x)"
    assert replaced_note({"repaired": True}) == " (first answer replaced: it could not be used)"  # older daemon


@pytest.mark.parametrize("value, shown", [
    (None, "NULL"), (b"\x00\x01", "<2 bytes>"), (2.0, "2"), (2.5, "2.5"), ("a\nb", "a\\nb"), (7, "7"),
    (5291.469999999999, "5291.47"), (0.1 + 0.2, "0.3"), (1e20, "1e+20"), (-0.000123, "-0.000123"),
    (123456.789012345, "123456.789012345"),
])
def test_cell_text(value, shown):
    assert cell_text(value) == shown


# ------------------------------------------------------------------------- the prompt-toolkit completer


def _menu(text: str, cursor: int | None = None) -> list[tuple[str, int, str]]:
    from nichelm.assistant.completion import SchemaIndex
    from nichelm.assistant.repl_commands import COMMANDS
    from nichelm.assistant.repl_completer import SqlCompleter
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    index = SchemaIndex.of({"orders": ["id", "customer_id", "total"], "customers": ["id", "name"]})
    completer = SqlCompleter(lambda: index, COMMANDS)
    doc = Document(text, len(text) if cursor is None else cursor)
    return [(c.text, c.start_position, c.display_meta_text)
            for c in completer.get_completions(doc, CompleteEvent(completion_requested=True))]


def test_completer_sql_columns_with_replacement_range():
    # exact prefix first, then the fuzzy match (c-u-s-T-O-mer_id)
    assert _menu("SELECT o.to FROM orders o", 11) == [("total", -2, "orders.total"),
                                                     ("customer_id", -2, "orders.customer_id")]


def test_completer_dot_commands_and_schema_argument():
    assert [t for t, _, _ in _menu(".sc")] == [".schema"]
    assert [t for t, _, _ in _menu(".w")] == [".writes"]
    assert _menu(".schema cu") == [("customers", -2, "table")]


def test_completer_offers_names_inside_questions():
    assert _menu("how many cu") == [("customers", -2, "table"), ("customer_id", -2, "column of orders")]
    assert _menu("how many c") == []  # one letter is too little to guess from in English


def test_nichelm_ask_table_shows_cells_as_the_repl_does():
    from nichelm.assistant.cli import format_table

    text = format_table(["total", "note", "blob"], [[5291.469999999999, "two\nlines", b"\x00"], [None, "x", 3]])
    assert text.splitlines()[2].split() == ["5291.47", "two\\nlines", "<1", "bytes>"]
    assert text.splitlines()[3].split() == ["NULL", "x", "3"]


def test_check_notes_show_only_what_the_checks_found():
    answer = {"problems": [{"kind": "check", "severity": "warning", "message": "this query may be wrong: x"},
                           {"kind": "multiple", "severity": "warning", "message": "more than one statement"}]}
    assert check_notes(answer) == ["-- this query may be wrong: x"]
    assert check_notes({"problems": []}) == [] and check_notes({}) == []
