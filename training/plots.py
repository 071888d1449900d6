"""Training-curve PNGs (loss and token accuracy against optimizer step) from the trainer's log history."""

from __future__ import annotations

from pathlib import Path


def _series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    pts = [(h["step"], h[key]) for h in history if key in h and "step" in h]
    return [p[0] for p in pts], [p[1] for p in pts]


def write_plots(history: list[dict], out_dir: str | Path, title: str = "NicheLM LoRA") -> list[Path]:
    """Write loss.png and token_accuracy.png into *out_dir*; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a training box
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, keys, ylabel in (
        ("loss.png", ("loss", "eval_loss"), "loss (answer tokens)"),
        ("token_accuracy.png", ("mean_token_accuracy", "eval_mean_token_accuracy"), "next-token accuracy"),
    ):
        fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
        drawn = False
        for key in keys:
            xs, ys = _series(history, key)
            if xs:
                ax.plot(xs, ys, marker="o" if key.startswith("eval") else None, markersize=3,
                        label="validation" if key.startswith("eval") else "train")
                drawn = True
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title}: {ylabel}")
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend()
        fig.tight_layout()
        fig.savefig(out / name)
        plt.close(fig)
        written.append(out / name)
    return written
