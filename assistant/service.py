"""Question -> SQL for a database file: schema (cached by version), prompt budget, model, checks.

This is what the daemon, the REPL (through the daemon) and the evaluation's local backend call.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from .answer_checks import check_finding, first_finding, known_fix
from .context import DEFAULT_SCHEMA_BUDGET, schema_text_for, select_tables
from .engine import Engine, Generation
from .errors import NicheError, NoSQLFound, Problem
from .prompt import ENUM_VALUES, EXAMPLE_VALUES
from .repair_hints import repair_hint
from .schema import Schema, read_schema, schema_version
from .sql_scope import with_kept
from .sqlcheck import extract_sql, reads_only, validate
from .sqlite_io import execute_readonly, prepare_error

REPAIR_ATTEMPTS = 3  # second tries after an answer that does not compile: one greedy, then sampled
# Samples drawn when an answer runs but returns nothing, or fails after repair (answer_question's
# retry_empty): what the daemon, the REPL and `nichelm ask` use unless told otherwise (default_retry_empty).
# On a GPU, v6 with 4 samples after an empty result gained 5 / lost 0 e-commerce questions and 6 / 5 on Spider
# dev (README, "Retry on an empty result"), for four short generations more on such answers only. On the CPU
# it is off: there the same four cost about 10 s per answer on 2 cores.
RETRY_EMPTY = 0
RETRY_EMPTY_GPU = 4
# Candidates drawn only when the greedy answer is in doubt (answer_question's doubt_candidates: it trips a check that
# no known fix settles, has an empty result or no SQL), voted as `candidates` are. On a GPU, 16 of them: end to end on
# four H200s (twenty-fifth session), Spider dev 0.817 -> 0.823 and e-commerce 0.920 -> 0.920, candidates drawn for
# about 14% and 5% of the questions; the other answers as fast as before (README, "Candidates when in doubt", footnote
# 35). On the CPU it is off: 15 generations more cost about 20 s on 2 cores.
DOUBT_CANDIDATES = 0
DOUBT_CANDIDATES_GPU = 16


def default_retry_empty(engine) -> int:
    """The product's retry_empty for *engine*: on where the model's layers run on a GPU, off on the CPU."""
    return RETRY_EMPTY_GPU if getattr(engine, "gpu_layers", 0) else RETRY_EMPTY


def default_doubt_candidates(engine) -> int:
    """The product's doubt_candidates for *engine*: on where the model's layers run on a GPU, off on the CPU."""
    return DOUBT_CANDIDATES_GPU if getattr(engine, "gpu_layers", 0) else DOUBT_CANDIDATES


def served_settings(engine, retry_empty: int | None = None, doubt_candidates: int | None = None) -> dict:
    """answer_question's retry_empty and doubt_candidates as the daemon and the REPL serve them: what a client asked
    for (never below 0), else the product's default for where *engine* runs."""
    return {"retry_empty": default_retry_empty(engine) if retry_empty is None else max(0, retry_empty),
            "doubt_candidates": (default_doubt_candidates(engine) if doubt_candidates is None
                                 else max(0, doubt_candidates))}


@dataclass
class Answer:
    question: str
    sql: str | None
    raw: str
    problems: list[Problem] = field(default_factory=list)
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    schema_version: str = ""
    candidates: int = 1
    agreement: int = 1
    # a later attempt replaced the first SQL: it failed to compile or a literal check (repair), or its result
    # was empty and the samples agreed on another, or no repair passed and a sample did (retry_empty)
    repaired: bool = False
    first_sql: str | None = None  # the replaced first attempt
    replaced_because: str | None = None  # why it was replaced, in words for the user
    # with candidates > 1: each candidate's SQL (None where it wrote none), the greedy one first; what an
    # evaluation keeps so that other votes over the same candidates can be replayed without the model
    candidate_sqls: list[str | None] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"question": self.question, "sql": self.sql, "raw": self.raw,
                "problems": [p.to_json() for p in self.problems], "latency_s": round(self.latency_s, 4),
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cached_tokens": self.cached_tokens, "schema_version": self.schema_version,
                "candidates": self.candidates, "agreement": self.agreement, "repaired": self.repaired,
                "first_sql": self.first_sql, "replaced_because": self.replaced_because}


