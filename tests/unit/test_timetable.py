"""The timetable: when a class is in progress, when the scheduled resets run, and the
systemd and cron schedules rendered from it."""

import datetime as dt
import shutil
import subprocess
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
