"""``nichelm-convert``: PEFT LoRA -> GGUF adapter, merged model -> quantized GGUF, and a parity check.

  nichelm-convert lora   --adapter runs/v2/adapter --base-gguf base.gguf --out nichelm-v2-lora.gguf
  nichelm-convert average seed1.gguf seed2.gguf --out mean-lora.gguf
  nichelm-convert merge  --adapter runs/v2/adapter --base base.gguf --out nichelm-v2-q4_k_m.gguf
  nichelm-convert parity --adapter runs/v2/adapter --adapter-gguf nichelm-v2-lora.gguf --base-gguf base.gguf \
                         --n 50 --out parity.json
"""

from __future__ import annotations

import argparse
import json
import sys


def _lora(a) -> int:
    from .lora_gguf import convert_lora

    print(json.dumps(convert_lora(a.adapter, a.base_gguf, a.out, a.outtype).to_json(), indent=2))
    return 0


def _average(a) -> int:
    from .lora_average import average_loras

    print(json.dumps(average_loras(a.adapters, a.out, a.outtype, a.rank).to_json(), indent=2))
    return 0


def _merge(a) -> int:
    from .merge import merge_to_gguf

    print(json.dumps(merge_to_gguf(a.adapter, a.base, a.out, gguf_file=a.gguf_file, template_gguf=a.template_gguf,
                                   qtype=a.qtype, keep_f16=a.keep_f16), indent=2))
    return 0


def _merge_lora(a) -> int:
    from .merge_gguf import merge_lora_gguf

    print(json.dumps(merge_lora_gguf(a.base, a.lora, a.out, a.qtype, keep_f16=a.keep_f16), indent=2))
    return 0


def _parity(a) -> int:
    from .parity import run_parity, write_report

    report = run_parity(a.base_gguf, a.adapter, a.adapter_gguf, n=a.n, spider_dir=a.spider_dir,
                        n_gpu_layers=a.n_gpu_layers, llama_gguf=a.llama_gguf)
    write_report(report, a.out)
    print(json.dumps({k: v for k, v in report.items() if k != "items"}, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    from .lora_gguf import OUT_TYPES

    p = argparse.ArgumentParser(prog="nichelm-convert", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    lo = sub.add_parser("lora", help="PEFT LoRA adapter -> GGUF LoRA adapter (llama.cpp lora_path)")
    lo.add_argument("--adapter", required=True, help="directory with adapter_config.json + adapter_model.safetensors")
    lo.add_argument("--base-gguf", required=True, help="the GGUF base the adapter was trained on")
    lo.add_argument("--out", required=True)
    lo.add_argument("--outtype", default="f16", choices=OUT_TYPES)
    lo.set_defaults(func=_lora)

    av = sub.add_parser("average", help="GGUF LoRA adapters of one base -> one adapter with their mean update")
    av.add_argument("adapters", nargs="+", help="two or more GGUF LoRA adapters (e.g. one recipe, several seeds)")
    av.add_argument("--out", required=True)
    av.add_argument("--outtype", default="f16", choices=OUT_TYPES)
    av.add_argument("--rank", type=int, default=None,
                    help="cut the mean update to its best approximation of this rank (default: the summed rank, exact)")
    av.set_defaults(func=_average)

    me = sub.add_parser("merge", help="merge the adapter, write f16 GGUF, quantize (default Q4_K_M)")
    me.add_argument("--adapter", required=True)
    me.add_argument("--base", required=True, help="base GGUF file (or HF dir/id with --template-gguf)")
    me.add_argument("--gguf-file", default=None)
    me.add_argument("--template-gguf", default=None, help="GGUF to copy metadata from (default: the base)")
    me.add_argument("--out", required=True)
    me.add_argument("--qtype", default="Q4_K_M")
    me.add_argument("--keep-f16", action="store_true")
    me.set_defaults(func=_merge)

    ml = sub.add_parser("merge-lora", help="merge a GGUF LoRA adapter into its GGUF base (no torch), quantize "
                                           "(default Q8_0): a model that decodes faster on a CPU")
    ml.add_argument("--base", required=True, help="the GGUF base the adapter was trained on")
    ml.add_argument("--lora", required=True, help="GGUF LoRA adapter")
    ml.add_argument("--out", required=True)
    ml.add_argument("--qtype", default="Q8_0", help="Q8_0 (default), Q6_K, Q5_K_M, Q4_K_M or F16")
    ml.add_argument("--keep-f16", action="store_true")
    ml.set_defaults(func=_merge_lora)

    pa = sub.add_parser("parity", help="transformers vs llama.cpp agreement on Spider dev questions")
    pa.add_argument("--adapter", required=True, help="PEFT adapter directory (empty string: base only)")
    pa.add_argument("--adapter-gguf", required=True, help="GGUF adapter for llama.cpp (empty string: none)")
    pa.add_argument("--base-gguf", required=True)
    pa.add_argument("--n", type=int, default=50)
    pa.add_argument("--spider-dir", default=None)
    pa.add_argument("--n-gpu-layers", type=int, default=None)
    pa.add_argument("--llama-gguf", default=None,
                    help="model llama.cpp runs (default: --base-gguf), e.g. a merged GGUF with --adapter-gguf ''")
    pa.add_argument("--out", default="parity.json")
    pa.set_defaults(func=_parity)
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    try:
        return a.func(a)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error [{getattr(exc, 'code', type(exc).__name__)}]: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