class SchemaCache:
    """Schemas by database path, re-read only when `PRAGMA schema_version` or the file changes."""

    def __init__(self, examples: int = EXAMPLE_VALUES, enum_values: int = ENUM_VALUES):
        self._lock = threading.Lock()
        self._by_path: dict[str, Schema] = {}
        self.examples = examples
        self.enum_values = enum_values

    def get(self, path: str) -> Schema:
        version = schema_version(path)
        with self._lock:
            cached = self._by_path.get(version.path)
            if cached is not None and cached.version == version:
                return cached
        schema = read_schema(path, examples=self.examples, enum_values=self.enum_values)
        with self._lock:
            self._by_path[version.path] = schema
        return schema

    def forget(self, path: str) -> None:
        with self._lock:
            self._by_path.pop(path, None)


def warm_schema(engine: Engine, schema: Schema, *, with_examples: bool | None = None,
                budget_tokens: int = DEFAULT_SCHEMA_BUDGET, cancel=None) -> int | None:
    """Evaluate the prompt's instructions and schema before any question (engine.warm): the tokens evaluated,
    or None when the schema is over the budget (then its tables depend on the question: nothing to prepare)."""
    if with_examples is None:
        with_examples = bool(schema.examples)
    if len(select_tables(schema, "", budget_tokens, with_examples=with_examples)) < len(schema.tables):
        return None
    return engine.warm(schema_text_for(schema, "", budget_tokens, with_examples=with_examples), cancel=cancel)


