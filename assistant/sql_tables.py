"""Which schema table each name of one SELECT stands for, and which table a column of it belongs to, and the
conditions a WHERE or ON requires together, and the value of a number written in it: the lookups that the checks of a
parsed query (group_checks, shape_checks, join_checks, negation_checks, aggregate_checks) share."""

from __future__ import annotations

from sqlglot import exp

from .schema import Schema, Table


def own(node: exp.Expression, select: exp.Select) -> bool:
    """Whether *node* belongs to *select* itself rather than to a subquery inside it."""
    return node.find_ancestor(exp.Select) is select


def tables_by_alias(select: exp.Select, schema: Schema) -> dict[str, Table]:
    """{alias or name, lower-cased: table} for the schema tables in *select*'s own FROM and JOINs."""
    out = {}
    for t in select.find_all(exp.Table):
        table = schema.table(t.name)
        if table is not None and own(t, select):
            out[(t.alias or t.name).lower()] = table
    return out


def resolve(column: exp.Column, tables: dict[str, Table]) -> tuple[str, str] | None:
    """(alias, column name) of *column* in this SELECT's tables; None when unknown or ambiguous."""
    name = column.name.lower()
    if column.table:
        table = tables.get(column.table.lower())
        return (column.table.lower(), name) if table is not None and table.column(name) else None
    holders = [alias for alias, table in tables.items() if table.column(name)]
    return (holders[0], name) if len(holders) == 1 else None


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """The conditions that *node* (a WHERE's or an ON's expression) requires together: the terms of its top-level
    AND, inside one pair of parentheses."""
    node = node.unnest() if isinstance(node, exp.Paren) else node
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


def drop_condition(select: exp.Select, test: exp.Expression) -> None:
    """Take *test*, one of the conditions its WHERE requires together (conjuncts), out of *select* (in place); the WHERE
    goes when it was the only one."""
    rest = [c for c in conjuncts(select.args["where"].this) if c is not test]
    select.set("where", exp.Where(this=exp.and_(*rest)) if rest else None)


def number_value(node: exp.Expression) -> float | None:
    """The value of a numeric literal (`72`, `3000.5`); None for anything else."""
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    return None
