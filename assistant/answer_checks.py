"""The product's checks of an answer that compiles, in the order they are asked, in one place: the service
sends an answer that trips one back for repair (service.answer_question), and `nichelm-eval checks` counts
how often each trips (eval/check_counts.py).

Each check takes (database path, question, SQL, schema) and returns why the answer looks wrong, in words a
repair turn can act on, or None.
"""

from __future__ import annotations

from collections.abc import Callable

from .aggregate_checks import group_threshold_fix, row_test_for_group_threshold
from .both_checks import distinct_values_fix, either_for_both, rows_counted_for_values
from .count_checks import counted_table_unread
from .flag_checks import flag_mismatch
from .group_checks import ungrouped_column
from .join_checks import mismatched_join
from .literal_checks import always_false_literal, wrong_case_fix
from .missing_checks import untested_missing_value
from .negation_checks import negated_child_test
from .order_checks import flipped_order, reversed_top_row
from .question_values import unused_question_date, unused_question_value, unused_question_year
from .ranking_checks import count_beside_most_common, without_shown_count
from .row_checks import blank_rows, distinct_fix, joined_repeats, repeated_rows
from .schema import Schema
from .shape_checks import shape_problem, without_row_test

Check = Callable[[str, str, str, Schema], "str | None"]

CHECKS: dict[str, Check] = {
    "literal": lambda db, question, sql, schema: always_false_literal(db, sql, schema),
    "group": lambda db, question, sql, schema: ungrouped_column(sql, schema),
    "shape": lambda db, question, sql, schema: shape_problem(sql, schema),
    "ranking": lambda db, question, sql, schema: count_beside_most_common(question, sql),
    "order": lambda db, question, sql, schema: reversed_top_row(question, sql, schema),
    "join": lambda db, question, sql, schema: mismatched_join(sql, schema),
    "count": lambda db, question, sql, schema: counted_table_unread(question, sql, schema),
    "negation": negated_child_test,
    "both": either_for_both,
    "distinct": lambda db, question, sql, schema: rows_counted_for_values(db, sql),
    "threshold": lambda db, question, sql, schema: row_test_for_group_threshold(question, sql, schema),
    "question": unused_question_value,
    "date": unused_question_date,
    "year": unused_question_year,
    "missing": untested_missing_value,
    "flag": flag_mismatch,
    "repeats": lambda db, question, sql, schema: repeated_rows(db, question, sql),
    "blanks": lambda db, question, sql, schema: blank_rows(db, question, sql),
    "fanout": joined_repeats,
}


Fix = Callable[[str, str, str, Schema], "str | None"]

# Findings whose change is known exactly, made without the model: a text the data holds in another letter case only is
# written as the data spells it (v18, told so, kept 'Jetblue Airways' for 'JetBlue Airways' through three repairs);
# told to drop a WHERE test that repeats the HAVING's threshold on single rows, a fine-tuned model rewrote the HAVING
# instead (shape_checks.without_row_test); a row test of the number the question sets for a group's average moves into
# the HAVING (aggregate_checks); a COUNT(*) beside an IN list of as many values counts the different values instead
# (both_checks); rows of a table repeated by a join with a table the query only filters by are listed once
# (row_checks: SELECT DISTINCT); the count shown beside "the most common X" leaves the SELECT (ranking_checks); the top
# row of a date or an age taken from the wrong end is sorted the other way (order_checks).
FIXES: dict[str, Fix] = {
    "literal": lambda db, question, sql, schema: wrong_case_fix(db, sql, schema),
    "shape": lambda db, question, sql, schema: without_row_test(sql, schema),
    "threshold": lambda db, question, sql, schema: group_threshold_fix(question, sql, schema),
    "distinct": lambda db, question, sql, schema: distinct_values_fix(sql),
    "fanout": lambda db, question, sql, schema: distinct_fix(sql),
    "ranking": lambda db, question, sql, schema: without_shown_count(question, sql),
    "order": lambda db, question, sql, schema: flipped_order(question, sql, schema),
}


def known_fix(name: str | None, db_path: str, question: str, sql: str | None, schema: Schema) -> str | None:
    """*sql* changed as the finding of the check called *name* says, where that change is known exactly; else None."""
    fix = FIXES.get(name or "")
    return fix(db_path, question, sql, schema) if fix and sql else None


def first_finding(db_path: str, question: str, sql: str, schema: Schema) -> tuple[str, str] | None:
    """(name, finding) of the first check of CHECKS that finds something in *sql*; None when none does."""
    for name, check in CHECKS.items():
        why = check(db_path, question, sql, schema)
        if why:
            return name, why
    return None


def check_finding(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """The first finding of CHECKS on *sql*: a text test the data makes always false (literal_checks), a column
    taken from an arbitrary row of each group (group_checks), a shape wrong whatever the data (shape_checks: a set
    operation on two aggregates, IS NULL on a column the inner joins keep non-NULL, a row test that repeats the
    HAVING's threshold on a SUM), the count shown beside "the most common X" (ranking_checks), the top row taken
    from the wrong end of a date or an age (order_checks), a foreign key joined to a table it does not refer to
    (join_checks), rows of other tables counted where the question counts a table the query never reads
    (count_checks), a `<>` on the rows of a joined child table where the parent is meant (negation_checks), two
    values of one column tested at once where the question asks for both, or rows counted where the different values
    of an IN list are meant (both_checks), a row test of the number the question sets for a group's average or total
    (aggregate_checks), a value the question names that the query never uses (question_values, a calendar day and a
    year among them), a column whose value the question asks rows to lack, never tested (missing_checks), a yes/no
    column the question names and the query never tests, or tests unasked (flag_checks), repeated rows where the
    question asks for each value once, a NULL where it asks to leave unknown values out, or the same row of a table
    listed once for every row of a table the query only filters by (row_checks); None when none finds anything."""
    found = first_finding(db_path, question, sql, schema)
    return found and found[1]


def disable(names) -> None:
    """Leave the checks called *names* out of CHECKS in this process (an evaluation that measures what a check
    adds: `nichelm-eval run --without-check NAME`)."""
    unknown = set(names) - set(CHECKS)
    if unknown:
        raise ValueError(f"no such answer check: {', '.join(sorted(unknown))} (known: {', '.join(CHECKS)})")
    for name in names:
        del CHECKS[name]
