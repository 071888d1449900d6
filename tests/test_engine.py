"""The engine and the question->SQL service on a real llama.cpp model (tiny SmolLM2)."""

import sqlite3
import threading
import time

import pytest
from nichelm.assistant.engine import Cancelled, Engine, EngineSettings, Generation
from nichelm.assistant.errors import ModelNotFound
from nichelm.assistant.free_cores import MIN_WINDOW_S, FreeCores
from nichelm.assistant.schema import read_schema, render_schema
from nichelm.assistant.service import SchemaCache, _choose, answer_question


@pytest.fixture(scope="module")
def engine(tiny_model_path):
    eng = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=48, n_threads=2))
    yield eng
    eng.close()


PETS = "CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, species TEXT, age INTEGER);"


def make_db(path, script: str):
    con = sqlite3.connect(path)
    con.executescript(script)
    con.close()
    return path


@pytest.fixture
def db(tmp_path):
    return make_db(tmp_path / "pets.sqlite", PETS + "INSERT INTO pets VALUES (1,'Rex','dog',3),(2,'Tom','cat',5);")


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
    assert len(voted.candidate_sqls) == 3  # kept for replaying other votes over the same candidates
    assert voted.candidate_sqls[0] == ans.sql  # the greedy one first (no repair asked: ans.sql is the greedy SQL)


def _gens(*texts):
    return [Generation(t, 10, 5, 0.1) for t in texts]


def test_a_mistake_a_check_sees_does_not_outvote_a_right_answer(db):
    schema = SchemaCache().get(str(db))
    wrong = "SELECT name FROM pets WHERE species = 'Dog'"  # the data writes 'dog': a case the literal check sees
    right = "SELECT name FROM pets WHERE species = 'dog'"
    sql, _, agreement = _choose(_gens(wrong, wrong, right), schema, str(db), "Which pets are dogs?")
    assert (sql, agreement) == (right, 1)
    # with no candidate passing the checks, every one that runs votes, as before
    sql, _, agreement = _choose(_gens(wrong, "SELECT nam FROM pets", wrong), schema, str(db), "Which pets are dogs?")
    assert (sql, agreement) == (wrong, 2)
    # the greedy answer wins a tie among passing candidates
    other = "SELECT name FROM pets WHERE age > 4"
    assert _choose(_gens(right, other), schema, str(db), "Which pets are dogs?")[0] == right


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
    other = make_db(tmp_path / "animals.sqlite", "CREATE TABLE animals (id INTEGER PRIMARY KEY, label TEXT);")
    tried = answer_question(engine, schema, q, db_path=str(other), repair=True)
    assert tried.completion_tokens > plain.completion_tokens  # a second generation happened
    if tried.repaired:  # replaced only by SQL that compiles there
        assert tried.first_sql and tried.sql and "animals" in tried.sql.lower()
        assert "no such table" in tried.replaced_because  # SQLite's own reason, for the user
    else:
        assert tried.sql == plain.sql and tried.first_sql is None and tried.replaced_because is None
        # with retry_empty, a failed repair draws fresh samples; one replaces it only if it compiles there
        from nichelm.assistant.sqlite_io import prepare_error

        sampled = answer_question(engine, schema, q, db_path=str(other), repair=True, retry_empty=2)
        assert sampled.completion_tokens > tried.completion_tokens
        if sampled.repaired:
            assert prepare_error(other, sampled.sql) is None and "sampled afresh" in sampled.replaced_because
        else:
            assert sampled.sql == tried.sql
    # on the right database a compiling first answer is left alone
    if plain.sql:
        from nichelm.assistant.sqlite_io import prepare_error

        if prepare_error(db, plain.sql) is None:
            again = answer_question(engine, schema, q, db_path=str(db), repair=True)
            assert (again.sql, again.completion_tokens, again.repaired) == (plain.sql, plain.completion_tokens, False)


