"""The model registry: the shipped adapter verifies, and (model, adapter) choices resolve."""

import pytest

from nichelm.assistant import models
from nichelm.assistant.errors import ModelNotFound


def test_bundled_adapter_is_present_and_verified():
    spec = models.get_spec("nichelm-v9-lora")
    assert spec.kind == "lora" and spec.base == models.DEFAULT_MODEL
    assert models.is_present(spec)
    assert models.default_adapter(models.DEFAULT_MODEL) == "nichelm-v9-lora"


def test_resolve_a_path_serves_it_without_an_adapter(tiny_model_path, monkeypatch):
    monkeypatch.delenv("NICHELM_LORA", raising=False)
    path, lora, name = models.resolve(str(tiny_model_path))
    assert path == tiny_model_path.resolve() and lora is None and name == tiny_model_path.name


def test_resolve_with_an_explicit_adapter(tiny_model_path, monkeypatch):
    monkeypatch.setenv("NICHELM_LORA", "nichelm-v9-lora")
    _, lora, name = models.resolve(str(tiny_model_path))
    assert lora == models.local_path(models.get_spec("nichelm-v9-lora"))
    assert name.endswith("+ nichelm-v9-lora")
    _, none, _ = models.resolve(str(tiny_model_path), "none")
    assert none is None


def test_resolve_unknown_names_and_missing_files(tmp_path):
    with pytest.raises(ModelNotFound, match="known"):
        models.resolve("no-such-model")
    with pytest.raises(ModelNotFound, match="not found"):
        models.resolve(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFound, match="adapter file not found"):
        models.resolve(str(models.local_path(models.get_spec("nichelm-v9-lora"))), str(tmp_path / "nope.gguf"))


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
