"""Benchmark: wall time to reset 12 and 60 seats, per method.

    .venv/bin/python bench/reset.py [--sizes 12 60] [--methods profile] [--keep | --reuse]  (as root)

For each size it boots and provisions a generated room, plants a student's work on
every terminal (files in home and /tmp, a crontab, a dropped table), then times
`reset_seats` over every terminal, and prints the wall time, the slowest seat, how
many seats were verified clean and where the CPU went. The profile method is timed
twice, side by side: with each student's next database copy prepared beforehand (as
lab-reset-prepare.timer does during a class; that preparation is timed on its own
first), and with none, so the reset copies the template itself. Then reboot-restore.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from _room import cpu_now, cpu_split, each_room

from labctl.core.reset import METHODS, reset_seats
from labctl.core.ssh import Connector, run

PLANT = ("sudo -u student sh -c 'mkdir -p ~/work && echo x > ~/work/a.sql && echo y > /tmp/m && "
         "echo \"* * * * * true\" | crontab -' && sudo mysql -e 'DROP TABLE IF EXISTS student_shop.after_sales'")


# As lab-reset-prepare.timer does during a class; and the opposite, for the reset without.
PREPARE = "sudo -n /usr/local/sbin/lab-reset prepare"
UNPREPARE = ("sudo -n systemctl stop lab-reset-prepare.timer && sudo -n mysql -N -e 'SHOW DATABASES' "
             "| grep '^_next_' | while read -r db; do sudo -n mysql -e \"DROP DATABASE \\`$db\\`\"; done")


def on_each(room, seats, command) -> float:
    """Run a command on every seat at once; the seconds it took."""
    connector = Connector.for_room(room)

    def one(seat):
        client = connector.connect(seat.name, str(seat.ip))
        try:
            out = run(client, command, timeout=300)
            assert out.ok, f"{seat.name}: {out.stderr or out.stdout}"
        finally:
            client.close()
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, seats))
    return time.monotonic() - t0


def measure(room, vroom, n: int, args) -> None:
    runs = [(m, v) for m in args.methods
            for v in (("prepared", "no prepared copy") if m == "profile" else ("",))]
    for method, variant in runs:
        seats = [dataclasses.replace(s, reset_method=method) for s in room.terminals]
        for seat in seats:  # the seat's runner discards its writes at a reboot, or not
            vroom.set_reset_method(seat, method)
        on_each(room, seats, PLANT)
        if variant:  # no copy left from an earlier run: the preparation timed is a whole one
            on_each(room, seats, UNPREPARE)
        if variant == "prepared":
            t0, cpu0 = time.monotonic(), cpu_now()
            wall = on_each(room, seats, PREPARE)
            print(f"  {'(during class)':26} {wall:6.1f} s to prepare the next copies on "
                  f"{len(seats)} seats\n  {'':26} {cpu_split(cpu0, wall, len(seats), 'seat')}")
        label = f"{method}, {variant}" if variant else method
        t0, cpu0 = time.monotonic(), cpu_now()
        results = reset_seats(room, seats, force=True, action="bench-reset")
        wall = time.monotonic() - t0
        ok = sum(r.outcome == "ok" for r in results)
        print(f"  {label:26} {wall:6.1f} s for {len(seats)} seats  (slowest seat "
              f"{max(r.seconds for r in results):.1f} s, median "
              f"{statistics.median(r.seconds for r in results):.1f} s); {ok} verified clean\n"
              f"  {'':26} {cpu_split(cpu0, wall, len(seats), 'seat')}", flush=True)
        bad = [f"{r.seat}: {r.reason}" for r in results if r.outcome != "ok"][:3]
        if bad:
            print("    " + "\n    ".join(bad))


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    each_room(measure, parser)
