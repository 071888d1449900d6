"""Spider databases that look like the held-out e-commerce schema and so never go into training.

NicheLM's headline number is accuracy on an e-commerce schema the model has never seen. Spider has many
databases whose core is customers, orders, products, invoices, shops or product reviews; training on them
would leak the evaluation domain. Each entry says why it is here; the choice was made by reading every
schema in tables.json (there is no database literally called ``e_commerce`` in this Spider copy).
"""

from __future__ import annotations

from collections.abc import Iterable

REASONS: dict[str, str] = {
    "chinook_1": "customers, invoices and invoice lines of tracks sold (a store schema)",
    "coffee_shop": "shops, members with purchase times and spending totals",
    "cre_Drama_Workshop_Groups": "customers, stores, customer orders, order items, invoices, products",
    "customer_complaints": "customers and products at its core (complaints about products)",
    "customer_deliveries": "customers, products, regular/actual orders and order deliveries",
    "customers_and_addresses": "customers, products, customer orders, order items",
    "customers_and_invoices": "customers, orders, invoices, products, product categories, order items",
    "customers_and_products_contacts": "customers, products, customer orders, order items",
    "customers_campaigns_ecommerce": "explicitly e-commerce: customers, products, orders, order items",
    "customers_card_transactions": "customers, cards and financial transactions (payments)",
    "department_store": "customers, products, customer orders, order items, suppliers, stores",
    "device": "shops and their stock of products (devices)",
    "epinions_1": "product items with user reviews and ratings (like the reviews table)",
    "manufactory_1": "a product catalogue with prices by manufacturer",
    "phone_market": "products (phones) with prices and their stock in markets",
    "product_catalog": "product catalogues, catalogue contents with prices",
    "products_for_hire": "customers, products, bookings, payments, discount coupons",
    "products_gen_characteristics": "products, product categories and characteristics",
    "sakila_1": "customers, payments, stores, inventory (a rental shop)",
    "shop_membership": "shop branches, members and purchases",
    "store_1": "customers, invoices, invoice lines of tracks sold (a store schema)",
    "store_product": "products, stores and what each store sells",
    "tracking_orders": "customers, orders, order items, products, invoices, shipments",
}

ECOMMERCE_DENYLIST: frozenset[str] = frozenset(REASONS)


class DenylistViolation(ValueError):
    """Raised when an e-commerce-like database reaches the training data."""

    code = "denylist_violation"


def denylisted(db_ids: Iterable[str]) -> list[str]:
    """The sorted distinct db_ids among *db_ids* that are on the denylist (case-insensitive)."""
    low = {d.lower() for d in ECOMMERCE_DENYLIST}
    return sorted({d for d in db_ids if d.lower() in low})


def assert_not_denylisted(db_ids: Iterable[str]) -> None:
    """Raise DenylistViolation naming every denylisted db_id found in *db_ids*."""
    bad = denylisted(db_ids)
    if bad:
        raise DenylistViolation(
            f"e-commerce-like Spider databases must not be used for training: {', '.join(bad)}"
        )
