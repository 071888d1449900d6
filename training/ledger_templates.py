"""Question/SQL templates over the billed-work databases of training/ledger_domains.py.

Each template is a function (Ledger, read-only connection, rng) -> list[Cand] and teaches which money column
a question means:
- what the lines brought in: their quantity times the rate charged on the line, never the catalogue's list
  rate (and, as the counterweight, the list rate where the question asks for it by name);
- what a party was billed: the job's stored total, never its lines summed again;
- what is on hand is worth: the item's own list rate times its units, never joined to the lines;
- jobs of one year with at least N lines (the year kept, the lines counted per job);
- items on a cancelled job of a year together with items billed in quantity that year (the year on both sides).
SQL style as the other generated pairs: table names at each use, values read from the rows.
"""

from __future__ import annotations

from .augment_profile import lit
from .augment_templates import MONTHS, Cand, say
from .hierarchy_templates import round_quantile, values
from .ledger_domains import Ledger


def _lines_to_group(g: Ledger) -> str:
    """FROM lines JOIN jobs JOIN items JOIN groups: a line with its job's date and its item's group."""
    w = g.w
    return (f"FROM {w.lines} JOIN {w.jobs} ON {w.lines}.{g.job_fk} = {w.jobs}.id "
            f"JOIN {w.items} ON {w.lines}.{g.item_fk} = {w.items}.id "
            f"JOIN {w.groups} ON {w.items}.{g.group_fk} = {w.groups}.id")


def _year(g: Ledger) -> str:
    return f"strftime('%Y', {g.w.jobs}.{g.w.date})"


def _pick(con, rng, sql: str):
    found = values(con, sql)
    return rng.choice(found) if found else None


def line_amount(g: Ledger, con, rng):
    """What one group's lines brought in during a year (quantity times the rate charged), per group in a year,
    or, when the question names the list rate, what they would have come to at it."""
    w = g.w
    y = _pick(con, rng, f"SELECT DISTINCT {_year(g)} FROM {w.jobs} ORDER BY 1")
    name = _pick(con, rng, f"SELECT DISTINCT {w.groups}.name {_lines_to_group(g)} ORDER BY 1")
    if y is None or name is None:
        return []
    kw = {"grp": name, "its": w.item.many, "y": y, "lines": w.line.many, "q": w.qty_words, "rate": w.charged_words,
          "earn": w.earn, "list": w.list_words, "it": w.item.one, "gn": w.group.one, "jobs": w.job.many}
    charged = f"SUM({w.lines}.{w.qty} * {w.lines}.{w.charged})"
    where = f"WHERE {w.groups}.name = {lit(name)} AND {_year(g)} = '{y}'"
    roll = rng.random()
    if roll < 0.5:
        qs = say(rng, ["What did {grp} {its} {earn} in {y} according to the {lines}?",
                       "Sum {q} times {rate} for the {grp} {its} across the {lines} of {y}.",
                       "From the {lines}, what revenue did {its} of the {grp} {gn} make in {y}?",
                       "{y} takings for {grp} {its}, worked out from the {lines}?"], **kw)
        return [Cand("line_amount", qs, f"SELECT {charged} {_lines_to_group(g)} {where}", positive=True)]
    if roll < 0.75:
        qs = say(rng, ["Break down {y} revenue by {gn}, computed from the {lines}.",
                       "Per {gn}: the sum over {y} {lines} of {q} times {rate}."], **kw)
        sql = (f"SELECT {w.groups}.name, {charged} {_lines_to_group(g)} WHERE {_year(g)} = '{y}' "
               f"GROUP BY {w.groups}.id, {w.groups}.name")
        return [Cand("line_amount", qs, sql, min_rows=2)]
    qs = say(rng, ["Had every {y} {line} for {grp} {its} been charged the {list}, what would they total?",
                   "At {list}s rather than the {rate}, what are the {grp} {its} on the {lines} of {y} worth?"],
             line=w.line.one, **kw)
    return [Cand("line_amount", qs, f"SELECT SUM({w.lines}.{w.qty} * {w.items}.{w.list_rate}) {_lines_to_group(g)} "
                                    f"{where}", positive=True)]


def billed_in_month(g: Ledger, con, rng):
    """Parties whose jobs of one month were billed more than N in all (the jobs' stored totals), with the amount;
    or the jobs left out of a status first."""
    w = g.w
    ym = _pick(con, rng, f"SELECT strftime('%Y-%m', {w.date}) FROM {w.jobs} GROUP BY 1 HAVING COUNT(*) >= 4 ORDER BY 1")
    if ym is None:
        return []
    month = f"{MONTHS[int(ym[5:7]) - 1]} {ym[:4]}"
    frm = f"FROM {w.parties} JOIN {w.jobs} ON {w.jobs}.{g.party_fk} = {w.parties}.id"
    where = f"WHERE strftime('%Y-%m', {w.jobs}.{w.date}) = '{ym}'"
    skip = w.statuses[1]
    if rng.random() < 0.3:
        where += f" AND {w.jobs}.status <> {lit(skip)}"
    sums = f"SELECT SUM({w.jobs}.{w.total}) {frm} {where} GROUP BY {w.parties}.id"
    n = round_quantile(con, sums, 0.5)
    if n is None:
        return []
    kw = {"ps": w.party.many, "n": n, "m": month, "jobs": w.job.many, "billed": w.billed, "tot": w.total_words,
          "skip": skip}
    phr = (["Not counting {skip} {jobs}, who was {billed} over {n} altogether in {m}? Name and amount."] if "<>" in where else
           ["{m}: which {ps} ran up more than {n} in {tot}? Include the amount.",
            "Name the {ps} {billed} above {n} over {m}, each with the sum of their {tot}.",
            "In {m}, who among the {ps} went over {n} in {tot}? List them with the figure."])
    sql = (f"SELECT {w.parties}.name, SUM({w.jobs}.{w.total}) {frm} {where} GROUP BY {w.parties}.id, "
           f"{w.parties}.name HAVING SUM({w.jobs}.{w.total}) > {n}")
    return [Cand("billed_in_month", say(rng, phr, **kw), sql)]


