"""`labctl schedule`: the admin host resets the room at the end of every class period.

With systemd as the admin host's init, a timer (`labctl-reset-<room>.timer`, one
OnCalendar= per period end) starts `labctl-reset-<room>.service`; without it, a
file in /etc/cron.d does the same. The reset that runs at a period's end finds no
class in progress, so a student who forgot to log out does not stop it.

Two options of lab_timetable add to it: `lock_screens` locks the students' screens
(Veyon) as each period ends, just before the reset (a seat whose lock fails is still
reset), and `projector_off` switches the room's projectors off after the day's last
period (`labctl-projector-<room>.timer`, or a line of the same cron file).
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import subprocess
from pathlib import Path

from labctl.core.errors import LabError
from labctl.core.room import Room
from labctl.core.timetable import Timetable
from labctl.i18n import _

SYSTEMD_DIR = Path("/etc/systemd/system")
CRON_DIR = Path("/etc/cron.d")
LOG = Path("/var/log/labctl-reset.log")


def _timetable(room: Room) -> Timetable:
    timetable = Timetable.parse(room.vars.get("lab_timetable"))
    if timetable is None:
        raise LabError(_("{inventory}: room {room} has no lab_timetable: add the class periods "
                         "(see docs/reset.md) before scheduling resets",
                         inventory=room.inventory, room=room.name))
    return timetable


def _systemd() -> bool:
    return Path("/run/systemd/system").is_dir()


def _names(room: Room) -> dict[str, Path]:
    unit, projector = f"labctl-reset-{room.name}", f"labctl-projector-{room.name}"
    return {"timer": SYSTEMD_DIR / f"{unit}.timer", "service": SYSTEMD_DIR / f"{unit}.service",
            "projector_timer": SYSTEMD_DIR / f"{projector}.timer",
            "projector_service": SYSTEMD_DIR / f"{projector}.service", "cron": CRON_DIR / unit}


def render(room: Room, labctl: Path) -> dict[str, str]:
    """The files that schedule the room's resets: {'timer', 'service'} and {'cron'}, and
    with projector_off {'projector_timer', 'projector_service'} too."""
    timetable = _timetable(room)
    where = f"-i {shlex.quote(str(room.inventory))}"
    if room.group is not None:  # one room of a campus inventory (its name: ROOM_NAME_RE)
        where += f" --room {room.name}"
    labctl = shlex.quote(str(labctl))
    reset, lock = f"{labctl} reset --all {where}", f"{labctl} screens lock --all {where}"
    projector = f"{labctl} projector off {where}"
    tz = str(room.vars.get("lab_common_timezone", "Asia/Shanghai"))

    def timer(what: str, last_only: bool = False) -> str:
        calendars = "\n".join(f"OnCalendar={c} {tz}" for c in timetable.on_calendar(last_only))
        return (f"[Unit]\nDescription=labctl: {what}\n\n[Timer]\n{calendars}\nPersistent=false\n\n"
                f"[Install]\nWantedBy=timers.target\n")

    # "-": a lock that fails on some seat (or with Veyon down) does not keep the reset from running
    starts = (f"ExecStart=-{lock}\n" if timetable.lock_screens else "") + f"ExecStart={reset}\n"
    each_end = f"{lock} >> {LOG} 2>&1; {reset}" if timetable.lock_screens else reset
    cron = [f"{fields} root {each_end} >> {LOG} 2>&1" for fields in timetable.cron_lines()]
    if timetable.projector_off:
        cron += [f"{fields} root {projector} >> {LOG} 2>&1" for fields in timetable.cron_lines(True)]
    files = {
        "service": f"[Unit]\nDescription=labctl: reset room {room.name} after a class\n\n"
                   f"[Service]\nType=oneshot\n{starts}",
        "timer": timer(f"reset room {room.name} at each period's end"),
        "cron": f"# labctl: reset room {room.name} at the end of each class period\n"
                f"CRON_TZ={tz}\n" + "\n".join(cron) + "\n",
    }
    if timetable.projector_off:
        files["projector_service"] = (f"[Unit]\nDescription=labctl: switch room {room.name}'s "
                                      f"projectors off\n\n[Service]\nType=oneshot\nExecStart={projector}\n")
        files["projector_timer"] = timer(f"switch room {room.name}'s projectors off after the day's "
                                         "last period", last_only=True)
    return files


def install(room: Room, labctl: Path) -> list[str]:
    files, names = render(room, labctl), _names(room)
    if _systemd():
        remove(room)  # a projector timer that the timetable no longer asks for goes too
        for key in files.keys() - {"cron"}:
            names[key].write_text(files[key])
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        timers = [(t, s) for t, s in (("timer", "service"), ("projector_timer", "projector_service"))
                  if t in files]
        subprocess.run(["systemctl", "enable", "--now", *(names[t].name for t, _s in timers)], check=True)
        return [f"installed {names[t]} and {names[s]}" for t, s in timers]
    CRON_DIR.mkdir(parents=True, exist_ok=True)
    names["cron"].write_text(files["cron"])
    names["cron"].chmod(0o644)
    out = [f"installed {names['cron']} ({len(_timetable(room).periods)} resets a day)"]
    if not shutil.which("cron") or subprocess.run(["pgrep", "-x", "cron"],
                                                  capture_output=True).returncode:
        out.append("warning: cron is not running on this host, so the resets will not fire: "
                   "install and start cron (apt-get install cron)")
    return out


def remove(room: Room) -> list[str]:
    names, out = _names(room), []
    for timer, service in (("timer", "service"), ("projector_timer", "projector_service")):
        if names[timer].exists():
            if _systemd():
                subprocess.run(["systemctl", "disable", "--now", names[timer].name], check=False)
            names[timer].unlink()
            names[service].unlink(missing_ok=True)
            out.append(f"removed {names[timer]}")
    if names["cron"].exists():
        names["cron"].unlink()
        out.append(f"removed {names['cron']}")
    return out or [f"room {room.name}: no schedule was installed"]


def installed(room: Room) -> str | None:
    names = _names(room)
    return next((str(p) for p in (names["timer"], names["cron"]) if p.exists()), None)


def next_runs(room: Room, now: dt.datetime, count: int = 5) -> list[dt.datetime]:
    return _timetable(room).next_ends(now, count)
