"""Templates for questions that follow foreign-key paths of three or four tables: totals over a many-to-one
chain filtered or grouped by the far table, labelled tables connected through one or two middle tables, and
a year condition placed on the table that really holds the date. The fine-tuned model put columns on the
wrong table of a long path (order_items.order_date) or skipped the middle table; these pairs make it walk
the whole path. Same contract as training/augment_templates.py: (profile, rng) -> list[Cand], phrasings
our own.

Filter values are read from what the join really reaches (one capped read-only query per picked path), not
from the far table alone: on Spider's sparse rows most far labels have nothing three tables away, and the
driver would reject nearly every pair as empty.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass

from nichelm.assistant.errors import NicheError
from nichelm.assistant.sqlite_io import connect_readonly, run_query

from .augment_profile import Link, Tab, lit, plural, q
from .augment_templates import Cand, _links, _pick, say

REACH_ROWS = 200  # distinct values read back per reachability query
REACH_TIMEOUT_S = 2.0
AGGS = [("SUM", "total"), ("AVG", "average"), ("COUNT", "number of")]


@dataclass
class Route:
    """Tables joined in order (T1, T2, ...), each consecutive pair by one Link, in either direction."""
    tabs: list[Tab]
    links: list[Link]

    @property
    def far(self) -> Tab:
        return self.tabs[-1]

    def alias(self, tab: Tab) -> str:
        return f"T{[t.name for t in self.tabs].index(tab.name) + 1}"

    def has(self, tab: Tab) -> bool:
        return any(t.name == tab.name for t in self.tabs)

    def up(self, i: int) -> bool:
        """Whether hop *i* goes from a child to the parent it references (many-to-one)."""
        i %= len(self.links)
        return self.links[i].child == self.tabs[i].name

    def frm(self) -> str:
        """The FROM clause: `FROM a AS T1 JOIN b AS T2 ON T1.x = T2.y JOIN ...`."""
        sql = f"FROM {q(self.tabs[0].name)} AS T1"
        for i, lk in enumerate(self.links):
            a, b = f"T{i + 1}", f"T{i + 2}"
            child, parent = (a, b) if self.up(i) else (b, a)
            sql += f" JOIN {q(self.tabs[i + 1].name)} AS {b} ON {child}.{q(lk.col)} = {parent}.{q(lk.ref)}"
        return sql

    def far_key(self) -> str:
        """The far table's column the last hop joins on (its key when the last hop goes up)."""
        lk = self.links[-1]
        return f"T{len(self.tabs)}.{q(lk.ref if self.up(-1) else lk.col)}"

    def via(self) -> str:
        """The middle tables in words: 'their department' or 'their department and its location'."""
        mids = [t.noun for t in self.tabs[1:-1]]
        return "their " + " and its ".join(mids)

    def mids(self) -> str:
        """The middle tables as plural nouns: 'enrollments' or 'enrollments and sections'."""
        return " and ".join(t.nouns for t in self.tabs[1:-1])


def _key_of(tab: Tab, name: str) -> bool:
    """Whether column *name* identifies one row of *tab* (joining to it never multiplies rows)."""
    c = tab.col(name)
    if c is None:
        return False
    if tab.pk == [c.name]:
        return True
    return c.rows == tab.rows and c.distinct == c.nonnull == tab.rows


def _hops(p) -> list[tuple[Link, Tab, Tab]]:
    """_links without table pairs joined by more than one link: which role a question means (reported by
    or closed by a staff member) would be ambiguous."""
    links = _links(p)
    pairs = Counter(frozenset((c.name, par.name)) for _, c, par in links)
    return [x for x in links if pairs[frozenset((x[1].name, x[2].name))] == 1]


def _chains(p, lengths=(3, 4)) -> list[Route]:
    """Many-to-one chains A -> B -> C (-> D): each table references the next by a key of the next, no table
    twice, so an aggregate over A is never inflated by fan-out."""
    up = defaultdict(list)
    for lk, c, par in _hops(p):
        if _key_of(par, lk.ref):
            up[c.name].append((lk, par))
    out: list[Route] = []

    def walk(r: Route):
        if len(r.tabs) in lengths:
            out.append(r)
        if len(r.tabs) < max(lengths):
            for lk, par in up.get(r.tabs[-1].name, []):
                if not r.has(par):
                    walk(Route(r.tabs + [par], r.links + [lk]))

    for t in p.usable():
        walk(Route([t], []))
    return out


