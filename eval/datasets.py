"""Evaluation sets as one `Example` type: the held-out e-commerce set and Spider dev.

- ``ecommerce``: eval/data/ecommerce_500.jsonl on the committed reference database (verified by hash), or
  on one built on demand by `nichelm.eval.ecommerce.generate.build_database` into a cache directory.
- ``spider-dev``: Spider dev through `nichelm.training.spider_data`; questions whose database file is
  missing (wta_1 in this copy, 62 questions) are skipped and counted, leaving 972.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from nichelm.assistant import paths

from .hardness import hardness

DATA_DIR = Path(__file__).resolve().parent / "data"
ECOMMERCE_JSONL = DATA_DIR / "ecommerce_500.jsonl"
ECOMMERCE_SEED = 42
DATASETS = ("ecommerce", "spider-dev")


class DatasetError(Exception):
    code = "dataset_error"


@dataclass(frozen=True)
class Example:
    id: str
    db_id: str
    db_path: str
    question: str
    gold_sql: str
    meta: dict = field(default_factory=dict, compare=False, hash=False)  # shape, difficulty, hardness, ...

    def to_json(self) -> dict:
        return {"id": self.id, "db_id": self.db_id, "db_path": self.db_path, "question": self.question,
                "gold_sql": self.gold_sql, "meta": self.meta}


@dataclass
class Dataset:
    name: str
    examples: list[Example]
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())


def cache_dir() -> Path:
    """Where built evaluation databases live: $NICHELM_EVAL_CACHE, else $NICHELM_HOME/eval-cache."""
    d = Path(os.environ.get("NICHELM_EVAL_CACHE") or paths.home() / "eval-cache")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ecommerce_database(jsonl: Path = ECOMMERCE_JSONL, seed: int = ECOMMERCE_SEED) -> Path:
    """The e-commerce database the questions were validated on.

    The committed reference file (eval/data/ecommerce.sqlite) when its sha256 matches its manifest and the
    seed is the manifest's; otherwise the database is built from the seed (needs Faker) once into the
    cache directory, under a name keyed by the JSONL's hash so a regenerated set never meets a stale file.
    Scoring always runs on a fresh copy (metrics.Scorer), never on this file."""
    from nichelm.eval.ecommerce import reference

    try:
        ref = reference.manifest()
        if ref.get("seed") == seed and reference.file_sha256(reference.REFERENCE_DB) == ref.get("sha256"):
            return reference.REFERENCE_DB
    except (OSError, ValueError, KeyError):
        pass
    from nichelm.eval.ecommerce.generate import build_database

    key = _sha(jsonl)[:12] if jsonl.is_file() else "nojsonl"
    target = cache_dir() / f"ecommerce-seed{seed}-{key}.sqlite"
    if not target.is_file():
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        build_database(tmp, seed=seed)
        os.replace(tmp, target)  # atomic: a concurrent or interrupted build never leaves half a file
    return target


def load_ecommerce(jsonl: str | os.PathLike | None = None, db_path: str | os.PathLike | None = None) -> Dataset:
    """The e-commerce set, or any JSONL of rows {id, question, sql[, shape, difficulty, db, db_path]}.

    A row's `db_path` (relative to the JSONL's folder) names its database; rows without one use
    *db_path*, else the e-commerce database built from the seed."""
    src = Path(jsonl) if jsonl else ECOMMERCE_JSONL
    if not src.is_file():
        raise DatasetError(f"{src}: question file not found (the e-commerce set is eval/data/ecommerce_500.jsonl)")
    rows = []
    for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{src}:{n}: not valid JSON: {exc}") from exc
    default_db: Path | None = Path(db_path) if db_path else None
    examples = []
    for row in rows:
        if row.get("db_path"):
            db = (src.parent / row["db_path"]).resolve()
        else:
            if default_db is None:
                default_db = ecommerce_database(src)
            db = default_db
        if not db.is_file():
            raise DatasetError(f"{src}: database {db} of question {row.get('id')} does not exist")
        meta = {k: row[k] for k in ("shape", "difficulty", "expect_empty", "orders") if k in row}
        examples.append(Example(str(row["id"]), row.get("db", db.stem), str(db), row["question"], row["sql"], meta))
    name = "ecommerce" if src.resolve() == ECOMMERCE_JSONL.resolve() else str(src)
    return Dataset(name, examples)


def load_spider_dev(root: str | os.PathLike | None = None) -> Dataset:
    from nichelm.training import spider_data

    base = spider_data.spider_dir(root)
    raw = json.loads((base / "dev.json").read_text(encoding="utf-8"))  # for the parsed `sql` (hardness)
    items = spider_data.load_split("dev", base)
    if len(raw) != len(items):
        raise DatasetError(f"dev.json has {len(raw)} items but the loader gave {len(items)}")
    examples, skipped = [], {}
    for i, (ex, item) in enumerate(zip(items, raw)):
        if ex.db_path is None:
            reason = f"missing database {ex.db_id}"
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        meta = {"hardness": hardness(item["sql"])}
        examples.append(Example(f"spider-dev-{i:04d}", ex.db_id, str(ex.db_path), ex.question, ex.query, meta))
    return Dataset("spider-dev", examples, skipped)


def load(name: str, **kw) -> Dataset:
    """A dataset by name: 'ecommerce' or 'spider-dev' (or a path to a JSONL in the e-commerce format)."""
    if name == "ecommerce":
        return load_ecommerce(**kw)
    if name == "spider-dev":
        return load_spider_dev(**kw)
    if name.endswith(".jsonl") and Path(name).is_file():
        return load_ecommerce(jsonl=name, **kw)
    raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)} or give a .jsonl path")


def group_by_database(examples: list[Example]) -> list[Example]:
    """Examples reordered so each database's questions are consecutive (first-seen database order),
    which keeps a local model's schema prefix in its KV cache."""
    order: dict[str, int] = {}
    for ex in examples:
        order.setdefault(ex.db_path, len(order))
    return sorted(examples, key=lambda e: order[e.db_path])  # stable: keeps file order within a database
