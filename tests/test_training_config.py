"""Training config: shipped YAMLs load, bad values and unknown keys are refused with the field named."""

from __future__ import annotations

import pytest
from nichelm.training.config import ALL_LINEAR, ConfigError, TrainConfig, load_config


@pytest.mark.parametrize("name", ["lora_h100", "qlora_24gb", "tiny_cpu"])
def test_shipped_configs_load(name):
    cfg = load_config(name)
    assert cfg.max_seq_len >= 64 and cfg.lora_r > 0


def test_lora_h100_is_the_planned_run():
    cfg = load_config("lora_h100")
    assert (cfg.lora_r, cfg.lora_alpha, cfg.learning_rate, cfg.epochs) == (16, 32, 2e-4, 2)
    assert cfg.target_modules == list(ALL_LINEAR)
    assert (cfg.per_device_batch_size, cfg.gradient_accumulation_steps) == (8, 2)
    assert cfg.precision == "bf16" and cfg.lr_scheduler == "cosine" and cfg.max_seq_len == 1024
    assert cfg.effective_batch_size(n_gpus=2) == 32
    assert load_config("qlora_24gb").precision == "qlora-nf4"


@pytest.mark.parametrize("field,value", [
    ("lora_r", 0), ("lora_dropout", 1.0), ("precision", "int3"), ("learning_rate", 0.0),
    ("per_device_batch_size", 0), ("lr_scheduler", "step"), ("max_seq_len", 8), ("target_modules", []),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        TrainConfig(**{field: value})


def test_unknown_key_is_an_error(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("lora_r: 8\nlearnig_rate: 0.1\n")
    with pytest.raises(ConfigError, match="learnig_rate"):
        load_config(p)


def test_overrides_and_missing_config(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("lora_r: 8\nmax_steps: 5\n")
    cfg = load_config(p, max_steps=9, epochs=None)
    assert cfg.lora_r == 8 and cfg.max_steps == 9
    with pytest.raises(ConfigError, match="shipped"):
        load_config(tmp_path / "nope.yaml")


def test_train_seed_option_overrides_the_configs_seed():
    from nichelm.training.cli import parser

    a = parser().parse_args(["train", "--config", "nichelm_v2", "--data", "d.jsonl", "--base", "b.gguf",
                             "--out", "o", "--seed", "77"])
    assert a.seed == 77
    assert load_config("nichelm_v2", seed=a.seed).seed == 77
    assert load_config("nichelm_v2", seed=None).seed == 1234
