"""Question/SQL templates over the billed-work databases of training/ledger_domains.py that teach how a few
clauses are written, whatever the money columns:
- two choices of one column together with another condition: the choices in parentheses (or an IN list), so
  the other condition holds for both (`a = 1 OR a = 2 AND y = 2023` reads `a = 1 OR (a = 2 AND y = 2023)`);
- the values of a column of a table reached through one-to-many joins, each once (DISTINCT), known ones only;
- rows of a table with no matching row in another (NOT EXISTS), together with a filter on the rows' own columns;
- a stand-in for a missing value in a listed column (COALESCE(col, 'Unknown')), never a UNION of the missing rows;
- the top N of a table by a sum over its rows in another, with the sum shown.
SQL style as the other generated pairs: table names at each use, values read from the rows.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import MONTHS, Cand, say
from .ledger_domains import Ledger
from .ledger_templates import _lines_to_group, _pick, _year

UNKNOWN = ("Unknown", "unknown", "n/a")


def _party_join(g: Ledger) -> str:
    return f"JOIN {g.w.parties} ON {g.w.jobs}.{g.party_fk} = {g.w.parties}.id"


def _items_on_jobs(g: Ledger) -> str:
    """FROM items JOIN lines JOIN jobs: an item with each line it is on and that line's job."""
    w = g.w
    return (f"FROM {w.items} JOIN {w.lines} ON {w.lines}.{g.item_fk} = {w.items}.id "
            f"JOIN {w.jobs} ON {w.lines}.{g.job_fk} = {w.jobs}.id")


def two_choices_and_a_year(g: Ledger, con, rng):
    """Jobs of a year in either of two statuses (counted), or items on lines of one or two units in a year: the two
    choices in parentheses or an IN list, the year outside them."""
    w = g.w
    y = _pick(con, rng, f"SELECT DISTINCT {_year(g)} FROM {w.jobs} ORDER BY 1")
    if y is None:
        return []
    paren = rng.random() < 0.6
    if rng.random() < 0.5:
        a, b = w.statuses[1], w.statuses[2]
        col = f"{w.jobs}.status"
        test = f"({col} = {lit(a)} OR {col} = {lit(b)})" if paren else f"{col} IN ({lit(a)}, {lit(b)})"
        qs = say(rng, ["How many {jobs} from {y} were {a} or {b}?",
                       "Count the {y} {jobs} whose status is {a} or {b}.",
                       "In {y}, how many {jobs} ended up either {a} or {b}?"], jobs=w.job.many, y=y, a=a, b=b)
        return [Cand("two_choices_and_a_year", qs, f"SELECT COUNT(*) FROM {w.jobs} WHERE {test} AND {_year(g)} = '{y}'",
                     positive=True)]
    col = f"{w.lines}.{w.qty}"
    test = f"({col} = 1 OR {col} = 2)" if paren else f"{col} IN (1, 2)"
    qs = say(rng, ["Which {its} were on a {line} with a {q} of one or two in {y}?",
                   "List the {its} that appeared on {lines} with a {q} of 1 or 2 during {y}, each once.",
                   "{y}: which {its} had a {line} whose {q} was just one or two?"],
             its=w.item.many, line=w.line.one, lines=w.line.many, q=w.qty_words, y=y)
    sql = f"SELECT DISTINCT {w.items}.name {_items_on_jobs(g)} WHERE {test} AND {_year(g)} = '{y}'"
    return [Cand("two_choices_and_a_year", qs, sql, min_rows=2)]


def cities_reached(g: Ledger, con, rng):
    """The cities of the parties whose jobs had lines of one group's items: each city once, unknown ones left out."""
    w = g.w
    name = _pick(con, rng, f"SELECT DISTINCT {w.groups}.name {_lines_to_group(g)} ORDER BY 1")
    if name is None:
        return []
    qs = say(rng, ["Which cities have {ps} whose {jobs} included {grp} {its}? Skip {ps} with no city.",
                   "Name every known city with at least one {party} who had {grp} {its} on a {job}, each once.",
                   "In which cities are there {ps} with a {job} involving {grp}? Leave out missing cities.",
                   "List the distinct cities of {ps} that were {billed} for {grp} {its}, ignoring blank cities."],
             ps=w.party.many, party=w.party.one, jobs=w.job.many, job=w.job.one, grp=name, its=w.item.many,
             billed=w.billed)
    sql = (f"SELECT DISTINCT {w.parties}.city FROM {w.parties} JOIN {w.jobs} ON {w.jobs}.{g.party_fk} = "
           f"{w.parties}.id JOIN {w.lines} ON {w.lines}.{g.job_fk} = {w.jobs}.id JOIN {w.items} ON "
           f"{w.lines}.{g.item_fk} = {w.items}.id JOIN {w.groups} ON {w.items}.{g.group_fk} = {w.groups}.id "
           f"WHERE {w.groups}.name = {lit(name)} AND {w.parties}.city IS NOT NULL")
    return [Cand("cities_reached", qs, sql, min_rows=2)]


