"""Build the 500 validated e-commerce evaluation rows, deterministically from the seed.

Rows are spread evenly over the shapes (quotas differ by at most one). For each shape, phrasings
are used in turn and parameters are drawn from the seeded data; a candidate is kept only if it passes
every check in ``checks`` (runs read-only, non-empty unless the shape allows one empty answer, no tie
at a LIMIT boundary or inside an ordered answer, a question not seen before, no SQL in the question).
The kept rows are shuffled (so a partial run still covers every shape) and numbered.

Run: ``python -m nichelm.eval.ecommerce.build_set`` (writes eval/data/ecommerce_500.jsonl).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from nichelm.assistant.sqlite_io import connect_readonly

from .checks import gold_rows, is_ordered, order_problems, question_problems
from .generate import DEFAULT_SEED
from .params import read_facts
from .shapes import SHAPES, Shape

N_ROWS = 500
DB_ID = "ecommerce"
DATASET_PATH = Path(__file__).resolve().parent.parent / "data" / "ecommerce_500.jsonl"
MAX_TRIES_PER_ROW = 60


class BuildError(RuntimeError):
    """A shape could not be filled with enough valid rows (fix the shape or its parameters)."""


def quotas(n_rows: int, shapes: tuple[Shape, ...] = SHAPES) -> dict[str, int]:
    """Even split of *n_rows* over *shapes*; the first (n_rows % len) shapes get one more."""
    base, extra = divmod(n_rows, len(shapes))
    return {s.name: base + (i < extra) for i, s in enumerate(shapes)}


def _fill(shape: Shape, quota: int, con, facts, seed: int, seen: set[str]) -> list[dict]:
    rng = random.Random(f"{seed}:{shape.name}")  # str seeds hash with sha512: stable across runs
    rows: list[dict] = []
    empty_used = False
    tries = 0
    while len(rows) < quota:
        tries += 1
        if tries > MAX_TRIES_PER_ROW * quota:
            raise BuildError(f"shape {shape.name}: only {len(rows)} of {quota} valid rows")
        question, sql = shape.render(len(rows), shape.draw(facts, rng))
        if question in seen or question_problems(question):
            continue
        result = gold_rows(con, sql)
        empty = not result
        if empty and (not shape.allow_empty or empty_used):
            continue
        if not empty and all(v is None for r in result for v in r):
            continue
        if order_problems(con, sql):
            continue
        empty_used |= empty
        seen.add(question)
        rows.append({"question": question, "sql": sql, "shape": shape.name, "difficulty": shape.difficulty,
                     "db": DB_ID, "expect_empty": empty, "orders": is_ordered(sql)})
    return rows


def build_rows(db_path: str | Path, seed: int = DEFAULT_SEED, n_rows: int = N_ROWS) -> list[dict]:
    """The evaluation rows for the database at *db_path* (which must be the one built from *seed*)."""
    con = connect_readonly(db_path)
    try:
        facts = read_facts(con)
        seen: set[str] = set()
        rows: list[dict] = []
        for shape in SHAPES:
            rows += _fill(shape, quotas(n_rows)[shape.name], con, facts, seed, seen)
    finally:
        con.close()
    random.Random(seed).shuffle(rows)
    width = len(str(n_rows))
    return [{"id": f"ecommerce-{i:0{width}d}", **row} for i, row in enumerate(rows, start=1)]


def dumps_rows(rows: list[dict]) -> str:
    """The JSONL text of *rows* (one fixed formatting, so the committed file can be compared)."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)


def load_rows(path: str | Path = DATASET_PATH) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    from .reference import demo_database_path

    ap = argparse.ArgumentParser(prog="python -m nichelm.eval.ecommerce.build_set", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DATASET_PATH)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--db", type=Path, help="database to build from (default: the demo database)")
    args = ap.parse_args(argv)
    db = args.db or demo_database_path()
    rows = build_rows(db, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps_rows(rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
