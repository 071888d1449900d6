"""Templates about the order of rows (window functions and DISTINCT over joins), on the generated databases
of training/hierarchy_data.py.

They teach skills that Spider train almost never shows and the fine-tuned model gets wrong on questions it
has not seen: the n-th dated row of one entity (ROW_NUMBER, not LIMIT on an id), a running total month by
month (SUM ... OVER over a grouped CTE), the top month or entity within each year (RANK over a grouping,
partitioned by year), and the distinct things reached through a chain of joins (DISTINCT or
COUNT(DISTINCT ...), never a GROUP BY with a pointless HAVING). Same contract and SQL style as
training/hierarchy_templates.py: values read from the rows, every candidate run by the driver.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import MONTHS, Cand, say
from .hierarchy_templates import fact_from, ident, plain, round_quantile, up, values, years_of
from .hierarchy_templates_events import _fk, _join, _summable, _year, events, owner
from .hierarchy_tree import Fact

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _dated(h) -> list[Fact]:
    return [f for f in h.facts if f.date]


def _done(f: Fact) -> str:
    """'employees hired', 'loans made': the dated rows with the verb of their date ("hired in")."""
    return f"{f.noun.many} {f.when.rsplit(' ', 1)[0]}" if f.when else f.noun.many


def _month_year(iso: str) -> str:
    return f"{MONTHS[int(iso[5:7]) - 1]} {iso[:4]}"


def nth_of_entity(h, con, rng):
    """The n-th dated row of one named entity, counted from its earliest (or latest), by ROW_NUMBER; or the
    n-th row of every entity (partitioned)."""
    out = []
    for f, e in events(h):
        order = "DESC" if rng.random() < 0.25 else "ASC"
        side = "latest" if order == "DESC" else "earliest"
        num = f"{ident(f.noun.one)}_number"
        m = rng.choice(f.measures) if f.measures else None
        if rng.random() < 0.75:
            # entities whose dated rows have distinct dates, so "the n-th" is one row
            sizes = con.execute(f"SELECT {e.table}.{e.label}, COUNT(*) FROM {e.table}{_join(f, e)} "
                                f"GROUP BY {e.table}.id HAVING COUNT(*) >= 3 AND "
                                f"COUNT(DISTINCT {f.table}.{f.date}) = COUNT(*) ORDER BY 1").fetchall()
            if not sizes:
                continue
            label, size = rng.choice(sizes)
            n = rng.choice([n for n in (2, 3, 4) if n <= size])
            nth = ORDINALS[n] + (" most recent" if order == "DESC" else "")
            kw = {"e": e.noun.one, "ev": f.noun.one, "label": label, "nth": nth, "n": n, "side": side,
                  "m": m.words if m else "", "lab": e.label}
            cols = f"{f.table}.{f.date}" + (f", {f.table}.{m.col}" if m else "")
            outer = f.date + (f", {m.col}" if m else "")
            if m:
                phr = ["When was the {nth} {ev} of the {e} {label}, and what was its {m}?",
                       "Counting from the {side}, give the date and the {m} of {ev} number {n} for {label}.",
                       "For the {e} with {lab} {label}, show the date and {m} of its {nth} {ev}."]
            else:
                phr = ["On what date was the {nth} {ev} of {label}?",
                       "Counting from the {side}, when did {label} get {ev} number {n}?"]
            qs = say(rng, phr, **kw)
            sql = (f"SELECT {outer} FROM (SELECT {cols}, ROW_NUMBER() OVER (ORDER BY {f.table}.{f.date} {order}) "
                   f"AS {num} FROM {f.table} JOIN {e.table} ON {f.table}.{_fk(f)} = {e.table}.id "
                   f"WHERE {e.table}.{e.label} = {lit(label)}) WHERE {num} = {n}")
            out.append(Cand("nth_of_entity", qs, sql))
        else:
            n = rng.choice([1, 2]) if order == "ASC" else 1
            word = {1: "first", 2: "second"}[n] if order == "ASC" else "most recent"
            qs = say(rng, ["For every {e}, show its {lab} and the date of its {w} {ev}.",
                           "List each {e} with the date of its {w} {ev}, skipping those with fewer."],
                     e=e.noun.one, lab=e.label, w=word, ev=f.noun.one)
            sql = (f"SELECT {e.label}, {f.date} FROM (SELECT {e.table}.{e.label}, {f.table}.{f.date}, ROW_NUMBER() "
                   f"OVER (PARTITION BY {e.table}.id ORDER BY {f.table}.{f.date} {order}) AS {num} "
                   f"FROM {e.table}{_join(f, e)}) WHERE {num} = {n}")
            out.append(Cand("nth_of_entity", qs, sql, min_rows=2))
    return out


def running_total(h, con, rng):
    """Per month of one year (or per year), a count or a total and its running total: SUM(...) OVER (ORDER BY ...)
    over a grouped CTE. Months of one named year are '%m'; across years the periods are '%Y'."""
    out = []
    for f in _dated(h):
        years = [y for y in years_of(con, f)
                 if values(con, f"SELECT COUNT(DISTINCT strftime('%m', {f.date})) FROM {f.table} "
                                f"WHERE strftime('%Y', {f.date}) = '{y}'")[0] >= 3]
        sums = _summable(f)
        m = rng.choice(sums) if sums and rng.random() < 0.5 else None
        value, words = (f"SUM({f.table}.{m.col})", f"total {m.words}") if m else ("COUNT(*)", f"number of {_done(f)}")
        alias = f"total_{m.col}" if m else f"{ident(f.noun.one)}_count"
        kw = {"evs": f.noun.many, "what": words}
        if years and rng.random() < 0.75:
            y = rng.choice(years)
            qs = say(rng, ["Show each month of {y} with its {what} and the running total so far.",
                           "Month by month in {y}, give the {what} and a cumulative total.",
                           "For {y}, list every month, its {what}, and the total up to and including that month."],
                     y=y, **kw)
            period, fmt, where = "month", "%m", f" WHERE strftime('%Y', {f.table}.{f.date}) = '{y}'"
        else:
            qs = say(rng, ["Year by year, show the {what} and the running total.",
                           "For each year, give the {what} and the cumulative total up to that year."], **kw)
            period, fmt, where = "year", "%Y", ""
        sql = (f"WITH per_{period} AS (SELECT strftime('{fmt}', {f.table}.{f.date}) AS {period}, {value} AS {alias} "
               f"FROM {f.table}{where} GROUP BY {period}) SELECT {period}, {alias}, SUM({alias}) OVER "
               f"(ORDER BY {period}) AS running_total FROM per_{period} ORDER BY {period}")
        out.append(Cand("running_total", qs, sql, min_rows=2))
    return out


def top_per_year(h, con, rng):
    """Within each year, the month with the most dated rows, or the entity with the most rows (or the highest
    total): RANK() OVER (PARTITION BY the year ...) over a grouping, ties kept; sometimes from a date on."""
    out = []
    for f in _dated(h):
        years = years_of(con, f)
        if len(years) < 2:
            continue
        since = ""
        if rng.random() < 0.35:
            y, mo = rng.choice(years[:-1]), rng.randint(2, 11)
            since = f"{y}-{mo:02d}-01"
        year = _year(f)
        where = f" WHERE {f.table}.{f.date} >= '{since}'" if since else ""
        tail = f" since {rng.choice([since, _month_year(since)])}" if since else ""
        e = owner(h, f)
        if e is None or rng.random() < 0.5:
            qs = say(rng, ["For every year{tail}, which month had the most {evs}?",
                           "Find the busiest month of each year by number of {evs}{tail}.",
                           "In each year{tail}, which month saw the most {evs}? Ties included."],
                     evs=_done(f), tail=tail)
            sql = (f"SELECT year, month FROM (SELECT {year} AS year, strftime('%m', {f.table}.{f.date}) AS month, "
                   f"RANK() OVER (PARTITION BY {year} ORDER BY COUNT(*) DESC) AS rnk FROM {f.table}{where} "
                   f"GROUP BY year, month) WHERE rnk = 1")
        else:
            sums = _summable(f)
            m = rng.choice(sums) if sums and rng.random() < 0.5 else None
            how, what = (f"SUM({f.table}.{m.col})", f"the highest total {m.words}") if m else \
                ("COUNT(*)", f"the most {f.noun.many}")
            qs = say(rng, ["For each year{tail}, which {e} had {what}?",
                           "Year by year{tail}, show the {e} with {what}, with ties.",
                           "Which {e} had {what} in every year{tail}? Give the year and the {lab}."],
                     e=e.noun.one, what=what, tail=tail, lab=e.label)
            sql = (f"SELECT year, {e.label} FROM (SELECT {year} AS year, {e.table}.{e.label}, RANK() OVER "
                   f"(PARTITION BY {year} ORDER BY {how} DESC) AS rnk FROM {e.table}{_join(f, e)}{where} "
                   f"GROUP BY year, {e.table}.id) WHERE rnk = 1")
        out.append(Cand("top_per_year", qs, sql, min_rows=2))
    return out


def distinct_reached(h, con, rng):
    """The distinct nodes or entities reached from rows that pass a test: SELECT DISTINCT or COUNT(DISTINCT ...)
    through the chain of joins, so a node with many matching rows comes once."""
    out = []
    for f in h.facts:
        if not f.measures:
            continue
        m = rng.choice(f.measures)
        x = round_quantile(con, f"SELECT {m.col} FROM {f.table}", rng.uniform(0.7, 0.9))
        if x is None:
            continue
        years = years_of(con, f) if f.date else []
        y = rng.choice(years) if years and rng.random() < 0.4 else None
        cond = f"{f.table}.{m.col} > {x}" + (f" AND {_year(f)} = '{y}'" if y else "")
        in_y = f" {f.when} {y}" if y else ""
        kw = {"ev": f.noun.one, "evs": f.noun.many, "m": m.words, "x": x, "in_y": in_y}
        roll = rng.random()
        if roll < 0.4:
            c = rng.choice(h.levels[-1])
            qs = say(rng, ["Which {cs} have at least one {ev}{in_y} with {m} above {x}? Name each once.",
                           "List the {cs} where some {ev}{in_y} had a {m} over {x}, without repeats.",
                           "Give every {c} with a {ev}{in_y} whose {m} is more than {x}, each only once."],
                     c=c.one, cs=c.many, **kw)
            sql = f"SELECT DISTINCT child.name {fact_from(h, f)} WHERE {cond}"
            out.append(Cand("distinct_reached", qs, sql))
        elif roll < 0.7:
            p = plain(h.levels[0], rng) if h.depth == 2 else rng.choice(h.levels[-2])
            qs = say(rng, ["How many different {ps} have a {ev}{in_y} with {m} above {x} somewhere below them?",
                           "Count the distinct {ps} that had at least one {ev}{in_y} with {m} over {x}."],
                     ps=p.many, **kw)
            sql = f"SELECT COUNT(DISTINCT parent.id) {fact_from(h, f)}{up(h)} WHERE {cond}"
            out.append(Cand("distinct_reached", qs, sql, positive=True))
        elif len(f.path) >= 2:
            e = next((g for g in h.facts if g.table == f.path[1][0] and g.label), None)
            if e is None:
                continue
            qs = say(rng, ["How many different {es} had a {ev}{in_y} with {m} above {x}?",
                           "Count the distinct {es} with at least one {ev}{in_y} over {x} in {m}."],
                     es=e.noun.many, **kw)
            sql = f"SELECT COUNT(DISTINCT {f.table}.{_fk(f)}) FROM {f.table} WHERE {cond}"
            out.append(Cand("distinct_reached", qs, sql, positive=True))
    return out


TEMPLATES = (nth_of_entity, running_total, top_per_year, distinct_reached)
