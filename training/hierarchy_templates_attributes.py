"""Templates over an entity's own columns (a book's format, its unit cost and copies), on the generated
databases of training/hierarchy_data.py.

They counter habits that the dated-row templates (training/hierarchy_templates_events.py) left in the
model: grouping by the entity's id where the question groups by one of its columns ("for every format"),
and joining the dated rows to compute what the entity's own columns already give ("unit cost times copies"
needs no loans). So: counts and averages per kind, dated rows counted or summed per kind of their entity
in a year, and totals of a product of two columns of the entity, over a named node, per top-level node,
or ranked. Same contract and SQL style as training/hierarchy_templates.py.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import Cand, say
from .hierarchy_templates import AGG_WORDS, fact_from, ident, named_leaf, plain, up, values, years_of
from .hierarchy_templates_events import events
from .hierarchy_tree import Fact, Hierarchy


def _in_node(h: Hierarchy, f: Fact, node: str) -> str:
    """`FROM books JOIN topics ON books.topic_id = topics.id WHERE topics.name = 'Physics'`: *f*'s rows of one node."""
    return (f"FROM {f.table} JOIN {h.table} ON {f.table}.{f.path[0][1]} = {h.table}.id "
            f"WHERE {h.table}.name = {lit(node)}")


def per_kind(h, con, rng):
    """Entities counted (or a measure averaged) per value of their kind column, over all or in a named node."""
    out = []
    for f in h.facts:
        a = f.attribute
        if a is None or len(f.path) != 1:
            continue
        col = f"{f.table}.{a.col}"
        kw = {"es": f.noun.many, "kind": a.words, "kinds": a.words + "s"}
        roll = rng.random()
        if roll < 0.35:
            qs = say(rng, ["How many {es} are there of each {kind}?", "Count the {es} per {kind}.",
                           "For every {kind}, how many {es} do we have?"], **kw)
            out.append(Cand("per_kind", qs, f"SELECT {col}, COUNT(*) FROM {f.table} GROUP BY {col}"))
        elif roll < 0.7:
            node = named_leaf(h, con, f, rng)
            if node is None:
                continue
            qs = say(rng, ["How many {es} of each {kind} are in {node}?",
                           "In {node}, count the {es} per {kind}.",
                           "For each {kind}, how many {es} does {node} have?"], node=node, **kw)
            out.append(Cand("per_kind", qs, f"SELECT {col}, COUNT(*) {_in_node(h, f, node)} GROUP BY {col}"))
        elif f.measures:
            m = rng.choice(f.measures)
            agg = rng.choice([x for x in m.aggs if x != "SUM"] or m.aggs)
            qs = say(rng, ["What is the {agg} {m} of the {es} of each {kind}?",
                           "Show the {agg} {m} per {kind} of {e}.",
                           "For every {kind}, give the {agg} {m} of its {es}."],
                     agg=AGG_WORDS[agg], m=m.words, e=f.noun.one, **kw)
            sql = f"SELECT {col}, {agg}({f.table}.{m.col}) FROM {f.table} GROUP BY {col}"
            out.append(Cand("per_kind", qs, sql))
    return out


