"""Rows of one table counted where the question counts another.

"How many pets are owned by students older than 20?" answered with `SELECT COUNT(*) FROM student WHERE age > 20`
counts students; "the number of concerts in the stadium with the largest capacity" answered from the stadium table
alone counts stadiums; "the number of dogs that went through a treatment" answered with `SELECT COUNT(*) FROM
treatments` counts treatments. Each question names the table whose rows it counts, and the query never reads it.

`counted_table_unread` speaks when the question counts something ("how many X", "the number of X", "count the X")
whose name, singular or plural, is a table's name, and the query counts rows (`COUNT(*)` or `COUNT(col)` shown) without
reading that table or one whose rows can stand for it (a table named for it, `faculty_participates_in`, or one that
refers to it, a table of links), or any column named for it (`dog_id`: counting `DISTINCT dog_id` counts dogs).
Checked on Spider train's gold queries (`nichelm-eval checks --spider-train`).
"""

from __future__ import annotations

import re

from sqlglot import exp

from .plurals import singular
from .schema import Schema, Table
from .sqlcheck import parse

COUNTS = re.compile(r"\b(?:how\s+many|(?:total\s+)?number\s+of|count\s+(?:of\s+)?(?:the\s+|all\s+)?)((?:\s*[a-z]+){1,3})",
                    re.IGNORECASE)


def counted_table_unread(question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* counts rows of other tables than the one *question* counts; None when it reads that table (or a
    column named for it), does not count, or the question counts nothing named like a table."""
    counted = _counted_tables(question, schema)
    if not counted:
        return None
    tree, _ = parse(sql)
    if not isinstance(tree, exp.Select) or not any(isinstance(_value(e), exp.Count) for e in tree.expressions):
        return None
    read = [schema.table(t.name) for t in tree.find_all(exp.Table) if schema.table(t.name)]
    if not read:  # no table of the schema: SQLite's error says more
        return None
    columns = [_words(c.name) for c in tree.find_all(exp.Column)]
    for table, phrase in counted:
        stem = _singular(_words(table))
        if any(_stands_for(t, table, phrase) for t in read) or any(stem in name for name in columns):
            continue
        counts = ", ".join(sorted({t.name for t in read}))
        return (f"the question counts {_words(table)}, but the query never reads the {table} table (nor a column of "
                f"it): it counts rows of {counts}; count the {table} rows the question means "
                f"(join {table}, or count the different values of the column that refers to it)")
    return None


def _stands_for(read: Table, counted: str, phrase: str) -> bool:
    """Whether rows of the table *read* can stand for the *counted* table's: it is that table, its name holds the
    counted one's (`faculty_participates_in` for faculty), it refers to it (a table of links: `assignedto` for
    scientists), or it is named in the question's counted phrase ("train stations" counted from `station`)."""
    words = _words(read.name)
    return (read.name.lower() == counted.lower() or _singular(_words(counted)) in words
            or any(fk.ref_table.lower() == counted.lower() for fk in read.foreign_keys)
            or _singular(words) in phrase)


def _counted_tables(question: str, schema: Schema) -> list[tuple[str, str]]:
    """(table, phrase) of each table whose name the words after "how many" / "number of" / "count" name (the longest
    that does, per phrase)."""
    names = {}
    for table in schema.tables:
        words = _words(table.name)
        names.setdefault(words, table.name)
        names.setdefault(_singular(words), table.name)
    found = []
    for m in COUNTS.finditer(question or ""):
        words = m.group(1).lower().split()
        for n in range(len(words), 0, -1):  # "dog owners" before "dog"... the longest name first
            phrase = " ".join(words[:n])
            table = names.get(phrase) or names.get(_singular(phrase))
            if table:
                found.append((table, _singular(m.group(1).lower().strip())))
                break
    return list(dict.fromkeys(found))


def _value(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Alias) else node


def _words(name: str) -> str:
    """'PetID' -> 'pet id', 'dog_kennels' -> 'dog kennels'."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return re.sub(r"[_\s]+", " ", spaced).strip().lower()


def _singular(phrase: str) -> str:
    """The last word singular, roughly: 'pets' -> 'pet', 'countries' -> 'country', 'classes' -> 'class'."""
    head, _, last = phrase.rpartition(" ")
    return f"{head} {singular(last)}".strip()
