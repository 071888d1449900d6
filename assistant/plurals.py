"""A plural word's singular, roughly: the one rule the assistant's name matching shares (which tables a question
names, which column refers to a table, what a question counts)."""

from __future__ import annotations

_ENDINGS = (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", ""))


def singular(word: str) -> str:
    """'pets' -> 'pet', 'countries' -> 'country', 'classes' -> 'class', 'boxes' -> 'box'; a word that ends in ss, us
    or is ('address', 'status', 'analysis'), and one too short to tell ('bus', 'ids'), stays as it is."""
    for plural, one in _ENDINGS:
        if word.endswith(plural) and len(word) >= max(len(plural) + 2, 4) and not word.endswith(("ss", "us", "is")):
            return word[: -len(plural)] + one
    return word
