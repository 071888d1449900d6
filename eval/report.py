"""report.md, the accuracy plot, and the cross-run comparison table.

The comparison table has the seed's columns: model, exec_acc, exact, valid_sql, mean_latency_s,
mean_cost_usd, n.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import hardware

PLOT = "exec_acc.png"
REPORT = "report.md"
SEMANTICS = ("Execution accuracy as in `nichelm.eval.metrics`: read-only runs on fresh copies of the databases; "
             "results compared as multisets of rows (as sequences when the gold query has a top-level ORDER BY), "
             "column order ignored (Spider test-suite `result_eq`), numbers equal when equal to 6 decimals. "
             "Exact match: equal text after sqlglot normalisation (stricter than Spider's exact set match).")
COLUMNS = ("model", "exec_acc", "exact", "valid_sql", "mean_latency_s", "mean_cost_usd", "n")


def table_row(m: dict) -> list[str]:
    return [str(m.get("label") or "?"), f"{m.get('exec_acc', 0):.3f}", f"{m.get('exact', 0):.3f}",
            f"{m.get('valid_sql', 0):.3f}", f"{m.get('mean_latency_s', 0):.3f}",
            f"{m.get('mean_cost_usd', 0):.5f}", str(m.get("n", 0))]


def markdown_table(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def runs_by_dataset(run_dirs: list[str | os.PathLike]) -> dict[str, list[dict]]:
    """metrics.json of each run, grouped by dataset (runs without one are skipped)."""
    by_dataset: dict[str, list[dict]] = {}
    for d in run_dirs:
        path = Path(d) / "metrics.json"
        if path.is_file():
            m = json.loads(path.read_text(encoding="utf-8"))
            by_dataset.setdefault(m.get("dataset") or "?", []).append(m)
    return by_dataset


def compare(run_dirs: list[str | os.PathLike], latency: bool = False) -> str:
    """One markdown table per dataset, one row per run (runs without metrics.json are skipped).
    *latency* adds p50 and p95 latency columns after the seed's columns."""
    by_dataset = runs_by_dataset(run_dirs)
    if not by_dataset:
        return "no runs with metrics.json found"
    parts = []
    for ds, ms in by_dataset.items():
        if len(by_dataset) > 1:
            parts.append(f"### {ds}\n")
        header = list(COLUMNS) + (["p50_latency_s", "p95_latency_s"] if latency else [])
        rows = [table_row(m) + ([f"{m.get('p50_latency_s', 0):.3f}", f"{m.get('p95_latency_s', 0):.3f}"]
                                if latency else []) for m in ms]
        parts.append(markdown_table(header, rows))
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def _breakdown_table(name: str, groups: dict) -> str:
    rows = [[k, str(v["n"]), f"{v['exec_acc']:.3f}", f"{v['exact']:.3f}", f"{v['valid_sql']:.3f}"]
            for k, v in groups.items()]
    return markdown_table([name, "n", "exec_acc", "exact", "valid_sql"], rows)


def write_report(metrics: dict, records: list[dict], out: Path, max_misses: int = 25) -> Path:
    hw = metrics.get("hardware") or {}
    backend_info = metrics.get("backend_info") or {}
    lines = [f"# {metrics.get('label')} on {metrics.get('dataset')}", ""]
    lines += [markdown_table(COLUMNS, [table_row(metrics)]), ""]
    lines += [(f"Latency per question: mean {metrics.get('mean_latency_s', 0):.3f} s, p50 "
               f"{metrics.get('p50_latency_s', 0):.3f} s, p95 {metrics.get('p95_latency_s', 0):.3f} s. "
               f"Total cost ${metrics.get('total_cost_usd', 0):.4f}. Backend errors: "
               f"{metrics.get('backend_errors', 0)}."), ""]
    load = f" (load average {hw['load_avg_1m']} when the run started)" if hw.get("load_avg_1m") is not None else ""
    lines += [f"Hardware: {hardware.short(hw, backend_info)}{load}.", ""]
    skipped = metrics.get("skipped") or {}
    if skipped:
        lines += ["Skipped: " + ", ".join(f"{v} ({k})" for k, v in skipped.items()) + ".", ""]
    if (out / PLOT).is_file():
        lines += [f"![execution accuracy]({PLOT})", ""]
    for key in ("by_difficulty", "by_hardness", "by_shape", "by_database"):
        if metrics.get(key):
            lines += [f"## {key.replace('by_', 'By ')}", "", _breakdown_table(key[3:], metrics[key]), ""]
    misses = [r for r in records if not r.get("exec_match")]
    if misses:
        lines += [f"## Misses (first {min(max_misses, len(misses))} of {len(misses)})", ""]
        for r in misses[:max_misses]:
            why = r.get("error") or r.get("pred_error") or "different result"
            lines += [f"- **{r['id']}** ({r.get('db_id')}): {r['question']}",
                      f"  - gold: `{_one_line(r['gold_sql'])}`",
                      f"  - pred: `{_one_line(r.get('pred_sql') or '')}` ({_one_line(why)[:200]})"]
        lines.append("")
    lines += ["## Semantics", "", SEMANTICS, ""]
    path = out / REPORT
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _one_line(text: str) -> str:
    return " ".join(str(text).split()).replace("`", "'")


