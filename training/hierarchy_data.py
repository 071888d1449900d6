"""Training pairs for self-referencing hierarchies (parent_id pointing to the same table), on databases of our own.

The fine-tuned model scores 0 on "for each top-level X, count the rows across its sub-Xs": Spider train,
its only source, has three such tables. This module builds a few small SQLite databases
(training/hierarchy_domains.py: a company, a library, weather stations, a forum; never e-commerce, whose
schema is held out for evaluation), deterministic from a seed, and writes (question, SQL) pairs over them
with the templates of training/hierarchy_templates*.py (the events templates use the dated rows under an
entity: loans of a book, readings of a station, posts of a thread; the order templates ask for the n-th row,
running totals, the top of each year and distinct things reached through joins; the groups templates count
the groups with at least N rows and combine two routes; the calendar templates ask about one named month
and fill blanks as the question says). Like training/augment.py, every candidate is run
read-only and kept only when it runs and returns a non-empty, not all-NULL result (augment.validate).

Records have the format of every other training record: the system message is the product's prompt for
the database file (read_schema with the main set's example values, then dataset.schema_messages), plus
"source": "hierarchy", "template" and a db_id naming the synthetic database.

    nichelm-train build-data --out data/train.jsonl --hierarchies 600 [--hierarchy-dir data/hierarchy_dbs]
"""

from __future__ import annotations

import math
import random
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

from nichelm.assistant.prompt import prompt_version
from nichelm.assistant.schema import read_schema
from nichelm.assistant.sqlite_io import connect_readonly

from . import hierarchy_templates as T
from . import hierarchy_templates_attributes as A
from . import hierarchy_templates_calendar as C
from . import hierarchy_templates_events as E
from . import hierarchy_templates_groups as G
from . import hierarchy_templates_order as O
from . import hierarchy_templates_rollup as R
from .augment import AugmentReport, accept
from .hierarchy_domains import DOMAINS
from .hierarchy_tree import Hierarchy
from .sql_style import restyle_checked

TEMPLATES = {f.__name__: f for f in (
    T.children_of, T.child_with_parent, T.leaf_nodes, T.top_level, T.child_count, R.rollup_count,
    R.rollup_filtered, R.rollup_measure, R.rollup_year, R.rollup_named, R.top_without_facts, R.best_per_child,
    R.grandparent_rollup, R.employee_manager, R.manager_reports, R.named_child_facts, *E.TEMPLATES, *A.TEMPLATES,
    *O.TEMPLATES, *G.TEMPLATES, *C.TEMPLATES,
)}
# The totals across children are the skill the model lacks; questions about the tree alone are easier.
# A named bottom-level node's own rows (no parent join) counter the habit of joining every named node upward.
# Rows filtered before a roll-up (rollup_filtered) counter the v9 habit of HAVING SUM(...) > X for a row test.
WEIGHTS = {name: 2 for name in ("rollup_count", "rollup_filtered", "rollup_measure", "rollup_year", "rollup_named",
                                "named_child_facts",
                                "top_without_facts", "best_per_child", "grandparent_rollup")}
# The dated rows under an entity (training/hierarchy_templates_events.py) teach skills of their own, as often.
WEIGHTS.update({f.__name__: 2 for f in E.TEMPLATES})
# An entity's own columns (training/hierarchy_templates_attributes.py) counter the habits the dated rows left.
WEIGHTS.update({f.__name__: 2 for f in A.TEMPLATES})
# The order of rows (training/hierarchy_templates_order.py): n-th rows, running totals, the top of each year,
# distinct things reached through joins; skills Spider train barely shows, as often as the others.
WEIGHTS.update({f.__name__: 2 for f in O.TEMPLATES})
# Groups counted (HAVING COUNT(*) >= N, the counterweight to the order pairs' COUNT(DISTINCT ...)) and nodes
# reached by either of two routes (training/hierarchy_templates_groups.py), as often.
WEIGHTS.update({f.__name__: 2 for f in G.TEMPLATES})
# One named month ('%Y-%m', not '%m' alone) and blanks filled as asked (COALESCE over a LEFT JOIN):
# training/hierarchy_templates_calendar.py, as often.
WEIGHTS.update({f.__name__: 2 for f in C.TEMPLATES})
ROUNDS = 8  # calls of each template per database: each draws other names, years and phrasings
PER_DB_TEMPLATE = 4  # at most this many pairs of one template from one database (times its weight)
MAX_PHRASINGS = 2  # pairs with the same SQL on one database (paraphrases of one question)
PAIRS_PER_DB = 40  # what one database is expected to give: sets how many databases a target needs


# The same counts as augment's report: candidates, rejections by reason, kept, per template and database.
HierarchyReport = AugmentReport


def databases_for(target: int) -> int:
    """How many databases to build for *target* pairs: a whole number of rounds over the domains."""
    rounds = max(1, math.ceil(target / (PAIRS_PER_DB * len(DOMAINS))))
    return rounds * len(DOMAINS)


def build_databases(directory: str | Path, seed: int, count: int) -> list[Hierarchy]:
    """Write *count* databases into *directory* (replacing files of the same name), the domains in turn:
    hierarchy_company_1, hierarchy_library_1, hierarchy_weather_1, hierarchy_forum_1, hierarchy_company_2..."""
    return write_databases(directory, seed, count, "hierarchy", DOMAINS)


