"""Token ids and answer-only labels for one chat example, through the model's own chat template.

The prompt is rendered with the tokenizer's chat template exactly as inference renders it (llama.cpp
applies the same Jinja template stored in the GGUF). Labels are -100 everywhere except the answer: the SQL
tokens and the one end-of-turn token that follows them (e.g. ``<|im_end|>``), so the model learns to stop.
The template's trailing newline after the end token is dropped: it is never generated.
"""

from __future__ import annotations

from dataclasses import dataclass

IGNORE_INDEX = -100


class TemplateMismatch(ValueError):
    """The chat template does not render the prompt as a prefix of the full conversation."""

    code = "template_mismatch"


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]
    prompt_len: int  # index of the first answer token

    @property
    def answer_len(self) -> int:
        return len(self.input_ids) - self.prompt_len


def _ids(tokenizer, text: str) -> list[int]:
    # The template text already holds every special token (Qwen/SmolLM2 add no BOS of their own).
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def encode(tokenizer, messages: list[dict]) -> Encoded:
    """Encode *messages* (system, user, assistant) into input ids and answer-only labels."""
    if messages[-1]["role"] != "assistant":
        raise ValueError("the last message must be the assistant's answer")
    prompt_text = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full_text = tokenizer.apply_chat_template(messages, tokenize=False)
    answer = messages[-1]["content"]
    if not full_text.startswith(prompt_text + answer):
        raise TemplateMismatch("the chat template does not render the prompt followed by the answer verbatim")
    suffix = full_text[len(prompt_text) + len(answer):]
    prompt_ids = _ids(tokenizer, prompt_text)
    answer_ids = _ids(tokenizer, answer)
    suffix_ids = _ids(tokenizer, suffix)
    if not suffix_ids:
        raise TemplateMismatch("the chat template puts no end-of-turn token after the answer")
    end = suffix_ids[:1]  # the end-of-turn token; anything after it (a newline) is never generated
    input_ids = prompt_ids + answer_ids + end
    labels = [IGNORE_INDEX] * len(prompt_ids) + answer_ids + end
    return Encoded(input_ids, labels, len(prompt_ids))


def end_token_id(tokenizer) -> int:
    """The end-of-turn token id the template puts after an assistant answer."""
    msgs = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    return encode(tokenizer, [{"role": "system", "content": "s"}] + msgs).input_ids[-1]
