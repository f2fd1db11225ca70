"""The timetable: when a class is in progress, when the scheduled resets run, and the
systemd and cron schedules rendered from it."""

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from labctl.core import schedule
from labctl.core.inventory import load_room
from labctl.core.timetable import Timetable, TimetableError

from .test_validate import INVENTORIES

SH = ZoneInfo("Asia/Shanghai")
TT = Timetable.parse({"days": ["mon", "tue", "wed", "thu", "fri"],
                      "periods": ["08:00-08:45", "08:55-09:40", "14:00-14:45"]})


def at(day, hhmm):  # 2026-11-23 is a Monday
    return dt.datetime(2026, 11, 23 + day, int(hhmm[:2]), int(hhmm[3:]), tzinfo=SH)


@pytest.mark.parametrize("when, period", [
    (at(0, "08:10"), "08:00"), (at(0, "08:45"), None), (at(0, "08:50"), None),
    (at(2, "09:39"), "08:55"), (at(5, "08:10"), None), (at(0, "07:59"), None),
])
def test_the_period_in_progress(when, period):
    current = TT.current(when)
    assert (current[0].strftime("%H:%M") if current else None) == period


def test_the_next_resets_are_the_period_ends_on_school_days():
    runs = TT.next_ends(at(4, "14:10"), 3)  # Friday afternoon
    assert [r.strftime("%a %H:%M") for r in runs] == ["Fri 14:45", "Mon 08:45", "Mon 09:40"]


@pytest.mark.parametrize("value, words", [
    ({"periods": ["8:00-08:45"]}, "is not HH:MM-HH:MM"),
    ({"periods": ["09:00-08:45"]}, "ends before it starts"),
    ({"periods": ["08:00-08:45", "08:30-09:00"]}, "overlaps"),
    ({"days": ["monday"], "periods": ["08:00-08:45"]}, "use a list of mon"),
    (["08:00-08:45"], "write it as"),
    ({"periods": ["08:00-08:45"], "lock_screens": "yes"}, "lock_screens 'yes': write true or false"),
    ({"periods": ["08:00-08:45"], "projector_off": 1}, "projector_off 1: write true or false"),
])
def test_a_bad_timetable_says_how_to_write_it(value, words):
    with pytest.raises(TimetableError, match=words):
        Timetable.parse(value)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_the_systemd_timer_fires_at_each_period_end():
    room = load_room(INVENTORIES.parents[2] / "inventory" / "demo")
    files = schedule.render(room, "/opt/labctl/.venv/bin/labctl")
    calendars = [line.split("=", 1)[1] for line in files["timer"].splitlines()
                 if line.startswith("OnCalendar=")]
    assert len(calendars) == 8
    first = subprocess.run(["systemd-analyze", "calendar", calendars[0]], capture_output=True,
                           text=True, check=True).stdout
    assert "Next elapse:" in first and "08:45:00" in first
    assert "ExecStart=/opt/labctl/.venv/bin/labctl reset --all -i " in files["service"]
    cron = [line.split()[:5] for line in files["cron"].splitlines()
            if line and not line.startswith(("#", "CRON_TZ"))]
    assert cron[0] == ["45", "8", "*", "*", "1,2,3,4,5"] and len(cron) == 8
    assert "CRON_TZ=Asia/Shanghai" in files["cron"]


def test_the_options_lock_the_screens_before_each_reset_and_switch_the_projector_off_at_the_days_end():
    room = load_room(INVENTORIES.parents[2] / "inventory" / "demo")
    room = dataclasses.replace(room, vars={**room.vars, "lab_timetable": {
        "periods": ["08:00-08:45", "14:00-14:45"], "lock_screens": True, "projector_off": True}})
    files = schedule.render(room, "/opt/labctl/.venv/bin/labctl")
    starts = [line for line in files["service"].splitlines() if line.startswith("ExecStart=")]
    assert starts[0].startswith("ExecStart=-/opt/labctl/.venv/bin/labctl screens lock --all -i ")
    assert starts[1].startswith("ExecStart=/opt/labctl/.venv/bin/labctl reset --all -i ")
    assert "ExecStart=/opt/labctl/.venv/bin/labctl projector off -i " in files["projector_service"]
    calendars = [line.split("=", 1)[1] for line in files["projector_timer"].splitlines()
                 if line.startswith("OnCalendar=")]
    assert calendars == ["Mon,Tue,Wed,Thu,Fri *-*-* 14:45:00 Asia/Shanghai"]
    cron = [line for line in files["cron"].splitlines() if line and not line.startswith(("#", "CRON_TZ"))]
    assert len(cron) == 3 and all(" screens lock --all " in line and line.index("screens lock") <
                                  line.index(" reset --all ") for line in cron[:2])
    assert cron[2].startswith("45 14 * * 1,2,3,4,5 root ") and " projector off " in cron[2]
    if shutil.which("systemd-analyze"):
        subprocess.run(["systemd-analyze", "calendar", calendars[0]], check=True, capture_output=True)
    plain = schedule.render(dataclasses.replace(room, vars={**room.vars, "lab_timetable": {
        "periods": ["08:00-08:45"]}}), "/opt/labctl/.venv/bin/labctl")
    assert "projector_timer" not in plain and "screens lock" not in plain["service"] + plain["cron"]


def test_install_and_remove_write_and_take_away_the_cron_file(tmp_path, monkeypatch):
    """Without systemd as the init (this machine), the schedule is one file in /etc/cron.d
    (here a directory of the test's own), with the projector's line when asked for."""
    if Path("/run/systemd/system").is_dir():
        pytest.skip("systemd is this host's init: install would enable real timers")
    monkeypatch.setattr(schedule, "CRON_DIR", tmp_path)
    room = load_room(INVENTORIES.parents[2] / "inventory" / "demo")
    room = dataclasses.replace(room, vars={**room.vars, "lab_timetable": {
        "periods": ["08:00-08:45", "14:00-14:45"], "projector_off": True}})
    out = schedule.install(room, "/opt/labctl/.venv/bin/labctl")
    cron = tmp_path / f"labctl-reset-{room.name}"
    assert out[0] == f"installed {cron} (2 resets a day)" and oct(cron.stat().st_mode)[-3:] == "644"
    assert cron.read_text() == schedule.render(room, "/opt/labctl/.venv/bin/labctl")["cron"]
    assert schedule.installed(room) == str(cron)
    assert schedule.remove(room) == [f"removed {cron}"] and not cron.exists()
