"""Easy and medium shapes: one or two tables, filters, aggregates, GROUP BY/HAVING, LIKE, NULLs,
dates with strftime, the category self-join, CASE, and ORDER BY/LIMIT."""

from __future__ import annotations

import math
import random

from .params import (
    Facts,
    country_params,
    date_text,
    like_params,
    month_end,
    month_params,
    next_month,
    since_params,
)
from .shapes import Shape

_STARS = {1: "1-star", 2: "2-star", 3: "3-star", 4: "4-star", 5: "5-star"}


def _stars(f: Facts, rng: random.Random) -> dict:
    stars = rng.randint(1, 5)
    return {"stars": stars, "stars_text": _STARS[stars]}


def _money(rng: random.Random, choices: tuple[int, ...]) -> int:
    return rng.choice(choices)


def _date_range(f: Facts, rng: random.Random) -> dict:
    """A range of one to three whole months that all have orders."""
    i = rng.randrange(len(f.months) - 3)
    first, span = f.months[i], rng.randint(1, 3)
    last = first
    for _ in range(span - 1):
        last = next_month(last)
    return {"start": f"{first}-01", "end": next_month(last) + "-01",
            "start_text": date_text(f"{first}-01"), "end_text": date_text(month_end(last))}


def _price_cut(f: Facts, rng: random.Random) -> dict:
    sub = rng.choice(f.subcategories)
    prices = f.sub_prices[sub]
    mid = prices[rng.randint(1, len(prices) - 2)]
    return {"sub": sub, "cut": 5 * math.ceil(mid / 5)}


