"""Templates that total the rows under a hierarchy: per parent across its children (the skill the model
lacked), for one year, for one named parent, the parents with nothing under them, the best row in each
child (a window function), totals over three levels, employees with their managers, and the rows of one
named bottom-level node (no parent join). Same contract and SQL style as training/hierarchy_templates.py.
"""

from __future__ import annotations

import random

from .augment_profile import lit
from .augment_templates import Cand, say
from .hierarchy_templates import (
    AGG_WORDS,
    down_left,
    fact_from,
    ident,
    levels,
    measured,
    parent_names,
    plain,
    round_quantile,
    top_filter,
    up,
    values,
    years_of,
)
from .hierarchy_tree import Fact, Measure


def _agg(f: Fact, m: Measure, rng: random.Random) -> tuple[str, str, str]:
    """(SQL expression, its alias, its words) for one aggregate of *m*, sometimes rounded."""
    a = rng.choice(m.aggs)
    expr, words = f"{a}({f.table}.{m.col})", f"{AGG_WORDS[a]} {m.words}"
    if a == "AVG" and rng.random() < 0.3:
        expr, words = f"ROUND({expr}, 2)", f"{words} (rounded to 2 decimals)"
    return expr, f"{ident(AGG_WORDS[a])}_{m.col}", words


def _count(f: Fact) -> str:
    return f"COUNT(*) AS {ident(f.noun.one)}_count"


def rollup_count(h, con, rng):
    out = []
    for f in h.facts:
        p, c = levels(h, rng)
        if h.depth == 2 and rng.random() < 0.3:  # every top-level node, those with nothing under them too
            qs = say(rng, ["For every {p}, how many {facts} are there across its {cs}? Include {ps} with none.",
                           "Count the {facts} under each {p}'s {cs}, showing 0 for {ps} without any."],
                     p=p.one, ps=p.many, cs=c.many, facts=f.noun.many)
            sql = (f"SELECT parent.name, COUNT({f.table}.id) AS {ident(f.noun.one)}_count FROM {h.table} AS parent "
                   f"LEFT JOIN {h.table} AS child ON child.{h.parent} = parent.id{down_left(h, f)} "
                   f"WHERE parent.{h.parent} IS NULL GROUP BY parent.id")
            out.append(Cand("rollup_count", qs, sql, min_rows=2))
            continue
        most = rng.random() < 0.3
        qs = say(rng, ["How many {facts} does each {p} have across its {cs}{tail}?",
                       "For each {p}, count the {facts} in all of its {cs}{tail}.",
                       "Show every {p} with the number of {facts} under its {cs}{tail}.",
                       "Count the {facts} per {p}, adding up all of its {cs}{tail}."],
                 p=p.one, cs=c.many, facts=f.noun.many, tail=", most first" if most else "")
        sql = f"SELECT parent.name, {_count(f)} {fact_from(h, f)}{up(h)}{top_filter(h, p)} GROUP BY parent.id"
        out.append(Cand("rollup_count", qs, sql + (f" ORDER BY {ident(f.noun.one)}_count DESC" if most else ""),
                        min_rows=2))
    return out


def rollup_filtered(h, con, rng):
    """Per parent, the rows that pass a test on their own column: the filter goes in WHERE, before the
    grouping (not HAVING on a total), as in "for each division, how many employees earn over 60000"."""
    out = []
    for f, m in measured(h):
        p, c = levels(h, rng)
        above = rng.random() < 0.6
        x = round_quantile(con, f"SELECT {m.col} FROM {f.table}", rng.uniform(0.3, 0.7))
        if x is None:
            continue
        cmp, word = (">", rng.choice(["above", "over", "more than"])) if above else ("<", rng.choice(["below", "under"]))
        qs = say(rng, ["For each {p}, how many {facts} with a {m} {w} {x} are there across its {cs}?",
                       "Count the {facts} whose {m} is {w} {x} in each {p}, adding up its {cs}.",
                       "Per {p}, how many {facts} have {m} {w} {x}? Roll the {cs} up into their {p}."],
                 p=p.one, cs=c.many, facts=f.noun.many, m=m.words, w=word, x=x)
        sql = (f"SELECT parent.name, {_count(f)} {fact_from(h, f)}{up(h)} WHERE {f.table}.{m.col} {cmp} {x}"
               f"{top_filter(h, p, joiner=' AND')} GROUP BY parent.id")
        out.append(Cand("rollup_filtered", qs, sql, min_rows=2))
    return out


