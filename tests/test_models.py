"""The model registry: the shipped adapter verifies, and (model, adapter) choices resolve."""

import pytest

from nichelm.assistant import models
from nichelm.assistant.errors import ModelNotFound


SHIPPED = "nichelm-v18-lora"  # the adapter the package ships and serves by default

def test_bundled_adapter_is_present_and_verified():
    spec = models.get_spec(SHIPPED)
    assert spec.kind == "lora" and spec.base == models.DEFAULT_MODEL
    assert models.is_present(spec)
    assert models.default_adapter(models.DEFAULT_MODEL) == SHIPPED


def test_resolve_a_path_serves_it_without_an_adapter(tiny_model_path, monkeypatch):
    monkeypatch.delenv("NICHELM_LORA", raising=False)
    path, lora, name = models.resolve(str(tiny_model_path))
    assert path == tiny_model_path.resolve() and lora is None and name == tiny_model_path.name


def test_resolve_with_an_explicit_adapter(tiny_model_path, monkeypatch):
    monkeypatch.setenv("NICHELM_LORA", SHIPPED)
    _, lora, name = models.resolve(str(tiny_model_path))
    assert lora == models.local_path(models.get_spec(SHIPPED))
    assert name.endswith(f"+ {SHIPPED}")
    _, none, _ = models.resolve(str(tiny_model_path), "none")
    assert none is None


def test_resolve_unknown_names_and_missing_files(tmp_path):
    with pytest.raises(ModelNotFound, match="known"):
        models.resolve("no-such-model")
    with pytest.raises(ModelNotFound, match="not found"):
        models.resolve(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFound, match="adapter file not found"):
        models.resolve(str(models.local_path(models.get_spec(SHIPPED))), str(tmp_path / "nope.gguf"))


def test_a_tampered_file_is_not_used(nichelm_home):
    spec = models.get_spec("smollm2-135m-instruct-q4_1")
    path = models.local_path(spec)
    path.write_bytes(b"\0" * 16)  # wrong size and hash
    assert not models.is_present(spec)


def test_every_adapter_was_trained_on_the_prompt_the_product_builds():
    from nichelm.assistant.models import REGISTRY
    from nichelm.assistant.prompt import PROMPT_VERSION

    adapters = [s for s in REGISTRY.values() if s.kind == "lora"]
    assert adapters
    # An adapter served with another prompt format than its training data's scores unmeasured numbers.
    assert {s.name: s.prompt_version for s in adapters} == {s.name: PROMPT_VERSION for s in adapters}


@pytest.fixture
def tiny_registry(tiny_model_path, nichelm_home, monkeypatch):
    """The tiny model as the default, a random LoRA adapter for it and a merged entry of the two, all in a
    registry of their own and a fresh data directory (the tiny model linked in: nothing is downloaded)."""
    np = pytest.importorskip("numpy")
    pytest.importorskip("gguf")
    from nichelm.convert.lora_gguf import write_lora_gguf

    tiny = models.get_spec("smollm2-135m-instruct-q4_1")
    d = nichelm_home / "models"
    d.mkdir(parents=True, exist_ok=True)
    (d / tiny.filename).symlink_to(tiny_model_path)
    rng = np.random.default_rng(0)
    pairs = {f"blk.{i}.attn_q.weight": (rng.normal(0, 0.3, (4, 576)).astype(np.float32),
                                        rng.normal(0, 0.3, (576, 4)).astype(np.float32)) for i in range(3)}
    write_lora_gguf(d / "tiny-lora.gguf", "llama", 8.0, pairs, "f32")
    lora = models.ModelSpec("tiny-lora", "tiny-lora.gguf", (d / "tiny-lora.gguf").stat().st_size,
                            models.sha256_file(d / "tiny-lora.gguf"), "test adapter", base=tiny.name, kind="lora")
    merged = models.ModelSpec("tiny-merged", "tiny-merged.gguf", 0, "", "test merge", base=tiny.name,
                              kind="merged", adapter="tiny-lora", qtype="Q8_0")
    monkeypatch.setattr(models, "REGISTRY", {s.name: s for s in (tiny, lora, merged)})
    monkeypatch.setattr(models, "DEFAULT_MODEL", tiny.name)
    for var in ("NICHELM_MODEL", "NICHELM_LORA"):
        monkeypatch.delenv(var, raising=False)
    return tiny, lora, merged


def test_a_merged_model_is_built_here_and_served_when_chosen(tiny_registry, monkeypatch):
    import llama_cpp
    from nichelm.assistant import engine

    tiny, lora, merged = tiny_registry
    monkeypatch.setattr(engine, "gpu_offload_supported", lambda: False)
    base_path = models.local_path(tiny)
    # Not built yet: the default is the base with its adapter, and `models` says the merge is absent.
    assert models.resolve() == (base_path, models.local_path(lora), f"{tiny.name} + tiny-lora")
    assert not next(r for r in models.list_models() if r["name"] == "tiny-merged")["present"]

    logs: list[str] = []
    path = models.pull("tiny-merged", log=logs.append)
    assert path == models.local_path(merged) and path.is_file() and models.is_present(merged)
    assert any("merging tiny-lora into" in m for m in logs)
    assert models.pull("tiny-merged", log=logs.append) == path and "already built" in logs[-1]
    row = next(r for r in models.list_models() if r["name"] == "tiny-merged")
    assert row["present"] and row["size"] == path.stat().st_size

    # Built: served alone when chosen; the default stays the base with its adapter, on a CPU too.
    assert models.resolve("tiny-merged") == (path, None, "tiny-merged")
    monkeypatch.setenv("NICHELM_MODEL", "tiny-merged")
    assert models.resolve() == (path, None, "tiny-merged")
    monkeypatch.delenv("NICHELM_MODEL")
    assert models.resolve() == (base_path, models.local_path(lora), f"{tiny.name} + tiny-lora")
    monkeypatch.setenv("NICHELM_LORA", "none")
    assert models.resolve() == (base_path, None, tiny.name)
    monkeypatch.delenv("NICHELM_LORA")

    # The merged file is a real model that llama.cpp runs, and differs from the base where the adapter did.
    outs = {}
    for key, (m, a) in {"merged": (path, None), "adapter": (base_path, models.local_path(lora)),
                        "base": (base_path, None)}.items():
        llm = llama_cpp.Llama(str(m), lora_path=str(a) if a else None, n_ctx=128, logits_all=True, verbose=False,
                              n_threads=2)
        ids = llm.tokenize(b"SELECT name FROM singer")
        llm.eval(ids)
        outs[key] = llm.scores[len(ids) - 1].copy()
        llm.close()
    assert abs(outs["merged"] - outs["adapter"]).max() < abs(outs["base"] - outs["adapter"]).max() / 4

    # Built from other inputs than the registry now names (a new adapter): no longer present, rebuilt on pull.
    marker = path.with_name(path.name + ".sha256")
    marker.write_text(marker.read_text().replace(lora.sha256, "0" * 64))
    assert not models.is_present(merged) and models.resolve()[0] == base_path
