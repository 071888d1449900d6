"""Question/SQL templates over a self-referencing hierarchy (training/hierarchy_data.py).

Each template is a function (Hierarchy, read-only connection, rng) -> list[Cand] that phrases a question
with the database's own words ("division"/"team", "province"/"district") and writes the SQL in one style:
table names at each use, and in a self-join role aliases, `child` and `parent` (and `grandparent`), as in
`JOIN units AS parent ON child.parent_id = parent.id`. Named values are read from the rows. A question
that says "top-level" gets `parent_id IS NULL` in its SQL. The driver runs every candidate and keeps the
ones with a sensible result.
"""

from __future__ import annotations

import random
import re
import sqlite3

from .augment_profile import lit
from .augment_templates import Cand, say
from .hierarchy_tree import Fact, Hierarchy, Measure, Noun

AGG_WORDS = {"SUM": "total", "AVG": "average", "MAX": "highest", "MIN": "lowest"}


def ident(words: str) -> str:
    """Words -> a column alias: 'sub-department' -> 'sub_department'."""
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def values(con: sqlite3.Connection, sql: str) -> list:
    return [r[0] for r in con.execute(sql) if r[0] is not None]


def _nice(v: float) -> int | float:
    """A round threshold near *v*, as a person would type it."""
    if abs(v) >= 100:
        return int(round(v, -1 if abs(v) < 1000 else -2))
    return round(v) if abs(v) >= 10 else round(v, 1)


def round_quantile(con: sqlite3.Connection, sql: str, q: float) -> int | float | None:
    """The *q*-quantile of the values *sql* returns, rounded as a person would type it (None: no values)."""
    vals = sorted(values(con, sql))
    return _nice(vals[min(len(vals) - 1, int(q * len(vals)))]) if vals else None


def years_of(con: sqlite3.Connection, f: Fact) -> list[str]:
    """The years in which *f* has dated rows, in order."""
    return values(con, f"SELECT DISTINCT strftime('%Y', {f.date}) FROM {f.table} ORDER BY 1")


def named_leaf(h: Hierarchy, con: sqlite3.Connection, f: Fact, rng: random.Random) -> str | None:
    """The name of a node that *f*'s rows hang under directly (a bottom-level one), with at least two of them."""
    col = f.path[0][1]
    names = values(con, f"SELECT {h.table}.name FROM {f.table} JOIN {h.table} ON {f.table}.{col} = {h.table}.id "
                        f"GROUP BY {h.table}.id HAVING COUNT(*) >= 2 ORDER BY {h.table}.name")
    return rng.choice(names) if names else None


def fact_from(h: Hierarchy, f: Fact, alias: str = "child") -> str:
    """`FROM loans JOIN books ON loans.book_id = books.id JOIN subjects AS child ON books.subject_id = child.id`."""
    sql = f"FROM {f.table}"
    for i, (tab, col) in enumerate(f.path):
        if i + 1 < len(f.path):
            nxt = f.path[i + 1][0]
            sql += f" JOIN {nxt} ON {tab}.{col} = {nxt}.id"
        else:
            named = "" if alias == h.table else f" AS {alias}"  # the table's own name needs no alias
            sql += f" JOIN {h.table}{named} ON {tab}.{col} = {alias}.id"
    return sql


def up(h: Hierarchy, child: str = "child", parent: str = "parent", how: str = "JOIN") -> str:
    return f" {how} {h.table} AS {parent} ON {child}.{h.parent} = {parent}.id"


def down_left(h: Hierarchy, f: Fact) -> str:
    """The LEFT JOINs from `child` down to the fact table (for counts that keep nodes with none)."""
    sql = ""
    prev, key = "child", "id"
    for tab, col in reversed(f.path):
        sql += f" LEFT JOIN {tab} ON {tab}.{col} = {prev}.{key}"
        prev = tab
    return sql


