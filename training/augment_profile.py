"""What the augmentation templates need to know about one Spider database: tables, row counts, the role
of each column (label, measure, group, date, year), foreign-key links (declared, or inferred from a
column named like another table's primary key) and sample values read from the rows.

Everything is read through the product's read-only connection; nothing here writes.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from nichelm.assistant.schema import read_schema
from nichelm.assistant.sqlite_io import connect_readonly

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words SQLite (or a reader) would trip over as bare identifiers.
_KEYWORDS = {
    "order", "group", "from", "where", "select", "table", "index", "values", "default", "references",
    "check", "primary", "key", "to", "as", "by", "limit", "offset", "end", "case", "when", "then", "else",
    "join", "on", "in", "is", "not", "and", "or", "null", "like", "between", "exists", "union", "all",
    "distinct", "desc", "asc", "having", "set", "transaction", "match", "left", "right", "cross", "natural",
    "inner", "outer", "using", "create", "drop", "insert", "update", "delete", "into", "rank", "row",
    "rows", "range", "window", "over", "partition", "filter", "current", "with", "except", "intersect",
}
_FUNCTION_WORDS = {"in", "of", "to", "for", "by", "on", "at", "with", "has", "is", "have", "and"}
_SELF_REF_WORDS = {"manager", "supervisor", "boss", "mentor", "parent", "reports", "superior", "leader"}
PROFILE_ROWS = 5000  # rows sampled per table for column profiling (keeps big tables cheap)


def q(name: str) -> str:
    """An identifier as it must appear in SQL."""
    if _SIMPLE.match(name) and name.lower() not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def lit(value) -> str:
    """A SQL literal for a value read from the database."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


# Abbreviations common in Spider column names, spelled out the way a user would ask.
_ABBREV = {"lname": "last name", "fname": "first name", "dob": "date of birth", "num": "number",
           "dept": "department", "amt": "amount", "qty": "quantity", "desc": "description", "addr": "address",
           "yr": "year", "yn": "yes or no", "avg": "average", "nbr": "number", "cnt": "count", "pct": "percent"}
# Numeric columns that are codes or references, not quantities: never averaged, summed or ranked.
_NOT_MEASURE = {"phone", "fax", "zip", "zipcode", "postcode", "postal", "ssn", "advisor", "major", "minor",
                "room", "building", "dno", "dnumber", "ext", "extension", "cell", "mobile", "tel", "telephone",
                "rank", "ranking", "position", "pos", "order", "seq", "sequence", "zip_code", "x", "y",
                "latitude", "longitude", "lat", "long", "lng", "lon", "year"}


