"""The KV state of a few recent prompt prefixes, so that going back to a database does not read its schema again.

llama.cpp's cache holds one token sequence: a question on another database evaluates that database's whole system
message (instructions + schema: about 380 tokens of a Spider database, 7 s on 2 CPU cores), and coming back to the
first database pays it again. Before the engine overwrites a prefix it keeps that sequence's state (llama.cpp's
`llama_state_seq_get_data`: about 13 MB for 450 tokens of the 1.5B model), and a later prompt that starts like a
kept one gets it back (`llama_state_seq_set_data`, milliseconds) instead of evaluating it again.

This module is the bookkeeping: which kept sequence shares the longest prefix with a prompt, and which to drop
(least recently used first, within a byte budget; one sequence per prefix family, the newest).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 256 * 1024 * 1024  # all kept states together
SAME_FAMILY = 0.5  # two sequences sharing more than half of the shorter one hold the same system message


@dataclass
class Kept:
    tokens: list[int]
    data: bytes


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def same_family(a: list[int], b: list[int]) -> bool:
    """Whether two token sequences hold the same system message (share more than SAME_FAMILY of the shorter)."""
    return common_prefix(a, b) > SAME_FAMILY * min(len(a), len(b))


class PrefixStates:
    """Kept sequences, most recently used last."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._kept: list[Kept] = []

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def bytes(self) -> int:
        return sum(len(k.data) for k in self._kept)

    def best(self, tokens: list[int]) -> tuple[int, Kept | None]:
        """The kept sequence that shares the longest prefix with *tokens*, and that length (0, None: none)."""
        best_n, best = 0, None
        for kept in self._kept:
            n = common_prefix(kept.tokens, tokens)
            if n > best_n:
                best_n, best = n, kept
        if best is not None:
            self._kept.remove(best)
            self._kept.append(best)
        return best_n, best

    def keep(self, tokens: list[int], data: bytes) -> None:
        """Keep *data*, the state of *tokens*, in place of any kept sequence of the same family."""
        if len(data) > self.max_bytes:
            return
        self._kept = [k for k in self._kept if not same_family(k.tokens, tokens)]
        self._kept.append(Kept(list(tokens), data))
        while self.bytes > self.max_bytes:
            self._kept.pop(0)
