"""LoRA / QLoRA fine-tuning with TRL's SFTTrainer and PEFT, loss on the answer tokens only.

Data: the JSONL written by ``nichelm-train build-data`` (chat messages). Each example is tokenized here
with the base model's own chat template (training/tokens.py); labels are -100 except on the SQL and its
end-of-turn token. The loss runs the LM head on the labelled positions only (it never builds the
(batch, seq, 151,936) logits), which keeps memory lean; under DDP, TRL's fused loss does the same.

Guards that come from a failed earlier run (GPU.md): examples longer than max_seq_len are dropped, never
cut; a micro-batch without answer tokens contributes a finite zero instead of 0/0; a non-finite loss
drops that step's gradients before the optimizer applies them, and the run stops if it keeps happening.

Multi-GPU (data parallel): ``accelerate launch --multi_gpu --num_processes N --mixed_precision bf16 -m
nichelm.training.cli train ...`` (or ``torchrun --nproc_per_node N -m nichelm.training.cli train ...``; the
same command with ``--device cpu`` runs DDP over gloo on a CPU, which is how it was dry-run). The effective
batch is per-device batch x accumulation x N; metrics count tokens over all ranks; only rank 0 writes.
Every heavy import (torch, transformers, peft, trl, datasets) happens inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from .base_model import BaseSpec, dequantized_dir, load_model, load_tokenizer, resolve_base
from .config import TrainConfig
from .dataset import read_jsonl, val_path_for
from .denylist import assert_not_denylisted
from .tokens import IGNORE_INDEX, encode


class NonFiniteLoss(RuntimeError):
    code = "non_finite_loss"


def _log(msg: str) -> None:
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"[nichelm-train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def tokenize_records(records: list[dict], tokenizer, max_seq_len: int) -> tuple[dict, dict]:
    """Columns input_ids/labels for the records that fit, and counts of what was dropped."""
    assert_not_denylisted(r["db_id"] for r in records if "db_id" in r)
    ids, labels = [], []
    dropped = {"too_long": 0, "no_answer": 0}
    for r in records:
        enc = encode(tokenizer, r["messages"])
        if len(enc.input_ids) > max_seq_len:
            dropped["too_long"] += 1
            continue
        if not any(t != IGNORE_INDEX for t in enc.labels):
            dropped["no_answer"] += 1
            continue
        ids.append(enc.input_ids)
        labels.append(enc.labels)
    return {"input_ids": ids, "labels": labels}, dropped


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


MAX_NON_FINITE = 20          # non-finite steps always tolerated before the run stops ...
MAX_NON_FINITE_SHARE = 0.05  # ... and past that, up to this share of the steps so far


def too_many_non_finite(count: int, step: int) -> bool:
    """Whether `count` dropped steps by `step` means the run is diverging rather than meeting the odd
    overflowing batch. v2's recipe drops 2-3 % of its steps (12-18 of 530); a two-epoch run met its
    21st at step 673 and was stopped by the old fixed limit of 20. A run that turns bad drops every
    step, so it still stops within about 20 steps."""
    return count > max(MAX_NON_FINITE, int(MAX_NON_FINITE_SHARE * step))


def _trainer_class():
    import torch
    import torch.nn.functional as F
    from trl import SFTTrainer

    class NicheSFTTrainer(SFTTrainer):
        """SFTTrainer with a lean answer-only loss and guards against 0/0 and non-finite losses."""

        skipped_batches = 0
        non_finite_batches = 0

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.get("labels")
            if labels is not None and not bool((labels[:, 1:] != IGNORE_INDEX).any()):
                self.skipped_batches += 1  # contributes a differentiable zero (DDP ranks stay in step)
            if num_items_in_batch is not None and int(num_items_in_batch) == 0:
                num_items_in_batch = None
            if labels is None or isinstance(model, torch.nn.parallel.DistributedDataParallel):
                # Under DDP the forward must go through the wrapper: TRL's own (fused) loss.
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            loss, extra = answer_only_loss(model, inputs, labels, num_items_in_batch, True)
            self._record_metrics(model, inputs, extra)
            return (loss, extra) if return_outputs else loss

        def _record_metrics(self, model, inputs, extra):
            """The metrics TRL's own loss would log: token accuracy on the answer, tokens seen."""
            mode = "train" if model.training else "eval"
            n = extra["target"].numel()
            acc = (extra["logits"].argmax(-1) == extra["target"]).float().sum() / max(n, 1)
            self._metrics[mode]["mean_token_accuracy"].append(float(acc))
            if mode == "train":
                mask = inputs.get("attention_mask")
                local = mask.sum() if mask is not None else torch.tensor(inputs["input_ids"].numel())
                self._total_train_tokens += int(self.accelerator.gather_for_metrics(local).sum().item())
            self._metrics[mode]["num_tokens"] = [self._total_train_tokens]

        def _drop_step(self, model, what: str) -> None:
            """Forget this step's accumulated gradients (the optimizer skips parameters whose grad is
            None) rather than let one bad batch ruin every weight; stop if it keeps happening."""
            self.non_finite_batches += 1
            model.zero_grad(set_to_none=True)
            step = self.state.global_step + 1
            _log(f"non-finite {what} at step {step}: gradients of this step dropped "
                 f"({self.non_finite_batches} so far)")
            if too_many_non_finite(self.non_finite_batches, step):
                raise NonFiniteLoss(f"{self.non_finite_batches} non-finite losses or gradients by step {step}; "
                                    f"stopped")

        def _clip_grad_norm(self, model):
            # An inf gradient (bf16 overflow) turns into NaN weights through clipping (inf * 0).
            norm = super()._clip_grad_norm(model)
            if norm is not None and not bool(torch.isfinite(torch.as_tensor(norm)).all()):
                self._drop_step(model, "gradient norm")
                return torch.zeros((), device=norm.device if torch.is_tensor(norm) else None)
            return norm

        def training_step(self, model, inputs, num_items_in_batch=None):
            loss = super().training_step(model, inputs, num_items_in_batch)
            finite = torch.isfinite(loss.detach()).all().float().reshape(1)
            # All ranks decide together, so that no rank waits forever for one that stopped.
            if float(self.accelerator.gather(finite).min()) < 1.0:
                self._drop_step(model, "loss")
                return torch.zeros_like(loss)
            return loss

    def answer_only_loss(model, inputs, labels, num_items_in_batch, return_outputs):
        """Cross-entropy on the labelled (answer) positions only: the LM head runs on those hidden
        states alone, so the (batch, seq, vocab) logits are never built."""
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        body = base.get_decoder() if hasattr(base, "get_decoder") else base.model
        hidden = body(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"),
                      use_cache=False).last_hidden_state
        shift = labels[:, 1:]
        mask = shift != IGNORE_INDEX
        picked = hidden[:, :-1][mask]
        logits = base.get_output_embeddings()(picked).float()
        target = shift[mask]
        loss_sum = F.cross_entropy(logits, target, reduction="sum")
        denom = num_items_in_batch if num_items_in_batch is not None else mask.sum()
        if not torch.is_tensor(denom):
            denom = torch.tensor(denom, device=loss_sum.device)
        loss = loss_sum / denom.to(loss_sum.device).clamp(min=1)
        return (loss, {"logits": logits.detach(), "target": target}) if return_outputs else loss

    NicheSFTTrainer.answer_only_loss = staticmethod(answer_only_loss)
    return NicheSFTTrainer