def test_retry_empty_takes_only_a_result_most_samples_agree_on(db):
    from nichelm.assistant.engine import Generation
    from nichelm.assistant.service import _agreed_sample, _empty

    schema = SchemaCache().get(str(db))
    assert _empty(str(db), "SELECT name FROM pets WHERE species = 'bird'")
    assert _empty(str(db), "SELECT AVG(age) FROM pets WHERE species = 'bird'")  # one row of NULL
    assert not _empty(str(db), "SELECT COUNT(*) FROM pets WHERE species = 'bird'")  # 0 is an answer
    assert not _empty(str(db), "SELECT nope FROM pets")  # does not run: not "empty"

    def gens(*sqls):
        return [Generation(s, 0, 0, 0.0) for s in sqls]

    dogs, cats = "SELECT name FROM pets WHERE species = 'dog'", "SELECT name FROM pets WHERE species = 'cat'"
    # three of four agree on Rex: the first of those three wins
    picked = _agreed_sample(gens(cats, "SELECT name FROM pets WHERE id = 1", dogs,
                                 "SELECT name FROM pets WHERE age < 4"), schema, str(db), need=2, allow_empty=False)
    assert picked is not None and picked[0] == "SELECT name FROM pets WHERE id = 1"
    # scattered samples, empty ones, failing ones and writes do not replace anything
    assert _agreed_sample(gens(cats, dogs, "SELECT nope FROM pets", "DELETE FROM pets"), schema, str(db),
                          need=2, allow_empty=False) is None
    nothing = gens("SELECT name FROM pets WHERE age > 9",) * 4
    assert _agreed_sample(nothing, schema, str(db), need=2, allow_empty=False) is None


def test_after_a_failed_repair_any_usable_sample_beats_the_error(db):
    from nichelm.assistant.engine import Generation
    from nichelm.assistant.service import _agreed_sample

    schema = SchemaCache().get(str(db))

    def pick(*sqls):
        found = _agreed_sample([Generation(s, 0, 0, 0.0) for s in sqls], schema, str(db), need=1, allow_empty=True)
        return found and found[0]

    dogs = "SELECT name FROM pets WHERE species = 'dog'"
    assert pick("SELECT nope FROM pets", "SELECT name FROM pets WHERE age > 9") == \
        "SELECT name FROM pets WHERE age > 9"  # an empty result is still a result
    assert pick("SELECT name FROM pets WHERE species = 'Dog'", dogs) == dogs  # a literal check finding is not
    assert pick("SELECT nope FROM pets", "DELETE FROM pets") is None


def test_retry_empty_samples_only_after_an_empty_result(engine, db, tmp_path):
    schema = SchemaCache().get(str(db))
    q = "List the names of all pets."
    plain = answer_question(engine, schema, q, db_path=str(db))
    # the same question on a copy of the table with no rows: every answer's result is empty
    empty = make_db(tmp_path / "empty.sqlite", PETS)
    from nichelm.assistant.sqlite_io import execute_readonly, prepare_error

    if not plain.sql or prepare_error(db, plain.sql) is not None:
        pytest.skip("the tiny model wrote no runnable SQL for this question")
    tried = answer_question(engine, schema, q, db_path=str(empty), retry_empty=2)
    assert tried.completion_tokens > plain.completion_tokens  # the samples were drawn
    assert not tried.repaired and tried.sql == plain.sql  # nothing non-empty to agree on: kept
    # a result with rows is left alone: no samples
    if execute_readonly(db, plain.sql).rows:
        again = answer_question(engine, schema, q, db_path=str(db), retry_empty=2)
        assert (again.sql, again.completion_tokens, again.repaired) == (plain.sql, plain.completion_tokens, False)


def test_retry_on_an_empty_result_is_the_default_only_on_a_gpu(engine):
    from types import SimpleNamespace

    from nichelm.assistant.service import RETRY_EMPTY, RETRY_EMPTY_GPU, default_retry_empty

    # this CPU build of llama.cpp: no layers offloaded, no retry unless asked for
    assert engine.gpu_layers == 0 and default_retry_empty(engine) == RETRY_EMPTY == 0
    assert default_retry_empty(SimpleNamespace(gpu_layers=-1)) == RETRY_EMPTY_GPU > 0  # all layers on a GPU
    assert default_retry_empty(SimpleNamespace(gpu_layers=12)) == RETRY_EMPTY_GPU


