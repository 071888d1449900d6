"""The singular the assistant's name matching shares (prompt tables, join guesses, counted tables)."""

import pytest
from nichelm.assistant.completion import _stems
from nichelm.assistant.context import _words
from nichelm.assistant.plurals import singular


@pytest.mark.parametrize("word, one", [
    ("pets", "pet"), ("countries", "country"), ("classes", "class"), ("addresses", "address"), ("boxes", "box"),
    ("matches", "match"), ("dishes", "dish"),
    ("address", "address"), ("status", "status"), ("analysis", "analysis"), ("bus", "bus"), ("ids", "ids"),
    ("pet", "pet"),
])
def test_singular(word, one):
    assert singular(word) == one


def test_every_user_of_it_agrees():
    assert _words("Dog_Owners status") == {"dog", "owners", "owner", "status"}
    assert _stems("Countries") == ["countries", "country"] and _stems("status") == ["status"]