def answer_question(engine: Engine, schema: Schema, question: str, *, db_path: str | None = None,
                    candidates: int = 1, with_examples: bool | None = None,
                    budget_tokens: int = DEFAULT_SCHEMA_BUDGET, repair: bool = False, repair_hints: bool = True,
                    repair_chain: bool = True, retry_empty: int = 0, doubt_candidates: int = 0,
                    cancel=None) -> Answer:
    """Generate SQL for *question*. With candidates > 1 and a database to run them on, sample a few
    more answers, run each read-only and return the one whose result most candidates share, counting only
    those that pass every answer check when any does (_choose). With *doubt_candidates* > 1 (and candidates 1),
    the same is done with that many candidates, but only when the greedy answer is in doubt (_doubt: no SQL, a
    finding of the checks without a known fix, or an empty result); an answer not in doubt costs nothing more.

    With *repair*, an answer that SQLite cannot compile on the database (or, without a database, that
    has errors by the schema check) goes back to the model with the error, and with *repair_hints* what
    the schema says about it (repair_hints.repair_hint: where a missing column really is, how a missing
    table joins), up to REPAIR_ATTEMPTS times;
    the first new answer that compiles replaces it. Nothing is executed for this: EXPLAIN compiles
    without running. So does an answer whose test against a text the data makes always false
    (literal_checks: the text 'null' on a column of SQL NULLs, a value in the wrong letter case, a value
    of another column; a few read-only lookups decide it), and a grouped query that returns a column from
    an arbitrary row of each group (group_checks, from the query and the schema alone), and a shape wrong
    whatever the data: INTERSECT/EXCEPT of two aggregates, IS NULL on a column the inner joins keep
    non-NULL (shape_checks), a foreign key joined to a table it does not refer to (join_checks), and a query
    that never uses a value the question names word for word (a country, a status, a category:
    question_values), and a result, run read-only, with rows the question rules out: repeats where it asks for
    each value once, NULLs where it asks to leave unknown values out (row_checks); answer_checks keeps their
    order. A finding of the first answer whose change is known exactly (answer_checks.FIXES: a text in the wrong
    letter case, a WHERE test that repeats the HAVING's threshold on single rows, a row test of the number the
    question sets for a group's average, a COUNT(*) beside an IN list of as many values, rows a join repeats) is
    fixed here instead, and the fix kept when it passes every check (else the model repairs it). When the first answer
    does not compile and no repair passes every check, the first repair that compiles is kept, with the check's
    finding as a warning (kind "check"); a first answer that compiles and that no repair improves on stays, with the
    same warning. With *repair_chain*, a repair that fixes what
    it was told but trips another check is itself repaired (greedy first), with that finding, and so is one
    that SQLite rejects (a date column added without joining its table), with SQLite's error; when no later
    repair passes every check, the latest that compiles is kept over the answer before it, with its finding as
    the warning.

    With *retry_empty* = n and a database, n sampled answers are drawn when the answer has no usable
    result: it is empty (no rows, or only NULLs, run read-only), or repair found nothing that compiles and
    passes the checks. An empty result is replaced by the first sample of a non-empty result at least half
    of them agree on (an empty result that the samples confirm, or that they scatter away from, stays); a
    failed answer by the first sample of the result most of them share, if any sample runs at all."""
    if with_examples is None:
        with_examples = bool(schema.examples)
    schema_text = schema_text_for(schema, question, budget_tokens, with_examples=with_examples)
    gen = engine.generate(schema_text, question, cancel=cancel)
    gens = [gen]
    # A greedy answer looked at for doubt and found sure (it passes every check with rows) needs no second look below;
    # one whose finding has a known fix is fixed below with what that look found, as without doubt candidates.
    sure, looked = False, None
    if candidates <= 1 and doubt_candidates > 1 and db_path:
        doubt, looked = _doubt(gen, schema, db_path, question)
        if doubt == DOUBT:
            candidates = doubt_candidates
        sure = doubt == SURE
    if candidates > 1 and db_path:
        for i in range(candidates - 1):
            gens.append(engine.generate(schema_text, question, temperature=0.7, seed=1000 + i, cancel=cancel))
    sql, problems, agreement = _choose(gens, schema, db_path if candidates > 1 else None, question)
    n_candidates, first_sql, because = len(gens), None, None
    if looked is not None and repair:  # the finding and its fix, which passes every check with rows: no second look
        (kind, error, fixed), sure = looked, True
    else:
        kind, error = _failure_kind(sql, problems, db_path, schema, question) if repair and not sure else (None, None)
        fixed = fixed_without_model(kind, db_path, question, sql, schema) if error and db_path else None
    if fixed:  # the finding says exactly what to change: made here, and kept as it passes every check
        first_sql, (sql, problems), because = sql, fixed, error
    # A repair that compiles but trips a check is kept over a first answer that does not compile.
    kept, first_broken = None, bool(error) and bool(db_path) and kind in ("compile", "no_sql")
    # A repair that fixes what it was told but trips another check is repaired in turn (chained), and kept
    # over the answer before it when no repair passes every check.
    base, base_error, seen, chained, greedy, trail = sql, error, {kind}, None, True, []
    for attempt in range(REPAIR_ATTEMPTS if error and first_sql is None else 0):
        # The greedy retry first (and first after each chained step); if the model repeats itself, sampled
        # ones (a fine-tuned model tends to write the same query again).
        sample = {} if greedy else {"temperature": 0.7, "seed": 2000 + attempt}
        hint = repair_hint(schema, base or "", base_error) if repair_hints else None
        fix = engine.repair(schema_text, question, base or gen.text.strip(), base_error, hint, cancel=cancel,
                            **sample)
        gens.append(fix)
        greedy = False
        sql2, problems2 = sql_from_output(fix.text, schema)
        kept_with = with_kept(sql2, base or "", schema) if sql2 else None
        if kept_with:  # it joined a WITH table of the answer it repairs and dropped the table's definition
            sql2, problems2 = sql_from_output(kept_with, schema)
        # A question that got a query must not get a statement that changes things (or DDL) instead.
        same_kind = reads_only(sql2) is True or (sql is not None and reads_only(sql) is not True)
        if sql2 is None or not same_kind:
            continue
        kind2, why = _failure_kind(sql2, problems2, db_path, schema, question)
        if why is None:
            first_sql, sql, problems = sql, sql2, problems2
            because = "; then ".join([error, *trail])
            break
        compiles = db_path is not None and kind2 != "compile"  # _failure_kind has compiled it already
        if kept is None and first_broken and compiles:
            kept = sql2, problems2, why
        if repair_chain and db_path and kind2 not in seen and (compiles or kind2 == "compile"):
            # fixed what it was told; another check trips, or SQLite rejects how it was fixed (a date column
            # added without joining its table): that is repaired in turn, but only one that compiles is kept
            seen.add(kind2)
            base, base_error, greedy = sql2, why, True
            trail.append(why)
            if compiles:
                chained = sql2, problems2, why
    failed = error is not None and first_sql is None  # no repair compiled and passed the checks
    pick = chained or kept  # the latest repair that fixed a finding, else the first that compiles
    if failed and pick is not None:
        first_sql, (sql, problems, why) = sql, pick
        problems = [*problems, Problem(f"this query may be wrong: {why}", 0, len(sql), "warning", "check")]
        because = (f"{error}; no repair passed every check, so the first that compiles is kept"
                   if kept is not None and kept[0] == sql else
                   f"{error}; its repair fixed that, and no later repair passed every check, so it is kept")
    elif failed and db_path and sql is not None and not first_broken:  # it compiles; no repair did better: say why
        problems = [*problems, Problem(f"this query may be wrong: {error}", 0, len(sql), "warning", "check")]
    if retry_empty > 0 and db_path and not sure and (failed or sql is not None and reads_only(sql) is True
                                                     and _empty(db_path, sql)):
        samples = [engine.generate(schema_text, question, temperature=0.7, seed=3000 + i, cancel=cancel)
                   for i in range(retry_empty)]
        gens.extend(samples)
        # After a failure any usable sample beats the error; an empty result needs most samples to agree.
        other = _agreed_sample(samples, schema, db_path, need=1 if failed else (retry_empty + 1) // 2,
                               allow_empty=failed, question=question)
        if other is not None:
            first_sql, (sql, problems) = (first_sql if first_sql is not None else sql), other
            if failed:
                because = f"{error}; no repair passed, so {retry_empty} answers were sampled afresh"
            else:
                empty = f"its result was empty, and most of {retry_empty} sampled answers agreed on rows"
                because = f"{because}; then {empty}" if because else empty
    total = sum(g.latency_s for g in gens)
    return Answer(question, sql, gen.text, problems, total, gen.prompt_tokens,
                  sum(g.completion_tokens for g in gens), gen.cached_tokens,
                  schema.version.key if schema.version else "", n_candidates, agreement,
                  first_sql is not None, first_sql, because,
                  [sql_from_output(g.text, schema)[0] for g in gens[:n_candidates]] if n_candidates > 1 else [])


