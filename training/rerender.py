"""Existing training data under another schema-prompt setting: the same questions, answers and splits,
with each system message rebuilt by the product's own prompt code.

This separates a prompt change from a data change: `nichelm-train rerender v2.jsonl v2-lists.jsonl
--enum-values 10` gives data v2 with prompt v2's category value lists and nothing else different. Each
message comes from `dataset.prompt_messages`, as in build-data, so a question gets the tables it would get
at inference time. With the settings a file was built with, every record comes back unchanged.
Records generated over our own databases (training/hierarchy_data.py, training/ledger_data.py) need the
directory that `build-data --hierarchy-dir` wrote them to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nichelm.assistant.prompt import prompt_version
from nichelm.assistant.schema import read_schema

from .dataset import DataOptions, prompt_messages, schema_messages


@dataclass
class RerenderReport:
    records: int = 0
    changed: int = 0  # records whose system message differs from the input's
    too_long: int = 0  # dropped: over max_seq_len tokens after re-rendering
    tokens_before: int = 0
    tokens_after: int = 0

    def to_json(self) -> dict:
        return dict(self.__dict__)


class HierarchyDirMissing(ValueError):
    """A record generated over our own databases, and no directory (or no file there) to read its database from."""

    code = "hierarchy_dir_missing"


def rerender_record(rec: dict, opts: DataOptions, hierarchy_dir: str | None = None) -> dict:
    """*rec* with its messages rebuilt for *opts*' schema-prompt settings (question and answer kept)."""
    roles = [m["role"] for m in rec["messages"]]
    if roles != ["system", "user", "assistant"]:
        raise ValueError(f"expected system/user/assistant messages, got {roles} ({rec.get('db_id')})")
    out = dict(rec)
    question, answer = rec["messages"][1]["content"], rec["messages"][2]["content"]
    if rec.get("source") in ("hierarchy", "ledger"):
        path = Path(hierarchy_dir or "") / f"{rec['db_id']}.sqlite"
        if not hierarchy_dir or not path.is_file():
            raise HierarchyDirMissing(f"{rec['db_id']} is a generated database: pass --hierarchy-dir, the "
                                      f"directory build-data wrote it to (no {path.name} in {hierarchy_dir!r})")
        schema = read_schema(path, examples=opts.example_values, enum_values=opts.enum_values)
        out["messages"] = schema_messages(schema, question, answer, opts)
    else:
        out["messages"] = prompt_messages(rec["db_id"], question, answer, opts)
    out["prompt_version"] = prompt_version(opts.enum_values)
    return out


def rerender(records: list[dict], *, example_values: int, enum_values: int, spider_dir: str | None = None,
             tokenizer=None, max_seq_len: int | None = None,
             hierarchy_dir: str | None = None) -> tuple[list[dict], RerenderReport]:
    """Re-render every record; with a tokenizer, recount "n_tokens" and drop records over *max_seq_len*."""
    from .tokens import encode

    opts = DataOptions(spider_dir=spider_dir, example_values=example_values, enum_values=enum_values)
    report = RerenderReport(records=len(records))
    out = []
    for rec in records:
        new = rerender_record(rec, opts, hierarchy_dir)
        report.changed += new["messages"][0] != rec["messages"][0]
        if tokenizer is not None:
            n = len(encode(tokenizer, new["messages"]).input_ids)
            report.tokens_before += rec.get("n_tokens", 0)
            report.tokens_after += n
            if max_seq_len and n > max_seq_len:
                report.too_long += 1
                continue
            new["n_tokens"] = n
        out.append(new)
    return out, report
