"""More augmentation templates: CASE buckets, LIKE, NULL handling, self-joins, set operations,
GROUP BY/HAVING, multi-table joins, tie-safe ORDER BY/LIMIT, DISTINCT counts, percentages and ROUND/AVG.
Same contract as training/augment_templates.py."""

from __future__ import annotations

import re

from .augment_profile import lit, q
from .augment_templates import Cand, _links, _num, _pick, _tabs, say


def case_bucket(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.measures()):
        m = rng.choice(t.measures())
        vals = sorted(v for v in m.values if isinstance(v, (int, float)))
        if len(vals) < 6:
            continue
        lo, hi = vals[len(vals) // 3], vals[2 * len(vals) // 3]
        if lo == hi:
            continue
        qs = say(rng, [("Group the {rows} into {m} bands: low (under {lo}), medium ({lo} to under {hi}) and high "
                        "({hi} or more), and count each band."),
                       ("How many {rows} are low, medium or high in {m}, where low is below {lo}, high is at least "
                        "{hi}, and medium is in between?"),
                       "Count {rows} per {m} category: 'low' if {m} < {lo}, 'medium' if < {hi}, else 'high'."],
                 rows=t.nouns, m=m.words, lo=_num(lo), hi=_num(hi))
        M = q(m.name)
        sql = (f"SELECT CASE WHEN {M} < {lit(lo)} THEN 'low' WHEN {M} < {lit(hi)} THEN 'medium' ELSE 'high' END "
               f"AS band, COUNT(*) FROM {q(t.name)} WHERE {M} IS NOT NULL GROUP BY band")
        out.append(Cand("case_bucket", qs, sql, min_rows=2))
    return out


def case_label(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.label and t.measures()):
        m = rng.choice(t.measures())
        vals = sorted(v for v in m.values if isinstance(v, (int, float)))
        if len(vals) < 4:
            continue
        cut = vals[len(vals) // 2]
        qs = say(rng, ["List each {row}'s {lab} and whether its {m} is 'high' (at least {c}) or 'low'.",
                       "For every {row}, show the {lab} and label it 'high' when {m} is {c} or more, otherwise 'low'."],
                 row=t.noun, lab=t.label.words, m=m.words, c=_num(cut))
        sql = (f"SELECT {q(t.label.name)}, CASE WHEN {q(m.name)} >= {lit(cut)} THEN 'high' ELSE 'low' END "
               f"AS level FROM {q(t.name)}")
        out.append(Cand("case_label", qs, sql, min_rows=3))
    return out


def like_match(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.texts()):
        c = rng.choice(t.texts())
        vals = [v for v in c.values if isinstance(v, str) and v[:1].isalpha()]
        if len(vals) < 3:
            continue
        show = t.label if t.label and t.label is not c else c
        if rng.random() < 0.5:
            v = rng.choice(vals)
            pre = v[: rng.choice([1, 2, 3])]
            if "'" in pre or "%" in pre or "_" in pre:
                continue
            qs = say(rng, ["Which {rows} have a {c} starting with '{x}'? Show their {s}.",
                           "List the {s} of {rows} whose {c} begins with \"{x}\".",
                           "Find {rows} with {c} that starts with {x}."],
                     rows=t.nouns, c=c.words, x=pre, s=show.words)
            sql = f"SELECT {q(show.name)} FROM {q(t.name)} WHERE {q(c.name)} LIKE '{pre}%'"
        else:
            toks = [w for v in vals for w in re.findall(r"[A-Za-z]{4,}", v)]
            if not toks:
                continue
            w = rng.choice(toks)
            qs = say(rng, ["Which {rows} have '{x}' somewhere in their {c}? Show the {s}.",
                           "List the {s} of every {row} whose {c} contains \"{x}\".",
                           "How many {rows} mention {x} in the {c}?"],
                     rows=t.nouns, row=t.noun, c=c.words, x=w, s=show.words)
            if qs.startswith("How many"):
                sql = f"SELECT COUNT(*) FROM {q(t.name)} WHERE {q(c.name)} LIKE '%{w}%'"
                out.append(Cand("like_match", qs, sql, positive=True))
                continue
            sql = f"SELECT {q(show.name)} FROM {q(t.name)} WHERE {q(c.name)} LIKE '%{w}%'"
        out.append(Cand("like_match", qs, sql))
    return out


def null_handling(p, rng):
    out = []
    for t in p.usable():
        cols = [c for c in t.cols if 0 < c.nulls < c.rows and not c.pk and c.kind in ("num", "text", "date")]
        if not cols:
            continue
        c = rng.choice(cols)
        if t.label and t.label is not c and rng.random() < 0.5:
            fill = "0" if c.kind == "num" else "'unknown'"
            qs = say(rng, ["List each {row}'s {lab} and {c}, showing {f} when the {c} is missing.",
                           "Show the {lab} and {c} of all {rows}, replacing empty (NULL) {c} values with {f}."],
                     row=t.noun, rows=t.nouns, lab=t.label.words, c=c.words, f=fill.strip("'"))
            sql = f"SELECT {q(t.label.name)}, COALESCE({q(c.name)}, {fill}) FROM {q(t.name)}"
            out.append(Cand("null_handling", qs, sql, min_rows=3))
        elif t.label and t.label is not c and rng.random() < 0.5:
            missing = rng.random() < 0.7
            qs = say(rng, ["List the {lab} of every {row} whose {c} is unknown.",
                           "Which {rows} have no {c} on record? Give their {lab}.",
                           "Show the {lab} of {rows} where the {c} was never filled in."] if missing else
                     ["List the {lab} of the {rows} whose {c} is known.",
                      "Which {rows} have a {c} given? Show their {lab}."],
                     row=t.noun, rows=t.nouns, lab=t.label.words, c=c.words)
            sql = f"SELECT {q(t.label.name)} FROM {q(t.name)} WHERE {q(c.name)} IS {'' if missing else 'NOT '}NULL"
            out.append(Cand("null_handling", qs, sql))
        else:
            missing = rng.random() < 0.6
            qs = say(rng, ["How many {rows} have no {c} recorded?", "Count the {rows} whose {c} is missing.",
                           "How many {rows} have an empty (NULL) {c}?"] if missing else
                     ["How many {rows} have a {c} recorded?", "Count the {rows} with a known {c}."],
                     rows=t.nouns, c=c.words)
            sql = f"SELECT COUNT(*) FROM {q(t.name)} WHERE {q(c.name)} IS {'' if missing else 'NOT '}NULL"
            out.append(Cand("null_handling", qs, sql, positive=True))
    return out


def self_join(p, rng):
    out = []
    for lk in p.links:
        t = p.tables.get(lk.child)
        if lk.child != lk.parent or not t or not t.label or t.rows < 3:
            continue
        rel = t.col(lk.col).words
        rel = re.sub(r"\b(id|code|no)$", "", rel).strip() or "related " + t.noun
        qs = say(rng, ["List each {row}'s {lab} together with the {lab} of its {rel}.",
                       "For every {row} that has a {rel}, show both {lab}s.",
                       "Show pairs of {row} {lab} and {rel} {lab}."],
                 row=t.noun, lab=t.label.words, rel=rel)
        L = q(t.label.name)
        sql = (f"SELECT T1.{L}, T2.{L} FROM {q(t.name)} AS T1 JOIN {q(t.name)} AS T2 "
               f"ON T1.{q(lk.col)} = T2.{q(lk.ref)}")
        out.append(Cand("self_join", qs, sql))
        qs = say(rng, ["For each {rel}, how many {rows} have that {row} as their {rel}? Show the {rel}'s {lab}.",
                       "Count the {rows} under each {rel}, naming the {rel} by {lab}."],
                 rows=t.nouns, row=t.noun, rel=rel, lab=t.label.words)
        sql = (f"SELECT T2.{L}, COUNT(*) FROM {q(t.name)} AS T1 JOIN {q(t.name)} AS T2 "
               f"ON T1.{q(lk.col)} = T2.{q(lk.ref)} GROUP BY T2.{q(lk.ref)}")
        out.append(Cand("self_join", qs, sql))
    return out


def set_ops(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.measures() and t.groups()):
        m, g = rng.choice(t.measures()), rng.choice(t.groups())
        vals = sorted(v for v in m.values if isinstance(v, (int, float)))
        if len(vals) < 4:
            continue
        a, b = vals[len(vals) // 4], vals[3 * len(vals) // 4]
        G, M, T = q(g.name), q(m.name), q(t.name)
        op = rng.choice(["INTERSECT", "EXCEPT", "UNION"])
        if op == "INTERSECT":
            qs = say(rng, ["Which {g} values have both a {row} with {m} above {b} and one with {m} below {a}?",
                           "Find each {g} that includes {rows} with {m} over {b} as well as {rows} with {m} under {a}."],
                     g=g.words, row=t.noun, rows=t.nouns, m=m.words, a=_num(a), b=_num(b))
            sql = f"SELECT {G} FROM {T} WHERE {M} > {lit(b)} INTERSECT SELECT {G} FROM {T} WHERE {M} < {lit(a)}"
        elif op == "EXCEPT":
            qs = say(rng, ["Which {g} values have no {row} with {m} above {b}?",
                           "List the {g} values that never have a {m} greater than {b}."],
                     g=g.words, row=t.noun, m=m.words, b=_num(b))
            sql = f"SELECT {G} FROM {T} EXCEPT SELECT {G} FROM {T} WHERE {M} > {lit(b)}"
        else:
            gv = rng.choice(g.values)
            show = t.label or g
            qs = say(rng, ["List the {s} of {rows} that either have {g} {v} or a {m} above {b}.",
                           "Give the {s} of every {row} whose {g} is {v}, together with those with {m} over {b}."],
                     s=show.words, rows=t.nouns, row=t.noun, g=g.words, v=gv, m=m.words, b=_num(b))
            S = q(show.name)
            sql = f"SELECT {S} FROM {T} WHERE {G} = {lit(gv)} UNION SELECT {S} FROM {T} WHERE {M} > {lit(b)}"
        out.append(Cand("set_ops", qs, sql))
    return out


def group_having(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.groups()):
        g = rng.choice(t.groups())
        if t.measures() and rng.random() < 0.4:
            m = rng.choice(t.measures())
            vals = sorted(v for v in m.values if isinstance(v, (int, float)))
            v = vals[len(vals) // 2]
            qs = say(rng, ["Which {g} values have an average {m} greater than {v}?",
                           "List each {g} whose {rows} average more than {v} in {m}."],
                     g=g.words, m=m.words, v=_num(v), rows=t.nouns)
            sql = (f"SELECT {q(g.name)}, AVG({q(m.name)}) FROM {q(t.name)} GROUP BY {q(g.name)} "
                   f"HAVING AVG({q(m.name)}) > {lit(v)}")
        else:
            k = rng.choice([2, 3, 5])
            qs = say(rng, ["Which {g} values are shared by at least {k} {rows}? Show the counts.",
                           "List the {g} values that appear in {k} or more {rows}, with how many.",
                           "Find every {g} with no fewer than {k} {rows}."],
                     g=g.words, k=k, rows=t.nouns)
            sql = (f"SELECT {q(g.name)}, COUNT(*) FROM {q(t.name)} GROUP BY {q(g.name)} HAVING COUNT(*) >= {k}")
        out.append(Cand("group_having", qs, sql))
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label], 2):
        k = rng.choice([1, 2, 3])
        qs = say(rng, ["Which {parents} have more than {k} {children}? Give their {lab} and the number.",
                       "List the {lab} of {parents} with over {k} {children}.",
                       "Show {parents} that are linked to more than {k} {children}, with the count."],
                 parents=par.nouns, children=c.nouns, k=k, lab=par.label.words)
        sql = (f"SELECT T1.{q(par.label.name)}, COUNT(*) FROM {q(par.name)} AS T1 JOIN {q(c.name)} AS T2 "
               f"ON T2.{q(lk.col)} = T1.{q(lk.ref)} GROUP BY T1.{q(lk.ref)} HAVING COUNT(*) > {k}")
        out.append(Cand("group_having", qs, sql))
    return out


def join_aggregate(p, rng):
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label], 3):
        L, R = f"T1.{q(par.label.name)}", f"T1.{q(lk.ref)}"
        on = f"FROM {q(par.name)} AS T1 JOIN {q(c.name)} AS T2 ON T2.{q(lk.col)} = {R}"
        if c.measures() and rng.random() < 0.6:
            m = rng.choice(c.measures())
            agg, word = rng.choice([("AVG", "average"), ("SUM", "total"), ("MAX", "largest")])
            expr = f"ROUND(AVG(T2.{q(m.name)}), 2)" if agg == "AVG" else f"{agg}(T2.{q(m.name)})"
            qs = say(rng, ["What is the {w} {m} of the {children} of each {parent}? Show the {plab}.",
                           "For every {parent}, give its {lab} and the {w} {m} over its {children}.",
                           "Show each {plab} with the {w} {child} {m}."],
                     w=word, m=m.words, children=c.nouns, child=c.noun, parent=par.noun, lab=par.label.words,
                     plab=par.lab)
            sql = f"SELECT {L}, {expr} {on} GROUP BY {R}"
        else:
            qs = say(rng, ["How many {children} does each {parent} have? Show the {plab}.",
                           "For each {parent}, count its {children}.",
                           "List every {plab} with the number of {children} linked to it."],
                     children=c.nouns, parent=par.noun, plab=par.lab)
            sql = f"SELECT {L}, COUNT(*) {on} GROUP BY {R}"
        out.append(Cand("join_aggregate", qs, sql, min_rows=2))
    return out


