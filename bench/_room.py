"""Shared by the benchmarks: a generated room of N terminals, booted and provisioned, and
where the CPU went while one was measured."""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labctl.core import mirror, paths  # noqa: E402
from labctl.core.inventory import load_room  # noqa: E402
from labctl.vlab.generate import generated_room  # noqa: E402
from labctl.vlab.provision import provision  # noqa: E402
from labctl.vlab.room import VirtualRoom  # noqa: E402


def cpu_now() -> tuple[float, float]:
    """(CPU seconds the whole machine has spent working, all cores; those of this process
    and its finished children): the controller's share is the second, the seats' the rest."""
    t = psutil.cpu_times()
    machine = t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)
    own = sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))
    return machine, own


def cpu_split(before: tuple[float, float], wall: float, per: int, unit: str,
              seats: int | None = None, parallel: bool = True) -> str:
    """Where the CPU went since `before` (from cpu_now()), in all and per `unit` (`per` of
    them), and what a real room would take: there every seat has its own CPU, so the seats'
    share runs in parallel (one seat's CPU; `seats` of them, if the unit is not a seat)
    while the admin host's share is limited by its own cores (this machine's count). A run
    that takes the seats one after another (parallel=False) gets no projection: its seats'
    shares add up there too."""
    machine, own = (b - a for a, b in zip(before, cpu_now()))
    seats_cpu = machine - own
    cores = os.cpu_count() or 1
    one_seat = seats_cpu / max(seats or per, 1)
    real = max(own / cores, one_seat)
    return (f"CPU: admin host {own:.1f} s ({1000 * own / max(per, 1):.0f} ms a {unit}), seats "
            f"{seats_cpu:.1f} s ({1000 * seats_cpu / max(per, 1):.0f} ms a {unit}); "
            f"{machine / wall:.1f} of {cores} cores busy\n"
            + (f"    a real room (each seat its own CPU, the admin host these {cores} cores): "
               f"~{real:.1f} s = max(admin host CPU / {cores} cores, one seat's CPU "
               f"{one_seat:.1f} s)" if parallel else
               "    a real room: no projection (the seats are taken one after another)"))


def provisioned_room(n: int, reuse: bool = False, converge: str = "pull"):
    """(room, vroom, seconds to provision): the demo room generated with N terminals, its
    closing converge pushed or pulled (converge; at 60 seats a push takes Ansible's 60 forks,
    about 10 GB, beside the seats). With reuse, the room a previous benchmark left up
    (--keep) is taken as it is."""
    room = generated_room(load_room(paths.DEFAULT_INVENTORY), n)
    vroom = VirtualRoom(room, progress=lambda *_: None)
    if reuse:
        if not all(s.state == "running" for s in vroom.status()):
            raise SystemExit(f"{room.name}: not up; run once without --reuse (with --keep)")
        return room, vroom, None
    t0 = time.monotonic()
    statuses = vroom.up(wait=300)
    if not all(s.state == "running" for s in statuses):
        raise SystemExit(f"{room.name}: seats did not come up")
    mirror.fill()
    provision(vroom, progress=lambda line: print(f"  [{room.name}] {line}", flush=True),
              mode=converge)
    return room, vroom, time.monotonic() - t0


def each_room(measure, parser=None) -> None:
    """Parse --sizes/--keep/--reuse (and a benchmark's own options, given its parser); for
    each size, measure(room, vroom, n, args) on a provisioned room."""
    import argparse
    parser = parser or argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 60])
    parser.add_argument("--keep", action="store_true", help="leave the room up afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the room a run with --keep left up (implies --keep)")
    parser.add_argument("--converge", choices=("pull", "push"), default="pull",
                        help="how provisioning's closing site.yml reaches the terminals")
    args = parser.parse_args()
    for n in args.sizes:
        room, vroom, setup = provisioned_room(n, args.reuse, args.converge)
        try:
            how = "already up (--reuse)" if setup is None else f"up and provisioned in {setup:.0f} s"
            print(f"\n{room.name}: {len(room.terminals)} terminals + {len(room.servers)} server {how}")
            measure(room, vroom, n, args)
        finally:
            if not (args.keep or args.reuse):
                vroom.down(purge=True)
