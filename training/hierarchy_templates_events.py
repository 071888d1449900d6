"""Templates over the dated rows under an entity (a loan of a book, a reading of a station, a post in a
thread), on the same generated databases as the hierarchy templates (training/hierarchy_data.py).

They teach skills that Spider train rarely shows and the fine-tuned model misses: two conditions on
different rows of one entity (rows in both of two years, or in one and not the other), totals per entity
compared with a threshold, the first row of each entity, a UNION of two differently joined sets, counts
per entity that keep zeros, conditional counts side by side, and entities with at least N rows in a year.
Same contract and SQL style as training/hierarchy_templates.py: table names at each use, values read from
the rows, every candidate run by the driver and kept only with a sensible result.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import Cand, say
from .hierarchy_templates import ident, named_leaf, round_quantile, years_of
from .hierarchy_tree import Fact, Hierarchy, Measure


def events(h: Hierarchy) -> list[tuple[Fact, Fact]]:
    """(event, entity) pairs: a dated fact one hop under another fact that has a label (loans under books)."""
    out = []
    for f in h.facts:
        if len(f.path) >= 2 and f.date:
            owner = next((e for e in h.facts if e.table == f.path[1][0] and e.label), None)
            if owner:
                out.append((f, owner))
    return out


def owner(h: Hierarchy, f: Fact) -> Fact | None:
    """The entity whose dated rows *f* holds (books for loans), or None when *f* is no such event."""
    return next((e for g, e in events(h) if g is f), None)


def _fk(f: Fact) -> str:
    return f.path[0][1]


def _year(f: Fact) -> str:
    return f"strftime('%Y', {f.table}.{f.date})"


def _summable(f: Fact) -> list[Measure]:
    return [m for m in f.measures if "SUM" in m.aggs]


def _join(f: Fact, e: Fact, how: str = "JOIN") -> str:
    return f" {how} {f.table} ON {f.table}.{_fk(f)} = {e.table}.id"


def _with_rows_in(f: Fact, year: str) -> str:
    return f"SELECT {_fk(f)} FROM {f.table} WHERE strftime('%Y', {f.date}) = '{year}'"


def in_both_years(h, con, rng):
    """Entities with rows in two given years (two IN conditions on different rows), or in one but not the other."""
    out = []
    for f, e in events(h):
        years = years_of(con, f)
        if len(years) < 2:
            continue
        y1, y2 = sorted(rng.sample(years, 2))
        kw = {"es": e.noun.many, "evs": f.noun.many, "ev": f.noun.one, "when": f.when, "y1": y1, "y2": y2,
              "label": e.label}
        kind = rng.choice(["count", "list", "not"])
        if kind == "count":
            qs = say(rng, ["How many {es} had {evs} {when} both {y1} and {y2}?",
                           "Count the {es} with at least one {ev} in {y1} and at least one in {y2}.",
                           "What number of {es} have {evs} from {y1} as well as from {y2}?"], **kw)
            sql = f"SELECT COUNT(*) FROM {e.table} WHERE id IN ({_with_rows_in(f, y1)}) AND id IN ({_with_rows_in(f, y2)})"
            out.append(Cand("in_both_years", qs, sql, positive=True))
        elif kind == "list":
            qs = say(rng, ["Which {es} had {evs} {when} both {y1} and {y2}? Give their {label}s.",
                           "List the {label} of every {e} with a {ev} in {y1} and another in {y2}."],
                     e=e.noun.one, **kw)
            sql = f"SELECT {e.label} FROM {e.table} WHERE id IN ({_with_rows_in(f, y1)}) AND id IN ({_with_rows_in(f, y2)})"
            out.append(Cand("in_both_years", qs, sql))
        else:
            qs = say(rng, ["Which {es} had {evs} {when} {y1} but none in {y2}? Show their {label}s.",
                           "List the {es} with a {ev} in {y1} and no {ev} in {y2}."], **kw)
            sql = f"SELECT {e.label} FROM {e.table} WHERE id IN ({_with_rows_in(f, y1)}) AND id NOT IN ({_with_rows_in(f, y2)})"
            out.append(Cand("in_both_years", qs, sql))
    return out


def total_over(h, con, rng):
    """Entities whose total of a measure over their rows passes a threshold (optionally from a year on)."""
    out = []
    for f, e in events(h):
        for m in _summable(f):
            since = rng.choice(years_of(con, f)[1:] or [None]) if rng.random() < 0.4 else None
            where = f" WHERE {f.table}.{f.date} >= '{since}-01-01'" if since else ""
            x = round_quantile(con, f"SELECT SUM({m.col}) FROM {f.table}{where} GROUP BY {_fk(f)}", rng.uniform(0.4, 0.75))
            if x is None:
                continue
            tail = f", counting only {f.noun.many} from {since} on" if since else ""
            total = f"total_{m.col}"
            if rng.random() < 0.5:
                qs = say(rng, ["How many {es} have a total {m} above {x} across all their {evs}{tail}?",
                               "Count the {es} whose {evs} add up to more than {x} in {m}{tail}.",
                               "What number of {es} passed {x} in total {m}{tail}?"],
                         es=e.noun.many, evs=f.noun.many, m=m.words, x=x, tail=tail)
                sql = (f"WITH totals AS (SELECT {_fk(f)}, SUM({m.col}) AS {total} FROM {f.table}{where} "
                       f"GROUP BY {_fk(f)}) SELECT COUNT(*) FROM totals WHERE {total} > {x}")
                out.append(Cand("total_over", qs, sql, positive=True))
            else:
                qs = say(rng, ["Which {es} have more than {x} in total {m}{tail}? Show the {label} and the total.",
                               "List each {e} whose {evs} sum to over {x} in {m}{tail}, with that sum."],
                         es=e.noun.many, e=e.noun.one, evs=f.noun.many, m=m.words, x=x, tail=tail, label=e.label)
                sql = (f"SELECT {e.table}.{e.label}, SUM({f.table}.{m.col}) AS {total} FROM {e.table}{_join(f, e)}"
                       f"{where} GROUP BY {e.table}.id HAVING SUM({f.table}.{m.col}) > {x}")
                out.append(Cand("total_over", qs, sql))
    return out


def first_in_year(h, con, rng):
    """Entities whose first (or latest) row falls in a year: MIN/MAX per entity first, then the filter."""
    out = []
    for f, e in events(h):
        years = years_of(con, f)
        if not years:
            continue
        y = rng.choice(years)
        agg, word, alias = rng.choice([("MIN", "first", "first_date"), ("MAX", "latest", "last_date")])
        firsts = (f"WITH per_{ident(e.noun.one)} AS (SELECT {_fk(f)}, {agg}({f.date}) AS {alias} FROM {f.table} "
                  f"GROUP BY {_fk(f)}) ")
        leaf = named_leaf(h, con, e, rng) if rng.random() < 0.4 else None
        if leaf:
            node = rng.choice(h.levels[-1]).one
            qs = say(rng, ["How many {es} in the {node} {leaf} had their {w} {ev} in {y}?",
                           "Among the {es} of {leaf}, count those whose {w} {ev} was in {y}."],
                     es=e.noun.many, node=node, leaf=leaf, w=word, ev=f.noun.one, y=y)
            t = f"per_{ident(e.noun.one)}"
            sql = (firsts + f"SELECT COUNT(*) FROM {t} JOIN {e.table} ON {e.table}.id = {t}.{_fk(f)} "
                   f"JOIN {h.table} ON {e.table}.{e.path[0][1]} = {h.table}.id WHERE {h.table}.name = {lit(leaf)} "
                   f"AND strftime('%Y', {t}.{alias}) = '{y}'")
        else:
            qs = say(rng, ["How many {es} had their {w} {ev} in {y}?",
                           "Count the {es} whose {w} {ev} dates from {y}.",
                           "For how many {es} was the {w} {ev} {when} {y}?"],
                     es=e.noun.many, w=word, ev=f.noun.one, y=y, when=f.when)
            sql = firsts + f"SELECT COUNT(*) FROM per_{ident(e.noun.one)} WHERE strftime('%Y', {alias}) = '{y}'"
        out.append(Cand("first_in_year", qs, sql, positive=True))
    return out


def union_two_routes(h, con, rng):
    """A UNION of the entities that pass a test on their own column and those with a row that passes another."""
    out = []
    for f, e in events(h):
        if not e.measures or not f.measures:
            continue
        em, fm = rng.choice(e.measures), rng.choice(f.measures)
        x = round_quantile(con, f"SELECT {em.col} FROM {e.table}", rng.uniform(0.8, 0.9))
        yv = round_quantile(con, f"SELECT {fm.col} FROM {f.table}", rng.uniform(0.9, 0.97))
        if x is None or yv is None:
            continue
        years = years_of(con, f)
        y = rng.choice(years) if years and rng.random() < 0.4 else None
        in_y = f" {f.when} {y}" if y else ""
        qs = say(rng, [("List the {es} whose {em} is above {x}, together with those that had a {ev}{in_y} with "
                        "{fm} above {yv} (no repeats)."),
                       ("Which {es} either have a {em} over {x} or have at least one {ev}{in_y} whose {fm} is over "
                        "{yv}? Give each {label} once."),
                       "Show every {e} with {em} above {x}, plus every {e} that had a {ev}{in_y} with {fm} over {yv}."],
                 es=e.noun.many, e=e.noun.one, ev=f.noun.one, em=em.words, fm=fm.words, x=x, yv=yv, in_y=in_y,
                 label=e.label)
        cond = f" AND {_year(f)} = '{y}'" if y else ""
        sql = (f"SELECT {e.label} FROM {e.table} WHERE {em.col} > {x} UNION SELECT {e.table}.{e.label} "
               f"FROM {e.table}{_join(f, e)} WHERE {f.table}.{fm.col} > {yv}{cond}")
        out.append(Cand("union_two_routes", qs, sql, min_rows=2))
    return out


def counts_with_zero(h, con, rng):
    """Per entity of one named bottom-level node, its rows counted with a LEFT JOIN (0 where it has none)."""
    out = []
    for f, e in events(h):
        leaf = named_leaf(h, con, e, rng)
        if not leaf:
            continue
        node = rng.choice(h.levels[-1]).one
        qs = say(rng, ["For every {e} in the {node} {leaf}, how many {evs} does it have? Show 0 for those with none.",
                       "Count the {evs} of each {e} under {leaf}, including {es} that have no {evs}.",
                       "List all {es} of {leaf} with their number of {evs}, zero where there are none."],
                 e=e.noun.one, es=e.noun.many, evs=f.noun.many, node=node, leaf=leaf)
        sql = (f"SELECT {e.table}.{e.label}, COUNT({f.table}.id) AS {ident(f.noun.one)}_count FROM {e.table} "
               f"JOIN {h.table} ON {e.table}.{e.path[0][1]} = {h.table}.id{_join(f, e, 'LEFT JOIN')} "
               f"WHERE {h.table}.name = {lit(leaf)} GROUP BY {e.table}.id")
        out.append(Cand("counts_with_zero", qs, sql, min_rows=2))
    return out


def side_by_side(h, con, rng):
    """Two conditional counts next to each other: per year (two bands of a measure) or per entity (two years)."""
    out = []
    for f, e in events(h):
        years = years_of(con, f)
        if f.measures and (rng.random() < 0.5 or len(years) < 2):
            m = rng.choice(f.measures)
            hi = round_quantile(con, f"SELECT {m.col} FROM {f.table}", 0.75)
            lo = round_quantile(con, f"SELECT {m.col} FROM {f.table}", 0.25)
            if hi is None or lo is None or lo >= hi:
                continue
            qs = say(rng, [("Year by year, show the number of {evs} with {m} above {hi} next to the number with "
                            "{m} below {lo}."),
                           "For each year, count the {evs} whose {m} is over {hi} and, beside it, those under {lo}."],
                     evs=f.noun.many, m=m.words, hi=hi, lo=lo)
            sql = (f"SELECT strftime('%Y', {f.date}) AS year, SUM(CASE WHEN {m.col} > {hi} THEN 1 ELSE 0 END) AS "
                   f"high_count, SUM(CASE WHEN {m.col} < {lo} THEN 1 ELSE 0 END) AS low_count FROM {f.table} "
                   "GROUP BY year ORDER BY year")
            out.append(Cand("side_by_side", qs, sql, min_rows=2))
        elif len(years) >= 2:
            y1, y2 = sorted(rng.sample(years, 2))
            qs = say(rng, ["For each {e}, show how many {evs} it had in {y1} and how many in {y2}, side by side.",
                           ("List every {e}'s {label} with its number of {evs} {when} {y1} next to its number "
                            "{when} {y2}.")],
                     e=e.noun.one, evs=f.noun.many, y1=y1, y2=y2, label=e.label, when=f.when)
            sql = (f"SELECT {e.table}.{e.label}, SUM(CASE WHEN {_year(f)} = '{y1}' THEN 1 ELSE 0 END) AS count_{y1}, "
                   f"SUM(CASE WHEN {_year(f)} = '{y2}' THEN 1 ELSE 0 END) AS count_{y2} FROM {e.table}{_join(f, e)} "
                   f"GROUP BY {e.table}.id")
            out.append(Cand("side_by_side", qs, sql, min_rows=2))
    return out


def many_in_year(h, con, rng):
    """Entities with at least N rows in one year: the year filter before the grouping, kept."""
    out = []
    for f, e in events(h):
        years = years_of(con, f)
        if not years:
            continue
        y, n = rng.choice(years), rng.randint(2, 4)
        where = f" WHERE {_year(f)} = '{y}'"
        if rng.random() < 0.5:
            qs = say(rng, ["How many {es} had at least {n} {evs} {when} {y}?",
                           "Count the {es} with {n} or more {evs} in {y}.",
                           "In {y}, how many {es} got {n} {evs} or more?"],
                     es=e.noun.many, n=n, evs=f.noun.many, when=f.when, y=y)
            sql = (f"SELECT COUNT(*) FROM (SELECT {f.table}.{_fk(f)} FROM {f.table}{where} GROUP BY {f.table}.{_fk(f)} "
                   f"HAVING COUNT(*) >= {n})")
            out.append(Cand("many_in_year", qs, sql, positive=True))
        else:
            qs = say(rng, ["Which {es} had {n} or more {evs} {when} {y}? Give the {label}.",
                           "List the {es} with at least {n} {evs} in {y}."],
                     es=e.noun.many, n=n, evs=f.noun.many, when=f.when, y=y, label=e.label)
            sql = (f"SELECT {e.table}.{e.label} FROM {e.table}{_join(f, e)}{where} GROUP BY {e.table}.id "
                   f"HAVING COUNT(*) >= {n}")
            out.append(Cand("many_in_year", qs, sql))
    return out


TEMPLATES = (in_both_years, total_over, first_in_year, union_two_routes, counts_with_zero, side_by_side,
             many_in_year)
