"""Benchmark: health sweeps of one room or of two rooms at once (what `labctl status -i A
-i B` and a console a room do), three ways side by side in one run.

    .venv/bin/python bench/health.py [--sizes 12 60] [--rooms 1|2] [--sweeps 10]  (as root)

For each size it boots a generated room of N terminals (plus the server); with --rooms 2
a second one beside it, on a subnet and bridge of its own, and every sweep takes both
rooms at once (core.status.sweep_rooms, as `labctl status` does). It then runs
`--sweeps` sweeps of each kind at the console's 2 s refresh, one kind after the other,
each on a quiet machine:

- agent: labctl's pool, one connection a seat kept open and on it the probe agent
  (health.AGENT): one line sent and one answer read a probe;
- shell: the same connections, a new command (the shell probe, health.PROBE) a probe;
- new connection: a new SSH connection a seat a probe.

Each kind starts once the machine is quiet (the seats' boot, the last kind's probes
done); what it still spends with nobody polling is measured first and left out of the
seats' figure.

It prints per-seat probe latency (p50, p95), the wall time of a sweep, the admin host's
CPU a sweep (the sweep and the status views built from it, audit store included: what
`labctl status --watch` and the console spend each refresh, less drawing) and its share
of one core at a 2 s refresh, and the seats' CPU a probe (the
machine's CPU during the sweeps less the admin host's, by probe). The model of a real
room: there each seat has its own CPU, so the seats' share is spent in parallel and only
the admin host's share of its own core limits how many seats one console can watch at a
2 s refresh (the last line). The rooms are torn down afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _room import cpu_now  # noqa: E402

from labctl.core import paths, status  # noqa: E402
from labctl.core.inventory import load_room  # noqa: E402
from labctl.core.pool import Pool  # noqa: E402
from labctl.vlab.generate import generated_room  # noqa: E402
from labctl.vlab.room import VirtualRoom  # noqa: E402

REFRESH = 2.0
KINDS = {"agent": {}, "shell": {"agent": False}, "new connection": {"persistent": False}}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def settle(limit: float = 300.0, window: float = 5.0) -> float:
    """Wait until the machine is quiet (the seats' boot done: under a quarter of one core
    busy over `window` seconds, or `limit` seconds passed); the CPU-seconds a second the
    machine still spends with nobody polling, which the sweeps' figures leave out."""
    start = time.monotonic()
    while True:
        before = cpu_now()[0]
        time.sleep(window)
        rate = (cpu_now()[0] - before) / window
        if rate < 0.25 or time.monotonic() - start > limit:
            return rate


def measure(rooms, sweeps: int) -> dict:
    """Each kind in turn: its pools opened on a quiet machine, a warm-up sweep (connections
    and agents start), `sweeps` measured sweeps of all its rooms at once, its pools closed.
    One kind at a time: a kind's probes that outlive their sweep's deadline (a new
    connection a probe, at 122 seats) would otherwise run on into the next kind's sweeps."""
    got = {}
    for name, options in KINDS.items():
        background = settle()
        pools = [Pool(room, timeout=3.0, **options) for room in rooms]
        g = {"latencies": [], "walls": [], "cpus": [], "seats": [], "bad": 0,
             "background": background}
        try:
            status.sweep_rooms([p.sweep for p in pools])
            for _ in range(sweeps):
                before, t0 = cpu_now(), time.monotonic()
                results = status.sweep_rooms([p.sweep for p in pools])
                for pool, healths in zip(pools, results):  # what status shows: + the audit store
                    status.views(pool.room, healths)
                wall = time.monotonic() - t0
                g["walls"].append(wall)
                (machine, own) = (b - a for a, b in zip(before, cpu_now()))
                probes = sum(len(r) for r in results)
                g["cpus"].append(own)
                g["seats"].append(max(0.0, machine - own - background * wall) / max(probes, 1))
                for result in results:
                    g["latencies"] += [h.latency for h in result.values() if h.latency is not None]
                    g["bad"] += sum(h.state != "online" for h in result.values())
                    for h in result.values():
                        if h.state != "online":
                            g.setdefault("why", {}).setdefault(h.error[:80], 0)
                            g["why"][h.error[:80]] += 1
                time.sleep(max(0.0, REFRESH - wall))  # the console's refresh
        finally:
            for pool in pools:
                pool.close()
        got[name] = {"p50": pct(g["latencies"], 0.5), "p95": pct(g["latencies"], 0.95),
                     "wall": statistics.median(g["walls"]), "cpu": statistics.median(g["cpus"]),
                     "seat": statistics.median(g["seats"]), "bad": g["bad"],
                     "background": background,
                     "why": sorted(g.get("why", {}).items(), key=lambda kv: -kv[1])[:3]}
    return got


