"""Claude Haiku 4.5 through the Anthropic Messages API (the `anthropic` SDK).

- key: $ANTHROPIC_API_KEY, else an ANTHROPIC_API_KEY=... line in a `.env` file (current directory);
- endpoint: $ANTHROPIC_BASE_URL or `base_url` (tests point it at a local server);
- retries with exponential backoff on 429, 5xx, 529 "overloaded", timeouts and connection errors
  (the SDK's own retries are off so that this policy is the only one, and testable); other errors
  (400, 401, ...) are not retried; a question that still fails gets `error` in its prediction and the
  run goes on;
- a client-side rate limit (requests per minute, shared by all threads);
- cost from the response's token usage at PRICES_USD_PER_MTOK.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

from nichelm.assistant.prompt import ENUM_VALUES

from ..datasets import Example
from .base import Prediction, PromptMaker, extract

HAIKU_45 = "claude-haiku-4-5-20251001"
# USD per million tokens (input, output). Claude Haiku 4.5 list price at launch (Oct 2025):
# $1 / MTok input, $5 / MTok output. Prompt caching is not used, so cache prices do not apply.
PRICES_USD_PER_MTOK: dict[str, tuple[float, float]] = {HAIKU_45: (1.0, 5.0)}

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}


class MissingKey(Exception):
    code = "missing_api_key"


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    price_in, price_out = PRICES_USD_PER_MTOK.get(model, PRICES_USD_PER_MTOK[HAIKU_45])
    return (input_tokens * price_in + output_tokens * price_out) / 1_000_000


def api_key(env_file: str | os.PathLike | None = None) -> str:
    key = os.environ.get("ANTHROPIC_API_KEY")
    if key:
        return key
    path = Path(env_file) if env_file else Path.cwd() / ".env"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            line = line.removeprefix("export ")
            if line.startswith("ANTHROPIC_API_KEY="):
                return line.split("=", 1)[1].strip().strip("'\"")
    raise MissingKey("no Anthropic API key: set ANTHROPIC_API_KEY or put ANTHROPIC_API_KEY=... in .env")


class RateLimiter:
    """At most *rpm* request starts per minute across threads (evenly spaced)."""

    def __init__(self, rpm: float | None):
        self.interval = 60.0 / rpm if rpm else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class ClaudeBackend:
    concurrency = "threads"

    def __init__(self, model: str = HAIKU_45, base_url: str | None = None, examples: int = 0,
                 max_retries: int = 6, backoff_s: float = 1.0, max_backoff_s: float = 60.0,
                 rpm: float | None = 50, max_tokens: int = 512, timeout_s: float = 60.0,
                 env_file: str | None = None, temperature: float | None = 0.0, enum_values: int = ENUM_VALUES):
        import anthropic

        self._anthropic = anthropic
        self.model = model
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL")
        self.client = anthropic.Anthropic(api_key=api_key(env_file), base_url=self.base_url,
                                          max_retries=0, timeout=timeout_s)
        self.prompts = PromptMaker(examples, enum_values=enum_values)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_tokens = max_tokens
        self.limiter = RateLimiter(rpm)
        # Greedy-ish decoding like the local backends; None leaves the API default.
        self.extra_body = {"temperature": temperature} if temperature is not None else None

    def _retryable(self, exc: Exception) -> bool:
        a = self._anthropic
        if isinstance(exc, (a.APIConnectionError, a.APITimeoutError)):
            return True
        status = getattr(exc, "status_code", None)
        return status in RETRY_STATUS or (status is not None and status >= 500)

    def _delay(self, attempt: int, exc: Exception) -> float:
        retry_after = None
        resp = getattr(exc, "response", None)
        if resp is not None:
            try:
                retry_after = float(resp.headers.get("retry-after"))
            except (TypeError, ValueError):
                retry_after = None
        base = retry_after if retry_after is not None else self.backoff_s * 2 ** attempt
        return min(self.max_backoff_s, base) * (1 + 0.1 * random.random())

    def predict(self, example: Example) -> Prediction:
        start = time.monotonic()
        messages, schema = self.prompts.messages(example)
        system = messages[0]["content"]
        attempts = 0
        while True:
            self.limiter.wait()
            try:
                # temperature goes in extra_body: recent SDKs dropped the typed argument, the API still takes it.
                msg = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=system,
                                                  messages=messages[1:], extra_body=self.extra_body)
                break
            except self._anthropic.APIError as exc:
                if self._retryable(exc) and attempts < self.max_retries:
                    time.sleep(self._delay(attempts, exc))
                    attempts += 1
                    continue
                status = getattr(exc, "status_code", None)
                what = f"HTTP {status}" if status else type(exc).__name__
                return Prediction("", None, time.monotonic() - start,
                                  error=f"anthropic_error: {what} after {attempts + 1} attempt(s): {exc}"[:500],
                                  extra={"attempts": attempts + 1})
        raw = "".join(getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text")
        tin, tout = msg.usage.input_tokens, msg.usage.output_tokens
        return Prediction(raw, extract(raw, schema), time.monotonic() - start, tin, tout,
                          cost_usd(self.model, tin, tout), None,
                          {"attempts": attempts + 1, "stop_reason": msg.stop_reason, "model": msg.model})

    def info(self) -> dict:
        return {"backend": "anthropic", "model": self.model, "base_url": self.base_url or "default",
                "prices_usd_per_mtok": PRICES_USD_PER_MTOK.get(self.model)}

    def close(self) -> None:
        self.client.close()
