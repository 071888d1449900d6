"""A join that pairs a foreign key with the key of a table it does not refer to.

`JOIN products ON products.category_id = customers.id` compiles and runs, and pairs rows by coincidence of
numbers: products.category_id is declared to refer to categories, so matching it with a customer's id skips
the tables that really link the two (orders, order_items). `mismatched_join` finds such an equality between
two columns of different tables in a SELECT's own FROM/JOIN/WHERE, from the query and the declared foreign keys
alone, and says which table the key refers to.

Left alone, to keep findings rare where the answer is right: columns without a declared foreign key (nothing
is known of them), a key compared with a column of the table it refers to (in either direction), two keys that
refer to the same table (two children of one parent), and two columns of the same name (a schema whose
declared keys are wrong often joins `a.musical_id = b.musical_id`, and so do people).
"""

from __future__ import annotations

from sqlglot import exp

from .schema import Schema, Table
from .sql_tables import own, resolve, tables_by_alias
from .sqlcheck import parse


def mismatched_join(sql: str, schema: Schema) -> str | None:
    """Why a column equality in *sql* joins a foreign key to a table it does not refer to; None if none does."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for select in tree.find_all(exp.Select):
        tables = tables_by_alias(select, schema)
        for eq in select.find_all(exp.EQ):
            if own(eq, select) and isinstance(eq.this, exp.Column) and isinstance(eq.expression, exp.Column):
                why = _mismatch(resolve(eq.this, tables), resolve(eq.expression, tables), tables)
                if why:
                    return why
    return None


def _mismatch(a: tuple[str, str] | None, b: tuple[str, str] | None, tables: dict[str, Table]) -> str | None:
    if a is None or b is None or a[0] == b[0] or a[1] == b[1]:
        return None
    ta, tb = tables[a[0]], tables[b[0]]
    ra, rb = _refers_to(ta, a[1]), _refers_to(tb, b[1])
    if ra is None and rb is None:
        return None
    if (ra and ra[0].lower() == tb.name.lower()) or (rb and rb[0].lower() == ta.name.lower()):
        return None
    if ra and rb and ra[0].lower() == rb[0].lower():
        return None
    # name the side that has the key (the first, when both have one)
    key_table, key, (ref, ref_col), other, other_col = (ta, a[1], ra, tb, b[1]) if ra else (tb, b[1], rb, ta, a[1])
    target = f"{ref}.{ref_col}" if ref_col else ref
    return (f"{key_table.name}.{key} refers to {target}, but the query compares it with {other.name}.{other_col}: "
            f"join {key_table.name} to {ref} on {key_table.name}.{key} = {target}, and reach {other.name} through "
            f"the tables that link them")


def _refers_to(table: Table, column: str) -> tuple[str, str | None] | None:
    """(referenced table, referenced column or None) of a single-column foreign key on *column*."""
    for fk in table.foreign_keys:
        if len(fk.columns) == 1 and fk.columns[0].lower() == column:
            return fk.ref_table, (fk.ref_columns[0] if fk.ref_columns and fk.ref_columns[0] else None)
    return None
