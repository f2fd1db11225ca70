"""The labctl command line. Every command that acts on a room validates its inventory first."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from labctl import __version__
from labctl.core import paths
from labctl.core.errors import LabError
from labctl.i18n import _, set_lang
from labctl.progress import Bar


def _inventory_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--inventory", default=os.environ.get("LABCTL_INVENTORY",
                                                               str(paths.DEFAULT_INVENTORY)),
                   help=_("the room's Ansible inventory (default: inventory/demo)"))
    p.add_argument("--room", metavar="NAME[,NAME]",
                   help=_("in a campus inventory (several rooms): the room(s) to act on "
                          "(default: every room, for the commands that take several)"))


def _room(args):
    from labctl.core.inventory import load_room
    # a campus's room is validated once, by _each_room, not again by each command
    room = getattr(args, "loaded_room", None) or load_room(args.inventory,
                                                            getattr(args, "room", None))
    if getattr(args, "terminals_n", None):
        from labctl.vlab.generate import generated_room
        room = generated_room(room, args.terminals_n)
    return room


def cmd_validate(args) -> int:
    room = _room(args)
    switch = room.vars.get("lab_switch")
    if args.json:
        print(json.dumps({"inventory": str(args.inventory), "ok": True, "room": room.name,
                          "terminals": len(room.terminals), "servers": len(room.servers),
                          "rows": room.rows, "columns": room.columns, "subnet": str(room.subnet),
                          "switch": switch.get("name") if isinstance(switch, dict) else None,
                          "problems": []}, ensure_ascii=False))
        return 0
    print(_("{path}: room {room}: {terminals} terminals, {servers} server(s), {rows} x {columns} "
            "grid, subnet {subnet} — valid", path=args.inventory, room=room.name,
            terminals=len(room.terminals), servers=len(room.servers), rows=room.rows,
            columns=room.columns, subnet=room.subnet))
    if isinstance(switch, dict):
        print(_("switch {name} ({family}): {vlans} VLANs, uplink port {uplink}",
                name=switch["name"], family=switch["family"], vlans=len(switch["vlans"]),
                uplink=switch["uplink"]["port"]))
    return 0


def cmd_vlab(args) -> int:
    from labctl.vlab.room import VirtualRoom, status_dicts
    room = _room(args)
    vroom = VirtualRoom(room)
    if args.action == "up":
        with Bar(_("seats up"), total=len(room.seats), shown=not args.json) as bar:
            statuses = vroom.up(wait=args.timeout, on_ready=bar)
        bad = [s for s in statuses if s.state != "running"]
        for s in statuses:
            print(f"{s.name:10} {s.ip:15} {_(s.state)}")
        if bad:
            print(_("{n} seat(s) did not answer SSH: {names}; see {dir}/seats/SEAT/console.log",
                    n=len(bad), names=", ".join(s.name for s in bad), dir=vroom.dir),
                  file=sys.stderr)
            return 1
        print(_("room {room}: {n} seats up on bridge {bridge}; inventory {inventory}",
                room=room.name, n=len(statuses), bridge=vroom.bridge, inventory=room.inventory))
        if args.provision:
            from labctl.core import mirror
            from labctl.vlab.provision import provision
            mirror.fill()
            result = provision(vroom)
            print(_("room {room}: provisioned; site.yml changed {n} task(s)", room=room.name,
                    n=result.changed))
        return 0
    if args.action == "down":
        vroom.down(purge=args.purge)
        print(_("room {room}: down and purged", room=room.name) if args.purge
              else _("room {room}: down", room=room.name))
        return 0
    if args.action == "status":
        statuses = vroom.status()
        if args.json:
            print(json.dumps(status_dicts(statuses), indent=1))
        else:
            for s in statuses:
                print(f"{s.name:10} {s.ip:15} {s.mac:17} {_(s.state)}")
        return 0
    targets = room.select(args.names)
    for seat in targets:
        vroom.start_seat(seat) if args.action == "start" else vroom.stop_seat(seat)
    if args.action == "start":
        for s in vroom.wait_ready(targets, args.timeout):
            print(f"{s.name:10} {_(s.state)}")
    return 0


def cmd_provision(args) -> int:
    from labctl.core.provisioning import provision
    room = _room(args)
    with Bar(_("{playbook}: host tasks", playbook=args.playbook), shown=not args.json) as bar:
        result = provision(room, args.playbook, args.limit, check=args.check, diff=args.diff,
                           on_line=None if args.json else print, on_progress=bar, mode=args.mode)
    if args.json:
        print(json.dumps({"room": room.name, "playbook": result.playbook, "ok": result.succeeded,
                          "interrupted": result.interrupted, "changed": result.changed,
                          "hosts": [{"host": host, "ok": r.ok, "changed": r.changed,
                                     "unreachable": r.unreachable, "failed": r.failed,
                                     "skipped": r.skipped, "outcome": result.outcome(host)[0],
                                     "detail": result.outcome(host)[1]}
                                    for host, r in sorted(result.recap.items())]},
                         ensure_ascii=False))
    if result.interrupted:
        print(_("labctl: {playbook} {why}: recorded as failed; run it again",
                playbook=result.playbook, why=result.interrupted), file=sys.stderr)
        return 130 if result.stopped else 1
    return 0 if result.succeeded else 1


def cmd_check(args) -> int:
    from labctl.core.check import run_check
    room = _room(args)
    seats = room.match(args.limit)

    with Bar(_("checking {n} seat(s): controls", n=len(seats)), shown=not args.json) as bar:
        report = run_check(room, seats, junit=Path(args.junit) if args.junit else None,
                           on_progress=lambda seat, done, total: bar(done, total, seat),
                           workers=args.workers)
    if args.json:
        print(json.dumps({"room": room.name, "run_id": report.run_id, "ok": report.ok,
                          "seconds": round(report.seconds, 1),
                          "results": [{"seat": r.seat, "control": r.control, "test": r.test,
                                       "outcome": r.outcome, "seconds": round(r.seconds, 2),
                                       "message": r.message} for r in report.results],
                          "browsers": report.browser_matrix()}, ensure_ascii=False))
        return 0 if report.ok else 1
    for seat, results in report.by_seat().items():
        bad = [r for r in results if r.outcome not in ("passed", "skipped")]
        passed = sum(r.outcome == "passed" for r in results)
        skipped = [r for r in results if r.outcome == "skipped"]
        mark = "✘" if bad else "✔"
        print(f"{mark} {seat:10} " + _("{passed} passed, {failed} failed", passed=passed,
                                        failed=len(bad))
              + ("  " + _("{n} skipped: {controls}", n=len(skipped),
                          controls=", ".join(r.control for r in skipped)) if skipped else ""))
        for r in bad:
            print(f"    {r.control:14} {_(r.outcome):11} {r.test.split('[')[0]}: {r.message}")
    matrix = report.browser_matrix()
    if matrix:
        print("\n" + _("browser matrix (engine version, ✘ = does not render the test page):"))
        _table([[_("seat"), "blink", "gecko", "webkit", "trident"]]
               + [[seat, *((v or "✘")[:24] for v in engines.values()), _("n/a (Linux)")]
                  for seat, engines in matrix.items()], indent=2)
    failed = {r.seat for r in report.failures}
    print("\n" + _("room {room}: {ok} of {total} seats compliant, {failed} failed control(s), "
                   "{seconds} s (run {run})", room=room.name, ok=len(report.by_seat()) - len(failed),
                   total=len(report.by_seat()), failed=len(report.failures),
                   seconds=f"{report.seconds:.1f}", run=report.run_id)
          + ("; " + _("JUnit XML: {path}", path=args.junit) if args.junit else ""))
    return 0 if report.ok else 1


def cmd_console(args) -> int:
    from labctl.core.pool import Pool
    from labctl.core.power import power_states
    from labctl.tui.app import LabConsole
    room = _room(args)
    pool = Pool(room, timeout=args.timeout)
    try:
        LabConsole(room, pool.sweep, power_states(room), interval=args.interval).run()
    finally:
        pool.close()
    return 0


def _chosen(room, args) -> list:
    """The terminals --seats, --row or --all (the default) name; none is refused (exit 2)."""
    from labctl.core.errors import NoSeatChosen
    seats_, row = getattr(args, "seats", None), getattr(args, "row", None)
    if getattr(args, "all", False) or not (seats_ or row):
        chosen = list(room.terminals)
    else:
        chosen = room.select(seats_.split(",") if seats_ else None, row=row, terminals_only=True)
    if not chosen:
        raise NoSeatChosen(_("no terminal matches"))
    return chosen


def cmd_reset(args) -> int:
    from labctl.core.reset import reset
    from labctl.core.timetable import class_over, room_now
    room = _room(args)
    seats = _chosen(room, args)
    if args.maintenance:
        from labctl.core.reset import set_maintenance
        results = set_maintenance(room, seats, args.maintenance == "on")
        for r in results:
            print(f"{r.seat:10} {r.method:15} {_(r.outcome):8} {r.reason}")
        return 0 if all(r.outcome != "failed" for r in results) else 1
    if args.method:
        from dataclasses import replace
        seats = [replace(s, reset_method=args.method) if s.is_linux else s for s in seats]
    now = room_now(room)
    if class_over(room, now) and not args.force and not args.json:  # core.reset's own rule
        print(_("no class in progress at {time} (timetable): logged-in students do not stop "
                "the reset", time=f"{now:%H:%M}"))

    finished = []

    def show(r):
        finished.append(r)
        bar(len(finished), max(len(seats), len(finished)), r.seat)
        if args.json:
            return
        mark = {"ok": "✔", "refused": "!", "skipped": "-"}.get(r.outcome, "✘")
        print(f"{mark} {r.seat:10} {r.method:15} {_(r.outcome):8} {r.seconds:6.1f} s  {r.reason}",
              flush=True)

    def confirm(refused) -> bool:
        if args.json or not sys.stdin.isatty():
            return False
        names = [r.seat for r in refused]
        answer = input(_("{n} seat(s) have a student logged in ({names}): reset them anyway? "
                         "[y/N] ", n=len(names), names=", ".join(names)))
        return answer.strip().lower() in ("y", "yes", "是")

    with Bar(_("resetting"), total=len(seats), shown=not args.json) as bar:
        results = reset(room, seats, confirm=lambda refused: bar.paused(confirm, refused),
                        force=args.force, on_result=show)
    if args.json:
        print(json.dumps({"room": room.name, "ok": all(r.outcome in ("ok", "skipped") for r in results),
                          "results": [{"seat": r.seat, "method": r.method, "outcome": r.outcome,
                                       "seconds": round(r.seconds, 1), "reason": r.reason,
                                       "advice": r.advice, "sessions": r.sessions}
                                      for r in results]}, ensure_ascii=False))
        return 0 if all(r.outcome in ("ok", "skipped") for r in results) else 1
    counts = {k: sum(r.outcome == k for r in results) for k in ("ok", "failed", "refused")}
    print(_("room {room}: ", room=room.name)
          + _("{n} of {total} seats reset and verified", n=counts["ok"], total=len(results))
          + (", " + _("{n} failed", n=counts["failed"]) if counts["failed"] else "")
          + (", " + _("{n} refused: a student is logged in (--force)", n=counts["refused"])
             if counts["refused"] else ""))
    advice: dict[str, list[str]] = {}
    for r in results:
        if r.outcome == "failed" and r.advice:
            advice.setdefault(r.advice, []).append(r.seat)
    for text, names in advice.items():  # advice that fits each failure, not one for all
        print(f"  {', '.join(names)}: {_(text)}")
    return 0 if counts["ok"] == len([r for r in results if r.outcome != "skipped"]) else 1


def cmd_power(args) -> int:
    """reboot, shutdown, wake: core.power's action; reboot and shutdown are asked first."""
    from labctl.core import power
    room = _room(args)
    seats = _chosen(room, args)
    names = ", ".join(s.name for s in seats) if len(seats) <= 6 else _("{n} seat(s)", n=len(seats))
    if args.command != "wake" and not args.yes:
        if args.json or not sys.stdin.isatty():
            from labctl.core.errors import NotConfirmed
            raise NotConfirmed(_("{action} of {names} not confirmed: add --yes",
                                 action=_(args.command), names=names))
        question = {"reboot": _("Reboot {target}?", target=names),
                    "shutdown": _("Shut down {target}? Students get a warning first.",
                                  target=names)}[args.command]
        if input(question + " [y/N] ").strip().lower() not in ("y", "yes", "是"):
            return 1

    def show(r) -> None:
        if not args.json:
            mark = {"ok": "✔", "skipped": "-"}.get(r.outcome, "✘")
            print(f"{mark} {r.seat:10} {_(r.outcome):8} {r.reason}", flush=True)

    results = power.power(room, seats, args.command, on_result=show)
    ok = all(r.outcome in ("ok", "skipped") for r in results)
    if args.json:
        print(json.dumps({"room": room.name, "action": args.command, "ok": ok,
                          "results": [{"seat": r.seat, "outcome": r.outcome,
                                       "seconds": round(r.seconds, 1), "reason": r.reason}
                                      for r in results]}, ensure_ascii=False))
    return 0 if ok else 1