def _paths(p, lengths=(3, 4)) -> list[Route]:
    """Paths of 3-4 distinct tables along links in any direction, shaped down-then-up: a path never goes up
    to a parent and back down to another child of it (students and teachers who merely share an address
    are not 'connected')."""
    adj = defaultdict(list)
    for lk, c, par in _hops(p):
        adj[c.name].append((lk, par, True))
        adj[par.name].append((lk, c, False))
    out: list[Route] = []

    def walk(r: Route, went_up: bool):
        if len(r.tabs) in lengths:
            out.append(r)
        if len(r.tabs) < max(lengths):
            for lk, nxt, is_up in adj.get(r.tabs[-1].name, []):
                if not r.has(nxt) and (is_up or not went_up):
                    walk(Route(r.tabs + [nxt], r.links + [lk]), went_up or is_up)

    for t in p.usable():
        walk(Route([t], []), False)
    return out


def _pick_routes(rng, routes: list[Route], n: int = 3) -> list[Route]:
    """Up to *n* routes, one of the longest first (four-table paths are the rarer skill)."""
    if not routes:
        return []
    longest = max(len(r.tabs) for r in routes)
    first = _pick(rng, [r for r in routes if len(r.tabs) == longest], 1)
    return first + _pick(rng, [r for r in routes if r is not first[0]], n - 1)


def _reachable(p, r: Route, expr: str, where: str = "") -> list:
    """Distinct non-NULL values of *expr* over the join of *r* (read-only, capped, sorted): parameters that
    the path really reaches, so a filter on them is not empty."""
    cond = f"{expr} IS NOT NULL" + (f" AND {where}" if where else "")
    sql = f"SELECT DISTINCT {expr} {r.frm()} WHERE {cond} LIMIT {REACH_ROWS}"
    try:
        con = connect_readonly(p.path)
    except (NicheError, sqlite3.Error):
        return []
    try:
        rows = run_query(con, sql, timeout_s=REACH_TIMEOUT_S, max_rows=REACH_ROWS).rows
    except (NicheError, sqlite3.Error):
        return []
    finally:
        con.close()
    return sorted((row[0] for row in rows if not isinstance(row[0], bytes)), key=str)


def _reached_value(p, r: Route, rng, expr: str, where: str = ""):
    """One value of *expr* that the join of *r* really reaches (None when it reaches none)."""
    vals = _reachable(p, r, expr, where)
    return rng.choice(vals) if vals else None


def _far_label(r: Route) -> str:
    """The far table's label column, qualified by its alias."""
    return f"T{len(r.tabs)}.{q(r.far.label.name)}"


def _aggregate(rng, a: Tab):
    """(SQL expression over T1, word, what in words) for a total, average or count of the A rows."""
    ms = a.measures()
    agg, word = rng.choice(AGGS if ms else AGGS[2:])
    if agg == "COUNT":
        return "COUNT(*)", word, a.nouns
    m = rng.choice(ms)
    expr = f"ROUND(AVG(T1.{q(m.name)}), 2)" if agg == "AVG" else f"SUM(T1.{q(m.name)})"
    return expr, word, f"{m.words} of the {a.nouns}"


def chain_aggregate(p, rng):
    out = []
    for r in _pick_routes(rng, [r for r in _chains(p) if r.far.label], 3):
        a, far = r.tabs[0], r.far
        expr, word, what = _aggregate(rng, a)
        L = _far_label(r)
        if rng.random() < 0.5:
            v = _reached_value(p, r, rng, L)
            if v is None:
                continue
            qs = say(rng, ["What is the {w} {what} for the {far} {v}?",
                           "For the {far} {v}, give the {w} {what}, going through {via}.",
                           "Find the {w} {what} whose {mid} belongs to the {far} {v}.",
                           "Compute the {w} {what} linked through {mids} to {far} {v}."],
                     w=word, what=what, far=far.noun, flab=far.lab, v=v, via=r.via(), mid=r.tabs[1].noun,
                     mids=r.mids())
            sql = f"SELECT {expr} {r.frm()} WHERE {L} = {lit(v)}"
            out.append(Cand("chain_aggregate", qs, sql, positive=expr == "COUNT(*)"))
        else:
            qs = say(rng, ["For each {flab}, what is the {w} {what}?",
                           "Show every {flab} with the {w} {what} that belong to it through {mids}.",
                           "Per {far}, give the {w} {what}, going through {via}.",
                           "List each {flab} and the {w} {what} under it."],
                     w=word, what=what, far=far.noun, flab=far.lab, via=r.via(), mids=r.mids())
            sql = f"SELECT {L}, {expr} {r.frm()} GROUP BY {r.far_key()}"
            out.append(Cand("chain_aggregate", qs, sql, min_rows=2))
    return out


