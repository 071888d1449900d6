"""How often each of the product's answer checks trips, on a run's answers or on gold queries: the figures
README gives under "who trips the checks" (`nichelm-eval checks`). Each check is the product's own function,
applied in the order `answer_checks.check_finding` applies them."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from nichelm.assistant.answer_checks import CHECKS
from nichelm.assistant.schema import read_schema


@dataclass
class Trips:
    total: int = 0
    by_check: dict = field(default_factory=lambda: {name: [0, 0] for name in CHECKS})  # name: [trips, right]
    ids: list = field(default_factory=list)
    seconds: dict = field(default_factory=lambda: {name: 0.0 for name in CHECKS})  # time in each check
    calls: dict = field(default_factory=lambda: {name: 0 for name in CHECKS})

    def lines(self, what: str) -> list[str]:
        return [f"{what}: {self.total} checked; " + ", ".join(
            f"{name} {n}" + (f" ({right} right)" if n else "") for name, (n, right) in self.by_check.items())]

    def timing_lines(self) -> list[str]:
        """Mean time of each check per query it ran on (the first read of a database's values included)."""
        return ["time per query: " + ", ".join(f"{name} {1000 * self.seconds[name] / max(1, self.calls[name]):.2f} ms"
                                              for name in CHECKS)]


def count_trips(items: Iterable[tuple[str, str, str, bool, str]]) -> Trips:
    """items: (id, sql, database path, right, question). The first check that trips counts for each query."""
    out, schemas = Trips(), {}
    for item_id, sql, db_path, right, question in items:
        if not sql:
            continue
        out.total += 1
        if db_path not in schemas:
            schemas[db_path] = read_schema(db_path, examples=0)
        for name, check in CHECKS.items():
            start = time.perf_counter()
            found = check(db_path, question, sql, schemas[db_path])
            out.seconds[name] += time.perf_counter() - start
            out.calls[name] += 1
            if found:
                out.by_check[name][0] += 1
                out.by_check[name][1] += bool(right)
                out.ids.append(item_id)
                break
    return out
