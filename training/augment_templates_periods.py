"""Templates for questions about periods and sequences: change from the previous period (LAG), running
totals over periods, the busiest period per year, the n-th event of one entity, and when entities first
appeared. Same contract as training/augment_templates.py: (profile, rng) -> list[Cand], parameters drawn
from the real rows, phrasings our own. Each template writes its SQL in more than one correct form (CTE or
subquery, month or year grain) so that no single surface shape is learnt as "the" answer.
"""

from __future__ import annotations

import re

from .augment_profile import lit, q
from .augment_templates import Cand, _links, _tabs, say

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}
GRAINS = {"month": ("%Y-%m", "month"), "year": ("%Y", "year")}


def _years(d) -> list[str]:
    """The years (YYYY) among the sampled values of ISO date column *d*."""
    return sorted({str(v)[:4] for v in d.values if str(v)[:4].isdigit()})


def _dated(p, rng):
    """(table, date column, years present) for every table with an ISO date column."""
    for t in _tabs(p, lambda t: t.dates()):
        d = rng.choice(t.dates())
        years = _years(d)
        if years:
            yield t, d, years


def _per_period(t, d, rng, y: str | None):
    """(grain, SQL of the per-period rows, the name of its value column, what that value is in words).

    The period column is named after the grain (month / year) and the value after what it holds (the
    measure's own name, or n for a count): placeholder names like `period` and `v` were copied by the model
    into answers where they meant nothing (seen in the v2 evaluation)."""
    grain = "month" if y else "year"
    fmt = GRAINS[grain][0]
    where = f" WHERE strftime('%Y', {q(d.name)}) = '{y}'" if y else f" WHERE {q(d.name)} IS NOT NULL"
    ms = t.measures()
    if ms and rng.random() < 0.4:
        m = rng.choice(ms)
        agg, what, v = f"SUM({q(m.name)})", f"total {m.words}", "total_" + re.sub(r"\W+", "_", m.name.lower()).strip("_")
    else:
        agg, what, v = "COUNT(*)", f"number of {t.nouns}", "n"
    inner = (f"SELECT strftime('{fmt}', {q(d.name)}) AS {grain}, {agg} AS {v} FROM {q(t.name)}{where} "
             f"GROUP BY {grain}")
    return grain, inner, v, what


def _periods(p, rng):
    """(grain, per-period SQL, value column, what the value is, the span in words) per dated table: the
    months of one year (60%) or all years."""
    for t, d, years in _dated(p, rng):
        y = rng.choice(years) if rng.random() < 0.6 else None
        yield (*_per_period(t, d, rng, y), f"each month of {y}" if y else "each year")


def period_change(p, rng):
    out = []
    for grain, inner, v, what, span in _periods(p, rng):
        qs = say(rng, ["Show the {what} for {span}, in order, with the change from the previous {grain}.",
                       "For {span}, give the {what} and how much it went up or down since the {grain} before.",
                       "List the {what} by {grain} ({span}) with the difference from the prior {grain}."],
                 what=what, span=span, grain=grain)
        if rng.random() < 0.5:
            sql = (f"WITH per_{grain} AS ({inner}) SELECT {grain}, {v}, {v} - LAG({v}) OVER (ORDER BY {grain}) "
                   f"AS change FROM per_{grain} ORDER BY {grain}")
        else:
            sql = (f"SELECT {grain}, {v}, {v} - LAG({v}) OVER (ORDER BY {grain}) AS change FROM ({inner}) "
                   f"ORDER BY {grain}")
        out.append(Cand("period_change", qs, sql, min_rows=2))
    return out


def period_running_total(p, rng):
    out = []
    for grain, inner, v, what, span in _periods(p, rng):
        qs = say(rng, ["Give the {what} for {span} together with a running total, in {grain} order.",
                       "Show {span} with its {what} and the cumulative sum up to that {grain}.",
                       "For {span}, list the {what} and the total so far."],
                 what=what, span=span, grain=grain)
        sql = (f"SELECT {grain}, {v}, SUM({v}) OVER (ORDER BY {grain}) AS running_total FROM ({inner}) "
               f"ORDER BY {grain}")
        out.append(Cand("period_running_total", qs, sql, min_rows=2))
    return out


def busiest_month_per_year(p, rng):
    out = []
    for t, d, years in _dated(p, rng):
        if len(years) < 2:
            continue
        # The count is in the answer only when the question asks for it.
        counted = rng.random() < 0.5
        qs = say(rng, ["For each year, which month had the most {rows}{tail}?",
                       "Find the busiest month of every year by number of {rows}{tail} (ties included).",
                       "Per year, show the month with the highest count of {rows}{tail}."],
                 rows=t.nouns, tail=", and how many" if counted else "")
        sql = (f"SELECT year, month{', n' if counted else ''} FROM (SELECT strftime('%Y', {q(d.name)}) AS year, strftime('%m', "
               f"{q(d.name)}) AS month, COUNT(*) AS n, RANK() OVER (PARTITION BY strftime('%Y', {q(d.name)}) "
               f"ORDER BY COUNT(*) DESC) AS rnk FROM {q(t.name)} WHERE {q(d.name)} IS NOT NULL "
               f"GROUP BY year, month) WHERE rnk = 1")
        out.append(Cand("busiest_month_per_year", qs, sql, min_rows=2))
    return out


def _dated_links(p):
    """(link, child, parent, child date column) where the child has a date and the parent a label."""
    for lk, c, par in _links(p):
        if par.label and c.dates():
            yield lk, c, par, c.dates()[0]


def nth_child_of_parent(p, rng):
    out = []
    for lk, c, par, d in _dated_links(p):
        if not par.label.values:
            continue
        n = rng.choice(sorted(ORDINALS))
        v = rng.choice(par.label.values)
        qs = say(rng, ["What is the {d} of the {nth} {child} of {plab} {v}, counting from the earliest?",
                       "When was the {nth} {child} for {v}? Order them by {d}.",
                       "For the {parent} {v}, show the {d} of its {nth} {child} in date order."],
                 d=d.words, nth=ORDINALS[n], child=c.noun, plab=par.lab, parent=par.noun, v=v)
        sql = (f"SELECT {q(d.name)} FROM (SELECT T1.{q(d.name)}, ROW_NUMBER() OVER (ORDER BY T1.{q(d.name)}) AS rn "
               f"FROM {q(c.name)} AS T1 JOIN {q(par.name)} AS T2 ON T1.{q(lk.col)} = T2.{q(lk.ref)} "
               f"WHERE T2.{q(par.label.name)} = {lit(v)}) WHERE rn = {n}")
        out.append(Cand("nth_child_of_parent", qs, sql))
    return out


def first_child_in_year(p, rng):
    out = []
    for lk, c, par, d in _dated_links(p):
        years = _years(d)
        if not years:
            continue
        y = rng.choice(years)
        qs = say(rng, ["How many {parents} had their first {child} in {y}?",
                       "Count the {parents} whose earliest {child} ({d}) falls in {y}.",
                       "In {y}, how many {parents} got a {child} for the first time?"],
                 parents=par.nouns, child=c.noun, d=d.words, y=y)
        sql = (f"WITH firsts AS (SELECT {q(lk.col)}, MIN({q(d.name)}) AS first_date FROM {q(c.name)} "
               f"GROUP BY {q(lk.col)}) SELECT COUNT(*) FROM firsts WHERE strftime('%Y', first_date) = '{y}'")
        out.append(Cand("first_child_in_year", qs, sql, positive=True))
    return out


TEMPLATES = (period_change, period_running_total, busiest_month_per_year, nth_child_of_parent,
             first_child_in_year)
