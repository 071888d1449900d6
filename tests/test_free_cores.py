"""Threads for llama.cpp on the CPU: one for each core other processes leave free (assistant/free_cores.py)."""

import time

import pytest
from nichelm.assistant import free_cores
from nichelm.assistant.free_cores import FreeCores, busy_seconds

HZ = free_cores.TICKS_PER_S


def stat_text(per_cpu: dict[int, tuple[int, int]]) -> str:
    """/proc/stat with, for each cpu, (busy ticks, idle ticks); busy split over user and system."""
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    for cpu, (busy, idle) in per_cpu.items():
        user, system = busy - busy // 3, busy // 3
        lines.append(f"cpu{cpu} {user} 0 {system} {idle} 0 0 0 0 0 0")
    return "\n".join(lines + ["intr 1 2 3", "ctxt 99", "cpufreq 1"]) + "\n"


def test_busy_time_counts_only_the_watched_cpus_and_not_idle_or_io_wait():
    text = "cpu  9 9 9 9 9 9 9 9\ncpu0 100 5 20 400 50 1 2 3 0 0\ncpu1 7 0 0 900 0 0 0 0\ncpu2 50 0 0 0 0 0 0 0\n"
    assert busy_seconds(text, {0}) == pytest.approx((100 + 5 + 20 + 1 + 2 + 3) / HZ)
    assert busy_seconds(text, {0, 1}) == pytest.approx((131 + 7) / HZ)
    assert busy_seconds(text, None) == pytest.approx((131 + 7 + 50) / HZ)


class Fake:
    """A machine of two cores whose clock, /proc/stat and own CPU time the test moves by hand."""

    def __init__(self):
        self.t, self.own = 100.0, 0.0
        self.ticks = {0: [0, 0], 1: [0, 0]}

    def stat(self):
        return stat_text({c: (b, i) for c, (b, i) in self.ticks.items()})

    def advance(self, seconds: float, others_busy: float = 0.0, own_busy: float = 0.0):
        """*seconds* pass; other processes keep *others_busy* cores busy, this one *own_busy*."""
        busy = (others_busy + own_busy) * seconds * HZ
        for c in self.ticks:
            self.ticks[c][0] += round(busy / 2)
            self.ticks[c][1] += round(seconds * HZ - busy / 2)
        self.t += seconds
        self.own += own_busy * seconds

    def cores(self):
        return FreeCores(read_stat=self.stat, clock=lambda: self.t, own_cpu=lambda: self.own, cpus={0, 1})


def test_one_core_busy_elsewhere_leaves_one_thread():
    m = Fake()
    fc = m.cores()
    m.advance(2.0, others_busy=1.0)
    assert fc.threads(2) == 1


def test_this_process_own_work_does_not_count_against_it():
    m = Fake()
    fc = m.cores()
    m.advance(2.0, own_busy=2.0)  # the last answer's two threads
    assert fc.threads(2) == 2
    m.advance(2.0, others_busy=0.2, own_busy=1.5)  # a light editor beside it
    assert fc.threads(2) == 2


def test_a_short_window_keeps_the_last_answer_and_a_long_one_updates_it():
    m = Fake()
    fc = m.cores()
    m.advance(1.0, others_busy=1.0)
    assert fc.threads(2) == 1
    m.advance(0.1, others_busy=0.0)  # too short to tell: the answer stays
    assert fc.threads(2) == 1
    m.advance(1.0, others_busy=0.0)  # the busy process has stopped
    assert fc.threads(2) == 2
    m.advance(3.0, others_busy=2.0)
    assert fc.threads(4) == 1  # never fewer than one


def test_before_any_window_or_without_proc_stat_every_thread_is_used():
    m = Fake()
    assert m.cores().threads(2) == 2  # nothing measured yet

    def unreadable():
        raise OSError("no /proc/stat here")

    fc = FreeCores(read_stat=unreadable, cpus={0, 1})
    time.sleep(0.01)
    assert fc.threads(3) == 3


def test_a_real_process_spinning_on_the_watched_core_leaves_it_no_free_core(spinning_core):
    fc = FreeCores(cpus={spinning_core})
    time.sleep(free_cores.MIN_WINDOW_S + 0.3)
    assert fc.free() < 0.3
    assert fc.threads(2) == 1


def test_core_count_is_the_affinity_mask_else_the_machine_count(monkeypatch):
    assert free_cores.core_count({0, 3, 5}) == 3
    monkeypatch.setattr(free_cores, "usable_cpus", lambda: None)  # a system without affinity masks
    monkeypatch.setattr(free_cores.os, "cpu_count", lambda: 6)
    assert free_cores.core_count() == 6
    monkeypatch.setattr(free_cores.os, "cpu_count", lambda: None)
    assert free_cores.core_count() == 1
