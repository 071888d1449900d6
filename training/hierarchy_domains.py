"""Small synthetic SQLite databases, each with one self-referencing hierarchy (training/hierarchy_data.py).

Spider train has only three tables whose parent column points back to the same table, so the fine-tuned
model never learnt "for each top-level X, across its sub-Xs". Each builder here writes one database in a
domain far from the held-out e-commerce schema (a company, a library, weather stations, a forum), with the
hierarchy table, one or two tables under its leaves, declared keys, and rows drawn from small word lists
with `random.Random`. It returns a `Hierarchy`: the names and the words the templates
(training/hierarchy_templates.py) phrase questions with. Naming varies between instances (`units` or
`departments`, `parent_id` or `parent_unit_id`) so the skill is not tied to one spelling.

Every tree has a top-level node with nothing under it and a leaf with no rows under it, so the
"nodes with no ..." questions have answers and inner and outer joins differ.

The entity tables also carry a kind column (a book's format, an employee's contract) and some a pair of
numbers whose product means something (a book's unit cost times its copies): training/hierarchy_templates_attributes.py
asks about them. Those columns are drawn from a random stream of their own (`_extra`), so adding them left
every other value of the databases as it was.
"""

from __future__ import annotations

import random
import sqlite3

from .hierarchy_tree import (
    Attribute,
    Fact,
    Hierarchy,
    Measure,
    N,
    Product,
    date,
    person,
    pick_tree,
    place,
    unique,
    write_tree,
)

# ---------------------------------------------------------------- company: units and employees

DIVISIONS = {
    "Engineering": ["Platform", "Mobile", "Infrastructure", "Data", "Security"],
    "Finance": ["Payroll", "Accounting", "Treasury", "Audit"],
    "Operations": ["Logistics", "Facilities", "Fleet", "Safety"],
    "People": ["Recruiting", "Training", "Wellbeing"],
    "Research": ["Materials", "Simulation", "Prototyping", "Field Studies"],
    "Legal": ["Contracts", "Compliance", "Patents"],
    "Communications": ["Press Office", "Internal Comms", "Design"],
}
COMPANY_NAMING = [
    ("units", "unit_id", N("unit"), [N("division"), N("top-level unit", True)], [N("team"), N("sub-unit")]),
    ("departments", "department_id", N("department"),
     [N("top-level department", True), N("main department")], [N("sub-department"), N("section")]),
    ("org_units", "org_unit_id", N("org unit"), [N("division"), N("top-level org unit", True)],
     [N("team"), N("child unit")]),
]


def _extra(db_id: str) -> random.Random:
    """The random stream of the kind and product columns, apart from the one every other value comes from."""
    return random.Random(f"{db_id}:extra columns")


def build_company(con: sqlite3.Connection, rng: random.Random, db_id: str) -> Hierarchy:
    table, fk, node, tops, kids = rng.choice(COMPANY_NAMING)
    parent = rng.choice(["parent_id", f"parent_{fk}"])
    extra = _extra(db_id)
    contract = extra.choice(["contract", "contract_type"])
    staff = Fact(N("employee"), (("employees", fk),), "name",
                 (Measure("salary", "salary", ("SUM", "AVG", "MAX", "MIN"), "best-paid", "lowest-paid"),), "hired_on", "hired in",
                 attribute=Attribute(contract, "contract type"))
    h = Hierarchy(db_id, "company", table, parent, node, [tops, kids], [staff], manager="manager_id")
    leaves = write_tree(con, h, pick_tree(rng, DIVISIONS, (4, 6), (2, 4)), rng)
    con.execute(f"CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT NOT NULL, {fk} INTEGER NOT NULL "
                f"REFERENCES {table}(id), manager_id INTEGER REFERENCES employees(id), salary INTEGER, "
                f"hired_on TEXT, {contract} TEXT)")
    used: set[str] = set()
    heads: dict[int, int] = {}  # top-level node -> its head, the one employee there without a manager
    parent_of = dict(con.execute(f"SELECT id, {parent} FROM {table}").fetchall())
    eid = 0
    for leaf in leaves:
        top, lead = parent_of[leaf], None
        for _ in range(rng.randint(2, 7)):
            eid += 1
            if top not in heads:  # the head also leads the first team
                heads[top], lead, boss = eid, eid, None
            elif lead is None:  # a team lead reports to the head
                lead, boss = eid, heads[top]
            else:
                boss = lead
            salary = rng.randrange(38, 95 if boss else 160) * 1000
            con.execute("INSERT INTO employees VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (eid, person(rng, used), leaf, boss, salary, date(rng, 2012, 2024),
                         extra.choices(["full-time", "part-time", "contractor"], [6, 2, 2])[0]))
    return h


# ---------------------------------------------------------------- library: subjects, books, loans

