"""A column that a grouped query returns from one arbitrary row of each group.

SQLite accepts `SELECT products.name, order_items.quantity ... GROUP BY products.name`: for the ungrouped,
unaggregated `order_items.quantity` it returns the value of some row of the group. Other databases reject
the query, and it is almost never what a question means ("how many units" wanted SUM(quantity)).

`ungrouped_column` flags such a column only when its table has no grouped column and the groups do not
determine it. (Spider's own answers often group on a name and return other columns of the same table, which
a name usually determines in practice; those are left alone.) Determined are: the
grouped columns; a column equal to a determined one by a `=` condition of the same SELECT; and every column
of a table once its primary key, a unique column, or (for a table that declares neither) any of its columns
is determined. So `GROUP BY inventory.id` determines the film that `inventory.film_id = film.id` joins, while
`GROUP BY products.id` does not determine `order_items.quantity`, since many order lines share a product.
Left alone: a SELECT with exactly one MIN or MAX (SQLite then takes the other columns from that row, as
documented), columns inside aggregates, window functions and subqueries, and columns whose table is unknown.
"""

from __future__ import annotations

from sqlglot import exp

from .schema import Schema, Table
from .sql_tables import own, resolve, tables_by_alias
from .sqlcheck import parse


def ungrouped_column(sql: str, schema: Schema) -> str | None:
    """Why a column of *sql*'s grouped SELECT takes an arbitrary row's value; None when none does."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for select in tree.find_all(exp.Select):
        group = select.args.get("group")
        if group is None or _one_min_or_max(select) or any(e.is_int for e in group.expressions
                                                            if isinstance(e, exp.Literal)):
            continue
        tables = tables_by_alias(select, schema)
        grouped = {k for c in group.find_all(exp.Column) if own(c, select) and (k := resolve(c, tables))}
        determined = _determined(select, grouped, tables)
        for column in _bare_columns(select, group):
            key = resolve(column, tables)
            if key is not None and key not in determined and all(alias != key[0] for alias, _ in grouped):
                return (f"{column.sql()} is neither grouped on nor inside an aggregate, and the GROUP BY columns do "
                        f"not determine it, so SQLite returns one arbitrary row's value per group: put it inside an "
                        f"aggregate (SUM, COUNT, MAX, ...) or group on it")
    return None


def _one_min_or_max(select: exp.Select) -> bool:
    aggregates = [a for p in select.expressions for a in p.find_all(exp.AggFunc) if own(a, select)]
    return len(aggregates) == 1 and isinstance(aggregates[0], (exp.Min, exp.Max))


def _keys(table: Table) -> list[set[str]]:
    """Column sets that identify a row: the primary key, each unique index; none declared: each column."""
    keys = [{c.lower() for c in table.primary_key}] if table.primary_key else []
    keys += [{c.lower() for c in ix.columns} for ix in table.indexes if ix.unique]
    return keys or [{c.name.lower()} for c in table.columns]


def _determined(select: exp.Select, grouped: set, tables: dict[str, Table]) -> set[tuple[str, str]]:
    found = set(grouped)
    pairs = [(resolve(eq.this, tables), resolve(eq.expression, tables)) for eq in select.find_all(exp.EQ)
             if own(eq, select) and isinstance(eq.this, exp.Column) and isinstance(eq.expression, exp.Column)]
    pairs = [(a, b) for a, b in pairs if a and b]
    grown = True
    while grown:
        before = len(found)
        for a, b in pairs:
            if a in found or b in found:
                found |= {a, b}
        for alias, table in tables.items():
            mine = {name for a, name in found if a == alias}
            if any(key <= mine for key in _keys(table)):
                found |= {(alias, c.name.lower()) for c in table.columns}
        grown = len(found) > before
    return found


def _bare_columns(select: exp.Select, group: exp.Group) -> list[exp.Column]:
    """Columns of projections that are not aggregated and not grouped on themselves (by alias or as written)."""
    grouped = {e.sql().lower() for e in group.expressions}
    found = []
    for projection in select.expressions:
        node = projection.this if isinstance(projection, exp.Alias) else projection
        if node.find(exp.AggFunc, exp.Window, exp.Select) or node.sql().lower() in grouped or (
                isinstance(projection, exp.Alias) and projection.alias.lower() in grouped):
            continue
        found += [c for c in node.find_all(exp.Column) if own(c, select)]
    return found
