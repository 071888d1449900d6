"""Which kept KV states a prompt can reuse, and which are dropped (assistant/prefix_states.py)."""

from nichelm.assistant.prefix_states import PrefixStates

PREAMBLE = list(range(1000, 1040))  # the instructions every system message starts with


def prompt(schema: int, question: int, n_schema: int = 200) -> list[int]:
    return PREAMBLE + [schema * 10_000 + i for i in range(n_schema)] + [question, question + 1]


def test_the_kept_sequence_sharing_the_longest_prefix_is_chosen():
    states = PrefixStates()
    assert states.best(prompt(1, 5)) == (0, None)
    states.keep(prompt(1, 5), b"shop")
    states.keep(prompt(2, 5), b"zoo")
    n, kept = states.best(prompt(1, 7))
    assert kept.data == b"shop" and n == len(PREAMBLE) + 200
    n, kept = states.best(prompt(3, 7))  # a third database shares only the instructions
    assert n == len(PREAMBLE)


def test_one_sequence_per_system_message_the_newest():
    states = PrefixStates()
    states.keep(prompt(1, 5), b"old")
    states.keep(prompt(1, 9), b"new")  # the same database, another question
    assert len(states) == 1 and states.best(prompt(1, 3))[1].data == b"new"


def test_the_least_recently_used_go_first_within_the_byte_budget():
    states = PrefixStates(max_bytes=30)
    for db in (1, 2, 3):
        states.keep(prompt(db, 5), bytes(10))
    states.best(prompt(1, 5))  # used: now the most recent
    states.keep(prompt(4, 5), bytes(10))
    assert len(states) == 3 and states.bytes == 30
    assert states.best(prompt(2, 5))[0] == len(PREAMBLE)  # 2 was the least recently used: dropped
    assert states.best(prompt(1, 5))[1] is not None
    states.keep(prompt(5, 5), bytes(31))  # larger than the whole budget: not kept, nothing dropped
    assert len(states) == 3
