"""The labctl command line. Every command that acts on a room validates its inventory first."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import LabError


def _inventory_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--inventory", default=os.environ.get("LABCTL_INVENTORY",
                                                               str(paths.DEFAULT_INVENTORY)),
                   help="the room's Ansible inventory (default: inventory/demo)")


def _room(args):
    from labctl.core.inventory import load_room
    room = load_room(args.inventory)
    if getattr(args, "seats_n", None):
        from labctl.vlab.generate import generated_room
        room = generated_room(room, args.seats_n)
    return room


def cmd_validate(args) -> int:
    room = _room(args)
    print(f"{args.inventory}: room {room.name}: {len(room.terminals)} terminals, "
          f"{len(room.servers)} server(s), {room.rows} x {room.columns} grid, "
          f"subnet {room.subnet} — valid")
    return 0


def cmd_vlab(args) -> int:
    from labctl.vlab.room import VirtualRoom, status_dicts
    room = _room(args)
    vroom = VirtualRoom(room)
    if args.action == "up":
        statuses = vroom.up(wait=args.timeout)
        bad = [s for s in statuses if s.state != "running"]
        for s in statuses:
            print(f"{s.name:10} {s.ip:15} {s.state}")
        if bad:
            print(f"{len(bad)} seat(s) did not answer SSH: "
                  f"{', '.join(s.name for s in bad)}; see {vroom.dir}/seats/SEAT/console.log",
                  file=sys.stderr)
            return 1
        print(f"room {room.name}: {len(statuses)} seats up on bridge {vroom.bridge}; "
              f"inventory {room.inventory}")
        if args.provision:
            from labctl.core import mirror
            from labctl.vlab.provision import provision
            mirror.dotnet()
            result = provision(vroom)
            print(f"room {room.name}: provisioned; site.yml changed {result.changed} task(s)")
        return 0
    if args.action == "down":
        vroom.down(purge=args.purge)
        print(f"room {room.name}: down" + (" and purged" if args.purge else ""))
        return 0
    if args.action == "status":
        statuses = vroom.status()
        if args.json:
            print(json.dumps(status_dicts(statuses), indent=1))
        else:
            for s in statuses:
                print(f"{s.name:10} {s.ip:15} {s.mac:17} {s.state}")
        return 0
    targets = room.select(args.names)
    for seat in targets:
        vroom.start_seat(seat) if args.action == "start" else vroom.stop_seat(seat)
    if args.action == "start":
        for s in vroom.wait_ready(targets, args.timeout):
            print(f"{s.name:10} {s.state}")
    return 0


def cmd_provision(args) -> int:
    from labctl.core.playbook import run_playbook
    room = _room(args)
    result = run_playbook(room.inventory, args.playbook, limit=args.limit, check=args.check,
                          diff=args.diff, on_line=print)
    return 0 if result.succeeded else 1


def cmd_check(args) -> int:
    from labctl.core.check import run_check
    room = _room(args)
    seats = [s for s in room.match(args.limit) if s.is_linux]
    skipped = [s.name for s in room.match(args.limit) if not s.is_linux]
    total = [0]

    def progress(seat, done):
        if not args.json and sys.stderr.isatty():
            print(f"\rchecking {len(seats)} seat(s): {done} controls done", end="",
                  file=sys.stderr, flush=True)
        total[0] = done

    report = run_check(room, seats, junit=Path(args.junit) if args.junit else None,
                       on_progress=progress, workers=args.workers)
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps({"room": room.name, "run_id": report.run_id, "ok": report.ok,
                          "seconds": round(report.seconds, 1),
                          "results": [{"seat": r.seat, "control": r.control, "test": r.test,
                                       "outcome": r.outcome, "seconds": round(r.seconds, 2),
                                       "message": r.message} for r in report.results],
                          "browsers": report.browser_matrix()}, indent=2, ensure_ascii=False))
        return 0 if report.ok else 1
    for seat, results in report.by_seat().items():
        bad = [r for r in results if r.outcome not in ("passed", "skipped")]
        passed = sum(r.outcome == "passed" for r in results)
        mark = "✘" if bad else "✔"
        print(f"{mark} {seat:10} {passed:3} passed  {len(bad):2} failed")
        for r in bad:
            print(f"    {r.control:14} {r.outcome:11} {r.test.split('[')[0]}: {r.message}")
    matrix = report.browser_matrix()
    if matrix:
        print("\nbrowser matrix (engine version, ✘ = does not render the test page):")
        print(f"  {'seat':10} {'blink':24} {'gecko':24} {'webkit':24} trident")
        for seat, engines in matrix.items():
            cells = [(v or "✘")[:24] for v in engines.values()]
            print(f"  {seat:10} {cells[0]:24} {cells[1]:24} {cells[2]:24} n/a (Linux)")
    for name in skipped:
        print(f"- {name:10} not checked: the suite runs on Linux seats (Windows: docs/windows.md)")
    failed = {r.seat for r in report.failures}
    print(f"\nroom {room.name}: {len(report.by_seat()) - len(failed)} of {len(report.by_seat())} "
          f"seats compliant, {len(report.failures)} failed control(s), "
          f"{report.seconds:.1f} s (run {report.run_id})"
          + (f"; JUnit XML: {args.junit}" if args.junit else ""))
    return 0 if report.ok else 1


def cmd_mirror(args) -> int:
    from labctl.core import mirror
    out = mirror.dotnet()
    print(f"mirror: {out}")
    return 0


def _coursedata_reset(args) -> int:
    """Restore each student's database on the chosen terminals from the terminal's template."""
    import shlex

    from labctl.core.fanout import fan_out
    from labctl.core.ssh import Connector
    room = _room(args)
    seats = room.select(args.seats.split(",") if args.seats else None, terminals_only=True)
    students = [s["name"] for s in seats[0].vars.get("lab_common_students", [])] if seats else []
    if not seats or not students:
        print("labctl: no terminals or no students to reset", file=sys.stderr)
        return 2
    loader = "/var/lib/lab-coursedata/coursedata_load.py"
    command = " && ".join(
        f"sudo -n python3 {loader} clone shop_template {shlex.quote(s + '_shop')}" for s in students)
    result = fan_out(Connector(user=room.vars.get("ansible_user", "labadmin")), seats, command,
                     on_result=lambda n, r, e: print(f"{n:10} {'ok' if r and r.ok else 'FAILED'}"))
    for name, why in result.failed.items():
        print(f"{name}: {why}", file=sys.stderr)
    print(f"{len(result.succeeded)} of {len(seats)} terminals reset")
    return 0 if not result.failed else 1


def cmd_coursedata(args) -> int:
    from labctl.coursedata import generate, load
    if args.action == "generate":
        scale = generate.parse_scale(args.scale)
        if args.seed < 0:
            raise generate.CourseDataError(f"seed {args.seed} must be a whole number >= 0")
        manifest = generate.generate(Path(args.out), seed=args.seed, scale=scale, progress=print)
        for name, info in manifest.tables.items():
            print(f"{name:16} {info['rows']:>10,} rows")
        print(f"written to {args.out}")
        return 0
    if args.action == "export":
        from labctl.coursedata.export import export
        print(f"exported to {export(Path(args.data), Path(args.out), args.format)}")
        return 0
    if args.action == "reset":
        return _coursedata_reset(args)
    if args.action == "clone" and not args.target:
        raise generate.CourseDataError("clone needs --target, the student's database "
                                       "(e.g. --target student_shop)")
    try:
        password = Path(args.password_file).read_text().strip() if args.password_file else ""
    except OSError as exc:
        raise generate.CourseDataError(f"--password-file {args.password_file}: {exc.strerror}; "
                                       "give a readable file holding the password") from None
    server = load.Server(host=args.host, port=args.port, user=args.user, password=password,
                         unix_socket=args.socket)
    if args.action == "load":
        counts = load.load(server, Path(args.data), args.database, progress=print)
        print(f"{args.database}: {sum(counts.values()):,} rows in {len(counts)} tables")
        return 0
    seconds = load.clone(server, args.database, args.target)
    print(f"{args.target}: copied from {args.database} in {seconds:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labctl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the room's inventory")
    _inventory_arg(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("vlab", help="the virtual room: seats booted on this machine")
    p.add_argument("action", choices=["up", "down", "status", "start", "stop"])
    p.add_argument("names", nargs="*", help="seats for start/stop")
    _inventory_arg(p)
    p.add_argument("--seats", dest="seats_n", type=int, metavar="N",
                   help="a generated room of N terminals (benchmarks, scale tests)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--purge", action="store_true", help="down: also delete the seats' disks")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for SSH")
    p.add_argument("--provision", action="store_true",
                   help="up: provision the room with the playbooks (terminals from a shared layer)")
    p.set_defaults(func=cmd_vlab)

    p = sub.add_parser("provision", help="run a playbook over the room (default site.yml)")
    _inventory_arg(p)
    p.add_argument("playbook", nargs="?", default="site.yml")
    p.add_argument("--limit")
    p.add_argument("--check", action="store_true")
    p.add_argument("--diff", action="store_true")
    p.set_defaults(func=cmd_provision)

    p = sub.add_parser("coursedata", help="the shop database of the data-analysis courses")
    p.add_argument("action", choices=["generate", "load", "clone", "export", "reset"])
    _inventory_arg(p)
    p.add_argument("--seats", help="reset: comma-separated terminals (default: all)")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--scale", default="standard",
                   help="tiny, small, standard (~100k orders), large, huge, or a number")
    p.add_argument("--out", default="out/coursedata", help="generate: directory; export: file/dir")
    p.add_argument("--data", default="out/coursedata", help="the generated data directory")
    p.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    p.add_argument("--database", default="shop")
    p.add_argument("--target", help="clone: the student's database")
    p.add_argument("--host", default="localhost")
    p.add_argument("--port", type=int, default=3306)
    p.add_argument("--user", default="root")
    p.add_argument("--password-file")
    p.add_argument("--socket")
    p.set_defaults(func=cmd_coursedata)

    p = sub.add_parser("check", help="prove the room meets its specification (testinfra)")
    _inventory_arg(p)
    p.add_argument("--limit", help="seats: names, groups or globs, comma-separated")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--workers", type=int, help="parallel pytest workers (default: by seats)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("mirror", help="fill the admin host's copy of the offline installers")
    p.add_argument("what", choices=["dotnet"])
    p.set_defaults(func=cmd_mirror)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LabError as exc:
        print(f"labctl: {exc}" if not hasattr(exc, "problems") else str(exc), file=sys.stderr)
        if hasattr(exc, "problems"):
            print(f"labctl: {len(exc.problems)} problem(s) in {args.inventory}; nothing was touched",
                  file=sys.stderr)
        return exc.exit_code
    except KeyError as exc:
        print(f"labctl: no such seat: {exc.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
