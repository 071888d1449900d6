"""Latency through the real language server (`nichelm-lsp` subprocess, stdio, pygls client):
completion p50/p99 on a 200-table SQLite schema, and question-to-SQL ("Generate SQL" code action,
resolved through the daemon and the model).

    python benchmarks/lsp_latency.py [--tables 200] [--columns 12] [--rounds 30]
        [--model /work/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf] [--no-generate]

Times are measured in the client, round trip: JSON-RPC over pipes, the server's handler, back. The
client is a bare JSON-RPC loop (json.loads only) so that its own parsing does not count.
Target for completion: p99 <= 15 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_MODEL = "/work/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

# Cursor at the end of each text: the same typing moments as the REPL's benchmark (this folder is on
# sys.path when the script runs).
from completion_latency import CASES  # noqa: E402

QUESTIONS = [
    "how many customers are there?",
    "what is the total amount of all orders?",
    "list the names of customers from the UK",
    "how many orders did each customer place?",
    "which product was ordered most often?",
]


def build_wide_db(path: Path, n_tables: int, n_columns: int) -> None:
    types = ["INTEGER", "TEXT", "REAL", "DATE"]
    con = sqlite3.connect(path)
    for i in range(n_tables):
        cols = [f"col_{i}_{j} {types[j % 4]}" for j in range(n_columns)]
        fk = f", ref_{i} INTEGER REFERENCES table_{i - 1}(col_{i - 1}_0)" if i else ""
        con.execute(f"CREATE TABLE table_{i} (col_{i}_0 INTEGER PRIMARY KEY, {', '.join(cols[1:])}{fk})")
    con.commit()
    con.close()


def build_shop_db(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, email TEXT);
        CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             placed_at TEXT, total REAL);
        CREATE TABLE order_items (order_id INTEGER REFERENCES orders(id),
                                  product_id INTEGER REFERENCES products(id), qty INTEGER);
        INSERT INTO customers VALUES (1, 'Ada', 'UK', NULL), (2, 'Bo', 'SE', NULL);
        INSERT INTO products VALUES (1, 'pen', 1.5), (2, 'ink', 4.0);
        INSERT INTO orders VALUES (1, 1, '2024-05-01', 10.5), (2, 2, '2024-05-02', 4.0);
        INSERT INTO order_items VALUES (1, 1, 3), (1, 2, 1), (2, 2, 1);
    """)
    con.close()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class RawClient:
    """A minimal LSP client over the server's pipes: JSON framing and json.loads only, so the times
    measure the server (and the pipes), not a Python client's deserialisation of hundreds of items."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self._ids = 0
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        out = self.proc.stdout
        while True:
            header = await out.readuntil(b"\r\n\r\n")
            length = int(next(h.split(b":")[1] for h in header.split(b"\r\n") if h.lower().startswith(b"content-length")))
            msg = json.loads(await out.readexactly(length))
            if "id" in msg and "method" not in msg:
                fut = self._waiting.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            elif "id" in msg:  # a request from the server (e.g. workspace/applyEdit): accept it
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})

    def _send(self, msg: dict) -> None:
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: dict) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: dict | None) -> dict:
        self._ids += 1
        fut = asyncio.get_running_loop().create_future()
        self._waiting[self._ids] = fut
        self._send({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params})
        await self.proc.stdin.drain()
        msg = await fut
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg.get("result")


async def start(root: Path, env: dict, init: dict | None = None) -> RawClient:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nichelm.lsp.server", "--log-level", "WARNING", env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024)
    client = RawClient(proc)
    # What a current VS Code announces for the features measured here.
    caps = {"textDocument": {
        "codeAction": {"resolveSupport": {"properties": ["edit"]}},
        "completion": {"completionList": {"itemDefaults": ["editRange"]}}}}
    await client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": caps,
                                        "initializationOptions": init})
    client.notify("initialized", {})
    return client


async def stop(client: RawClient) -> None:
    await client.request("shutdown", None)
    client.notify("exit", None)
    await client.proc.wait()
    client._reader.cancel()


def did_open(client: RawClient, uri: str, text: str) -> None:
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "sql", "version": 1,
                                                            "text": text}})


def did_change(client: RawClient, uri: str, version: int, text: str) -> None:
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                             "contentChanges": [{"text": text}]})


def position(uri: str, line: int, character: int) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


async def bench_completion(args, tmp: Path) -> None:
    ws = tmp / "wide"
    ws.mkdir()
    build_wide_db(ws / "wide.sqlite", args.tables, args.columns)
    client = await start(ws, {})
    # A realistic file: a hundred lines of finished queries above the one being typed.
    above = "".join(f"SELECT col_{i}_1, col_{i}_2 FROM table_{i} WHERE col_{i}_0 > {i};\n"
                    for i in range(0, args.tables, 2))
    uri = (ws / "bench.sql").as_uri()
    did_open(client, uri, above)
    version = 1
    line = above.count("\n")
    times: list[float] = []
    counts: list[int] = []
    per_case: dict[str, list[float]] = {c: [] for c in CASES}
    for rnd in range(args.rounds + 1):  # round 0 warms up (schema read, imports)
        for case in CASES:
            version += 1
            did_change(client, uri, version, above + case)
            t0 = time.perf_counter()
            res = await client.request("textDocument/completion", position(uri, line, len(case)))
            ms = (time.perf_counter() - t0) * 1000
            if rnd:
                times.append(ms)
                per_case[case].append(ms)
                counts.append(len(res["items"]) if res else 0)
    # Baseline: the same edit + request where the server has nothing to do (cursor in a comment), i.e.
    # the cost of the pipes, pygls and process scheduling on this machine.
    base: list[float] = []
    for rnd in range(args.rounds * 4 + 1):
        version += 1
        did_change(client, uri, version, above + "-- a comment ")
        t0 = time.perf_counter()
        await client.request("textDocument/completion", position(uri, line, 12))
        if rnd:
            base.append((time.perf_counter() - t0) * 1000)
    await stop(client)
    print(f"completion through nichelm-lsp: {args.tables} tables x {args.columns} columns, document of "
          f"{line} lines, {len(CASES)} cursor cases x {args.rounds} rounds (edit + request, round trip)")
    print(f"  p50 {pct(times, 0.5):.2f} ms  p99 {pct(times, 0.99):.2f} ms  max {max(times):.2f} ms  "
          f"mean {statistics.mean(times):.2f} ms  (items per answer: median {int(statistics.median(counts))}, "
          f"max {max(counts)}; target p99 <= 15 ms)")
    print(f"  baseline (same edit, request with nothing to do): p50 {pct(base, 0.5):.2f} ms  "
          f"p99 {pct(base, 0.99):.2f} ms")
    slowest = sorted(per_case.items(), key=lambda kv: -pct(kv[1], 0.5))[:3]
    for case, ts in slowest:
        print(f"  slowest case p50 {pct(ts, 0.5):6.2f} ms  p99 {pct(ts, 0.99):6.2f} ms: {case[:60]!r}")


async def bench_generate(args, tmp: Path) -> None:
    # Unix socket paths are short: the daemon's home must be a short path.
    home = Path(tempfile.mkdtemp(prefix="nlb-", dir="/tmp"))
    ws = tmp / "shop"
    ws.mkdir()
    build_shop_db(ws / "shop.sqlite")
    text = "".join(f"-- {q}\n\n" for q in QUESTIONS)
    client = await start(ws, {"NICHELM_HOME": str(home)}, {"nichelm": {"model": args.model}})
    uri = (ws / "questions.sql").as_uri()
    did_open(client, uri, text)

    async def ask(i: int) -> tuple[float, str]:
        pos = {"line": 2 * i, "character": 3}
        t0 = time.perf_counter()
        actions = await client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": {"start": pos, "end": pos}, "context": {"diagnostics": []}})
        resolved = await client.request("codeAction/resolve", actions[0])
        ms = (time.perf_counter() - t0) * 1000
        edit = resolved.get("edit")
        new_text = edit["documentChanges"][0]["edits"][0]["newText"].strip() if edit else "(no edit)"
        return ms, new_text

    try:
        print(f"question-to-SQL through nichelm-lsp (code action + resolve), model {Path(args.model).name}")
        cold, sql = await ask(0)
        print(f"  first question, daemon start + model load included: {cold / 1000:.2f} s")
        warm = []
        for i in range(1, len(QUESTIONS)):
            ms, sql = await ask(i)
            warm.append(ms)
            print(f"  {ms / 1000:6.2f} s  {QUESTIONS[i]!r} -> {sql.replace(chr(10), ' ')[:90]}")
        cached = [(await ask(i))[0] for i in range(len(QUESTIONS))]
        print(f"  warm daemon: p50 {pct(warm, 0.5) / 1000:.2f} s, max {max(warm) / 1000:.2f} s over "
              f"{len(warm)} questions; asked again (cache per question and schema version): "
              f"p50 {pct(cached, 0.5):.1f} ms")
    finally:
        await stop(client)
        from nichelm.assistant.client import Client

        try:
            with Client(home / "daemon.sock", autostart=False) as c:
                c.shutdown(timeout=10)
        except Exception as exc:
            print(f"  (daemon shutdown: {exc})", file=sys.stderr)
        await asyncio.sleep(0.5)
        shutil.rmtree(home, ignore_errors=True)


async def main_async(args) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as d:
        await bench_completion(args, Path(d))
        if not args.no_generate:
            await bench_generate(args, Path(d))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=200)
    ap.add_argument("--columns", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="model name or GGUF path for the daemon")
    ap.add_argument("--no-generate", action="store_true", help="only measure completion")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