SURE, FIXED, DOUBT = "sure", "fixed", "doubt"  # what _doubt says of a greedy answer


class KnownFix(NamedTuple):
    """A finding of the checks (kind, why) and its known fix (SQL, problems), which passes every check with rows."""
    kind: str
    why: str
    fixed: tuple[str, list[Problem]]


def _doubt(gen: Generation, schema: Schema, db_path: str, question: str) -> tuple[str, KnownFix | None]:
    """How sure the greedy answer *gen* is: DOUBT when it has no SQL, SQLite's compiler rejects it, it trips a check
    that has no known fix or whose fix trips one in turn, or a query of it (or of its fix) returns nothing (no rows, or
    only NULLs); FIXED when it trips a check whose known fix (answer_checks.FIXES) passes every check with rows: the
    fix is made without the model, as it is without doubt candidates, and not outvoted; SURE otherwise. With FIXED,
    the finding and its fix, for answer_question to make it without looking again."""
    sql, problems = sql_from_output(gen.text, schema)
    served, known = _served(sql, problems, db_path, question, schema)
    return (DOUBT if served is None else FIXED if known else SURE), known


def served_without_model(sql: str | None, problems: list[Problem], db_path: str, question: str,
                         schema: Schema) -> str | None:
    """What the product serves for the answer *sql* without asking the model again: itself when it passes every check
    with rows, its known fix when that passes every check with rows; None when the model would be asked again."""
    return _served(sql, problems, db_path, question, schema)[0]


def _served(sql: str | None, problems: list[Problem], db_path: str, question: str,
            schema: Schema) -> tuple[str | None, KnownFix | None]:
    """served_without_model's answer, with the finding and known fix that made it when there is one."""
    if sql is None:
        return None, None
    kind, why = _failure_kind(sql, problems, db_path, schema, question)
    if why is None:
        return (None if _empty(db_path, sql) else sql), None
    fixed = fixed_without_model(kind, db_path, question, sql, schema)
    if fixed is None or _empty(db_path, fixed[0]):
        return None, None
    return fixed[0], KnownFix(kind, why, fixed)


def fixed_without_model(kind: str | None, db_path: str, question: str, sql: str | None,
                        schema: Schema) -> tuple[str, list[Problem]] | None:
    """(SQL, problems) of *sql* changed as the finding of the check *kind* says (answer_checks.known_fix), when that
    change is known and the changed query passes every check; None otherwise (then the model is asked)."""
    fixed = known_fix(kind, db_path, question, sql, schema)
    if not fixed:
        return None
    problems = sql_from_output(fixed, schema)[1]
    return (fixed, problems) if _failure_kind(fixed, problems, db_path, schema, question)[1] is None else None


def _failure(sql: str | None, problems: list[Problem], db_path: str | None, schema: Schema,
             question: str = "") -> str | None:
    """Why *sql* cannot be the answer: SQLite's compile error on the database when there is one (the
    truth), or what the answer checks find (answer_checks.first_finding); without a database, the first
    error of the schema check; None when it is fine."""
    return _failure_kind(sql, problems, db_path, schema, question)[1]