def write_databases(directory: str | Path, seed: int, count: int, prefix: str, builders: dict) -> list:
    """*count* generated databases in *directory* (replacing files of the same name), the domains of *builders*
    ({domain: fn(con, rng, db_id) -> what the templates read, with a settable path}) in turn, named
    PREFIX_DOMAIN_N; each filled from its own random stream ("SEED:DB_ID")."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        domain = list(builders)[i % len(builders)]
        db_id = f"{prefix}_{domain}_{i // len(builders) + 1}"
        path = d / f"{db_id}.sqlite"
        path.unlink(missing_ok=True)
        con = sqlite3.connect(path)
        try:
            db = builders[domain](con, random.Random(f"{seed}:{db_id}"), db_id)
            con.commit()
        finally:
            con.close()
        db.path = str(path)
        out.append(db)
    return out


def pairs_for_database(h: Hierarchy, seed: int, report: HierarchyReport | None = None) -> dict[str, list[dict]]:
    """Validated pairs of one database by template: {template: [{"db_id", "question", "query", "template"}]}."""
    return template_pairs(h, TEMPLATES, seed, report if report is not None else HierarchyReport(),
                          lambda name: PER_DB_TEMPLATE * WEIGHTS.get(name, 1))


def template_pairs(db, templates: dict, seed: int, report: AugmentReport, cap) -> dict[str, list[dict]]:
    """Validated pairs of one generated database *db* (anything with a db_id and a path: a Hierarchy, a Ledger of
    training/ledger_data.py) by template: each template of *templates* ({name: fn(db, con, rng)}) called ROUNDS
    times with its own random stream, at most *cap(name)* pairs of it, each question once in the database and each
    SQL at most MAX_PHRASINGS times (paraphrases of one question)."""
    con = connect_readonly(db.path)
    seen_q: set[str] = set()
    per_sql: Counter = Counter()  # a query may come back with another phrasing, once
    out: dict[str, list[dict]] = {}
    try:
        for name, fn in templates.items():
            kept: list[dict] = []
            for r in range(ROUNDS):
                for c in fn(db, con, random.Random(f"{seed}:{db.db_id}:{name}:{r}")):
                    key_sql, key_q = " ".join(c.sql.split()).lower(), c.question.lower()
                    if len(kept) >= cap(name) or key_q in seen_q or per_sql[key_sql] >= MAX_PHRASINGS:
                        continue
                    pair = accept(con, c, db.db_id, report)
                    if pair is None:
                        continue
                    seen_q.add(key_q)
                    per_sql[key_sql] += 1
                    kept.append(pair)
            if kept:
                out[name] = kept
    finally:
        con.close()
    return out


def _interleave(lists: list[list], weights: list[int] | None = None) -> list:
    """Items of every list in turn, *weights[i]* at a time from list i: no list gets ahead of its share."""
    weights = weights or [1] * len(lists)
    out, pos = [], [0] * len(lists)
    while any(p < len(x) for p, x in zip(pos, lists)):
        for i, x in enumerate(lists):
            out += x[pos[i]:pos[i] + weights[i]]
            pos[i] = min(len(x), pos[i] + weights[i])
    return out


def generate(directory: str | Path, seed: int, target: int) -> tuple[list[dict], list[Hierarchy], HierarchyReport]:
    """(pairs, the databases built in *directory*, report): deterministic for (seed, target), at most
    *target* pairs, the templates taken in turn and within a template the databases in turn."""
    report = HierarchyReport()
    hs = build_databases(directory, seed, databases_for(target))
    report.databases = len(hs)
    per_db = [pairs_for_database(h, seed, report) for h in hs]
    by_template = [_interleave([db.get(name, []) for db in per_db]) for name in TEMPLATES]
    pairs = _interleave(by_template, [WEIGHTS.get(name, 1) for name in TEMPLATES])[:target]
    random.Random(seed + 1).shuffle(pairs)
    report.kept = len(pairs)
    report.per_template = dict(sorted(Counter(p["template"] for p in pairs).items()))
    report.per_db = dict(sorted(Counter(p["db_id"] for p in pairs).items()))
    return pairs, hs, report


def to_records(pairs: list[dict], hierarchies: list, opts, source: str = "hierarchy") -> list[dict]:
    """Pairs -> training records with *opts*' (a DataOptions) schema settings, as dataset.make_record
    writes them for Spider, plus "source" and "template". *hierarchies*: the generated databases (anything
    with a db_id and a path: a Hierarchy, or a Ledger of training/ledger_data.py)."""
    from .dataset import schema_messages

    paths = {h.db_id: h.path for h in hierarchies}
    schemas = {db: read_schema(p, examples=opts.example_values, enum_values=opts.enum_values)
               for db, p in paths.items()}
    cons = {db: connect_readonly(p) for db, p in paths.items()}
    out = []
    try:
        for p in pairs:
            if opts.sql_style == "spider":
                answer, style = p["query"], "kept"
            else:  # written in the qualified style already: the check says "same"
                answer, style = restyle_checked(cons[p["db_id"]], p["query"])
            out.append({
                "messages": schema_messages(schemas[p["db_id"]], p["question"], answer, opts),
                "db_id": p["db_id"],
                "question": p["question"],
                "query": p["query"],
                "sql_style": style,
                "prompt_version": prompt_version(opts.enum_values),
                "source": source,
                "template": p["template"],
            })
    finally:
        for con in cons.values():
            con.close()
    return out


def hierarchy_records(opts) -> list[dict]:
    """The build-data hook: DataOptions.hierarchies pairs as training records. The databases go to
    opts.hierarchy_dir when set (to look at or rebuild the prompts later), else to a temporary directory."""
    if opts.hierarchy_dir:
        pairs, hs, _ = generate(opts.hierarchy_dir, opts.seed, opts.hierarchies)
        return to_records(pairs, hs, opts)
    with tempfile.TemporaryDirectory(prefix="nichelm-hierarchy-") as d:
        pairs, hs, _ = generate(d, opts.seed, opts.hierarchies)
        return to_records(pairs, hs, opts)
