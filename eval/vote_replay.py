"""Other votes over the candidates a run kept, replayed without the model.

A run with `--candidates N` keeps every candidate's SQL (`extra.candidate_sqls`, the greedy one first). Any vote
over the first k of them (k <= N), with the greedy answer's vote weighted w, is replayed here with the product's
own vote (`service._choose`: only the candidates that pass every answer check vote when any does):

    nichelm-eval votes results/ft-v18-c8-h200-spider --candidates 1,3,5,8 --greedy-weight 1,2

With `--doubt`, the product's candidates when in doubt (`answer_question`'s doubt_candidates) are replayed instead: a
question whose greedy answer (the first kept candidate) is not in doubt keeps it (fixed, where a finding's known fix
settles it: `service._doubt`), and only the others are voted.

What the product does after the vote without the model is replayed too: a choice that passes every check with a
non-empty result is served as it is, and one whose finding has a known fix (`answer_checks.FIXES`) that then passes
every check is served fixed; both are scored as such, exactly. A choice that would go back to the model (a repair, or
samples after an empty result) counts the run's final answer when it is the run's own choice; otherwise the replay
cannot know what the model would write: it is scored as it is and counted apart (`unsure`), so the true figure lies
between `right` and `right + unsure`. With the code the run had, the run's own vote gives back the run's figure; with
later checks or fixes, it gives what they change.
"""

from __future__ import annotations

from dataclasses import dataclass

from nichelm.assistant.engine import Generation
from nichelm.assistant.service import (
    DOUBT,
    SchemaCache,
    _choose,
    _doubt,
    served_without_model,
)


@dataclass
class Replay:
    candidates: int
    greedy_weight: float
    doubt: bool = False  # the vote only where the greedy answer is in doubt
    n: int = 0
    right: int = 0
    changed: int = 0  # questions whose answer differs from the run's final one
    unsure: int = 0  # ... of them, those the product would send to the model again
    doubted: int = 0  # with doubt: the questions whose greedy answer is in doubt (the only ones voted)

    def line(self) -> str:
        share = self.right / self.n if self.n else 0.0
        when = f", only when in doubt ({self.doubted} questions)" if self.doubt else ""
        return (f"{self.candidates} candidates{when}, greedy vote x{self.greedy_weight:g}: "
                f"{self.right} of {self.n} right "
                f"({share:.3f}); answer changed on {self.changed}, {self.unsure} of them would go back to the model "
                f"(scored as they are)")


def replay(records: list[dict], examples: dict, candidates: int, greedy_weight: float, score,
           doubt: bool = False) -> Replay:
    """Replay the vote over the first *candidates* kept candidates of each record; *score*(example, sql) -> bool
    says whether an answer is right. Records without that many kept candidates are left out. With *doubt*, a record
    whose greedy answer is not in doubt (service._doubt) keeps it: no vote."""
    out, schemas = Replay(candidates, greedy_weight, doubt), SchemaCache()
    for r in records:
        extra = r.get("extra") or {}
        kept = extra.get("candidate_sqls") or []
        ex = examples.get(r["id"])
        if ex is None or len(kept) < candidates:
            continue
        schema = schemas.get(ex.db_path)
        gens = [Generation(sql or "", 0, 0, 0.0) for sql in kept[:candidates]]
        if doubt and _doubt(gens[0], schema, ex.db_path, r["question"])[0] != DOUBT:
            gens = gens[:1]
        elif doubt:
            out.doubted += 1
        sql, problems, _ = _choose(gens, schema, ex.db_path, r["question"], greedy_weight)
        out.n += 1
        served = served_without_model(sql, problems, ex.db_path, r["question"], schema)
        run_choice = extra.get("first_sql") if extra.get("repaired") else r.get("pred_sql")
        if served is None and sql == run_choice:  # back to the model, as in the run
            out.right += bool(r.get("exec_match"))
            continue
        answer = served or sql
        if answer == r.get("pred_sql"):
            out.right += bool(r.get("exec_match"))
            continue
        out.changed += 1
        out.unsure += served is None
        out.right += bool(answer) and score(ex, answer)
    return out
