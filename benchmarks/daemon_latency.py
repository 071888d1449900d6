"""Daemon latency: cold start, then question -> SQL through the daemon with the schema cached and not.

    python benchmarks/daemon_latency.py [--model NAME|PATH] [--dbs 5] [--per-db 6] [--out FILE.json]

What it measures (all through the real daemon over its socket, client-side wall time):
- cold start: `nichelm serve` process start -> first healthy answer (model loaded), and the model load
  time the daemon reports;
- cold: the first question on each database (schema read + the whole prompt evaluated);
- uncached: questions round-robin over the databases, so every prompt differs from the previous one
  from the schema on (the schema itself is in the daemon's SchemaCache, the KV cache has another DB; on the CPU
  the engine keeps recent prefixes' KV state (assistant/prefix_states.py), so these get their schema back from
  memory, except with NICHELM_PREFIX_STATES=0, which measures a cache of one prompt as before);
- cached: consecutive questions on one database, so llama.cpp reuses the schema prefix in its KV cache
  and only evaluates the question (the case of a user asking questions in the REPL);
- after_restart: a new daemon in the same NICHELM_HOME, the first question on each database again: on the CPU its
  schema's state comes back from the disk (assistant/prefix_disk.py; NICHELM_DISK_STATES=0 turns that off).
Spider dev questions and databases; "exec match" compares result sets with the gold query's.
"p50 cpu" is the CPU time (all threads) the daemon used per question: on a machine shared with other
work, wall time grows but CPU time barely does, so it shows what an idle machine would give
(about cpu / threads with good thread scaling, up to cpu).
`--busy N` keeps N other processes spinning from before the daemon starts to the end (a machine whose cores are
partly taken: the daemon then runs fewer threads, engine.py). `--busy-mid N` starts N spinning processes
`--busy-after` seconds (default 0.3) into each answer of the cached phase and stops them when it arrives: load
that comes in the middle of an answer, which the engine meets by deciding the threads again between tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from busy_cores import LateSpinners, spinning

SPIDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "spider"  # ../shared beside the checkout
LOCAL_15B = Path("/work/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
DEFAULT_DBS = ["concert_singer", "pets_1", "car_1", "flight_2", "employee_hire_evaluation"]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def pick_questions(spider: Path, dbs: list[str], per_db: int) -> dict[str, list[dict]]:
    dev = json.loads((spider / "dev.json").read_text())
    out: dict[str, list[dict]] = defaultdict(list)
    for ex in dev:
        db = ex["db_id"]
        if db in dbs and len(out[db]) < per_db and (spider / "database" / db / f"{db}.sqlite").exists():
            out[db].append({"question": ex["question"], "gold": ex["query"]})
    return {db: out[db] for db in dbs if out[db]}


def result_set(db: Path, sql: str):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        return Counter(map(repr, con.execute(sql).fetchmany(10_000)))
    except Exception:  # noqa: BLE001 - a failing query simply does not match
        return None
    finally:
        con.close()


def start_daemon(model: str, threads: int | None, home: Path,
                 lora: str | None = None) -> tuple[subprocess.Popen, dict, float]:
    from nichelm.assistant.client import Client
    from nichelm.assistant.protocol import DaemonUnavailable

    env = {**os.environ, "NICHELM_HOME": str(home)}
    env.pop("NICHELM_SOCKET", None)
    cmd = [sys.executable, "-m", "nichelm.assistant.cli", "serve", "--foreground", "--model", model]
    if threads:
        cmd += ["--threads", str(threads)]
    if lora:
        cmd += ["--lora", lora]
    sock = home / "daemon.sock"
    t0 = time.monotonic()
    with open(home / "daemon.log", "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"daemon exited: {(home / 'daemon.log').read_text()[-2000:]}")
        try:
            with Client(sock, autostart=False) as c:
                if c.health()["status"] == "ok":
                    break
        except DaemonUnavailable:
            pass
        time.sleep(0.02)
    cold = time.monotonic() - t0
    with Client(sock, autostart=False) as c:
        health = c.health()
    return proc, health, cold


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of process *pid* (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ask(client, db: Path, item: dict, pid: int, late: LateSpinners | None = None) -> dict:
    c0 = cpu_seconds(pid)
    t = time.monotonic()
    if late:
        late.start()
    try:
        ans = client.generate(db, item["question"], timeout=600)
    finally:
        mid_load = late.stop() if late else 0
    wall = time.monotonic() - t
    cpu = cpu_seconds(pid) - c0
    gold = result_set(db, item["gold"])
    pred = result_set(db, ans["sql"]) if ans.get("sql") else None
    return {"question": item["question"], "sql": ans.get("sql"), "wall_s": wall, "cpu_s": cpu,
            "model_s": ans["latency_s"],
            "prompt_tokens": ans["prompt_tokens"], "cached_tokens": ans["cached_tokens"],
            "completion_tokens": ans["completion_tokens"], "exec_match": gold is not None and pred == gold,
            "mid_answer_load": mid_load > 0}


def summary(rows: list[dict]) -> dict:
    w = [r["wall_s"] for r in rows]
    return {"n": len(rows), "p50_s": statistics.median(w) if w else None, "p95_s": percentile(w, 0.95),
            "p50_cpu_s": statistics.median(r["cpu_s"] for r in rows) if rows else None,
            "mean_s": statistics.fmean(w) if w else None,
            "mean_prompt_tokens": statistics.fmean(r["prompt_tokens"] for r in rows) if rows else None,
            "mean_cached_tokens": statistics.fmean(r["cached_tokens"] for r in rows) if rows else None,
            "exec_match": sum(r["exec_match"] for r in rows) / len(rows) if rows else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(LOCAL_15B) if LOCAL_15B.exists() else None,
                    help="registry name or GGUF path (default: the local 1.5B, else the default model)")
    ap.add_argument("--spider", type=Path, default=SPIDER)
    ap.add_argument("--lora", default=None, help="GGUF LoRA adapter for the daemon")
    ap.add_argument("--dbs", type=int, default=5)
    ap.add_argument("--per-db", type=int, default=6)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--busy", type=int, default=0, help="other processes spinning during the whole run")
    ap.add_argument("--busy-mid", type=int, default=0,
                    help="other processes that start spinning --busy-after seconds into each answer and stop with it")
    ap.add_argument("--busy-after", type=float, default=0.3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "daemon_latency.json")
    args = ap.parse_args()
    from nichelm.assistant import models

    model = args.model or models.DEFAULT_MODEL
    questions = pick_questions(args.spider, DEFAULT_DBS[: args.dbs], args.per_db)
    db_paths = {db: args.spider / "database" / db / f"{db}.sqlite" for db in questions}
    home = Path(tempfile.mkdtemp(prefix="nlb-", dir="/tmp"))
    load_before = os.getloadavg()
    with spinning(args.busy):
        runs, health, cold_start = measure(args, model, questions, db_paths, home)
    load_after = os.getloadavg()
    report(args, model, questions, runs, health, cold_start, load_before, load_after)


def measure(args, model, questions, db_paths, home):
    """cold start, then the cold, uncached and cached questions through a daemon started now."""
    from nichelm.assistant.client import Client

    proc, health, cold_start = start_daemon(model, args.threads, home, args.lora)
    runs: dict[str, list[dict]] = {"cold": [], "uncached": [], "cached": []}
    try:
        with Client(home / "daemon.sock", autostart=False) as client:
            # Round-robin over the databases: each prompt's schema differs from the previous one.
            for i in range(args.per_db):
                for db, items in questions.items():
                    if i < len(items):
                        r = ask(client, db_paths[db], items[i], proc.pid)
                        runs["cold" if i == 0 else "uncached"].append({**r, "db": db})
                        print(f"  {'cold' if i == 0 else 'uncached':9s} {r['wall_s']:6.2f}s {db}: "
                              f"{r['question'][:60]}", file=sys.stderr)
            # Grouped by database: the schema prefix stays in llama.cpp's KV cache.
            late = LateSpinners(args.busy_mid, args.busy_after) if args.busy_mid else None
            for db, items in questions.items():
                for i, item in enumerate(items):
                    r = ask(client, db_paths[db], item, proc.pid, late)
                    if i > 0:  # the first one follows another database: not cached
                        runs["cached"].append({**r, "db": db})
                    print(f"  {'cached' if i else 'switch':9s} {r['wall_s']:6.2f}s {db}: {r['question'][:60]}",
                          file=sys.stderr)
            client.shutdown()
        proc.wait(30)
        # A new daemon in the same NICHELM_HOME: the first question on each database again, its schema's state
        # read back from disk (assistant/prefix_disk.py) where the first daemon wrote it.
        proc, _, _ = start_daemon(model, args.threads, home, args.lora)
        runs["after_restart"] = []
        with Client(home / "daemon.sock", autostart=False) as client:
            for db, items in questions.items():
                r = ask(client, db_paths[db], items[0], proc.pid)
                runs["after_restart"].append({**r, "db": db})
                print(f"  {'restarted':9s} {r['wall_s']:6.2f}s {db}: {r['question'][:60]}", file=sys.stderr)
            client.shutdown()
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(home, ignore_errors=True)
    return runs, health, cold_start


def report(args, model, questions, runs, health, cold_start, load_before, load_after) -> None:
    result = {
        "model": health["model"], "model_arg": model,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_before": load_before, "loadavg_after": load_after,
                    "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset (libgomp's default: spin, then sleep)"),
                    "fixed_threads": bool(os.environ.get("NICHELM_FIXED_THREADS")), "busy_processes": args.busy,
                    "busy_mid_answer": {"processes": args.busy_mid, "after_s": args.busy_after} if args.busy_mid else None,
                    "prefix_states": os.environ.get("NICHELM_PREFIX_STATES", "1") != "0",
                    "disk_states": os.environ.get("NICHELM_DISK_STATES", "1") != "0"},
        "cold_start_s": cold_start, "model_load_s": health["timings"].get("load_s"),
        "databases": list(questions), "per_db": args.per_db,
        "summary": {k: summary(v) for k, v in runs.items()},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"\nmodel {health['model'].get('name')}  threads {health['model'].get('threads')}  "
          f"cpus {os.cpu_count()}  load avg before/after {load_before[0]:.1f}/{load_after[0]:.1f}")
    print(f"daemon cold start (process start -> healthy): {cold_start:.2f} s; model load {result['model_load_s']:.2f} s")
    print(f"{'case':13s} {'n':>3s} {'p50 s':>7s} {'p95 s':>7s} {'mean s':>7s} {'p50 cpu':>7s} {'prompt':>7s} "
          f"{'cached':>7s} {'exec':>5s}")
    for k, s in result["summary"].items():
        if s["n"]:
            print(f"{k:13s} {s['n']:3d} {s['p50_s']:7.2f} {s['p95_s']:7.2f} {s['mean_s']:7.2f} {s['p50_cpu_s']:7.2f} "
                  f"{s['mean_prompt_tokens']:7.0f} {s['mean_cached_tokens']:7.0f} {s['exec_match']:5.0%}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