def cmd_screens(args) -> int:
    """The students' screens through Veyon (core.veyon): lock, unlock, message, shot; the
    room's Veyon key and Veyon Master's configuration (keygen, export)."""
    from labctl.core import veyon
    if args.action == "keygen":  # no room needed: a key for the technician's vault
        print(_("# add to the room's vault (ansible-vault edit …/vault.yml):"))
        lines = ["vault_lab_veyon_private_key: |"] + [
            f"  {line}" for line in veyon.make_key().strip().splitlines()]
        print("\n".join(lines))
        return 0
    room = _room(args)
    if args.action == "export":
        text = json.dumps(veyon.master_config(room), indent=2, ensure_ascii=False) + "\n"
        if args.out:
            Path(args.out).write_text(text)
            print(_("Veyon Master's configuration for room {room} written to {path}: import it "
                    "with `veyon-cli config import {path}`", room=room.name, path=args.out))
        else:
            print(text, end="")
        return 0
    seats = _chosen(room, args)
    results = veyon.act(room, seats, args.action, args.text, timeout=args.timeout)
    ok = all(r.outcome in ("ok", "skipped") for r in results)
    if args.json:
        print(json.dumps({"room": room.name, "action": args.action, "ok": ok,
                          "results": [{"seat": r.seat, "outcome": r.outcome, "reason": r.reason,
                                       "seconds": round(r.seconds, 1), "path": r.path}
                                      for r in results]}, ensure_ascii=False))
        return 0 if ok else 1
    for r in results:
        mark = {"ok": "✔", "skipped": "-"}.get(r.outcome, "✘")
        print(f"{mark} {r.seat:10} {_(r.outcome):8} {r.seconds:5.1f} s  {r.path or r.reason}")
    return 0 if ok else 1


