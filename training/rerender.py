"""Existing training data under another schema-prompt setting: the same questions, answers and splits,
with each system message rebuilt by the product's own prompt code.

This separates a prompt change from a data change: `nichelm-train rerender v2.jsonl v2-lists.jsonl
--enum-values 10` gives data v2 with prompt v2's category value lists and nothing else different. Each
schema text comes from `nichelm.assistant.context.schema_text_for`, the call inference makes, so a question
gets the tables it would get at inference time. With the settings a file was built with, every record comes
back unchanged (`check_same_prompt` holds that).
"""

from __future__ import annotations

from dataclasses import dataclass

from nichelm.assistant.context import DEFAULT_SCHEMA_BUDGET, schema_text_for
from nichelm.assistant.prompt import prompt_version, training_messages

from . import spider_data


@dataclass
class RerenderReport:
    records: int = 0
    changed: int = 0  # records whose system message differs from the input's
    too_long: int = 0  # dropped: over max_seq_len tokens after re-rendering
    tokens_before: int = 0
    tokens_after: int = 0

    def to_json(self) -> dict:
        return dict(self.__dict__)


def rerender_record(rec: dict, *, example_values: int, enum_values: int, spider_dir: str | None = None,
                    schema_budget: int = DEFAULT_SCHEMA_BUDGET) -> dict:
    """*rec* with its messages rebuilt for the given schema-prompt settings (answer and question kept)."""
    roles = [m["role"] for m in rec["messages"]]
    if roles != ["system", "user", "assistant"]:
        raise ValueError(f"expected system/user/assistant messages, got {roles} ({rec.get('db_id')})")
    question = rec["messages"][1]["content"]
    schema = spider_data.schema_for(rec["db_id"], spider_dir, examples=example_values, enum_values=enum_values)
    text = schema_text_for(schema, question, schema_budget, with_examples=example_values > 0)
    out = dict(rec)
    out["messages"] = training_messages(text, question, rec["messages"][2]["content"])
    out["prompt_version"] = prompt_version(enum_values)
    return out


def rerender(records: list[dict], *, example_values: int, enum_values: int, spider_dir: str | None = None,
             tokenizer=None, max_seq_len: int | None = None) -> tuple[list[dict], RerenderReport]:
    """Re-render every record; with a tokenizer, recount "n_tokens" and drop records over *max_seq_len*."""
    from .tokens import encode

    report = RerenderReport(records=len(records))
    out = []
    for rec in records:
        new = rerender_record(rec, example_values=example_values, enum_values=enum_values, spider_dir=spider_dir)
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


def check_same_prompt(records: list[dict], *, example_values: int, enum_values: int,
                      spider_dir: str | None = None) -> int:
    """How many of *records* the given settings do NOT reproduce exactly (0 = they were built with them)."""
    return sum(
        rerender_record(r, example_values=example_values, enum_values=enum_values,
                        spider_dir=spider_dir)["messages"] != r["messages"]
        for r in records
    )
