"""Hard and extra shapes: 3–5 table joins, nested and correlated subqueries, NOT EXISTS, set
operations, CTEs, window functions and the department (two-level category) roll-ups."""

from __future__ import annotations

from .params import Facts, country_params, month_name, ordinal, since_params
from .shapes import Shape

# Joins reused by several templates: a customer's order lines with product and subcategory.
_BOUGHT = """customers c JOIN orders o ON o.customer_id = c.id JOIN order_items oi ON oi.order_id = o.id
             JOIN products p ON oi.product_id = p.id JOIN categories cat ON p.category_id = cat.id"""


def _two(pool, r) -> tuple:
    return tuple(r.sample(tuple(pool), 2))


def _bad_reviews(f: Facts, r) -> dict:
    stars = r.choice((1, 2))
    return {"max_stars": stars, "stars_text": "one-star" if stars == 1 else "one- or two-star",
            "year": r.choice(f.years)}


def _nth_order(f: Facts, r) -> dict:
    n = r.randint(2, 4)
    return {"customer": r.choice(f.repeat_customers), "nth": n, "nth_text": ordinal(n)}


ADVANCED: tuple[Shape, ...] = (
    Shape(
        "distinct_products_of_customer", "hard",
        """SELECT COUNT(DISTINCT oi.product_id) FROM orders o JOIN order_items oi ON oi.order_id = o.id
           JOIN customers c ON o.customer_id = c.id WHERE c.name = {customer}""",
        ("How many different products has {customer} ordered?",
         "Count the distinct products {customer} has bought.",
         "How many unique items appear across all of {customer}'s orders?",
         "{customer} has purchased how many distinct products in total?"),
        lambda f, r: {"customer": r.choice(f.repeat_customers)},
    ),
    Shape(
        "well_rated_products", "hard",
        """SELECT p.name, AVG(r.rating), COUNT(*) FROM products p JOIN reviews r ON r.product_id = p.id
           GROUP BY p.id, p.name HAVING COUNT(*) >= {n} AND AVG(r.rating) >= {min_avg}""",
        ("Which products have at least {n} reviews and an average rating of {min_avg} or more? "
         + "Show name, average rating and number of reviews.",
         "List products reviewed {n} or more times whose mean rating is at least {min_avg}, with the average "
         + "and the review count.",
         "Find well-rated products: average rating {min_avg} or higher from at least {n} reviews. Include the "
         + "average and the count.",
         "Show the name, average stars and review count of every product with {n}+ reviews averaging "
         + "{min_avg} or better."),
        lambda f, r: {"n": r.randint(5, 12), "min_avg": r.choice((3.5, 4.0, 4.2, 4.5))},
    ),
    Shape(
        "pricier_than_category_average", "hard",
        """SELECT p.name, p.price FROM products p JOIN categories c ON p.category_id = c.id
           WHERE c.name = {sub}
             AND p.price > (SELECT AVG(p2.price) FROM products p2 WHERE p2.category_id = p.category_id)""",
        ("Which {sub} products are priced above the average for their category? Show names and prices.",
         "List the {sub} items that cost more than the average {sub} price, with prices.",
         "In {sub}, what products are more expensive than the category's mean price? Include the price.",
         "Find {sub} products whose price beats the average price of {sub}; give name and price."),
        lambda f, r: {"sub": r.choice(f.subcategories)},
    ),
    Shape(
        "customers_who_never_ordered", "hard",
        """SELECT c.name, c.email FROM customers c WHERE c.country = {country}
           AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)""",
        ("Which customers from {country_text} have never placed an order? Give name and email.",
         "List registered customers in {country_text} who haven't ordered anything yet, with their emails.",
         "Show customers in {country_text} with no orders at all: name and email.",
         "Who in {country_text} signed up but never bought anything? I need names and emails."),
        lambda f, r: country_params(r.choice(f.countries)),
    ),
    Shape(
        "category_sales_in_year", "hard",
        """SELECT SUM(oi.quantity * oi.unit_price) FROM order_items oi JOIN orders o ON oi.order_id = o.id
           JOIN products p ON oi.product_id = p.id JOIN categories c ON p.category_id = c.id
           WHERE c.name = {sub} AND strftime('%Y', o.order_date) = {year}""",
        ("What was the total sales revenue from {sub} products in {year}, using quantity times unit price?",
         "How much money did {sub} items bring in during {year}, based on the order lines?",
         "Add up quantity multiplied by unit price for all {sub} products sold in {year}.",
         "What were the {year} sales (quantity times price paid) for the {sub} category?"),
        lambda f, r: {"sub": r.choice(f.subcategories), "year": r.choice(f.years)},
    ),
    Shape(
        "best_sellers_in_country", "extra",
        f"""SELECT p.name, SUM(oi.quantity) AS units FROM {_BOUGHT}
           WHERE c.country = {{country}} GROUP BY p.id, p.name ORDER BY units DESC LIMIT {{k}}""",
        ("What are the top {k} products by units sold to customers in {country_text}?",
         "Which {k} products have customers from {country_text} bought the most of? Show units, highest first.",
         "List the {k} best-selling items among shoppers in {country_text}, with total quantity, most first.",
         "Rank products by quantity ordered by customers in {country_text} and show the top {k} with their units."),
        lambda f, r: {**country_params(r.choice(f.big_countries)), "k": r.randint(2, 5)},
    ),
    Shape(
        "customers_in_both_categories", "extra",
        f"""SELECT c.name FROM {_BOUGHT} WHERE cat.name = {{sub1}}
           INTERSECT SELECT c.name FROM {_BOUGHT} WHERE cat.name = {{sub2}}""",
        ("Which customers have bought from both {sub1} and {sub2}?",
         "List customers who ordered at least one {sub1} product and at least one {sub2} product.",
         "Who has purchased items in the {sub1} category as well as in {sub2}?",
         "Find the names of shoppers with orders in both {sub1} and {sub2}."),
        lambda f, r: dict(zip(("sub1", "sub2"), _two(f.subcategories, r))),
    ),
    Shape(
        "buyers_who_never_reviewed", "hard",
        """SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = {country}
           EXCEPT SELECT c.name FROM customers c JOIN reviews r ON r.customer_id = c.id""",
        ("Which customers from {country_text} have placed orders but never written a review?",
         "List customers from {country_text} who have bought something yet left no reviews.",
         "Who in {country_text} has ordered from us but never reviewed a product?",
         "Find customers in {country_text} with at least one order and zero reviews."),
        lambda f, r: country_params(r.choice(f.countries)),
    ),
    Shape(
        "bad_review_or_returned", "extra",
        """SELECT p.name FROM products p JOIN reviews r ON r.product_id = p.id
           WHERE r.rating <= {max_stars} AND strftime('%Y', r.created_at) = {year}
           UNION
           SELECT p.name FROM products p JOIN order_items oi ON oi.product_id = p.id
           JOIN orders o ON oi.order_id = o.id WHERE o.status = 'returned' AND strftime('%Y', o.order_date) = {year}""",
        ("Which products either got a {stars_text} review in {year} or were part of a returned order placed "
         + "in {year}?",
         "List the products that in {year} received a {stars_text} review or appeared in a returned order.",
         "Show every product given a {stars_text} rating in {year}, together with products from orders "
         + "placed in {year} that were returned (no repeats).",
         "Combine two lists for {year}: products with {stars_text} reviews, and products in returned orders. "
         + "Show each name once."),
        _bad_reviews,
    ),
    Shape(
        "above_average_order_value", "hard",
        """SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = {country}
           GROUP BY c.id, c.name HAVING AVG(o.total) > (SELECT AVG(total) FROM orders)""",
        ("Which customers in {country_text} have an average order value higher than the store-wide average?",
         "List customers in {country_text} whose typical order (their mean order total) beats the average across "
         + "all orders.",
         "Find customers from {country_text} who spend more per order on average than the average order overall.",
         "Who in {country_text} has a mean order total above the overall mean order total?"),
        lambda f, r: country_params(r.choice(f.countries)),
    ),
    Shape(
        "department_product_counts", "hard",
        """SELECT d.name, COUNT(*) FROM categories d JOIN categories c ON c.parent_id = d.id
           JOIN products p ON p.category_id = c.id WHERE p.price > {price} GROUP BY d.id, d.name""",
        ("Which departments have products priced over ${price}, and how many each, counting all their subcategories?",
         "For each top-level category that has products above ${price}, count them across its subcategories.",
         "Per department, how many items cost more than ${price}? Roll subcategories up into their parent and "
         + "skip departments with none.",
         "Break down the number of products above ${price} by top-level category, leaving out categories with none."),
        lambda f, r: {"price": r.choice((20, 25, 30, 40, 50, 60, 75, 100, 150, 200))},
    ),
    Shape(
        "department_ratings_in_year", "extra",
        """SELECT d.name, AVG(r.rating) FROM reviews r JOIN products p ON r.product_id = p.id
           JOIN categories c ON p.category_id = c.id JOIN categories d ON c.parent_id = d.id
           WHERE strftime('%Y', r.created_at) = {year} GROUP BY d.id, d.name""",
        ("What was the average review rating for each department in {year}?",
         "For reviews written in {year}, show the mean rating per top-level category.",
         "Give each department's average star rating across {year}'s reviews, grouping subcategories "
         + "under their parent.",
         "How did the departments score in {year}? Average rating of that year's reviews, per department."),
        lambda f, r: {"year": r.choice(f.years)},
    ),
    Shape(
        "large_orders_in_year", "hard",
        """SELECT COUNT(*) FROM (SELECT oi.order_id FROM order_items oi JOIN orders o ON oi.order_id = o.id
           WHERE strftime('%Y', o.order_date) = {year} GROUP BY oi.order_id HAVING COUNT(*) >= {n})""",
        ("How many orders placed in {year} contained at least {n} different products?",
         "Count the {year} orders that had {n} or more distinct products in them.",
         "In {year}, how many orders included {n} or more different items?",
         "What number of orders from {year} were made up of at least {n} separate products?"),
        lambda f, r: {"year": r.choice(f.years), "n": r.randint(2, 4)},
    ),
    Shape(
        "customers_active_in_two_years", "hard",
        """SELECT COUNT(*) FROM customers
           WHERE id IN (SELECT customer_id FROM orders WHERE strftime('%Y', order_date) = {y1})
             AND id IN (SELECT customer_id FROM orders WHERE strftime('%Y', order_date) = {y2})""",
        ("How many customers placed orders in both {y1} and {y2}?",
         "Count the customers who ordered at least once in {y1} and at least once in {y2}.",
         "How many shoppers were active in {y1} as well as in {y2}?",
         "What is the number of customers with orders in {y1} and also in {y2}?"),
        lambda f, r: dict(zip(("y1", "y2"), sorted(_two(f.years, r)))),
    ),
    Shape(
        "distinct_countries_buying_category", "hard",
        f"SELECT DISTINCT c.country FROM {_BOUGHT} WHERE cat.name = {{sub}} AND c.country IS NOT NULL",
        ("Which countries have customers who bought {sub} products? Skip customers with no country.",
         "List the distinct countries that {sub} items were sold to, ignoring unknown countries.",
         "From which countries (where known) have people ordered anything in {sub}?",
         "Name every known customer country with at least one {sub} purchase, each once."),
        lambda f, r: {"sub": r.choice(f.subcategories)},
    ),
    Shape(
        "first_order_year_by_country", "extra",
        """WITH first_orders AS (SELECT customer_id, MIN(order_date) AS first_date FROM orders GROUP BY customer_id)
           SELECT COUNT(*) FROM first_orders f JOIN customers c ON c.id = f.customer_id
           WHERE c.country = {country} AND strftime('%Y', f.first_date) = {year}""",
        ("How many customers from {country_text} placed their very first order in {year}?",
         "Count the customers in {country_text} whose earliest order falls in {year}.",
         "In {year}, how many shoppers from {country_text} ordered from us for the first time?",
         "How many customers in {country_text} had their first purchase in {year}?"),
        lambda f, r: {**country_params(r.choice(f.big_countries)), "year": r.choice(f.years)},
    ),
    Shape(
        "lifetime_spend_over", "hard",
        """WITH spend AS (SELECT customer_id, SUM(total) AS spent FROM orders WHERE status <> 'cancelled'
           GROUP BY customer_id) SELECT COUNT(*) FROM spend WHERE spent > {amount}""",
        ("How many customers have spent more than ${amount} in total, not counting cancelled orders?",
         "Count the customers whose non-cancelled orders add up to over ${amount}.",
         "Leaving out cancelled orders, how many customers have a lifetime spend above ${amount}?",
         "What number of customers passed ${amount} in total spending, ignoring cancelled orders?"),
        lambda f, r: {"amount": r.choice((250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000))},
    ),
    Shape(
        "priciest_product_per_subcategory", "extra",
        """SELECT category, name, price FROM (
             SELECT c.name AS category, p.name, p.price,
                    RANK() OVER (PARTITION BY p.category_id ORDER BY p.price DESC) AS price_rank
             FROM products p JOIN categories c ON p.category_id = c.id JOIN categories d ON c.parent_id = d.id
             WHERE d.name = {dept}) WHERE price_rank = 1""",
        ("For each subcategory of {dept}, what is its most expensive product and its price?",
         "Show the priciest item in every {dept} subcategory, with the subcategory name and price.",
         "List, per subcategory under {dept}, the product with the highest price.",
         "Within {dept}, which product tops each subcategory on price? Give subcategory, product and price."),
        lambda f, r: {"dept": r.choice(f.departments)},
        allow_empty=True,
    ),
    Shape(
        "running_revenue_by_month", "extra",
        """WITH monthly AS (SELECT strftime('%m', order_date) AS month, SUM(total) AS revenue FROM orders
             WHERE strftime('%Y', order_date) = {year} GROUP BY month)
           SELECT month, revenue, SUM(revenue) OVER (ORDER BY month) FROM monthly ORDER BY month""",
        ("Show each month of {year} with its order revenue and the running total so far.",
         "For {year}, list month by month the total order value and a cumulative total.",
         "Give the monthly order totals for {year} along with a year-to-date running sum, in month order.",
         "What was revenue per month in {year}, and how did the cumulative revenue build up month by month?"),
        lambda f, r: {"year": r.choice(f.years)},
    ),
    Shape(
        "monthly_order_change", "extra",
        """WITH monthly AS (SELECT strftime('%Y-%m', order_date) AS month, COUNT(*) AS n FROM orders
             WHERE strftime('%Y', order_date) = {year} GROUP BY month)
           SELECT month, n, n - LAG(n) OVER (ORDER BY month) FROM monthly ORDER BY month""",
        ("For each month of {year}, how many orders were there and how did that change from the previous month?",
         "Show {year}'s monthly order counts in order, with the difference from the month before.",
         "List month, number of orders and the change versus the prior month, for {year}.",
         "Month over month in {year}: order count and the increase or decrease compared to the previous month."),
        lambda f, r: {"year": r.choice(f.years)},
    ),
    Shape(
        "nth_order_of_customer", "extra",
        """SELECT order_date, total FROM (
             SELECT o.order_date, o.total, ROW_NUMBER() OVER (ORDER BY o.order_date) AS order_number
             FROM orders o JOIN customers c ON o.customer_id = c.id WHERE c.name = {customer})
           WHERE order_number = {nth}""",
        ("When did {customer} place their {nth_text} order, and what was its total?",
         "Give the date and total of {customer}'s {nth_text} order ever.",
         "What were the date and amount of the {nth_text} order {customer} made?",
         "Counting from their earliest, show the date and total of order number {nth} for {customer}."),
        _nth_order,
    ),
    Shape(
        "top_month_per_year", "extra",
        """SELECT year, month FROM (
             SELECT strftime('%Y', order_date) AS year, strftime('%m', order_date) AS month,
                    RANK() OVER (PARTITION BY strftime('%Y', order_date) ORDER BY COUNT(*) DESC) AS busy_rank
             FROM orders WHERE order_date >= {since} GROUP BY year, month)
           WHERE busy_rank = 1""",
        ("Starting from {since_text}, which month of each year had the most orders?",
         "For every year since {since_text}, find the busiest month by number of orders.",
         "Counting only orders from {since_text} on, what was the peak month in each year?",
         "Per year, which month saw the highest order count (orders placed on or after {since_text})?"),
        lambda f, r: since_params(r.choice(f.months[:-8]), month_name),
    ),
)
