"""Training data from the real Spider files: denylist enforced, no dev leakage, held-out databases,
deterministic, and answer-only labels that decode to exactly the SQL plus the end-of-turn token."""

from __future__ import annotations

import pytest
from nichelm.assistant.prompt import normalise_answer, training_messages
from nichelm.training import spider_data
from nichelm.training.dataset import DataOptions, build, check_records, read_jsonl, write_jsonl
from nichelm.training.denylist import ECOMMERCE_DENYLIST, DenylistViolation
from nichelm.training.gold_fixes import fix_null_literals
from nichelm.training.sql_style import restyle_for_database

try:
    spider_data.spider_dir()
    HAVE_SPIDER = True
except spider_data.SpiderDataMissing:  # pragma: no cover
    HAVE_SPIDER = False
needs_spider = pytest.mark.skipif(not HAVE_SPIDER, reason="Spider data not present (set NICHELM_SPIDER_DIR)")


@pytest.fixture(scope="module")
def built():
    if not HAVE_SPIDER:
        pytest.skip("Spider data not present")
    return build(DataOptions(seed=7, val_fraction=0.05))


@needs_spider
def test_denylist_and_dev_are_kept_out(built):
    train, val, report = built
    ids = {r["db_id"] for r in train + val}
    assert not ids & ECOMMERCE_DENYLIST
    assert report.denylisted > 1000  # many Spider questions are e-commerce-like: they must be counted out
    dev = {(e.db_id, e.question) for e in spider_data.load_split("dev")}
    assert not any((r["db_id"], r["question"]) for r in train + val if (r["db_id"], r["question"]) in dev)
    assert report.train + report.val + report.duplicates + report.denylisted == report.source


@needs_spider
def test_validation_holds_out_whole_train_databases(built):
    train, val, report = built
    train_dbs, val_dbs = {r["db_id"] for r in train}, {r["db_id"] for r in val}
    assert val and not train_dbs & val_dbs
    assert val_dbs == set(report.val_dbs)
    dev_dbs = {e.db_id for e in spider_data.load_split("dev")}
    assert not val_dbs & dev_dbs


@needs_spider
def test_records_use_the_product_prompt(built):
    train = built[0]
    for rec in train[:50]:
        schema_text = rec["messages"][0]["content"].split("Database schema:\n", 1)[1]
        answer, outcome = restyle_for_database(spider_data.database_path(rec["db_id"]),
                                               fix_null_literals(rec["query"]))
        assert rec["sql_style"].endswith(outcome)
        assert rec["messages"] == training_messages(schema_text, rec["question"], answer)
        assert rec["messages"][-1]["content"] == normalise_answer(answer)
    assert {r["sql_style"] for r in train} >= {"same", "rewritten"}
    assert built[2].sql_style["rewritten"] > 1000
    spider_style = build(DataOptions(seed=7, val_fraction=0.05, sql_style="spider"))[0]
    assert all(r["messages"][-1]["content"] == normalise_answer(fix_null_literals(r["query"]))
               for r in spider_style)


@needs_spider
def test_gold_answers_never_compare_with_the_string_null(built):
    train, val, _ = built
    fixed = [r for r in train + val if r["sql_style"].startswith("null_fixed")]
    assert fixed, "Spider train has gold SQL comparing with 'null'; those answers must be corrected"
    for r in fixed:
        answer = r["messages"][-1]["content"]
        assert "IS NULL" in answer or "IS NOT NULL" in answer
        assert "'null'" not in answer.lower() and '"null"' not in answer.lower()


def test_null_literal_fix_keeps_real_strings():
    assert fix_null_literals("SELECT a FROM t WHERE b = \"null\" AND c <> 'NULL'") == \
        "SELECT a FROM t WHERE b IS NULL AND c IS NOT NULL"
    assert fix_null_literals("SELECT a FROM t WHERE b = 'nullable' OR c = 'null value'") == \
        "SELECT a FROM t WHERE b = 'nullable' OR c = 'null value'"


@needs_spider
def test_no_duplicates_and_deterministic(built):
    train, val, _ = built
    keys = [(r["db_id"], r["question"], r["messages"][-1]["content"]) for r in train + val]
    assert len(keys) == len(set(keys))
    again, _, _ = build(DataOptions(seed=7, val_fraction=0.05))
    assert [r["question"] for r in again[:50]] == [r["question"] for r in train[:50]]


@needs_spider
def test_quality_gate_raises_on_slips(built, tmp_path):
    rec = dict(built[0][0])
    with pytest.raises(DenylistViolation):
        check_records([rec, {**rec, "db_id": "store_1"}])
    dev = spider_data.load_split("dev")[0]
    with pytest.raises(ValueError, match="dev"):
        check_records([{**rec, "db_id": dev.db_id, "question": dev.question}])
    write_jsonl(tmp_path / "d.jsonl", [rec])
    assert read_jsonl(tmp_path / "d.jsonl") == [rec]


@pytest.fixture(scope="module")
def smol_tokenizer(tiny_model_path):
    pytest.importorskip("transformers")
    from nichelm.training.base_model import load_tokenizer, resolve_base

    return load_tokenizer(resolve_base(tiny_model_path))


