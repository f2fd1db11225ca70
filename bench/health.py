"""Benchmark: one health sweep of a room, with persistent connections against a new SSH
connection per poll, side by side in one run.

    .venv/bin/python bench/health.py [--sizes 12 60] [--sweeps 10]  (as root)

For each size it boots a generated room of N terminals (plus the server), then runs
`--sweeps` sweeps with labctl's pool (one connection per seat kept open) and as many
with a new connection per seat per poll, alternating sweep by sweep (which kind goes
first changes every round), and prints per-seat probe
latency (p50, p95), the wall time of a sweep, and the controller's CPU per sweep as a
share of one core at a 2 s refresh. The room is torn down afterwards.
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
from labctl.core.pool import Pool  # noqa: E402
from labctl.vlab.generate import generated_room  # noqa: E402
from labctl.vlab.room import VirtualRoom  # noqa: E402

REFRESH = 2.0


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(pools: dict[str, Pool], sweeps: int) -> dict:
    """Sweeps of each pool, taken in turn (the first pool of a round changes every round),
    so that neither kind always runs on a machine the other has just warmed or loaded."""
    me = psutil.Process()
    got = {name: {"latencies": [], "walls": [], "cpus": [], "bad": 0} for name in pools}
    for pool in pools.values():
        pool.sweep()  # warm-up: the persistent pool opens its connections here
    order = list(pools)
    for i in range(sweeps):
        for name in (order if i % 2 == 0 else order[::-1]):
            g = got[name]
            cpu0, t0 = sum(me.cpu_times()[:2]), time.monotonic()
            result = pools[name].sweep()
            g["walls"].append(time.monotonic() - t0)
            g["cpus"].append(sum(me.cpu_times()[:2]) - cpu0)
            g["latencies"] += [h.latency for h in result.values() if h.latency is not None]
            g["bad"] += sum(h.state != "online" for h in result.values())
            time.sleep(0.2)
    return {name: {"p50": pct(g["latencies"], 0.5), "p95": pct(g["latencies"], 0.95),
                   "wall": statistics.median(g["walls"]), "cpu": statistics.median(g["cpus"]),
                   "bad": g["bad"]} for name, g in got.items()}


def bench(base, n: int, sweeps: int) -> None:
    room = generated_room(base, n)
    vroom = VirtualRoom(room, progress=lambda *_: None)
    vroom.down(purge=True)
    try:
        statuses = vroom.up(wait=300)
        assert all(s.state == "running" for s in statuses), "the room did not come up"
        time.sleep(3)
        persistent, fresh = Pool(room, timeout=3.0), Pool(room, timeout=3.0, persistent=False)
        try:
            results = measure({"persistent": persistent, "new connection": fresh}, sweeps)
        finally:
            persistent.close()
            fresh.close()
        print(f"\n{len(room.seats)} seats ({n} terminals + server), {sweeps} sweeps each:")
        print(f"  {'':16} {'p50 ms':>8} {'p95 ms':>8} {'sweep ms':>9} {'CPU s/sweep':>12} "
              f"{'% core @2s':>11} {'not online':>10}")
        for name, r in results.items():
            print(f"  {name:16} {r['p50'] * 1000:8.0f} {r['p95'] * 1000:8.0f} {r['wall'] * 1000:9.0f} "
                  f"{r['cpu']:12.3f} {100 * r['cpu'] / REFRESH:10.1f}% {r['bad']:10}")
        p, f = results["persistent"], results["new connection"]
        print(f"  ratio (new / persistent): p95 {f['p95'] / p['p95']:.1f}x, "
              f"CPU {f['cpu'] / max(p['cpu'], 1e-6):.1f}x")
    finally:
        vroom.down(purge=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 60])
    parser.add_argument("--sweeps", type=int, default=10)
    args = parser.parse_args()
    base = load_room(paths.DEFAULT_INVENTORY)
    for n in args.sizes:
        bench(base, n, args.sweeps)


if __name__ == "__main__":
    main()