def never_had(g: Ledger, con, rng):
    """Parties of one city without any job (or without a job of one status): NOT EXISTS beside the city test."""
    w = g.w
    status = w.statuses[1] if rng.random() < 0.6 else None
    cond = f" AND {w.jobs}.status = {lit(status)}" if status else ""
    missing = (f"NOT EXISTS (SELECT 1 FROM {w.jobs} WHERE {w.jobs}.{g.party_fk} = {w.parties}.id{cond})")
    city = _pick(con, rng, f"SELECT DISTINCT city FROM {w.parties} WHERE {missing} ORDER BY 1")
    if city is None:
        return []
    kw = {"ps": w.party.many, "c": city, "job": w.job.one, "jobs": w.job.many, "s": status}
    phr = (["Which {ps} from {c} have never had a {s} {job}?",
            "{ps} in {c} with no {s} {jobs} at all: who are they?",
            "List the {c} {ps} who never had a {job} that was {s}."] if status else
           ["Which {ps} from {c} have never had a {job}?",
            "Who among the {ps} in {c} has no {jobs} yet?",
            "List {ps} based in {c} without a single {job}."])
    return [Cand("never_had", say(rng, phr, **kw),
                 f"SELECT {w.parties}.name FROM {w.parties} WHERE {w.parties}.city = {lit(city)} AND {missing}")]


def city_or_unknown(g: Ledger, con, rng):
    """The jobs of one month with their party's city, a stand-in word where it is missing: COALESCE."""
    w = g.w
    ym = _pick(con, rng, f"SELECT strftime('%Y-%m', {w.jobs}.{w.date}) FROM {w.jobs} {_party_join(g)} "
                         f"GROUP BY 1 HAVING COUNT(*) >= 3 AND SUM({w.parties}.city IS NULL) >= 1 ORDER BY 1")
    if ym is None:
        return []
    word = rng.choice(UNKNOWN)
    month = f"{MONTHS[int(ym[5:7]) - 1]} {ym[:4]}"
    qs = say(rng, ["List the {jobs} of {m}: id, and the {party}'s city, or '{u}' where we have none.",
                   ("For every {job} {when} {m}, give its id and its {party}'s city, showing '{u}' when the city "
                    "is missing."),
                   "{m} {jobs} with the city of each {party} ('{u}' if not on file)."],
             jobs=w.job.many, job=w.job.one, m=month, party=w.party.one, u=word, when=w.when)
    sql = (f"SELECT {w.jobs}.id, COALESCE({w.parties}.city, {lit(word)}) FROM {w.jobs} {_party_join(g)} "
           f"WHERE strftime('%Y-%m', {w.jobs}.{w.date}) = '{ym}'")
    return [Cand("city_or_unknown", qs, sql, min_rows=3)]


def top_by_quantity(g: Ledger, con, rng):
    """The top N items by quantity on the jobs of parties from one city, each with its summed quantity."""
    w = g.w
    city = _pick(con, rng, f"SELECT DISTINCT city FROM {w.parties} WHERE city IS NOT NULL ORDER BY 1")
    if city is None:
        return []
    n = rng.choice([2, 3, 4])
    qs = say(rng, ["What are the top {n} {its} by {q} for {ps} from {c}? Show the {q}.",
                   "Rank {its} by total {q} on {jobs} of {ps} in {c} and show the top {n} with their {q}.",
                   "Top {n} {its} that {c} {ps} took the most {q} of, with the totals."],
             n=n, its=w.item.many, q=w.qty_words, ps=w.party.many, c=city, jobs=w.job.many)
    total = f"SUM({w.lines}.{w.qty})"
    sql = (f"SELECT {w.items}.name, {total} {_items_on_jobs(g)} {_party_join(g)} WHERE {w.parties}.city = {lit(city)} "
           f"GROUP BY {w.items}.id, {w.items}.name ORDER BY {total} DESC LIMIT {n}")
    return [Cand("top_by_quantity", qs, sql, tie_k=n, min_rows=n)]


TEMPLATES = (two_choices_and_a_year, cities_reached, never_had, city_or_unknown, top_by_quantity)
