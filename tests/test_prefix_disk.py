"""Kept prefix states on disk (assistant/prefix_disk.py): the file format, the family rule, the cap, bad files; and
a real llama.cpp model (tiny SmolLM2) that finds a schema another engine evaluated, after that engine closed."""

import os
import sqlite3

from nichelm.assistant.engine import Engine, EngineSettings
from nichelm.assistant.prefix_disk import SUFFIX, DiskStates, key_of
from nichelm.assistant.schema import read_schema, render_schema

KEY = {"model": "m", "lora": None, "n_ctx": 2048}


def test_a_saved_state_comes_back_in_a_new_store_for_a_prompt_with_its_prefix(tmp_path):
    DiskStates(tmp_path, KEY).save([1, 2, 3, 4, 5], b"state-bytes")
    again = DiskStates(tmp_path, KEY)
    n, kept = again.best([1, 2, 3, 9])
    assert (n, kept.tokens, kept.data) == (3, [1, 2, 3, 4, 5], b"state-bytes")
    assert again.best([1, 2, 3, 9], at_least=4) == (0, None)
    assert again.best([7, 8]) == (0, None)


def test_the_files_are_private(tmp_path):
    store = DiskStates(tmp_path / "states", KEY)
    store.save([1, 2, 3], b"x")
    (path,) = store.dir.glob(f"*{SUFFIX}")
    assert {oct(p.stat().st_mode & 0o777) for p in (path,)} == {"0o600"}
    assert {oct(d.stat().st_mode & 0o777) for d in (store.dir, store.dir.parent)} == {"0o700"}


def test_another_model_or_context_never_reads_them(tmp_path):
    DiskStates(tmp_path, KEY).save([1, 2, 3], b"x")
    assert len(DiskStates(tmp_path, {**KEY, "n_ctx": 4096})) == 0
    assert key_of(KEY) != key_of({**KEY, "model": "other"})


def test_one_file_per_system_message_the_newest(tmp_path):
    store = DiskStates(tmp_path, KEY)
    store.save([1, 2, 3, 4, 10], b"first question")
    store.save([1, 2, 3, 4, 11], b"second question")  # same system message: replaces the first
    store.save([7, 8, 9], b"another database")
    assert len(store) == 2 and len(list(store.dir.glob(f"*{SUFFIX}"))) == 2
    assert store.best([1, 2, 3, 4])[1].data == b"second question"
    assert store.has_family([1, 2, 3, 4, 99]) and not store.has_family([5, 6, 7])


def test_the_least_recently_used_go_first_within_the_cap(tmp_path):
    store = DiskStates(tmp_path, KEY, max_bytes=300)
    store.save([1, 1, 1], b"a" * 100)
    os.utime(next(store.dir.glob(f"*{SUFFIX}")), (1, 1))  # long ago
    store.save([2, 2, 2], b"b" * 100)
    store.save([3, 3, 3], b"c" * 100)  # three files pass 300 bytes with their headers: the oldest goes
    assert store.best([1, 1, 1]) == (0, None)
    assert store.best([3, 3, 3])[1].data == b"c" * 100


def test_the_cap_counts_the_files_of_other_keys_too(tmp_path):
    old_adapter = DiskStates(tmp_path, {**KEY, "lora": "v12"}, max_bytes=300)
    old_adapter.save([1, 1, 1], b"a" * 100)
    os.utime(next(old_adapter.dir.glob(f"*{SUFFIX}")), (1, 1))
    store = DiskStates(tmp_path, KEY, max_bytes=300)
    store.save([2, 2, 2], b"b" * 100)
    store.save([3, 3, 3], b"c" * 100)  # the other key's old file goes first
    assert not list(old_adapter.dir.glob(f"*{SUFFIX}")) and len(list(store.dir.glob(f"*{SUFFIX}"))) == 2


def test_a_broken_file_is_dropped_not_an_error(tmp_path):
    store = DiskStates(tmp_path, KEY)
    store.save([1, 2, 3], b"good")
    (path,) = store.dir.glob(f"*{SUFFIX}")
    path.write_bytes(path.read_bytes()[:20])  # truncated: a crash while copying it by hand, a full disk
    (store.dir / f"junk{SUFFIX}").write_bytes(b"not a state")
    again = DiskStates(tmp_path, KEY)
    assert again.best([1, 2, 3]) == (0, None) and len(again) == 0
    assert not list(again.dir.glob(f"*{SUFFIX}"))


def test_an_unwritable_directory_turns_them_off(tmp_path):
    blocker = tmp_path / "states"
    blocker.write_text("a file where the directory should be")
    store = DiskStates(blocker, KEY)
    store.save([1, 2, 3], b"x")  # nothing kept, nothing raised
    assert len(store) == 0 and store.best([1, 2, 3]) == (0, None)


def _engine(model, states, **kw):
    return Engine(EngineSettings(str(model), n_ctx=kw.pop("n_ctx", 2048), max_tokens=24, n_threads=2, n_gpu_layers=0,
                                 state_dir=str(states) if states else None, **kw))


def test_a_new_engine_finds_the_schema_a_closed_one_evaluated(tiny_model_path, tmp_path):
    shop = tmp_path / "shop.sqlite"
    con = sqlite3.connect(shop)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, " + ", ".join(
        f"customer_{w} TEXT" for w in ("name", "email", "street", "city", "region", "country", "phone", "segment",
                                       "joined", "notes")) + ")")
    con.close()
    schema = render_schema(read_schema(shop))
    states = tmp_path / "states"
    first_engine = _engine(tiny_model_path, states)
    try:
        first = first_engine.generate(schema, "How many customers are there?")
        assert first_engine.info()["kept_on_disk"] == 1
    finally:
        first_engine.close()
    restarted = _engine(tiny_model_path, states)
    try:
        again = restarted.generate(schema, "How many customers are there?")
        other = restarted.generate(schema, "Which customers live in Oslo?")
    finally:
        restarted.close()
    assert first.cached_tokens < 0.5 * first.prompt_tokens  # the first process evaluated the schema
    assert again.cached_tokens > 0.9 * again.prompt_tokens  # the new one read it from disk
    assert again.text == first.text  # the state is the cache as it was: the same answer, token for token
    assert other.cached_tokens > 0.7 * other.prompt_tokens
    # Another context size is another key: the schema is evaluated again, and nothing breaks.
    other_ctx = _engine(tiny_model_path, states, n_ctx=1024)
    try:
        fresh = other_ctx.generate(schema, "How many customers are there?")
    finally:
        other_ctx.close()
    assert fresh.cached_tokens < 0.5 * fresh.prompt_tokens and fresh.text == first.text
    # Without a directory (the evaluation harness, the benchmarks) nothing is read or written.
    plain = _engine(tiny_model_path, None)
    try:
        cold = plain.generate(schema, "How many customers are there?")
        assert plain.info()["kept_on_disk"] is None
    finally:
        plain.close()
    assert cold.cached_tokens < 0.5 * cold.prompt_tokens
