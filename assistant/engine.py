"""The one object that owns a llama.cpp model and turns (schema text, question) into SQL.

- all layers go to the GPU when llama.cpp was built with GPU offload, CPU threads otherwise;
- the prompt prefix (system message = instructions + schema) stays in llama.cpp's KV cache between
  questions on the same database, so only the question is evaluated anew;
- on the CPU, one thread for each core that other processes leave free, decided before each generation
  (free_cores.py: waiting threads spin, which is fast on free cores and slow on shared ones);
- on the CPU, the KV state of a few recent prefixes is kept in memory, so a question on a database asked
  about before does not evaluate its schema again (prefix_states.py), and, when the caller names a directory,
  on disk for the next process (prefix_disk.py);
- greedy decoding by default, so the same question gives the same SQL.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelError, ModelNotFound
from .free_cores import FreeCores, core_count
from .prefix_disk import DiskStates, file_identity
from .prefix_states import PrefixStates, common_prefix
from .prompt import build_messages, repair_messages


@dataclass(frozen=True)
class EngineSettings:
    model_path: str
    lora_path: str | None = None
    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int | None = None  # None: all when GPU offload is available, else 0
    max_tokens: int = 256
    seed: int = 0
    verbose: bool = False
    # On the CPU, run only as many threads as other processes leave cores free (free_cores.py);
    # NICHELM_FIXED_THREADS=1 keeps n_threads fixed (to compare with the behaviour before).
    adapt_threads: bool = field(default_factory=lambda: not os.environ.get("NICHELM_FIXED_THREADS"))
    # Keep the KV state of a few recent prompt prefixes (prefix_states.py); NICHELM_PREFIX_STATES=0 turns it off.
    keep_prefixes: bool = field(default_factory=lambda: os.environ.get("NICHELM_PREFIX_STATES", "1") != "0")
    # Also keep them on disk here, for the next process with the same model, adapter and context (prefix_disk.py);
    # None: in memory only (the evaluation harness and the benchmarks, whose uncached numbers must stay uncached).
    state_dir: str | os.PathLike | None = None


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cached_tokens: int = 0
    candidates: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"text": self.text, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "latency_s": round(self.latency_s, 4),
                "cached_tokens": self.cached_tokens}


class Cancelled(ModelError):
    code = "cancelled"


def gpu_offload_supported() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


class Engine:
    """Owns one llama.cpp model behind a lock; `generate` calls are serialised."""

    def __init__(self, settings: EngineSettings):
        path = Path(settings.model_path)
        if not path.is_file():
            raise ModelNotFound(f"model file not found: {path}; run `nichelm pull` to fetch it")
        if settings.lora_path and not Path(settings.lora_path).is_file():
            raise ModelNotFound(f"LoRA adapter not found: {settings.lora_path}")
        self.settings = settings
        self._lock = threading.Lock()
        self.load_s = 0.0
        self._llm = self._load()
        self._free_cores = FreeCores() if self.gpu_layers == 0 and settings.adapt_threads else None
        self.threads_now = self.threads
        # Only on the CPU: on a GPU a schema is evaluated again faster than its state is copied back (one H100:
        # round-robin questions 0.16 s p50 without kept states, 0.26 s with them).
        self._states = PrefixStates() if settings.keep_prefixes and self.gpu_layers == 0 else None
        self._disk = DiskStates(settings.state_dir, self._state_key()) \
            if self._states is not None and settings.state_dir else None
        self._formatter = _chat_formatter(self._llm)  # compiled once: about 12 ms a compile on 2 CPU cores

    def _load(self):
        import llama_cpp

        s = self.settings
        gpu = gpu_offload_supported()
        n_gpu_layers = s.n_gpu_layers if s.n_gpu_layers is not None else (-1 if gpu else 0)
        threads = s.n_threads or core_count()
        start = time.monotonic()
        try:
            llm = llama_cpp.Llama(
                model_path=str(s.model_path),
                lora_path=s.lora_path,
                n_ctx=s.n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=n_gpu_layers,
                seed=s.seed,
                verbose=s.verbose,
            )
        except Exception as exc:  # llama.cpp raises ValueError on a bad file
            raise ModelError(f"llama.cpp could not load {s.model_path}: {exc}") from exc
        # Keep the schema prefix between calls: llama.cpp reuses the longest common token prefix
        # of the previous prompt, which is the system message for a same-database question.
        self.load_s = time.monotonic() - start
        self.gpu_layers = n_gpu_layers
        self.threads = threads
        return llm

    def _state_key(self) -> dict:
        """What a kept state is only valid for: the model and adapter files, the context, llama.cpp's build."""
        import llama_cpp

        s = self.settings
        return {"model": file_identity(s.model_path), "lora": file_identity(s.lora_path), "n_ctx": s.n_ctx,
                "gpu_layers": self.gpu_layers, "llama_cpp": getattr(llama_cpp, "__version__", "")}

    @property
    def llm(self):
        return self._llm

    def info(self) -> dict:
        s = self.settings
        return {"model_path": s.model_path, "lora_path": s.lora_path, "n_ctx": s.n_ctx,
                "gpu_layers": self.gpu_layers, "threads": self.threads,
                "threads_adapt": self._free_cores is not None, "threads_now": self.threads_now,
                "load_s": round(self.load_s, 3), "gpu_offload": gpu_offload_supported(),
                "kept_prefixes": len(self._states) if self._states is not None else None,
                "kept_on_disk": len(self._disk) if self._disk is not None else None}

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_text(self, messages: list[dict]) -> str:
        """The chat template applied to *messages*, ending where the assistant turn starts."""
        fmt = self._formatter
        if fmt is None:
            # Models without a template get ChatML, which Qwen and SmolLM2 both use.
            return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + \
                "<|im_start|>assistant\n"
        return fmt(messages=messages).prompt

    def complete(self, prompt: str, *, max_tokens: int | None = None, temperature: float = 0.0,
                 seed: int | None = None, cancel: threading.Event | None = None,
                 stop: list[str] | None = None) -> Generation:
        """Raw completion of *prompt* (already templated)."""
        with self._lock:
            return self._complete_locked(prompt, max_tokens, temperature, seed, cancel, stop)

    def _complete_locked(self, prompt, max_tokens, temperature, seed, cancel, stop) -> Generation:
        llm = self._llm
        start = time.monotonic()
        self._fit_threads()
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        if len(tokens) >= llm.n_ctx() - 8:
            raise ModelError(
                f"the prompt has {len(tokens)} tokens, more than the context of {llm.n_ctx()}; "
                "ask about fewer tables or raise n_ctx"
            )
        cached = self._reuse_prefix(tokens)
        if cancel is not None:
            _prefill(llm, tokens, cached, cancel, self._fit_threads)
        if seed is not None:
            llm.set_seed(seed)
        pieces: list[str] = []
        n_out = 0
        stops = stop or ["<|im_end|>", "<|endoftext|>", "\n\n\n"]
        limit = max_tokens or self.settings.max_tokens
        for chunk in llm.create_completion(
            tokens, max_tokens=limit, temperature=temperature, top_k=40 if temperature else 1,
            top_p=0.95 if temperature else 1.0, repeat_penalty=1.0, stream=True, stop=stops,
        ):
            if cancel is not None and cancel.is_set():
                raise Cancelled("generation cancelled")
            pieces.append(chunk["choices"][0]["text"])
            self._fit_threads()  # other work may start mid-answer: decided again at most every MIN_WINDOW_S
            n_out += 1
        self._keep_on_disk(tokens, cached)
        return Generation("".join(pieces), len(tokens), n_out, time.monotonic() - start, cached)

    def _keep_on_disk(self, tokens: list[int], cached: int) -> None:
        """After a prompt whose system message was evaluated anew, write the cache's state to disk once (the
        first question on a database), so that the next process finds it."""
        disk, llm = self._disk, self._llm
        if disk is None or len(tokens) - cached < MIN_PREFIX_GAIN or disk.has_family(tokens):
            return
        data = _seq_state(llm)
        if data:
            disk.save(llm._input_ids.tolist(), data)

    def _reuse_prefix(self, tokens: list[int]) -> int:
        """How many leading *tokens* the KV cache holds, after bringing back a kept prefix that holds more
        (prefix_states.py); the sequence in the cache is kept first if this prompt would overwrite much of it."""
        llm = self._llm
        current = llm._input_ids.tolist() if llm.n_tokens else []
        cached = common_prefix(current, tokens)
        if self._states is None:
            return cached
        if len(current) - cached >= MIN_PREFIX_GAIN:
            data = _seq_state(llm)
            if data:
                self._states.keep(current, data)
        n, kept = self._states.best(tokens)
        if (kept is None or n < cached + MIN_PREFIX_GAIN) and self._disk is not None:
            n, kept = self._disk.best(tokens, at_least=max(n, cached) + MIN_PREFIX_GAIN)
        if kept is None or n < cached + MIN_PREFIX_GAIN:
            return cached
        if not _set_seq_state(llm, kept):
            llm.n_tokens = 0  # the cache may be half written: evaluate the whole prompt
            if self._disk is not None:
                self._disk.forget(kept.tokens)  # a file llama.cpp refuses is not tried again
            return 0
        return n

    def _fit_threads(self) -> None:
        """On the CPU, one thread for each core that other processes leave free (free_cores.py)."""
        if self._free_cores is None:
            return
        n = self._free_cores.threads(self.threads)
        if n != self.threads_now:
            self._llm._ctx.set_n_threads(n, n)
            self.threads_now = n

    def warm(self, schema_text: str, cancel: threading.Event | None = None) -> int:
        """Evaluate the part of a prompt that comes before the question (instructions + schema) into the cache,
        and keep its state as a question would (in memory and, with a state_dir, on disk), so that the first
        question on the database only evaluates itself. Returns how many tokens were evaluated (0: the cache, a
        kept state or a file had them). A *cancel* stops between chunks; what was evaluated stays in the cache."""
        mark = "\x00question\x00"
        prompt = self.prompt_text(build_messages(schema_text, mark))
        with self._lock:
            llm = self._llm
            tokens = llm.tokenize(prompt[:prompt.index(mark)].encode("utf-8"), add_bos=False, special=True)
            if len(tokens) >= llm.n_ctx() - 8:
                return 0
            cached = self._reuse_prefix(tokens)
            _eval_chunks(llm, tokens, cached, len(tokens), cancel, self._fit_threads, "warm")
            self._keep_on_disk(tokens, cached)
            return len(tokens) - cached

    def generate(self, schema_text: str, question: str, **kw) -> Generation:
        """Model output (raw text) for *question* about the database described by *schema_text*."""
        prompt = self.prompt_text(build_messages(schema_text, question))
        return self.complete(prompt, **kw)

    def repair(self, schema_text: str, question: str, failed_sql: str, error: str, hint: str | None = None,
               **kw) -> Generation:
        """A second answer after *failed_sql* failed with *error* (prompt.repair_messages)."""
        prompt = self.prompt_text(repair_messages(schema_text, question, failed_sql, error, hint))
        return self.complete(prompt, **kw)

    def close(self) -> None:
        with self._lock:
            llm, self._llm = self._llm, None
            if llm is not None:
                llm.close()