SUBJECTS = {
    "Science": ["Physics", "Chemistry", "Biology", "Astronomy", "Geology"],
    "History": ["Ancient History", "Medieval History", "Modern History", "Military History"],
    "Arts": ["Painting", "Sculpture", "Architecture", "Photography"],
    "Philosophy": ["Ethics", "Logic", "Metaphysics"],
    "Languages": ["Linguistics", "Grammar", "Translation"],
    "Literature": ["Poetry", "Drama", "Novels", "Essays"],
    "Music": ["Composition", "Music Theory", "Jazz"],
}
LIBRARY_NAMING = [
    ("subjects", "subject_id", N("subject"), [N("top-level subject", True), N("main subject")],
     [N("sub-subject"), N("subfield")]),
    ("topics", "topic_id", N("topic"), [N("broad topic"), N("top-level topic", True)], [N("subtopic")]),
]
ADJ = ["Silent", "Hidden", "Golden", "Broken", "Distant", "Quiet", "Northern", "Forgotten", "Bright", "Last"]
THING = ["River", "Garden", "Atlas", "Harbor", "Lantern", "Engine", "Mirror", "Voyage", "Forest", "Bridge"]


def build_library(con: sqlite3.Connection, rng: random.Random, db_id: str) -> Hierarchy:
    table, fk, node, tops, kids = rng.choice(LIBRARY_NAMING)
    parent = rng.choice(["parent_id", f"parent_{fk}"])
    extra = _extra(db_id)
    books = Fact(N("book"), (("books", fk),), "title",
                 (Measure("pages", "page count", ("SUM", "AVG", "MAX"), "longest", "shortest"),
                  Measure("unit_cost", "unit cost", ("AVG", "MAX", "MIN"), "costliest", "cheapest")),
                 attribute=Attribute("format", "format"),
                 product=Product("unit_cost", "copies", "replacement cost", "unit cost times copies"))
    loans = Fact(N("loan"), (("loans", "book_id"), ("books", fk)), None,
                 (Measure("duration_days", "loan length in days", ("AVG", "MAX")),), "loaned_on", "made in")
    h = Hierarchy(db_id, "library", table, parent, node, [tops, kids], [books, loans])
    leaves = write_tree(con, h, pick_tree(rng, SUBJECTS, (4, 6), (2, 4)), rng)
    con.executescript(f"""
        CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, {fk} INTEGER NOT NULL REFERENCES {table}(id),
                            pages INTEGER, published_year INTEGER, format TEXT, copies INTEGER, unit_cost REAL);
        CREATE TABLE loans (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books(id),
                            loaned_on TEXT, duration_days INTEGER);""")
    used: set[str] = set()
    bid = lid = 0
    for leaf in leaves:
        sub = next(n for n, i in h.names.items() if i == leaf)
        for _ in range(rng.randint(2, 6)):
            bid += 1
            title = unique(rng, lambda sub=sub: rng.choice([
                f"The {rng.choice(ADJ)} {rng.choice(THING)}",
                f"{rng.choice(['Notes on', 'A Guide to', 'Studies in'])} {sub} {rng.choice(['I', 'II', 'III'])}"]), used)
            con.execute("INSERT INTO books VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (bid, title, leaf, rng.randint(80, 900), rng.randint(1950, 2023),
                         extra.choice(["hardcover", "paperback", "ebook", "audiobook"]), extra.randint(1, 6),
                         round(extra.uniform(8, 90), 2)))
            for _ in range(rng.randint(0, 5)):
                lid += 1
                con.execute("INSERT INTO loans VALUES (?, ?, ?, ?)",
                            (lid, bid, date(rng, 2020, 2024), rng.randint(3, 42)))
    return h


# ---------------------------------------------------------------- weather: three-level regions

WEATHER_NAMING = [
    ("regions", "region_id", N("region"), [[N("country"), N("top-level region", True)], [N("province")],
                                           [N("district")]]),
    ("areas", "area_id", N("area"), [[N("country"), N("top-level area", True)], [N("state")], [N("county")]]),
]


