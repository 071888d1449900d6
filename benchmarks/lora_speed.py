"""Prompt and decoding speed of llama.cpp models, with and without a LoRA adapter, on this machine.

    python benchmarks/lora_speed.py MODEL.gguf[+ADAPTER.gguf] [...] [--threads 2] [--repeats 3] [--out FILE.json]

Each spec is a GGUF model, optionally `+` a GGUF LoRA adapter llama.cpp applies at run time, e.g.
`base-q4_k_m.gguf+nichelm-v18-lora.gguf` against the same adapter merged into one file
(`nichelm-convert merge-lora ... --out merged-q6_k.gguf`). For each, a fixed chat prompt of about 60 tokens
is evaluated from an empty cache, then 24 tokens are decoded greedily, then the prompt's last 24 tokens are
evaluated again with the rest cached (a question after a cached schema, as the daemon's cached case: a small
batch, which the repacked kernels of some quantization types speed up and others lack); the best of --repeats
is kept for each phase (the least disturbed by other work on the machine) and the median is printed beside it.

`--busy N` keeps N other processes spinning meanwhile (a machine whose cores are partly taken), to compare thread
counts and OpenMP's wait policy (`OMP_WAIT_POLICY=PASSIVE python benchmarks/lora_speed.py ...`) under load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

from busy_cores import spinning

PROMPT = ("<|im_start|>system\nYou write SQL.<|im_end|>\n<|im_start|>user\n"
          "CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INTEGER);\n"
          "List the name, country and age of all singers ordered by age from the oldest to the youngest, and "
          "also count them per country.<|im_end|>\n<|im_start|>assistant\n")
DECODE = 24
QUESTION = 24  # tokens evaluated after a cached prefix


def measure(spec: str, threads: int, repeats: int) -> dict:
    import llama_cpp

    model, _, lora = spec.partition("+")
    llm = llama_cpp.Llama(model, lora_path=lora or None, n_ctx=1024, n_threads=threads, n_threads_batch=threads,
                          n_gpu_layers=0, verbose=False)
    try:
        tokens = llm.tokenize(PROMPT.encode(), special=True)
        prefill, decode, question = [], [], []
        for _ in range(repeats):
            llm.reset()
            t0 = time.perf_counter()
            llm.eval(tokens)
            t1 = time.perf_counter()
            n = 0
            for _tok in llm.generate([], temp=0.0, reset=False):
                n += 1
                if n >= DECODE:
                    break
            t2 = time.perf_counter()
            llm.n_tokens = len(tokens) - QUESTION  # eval() drops the KV cache beyond n_tokens
            llm.eval(tokens[-QUESTION:])
            question.append(time.perf_counter() - t2)
            prefill.append(len(tokens) / (t1 - t0))
            decode.append(n / (t2 - t1))
    finally:
        llm.close()
    return {"spec": spec, "model_bytes": os.path.getsize(model), "prompt_tokens": len(tokens),
            "prefill_tok_s_best": round(max(prefill), 1), "prefill_tok_s_median": round(statistics.median(prefill), 1),
            "decode_tok_s_best": round(max(decode), 1), "decode_tok_s_median": round(statistics.median(decode), 1),
            "question_tokens": QUESTION, "question_s_best": round(min(question), 3),
            "question_s_median": round(statistics.median(question), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="+", help="MODEL.gguf or MODEL.gguf+ADAPTER.gguf")
    ap.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 2))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--busy", type=int, default=0, help="other processes spinning during the measures")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    rows = []
    with spinning(a.busy):
        _measure_all(a, rows)
    if a.out:
        machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "threads": a.threads,
                   "loadavg": os.getloadavg(), "busy_processes": a.busy,
                   "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset")}
        with open(a.out, "w") as f:
            json.dump({"machine": machine, "runs": rows}, f, indent=2)
        print(f"wrote {a.out}")
    return 0


def _measure_all(a, rows: list[dict]) -> None:
    print(f"{'model':60} {'size MB':>8} {'prefill tok/s':>14} {'decode tok/s':>13} {'question s':>14}"
          "  (best / median)")
    for spec in a.specs:
        r = measure(spec, a.threads, a.repeats)
        rows.append(r)
        name = " + ".join(os.path.basename(p) for p in spec.split("+"))
        print(f"{name:60} {r['model_bytes'] / 1e6:8.0f} {r['prefill_tok_s_best']:6.1f} / {r['prefill_tok_s_median']:<5.1f}"
              f" {r['decode_tok_s_best']:5.1f} / {r['decode_tok_s_median']:<5.1f}"
              f" {r['question_s_best']:6.3f} / {r['question_s_median']:<6.3f}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
