"""End to end on the CPU with a tiny random qwen2 model (real SmolLM2 tokenizer): train a LoRA through
TRL/PEFT, resume, stop on a non-finite loss, convert the adapter to GGUF and check llama.cpp computes the
same logits as PEFT, merge + quantize, and the transformers/llama.cpp parity report."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("trl")
pytest.importorskip("gguf")
llama_cpp = pytest.importorskip("llama_cpp")

from nichelm.assistant.prompt import training_messages
from nichelm.convert.gguf_io import ConversionError, read_safetensors
from nichelm.training.config import TrainConfig
from nichelm.training.dataset import write_jsonl

SCHEMA = "CREATE TABLE singer (\n  id INTEGER PRIMARY KEY,\n  name TEXT,\n  age INTEGER,\n  country TEXT\n);"
QA = [
    ("How many singers are there?", "SELECT count(*) FROM singer"),
    ("List the names of all singers.", "SELECT name FROM singer"),
    ("What is the average age of singers?", "SELECT avg(age) FROM singer"),
    ("Which singers are older than 40?", "SELECT name FROM singer WHERE age > 40"),
    ("How many singers come from France?", "SELECT count(*) FROM singer WHERE country = 'France'"),
    ("Name the oldest singer.", "SELECT name FROM singer ORDER BY age DESC LIMIT 1"),
    ("List the distinct countries.", "SELECT DISTINCT country FROM singer"),
    ("How many singers per country?", "SELECT country, count(*) FROM singer GROUP BY country"),
]
ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _cfg(**kw) -> TrainConfig:
    base = dict(lora_r=4, lora_alpha=8, lora_dropout=0.0, precision="fp32", learning_rate=5e-3, max_steps=2,
                per_device_batch_size=2, gradient_accumulation_steps=1, warmup_ratio=0.0, logging_steps=1,
                save_steps=1, save_total_limit=3, max_seq_len=512, dataloader_workers=0, seed=3)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tiny_model_path):
    from nichelm.convert.hf_gguf import hf_dir_to_gguf
    from nichelm.training.tiny import make_tiny_model

    d = tmp_path_factory.mktemp("tiny")
    model_dir = make_tiny_model(tiny_model_path, d / "hf")
    gguf_path = hf_dir_to_gguf(model_dir, tiny_model_path, d / "tiny.gguf")
    return model_dir, gguf_path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    recs = [{"messages": training_messages(SCHEMA, q, s), "db_id": "toy", "question": q, "query": s} for q, s in QA]
    write_jsonl(d / "train.jsonl", recs[:6])
    write_jsonl(d / "train.val.jsonl", recs[6:])
    return d / "train.jsonl"


@pytest.fixture(scope="module")
def trained(tiny, data, tmp_path_factory):
    from nichelm.training.train import run

    out = tmp_path_factory.mktemp("run")
    metrics = run(_cfg(), data, tiny[1], out, device="cpu")  # the GGUF base, dequantized by transformers
    return out, metrics


def _llama_logits(model_path, ids, lora_path=None):
    llm = llama_cpp.Llama(model_path=str(model_path), lora_path=str(lora_path) if lora_path else None, n_ctx=256,
                          logits_all=True, verbose=False, n_threads=2)
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)])
    finally:
        llm.close()


def _ids(model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)("SELECT name FROM singer WHERE age > 30;",
                                                    add_special_tokens=False)["input_ids"]


def test_training_writes_adapter_metrics_and_plots(trained):
    out, metrics = trained
    assert metrics["status"] == "ok" and metrics["steps"] == 2
    assert metrics["train_examples"] == 6 and metrics["val_examples"] == 2
    for key in ("wall_time_s", "train_tokens_per_s", "final_loss", "final_token_accuracy", "gpu", "first_loss"):
        assert key in metrics
    assert np.isfinite(metrics["final_loss"]) and metrics["train_tokens_per_s"] > 0
    assert json.loads((out / "metrics.json").read_text())["steps"] == 2
    for png in ("loss.png", "token_accuracy.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cfg = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert cfg["r"] == 4 and sorted(cfg["target_modules"]) == sorted(ALL)
    tensors = read_safetensors(out / "adapter" / "adapter_model.safetensors")
    assert len(tensors) == 2 * 7 * 2  # A and B for 7 projections in 2 layers
    # PEFT starts lora_B at zero: a non-zero B means the optimizer really stepped.
    assert any(np.abs(v).max() > 0 for k, v in tensors.items() if "lora_B" in k)


def test_resume_from_checkpoint_through_the_cli(trained, data, tiny, tmp_path):
    from nichelm.training import cli

    out, _ = trained
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in _cfg(max_steps=3).to_dict().items()))
    rc = cli.main(["train", "--config", str(cfg_file), "--data", str(data), "--base", str(tiny[1]),
                   "--out", str(out), "--resume", "--device", "cpu"])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["resumed_from"].endswith("checkpoint-2")


def test_non_finite_loss_stops_the_run(tiny, data, tmp_path):
    from nichelm.training.train import NonFiniteLoss, run
    from transformers import AutoModelForCausalLM, AutoTokenizer

    bad = tmp_path / "nan-model"
    model = AutoModelForCausalLM.from_pretrained(tiny[0])
    with torch.no_grad():
        model.model.norm.weight[0] = float("nan")
    model.save_pretrained(bad)
    AutoTokenizer.from_pretrained(tiny[0]).save_pretrained(bad)
    # Every batch is non-finite: each step's gradients are dropped, and the run stops once too many were.
    with pytest.raises(NonFiniteLoss, match="non-finite losses or gradients by step 21"):
        run(_cfg(max_steps=40), data, bad, tmp_path / "out", device="cpu")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["status"] == "non_finite_loss" and metrics["non_finite_batches"] > 20
    assert not (tmp_path / "out" / "adapter").exists()


def test_the_non_finite_limit_grows_with_the_run():
    from nichelm.training.train import too_many_non_finite

    assert not too_many_non_finite(20, 21) and too_many_non_finite(21, 21)
    # the two-epoch run that the fixed limit of 20 stopped: 21 dropped by step 673 is 3 %
    assert not too_many_non_finite(21, 673) and not too_many_non_finite(53, 1060)
    assert too_many_non_finite(54, 1060)


@pytest.fixture(scope="module")
def random_adapter(tiny, tmp_path_factory):
    """A LoRA with random A and B (a visible effect), saved in bf16 like a GPU run's."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    d = tmp_path_factory.mktemp("lora")
    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(tiny[0], dtype=torch.float32)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=ALL, init_lora_weights=False))
    peft_model.to(torch.bfloat16).save_pretrained(d)
    return d