def join_filter(p, rng):
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label and x[1].label], 3):
        # a parent that really has children, so the answer is not empty
        v = rng.choice(par.label.values)
        qs = say(rng, ["List the {clab} of the {children} that belong to the {parent} {v}.",
                       "Which {children} are linked to the {parent} whose {plab} is {v}? Give their {clab}.",
                       "Show the {clab} of every {child} of {parent} {v}."],
                 clab=c.label.words, children=c.nouns, child=c.noun, parent=par.noun, plab=par.label.words, v=v)
        sql = (f"SELECT T2.{q(c.label.name)} FROM {q(par.name)} AS T1 JOIN {q(c.name)} AS T2 "
               f"ON T2.{q(lk.col)} = T1.{q(lk.ref)} WHERE T1.{q(par.label.name)} = {lit(v)}")
        out.append(Cand("join_filter", qs, sql))
    return out


def join_three(p, rng):
    out = []
    links = _links(p)
    for lk1, c, mid in links:
        for lk2, mid2, top in links:
            if mid2 is not mid or top is c or not top.label:
                continue
            if rng.random() < 0.5 and c.label:
                v = rng.choice(top.label.values)
                qs = say(rng, ["List the {clab} of {children} connected through {mids} to the {top} {v}.",
                               "Which {children} are linked, via their {mid}, to {top} {v}? Show the {clab}."],
                         clab=c.label.words, children=c.nouns, mids=mid.nouns, mid=mid.noun, top=top.noun, v=v)
                sql = (f"SELECT DISTINCT T1.{q(c.label.name)} FROM {q(c.name)} AS T1 JOIN {q(mid.name)} AS T2 "
                       f"ON T1.{q(lk1.col)} = T2.{q(lk1.ref)} JOIN {q(top.name)} AS T3 ON T2.{q(lk2.col)} = "
                       f"T3.{q(lk2.ref)} WHERE T3.{q(top.label.name)} = {lit(v)}")
            else:
                qs = say(rng, ["How many {children} are there for each {top}, going through their {mid}?",
                               "Count the {children} per {top} (each {child} belongs to a {mid}, which belongs to a {top}).",
                               "For every {plab}, how many {children} are linked to it through {mids}?"],
                         children=c.nouns, child=c.noun, top=top.noun, mid=mid.noun, mids=mid.nouns,
                         plab=top.lab)
                sql = (f"SELECT T3.{q(top.label.name)}, COUNT(*) FROM {q(c.name)} AS T1 JOIN {q(mid.name)} AS T2 "
                       f"ON T1.{q(lk1.col)} = T2.{q(lk1.ref)} JOIN {q(top.name)} AS T3 ON T2.{q(lk2.col)} = "
                       f"T3.{q(lk2.ref)} GROUP BY T3.{q(lk2.ref)}")
            out.append(Cand("join_three", qs, sql))
    return _pick(rng, out, 3)