def build_weather(con: sqlite3.Connection, rng: random.Random, db_id: str) -> Hierarchy:
    table, fk, node, levels = rng.choice(WEATHER_NAMING)
    parent = rng.choice(["parent_id", f"parent_{fk}"])
    extra = _extra(db_id)
    kind = extra.choice(["kind", "station_type"])
    stations = Fact(N("station"), (("stations", fk),), "name",
                    (Measure("elevation", "elevation", ("AVG", "MAX", "MIN"), "highest", "lowest"),),
                    attribute=Attribute(kind, "station type"),
                    product=Product("panels", "panel_watts", "solar capacity in watts", "panels times watts per panel"))
    readings = Fact(N("reading"), (("readings", "station_id"), ("stations", fk)), None,
                    (Measure("temperature", "temperature", ("AVG", "MAX", "MIN")),
                     Measure("rainfall", "rainfall", ("SUM", "AVG", "MAX"))), "taken_on", "taken in")
    h = Hierarchy(db_id, "weather", table, parent, node, levels, [stations, readings])
    used: set[str] = set()
    tree = [(place(rng, used), [(place(rng, used), [(place(rng, used), []) for _ in range(rng.randint(2, 3))])
                                for _ in range(rng.randint(2, 3))]) for _ in range(rng.randint(3, 4))]
    leaves = write_tree(con, h, tree, rng)
    con.executescript(f"""
        CREATE TABLE stations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, {fk} INTEGER NOT NULL
                               REFERENCES {table}(id), elevation INTEGER, {kind} TEXT, panels INTEGER,
                               panel_watts INTEGER);
        CREATE TABLE readings (id INTEGER PRIMARY KEY, station_id INTEGER NOT NULL REFERENCES stations(id),
                               taken_on TEXT, temperature REAL, rainfall REAL);""")
    sid = rid = 0
    for leaf in leaves:
        for _ in range(rng.randint(1, 3)):
            sid += 1
            elevation = rng.randint(0, 2400)
            name = unique(rng, lambda: f"{place(rng, set())} {rng.choice(['Ridge', 'Point', 'Valley', 'Hill'])}",
                           used)
            con.execute("INSERT INTO stations VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (sid, name, leaf, elevation, extra.choice(["automatic", "staffed", "rooftop", "coastal"]),
                         extra.randint(0, 8), extra.choice([100, 150, 200, 250, 300])))
            for _ in range(rng.randint(6, 12)):
                rid += 1
                temp = round(rng.uniform(-5, 28) - elevation / 250, 1)
                con.execute("INSERT INTO readings VALUES (?, ?, ?, ?, ?)",
                            (rid, sid, date(rng, 2021, 2024), temp, round(rng.uniform(0, 40), 1)))
    return h


# ---------------------------------------------------------------- forum: boards, threads, posts

BOARDS = {
    "Gardening": ["Vegetables", "Houseplants", "Composting", "Fruit Trees"],
    "Cycling": ["Road Riding", "Mountain Biking", "Repairs", "Commuting"],
    "Cooking": ["Baking", "Vegetarian", "Fermentation", "Grilling"],
    "Music": ["Guitar", "Piano", "Recording", "Songwriting"],
    "Photography": ["Landscapes", "Portraits", "Film Cameras", "Editing"],
    "Astronomy": ["Telescopes", "Planets", "Deep Sky"],
    "Hiking": ["Trails", "Gear Talk", "Navigation"],
}
FORUM_NAMING = [
    ("boards", "board_id", N("board"), [N("top-level board", True), N("main board")], [N("sub-board")]),
    ("forums", "forum_id", N("forum"), [N("top-level forum", True), N("main forum")], [N("subforum")]),
]
OPENERS = ["Question about", "Tips for", "Help with", "Thoughts on", "Getting started with", "Weekly chat:"]
BODIES = ["Thanks, that helped.", "I had the same problem last year.", "Try a smaller setting first.",
          "Does anyone have a link?", "Great write-up!", "Not sure I agree.", "Following this thread.",
          "Here is what worked for me."]


def build_forum(con: sqlite3.Connection, rng: random.Random, db_id: str) -> Hierarchy:
    table, fk, node, tops, kids = rng.choice(FORUM_NAMING)
    parent = rng.choice(["parent_id", f"parent_{fk}"])
    extra = _extra(db_id)
    status = extra.choice(["status", "state"])
    threads = Fact(N("thread"), (("threads", fk),), "title", (Measure("views", "view count", ("SUM", "AVG", "MAX"), "most-viewed", "least-viewed"),),
                   "created_at", "started in", attribute=Attribute(status, "status"))
    posts = Fact(N("post"), (("posts", "thread_id"), ("threads", fk)), None,
                 (Measure("score", "score", ("SUM", "AVG", "MAX")),), "created_at", "written in")
    h = Hierarchy(db_id, "forum", table, parent, node, [tops, kids], [threads, posts])
    leaves = write_tree(con, h, pick_tree(rng, BOARDS, (4, 6), (2, 4)), rng)
    con.executescript(f"""
        CREATE TABLE threads (id INTEGER PRIMARY KEY, {fk} INTEGER NOT NULL REFERENCES {table}(id), title TEXT NOT NULL,
                              created_at TEXT, views INTEGER, {status} TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL REFERENCES threads(id), body TEXT,
                            created_at TEXT, score INTEGER);""")
    used: set[str] = set()
    tid = pid = 0
    for leaf in leaves:
        sub = next(n for n, i in h.names.items() if i == leaf)
        for _ in range(rng.randint(2, 6)):
            tid += 1
            title = unique(rng, lambda sub=sub: f"{rng.choice(OPENERS)} {sub.lower()} #{rng.randint(1, 99)}", used)
            start = date(rng, 2019, 2024, time=True)
            con.execute("INSERT INTO threads VALUES (?, ?, ?, ?, ?, ?)",
                        (tid, leaf, title, start, rng.randint(5, 4000), extra.choice(["open", "closed", "pinned"])))
            for _ in range(rng.randint(1, 5)):
                pid += 1
                when = max(start, date(rng, int(start[:4]), 2024, time=True))
                con.execute("INSERT INTO posts VALUES (?, ?, ?, ?, ?)",
                            (pid, tid, rng.choice(BODIES), when, rng.randint(-3, 40)))
    return h


DOMAINS = {"company": build_company, "library": build_library, "weather": build_weather, "forum": build_forum}
