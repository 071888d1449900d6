"""The reference copy of the e-commerce database and the cached demo copy the REPL opens.

The reference file (eval/data/ecommerce.sqlite, ~0.6 MB) is committed with a manifest that records
its sha256, a content hash, the seed, and the Faker and SQLite versions that built it. Shipping the
file means a base install (no Faker) can still open the demo; ``tests/test_ecommerce_db.py`` proves
that a fresh build with the same seed reproduces it byte for byte.

Run ``python -m nichelm.eval.ecommerce.reference`` to rebuild the reference file and manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import warnings
from pathlib import Path

from .generate import DEFAULT_SEED, build_database, content_sha256, file_sha256

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REFERENCE_DB = DATA_DIR / "ecommerce.sqlite"
MANIFEST = DATA_DIR / "ecommerce.json"


def manifest() -> dict:
    """What the committed reference database is: seed, hashes, library versions, row counts."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def describe(path: Path, seed: int) -> dict:
    import faker

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("customers", "categories", "products", "orders", "order_items", "reviews")}
    finally:
        con.close()
    return {"seed": seed, "sha256": file_sha256(path), "content_sha256": content_sha256(path),
            "bytes": path.stat().st_size, "faker_version": faker.VERSION, "sqlite_version": sqlite3.sqlite_version,
            "rows": counts}


def write_reference(seed: int = DEFAULT_SEED) -> dict:
    """Rebuild eval/data/ecommerce.sqlite and its manifest from *seed*."""
    build_database(REFERENCE_DB, seed)
    info = describe(REFERENCE_DB, seed)
    MANIFEST.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _accepted(path: Path, expected: set[str]) -> bool:
    return path.exists() and file_sha256(path) in expected


def demo_database_path() -> Path:
    """A verified copy of the e-commerce database under NICHELM_HOME (made on first use).

    The copy is checked by sha256 on every call and replaced when it changed (e.g. after a write
    the user allowed in the REPL), so the demo and the benchmark always see the same data. Without
    the packaged reference file the database is built from the seed (needs Faker); if that build
    differs from the reference (another Faker version) it is kept with a warning and its own hash.
    """
    from nichelm.assistant.paths import home

    target = home() / "demo" / "ecommerce.sqlite"
    sidecar = target.with_name(target.name + ".sha256")
    ref = manifest() if MANIFEST.exists() else {}
    expected = {ref["sha256"]} if ref else set()
    if sidecar.exists():
        expected.add(sidecar.read_text().strip())
    if _accepted(target, expected):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if ref and _accepted(REFERENCE_DB, {ref["sha256"]}):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(REFERENCE_DB, tmp)
        os.replace(tmp, target)
        return target
    build_database(target, ref.get("seed", DEFAULT_SEED))
    digest = file_sha256(target)
    if ref and digest != ref["sha256"] and content_sha256(target) != ref["content_sha256"]:
        warnings.warn(f"the demo database built here differs from the reference (built with Faker "
                      f"{ref['faker_version']}); benchmark numbers on it are not comparable", stacklevel=2)
    sidecar.write_text(digest + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    seed = int(argv[0]) if argv else DEFAULT_SEED
    info = write_reference(seed)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
