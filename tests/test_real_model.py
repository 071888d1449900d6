"""The shipped model (Qwen2.5-Coder-1.5B Q4_K_M + its default NicheLM adapter) on real questions.

Slow: needs the 1.1 GB base (`nichelm pull`; or NICHELM_TEST_BASE=path/to/the.gguf)."""

import os
import sqlite3
from pathlib import Path

import pytest

from nichelm.assistant import models
from nichelm.assistant.engine import Engine, EngineSettings
from nichelm.assistant.service import SchemaCache, answer_question
from nichelm.assistant.sqlite_io import execute_readonly

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine():
    base = os.environ.get("NICHELM_TEST_BASE")
    if base is None:
        base = str(models.ensure(models.DEFAULT_MODEL))
    adapter = models.local_path(models.get_spec(models.default_adapter(models.DEFAULT_MODEL)))
    eng = Engine(EngineSettings(base, str(adapter), n_ctx=4096))
    yield eng
    eng.close()


@pytest.fixture
def shop(tmp_path) -> Path:
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, country TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             order_date TEXT, total REAL);
        INSERT INTO customers VALUES (1, 'Ann', 'France'), (2, 'Bob', 'Spain'), (3, 'Cy', 'France');
        INSERT INTO orders VALUES (1, 1, '2024-01-05', 10.0), (2, 1, '2024-02-01', 5.5),
                                  (3, 2, '2023-12-30', 7.0), (4, 3, '2024-03-03', 1.0);
    """)
    con.close()
    return path


@pytest.mark.parametrize("question, expected", [
    ("How many customers are there?", [(3,)]),
    ("How many orders were placed in 2024?", [(3,)]),
    ("What is the total of all orders by customers from France?", [(16.5,)]),
])
def test_shipped_model_answers_simple_questions_correctly(engine, shop, question, expected):
    schema = SchemaCache().get(str(shop))
    answer = answer_question(engine, schema, question, db_path=str(shop))
    assert answer.sql, answer.problems
    assert execute_readonly(shop, answer.sql).rows == expected, answer.sql
