"""Rows without a value, answered without testing the value.

"Who signed up after July 1, 2022 without telling us their country?" answered with `SELECT name, email FROM customers
WHERE signup_date >= '2022-07-01'` lists everyone who signed up then: the "without" is dropped. What the question
means is the rows whose column is empty: `customers.country IS NULL` (or `= ''` where the data stores blanks).

`untested_missing_value` speaks for a question that says a row lacks something ("without … country", "with no
email", "has no phone", "missing their country", "did not give a country") naming, within a few words, a column of
a table the query reads (its name, underscores read as spaces), where the query never mentions that column and the
data holds rows where it is empty. Most "without" questions are about rows of another table ("customers without
orders", "courses without prerequisites"): those name a table, not a column, and are left to the model.
"""

from __future__ import annotations

import re

from sqlglot import exp

from .schema import Schema
from .sqlcheck import parse
from .sqlite_io import lookup, quoted

LACKS = re.compile(r"\b(?:without|with\s+no|ha(?:s|ve|d)\s+no|missing|lacking|(?:do|does|did)\s+not\s+\w+|"
                   r"(?:do|does|did)n't\s+\w+)\b((?:\s+[\w']+){1,5})", re.IGNORECASE)


def untested_missing_value(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* keeps rows that have the value a "without …" *question* asks to lack; None when it tests the column
    (or the question names no column of a table the query reads, or the data has no row without the value)."""
    after = [m.group(1).lower() for m in LACKS.finditer(question or "")]
    if not after:
        return None
    tree, _ = parse(sql)
    if tree is None:
        return None
    mentioned = {c.name.lower() for c in tree.find_all(exp.Column)}
    for name in dict.fromkeys(t.name for t in tree.find_all(exp.Table)):
        table = schema.table(name)
        if table is None:
            continue
        for column in table.columns:
            words = column.name.lower().replace("_", " ")
            if column.name.lower() in mentioned or column.pk or not any(_names(words, text) for text in after):
                continue
            empty = _how_empty(db_path, table.name, column.name)
            if empty:
                where = f"{table.name}.{column.name}"
                test = f"{where} IS NULL" + (f" OR {where} = ''" if "blank texts" in empty else "")
                return (f"the question asks for rows without {words}, but the query never tests {where}: keep the "
                        f"rows where it is empty ({test}; the data has {' and '.join(empty)} there)")
    return None


def _names(words: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words)}s?(?!\w)", text) is not None


def _how_empty(db_path: str, table: str, column: str) -> list[str]:
    """Which kinds of empty value the column holds: "NULLs", "blank texts" (either, both or none)."""
    qt, qc = quoted(table), quoted(column)
    rows = lookup(db_path, f"SELECT (SELECT 1 FROM {qt} WHERE {qc} IS NULL LIMIT 1), "
                           f"(SELECT 1 FROM {qt} WHERE TRIM({qc}) = '' LIMIT 1)", 1)
    if not rows:
        return []
    nulls, blanks = rows[0]
    return [kind for kind, found in (("NULLs", nulls), ("blank texts", blanks)) if found]