def _progress_callback(total_hint: list):
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        """One flushed line per logging step (readable in a log file, unlike a tqdm bar)."""

        def __init__(self):
            self.t0 = time.monotonic()

        def on_log(self, args, state, control, logs=None, **kw):
            if not state.is_world_process_zero or not logs:
                return
            el = time.monotonic() - self.t0
            step, total = state.global_step, state.max_steps or 1
            eta = el / max(step, 1) * (total - step)
            keys = ("loss", "mean_token_accuracy", "learning_rate", "grad_norm", "eval_loss",
                    "eval_mean_token_accuracy", "num_tokens")
            parts = [f"{k}={logs[k]:.4g}" for k in keys if isinstance(logs.get(k), (int, float))]
            print(f"[nichelm-train] step {step}/{total} {el:.0f}s eta {eta:.0f}s " + " ".join(parts), flush=True)
            with open(Path(args.output_dir).parent / "progress.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": step, "elapsed_s": round(el, 2), **logs}) + "\n")

    return Progress()


def run(cfg: TrainConfig, data: str | os.PathLike, base: str | os.PathLike, out: str | os.PathLike, *,
        gguf_file: str | None = None, val_data: str | os.PathLike | None = None, resume: bool = False,
        dequant_cache: str | os.PathLike | None = None, device: str | None = None) -> dict:
    """Train a LoRA adapter; writes out/adapter/, out/metrics.json, out/loss.png, out/token_accuracy.png.

    Returns the metrics. Raises NonFiniteLoss (after writing metrics with status "non_finite_loss")."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, prepare_model_for_kbit_training
    from transformers import set_seed
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig

    t_start = time.monotonic()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = out / "checkpoints"
    set_seed(cfg.seed)

    spec: BaseSpec = resolve_base(base, gguf_file)
    tokenizer = load_tokenizer(spec)
    # Right padding: with left padding the first rows of a padded sequence attend to nothing, and the
    # attention kernels give NaN there, which poisons the gradients even though the loss ignores them.
    tokenizer.padding_side = "right"
    if cfg.precision == "qlora-nf4" and spec.is_gguf:
        spec = dequantized_dir(spec, dequant_cache or (out / "base-dequantized"), log=_log)

    data = Path(data)
    records = read_jsonl(data)
    if val_data is None and val_path_for(data).is_file():
        val_data = val_path_for(data)
    val_records = read_jsonl(val_data) if val_data else []
    t_tok = time.monotonic()
    train_cols, dropped = tokenize_records(records, tokenizer, cfg.max_seq_len)
    val_cols, _ = tokenize_records(val_records, tokenizer, cfg.max_seq_len)
    n_train = len(train_cols["input_ids"])
    if n_train == 0:
        raise ValueError(f"no usable training examples in {data} (dropped: {dropped})")
    answer_tokens = sum(sum(1 for t in lab if t != IGNORE_INDEX) for lab in train_cols["labels"])
    seq_tokens = sum(len(x) for x in train_cols["input_ids"])
    _log(f"{n_train} training examples ({seq_tokens} tokens, {answer_tokens} answer tokens), "
         f"{len(val_cols['input_ids'])} validation; dropped {dropped}; tokenized in {time.monotonic() - t_tok:.0f}s")
    train_ds = Dataset.from_dict(train_cols)
    val_ds = Dataset.from_dict(val_cols) if val_cols["input_ids"] else None

    t_load = time.monotonic()
    # bitsandbytes quantizes while loading, on the GPU this process trains on.
    device_map = {"": int(os.environ.get("LOCAL_RANK", "0"))} if cfg.precision == "qlora-nf4" else None
    model = load_model(spec, cfg.precision, device_map=device_map)
    if cfg.precision == "qlora-nf4":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
    model.config.use_cache = False
    load_s = time.monotonic() - t_load
    _log(f"base {spec.describe()} loaded in {load_s:.0f}s")

    peft_config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                             target_modules=cfg.target_modules, bias="none", task_type="CAUSAL_LM")
    use_cpu = device == "cpu" or not torch.cuda.is_available()
    sft_args = SFTConfig(
        output_dir=str(ckpt_dir),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_batch_size,
        per_device_eval_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_ratio,  # a float < 1 is a ratio of the total steps
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        optim=cfg.optimizer,
        bf16=cfg.precision in ("bf16", "qlora-nf4") and not use_cpu,
        use_cpu=use_cpu,
        gradient_checkpointing=cfg.gradient_checkpointing,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        eval_strategy="steps" if (val_ds is not None and cfg.eval_steps > 0) else "no",
        eval_steps=cfg.eval_steps if cfg.eval_steps > 0 else None,
        seed=cfg.seed,
        data_seed=cfg.seed,
        report_to=[],
        max_length=cfg.max_seq_len,  # a no-op: longer examples were dropped above
        dataloader_num_workers=cfg.dataloader_workers,
        disable_tqdm=not sys.stderr.isatty(),
        ddp_find_unused_parameters=False,
    )
    trainer = _trainer_class()(model=model, args=sft_args, train_dataset=train_ds, eval_dataset=val_ds,
                               processing_class=tokenizer, peft_config=peft_config,
                               callbacks=[_progress_callback([])])
    if trainer.is_world_process_zero():
        trainer.model.print_trainable_parameters()

    resume_from = None
    if resume:
        resume_from = get_last_checkpoint(str(ckpt_dir)) if ckpt_dir.is_dir() else None
        _log(f"resuming from {resume_from}" if resume_from else "no checkpoint to resume from: starting afresh")
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()

    status, error = "ok", None
    t_train = time.monotonic()
    try:
        result = trainer.train(resume_from_checkpoint=resume_from)
        train_metrics = dict(result.metrics)
    except NonFiniteLoss as exc:
        status, error, train_metrics = "non_finite_loss", str(exc), {}
    train_s = time.monotonic() - t_train

    eval_metrics = {}
    if status == "ok" and val_ds is not None:
        eval_metrics = trainer.evaluate()

    history = list(trainer.state.log_history)
    metrics = _metrics(cfg, trainer, spec, data, status, error, train_s, load_s, t_start, n_train,
                       len(val_cols["input_ids"]), seq_tokens, answer_tokens, dropped, train_metrics,
                       eval_metrics, history, resume_from)
    if trainer.is_world_process_zero():
        if status == "ok":
            adapter_dir = out / "adapter"
            trainer.model.save_pretrained(str(adapter_dir), safe_serialization=True)
            (adapter_dir / "nichelm_train.json").write_text(json.dumps(
                {"config": cfg.to_dict(), "base": spec.describe(), "data_sha256": metrics["data_sha256"]},
                indent=2))
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
        (out / "log_history.json").write_text(json.dumps(history, indent=1))
        from .plots import write_plots

        write_plots(history, out)
        _log(f"{status}: {metrics['steps']} steps in {train_s:.0f}s, "
             f"{metrics['train_tokens_per_s']} tokens/s, final loss {metrics['final_loss']}; wrote {out}")
    if status != "ok":
        raise NonFiniteLoss(error)
    return metrics


def _metrics(cfg, trainer, spec, data, status, error, train_s, load_s, t_start, n_train, n_val,
             seq_tokens, answer_tokens, dropped, train_metrics, eval_metrics, history, resume_from) -> dict:
    import torch

    losses = [h["loss"] for h in history if "loss" in h]
    accs = [h["mean_token_accuracy"] for h in history if "mean_token_accuracy" in h]
    tokens_seen = max([h.get("num_tokens", 0) for h in history] + [getattr(trainer, "_total_train_tokens", 0)])
    gpu = {}
    if torch.cuda.is_available():
        gpu = {"name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count(),
               "peak_allocated_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
               "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2)}
    import peft
    import transformers
    import trl

    return {
        "status": status,
        "error": error,
        "wall_time_s": round(time.monotonic() - t_start, 1),
        "train_time_s": round(train_s, 1),
        "model_load_s": round(load_s, 1),
        "steps": trainer.state.global_step,
        "epochs": round(trainer.state.epoch or 0.0, 3),
        "train_examples": n_train,
        "val_examples": n_val,
        "dropped": dropped,
        "skipped_batches_without_answer": trainer.skipped_batches,
        "non_finite_batches": trainer.non_finite_batches,
        "train_tokens_per_epoch": seq_tokens,
        "answer_tokens_per_epoch": answer_tokens,
        "train_tokens_seen": int(tokens_seen),
        "train_tokens_per_s": round(tokens_seen / train_s, 1) if train_s > 0 else None,
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "final_token_accuracy": accs[-1] if accs else None,
        "eval": eval_metrics,
        "trainer": train_metrics,
        "gpu": gpu,
        "world_size": trainer.accelerator.num_processes,
        "effective_batch_size": cfg.effective_batch_size(trainer.accelerator.num_processes),
        "resumed_from": resume_from,
        "base": spec.describe(),
        "data": str(data),
        "data_sha256": _sha256(Path(data)),
        "config": cfg.to_dict(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "peft": peft.__version__, "trl": trl.__version__},
    }
