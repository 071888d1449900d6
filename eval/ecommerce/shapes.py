"""The registry of SQL shapes the 500 e-commerce questions are built from.

A shape is one kind of question (say "top k customers of a country by spending"): a gold SQL
template, several English phrasings of the same request, a difficulty, and a function that draws
parameters from the seeded data. Shapes live in ``shapes_basic`` (easy, medium) and
``shapes_advanced`` (hard, extra); this module holds the type and the rendering.

>>> shape = SHAPES_BY_NAME["customers_in_country"]
>>> shape.render(0, {"country": "France", "country_text": "France"})
('How many customers do we have in France?', "SELECT COUNT(*) FROM customers WHERE country = 'France'")
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .params import Facts

DIFFICULTIES = ("easy", "medium", "hard", "extra")


def sql_literal(value) -> str:
    """A value as a SQLite literal: strings quoted with '' escaping, numbers as written."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool) or value is None:
        raise TypeError(f"no SQL literal for {value!r}")
    return repr(value)


class _SqlParams(dict):
    def __getitem__(self, key):
        return sql_literal(super().__getitem__(key))


@dataclass(frozen=True)
class Shape:
    name: str
    difficulty: str
    sql: str                      # str.format template; parameters become SQL literals
    questions: tuple[str, ...]    # str.format templates over the same parameters (plain text)
    draw: Callable[[Facts, random.Random], dict]
    allow_empty: bool = False     # some parameter choices legitimately give no rows

    def __post_init__(self):
        assert self.difficulty in DIFFICULTIES, self.difficulty
        assert len(self.questions) >= 3, f"{self.name}: needs at least 3 phrasings"

    def render(self, phrasing: int, params: dict) -> tuple[str, str]:
        """(question, gold SQL) for phrasing number *phrasing* and drawn *params*."""
        question = self.questions[phrasing % len(self.questions)].format_map(params)
        sql = " ".join(self.sql.split()).format_map(_SqlParams(params))
        return question, sql


def _registry() -> tuple[Shape, ...]:
    from .shapes_advanced import ADVANCED
    from .shapes_basic import BASIC

    shapes = BASIC + ADVANCED
    names = [s.name for s in shapes]
    assert len(set(names)) == len(names), "shape names must be unique"
    return shapes


SHAPES: tuple[Shape, ...] = _registry()
SHAPES_BY_NAME: dict[str, Shape] = {s.name: s for s in SHAPES}