def test_doubt_candidates_are_drawn_only_when_the_first_answer_is_in_doubt(engine, db, monkeypatch):
    """The model's outputs are scripted (prompts, database and checks are real): a first answer that passes every check
    with rows costs nothing more, nor does one whose finding has a known fix (a value in the wrong letter case); one
    that trips a check without one (a name where a species goes) gets the candidates, and the vote keeps the result the
    candidates that pass every check share."""
    from nichelm.assistant.engine import Generation

    schema = SchemaCache().get(str(db))
    right, flagged = "SELECT name FROM pets WHERE species = 'dog'", "SELECT name FROM pets WHERE species = 'Rex'"
    calls = []

    def script(*outputs):
        it = iter(outputs)
        calls.clear()
        monkeypatch.setattr(engine, "complete",
                            lambda prompt, **kw: calls.append(kw) or Generation(next(it), 10, 5, .01))

    from nichelm.assistant import service

    looks = []
    for name in ("_failure_kind", "_empty"):  # count the looks at an answer: a sure one is looked at once
        real = getattr(service, name)
        monkeypatch.setattr(service, name, lambda *a, _real=real, _name=name: looks.append(_name) or _real(*a))
    script(right, right, right)
    sure = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), doubt_candidates=3, repair=True,
                           retry_empty=2)
    assert (sure.sql, sure.candidates, len(calls)) == (right, 1, 1)
    assert sorted(looks) == ["_empty", "_failure_kind"]
    script("SELECT name FROM pets WHERE species = 'Dog'", flagged, flagged)
    looks.clear()
    fixed = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), doubt_candidates=3, repair=True,
                            retry_empty=2)
    assert sorted(looks) == ["_empty", "_failure_kind", "_failure_kind"]  # the answer, then its fix: once each
    assert (fixed.sql, fixed.candidates, len(calls)) == (right, 1, 1)  # fixed without the model, not outvoted
    assert fixed.first_sql == "SELECT name FROM pets WHERE species = 'Dog'"
    script(flagged, right, flagged)
    doubt = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), doubt_candidates=3)
    assert (doubt.sql, doubt.candidates, len(calls)) == (right, 3, 3)
    assert doubt.candidate_sqls == [flagged, right, flagged]  # kept, as for candidates
    assert [kw.get("temperature") for kw in calls[1:]] == [0.7, 0.7]  # sampled as candidates are
    # an empty result is in doubt too
    script("SELECT name FROM pets WHERE age > 99", right, right)
    empty = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), doubt_candidates=3)
    assert (empty.sql, empty.candidates) == (right, 3)


def test_doubt_candidates_are_the_default_only_on_a_gpu(engine):
    from types import SimpleNamespace

    from nichelm.assistant.service import DOUBT_CANDIDATES, DOUBT_CANDIDATES_GPU, default_doubt_candidates

    assert engine.gpu_layers == 0 and default_doubt_candidates(engine) == DOUBT_CANDIDATES == 0
    assert default_doubt_candidates(SimpleNamespace(gpu_layers=-1)) == DOUBT_CANDIDATES_GPU == 16


def test_a_repair_that_compiles_but_trips_a_check_beats_a_first_answer_that_does_not_compile(engine, db,
                                                                                              monkeypatch):
    """The model's outputs are scripted (prompts, database and checks are real): the first answer names a
    column that does not exist; every repair compiles but tests a value in the wrong letter case."""
    schema = SchemaCache().get(str(db))
    broken, flagged = "SELECT nom FROM pets", "SELECT name FROM pets WHERE species = 'Dog'"
    from nichelm.assistant.engine import Generation

    outputs = iter([broken] + [flagged] * 3)
    monkeypatch.setattr(engine, "complete", lambda prompt, **kw: Generation(next(outputs), 10, 5, 0.01))
    ans = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), repair=True)
    assert (ans.sql, ans.first_sql, ans.repaired) == (flagged, broken, True)
    assert "no such column: nom" in ans.replaced_because and "the first that compiles is kept" in ans.replaced_because
    warning = [p for p in ans.problems if p.kind == "check"]
    assert warning and warning[0].severity == "warning" and "'dog'" in warning[0].message
    # a first answer that compiles stays when the repairs trip checks too ('Rex' is a name, not a species)
    outputs = iter(["SELECT name FROM pets WHERE species = 'Rex'"] + [flagged] * 3)
    again = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), repair=True)
    assert (again.sql, again.repaired) == ("SELECT name FROM pets WHERE species = 'Rex'", False)
    # ... and says what the check found, as a warning under the query
    assert [p.kind for p in again.problems if p.severity == "warning"] == ["check"]
    assert "pets.name" in next(p.message for p in again.problems if p.kind == "check")
    # a value in the wrong letter case is written as the data spells it, without asking the model again
    outputs = iter(["SELECT name FROM pets WHERE species = 'DOG'"])
    fixed = answer_question(engine, schema, "Which pets are dogs?", db_path=str(db), repair=True)
    assert (fixed.sql, fixed.first_sql, fixed.repaired) == ("SELECT name FROM pets WHERE species = 'dog'",
                                                            "SELECT name FROM pets WHERE species = 'DOG'", True)
    assert "differs only in letter case" in fixed.replaced_because and not fixed.problems


