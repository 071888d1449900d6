"""What every backend shares: the Prediction record, the Backend protocol, and the prompt pieces.

All backends build the same prompt: `nichelm.assistant.context.schema_text_for` (same budget, same table
selection, optional example values) inside `nichelm.assistant.prompt.build_messages`, and pull the SQL
out of the reply with `nichelm.assistant.service.sql_from_output`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from nichelm.assistant.context import DEFAULT_SCHEMA_BUDGET, schema_text_for
from nichelm.assistant.prompt import ENUM_VALUES, build_messages
from nichelm.assistant.schema import Schema
from nichelm.assistant.service import SchemaCache, sql_from_output

from ..datasets import Example


@dataclass
class Prediction:
    """One backend answer. `error` is set (and `sql` usually None) when the backend failed on it."""

    raw: str
    sql: str | None
    latency_s: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"raw": self.raw, "pred_sql": self.sql, "latency_s": round(self.latency_s, 4),
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cost_usd": round(self.cost_usd, 8), "error": self.error, "extra": self.extra}


@runtime_checkable
class Backend(Protocol):
    """A way to turn an Example into a Prediction.

    concurrency: how the runner may parallelise it — "threads" (one shared, thread-safe instance),
    "processes" (one instance per worker process, e.g. a local model) or "serial".
    """

    concurrency: str

    def predict(self, example: Example) -> Prediction: ...

    def info(self) -> dict: ...

    def close(self) -> None: ...


class PromptMaker:
    """Schema (cached per database file) -> prompt messages, identical for every backend."""

    def __init__(self, examples: int = 0, budget_tokens: int = DEFAULT_SCHEMA_BUDGET,
                 enum_values: int = ENUM_VALUES):
        self.schemas = SchemaCache(examples, enum_values)
        self.with_examples = examples > 0
        self.budget_tokens = budget_tokens

    def schema(self, example: Example) -> Schema:
        return self.schemas.get(example.db_path)

    def messages(self, example: Example) -> tuple[list[dict], Schema]:
        schema = self.schema(example)
        text = schema_text_for(schema, example.question, self.budget_tokens, with_examples=self.with_examples)
        return build_messages(text, example.question), schema


def extract(raw: str, schema: Schema) -> str | None:
    sql, _problems = sql_from_output(raw, schema)
    return sql
