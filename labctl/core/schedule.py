"""`labctl schedule`: the admin host resets the room at the end of every class period.

With systemd as the admin host's init, a timer (`labctl-reset-<room>.timer`, one
OnCalendar= per period end) starts `labctl-reset-<room>.service`; without it, a
file in /etc/cron.d does the same. The reset that runs at a period's end finds no
class in progress, so a student who forgot to log out does not stop it.
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
    unit = f"labctl-reset-{room.name}"
    return {"timer": SYSTEMD_DIR / f"{unit}.timer", "service": SYSTEMD_DIR / f"{unit}.service",
            "cron": CRON_DIR / unit}


def render(room: Room, labctl: Path) -> dict[str, str]:
    """The files that schedule the room's resets: {'timer', 'service'} and {'cron'}."""
    timetable = _timetable(room)
    command = f"{shlex.quote(str(labctl))} reset --all -i {shlex.quote(str(room.inventory))}"
    if room.group is not None:  # one room of a campus inventory (its name: ROOM_NAME_RE)
        command += f" --room {room.name}"
    tz = str(room.vars.get("lab_common_timezone", "Asia/Shanghai"))
    calendars = "\n".join(f"OnCalendar={c} {tz}" for c in timetable.on_calendar())
    cron = "\n".join(f"{fields} root {command} >> {LOG} 2>&1" for fields in timetable.cron_lines())
    return {
        "service": f"[Unit]\nDescription=labctl: reset room {room.name} after a class\n\n"
                   f"[Service]\nType=oneshot\nExecStart={command}\n",
        "timer": f"[Unit]\nDescription=labctl: reset room {room.name} at each period's end\n\n"
                 f"[Timer]\n{calendars}\nPersistent=false\n\n[Install]\nWantedBy=timers.target\n",
        "cron": f"# labctl: reset room {room.name} at the end of each class period\n"
                f"CRON_TZ={tz}\n{cron}\n",
    }


def install(room: Room, labctl: Path) -> list[str]:
    files, names = render(room, labctl), _names(room)
    if _systemd():
        names["service"].write_text(files["service"])
        names["timer"].write_text(files["timer"])
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "enable", "--now", names["timer"].name], check=True)
        return [f"installed {names['timer']} and {names['service']}"]
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
    if names["timer"].exists():
        if _systemd():
            subprocess.run(["systemctl", "disable", "--now", names["timer"].name], check=False)
        names["timer"].unlink()
        names["service"].unlink(missing_ok=True)
        out.append(f"removed {names['timer']}")
    if names["cron"].exists():
        names["cron"].unlink()
        out.append(f"removed {names['cron']}")
    return out or [f"room {room.name}: no schedule was installed"]


def installed(room: Room) -> str | None:
    names = _names(room)
    return next((str(p) for p in (names["timer"], names["cron"]) if p.exists()), None)


def next_runs(room: Room, now: dt.datetime, count: int = 5) -> list[dt.datetime]:
    return _timetable(room).next_ends(now, count)