def rollup_measure(h, con, rng):
    out = []
    for f, m in measured(h):
        p, c = levels(h, rng)
        expr, alias, words = _agg(f, m, rng)
        qs = say(rng, ["What is the {a} of the {facts} in each {p}, across all its {cs}?",
                       "For every {p}, give the {a} over the {facts} of its {cs}.",
                       "Show each {p} with the {a} of the {facts} in its {cs}."],
                 a=words, p=p.one, cs=c.many, facts=f.noun.many)
        sql = f"SELECT parent.name, {expr} AS {alias} {fact_from(h, f)}{up(h)}{top_filter(h, p)} GROUP BY parent.id"
        out.append(Cand("rollup_measure", qs, sql, min_rows=2))
    return out


def rollup_year(h, con, rng):
    out = []
    for f in [f for f in h.facts if f.date]:
        years = years_of(con, f)
        if not years:
            continue
        y, (p, c) = rng.choice(years), levels(h, rng)
        cond = f" WHERE strftime('%Y', {f.table}.{f.date}) = '{y}'" + top_filter(h, p, joiner=" AND")
        if f.measures and rng.random() < 0.4:
            expr, alias, words = _agg(f, rng.choice(f.measures), rng)
            qs = say(rng, ["What was the {a} of {facts} {when} {y} in each {p}, across its {cs}?",
                           "For each {p}, give the {a} of the {facts} {when} {y} in all of its {cs}."],
                     a=words, facts=f.noun.many, when=f.when, y=y, p=p.one, cs=c.many)
            sql = f"SELECT parent.name, {expr} AS {alias} {fact_from(h, f)}{up(h)}{cond} GROUP BY parent.id"
        else:
            qs = say(rng, ["For each {p}, how many {facts} were {when} {y} across its {cs}?",
                           "Count the {facts} {when} {y} per {p}, adding up all of its {cs}.",
                           "How many {facts} {when} {y} does each {p} have in its {cs}?"],
                     facts=f.noun.many, when=f.when, y=y, p=p.one, cs=c.many)
            sql = f"SELECT parent.name, {_count(f)} {fact_from(h, f)}{up(h)}{cond} GROUP BY parent.id"
        out.append(Cand("rollup_year", qs, sql))
    return out


def rollup_named(h, con, rng):
    out = []
    for f in h.facts:
        names = parent_names(h, con, f)
        if not names:
            continue
        name, p1, c = rng.choice(names), plain(h.levels[-2], rng).one, rng.choice(h.levels[-1])
        where = f"{fact_from(h, f)}{up(h)} WHERE parent.name = {lit(name)}"
        kind = rng.choice(["count", "per_child"] + (["measure"] if f.measures else []))
        if kind == "count":
            qs = say(rng, ["How many {facts} are there in the {cs} of the {p} {name}?",
                           "Count the {facts} under {name}, across all its {cs}.",
                           "In total, how many {facts} do the {cs} of {name} have?"],
                     facts=f.noun.many, cs=c.many, p=p1, name=name)
            out.append(Cand("rollup_named", qs, f"SELECT COUNT(*) {where}", positive=True))
        elif kind == "per_child":
            qs = say(rng, ["For each {c} of the {p} {name}, how many {facts} does it have?",
                           "Break down the {facts} of {name} by {c}."],
                     facts=f.noun.many, c=c.one, p=p1, name=name)
            sql = f"SELECT child.name, {_count(f)} {where} GROUP BY child.id"
            out.append(Cand("rollup_named", qs, sql))
        else:
            expr, _, words = _agg(f, rng.choice(f.measures), rng)
            qs = say(rng, ["What is the {a} of the {facts} in {name}'s {cs}?",
                           "Across the {cs} of the {p} {name}, what is the {a} of the {facts}?"],
                     a=words, facts=f.noun.many, cs=c.many, p=p1, name=name)
            out.append(Cand("rollup_named", qs, f"SELECT {expr} {where}"))
    return out


def named_child_facts(h, con, rng):
    """The rows of one named bottom-level node: no parent join, since the node holds them itself (without
    this, a model that has learnt roll-ups joins a named leaf to its parent and finds nothing)."""
    out = []
    for f in h.facts:
        names = values(con, f"SELECT DISTINCT {h.table}.name {fact_from(h, f, h.table)} ORDER BY {h.table}.name")
        if not names:
            continue
        name, c = rng.choice(names), plain(h.levels[-1], rng)
        where = f"{fact_from(h, f, h.table)} WHERE {h.table}.name = {lit(name)}"
        if f.measures and rng.random() < 0.5:
            expr, _, words = _agg(f, rng.choice(f.measures), rng)
            qs = say(rng, ["What is the {a} of the {facts} in the {c} {name}?",
                           "For the {c} {name}, what is the {a} of its {facts}?"],
                     a=words, facts=f.noun.many, c=c.one, name=name)
            out.append(Cand("named_child_facts", qs, f"SELECT {expr} {where}"))
        else:
            qs = say(rng, ["How many {facts} does the {c} {name} have?", "Count the {facts} in {name}.",
                           "What is the number of {facts} of the {c} {name}?"],
                     facts=f.noun.many, c=c.one, name=name)
            out.append(Cand("named_child_facts", qs, f"SELECT COUNT(*) {where}", positive=True))
    return out


