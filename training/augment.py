"""Generated (question, SQL) training pairs that teach SQLite idioms Spider train barely has.

Spider train has almost no strftime dates, window functions, CTEs, anti-joins, CASE, percentages or
self-joins; the base model answers such questions with MySQL habits. This module writes pairs for those
skills over the Spider *train* databases that are not on the e-commerce denylist (never dev databases,
never the held-out e-commerce schema), with parameter values read from the real rows.

Every candidate pair is executed read-only (nichelm.assistant.sqlite_io) with a time limit and kept only
when it runs, returns what its template promises (non-empty, a positive count, at least k rows...), and
an ORDER BY ... LIMIT k boundary is not a tie. Caps per database, per (database, template) and per template
keep any one schema or skill from dominating. Output records have the same format as training/dataset.py
(plus "source": "augment" and "template"), so they mix into the training JSONL.

    nichelm-train augment --out /work/aug/aug.jsonl --target 3000 --seed 1234
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nichelm.assistant.errors import NicheError
from nichelm.assistant.sqlite_io import connect_readonly, run_query

from . import augment_templates as T1
from . import augment_templates_more as T2
from . import augment_templates_parents as T5
from . import augment_templates_paths as T4
from . import augment_templates_periods as T3
from . import spider_data
from .augment_profile import profile
from .denylist import ECOMMERCE_DENYLIST, DenylistViolation

TEMPLATES = {
    f.__name__: f for f in (
        T1.date_by_year, T1.date_by_month, T1.date_in_year, T1.date_before_after, T1.date_between,
        T1.date_latest, T1.date_since_year, T1.date_span_days, T1.year_column,
        T1.window_rank, T1.window_top_per_group, T1.window_running_total, T1.window_share, T1.window_row_number,
        T1.cte_groups_above_avg, T1.cte_most_children, T1.corr_above_group_avg, T1.above_overall_avg,
        T1.corr_child_count, T1.anti_join, T1.anti_join_count,
        T2.case_bucket, T2.case_label, T2.like_match, T2.null_handling, T2.self_join, T2.set_ops,
        T2.group_having, T2.join_aggregate, T2.join_filter, T2.join_three, T2.top_k, T2.distinct_count,
        T2.percentage, T2.round_avg, *T3.TEMPLATES, *T4.TEMPLATES, *T5.TEMPLATES,
    )
}
# Date skills are the scarcest (few Spider databases have ISO dates): their templates are drawn more often.
# Opt-in templates (`AugmentOptions.opt_in`, `build-data --augment-with`): trained on in the v15 experiment and
# measured worse on e-commerce than without them (README, "The v15 experiment"), so the default data is v14's.
OPT_IN = frozenset({f.__name__ for f in T5.TEMPLATES} | {T4.path_distinct_group.__name__})
DATE_TEMPLATES = {n for n in TEMPLATES if n.startswith(("date_", "year_"))} | {f.__name__ for f in T3.TEMPLATES}
QUERY_TIMEOUT_S = 4.0  # generous: a pair that is slow only under load must not flip the output
DATE_ROUNDS = 4  # parameter draws per date template and database


class NotATrainDatabase(ValueError):
    """Raised for a database that is not a Spider train database (e.g. a dev one)."""

    code = "not_a_train_database"


@dataclass
class AugmentOptions:
    spider_dir: str | None = None
    seed: int = 1234
    target: int = 3000  # pairs wanted in total (fewer when the databases do not yield that many)
    per_db: int = 45  # at most this many pairs from one database
    per_db_template: int = 2  # ... and this many from one template on one database
    per_template: int = 220  # ... and this many from one template overall
    example_values: int = 0  # as DataOptions.example_values: the schema text must match the main set
    db_ids: list[str] | None = None  # default: every usable train database
    sql_style: str = "qualified"  # as DataOptions.sql_style
    opt_in: tuple[str, ...] = ()  # names from OPT_IN to draw from as well (the others are always drawn)

    def __post_init__(self):
        unknown = set(self.opt_in) - OPT_IN
        if unknown:
            raise ValueError(f"unknown opt-in augmentation templates {sorted(unknown)}; "
                             f"choose from {sorted(OPT_IN)}")


@dataclass
class AugmentReport:
    databases: int = 0
    candidates: int = 0
    rejected: Counter = field(default_factory=Counter)
    kept: int = 0
    per_template: dict = field(default_factory=dict)
    per_db: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"databases": self.databases, "candidates": self.candidates, "rejected": dict(self.rejected),
                "kept": self.kept, "per_template": self.per_template, "per_db": self.per_db}


def _split_dbs(root) -> tuple[set[str], set[str]]:
    train = {e.db_id for e in spider_data.load_split("train", root)}
    dev = {e.db_id for e in spider_data.load_split("dev", root)}
    return train, dev


def check_database(db_id: str, root=None) -> Path:
    """The .sqlite path of *db_id*, or an error when it must not be used for augmentation."""
    if db_id.lower() in {d.lower() for d in ECOMMERCE_DENYLIST}:
        raise DenylistViolation(f"{db_id} is e-commerce-like (training/denylist.py) and is never used for training")
    train, dev = _split_dbs(root)
    if db_id in dev:
        raise NotATrainDatabase(f"{db_id} is a Spider dev database; only train databases may be augmented")
    if db_id not in train:
        raise NotATrainDatabase(f"{db_id} is not a Spider train database")
    path = spider_data.database_path(db_id, root)
    if path is None:
        raise spider_data.SpiderDataMissing(f"{db_id}: no .sqlite file in this Spider copy")
    return path


def usable_databases(root=None) -> list[str]:
    """Spider train databases with a .sqlite file, not in dev and not denylisted (sorted)."""
    train, dev = _split_dbs(root)
    deny = {d.lower() for d in ECOMMERCE_DENYLIST}
    return sorted(d for d in train - dev if d.lower() not in deny and spider_data.database_path(d, root))


def validate(con: sqlite3.Connection, cand: T1.Cand) -> str | None:
    """None when *cand* is a good pair, else the reason it is not."""
    try:
        res = run_query(con, cand.sql, timeout_s=QUERY_TIMEOUT_S, max_rows=1000)
    except NicheError as exc:
        return "error:" + type(exc).__name__
    rows = res.rows
    if res.truncated:
        return "too_many_rows"
    if len(rows) < cand.min_rows:
        return "empty" if not rows else "too_few_rows"
    if rows and all(v is None for v in rows[0]):
        return "null_result"
    if cand.positive and not (rows and isinstance(rows[0][0], (int, float)) and rows[0][0] > 0):
        return "zero_count"
    if cand.tie_k:
        k = cand.tie_k
        probe = cand.sql.rsplit(f"LIMIT {k}", 1)[0] + f"LIMIT {k + 1}"
        more = run_query(con, probe, timeout_s=QUERY_TIMEOUT_S, max_rows=k + 1).rows
        if len(more) > k and more[k - 1][1] == more[k][1]:
            return "limit_tie"
    return None


def accept(con: sqlite3.Connection, cand: T1.Cand, db_id: str, report: AugmentReport) -> dict | None:
    """*cand* as a pair of *db_id* when it validates, else None; counted in *report* either way."""
    report.candidates += 1
    why = validate(con, cand)
    if why:
        report.rejected[why] += 1
        return None
    return {"db_id": db_id, "question": cand.question, "query": cand.sql, "template": cand.template}


def _round_robin(groups: dict[str, list], cap: int) -> list:
    """Take items from each group in turn (template order) until *cap*: keeps the mix of skills even."""
    out, i = [], 0
    while len(out) < cap and any(i < len(g) for g in groups.values()):
        for g in groups.values():
            if i < len(g) and len(out) < cap:
                out.append(g[i])
        i += 1
    return out


def pairs_for_database(db_id: str, opts: AugmentOptions, report: AugmentReport | None = None) -> list[dict]:
    """Validated pairs of one database: [{"db_id", "question", "query", "template"}], at most opts.per_db."""
    path = check_database(db_id, opts.spider_dir)
    prof = profile(db_id, path)
    report = report or AugmentReport()
    con = connect_readonly(path)
    seen_sql, seen_q = set(), set()
    by_template: dict[str, list] = {}
    try:
        for name, fn in TEMPLATES.items():
            if name in OPT_IN and name not in opts.opt_in:
                continue
            boost = name in DATE_TEMPLATES
            cands = []
            for r in range(DATE_ROUNDS if boost else 1):
                rng = random.Random(f"{opts.seed}:{db_id}:{name}:{r}")
                cands += fn(prof, rng)
            random.Random(f"{opts.seed}:{db_id}:{name}").shuffle(cands)
            cap = opts.per_db_template * (2 if boost else 1)
            kept = []
            for c in cands:
                if len(kept) >= cap:
                    break
                key_sql, key_q = " ".join(c.sql.split()).lower(), c.question.lower()
                if key_sql in seen_sql or key_q in seen_q:
                    continue
                pair = accept(con, c, db_id, report)
                if pair is None:
                    continue
                seen_sql.add(key_sql)
                seen_q.add(key_q)
                kept.append(pair)
            if kept:
                by_template[name] = kept
    finally:
        con.close()
    return _round_robin(by_template, opts.per_db)


def generate(opts: AugmentOptions) -> tuple[list[dict], AugmentReport]:
    """All pairs (deterministic for opts.seed), balanced by database and by template, at most opts.target."""
    report = AugmentReport()
    dbs = opts.db_ids or usable_databases(opts.spider_dir)
    report.databases = len(dbs)
    per_db = {db: pairs_for_database(db, opts, report) for db in dbs}
    # Per-template cap across databases: visit databases in a seeded order so no one db gets priority.
    order = sorted(per_db)
    random.Random(opts.seed).shuffle(order)
    used: Counter = Counter()
    capped: dict[str, list] = defaultdict(list)
    for db in order:
        for pair in per_db[db]:
            if used[pair["template"]] < opts.per_template:
                used[pair["template"]] += 1
                capped[pair["template"]].append(pair)
    pairs = _round_robin(dict(sorted(capped.items())), opts.target)
    random.Random(opts.seed + 1).shuffle(pairs)
    report.kept = len(pairs)
    report.per_template = dict(sorted(Counter(p["template"] for p in pairs).items()))
    report.per_db = dict(sorted(Counter(p["db_id"] for p in pairs).items()))
    return pairs, report


def to_records(pairs: list[dict], opts: AugmentOptions, data_opts=None) -> list[dict]:
    """Pairs -> training records in the format of training/dataset.py (same prompt, same schema text as
    *data_opts*, the main set's options; by default the prompt format's own settings)."""
    from .dataset import DataOptions, make_record

    dopts = data_opts or DataOptions(spider_dir=opts.spider_dir, seed=opts.seed,
                                     example_values=opts.example_values, sql_style=opts.sql_style)
    out = []
    for p in pairs:
        ex = spider_data.SpiderExample(p["db_id"], p["question"], p["query"],
                                       spider_data.database_path(p["db_id"], opts.spider_dir))
        rec = make_record(ex, dopts)
        rec["source"] = "augment"
        rec["template"] = p["template"]
        out.append(rec)
    return out



def augment_records(data_opts) -> list[dict]:
    """The build-data hook: DataOptions.augment generated pairs as training records."""
    opts = AugmentOptions(spider_dir=data_opts.spider_dir, seed=data_opts.seed, target=data_opts.augment,
                          example_values=data_opts.example_values, sql_style=data_opts.sql_style,
                          opt_in=tuple(data_opts.augment_with))
    pairs, _ = generate(opts)
    return to_records(pairs, opts, data_opts)
