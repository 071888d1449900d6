"""The one definition of NicheLM's chat prompt, shared by inference, training and evaluation.

system:    instructions + the database schema as CREATE TABLE text
user:      the question
assistant: one SQLite query, nothing else

>>> msgs = build_messages("CREATE TABLE t (id INTEGER);", "How many rows are in t?")
>>> [m["role"] for m in msgs]
['system', 'user']
>>> training_messages("CREATE TABLE t (id INTEGER);", "How many rows?", "SELECT count(*) FROM t")[-1]
{'role': 'assistant', 'content': 'SELECT count(*) FROM t;'}
"""

from __future__ import annotations

# Example values per text column shown in the schema (schema.read_schema(examples=...)): part of the
# prompt format, since NicheLM v1 was trained with them.
EXAMPLE_VALUES = 3
# Prompt v2: a category column (at most this many distinct short values, repeated across rows) lists all
# of them ("-- one of ..."), so the model can match a value the question names even when it is not among
# the first few. 0 = off (prompt v1). Off while the shipped adapter (nichelm-v18-lora: runs of v2's
# recipe) is trained on prompt v1: the adapter trained with the lists (v3, ENUM_VALUES = 10 at commit c2c1714) scored
# e-commerce 0.540 / Spider dev 0.728 against v2's 0.542 / 0.751 (README, "The v3 experiment").
ENUM_VALUES = 0


def prompt_version(enum_values: int) -> int:
    """The prompt format that a value-list setting gives: 1 without the lists, 2 with them."""
    return 2 if enum_values else 1


PROMPT_VERSION = prompt_version(ENUM_VALUES)

SYSTEM_INSTRUCTIONS = (
    "You are NicheLM, a text-to-SQL assistant. Given the schema of a SQLite database and a question, "
    "write one SQLite query that answers the question. Use only the tables and columns in the schema. "
    "Reply with the SQL query only, without explanation or markdown."
)


def system_message(schema_text: str) -> str:
    """The system message: instructions, then the schema. The schema comes last so that the
    system text (and its KV cache) is shared by every question on the same database."""
    return f"{SYSTEM_INSTRUCTIONS}\n\nDatabase schema:\n{schema_text.strip()}"


def normalise_answer(sql: str) -> str:
    """Answer text as the model is trained to emit it: one statement, single line ending in ';'."""
    text = " ".join(sql.strip().split())
    text = text.rstrip(";").rstrip()
    return text + ";"


def build_messages(schema_text: str, question: str) -> list[dict]:
    """Messages for inference: the model writes the assistant turn."""
    return [
        {"role": "system", "content": system_message(schema_text)},
        {"role": "user", "content": question.strip()},
    ]


REPAIR_INSTRUCTIONS = "That query fails in SQLite: {error}.{hint} Write a corrected SQLite query for the question."


def repair_messages(schema_text: str, question: str, failed_sql: str, error: str,
                    hint: str | None = None) -> list[dict]:
    """Messages for a second attempt: the first answer and SQLite's error (with what the schema says
    about it, repair_hints.repair_hint) go back as one more turn. The system message (and so the cached
    schema prefix) is the same as the first attempt's."""
    note = f" In the schema, {hint.strip().rstrip('.')}." if hint else ""
    return build_messages(schema_text, question) + [
        {"role": "assistant", "content": normalise_answer(failed_sql)},
        {"role": "user", "content": REPAIR_INSTRUCTIONS.format(error=error.strip().rstrip("."), hint=note)},
    ]


def training_messages(schema_text: str, question: str, sql: str) -> list[dict]:
    """Messages for one training example: the inference messages plus the gold answer."""
    return build_messages(schema_text, question) + [{"role": "assistant", "content": normalise_answer(sql)}]
