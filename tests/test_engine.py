"""The engine and the question->SQL service on a real llama.cpp model (tiny SmolLM2)."""

import sqlite3
import threading

import pytest

from nichelm.assistant.engine import Cancelled, Engine, EngineSettings
from nichelm.assistant.errors import ModelNotFound
from nichelm.assistant.schema import read_schema, render_schema
from nichelm.assistant.service import SchemaCache, answer_question


@pytest.fixture(scope="module")
def engine(tiny_model_path):
    eng = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=48, n_threads=2))
    yield eng
    eng.close()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "pets.sqlite"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, species TEXT, age INTEGER);"
                      "INSERT INTO pets VALUES (1,'Rex','dog',3),(2,'Tom','cat',5);")
    con.close()
    return path


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFound, match="nichelm pull"):
        Engine(EngineSettings(str(tmp_path / "none.gguf")))


def test_prompt_uses_the_models_chat_template(engine):
    text = engine.prompt_text([{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}])
    assert "<|im_start|>system\nS<|im_end|>" in text
    assert text.rstrip().endswith("<|im_start|>assistant")


def test_generation_is_deterministic_and_reuses_the_schema_prefix(engine, db):
    schema_text = render_schema(read_schema(db))
    first = engine.generate(schema_text, "How many pets are there?")
    second = engine.generate(schema_text, "How many dogs are there?")
    again = engine.generate(schema_text, "How many dogs are there?")
    assert second.text == again.text
    assert first.completion_tokens > 0
    # The system message (instructions + schema) is shared, so most of the prompt comes from the cache.
    assert second.cached_tokens > 0.7 * second.prompt_tokens


def test_cancel_stops_generation(engine, db):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        engine.generate(render_schema(read_schema(db)), "List pets", cancel=cancel)


def test_answer_question_returns_sql_or_explains(engine, db):
    schema = SchemaCache().get(str(db))
    ans = answer_question(engine, schema, "List the names of all pets.", db_path=str(db))
    # A 135M model may answer badly; the service must still return either SQL or a reason.
    assert ans.sql or ans.problems
    assert ans.latency_s > 0
    voted = answer_question(engine, schema, "List the names of all pets.", db_path=str(db), candidates=3)
    assert voted.candidates == 3


def test_schema_cache_rereads_after_ddl(db):
    cache = SchemaCache()
    s1 = cache.get(str(db))
    assert cache.get(str(db)) is s1
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE pets ADD COLUMN owner TEXT")
    con.commit()
    con.close()
    s2 = cache.get(str(db))
    assert s2 is not s1 and s2.table("pets").column("owner") is not None