def _peft_logits(tiny, adapter_dir, ids):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny[0], dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(adapter_dir)).eval()
    with torch.no_grad():
        with_lora = model(input_ids=torch.tensor([ids])).logits[0].float().numpy()
        with model.disable_adapter():
            without = model(input_ids=torch.tensor([ids])).logits[0].float().numpy()
    return with_lora, without


def test_gguf_lora_matches_peft_in_llama_cpp(tiny, random_adapter, tmp_path):
    from nichelm.convert.lora_gguf import convert_lora

    ids = _ids(tiny[0])
    ref, base = _peft_logits(tiny, random_adapter, ids)
    assert np.abs(ref - base).max() > 0.1  # the adapter changes the output
    for outtype, tol in (("f32", 2e-3), ("f16", 1e-2), ("q8_0", 5e-2)):
        out = tmp_path / f"lora-{outtype}.gguf"
        report = convert_lora(random_adapter, tiny[1], out, outtype)
        assert report.tensors == 28 and report.alpha == 8.0
        got = _llama_logits(tiny[1], ids, out)
        assert np.abs(got - ref).max() < tol, outtype


def test_lora_conversion_refuses_a_wrong_base(tiny, random_adapter, tiny_model_path, tmp_path):
    from nichelm.convert.lora_gguf import convert_lora

    with pytest.raises(ConversionError, match="not supported"):
        convert_lora(random_adapter, tiny_model_path, tmp_path / "x.gguf")  # SmolLM2 is llama-arch
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    cfg = json.loads((random_adapter / "adapter_config.json").read_text())
    (wrong / "adapter_config.json").write_text(json.dumps({**cfg, "r": 8}))
    (wrong / "adapter_model.safetensors").write_bytes((random_adapter / "adapter_model.safetensors").read_bytes())
    with pytest.raises(ConversionError, match="do not fit"):
        convert_lora(wrong, tiny[1], tmp_path / "y.gguf")