def cmd_projector(args) -> int:
    """The room's projectors (core.projector): status, or an action on each of them."""
    from labctl.core import projector
    room = _room(args)
    names = args.name.split(",") if args.name else None
    if args.action == "status":
        states = projector.status(room, names, timeout=args.timeout)
        if args.json:
            print(json.dumps({"room": room.name, "ok": all(s.outcome == "ok" for s in states),
                              "projectors": [vars(s) for s in states]}, ensure_ascii=False))
        for s in states if not args.json else []:
            if s.outcome != "ok":
                print(f"✘ {s.name:8} {s.address:15} {_('failed')}: {s.reason}")
                continue
            print(f"{'!' if s.alarms else '✔'} {s.name:8} {s.address:15} {_(s.power)} "
                  + (f"{s.input} " if s.input else "") + (_("muted") + " " if s.muted else "")
                  + _("lamp {hours} h", hours="/".join(map(str, s.lamp_hours)) or "-")
                  + (f"  {', '.join(s.alarms)}" if s.alarms else ""))
        if not states:
            print(_("room {room} has no projector (lab_projectors)", room=room.name))
        return 0 if all(s.outcome == "ok" and not s.alarms for s in states) else 1
    results = projector.act(room, args.action, args.value, names, timeout=args.timeout)
    if args.json:
        print(json.dumps({"room": room.name, "action": args.action,
                          "ok": all(r.outcome == "ok" for r in results),
                          "projectors": [{"name": r.name, "address": r.address,
                                          "outcome": r.outcome, "reason": r.reason}
                                         for r in results]}, ensure_ascii=False))
    for r in results if not args.json else []:
        print(f"{'✔' if r.outcome == 'ok' else '✘'} {r.name:8} {r.address:15} {_(r.outcome)} "
              f"{r.reason}")
    return 0 if all(r.outcome == "ok" for r in results) else 1


def _when(text: str | None, option: str) -> float | None:
    """Epoch seconds from YYYY-MM-DD[THH:MM] (local time) or Nd / Nh (ago)."""
    import datetime as dt
    import re
    import time
    if text is None:
        return None
    m = re.fullmatch(r"(\d+)([dh])", text.strip())
    if m:
        return time.time() - int(m[1]) * (86400 if m[2] == "d" else 3600)
    try:
        return dt.datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise LabError(_("{option} {value!r}: write YYYY-MM-DD, YYYY-MM-DDTHH:MM, or 7d / 12h "
                         "for so long ago", option=option, value=text)) from None


