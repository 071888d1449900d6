"""Facts read from the seeded database that question parameters are drawn from.

Parameters always come from the data (a country customers really live in, a category that really
exists, a month that really has orders), so every question is about this shop, and rows whose
answer is empty are rare and deliberate.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import sqlite3
from dataclasses import dataclass

# Review words a shopper might search for; only those that really occur are used.
_REVIEW_WORDS = ("quality", "shipping", "price", "packaging", "size", "gift", "damaged", "returned",
                 "recommend", "colour", "flimsy", "expectations", "cheap", "favourite", "photos")


@dataclass(frozen=True)
class Facts:
    countries: tuple[str, ...]        # every non-NULL country, most customers first
    big_countries: tuple[str, ...]    # countries with at least 25 customers
    departments: tuple[str, ...]      # top-level categories (one has no products at all)
    subcategories: tuple[str, ...]    # categories with at least 4 products
    sub_prices: dict[str, tuple[float, ...]]
    statuses: tuple[str, ...]
    years: tuple[str, ...]            # years with orders
    months: tuple[str, ...]           # 'YYYY-MM' with at least 30 orders
    signup_months: tuple[str, ...]    # 'YYYY-MM' with at least 8 sign-ups
    repeat_customers: tuple[str, ...]  # names with >= 4 orders, all on different days
    product_words: tuple[str, ...]    # words found in 2..6 product names
    review_words: tuple[str, ...]


def _col(con: sqlite3.Connection, sql: str) -> tuple:
    return tuple(r[0] for r in con.execute(sql))


def read_facts(con: sqlite3.Connection) -> Facts:
    """Collect the parameter pools from an open connection (every query has a total order)."""
    sub_prices: dict[str, tuple[float, ...]] = {}
    for name, price in con.execute(
        "SELECT c.name, p.price FROM products p JOIN categories c ON p.category_id = c.id ORDER BY c.name, p.price"
    ):
        sub_prices[name] = sub_prices.get(name, ()) + (price,)
    names = _col(con, "SELECT name FROM products ORDER BY name")
    counts: dict[str, int] = {}
    for name in names:
        for word in set(re.findall(r"[A-Za-z][A-Za-z-]{3,}", name)):
            counts[word] = counts.get(word, 0) + 1
    bodies = " ".join(_col(con, "SELECT body FROM reviews WHERE body IS NOT NULL ORDER BY id")).lower()
    return Facts(
        countries=_col(con, "SELECT country FROM customers WHERE country IS NOT NULL "
                            "GROUP BY country ORDER BY COUNT(*) DESC, country"),
        big_countries=_col(con, "SELECT country FROM customers WHERE country IS NOT NULL "
                                "GROUP BY country HAVING COUNT(*) >= 25 ORDER BY COUNT(*) DESC, country"),
        departments=_col(con, "SELECT name FROM categories WHERE parent_id IS NULL ORDER BY id"),
        subcategories=_col(con, "SELECT c.name FROM categories c JOIN products p ON p.category_id = c.id "
                                "GROUP BY c.id HAVING COUNT(*) >= 4 ORDER BY c.id"),
        sub_prices=sub_prices,
        statuses=_col(con, "SELECT DISTINCT status FROM orders ORDER BY status"),
        years=_col(con, "SELECT DISTINCT strftime('%Y', order_date) FROM orders ORDER BY 1"),
        months=_col(con, "SELECT strftime('%Y-%m', order_date) AS m FROM orders GROUP BY m "
                         "HAVING COUNT(*) >= 30 ORDER BY m"),
        signup_months=_col(con, "SELECT strftime('%Y-%m', signup_date) AS m FROM customers GROUP BY m "
                                "HAVING COUNT(*) >= 8 ORDER BY m"),
        repeat_customers=_col(con, "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id "
                                   "GROUP BY c.id HAVING COUNT(*) >= 4 AND COUNT(DISTINCT o.order_date) = COUNT(*) "
                                   "ORDER BY c.id"),
        product_words=tuple(sorted(w for w, n in counts.items() if 2 <= n <= 6 and w not in ("with",))),
        review_words=tuple(w for w in _REVIEW_WORDS if w in bodies),
    )


def month_name(month: str) -> str:
    """'2024-03' -> 'March 2024'."""
    year, m = month.split("-")
    return f"{calendar.month_name[int(m)]} {year}"


def date_text(day: dt.date | str) -> str:
    """'2024-03-05' -> 'March 5, 2024' (how people write dates in a question)."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{calendar.month_name[d.month]} {d.day}, {d.year}"


def month_end(month: str) -> str:
    year, m = (int(x) for x in month.split("-"))
    return f"{month}-{calendar.monthrange(year, m)[1]:02d}"


def next_month(month: str) -> str:
    year, m = (int(x) for x in month.split("-"))
    return f"{year + m // 12}-{m % 12 + 1:02d}"


def country_params(country: str) -> dict:
    """{"country": SQL value, "country_text": how it reads after "in"/"from" ("the United States")}."""
    needs_the = country.startswith("United ") or country in ("Netherlands",)
    return {"country": country, "country_text": f"the {country}" if needs_the else country}


def month_params(month: str) -> dict:
    """{"month": '2024-03', "month_text": 'March 2024'}."""
    return {"month": month, "month_text": month_name(month)}


def since_params(month: str, text=None) -> dict:
    """{"since": '2024-03-01', "since_text": 'March 1, 2024'} (or *text*(month) for the wording)."""
    return {"since": f"{month}-01", "since_text": (text or (lambda m: date_text(f"{m}-01")))(month)}


def like_params(word: str) -> dict:
    """{"word": 'Lamp', "pattern": '%Lamp%'}."""
    return {"word": word, "pattern": f"%{word}%"}


def ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}[n]
