"""A transformers checkpoint (optionally with a PEFT LoRA adapter), for evaluating on a GPU before or
without conversion to GGUF. torch/transformers/peft are imported only when this backend is built.

`model` is a Hugging Face model directory, or a .gguf file (transformers dequantizes it), or a hub id on
a machine that can reach the hub. Greedy decoding, one question at a time, the same prompt as the others
(the tokenizer's own chat template around `build_messages`).
"""

from __future__ import annotations

import time
from pathlib import Path

from nichelm.assistant.prompt import ENUM_VALUES

from ..datasets import Example
from .base import Prediction, PromptMaker, extract


class TransformersBackend:
    concurrency = "serial"

    def __init__(self, model: str, adapter: str | None = None, device: str | None = None,
                 dtype: str = "bfloat16", max_new_tokens: int = 256, examples: int = 0,
                 enum_values: int = ENUM_VALUES):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        src = Path(model).expanduser()
        kw: dict = {}
        if src.suffix == ".gguf" and src.is_file():
            kw["gguf_file"] = src.name
            model_id = str(src.parent)
        else:
            model_id = str(src) if src.exists() else model
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_id, **kw)
        net = AutoModelForCausalLM.from_pretrained(model_id, dtype=getattr(torch, dtype), **kw)
        if adapter:
            from peft import PeftModel

            net = PeftModel.from_pretrained(net, adapter)
        self.model = net.to(self.device).eval()
        self.model_label = model
        self.adapter = adapter
        self.dtype = dtype
        self.max_new_tokens = max_new_tokens
        self.prompts = PromptMaker(examples, enum_values=enum_values)

    def predict(self, example: Example) -> Prediction:
        torch = self.torch
        start = time.monotonic()
        messages, schema = self.prompts.messages(example)
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.device)
        try:
            with torch.inference_mode():
                out = self.model.generate(**ids, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)
        except RuntimeError as exc:  # e.g. CUDA out of memory on one very long prompt
            return Prediction("", None, time.monotonic() - start, error=f"generation_error: {exc}"[:500])
        n_in = ids["input_ids"].shape[1]
        new = out[0, n_in:]
        raw = self.tokenizer.decode(new, skip_special_tokens=True)
        return Prediction(raw, extract(raw, schema), time.monotonic() - start, int(n_in), int(new.shape[0]))

    def info(self) -> dict:
        info = {"backend": "transformers", "model": self.model_label, "adapter": self.adapter,
                "device": self.device, "dtype": self.dtype}
        if self.device.startswith("cuda"):
            info["gpu"] = self.torch.cuda.get_device_name(0)
        return info

    def close(self) -> None:
        del self.model
