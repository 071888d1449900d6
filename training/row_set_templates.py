"""Question/SQL templates over the billed-work databases of training/ledger_domains.py about which parties' rows
meet two conditions at once, each condition a test on the party's jobs:
- some rows of one kind and none of another ("had jobs, but never a cancelled one", "billed in 2022 but not in
  2023"): both tests kept, the positive one as well as the NOT EXISTS / NOT IN / EXCEPT (a party with no job at
  all is not an answer to "had jobs, but never a cancelled one");
- rows of both of two values of one column ("jobs in both 2022 and 2023", "Drills as well as Saws"): two sets
  intersected (IN twice, INTERSECT, or HAVING COUNT(DISTINCT ...) = 2), never one IN list, which reads "either".
A candidate is kept only where the reading that drops a test gives another answer, so every pair shows the
difference. SQL style as the other generated pairs: table names at each use, values read from the rows.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import Cand, say
from .hierarchy_templates import values
from .ledger_domains import Ledger
from .ledger_templates import _year

KINDS = ("status", "year", "group")
FORMS = ("in", "exists", "set")  # IN subqueries, correlated EXISTS, EXCEPT / INTERSECT of names


def _to_group(g: Ledger) -> str:
    """The joins from a job to the groups of the items on its lines."""
    w = g.w
    return (f" JOIN {w.lines} ON {w.lines}.{g.job_fk} = {w.jobs}.id JOIN {w.items} ON {w.lines}.{g.item_fk} = "
            f"{w.items}.id JOIN {w.groups} ON {w.items}.{g.group_fk} = {w.groups}.id")


def _test(g: Ledger, kind: str, value) -> tuple[str, str]:
    """(joins after FROM jobs, the WHERE test) for a job of one status, of one year, or with lines of one group's
    items; value None: any job."""
    if value is None:
        return "", ""
    if kind == "status":
        return "", f"{g.w.jobs}.status = {lit(value)}"
    if kind == "year":
        return "", f"{_year(g)} = {lit(value)}"
    return _to_group(g), f"{g.w.groups}.name = {lit(value)}"


def _member(g: Ledger, form: str, kind: str, value, negated: bool = False) -> str:
    """A test on parties.id: the party has (or, negated, has no) job meeting the test."""
    w = g.w
    joins, test = _test(g, kind, value)
    if form == "exists":
        cond = f" AND {test}" if test else ""
        return (f"{'NOT ' if negated else ''}EXISTS (SELECT 1 FROM {w.jobs}{joins} WHERE {w.jobs}.{g.party_fk} = "
                f"{w.parties}.id{cond})")
    where = f" WHERE {test}" if test else ""
    return f"{w.parties}.id {'NOT IN' if negated else 'IN'} (SELECT {w.jobs}.{g.party_fk} FROM {w.jobs}{joins}{where})"


def _names(g: Ledger, kind: str, value) -> str:
    """The names of the parties with a job meeting the test (one row per such job)."""
    w = g.w
    joins, test = _test(g, kind, value)
    where = f" WHERE {test}" if test else ""
    return (f"SELECT {w.parties}.name FROM {w.parties} JOIN {w.jobs} ON {w.jobs}.{g.party_fk} = {w.parties}.id"
            f"{joins}{where}")


def _parties_where(g: Ledger, *tests: str) -> str:
    return f"SELECT {g.w.parties}.name FROM {g.w.parties} WHERE {' AND '.join(tests)}"


def _words(g: Ledger, a, b) -> dict:
    """The words the phrasings fill in: the domain's nouns and the two values (a and b)."""
    w = g.w
    return {"ps": w.party.many, "job": w.job.one, "jobs": w.job.many, "a": a, "b": b, "its": w.item.many,
            "when": w.when, "billed": w.billed}


def _count(con, sql: str) -> int:
    return con.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0]


def _kind_and_two(con, rng, g: Ledger) -> tuple[str, tuple | None]:
    """A kind of test (status, year or group) and two different values of it the jobs have, in a random order
    (None when they have fewer)."""
    w = g.w
    kind = rng.choice(KINDS)
    sql = {"status": f"SELECT DISTINCT status FROM {w.jobs}",
           "year": f"SELECT DISTINCT {_year(g)} FROM {w.jobs}",
           "group": f"SELECT DISTINCT {w.groups}.name FROM {w.jobs}{_to_group(g)}"}[kind]
    found = sorted(values(con, sql))
    return kind, (tuple(rng.sample(found, 2)) if len(found) >= 2 else None)


