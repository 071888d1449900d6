"""Other votes over the candidates a run kept, replayed without the model.

A run with `--candidates N` keeps every candidate's SQL (`extra.candidate_sqls`, the greedy one first). Any vote
over the first k of them (k <= N), with the greedy answer's vote weighted w, is replayed here with the product's
own vote (`service._choose`: only the candidates that pass every answer check vote when any does):

    nichelm-eval votes results/ft-v18-c8-h200-spider --candidates 1,3,5,8 --greedy-weight 1,2

Where the replayed choice is the run's own, the run's final answer counts. Where it differs and passes every check
with a non-empty result, the product would serve it as it is, so it is scored as it is: exact. Where it differs and
trips a check (or returns nothing), the product would repair it (or sample again) with the model, which a replay
cannot do: it is scored as it is and counted apart (`unsure`), so the true figure lies between `right` and `right +
unsure`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nichelm.assistant.engine import Generation
from nichelm.assistant.service import SchemaCache, _choose, _empty, _failure_kind


@dataclass
class Replay:
    candidates: int
    greedy_weight: float
    n: int = 0
    right: int = 0
    changed: int = 0  # questions whose choice differs from the run's
    unsure: int = 0  # ... of them, those the product would send to the model again

    def line(self) -> str:
        share = self.right / self.n if self.n else 0.0
        return (f"{self.candidates} candidates, greedy vote x{self.greedy_weight:g}: {self.right} of {self.n} right "
                f"({share:.3f}); choice changed on {self.changed}, {self.unsure} of them would go back to the model "
                f"(scored as they are)")


def replay(records: list[dict], examples: dict, candidates: int, greedy_weight: float, score) -> Replay:
    """Replay the vote over the first *candidates* kept candidates of each record; *score*(example, sql) -> bool
    says whether an answer is right. Records without that many kept candidates are left out."""
    out, schemas = Replay(candidates, greedy_weight), SchemaCache()
    for r in records:
        extra = r.get("extra") or {}
        kept = extra.get("candidate_sqls") or []
        ex = examples.get(r["id"])
        if ex is None or len(kept) < candidates:
            continue
        schema = schemas.get(ex.db_path)
        gens = [Generation(sql or "", 0, 0, 0.0) for sql in kept[:candidates]]
        sql, problems, _ = _choose(gens, schema, ex.db_path, r["question"], greedy_weight)
        out.n += 1
        run_choice = extra.get("first_sql") if extra.get("repaired") else r.get("pred_sql")
        if sql == run_choice:
            out.right += bool(r.get("exec_match"))
            continue
        out.changed += 1
        if sql is None or _failure_kind(sql, problems, ex.db_path, schema, r["question"])[1] or _empty(ex.db_path, sql):
            out.unsure += 1
        out.right += bool(sql) and score(ex, sql)
    return out
