"""Parity check: the same prompts through transformers (base + PEFT adapter) and through llama.cpp (GGUF
base + GGUF adapter); reports how often the extracted SQL and its execution results agree.

Both sides use the product's prompt (build_messages) and schema text (schema_text_for), greedy decoding.
The transformers side runs the dequantized GGUF weights, llama.cpp the quantized ones: the same numbers,
computed at different precision, so a high but not always perfect agreement is expected. Execution runs
read-only on the Spider database; each side is also scored against the gold query.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path


def _rows_key(result) -> Counter:
    def cell(v):
        return round(v, 6) if isinstance(v, float) else v

    return Counter(tuple(cell(v) for v in row) for row in result.rows)


def _execute(db_path, sql: str | None):
    from nichelm.assistant.errors import NicheError
    from nichelm.assistant.sqlite_io import execute_readonly

    if not sql:
        return None, "no SQL"
    try:
        return _rows_key(execute_readonly(db_path, sql, timeout_s=10.0, max_rows=100_000)), None
    except NicheError as exc:
        return None, exc.code
    except Exception as exc:  # sqlite errors the core does not wrap still count as a failed execution
        return None, type(exc).__name__


def _sql(text: str) -> str | None:
    from nichelm.assistant.errors import NoSQLFound
    from nichelm.assistant.sqlcheck import extract_sql

    try:
        return extract_sql(text)
    except NoSQLFound:
        return None


def pick_examples(n: int, spider_dir=None, split: str = "dev"):
    """*n* examples spread evenly over *split*, skipping those whose database file is missing."""
    from nichelm.training.spider_data import load_split

    pool = [e for e in load_split(split, spider_dir) if e.db_path is not None]
    step = max(1, len(pool) // max(n, 1))
    return pool[::step][:n]


class TransformersSide:
    def __init__(self, base, adapter_dir, gguf_file=None, max_new_tokens=256):
        import torch
        from nichelm.training.base_model import load_model, load_tokenizer, resolve_base
        from nichelm.training.tokens import end_token_id
        from peft import PeftModel

        spec = resolve_base(base, gguf_file)
        self.tok = load_tokenizer(spec)
        cuda = torch.cuda.is_available()
        model = load_model(spec, "bf16" if cuda else "fp32")
        if adapter_dir:
            model = PeftModel.from_pretrained(model, str(adapter_dir))
        self.model = model.to("cuda" if cuda else "cpu").eval()
        self.stop = sorted({end_token_id(self.tok), self.tok.eos_token_id} - {None})
        self.max_new_tokens = max_new_tokens

    def generate(self, messages) -> str:
        import torch

        text = self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = self.tok(text, add_special_tokens=False, return_tensors="pt").to(self.model.device)
        with torch.no_grad():
            out = self.model.generate(**ids, do_sample=False, max_new_tokens=self.max_new_tokens,
                                      eos_token_id=self.stop, pad_token_id=self.tok.pad_token_id)
        return self.tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)


def _llama_answers(model_gguf: str, adapter_gguf: str | None, prompts: list[tuple[str, str]],
                   n_gpu_layers: int | None, max_new_tokens: int) -> list[str]:
    """Greedy answers of llama.cpp for (schema text, question) pairs. Runs in a child process (see
    run_parity): libllama built with CUDA and torch's CUDA in one process crash on the GPU machine."""
    from nichelm.assistant.engine import Engine, EngineSettings

    engine = Engine(EngineSettings(model_path=model_gguf, lora_path=adapter_gguf, n_ctx=4096,
                                   n_gpu_layers=n_gpu_layers, max_tokens=max_new_tokens))
    try:
        return [engine.generate(schema_text, question).text for schema_text, question in prompts]
    finally:
        engine.close()


def run_parity(base_gguf, adapter_dir, adapter_gguf, *, n: int = 50, spider_dir=None,
               n_gpu_layers: int | None = None, max_new_tokens: int = 256, llama_gguf=None, log=print) -> dict:
    """Run *n* Spider dev questions through both runtimes; returns the JSON report.

    transformers runs *base_gguf* (a GGUF file, or the same weights as a dequantized model directory) with
    the PEFT adapter; llama.cpp runs *llama_gguf* (default: *base_gguf*) with *adapter_gguf* (None: no
    adapter, e.g. for a merged model). llama.cpp answers first, in a fresh child process, before torch
    touches the GPU in this one."""
    import multiprocessing

    from nichelm.assistant.context import schema_text_for
    from nichelm.assistant.prompt import build_messages
    from nichelm.training.spider_data import schema_for

    examples = pick_examples(n, spider_dir)
    prompts = [(schema_text_for(schema_for(ex.db_id, spider_dir), ex.question), ex.question) for ex in examples]
    t0 = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        ll_texts = pool.apply(_llama_answers, (str(llama_gguf or base_gguf), str(adapter_gguf) if adapter_gguf
                                               else None, prompts, n_gpu_layers, max_new_tokens))
    log(f"llama.cpp answered {len(prompts)} questions in {time.monotonic() - t0:.0f}s")
    tf = TransformersSide(base_gguf, adapter_dir, max_new_tokens=max_new_tokens)
    items = []
    for i, (ex, (schema_text, _), ll_text) in enumerate(zip(examples, prompts, ll_texts)):
        tf_text = tf.generate(build_messages(schema_text, ex.question))
        tf_sql, ll_sql = _sql(tf_text), _sql(ll_text)
        gold, _ = _execute(ex.db_path, ex.query)
        tf_rows, tf_err = _execute(ex.db_path, tf_sql)
        ll_rows, ll_err = _execute(ex.db_path, ll_sql)
        items.append({
            "db_id": ex.db_id, "question": ex.question, "gold": ex.query,
            "transformers": tf_sql, "llama_cpp": ll_sql,
            "same_sql": (tf_sql or "").strip().rstrip(";") == (ll_sql or "").strip().rstrip(";"),
            "same_result": (tf_rows == ll_rows) if (tf_rows is not None and ll_rows is not None)
            else (tf_err is not None and ll_err is not None),
            "transformers_correct": tf_rows is not None and tf_rows == gold,
            "llama_cpp_correct": ll_rows is not None and ll_rows == gold,
            "errors": {"transformers": tf_err, "llama_cpp": ll_err},
        })
        if (i + 1) % 10 == 0:
            log(f"{i + 1}/{len(examples)}")
    k = max(len(items), 1)
    return {
        "n": len(items),
        "sql_agreement": round(sum(x["same_sql"] for x in items) / k, 4),
        "execution_agreement": round(sum(x["same_result"] for x in items) / k, 4),
        "transformers_exec_acc": round(sum(x["transformers_correct"] for x in items) / k, 4),
        "llama_cpp_exec_acc": round(sum(x["llama_cpp_correct"] for x in items) / k, 4),
        "base_gguf": str(base_gguf), "llama_gguf": str(llama_gguf or base_gguf), "adapter_dir": str(adapter_dir),
        "adapter_gguf": str(adapter_gguf),
        "seconds": round(time.monotonic() - t0, 1),
        "items": items,
    }


def write_report(report: dict, out: str | Path) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(report, indent=2, default=str))
