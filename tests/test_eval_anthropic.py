"""The Claude backend against a local HTTP server that speaks the Anthropic Messages API:
the request it sends, cost from usage, retries on 429/5xx, errors recorded without crashing a run,
the key from .env, and the client-side rate limit."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from nichelm.eval.backends import BackendSpec
from nichelm.eval.backends.claude import HAIKU_45, ClaudeBackend, MissingKey, RateLimiter, cost_usd
from nichelm.eval.cli import main
from nichelm.eval.datasets import load
from nichelm.eval.runner import PREDICTIONS, read_predictions, run

KEY = "sk-test-123"


def sent_key(headers) -> str | None:
    """The API key of a request: `x-api-key`, or a bearer token (newer SDKs send that)."""
    auth = headers.get("authorization") or ""
    return headers.get("x-api-key") or (auth[7:] if auth.lower().startswith("bearer ") else None)


class FakeMessagesAPI:
    """POST /v1/messages. `script` holds (status, body-or-None) answers to give first; after that every
    request gets a 200 whose text is `answer(question)`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict | None]] = []
        self.fail_always: int | None = None
        self.lock = threading.Lock()
        self.answer = lambda q: "SELECT count(*) FROM pets;"
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with api.lock:
                    api.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                         "body": body})
                    step = api.script.pop(0) if api.script else None
                if sent_key(self.headers) != KEY:
                    return self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                                       "message": "invalid x-api-key"}})
                if not self.path.startswith("/v1/messages"):
                    return self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": "no"}})
                if api.fail_always:
                    step = (api.fail_always, None)
                if step is not None:
                    status, payload = step
                    return self._send(status, payload or {"type": "error", "error": {
                        "type": "rate_limit_error" if status == 429 else "api_error", "message": f"status {status}"}},
                        {"retry-after": "0"} if status == 429 else None)
                question = body["messages"][-1]["content"]
                text = api.answer(question)
                self._send(200, {"id": "msg_1", "type": "message", "role": "assistant",
                                 "content": [{"type": "text", "text": text}], "model": body["model"],
                                 "stop_reason": "end_turn", "stop_sequence": None,
                                 "usage": {"input_tokens": 1200, "output_tokens": 30}})

            def _send(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    server = FakeMessagesAPI()
    yield server
    server.close()


@pytest.fixture
def eval_set(tmp_path) -> Path:
    db = tmp_path / "pets.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);"
                      "INSERT INTO pets VALUES (1, 'Rex', 5), (2, 'Tom', 2);")
    con.commit()
    con.close()
    path = tmp_path / "pets.jsonl"
    rows = [("How many pets are there?", "SELECT count(*) FROM pets"),
            ("How many pets do we have?", "SELECT count(*) FROM pets"),
            ("List the pet names.", "SELECT name FROM pets")]
    path.write_text("".join(json.dumps({"id": f"q{i}", "question": q, "sql": s, "db_path": "pets.sqlite",
                                        "difficulty": "easy"}) + "\n" for i, (q, s) in enumerate(rows)))
    return path


def backend(api, **kw) -> ClaudeBackend:
    return ClaudeBackend(base_url=api.url, backoff_s=0.01, rpm=None, **kw)


def test_request_prediction_and_cost(api, eval_set):
    ex = load(str(eval_set)).examples[0]
    b = backend(api)
    pred = b.predict(ex)
    b.close()
    assert pred.error is None
    assert pred.sql == "SELECT count(*) FROM pets"
    assert (pred.prompt_tokens, pred.completion_tokens) == (1200, 30)
    assert pred.cost_usd == pytest.approx(1200 * 1e-6 + 30 * 5e-6)  # $1 / $5 per million tokens
    assert pred.cost_usd == pytest.approx(cost_usd(HAIKU_45, 1200, 30))
    req = api.requests[0]
    assert req["path"] == "/v1/messages"
    assert req["body"]["model"] == "claude-haiku-4-5-20251001"
    assert req["body"]["temperature"] == 0
    assert "CREATE TABLE pets" in req["body"]["system"]  # the same schema text as every backend
    assert req["body"]["messages"] == [{"role": "user", "content": ex.question}]


def test_429_is_retried(api, eval_set):
    api.script = [(429, None), (529, None)]
    ex = load(str(eval_set)).examples[0]
    pred = backend(api).predict(ex)
    assert pred.error is None and pred.sql == "SELECT count(*) FROM pets"
    assert pred.extra["attempts"] == 3 and len(api.requests) == 3


def test_client_errors_are_not_retried(api, eval_set):
    api.script = [(400, None)]
    pred = backend(api).predict(load(str(eval_set)).examples[0])
    assert pred.sql is None and "HTTP 400" in pred.error and len(api.requests) == 1


def test_persistent_500_is_recorded_and_the_run_goes_on(api, eval_set, tmp_path):
    api.fail_always = 500
    spec = BackendSpec("anthropic", {"base_url": api.url, "max_retries": 2, "backoff_s": 0.01, "rpm": None})
    out = tmp_path / "run"
    metrics = run(spec, load(str(eval_set)), out, progress=False)
    recs = read_predictions(out / PREDICTIONS)
    assert len(recs) == 3 and metrics["n"] == 3
    assert all("HTTP 500 after 3 attempt(s)" in r["error"] for r in recs)
    assert metrics["backend_errors"] == 3 and metrics["exec_acc"] == 0.0
    assert len(api.requests) == 9  # 3 questions x (1 + 2 retries)
    assert "Backend errors: 3" in (out / "report.md").read_text()


def test_cli_with_threads_and_cost(api, eval_set, tmp_path):
    api.answer = lambda q: "```sql\nSELECT name FROM pets\n```" if "names" in q else "SELECT count(*) FROM pets"
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", "--backend", "anthropic", "--base-url", api.url, "--dataset", str(eval_set),
                                  "--workers", "3", "--rpm", "6000", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["exec_acc"] == 1.0 and m["n"] == 3 and m["label"] == HAIKU_45
    assert m["mean_cost_usd"] == pytest.approx(0.00135)
    assert m["total_cost_usd"] == pytest.approx(0.00405)
    assert "| claude-haiku-4-5-20251001 | 1.000 |" in r.output


def test_key_from_dotenv(api, eval_set, tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingKey):
        backend(api)
    (tmp_path / ".env").write_text(f"OTHER=1\nexport ANTHROPIC_API_KEY='{KEY}'\n")
    pred = backend(api).predict(load(str(eval_set)).examples[0])
    assert pred.error is None and sent_key(api.requests[-1]["headers"]) == KEY


def test_base_url_from_environment(api, eval_set, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    b = ClaudeBackend(backoff_s=0.01, rpm=None)
    assert b.predict(load(str(eval_set)).examples[0]).error is None and len(api.requests) == 1


def test_rate_limiter_spaces_requests():
    limiter = RateLimiter(rpm=1200)  # one start every 0.05 s
    starts = []

    def go():
        limiter.wait()
        starts.append(time.monotonic())

    threads = [threading.Thread(target=go) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert starts[-1] - starts[0] >= 4 * 0.05 - 0.005