def write_plot(metrics: dict, out: Path) -> Path | None:
    """Bar charts of execution accuracy by shape and by difficulty/hardness (whichever exist)."""
    panels = [(k, metrics[k]) for k in ("by_shape", "by_difficulty", "by_hardness") if metrics.get(k)]
    # NICHELM_NO_PLOT: on a machine where matplotlib cannot load beside llama.cpp's CUDA libraries
    # (seen: a segfault in PIL on the GPU image); `nichelm-eval score` draws the plot later.
    if not panels or os.environ.get("NICHELM_NO_PLOT"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heights = [max(2.5, 0.28 * len(g) + 1.2) for _, g in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, (key, groups) in zip(axes[:, 0], panels):
        names = list(groups)
        accs = [groups[n]["exec_acc"] for n in names]
        ax.barh(range(len(names)), accs, color="#4C72B0")
        ax.set_yticks(range(len(names)), [f"{n} (n={groups[n]['n']})" for n in names], fontsize=8)
        ax.set_ylim(len(names) - 0.5, -0.5)  # first group on top, no empty margin
        ax.set_xlim(0, 1)
        ax.set_xlabel("execution accuracy")
        ax.set_title(f"{metrics.get('label')} on {metrics.get('dataset')}: {key.replace('by_', 'by ')}",
                     fontsize=10)
        for i, a in enumerate(accs):
            ax.text(min(a + 0.01, 0.93), i, f"{a:.2f}", va="center", fontsize=7)
    fig.tight_layout()
    path = out / PLOT
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_compare_plot(run_dirs: list[str | os.PathLike], path: str | os.PathLike) -> Path | None:
    """Execution accuracy of several runs side by side: overall, and by difficulty (or Spider hardness)
    where every run has it; one column of panels per dataset."""
    by_dataset = runs_by_dataset(run_dirs)
    if not by_dataset:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(by_dataset), figsize=(6.5 * len(by_dataset) + 1.8, 4.2), squeeze=False)
    colors = plt.get_cmap("tab20").colors  # more runs than the default cycle's ten still get a colour each
    for ax, (ds, ms) in zip(axes[0], by_dataset.items()):
        key = next((k for k in ("by_difficulty", "by_hardness") if all(m.get(k) for m in ms)), None)
        groups = ["all"] + (list(ms[0][key]) if key else [])
        width = 0.8 / len(ms)
        for i, m in enumerate(ms):
            accs = [m["exec_acc"]] + [m[key].get(g, {}).get("exec_acc", 0.0) for g in groups[1:]]
            xs = [j + (i - (len(ms) - 1) / 2) * width for j in range(len(groups))]
            bars = ax.bar(xs, accs, width, label=m.get("label") or "?", color=colors[i % len(colors)])
            for b, a in zip(bars, accs):
                ax.text(b.get_x() + b.get_width() / 2, a + 0.01, f"{a:.2f}", ha="center", fontsize=6)
        ax.set_xticks(range(len(groups)), groups)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("execution accuracy")
        ax.set_title(f"{ds} (n={ms[0].get('n')})", fontsize=10)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars, never over them
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