def plain(nouns: list[Noun], rng: random.Random) -> Noun:
    """A phrasing without "top-level", for a node named in the question (its level is then no question)."""
    return rng.choice([n for n in nouns if not n.top] or nouns)


def levels(h: Hierarchy, rng: random.Random):
    """(parent-level noun, child-level noun): the last two levels, where the facts hang."""
    return rng.choice(h.levels[-2]), rng.choice(h.levels[-1])


def top_filter(h: Hierarchy, noun, alias: str = "parent", joiner: str = " WHERE") -> str:
    return f"{joiner} {alias}.{h.parent} IS NULL" if noun.top and h.depth == 2 else ""


def measured(h: Hierarchy) -> list[tuple[Fact, Measure]]:
    return [(f, m) for f in h.facts for m in f.measures]


def parent_names(h: Hierarchy, con, f: Fact) -> list[str]:
    """Parent-level nodes that have rows of *f* under their children."""
    return values(con, f"SELECT DISTINCT parent.name {fact_from(h, f)}{up(h)} ORDER BY parent.name")


# ---------------------------------------------------------------- the tree alone

def children_of(h, con, rng):
    out = []
    named = values(con, f"SELECT DISTINCT parent.name FROM {h.table} AS child{up(h)} ORDER BY parent.name")
    for name in rng.sample(named, min(3, len(named))):
        lv = h.level_of[name]
        p, c = plain(h.levels[lv], rng), rng.choice(h.levels[lv + 1])
        base = f"FROM {h.table} AS child{up(h)} WHERE parent.name = {lit(name)}"
        if rng.random() < 0.65:
            qs = say(rng, ["Which {cs} belong to the {p} {name}?", "List the {cs} under {name}.",
                           "What are the {cs} of the {p} {name}?",
                           "Show the names of all {cs} whose parent {node} is {name}."],
                     cs=c.many, p=p.one, name=name, node=h.node.one)
            out.append(Cand("children_of", qs, f"SELECT child.name {base}"))
        else:
            qs = say(rng, ["How many {cs} does the {p} {name} have?", "Count the {cs} directly under {name}.",
                           "What is the number of {cs} in {name}?"],
                     cs=c.many, p=p.one, name=name)
            out.append(Cand("children_of", qs, f"SELECT COUNT(*) {base}", positive=True))
    return out


def child_with_parent(h, con, rng):
    out = []
    p, c = plain(h.levels[-2], rng), rng.choice(h.levels[-1])
    deep = f" WHERE parent.{h.parent} IS NOT NULL" if h.depth == 3 else ""  # districts, not provinces
    qs = say(rng, ["List every {c} with the name of the {p} it belongs to.", "Show each {c} and its {p}.",
                   "For all {cs}, give the {c} name and the name of its parent {p}."],
             c=c.one, cs=c.many, p=p.one)
    sql = (f"SELECT child.name AS {ident(c.one)}, parent.name AS {ident(p.one)} "
           f"FROM {h.table} AS child{up(h)}{deep}")
    out.append(Cand("child_with_parent", qs, sql, min_rows=2))
    qs = say(rng, ["List all {nodes} with the name of their parent {node}, leaving it empty for top-level ones.",
                   "Show every {node} together with its parent {node}'s name (none for the top level).",
                   "Give each {node}'s name and its parent's name, including {nodes} without a parent."],
             node=h.node.one, nodes=h.node.many)
    sql = f"SELECT child.name AS {ident(h.node.one)}, parent.name AS parent_{ident(h.node.one)} FROM {h.table} AS child"
    out.append(Cand("child_with_parent", qs, sql + up(h, how="LEFT JOIN"), min_rows=2))
    leaves = [n for n, lv in h.level_of.items() if lv == h.depth - 1]
    name = rng.choice(sorted(leaves))
    qs = say(rng, ["Which {p} does the {c} {name} belong to?", "What is the parent {node} of {name}?",
                   "Name the {p} that {name} is part of."],
             p=p.one, c=c.one, name=name, node=h.node.one)
    sql = f"SELECT parent.name FROM {h.table} AS child{up(h)} WHERE child.name = {lit(name)}"
    out.append(Cand("child_with_parent", qs, sql))
    return out


