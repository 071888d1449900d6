"""Kept prompt-prefix states on disk, so that a new daemon (or a `nichelm ask --local`) does not read a known
database's schema again.

The in-memory states of prefix_states.py end with the process: after a restart the first question on a database
evaluates its whole system message again (about 380 tokens of a Spider database: 6-9 s on 2 CPU cores). This
store writes the same llama.cpp sequence states (`llama_state_seq_get_data`, about 13 MB for 450 tokens of the 1.5B
model) to files, one per prefix family, and reads them back when a prompt starts like one of them.

A state is only valid for the exact model, adapter and context it came from: the files live in a directory named
by a hash of those (`key`: paths, sizes, modification times, n_ctx, llama-cpp-python's version), so another model
never reads them. Each file holds its tokens and its state; it is written to a temporary name and renamed, so a
reader never sees half a file; files and folders are private to the user (they hold the questions asked). A
file that does not parse is deleted and the prompt evaluated as usual; a full
or read-only disk only means nothing is kept. The directory is capped (`max_bytes`, least recently used first).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from pathlib import Path

from .prefix_states import Kept, common_prefix, same_family

log = logging.getLogger("nichelm.states")

MAGIC = b"NICHELM-STATE-1\n"
MAX_BYTES = 512 * 1024 * 1024  # all files of all keys together
SUFFIX = ".state"


def file_identity(path: str | None) -> dict | None:
    """What tells two model files apart without reading them: resolved path, size, modification time."""
    if not path:
        return None
    st = os.stat(path)
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def key_of(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def encode(tokens: list[int], data: bytes) -> bytes:
    return MAGIC + struct.pack("<I", len(tokens)) + struct.pack(f"<{len(tokens)}I", *tokens) + data


def read_tokens(path: Path) -> list[int]:
    """The tokens at the head of a state file (ValueError when it is not one)."""
    with open(path, "rb") as fh:
        head = fh.read(len(MAGIC) + 4)
        if len(head) < len(MAGIC) + 4 or not head.startswith(MAGIC):
            raise ValueError("not a NicheLM state file")
        (n,) = struct.unpack("<I", head[len(MAGIC):])
        raw = fh.read(4 * n)
    if len(raw) != 4 * n:
        raise ValueError("truncated state file")
    return list(struct.unpack(f"<{n}I", raw))


def read_data(path: Path, n_tokens: int) -> bytes:
    data = path.read_bytes()[len(MAGIC) + 4 + 4 * n_tokens:]
    if not data:
        raise ValueError("state file without a state")
    return data


class DiskStates:
    """The state files of one model/adapter/context key, in *root*/<key>/."""

    def __init__(self, root: str | Path, parts: dict, max_bytes: int = MAX_BYTES):
        self.dir = Path(root) / key_of(parts)
        self.max_bytes = max_bytes
        self._index: dict[Path, list[int]] = {}
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the states hold the questions asked
            self.dir.parent.chmod(0o700)
            meta = self.dir / "key.json"
            if not meta.exists():
                meta.write_text(json.dumps(parts, indent=1, sort_keys=True) + "\n")
            for p in self.dir.glob(f"*{SUFFIX}"):
                self._index_file(p)
        except OSError as exc:
            log.warning("kept states on disk are off: %s", exc)
            self.dir = None

    def __len__(self) -> int:
        return len(self._index)

    def _index_file(self, p: Path) -> None:
        try:
            self._index[p] = read_tokens(p)
        except (OSError, ValueError, struct.error):
            _remove(p)

    def best(self, tokens: list[int], at_least: int = 1) -> tuple[int, Kept | None]:
        """The file sharing the longest prefix with *tokens*, at least *at_least* tokens, read back (0, None:
        none, or it did not read)."""
        best_n, best = 0, None
        for p, toks in self._index.items():
            n = common_prefix(toks, tokens)
            if n > best_n:
                best_n, best = n, p
        if best is None or best_n < at_least:
            return 0, None
        toks = self._index[best]
        try:
            data = read_data(best, len(toks))
        except (OSError, ValueError):
            self._index.pop(best, None)
            _remove(best)
            return 0, None
        try:
            os.utime(best)  # recently used: the last to go
        except OSError:
            pass
        return best_n, Kept(toks, data)

    def forget(self, tokens: list[int]) -> None:
        for p, t in list(self._index.items()):
            if t == tokens:
                self._index.pop(p)
                _remove(p)

    def has_family(self, tokens: list[int]) -> bool:
        """Whether a file holds the same system message as *tokens* (then saving it again is not needed)."""
        return any(same_family(t, tokens) for t in self._index.values())

    def save(self, tokens: list[int], data: bytes) -> None:
        """Write *data*, the state of *tokens*, in place of any file of the same family; then keep within the cap."""
        if self.dir is None or not data or len(data) > self.max_bytes:
            return
        name = hashlib.sha256(struct.pack(f"<{len(tokens)}I", *tokens)).hexdigest()[:24] + SUFFIX
        path = self.dir / name
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(encode(tokens, data))
            os.replace(tmp, path)
        except OSError as exc:
            _remove(tmp)
            log.warning("could not keep a state on disk: %s", exc)
            return
        for p, t in list(self._index.items()):
            if p != path and same_family(t, tokens):
                self._index.pop(p)
                _remove(p)
        self._index[path] = list(tokens)
        self._trim()

    def _trim(self) -> None:
        """Keep every key's files together within the cap, least recently used first: the files of a model or
        adapter since replaced (another key) go first, as nothing reads them any more."""
        sized = []
        for p in self.dir.parent.glob(f"*/*{SUFFIX}"):
            try:
                st = p.stat()
                sized.append((st.st_mtime_ns, st.st_size, p))
            except OSError:
                pass
        total = sum(s for _, s, _ in sized)
        for _, size, p in sorted(sized, key=lambda x: x[0]):
            if total <= self.max_bytes:
                break
            self._index.pop(p, None)
            _remove(p)
            total -= size


def usage(root: str | Path) -> tuple[int, int]:
    """(files, bytes) of the state files under *root*, all keys."""
    files = [p for p in Path(root).glob(f"*/*{SUFFIX}") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _remove(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass
