"""A value the question names that the answer never uses.

"List customers in Brazil whose mean order beats the average" answered without any test on 'Brazil': the
query runs and returns rows, so nothing else notices that it lists every country's customers. When the
question names, word for word, a text value stored in a column with few distinct values (a country, a
status, a category's name) and the SQL does not contain that text anywhere, the answer has most likely
dropped a condition the question asks for. `unused_question_value` says which values and where the data
keeps them, in words a repair turn can act on.

What is looked at, to keep findings rare where the answer is right:
- only columns with at most `MAX_DISTINCT` distinct values among their first `SAMPLE_ROWS` rows (names of
  people and products, free text and keys are left out), read once per schema version and again when the
  file changes, at most every `REREAD_AFTER_S` seconds;
- only values of at least three characters with a letter in them, that are not a table or column name and
  not a common word (`COMMON_WORDS`);
- matched as whole words: a value of one word as the data writes it ('Nominated' is a value, "nominated" a
  verb; 'AND' a code, "and" a word), except that the question's first letter may be a capital; a value of
  several words ignoring letter case ("the united states");
- a value inside a longer value the question also names ('Games' in 'Board Games') does not count on its
  own.
Validated on Spider train's gold queries (6,904; 15 trip it, most of them errors of the gold).
The SQL "uses" a value when its text appears anywhere in the query, ignoring letter case and spaces (in an =
test, an IN list, a LIKE pattern). Where the query compares the value's column (by its name) with another text
that the question does not name ("How many paid orders?" answered with `status = 'delivered'`), the finding
says which value to write instead of which: told only that 'paid' is missing, a fine-tuned model kept its
'delivered' through every repair.

A year the question names is a value too: "In 2025, how many orders had two or more items?" answered without
2025 counts every year's orders. `unused_question_year` reports a year (1800–2099, as a number of its own: not
"$2000", not "2000s") that the SQL never writes, on a schema with a column for dates or years (by its declared
type or its name) to test it on. Validated on Spider train's gold queries (7,000; 312 name a year, 4 trip it,
all gold errors: "after 2004" answered with `year > 2014`).

A calendar day the question names is one too: "orders placed between August 1, 2022 and October 31, 2022" answered
with `strftime('%Y-%m', order_date) IN ('2022-08', '2022-10')` leaves September out. `unused_question_date` reports a
day ("August 1, 2022", "7th September, 1987", "2022-08-01") whose ISO text the SQL never writes, on a schema that
stores dates as ISO text. The day before or after it counts as written (`< '2022-11-01'` keeps the whole of October
31), and so does its month ('2022-08') when the day is the first or last of that month; a range of days answered
with a list of months must list every month between them.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlglot import exp

from .errors import NicheError
from .literal_checks import holds_text
from .schema import Schema
from .sqlcheck import parse
from .sqlite_io import connect_readonly, lookup, quoted

MAX_DISTINCT = 200  # a column with more distinct values names things one by one (people, products)
SAMPLE_ROWS = 50_000  # rows of a table read to learn a column's values (bounds the cost on a large file)
READ_BUDGET_S = 2.0  # all the reads of one database version together; columns not reached are skipped
REREAD_AFTER_S = 30.0  # a file changed since its values were read is read again once they are this old
MAX_REPORTED = 3
YEAR = re.compile(r"(?<![\w.$-])((?:18|19|20)\d\d)(?![\w])")
DATED_NAME = re.compile(r"date|year|time|day|month|(?:^|_)(?:at|on)$", re.IGNORECASE)
COMMON_WORDS = frozenset((
    "and", "or", "not", "the", "all", "any", "none", "null", "nil", "other", "others", "yes", "no", "true", "false",
    "both", "each", "every", "one", "two", "three", "some", "new", "old", "total", "name", "names", "type", "kind",
    "value", "values", "item", "items", "number", "n/a", "unknown", "tbd",
))


@dataclass(frozen=True)
class NamedValue:
    value: str
    table: str
    column: str
    # compiled once, when the index is read: a question and each repair of it search every value
    pattern: re.Pattern = field(compare=False, repr=False)


_cache_lock = threading.Lock()
_cache: dict[tuple, tuple[tuple, float, tuple[NamedValue, ...]]] = {}  # (path, schema): (file stamp, read at, values)


def unused_question_value(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* looks like it ignores a value *question* names; None when it uses every one (or none is named).

    "Customers in Brazil whose …" answered by a query without 'Brazil' gives: "the question names 'Brazil' (a
    value of customers.country), but the query never uses it: add the condition …"."""
    if not question or not sql:
        return None
    text = _squeezed(sql)
    missing = [v for v in named_values(db_path, question, schema) if _squeezed(v.value) not in text]
    if not missing:
        return None
    swapped = _swapped_value(missing, question, sql)
    if swapped:
        return swapped
    listed = ", ".join(f"'{v.value}' (a value of {v.table}.{v.column})" for v in missing[:MAX_REPORTED])
    one = len(missing) == 1
    return (f"the question names {listed}, but the query never uses {'it' if one else 'them'}: add the "
            f"condition{'' if one else 's'} the question asks for on {'that column' if one else 'those columns'}, "
            f"joining its table if the query does not have it yet")


