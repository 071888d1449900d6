"""What the daemon's methods compute, as plain functions over a database path (no sockets here).

The daemon (daemon.py) decides where and when these run; the CLI calls `schema_json` directly for
`nichelm schema DB --local` so both print the same shape.
"""

from __future__ import annotations

import threading

from .engine import Engine
from .errors import NicheError
from .schema import Schema, read_schema
from .service import Answer, SchemaCache, answer_question, served_settings
from .sqlcheck import reads_only, validate
from .sqlite_io import check_database_file, execute_readonly, execute_write


def resolve_db(db: str) -> str:
    """Absolute resolved path of an existing SQLite file (raises DatabaseMissing / NotADatabase)."""
    return str(check_database_file(db))


def schema_json(schema: Schema, db: str) -> dict:
    """The `schema` method's result: everything a completer or a reader of the schema needs."""
    tables = []
    for t in schema.tables:
        tables.append({
            "name": t.name,
            "columns": [{"name": c.name, "type": c.type, "notnull": c.notnull, "default": c.default, "pk": c.pk}
                        for c in t.columns],
            "primary_key": list(t.primary_key),
            "foreign_keys": [{"columns": list(fk.columns), "ref_table": fk.ref_table,
                              "ref_columns": list(fk.ref_columns)} for fk in t.foreign_keys],
            "indexes": [{"name": i.name, "columns": list(i.columns), "unique": i.unique} for i in t.indexes],
            "row_count": t.row_count,
        })
    v = schema.version
    return {"db": db, "version": v.key if v else None, "schema_version": v.schema_version if v else None,
            "tables": tables}


def schema_result(db: str, cache: SchemaCache, row_counts: bool) -> dict:
    path = resolve_db(db)
    # Row counts change without the schema changing, so they are never served from the cache.
    schema = read_schema(path, row_counts=True) if row_counts else cache.get(path)
    return schema_json(schema, path)


def validate_result(db: str, sql: str, cache: SchemaCache) -> dict:
    path = resolve_db(db)
    schema = cache.get(path)
    problems = validate(sql, schema.as_dict())
    out = []
    for p in problems:
        line, col = p.line_col(sql)
        out.append({**p.to_json(), "line": line, "column": col})
    return {"db": path, "version": schema.version.key if schema.version else None, "problems": out,
            "read_only": reads_only(sql) is True}


def execute_result(db: str, sql: str, *, allow_writes: bool, max_rows: int, timeout_s: float,
                   cancel: threading.Event | None = None) -> dict:
    path = resolve_db(db)
    if allow_writes:
        result = execute_write(path, sql, timeout_s=timeout_s, max_rows=max_rows)
    else:
        result = execute_readonly(path, sql, timeout_s=timeout_s, max_rows=max_rows, cancel=cancel)
    return {"db": path, "read_only": not allow_writes, **result.to_json()}


def generate_answer(engine: Engine, schema: Schema, path: str, params: dict,
                    cancel: threading.Event | None) -> Answer:
    """The model part of `generate` (runs on the daemon's one model thread)."""
    return answer_question(engine, schema, params["question"], db_path=path,
                           candidates=max(1, params["candidates"]), with_examples=params["with_examples"],
                           repair=params.get("repair", True), cancel=cancel,
                           **served_settings(engine, params.get("retry_empty"), params.get("doubt_candidates")))


def execution_for(answer: Answer, path: str, params: dict, cancel: threading.Event | None) -> dict:
    """The read-only run of a generated query, as {"result", "execution_error"} (never raises)."""
    if not answer.sql:
        return {"result": None, "execution_error": {"code": "no_sql", "message": "no SQL to run"}}
    # Run it even when the validator found problems: SQLite has the last word (the validator can be
    # wrong about, say, an alias), and the connection is read-only either way.
    try:
        r = execute_readonly(path, answer.sql, timeout_s=params["timeout_s"], max_rows=params["max_rows"],
                             cancel=cancel)
        return {"result": r.to_json(), "execution_error": None}
    except NicheError as exc:
        return {"result": None, "execution_error": exc.to_json()}
