"""Templates that count groups and combine two routes, on the generated databases of training/hierarchy_data.py.

Two skills the fine-tuned model still gets wrong on questions it has not seen:

- Counting the groups that have at least N rows ("how many threads started in 2022 got 3 or more posts?"):
  COUNT(*) over a grouped subquery with HAVING COUNT(*) >= N, the filter on the group's own row (its date)
  or on the counted rows. The "how many different ..." pairs of training/hierarchy_templates_order.py left a
  habit of COUNT(DISTINCT x) over all rows for such questions; these pairs are its counterweight.
- Nodes reached by either of two routes, each with its own test (and its own year): a UNION of two joins when
  the tests are on different tables, one WHERE with OR when both are on the same rows. The year of each side
  stays on that side.

Same contract and SQL style as training/hierarchy_templates.py: values read from the rows, every candidate run
by the driver and kept only with a sensible result.
"""

from __future__ import annotations

from .augment_templates import Cand, say
from .hierarchy_templates import fact_from, round_quantile, years_of
from .hierarchy_templates_events import _fk, _year, events
from .hierarchy_tree import Fact


def _threshold(con, groups: str, rng) -> int | None:
    """An N from 2 to 6 that at least one group of *groups* (`FROM ... GROUP BY ...`) has exactly: the count of
    groups with N rows or more is then never 0."""
    options = sorted({n for (n,) in con.execute(f"SELECT COUNT(*) {groups}") if 2 <= n <= 6})
    return rng.choice(options) if options else None


def _count_at_least(f: Fact, groups: str, n: int) -> str:
    return f"SELECT COUNT(*) FROM (SELECT {f.table}.{_fk(f)} {groups} HAVING COUNT(*) >= {n})"


def count_big_groups(h, con, rng):
    """How many entities (or nodes) have at least N rows under them: COUNT(*) over a grouped subquery with
    HAVING COUNT(*) >= N; the year on the entity's own date, or a test on the counted rows, before grouping."""
    out = []
    for f, e in events(h):
        fk = _fk(f)
        kw = {"es": e.noun.many, "evs": f.noun.many}
        if e.date and rng.random() < 0.6:
            years = years_of(con, e)
            if not years:
                continue
            y = rng.choice(years)
            groups = (f"FROM {f.table} JOIN {e.table} ON {f.table}.{fk} = {e.table}.id WHERE {_year(e)} = '{y}' "
                      f"GROUP BY {f.table}.{fk}")
            n = _threshold(con, groups, rng)
            if n is None:
                continue
            qs = say(rng, ["How many {es} {when} {y} had {n} or more {evs}?",
                           "Count the {es} {when} {y} that have at least {n} separate {evs}.",
                           "Of the {es} {when} {y}, how many got {n} {evs} or more?",
                           "In {y}, how many new {es} collected at least {n} different {evs}?"],
                     when=e.when, y=y, n=n, **kw)
            sql = _count_at_least(f, groups, n)
        elif f.measures:
            m = rng.choice(f.measures)
            x = round_quantile(con, f"SELECT {m.col} FROM {f.table}", rng.uniform(0.3, 0.7))
            if x is None:
                continue
            groups = f"FROM {f.table} WHERE {f.table}.{m.col} > {x} GROUP BY {f.table}.{fk}"
            n = _threshold(con, groups, rng)
            if n is None:
                continue
            qs = say(rng, ["How many {es} have at least {n} {evs} with {m} above {x}?",
                           "Count the {es} that had {n} or more {evs} whose {m} was over {x}.",
                           "For how many {es} are there {n} or more {evs} with a {m} greater than {x}?"],
                     m=m.words, x=x, n=n, **kw)
            sql = _count_at_least(f, groups, n)
        else:
            continue
        out.append(Cand("count_big_groups", qs, sql, positive=True))
    for f in h.facts:  # bottom-level nodes with at least N entities
        if len(f.path) != 1 or rng.random() < 0.5:
            continue
        groups = f"FROM {f.table} GROUP BY {f.table}.{_fk(f)}"
        n = _threshold(con, groups, rng)
        if n is None:
            continue
        c = rng.choice(h.levels[-1])
        qs = say(rng, ["How many {cs} have {n} or more {es}?", "Count the {cs} with at least {n} {es} in them."],
                 cs=c.many, n=n, es=f.noun.many)
        out.append(Cand("count_big_groups", qs, _count_at_least(f, groups, n), positive=True))
    return out


