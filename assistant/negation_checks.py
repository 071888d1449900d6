"""A "not" written as `<>` on the rows of a joined child table.

"Countries that do not speak English" answered as `country JOIN countrylanguage ON ... WHERE
countrylanguage.Language <> 'English'` keeps every country with at least one other language, English-speaking
ones too (once per such language): the test is on each language row, not on the country. What the question
means is a country with no English row: `country.Code NOT IN (SELECT CountryCode FROM countrylanguage WHERE
Language = 'English')` (or NOT EXISTS, or EXCEPT).

`negated_child_test` finds, for a question that says "not", "no", "never", "without" or "none", in a SELECT's own
WHERE (a condition of the whole WHERE), `child.col <> value` where child holds a foreign key to another table of
the same SELECT, and says how to write the test on the parent. "Countries where people use languages other than
English" means the rows themselves, and says no "not". Left alone, to keep findings rare where the answer is right: a SELECT that lists, orders by or tests in HAVING a
column of the child (the child's rows are what it is about), one that counts rows (`COUNT(*)`: "orders per
customer, not counting cancelled ones" filters the rows it counts), and a child whose key is unique in the data
(one row per parent, as `entrepreneur.People_ID`: there the row's test is the parent's).
"""

from __future__ import annotations

import re

from sqlglot import exp

from .schema import Schema, Table
from .sql_tables import conjuncts, own, resolve, tables_by_alias
from .sqlcheck import parse
from .sqlite_io import lookup

NEGATION = re.compile(r"\b(not|no|never|without|none)\b|n't\b", re.IGNORECASE)


def negated_child_test(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why a `<>` on a joined child table's rows in *sql* does not exclude the parents that have the value, for a
    *question* that says "not"; None when there is none."""
    if not NEGATION.search(question):
        return None
    tree, _ = parse(sql)
    if tree is None:
        return None
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        tables = tables_by_alias(select, schema)
        parts = [*select.expressions, *(select.args[k] for k in ("having", "order") if select.args.get(k))]
        if where is None or len(tables) < 2 or any(c.find(exp.Star) for p in parts for c in p.find_all(exp.Count)):
            continue  # COUNT(*): the rows are what is counted, and a test on them filters what it counts
        listed = {r[0] for p in parts for c in p.find_all(exp.Column) if own(c, select) and (r := resolve(c, tables))}
        for term in conjuncts(where.this):
            found = _child_test(term, tables, listed)
            if found is None:
                continue
            column, value, child, fk = found
            parent_alias = next(a for a, t in tables.items() if t.name.lower() == fk.ref_table.lower())
            if _one_per_parent(db_path, child, fk.columns[0]):
                continue
            key = fk.ref_columns[0] if fk.ref_columns and fk.ref_columns[0] else _primary_key(tables[parent_alias])
            if key is None:
                continue
            parent = tables[parent_alias].name
            return (f"`{term.sql('sqlite')}` tests each {child.name} row, not each {parent}: a {parent} with one "
                    f"{child.name} row of {column} {value} and another row of a different {column} is still kept "
                    f"(and repeated once per such row). For {parent} rows that have no {child.name} row of {column} "
                    f"{value}, test it in a subquery: {parent_alias}.{key} NOT IN (SELECT {child.name}."
                    f"{fk.columns[0]} FROM {child.name} WHERE {child.name}.{column} = {value}), without joining "
                    f"{child.name} for it")
    return None


def _child_test(term: exp.Expression, tables: dict[str, Table], listed: set[str]):
    """(column, value as written, child table, its foreign key to another table of the SELECT) when *term*
    is `child.col <> value` (either way round) and no column of *listed* (aliases) comes from the child."""
    if not isinstance(term, exp.NEQ):
        return None
    sides = ((term.this, term.expression), (term.expression, term.this))
    found = next(((col, value, where) for col, value in sides if isinstance(col, exp.Column)
                  and _is_value(value, tables) and (where := resolve(col, tables))), None)
    if found is None:
        return None
    col, value, (alias, _) = found
    child = tables[alias]
    if alias in listed:
        return None
    names = {t.name.lower(): a for a, t in tables.items() if a != alias}
    fk = next((fk for fk in child.foreign_keys if len(fk.columns) == 1 and fk.ref_table.lower() in names
               and fk.ref_table.lower() != child.name.lower()), None)
    return (col.name, value.sql("sqlite"), child, fk) if fk else None


def _is_value(node: exp.Expression, tables: dict[str, Table]) -> bool:
    """A literal, or a double-quoted word that names no column (SQLite reads it as a string)."""
    if isinstance(node, exp.Literal):
        return True
    return isinstance(node, exp.Column) and not node.table and resolve(node, tables) is None


def _one_per_parent(db_path: str, child: Table, key: str) -> bool:
    """Whether *child*'s *key* never repeats in the data (one child row per parent), or cannot be looked up."""
    rows = lookup(db_path, f'SELECT COUNT("{key}") = COUNT(DISTINCT "{key}") FROM "{child.name}"', 1)
    return rows is None or bool(rows and rows[0][0])


def _primary_key(table: Table) -> str | None:
    pk = table.primary_key
    return pk[0] if len(pk) == 1 else None