def test_averaged_adapter_is_the_mean_of_the_two_models(tiny, random_adapter, tmp_path):
    """`nichelm-convert average`: llama.cpp with the averaged adapter computes what transformers computes with
    weights halfway between the two fine-tuned models (ranks and alpha/r may differ; q8_0 input works)."""
    from nichelm.convert.cli import main as convert_main
    from nichelm.convert.lora_average import average_loras
    from nichelm.convert.lora_gguf import convert_lora
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    other = tmp_path / "other"
    torch.manual_seed(2)
    model = AutoModelForCausalLM.from_pretrained(tiny[0], dtype=torch.float32)
    get_peft_model(model, LoraConfig(r=2, lora_alpha=8, target_modules=ALL, init_lora_weights=False)) \
        .save_pretrained(other)
    ggufs = [tmp_path / "one.gguf", tmp_path / "two.gguf"]
    convert_lora(random_adapter, tiny[1], ggufs[0], "f32")
    convert_lora(other, tiny[1], ggufs[1], "f32")

    merged = []
    for adapter in (random_adapter, other):
        base = AutoModelForCausalLM.from_pretrained(tiny[0], dtype=torch.float32)
        merged.append(PeftModel.from_pretrained(base, str(adapter)).merge_and_unload().state_dict())
    halfway = AutoModelForCausalLM.from_pretrained(tiny[0], dtype=torch.float32).eval()
    halfway.load_state_dict({k: (merged[0][k].float() + merged[1][k].float()) / 2 for k in merged[0]})
    ids = _ids(tiny[0])
    with torch.no_grad():
        ref = halfway(input_ids=torch.tensor([ids])).logits[0].numpy()

    report = average_loras(ggufs, tmp_path / "mean.gguf", "f32")
    assert (report.rank, report.ranks, report.tensors) == (6, [4, 2], 28) and report.alpha == 2.0 * 6
    got = _llama_logits(tiny[1], ids, tmp_path / "mean.gguf")
    assert np.abs(got - ref).max() < 2e-3
    assert min(np.abs(got - _llama_logits(tiny[1], ids, g)).max() for g in ggufs) > 0.1  # neither input

    same = average_loras(ggufs, tmp_path / "mean6.gguf", "f32", rank=6)  # the summed rank: nothing cut
    assert same.min_retained == 1.0 and np.abs(_llama_logits(tiny[1], ids, tmp_path / "mean6.gguf") - ref).max() < 2e-3
    cut = average_loras(ggufs, tmp_path / "mean3.gguf", "f32", rank=3)
    assert (cut.rank, cut.alpha) == (3, 6.0) and 0.0 < cut.min_retained <= cut.median_retained < 1.0
    assert np.isfinite(_llama_logits(tiny[1], ids, tmp_path / "mean3.gguf")).all()

    convert_lora(random_adapter, tiny[1], tmp_path / "one-q8.gguf", "q8_0")
    assert convert_main(["average", str(tmp_path / "one-q8.gguf"), str(ggufs[1]), "--out",
                         str(tmp_path / "mean-q8in.gguf")]) == 0
    assert np.abs(_llama_logits(tiny[1], ids, tmp_path / "mean-q8in.gguf") - ref).max() < 5e-2

    assert convert_main(["average", str(ggufs[0]), "--out", str(tmp_path / "x.gguf")]) == 2  # one input
    assert convert_main(["average", str(ggufs[0]), str(tiny[1]), "--out", str(tmp_path / "y.gguf")]) == 2
    assert not (tmp_path / "x.gguf").exists() and not (tmp_path / "y.gguf").exists()


def test_merge_writes_f16_and_q4_k_m(tiny, random_adapter, tmp_path):
    from nichelm.convert.merge import merge_to_gguf

    ids = _ids(tiny[0])
    ref, _ = _peft_logits(tiny, random_adapter, ids)
    f16 = merge_to_gguf(random_adapter, tiny[1], tmp_path / "m-f16.gguf", qtype="F16", log=lambda *_: None)
    assert np.abs(_llama_logits(f16["out"], ids) - ref).max() < 1e-2
    q4 = merge_to_gguf(random_adapter, tiny[1], tmp_path / "m-q4.gguf", qtype="Q4_K_M", log=lambda *_: None)
    assert q4["bytes"] < f16["bytes"] and not (tmp_path / "m-q4.f16.gguf").exists()
    assert np.isfinite(_llama_logits(q4["out"], ids)).all()


