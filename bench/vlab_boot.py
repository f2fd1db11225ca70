"""Benchmark: seconds until every seat of a virtual room answers SSH, and memory per seat.

    .venv/bin/python bench/vlab_boot.py [--sizes 12 60]  (as root)

For each size it brings up a generated room of N terminals (plus the server),
times `up` until every seat answers SSH with its login banner, measures the
memory of each seat (the runner, systemd-nspawn and every process inside the
container: proportional set size, so shared pages are split fairly), then tears
the room down and times that too. The golden image must exist already (any
`labctl vlab up` builds it); its build is not part of the boot time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labctl.core import paths  # noqa: E402
from labctl.core.inventory import load_room  # noqa: E402
from labctl.vlab.generate import generated_room  # noqa: E402
from labctl.vlab.room import VirtualRoom  # noqa: E402


def seat_memory(vroom: VirtualRoom, seat) -> float:
    """PSS in MiB of the seat's runner, its nspawn, and everything inside the container."""
    pids = set(vroom.pids([seat]))
    runner = int((vroom.seat_dir(seat) / "runner.pid").read_text())
    pids.add(runner)
    pids.update(p.pid for p in psutil.Process(runner).children(recursive=True))
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_full_info().pss
        except psutil.Error:
            pass
    return total / 2**20


def bench(base, n: int) -> dict:
    room = generated_room(base, n)
    vroom = VirtualRoom(room, progress=lambda *_: None)
    vroom.down(purge=True)
    t0 = time.monotonic()
    statuses = vroom.up(wait=300)
    boot = time.monotonic() - t0
    ready = sum(s.state == "running" for s in statuses)
    time.sleep(2)  # let the seats settle before measuring memory
    memory = [seat_memory(vroom, s) for s in room.seats]
    host_used = psutil.virtual_memory().used / 2**20
    t0 = time.monotonic()
    vroom.down(purge=True)
    down = time.monotonic() - t0
    left = vroom.leftovers()
    return {"n": n, "seats": len(room.seats), "ready": ready, "boot": boot,
            "mem_median": statistics.median(memory), "mem_max": max(memory),
            "host_used": host_used, "down": down, "left": len(left)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 60])
    parser.add_argument("-i", "--inventory", default=str(paths.DEFAULT_INVENTORY))
    args = parser.parse_args()
    base = load_room(args.inventory)
    print(f"{'terminals':>9} {'seats':>5} {'ready':>5} {'boot s':>7} {'s/seat':>7} "
          f"{'MiB/seat':>8} {'max MiB':>7} {'down s':>6} {'left':>4}")
    rows = []
    for n in args.sizes:
        r = bench(base, n)
        rows.append(r)
        print(f"{r['n']:>9} {r['seats']:>5} {r['ready']:>5} {r['boot']:>7.1f} "
              f"{r['boot'] / r['seats']:>7.2f} {r['mem_median']:>8.1f} {r['mem_max']:>7.1f} "
              f"{r['down']:>6.1f} {r['left']:>4}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"ratio {b['seats']}/{a['seats']} seats: boot time x{b['boot'] / a['boot']:.1f} "
              f"for x{b['seats'] / a['seats']:.1f} the seats")
    print("goal: 60 terminals SSH-ready in <= 30 s on 2 cores")
    return 0 if all(r["ready"] == r["seats"] and r["left"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
