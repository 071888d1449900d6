"""Build the e-commerce evaluation database from one seed, byte for byte reproducibly.

Reproducibility rules (the same seed must give the same sha256):
- all randomness comes from ``random.Random(seed)`` and a Faker seeded with ``seed_instance(seed)``;
- no date is taken from the clock: every date is drawn between fixed bounds (catalogue.STORE_OPENED
  and DATA_END), because Faker's own date helpers default to "today";
- rows are inserted in one fixed order into a brand-new file with a fixed page size, then VACUUMed,
  so free-list and page layout depend only on the data.
The SQLite library version is written into the file header, so the byte hash is only comparable
between builds with the same SQLite; ``content_sha256`` is the version-independent fingerprint.

>>> import tempfile, os
>>> p = build_database(os.path.join(tempfile.mkdtemp(), "shop.sqlite"), seed=7)
>>> p.stat().st_size > 100_000
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import sqlite3
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from . import catalogue as cat

DEFAULT_SEED = 42
PAGE_SIZE = 4096
N_CUSTOMERS = 620
NO_ORDER_RATE = 0.12  # customers who signed up but never ordered


def schema_sql() -> str:
    """The CREATE statements of the six tables (eval/ecommerce/schema.sql)."""
    return resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")


@dataclass
class _Shop:
    """All rows, in insertion order, before they are written."""

    customers: list[tuple] = field(default_factory=list)
    categories: list[tuple] = field(default_factory=list)
    products: list[tuple] = field(default_factory=list)
    orders: list[tuple] = field(default_factory=list)
    order_items: list[tuple] = field(default_factory=list)
    reviews: list[tuple] = field(default_factory=list)


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _price(rng: random.Random, low: float, high: float) -> float:
    # Skewed towards the cheap end of the range; half the prices end in .99.
    raw = low + (high - low) * rng.random() ** 1.5
    return float(int(raw)) + 0.99 if rng.random() < 0.5 else round(raw, 2)


def _categories(shop: _Shop) -> dict[str, int]:
    ids: dict[str, int] = {}
    for dept, _subs in cat.DEPARTMENTS:
        ids[dept] = len(ids) + 1
        shop.categories.append((ids[dept], dept, None))
    for dept, subs in cat.DEPARTMENTS:
        for sub, *_ in subs:
            ids[sub] = len(ids) + 1
            shop.categories.append((ids[sub], sub, ids[dept]))
    return ids


def _product_names(rng: random.Random, sub: str, nouns: cat.Nouns) -> list[tuple[str, float | None]]:
    """Six to eight (name, typical price) for one subcategory; titles (books, games) have no typical price."""
    n = rng.randint(6, 8)
    if sub == "Fiction":
        pairs = [(a, b) for a in cat.TITLE_ADJECTIVES for b in cat.TITLE_NOUNS]
        return [(f"The {a} {b}", None) for a, b in rng.sample(pairs, n)]
    if sub == "Cookbooks":
        return [(f"{t} Cookbook", None) for t in rng.sample(cat.COOKBOOK_TOPICS, n)]
    if sub == "Travel Guides":
        return [(f"{p} Travel Guide", None) for p in rng.sample(cat.TRAVEL_PLACES, n)]
    if sub == "Board Games":
        pairs = [(a, b) for a in cat.BOARD_GAME_WORDS for b in cat.TITLE_NOUNS]
        return [(f"{a} of the {b}", None) for a, b in rng.sample(pairs, n)]
    chosen = rng.sample(nouns, min(n, len(nouns)))
    return [(f"{rng.choice(cat.BRANDS)} {noun}", typical) for noun, typical in chosen]


def _products(shop: _Shop, rng: random.Random, cat_ids: dict[str, int]) -> list[float]:
    """Fill products; return each product's popularity weight (0 = never ordered)."""
    drafts: list[tuple[str, int | None, float]] = []
    for _dept, subs in cat.DEPARTMENTS:
        for sub, low, high, nouns in subs:
            if sub == "Smartwatches":  # a subcategory that exists but has nothing in it yet
                continue
            for name, typical in _product_names(rng, sub, nouns):
                lo, hi = (low, high) if typical is None else (typical * 0.65, typical * 1.35)
                drafts.append((name, cat_ids[sub], _price(rng, lo, hi)))
    # Two uncategorised products: category_id is NULL.
    drafts += [("Mystery Box", None, 24.99), ("Sample Pack", None, 4.99)]
    rng.shuffle(drafts)  # ids interleave categories, as in a shop that grew over time
    names: set[str] = set()
    weights = []
    for i, (name, cid, price) in enumerate(drafts, start=1):
        assert name not in names, name
        names.add(name)
        stock = 0 if rng.random() < 0.08 else rng.randint(1, 240)
        shop.products.append((i, name, cid, price, stock))
        weights.append(rng.uniform(0.3, 2.2) ** 2)
    # A handful of products nobody has bought yet (NOT EXISTS / LEFT JOIN questions need them).
    for i in rng.sample(range(len(drafts)), 6):
        weights[i] = 0.0
    weights[[p[1] for p in shop.products].index("Sample Pack")] = 0.0
    return weights


def _ascii(s: str) -> str:
    return re.sub(r"[^a-z]", "", s.lower())


