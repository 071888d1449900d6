"""Fit a schema into the prompt's budget, keeping the tables most relevant to the question.

When the whole schema fits, it is used as is: the text is then the same for every question on that
database, so the engine can keep it in the KV cache. Only schemas over budget are cut per question.
"""

from __future__ import annotations

import re

from .plurals import singular
from .schema import Schema, Table, render_schema

# A rough tokens-per-character ratio for CREATE TABLE text with Qwen/SmolLM tokenizers; callers that
# hold a tokenizer can pass their own counter.
CHARS_PER_TOKEN = 3.2
DEFAULT_SCHEMA_BUDGET = 2500  # tokens


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    """The words of *text* and their singulars: 'dog_owners' -> {'dog', 'owners', 'owner'}."""
    out = set()
    for w in _WORD.findall(text.lower().replace("_", " ")):
        out.update((w, singular(w)))
    return out


def relevance(table: Table, question_words: set[str]) -> float:
    """Score a table by how much of its name and its columns' names the question mentions."""
    name_hits = len(_words(table.name) & question_words)
    col_hits = sum(1 for c in table.columns if _words(c.name) & question_words)
    return 3.0 * name_hits + col_hits


def select_tables(schema: Schema, question: str, budget_tokens: int = DEFAULT_SCHEMA_BUDGET,
                  count=estimate_tokens, with_examples: bool = False) -> list[str]:
    """Names of the tables to show: all when they fit, else the most relevant ones plus the tables
    their foreign keys point to, added while the budget lasts."""
    full = render_schema(schema, with_examples=with_examples)
    if count(full) <= budget_tokens:
        return schema.table_names
    qwords = _words(question)
    ranked = sorted(schema.tables, key=lambda t: -relevance(t, qwords))
    chosen: list[str] = []
    used = 0

    def add(t: Table) -> bool:
        nonlocal used
        if t.name in chosen:
            return True
        cost = count(render_schema(schema, [t.name], with_examples=with_examples)) + 1
        if used + cost > budget_tokens:
            return False
        chosen.append(t.name)
        used += cost
        return True

    for t in ranked:
        if relevance(t, qwords) <= 0 and chosen:
            break
        if add(t):
            for fk in t.foreign_keys:
                ref = schema.table(fk.ref_table)
                if ref is not None:
                    add(ref)
    # Fill what is left with the remaining tables in schema order.
    for t in schema.tables:
        add(t)
    order = {t.name: i for i, t in enumerate(schema.tables)}
    return sorted(chosen, key=order.__getitem__)


def schema_text_for(schema: Schema, question: str, budget_tokens: int = DEFAULT_SCHEMA_BUDGET,
                    count=estimate_tokens, with_examples: bool = False) -> str:
    """The schema text to put in the prompt for *question*."""
    tables = select_tables(schema, question, budget_tokens, count, with_examples)
    return render_schema(schema, tables, with_examples=with_examples)
