"""Scoring one prediction: execution accuracy, exact match and valid SQL. Pure functions plus a small
`Scorer` that owns fresh copies of the databases.

Execution accuracy (`exec_match`) — the semantics, exactly
------------------------------------------------------------
Both queries run read-only (`nichelm.assistant.sqlite_io`, `mode=ro` + `query_only`) on a *copy* of the
database made in the scorer's own temporary directory (one per run, or per worker process / thread), with
a time limit (default 30 s per query). Results are compared as in the Spider test-suite evaluation's
`result_eq` (taoyds/test-suite-sql-eval, `exec_eval.py`), with the differences marked (*):

1. Both results empty -> match (whatever the column lists are).
2. Different number of rows, or of columns -> no match. Column *names* never matter.
3. Column order is ignored: the results match if there is a permutation of the predicted columns
   under which (4) holds. We search permutations exactly (backtracking over columns whose value
   multisets agree); the test suite enumerates the same space (all permutations for <= 3 columns,
   otherwise the ones that survive a random-row pruning), so the answer is the same, only deterministic.
4. Row comparison: if the gold query has an ORDER BY *at its top level* (the outermost SELECT, or the
   set operation's trailing ORDER BY) the rows must be equal as sequences; otherwise as multisets
   (duplicates count: [a, a, b] != [a, b, b]).
   (*) The test suite uses `'order by' in gold.lower()`, which also treats an ORDER BY inside a
   subquery or CTE as ordering the result; we parse with sqlglot and look only at the top level.
5. Values: NULL equals NULL; text is case-sensitive and never equals a number ('1' != 1), as SQLite
   returns them. (*) Numbers (int and float, not text) are compared after rounding to 6 decimal places,
   so 2 == 2.0 (as in Python) and also 0.1 + 0.2 == 0.3 and 3.3333333333333335 == 3.333333333333333 (float
   noise from a different summation order). The test suite compares floats exactly. Bytes compare by value.

A query that fails (SQL error, timeout, not read-only) gives no result: exec_match is False. If the
gold query itself fails the example counts as a miss and `gold_error` says why (the data checks make sure
this does not happen on our sets).

Exact match (`exact`): `nichelm.assistant.sqlcheck.normalise` of both texts are equal (sqlglot's SQLite
rendering, lower-cased, a trailing ';' ignored). This is string equality after normalisation, stricter
than Spider's component-wise "exact set match" (different table aliases or condition order count as
different here), so it is a lower bound on Spider's exact-match figure.

Valid SQL (`valid_sql`): the prediction was extracted, parses with sqlglot (no syntax error) and executes
on the database without error within the time limit. exec_match itself depends only on execution (a
statement SQLite runs but sqlglot cannot parse can still match; it is then not counted as valid SQL).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from nichelm.assistant.errors import NicheError
from nichelm.assistant.sqlcheck import DIALECT, normalise, parse
from nichelm.assistant.sqlite_io import connect_readonly, run_query

DEFAULT_TIMEOUT_S = 30.0
# Enough for every gold result in Spider dev and the e-commerce set; a prediction that returns more
# rows than this is compared on its first MAX_ROWS rows and marked truncated.
MAX_ROWS = 100_000
FLOAT_DECIMALS = 6


# --------------------------------------------------------------------------------------------- values
def norm_value(v):
    """Comparison key of one cell (see rule 5 in the module docstring).

    >>> norm_value(2.0) == norm_value(2), norm_value(0.1 + 0.2) == norm_value(0.3), norm_value("1") == norm_value(1)
    (True, True, False)
    """
    if isinstance(v, bool):  # sqlite never returns bool, but keep True distinct from 1.0 rounding paths
        return int(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return v
        r = round(v, FLOAT_DECIMALS)
        if r == 0:
            return 0  # -0.0 and 0.0
        return int(r) if r.is_integer() and abs(r) < 2**53 else r
    return v


def norm_rows(rows: Sequence[Sequence]) -> list[tuple]:
    return [tuple(norm_value(v) for v in row) for row in rows]


# ------------------------------------------------------------------------------------------- results
def results_match(gold: Sequence[Sequence], pred: Sequence[Sequence], order_matters: bool) -> bool:
    """True when *pred* denotes the same result as *gold* (rules 1-5 of the module docstring).

    >>> results_match([(1, "a"), (2, "b")], [("b", 2), ("a", 1)], order_matters=False)
    True
    >>> results_match([(1,), (2,)], [(2,), (1,)], order_matters=True)
    False
    """
    g, p = norm_rows(gold), norm_rows(pred)
    if not g and not p:
        return True
    if len(g) != len(p):
        return False
    ncols = len(g[0])
    if any(len(r) != ncols for r in g) or any(len(r) != ncols for r in p):
        return False
    # Quick rejection: each row as an unordered bag of cells must agree (as a multiset, or in order).
    g_bags = [_bag(r) for r in g]
    p_bags = [_bag(r) for r in p]
    if order_matters:
        if g_bags != p_bags:
            return False
    elif Counter(g_bags) != Counter(p_bags):
        return False
    # Candidate gold column for each predicted column: their value multisets must be equal.
    g_cols = [Counter(r[i] for r in g) for i in range(ncols)]
    p_cols = [Counter(r[j] for r in p) for j in range(ncols)]
    options = [[i for i in range(ncols) if g_cols[i] == p_cols[j]] for j in range(ncols)]
    if any(not o for o in options):
        return False
    g_multiset = None if order_matters else Counter(g)

    def check(perm: list[int]) -> bool:
        # perm[j] = the gold column that predicted column j stands for.
        inverse = [0] * ncols
        for j, i in enumerate(perm):
            inverse[i] = j
        permuted = [tuple(row[inverse[i]] for i in range(ncols)) for row in p]
        return permuted == g if order_matters else Counter(permuted) == g_multiset

    used = [False] * ncols
    perm: list[int] = []

    def search(j: int) -> bool:
        if j == ncols:
            return check(perm)
        for i in options[j]:
            if not used[i]:
                used[i] = True
                perm.append(i)
                if search(j + 1):
                    return True
                perm.pop()
                used[i] = False
        return False

    return search(0)


def _bag(row: tuple) -> tuple:
    """The row's cells as a sorted tuple (a hashable multiset), types kept apart."""
    return tuple(sorted(row, key=lambda x: (type(x).__name__ if not isinstance(x, (int, float)) else "num",
                                            repr(x))))


