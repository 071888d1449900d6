"""Evaluation backends: how a question becomes SQL (local GGUF engine, daemon, Claude, transformers).

Backends are described by a picklable `BackendSpec` so that worker processes can build their own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .base import Backend, Prediction, PromptMaker

KINDS = ("local", "daemon", "anthropic", "transformers")


@dataclass(frozen=True)
class BackendSpec:
    kind: str
    options: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def create(spec: BackendSpec) -> Backend:
    """Build the backend *spec* describes (heavy imports happen here, not at package import)."""
    opts = {k: v for k, v in spec.options.items() if v is not None}
    if spec.kind == "local":
        from .local import LocalBackend

        return LocalBackend(**opts)
    if spec.kind == "daemon":
        from .daemon import DaemonBackend

        return DaemonBackend(**opts)
    if spec.kind == "anthropic":
        from .claude import ClaudeBackend

        return ClaudeBackend(**opts)
    if spec.kind == "transformers":
        from .hf import TransformersBackend

        return TransformersBackend(**opts)
    raise ValueError(f"unknown backend {spec.kind!r}; choose one of {', '.join(KINDS)}")


def concurrency(kind: str) -> str:
    """How the runner may parallelise *kind* without building it."""
    return {"local": "processes", "daemon": "threads", "anthropic": "threads"}.get(kind, "serial")


__all__ = ["KINDS", "Backend", "BackendSpec", "Prediction", "PromptMaker", "concurrency", "create"]