def _swapped_value(missing: list[NamedValue], question: str, sql: str) -> str | None:
    """The finding for a query that compares the named value's column with another value, one the question does
    not name ("paid orders" answered with `status = 'delivered'`): which value to write instead of which."""
    tree, _ = parse(sql)
    if tree is None:
        return None
    for v in missing:
        for column, literal in _compared_texts(tree):
            if column.name.lower() != v.column.lower() or literal.lower() in question.lower():
                continue
            tested = column.sql("sqlite")
            return (f"the question names '{v.value}' (a value of {v.table}.{v.column}), but the query compares "
                    f"{tested} with '{literal}', which the question does not name: compare {tested} with "
                    f"'{v.value}' instead")
    return None


def _compared_texts(tree: exp.Expression):
    """(column, text) for each `column = 'text'` (either way round), `column <> 'text'` and `column IN ('text', …)`."""
    for node in tree.find_all(exp.EQ, exp.NEQ):
        for col, lit in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(col, exp.Column) and isinstance(lit, exp.Literal) and lit.is_string:
                yield col, lit.this
    for node in tree.find_all(exp.In):
        if isinstance(node.this, exp.Column):
            yield from ((node.this, lit.this) for lit in node.expressions
                        if isinstance(lit, exp.Literal) and lit.is_string)


