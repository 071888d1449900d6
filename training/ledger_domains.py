"""Small synthetic databases of billed work: a catalogue with its own rates, jobs billed to parties, and the
lines of each job with the quantity and the rate actually charged (training/ledger_data.py).

The fine-tuned model mixes up money columns that sit in different tables: it multiplies a catalogue's list
rate by a line's quantity where the question asks what the lines charged, adds up lines where a billed total
is stored on the job, and joins the lines to value what is on hand. These databases hold all three side by
side, in three domains far from the held-out e-commerce schema (a repair workshop, a caterer, a tool-hire
yard), with their own words and column names, so the skill is not one spelling:

    parties (id, name, city)          the clients billed
    groups (id, name)                 what the catalogue is sorted into
    items (id, name, group_id, <list rate>, <units on hand>)
    jobs (id, party_id, <date>, status, <billed total>)
    lines (id, job_id, item_id, <quantity>, <rate charged>)

The rate charged is the list rate with a discount of up to 20 % (so the two differ), and a job's billed total
is its lines plus a fixed fee (so summing the lines is not the billed total). Rows are drawn with
`random.Random`; every value comes from word lists of our own.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass

from .hierarchy_tree import N, Noun, person


@dataclass(frozen=True)
class LedgerWords:
    """How one domain names its tables, columns and things."""
    domain: str
    party: Noun  # "client"
    parties: str  # table
    group: Noun  # "part group"
    groups: str
    group_names: tuple[str, ...]
    item: Noun  # "part"
    items: str
    item_words: tuple[str, ...]  # for item names: "<group word> <word>"
    list_rate: str  # column
    list_words: str  # "list rate"
    units: str  # column
    units_words: str  # "units on hand"
    stock_words: str  # "stock"
    job: Noun  # "job"
    jobs: str
    date: str  # column
    when: str  # "done in"
    statuses: tuple[str, ...]  # the first is the usual one, the second the cancelled one
    total: str  # column
    total_words: str  # "billed total"
    line: Noun  # "job line"
    lines: str
    qty: str  # column
    qty_words: str  # "quantity"
    charged: str  # column
    charged_words: str  # "rate charged"
    earn: str  # "bring in"
    billed: str  # "billed"
    at_least: str  # "{n} or more units": a line's quantity of at least n, in words


@dataclass
class Ledger:
    db_id: str
    w: LedgerWords
    party_fk: str
    group_fk: str
    job_fk: str
    item_fk: str
    path: str = ""


WORKSHOP = LedgerWords(
    "workshop", N("client"), "clients", N("part group"), "part_groups",
    ("Brakes", "Filters", "Belts", "Fasteners", "Hydraulics", "Bearings", "Exhausts", "Wipers"),
    N("part"), "parts", ("kit", "assembly", "set", "unit", "module"),
    "list_rate", "list rate", "units_on_hand", "units on hand", "stock",
    N("job"), "jobs", "done_on", "done in", ("done", "cancelled", "open"), "billed_total", "billed total",
    N("job line"), "job_lines", "qty", "quantity", "charged_rate", "rate charged", "bring in", "billed",
    "{n} or more units")
CATERING = LedgerWords(
    "catering", N("patron"), "patrons", N("menu section"), "menu_sections",
    ("Starters", "Soups", "Mains", "Desserts", "Breads", "Salads", "Sides"),
    N("dish"), "dishes", ("platter", "tray", "bowl", "board", "selection"),
    "menu_rate", "menu rate", "portions_ready", "portions ready", "prepared stock",
    N("booking"), "bookings", "held_on", "held in", ("held", "called off", "pending"), "amount_billed",
    "amount billed", N("booking line"), "booking_lines", "servings", "servings", "rate_applied", "rate applied",
    "earn", "charged", "{n} or more servings")
TOOL_HIRE = LedgerWords(
    "tool_hire", N("renter"), "renters", N("tool class"), "tool_classes",
    ("Drills", "Saws", "Ladders", "Sanders", "Mixers", "Generators", "Compactors"),
    N("tool"), "tools", ("pro", "compact", "heavy", "cordless", "twin"),
    "day_rate", "day rate", "units_available", "units available", "fleet",
    N("hire"), "hires", "started_on", "started in", ("closed", "voided", "active"), "charged_total",
    "charged total", N("hire line"), "hire_lines", "days", "days", "rate_used", "rate used", "bring in", "charged", "{n} or more days")
DOMAINS = (WORKSHOP, CATERING, TOOL_HIRE)
CITIES = ("Alderford", "Brimwick", "Caston", "Dunmere", "Eastfold", "Fallowby", "Greyhaven", "Holtby")
FEES = (0, 15, 30)


def build(con: sqlite3.Connection, w: LedgerWords, rng: random.Random, db_id: str) -> Ledger:
    """Create and fill one database of *w*'s domain in *con*."""
    party_fk, group_fk = f"{w.party.one.replace(' ', '_')}_id", f"{w.group.one.replace(' ', '_')}_id"
    job_fk, item_fk = f"{w.job.one.replace(' ', '_')}_id", f"{w.item.one.replace(' ', '_')}_id"
    con.executescript(f"""
        CREATE TABLE {w.parties} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
        CREATE TABLE {w.groups} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE {w.items} (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                {group_fk} INTEGER NOT NULL REFERENCES {w.groups}(id),
                                {w.list_rate} REAL NOT NULL, {w.units} INTEGER NOT NULL);
        CREATE TABLE {w.jobs} (id INTEGER PRIMARY KEY, {party_fk} INTEGER NOT NULL REFERENCES {w.parties}(id),
                               {w.date} TEXT NOT NULL, status TEXT NOT NULL, {w.total} REAL NOT NULL);
        CREATE TABLE {w.lines} (id INTEGER PRIMARY KEY, {job_fk} INTEGER NOT NULL REFERENCES {w.jobs}(id),
                                {item_fk} INTEGER NOT NULL REFERENCES {w.items}(id),
                                {w.qty} INTEGER NOT NULL, {w.charged} REAL NOT NULL);""")
    groups = rng.sample(w.group_names, rng.randint(4, len(w.group_names)))
    for gid, name in enumerate(groups, 1):
        con.execute(f"INSERT INTO {w.groups} VALUES (?, ?)", (gid, name))
    rates: dict[int, float] = {}
    used: set[str] = set()
    for iid in range(1, rng.randint(18, 30) + 1):
        gid = rng.randint(1, len(groups))
        name = f"{groups[gid - 1].rstrip('s')} {rng.choice(w.item_words)} {iid}"
        rates[iid] = round(rng.uniform(4, 180), 2)
        con.execute(f"INSERT INTO {w.items} VALUES (?, ?, ?, ?, ?)", (iid, name, gid, rates[iid], rng.randint(0, 40)))
    parties = rng.randint(18, 30)
    for pid in range(1, parties + 1):
        city = rng.choice(CITIES) if rng.random() < 0.85 else None
        con.execute(f"INSERT INTO {w.parties} VALUES (?, ?, ?)", (pid, person(rng, used), city))
    line_id = 0
    for jid in range(1, rng.randint(140, 220) + 1):
        status = rng.choices(w.statuses, [7, 1, 2])[0]
        day = f"{rng.randint(2021, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        amount = 0.0
        lines = []
        for _ in range(rng.randint(1, 4)):
            line_id += 1
            iid = rng.choice(list(rates))
            qty, charged = rng.randint(1, 6), round(rates[iid] * rng.uniform(0.8, 1.0), 2)
            amount += qty * charged
            lines.append((line_id, jid, iid, qty, charged))
        # parties 1..parties-2: the last two never have a job (anti-joins have an answer)
        con.execute(f"INSERT INTO {w.jobs} VALUES (?, ?, ?, ?, ?)",
                    (jid, rng.randint(1, parties - 2), day, status, round(amount + rng.choice(FEES), 2)))
        con.executemany(f"INSERT INTO {w.lines} VALUES (?, ?, ?, ?, ?)", lines)
    return Ledger(db_id, w, party_fk, group_fk, job_fk, item_fk)
