"""How many of this process's CPU cores other processes leave free, so llama.cpp runs no more threads than that.

llama.cpp's threads meet at a barrier after every step of every token. While they wait there they spin for a
moment (OpenMP's default), which is what makes decoding fast on cores of their own: on 2 idle cores the v11
adapter decodes 18.7 tokens/s spinning against 9.6 waiting passively. But a thread that has to share its core
with another process makes all the others wait at each barrier: with one core busy elsewhere, 2 spinning
threads decode 6.4 tokens/s where 1 thread decodes 9.7 (benchmarks/results/lora_speed_cpu2_s14*.json).
So before each generation on the CPU, and again between its tokens (other work may start mid-answer), the engine
asks `FreeCores.threads` how many threads can have a core.

The measure: the busy time of this process's cores (/proc/stat, only the CPUs in its affinity mask) minus this
process's own CPU time, over the time since the last measure; a window shorter than MIN_WINDOW_S keeps the last
answer (a clock of 10 ms ticks says little about 50 ms). Where /proc/stat cannot be read (not Linux), every
configured thread is used, as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

MIN_WINDOW_S = 0.5
TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Reading:
    wall_s: float
    busy_s: float  # busy time of the watched cores, all processes
    own_s: float  # this process's CPU time, all its threads


def usable_cpus() -> set[int] | None:
    """The CPUs this process may run on (its affinity mask); None where the system cannot tell."""
    return set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def core_count(cpus: set[int] | None = None) -> int:
    """How many cores this process may use: its affinity mask (or *cpus*), else the machine's count, at least 1."""
    cpus = cpus if cpus is not None else usable_cpus()
    return len(cpus) if cpus else (os.cpu_count() or 1)


def busy_seconds(stat_text: str, cpus: set[int] | None) -> float:
    """Busy time (not idle, not waiting for I/O) of *cpus* (all when None) from /proc/stat's text."""
    ticks = 0
    for line in stat_text.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or name == "cpu" or not name[3:].isdigit():
            continue
        if cpus is not None and int(name[3:]) not in cpus:
            continue
        fields = [int(x) for x in rest.split()[:8]]  # user nice system idle iowait irq softirq steal
        ticks += sum(fields) - fields[3] - fields[4]
    return ticks / TICKS_PER_S


def _read_stat() -> str:
    with open("/proc/stat", encoding="ascii") as f:
        return f.read()


class FreeCores:
    """Threads for the next generation: the cores of this process that others leave free, at least 1."""

    def __init__(self, read_stat: Callable[[], str] = _read_stat, clock: Callable[[], float] = time.monotonic,
                 own_cpu: Callable[[], float] = time.process_time, cpus: set[int] | None = None):
        self._read_stat, self._clock, self._own_cpu = read_stat, clock, own_cpu
        self._cpus = cpus if cpus is not None else usable_cpus()
        self.cores = core_count(self._cpus)
        self._last = self._read()
        self._free: float | None = None  # None: nothing measured yet

    def _read(self) -> Reading | None:
        try:
            busy = busy_seconds(self._read_stat(), self._cpus)
        except (OSError, ValueError, IndexError):
            return None
        return Reading(self._clock(), busy, self._own_cpu())

    def free(self) -> float | None:
        """Cores that other processes left free since the last measure (None: cannot tell)."""
        if self._last is not None and self._clock() - self._last.wall_s < MIN_WINDOW_S:
            return self._free  # too soon to tell more (and /proc/stat is not read: this runs between tokens)
        now = self._read()
        if now is None or self._last is None:
            self._last = now
            return self._free
        window = now.wall_s - self._last.wall_s  # at least MIN_WINDOW_S (checked above)
        others = max(0.0, (now.busy_s - self._last.busy_s) - (now.own_s - self._last.own_s)) / window
        self._free = max(0.0, self.cores - others)
        self._last = now
        return self._free

    def threads(self, most: int) -> int:
        """How many of *most* threads to run now: one for each free core, at least one."""
        free = self.free()
        if free is None:
            return most
        return max(1, min(most, int(free + 0.5)))