def cmd_room(args) -> int:
    from labctl.core.roominit import init_room
    out = Path(args.out or paths.PROJECT / "inventory" / args.name)
    init_room(args.name, Path(args.seats), args.subnet, out, args.switch_family, args.timezone,
              Path(args.state_dir) if args.state_dir else None)
    room = _room(argparse.Namespace(inventory=str(out)))
    print(_("room {room}: {terminals} terminals, {servers} server(s) written to {path}; its "
            "vault password is in {secret} (root only): keep a copy somewhere safe",
            room=room.name, terminals=len(room.terminals), servers=len(room.servers),
            path=out, secret=paths.vault_password_file(out)))
    print(_("its admin key is {key} and its known_hosts {known} (root only); next: "
            "`labctl enroll -i {path} --all` (docs/real-room.md)", key=room.state.admin_key,
            known=room.state.known_hosts, path=out))
    return 0


def cmd_audit(args) -> int:
    import csv
    import time
    from labctl.core import audit
    from labctl.core.inventory import load_rooms
    rooms = load_rooms(args.inventory, args.room.split(",") if args.room else None)
    since, until = _when(args.since, "--since"), _when(args.until, "--until")
    events = sorted((e for room in rooms  # a campus's rooms: one log, in time order
                     for e in audit.query(room.name, seat=args.seat, action=args.action,
                                          since=since, until=until)), key=lambda e: e.at)
    fields = ["time", "room", "seat", "action", "outcome", "user", "detail"]
    rows = [{"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(e.at)), "room": e.room,
             "seat": e.seat, "action": e.action, "outcome": e.outcome, "user": e.user,
             "detail": e.detail} for e in events]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for r in rows:
            print(f"{r['time']}  {r['seat']:10} {r['action']:18} {_(r['outcome']):8} "
                  f"{r['user']:10} {r['detail'][:80]}")
        print(_("{n} event(s) in room {room}", n=len(rows),
                room=", ".join(room.name for room in rooms)))
    return 0


def _fingerprint_confirmed(new: str) -> bool:
    """The technician's word that `new` is what the seat's own console shows."""
    if not sys.stdin.isatty():
        print(_("no terminal to ask: pass --expect-fingerprint with the fingerprint shown "
                "on the seat's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)"),
              file=sys.stderr)
        return False
    answer = input(_("Is {new} the fingerprint the seat's own console shows? [y/N] ", new=new))
    return answer.strip().lower() in ("y", "yes", "是")


def cmd_enroll(args) -> int:
    import getpass
    from labctl.core.enroll import enroll
    from labctl.core.errors import NoSeatChosen
    room = _room(args)
    if args.all:
        seats = [s for s in room.seats if s.is_linux]
    else:
        seats = [s for s in room.select(args.names) if s.is_linux] if args.names else []
    if not seats:
        raise NoSeatChosen(_("name the Linux seats to enrol (labctl enroll pc01 pc02 ...), "
                             "or --all") if not args.names else
                           _("none of {names} is a Linux seat: a Windows seat's connection is "
                             "set up as docs/windows.md says", names=", ".join(args.names)))
    if args.expect_fingerprint and len(seats) > 1:
        raise LabError(_("--expect-fingerprint names one seat's key: enrol one seat with it"))
    password = None
    if args.installed:
        if args.expect_fingerprint or args.password_stdin:
            raise LabError(_("--installed takes the keys the installer handed over: no "
                             "--expect-fingerprint or password with it"))
    elif args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(_("{user}'s password on the new terminals (not stored): ",
                                     user=room.vars.get("ansible_user", "labadmin")))
    else:
        raise LabError(_("no terminal to ask the password: pass --password-stdin and give it "
                         "on standard input"))

    def confirm(seat, new) -> bool:
        print(_("{seat} ({ip}) offers {new}", seat=seat.name, ip=seat.ip, new=new), flush=True,
              file=sys.stderr if args.json else sys.stdout)  # --json: stdout holds the answer
        return _fingerprint_confirmed(new)

    results = enroll(room, seats, password, confirm, args.expect_fingerprint, args.installed)
    del password
    if args.json:
        print(json.dumps({"room": room.name, "ok": all(r.outcome == "enrolled" for r in results),
                          "results": [{"seat": r.seat, "fingerprint": r.fingerprint,
                                     "outcome": r.outcome, "detail": r.detail}
                                    for r in results]}, indent=1, ensure_ascii=False))
    else:
        for r in results:
            print(f"{r.seat:10} {r.fingerprint or '-':52} {_(r.outcome):8} {r.detail}")
    return 0 if all(r.outcome == "enrolled" for r in results) else 1


def cmd_hostkey(args) -> int:
    from labctl.core import hostkeys
    room = _room(args)
    seat = room.seat(args.seat)
    if args.action == "show":
        old = hostkeys.recorded(seat, room.state.known_hosts)
        print(_("{seat} offers {new}; recorded: {old}", seat=seat.name,
                new=hostkeys.fingerprint(hostkeys.offered(seat)),
                old=", ".join(hostkeys.fingerprint(k) for k in old) or "-"))
        return 0

    def confirm(seat, old, new) -> bool:
        print(_("{seat}: recorded {old}", seat=seat.name, old=", ".join(old) or "-"))
        print(_("{seat}: offered  {new}", seat=seat.name, new=new))
        return args.yes or _fingerprint_confirmed(new)

    change = hostkeys.accept(room, seat, confirm, expect=args.expect_fingerprint)
    print(f"{seat.name}: {_(change.outcome)} — {change.detail}")
    return 0 if change.outcome in ("accepted", "unchanged") else 1


