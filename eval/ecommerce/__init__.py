"""nichelm.eval.ecommerce: the held-out e-commerce database and its 500 evaluation questions.

- ``build_database(path, seed=42)``: build the shop database (byte-identical for a seed).
- ``demo_database_path()``: a verified cached copy under NICHELM_HOME (the REPL's demo database and
  the database the ``db: "ecommerce"`` rows run on).
- ``load_rows()``: the committed 500 rows (eval/data/ecommerce_500.jsonl).
"""

from __future__ import annotations

# Resolved lazily so `python -m nichelm.eval.ecommerce.<module>` does not import its own module twice.
_EXPORTS = {"build_database": "generate", "demo_database_path": "reference", "load_rows": "build_set",
            "DATASET_PATH": "build_set"}

__all__ = ["DATASET_PATH", "build_database", "demo_database_path", "load_rows"]


def __getattr__(name: str):
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