def some_but_none(g: Ledger, con, rng):
    """Parties with a job (or one of a year, or with one group's items) and none of another status, year or group:
    both tests in the answer. Kept where leaving out the positive test would add parties."""
    w = g.w
    kind, pair = _kind_and_two(con, rng, g)
    if pair is None:
        return []
    has, lacks = pair
    if kind == "status":
        has, lacks = None, rng.choice(w.statuses[1:])
    form = rng.choice(FORMS)
    if form == "set":
        sql = f"{_names(g, kind, has)} EXCEPT {_names(g, kind, lacks)}"
    else:
        sql = _parties_where(g, _member(g, form, kind, has), _member(g, form, kind, lacks, negated=True))
    loose = _parties_where(g, _member(g, "in", kind, lacks, negated=True))
    if _count(con, sql) in (0, _count(con, loose)):
        return []
    kw = _words(g, has, lacks)
    phrasings = {
        "status": ["Which {ps} have had {jobs}, but never a {b} one?",
                   "List the {ps} with at least one {job} and no {b} {jobs}.",
                   "Who are the {ps} that have {jobs} on record, none of them {b}?",
                   "{ps} who have had a {job} but not a single {b} {job}: list them."],
        "year": ["Which {ps} had a {job} in {a} but none in {b}?",
                 "List the {ps} {billed} in {a} but not in {b}.",
                 "Who had {jobs} {when} {a} and no {jobs} at all in {b}?",
                 "{ps} with a {job} in {a} and nothing in {b}: who are they?"],
        "group": ["Which {ps} have had {a} {its} but never any {b} {its}?",
                  "List the {ps} {billed} for {a} {its} and never for {b} {its}.",
                  "Who took {a} {its} on their {jobs} but no {b} {its}?",
                  "{ps} with {a} {its} on a {job} and none from {b}: list them."],
    }[kind]
    return [Cand("some_but_none", say(rng, phrasings, **kw), sql)]


def in_both(g: Ledger, con, rng):
    """Parties with jobs of both of two statuses, in both of two years, or with both of two groups' items: two sets
    intersected (or counted); kept where an IN list of the two ("either") would add parties."""
    w = g.w
    kind, pair = _kind_and_two(con, rng, g)
    if pair is None:
        return []
    a, b = pair
    form = rng.choice(FORMS + ("having",))
    if form == "set":
        sql = f"{_names(g, kind, a)} INTERSECT {_names(g, kind, b)}"
    elif form == "having":
        joins, test = _test(g, kind, a)
        col = test.rsplit(" = ", 1)[0]
        sql = (f"SELECT {w.parties}.name FROM {w.parties} JOIN {w.jobs} ON {w.jobs}.{g.party_fk} = {w.parties}.id"
               f"{joins} WHERE {col} IN ({lit(a)}, {lit(b)}) GROUP BY {w.parties}.id, {w.parties}.name "
               f"HAVING COUNT(DISTINCT {col}) = 2")
    else:
        sql = _parties_where(g, _member(g, form, kind, a), _member(g, form, kind, b))
    either = f"{_names(g, kind, a)} UNION {_names(g, kind, b)}"
    if _count(con, sql) in (0, _count(con, either)):
        return []
    counted = rng.random() < 0.25
    if counted:
        sql = f"SELECT COUNT(*) FROM ({sql})"
    kw = _words(g, a, b)
    lead = "How many {ps}" if counted else "Which {ps}"
    phrasings = {
        "status": [lead + " have had both a {a} {job} and a {b} one?",
                   lead + " have {jobs} that were {a} as well as {jobs} that were {b}?"]
        + ([] if counted else ["List the {ps} with at least one {a} {job} and at least one {b} {job}."]),
        "year": [lead + " had {jobs} in both {a} and {b}?",
                 lead + " were {billed} in {a} as well as in {b}?",
                 lead + " had a {job} {when} {a} and another {when} {b}?"],
        "group": [lead + " have had both {a} and {b} {its}?",
                  lead + " were {billed} for {a} {its} as well as for {b} {its}?",
                  lead + " took {its} from each of {a} and {b}?"],
    }[kind]
    return [Cand("in_both", say(rng, phrasings, **kw), sql, positive=counted)]


TEMPLATES = (some_but_none, in_both)
