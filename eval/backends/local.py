"""The local GGUF engine: the same `Engine` + `answer_question` path the daemon serves.

One model instance per process (llama.cpp serialises generation), so the runner parallelises this
backend with processes, each loading its own copy. Questions arrive grouped by database, so the system
message (instructions + schema) stays in llama.cpp's KV cache and only the question is evaluated anew.
"""

from __future__ import annotations

import os
import time

from nichelm.assistant import answer_checks, models
from nichelm.assistant.engine import Engine, EngineSettings
from nichelm.assistant.errors import NicheError
from nichelm.assistant.prompt import ENUM_VALUES
from nichelm.assistant.service import answer_question

from ..datasets import Example
from .base import Prediction, PromptMaker


class LocalBackend:
    concurrency = "processes"

    def __init__(self, model: str, lora: str | None = None, candidates: int = 1, examples: int = 0,
                 n_gpu_layers: int | None = None, n_threads: int | None = None, n_ctx: int = 4096,
                 max_tokens: int = 256, repair: bool = False, enum_values: int = ENUM_VALUES,
                 repair_hints: bool = True, retry_empty: int = 0, without_checks: list[str] | None = None,
                 repair_chain: bool = True, doubt_candidates: int = 0):
        if without_checks:  # an ablation: this process answers without them (each worker builds its own backend)
            answer_checks.disable(without_checks)
        self.repair = repair
        self.repair_hints = repair_hints
        self.repair_chain = repair_chain
        self.retry_empty = retry_empty
        self.doubt_candidates = doubt_candidates
        path, lora_path, _ = models.resolve(model, lora or "none")
        lora = str(lora_path) if lora_path else None
        self.candidates = max(1, candidates)
        self.prompts = PromptMaker(examples, enum_values=enum_values)
        self.engine = Engine(EngineSettings(str(path), lora, n_ctx=n_ctx, n_threads=n_threads,
                                            n_gpu_layers=n_gpu_layers, max_tokens=max_tokens))

    def predict(self, example: Example) -> Prediction:
        start = time.monotonic()
        try:
            schema = self.prompts.schema(example)
            a = answer_question(self.engine, schema, example.question, db_path=example.db_path,
                                candidates=self.candidates, with_examples=self.prompts.with_examples,
                                budget_tokens=self.prompts.budget_tokens, repair=self.repair,
                                repair_hints=self.repair_hints, repair_chain=self.repair_chain,
                                retry_empty=self.retry_empty, doubt_candidates=self.doubt_candidates)
        except NicheError as exc:
            return Prediction("", None, time.monotonic() - start, error=f"{exc.code}: {exc.message}")
        # latency_s is the whole call (schema lookup, prompt, generation, candidate runs): what a user waits.
        return Prediction(a.raw, a.sql, time.monotonic() - start, a.prompt_tokens, a.completion_tokens, 0.0,
                          None, {"generation_s": round(a.latency_s, 4), "cached_tokens": a.cached_tokens,
                                 "candidates": a.candidates, "agreement": a.agreement, "repaired": a.repaired,
                                 "first_sql": a.first_sql, "replaced_because": a.replaced_because}
                          | ({"candidate_sqls": a.candidate_sqls} if a.candidate_sqls else {}))

    def info(self) -> dict:
        info = {"backend": "local", "candidates": self.candidates, "examples": self.prompts.schemas.examples,
                "enum_values": self.prompts.schemas.enum_values,
                "repair": self.repair, "repair_hints": self.repair_hints, "repair_chain": self.repair_chain,
                "retry_empty": self.retry_empty, "doubt_candidates": self.doubt_candidates}
        info.update({"llama_cpp": self.engine.info()})
        import llama_cpp  # already loaded by the engine

        info["llama_cpp"]["version"] = getattr(llama_cpp, "__version__", None)
        info["model_file"] = os.path.basename(self.engine.settings.model_path)
        return info

    def close(self) -> None:
        self.engine.close()
