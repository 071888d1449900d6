"""The e-commerce database: reproducible bytes, consistent data, the edge cases questions rely on,
and the cached demo copy under NICHELM_HOME."""

from __future__ import annotations

import re
import sqlite3

import pytest
from nichelm.eval.ecommerce import reference
from nichelm.eval.ecommerce.generate import build_database, content_sha256, file_sha256

TABLES = ("customers", "categories", "products", "orders", "order_items", "reviews")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two builds with the default seed and one with another seed."""
    d = tmp_path_factory.mktemp("shop")
    return build_database(d / "a.sqlite"), build_database(d / "b.sqlite"), build_database(d / "c.sqlite", seed=7)


@pytest.fixture(scope="module")
def con(built):
    c = sqlite3.connect(f"file:{built[0]}?mode=ro", uri=True)
    yield c
    c.close()


def one(con, sql):
    return con.execute(sql).fetchone()[0]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(built):
    a, b, c = built
    assert file_sha256(a) == file_sha256(b)
    assert a.read_bytes() == b.read_bytes()
    assert file_sha256(c) != file_sha256(a)
    assert content_sha256(c) != content_sha256(a)


def test_committed_reference_is_a_fresh_build(built):
    import faker

    ref = reference.manifest()
    assert reference.REFERENCE_DB.stat().st_size < 2_000_000
    assert file_sha256(reference.REFERENCE_DB) == ref["sha256"], "reference file does not match its manifest"
    if faker.VERSION != ref["faker_version"]:
        pytest.skip(f"Faker {faker.VERSION} installed; the reference was built with {ref['faker_version']}")
    assert content_sha256(built[0]) == ref["content_sha256"]
    if sqlite3.sqlite_version == ref["sqlite_version"]:  # the file header records the SQLite version
        assert file_sha256(built[0]) == ref["sha256"]


def test_sizes_are_realistic(con):
    counts = {t: one(con, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    assert 300 <= counts["customers"] <= 1000
    assert counts["orders"] >= 2000
    assert counts["order_items"] > counts["orders"]
    assert counts["reviews"] >= 500
    assert counts["products"] >= 100


def test_foreign_keys_hold_and_every_foreign_key_is_indexed(con):
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    n_fks = 0
    for table in TABLES:
        indexed = {tuple(c[2] for c in con.execute(f"PRAGMA index_info('{ix[1]}')"))
                   for ix in con.execute(f"PRAGMA index_list('{table}')")}
        for fk in con.execute(f"PRAGMA foreign_key_list('{table}')"):
            n_fks += 1
            assert (fk[3],) in indexed, f"{table}.{fk[3]} is a foreign key without an index"
    assert n_fks == 7


def test_email_is_unique_in_the_schema(con):
    sql = one(con, "SELECT sql FROM sqlite_master WHERE name = 'customers'")
    assert re.search(r"email TEXT NOT NULL UNIQUE", sql)
    assert one(con, "SELECT COUNT(*) - COUNT(DISTINCT email) FROM customers") == 0


def test_order_totals_equal_their_lines_and_stock_is_not_negative(con):
    bad = con.execute(
        "SELECT o.id FROM orders o JOIN order_items oi ON oi.order_id = o.id GROUP BY o.id "
        "HAVING ABS(o.total - SUM(oi.quantity * oi.unit_price)) > 0.005"
    ).fetchall()
    assert bad == []
    assert one(con, "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS "
                    "(SELECT 1 FROM order_items oi WHERE oi.order_id = o.id)") == 0
    assert one(con, "SELECT MIN(stock) FROM products") == 0  # some out of stock, none negative


def test_reviews_come_from_customers_who_bought_the_product_earlier(con):
    assert one(con, """SELECT COUNT(*) FROM reviews r WHERE NOT EXISTS (
        SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.id
        WHERE o.customer_id = r.customer_id AND oi.product_id = r.product_id AND o.order_date < r.created_at)""") == 0
    assert one(con, "SELECT COUNT(*) FROM reviews WHERE rating NOT BETWEEN 1 AND 5") == 0


def test_dates_are_iso_text_in_fixed_bounds(con):
    for table, col, pattern in (("customers", "signup_date", "____-__-__"), ("orders", "order_date", "____-__-__"),
                                ("reviews", "created_at", "____-__-__ __:__:__")):
        assert one(con, f"SELECT COUNT(*) FROM {table} WHERE {col} NOT LIKE '{pattern}' "
                        f"OR date({col}) IS NULL") == 0
        assert one(con, f"SELECT MIN({col}) >= '2022-01-01' AND MAX({col}) <= '2025-06-30 99' FROM {table}") == 1
    assert one(con, "SELECT COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id "
                    "WHERE o.order_date < c.signup_date") == 0


def test_edge_cases_exist(con):
    assert one(con, "SELECT COUNT(*) FROM customers c WHERE NOT EXISTS "
                    "(SELECT 1 FROM orders o WHERE o.customer_id = c.id)") >= 20
    assert one(con, "SELECT COUNT(*) FROM products p WHERE NOT EXISTS "
                    "(SELECT 1 FROM order_items oi WHERE oi.product_id = p.id)") >= 3
    assert one(con, "SELECT COUNT(*) FROM customers WHERE country IS NULL") >= 5
    assert one(con, "SELECT COUNT(*) FROM products WHERE category_id IS NULL") >= 1
    assert one(con, "SELECT COUNT(*) FROM reviews WHERE body IS NULL") >= 10
    empty = con.execute("SELECT name FROM categories c WHERE NOT EXISTS (SELECT 1 FROM products p "
                        "WHERE p.category_id = c.id) AND NOT EXISTS (SELECT 1 FROM categories k "
                        "WHERE k.parent_id = c.id) ORDER BY name").fetchall()
    assert [r[0] for r in empty] == ["Gift Cards", "Smartwatches"]


def test_categories_form_two_levels(con):
    assert one(con, "SELECT COUNT(*) FROM categories c JOIN categories p ON c.parent_id = p.id "
                    "WHERE p.parent_id IS NOT NULL") == 0
    assert one(con, "SELECT COUNT(*) FROM categories WHERE parent_id IS NULL") >= 5
    # products hang off subcategories only
    assert one(con, "SELECT COUNT(*) FROM products p JOIN categories c ON p.category_id = c.id "
                    "WHERE c.parent_id IS NULL") == 0


def test_demo_database_is_copied_verified_and_repaired(nichelm_home):
    path = reference.demo_database_path()
    assert path.parent.parent == nichelm_home
    assert file_sha256(path) == reference.manifest()["sha256"]
    con = sqlite3.connect(path)  # a user allowed a write in the REPL
    con.execute("DELETE FROM reviews WHERE id = 1")
    con.commit()
    con.close()
    assert file_sha256(path) != reference.manifest()["sha256"]
    again = reference.demo_database_path()
    assert again == path and file_sha256(again) == reference.manifest()["sha256"]


def test_demo_database_path_is_importable_from_generate_as_the_repl_does(nichelm_home):
    from nichelm.eval.ecommerce.generate import demo_database_path

    path = demo_database_path()
    assert path == nichelm_home / "demo" / "ecommerce.sqlite"
    assert file_sha256(path) == reference.manifest()["sha256"]


def test_demo_database_is_built_from_the_seed_when_the_packaged_file_is_missing(nichelm_home, monkeypatch, tmp_path):
    import faker

    monkeypatch.setattr(reference, "REFERENCE_DB", tmp_path / "not-shipped.sqlite")
    path = reference.demo_database_path()
    ref = reference.manifest()
    sidecar = path.with_name(path.name + ".sha256").read_text().strip()
    assert sidecar == file_sha256(path)
    if faker.VERSION == ref["faker_version"] and sqlite3.sqlite_version == ref["sqlite_version"]:
        assert sidecar == ref["sha256"]
    assert reference.demo_database_path() == path  # accepted by its recorded hash, not rebuilt
