"""Benchmark: the time of a full compliance check (`labctl check`) of 12 and 60 seats.

    .venv/bin/python bench/check.py [--sizes 12 60] [--keep | --reuse]  (as root)

For each size it boots and provisions a generated room (cached layers make repeats
fast), then times a full check with labctl's defaults (pytest-xdist workers, one
seat's controls on one worker) and, side by side on the 12-seat room, the same suite
run serially as plain testinfra (one worker), and prints both and their ratio.
Nothing is recorded in the audit log. `--keep` leaves the room up.
"""

from __future__ import annotations

import time

from _room import cpu_now, cpu_split, each_room

from labctl.core.check import run_check


def measure(room, vroom, n: int, args) -> None:
    runs = {"labctl check (parallel)": None}
    if n <= 12:
        runs["plain testinfra (1 worker)"] = 1
    figures = {}
    for name, workers in runs.items():
        t0, cpu0 = time.monotonic(), cpu_now()
        report = run_check(room, workers=workers, record=False)
        figures[name] = time.monotonic() - t0
        print(f"  {name:28} {figures[name]:6.1f} s  {len(report.results)} results, "
              f"{len(report.failures)} failed, {len(room.seats)} seats\n"
              f"    {cpu_split(cpu0, figures[name], len(room.seats), 'seat', parallel=workers != 1)}",
              flush=True)
        costs: dict[str, float] = {}
        for r in report.results:
            costs[r.control] = costs.get(r.control, 0.0) + r.seconds
        total = sum(costs.values()) or 1.0
        print("    where the seats' time goes: " + ", ".join(
            f"{c} {t / total:.0%}" for c, t in sorted(costs.items(), key=lambda kv: -kv[1])[:5]))
    if len(figures) == 2:
        a, b = figures.values()
        print(f"  ratio serial / parallel: {b / a:.1f}x")


if __name__ == "__main__":
    each_room(measure)