def top_k(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.label and t.measures() and t.rows >= 4):
        m = rng.choice(t.measures())
        k = rng.choice([1, 1, 3, 5])
        hi = rng.random() < 0.65
        w = (rng.choice(["highest", "largest", "greatest"]) if hi else rng.choice(["lowest", "smallest"]))
        if k == 1:
            qs = say(rng, ["Which {row} has the {w} {m}? Give its {lab}.",
                           "What is the {lab} of the {row} with the {w} {m}?"],
                     row=t.noun, w=w, m=m.words, lab=t.label.words)
        else:
            qs = say(rng, ["List the {k} {rows} with the {w} {m}, showing {lab} and {m}.",
                           "Show the top {k} {rows} by {w} {m}.",
                           "Which {k} {rows} have the {w} {m}? Give their {lab}."],
                     k=k, rows=t.nouns, w=w, m=m.words, lab=t.label.words)
        M = q(m.name)
        sql = (f"SELECT {q(t.label.name)}, {M} FROM {q(t.name)} WHERE {M} IS NOT NULL "
               f"ORDER BY {M} {'DESC' if hi else 'ASC'} LIMIT {k}")
        out.append(Cand("top_k", qs, sql, tie_k=k, min_rows=k))
    for t in _tabs(p, lambda t: t.groups()):
        g = rng.choice(t.groups())
        qs = say(rng, ["Which {g} has the most {rows}?", "What is the most common {g} among {rows}?",
                       "Find the {g} value shared by the largest number of {rows}."], g=g.words, rows=t.nouns)
        sql = f"SELECT {q(g.name)}, COUNT(*) FROM {q(t.name)} GROUP BY {q(g.name)} ORDER BY COUNT(*) DESC LIMIT 1"
        out.append(Cand("top_k", qs, sql, tie_k=1))
    return out