def path_distinct(p, rng):
    out = []
    routes = [r for r in _paths(p) if r.tabs[0].label and r.far.label]
    for r in _pick_routes(rng, routes, 3):
        x, y = r.tabs[0], r.far
        L = _far_label(r)
        v = _reached_value(p, r, rng, L)
        if v is None:
            continue
        qs = say(rng, ["Which {xs} are connected to the {y} {v}? Give their {xlab}.",
                       "List the different {xlab} values of {xs} linked to the {y} with {ylabw} {v} through {mids}.",
                       "Show the {xlab} of every {x} related to the {y} {v} via {mids}, without repeats.",
                       "Going through {mids}, which {xs} reach the {y} whose {ylabw} is {v}? Show each {xlab} once."],
                 xs=x.nouns, x=x.noun, xlab=x.label.words, y=y.noun, ylab=y.lab, ylabw=y.label.words, v=v,
                 mids=r.mids())
        sql = f"SELECT DISTINCT T1.{q(x.label.name)} {r.frm()} WHERE {L} = {lit(v)}"
        out.append(Cand("path_distinct", qs, sql))
    return out


def path_distinct_group(p, rng):
    """The distinct values of a column of the first table (a kind, a city) reached from a far label: SELECT
    DISTINCT, so a value with many matching rows comes once; a column with blanks gets IS NOT NULL and a
    question that says to skip them. The model listed every joined row, blanks included."""
    out = []
    routes = [r for r in _paths(p) if r.tabs[0].groups() and r.far.label]
    for r in _pick_routes(rng, routes, 3):
        x, y = r.tabs[0], r.far
        gs = [g for g in x.groups() if not set(g.words.split()) & set(x.noun.split())]  # not "types of types"
        if not gs:
            continue
        g = rng.choice(gs)
        G, L = f"T1.{q(g.name)}", _far_label(r)
        v = _reached_value(p, r, rng, L, f"{G} IS NOT NULL")
        if v is None:
            continue
        kw = {"g": g.words, "gs": plural(g.words), "xs": x.nouns, "y": y.noun, "v": v, "mids": r.mids()}
        if g.nulls:
            qs = say(rng, [("Which {gs} do the {xs} linked to the {y} {v} have? Leave out {xs} with no {g}, "
                           "and name each once."),
                           "List every known {g} among {xs} connected to the {y} {v} through {mids}, without repeats.",
                           "Give the different {gs} of {xs} related to the {y} {v}, skipping blank ones."], **kw)
            sql = f"SELECT DISTINCT {G} {r.frm()} WHERE {L} = {lit(v)} AND {G} IS NOT NULL"
        else:
            qs = say(rng, ["Which {gs} do the {xs} linked to the {y} {v} have? Name each once.",
                           "List the {gs} of {xs} connected to the {y} {v} through {mids}, each only once.",
                           "Give every different {g} among {xs} related to the {y} {v}."], **kw)
            sql = f"SELECT DISTINCT {G} {r.frm()} WHERE {L} = {lit(v)}"
        out.append(Cand("path_distinct_group", qs, sql))
    return out


def _dated_chains(p, rng):
    """(route, dated table, its date column) for chains whose far label is known and whose middle or far
    table has an ISO date column."""
    for r in _chains(p):
        dated = [t for t in r.tabs[1:] if t.dates()]
        if r.far.label and dated:
            t = rng.choice(dated)
            yield r, t, rng.choice(t.dates())


def path_filter_date(p, rng):
    out = []
    for r, t, d in _pick(rng, list(_dated_chains(p, rng)), 3):
        a, far = r.tabs[0], r.far
        D = f"strftime('%Y', {r.alias(t)}.{q(d.name)})"
        y = _reached_value(p, r, rng, D)
        if y is None:
            continue
        expr, word, what = _aggregate(rng, a)
        whose = f"whose {t.noun} has a {d.words} in {y}"
        L = _far_label(r)
        if t is far or rng.random() < 0.5:  # a label filter on the dated table itself says little
            qs = say(rng, ["For each {flab}, what is the {w} {what} {whose}?",
                           "Show every {flab} with the {w} {what}, counting only those {whose}.",
                           "Per {far}, give the {w} {what} {whose}."],
                     flab=far.lab, far=far.noun, w=word, what=what, whose=whose)
            sql = f"SELECT {L}, {expr} {r.frm()} WHERE {D} = '{y}' GROUP BY {r.far_key()}"
            out.append(Cand("path_filter_date", qs, sql))
        else:
            v = _reached_value(p, r, rng, L, f"{D} = '{y}'")
            if v is None:
                continue
            qs = say(rng, ["What is the {w} {what} {whose}, for the {far} {v}?",
                           "For the {far} {v}, find the {w} {what} {whose}.",
                           "What is the {w} {what} belonging to the {far} {v}, counting only those {whose}?"],
                     flab=far.lab, far=far.noun, w=word, what=what, whose=whose, v=v)
            sql = f"SELECT {expr} {r.frm()} WHERE {L} = {lit(v)} AND {D} = '{y}'"
            out.append(Cand("path_filter_date", qs, sql, positive=expr == "COUNT(*)"))
    return out


TEMPLATES = (chain_aggregate, path_distinct, path_distinct_group, path_filter_date)
