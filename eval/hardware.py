"""What machine a run used (CPU model and cores, GPU name), for metrics.json and report.md."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess

from nichelm.assistant.free_cores import core_count


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpus() -> list[str]:
    """GPU names from nvidia-smi (empty when there is none)."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run([exe, "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()] if out.returncode == 0 else []


def describe() -> dict:
    usable = core_count()
    try:
        # Other work on the machine inflates latencies; the 1-minute load average at the start says how much.
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "usable_cpus": usable, "gpus": gpus(),
            "platform": platform.platform(), "python": platform.python_version(), "load_avg_1m": load}


def short(hw: dict, backend: dict | None = None) -> str:
    """One line, e.g. 'AMD EPYC 7B13 (2 cores), llama.cpp CPU' or 'NVIDIA H100 80GB HBM3, llama.cpp 99 layers on GPU'."""
    parts = [", ".join(hw.get("gpus") or []) or f"{hw.get('cpu')} ({hw.get('usable_cpus')} cores)"]
    ll = (backend or {}).get("llama_cpp")
    if ll:
        layers = ll.get("gpu_layers")
        parts.append("llama.cpp GPU offload (all layers)" if layers == -1 else
                     f"llama.cpp {layers} layers on GPU" if layers else f"llama.cpp CPU, {ll.get('threads')} threads")
    return ", ".join(parts)