def _failure_kind(sql: str | None, problems: list[Problem], db_path: str | None, schema: Schema,
                  question: str = "") -> tuple[str | None, str | None]:
    """(kind, why) of _failure: kind "no_sql", "compile", "schema" or the name of the answer check that
    trips; (None, None) when it is fine."""
    if sql is None:
        return "no_sql", "the answer contained no SQL query"
    if db_path:
        try:
            error = prepare_error(db_path, sql)
            found = None if error else first_finding(db_path, question, sql, schema)
        except NicheError:  # the database itself is unreadable: nothing the model can repair
            return None, None
        return ("compile", error) if error else (found or (None, None))
    error = next((p.message for p in problems if p.severity == "error"), None)
    return ("schema", error) if error else (None, None)


def sql_from_output(text: str, schema: Schema) -> tuple[str | None, list[Problem]]:
    try:
        sql = extract_sql(text)
    except NoSQLFound as exc:
        return None, [Problem(exc.message, 0, 0, "error", "no_sql")]
    return sql, validate(sql, schema.as_dict())


def _rows(db_path: str, sql: str | None, problems: list[Problem]) -> list | None:
    """The rows *sql* gives, run read-only on the database; None when it has errors or does not run."""
    if sql is None or any(p.severity == "error" for p in problems):
        return None
    try:
        return execute_readonly(db_path, sql, timeout_s=5.0, max_rows=10_000).rows
    except NicheError:  # a candidate that fails to run gets no vote
        return None


def _result_key(rows: list) -> tuple:
    """Rows as a comparable key that ignores their order."""
    return tuple(sorted(Counter(map(repr, rows)).items()))


def is_nothing(rows: list) -> bool:
    """No rows, or only rows of NULLs (an aggregate over no rows): what retry_empty calls an empty result."""
    return all(all(v is None for v in row) for row in rows)


def _empty(db_path: str, sql: str) -> bool:
    rows = _rows(db_path, sql, [])
    return rows is not None and is_nothing(rows)


def _most_agreed(keys: list, greedy_weight: float = 1.0) -> tuple[int | None, int]:
    """The index of the first answer whose result most answers share, and how many share it ((None, 0) when
    no answer has a result). With *greedy_weight*, the first answer's vote counts that much."""
    votes, weight = Counter(), Counter()
    for i, k in enumerate(keys):
        if k is not None:
            votes[k] += 1
            weight[k] += greedy_weight if i == 0 else 1
    if not votes:
        return None, 0
    best = max(weight.values())
    i = next(i for i, k in enumerate(keys) if k is not None and weight[k] == best)
    return i, votes[keys[i]]


def _agreed_sample(gens: list[Generation], schema: Schema, db_path: str, need: int, allow_empty: bool,
                   question: str = ""):
    """(sql, problems) of the first answer in *gens* whose result at least *need* of them share. Only
    queries that run read-only and pass the checks (answer_checks) have a result; an empty one
    (is_nothing) counts only with *allow_empty*."""
    parsed = [sql_from_output(g.text, schema) for g in gens]
    keys = []
    for sql, problems in parsed:
        rows = _rows(db_path, sql, problems) if sql is not None and reads_only(sql) is True else None
        usable = (rows is not None and (allow_empty or not is_nothing(rows))
                  and not check_finding(db_path, question, sql, schema))
        keys.append(_result_key(rows) if usable else None)
    i, count = _most_agreed(keys)
    return parsed[i] if i is not None and count >= need else None


def _choose(gens: list[Generation], schema: Schema, db_path: str | None, question: str = "",
            greedy_weight: float = 1.0):
    """(sql, problems, agreement) of the candidate to keep: the result most candidates share, counting only
    the candidates that run read-only and pass every answer check (answer_checks), so that a shared mistake
    a check can see does not outvote a right answer; when none passes, every candidate that runs votes. Among
    the most-agreed results the earliest candidate wins (the greedy one first); when none runs, the greedy one.
    *greedy_weight*: what the greedy answer's vote counts (1: as any other; `nichelm-eval votes` replays others)."""
    parsed = [sql_from_output(g.text, schema) for g in gens]
    if db_path is None or len(parsed) == 1:
        sql, problems = parsed[0]
        return sql, problems, 1
    rows = [_rows(db_path, sql, problems) for sql, problems in parsed]
    results = [None if r is None else _result_key(r) for r in rows]
    passing = [None if key is None or _failure_kind(sql, problems, db_path, schema, question)[1] else key
               for key, (sql, problems) in zip(results, parsed)]
    i, count = _most_agreed(passing, greedy_weight)
    if i is None:
        i, count = _most_agreed(results, greedy_weight)
    sql, problems = parsed[i if i is not None else 0]
    return sql, problems, count