def test_merge_lora_in_gguf_answers_as_base_plus_adapter(tiny, random_adapter, tmp_path):
    """`nichelm-convert merge-lora`: the GGUF adapter folded into the GGUF base without torch gives llama.cpp
    the logits of base + adapter (f16), and a quantized file of the merge stays close; a wrong pairing fails."""
    from nichelm.convert.cli import main as convert_main
    from nichelm.convert.lora_gguf import convert_lora
    from nichelm.convert.merge_gguf import merge_lora_gguf

    ids = _ids(tiny[0])
    lora = tmp_path / "lora.gguf"
    convert_lora(random_adapter, tiny[1], lora, "f32")
    ref = _llama_logits(tiny[1], ids, lora)
    plain = _llama_logits(tiny[1], ids)
    f16 = merge_lora_gguf(tiny[1], lora, tmp_path / "m-f16.gguf", "F16", log=lambda *_: None)
    assert f16["merged_tensors"] > 0
    got = _llama_logits(f16["out"], ids)
    assert np.abs(got - ref).max() < 2e-2 < np.abs(plain - ref).max()
    assert convert_main(["merge-lora", "--base", str(tiny[1]), "--lora", str(lora), "--out",
                         str(tmp_path / "m-q8.gguf")]) == 0  # Q8_0 by default
    assert not (tmp_path / "m-q8.f16.gguf").exists()
    q8 = _llama_logits(tmp_path / "m-q8.gguf", ids)
    assert np.abs(q8 - ref).max() < np.abs(plain - ref).max() / 4
    assert convert_main(["merge-lora", "--base", str(tiny[1]), "--lora", str(tiny[1]), "--out",
                         str(tmp_path / "x.gguf")]) == 2  # not an adapter
    assert not (tmp_path / "x.gguf").exists()


def test_parity_report(tiny, random_adapter, tmp_path):
    from nichelm.convert.lora_gguf import convert_lora
    from nichelm.convert.parity import run_parity, write_report
    from nichelm.training import spider_data

    try:
        spider_data.spider_dir()
    except spider_data.SpiderDataMissing:
        pytest.skip("Spider data not present")
    lora = tmp_path / "lora.gguf"
    convert_lora(random_adapter, tiny[1], lora, "f32")
    report = run_parity(tiny[1], random_adapter, lora, n=2, max_new_tokens=12, log=lambda *_: None)
    write_report(report, tmp_path / "parity.json")
    assert report["n"] == 2 and len(report["items"]) == 2
    for key in ("sql_agreement", "execution_agreement", "transformers_exec_acc", "llama_cpp_exec_acc"):
        assert 0.0 <= report[key] <= 1.0
    assert json.loads((tmp_path / "parity.json").read_text())["n"] == 2

    # a merged f16 GGUF (no adapter on the llama.cpp side) answers as base + LoRA did
    from nichelm.convert.merge import merge_to_gguf

    merged = merge_to_gguf(random_adapter, tiny[1], tmp_path / "m.gguf", qtype="F16", log=lambda *_: None)["out"]
    again = run_parity(tiny[1], random_adapter, None, n=2, max_new_tokens=12, llama_gguf=merged,
                       log=lambda *_: None)
    assert again["llama_gguf"] == str(merged) and again["adapter_gguf"] == "None"
    assert [x["llama_cpp"] for x in again["items"]] == [x["llama_cpp"] for x in report["items"]]


def test_data_parallel_run_with_two_processes(tiny, data, tmp_path):
    """Two DDP ranks (gloo on the CPU) through torchrun, the launcher the GPU job's accelerate call wraps."""
    import subprocess
    import sys

    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in _cfg(max_steps=1, save_steps=10).to_dict().items()))
    out = tmp_path / "ddp"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
         "-m", "nichelm.training.cli", "train", "--config", str(cfg_file), "--data", str(data),
         "--base", str(tiny[0]), "--out", str(out), "--device", "cpu"],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["steps"] == 1 and metrics["effective_batch_size"] == 4
    assert (out / "adapter" / "adapter_model.safetensors").is_file()


def test_answer_only_loss_equals_full_logits_loss(tiny):
    """The lean loss (LM head on answer positions only) is the usual shifted cross-entropy."""
    from nichelm.training.train import _trainer_class
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny[0]).eval()
    torch.manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (2, 12))
    labels = ids.clone()
    labels[:, :7] = -100
    labels[1, 10:] = -100
    attn = torch.ones_like(ids)
    lean = _trainer_class().answer_only_loss(model, {"input_ids": ids, "attention_mask": attn}, labels, None, False)
    logits = model(input_ids=ids, attention_mask=attn).logits
    ref = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)).float(),
                                            labels[:, 1:].reshape(-1), ignore_index=-100)
    assert torch.allclose(lean, ref, atol=1e-5), (lean, ref)