def top_without_facts(h, con, rng):
    out = []
    for f in h.facts:
        t, c = rng.choice(h.levels[0]), rng.choice(h.levels[-1])
        top = "parent" if h.depth == 2 else "grandparent"
        inner = (f"SELECT 1 {fact_from(h, f)} WHERE child.{h.parent} = parent.id" if h.depth == 2 else
                 f"SELECT 1 {fact_from(h, f)}{up(h)} WHERE parent.{h.parent} = grandparent.id")
        cond = f"FROM {h.table} AS {top} WHERE {top}.{h.parent} IS NULL AND NOT EXISTS ({inner})"
        if rng.random() < 0.7:
            qs = say(rng, ["Which {ts} have no {facts} in any of their {cs}?", "List the {ts} with no {facts} under them.",
                           "Find every {t} where none of its {cs} has any {facts}."],
                     t=t.one, ts=t.many, cs=c.many, facts=f.noun.many)
            out.append(Cand("top_without_facts", qs, f"SELECT {top}.name {cond}"))
        else:
            qs = say(rng, ["How many {ts} have no {facts} at all?", "Count the {ts} without any {facts} below them."],
                     ts=t.many, facts=f.noun.many)
            out.append(Cand("top_without_facts", qs, f"SELECT COUNT(*) {cond}", positive=True))
    return out


def best_per_child(h, con, rng):
    out = []
    for f, m in [(f, m) for f, m in measured(h) if f.label and len(f.path) == 1]:
        p, c = plain(h.levels[-2], rng), rng.choice(h.levels[-1])
        low = "MIN" in m.aggs and rng.random() < 0.3
        w = "lowest" if low else "highest"
        names = parent_names(h, con, f)
        named = bool(names) and rng.random() < 0.7
        name = rng.choice(names) if named else ""
        sup = m.least if low else m.most  # "the longest book": the row, not only its value (MAX per group)
        if named:
            qs = say(rng, ["In each {c} of the {p} {name}, which {fact} has the {w} {m}?",
                           "For every {c} under {name}, show the {fact} with the {w} {m}, ties included.",
                           "Find the {fact} with the {w} {m} in each of {name}'s {cs}."] + ([
                           "For each {c} of {name}, what is its {sup} {fact} and its {m}?",
                           "Show the {sup} {fact} in every {c} under {name}, with the {c} and the {m}."] if sup else []),
                     c=c.one, cs=c.many, p=p.one, name=name, fact=f.noun.one, w=w,
                     m=m.words, sup=sup)
        else:
            qs = say(rng, ["In every {c}, which {fact} has the {w} {m}?",
                           "Show the {fact} with the {w} {m} in each {c}, with ties."] + ([
                           "What is the {sup} {fact} in each {c}, and its {m}?",
                           "List every {c} with its {sup} {fact} and that {fact}'s {m}."] if sup else []),
                     c=c.one, fact=f.noun.one, w=w, m=m.words, sup=sup)
        cn, fn = ident(c.one), ident(f.noun.one)
        where = f" WHERE parent.name = {lit(name)}" if named else ""
        sql = (f"WITH ranked AS (SELECT child.name AS {cn}, {f.table}.{f.label} AS {fn}, {f.table}.{m.col} AS "
               f"{m.col}, RANK() OVER (PARTITION BY child.id ORDER BY {f.table}.{m.col} {'ASC' if low else 'DESC'}) "
               f"AS rnk {fact_from(h, f)}{up(h) if named else ''}{where}) "
               f"SELECT {cn}, {fn}, {m.col} FROM ranked WHERE rnk = 1")
        out.append(Cand("best_per_child", qs, sql))
    return out