def test_an_answer_that_ignores_a_value_the_question_names_goes_back_for_repair(engine, db, monkeypatch):
    """Scripted model outputs, real prompts, database and checks: "dogs" is not a stored value, but 'dog' is,
    and the first answer drops it; the repair that tests it replaces the first answer."""
    schema = SchemaCache().get(str(db))
    from nichelm.assistant.engine import Generation

    prompts = []
    outputs = iter(["SELECT name FROM pets", "SELECT name FROM pets WHERE species = 'dog'"])

    def complete(prompt, **kw):
        prompts.append(prompt)
        return Generation(next(outputs), 10, 5, 0.01)

    monkeypatch.setattr(engine, "complete", complete)
    ans = answer_question(engine, schema, "Which pets are a dog?", db_path=str(db), repair=True)
    assert (ans.sql, ans.first_sql, ans.repaired) == ("SELECT name FROM pets WHERE species = 'dog'",
                                                      "SELECT name FROM pets", True)
    assert "'dog' (a value of pets.species)" in ans.replaced_because
    assert "'dog' (a value of pets.species)" in prompts[1]  # the repair turn was told why


def test_a_busy_core_means_fewer_threads(tiny_model_path, db, spinning_core):
    """One thread while another process spins on the second core, and a whole answer all the same. Whether it is
    the very text two threads write depends on the CPU's kernels: equal on the machines of the fourteenth to
    eighteenth sessions, different after about 80 characters on the nineteenth's, so that is not asserted."""
    eng = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=48, n_threads=2, n_gpu_layers=0))
    try:
        schema_text = render_schema(read_schema(db))
        eng._free_cores = FreeCores(cpus={spinning_core})  # watch only the core where a process spins
        time.sleep(MIN_WINDOW_S + 0.1)
        busy = eng.generate(schema_text, "Which pets are older than 4?")
        assert eng.threads_now == 1
        assert busy.completion_tokens >= 48 and busy.text.strip()  # the tiny model runs to max_tokens
        eng._free_cores = None  # every configured thread again
        eng.llm._ctx.set_n_threads(2, 2)
        eng.threads_now = 2
        again = eng.generate(schema_text, "Which pets are older than 4?")
        assert again.completion_tokens >= 48 and again.cached_tokens > 0.9 * again.prompt_tokens
    finally:
        eng.close()


def wide_db(path, table: str, columns: list[str]):
    cols = ", ".join(f"{c} TEXT" for c in columns)
    return make_db(path, f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {cols});")


def test_going_back_to_a_database_brings_its_schema_back_from_memory(tiny_model_path, tmp_path):
    shop = wide_db(tmp_path / "shop.sqlite", "customers", [f"customer_{w}" for w in
                   ("name", "email", "street", "city", "region", "country", "phone", "segment", "joined", "notes")])
    zoo = wide_db(tmp_path / "zoo.sqlite", "animals", [f"animal_{w}" for w in
                  ("name", "species", "enclosure", "keeper", "diet", "origin", "arrival", "health", "weight", "age")])
    schemas = {db: render_schema(read_schema(db)) for db in (shop, zoo)}
    question = "How many rows are there?"
    with_states = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=24, n_threads=2,
                                        n_gpu_layers=0))  # states are kept on the CPU only
    try:
        first = with_states.generate(schemas[shop], question)
        with_states.generate(schemas[zoo], question)  # overwrites the shop's schema in llama.cpp's cache
        back = with_states.generate(schemas[shop], question)
    finally:
        with_states.close()
    without = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=24, n_threads=2,
                                    n_gpu_layers=0, keep_prefixes=False))
    try:
        first_off = without.generate(schemas[shop], question)
        again_off = without.generate(schemas[shop], question)  # straight after: from llama.cpp's own cache
        without.generate(schemas[zoo], question)
        back_off = without.generate(schemas[shop], question)
    finally:
        without.close()
    assert back.cached_tokens == again_off.cached_tokens > 0.9 * back.prompt_tokens  # the schema came back
    assert back_off.cached_tokens < 0.5 * back_off.prompt_tokens  # without kept states: evaluated again
    # The kept state is the cache as it was: the same answer as asking again at once, token for token.
    assert first.text == first_off.text
    assert back.text == again_off.text


class ScriptedCores:
    """A thread decision that says 2 at first, then 1 (other work started mid-answer)."""

    def __init__(self):
        self.calls = 0

    def threads(self, most: int) -> int:
        self.calls += 1
        return 2 if self.calls == 1 else 1


