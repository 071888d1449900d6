"""Templates about one named month and about blanks filled in, on the generated databases of
training/hierarchy_data.py.

- A month of a named year ("in May 2022", "during 2022-05"): strftime('%Y-%m', date) = '2022-05'. The model
  wrote strftime('%m', date) = '05' for such questions, which keeps that month of every year. Counts, the
  rows themselves, and per-entity totals of the month compared with a threshold (the month's filter before
  the grouping, HAVING after it).
- Blanks filled with a word or a zero the question asks for ("'never' if it has none", "0 for none", "'top
  level' when there is no parent"): COALESCE over a LEFT JOIN, so every row stays and the blank reads as asked.

Same contract and SQL style as training/hierarchy_templates.py: values read from the rows, every candidate run
by the driver and kept only with a sensible result.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import MONTHS, Cand, say
from .hierarchy_templates import round_quantile, values
from .hierarchy_templates_events import _fk, _join, _summable, events, owner


def _month_words(ym: str, rng) -> str:
    name = f"{MONTHS[int(ym[5:7]) - 1]} {ym[:4]}"
    return rng.choice([name, name, name, ym])


def in_named_month(h, con, rng):
    """Rows of one month of a named year: strftime('%Y-%m', ...) = 'YYYY-MM', never '%m' alone."""
    out = []
    for f in h.facts:
        if not f.date:
            continue
        month = f"strftime('%Y-%m', {f.table}.{f.date})"
        busy = values(con, f"SELECT {month} FROM {f.table} GROUP BY 1 HAVING COUNT(*) >= 2 ORDER BY 1")
        if not busy:
            continue
        ym = rng.choice(busy)
        when = _month_words(ym, rng)
        where = f" WHERE {month} = '{ym}'"
        e, sums = owner(h, f), _summable(f)
        roll = rng.random()
        if e is not None and sums and roll < 0.45:
            m = rng.choice(sums)
            per_entity = f"SELECT SUM({f.table}.{m.col}) FROM {f.table}{where} GROUP BY {f.table}.{_fk(f)}"
            x = round_quantile(con, per_entity, rng.uniform(0.3, 0.6)) if len(values(con, per_entity)) >= 2 else None
            if x is None:
                continue
            qs = say(rng, ["Which {es} had a total {m} above {x} in {when}? Show each with its total.",
                           "Find the {es} whose {evs} in {when} add up to more than {x} in {m}, with that total.",
                           "During {when}, which {es} got over {x} in total {m}? Give the {lab} and the total."],
                     es=e.noun.many, evs=f.noun.many, m=m.words, x=x, when=when, lab=e.label)
            sql = (f"SELECT {e.table}.{e.label}, SUM({f.table}.{m.col}) AS total_{m.col} FROM {e.table}{_join(f, e)}"
                   f"{where} GROUP BY {e.table}.id HAVING SUM({f.table}.{m.col}) > {x}")
            out.append(Cand("in_named_month", qs, sql))
        elif f.label and roll < 0.75:
            qs = say(rng, ["Which {evs} were {done_in} {when}?", "List the {evs} {done_in} {when}.",
                           "Give the {lab} of every {ev} {done_in} {when}."],
                     evs=f.noun.many, ev=f.noun.one, done_in=f.when, when=when, lab=f.label)
            out.append(Cand("in_named_month", qs, f"SELECT {f.table}.{f.label} FROM {f.table}{where}"))
        else:
            qs = say(rng, ["How many {evs} were {done_in} {when}?", "Count the {evs} {done_in} {when}.",
                           "What was the number of {evs} {done_in} {when}?"], evs=f.noun.many, done_in=f.when,
                     when=when)
            out.append(Cand("in_named_month", qs, f"SELECT COUNT(*) FROM {f.table}{where}", positive=True))
    return out


def filled_blanks(h, con, rng):
    """A LEFT JOIN whose blanks read as the question asks: COALESCE(MAX(date), 'never'), COALESCE(SUM(x), 0),
    COALESCE(parent.name, 'top level'), COALESCE(manager.name, 'none')."""
    out = []
    for f, e in events(h):
        left = f"FROM {e.table}{_join(f, e, 'LEFT JOIN')} GROUP BY {e.table}.id"
        sums = _summable(f)
        if f.date and (not sums or rng.random() < 0.5):
            word = rng.choice(["never", "none", "no " + f.noun.many])
            qs = say(rng, ["Show each {e} with the date of its latest {ev}, or '{w}' if it has none.",
                           "For every {e}, give its {lab} and its most recent {ev} date, writing '{w}' when there is no {ev}.",
                           "List all {es} and when their last {ev} was ('{w}' for those without one)."],
                     e=e.noun.one, es=e.noun.many, ev=f.noun.one, lab=e.label, w=word)
            sql = (f"SELECT {e.table}.{e.label}, COALESCE(MAX({f.table}.{f.date}), {lit(word)}) AS last_{f.date} "
                   f"{left}")
        elif sums:
            m = rng.choice(sums)
            qs = say(rng, ["List every {e} with its total {m}, showing 0 for those with no {evs}.",
                           "For each {e}, what is the sum of its {evs}' {m}? Use 0 where there are none.",
                           "Give all {es} with their combined {m}, zero if they have no {evs}."],
                     e=e.noun.one, es=e.noun.many, evs=f.noun.many, m=m.words)
            sql = f"SELECT {e.table}.{e.label}, COALESCE(SUM({f.table}.{m.col}), 0) AS total_{m.col} {left}"
        else:
            continue
        out.append(Cand("filled_blanks", qs, sql, min_rows=2))
    word = rng.choice(["top level", "none", "(no parent)"])
    qs = say(rng, ["List every {n} with the name of the {n} above it, or '{w}' when there is none.",
                   "Show all {ns} and their parent's name, writing '{w}' for those at the top."],
                 n=h.node.one, ns=h.node.many, w=word)
    sql = (f"SELECT child.name, COALESCE(parent.name, {lit(word)}) AS parent_name FROM {h.table} AS child "
           f"LEFT JOIN {h.table} AS parent ON child.{h.parent} = parent.id")
    out.append(Cand("filled_blanks", qs, sql, min_rows=2))
    if h.manager:
        E, M = h.facts[0].table, h.manager
        word = rng.choice(["none", "no manager", "-"])
        qs = say(rng, ["List each employee with their manager's name, or '{w}' if they have no manager.",
                       "Show every employee and who they report to, writing '{w}' for those who report to nobody."],
                 w=word)
        sql = (f"SELECT employee.name, COALESCE(manager.name, {lit(word)}) AS manager FROM {E} AS employee "
               f"LEFT JOIN {E} AS manager ON employee.{M} = manager.id")
        out.append(Cand("filled_blanks", qs, sql, min_rows=2))
    return out


TEMPLATES = (in_named_month, filled_blanks)
