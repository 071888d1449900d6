"""Spider loaders and the e-commerce denylist, on the real Spider files (skipped where absent)."""

from __future__ import annotations

import json

import pytest
from nichelm.training import spider_data
from nichelm.training.denylist import (
    ECOMMERCE_DENYLIST,
    REASONS,
    DenylistViolation,
    assert_not_denylisted,
    denylisted,
)

try:
    SPIDER = spider_data.spider_dir()
except spider_data.SpiderDataMissing:  # pragma: no cover - depends on the machine
    SPIDER = None
needs_spider = pytest.mark.skipif(SPIDER is None, reason="Spider data not present (set NICHELM_SPIDER_DIR)")


@needs_spider
def test_splits_load_with_paths():
    train = spider_data.load_split("train")
    dev = spider_data.load_split("dev")
    assert len(train) == 7000 and len(dev) == 1034
    ex = dev[0]
    assert ex.db_path is not None and ex.db_path.name == f"{ex.db_id}.sqlite"
    # wta_1 (dev) is missing from this copy: its examples carry no path.
    assert all(e.db_path is None for e in dev if e.db_id == "wta_1")


@needs_spider
def test_every_denylisted_db_exists_in_spider():
    ids = set(spider_data.tables_json())
    assert ECOMMERCE_DENYLIST <= ids
    assert all(REASONS[d] for d in ECOMMERCE_DENYLIST)


@needs_spider
def test_schema_from_file_and_fallback_agree_on_tables():
    from_file = spider_data.schema_for("concert_singer")
    fallback = spider_data.schema_from_tables_json(spider_data.tables_json()["concert_singer"])
    assert [t.name.lower() for t in from_file.tables] == [t.name.lower() for t in fallback.tables]
    for a, b in zip(from_file.tables, fallback.tables):
        assert [c.name for c in a.columns] == [c.name for c in b.columns]
        # tables.json records only part of some composite keys (singer_in_concert), never a wrong one.
        assert set(b.primary_key) <= set(a.primary_key)


@needs_spider
def test_missing_database_uses_tables_json():
    assert spider_data.database_path("baseball_1") is None
    text = spider_data.schema_text("baseball_1")
    assert "CREATE TABLE all_star" in text and "FOREIGN KEY (player_id) REFERENCES player" in text


@needs_spider
def test_schema_text_with_examples_shows_values():
    assert "-- e.g." in spider_data.schema_text("concert_singer", with_examples=True)
    assert "-- e.g." not in spider_data.schema_text("concert_singer")


def test_spider_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("NICHELM_SPIDER_DIR", str(tmp_path))
    with pytest.raises(spider_data.SpiderDataMissing):
        spider_data.spider_dir()
    (tmp_path / "tables.json").write_text(json.dumps([]))
    (tmp_path / "dev.json").write_text(json.dumps([{"db_id": "x", "question": "q?", "query": "SELECT 1"}]))
    assert spider_data.load_split("dev") == [spider_data.SpiderExample("x", "q?", "SELECT 1", None)]
    with pytest.raises(ValueError):
        spider_data.load_split("test")


def test_denylist_check():
    assert denylisted(["concert_singer", "Store_1", "department_store"]) == ["Store_1", "department_store"]
    assert_not_denylisted(["concert_singer", "pets_1"])
    with pytest.raises(DenylistViolation, match="customers_and_invoices"):
        assert_not_denylisted(["pets_1", "customers_and_invoices"])
