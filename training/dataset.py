"""Build the chat-format training set (JSONL) from Spider train.

Every example goes through the product's own prompt (nichelm.assistant.prompt.training_messages) with the
schema text chosen by nichelm.assistant.context.schema_text_for, the same call the service makes at
inference time. Rules that keep the evaluation honest:

- only Spider *train* questions are used; Spider dev and the e-commerce set never are;
- e-commerce-like databases (training/denylist.py) are filtered out, and the final set is checked again:
  a denylisted db_id in the output raises;
- an example whose full token length exceeds max_seq_len is dropped, never cut (a cut answer trains
  nothing and a batch without answer tokens gives a 0/0 loss);
- duplicates (same database, question and normalised SQL) are removed;
- the validation split holds out whole *train databases* (not dev), chosen with a fixed seed, so it
  measures transfer to unseen schemas the way the benchmarks do.
"""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nichelm.assistant.context import DEFAULT_SCHEMA_BUDGET, schema_text_for
from nichelm.assistant.prompt import ENUM_VALUES, normalise_answer, prompt_version, training_messages
from nichelm.assistant.schema import Schema

from . import spider_data
from .denylist import ECOMMERCE_DENYLIST, assert_not_denylisted
from .gold_fixes import fix_null_literals
from .sql_style import STYLES, restyle_for_database


@dataclass
class DataOptions:
    spider_dir: str | None = None
    max_seq_len: int = 1024
    seed: int = 1234
    val_fraction: float = 0.03  # share of train *databases* held out for validation
    example_values: int = 0  # example values per column in the schema text (0 = none)
    schema_budget: int = DEFAULT_SCHEMA_BUDGET  # same default budget as inference
    augment: int = 0  # generated SQLite-idiom pairs to add (training/augment.py); 0 = none
    augment_with: tuple[str, ...] = ()  # opt-in augmentation templates drawn as well (augment.OPT_IN)
    sql_style: str = "qualified"  # answers rewritten by training/sql_style.py ("spider": gold SQL as is)
    enum_values: int = ENUM_VALUES  # category value lists in the schema text (prompt v2); 0 = prompt v1
    hierarchies: int = 0  # generated parent/child pairs to add (training/hierarchy_data.py); 0 = none
    hierarchy_dir: str | None = None  # where their databases are written (default: a temporary directory)
    ledgers: int = 0  # generated pairs about money columns to add (training/ledger_data.py); 0 = none
    clauses: int = 0  # generated pairs about how clauses are written (training/clause_templates.py); 0 = none
    row_sets: int = 0  # generated pairs about a party's rows meeting two tests (training/row_set_templates.py); 0 = none

    def __post_init__(self):
        if self.max_seq_len < 64:
            raise ValueError(f"max_seq_len {self.max_seq_len} is too small (at least 64)")
        if not 0.0 <= self.val_fraction < 0.5:
            raise ValueError(f"val_fraction must be in [0, 0.5), got {self.val_fraction}")
        if min(self.example_values, self.enum_values, self.hierarchies, self.ledgers, self.clauses, self.row_sets) < 0:
            raise ValueError("example_values, enum_values, hierarchies, ledgers, clauses and row_sets must be >= 0")
        if self.augment_with and not self.augment:
            raise ValueError("augment_with names opt-in augmentation templates: it needs augment > 0")
        if self.sql_style not in STYLES:
            raise ValueError(f"sql_style must be one of {', '.join(STYLES)}, got {self.sql_style!r}")


@dataclass
class BuildReport:
    source: int = 0
    denylisted: int = 0
    duplicates: int = 0
    too_long: int = 0
    augmented: int = 0  # generated pairs added (before the length filter)
    hierarchies: int = 0  # generated hierarchy pairs added (before the length filter), all in train
    ledgers: int = 0  # generated money-column pairs added (before the length filter), all in train
    clauses: int = 0  # generated clause pairs added (before the length filter), all in train
    row_sets: int = 0  # generated row-set pairs added (before the length filter), all in train
    sql_style: dict = field(default_factory=dict)  # restyle outcomes (training/sql_style.py) -> count
    train: int = 0
    val: int = 0
    train_dbs: int = 0
    val_dbs: list[str] = field(default_factory=list)
    tokens: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _token_stats(lengths: list[int]) -> dict:
    if not lengths:
        return {}
    s = sorted(lengths)
    return {"n": len(s), "total": sum(s), "min": s[0], "median": int(statistics.median(s)),
            "p95": s[min(len(s) - 1, int(0.95 * len(s)))], "max": s[-1], "mean": round(sum(s) / len(s), 1)}


def prompt_messages(db_id: str, question: str, answer: str, opts: DataOptions) -> list[dict]:
    """The training messages for one question on Spider database *db_id*, with *opts*' schema settings.

    The schema text is chosen with the service's default token estimate (not the tokenizer) so that a
    question gets exactly the schema text it would get at inference time."""
    schema = spider_data.schema_for(db_id, opts.spider_dir, examples=opts.example_values,
                                    enum_values=opts.enum_values)
    return schema_messages(schema, question, answer, opts)


def schema_messages(schema: Schema, question: str, answer: str, opts: DataOptions) -> list[dict]:
    """The training messages for one question on *schema* (read with *opts*' example settings): the one
    place that turns a schema into a prompt, shared by Spider and the generated databases
    (training/hierarchy_data.py)."""
    text = schema_text_for(schema, question, opts.schema_budget, with_examples=opts.example_values > 0)
    return training_messages(text, question, answer)


