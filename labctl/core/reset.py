"""Reset the students' terminals between classes, verified, seat by seat in parallel.

The work on a seat is done by `lab-reset` (installed by the lab_reset role), the same
tool playbooks/reset.yml runs: this module only drives it over verified SSH, many
seats at once, and turns its JSON into a result per seat.

- profile: `lab-reset reset` ends the students' sessions and restores homes, scratch
  space, jobs and databases, then verifies; the seat stays up.
- reboot-restore: the seat reboots (its writable layer is discarded at boot), labctl
  waits for a new boot to answer SSH, then `lab-reset verify` proves the state.

A seat with a logged-in student is refused unless `force` (the CLI asks the teacher,
the timetable says the class is over, or --force). A seat that can't be reached, or
dies in the middle, is failed with the reason; the others finish. Every seat's result
goes to the audit log.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import paramiko

from labctl.core import audit
from labctl.core.errors import ConnectError, HostKeyError, LabError
from labctl.core.power import request_reboot
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run
from labctl.i18n import _

TOOL = "sudo -n /usr/local/sbin/lab-reset"
METHODS = ("profile", "reboot-restore")
WINDOWS_METHODS = ("uwf", "windows-profile")


@dataclass(frozen=True)
class SeatReset:
    seat: str
    method: str
    outcome: str  # ok, failed, refused, skipped
    seconds: float
    reason: str = ""
    sessions: dict = field(default_factory=dict, compare=False, hash=False)
    advice: str = ""  # what the technician can do about a failure


def _tool(client, action: str, force: bool = False, timeout: float = 120.0) -> dict:
    out = run(client, f"{TOOL} {action}{' --force' if force else ''}", timeout=timeout)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        reason = (out.stderr.strip() or out.stdout.strip() or f"exit {out.exit_status}")[-300:]
        raise LabError(_("lab-reset {action} gave no result: {reason} (is the lab_reset role "
                         "applied? run terminals.yml)", action=action, reason=reason)) from None


def _boot_id(client) -> str:
    return run(client, "cat /proc/sys/kernel/random/boot_id", timeout=10).stdout.strip()


def _reset_profile(connector: Connector, seat: Seat, force: bool) -> dict:
    with connector.session(seat) as client:
        return _tool(client, "reset", force)


def _reset_reboot(connector: Connector, seat: Seat, force: bool, timeout: float) -> dict:
    with connector.session(seat) as client:
        state = _tool(client, "sessions")
        if state["sessions"] and not force:
            return {"ok": False, "sessions": state["sessions"], "refused": "a student is logged in: "
                    + "; ".join(f"{u} ({', '.join(s)})" for u, s in state["sessions"].items())}
        before = _boot_id(client)
        request_reboot(client)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            client = connector.connect(seat.name, str(seat.ip))
        except LabError:
            continue
        try:
            if _boot_id(client) not in ("", before):
                return _tool(client, "verify")
        except (OSError, EOFError, paramiko.SSHException):
            pass  # still booting: sshd answers before it can open a session
        finally:
            client.close()
    raise LabError(_("did not come back from its reboot within {seconds} s",
                     seconds=f"{timeout:.0f}"))


def reset_seats(room: Room, seats: list[Seat], force: bool = False, timeout: float = 180.0,
                on_result=None, connector: Connector | None = None,
                action: str = "reset") -> list[SeatReset]:
    """Reset the seats in parallel; on_result(SeatReset) as each one ends."""
    connector = connector or Connector.for_room(room)

    def one(seat: Seat) -> SeatReset:
        start = time.monotonic()
        method = seat.reset_method
        try:
            if method == "profile":
                out = _reset_profile(connector, seat, force)
            elif method == "reboot-restore":
                out = _reset_reboot(connector, seat, force, timeout)
            else:
                result = SeatReset(seat.name, method, "skipped", 0.0,
                                   f"reset method {method!r} has no reset here")
                return _done(room, result, on_result, action)
            if out.get("refused"):
                result = SeatReset(seat.name, method, "refused", time.monotonic() - start,
                                   out["refused"], out.get("sessions", {}))
            elif out.get("ok"):
                result = SeatReset(seat.name, method, "ok", time.monotonic() - start,
                                   "verified: homes, scratch, jobs, processes and databases clean")
            else:
                result = SeatReset(seat.name, method, "failed", time.monotonic() - start,
                                   "; ".join(out.get("problems") or ["no verification"]),
                                   advice="reset it again; if the same thing is left, the "
                                          "verification above names it")
        except HostKeyError as exc:
            result = SeatReset(seat.name, method, "failed", time.monotonic() - start,
                               str(exc).removeprefix(f"{seat.name}: "),
                               advice=f"if the PC was reinstalled, check it and run `labctl "
                                      f"hostkey accept {seat.name}`; otherwise treat it as an attack")
        except ConnectError as exc:
            result = SeatReset(seat.name, method, "failed", time.monotonic() - start,
                               str(exc).removeprefix(f"{seat.name}: "),
                               advice="check that it is on and plugged in (labctl status), "
                                      "then reset it again")
        except Exception as exc:  # noqa: BLE001 - any fault of one seat fails that seat only
            result = SeatReset(seat.name, method, "failed", time.monotonic() - start,
                               str(exc).removeprefix(f"{seat.name}: "),
                               advice="reset it again; the reason above says what stopped it")
        return _done(room, result, on_result, action)

    windows = [s for s in seats if s.reset_method in WINDOWS_METHODS]
    others = [s for s in seats if s not in windows]
    with ThreadPoolExecutor(max_workers=min(64, len(others) + 1)) as pool:
        pending = pool.submit(_reset_windows, room, windows) if windows else None
        results = {r.seat: r for r in pool.map(one, others)}
        for result in pending.result() if pending else []:
            results[result.seat] = _done(room, result, on_result, action)
    return [results[s.name] for s in seats]


def reset(room: Room, seats: list[Seat], confirm=None, force: bool = False, on_result=None,
          connector: Connector | None = None) -> list[SeatReset]:
    """The reset action of every front end, with its one policy: outside a class period (by
    the room's timetable) a logged-in student does not stop the reset; during one, the
    seats where a student is logged in are refused and `confirm(refused)` is asked once
    (the CLI asks at its terminal, the console in a dialog); if it says yes, those seats
    are reset with force. Returns a result per seat, in the seats' order."""
    from labctl.core.timetable import class_over
    force = force or class_over(room)
    results = reset_seats(room, seats, force=force, on_result=on_result, connector=connector)
    refused = [r for r in results if r.outcome == "refused"]
    if refused and confirm is not None and confirm(refused):
        again = {r.seat: r for r in reset_seats(room, [room.seat(r.seat) for r in refused],
                                                 force=True, on_result=on_result,
                                                 connector=connector)}
        results = [again.get(r.seat, r) for r in results]
    return results


def _reset_windows(room: Room, seats: list[Seat]) -> list[SeatReset]:
    """Windows seats are reset by their role (playbooks/reset.yml), all in one run."""
    from labctl.core.playbook import run_playbook
    start = time.monotonic()
    result = run_playbook(room.inventory, "reset.yml", limit=",".join(s.name for s in seats),
                          state=room.state)
    out = []
    for seat in seats:
        recap = result.recap.get(seat.name)
        if recap and not recap.failed and not recap.unreachable:
            out.append(SeatReset(seat.name, seat.reset_method, "ok", time.monotonic() - start,
                                 "verified by the Windows reset role"))
            continue
        reason = result.failures.get(seat.name) or result.outcome(seat.name)[1]
        out.append(SeatReset(seat.name, seat.reset_method, "failed", time.monotonic() - start, reason))
    return out


def _done(room: Room, result: SeatReset, on_result, action: str) -> SeatReset:
    audit.record_event(room.name, action, result.seat, result.outcome,
                       f"{result.method}: {result.reason}" if result.reason else result.method)
    if on_result:
        on_result(result)
    return result


def set_maintenance(room: Room, seats: list[Seat], on: bool) -> list[SeatReset]:
    """Thaw (on) or freeze (off) reboot-to-restore seats through their roles: overlayroot on
    Linux (lab_reset_frozen), UWF servicing on Windows. A virtual room's Linux seats are
    protected by their seat runner instead: their protected layer is the provisioned layer,
    which `labctl vlab up --provision` rebuilds."""
    from labctl.core.playbook import run_playbook
    results = []
    # as JSON: `-e name=False` would hand the role the string "False", which is true
    groups = (("reboot-restore", "terminals.yml", "lab_reset",
               json.dumps({"lab_reset_frozen": not on})),
              ("uwf", "windows.yml", "lab_windows_reset",
               json.dumps({"lab_windows_reset_maintenance": on})))
    for method, playbook, tag, extra in groups:
        chosen = [s for s in seats if s.reset_method == method
                  and not (room.virtual and s.is_linux)]
        if not chosen:
            continue
        run = run_playbook(room.inventory, playbook, limit=",".join(s.name for s in chosen),
                           extra_args=["--tags", tag, "-e", extra], state=room.state)
        for seat in chosen:
            outcome, why = run.outcome(seat.name)  # a failure names its task and reason
            result = SeatReset(seat.name, method, outcome, 0.0,
                               ("maintenance: changes persist" if on else "frozen: reboots restore")
                               if outcome == "ok" else why)
            audit.record_event(room.name, "maintenance " + ("on" if on else "off"), seat.name,
                               result.outcome, result.reason)
            results.append(result)
    for seat in seats:
        if room.virtual and seat.is_linux and seat.reset_method == "reboot-restore":
            results.append(SeatReset(seat.name, seat.reset_method, "skipped", 0.0,
                                     "virtual seat: its protected layer is the provisioned layer "
                                     "(labctl vlab up --provision rebuilds it)"))
        elif seat.reset_method not in ("reboot-restore", "uwf"):
            results.append(SeatReset(seat.name, seat.reset_method, "skipped", 0.0,
                                     "no write filter: nothing to thaw"))
    return results


LOADER = "sudo -n python3 -I -m labseat.coursedata"


def restore_course_databases(room: Room, seats: list[Seat], on_result=None,
                             connector: Connector | None = None) -> list[SeatReset]:
    """Each student's course database (<student>_shop) made again from the seat's own
    template, then verified: its checksum must equal the template's. The course-data
    restore of every front end (a lighter reset: homes, jobs and sessions are left alone);
    each seat's result goes to the audit log as 'coursedata restore'."""
    connector = connector or Connector.for_room(room)
    start = time.monotonic()

    def one(seat: Seat) -> SeatReset:
        students = [s["name"] for s in seat.vars.get("lab_common_students", [])]
        if not seat.is_linux or not students:
            return SeatReset(seat.name, "coursedata", "skipped", 0.0,
                             "no students' databases here" if seat.is_linux else
                             "a Windows seat: not over SSH")
        try:
            with connector.session(seat) as client:
                want = run(client, f"{LOADER} checksum shop_template", timeout=120)
                if not want.ok:
                    raise LabError(_("the template shop_template cannot be read: {why} (run "
                                     "terminals.yml)", why=want.stderr.strip()[-200:]))
                template, wrong = json.loads(want.stdout), []
                for student in students:  # names checked at validation (STUDENT_RE)
                    out = run(client, f"{LOADER} clone shop_template {student}_shop", timeout=300)
                    got = json.loads(out.stdout).get("checksum") if out.ok else None
                    if got != template:
                        wrong.append(f"{student}_shop" + ("" if out.ok else
                                                          f" ({out.stderr.strip()[-200:]})"))
            if wrong:
                return SeatReset(seat.name, "coursedata", "failed", time.monotonic() - start,
                                 "not equal to the template after the copy: " + ", ".join(wrong))
            return SeatReset(seat.name, "coursedata", "ok", time.monotonic() - start,
                             "verified: " + ", ".join(f"{s}_shop" for s in students)
                             + " equal to shop_template")
        except (LabError, OSError, EOFError, paramiko.SSHException, ValueError) as exc:
            return SeatReset(seat.name, "coursedata", "failed", time.monotonic() - start,
                             f"{type(exc).__name__}: {exc}" if not isinstance(exc, LabError)
                             else str(exc))

    with ThreadPoolExecutor(max_workers=max(1, min(32, len(seats)))) as pool:
        return [_done(room, r, on_result, "coursedata restore") for r in pool.map(one, seats)]