def _test(con, f: Fact, rng, q: tuple[float, float]):
    """(condition, words) for one route: a measure above a high value of *f*'s rows, with *f*'s year sometimes."""
    if not f.measures:
        return None
    m = rng.choice(f.measures)
    x = round_quantile(con, f"SELECT {m.col} FROM {f.table}", rng.uniform(*q))
    if x is None:
        return None
    cond, words = f"{f.table}.{m.col} > {x}", f"{f.noun.one} with {m.words} above {x}"
    years = years_of(con, f) if f.date else []
    if years and rng.random() < 0.6:
        y = rng.choice(years)
        cond += f" AND {_year(f)} = '{y}'"
        words = f"{f.noun.one} {f.when} {y} with {m.words} above {x}"
    return cond, words


def either_route(h, con, rng):
    """Bottom-level nodes with a row that passes one test or a row (of another table) that passes another: a
    UNION of the two joins, each side with its own year; two tests on the same rows are one WHERE with OR."""
    out = []
    facts = [f for f in h.facts if f.measures]
    if not facts:
        return out
    c = rng.choice(h.levels[-1])
    if len(facts) >= 2:
        f1, f2 = rng.sample(facts, 2)
        t1, t2 = _test(con, f1, rng, (0.85, 0.95)), _test(con, f2, rng, (0.85, 0.95))
        if t1 is None or t2 is None:
            return out
        qs = say(rng, ["Which {cs} have either a {w1} or a {w2}? Name each once.",
                       "List the {cs} with at least one {w1}, together with those that have a {w2} (no repeats).",
                       "Give every {c} that has a {w1} or has a {w2}."],
                 cs=c.many, c=c.one, w1=t1[1], w2=t2[1])
        sql = (f"SELECT child.name {fact_from(h, f1)} WHERE {t1[0]} UNION "
               f"SELECT child.name {fact_from(h, f2)} WHERE {t2[0]}")
        out.append(Cand("either_route", qs, sql, min_rows=2))
    f = rng.choice(facts)
    if f.label and len(f.measures) + bool(f.date) >= 2:
        m = rng.choice(f.measures)
        x = round_quantile(con, f"SELECT {m.col} FROM {f.table}", rng.uniform(0.85, 0.95))
        others = [g for g in f.measures if g is not m]
        years = years_of(con, f) if f.date else []
        if x is None or not (others or years):
            return out
        if years and (not others or rng.random() < 0.5):
            y = rng.choice(years)
            other, either, plus = f"{_year(f)} = '{y}'", f"were {f.when} {y}", f"any {f.when} {y}"
        else:
            g = rng.choice(others)
            z = round_quantile(con, f"SELECT {g.col} FROM {f.table}", rng.uniform(0.85, 0.95))
            if z is None:
                return out
            other, either, plus = f"{f.table}.{g.col} > {z}", f"have {g.words} above {z}", f"those with {g.words} over {z}"
        qs = say(rng, ["Which {es} either have {m} above {x} or {either}? Give their {lab}.",
                       "List the {es} with a {m} over {x}, plus {plus}."],
                 es=f.noun.many, m=m.words, x=x, either=either, plus=plus, lab=f.label)
        sql = f"SELECT {f.table}.{f.label} FROM {f.table} WHERE {f.table}.{m.col} > {x} OR {other}"
        out.append(Cand("either_route", qs, sql, min_rows=2))
    return out


TEMPLATES = (count_big_groups, either_route)
