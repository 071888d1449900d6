"""Question -> SQL for a database file: schema (cached by version), prompt budget, model, checks.

This is what the daemon, the REPL (through the daemon) and the evaluation's local backend call.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from .context import DEFAULT_SCHEMA_BUDGET, schema_text_for
from .engine import Engine, Generation
from .errors import NicheError, NoSQLFound, Problem
from .prompt import EXAMPLE_VALUES
from .schema import Schema, read_schema, schema_version
from .sqlcheck import extract_sql, validate
from .sqlite_io import execute_readonly


@dataclass
class Answer:
    question: str
    sql: str | None
    raw: str
    problems: list[Problem] = field(default_factory=list)
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    schema_version: str = ""
    candidates: int = 1
    agreement: int = 1

    def to_json(self) -> dict:
        return {"question": self.question, "sql": self.sql, "raw": self.raw,
                "problems": [p.to_json() for p in self.problems], "latency_s": round(self.latency_s, 4),
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cached_tokens": self.cached_tokens, "schema_version": self.schema_version,
                "candidates": self.candidates, "agreement": self.agreement}


class SchemaCache:
    """Schemas by database path, re-read only when `PRAGMA schema_version` or the file changes."""

    def __init__(self, examples: int = EXAMPLE_VALUES):
        self._lock = threading.Lock()
        self._by_path: dict[str, Schema] = {}
        self.examples = examples

    def get(self, path: str) -> Schema:
        version = schema_version(path)
        with self._lock:
            cached = self._by_path.get(version.path)
            if cached is not None and cached.version == version:
                return cached
        schema = read_schema(path, examples=self.examples)
        with self._lock:
            self._by_path[version.path] = schema
        return schema

    def forget(self, path: str) -> None:
        with self._lock:
            self._by_path.pop(path, None)


def answer_question(engine: Engine, schema: Schema, question: str, *, db_path: str | None = None,
                    candidates: int = 1, with_examples: bool | None = None,
                    budget_tokens: int = DEFAULT_SCHEMA_BUDGET, cancel=None) -> Answer:
    """Generate SQL for *question*. With candidates > 1 and a database to run them on, sample a few
    more answers, run each read-only and return the one whose result most candidates share."""
    if with_examples is None:
        with_examples = bool(schema.examples)
    schema_text = schema_text_for(schema, question, budget_tokens, with_examples=with_examples)
    gen = engine.generate(schema_text, question, cancel=cancel)
    gens = [gen]
    if candidates > 1 and db_path:
        for i in range(candidates - 1):
            gens.append(engine.generate(schema_text, question, temperature=0.7, seed=1000 + i, cancel=cancel))
    sql, problems, agreement = _choose(gens, schema, db_path if candidates > 1 else None)
    total = sum(g.latency_s for g in gens)
    return Answer(question, sql, gen.text, problems, total, gen.prompt_tokens,
                  sum(g.completion_tokens for g in gens), gen.cached_tokens,
                  schema.version.key if schema.version else "", len(gens), agreement)


def sql_from_output(text: str, schema: Schema) -> tuple[str | None, list[Problem]]:
    try:
        sql = extract_sql(text)
    except NoSQLFound as exc:
        return None, [Problem(exc.message, 0, 0, "error", "no_sql")]
    return sql, validate(sql, schema.as_dict())


def _choose(gens: list[Generation], schema: Schema, db_path: str | None):
    parsed = [sql_from_output(g.text, schema) for g in gens]
    if db_path is None or len(parsed) == 1:
        sql, problems = parsed[0]
        return sql, problems, 1
    results: list[object] = []
    for sql, problems in parsed:
        if sql is None or any(p.severity == "error" for p in problems):
            results.append(None)
            continue
        try:
            r = execute_readonly(db_path, sql, timeout_s=5.0, max_rows=10_000)
            results.append(tuple(sorted(Counter(map(repr, r.rows)).items())))
        except NicheError:  # a candidate that fails to run gets no vote
            results.append(None)
    votes = Counter(r for r in results if r is not None)
    if not votes:
        sql, problems = parsed[0]
        return sql, problems, 0
    best_count = max(votes.values())
    # Among the most-agreed results, prefer the earliest candidate (the greedy one first).
    for (sql, problems), r in zip(parsed, results):
        if r is not None and votes[r] == best_count:
            return sql, problems, best_count
    sql, problems = parsed[0]
    return sql, problems, 0
