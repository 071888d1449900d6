"""Reading a database's schema into the model before its first question (engine.warm, service.warm_schema), on a
real llama.cpp model (tiny SmolLM2)."""

import sqlite3

from nichelm.assistant.engine import Engine, EngineSettings
from nichelm.assistant.service import SchemaCache, answer_question, warm_schema


def _db(path, table: str):
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, city TEXT, joined TEXT)")
    con.execute(f"INSERT INTO {table} VALUES (1, 'Ada', 'London', '2024-01-02')")
    con.commit()
    con.close()
    return str(path)


def test_a_warmed_schema_leaves_only_the_question_to_evaluate(tiny_model_path, tmp_path):
    members = _db(tmp_path / "club.sqlite", "members")
    schema = SchemaCache().get(members)
    engine = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=24, n_threads=2, n_gpu_layers=0))
    try:
        evaluated = warm_schema(engine, schema)
        assert evaluated > 50 and warm_schema(engine, schema) == 0  # the second time the cache has it
        warmed = answer_question(engine, schema, "How many members are there?")
    finally:
        engine.close()
    cold_engine = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=24, n_threads=2,
                                        n_gpu_layers=0))
    try:
        cold = answer_question(cold_engine, schema, "How many members are there?")
    finally:
        cold_engine.close()
    assert warmed.cached_tokens >= evaluated and warmed.cached_tokens > 0.8 * warmed.prompt_tokens
    assert cold.cached_tokens == 0
    assert warmed.raw == cold.raw  # warming changes when the schema is read, not the answer


def test_a_schema_over_the_budget_is_not_warmed(tiny_model_path, tmp_path):
    schema = SchemaCache().get(_db(tmp_path / "club.sqlite", "members"))
    engine = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=24, n_threads=2, n_gpu_layers=0))
    try:
        # over the budget the tables shown depend on the question: nothing to read ahead
        assert warm_schema(engine, schema, budget_tokens=10) is None
    finally:
        engine.close()