def grandparent_rollup(h, con, rng):
    if h.depth != 3:
        return []
    out = []
    t, mid, c = (rng.choice(lv) for lv in h.levels)
    t1 = plain(h.levels[0], rng).one
    two_up = up(h) + up(h, "parent", "grandparent")
    qs = say(rng, ["List each {c} with its {mid} and its {t}.", "Show every {c} together with the {mid} and {t} it is in."],
             c=c.one, mid=mid.one, t=t1)
    sql = (f"SELECT child.name AS {ident(c.one)}, parent.name AS {ident(mid.one)}, grandparent.name AS {ident(t1)} "
           f"FROM {h.table} AS child{two_up}")
    out.append(Cand("grandparent_rollup", qs, sql, min_rows=2))
    for f in h.facts:
        if f.measures and rng.random() < 0.5:
            expr, alias, words = _agg(f, rng.choice(f.measures), rng)
            qs = say(rng, ["What is the {a} of the {facts} in each {t}, across all its {mids} and {cs}?",
                           "For every {t}, give the {a} over the {facts} of all its {cs}."],
                     a=words, facts=f.noun.many, t=t.one, mids=mid.many, cs=c.many)
            sql = f"SELECT grandparent.name, {expr} AS {alias} {fact_from(h, f)}{two_up} GROUP BY grandparent.id"
        else:
            qs = say(rng, ["How many {facts} does each {t} have, counting every {c} of every {mid}?",
                           "Count the {facts} per {t}, across all of its {mids} and their {cs}."],
                     facts=f.noun.many, t=t.one, c=c.one, mid=mid.one, mids=mid.many, cs=c.many)
            sql = f"SELECT grandparent.name, {_count(f)} {fact_from(h, f)}{two_up} GROUP BY grandparent.id"
        out.append(Cand("grandparent_rollup", qs, sql, min_rows=2))
    return out


def employee_manager(h, con, rng):
    if not h.manager:
        return []
    E, M = h.facts[0].table, h.manager
    pair = f"FROM {E} AS employee JOIN {E} AS manager ON employee.{M} = manager.id"
    bosses = values(con, f"SELECT DISTINCT manager.name {pair} ORDER BY 1")
    staff = values(con, f"SELECT employee.name {pair} ORDER BY 1")
    if not bosses:
        return []
    boss, worker = rng.choice(bosses), rng.choice(staff)
    kinds = {
        "all": (["List each employee with the name of their manager.", "Show every employee and who they report to."],
                f"SELECT employee.name AS employee, manager.name AS manager {pair}"),
        "left": (["List all employees with their manager's name, including those who have no manager.",
                  "Show each employee's name and their manager's name (empty when there is none)."],
                 (f"SELECT employee.name AS employee, manager.name AS manager FROM {E} AS employee "
                  f"LEFT JOIN {E} AS manager ON employee.{M} = manager.id")),
        "reports_of": ([f"Who reports directly to {boss}?", f"List the employees whose manager is {boss}."],
                       f"SELECT employee.name {pair} WHERE manager.name = {lit(boss)}"),
        "boss_of": ([f"Who is {worker}'s manager?", f"What is the name of the manager of {worker}?"],
                    f"SELECT manager.name {pair} WHERE employee.name = {lit(worker)}"),
        "earn_more": (["Which employees earn a higher salary than their manager?",
                       "List employees who are paid more than the person they report to."],
                      (f"SELECT employee.name, employee.salary, manager.salary AS manager_salary {pair} "
                       "WHERE employee.salary > manager.salary")),
        "no_manager": (["Which employees have no manager?", "List the employees who report to nobody."],
                       f"SELECT name FROM {E} WHERE {M} IS NULL"),
    }
    return [Cand("employee_manager", say(rng, qs), sql) for qs, sql in
            (kinds[k] for k in rng.sample(sorted(kinds), 2))]


def manager_reports(h, con, rng):
    if not h.manager:
        return []
    E, M = h.facts[0].table, h.manager
    pair = f"FROM {E} AS employee JOIN {E} AS manager ON employee.{M} = manager.id"
    counts = sorted(values(con, f"SELECT COUNT(*) FROM {E} WHERE {M} IS NOT NULL GROUP BY {M}"))
    if not counts:
        return []
    n = rng.choice(counts[: max(1, len(counts) - 1)])
    kind = rng.choice(["more", "most", "all"])
    if kind == "more":
        qs = say(rng, ["Which managers have more than {n} direct reports?",
                       "List the managers with over {n} employees reporting to them, and how many."], n=n)
        sql = f"SELECT manager.name, COUNT(*) AS report_count {pair} GROUP BY manager.id HAVING COUNT(*) > {n}"
        return [Cand("manager_reports", qs, sql)]
    if kind == "most":
        qs = say(rng, ["Which manager has the most direct reports?", "Who manages the largest number of employees?"])
        sql = f"SELECT manager.name, COUNT(*) AS report_count {pair} GROUP BY manager.id ORDER BY report_count DESC LIMIT 1"
        return [Cand("manager_reports", qs, sql, tie_k=1)]
    qs = say(rng, ["How many direct reports does each manager have?", "For every manager, count the employees who report to them."])
    return [Cand("manager_reports", qs, f"SELECT manager.name, COUNT(*) AS report_count {pair} GROUP BY manager.id",
                 min_rows=2)]