def cmd_schedule(args) -> int:
    from labctl.core import schedule
    room = _room(args)
    if args.action == "install":
        for line in schedule.install(room, Path(sys.executable).parent / "labctl"):
            print(line)
    elif args.action == "remove":
        for line in schedule.remove(room):
            print(line)
    else:
        from labctl.core.timetable import room_now
        runs = schedule.next_runs(room, room_now(room), args.count)
        where = schedule.installed(room)
        print(_("room {room}: {installed}; the next resets:", room=room.name,
                installed=_("installed ({where})", where=where) if where else _("not installed")))
        for at in runs:
            print(f"  {at:%a %Y-%m-%d %H:%M %Z}")
    return 0


def cmd_status(args) -> int:
    """One room, or several (-i more than once: a campus's rooms) in one table or JSON list."""
    import time
    from labctl.core import status
    from labctl.core.pool import Pool
    from labctl.core.power import power_states
    from labctl.core.inventory import load_rooms
    rooms = [room for inv in args.inventory or [os.environ.get("LABCTL_INVENTORY",
                                                              str(paths.DEFAULT_INVENTORY))]
             for room in load_rooms(inv, args.room.split(",") if args.room else None)]
    watched = [(room, Pool(room, timeout=args.timeout), power_states(room)) for room in rooms]
    try:
        while True:
            started = time.monotonic()
            swept = status.sweep_rooms([pool.sweep for _room_, pool, _power in watched])
            views = [(room, v) for (room, _pool, power), healths in zip(watched, swept)
                     for v in status.views(room, healths, power())]
            if args.json:
                print(json.dumps([{"room": room.name, **status.as_dict(v)} for room, v in views],
                                 ensure_ascii=False), flush=True)
            else:
                if args.watch:
                    print("\033[2J\033[H", end="")
                _status_table(views, several=len(rooms) > 1)
            if not args.watch:
                return 0 if all(v.health.state == "online" for _room_, v in views) else 1
            time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0
    finally:
        for _room_, pool, _power in watched:
            pool.close()


def _status_table(views, several: bool) -> None:
    """The status table (core.status.cells), one row a seat (and its room when several)."""
    from labctl.core import status
    rows = [[_(name) for name in (["room"] if several else []) + list(status.COLUMNS)]]
    for room, v in views:
        row = status.cells(v)
        row[2] = _(row[2])
        rows.append(([room.name] if several else []) + row)
    _table(rows, right={i for i, name in enumerate(rows[0])
                        if name in (_("cpu%"), _("mem%"), _("disk%"), _("up"))})
    if any(v.health.host_figures for _room_, v in views):
        print(_("CPU and memory of virtual seats are this machine's (a container's "
                "/proc is the host's)"))


def _table(rows: list[list], indent: int = 0, right: set[int] = frozenset()) -> None:
    """rows[0] is the header. rich lays the columns out: it measures wide (Chinese)
    characters, which padding by hand does not."""
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for i, name in enumerate(rows[0]):
        table.add_column(str(name), no_wrap=i < len(rows[0]) - 1,
                         justify="right" if i in right else "left")
    for row in rows[1:]:
        table.add_row(*(str(cell) for cell in row))
    Console(width=None if sys.stdout.isatty() else 160, markup=False, highlight=False,
            soft_wrap=False).print(Padding(table, (0, 0, 0, indent)) if indent else table)


def cmd_mirror(args) -> int:
    from labctl.core import mirror
    build = {"dotnet": lambda: [mirror.dotnet()], "veyon": lambda: [mirror.veyon()],
             "ansible": lambda: [mirror.ansible()], "all": mirror.fill}[args.what]
    for out in build():
        print(_("mirror: {path}", path=out))
    return 0


def _coursedata_reset(args) -> int:
    """Restore each student's course database on the chosen terminals (core.reset)."""
    from labctl.core.reset import restore_course_databases
    room = _room(args)
    seats = _chosen(room, args)
    finished = []

    def show(r) -> None:
        finished.append(r)
        bar(len(finished), None, r.seat)
        print(f"{'✔' if r.outcome == 'ok' else '-' if r.outcome == 'skipped' else '✘'} "
              f"{r.seat:10} {_(r.outcome):8} {r.reason}", flush=True)

    with Bar(_("restoring the databases"), total=len(seats)) as bar:
        results = restore_course_databases(room, seats, on_result=show)
    ok = sum(r.outcome == "ok" for r in results)
    print(_("{n} of {total} terminals reset", n=ok, total=len(results)))
    return 0 if all(r.outcome in ("ok", "skipped") for r in results) else 1


def cmd_coursedata(args) -> int:
    from labctl.coursedata import generate
    from labseat import coursedata as load
    if args.action == "generate":
        scale = generate.parse_scale(args.scale)
        if args.seed < 0:
            raise generate.CourseDataError(_("seed {seed} must be a whole number >= 0",
                                             seed=args.seed))
        with Bar(_("generating")) as bar:
            manifest = generate.generate(Path(args.out), seed=args.seed, scale=scale,
                                         progress=lambda done, total, part: bar(done, total, part))
        _table([[_("table"), _("rows")]] + [[name, f"{info['rows']:,}"]
                                            for name, info in manifest.tables.items()],
               right={1})
        print(_("written to {path}", path=args.out))
        return 0
    if args.action == "export":
        from labctl.coursedata.export import export
        print(_("exported to {path}", path=export(Path(args.data), Path(args.out), args.format)))
        return 0
    if args.action == "reset":
        return _coursedata_reset(args)
    try:
        password = Path(args.password_file).read_text().strip() if args.password_file else ""
    except OSError as exc:
        raise generate.CourseDataError(_("--password-file {path}: {why}; give a readable file "
                                         "holding the password", path=args.password_file,
                                         why=exc.strerror)) from None
    server = load.Server(host=args.host, port=args.port, user=args.user, password=password,
                         unix_socket=args.socket)
    try:
        if args.action == "load":
            with Bar(_("loading {database}: rows", database=args.database)) as bar:
                counts = load.load(server, Path(args.data), args.database,
                                   progress=lambda done, total, table: bar(done, total, table))
            print(_("{database}: {rows} rows in {n} tables", database=args.database,
                    rows=f"{sum(counts.values()):,}", n=len(counts)))
            return 0
        seconds = load.clone(server, args.database, args.target)
    except load.CourseDataError as exc:  # the seat-side loader's error, as labctl's own
        raise generate.CourseDataError(str(exc)) from None
    print(_("{target}: copied from {database} in {seconds} s", target=args.target,
            database=args.database, seconds=f"{seconds:.1f}"))
    return 0


