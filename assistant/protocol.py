"""The daemon's wire protocol: newline-delimited JSON over a Unix socket (see docs/PROTOCOL.md).

One JSON object per line, UTF-8, in both directions.

    request       {"id": 1, "method": "generate", "params": {"db": "/x/shop.sqlite", "question": "..."}}
    response      {"id": 1, "result": {...}}
    error         {"id": 1, "error": {"code": "database_missing", "message": "...", "details": {...}}}
    notification  {"method": "schema_changed", "params": {"db": "...", "version": "...", ...}}   (no id)

Error codes are stable strings: every `NicheError.code` from `errors.py` plus the protocol's own ones
below. `error_from_json` turns a wire error back into the matching `NicheError` subclass, so code on
both sides of the socket catches the same exception types.
"""

from __future__ import annotations

import json
from typing import Any

from . import errors
from .engine import Cancelled  # code "cancelled": a generation (or queued request) that was cancelled
from .errors import NicheError

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 8 * 1024 * 1024  # a request line longer than this is refused (parse_error)


class ProtocolError(NicheError):
    code = "protocol_error"


class ParseError(ProtocolError):
    """The line was not valid JSON (or was too long)."""

    code = "parse_error"


class InvalidRequest(ProtocolError):
    """Valid JSON, but not a request object ({"id", "method", "params"})."""

    code = "invalid_request"


class UnknownMethod(ProtocolError):
    code = "unknown_method"


class InvalidParams(ProtocolError):
    code = "invalid_params"


class Busy(ProtocolError):
    """The model queue is full; try again shortly."""

    code = "busy"


class ShuttingDown(ProtocolError):
    code = "shutting_down"


class InternalError(ProtocolError):
    code = "internal_error"


class DaemonUnavailable(ProtocolError):
    """Client side: no daemon answers on the socket (and none could be started)."""

    code = "daemon_unavailable"


class DaemonRunning(ProtocolError):
    """`nichelm serve` refused to start: another live daemon holds the socket."""

    code = "daemon_running"


class ConnectionLost(DaemonUnavailable):
    """Client side: the daemon went away while a request was in flight."""

    code = "connection_lost"


class RequestTimeout(ProtocolError):
    """Client side: no answer within the client's timeout."""

    code = "timeout"


# What each method accepts: name -> (type(s), required, default). Checked before any work is done so
# a bad request gets `invalid_params` naming the parameter, never a traceback.
_STR, _BOOL, _INT, _NUM = (str,), (bool,), (int,), (int, float)
METHODS: dict[str, dict[str, tuple[tuple, bool, Any]]] = {
    "health": {},
    "generate": {
        "db": (_STR, True, None),
        "question": (_STR, True, None),
        "candidates": (_INT, False, 1),
        "with_examples": (_BOOL, False, True),
        "repair": (_BOOL, False, True),
        "retry_empty": (_INT, False, None),  # None: the daemon's default (service.default_retry_empty)
        "doubt_candidates": (_INT, False, None),  # None: the daemon's default (service.default_doubt_candidates)
        "execute": (_BOOL, False, False),
        "max_rows": (_INT, False, 200),
        "timeout_s": (_NUM, False, 10.0),
    },
    "warm": {"db": (_STR, True, None), "with_examples": (_BOOL, False, True)},
    "schema": {"db": (_STR, True, None), "row_counts": (_BOOL, False, True)},
    "validate": {"db": (_STR, True, None), "sql": (_STR, True, None)},
    "execute": {
        "db": (_STR, True, None),
        "sql": (_STR, True, None),
        "allow_writes": (_BOOL, False, False),
        "max_rows": (_INT, False, 1000),
        "timeout_s": (_NUM, False, 10.0),
    },
    "subscribe": {"db": (_STR, True, None)},
    "unsubscribe": {"db": (_STR, True, None)},
    "cancel": {"id": ((str, int), True, None)},
    "shutdown": {},
}

# Methods that wait for the model; everything else is answered without queueing behind generations.
MODEL_METHODS = frozenset({"generate"})


def _all_error_classes() -> dict[str, type[NicheError]]:
    found: dict[str, type[NicheError]] = {}
    stack: list[type[NicheError]] = [NicheError]
    while stack:
        cls = stack.pop()
        # The first class seen for a code wins, and parents are seen before children, so a code maps
        # to its most general class (e.g. "cancelled" -> engine.Cancelled).
        found.setdefault(cls.code, cls)
        stack.extend(cls.__subclasses__())
    found["internal_error"] = InternalError  # NicheError's own default code
    return found