def test_the_thread_count_is_decided_again_between_tokens(tiny_model_path, db):
    eng = Engine(EngineSettings(str(tiny_model_path), n_ctx=2048, max_tokens=24, n_threads=2, n_gpu_layers=0))
    try:
        eng._free_cores = ScriptedCores()
        gen = eng.generate(render_schema(read_schema(db)), "List every pet with its species and age.")
        assert eng._free_cores.calls > gen.completion_tokens / 2  # once before the answer, then between tokens
        assert eng.threads_now == 1
    finally:
        eng.close()


def scripted(prompts: list, *texts):
    """An engine.complete that answers *texts* in turn, recording each real prompt and its options in *prompts*."""
    from nichelm.assistant.engine import Generation

    outputs = iter(texts)

    def complete(prompt, **kw):
        prompts.append((prompt, kw))
        return Generation(next(outputs), 10, 5, 0.01)
    return complete


def test_a_repair_that_trips_another_check_is_repaired_in_turn(engine, tmp_path, monkeypatch):
    """Scripted outputs, real prompts, database and checks: the first answer tests a value in the wrong letter
    case; its repair fixes that but repeats rows the question asks for once; the repair of that repair is kept."""
    db = make_db(tmp_path / "zoo.sqlite", PETS + "INSERT INTO pets VALUES (1,'Rex','dog',3),(2,'Tom','cat',5),"
                 "(3,'Ace','dog',4);")
    schema = SchemaCache().get(str(db))
    first = "SELECT species FROM pets WHERE age > 2 AND species = 'Dog'"
    repeats = "SELECT species FROM pets WHERE age > 2 AND species = 'dog'"
    fixed = "SELECT DISTINCT species FROM pets WHERE age > 2 AND species = 'dog'"
    prompts = []

    q = "Which species of pets older than 2 are dogs? Each species once."
    monkeypatch.setattr(engine, "complete", scripted(prompts, first, repeats, fixed))
    ans = answer_question(engine, schema, q, db_path=str(db), repair=True)
    assert (ans.sql, ans.first_sql, ans.repaired) == (fixed, first, True)
    assert "'Dog'" in ans.replaced_because and "each value once" in ans.replaced_because
    assert repeats in prompts[2][0] and "2 rows with only 1 different" in prompts[2][0]  # the chained turn
    assert "temperature" not in prompts[2][1]  # greedy first after each chained step
    # no repair of the repair passes: the repair that fixed the first finding is kept, with a warning
    prompts.clear()
    monkeypatch.setattr(engine, "complete", scripted(prompts, first, repeats, repeats, repeats))
    kept = answer_question(engine, schema, q, db_path=str(db), repair=True)
    assert (kept.sql, kept.first_sql, kept.repaired) == (repeats, first, True)
    assert "its repair fixed that" in kept.replaced_because
    assert ["each value once" in p.message for p in kept.problems if p.kind == "check"] == [True]
    # without the chain (nichelm-eval --no-repair-chain), every repair starts from the first answer, which stays
    monkeypatch.setattr(engine, "complete", scripted(prompts, first, repeats, repeats, repeats))
    plain = answer_question(engine, schema, q, db_path=str(db), repair=True, repair_chain=False)
    assert (plain.sql, plain.repaired) == (first, False)


def test_a_repair_that_sqlite_rejects_is_repaired_in_turn_with_its_error(engine, tmp_path, monkeypatch):
    """Scripted outputs, real prompts, database and checks: the first answer ignores the value the question
    names; its repair adds the test on a column that does not exist; the repair of that, told SQLite's error and
    where the value is, is kept. A repair that never compiles is never kept."""
    db = make_db(tmp_path / "zoo.sqlite", PETS + "INSERT INTO pets VALUES (1,'Rex','dog',3),(2,'Tom','cat',5),"
                 "(3,'Ace','dog',4);")
    schema = SchemaCache().get(str(db))
    first, broken, fixed = ("SELECT name FROM pets", "SELECT name FROM pets WHERE kind = 'dog'",
                            "SELECT name FROM pets WHERE species = 'dog'")
    prompts = []

    q = "What are the names of the pets that are a dog?"
    monkeypatch.setattr(engine, "complete", scripted(prompts, first, broken, fixed))
    ans = answer_question(engine, schema, q, db_path=str(db), repair=True)
    assert (ans.sql, ans.first_sql, ans.repaired) == (fixed, first, True)
    assert "'dog'" in ans.replaced_because and "no such column: kind" in ans.replaced_because
    assert broken in prompts[2][0] and "no such column: kind" in prompts[2][0]  # the chained turn
    assert "temperature" not in prompts[2][1]
    # the broken repair is never what comes back: no repair after it compiles, so the first answer stays
    monkeypatch.setattr(engine, "complete", scripted(prompts, first, broken, broken, broken))
    kept = answer_question(engine, schema, q, db_path=str(db), repair=True)
    assert (kept.sql, kept.repaired) == (first, False)
    assert any("'dog'" in p.message for p in kept.problems if p.kind == "check")