def _each_room(args) -> int:
    """A command that takes several rooms, over a campus inventory: once per room (those
    --room names, else every room), each as if its inventory were the room's alone; the
    worst exit code. One room's failure does not stop the next."""
    from labctl.core.inventory import load_rooms
    from labctl.core.room import split_limit
    rooms = load_rooms(args.inventory, args.room.split(",") if args.room else None)
    if len(rooms) == 1:
        args.room, args.loaded_room = rooms[0].name, rooms[0]
        return args.func(args)
    # check's --limit and --seats may name seats of several rooms: each room gets its own
    # (provision's --limit is Ansible's pattern, kept inside each room by Ansible itself)
    chosen = {option: split_limit(rooms, getattr(args, option))
              for option in ("limit", "seats") if getattr(args, option, None)
              and not (option == "limit" and args.func is cmd_provision)}
    worst = 0
    for room in rooms:
        mine = {option: split[room.name] for option, split in chosen.items()}
        if any(value is None for value in mine.values()):
            continue  # none of the seats asked for is in this room
        if not getattr(args, "json", False) and getattr(args, "format", "table") == "table":
            print(_("== room {room} ==", room=room.name), flush=True)  # not in JSON, CSV
        try:
            code = args.func(argparse.Namespace(**{**vars(args), **mine, "room": room.name,
                                                   "loaded_room": room}))
        except LabError as exc:
            print(f"labctl: {room.name}: {exc}", file=sys.stderr)
            code = exc.exit_code
        worst = max(worst, code)
    return worst


class _Version(argparse.Action):
    """--version, printed as it is (argparse's own wraps a long project path)."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(_("labctl {version} (project: {path})", version=__version__, path=paths.PROJECT))
        parser.exit()


class _Formatter(argparse.HelpFormatter):
    """argparse's own words (usage, the sections' titles) in the user's language too."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)

    def start_section(self, heading):
        super().start_section(_(heading) if heading else heading)


# argparse's own error messages (Python 3.11's wording), in Simplified Chinese: argparse
# writes them with its own gettext, which has no Chinese catalogue
_ARGPARSE_ZH = [
    (r"argument (\S+): (.*)", lambda m: f"参数 {m[1]}：{_argparse_zh(m[2])}"),
    (r"the following arguments are required: (.*)", lambda m: f"缺少必需的参数：{m[1]}"),
    (r"unrecognized arguments: (.*)", lambda m: f"无法识别的参数：{m[1]}"),
    (r"invalid choice: (.*) \(choose from (.*)\)", lambda m: f"无效的选择：{m[1]}（可选：{m[2]}）"),
    (r"invalid (\w+) value: (.*)", lambda m: f"无效的 {m[1]} 值：{m[2]}"),
    (r"expected one argument", lambda m: "需要一个值"),
    (r"expected at least one argument", lambda m: "至少需要一个值"),
    (r"not allowed with argument (.*)", lambda m: f"不能与参数 {m[1]} 同时使用"),
    (r"one of the arguments (.*) is required", lambda m: f"参数 {m[1]} 中必须给出一个"),
    (r"ambiguous option: (.*) could match (.*)", lambda m: f"有歧义的选项：{m[1]} 可能是 {m[2]}"),
]


def _argparse_zh(message: str) -> str:
    import re
    for pattern, chinese in _ARGPARSE_ZH:
        m = re.fullmatch(pattern, message, re.S)
        if m:
            return chinese(m)
    return message


class _Parser(argparse.ArgumentParser):
    """labctl's parsers (the subcommands' too): help and argparse's words translated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))

    def error(self, message):
        """The usage, then one line naming what is wrong (exit 2), in the user's language."""
        from labctl.i18n import lang
        self.print_usage(sys.stderr)
        if lang() == "zh_CN":
            self.exit(2, f"{self.prog}: 错误：{_argparse_zh(message)}\n")
        self.exit(2, f"{self.prog}: error: {message}\n")


