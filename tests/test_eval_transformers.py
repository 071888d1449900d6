"""The transformers backend on the CPU with the real tiny model (SmolLM2-135M, dequantized from its
GGUF by transformers), with and without a PEFT LoRA adapter.

Marked slow: transformers rebuilds the tokenizer and dequantizes the GGUF on every load, which took
2-3 minutes per load on the shared 2-core machine (three loads here)."""

from __future__ import annotations

import json
import sqlite3

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")

from nichelm.eval.backends import BackendSpec, create
from nichelm.eval.datasets import load
from nichelm.eval.runner import PREDICTIONS, read_predictions, run


@pytest.fixture
def eval_set(tmp_path):
    db = tmp_path / "pets.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);"
                      "INSERT INTO pets VALUES (1, 'Rex', 5), (2, 'Tom', 2);")
    con.commit()
    con.close()
    path = tmp_path / "pets.jsonl"
    rows = [("How many pets are there?", "SELECT count(*) FROM pets"),
            ("List the names of the pets.", "SELECT name FROM pets")]
    path.write_text("".join(json.dumps({"id": f"q{i}", "question": q, "sql": s, "db_path": "pets.sqlite"}) + "\n"
                            for i, (q, s) in enumerate(rows)))
    return path


@pytest.mark.slow
def test_transformers_backend_with_and_without_adapter(tiny_model_path, eval_set, tmp_path):
    ds = load(str(eval_set))
    spec = BackendSpec("transformers", {"model": str(tiny_model_path), "device": "cpu", "dtype": "float32",
                                        "max_new_tokens": 24})
    metrics = run(spec, ds, tmp_path / "base", progress=False)
    base = read_predictions(tmp_path / "base" / PREDICTIONS)
    assert metrics["n"] == 2 and all(r["error"] is None for r in base)
    assert all(r["prompt_tokens"] > 20 and 0 < r["completion_tokens"] <= 24 and r["raw"] for r in base)
    assert json.loads((tmp_path / "base" / "run.json").read_text())["backend_info"]["device"] == "cpu"

    # A freshly initialised LoRA (B = 0) changes nothing: same greedy answers through the adapter path.
    from peft import LoraConfig, get_peft_model

    backend = create(spec)
    lora = get_peft_model(backend.model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    adapter = tmp_path / "adapter"
    lora.save_pretrained(adapter)
    backend.close()
    with_adapter = BackendSpec("transformers", {**spec.options, "adapter": str(adapter)})
    run(with_adapter, ds, tmp_path / "lora", progress=False)
    tuned = read_predictions(tmp_path / "lora" / PREDICTIONS)
    assert [r["raw"] for r in tuned] == [r["raw"] for r in base]
    info = json.loads((tmp_path / "lora" / "run.json").read_text())
    assert info["backend_info"]["adapter"] == str(adapter) and info["label"].endswith("+adapter")