def above_average_job(g: Ledger, con, rng):
    """Parties of one city whose mean job total beats the mean over all jobs (HAVING AVG per party)."""
    w = g.w
    city = _pick(con, rng, f"SELECT city FROM {w.parties} JOIN {w.jobs} ON {w.jobs}.{g.party_fk} = {w.parties}.id "
                           f"WHERE city IS NOT NULL GROUP BY city HAVING COUNT(DISTINCT {w.parties}.id) >= 3 ORDER BY 1")
    if city is None:
        return []
    qs = say(rng, ["{c} {ps} whose mean {tot} per {job} exceeds the mean over every {job}?",
                   "Among {ps} based in {c}, who averages a higher {tot} per {job} than {jobs} in general?"],
             ps=w.party.many, c=city, job=w.job.one, jobs=w.job.many, tot=w.total_words, billed=w.billed)
    sql = (f"SELECT {w.parties}.name FROM {w.parties} JOIN {w.jobs} ON {w.jobs}.{g.party_fk} = {w.parties}.id "
           f"WHERE {w.parties}.city = {lit(city)} GROUP BY {w.parties}.id, {w.parties}.name "
           f"HAVING AVG({w.jobs}.{w.total}) > (SELECT AVG({w.total}) FROM {w.jobs})")
    return [Cand("above_average_job", qs, sql)]


def on_hand_value(g: Ledger, con, rng):
    """What a group's items on hand are worth: their own list rate times their units, no lines."""
    w = g.w
    name = _pick(con, rng, f"SELECT DISTINCT {w.groups}.name FROM {w.items} JOIN {w.groups} "
                           f"ON {w.items}.{g.group_fk} = {w.groups}.id ORDER BY 1")
    if name is None:
        return []
    qs = say(rng, ["Worth of the {grp} {stock}, taking {list} times {units}?",
                   "At {list}s, what is everything in {grp} on hand worth?",
                   "Sum {list} times {units} across the {its} in {grp}."],
             stock=w.stock_words, grp=name, list=w.list_words, units=w.units_words, its=w.item.many)
    sql = (f"SELECT SUM({w.items}.{w.list_rate} * {w.items}.{w.units}) FROM {w.items} JOIN {w.groups} "
           f"ON {w.items}.{g.group_fk} = {w.groups}.id WHERE {w.groups}.name = {lit(name)}")
    return [Cand("on_hand_value", qs, sql, positive=True)]


def jobs_with_many_lines(g: Ledger, con, rng):
    """How many jobs of one year had at least N lines: the lines counted per job, the year kept."""
    w = g.w
    y = _pick(con, rng, f"SELECT DISTINCT {_year(g)} FROM {w.jobs} ORDER BY 1")
    if y is None:
        return []
    n = rng.choice([2, 3])
    qs = say(rng, ["How many {y} {jobs} carried {n} or more {lines}?",
                   "Count the {jobs} of {y} having at least {n} {lines} each.",
                   "Number of {jobs} in {y} with no fewer than {n} {lines}?"], y=y, n=n, jobs=w.job.many, lines=w.line.many)
    sql = (f"SELECT COUNT(*) FROM (SELECT {w.lines}.{g.job_fk} FROM {w.lines} JOIN {w.jobs} "
           f"ON {w.lines}.{g.job_fk} = {w.jobs}.id WHERE {_year(g)} = '{y}' GROUP BY {w.lines}.{g.job_fk} "
           f"HAVING COUNT(*) >= {n})")
    return [Cand("jobs_with_many_lines", qs, sql, positive=True)]


def either_in_year(g: Ledger, con, rng):
    """Items on a cancelled job of a year, together with items on a line of at least N that year: a UNION whose
    two sides both keep the year."""
    w = g.w
    y = _pick(con, rng, f"SELECT DISTINCT {_year(g)} FROM {w.jobs} WHERE status = {lit(w.statuses[1])} ORDER BY 1")
    if y is None:
        return []
    n = rng.choice([5, 6])
    base = (f"SELECT {w.items}.name FROM {w.items} JOIN {w.lines} ON {w.lines}.{g.item_fk} = {w.items}.id "
            f"JOIN {w.jobs} ON {w.lines}.{g.job_fk} = {w.jobs}.id WHERE ")
    sql = (f"{base}{w.jobs}.status = {lit(w.statuses[1])} AND {_year(g)} = '{y}' UNION "
           f"{base}{w.lines}.{w.qty} >= {n} AND {_year(g)} = '{y}'")
    qs = say(rng, ["Which {its} were, during {y}, either on a {c} {job} or on a {line} for {nq}?",
                   "{its} tied to {c} {jobs} in {y}, plus those on a {y} {line} for {nq}; each once.",
                   "For {y}, name the {its} that appear on {c} {jobs} or on {lines} for {nq}."],
             its=w.item.many, y=y, c=w.statuses[1], job=w.job.one, jobs=w.job.many, line=w.line.one,
             lines=w.line.many, nq=w.at_least.format(n=n))
    return [Cand("either_in_year", qs, sql, min_rows=2)]


TEMPLATES = (line_amount, billed_in_month, above_average_job, on_hand_value, jobs_with_many_lines, either_in_year)