def _early_lang(argv: list[str]) -> str | None:
    """--lang, read before the parser is built: its help is written in that language."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in ("en", "zh_CN") else None
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1] if arg.split("=", 1)[1] in ("en", "zh_CN") else None
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="labctl", description=_(
        "The labctl command line. Every command that acts on a room validates its inventory first."))
    parser.add_argument("--lang", choices=["en", "zh_CN"],
                        help=_("language of labels and messages (default: from the locale)"))
    parser.add_argument("--version", action=_Version, nargs=0,
                        help=_("print labctl's version and the project it runs, and exit"))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help=_("check the room's inventory"))
    _inventory_arg(p)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON (docs/cli.md)"))
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("vlab", help=_("the virtual room: seats booted on this machine"))
    p.add_argument("action", choices=["up", "down", "status", "start", "stop"])
    p.add_argument("names", nargs="*", help=_("seats for start/stop"))
    _inventory_arg(p)
    p.add_argument("--terminals", dest="terminals_n", type=int, metavar="N",
                   help=_("a generated room of N terminals (benchmarks, scale tests); "
                        "--seats always names seats"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--purge", action="store_true", help=_("down: also delete the seats' disks"))
    p.add_argument("--timeout", type=float, default=180.0, help=_("seconds to wait for SSH"))
    p.add_argument("--provision", action="store_true",
                   help=_("up: provision the room with the playbooks (terminals from a shared layer)"))
    p.set_defaults(func=cmd_vlab)

    p = sub.add_parser("provision", help=_("run a playbook over the room (default site.yml)"))
    _inventory_arg(p)
    p.add_argument("playbook", nargs="?", default="site.yml")
    p.add_argument("--limit")
    p.add_argument("--check", action="store_true")
    p.add_argument("--diff", action="store_true")
    p.add_argument("--json", action="store_true",
                   help=_("print each host's result as JSON instead of Ansible's display"))
    how = p.add_mutually_exclusive_group()
    how.add_argument("--pull", dest="mode", action="store_const", const="pull",
                     help=_("the Linux terminals converge themselves from the lab server "
                            "(docs/pull.md); default: the inventory's lab_provision_mode"))
    how.add_argument("--push", dest="mode", action="store_const", const="push",
                     help=_("Ansible on this host reaches every host"))
    p.set_defaults(func=cmd_provision, mode=None)

    p = sub.add_parser("coursedata", help=_("the shop database of the data-analysis courses"))
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def server_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("--database", default="shop", help=_("the course database (default shop)"))
        q.add_argument("--host", default="localhost")
        q.add_argument("--port", type=int, default=3306)
        q.add_argument("--user", default="root")
        q.add_argument("--password-file", help=_("a file holding the MariaDB user's password"))
        q.add_argument("--socket", help=_("MariaDB's unix socket (instead of host and port)"))

    q = actions.add_parser("generate", help=_("write the shop's data, deterministic for a seed"))
    q.add_argument("--seed", type=int, default=2025)
    q.add_argument("--scale", default="standard",
                   help=_("tiny, small, standard (~100k orders), large, huge, or a number"))
    q.add_argument("--out", default="out/coursedata", help=_("the directory to write"))
    q = actions.add_parser("load", help=_("load generated data into a MariaDB database"))
    q.add_argument("--data", default="out/coursedata", help=_("the generated data directory"))
    server_options(q)
    q = actions.add_parser("clone", help=_("copy the course database to a student's database"))
    q.add_argument("--target", required=True, help=_("the student's database, e.g. student_shop"))
    server_options(q)
    q = actions.add_parser("export", help=_("export generated data as xlsx or csv"))
    q.add_argument("--data", default="out/coursedata", help=_("the generated data directory"))
    q.add_argument("--out", default="out/coursedata", help=_("the file or directory to write"))
    q.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    q = actions.add_parser("reset", help=_("restore the students' databases on the terminals"))
    _inventory_arg(q)
    q.add_argument("--seats", help=_("comma-separated terminals (default: all)"))
    p.set_defaults(func=cmd_coursedata)

    p = sub.add_parser("check", help=_("prove the room meets its specification (testinfra)"))
    _inventory_arg(p)
    p.add_argument("--limit", help=_("seats: names, groups or globs, comma-separated"))
    p.add_argument("--junit", metavar="FILE", help=_("write JUnit XML here"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON"))
    p.add_argument("--workers", type=int, help=_("parallel pytest workers (default: by seats)"))
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("status", help=_("the room's health, without a screen"))
    p.add_argument("-i", "--inventory", action="append", metavar="INVENTORY",
                   help=_("a room's inventory; more than once for several rooms "
                        "(default: $LABCTL_INVENTORY, else inventory/demo)"))
    p.add_argument("--room", metavar="NAME[,NAME]",
                   help=_("in a campus inventory: only these rooms (default: every room)"))
    p.add_argument("--json", action="store_true", help=_("one JSON list per sweep"))
    p.add_argument("--watch", action="store_true", help=_("sweep again every --interval seconds"))
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=3.0, help=_("per-seat probe timeout"))
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("console", help=_("the teacher's console: the room map and its actions"))
    _inventory_arg(p)
    p.add_argument("--interval", type=float, default=2.0, help=_("seconds between health polls"))
    p.add_argument("--timeout", type=float, default=3.0, help=_("per-seat probe timeout"))
    p.set_defaults(func=cmd_console)

    def seat_choice(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--seats", help=_("comma-separated terminals"))
        group.add_argument("--row", type=int, help=_("every terminal of this row"))
        group.add_argument("--all", action="store_true", help=_("every terminal (the default)"))

    for action, text in (("reboot", _("reboot terminals")),
                         ("shutdown", _("shut terminals down, the students warned a minute before")),
                         ("wake", _("wake terminals (Wake-on-LAN)"))):
        p = sub.add_parser(action, help=text)
        _inventory_arg(p)
        seat_choice(p)
        if action != "wake":
            p.add_argument("--yes", action="store_true", help=_("do not ask first"))
        p.add_argument("--json", action="store_true", help=_("print the results as JSON (docs/cli.md)"))
        p.set_defaults(func=cmd_power)

    p = sub.add_parser("screens", help=_("the students' screens through Veyon: lock, unlock, "
                                         "message, shot; keygen, export"))
    p.add_argument("action", choices=["lock", "unlock", "message", "shot", "keygen", "export"])
    p.add_argument("text", nargs="?", help=_("message: the text the students see"))
    _inventory_arg(p)
    seat_choice(p)
    p.add_argument("--out", help=_("export: the file to write (default: standard output)"))
    p.add_argument("--timeout", type=float, default=20.0, help=_("seconds a seat may take"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON (docs/cli.md)"))
    p.set_defaults(func=cmd_screens)

    p = sub.add_parser("projector", help=_("the room's projectors (PJLink): status, on, off, input"))
    p.add_argument("action", choices=["status", "on", "off", "input", "mute", "unmute"])
    p.add_argument("value", nargs="?", help=_("input: rgb1, rgb2, video1, hdmi1, hdmi2, network"))
    _inventory_arg(p)
    p.add_argument("--name", help=_("comma-separated projector names (default: all)"))
    p.add_argument("--timeout", type=float, default=3.0, help=_("seconds a projector may take"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON (docs/cli.md)"))
    p.set_defaults(func=cmd_projector)

    p = sub.add_parser("reset", help=_("reset the students' terminals, verified"))
    _inventory_arg(p)
    seat_choice(p)
    p.add_argument("--method", choices=["profile", "reboot-restore"],
                   help=_("instead of each seat's lab_reset_method"))
    p.add_argument("--force", action="store_true", help=_("reset seats with a student logged in"))
    p.add_argument("--maintenance", choices=["on", "off"],
                   help=_("thaw (on) or freeze (off) reboot-to-restore seats instead of resetting"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON (docs/cli.md)"))
    p.set_defaults(func=cmd_reset)

    p = sub.add_parser("room", help=_("a new room: its inventory and secrets from a seat list"))
    rooms = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = rooms.add_parser("init", help=_("write a room's inventory from a CSV or XLSX seat list"))
    q.add_argument("name", help=_("the room's short name, e.g. b305"))
    q.add_argument("--seats", required=True, metavar="FILE",
                   help=_("CSV or XLSX: name, mac, row, column, os, ip (docs/inventory.md)"))
    q.add_argument("--subnet", required=True, help=_("the room's subnet, e.g. 10.20.0.0/24"))
    q.add_argument("--out", help=_("the inventory directory to write (default inventory/NAME)"))
    q.add_argument("--switch-family", default="cisco_ios",
                   choices=["cisco_ios", "huawei_vrp", "h3c_comware"])
    q.add_argument("--timezone", default="Asia/Shanghai")
    q.add_argument("--state-dir", metavar="DIR",
                   help=_("the room's admin key, known_hosts and fact cache, root's alone "
                        "(default /var/lib/labctl/rooms/NAME)"))
    p.set_defaults(func=cmd_room)

    p = sub.add_parser("audit", help=_("list or export the audit log (every action, by whom)"))
    _inventory_arg(p)
    p.add_argument("--seat", help=_("one seat's events"))
    p.add_argument("--action", help=_("one action's events (reset, provision, host key, …)"))
    p.add_argument("--since", metavar="WHEN", help=_("from: YYYY-MM-DD[THH:MM], or 7d / 12h ago"))
    p.add_argument("--until", metavar="WHEN", help=_("before: the same forms"))
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("enroll", help=_("a PC that runs Debian joins the room: its host key "
                                      "confirmed and recorded, the room's admin key installed"))
    _inventory_arg(p)
    p.add_argument("names", nargs="*", metavar="SEAT", help=_("the seats to enrol"))
    p.add_argument("--all", action="store_true", help=_("every Linux seat of the room"))
    p.add_argument("--expect-fingerprint", metavar="SHA256:…",
                   help=_("the host key's fingerprint read off the seat's console (one seat)"))
    p.add_argument("--password-stdin", action="store_true",
                   help=_("read the admin's password from standard input, not the terminal"))
    p.add_argument("--installed", action="store_true",
                   help=_("seats the network install made: their host keys are the ones their "
                        "installer handed over to the lab server (no password)"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON (docs/cli.md)"))
    p.set_defaults(func=cmd_enroll)

    p = sub.add_parser("hostkey", help=_("accept a seat's new SSH host key (a reinstalled PC)"))
    p.add_argument("action", choices=["accept", "show"])
    p.add_argument("seat", help=_("the seat's name"))
    p.add_argument("--expect-fingerprint", metavar="SHA256:…",
                   help=_("the fingerprint read off the seat's own console: no question asked"))
    p.add_argument("--yes", action="store_true", help=_("accept without asking (not recommended)"))
    _inventory_arg(p)
    p.set_defaults(func=cmd_hostkey)

    p = sub.add_parser("schedule", help=_("reset the room at the end of each class period"))
    p.add_argument("action", choices=["install", "show", "remove"])
    _inventory_arg(p)
    p.add_argument("--count", type=int, default=5, help=_("show: how many runs"))
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("mirror", help=_("fill the admin host's copy of the offline installers"))
    p.add_argument("what", nargs="?", default="all", choices=["all", "dotnet", "veyon", "ansible"],
                   help=_("the .NET runtime, Veyon's lock screen fix, the wheels of ansible-core "
                          "for pull runs, or all three (the default)"))
    p.set_defaults(func=cmd_mirror)
    return parser


# the commands that act on several rooms of a campus inventory, one after the other
_EACH_ROOM = {cmd_validate, cmd_check, cmd_provision, cmd_reset, cmd_power}


def main(argv: list[str] | None = None) -> int:
    set_lang(_early_lang(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and isinstance(getattr(args, "names", None), list) \
            and not any(e.startswith("-") for e in extra):
        args.names += extra  # seat names after the options: `vlab start -i INV pc05`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    set_lang(args.lang)
    try:
        if args.func in _EACH_ROOM:
            return _each_room(args)
        return args.func(args)
    except LabError as exc:
        if getattr(args, "json", False):  # one JSON object on stdout, as the command's answer
            print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc),
                              "problems": [vars(p) for p in getattr(exc, "problems", [])]},
                             ensure_ascii=False))
        print(f"labctl: {exc}" if not hasattr(exc, "problems") else str(exc), file=sys.stderr)
        if hasattr(exc, "problems"):
            print("labctl: " + _("{count} problem(s) in {where}; nothing was touched",
                                 count=len(exc.problems),
                                 where=getattr(args, "inventory", None) or getattr(args, "seats", "")),
                  file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
