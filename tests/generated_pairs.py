"""What every set of generated training pairs on databases of our own must hold (the hierarchy pairs and the ledger
pairs alike): no e-commerce word in a question, table, column or stored text, no evaluation question, and the
product's own prompt in every record."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from nichelm.assistant.context import DEFAULT_SCHEMA_BUDGET, schema_text_for
from nichelm.assistant.prompt import build_messages, normalise_answer
from nichelm.assistant.service import SchemaCache

# The held-out evaluation is an e-commerce shop: none of its vocabulary may appear in these databases.
ECOMMERCE_WORDS = re.compile(r"(?<![a-z])(products?|orders?|customers?|order_items|reviews?|shops?|stores?|"
                             r"prices?|sales?|purchases?|carts?|invoices?|payments?|categor(y|ies)|brands?)(?![a-z])",
                             re.IGNORECASE)
ECOMMERCE_SET = Path(__file__).resolve().parents[1] / "eval" / "data" / "ecommerce_500.jsonl"


def db_rows(path: str, sql: str, params=()) -> list[tuple]:
    """All rows of *sql* on the generated database at *path* (a plain connection: tests recompute answers with it)."""
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def assert_no_ecommerce_vocabulary(pairs: list[dict], db_paths: list[str]) -> None:
    for p in pairs:
        assert not ECOMMERCE_WORDS.search(p["question"]), p["question"]
    for path in db_paths:
        con = sqlite3.connect(path)
        try:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                cols = con.execute(f"PRAGMA table_info({table})").fetchall()
                for name in [table] + [c[1] for c in cols]:
                    assert not ECOMMERCE_WORDS.search(name.replace("_", " ")), (path, name)
                for c in cols:
                    for (v,) in con.execute(f"SELECT DISTINCT {c[1]} FROM {table} WHERE typeof({c[1]}) = 'text'"):
                        assert not ECOMMERCE_WORDS.search(v), (path, table, v)
        finally:
            con.close()


def assert_no_evaluation_question(pairs: list[dict]) -> None:
    """Guard only: the evaluation questions are read to check for overlap, never to generate anything."""
    norm = lambda s: " ".join(s.lower().split()).rstrip("?.")
    with ECOMMERCE_SET.open(encoding="utf-8") as f:
        held_out = {norm(json.loads(line)["question"]) for line in f if line.strip()}
    assert held_out and not {norm(p["question"]) for p in pairs} & held_out


def assert_the_products_prompt(pairs: list[dict], records: list[dict], paths: dict[str, str], opts, source: str) -> None:
    """The system and user messages are what the service builds for the same file and question (its schema cache
    and schema_text_for); the answer is the pair's SQL as the prompt format writes it."""
    cache = SchemaCache(examples=opts.example_values, enum_values=opts.enum_values)
    for p, rec in zip(pairs, records, strict=True):
        schema = cache.get(paths[p["db_id"]])
        text = schema_text_for(schema, p["question"], DEFAULT_SCHEMA_BUDGET, with_examples=bool(schema.examples))
        assert rec["messages"][:2] == build_messages(text, p["question"])
        assert rec["messages"][2] == {"role": "assistant", "content": normalise_answer(p["query"])}
        assert (rec["db_id"], rec["question"], rec["query"], rec["template"]) == (
            p["db_id"], p["question"], p["query"], p["template"])
        assert rec["source"] == source and rec["sql_style"] == "same"


def assert_build_adds_to_train_only(monkeypatch, head: int, field: str, n: int, is_new, **base) -> list[dict]:
    """On the first *head* Spider train questions (fast): build-data with DataOptions(*field*=*n*) gives the records
    and the validation split of the same build without it, plus *n* records (those *is_new* picks), all in train.
    *base*: options of both builds. Returns the new records."""
    from nichelm.training import spider_data
    from nichelm.training.dataset import DataOptions, build

    real = spider_data.load_split
    first = real("train")[:head]
    monkeypatch.setattr(spider_data, "load_split",
                        lambda split, root=None: first if split == "train" else real(split, root))
    key = lambda recs: sorted(json.dumps(r, sort_keys=True) for r in recs)
    train0, val0, report0 = build(DataOptions(seed=7, example_values=3, **base))
    train, val, report = build(DataOptions(seed=7, example_values=3, **base, **{field: n}))
    new = [r for r in train if is_new(r)]
    assert getattr(report0, field) == 0 and getattr(report, field) == len(new) == n
    assert key(train0) == key([r for r in train if not is_new(r)])
    assert key(val0) == key(val) and report.val_dbs == report0.val_dbs
    return new


def generate_on_ledgers(directory, seed: int, target: int, templates, prefix: str, per_db: int, opts):
    """Pairs of *templates* on databases of the ledger builder named *prefix*_* (training/ledger_data.generate), as
    the tests of those templates read them: (pairs, {db_id: ledger}, report, training records)."""
    from nichelm.training import ledger_data

    pairs, dbs, report = ledger_data.generate(directory, seed, target, templates, prefix, per_db)
    return pairs, {g.db_id: g for g in dbs}, report, ledger_data.to_records(pairs, dbs, opts, source="ledger")


def assert_pairs_of_our_own(generated, opts) -> None:
    """What generate_on_ledgers's pairs must hold: no e-commerce word, no evaluation question, the product's prompt."""
    pairs, dbs, _, records = generated
    assert_no_ecommerce_vocabulary(pairs, [g.path for g in dbs.values()])
    if ECOMMERCE_SET.is_file():
        assert_no_evaluation_question(pairs)
    assert_the_products_prompt(pairs, records, {d: g.path for d, g in dbs.items()}, opts, "ledger")