def test_a_repair_that_joins_a_with_table_gets_its_definition_back(engine, tmp_path, monkeypatch):
    """Scripted outputs, real prompts, database and checks: the first answer computes each owner's first pet in a
    WITH table and tests a column that only owners has; the repair prompt says to join owners to that table, and the
    repair, which joins it but drops its definition, runs with the first answer's WITH clause in front."""
    from nichelm.assistant.engine import Generation

    path = make_db(tmp_path / "owners.sqlite", """
        CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT, city TEXT);
        CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners(id), adopted TEXT);
        INSERT INTO owners VALUES (1, 'Ann', 'Oslo'), (2, 'Bo', 'Rome');
        INSERT INTO pets VALUES (1, 1, '2020-01-01'), (2, 1, '2023-05-01'), (3, 2, '2023-02-01');""")
    schema = SchemaCache().get(str(path))
    with_clause = "WITH firsts AS (SELECT owner_id, MIN(adopted) AS first_day FROM pets GROUP BY owner_id)"
    first = f"{with_clause} SELECT COUNT(*) FROM firsts WHERE city = 'Oslo' AND first_day LIKE '2020%'"
    repair = ("SELECT COUNT(*) FROM firsts JOIN owners ON firsts.owner_id = owners.id "
              "WHERE owners.city = 'Oslo' AND firsts.first_day LIKE '2020%'")
    outputs, prompts = iter([first, repair]), []

    def complete(prompt, **kw):
        prompts.append(prompt)
        return Generation(next(outputs), 10, 5, 0.01)

    monkeypatch.setattr(engine, "complete", complete)
    ans = answer_question(engine, schema, "How many owners in Oslo adopted their first pet in 2020?",
                          db_path=str(path), repair=True)
    assert "join owners to firsts on firsts.owner_id = owners.id" in prompts[1]
    assert (ans.sql, ans.first_sql, ans.repaired) == (f"{with_clause} {repair}", first, True)
    assert "no such column: city" in ans.replaced_because


def test_a_finding_whose_change_is_known_is_fixed_without_the_model(engine, tmp_path, monkeypatch):
    """Scripted output, real database and checks: the answer tests each order against the threshold the HAVING tests
    the sum against; the row test is dropped without a repair turn, and the answer keeps the rest of its WHERE."""
    from nichelm.assistant.engine import Generation

    path = make_db(tmp_path / "shop.sqlite", """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL,
                             status TEXT);
        INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bo');
        INSERT INTO orders VALUES (1, 1, 60, 'paid'), (2, 1, 60, 'paid'), (3, 2, 150, 'paid'), (4, 2, 90, 'void');""")
    schema = SchemaCache().get(str(path))
    first = ("SELECT customers.name FROM customers JOIN orders ON orders.customer_id = customers.id "
             "WHERE orders.total > 100 AND orders.status = 'paid' GROUP BY customers.id HAVING SUM(orders.total) > 100")
    prompts = []

    def complete(prompt, **kw):
        prompts.append(prompt)
        return Generation(first, 10, 5, 0.01)

    monkeypatch.setattr(engine, "complete", complete)
    ans = answer_question(engine, schema, "Which customers spent more than 100 on paid orders?", db_path=str(path),
                          repair=True)
    assert len(prompts) == 1  # no repair turn
    assert ans.sql == ("SELECT customers.name FROM customers JOIN orders ON orders.customer_id = customers.id "
                       "WHERE orders.status = 'paid' GROUP BY customers.id HAVING SUM(orders.total) > 100")
    assert (ans.first_sql, ans.repaired) == (first, True)
    assert "remove orders.total > 100 from the WHERE clause" in ans.replaced_because
    con = sqlite3.connect(path)
    assert con.execute(ans.sql).fetchall() == [("Ann",), ("Bo",)]
    assert con.execute(first).fetchall() == [("Bo",)]