def make_record(ex: spider_data.SpiderExample, opts: DataOptions) -> dict:
    """One JSONL record: the messages (prompt_messages) plus provenance (db_id, question, query)."""
    fixed = fix_null_literals(ex.query)
    answer, style = restyle_for_database(ex.db_path, fixed, opts.sql_style)
    if fixed != ex.query:
        style = f"null_fixed+{style}"
    return {
        "messages": prompt_messages(ex.db_id, ex.question, answer, opts),
        "db_id": ex.db_id,
        "question": ex.question,
        "query": ex.query,  # as the source has it; the answer in messages may be restyled
        "sql_style": style,
        "prompt_version": prompt_version(opts.enum_values),
    }


def build(opts: DataOptions, tokenizer=None) -> tuple[list[dict], list[dict], BuildReport]:
    """(train records, validation records, report). With a tokenizer, over-long examples are dropped and
    every record gets its token count ("n_tokens"); without one no length filter is applied."""
    from .tokens import encode

    report = BuildReport()
    examples = spider_data.load_split("train", opts.spider_dir)
    report.source = len(examples)
    deny = {d.lower() for d in ECOMMERCE_DENYLIST}
    kept = [e for e in examples if e.db_id.lower() not in deny]
    report.denylisted = len(examples) - len(kept)

    seen: set[tuple[str, str, str]] = set()
    unique = []
    for e in kept:
        key = (e.db_id, " ".join(e.question.lower().split()), normalise_answer(e.query).lower())
        if key in seen:
            continue
        seen.add(key)
        unique.append(e)
    report.duplicates = len(kept) - len(unique)

    records = []
    aug = []
    if opts.augment > 0:  # hook for training/augment.py: same prompt, same filters below
        from .augment import augment_records
        aug = augment_records(opts)
    report.augmented = len(aug)
    hier = []
    if opts.hierarchies > 0:  # hook for training/hierarchy_data.py: its own databases, same prompt
        from .hierarchy_data import hierarchy_records
        hier = hierarchy_records(opts)
    report.hierarchies = len(hier)
    ledg = []
    if opts.ledgers > 0:  # hook for training/ledger_data.py: its own databases, same prompt
        from .ledger_data import ledger_records
        ledg = ledger_records(opts)
    report.ledgers = len(ledg)
    clau = []
    if opts.clauses > 0:  # the same databases' builder, named clause_*, with training/clause_templates.py
        from .ledger_data import clause_records
        clau = clause_records(opts)
    report.clauses = len(clau)
    rows = []
    if opts.row_sets > 0:  # the same builder again, named rowset_*, with training/row_set_templates.py
        from .ledger_data import row_set_records
        rows = row_set_records(opts)
    report.row_sets = len(rows)
    for rec in [make_record(e, opts) for e in unique] + aug + hier + ledg + clau + rows:
        if tokenizer is not None:
            n = len(encode(tokenizer, rec["messages"]).input_ids)
            if n > opts.max_seq_len:
                report.too_long += 1
                continue
            rec["n_tokens"] = n
        records.append(rec)

    # Hold out whole databases, chosen with the fixed seed.
    # The generated hierarchy and ledger databases are never held out: the Spider split stays what it is without them.
    dbs = sorted({r["db_id"] for r in records if r.get("source") not in ("hierarchy", "ledger")})
    rng = random.Random(opts.seed)
    n_val = round(len(dbs) * opts.val_fraction) if opts.val_fraction > 0 else 0
    if opts.val_fraction > 0:
        n_val = max(1, n_val)
    val_dbs = set(rng.sample(dbs, n_val)) if n_val else set()
    train = [r for r in records if r["db_id"] not in val_dbs]
    # Validation stays Spider-only so its loss is comparable with and without augmentation.
    val = [r for r in records if r["db_id"] in val_dbs and r.get("source") != "augment"]
    rng.shuffle(train)
    rng.shuffle(val)

    check_records(train + val, opts.spider_dir)
    report.sql_style = dict(sorted(Counter(r["sql_style"] for r in records).items()))
    report.train, report.val = len(train), len(val)
    report.train_dbs = len({r["db_id"] for r in train})
    report.val_dbs = sorted(val_dbs)
    if tokenizer is not None:
        report.tokens = {"train": _token_stats([r["n_tokens"] for r in train]),
                         "val": _token_stats([r["n_tokens"] for r in val])}
    return train, val, report


def check_records(records: list[dict], spider_dir: str | None = None) -> None:
    """The quality gate: no denylisted database, and no Spider dev question on a dev database."""
    assert_not_denylisted(r["db_id"] for r in records)
    dev = {(e.db_id, e.question.strip()) for e in spider_data.load_split("dev", spider_dir)}
    leaked = [r for r in records if (r["db_id"], r["question"].strip()) in dev]
    if leaked:
        raise ValueError(f"{len(leaked)} Spider dev questions found in the training data, e.g. {leaked[0]['question']!r}")


def write_jsonl(path: str | Path, records: list[dict]) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_jsonl(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def val_path_for(path: str | Path) -> Path:
    """Where the validation split of the training file *path* lives: data.jsonl -> data.val.jsonl."""
    p = Path(path)
    return p.with_name(p.stem + ".val" + p.suffix)
