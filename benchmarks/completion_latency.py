"""Completion latency on a synthetic 200-table schema: p50/p99 per call, in milliseconds.

    python benchmarks/completion_latency.py [--tables 200] [--columns 12] [--rounds 30]

Measures, for a set of cursor positions typical of typing a query:
- `analyse`     the pure cursor analysis alone (what the language server calls first);
- `complete`    the pure function with a prepared SchemaIndex (REPL and LSP build it once per schema);
- `complete+dict` the pure function handed the plain {table: [columns]} dict (indexed on every call);
- `repl`        the REPL's prompt-toolkit completer, all completions materialised as prompt-toolkit
                 Completion objects, as the completion menu does.
Target: <= 20 ms per call.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from nichelm.assistant.completion import SchemaIndex, analyse, complete
from nichelm.assistant.repl_commands import COMMANDS
from nichelm.assistant.repl_completer import SqlCompleter
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

CASES = [
    "SELECT ",
    "SELECT c",
    "SELECT * FROM ",
    "SELECT * FROM table_1",
    "SELECT * FROM table_12 t WHERE t.",
    "SELECT * FROM table_12 t WHERE t.col_12_",
    "SELECT t.col_3_1, u. FROM table_3 t JOIN table_150 u ON ",
    "SELECT * FROM table_3 t JOIN table_150 u ON t.col_3_1 = u.col_150_1 WHERE ",
    ("WITH recent AS (SELECT col_7_1, col_7_2 AS amount FROM table_7 WHERE col_7_3 > 10) "
    "SELECT r. FROM recent r JOIN table_8 x ON "),
    "SELECT count(*), col_9_2 FROM table_9 GROUP BY col_9_2 HAVING count(*) > 2 ORDER BY ",
    "SELECT * FROM table_20 WHERE col_20_1 IN (SELECT col_21_1 FROM table_21 WHERE ",
    "INSERT INTO table_44 (",
    "UPDATE table_44 SET ",
    "SELECT cl7",  # fuzzy over every column of the database (no FROM yet)
]


def synthetic_schema(n_tables: int, n_columns: int) -> dict[str, list[tuple[str, str]]]:
    types = ["INTEGER", "TEXT", "REAL", "DATE"]
    return {f"table_{i}": [(f"col_{i}_{j}", types[j % 4]) for j in range(n_columns)] for i in range(n_tables)}


def measure(fn, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for case in CASES:
            start = time.perf_counter()
            fn(case)
            times.append((time.perf_counter() - start) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=200)
    ap.add_argument("--columns", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()

    schema = synthetic_schema(args.tables, args.columns)
    index = SchemaIndex.of(schema)
    completer = SqlCompleter(lambda: index, COMMANDS)
    event = CompleteEvent(completion_requested=True)

    def repl(text: str) -> None:
        list(completer.get_completions(Document(text, len(text)), event))

    runs = {
        "analyse": lambda t: analyse(t, None, index),
        "complete": lambda t: complete(t, None, index),
        "complete+dict": lambda t: complete(t, None, schema),
        "repl": repl,
    }
    for fn in runs.values():  # warm up imports and regex caches
        measure(fn, 1)
    print(f"completion latency: {args.tables} tables x {args.columns} columns, {len(CASES)} cursor cases x "
          f"{args.rounds} rounds; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    print(f"{'what':<15} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
    for name, fn in runs.items():
        t = measure(fn, args.rounds)
        print(f"{name:<15} {pct(t, 0.5):8.2f} {pct(t, 0.99):8.2f} {max(t):8.2f} {statistics.mean(t):8.2f}")


if __name__ == "__main__":
    main()
