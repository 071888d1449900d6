"""Write a Hugging Face state dict (numpy arrays) as an f16/f32 GGUF model.

Two ways to get the metadata:
- from a *template* GGUF of the same architecture and shapes (the base the adapter was trained on): every
  key/value is copied (tokenizer, chat template, hyperparameters) and the tensors are written in the
  template's order; tensors the template does not have are dropped (e.g. a tied lm_head);
- from a transformers config plus a *tokenizer donor* GGUF (tiny test models): the hyperparameters are
  written from the config and the tokenizer.* keys copied from the donor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .gguf_io import ConversionError, check_arch, copy_metadata, name_map


def _store(writer, gname: str, arr: np.ndarray, ftype: str) -> None:
    # Norms and biases stay f32, as llama.cpp's converter keeps them.
    if arr.ndim <= 1 or ftype == "f32":
        writer.add_tensor(gname, np.ascontiguousarray(arr, dtype=np.float32))
    else:
        writer.add_tensor(gname, np.ascontiguousarray(arr, dtype=np.float16))


def _finish(writer) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_from_template(state: dict[str, np.ndarray], template_gguf: str | Path, out: str | Path,
                        ftype: str = "f16") -> int:
    """Write *state* with the metadata and tensor list of *template_gguf*; returns the tensor count."""
    import gguf

    reader = gguf.GGUFReader(str(template_gguf))
    arch = reader.fields["general.architecture"].contents()
    check_arch(arch)
    n_blocks = int(reader.fields[f"{arch}.block_count"].contents())
    to_gguf = name_map(arch, n_blocks)
    by_gguf: dict[str, np.ndarray] = {}
    for hf_name, arr in state.items():
        g = to_gguf(hf_name)
        if g is not None:
            by_gguf[g] = arr
    # A tied lm_head has no tensor of its own; a template with output.weight gets the embedding.
    if "output.weight" not in by_gguf and "token_embd.weight" in by_gguf:
        by_gguf["output.weight"] = by_gguf["token_embd.weight"]

    writer = gguf.GGUFWriter(str(out), arch)
    copy_metadata(reader, writer, skip={"general.file_type"})
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if ftype == "f16" else gguf.LlamaFileType.ALL_F32)
    for t in reader.tensors:
        if t.name not in by_gguf:
            raise ConversionError(f"the merged model has no tensor for {t.name}")
        arr = by_gguf[t.name]
        want = tuple(int(x) for x in reversed(t.shape.tolist()))
        if tuple(arr.shape) != want:
            raise ConversionError(f"{t.name}: merged shape {arr.shape} differs from the template's {want}")
        _store(writer, t.name, arr, ftype)
    _finish(writer)
    return len(reader.tensors)


def write_from_config(state: dict[str, np.ndarray], config, tokenizer_gguf: str | Path, out: str | Path,
                      ftype: str = "f32") -> int:
    """Write a qwen2 *state* with hyperparameters from a transformers *config* and the tokenizer of
    *tokenizer_gguf* (used to build tiny test models); returns the tensor count."""
    import gguf

    arch = config.model_type
    check_arch(arch)
    donor = gguf.GGUFReader(str(tokenizer_gguf))
    n_vocab = len(donor.fields["tokenizer.ggml.tokens"].contents())
    if n_vocab != config.vocab_size:
        raise ConversionError(f"tokenizer has {n_vocab} tokens, the model {config.vocab_size}")
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name("nichelm-tiny")
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    theta = getattr(config, "rope_theta", None) or (getattr(config, "rope_parameters", None) or {}).get(
        "rope_theta", 10000.0)
    writer.add_rope_freq_base(float(theta))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if ftype == "f16" else gguf.LlamaFileType.ALL_F32)
    for key, field in donor.fields.items():
        if key.startswith("tokenizer."):
            vtype = field.types[0]
            sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(key, field.contents(), vtype, sub)
    to_gguf = name_map(arch, config.num_hidden_layers)
    n = 0
    for hf_name, arr in state.items():
        if hf_name == "lm_head.weight" and config.tie_word_embeddings:
            continue
        g = to_gguf(hf_name)
        if g is None:
            raise ConversionError(f"no GGUF name for {hf_name}")
        _store(writer, g, arr, ftype)
        n += 1
    _finish(writer)
    return n


def hf_dir_to_gguf(model_dir: str | Path, tokenizer_gguf: str | Path, out: str | Path, ftype: str = "f32") -> Path:
    """A small HF qwen2 model directory -> GGUF (tests and dry runs; needs torch to read the weights)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    write_from_config(state, config, tokenizer_gguf, out, ftype)
    return Path(out)
