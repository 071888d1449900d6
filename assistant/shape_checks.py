"""Queries whose shape makes the answer wrong whatever the data holds, found from the query and the schema
alone (no lookups).

- **INTERSECT or EXCEPT of two aggregates.** `SELECT COUNT(DISTINCT customer_id) FROM orders WHERE <2022>
  INTERSECT SELECT COUNT(DISTINCT customer_id) FROM orders WHERE <2025>` compares the two numbers: it returns
  the count only when both years happen to have the same one, and nothing otherwise. What such a question
  wants is the set operation on the rows, counted afterwards.
- **`IS NULL` on a column that the query's inner joins keep non-NULL.** `customers JOIN orders ON
  orders.customer_id = customers.id WHERE orders.id IS NULL` keeps no row: an inner join only pairs
  customers with orders that exist, so `orders.id` always has a value. Rows without a match need a LEFT
  JOIN (or NOT EXISTS / NOT IN). Non-NULL are: a table's INTEGER PRIMARY KEY (SQLite's rowid), a column
  declared NOT NULL, and a column that a `=` between two columns in the join or WHERE conditions ties to
  another. Only SELECTs without outer joins, and only a test that is a condition of the whole WHERE (not
  one side of an OR), are looked at.
- **EXCEPT whose first part is its second part with more conditions.** `SELECT c.email FROM customers c JOIN
  orders o ON ... WHERE c.country = 'Italy' EXCEPT SELECT c.email FROM customers c JOIN orders o ON ...`: the
  same columns from the same joins, filtered more, so every row of the first part is also a row of the second
  and nothing is ever left. "Customers with no orders" takes the first part from customers alone.
- **A threshold on single rows beside the same threshold on their sum.** `... WHERE orders.total > 3000 GROUP
  BY customers.id HAVING SUM(orders.total) > 3000` ("customers who spent more than $3000 in all") sums only the
  orders that are over 3000 each: a customer of two orders of 2000 is left out. The same number tested on a
  column in the WHERE and on that column's SUM or AVG in the HAVING is the question's one threshold written
  twice; the row test has to go. Checked on Spider train's gold queries: none has it.
"""

from __future__ import annotations

from sqlglot import exp

from .schema import Schema, Table
from .sql_tables import conjuncts, drop_condition, number_value, own, resolve, tables_by_alias
from .sqlcheck import parse


def shape_problem(sql: str, schema: Schema) -> str | None:
    """Why *sql*'s shape gives a wrong result whatever the data; None when neither check finds anything."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    return (aggregate_set_operation(tree) or null_test_after_inner_join(tree, schema) or except_of_a_subset(tree)
            or row_test_beside_its_sum(tree, schema))


def aggregate_set_operation(tree: exp.Expression) -> str | None:
    """An INTERSECT/EXCEPT whose two sides each return only aggregates of all their rows."""
    for op in tree.find_all(exp.Intersect, exp.Except):
        if _aggregates_only(op.this) and _aggregates_only(op.expression):
            word = "INTERSECT" if isinstance(op, exp.Intersect) else "EXCEPT"
            return (f"{word} is applied to two aggregate values, so it compares the two numbers rather than the "
                    f"rows they count: the result is empty unless they happen to be equal. Apply {word} to the "
                    f"rows themselves (e.g. the ids) in a subquery and aggregate that: "
                    f"SELECT COUNT(*) FROM (SELECT ... {word} SELECT ...)")
    return None


def except_of_a_subset(tree: exp.Expression) -> str | None:
    """An EXCEPT whose first SELECT is its second with the same columns, tables and joins and more WHERE
    conditions (or the same ones): its result is empty whatever the data."""
    for op in tree.find_all(exp.Except):
        first, second = op.this, op.expression
        if not (isinstance(first, exp.Select) and isinstance(second, exp.Select)):
            continue
        if _unfiltered(first) != _unfiltered(second):
            continue
        if _where_terms(second) <= _where_terms(first):
            return ("EXCEPT removes every row here: its first part is its second part with the same columns from "
                    "the same tables and joins, only filtered more, so each of its rows is also in the second "
                    "part and the result is always empty. For rows without a match in another table, take the "
                    "first part from the rows' own table without joining that table (SELECT ... FROM a WHERE ... "
                    "EXCEPT SELECT ... FROM a JOIN b ON ...), or use NOT EXISTS / NOT IN")
    return None


def _unfiltered(select: exp.Select) -> str:
    bare = select.copy()
    bare.set("where", None)
    return bare.sql(dialect="sqlite")


def _where_terms(select: exp.Select) -> set[str]:
    where = select.args.get("where")
    return {t.sql(dialect="sqlite") for t in conjuncts(where.this)} if where is not None else set()


def _aggregates_only(node: exp.Expression) -> bool:
    if not isinstance(node, exp.Select) or node.args.get("group") is not None:
        return False
    for projection in node.expressions:
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if not any(own(a, node) for a in value.find_all(exp.AggFunc)):
            return False
        if any(own(c, node) and not c.find_ancestor(exp.AggFunc) for c in value.find_all(exp.Column)):
            return False
    return bool(node.expressions)


def null_test_after_inner_join(tree: exp.Expression, schema: Schema) -> str | None:
    """A WHERE condition `col IS NULL` on a column that cannot be NULL in the SELECT's joined rows."""
    for select in tree.find_all(exp.Select):
        joins = select.args.get("joins") or []
        where = select.args.get("where")
        if where is None or any(j.side for j in joins) or any("OUTER" in (j.kind or "").upper() for j in joins):
            continue
        tables = tables_by_alias(select, schema)
        tests = conjuncts(where.this)
        conditions = tests + [c for j in joins if j.args.get("on") for c in conjuncts(j.args["on"])]
        tied = {k for eq in conditions if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column)
                and isinstance(eq.expression, exp.Column)
                for k in (resolve(eq.this, tables), resolve(eq.expression, tables)) if k}
        for test in tests:
            if not (isinstance(test, exp.Is) and isinstance(test.expression, exp.Null)
                    and isinstance(test.this, exp.Column)):
                continue
            key = resolve(test.this, tables)
            if key is None:
                continue
            why = _never_null(tables[key[0]], key[1], key in tied)
            if why:
                name = test.this.sql()
                joined = "its joins are inner joins, so " if joins else ""
                return (f"{name} IS NULL keeps no row: {name} {why}, and {joined}every row of the result has a "
                        f"value there. To find rows with no match, LEFT JOIN that table and test IS NULL, or use "
                        f"NOT EXISTS / NOT IN")
    return None