def gold_orders(sql: str) -> bool:
    """True when the query has an ORDER BY at its top level (so its row order is part of the answer).

    >>> gold_orders("SELECT a FROM t ORDER BY a"), gold_orders("SELECT * FROM (SELECT a FROM t ORDER BY a)")
    (True, False)
    """
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except Exception:
        return "order by" in sql.lower()  # unparseable gold: fall back to the test suite's rule
    if tree is None:
        return False
    return tree.args.get("order") is not None


# ---------------------------------------------------------------------------------------- execution
@dataclass
class Execution:
    rows: list[tuple] | None
    columns: list[str] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None
    truncated: bool = False
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.rows is not None


def execute(db_path: str | os.PathLike, sql: str, timeout_s: float = DEFAULT_TIMEOUT_S,
            max_rows: int = MAX_ROWS) -> Execution:
    """Run *sql* read-only on *db_path*; errors are returned, not raised."""
    try:
        con = connect_readonly(db_path)
    except NicheError as exc:
        return Execution(None, error=exc.message, error_code=exc.code)
    try:
        r = run_query(con, sql, timeout_s=timeout_s, max_rows=max_rows)
        return Execution(list(r.rows), r.columns, truncated=r.truncated, elapsed_s=r.elapsed_s)
    except NicheError as exc:
        return Execution(None, error=exc.message, error_code=exc.code)
    except Exception as exc:  # e.g. a ValueError for a NUL character in the SQL text
        return Execution(None, error=f"{type(exc).__name__}: {exc}", error_code="query_error")
    finally:
        con.close()