def _customers(shop: _Shop, rng: random.Random, fake) -> None:
    names: set[str] = set()
    emails: set[str] = set()
    drafts = []
    countries = [c for c, _ in cat.COUNTRIES]
    weights = [w for _, w in cat.COUNTRIES]
    while len(drafts) < N_CUSTOMERS:
        first, last = fake.first_name(), fake.last_name()
        name = f"{first} {last}"
        if name in names:  # unique names keep "orders of <name>" questions unambiguous
            continue
        names.add(name)
        domain = fake.free_email_domain()
        email = f"{_ascii(first)}.{_ascii(last)}@{domain}"
        n = 1
        while email in emails:
            n += 1
            email = f"{_ascii(first)}.{_ascii(last)}{n}@{domain}"
        emails.add(email)
        country = None if rng.random() < cat.NULL_COUNTRY_RATE else rng.choices(countries, weights)[0]
        signup = fake.date_between_dates(cat.STORE_OPENED, cat.DATA_END - dt.timedelta(days=10))
        drafts.append((signup.isoformat(), name, email, country))
    drafts.sort()  # ids follow signup order
    for i, (signup, name, email, country) in enumerate(drafts, start=1):
        shop.customers.append((i, name, email, country, signup))


def _status(rng: random.Random, day: dt.date) -> str:
    age = (cat.DATA_END - day).days
    if age < 4:
        return rng.choices(("pending", "paid", "cancelled"), (5, 4, 1))[0]
    if age < 14:
        return rng.choices(("paid", "shipped", "delivered", "cancelled"), (2, 5, 3, 1))[0]
    return rng.choices(("delivered", "cancelled", "returned"), (84, 9, 7))[0]


def _orders(shop: _Shop, rng: random.Random, popularity: list[float]) -> None:
    drafts = []
    for cid, _name, _email, _country, signup in shop.customers:
        if rng.random() < NO_ORDER_RATE:
            continue
        start = dt.date.fromisoformat(signup)
        # Long-standing customers order more; a few are heavy buyers.
        span_years = (cat.DATA_END - start).days / 365
        n = 1 + int(rng.expovariate(1 / (2.3 * span_years + 0.6)))
        for _ in range(min(n, 25)):
            drafts.append((_day(rng, start, cat.DATA_END).isoformat(), cid, rng.random()))
    drafts.sort()  # ids follow order date
    product_ids = [p[0] for p in shop.products]
    prices = {p[0]: p[3] for p in shop.products}
    line_id = 0
    for oid, (day, cid, _tiebreak) in enumerate(drafts, start=1):
        n_lines = rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]
        picked: list[int] = []
        while len(picked) < n_lines:
            pid = rng.choices(product_ids, popularity)[0]
            if pid not in picked:
                picked.append(pid)
        total = 0.0
        for pid in picked:
            qty = rng.choices((1, 2, 3, 4, 5), (70, 18, 7, 3, 2))[0]
            unit = prices[pid] if rng.random() < 0.88 else round(prices[pid] * rng.choice((0.8, 0.9)), 2)
            line_id += 1
            shop.order_items.append((line_id, oid, pid, qty, unit))
            total += qty * unit
        shop.orders.append((oid, cid, day, _status(rng, dt.date.fromisoformat(day)), round(total, 2)))


def _reviews(shop: _Shop, rng: random.Random) -> None:
    orders = {o[0]: o for o in shop.orders}
    seen: set[tuple[int, int]] = set()
    drafts = []
    ratings = [r for r, _ in cat.RATING_WEIGHTS]
    weights = [w for _, w in cat.RATING_WEIGHTS]
    for _lid, oid, pid, _qty, _unit in shop.order_items:
        _, cid, day, status, _total = orders[oid]
        chance = {"delivered": 0.27, "returned": 0.5}.get(status, 0.0)
        if (cid, pid) in seen or rng.random() >= chance:
            continue
        when = dt.datetime.fromisoformat(day) + dt.timedelta(
            days=rng.randint(3, 40), seconds=rng.randint(7 * 3600, 23 * 3600)
        )
        if when.date() > cat.DATA_END:
            continue
        seen.add((cid, pid))
        rating = rng.choices((1, 2, 2, 3), k=1)[0] if status == "returned" else rng.choices(ratings, weights)[0]
        body = None if rng.random() < cat.NULL_BODY_RATE else rng.choice(cat.REVIEW_TEXTS[rating])
        drafts.append((when.isoformat(sep=" "), pid, cid, rating, body))
    drafts.sort(key=lambda d: (d[0], d[1], d[2]))
    for i, (when, pid, cid, rating, body) in enumerate(drafts, start=1):
        shop.reviews.append((i, pid, cid, rating, body, when))


def generate(seed: int = DEFAULT_SEED) -> _Shop:
    """All rows of the shop for *seed*, in insertion order (no file is written)."""
    from faker import Faker  # optional dependency: only needed to (re)build the data

    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    shop = _Shop()
    cat_ids = _categories(shop)
    popularity = _products(shop, rng, cat_ids)
    _customers(shop, rng, fake)
    _orders(shop, rng, popularity)
    _reviews(shop, rng)
    return shop


def build_database(path: str | os.PathLike, seed: int = DEFAULT_SEED) -> Path:
    """Write the shop for *seed* to *path* (replacing it atomically) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shop = generate(seed)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute("PRAGMA foreign_keys = ON")  # catches generator bugs at insert time
        con.executescript(schema_sql())
        for table, rows in (
            ("customers", shop.customers), ("categories", shop.categories), ("products", shop.products),
            ("orders", shop.orders), ("order_items", shop.order_items), ("reviews", shop.reviews),
        ):
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def content_sha256(path: str | os.PathLike) -> str:
    """Hash of the SQL dump: equal for equal data even when SQLite versions (file headers) differ."""
    con = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        h = hashlib.sha256()
        for line in con.iterdump():
            h.update(line.encode("utf-8") + b"\n")
        return h.hexdigest()
    finally:
        con.close()


def demo_database_path() -> Path:
    """The verified demo copy under NICHELM_HOME (see ``reference.demo_database_path``; no Faker needed)."""
    from .reference import demo_database_path as demo

    return demo()
