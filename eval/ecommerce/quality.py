"""Prove the e-commerce evaluation set is sound; exit non-zero on any failure.

Checks every row: fields and types; every gold query parses as read-only and runs on a read-only
connection; answers are non-empty unless ``expect_empty`` (and empty when it is); no LIMIT boundary
and no ordered answer falls on a tie; ``orders`` matches the gold's top-level ORDER BY; no duplicate
ids or questions; no SQL in questions. Given training files (``--training``), it also fails when a
denylisted e-commerce-like Spider db_id, or one of the evaluation questions, appears in them.
Finally it prints the mix of shapes and difficulties.

Run: ``python -m nichelm.eval.ecommerce.quality`` (the harness exposes it as ``nichelm-eval check-data``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nichelm.assistant.errors import NicheError
from nichelm.assistant.sqlite_io import connect_readonly
from sqlglot.errors import ParseError, TokenError

from .build_set import DATASET_PATH, DB_ID, load_rows
from .checks import is_ordered, row_problems
from .shapes import DIFFICULTIES

FIELDS = {"id": str, "question": str, "sql": str, "shape": str, "difficulty": str, "db": str,
          "expect_empty": bool, "orders": bool}


@dataclass
class Report:
    n_rows: int = 0
    failures: list[str] = field(default_factory=list)   # "<id>: <problem>"
    shapes: Counter = field(default_factory=Counter)
    difficulties: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.failures


def _norm(question: str) -> str:
    return " ".join(question.lower().split())


def _field_problems(row: dict) -> list[str]:
    out = [f"field {k!r} missing or not {t.__name__}" for k, t in FIELDS.items() if not isinstance(row.get(k), t)]
    if row.get("difficulty") not in DIFFICULTIES:
        out.append(f"difficulty {row.get('difficulty')!r} is not one of {', '.join(DIFFICULTIES)}")
    if row.get("db") != DB_ID:
        out.append(f"db is {row.get('db')!r}, expected {DB_ID!r}")
    return out


def check_rows(rows: list[dict], db_path: str | Path) -> Report:
    """Check *rows* against the database at *db_path* (opened read-only)."""
    report = Report(n_rows=len(rows))
    ids: Counter = Counter(r.get("id") for r in rows)
    first_seen: dict[str, str] = {}
    con = connect_readonly(db_path)
    try:
        for i, row in enumerate(rows):
            rid = row.get("id") or f"row {i + 1}"
            problems = _field_problems(row)
            if ids[row.get("id")] > 1:
                problems.append("duplicate id")
            if problems:  # a malformed row cannot be checked further
                report.failures += [f"{rid}: {p}" for p in problems]
                continue
            key = _norm(row["question"])
            if key in first_seen:
                problems.append(f"duplicate question (same as {first_seen[key]})")
            first_seen.setdefault(key, rid)
            problems += row_problems(con, row["question"], row["sql"], row["expect_empty"])
            try:
                if is_ordered(row["sql"]) != row["orders"]:
                    problems.append(f"'orders' is {row['orders']} but the gold SQL "
                                    f"{'has' if not row['orders'] else 'has no'} top-level ORDER BY")
            except (ParseError, TokenError) as exc:  # also reported by row_problems
                problems.append(f"cannot parse for ORDER BY: {exc}")
            report.failures += [f"{rid}: {p}" for p in problems]
            report.shapes[row["shape"]] += 1
            report.difficulties[row["difficulty"]] += 1
    finally:
        con.close()
    return report


def _training_records(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def check_training_files(paths: list[Path], questions: list[str]) -> list[str]:
    """Denylisted Spider databases or evaluation questions found in training files (JSON or JSONL)."""
    from nichelm.training.denylist import assert_not_denylisted

    held_out = {_norm(q) for q in questions}
    failures = []
    for path in paths:
        try:
            records = _training_records(path)
        except (OSError, ValueError) as exc:
            failures.append(f"{path}: cannot read training data: {exc}")
            continue
        try:
            assert_not_denylisted(str(r.get("db_id") or r.get("db") or "") for r in records)
        except ValueError as exc:
            failures.append(f"{path}: {exc}")
        leaked = sum(1 for r in records if isinstance(r.get("question"), str) and _norm(r["question"]) in held_out)
        if leaked:
            failures.append(f"{path}: {leaked} held-out e-commerce question(s) appear in training data")
    return failures


def format_report(report: Report, extra_failures: list[str]) -> str:
    lines = [f"e-commerce evaluation set: {report.n_rows} rows, {len(report.shapes)} shapes"]
    lines.append("difficulty: " + ", ".join(f"{d} {report.difficulties[d]}" for d in DIFFICULTIES))
    if report.shapes:
        counts = report.shapes.values()
        lines.append(f"rows per shape: {min(counts)}–{max(counts)}")
        width = max(len(s) for s in report.shapes)
        lines += [f"  {s:<{width}}  {n}" for s, n in sorted(report.shapes.items())]
    failures = report.failures + extra_failures
    if failures:
        lines.append(f"FAILED: {len(failures)} problem(s)")
        lines += [f"  {f}" for f in failures]
    else:
        lines.append("OK: every check passed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 = all checks passed, 1 = failures, 2 = cannot run)."""
    ap = argparse.ArgumentParser(prog="nichelm-eval check-data", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATASET_PATH, help="evaluation JSONL (default: the committed set)")
    ap.add_argument("--db", type=Path, help="e-commerce database (default: the verified demo copy)")
    ap.add_argument("--training", type=Path, action="append", default=[], metavar="FILE",
                    help="training data file (JSON or JSONL with db_id); repeatable")
    args = ap.parse_args(argv)
    try:
        rows = load_rows(args.data)
        if args.db is None:
            from .reference import demo_database_path

            args.db = demo_database_path()
        report = check_rows(rows, args.db)
    except (OSError, ValueError, NicheError) as exc:
        print(f"check-data: cannot run: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    extra = check_training_files(args.training, [r.get("question", "") for r in rows])
    print(format_report(report, extra))
    return 0 if report.ok and not extra else 1


if __name__ == "__main__":
    sys.exit(main())
