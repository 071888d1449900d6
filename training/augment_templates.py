"""Question/SQL templates for the augmentation generator (training/augment.py).

Each template is a function (profile, rng) -> list[Cand] that looks for tables and columns with the right
shape (a measure, a small group column, an ISO date column, a foreign key...) and writes a few candidate
pairs with parameters drawn from the real rows. Phrasings are our own and varied on purpose; nothing here
comes from any evaluation set. The driver executes every candidate and keeps only the good ones.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from .augment_profile import DbProfile, Link, Tab, q

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


@dataclass
class Cand:
    template: str
    question: str
    sql: str
    tie_k: int = 0  # ORDER BY ... LIMIT k: the k-th and (k+1)-th ordered rows must differ (tie check)
    min_rows: int = 1  # result rows required (0 = an empty result is expected and fine)
    positive: bool = False  # the first value of the single result row must be > 0 (counts)


def say(rng: random.Random, phrasings: list[str], **kw) -> str:
    text = rng.choice(phrasings).format(**kw)
    text = re.sub(r"\b([Aa]) ([aeiou])", r"\1n \2", text)  # "a age" -> "an age"
    return text[0].upper() + text[1:]


def _num(v) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{round(v, 2)}"
    return str(v)


def _human_date(iso: str, rng: random.Random) -> str:
    y, m, d = iso[:4], int(iso[5:7]), int(iso[8:10])
    if not 1 <= m <= 12:
        return iso
    return rng.choice([iso, f"{MONTHS[m - 1]} {d}, {y}", f"{d} {MONTHS[m - 1]} {y}"])


def _tabs(p: DbProfile, need: Callable[[Tab], bool]) -> list[Tab]:
    return [t for t in p.usable() if need(t)]


def _pick(rng, items, n=2):
    items = list(items)
    rng.shuffle(items)
    return items[:n]


def _links(p: DbProfile) -> list[tuple[Link, Tab, Tab]]:
    out = []
    for lk in p.links:
        c, par = p.tables.get(lk.child), p.tables.get(lk.parent)
        if c and par and c is not par and c.rows >= 3 and par.rows >= 3:
            out.append((lk, c, par))
    return out


# ---------------------------------------------------------------- dates (strftime on ISO text)

def date_by_year(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates()):
        d = rng.choice(t.dates())
        years = {str(v)[:4] for v in d.values}
        if len(years) < 2:
            continue
        qs = say(rng, ["How many {rows} are there for each year of {d}?",
                       "Count the {rows} per year, using their {d}.",
                       "For every year, how many {rows} have a {d} in that year?",
                       "Show the number of {rows} by year of {d}, oldest year first."],
                 rows=t.nouns, d=d.words)
        sql = (f"SELECT strftime('%Y', {q(d.name)}) AS year, COUNT(*) AS n FROM {q(t.name)} "
               f"WHERE {q(d.name)} IS NOT NULL GROUP BY year ORDER BY year")
        out.append(Cand("date_by_year", qs, sql, min_rows=2))
    return out


def date_by_month(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates()):
        d = rng.choice(t.dates())
        years = sorted({str(v)[:4] for v in d.values})
        y = rng.choice(years)
        qs = say(rng, ["In {y}, how many {rows} were there in each month, by {d}?",
                       "Break down the {rows} with a {d} in {y} by month.",
                       "For each month of {y}, count the {rows} whose {d} falls in that month."],
                 rows=t.nouns, d=d.words, y=y)
        sql = (f"SELECT strftime('%m', {q(d.name)}) AS month, COUNT(*) AS n FROM {q(t.name)} "
               f"WHERE strftime('%Y', {q(d.name)}) = '{y}' GROUP BY month ORDER BY month")
        out.append(Cand("date_by_month", qs, sql))
    return out


def date_in_year(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates() and t.label):
        d = rng.choice(t.dates())
        y = rng.choice(sorted({str(v)[:4] for v in d.values}))
        if rng.random() < 0.5:
            qs = say(rng, ["Which {rows} have a {d} in {y}? Give their {lab}.",
                           "List the {lab} of every {row} whose {d} was in {y}.",
                           "Show the {lab} of {rows} with {d} during the year {y}."],
                     rows=t.nouns, row=t.noun, d=d.words, y=y, lab=t.label.words)
            sql = f"SELECT {q(t.label.name)} FROM {q(t.name)} WHERE strftime('%Y', {q(d.name)}) = '{y}'"
        else:
            qs = say(rng, ["How many {rows} have a {d} in {y}?", "Count the {rows} whose {d} is in {y}.",
                           "What is the number of {rows} with {d} in the year {y}?"],
                     rows=t.nouns, d=d.words, y=y)
            sql = f"SELECT COUNT(*) FROM {q(t.name)} WHERE strftime('%Y', {q(d.name)}) = '{y}'"
        out.append(Cand("date_in_year", qs, sql))
    return out


def date_before_after(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates() and t.label):
        d = rng.choice(t.dates())
        vals = [v for v in d.values if isinstance(v, str)]
        if len(vals) < 4:
            continue
        cut = vals[rng.randrange(1, len(vals) - 1)][:10]
        before = rng.random() < 0.5
        word = rng.choice(["before", "earlier than", "prior to"]) if before else rng.choice(["after", "later than", "since"])
        op = "<" if before else (">=" if word == "since" else ">")
        qs = say(rng, ["List the {lab} of {rows} whose {d} is {w} {date}.",
                       "Which {rows} have a {d} {w} {date}? Show their {lab}.",
                       "Give the {lab} of all {rows} with {d} {w} {date}."],
                 rows=t.nouns, d=d.words, w=word, date=_human_date(cut, rng), lab=t.label.words)
        sql = f"SELECT {q(t.label.name)} FROM {q(t.name)} WHERE date({q(d.name)}) {op} '{cut}'"
        out.append(Cand("date_before_after", qs, sql))
    return out


def date_between(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates()):
        d = rng.choice(t.dates())
        vals = sorted({str(v)[:10] for v in d.values})
        if len(vals) < 5:
            continue
        i = rng.randrange(0, len(vals) - 3)
        a, b = vals[i], vals[rng.randrange(i + 2, len(vals))]
        qs = say(rng, ["How many {rows} have a {d} between {a} and {b}?",
                       "Count the {rows} whose {d} falls from {a} to {b}, inclusive.",
                       "What is the number of {rows} with {d} in the range {a} to {b}?"],
                 rows=t.nouns, d=d.words, a=_human_date(a, rng), b=_human_date(b, rng))
        sql = f"SELECT COUNT(*) FROM {q(t.name)} WHERE date({q(d.name)}) BETWEEN '{a}' AND '{b}'"
        out.append(Cand("date_between", qs, sql, positive=True))
    return out


def date_latest(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates() and t.label):
        d = rng.choice(t.dates())
        latest = rng.random() < 0.6
        w = rng.choice(["most recent", "latest"]) if latest else rng.choice(["earliest", "oldest"])
        qs = say(rng, ["Which {row} has the {w} {d}? Give its {lab} and {d}.",
                       "Show the {lab} and {d} of the {row} with the {w} {d}.",
                       "What is the {lab} of the {row} whose {d} is the {w}?"],
                 row=t.noun, w=w, d=d.words, lab=t.label.words)
        agg = "MAX" if latest else "MIN"
        sql = (f"SELECT {q(t.label.name)}, {q(d.name)} FROM {q(t.name)} "
               f"WHERE {q(d.name)} = (SELECT {agg}({q(d.name)}) FROM {q(t.name)})")
        out.append(Cand("date_latest", qs, sql))
    return out


def date_since_year(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.dates()):
        d = rng.choice(t.dates())
        years = sorted({int(str(v)[:4]) for v in d.values if str(v)[:4].isdigit()})
        if len(years) < 3:
            continue
        y = years[rng.randrange(1, len(years))]
        qs = say(rng, ["How many {rows} have a {d} in {y} or later?",
                       "Count the {rows} whose {d} year is at least {y}.",
                       "How many {rows} were recorded with {d} from {y} onwards?"],
                 rows=t.nouns, d=d.words, y=y)
        sql = f"SELECT COUNT(*) FROM {q(t.name)} WHERE CAST(strftime('%Y', {q(d.name)}) AS INTEGER) >= {y}"
        out.append(Cand("date_since_year", qs, sql, positive=True))
    return out


def date_span_days(p, rng):
    out = []
    for t in _tabs(p, lambda t: len(t.dates()) >= 2):
        a, b = _pick(rng, t.dates(), 2)
        a, b = sorted([a, b], key=lambda c: str(c.values[len(c.values) // 2]))
        qs = say(rng, ["On average, how many days are there between the {a} and the {b} of {rows}?",
                       "What is the average number of days from {a} to {b} across all {rows}?",
                       "Compute the mean gap in days between {a} and {b} for the {rows}."],
                 a=a.words, b=b.words, rows=t.nouns)
        sql = (f"SELECT ROUND(AVG(julianday({q(b.name)}) - julianday({q(a.name)})), 1) FROM {q(t.name)} "
               f"WHERE {q(a.name)} IS NOT NULL AND {q(b.name)} IS NOT NULL")
        out.append(Cand("date_span_days", qs, sql))
    return out


def year_column(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.years()):
        y = rng.choice(t.years())
        v = rng.choice(y.values)
        if rng.random() < 0.5:
            qs = say(rng, ["How many {rows} are there for each {y}?", "Count the {rows} per {y}.",
                           "Show each {y} with the number of {rows}, in order of {y}."], rows=t.nouns, y=y.words)
            sql = f"SELECT {q(y.name)}, COUNT(*) FROM {q(t.name)} GROUP BY {q(y.name)} ORDER BY {q(y.name)}"
            out.append(Cand("year_column", qs, sql, min_rows=2))
        else:
            qs = say(rng, ["How many {rows} have {y} before {v}?", "Count the {rows} whose {y} is earlier than {v}.",
                           "What number of {rows} come from before {v}, by {y}?"], rows=t.nouns, y=y.words, v=v)
            sql = f"SELECT COUNT(*) FROM {q(t.name)} WHERE {q(y.name)} < {v}"
            out.append(Cand("year_column", qs, sql, positive=True))
    return out


# ---------------------------------------------------------------- window functions

def _meas_group(t: Tab, rng):
    ms, gs = t.measures(), t.groups()
    if not ms or not gs:
        return None
    m = rng.choice(ms)
    gs = [g for g in gs if g is not m]
    return (m, rng.choice(gs)) if gs else None


def _measured_groups(p, rng, need_label: bool = True):
    """(table, measure, grouping column) for every table that has both (and a label, if needed)."""
    for t in _tabs(p, lambda t: (t.label or not need_label) and t.measures() and t.groups()):
        mg = _meas_group(t, rng)
        if mg:
            yield (t, *mg)


def window_rank(p, rng):
    out = []
    for t, m, g in _measured_groups(p, rng):
        fn = rng.choice(["RANK", "DENSE_RANK"])
        qs = say(rng, ["Rank the {rows} by {m} within each {g}, highest first, showing {lab}, {g}, {m} and the rank.",
                       "For each {g}, rank its {rows} from highest to lowest {m}.",
                       "Within every {g} group, give each {row} a rank by {m} (largest is 1)."],
                 rows=t.nouns, row=t.noun, m=m.words, g=g.words, lab=t.label.words)
        if fn == "DENSE_RANK" and rng.random() < 0.5:
            qs = qs.rstrip(".") + ", with no gaps after ties."
        sql = (f"SELECT {q(t.label.name)}, {q(g.name)}, {q(m.name)}, {fn}() OVER (PARTITION BY {q(g.name)} "
               f"ORDER BY {q(m.name)} DESC) AS rnk FROM {q(t.name)}")
        out.append(Cand("window_rank", qs, sql, min_rows=3))
    return out


def window_top_per_group(p, rng):
    out = []
    for t, m, g in _measured_groups(p, rng):
        hi = rng.random() < 0.7
        w = "highest" if hi else "lowest"
        qs = say(rng, ["For each {g}, which {row} has the {w} {m}? Include ties.",
                       "Show the {row} with the {w} {m} in every {g}, with its {lab}.",
                       "In each {g}, find the {lab} of the {row} whose {m} is the {w}."],
                 row=t.noun, g=g.words, m=m.words, w=w, lab=t.label.words)
        sql = (f"WITH ranked AS (SELECT {q(g.name)}, {q(t.label.name)}, {q(m.name)}, RANK() OVER (PARTITION BY "
               f"{q(g.name)} ORDER BY {q(m.name)} {'DESC' if hi else 'ASC'}) AS rnk FROM {q(t.name)} "
               f"WHERE {q(m.name)} IS NOT NULL) "
               f"SELECT {q(g.name)}, {q(t.label.name)}, {q(m.name)} FROM ranked WHERE rnk = 1")
        out.append(Cand("window_top_per_group", qs, sql, min_rows=2))
    return out


def window_running_total(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.measures() and (t.dates() or (len(t.pk) == 1 and t.label))):
        m = rng.choice(t.measures())
        if t.dates():
            o = rng.choice(t.dates())
            qs = say(rng, ["Show the running total of {m} over time, ordered by {o}.",
                           "List the {rows} by {o} with a cumulative sum of {m}.",
                           "Give each {row}'s {o}, {m}, and the cumulative {m} up to that {o}."],
                     m=m.words, o=o.words, rows=t.nouns, row=t.noun)
            sql = (f"SELECT {q(o.name)}, {q(m.name)}, SUM({q(m.name)}) OVER (ORDER BY {q(o.name)}) AS running_total "
                   f"FROM {q(t.name)} ORDER BY {q(o.name)}")
        else:
            o = t.col(t.pk[0])
            qs = say(rng, ["Show the running total of {m} in order of {o}, with each {row}'s {lab}.",
                           "List the {rows} by {o} with a cumulative sum of their {m}."],
                     m=m.words, o=o.words, rows=t.nouns, row=t.noun, lab=t.label.words)
            sql = (f"SELECT {q(t.label.name)}, {q(m.name)}, SUM({q(m.name)}) OVER (ORDER BY {q(o.name)}) AS running_total "
                   f"FROM {q(t.name)} ORDER BY {q(o.name)}")
        out.append(Cand("window_running_total", qs, sql, min_rows=3))
    return out


def window_share(p, rng):
    out = []
    for t, m, g in _measured_groups(p, rng):
        qs = say(rng, ["For each {row}, what percentage of its {g}'s total {m} does it account for?",
                       "Show each {row}'s {lab}, {g} and its share of the {g} total {m} as a percentage.",
                       "Give the {lab} of every {row} with its {m} as a percent of the sum of {m} in the same {g}."],
                 row=t.noun, g=g.words, m=m.words, lab=t.label.words)
        sql = (f"SELECT {q(t.label.name)}, {q(g.name)}, ROUND(100.0 * {q(m.name)} / SUM({q(m.name)}) OVER "
               f"(PARTITION BY {q(g.name)}), 2) AS pct FROM {q(t.name)}")
        out.append(Cand("window_share", qs, sql, min_rows=3))
    return out


def window_row_number(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.label and t.measures()):
        m = rng.choice(t.measures())
        qs = say(rng, ["Number the {rows} from 1 in order of decreasing {m}, breaking ties by {lab}.",
                       "Assign a row number to each {row} sorted by {m} from high to low, then by {lab}."],
                 rows=t.nouns, row=t.noun, m=m.words, lab=t.label.words)
        sql = (f"SELECT ROW_NUMBER() OVER (ORDER BY {q(m.name)} DESC, {q(t.label.name)}) AS row_num, "
               f"{q(t.label.name)}, {q(m.name)} FROM {q(t.name)}")
        out.append(Cand("window_row_number", qs, sql, min_rows=3))
    return out


# ---------------------------------------------------------------- CTEs, subqueries

def cte_groups_above_avg(p, rng):
    out = []
    for t, m, g in _measured_groups(p, rng, need_label=False):
        qs = say(rng, ["Which {g} values have an average {m} above the overall average {m} of all {rows}?",
                       "List each {g} whose mean {m} is higher than the average across every {row}, with that mean.",
                       "Find the {g} groups of {rows} where the average {m} beats the average of the whole table."],
                 g=g.words, m=m.words, rows=t.nouns, row=t.noun)
        overall = f"(SELECT AVG({q(m.name)}) FROM {q(t.name)})"
        if rng.random() < 0.5:
            sql = (f"WITH group_avg AS (SELECT {q(g.name)}, AVG({q(m.name)}) AS avg_value FROM {q(t.name)} "
                   f"GROUP BY {q(g.name)}) SELECT {q(g.name)}, avg_value FROM group_avg WHERE avg_value > {overall}")
        else:  # the same answer without a CTE: neither form is "the" shape of this question
            sql = (f"SELECT {q(g.name)}, AVG({q(m.name)}) FROM {q(t.name)} GROUP BY {q(g.name)} "
                   f"HAVING AVG({q(m.name)}) > {overall}")
        out.append(Cand("cte_groups_above_avg", qs, sql))
    return out


def cte_most_children(p, rng):
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label], 3):
        qs = say(rng, ["Which {parent} has the most {children}? Give its {lab} and the count, including ties.",
                       "Find the {parent} with the largest number of {children}.",
                       "Show the {lab} of the {parent} that has the greatest number of {children} and how many."],
                 parent=par.noun, children=c.nouns, lab=par.label.words)
        sql = (f"WITH counts AS (SELECT {q(lk.col)} AS key, COUNT(*) AS n FROM {q(c.name)} GROUP BY {q(lk.col)}) "
               f"SELECT T1.{q(par.label.name)}, counts.n FROM {q(par.name)} AS T1 JOIN counts ON counts.key = "
               f"T1.{q(lk.ref)} WHERE counts.n = (SELECT MAX(n) FROM counts)")
        out.append(Cand("cte_most_children", qs, sql))
    return out


def corr_above_group_avg(p, rng):
    out = []
    for t, m, g in _measured_groups(p, rng):
        qs = say(rng, ["Which {rows} have a {m} above the average {m} of their own {g}?",
                       "List the {lab} of each {row} whose {m} is higher than the mean for its {g}.",
                       "Find {rows} that beat their {g}'s average {m}; show {lab}, {g} and {m}."],
                 rows=t.nouns, row=t.noun, m=m.words, g=g.words, lab=t.label.words)
        sql = (f"SELECT T1.{q(t.label.name)}, T1.{q(g.name)}, T1.{q(m.name)} FROM {q(t.name)} AS T1 "
               f"WHERE T1.{q(m.name)} > (SELECT AVG(T2.{q(m.name)}) FROM {q(t.name)} AS T2 "
               f"WHERE T2.{q(g.name)} = T1.{q(g.name)})")
        out.append(Cand("corr_above_group_avg", qs, sql))
    return out


def above_overall_avg(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.label and t.measures()):
        m = rng.choice(t.measures())
        hi = rng.random() < 0.6
        w = rng.choice(["above", "greater than", "higher than"]) if hi else rng.choice(["below", "less than"])
        qs = say(rng, ["Which {rows} have a {m} {w} the average? List their {lab}.",
                       "Give the {lab} of {rows} whose {m} is {w} the average {m}.",
                       "List every {row} with {m} {w} the mean of all {rows}."],
                 rows=t.nouns, row=t.noun, m=m.words, w=w, lab=t.label.words)
        sql = (f"SELECT {q(t.label.name)} FROM {q(t.name)} WHERE {q(m.name)} {'>' if hi else '<'} "
               f"(SELECT AVG({q(m.name)}) FROM {q(t.name)})")
        out.append(Cand("above_overall_avg", qs, sql))
    return out


def corr_child_count(p, rng):
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label], 2):
        qs = say(rng, ["For every {parent}, how many {children} does it have? Include those with none.",
                       "List each {parent}'s {lab} with its number of {children}, showing zero where there are none.",
                       "Show all {parents} and a count of their {children}, even when the count is 0."],
                 parent=par.noun, parents=par.nouns, children=c.nouns, lab=par.label.words)
        sql = (f"SELECT T1.{q(par.label.name)}, (SELECT COUNT(*) FROM {q(c.name)} AS T2 WHERE T2.{q(lk.col)} = "
               f"T1.{q(lk.ref)}) AS n FROM {q(par.name)} AS T1")
        out.append(Cand("corr_child_count", qs, sql, min_rows=3))
    return out


# ---------------------------------------------------------------- anti-joins

def no_children(lk: Link, c: Tab, aliased: bool) -> str:
    """The test that a parent row has no row of *c* referring to it through *lk*: NOT EXISTS over `c AS T2`
    (the parent being T1), or, unaliased, NOT IN over the children's non-NULL keys (a NULL among them would
    make NOT IN match nothing)."""
    if aliased:
        return f"NOT EXISTS (SELECT 1 FROM {q(c.name)} AS T2 WHERE T2.{q(lk.col)} = T1.{q(lk.ref)})"
    return f"{q(lk.ref)} NOT IN (SELECT {q(lk.col)} FROM {q(c.name)} WHERE {q(lk.col)} IS NOT NULL)"


def anti_join(p, rng):
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label], 3):
        style = rng.choice(["not_exists", "not_in", "left_join"])
        qs = say(rng, ["Which {parents} have no {children}? Give their {lab}.",
                       "List the {lab} of {parents} that do not have any {children}.",
                       "Find every {parent} without a single {child}.",
                       "Show the {lab} of {parents} never referenced by any {child}."],
                 parent=par.noun, parents=par.nouns, child=c.noun, children=c.nouns, lab=par.label.words)
        L, P, C = q(par.label.name), q(par.name), q(c.name)
        if style == "not_exists":
            sql = f"SELECT T1.{L} FROM {P} AS T1 WHERE {no_children(lk, c, aliased=True)}"
        elif style == "not_in":
            sql = f"SELECT {L} FROM {P} WHERE {no_children(lk, c, aliased=False)}"
        else:
            sql = (f"SELECT T1.{L} FROM {P} AS T1 LEFT JOIN {C} AS T2 ON T2.{q(lk.col)} = T1.{q(lk.ref)} "
                   f"WHERE T2.{q(lk.col)} IS NULL")
        out.append(Cand("anti_join", qs, sql))
    return out


def anti_join_count(p, rng):
    out = []
    for lk, c, par in _pick(rng, _links(p), 2):
        qs = say(rng, ["How many {parents} have no {children} at all?",
                       "Count the {parents} that are not linked to any {child}.",
                       "What is the number of {parents} without any {children}?"],
                 parents=par.nouns, child=c.noun, children=c.nouns)
        sql = f"SELECT COUNT(*) FROM {q(par.name)} AS T1 WHERE {no_children(lk, c, aliased=True)}"
        out.append(Cand("anti_join_count", qs, sql, positive=True))
    return out
