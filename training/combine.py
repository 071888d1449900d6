"""Append to a training file the records of one source taken from another build, leaving every line of both
as it is: the generated hierarchy pairs of a newer `build-data --hierarchies N` onto an older data file,
so that those pairs are the only difference between two trainings.

    nichelm-train append-records v2.jsonl hier_build.jsonl --source hierarchy --out v8.jsonl

The validation file next to the first input (data.val.jsonl) is copied beside the output unchanged."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from .dataset import val_path_for


def lines_of_source(lines: list[str], source: str) -> list[str]:
    """The lines (JSONL records) whose "source" field is *source*, in file order."""
    return [line for line in lines if line.strip() and json.loads(line).get("source") == source]


def append_records(base: str | Path, other: str | Path, source: str, out: str | Path) -> dict:
    """Write *base*'s lines, then *other*'s records of *source*, to *out*; copy *base*'s validation file.
    Returns a report (counts and the output's sha256)."""
    base, other, out = Path(base), Path(other), Path(out)
    if out.resolve() in (base.resolve(), other.resolve()):
        raise ValueError(f"--out {out} would overwrite an input")
    base_text = base.read_text(encoding="utf-8")
    if base_text and not base_text.endswith("\n"):
        base_text += "\n"
    added = lines_of_source(other.read_text(encoding="utf-8").splitlines(keepends=True), source)
    if not added:
        raise ValueError(f"no record with source {source!r} in {other}")
    keys = {(r["db_id"], r["question"]) for r in map(json.loads, filter(str.strip, base_text.splitlines()))}
    clash = [r for r in map(json.loads, added) if (r["db_id"], r["question"]) in keys]
    if clash:
        raise ValueError(f"{len(clash)} of the added records are already in {base}, e.g. {clash[0]['question']!r}")
    text = base_text + "".join(line if line.endswith("\n") else line + "\n" for line in added)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    val = val_path_for(base)
    if val.exists():
        shutil.copyfile(val, val_path_for(out))
    return {"base": str(base), "other": str(other), "source": source, "out": str(out),
            "base_records": len(base_text.splitlines()), "added": len(added),
            "records": text.count("\n"), "val_copied": val.exists(),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
