"""Benchmark: health sweeps of one room or of two rooms at once (what `labctl status -i A
-i B` and a console a room do), three ways side by side in one run.

    .venv/bin/python bench/health.py [--sizes 12 60] [--rooms 1|2] [--sweeps 10]  (as root)

For each size it boots a generated room of N terminals (plus the server); with --rooms 2
a second one beside it, on a subnet and bridge of its own, and every sweep takes both
rooms at once (core.status.sweep_rooms, as `labctl status` does). It then runs
`--sweeps` sweeps of each kind, taken in turn (which kind goes first changes every
round):

- agent: labctl's pool, one connection a seat kept open and on it the probe agent
  (health.AGENT): one line sent and one answer read a probe;
- shell: the same connections, a new command (the shell probe, health.PROBE) a probe;
- new connection: a new SSH connection a seat a probe.

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


def measure(kinds: dict[str, list[Pool]], sweeps: int) -> dict:
    """Sweeps of each kind (all its rooms at once), taken in turn."""
    got = {name: {"latencies": [], "walls": [], "cpus": [], "seats": [], "bad": 0}
           for name in kinds}
    for pools in kinds.values():
        status.sweep_rooms([p.sweep for p in pools])  # warm-up: connections and agents start
    order = list(kinds)
    for i in range(sweeps):
        for name in (order if i % 2 == 0 else order[::-1]):
            g = got[name]
            before, t0 = cpu_now(), time.monotonic()
            results = status.sweep_rooms([p.sweep for p in kinds[name]])
            for pool, healths in zip(kinds[name], results):  # what status shows: + the audit store
                status.views(pool.room, healths)
            g["walls"].append(time.monotonic() - t0)
            (machine, own) = (b - a for a, b in zip(before, cpu_now()))
            probes = sum(len(r) for r in results)
            g["cpus"].append(own)
            g["seats"].append((machine - own) / max(probes, 1))
            for result in results:
                g["latencies"] += [h.latency for h in result.values() if h.latency is not None]
                g["bad"] += sum(h.state != "online" for h in result.values())
            time.sleep(0.2)
    return {name: {"p50": pct(g["latencies"], 0.5), "p95": pct(g["latencies"], 0.95),
                   "wall": statistics.median(g["walls"]), "cpu": statistics.median(g["cpus"]),
                   "seat": statistics.median(g["seats"]), "bad": g["bad"]}
            for name, g in got.items()}


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
        time.sleep(3)
        kinds = {name: [Pool(room, timeout=3.0, **options) for room in rooms]
                 for name, options in KINDS.items()}
        try:
            results = measure(kinds, sweeps)
        finally:
            for pools in kinds.values():
                for pool in pools:
                    pool.close()
        seats = sum(len(room.seats) for room in rooms)
        print(f"\n{seats} seats ({len(rooms)} room(s) of {n} terminals + server, swept at once), "
              f"{sweeps} sweeps each kind:")
        print(f"  {'':16} {'p50 ms':>8} {'p95 ms':>8} {'sweep ms':>9} {'admin CPU s':>12} "
              f"{'% core @2s':>11} {'seat ms/probe':>14} {'not online':>10}")
        for name, r in results.items():
            print(f"  {name:16} {r['p50'] * 1000:8.0f} {r['p95'] * 1000:8.0f} {r['wall'] * 1000:9.0f} "
                  f"{r['cpu']:12.3f} {100 * r['cpu'] / REFRESH:10.1f}% {r['seat'] * 1000:14.1f} "
                  f"{r['bad']:10}")
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
