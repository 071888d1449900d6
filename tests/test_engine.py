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


def test_repair_asks_again_only_when_sqlite_cannot_compile(engine, db, tmp_path):
    schema = SchemaCache().get(str(db))
    q = "List the names of all pets."
    plain = answer_question(engine, schema, q, db_path=str(db))
    # a database whose table has another name: whatever the model writes about `pets` cannot compile
    other = tmp_path / "animals.sqlite"
    con = sqlite3.connect(other)
    con.executescript("CREATE TABLE animals (id INTEGER PRIMARY KEY, label TEXT);")
    con.close()
    tried = answer_question(engine, schema, q, db_path=str(other), repair=True)
    assert tried.completion_tokens > plain.completion_tokens  # a second generation happened
    if tried.repaired:  # replaced only by SQL that compiles there
        assert tried.first_sql and tried.sql and "animals" in tried.sql.lower()
    else:
        assert tried.sql == plain.sql and tried.first_sql is None
    # on the right database a compiling first answer is left alone
    if plain.sql:
        from nichelm.assistant.sqlite_io import prepare_error

        if prepare_error(db, plain.sql) is None:
            again = answer_question(engine, schema, q, db_path=str(db), repair=True)
            assert (again.sql, again.completion_tokens, again.repaired) == (plain.sql, plain.completion_tokens, False)
