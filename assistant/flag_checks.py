"""A yes/no column the question names, and the query's use of it.

Tables keep a yes/no fact about a row in a column named for it: `countrylanguage.IsOfficial` ('T' or 'F'),
`people.is_male`, `parts.chargeable_yn`, `customers.is_active`. Two mistakes turn on such a column:

- **Named, never tested.** "the official languages of Aruba" answered with every language spoken there: the
  question says *official*, the query reads `countrylanguage` and never tests `IsOfficial`.
- **Tested, never named.** "How many people live in Asia?" answered with a join on `countrylanguage` and
  `IsOfficial = 'T'`: a test nobody asked for, which drops the countries with no official language.

A flag column is found by its name (`IsOfficial`, `is_open`, `has_parking`, `chargeable_yn`, `returned_flag`; an
`Is` prefix only before an underscore or a capital, so that `Issues` is not one) and by its data (at most three
different values). "Named" means the word itself (or its plural) in the question; a question that says only part of it
("female" for `is_male`, "availability" for `available_yn`) counts as naming it for the second mistake and not for the
first. A query that reads another column whose name holds the word (`chargeable_amount`, `male_id`) is taken to be
about that column and left alone. Spider train's gold queries trip neither (`nichelm-eval checks --spider-train`).
"""

from __future__ import annotations

import re

from sqlglot import exp

from .schema import Schema
from .sqlcheck import parse
from .sqlite_io import lookup, quoted

_FLAG_NAME = re.compile(r"^(?:[Ii][Ss]|[Hh]as)(?:_([A-Za-z]+)|([A-Z][A-Za-z]*))$|^([A-Za-z]+)_(?:yn|flag)$")
MAX_FLAG_VALUES = 3


def flag_word(column: str) -> str | None:
    """The word a yes/no column is named for (`IsOfficial` -> "official", `chargeable_yn` -> "chargeable"); None for a
    column not named like one."""
    m = _FLAG_NAME.match(column)
    word = m and next(g for g in m.groups() if g)
    return word.lower() if word and len(word) >= 3 else None


def flag_mismatch(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* uses a yes/no column against what *question* says: never tests one the question names, or tests one
    it never names; None when neither."""
    tree, _ = parse(sql)
    if tree is None or not question:
        return None
    text = question.lower()
    mentioned = {c.name.lower() for c in tree.find_all(exp.Column)}
    tested = {c.name.lower() for c in tree.find_all(exp.Column) if _in_condition(c)}
    for name in dict.fromkeys(t.name for t in tree.find_all(exp.Table)):
        table = schema.table(name)
        if table is None:
            continue
        for column in table.columns:
            word = flag_word(column.name)
            if word is None:
                continue
            col = column.name.lower()
            others = any(word in other.lower() and other.lower() != col for other in mentioned)
            untested = col not in mentioned and not others and _says(word, text)
            unasked = not untested and col in tested and not _says_part(word, text)
            values = _values(db_path, table.name, column.name) if untested or unasked else None
            if values is None:
                continue
            where = f"{table.name}.{column.name}"
            if untested:
                return (f"the question says '{word}', and {where} says whether a row is ({values}), but the query "
                        f"never tests it: keep only the rows that are {word}")
            return (f"the query tests {where}, but the question never says '{word}': leave that test out (and a join "
                    f"made only for it)")
    return None


def _says(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?:s|ly)?(?!\w)", text) is not None


def _says_part(word: str, text: str) -> bool:
    """The word's stem anywhere in the text: "availab" in "availability", "male" in "female"."""
    return word[:max(4, len(word) - 2)] in text


def _in_condition(column: exp.Column) -> bool:
    """Whether *column* is in a WHERE, an ON or a HAVING (not only shown or sorted by)."""
    return column.find_ancestor(exp.Where, exp.Join, exp.Having) is not None


def _values(db_path: str, table: str, column: str) -> str | None:
    """The column's values, written for the finding ("'T' or 'F'"); None when it holds more than a yes/no column
    would (then it is not one) or the lookup fails."""
    rows = lookup(db_path, f"SELECT DISTINCT {quoted(column)} FROM {quoted(table)} WHERE {quoted(column)} IS NOT NULL "
                           f"LIMIT {MAX_FLAG_VALUES + 1}", MAX_FLAG_VALUES + 1)
    if not rows or len(rows) > MAX_FLAG_VALUES:
        return None
    return " or ".join(repr(r[0]) for r in rows)