MIN_PREFIX_GAIN = 64  # tokens: keeping or bringing back a sequence for less is not worth its copy


def _seq_state(llm) -> bytes:
    """The KV state of the sequence in llama.cpp's cache (llama_state_seq_get_data), b"" when it fails."""
    import ctypes

    import llama_cpp

    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    if not size:
        return b""
    buf = (ctypes.c_uint8 * size)()
    n = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
    return ctypes.string_at(buf, n) if n else b""


def _set_seq_state(llm, kept) -> bool:
    """Put a kept sequence back into llama.cpp's cache, and its tokens into llama-cpp-python's record of it."""
    import ctypes

    import llama_cpp

    buf = (ctypes.c_uint8 * len(kept.data)).from_buffer_copy(kept.data)
    if not llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(kept.data), 0):
        return False
    n = len(kept.tokens)
    llm.input_ids[:n] = kept.tokens
    llm.n_tokens = n
    return True


def _chat_formatter(llm):
    """The model's chat template (GGUF metadata) as a formatter, or None when the model has none."""
    tmpl = llm.metadata.get("tokenizer.chat_template")
    if not tmpl:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos = llm._model.token_get_text(llm.token_eos()) if hasattr(llm, "_model") else ""
    return Jinja2ChatFormatter(template=tmpl, eos_token=eos, bos_token="")


