"""Spider loaders: questions and gold SQL per split, database paths, and schema text for the prompt.

The schema comes from each database's .sqlite file (the same reader the product uses at inference), so
training sees exactly what a user's prompt will show. Where a database file is missing (three large ones
in this copy), the schema is rebuilt from tables.json instead.

The data directory is, in order: the *root* argument, $NICHELM_SPIDER_DIR, /work/shared/data/spider.

>>> ex = load_split("dev")[0]           # doctest: +SKIP
>>> ex.db_id, database_path(ex.db_id)   # doctest: +SKIP
('concert_singer', PosixPath('/work/shared/data/spider/database/concert_singer/concert_singer.sqlite'))
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from nichelm.assistant.prompt import ENUM_VALUES
from nichelm.assistant.schema import Column, ForeignKey, Schema, Table, read_schema, render_schema

# Spider sits in ../shared/data/spider beside a checkout of this repository (training/ is one level down).
_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data" / "spider"
DEFAULT_SPIDER_DIR = _BESIDE_CHECKOUT if _BESIDE_CHECKOUT.is_dir() else Path("/work/shared/data/spider")
SPLIT_FILES = {"train": ("train_spider.json",), "dev": ("dev.json",)}


class SpiderDataMissing(FileNotFoundError):
    """Raised when the Spider directory or one of its files is not where it should be."""

    code = "spider_data_missing"


@dataclass(frozen=True)
class SpiderExample:
    db_id: str
    question: str
    query: str
    db_path: Path | None  # None when the database file is missing from this copy


def spider_dir(root: str | os.PathLike | None = None) -> Path:
    """The Spider directory to use (argument, then $NICHELM_SPIDER_DIR, then the shared default)."""
    p = Path(root or os.environ.get("NICHELM_SPIDER_DIR") or DEFAULT_SPIDER_DIR)
    if not (p / "tables.json").is_file():
        raise SpiderDataMissing(
            f"no Spider data at {p} (tables.json missing); set NICHELM_SPIDER_DIR or pass --spider-dir"
        )
    return p


def database_path(db_id: str, root: str | os.PathLike | None = None) -> Path | None:
    """Path of database/<db_id>/<db_id>.sqlite, or None when this copy lacks the file."""
    p = spider_dir(root) / "database" / db_id / f"{db_id}.sqlite"
    return p if p.is_file() else None


def load_split(split: str, root: str | os.PathLike | None = None) -> list[SpiderExample]:
    """All examples of *split* ("train" or "dev") in file order."""
    if split not in SPLIT_FILES:
        raise ValueError(f"unknown Spider split {split!r}; expected one of {sorted(SPLIT_FILES)}")
    base = spider_dir(root)
    out: list[SpiderExample] = []
    for name in SPLIT_FILES[split]:
        f = base / name
        if not f.is_file():
            raise SpiderDataMissing(f"Spider file {f} is missing")
        for item in json.loads(f.read_text(encoding="utf-8")):
            out.append(SpiderExample(item["db_id"], item["question"], item["query"],
                                     database_path(item["db_id"], base)))
    return out


@functools.lru_cache(maxsize=4)
def _tables_json(path: str) -> dict[str, dict]:
    return {d["db_id"]: d for d in json.loads(Path(path).read_text(encoding="utf-8"))}


def tables_json(root: str | os.PathLike | None = None) -> dict[str, dict]:
    """tables.json as {db_id: entry}."""
    return _tables_json(str(spider_dir(root) / "tables.json"))


_TYPES = {"number": "NUMBER", "text": "TEXT", "time": "TIME", "boolean": "BOOLEAN", "others": ""}


def schema_from_tables_json(entry: dict) -> Schema:
    """A Schema built from one tables.json entry (used only when the .sqlite file is missing)."""
    names = entry["table_names_original"]
    cols = entry["column_names_original"]
    types = entry["column_types"]
    pk_cols: list[list[int]] = [[p] if isinstance(p, int) else list(p) for p in entry["primary_keys"]]
    pk_pos = {c: i + 1 for group in pk_cols for i, c in enumerate(group)}
    by_table: dict[int, list[Column]] = {i: [] for i in range(len(names))}
    for idx, (t, name) in enumerate(cols):
        if t < 0:  # the "*" pseudo-column
            continue
        by_table[t].append(Column(name, _TYPES.get(types[idx], ""), False, None, pk_pos.get(idx, 0)))
    fks: dict[int, list[ForeignKey]] = {i: [] for i in range(len(names))}
    for src, dst in entry["foreign_keys"]:
        st, sc = cols[src]
        dt, dc = cols[dst]
        fks[st].append(ForeignKey((sc,), names[dt], (dc,)))
    tables = tuple(Table(names[i], tuple(by_table[i]), tuple(fks[i])) for i in range(len(names)))
    return Schema(tables)


@functools.lru_cache(maxsize=256)
def _schema(root: str, db_id: str, examples: int, enum_values: int) -> Schema:
    path = database_path(db_id, root)
    if path is not None:
        return read_schema(path, examples=examples, enum_values=enum_values)
    entry = tables_json(root).get(db_id)
    if entry is None:
        raise SpiderDataMissing(f"Spider database {db_id!r} has neither a .sqlite file nor a tables.json entry")
    return schema_from_tables_json(entry)


def schema_for(db_id: str, root: str | os.PathLike | None = None, *, examples: int = 0,
               enum_values: int = ENUM_VALUES) -> Schema:
    """The Schema of *db_id*: read from its .sqlite file, else from tables.json (no example values then).

    examples: distinct example values to collect per column (only possible from the file).
    enum_values: the prompt's category value lists (schema.read_schema); 0 = prompt v1."""
    return _schema(str(spider_dir(root)), db_id, int(examples), int(enum_values))


def schema_text(db_id: str, root: str | os.PathLike | None = None, *, with_examples: bool = False,
                examples: int = 3) -> str:
    """The full CREATE TABLE text of *db_id* as the prompt renders it."""
    schema = schema_for(db_id, root, examples=examples if with_examples else 0)
    return render_schema(schema, with_examples=with_examples)