@pytest.mark.torch
def test_labels_are_the_sql_and_the_end_token(smol_tokenizer):
    from nichelm.training.tokens import IGNORE_INDEX, encode

    msgs = training_messages("CREATE TABLE singer (id INT, age INT);", "How many singers are older than 30?",
                             "select count(*)  from singer where age > 30")
    enc = encode(smol_tokenizer, msgs)
    answer = [t for t in enc.labels if t != IGNORE_INDEX]
    assert smol_tokenizer.decode(answer) == "select count(*) from singer where age > 30;<|im_end|>"
    assert enc.labels[: enc.prompt_len] == [IGNORE_INDEX] * enc.prompt_len
    # The unlabelled part is exactly the inference prompt (what llama.cpp is given).
    prompt = smol_tokenizer.apply_chat_template(msgs[:-1], tokenize=False, add_generation_prompt=True)
    assert smol_tokenizer.decode(enc.input_ids[: enc.prompt_len]) == prompt
    assert enc.input_ids[enc.prompt_len:] == answer


@needs_spider
@pytest.mark.torch
def test_token_length_filter_drops_never_cuts(smol_tokenizer):
    train, val, report = build(DataOptions(max_seq_len=300, val_fraction=0.0), smol_tokenizer)
    assert report.too_long > 0 and not val
    assert max(r["n_tokens"] for r in train) <= 300
    assert report.tokens["train"]["max"] <= 300


@needs_spider
@pytest.mark.torch
def test_rerender_changes_the_schema_prompt_and_nothing_else(smol_tokenizer):
    from nichelm.training.dataset import make_record
    from nichelm.training.rerender import rerender

    # Databases with category columns (a status, a yes/no flag), so the lists appear.
    examples = [e for e in spider_data.load_split("train") if e.db_id in ("flight_4", "cre_Doc_Tracking_DB")][:40]
    assert examples
    plain = [make_record(e, DataOptions(example_values=3, enum_values=0)) for e in examples]
    same, report = rerender(plain, example_values=3, enum_values=0)  # the settings it was built with
    assert same == plain and report.changed == 0

    listed, report = rerender(plain, example_values=3, enum_values=10, tokenizer=smol_tokenizer, max_seq_len=4096)
    assert report.changed > 0 and report.too_long == 0 and len(listed) == len(plain)
    direct = [make_record(e, DataOptions(example_values=3, enum_values=10)) for e in examples]
    for old, new, built_with_lists in zip(plain, listed, direct):
        assert new["messages"] == built_with_lists["messages"]  # as build-data writes it with the lists
        assert new["messages"][1:] == old["messages"][1:]  # question and answer untouched
        assert new["prompt_version"] == 2 and old["prompt_version"] == 1
        assert new["n_tokens"] >= len(encode_ids(smol_tokenizer, old["messages"]))
    assert any("-- one of " in r["messages"][0]["content"] for r in listed)
    assert not any("-- one of " in r["messages"][0]["content"] for r in plain)
    # Back to prompt v1 gives the original records; a length limit drops, never cuts.
    back, _ = rerender(listed, example_values=3, enum_values=0)
    assert [r["messages"] for r in back] == [r["messages"] for r in plain]
    short, report = rerender(plain, example_values=3, enum_values=10, tokenizer=smol_tokenizer,
                             max_seq_len=min(r["n_tokens"] for r in listed) + 1)
    assert report.too_long > 0 and len(short) == len(plain) - report.too_long
    assert all(r["n_tokens"] <= min(x["n_tokens"] for x in listed) + 1 for r in short)


def encode_ids(tokenizer, messages):
    from nichelm.training.tokens import encode

    return encode(tokenizer, messages).input_ids


@needs_spider
def test_rerender_command_writes_data_val_and_report(tmp_path):
    import json

    from nichelm.training.cli import main as train_main
    from nichelm.training.dataset import make_record

    examples = [e for e in spider_data.load_split("train") if e.db_id == "flight_4"][:6]
    recs = [make_record(e, DataOptions(example_values=3, enum_values=0)) for e in examples]
    write_jsonl(tmp_path / "d.jsonl", recs[:4])
    write_jsonl(tmp_path / "d.val.jsonl", recs[4:])
    assert train_main(["rerender", str(tmp_path / "d.jsonl"), str(tmp_path / "l.jsonl"), "--enum-values", "10"]) == 0
    assert [r["question"] for r in read_jsonl(tmp_path / "l.jsonl")] == [r["question"] for r in recs[:4]]
    assert len(read_jsonl(tmp_path / "l.val.jsonl")) == 2
    report = json.loads((tmp_path / "l.jsonl.report.json").read_text())
    assert report["enum_values"] == 10 and report[str(tmp_path / "l.jsonl")]["changed"] == 4
    with pytest.raises(SystemExit, match="does not exist"):
        train_main(["rerender", str(tmp_path / "missing.jsonl"), str(tmp_path / "x.jsonl")])