BASIC: tuple[Shape, ...] = (
    Shape(
        "customers_in_country", "easy",
        "SELECT COUNT(*) FROM customers WHERE country = {country}",
        ("How many customers do we have in {country_text}?",
         "What is the number of customers based in {country_text}?",
         "How many of our customers are from {country_text}?",
         "Count the customers located in {country_text}."),
        lambda f, r: country_params(r.choice(f.countries)),
    ),
    Shape(
        "products_under_price", "easy",
        "SELECT name, price FROM products WHERE price < {price}",
        ("Which products cost less than ${price}? Show name and price.",
         "List every product priced under ${price} along with its price.",
         "Show me the names and prices of all products cheaper than ${price}.",
         "What can I buy for under ${price}? Give the product names and prices."),
        lambda f, r: {"price": r.choice((8, 10, 12, 15, 18, 20, 25))},
    ),
    Shape(
        "orders_with_status", "easy",
        "SELECT COUNT(*) FROM orders WHERE status = {status}",
        ("How many orders have the status {status}?",
         "What is the number of {status} orders?",
         "Count all orders that are marked as {status}.",
         "How many {status} orders are there in total?"),
        lambda f, r: {"status": r.choice(f.statuses)},
    ),
    Shape(
        "low_stock_products", "easy",
        "SELECT name, stock FROM products WHERE stock < {n}",
        ("Which products have fewer than {n} units in stock? Include the stock level.",
         "List products with less than {n} items left in stock and how many remain.",
         "Show products whose stock is below {n}, with their current stock.",
         "What products are running low, with under {n} units available? Show name and stock."),
        lambda f, r: {"n": r.randint(2, 30)},
    ),
    Shape(
        "most_expensive_products", "easy",
        "SELECT name, price FROM products ORDER BY price DESC LIMIT {k}",
        ("What are the {k} most expensive products and their prices?",
         "Show the top {k} products by price, highest first.",
         "List the {k} priciest items we sell with their prices, most expensive first.",
         "Which {k} products have the highest prices? Show name and price in descending order of price."),
        lambda f, r: {"k": r.randint(3, 12)},
    ),
    Shape(
        "orders_above_total", "easy",
        "SELECT COUNT(*) FROM orders WHERE total > {amount}",
        ("How many orders were worth more than ${amount}?",
         "Count the orders with a total above ${amount}.",
         "What number of orders came to over ${amount}?",
         "How many orders exceeded ${amount} in total value?"),
        lambda f, r: {"amount": _money(r, (50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500))},
    ),
    Shape(
        "reviews_with_rating", "easy",
        "SELECT COUNT(*) FROM reviews WHERE rating = {stars}",
        ("How many {stars_text} reviews are there?",
         "Count the reviews with a rating of {stars}.",
         "What's the number of reviews rated {stars} out of 5?",
         "How many times did a reviewer give a product exactly {stars} stars?"),
        _stars,
    ),
    Shape(
        "product_name_contains", "easy",
        "SELECT name, price FROM products WHERE name LIKE {pattern}",
        ("Which products have '{word}' in their name? Show names and prices.",
         "List all products whose name contains \"{word}\", with prices.",
         "Find products with the word {word} in the name and give their prices.",
         "Search the product names for '{word}' and show each match with its price."),
        lambda f, r: like_params(r.choice(f.product_words)),
    ),
    Shape(
        "customers_without_country", "easy",
        "SELECT name, email FROM customers WHERE country IS NULL AND signup_date >= {since}",
        ("Which customers who signed up on or after {since_text} have no country on file? Give names and emails.",
         "List the name and email of every customer registered since {since_text} whose country is missing.",
         "Show customers who joined from {since_text} onwards and didn't provide a country (name and email).",
         "Who signed up on or after {since_text} without telling us their country? I need names and emails."),
        lambda f, r: since_params(r.choice(f.signup_months[:-6])),
    ),
    Shape(
        "signup_countries_in_year", "medium",
        "SELECT COUNT(DISTINCT country) FROM customers WHERE strftime('%Y', signup_date) = {year}",
        ("How many different countries do the customers who joined in {year} come from?",
         "Customers who signed up in {year} are spread over how many distinct countries?",
         "Count the distinct countries among customers registered in {year}.",
         "From how many countries did new customers sign up in {year}?"),
        lambda f, r: {"year": r.choice(f.years)},
    ),
    Shape(
        "signups_with_country_or_unknown", "medium",
        "SELECT name, COALESCE(country, 'Unknown') FROM customers WHERE strftime('%Y-%m', signup_date) = {month}",
        ("List the customers who signed up in {month_text} with their country, showing 'Unknown' when it is missing.",
         "Show everyone who registered in {month_text} and their country; write Unknown if no country was given.",
         "For customers who joined in {month_text}, give name and country, using 'Unknown' for blank countries.",
         "Who signed up during {month_text}? Include each person's country, or 'Unknown' where we don't have it."),
        lambda f, r: month_params(r.choice(f.signup_months)),
    ),
    Shape(
        "avg_price_in_category", "medium",
        "SELECT AVG(p.price) FROM products p JOIN categories c ON p.category_id = c.id WHERE c.name = {sub}",
        ("What is the average price of products in the {sub} category?",
         "On average, how much does a product in {sub} cost?",
         "Give me the mean price of everything listed under {sub}.",
         "What's the average list price in the {sub} category?"),
        lambda f, r: {"sub": r.choice(f.subcategories)},
    ),
    Shape(
        "orders_in_month", "medium",
        "SELECT COUNT(*) FROM orders WHERE strftime('%Y-%m', order_date) = {month}",
        ("How many orders were placed in {month_text}?",
         "What was the order count for {month_text}?",
         "Count the orders made during {month_text}.",
         "How many orders did we receive in {month_text}?"),
        lambda f, r: month_params(r.choice(f.months)),
    ),
    Shape(
        "order_value_in_date_range", "medium",
        "SELECT SUM(total) FROM orders WHERE order_date >= {start} AND order_date < {end}",
        ("What was the total value of orders placed between {start_text} and {end_text}?",
         "Sum up the order totals from {start_text} through {end_text}.",
         "How much did all orders dated {start_text} to {end_text} add up to?",
         "Add up the totals of every order from {start_text} until {end_text} inclusive."),
        _date_range,
    ),
    Shape(
        "customers_with_many_orders", "medium",
        """SELECT c.name, COUNT(*) AS order_count FROM customers c JOIN orders o ON o.customer_id = c.id
           GROUP BY c.id, c.name HAVING COUNT(*) > {n}""",
        ("Which customers have placed more than {n} orders? Show each name with their order count.",
         "List customers with over {n} orders and how many orders each has made.",
         "Who has ordered more than {n} times? Give names and number of orders.",
         "Find the customers whose order count exceeds {n}, along with that count."),
        lambda f, r: {"n": r.randint(6, 16)},
    ),
    Shape(
        "orders_per_country_in_year", "medium",
        """SELECT c.country, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id
           WHERE strftime('%Y', o.order_date) = {year} GROUP BY c.country""",
        ("How many orders came from each country in {year}?",
         "Break down the {year} orders by customer country.",
         "For every country, count the orders its customers placed during {year}.",
         "Show the number of orders per country for {year}."),
        lambda f, r: {"year": r.choice(f.years)},
    ),
    Shape(
        "subcategories_of_department", "medium",
        "SELECT c.name FROM categories c JOIN categories d ON c.parent_id = d.id WHERE d.name = {dept}",
        ("What subcategories are under {dept}?",
         "List the categories that belong to the {dept} department.",
         "Which categories sit beneath {dept} in the category tree?",
         "Name all the child categories of {dept}."),
        lambda f, r: {"dept": r.choice(f.departments)},
        allow_empty=True,
    ),
    Shape(
        "status_counts_by_year", "medium",
        """SELECT strftime('%Y', order_date) AS year,
                  SUM(CASE WHEN status = {s1} THEN 1 ELSE 0 END) AS first_count,
                  SUM(CASE WHEN status = {s2} THEN 1 ELSE 0 END) AS second_count
           FROM orders GROUP BY year ORDER BY year""",
        ("For each year, in order, how many orders were {s1} and how many were {s2}?",
         "Show, year by year, the number of {s1} orders next to the number of {s2} orders.",
         "Per year (oldest first), count {s1} orders and {s2} orders side by side.",
         "Give a yearly breakdown in chronological order with two counts: {s1} orders and {s2} orders."),
        lambda f, r: dict(zip(("s1", "s2"), r.sample(("delivered", "cancelled", "returned", "shipped"), 2))),
    ),
    Shape(
        "price_band_labels", "medium",
        """SELECT p.name, CASE WHEN p.price < {cut} THEN 'budget' ELSE 'premium' END
           FROM products p JOIN categories c ON p.category_id = c.id WHERE c.name = {sub}""",
        ("For each product in {sub}, show its name and label it 'budget' if it costs under ${cut}, otherwise "
         + "'premium'.",
         "Tag every {sub} product as 'budget' (below ${cut}) or 'premium' (${cut} or more); list name and tag.",
         "List the {sub} products with a price band: 'budget' under ${cut}, 'premium' for the rest.",
         "Classify {sub} items as 'budget' or 'premium' using a ${cut} cutoff, showing each name with its class."),
        _price_cut,
    ),
    Shape(
        "reviews_mentioning_word", "medium",
        "SELECT COUNT(*) FROM reviews WHERE body LIKE {pattern}",
        ("How many reviews mention '{word}'?",
         "Count the reviews whose text includes the word '{word}'.",
         "In how many reviews does the word \"{word}\" come up?",
         "How many customer reviews talk about {word}?"),
        lambda f, r: like_params(r.choice(f.review_words)),
    ),
    Shape(
        "stock_value_in_category", "medium",
        "SELECT SUM(p.price * p.stock) FROM products p JOIN categories c ON p.category_id = c.id WHERE c.name = {sub}",
        ("What is the total value of the stock we hold in {sub}, counting price times units?",
         "How much is the {sub} inventory worth at list prices?",
         "Work out the inventory value of the {sub} category: each product's price multiplied by its stock, summed.",
         "If we sold all the stock in the {sub} category at list price, how much would we take in?"),
        lambda f, r: {"sub": r.choice(f.subcategories)},
    ),
    Shape(
        "big_spenders_in_month", "medium",
        """SELECT c.name, SUM(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id
           WHERE strftime('%Y-%m', o.order_date) = {month} GROUP BY c.id, c.name HAVING SUM(o.total) > {amount}""",
        ("Which customers spent more than ${amount} in {month_text}? Show names and totals.",
         "List everyone whose orders in {month_text} added up to over ${amount}, with the amount.",
         "Who placed more than ${amount} worth of orders during {month_text}? Give name and total spent.",
         "Find customers with combined {month_text} order totals above ${amount}, and show those totals."),
        lambda f, r: {**month_params(r.choice(f.months)), "amount": r.choice((200, 300, 400, 500))},
    ),
    Shape(
        "latest_orders_of_customer", "medium",
        """SELECT o.order_date, o.total, o.status FROM orders o JOIN customers c ON o.customer_id = c.id
           WHERE c.name = {customer} ORDER BY o.order_date DESC LIMIT {k}""",
        ("Show the {k} most recent orders placed by {customer}: date, total and status.",
         "What are {customer}'s last {k} orders? I need the date, amount and status of each, newest first.",
         "List the date, total and status of the latest {k} orders from {customer}, newest first.",
         "Give me {customer}'s {k} newest orders with date, total, and status."),
        lambda f, r: {"customer": r.choice(f.repeat_customers), "k": r.randint(2, 3)},
    ),
    Shape(
        "times_each_product_ordered", "medium",
        """SELECT p.name, COUNT(oi.id) FROM products p JOIN categories c ON p.category_id = c.id
           LEFT JOIN order_items oi ON oi.product_id = p.id WHERE c.name = {sub} GROUP BY p.id, p.name""",
        ("How many order lines does each {sub} product appear on? Include products that were never ordered.",
         "For every product in {sub}, count how many times it has been ordered, showing zero where it never was.",
         "List all {sub} products with the number of order lines they appear in (zero if none).",
         "Show each {sub} product and how often it shows up in orders, including ones nobody ordered."),
        lambda f, r: {"sub": r.choice(f.subcategories)},
    ),
)