def per_kind_in_year(h, con, rng):
    """Dated rows in a year counted (or a measure summed) per kind of the entity they belong to: grouped by the
    entity's column, not by the entity."""
    out = []
    for f, e in events(h):
        a = e.attribute
        if a is None:
            continue
        years = years_of(con, f)
        if not years:
            continue
        y = rng.choice(years)
        col = f"{e.table}.{a.col}"
        frm = f"FROM {f.table} JOIN {e.table} ON {f.table}.{f.path[0][1]} = {e.table}.id"
        where = f"WHERE strftime('%Y', {f.table}.{f.date}) = '{y}'"
        kw = {"es": e.noun.many, "evs": f.noun.many, "kind": a.words, "when": f.when, "y": y}
        roll = rng.random()
        if roll < 0.45:
            qs = say(rng, ["For every {kind}, count the {evs} of its {es} {when} {y}.",
                           "How many {evs} were {when} {y} for each {kind} of {e}?",
                           "Per {kind}, how many {evs} did the {es} have in {y}?"], e=e.noun.one, **kw)
            out.append(Cand("per_kind_in_year", qs, f"SELECT {col}, COUNT(*) {frm} {where} GROUP BY {col}"))
        elif roll < 0.7:
            counts = values(con, f"SELECT COUNT(*) {frm} {where} GROUP BY {col} ORDER BY 1 DESC LIMIT 2")
            if len(counts) == 2 and counts[0] == counts[1]:  # a tie at the top has no one answer
                continue
            qs = say(rng, ["Which {kind} of {e} had the most {evs} in {y}?",
                           "In {y}, which {kind} saw the largest number of {evs}?"], e=e.noun.one, **kw)
            sql = f"SELECT {col} {frm} {where} GROUP BY {col} ORDER BY COUNT(*) DESC LIMIT 1"
            out.append(Cand("per_kind_in_year", qs, sql))
        elif f.measures:
            m = rng.choice(f.measures)
            agg = rng.choice(m.aggs)
            qs = say(rng, ["What was the {agg} {m} of the {evs} {when} {y}, per {kind} of {e}?",
                           "For each {kind}, give the {agg} {m} over {evs} {when} {y}."],
                     agg=AGG_WORDS[agg], m=m.words, e=e.noun.one, **kw)
            out.append(Cand("per_kind_in_year", qs, f"SELECT {col}, {agg}({f.table}.{m.col}) {frm} {where} GROUP BY {col}"))
    return out


def own_product(h, con, rng):
    """A total of two of the entity's own columns multiplied (unit cost times copies): in a named node, per
    top-level node, overall, or the entities with the largest product. Never a join to the rows under them."""
    out = []
    for f in h.facts:
        p = f.product
        if p is None or len(f.path) != 1:
            continue
        expr = f"{f.table}.{p.a} * {f.table}.{p.b}"
        kw = {"es": f.noun.many, "what": p.words, "how": p.how}
        roll = rng.random()
        if roll < 0.35:
            node = named_leaf(h, con, f, rng)
            if node is None:
                continue
            qs = say(rng, ["What is the total {what} of the {es} in {node}, counting {how}?",
                           "Add up {how} over the {es} of {node}.",
                           "Taking {how}, what {what} do the {es} in {node} have altogether?"], node=node, **kw)
            out.append(Cand("own_product", qs, f"SELECT SUM({expr}) {_in_node(h, f, node)}"))
        elif roll < 0.6 and h.depth == 2:
            top = plain(h.levels[0], rng)
            qs = say(rng, ["For each {top}, what is the total {what} of its {es}, counting {how}?",
                           "Total {what} ({how}) per {top}, across its {kids}."],
                     top=top.one, kids=h.levels[1][0].many, **kw)
            alias = ident(top.one)
            sql = (f"SELECT parent.name AS {alias}, SUM({expr}) {fact_from(h, f)}{up(h)} "
                   f"GROUP BY parent.id, parent.name")
            out.append(Cand("own_product", qs, sql))
        elif roll < 0.8:
            qs = say(rng, ["What is the total {what} of all {es}, counting {how}?",
                           "Across every {e}, add up {how}."], e=f.noun.one, **kw)
            out.append(Cand("own_product", qs, f"SELECT SUM({expr}) FROM {f.table}", positive=True))
        else:
            k = rng.choice([3, 5])
            qs = say(rng, ["Which {k} {es} have the highest {what} ({how})? Show each with that value.",
                           "List the top {k} {es} by {how}, with the result."], k=k, **kw)
            sql = f"SELECT {f.table}.{f.label}, {expr} FROM {f.table} ORDER BY {expr} DESC LIMIT {k}"
            out.append(Cand("own_product", qs, sql, tie_k=k))
    return out


TEMPLATES = (per_kind, per_kind_in_year, own_product)