def distinct_count(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.groups() or t.texts()):
        c = rng.choice(t.groups() or t.texts())
        qs = say(rng, ["How many different {c} values do the {rows} have?",
                       "Count the distinct {c}s among all {rows}.",
                       "How many unique {c} values are there in {table}?"],
                 c=c.words, rows=t.nouns, table=t.nouns)
        sql = f"SELECT COUNT(DISTINCT {q(c.name)}) FROM {q(t.name)}"
        out.append(Cand("distinct_count", qs, sql, positive=True))
    for lk, c, par in _pick(rng, _links(p), 1):
        qs = say(rng, ["How many {parents} have at least one {child}?",
                       "Count the distinct {parents} that appear among the {children}."],
                 parents=par.nouns, child=c.noun, children=c.nouns)
        sql = f"SELECT COUNT(DISTINCT {q(lk.col)}) FROM {q(c.name)}"
        out.append(Cand("distinct_count", qs, sql, positive=True))
    return out


def percentage(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.groups()):
        g = rng.choice(t.groups())
        if rng.random() < 0.5:
            v = rng.choice(g.values)
            qs = say(rng, ["What percentage of {rows} have {g} {v}?",
                           "What share of all {rows}, in percent, has a {g} of {v}?",
                           "Give the percentage of {rows} whose {g} is {v}, rounded to two decimals."],
                     rows=t.nouns, g=g.words, v=v)
            sql = (f"SELECT ROUND(100.0 * SUM(CASE WHEN {q(g.name)} = {lit(v)} THEN 1 ELSE 0 END) / COUNT(*), 2) "
                   f"FROM {q(t.name)}")
            out.append(Cand("percentage", qs, sql, positive=True))
        else:
            qs = say(rng, ["For each {g}, what percentage of all {rows} does it make up?",
                           "Show every {g} with its share of {rows} as a percentage."],
                     g=g.words, rows=t.nouns)
            sql = (f"SELECT {q(g.name)}, ROUND(100.0 * COUNT(*) / (SELECT COUNT(*) FROM {q(t.name)}), 2) "
                   f"FROM {q(t.name)} GROUP BY {q(g.name)}")
            out.append(Cand("percentage", qs, sql, min_rows=2))
    return out


def round_avg(p, rng):
    out = []
    for t in _tabs(p, lambda t: t.measures()):
        m = rng.choice(t.measures())
        if t.groups() and rng.random() < 0.6:
            g = rng.choice(t.groups())
            qs = say(rng, ["What is the average {m} for each {g}, rounded to 2 decimal places?",
                           "Show every {g} with the mean {m} of its {rows}, to two decimals.",
                           "For each {g}, give the average {m} rounded to two places."],
                     m=m.words, g=g.words, rows=t.nouns)
            sql = f"SELECT {q(g.name)}, ROUND(AVG({q(m.name)}), 2) FROM {q(t.name)} GROUP BY {q(g.name)}"
            out.append(Cand("round_avg", qs, sql, min_rows=2))
        else:
            qs = say(rng, ["What are the minimum, maximum and average {m} of the {rows}? Round the average to 1 decimal.",
                           "Give the smallest, largest and mean {m} across all {rows} (mean rounded to one decimal)."],
                     m=m.words, rows=t.nouns)
            M = q(m.name)
            sql = f"SELECT MIN({M}), MAX({M}), ROUND(AVG({M}), 1) FROM {q(t.name)}"
            out.append(Cand("round_avg", qs, sql))
    return out
