"""Templates that judge parent rows by their children, on Spider train databases: parents of one kind that
have no children at all (two columns shown), the k parents with the largest total over their children, the
total shown beside each, and the distinct values of a column of the parents that have children. Same contract as training/augment_templates.py: (profile, rng) -> list[Cand],
phrasings our own.

They counter two habits of the fine-tuned model: an EXCEPT whose first side joins the children too (so it
keeps nothing, or keeps the wrong rows) where the question filters the parents and asks for those without
children, and a ranking that drops the total the question asks to see (or ranks single child rows with a
window function instead of grouping), and a list of every joined row where the question asks for each
value once.
"""

from __future__ import annotations

from .augment_profile import Col, Tab, lit, plural, q
from .augment_templates import Cand, _links, _pick, no_children, say

TOP_KS = (2, 3, 3, 4, 5)


def _shown(par: Tab, rng, skip: Col) -> Col | None:
    """A second column of *par* worth showing beside its label (not a key, not *skip*)."""
    cols = [c for c in par.cols if c is not par.label and c is not skip and not c.idlike and c.kind != "other"]
    return rng.choice(cols) if cols else None


def anti_join_where(p, rng):
    """Parents with one value of a column of their own and no children: the filter and the test of the
    children both on the parent (NOT EXISTS, or NOT IN over the children's non-NULL keys), two columns out."""
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label and x[2].groups()], 3):
        g = rng.choice(par.groups())
        shown = _shown(par, rng, g)
        if shown is None:
            continue
        for v in _pick(rng, g.values, 2):
            kw = {"parent": par.noun, "parents": par.nouns, "children": c.nouns, "child": c.noun, "g": g.words, "v": v,
                  "lab": par.label.words, "col": shown.words}
            qs = say(rng, [("List the {parents} whose {g} is {v} and that have no {children} at all, with their "
                           "{lab} and {col}."),
                           "Which {parents} with {g} {v} have never had a single {child}? Show {lab} and {col}.",
                           "Show the {lab} and {col} of each {parent} whose {g} is {v} and that has no {children}.",
                           "Find {parents} of {g} {v} that no {child} refers to; give their {lab} and {col}."], **kw)
            L, S, G = q(par.label.name), q(shown.name), q(g.name)
            if rng.random() < 0.7:
                sql = (f"SELECT T1.{L}, T1.{S} FROM {q(par.name)} AS T1 WHERE T1.{G} = {lit(v)} AND "
                       f"{no_children(lk, c, aliased=True)}")
            else:
                sql = f"SELECT {L}, {S} FROM {q(par.name)} WHERE {G} = {lit(v)} AND {no_children(lk, c, aliased=False)}"
            out.append(Cand("anti_join_where", qs, sql))
    return out


def top_k_by_children(p, rng):
    """The k parents with the largest number of children or total of a child measure, the total shown and
    named (`AS total`), grouped by the parent's key; optionally only the children of one kind."""
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label], 3):
        k = rng.choice(TOP_KS)
        ms = c.measures()
        on = f"FROM {q(par.name)} AS T1 JOIN {q(c.name)} AS T2 ON T2.{q(lk.col)} = T1.{q(lk.ref)}"
        kw = {"k": k, "parents": par.nouns, "children": c.nouns, "lab": par.label.words}
        if ms and rng.random() < 0.6:
            m = rng.choice(ms)
            alias = "total_" + q(m.name).strip('"').lower() if q(m.name) == m.name else "total"
            expr, what = f"SUM(T2.{q(m.name)})", f"total {m.words} of their {c.nouns}"
        else:
            alias, expr, what = "n_" + (q(c.name) if q(c.name) == c.name else "rows").lower(), "COUNT(*)", \
                f"number of {c.nouns}"
        where, among = "", ""
        gs = [g for g in c.groups() if g.values]
        if gs and rng.random() < 0.4:
            g = rng.choice(gs)
            v = rng.choice(g.values)
            where, among = f" WHERE T2.{q(g.name)} = {lit(v)}", f", counting only {c.nouns} whose {g.words} is {v}"
        qs = say(rng, ["Which {k} {parents} have the largest {what}{among}? Show each {lab} with that figure.",
                       "Rank the {parents} by {what}{among} and list the top {k}, with their {lab} and the figure.",
                       "Give the top {k} {parents} by {what}{among}, showing the {lab} and the {what}."],
                 what=what, among=among, **kw)
        sql = (f"SELECT T1.{q(par.label.name)}, {expr} AS {alias} {on}{where} GROUP BY T1.{q(lk.ref)} "
               f"ORDER BY {alias} DESC LIMIT {k}")
        out.append(Cand("top_k_by_children", qs, sql, tie_k=k, min_rows=k))
    return out


def distinct_linked(p, rng):
    """A column of the parents that have at least one child (of one kind, optionally): SELECT DISTINCT over
    the join, so a parent with many children, or a value shared by many parents, comes once; a column with
    blanks gets IS NOT NULL and a question that says to skip them."""
    out = []
    for lk, c, par in _pick(rng, [x for x in _links(p) if x[2].label or x[2].groups()], 3):
        cols = ([par.label] if par.label else []) + [g for g in par.groups()
                                                      if not set(g.words.split()) & set(par.noun.split())]
        if not cols:
            continue
        col = rng.choice(cols)
        C = f"T1.{q(col.name)}"
        where, which = [], ""
        kinds = [g for g in c.groups() if g.values]
        if kinds and rng.random() < 0.6:
            g = rng.choice(kinds)
            v = rng.choice(g.values)
            where.append(f"T2.{q(g.name)} = {lit(v)}")
            which = f" whose {g.words} is {v}"
        kw = {"parents": par.nouns, "child": c.noun, "children": c.nouns, "col": col.words,
              "cols": plural(col.words), "which": which}
        if col is par.label:
            qs = say(rng, ["Which {parents} have at least one {child}{which}? Give each {col} once.",
                           "List the {col} of every {parent} with some {children}{which}, without repeats.",
                           "Name the {parents} that have {children}{which}, each only once."], parent=par.noun, **kw)
        elif col.nulls:
            where.append(f"{C} IS NOT NULL")
            qs = say(rng, ["Which known {cols} belong to {parents} with at least one {child}{which}? Each once.",
                           ("List the different {cols} of {parents} that have some {children}{which}, leaving out "
                           "blank ones."),
                           ("Give each {col} of a {parent} linked to a {child}{which} once, skipping {parents} with "
                           "no {col}.")], parent=par.noun, **kw)
        else:
            qs = say(rng, ["Which {cols} belong to {parents} with at least one {child}{which}? Name each once.",
                           "List the different {cols} of {parents} that have some {children}{which}.",
                           "Give every {col} of a {parent} linked to a {child}{which}, without repeats."],
                     parent=par.noun, **kw)
        sql = (f"SELECT DISTINCT {C} FROM {q(par.name)} AS T1 JOIN {q(c.name)} AS T2 ON T2.{q(lk.col)} = "
               f"T1.{q(lk.ref)}" + (" WHERE " + " AND ".join(where) if where else ""))
        out.append(Cand("distinct_linked", qs, sql))
    return out


TEMPLATES = (anti_join_where, top_k_by_children, distinct_linked)