def second_base(base, tmp: Path):
    """The demo inventory as another room: its own name, subnet and bridge."""
    out = tmp / "demob"
    shutil.copytree(base.inventory, out)
    password = paths.vault_password_file(base.inventory)
    if password is not None:
        (tmp / "demob.vault-pass").symlink_to(password.resolve())
    net = str(base.subnet.network_address).rsplit(".", 2)[0]  # 10.77
    other = f"{net.split('.')[0]}.{(int(net.split('.')[1]) + 100) % 256}"  # not the test room's
    for f in out.rglob("*.yml"):
        f.write_text(f.read_text().replace(f"lab_room_name: {base.name}", "lab_room_name: demob")
                     .replace(f"{net}.", f"{other}."))
    return load_room(out)


def bench(bases, n: int, sweeps: int) -> None:
    rooms = [generated_room(base, n) for base in bases]
    vrooms = [VirtualRoom(room, progress=lambda *_: None) for room in rooms]
    for vroom in vrooms:
        vroom.down(purge=True)
    try:
        for vroom in vrooms:
            statuses = vroom.up(wait=600)
            assert all(s.state == "running" for s in statuses), f"{vroom.room.name} did not come up"
        results = measure(rooms, sweeps)
        seats = sum(len(room.seats) for room in rooms)
        print(f"\n{seats} seats ({len(rooms)} room(s) of {n} terminals + server, swept at once), "
              f"{sweeps} sweeps each kind:")
        print("  machine busy with nobody polling (left out of the seats' figure): "
              + ", ".join(f"{r['background']:.2f} cores before {name}" for name, r in results.items()))
        print(f"  {'':16} {'p50 ms':>8} {'p95 ms':>8} {'sweep ms':>9} {'admin CPU s':>12} "
              f"{'% core @2s':>11} {'seat ms/probe':>14} {'not online':>10}")
        for name, r in results.items():
            print(f"  {name:16} {r['p50'] * 1000:8.0f} {r['p95'] * 1000:8.0f} {r['wall'] * 1000:9.0f} "
                  f"{r['cpu']:12.3f} {100 * r['cpu'] / REFRESH:10.1f}% {r['seat'] * 1000:14.1f} "
                  f"{r['bad']:10}")
            for why, count in r["why"]:
                print(f"  {'':16} not online {count}x: {why}")
        a = results["agent"]
        for name in ("shell", "new connection"):
            r = results[name]
            print(f"  ratio ({name} / agent): p95 {r['p95'] / a['p95']:.1f}x, admin CPU "
                  f"{r['cpu'] / max(a['cpu'], 1e-6):.1f}x, seat CPU {r['seat'] / max(a['seat'], 1e-6):.1f}x")
        per_seat = a["cpu"] / seats
        print(f"  a real room (each seat its own CPU): the admin host spends {per_seat * 1000:.1f} ms "
              f"a seat a sweep, {100 * per_seat / REFRESH:.3f}% of a core a seat at a {REFRESH:g} s "
              f"refresh: one core watches ~{int(REFRESH / per_seat)} seats; a seat spends "
              f"{a['seat'] * 1000:.1f} ms a probe ({100 * a['seat'] / REFRESH:.2f}% of its CPU)")
    finally:
        for vroom in vrooms:
            vroom.down(purge=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 60])
    parser.add_argument("--rooms", type=int, choices=(1, 2), default=1)
    parser.add_argument("--sweeps", type=int, default=10)
    args = parser.parse_args()
    base = load_room(paths.DEFAULT_INVENTORY)
    with tempfile.TemporaryDirectory(prefix="labctl-bench-") as tmp:
        bases = [base] + ([second_base(base, Path(tmp))] if args.rooms == 2 else [])
        for n in args.sizes:
            bench(bases, n, args.sweeps)


if __name__ == "__main__":
    main()