PREFILL_CHUNK = 128  # tokens per prefill step: how long a cancel may wait, at little cost in speed


def _prefill(llm, tokens: list[int], cached: int, cancel: threading.Event, between=lambda: None) -> None:
    """Evaluate all but the last prompt token in n_batch chunks, checking *cancel* and calling *between* (the
    engine's thread decision) between chunks.

    create_completion would evaluate the whole prompt in one uninterruptible call, so a cancel (or a
    client that went away) would wait for a long uncached schema to be read first. Afterwards
    create_completion finds this prefix in the KV cache and evaluates only the last token.
    """
    end = len(tokens) - 1
    if end - cached <= min(llm.n_batch, PREFILL_CHUNK):
        return  # one chunk or less: nothing to gain
    _eval_chunks(llm, tokens, cached, end, cancel, between)


def _eval_chunks(llm, tokens: list[int], start: int, end: int, cancel: threading.Event | None, between,
                 what: str = "generation") -> None:
    """Evaluate tokens[start:end] after the first *start* in the cache, PREFILL_CHUNK at a time, checking *cancel*
    and calling *between* before each chunk."""
    step = min(llm.n_batch, PREFILL_CHUNK)
    llm.n_tokens = start  # eval() drops the KV cache beyond n_tokens before decoding
    for i in range(start, end, step):
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"{what} cancelled")
        between()
        llm.eval(tokens[i:min(end, i + step)])