# ------------------------------------------------------------------------------------------- scoring
@dataclass
class Score:
    exec_match: bool
    exact: bool
    valid_sql: bool
    pred_error: str | None = None
    gold_error: str | None = None
    order_matters: bool = False

    def to_json(self) -> dict:
        return {"exec_match": self.exec_match, "exact": self.exact, "valid_sql": self.valid_sql,
                "pred_error": self.pred_error, "gold_error": self.gold_error,
                "order_matters": self.order_matters}


def exact_match(gold_sql: str, pred_sql: str | None) -> bool:
    if not pred_sql:
        return False
    return normalise(_strip_semicolon(gold_sql)) == normalise(_strip_semicolon(pred_sql))


def _strip_semicolon(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def parses(sql: str) -> bool:
    tree, problems = parse(sql)
    return tree is not None and not any(p.severity == "error" for p in problems)


def score(db_path: str | os.PathLike, gold_sql: str, pred_sql: str | None,
          timeout_s: float = DEFAULT_TIMEOUT_S, gold: Execution | None = None) -> Score:
    """Score one prediction against the gold query on *db_path* (which should be a scratch copy)."""
    order = gold_orders(gold_sql)
    exact = exact_match(gold_sql, pred_sql)
    if gold is None:
        gold = execute(db_path, gold_sql, timeout_s)
    if not pred_sql:
        return Score(False, False, False, pred_error="no SQL in the answer", gold_error=gold.error,
                     order_matters=order)
    # Execution decides exec_match even if sqlglot cannot parse a statement SQLite accepts; valid_sql
    # needs both.
    syntax_error = None
    if not parses(pred_sql):
        _tree, problems = parse(pred_sql)
        syntax_error = "syntax: " + (problems[0].message if problems else "does not parse")
    pred = execute(db_path, pred_sql, timeout_s)
    if not pred.ok:
        return Score(False, exact, False, pred_error=f"{pred.error_code}: {pred.error}", gold_error=gold.error,
                     order_matters=order)
    if not gold.ok:
        return Score(False, exact, syntax_error is None, pred_error=syntax_error,
                     gold_error=f"{gold.error_code}: {gold.error}", order_matters=order)
    return Score(results_match(gold.rows, pred.rows, order), exact, syntax_error is None, pred_error=syntax_error,
                 order_matters=order)


class Scorer:
    """Scores predictions on fresh copies of the databases, made once per Scorer in its own temp dir.

    Use one Scorer per worker (thread or process); `close()` (or the context manager) removes the copies.
    Gold results are cached per (database, gold SQL) since several backends' runs may rescore them.
    """

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, workdir: str | os.PathLike | None = None):
        self.timeout_s = timeout_s
        self._dir = Path(tempfile.mkdtemp(prefix="nichelm-eval-", dir=workdir))
        self._copies: dict[str, Path] = {}
        self._gold: dict[tuple[str, str], Execution] = {}
        self._lock = threading.Lock()

    def copy_of(self, db_path: str | os.PathLike) -> Path:
        """This scorer's private copy of *db_path* (made on first use)."""
        key = str(Path(db_path).resolve())
        with self._lock:
            if key not in self._copies:
                sub = self._dir / str(len(self._copies))
                sub.mkdir()
                dst = sub / Path(key).name
                shutil.copyfile(key, dst)
                self._copies[key] = dst
            return self._copies[key]

    def score(self, db_path: str | os.PathLike, gold_sql: str, pred_sql: str | None) -> Score:
        copy = self.copy_of(db_path)
        gkey = (str(copy), gold_sql)
        gold = self._gold.get(gkey)
        if gold is None:
            gold = execute(copy, gold_sql, self.timeout_s)
            self._gold[gkey] = gold
        return score(copy, gold_sql, pred_sql, self.timeout_s, gold=gold)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
        self._copies.clear()

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
