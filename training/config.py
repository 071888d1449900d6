"""Training configuration: one dataclass, loaded from YAML, validated when it is built.

>>> cfg = TrainConfig(lora_r=8, lora_alpha=16)
>>> cfg.effective_batch_size(n_gpus=2)
32
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CONFIG_DIR = Path(__file__).parent / "configs"


class ConfigError(ValueError):
    """A training config that cannot work; the message says which field and why."""

    code = "bad_config"


@dataclass
class TrainConfig:
    # LoRA
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(ALL_LINEAR))
    # Precision: "bf16" LoRA on dequantized weights, or "qlora-nf4" (bitsandbytes 4-bit NF4 base).
    precision: str = "bf16"
    # Optimisation
    learning_rate: float = 2e-4
    epochs: float = 2.0
    max_steps: int = -1  # > 0 overrides epochs (dry runs)
    per_device_batch_size: int = 8
    gradient_accumulation_steps: int = 2
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optimizer: str = "adamw_torch"
    gradient_checkpointing: bool = False
    group_by_length: bool = True
    # Data
    max_seq_len: int = 1024
    seed: int = 1234
    # Bookkeeping
    logging_steps: int = 10
    save_steps: int = 200
    save_total_limit: int = 2
    eval_steps: int = 0  # 0 = no periodic validation loss
    dataloader_workers: int = 2

    def __post_init__(self):
        def bad(name, why):
            raise ConfigError(f"config field {name!r}: {why}")

        if self.lora_r <= 0:
            bad("lora_r", "must be a positive integer")
        if self.lora_alpha <= 0:
            bad("lora_alpha", "must be positive")
        if not 0.0 <= self.lora_dropout < 1.0:
            bad("lora_dropout", "must be in [0, 1)")
        if not self.target_modules:
            bad("target_modules", "name at least one module (e.g. q_proj)")
        if self.target_modules == "all-linear":
            self.target_modules = list(ALL_LINEAR)
        self.target_modules = list(self.target_modules)
        if self.precision not in ("bf16", "fp32", "qlora-nf4"):
            bad("precision", "must be one of bf16, fp32, qlora-nf4")
        if not 0 < self.learning_rate < 1:
            bad("learning_rate", "must be in (0, 1)")
        if self.epochs <= 0 and self.max_steps <= 0:
            bad("epochs", "must be positive (or set max_steps)")
        for name in ("per_device_batch_size", "gradient_accumulation_steps", "logging_steps", "save_steps"):
            if int(getattr(self, name)) <= 0:
                bad(name, "must be a positive integer")
        if self.lr_scheduler not in ("cosine", "linear", "constant", "constant_with_warmup"):
            bad("lr_scheduler", "must be cosine, linear, constant or constant_with_warmup")
        if not 0.0 <= self.warmup_ratio < 1.0:
            bad("warmup_ratio", "must be in [0, 1)")
        if self.max_seq_len < 64:
            bad("max_seq_len", "must be at least 64")
        if self.max_grad_norm <= 0:
            bad("max_grad_norm", "must be positive")

    def effective_batch_size(self, n_gpus: int = 1) -> int:
        return self.per_device_batch_size * self.gradient_accumulation_steps * n_gpus

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def load_config(path_or_name: str | os.PathLike, **overrides) -> TrainConfig:
    """A TrainConfig from a YAML file, or from a shipped config by name (``lora_h100``).

    Unknown keys are an error (a typo must not silently fall back to a default)."""
    import yaml

    p = Path(path_or_name)
    if not p.is_file():
        shipped = CONFIG_DIR / f"{path_or_name}.yaml"
        if not shipped.is_file():
            names = ", ".join(sorted(x.stem for x in CONFIG_DIR.glob("*.yaml")))
            raise ConfigError(f"no config file {p} and no shipped config of that name (shipped: {names})")
        p = shipped
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of field: value")
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{p}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return TrainConfig(**data)