def words(name: str) -> str:
    """Identifier -> words: 'customer_name' -> 'customer name', 'DateOfBirth' -> 'date of birth'."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    s = re.sub(r"[_\-\s]+", " ", s).strip().lower()
    return " ".join(_ABBREV.get(w, w) for w in s.split())


def plural(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if last.endswith("s") and not last.endswith("ss"):
        p = last
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        p = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        p = last + "es"
    elif last in ("person", "people"):
        p = "people"
    else:
        p = last + "s"
    return f"{head} {p}".strip()


def singular(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if last == "people":
        s = "person"
    elif last.endswith("ies") and len(last) > 4:
        s = last[:-3] + "y"
    elif last.endswith(("sses", "xes", "ches", "shes")):
        s = last[:-2]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        s = last[:-1]
    else:
        s = last
    return f"{head} {s}".strip()


@dataclass
class Col:
    table: str
    name: str
    declared: str
    kind: str  # "num", "text", "date" (ISO text), "year" (integer year), "other"
    rows: int
    nonnull: int
    distinct: int
    values: list  # distinct non-NULL sample values, sorted
    pk: bool = False
    fk: bool = False

    @property
    def words(self) -> str:
        return words(self.name)

    @property
    def idlike(self) -> bool:
        w = self.words.split()
        return self.pk or self.fk or (w and w[-1] in ("id", "code", "no", "number", "key", "ids"))

    @property
    def nulls(self) -> int:
        return self.rows - self.nonnull


@dataclass
class Link:
    """child.col references parent.ref (declared FK, or inferred by name)."""
    child: str
    col: str
    parent: str
    ref: str
    declared: bool = True


@dataclass
class Tab:
    name: str
    rows: int
    cols: list[Col]
    pk: list[str]
    label: Col | None = None

    @property
    def _phrase(self) -> str:
        w = words(self.name)
        for prefix in ("ref ", "has "):  # lookup tables (Ref_Detention_Type), links (Has_Allergy)
            if w.startswith(prefix) and len(w) > len(prefix):
                return w[len(prefix):] + (" record" if prefix == "has " else "")
        return w

    @property
    def _linking(self) -> bool:
        # names like Participates_in or Has_Allergy read badly as nouns: say "... records" instead
        return bool(set(self._phrase.split()) & _FUNCTION_WORDS)

    @property
    def noun(self) -> str:
        return f"{self._phrase} record" if self._linking else singular(self._phrase)

    @property
    def nouns(self) -> str:
        return f"{self._phrase} records" if self._linking else plural(self.noun)

    @property
    def lab(self) -> str:
        """The label column as words, qualified by the table noun unless it already says it
        ('activity name', 'airport name'; 'pilot name' rather than a bare 'name')."""
        w = self.label.words if self.label else ""
        if set(w.split()) & set(self.noun.split()):
            return w
        return f"{self.noun} {w}"

    def col(self, name: str) -> Col | None:
        return next((c for c in self.cols if c.name.lower() == name.lower()), None)

    def measures(self) -> list[Col]:
        return [c for c in self.cols if c.kind == "num" and not c.idlike and c.distinct >= 4
                and not set(c.words.split()) & _NOT_MEASURE]

    def groups(self) -> list[Col]:
        return [c for c in self.cols if c.kind == "text" and not c.pk and not c.fk
                and 2 <= c.distinct <= min(12, max(2, self.rows // 2)) and c.nulls <= 0.2 * c.rows
                and c is not self.label and c.kind != "date"]

    def dates(self) -> list[Col]:
        return [c for c in self.cols if c.kind == "date" and c.distinct >= 3]

    def years(self) -> list[Col]:
        return [c for c in self.cols if c.kind == "year" and c.distinct >= 3]

    def texts(self) -> list[Col]:
        return [c for c in self.cols if c.kind == "text" and not c.idlike and c.distinct >= 3]


@dataclass
class DbProfile:
    db_id: str
    path: Path
    tables: dict[str, Tab] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    def usable(self, min_rows: int = 3) -> list[Tab]:
        return [t for t in self.tables.values() if t.rows >= min_rows]


def _kind(declared: str, typeof: dict[str, int], sample: list, name: str) -> str:
    total = sum(typeof.values()) or 1
    d = declared.upper()
    nums = typeof.get("integer", 0) + typeof.get("real", 0)
    texts = [v for v in sample if isinstance(v, str)]
    if texts and sum(bool(_ISO_DATE.match(v.strip())) for v in texts) >= 0.9 * len(texts) \
            and typeof.get("text", 0) >= 0.9 * total:
        return "date"
    ints = [v for v in sample if isinstance(v, int)]
    if "year" in words(name).split() and ints and all(1000 <= v <= 2100 for v in ints) and nums >= 0.9 * total:
        return "year"
    if nums >= 0.95 * total:
        return "num"
    if typeof.get("text", 0) >= 0.95 * total and not any(x in d for x in ("INT", "REAL", "NUM", "FLOAT", "DOUBLE", "DEC")):
        return "text"
    return "other"


def _label(tab: Tab) -> Col | None:
    texts = [c for c in tab.cols if c.kind == "text" and not c.fk and c.nulls == 0]
    named = [c for c in texts if any(w in c.words.split() for w in ("name", "title"))]
    for cands in (named, texts):
        good = [c for c in cands if c.distinct >= 0.9 * c.rows]
        if good:
            return good[0]
    return None


def profile(db_id: str, path: str | Path) -> DbProfile:
    """Read the schema and profile every column of *path* (read-only)."""
    schema = read_schema(path)
    prof = DbProfile(db_id, Path(path))
    con = connect_readonly(path)
    try:
        for t in schema.tables:
            qt = q(t.name)
            try:
                (n,) = con.execute(f"SELECT count(*) FROM {qt}").fetchone()
            except sqlite3.DatabaseError:
                continue
            fk_cols = {c.lower() for fk in t.foreign_keys for c in fk.columns}
            cols = []
            for c in t.columns:
                qc = q(c.name)
                src = f"(SELECT {qc} AS v FROM {qt} LIMIT {PROFILE_ROWS})"
                try:
                    typeof = dict(con.execute(f"SELECT typeof(v), count(*) FROM {src} GROUP BY 1").fetchall())
                    nonnull, distinct = con.execute(f"SELECT count(v), count(DISTINCT v) FROM {src}").fetchone()
                    sample = [r[0] for r in con.execute(
                        f"SELECT DISTINCT v FROM {src} WHERE v IS NOT NULL ORDER BY v LIMIT 200")]
                except sqlite3.DatabaseError:
                    continue
                typeof.pop("null", None)
                rows = min(n, PROFILE_ROWS)
                sample = [v.strip() if isinstance(v, str) else v for v in sample if not isinstance(v, bytes)]
                cols.append(Col(t.name, c.name, c.type, _kind(c.type, typeof, sample, c.name), rows, nonnull,
                                distinct, sample, pk=bool(c.pk), fk=c.name.lower() in fk_cols))
            tab = Tab(t.name, n, cols, [c.name for c in t.columns if c.pk])
            tab.label = _label(tab)
            prof.tables[t.name] = tab
        _links(prof, schema)
        others = {words(n) for n in prof.tables}
        prof.links = [lk for lk in prof.links if lk.child != lk.parent or (
            _self_link_holds(con, lk) and re.sub(r" id$", "", words(lk.col)) not in others - {words(lk.child)})]
    finally:
        con.close()
    return prof


def _self_link_holds(con: sqlite3.Connection, lk: Link) -> bool:
    """A self-reference is kept only when every non-zero value is a key of the same table (Spider has
    wrong self-FKs, and a manager_id in departments points to employees, not departments)."""
    t, c, r = q(lk.child), q(lk.col), q(lk.ref)
    try:
        hit, miss = con.execute(
            f"SELECT SUM({c} IN (SELECT {r} FROM {t})), SUM({c} NOT IN (SELECT {r} FROM {t})) "
            f"FROM {t} WHERE {c} IS NOT NULL AND {c} != 0").fetchone()
    except sqlite3.DatabaseError:
        return False
    return bool(hit) and not miss


def _links(prof: DbProfile, schema) -> None:
    seen = set()
    lower = {name.lower(): tab for name, tab in prof.tables.items()}
    for t in schema.tables:
        child = prof.tables.get(t.name)
        if child is None:
            continue
        for fk in t.foreign_keys:
            parent = lower.get(fk.ref_table.lower())
            if parent is None or len(fk.columns) != 1:
                continue
            ref = fk.ref_columns[0] if fk.ref_columns and fk.ref_columns[0] else (parent.pk[0] if len(parent.pk) == 1 else "")
            if not ref or parent.col(ref) is None or child.col(fk.columns[0]) is None:
                continue
            key = (child.name, child.col(fk.columns[0]).name, parent.name)
            if key not in seen:
                seen.add(key)
                prof.links.append(Link(child.name, child.col(fk.columns[0]).name, parent.name, parent.col(ref).name))
    # Inferred self-links: employees.manager_id -> employees.employee_id and the like.
    for t in prof.tables.values():
        if len(t.pk) != 1 or t.col(t.pk[0]).kind != "num":
            continue
        for c in t.cols:
            if c.pk or c.kind != "num" or not set(c.words.split()) & _SELF_REF_WORDS:
                continue
            key = (t.name, c.name, t.name)
            if key not in seen:
                seen.add(key)
                prof.links.append(Link(t.name, c.name, t.name, t.pk[0], declared=False))
    # Inferred links: a column named exactly like another table's single primary key (not a bare "id").
    for parent in prof.tables.values():
        if len(parent.pk) != 1 or parent.pk[0].lower() == "id":
            continue
        pkname = parent.pk[0].lower()
        for child in prof.tables.values():
            if child is parent:
                continue
            c = child.col(pkname)
            if c is None or (child.pk == [c.name]):
                continue
            key = (child.name, c.name, parent.name)
            if key not in seen:
                seen.add(key)
                c.fk = True
                prof.links.append(Link(child.name, c.name, parent.name, parent.pk[0], declared=False))
