"""Benchmark: course data generation and load rates, and resetting 60 students' databases.

    .venv/bin/python bench/coursedata.py [--scale 1] [--students 60]  (as root)

Generates the shop at the given scale (rows/s), loads it into a private MariaDB
server started for the run (rows/s), then resets N students' databases from the
loaded template (`clone`, what `labctl coursedata reset` does per student), and,
side by side, what a reset by reloading the CSV files would cost per student.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labctl.coursedata.generate import generate, parse_scale  # noqa: E402
from labseat.coursedata import clone, load  # noqa: E402
from labctl.coursedata.localdb import private_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="1")
    parser.add_argument("--students", type=int, default=60)
    args = parser.parse_args()
    scale = parse_scale(args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.monotonic()
        manifest = generate(tmp / "shop", seed=2025, scale=scale)
        gen = time.monotonic() - t0
        total = sum(t["rows"] for t in manifest.tables.values())
        orders = manifest.tables["orders"]["rows"]
        print(f"generate: {total:,} rows ({orders:,} orders) in {gen:.1f} s = {total / gen:,.0f} rows/s")
        with private_server(tmp, buffer_pool="1G") as server:
            t0 = time.monotonic()
            load(server, tmp / "shop", "shop")
            loaded = time.monotonic() - t0
            print(f"load:     {total:,} rows in {loaded:.1f} s = {total / loaded:,.0f} rows/s")
            t0 = time.monotonic()
            for n in range(1, args.students + 1):
                clone(server, "shop", f"student{n:02d}_shop")
            cloned = time.monotonic() - t0
            print(f"reset {args.students} students' databases by clone: {cloned:.1f} s "
                  f"({cloned / args.students:.2f} s each)")
            t0 = time.monotonic()
            load(server, tmp / "shop", "student01_shop")
            reload = time.monotonic() - t0
            print(f"reset one by reloading the CSV files: {reload:.2f} s; "
                  f"by regenerating too: {gen + reload:.2f} s; "
                  f"clone is x{(gen + reload) / (cloned / args.students):.1f} faster than regenerating")
            print("note: in the room each terminal resets its own student's database on its own "
                  "MariaDB, in parallel; here all run one after another on one server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