def _never_null(table: Table, name: str, tied: bool) -> str | None:
    column = table.column(name)
    if column is None:
        return None
    if column.pk and table.primary_key == (column.name,) and column.type.strip().upper() == "INTEGER":
        return f"is the INTEGER PRIMARY KEY of {table.name}"
    if column.notnull:
        return f"is declared NOT NULL in {table.name}"
    if tied:
        return "is compared with = to another column in the join conditions, which NULL never satisfies"
    return None


_ABOVE = (exp.GT, exp.GTE)


def row_test_beside_its_sum(tree: exp.Expression, schema: Schema) -> str | None:
    """A WHERE condition `col > N` (or >=) of a SELECT whose HAVING tests SUM(col) or AVG(col) against the same N."""
    found = _row_test_and_its_sum(tree, schema)
    if found is None:
        return None
    _, test, whole = found
    agg = whole.this.key.upper()
    return (f"the WHERE clause keeps only rows with {test.sql('sqlite')}, and the HAVING clause tests "
            f"{whole.sql('sqlite')} against the same number: the row test leaves out the smaller rows that the "
            f"{agg} has to include, so it is not the group's whole {agg}. The question's threshold is on the "
            f"{agg}: remove {test.sql('sqlite')} from the WHERE clause")


def without_row_test(sql: str, schema: Schema) -> str | None:
    """*sql* without the row test that row_test_beside_its_sum finds (the WHERE's other conditions kept); None when it
    finds none. A fine-tuned model told to remove the test kept it and rewrote the HAVING instead."""
    tree, _ = parse(sql)
    found = _row_test_and_its_sum(tree, schema) if tree is not None else None
    if found is None:
        return None
    select, test, _ = found
    drop_condition(select, test)
    return tree.sql(dialect="sqlite")


def _row_test_and_its_sum(tree: exp.Expression, schema: Schema):
    """(SELECT, WHERE test `col > N`, HAVING comparison `SUM(col) > N`) of the first SELECT that has both."""
    for select in tree.find_all(exp.Select):
        where, having = select.args.get("where"), select.args.get("having")
        if where is None or having is None:
            continue
        tables = tables_by_alias(select, schema)
        for test in conjuncts(where.this):
            row = _column_above(test, tables)
            if row is None:
                continue
            for agg in having.find_all(exp.Sum, exp.Avg):
                whole = agg.parent
                if (isinstance(whole, _ABOVE) and whole.this is agg and isinstance(agg.this, exp.Column)
                        and (resolve(agg.this, tables), number_value(whole.expression)) == row):
                    return select, test, whole
    return None


def _column_above(test: exp.Expression, tables) -> tuple[tuple[str, str], float] | None:
    """((alias, column), N) for a test `col > N` or `col >= N` on a column of this SELECT's tables."""
    if isinstance(test, _ABOVE) and isinstance(test.this, exp.Column):
        key, n = resolve(test.this, tables), number_value(test.expression)
        if key is not None and n is not None:
            return key, n
    return None
