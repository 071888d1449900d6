"""Training pairs about which money column a question means, on billed-work databases of our own
(training/ledger_domains.py: a workshop, a caterer, a tool-hire yard; never a shop, whose schema is held out for
evaluation), with the templates of training/ledger_templates.py.

Like the hierarchy pairs (training/hierarchy_data.py), every candidate is run read-only and kept only when it
runs and returns a sensible result (augment.accept), the system message is the product's prompt for the
database file, and the records say "source": "ledger", "template" and a db_id naming the synthetic database.
Opt-in: `nichelm-train build-data ... --ledgers N` adds N pairs to the training split (never to validation).
`--clauses N` adds pairs of training/clause_templates.py (how a few clauses are written) the same way, on databases
of the same builder named clause_* (source "ledger" too), and `--row-sets N` pairs of training/row_set_templates.py
(a party's jobs meeting two tests at once) on databases named rowset_*.
"""

from __future__ import annotations

import math
import random
import tempfile
from collections import Counter
from pathlib import Path

from .augment import AugmentReport
from .clause_templates import TEMPLATES as CLAUSE_TEMPLATES
from .hierarchy_data import _interleave, template_pairs, to_records, write_databases
from .ledger_domains import DOMAINS, Ledger, build
from .ledger_templates import TEMPLATES
from .row_set_templates import TEMPLATES as ROW_SET_TEMPLATES

PER_DB_TEMPLATE = 5  # at most this many pairs of one template from one database
PAIRS_PER_DB = 28  # what one database is expected to give: sets how many databases a target needs
CLAUSE_PAIRS_PER_DB = 22  # the same for the clause templates (five of them; ties at a LIMIT are dropped)
ROW_SET_PAIRS_PER_DB = 9  # and for the row-set templates (two of them)


def build_databases(directory: str | Path, seed: int, count: int, prefix: str = "ledger") -> list[Ledger]:
    """Write *count* databases into *directory*, the domains in turn: ledger_workshop_1, ledger_catering_1, ...
    (PREFIX_DOMAIN_N)."""
    builders = {w.domain: (lambda con, rng, db_id, w=w: build(con, w, rng, db_id)) for w in DOMAINS}
    return write_databases(directory, seed, count, prefix, builders)


def pairs_for_database(g: Ledger, seed: int, report: AugmentReport, templates=TEMPLATES) -> dict[str, list[dict]]:
    """Validated pairs of one database by template (hierarchy_data.template_pairs: each question once, each SQL at
    most twice), at most PER_DB_TEMPLATE of each."""
    return template_pairs(g, {fn.__name__: fn for fn in templates}, seed, report, lambda name: PER_DB_TEMPLATE)


def generate(directory: str | Path, seed: int, target: int, templates=TEMPLATES, prefix: str = "ledger",
             per_db: int = PAIRS_PER_DB) -> tuple[list[dict], list[Ledger], AugmentReport]:
    """(pairs, the databases built in *directory*, report): deterministic for (seed, target), at most *target*
    pairs, the templates in turn and within a template the databases in turn. *templates*: the money-column
    templates (training/ledger_templates.py) or the clause templates (training/clause_templates.py, on databases
    named with *prefix* "clause" and *per_db* CLAUSE_PAIRS_PER_DB)."""
    report = AugmentReport()
    count = max(1, math.ceil(target / (per_db * len(DOMAINS)))) * len(DOMAINS)
    ledgers = build_databases(directory, seed, count, prefix)
    report.databases = len(ledgers)
    by_db = [pairs_for_database(g, seed, report, templates) for g in ledgers]
    by_template = [_interleave([db.get(fn.__name__, []) for db in by_db]) for fn in templates]
    pairs = _interleave(by_template)[:target]
    random.Random(seed + 2).shuffle(pairs)
    report.kept = len(pairs)
    report.per_template = dict(sorted(Counter(p["template"] for p in pairs).items()))
    report.per_db = dict(sorted(Counter(p["db_id"] for p in pairs).items()))
    return pairs, ledgers, report


def ledger_records(opts) -> list[dict]:
    """The build-data hook: DataOptions.ledgers pairs as training records. The databases go to opts.hierarchy_dir
    when set (beside the hierarchy databases, where `rerender --hierarchy-dir` finds both), else to a temporary
    directory."""
    return _records(opts, opts.ledgers, TEMPLATES, "ledger", PAIRS_PER_DB)


def clause_records(opts) -> list[dict]:
    """The build-data hook of DataOptions.clauses: pairs of training/clause_templates.py on databases of their own
    (clause_workshop_1, ...), as ledger_records."""
    return _records(opts, opts.clauses, CLAUSE_TEMPLATES, "clause", CLAUSE_PAIRS_PER_DB)


def row_set_records(opts) -> list[dict]:
    """The build-data hook of DataOptions.row_sets: pairs of training/row_set_templates.py on databases of their own
    (rowset_workshop_1, ...), as ledger_records."""
    return _records(opts, opts.row_sets, ROW_SET_TEMPLATES, "rowset", ROW_SET_PAIRS_PER_DB)


def _records(opts, target: int, templates, prefix: str, per_db: int) -> list[dict]:
    if opts.hierarchy_dir:
        pairs, ledgers, _ = generate(opts.hierarchy_dir, opts.seed, target, templates, prefix, per_db)
        return to_records(pairs, ledgers, opts, source="ledger")
    with tempfile.TemporaryDirectory(prefix=f"nichelm-{prefix}-") as d:
        pairs, ledgers, _ = generate(d, opts.seed, target, templates, prefix, per_db)
        return to_records(pairs, ledgers, opts, source="ledger")