def unused_question_year(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* looks like it ignores a year *question* names; None when it writes every one, when the question
    names none, or when no column of the schema holds dates or years.

    The example it gives is a dated column of a table the query reads, else of a table one foreign key away
    from one it reads (order_items -> orders.order_date), else the first of the schema."""
    if not question or not sql:
        return None
    missing = list(dict.fromkeys(y for y in YEAR.findall(question) if y not in sql))
    if not missing:  # most answers stop here, before any parse
        return None
    dated = dated_columns(schema, _tables_read(sql))
    if not dated:
        return None
    years = " and ".join(missing)
    one = len(missing) == 1
    return (f"the question names the year{'' if one else 's'} {years}, but the query never uses "
            f"{'it' if one else 'them'}: add the condition on the date or year column the question means "
            f"(for instance strftime('%Y', {dated[0]}) = '{missing[0]}'; columns of this kind: "
            f"{', '.join(dated[:MAX_REPORTED])}), joining its table if the query does not have it yet, in every "
            f"part of the query the year applies to")


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH = r"(?P<{}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
DAY = re.compile(
    rf"\b(?:{_MONTH.format('m1')}\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.format('m2')},?\s+(?P<y2>\d{{4}})"
    rf"|(?P<y3>\d{{4}})-(?P<m3>\d{{2}})-(?P<d3>\d{{2}}))\b", re.IGNORECASE)
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
MONTH_TEXT = re.compile(r"^\d{4}-\d{2}$")


def unused_question_date(db_path: str, question: str, sql: str, schema: Schema) -> str | None:
    """Why *sql* looks like it ignores a calendar day *question* names, or lists months with a gap in the range the
    question names; None when it writes every day (or a neighbour, or the day's month where the day starts or ends
    it), when the question names none, or when no dated column of the schema stores ISO text."""
    if not question or not sql:
        return None
    days = list(dict.fromkeys(named_days(question)))
    missing = [d for d in days if not _day_written(d, sql)]
    left_out = _months_left_out(days, sql) if not missing else []
    if not missing and not left_out:
        return None
    dated = [c for c in dated_columns(schema, _tables_read(sql)) if _holds_iso_days(db_path, c)]
    if not dated:
        return None
    iso = [d.isoformat() for d in missing]
    one = len(iso) == 1
    if len(days) == 2 and days[0] < days[1]:
        start, end = days[0].isoformat(), (days[1] + timedelta(days=1)).isoformat()
        example = f"{dated[0]} >= '{start}' AND {dated[0]} < '{end}', which keeps the whole of the last day"
    else:
        example = f"{dated[0]} >= '{iso[0]}'"
    if left_out:
        months = ", ".join(left_out)
        return (f"the question names the days from {days[0].isoformat()} to {days[1].isoformat()}, but the query's "
                f"list of months leaves out {months}, {'which lies' if len(left_out) == 1 else 'which lie'} between "
                f"them: test the whole range instead (for instance {example})")
    return (f"the question names the day{'' if one else 's'} {' and '.join(iso)}, but the query never compares a "
            f"date with {'it' if one else 'them'}: test the date column the question means against "
            f"{'it' if one else 'them'} (for instance {example})")


def named_days(question: str) -> list[date]:
    """The calendar days *question* writes out, in its order: "August 1, 2022", "7th September, 1987", "2022-08-01"."""
    out = []
    for m in DAY.finditer(question):
        if m["y3"]:
            y, mo, d = int(m["y3"]), int(m["m3"]), int(m["d3"])
        else:
            name = (m["m1"] or m["m2"]).lower()
            mo = next(i for i, full in enumerate(_MONTHS, 1) if full.startswith(name[:3]))
            y, d = int(m["y1"] or m["y2"]), int(m["d1"] or m["d2"])
        try:
            out.append(date(y, mo, d))
        except ValueError:  # "February 30": not a day
            continue
    return out


def _day_written(day: date, sql: str) -> bool:
    near = (day - timedelta(days=1), day, day + timedelta(days=1))
    if any(d.isoformat() in sql for d in near):
        return True
    first, last = day.day == 1, (day + timedelta(days=1)).day == 1
    if not (first or last):
        return False
    month = day.isoformat()[:7]
    tree, _ = parse(sql)
    if tree is None:
        return False
    return any(lit.is_string and lit.this.startswith(month) for lit in tree.find_all(exp.Literal))


def _months_left_out(days: list[date], sql: str) -> list[str]:
    """The months strictly between the two days a range names (the first after the second) that a query testing an
    IN list of months ('2022-08', '2022-10') does not list; [] when it lists them all or tests no such list."""
    if len(days) != 2 or not days[0] < days[1]:
        return []
    tree, _ = parse(sql)
    if tree is None:
        return []
    listed = {lit.this for node in tree.find_all(exp.In) for lit in node.expressions
              if isinstance(lit, exp.Literal) and lit.is_string and MONTH_TEXT.match(lit.this)}
    if not listed:
        return []
    out, (y, m) = [], (days[0].year, days[0].month)
    while (y, m) < (days[1].year, days[1].month):
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        month = f"{y:04d}-{m:02d}"
        if (y, m) < (days[1].year, days[1].month) and month not in listed:
            out.append(month)
    return out


def _holds_iso_days(db_path: str, column: str) -> bool:
    """Whether the first stored value of *column* ("table.column") is ISO text ("2022-08-01", with a time or not)."""
    table, name = (quoted(part) for part in column.split(".", 1))
    rows = lookup(db_path, f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL LIMIT 1", 1)
    return bool(rows) and isinstance(rows[0][0], str) and bool(ISO_DAY.match(rows[0][0]))


def dated_columns(schema: Schema, near: set[str] = frozenset()) -> list[str]:
    """`table.column` of every column declared as a date or time, or named like one (order_date, created_at,
    year): those of the tables in *near* first, then of the tables a foreign key links to one of them, then the
    rest, each in schema order."""
    near = {t.lower() for t in near}
    linked = {fk.ref_table.lower() for t in schema.tables if t.name.lower() in near for fk in t.foreign_keys}
    linked |= {t.name.lower() for t in schema.tables
               if any(fk.ref_table.lower() in near for fk in t.foreign_keys)}
    found = [(0 if t.name.lower() in near else 1 if t.name.lower() in linked else 2, f"{t.name}.{c.name}")
             for t in schema.tables for c in t.columns
             if any(w in c.type.upper() for w in ("DATE", "TIME")) or DATED_NAME.search(c.name)]
    return [name for _, name in sorted(found, key=lambda f: f[0])]


def _tables_read(sql: str) -> set[str]:
    tree, _ = parse(sql)
    return {t.name for t in tree.find_all(exp.Table)} if tree is not None else set()


def named_values(db_path: str, question: str, schema: Schema) -> list[NamedValue]:
    """The stored values (see the module's rules) that *question* names, in the question's order, one per text."""
    hits: list[tuple[int, int, NamedValue]] = []
    # The question's first word may be capitalised where the data's value is not ("Cancelled orders …").
    texts = {question, question[:1].lower() + question[1:]}
    for v in value_index(db_path, schema):
        for text in texts:
            hits += [(m.start(), m.end(), v) for m in v.pattern.finditer(text)]
    hits.sort(key=lambda h: (h[0] - h[1], h[0]))  # longest first
    kept: list[tuple[int, int, NamedValue]] = []
    seen: set[str] = set()
    for start, end, v in hits:
        if any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in kept):
            continue  # inside a longer value the question names
        if v.value.lower() in seen:
            continue
        seen.add(v.value.lower())
        kept.append((start, end, v))
    return [v for _, _, v in sorted(kept, key=lambda h: h[0])]


def _pattern(value: str) -> re.Pattern:
    """Whole words; letter case ignored only for a value of several words ('united states'): one word must be
    written as the data writes it ('Nominated' is a value, "nominated" a verb)."""
    flags = re.IGNORECASE if " " in value.strip() else 0
    return re.compile(r"(?<![\w])" + re.escape(value) + r"(?![\w])", flags)


def _squeezed(text: str) -> str:
    """Lower case without spaces: 'Schmidt, Kertzmann' and 'Schmidt ,  Kertzmann' are one text."""
    return "".join(text.lower().split())


def value_index(db_path: str, schema: Schema) -> tuple[NamedValue, ...]:
    """The candidate values of the database, read once per schema version, and again when the file has changed
    since, at most every REREAD_AFTER_S seconds (a file written all the time is not read for every question)."""
    p = Path(db_path)
    try:
        st = p.stat()
    except OSError:
        return ()
    key = (str(p.resolve()), schema.version.key if schema.version else "")
    stamp, now = (st.st_size, st.st_mtime_ns), time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
        if cached and (cached[0] == stamp or now - cached[1] < REREAD_AFTER_S):
            return cached[2]
    values = _read_values(db_path, schema)
    with _cache_lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = (stamp, now, values)
    return values


def _read_values(db_path: str, schema: Schema) -> tuple[NamedValue, ...]:
    names = {t.name.lower() for t in schema.tables} | {c.name.lower() for t in schema.tables for c in t.columns}
    out: list[NamedValue] = []
    deadline = time.monotonic() + READ_BUDGET_S
    try:
        con = connect_readonly(db_path)
    except NicheError:  # an unreadable file: the other checks and the run itself say why
        return ()
    try:
        for table in schema.tables:
            for column in table.columns:
                if time.monotonic() > deadline:
                    return tuple(out)
                if column.pk or not holds_text(column.type):
                    continue
                out += [NamedValue(v, table.name, column.name, _pattern(v))
                        for v in _column_values(con, table.name, column.name) if _candidate(v, names)]
    finally:
        con.close()
    return tuple(out)


def _column_values(con: sqlite3.Connection, table: str, column: str) -> list[str]:
    qt, qc = quoted(table), quoted(column)
    try:
        rows = con.execute(f"SELECT DISTINCT {qc} FROM (SELECT {qc} FROM {qt} LIMIT {SAMPLE_ROWS}) "
                           f"LIMIT {MAX_DISTINCT + 1}").fetchall()
    except sqlite3.DatabaseError:
        return []
    if len(rows) > MAX_DISTINCT:
        return []
    return [r[0].strip() for r in rows if isinstance(r[0], str)]


def _candidate(value: str, names: set[str]) -> bool:
    low = value.lower()
    return (3 <= len(value) <= 60 and any(ch.isalpha() for ch in value) and low not in COMMON_WORDS
            and low not in names and "\n" not in value)