def error_from_json(err: dict) -> NicheError:
    """The NicheError subclass instance for a wire error object {"code", "message", "details"?}."""
    code = str(err.get("code") or "internal_error")
    message = str(err.get("message") or code)
    cls = _all_error_classes().get(code)
    if cls is None:
        exc = NicheError(message, **(err.get("details") or {}))
        exc.code = code  # an error code this client does not know yet: keep it visible
        return exc
    try:
        return cls(message, **(err.get("details") or {}))
    except TypeError:  # a subclass with its own constructor: keep the type, set the fields by hand
        exc = cls.__new__(cls)
        NicheError.__init__(exc, message, **(err.get("details") or {}))
        return exc


def error_json(exc: BaseException) -> dict:
    """Wire error object for any exception; non-NicheErrors become internal_error."""
    if isinstance(exc, NicheError):
        return exc.to_json()
    return InternalError(f"{type(exc).__name__}: {exc}").to_json()


def encode(obj: dict) -> bytes:
    """One protocol line (JSON + newline). Non-JSON values (bytes, paths) become strings."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode("utf-8")


def decode_request(line: bytes) -> tuple[Any, str, dict]:
    """Parse one request line into (id, method, params) or raise a ProtocolError.

    The raised error carries the request id in `details["id"]` when one could be read, so the reply
    can still be matched to its request.
    """
    try:
        obj = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"request is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise InvalidRequest("a request must be a JSON object with \"id\", \"method\" and \"params\"")
    rid = obj.get("id")
    if rid is None or isinstance(rid, (bool, float, dict, list)):
        raise InvalidRequest("a request needs an \"id\" (string or integer)", id=rid)
    method = obj.get("method")
    if not isinstance(method, str):
        raise InvalidRequest("a request needs a \"method\" string", id=rid)
    params = obj.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidRequest("\"params\" must be a JSON object", id=rid)
    return rid, method, params


def check_params(method: str, params: dict) -> dict:
    """Params with defaults filled in, or raise UnknownMethod / InvalidParams."""
    spec = METHODS.get(method)
    if spec is None:
        raise UnknownMethod(f"unknown method {method!r}; known: {', '.join(sorted(METHODS))}", method=method)
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise InvalidParams(f"{method}: unknown parameter(s) {', '.join(unknown)}; "
                            f"accepted: {', '.join(spec) or 'none'}", method=method, params=unknown)
    out = {}
    for name, (types, required, default) in spec.items():
        if name not in params or params[name] is None:
            if required:
                raise InvalidParams(f"{method}: missing required parameter {name!r}", method=method, param=name)
            out[name] = default
            continue
        value = params[name]
        # bool is an int in Python; a flag given as 1 or an integer given as true is a client bug.
        if (bool not in types and isinstance(value, bool)) or not isinstance(value, types):
            want = " or ".join(t.__name__ for t in types)
            raise InvalidParams(f"{method}: parameter {name!r} must be {want}, got {type(value).__name__}",
                                method=method, param=name)
        out[name] = value
    return out


def request_line(rid: Any, method: str, params: dict | None = None) -> bytes:
    return encode({"id": rid, "method": method, "params": params or {}})


def response_line(rid: Any, result: Any) -> bytes:
    return encode({"id": rid, "result": result})


def error_line(rid: Any, exc: BaseException | dict) -> bytes:
    return encode({"id": rid, "error": exc if isinstance(exc, dict) else error_json(exc)})


def notification_line(method: str, params: dict) -> bytes:
    return encode({"method": method, "params": params})


__all__ = [
    "MAX_LINE_BYTES",
    "METHODS",
    "MODEL_METHODS",
    "PROTOCOL_VERSION",
    "Busy",
    "Cancelled",
    "ConnectionLost",
    "DaemonRunning",
    "DaemonUnavailable",
    "InternalError",
    "InvalidParams",
    "InvalidRequest",
    "ParseError",
    "ProtocolError",
    "RequestTimeout",
    "ShuttingDown",
    "UnknownMethod",
    "check_params",
    "decode_request",
    "encode",
    "error_from_json",
    "error_json",
    "error_line",
    "errors",
    "notification_line",
    "request_line",
    "response_line",
]
