"""Benchmark: wall time to reset 12 and 60 seats, per method.

    .venv/bin/python bench/reset.py [--sizes 12 60] [--methods profile] [--keep | --reuse]  (as root)

For each size it boots and provisions a generated room, plants a student's work on
every terminal (files in home and /tmp, a crontab, a dropped table), then times
`reset_seats` over every terminal with the profile method and then with
reboot-restore, in the same run, and prints the wall time, the slowest seat and
how many seats were verified clean.
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


def plant(room, seats) -> None:
    connector = Connector(user=room.vars.get("ansible_user", "labadmin"))

    def one(seat):
        client = connector.connect(seat.name, str(seat.ip))
        try:
            assert run(client, PLANT).ok, seat.name
        finally:
            client.close()
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(one, seats))


def measure(room, vroom, n: int, args) -> None:
    for method in args.methods:
        seats = [dataclasses.replace(s, reset_method=method) for s in room.terminals]
        for seat in seats:  # the seat's runner discards its writes at a reboot, or not
            vroom.set_reset_method(seat, method)
        plant(room, seats)
        t0, cpu0 = time.monotonic(), cpu_now()
        results = reset_seats(room, seats, force=True, action="bench-reset")
        wall = time.monotonic() - t0
        ok = sum(r.outcome == "ok" for r in results)
        print(f"  {method:15} {wall:6.1f} s for {len(seats)} seats  (slowest seat "
              f"{max(r.seconds for r in results):.1f} s, median "
              f"{statistics.median(r.seconds for r in results):.1f} s); {ok} verified clean\n"
              f"  {'':15} {cpu_split(cpu0, wall, len(seats), 'seat')}", flush=True)
        bad = [f"{r.seat}: {r.reason}" for r in results if r.outcome != "ok"][:3]
        if bad:
            print("    " + "\n    ".join(bad))


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    each_room(measure, parser)
