"""``nichelm-train``: build the training data, dequantize a GGUF base, train a LoRA adapter.

  nichelm-train build-data --out data/train.jsonl --tokenizer /path/model.gguf
  nichelm-train append-records v2.jsonl hier_build.jsonl --source hierarchy --out v8.jsonl
  nichelm-train train --config lora_h100 --data data/train.jsonl --base /root/base/model.gguf --out runs/v1
  accelerate launch --num_processes 2 -m nichelm.training.cli train ...   # data parallel on 2 GPUs

Heavy libraries are imported only by the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import json
import sys

from nichelm.assistant.prompt import ENUM_VALUES, EXAMPLE_VALUES


def _names(text: str) -> tuple[str, ...]:
    """'a,b' -> ('a', 'b')."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _augment_with_arg(p) -> None:
    p.add_argument("--augment-with", default="", metavar="NAMES",
                   help="comma-separated opt-in augmentation templates to draw from as well (training/augment.py "
                        "OPT_IN; the v15 experiment used all four)")


def _build_data(a) -> int:
    from .base_model import load_tokenizer, resolve_base
    from .dataset import DataOptions, build, val_path_for, write_jsonl

    opts = DataOptions(spider_dir=a.spider_dir, max_seq_len=a.max_seq_len, seed=a.seed,
                       val_fraction=a.val_fraction, example_values=a.example_values, augment=a.augment,
                       augment_with=_names(a.augment_with), sql_style=a.sql_style, enum_values=a.enum_values,
                       hierarchies=a.hierarchies,
                       hierarchy_dir=a.hierarchy_dir, ledgers=a.ledgers, clauses=a.clauses,
                       row_sets=a.row_sets)
    tok = None
    if a.tokenizer:
        tok = load_tokenizer(resolve_base(a.tokenizer, a.gguf_file))
    else:
        print("warning: no --tokenizer: token lengths are not checked (train drops over-long examples)",
              file=sys.stderr)
    train, val, report = build(opts, tok)
    write_jsonl(a.out, train)
    write_jsonl(val_path_for(a.out), val)
    summary = {"out": str(a.out), "val_out": str(val_path_for(a.out)), "options": vars(opts), **report.to_json()}
    with open(str(a.out) + ".report.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


def _augment(a) -> int:
    from .augment import AugmentOptions, generate, to_records
    from .dataset import write_jsonl

    opts = AugmentOptions(spider_dir=a.spider_dir, seed=a.seed, target=a.target, example_values=a.example_values,
                          db_ids=a.db or None, sql_style=a.sql_style, opt_in=_names(a.augment_with))
    pairs, report = generate(opts)
    write_jsonl(a.out, to_records(pairs, opts))
    summary = {"out": str(a.out), **report.to_json()}
    with open(str(a.out) + ".report.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


def _append_records(a) -> int:
    from .combine import append_records

    report = append_records(a.base, a.other, a.source, a.out)
    with open(str(a.out) + ".report.json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    return 0


def _rerender(a) -> int:
    from .base_model import load_tokenizer, resolve_base
    from .dataset import read_jsonl, val_path_for, write_jsonl
    from .rerender import rerender

    tok = load_tokenizer(resolve_base(a.tokenizer, a.gguf_file)) if a.tokenizer else None
    summary = {"in": str(a.input), "out": str(a.out), "example_values": a.example_values,
               "enum_values": a.enum_values}
    for src, dst in [(a.input, a.out), (val_path_for(a.input), val_path_for(a.out))]:
        try:
            records = read_jsonl(src)
        except FileNotFoundError:
            if src == a.input:
                raise SystemExit(f"nichelm-train rerender: {src} does not exist")
            continue  # no validation split next to the input
        out, report = rerender(records, example_values=a.example_values, enum_values=a.enum_values,
                               spider_dir=a.spider_dir, tokenizer=tok, max_seq_len=a.max_seq_len,
                               hierarchy_dir=a.hierarchy_dir)
        write_jsonl(dst, out)
        summary[str(dst)] = report.to_json()
    with open(str(a.out) + ".report.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


def _train(a) -> int:
    from .config import load_config
    from .train import NonFiniteLoss, run

    cfg = load_config(a.config, max_steps=a.max_steps, epochs=a.epochs,
                      per_device_batch_size=a.batch_size, gradient_accumulation_steps=a.grad_accum, seed=a.seed)
    try:
        metrics = run(cfg, a.data, a.base, a.out, gguf_file=a.gguf_file, val_data=a.val_data, resume=a.resume,
                      dequant_cache=a.dequant_cache, device=a.device)
    except NonFiniteLoss as exc:
        print(f"error [non_finite_loss]: {exc}", file=sys.stderr)
        return 3
    print(json.dumps({k: metrics[k] for k in ("status", "steps", "train_time_s", "train_tokens_per_s",
                                              "final_loss", "final_token_accuracy", "gpu")}, indent=2))
    return 0


def _dequantize(a) -> int:
    from .base_model import dequantized_dir, resolve_base

    spec = dequantized_dir(resolve_base(a.base, a.gguf_file), a.out, dtype=a.dtype)
    print(spec.source)
    return 0


def _style_arg(p: argparse.ArgumentParser) -> None:
    from .sql_style import STYLES

    p.add_argument("--sql-style", choices=STYLES, default=STYLES[0],
                   help="answers as table-qualified SQL with single-quoted strings (default), or as Spider has them")


def _enum_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--enum-values", type=int, default=ENUM_VALUES, metavar="N",
                   help="category columns with at most N values list them all (prompt v2); 0 = prompt v1 "
                        "(default: the prompt format's setting)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nichelm-train", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("build-data", help="Spider train -> chat JSONL (+ .val.jsonl and .report.json)")
    b.add_argument("--out", required=True)
    b.add_argument("--spider-dir", default=None, help="default: $NICHELM_SPIDER_DIR or /work/shared/data/spider")
    b.add_argument("--tokenizer", default=None, help="GGUF file, model dir or HF id whose tokenizer counts tokens")
    b.add_argument("--gguf-file", default=None)
    b.add_argument("--max-seq-len", type=int, default=1024)
    b.add_argument("--seed", type=int, default=1234)
    b.add_argument("--val-fraction", type=float, default=0.03, help="share of train databases held out")
    b.add_argument("--example-values", type=int, default=EXAMPLE_VALUES,
                   help="example values per text column in the schema (the prompt format's default)")
    b.add_argument("--augment", type=int, default=0, metavar="N",
                   help="add N generated SQLite-idiom pairs (see `augment`); 0 = Spider only")
    _augment_with_arg(b)
    b.add_argument("--hierarchies", type=int, default=0, metavar="N",
                   help="add N generated pairs over parent/child hierarchies and the dated rows under an "
                        "entity, on databases of our own (training/hierarchy_data.py); 0 = none")
    b.add_argument("--hierarchy-dir", default=None, metavar="DIR",
                   help="keep the hierarchy databases in DIR (default: a temporary directory)")
    b.add_argument("--ledgers", type=int, default=0, metavar="N",
                   help="add N generated pairs about which money column a question means (a line's rate charged, "
                        "a stored billed total, a list rate times units on hand), on billed-work databases of our "
                        "own (training/ledger_data.py); 0 = none")
    b.add_argument("--clauses", type=int, default=0, metavar="N",
                   help="add N generated pairs about how clauses are written (two choices in parentheses beside "
                        "another condition, DISTINCT through joins, NOT EXISTS, COALESCE for a missing value, a top N "
                        "by a sum), on databases of the same builder (training/clause_templates.py); 0 = none")
    b.add_argument("--row-sets", type=int, default=0, metavar="N",
                   help="add N generated pairs about a party's rows meeting two tests at once (some of one kind and "
                        "none of another; both of two values, intersected), on databases of the same builder "
                        "(training/row_set_templates.py); 0 = none")
    _enum_arg(b)
    _style_arg(b)
    b.set_defaults(func=_build_data)

    r = sub.add_parser("rerender", help="the same data (questions, answers, splits) with its schema prompts "
                       "rebuilt for other settings, e.g. --enum-values 10 (+ its .val.jsonl)")
    r.add_argument("input", help="a build-data JSONL")
    r.add_argument("out")
    r.add_argument("--spider-dir", default=None)
    r.add_argument("--tokenizer", default=None, help="recount tokens and drop records over --max-seq-len")
    r.add_argument("--gguf-file", default=None)
    r.add_argument("--max-seq-len", type=int, default=2048)
    r.add_argument("--example-values", type=int, default=EXAMPLE_VALUES)
    r.add_argument("--hierarchy-dir", default=None, metavar="DIR",
                   help="where build-data --hierarchy-dir wrote the generated hierarchy databases")
    _enum_arg(r)
    r.set_defaults(func=_rerender)

    c = sub.add_parser("append-records", help="a data file plus the records of one source from another build "
                       "(e.g. the hierarchy pairs), every line kept as it is (+ the first file's .val.jsonl)")
    c.add_argument("base", help="the data file to extend")
    c.add_argument("other", help="a build whose records of --source are appended")
    c.add_argument("--source", default="hierarchy", help="the records' \"source\" field (default: hierarchy)")
    c.add_argument("--out", required=True)
    c.set_defaults(func=_append_records)

    g = sub.add_parser("augment", help="generated SQLite-idiom pairs over Spider train databases -> JSONL")
    g.add_argument("--out", required=True)
    g.add_argument("--spider-dir", default=None)
    g.add_argument("--target", type=int, default=3000, help="pairs wanted in total")
    g.add_argument("--seed", type=int, default=1234)
    g.add_argument("--example-values", type=int, default=EXAMPLE_VALUES, help="as build-data: must match the main set")
    g.add_argument("--db", action="append", help="only this train database (repeatable)")
    _augment_with_arg(g)
    _style_arg(g)
    g.set_defaults(func=_augment)

    t = sub.add_parser("train", help="train a LoRA adapter")
    t.add_argument("--config", required=True, help="YAML file or shipped name (lora_h100, qlora_24gb, tiny_cpu)")
    t.add_argument("--data", required=True, help="JSONL from build-data (its .val.jsonl is used if present)")
    t.add_argument("--val-data", default=None)
    t.add_argument("--base", required=True, help="a .gguf file, a model directory or a Hugging Face id")
    t.add_argument("--gguf-file", default=None, help="GGUF file name inside --base when it is a directory")
    t.add_argument("--out", required=True)
    t.add_argument("--resume", action="store_true", help="continue from the last checkpoint in OUT/checkpoints")
    t.add_argument("--dequant-cache", default=None, help="QLoRA: where to keep the dequantized GGUF base")
    t.add_argument("--device", choices=["cpu"], default=None, help="force the CPU even when a GPU is present")
    t.add_argument("--max-steps", type=int, default=None)
    t.add_argument("--epochs", type=float, default=None)
    t.add_argument("--batch-size", type=int, default=None, help="per-device batch size (overrides the config)")
    t.add_argument("--grad-accum", type=int, default=None)
    t.add_argument("--seed", type=int, default=None,
                   help="overrides the config's seed (data order, LoRA init, dropout): a rerun of the same recipe")
    t.set_defaults(func=_train)

    d = sub.add_parser("dequantize", help="GGUF base -> bf16 safetensors directory (load it once, reuse it)")
    d.add_argument("--base", required=True)
    d.add_argument("--gguf-file", default=None)
    d.add_argument("--out", required=True)
    d.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    d.set_defaults(func=_dequantize)
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    try:
        return a.func(a)
    except (ValueError, FileNotFoundError) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        print(f"error [{code}]: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
