"""What a generated hierarchy database is, in words and names, and the helpers its builders share.

A `Hierarchy` tells the templates (training/hierarchy_templates*.py) the hierarchy table and its parent
column, how each level is called ("division"/"team", "country"/"province"/"district"), and the `Fact`
tables under its leaves, with their measures and dates. `write_tree` creates and fills the hierarchy
table the same way for every domain (training/hierarchy_domains.py).
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field

from .augment_profile import plural


@dataclass(frozen=True)
class Noun:
    one: str
    many: str
    top: bool = False  # says "top-level": the SQL then tests parent_id IS NULL


def N(one: str, top: bool = False) -> Noun:
    return Noun(one, plural(one), top)


@dataclass(frozen=True)
class Measure:
    col: str
    words: str
    aggs: tuple[str, ...]  # the aggregates that make sense ("total temperature" does not)
    most: str = ""  # the superlative of a row with the highest value ("longest" for pages), if one reads well
    least: str = ""  # and of the lowest ("shortest")


@dataclass(frozen=True)
class Attribute:
    """A text column of a fact's own rows that sorts them into a few kinds (a book's format)."""
    col: str
    words: str  # "format", "station type"


@dataclass(frozen=True)
class Product:
    """Two numeric columns of a fact's own rows whose product means something (unit cost times copies)."""
    a: str
    b: str
    words: str  # "replacement cost"
    how: str  # "unit cost times copies"


@dataclass(frozen=True)
class Fact:
    """Rows that hang under the hierarchy's leaves: *path* is (table, column) hops from this table to the
    node table, e.g. (("loans", "book_id"), ("books", "subject_id")); each hop references the next table's id."""
    noun: Noun
    path: tuple[tuple[str, str], ...]
    label: str | None = None
    measures: tuple[Measure, ...] = ()
    date: str | None = None  # ISO date (or date-time) column
    when: str = ""  # "hired in": put before a year
    attribute: Attribute | None = None
    product: Product | None = None

    @property
    def table(self) -> str:
        return self.path[0][0]


@dataclass
class Hierarchy:
    db_id: str
    domain: str
    table: str
    parent: str  # the column that references table(id)
    node: Noun  # any row of the table
    levels: list[list[Noun]]  # phrasings of each level, top first
    facts: list[Fact]
    manager: str | None = None  # facts[0]'s column referencing its own table
    path: str = ""  # the database file (set by the driver)
    names: dict[str, int] = field(default_factory=dict)  # node name -> id
    level_of: dict[str, int] = field(default_factory=dict)  # node name -> level (0 = top)

    @property
    def depth(self) -> int:
        return len(self.levels)


FIRST = ["Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Keiko", "Lars",
         "Mira", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara",
         "Zoltan", "Amara", "Felix", "Leila", "Marco", "Signe"]
LAST = ["Abbott", "Berger", "Castillo", "Dahl", "Eriksen", "Fischer", "Gallo", "Haddad", "Ivanova", "Jensen",
        "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Sato", "Torres",
        "Ueda", "Varga", "Weber", "Yilmaz", "Zhang", "Novak", "Brandt", "Costa", "Holm", "Mendes"]
SYLLABLES = ["val", "mor", "ka", "ren", "tor", "li", "an", "bra", "dun", "el", "fen", "gar", "is", "ol", "ta",
             "vik", "sel", "mar", "do", "ru", "nes", "thal", "ber", "cor"]


def unique(rng: random.Random, make, used: set[str]) -> str:
    for _ in range(1000):
        s = make()
        if s not in used:
            used.add(s)
            return s
    raise RuntimeError("name pool exhausted")


def person(rng: random.Random, used: set[str]) -> str:
    return unique(rng, lambda: f"{rng.choice(FIRST)} {rng.choice(LAST)}", used)


def place(rng: random.Random, used: set[str]) -> str:
    return unique(rng, lambda: "".join(rng.sample(SYLLABLES, rng.choice([2, 3]))).capitalize(), used)


def date(rng: random.Random, y0: int, y1: int, time: bool = False) -> str:
    d = f"{rng.randint(y0, y1)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return d + f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}" if time else d


Tree = list[tuple[str, "Tree"]]


def pick_tree(rng: random.Random, pool: dict[str, list[str]], tops: tuple[int, int], kids: tuple[int, int]) -> Tree:
    chosen = rng.sample(sorted(pool), rng.randint(*tops))
    return [(t, [(c, []) for c in rng.sample(pool[t], min(len(pool[t]), rng.randint(*kids)))]) for t in chosen]


def write_tree(con: sqlite3.Connection, h: Hierarchy, tree: Tree, rng: random.Random) -> list[int]:
    """Create and fill the hierarchy table (top level first, parent_id NULL there); returns the ids of the
    leaves that get rows under them: every leaf except those under the last top-level node (which keeps
    no children at all half of the time) and one more picked at random."""
    if rng.random() < 0.5:
        tree = tree[:-1] + [(tree[-1][0], [])]
    con.execute(f"CREATE TABLE {h.table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                f"{h.parent} INTEGER REFERENCES {h.table}(id))")
    level: list[tuple[str, Tree, int | None]] = [(name, sub, None) for name, sub in tree]
    top_of: dict[int, int] = {}
    leaves = []
    depth = 0
    while level:
        nxt = []
        for name, sub, parent in level:
            nid = len(h.names) + 1
            h.names[name], h.level_of[name] = nid, depth
            con.execute(f"INSERT INTO {h.table} VALUES (?, ?, ?)", (nid, name, parent))
            top_of[nid] = nid if parent is None else top_of[parent]
            nxt += [(n, s, nid) for n, s in sub]
            if not sub and parent is not None:
                leaves.append(nid)
        level, depth = nxt, depth + 1
    empty_top = h.names[tree[-1][0]]
    live = [leaf for leaf in leaves if top_of[leaf] != empty_top]
    live.remove(rng.choice(live))
    return live