def leaf_nodes(h, con, rng):
    sub = f"sub-{h.node.many}"
    qs = say(rng, ["Which {nodes} have no {sub}?", "List the {nodes} that no other {node} has as its parent.",
                   "Find the leaf {nodes}, the ones with nothing below them.",
                   "Show the names of {nodes} without any child {nodes}."],
             nodes=h.node.many, node=h.node.one, sub=sub)
    if rng.random() < 0.5:
        sql = (f"SELECT node.name FROM {h.table} AS node WHERE NOT EXISTS "
               f"(SELECT 1 FROM {h.table} AS child WHERE child.{h.parent} = node.id)")
    else:  # NOT IN must skip the NULL parent of the top level, or it matches nothing
        sql = f"SELECT name FROM {h.table} WHERE id NOT IN (SELECT {h.parent} FROM {h.table} WHERE {h.parent} IS NOT NULL)"
    out = [Cand("leaf_nodes", qs, sql, min_rows=2)]
    qs = say(rng, ["How many {nodes} have no {sub}?", "Count the {nodes} with no children."],
             nodes=h.node.many, sub=sub)
    sql = (f"SELECT COUNT(*) FROM {h.table} AS node WHERE NOT EXISTS "
           f"(SELECT 1 FROM {h.table} AS child WHERE child.{h.parent} = node.id)")
    return out + [Cand("leaf_nodes", qs, sql, positive=True)]


def top_level(h, con, rng):
    t = rng.choice(h.levels[0])
    if rng.random() < 0.6:
        qs = say(rng, ["List the {ts}.", "Which {nodes} are at the top level, with no parent?",
                       "Show the names of all {ts}."], ts=t.many, nodes=h.node.many)
        return [Cand("top_level", qs, f"SELECT name FROM {h.table} WHERE {h.parent} IS NULL", min_rows=2)]
    qs = say(rng, ["How many {ts} are there?", "Count the {nodes} that have no parent {node}."],
             ts=t.many, nodes=h.node.many, node=h.node.one)
    return [Cand("top_level", qs, f"SELECT COUNT(*) FROM {h.table} WHERE {h.parent} IS NULL", positive=True)]


def child_count(h, con, rng):
    t, c = rng.choice(h.levels[0]), rng.choice(h.levels[1])
    frm = f"FROM {h.table} AS parent LEFT JOIN {h.table} AS child ON child.{h.parent} = parent.id WHERE parent.{h.parent} IS NULL"
    col = f"COUNT(child.id) AS {ident(c.one)}_count"
    kind = rng.choice(["all", "most", "more"])
    if kind == "all":
        qs = say(rng, ["How many {cs} does each {t} have?", "For every {t}, count its {cs}, including zero.",
                       "Show each {t} with its number of {cs}."], t=t.one, cs=c.many)
        return [Cand("child_count", qs, f"SELECT parent.name, {col} {frm} GROUP BY parent.id", min_rows=2)]
    if kind == "most":
        qs = say(rng, ["Which {t} has the most {cs}?", "Name the {t} with the largest number of {cs}."],
                 t=t.one, cs=c.many)
        sql = f"SELECT parent.name, {col} {frm} GROUP BY parent.id ORDER BY COUNT(child.id) DESC LIMIT 1"
        return [Cand("child_count", qs, sql, tie_k=1)]
    n = rng.choice([2, 3])
    qs = say(rng, ["Which {ts} have more than {n} {cs}?", "List the {ts} with over {n} {cs}."],
             ts=t.many, cs=c.many, n=n)
    sql = f"SELECT parent.name {frm} GROUP BY parent.id HAVING COUNT(child.id) > {n}"
    return [Cand("child_count", qs, sql)]
