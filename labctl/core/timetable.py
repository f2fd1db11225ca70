"""The room's class periods (inventory variable `lab_timetable`) and what follows from them.

    lab_timetable:
      days: [mon, tue, wed, thu, fri]
      periods: ["08:00-08:45", "08:55-09:40", "10:00-10:45", ...]
      lock_screens: false     # lock the students' screens (Veyon) at each period's end
      projector_off: false    # switch the projectors off after the day's last period

A reset at a period's end finds the class over, so a student still logged in does not
stop it; during a period a logged-in student needs the teacher's confirmation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from labctl.i18n import _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PERIOD_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class TimetableError(ValueError):
    """lab_timetable is malformed; the message says how to write it."""


OPTIONS = ("lock_screens", "projector_off")


@dataclass(frozen=True)
class Timetable:
    days: tuple[int, ...]  # 0 = Monday
    periods: tuple[tuple[dt.time, dt.time], ...]
    lock_screens: bool = False   # `labctl schedule`: lock the screens as each period ends
    projector_off: bool = False  # and switch the projectors off after the day's last period

    @classmethod
    def parse(cls, value) -> "Timetable | None":
        if value in (None, "", {}):
            return None
        if not isinstance(value, dict) or "periods" not in value:
            raise TimetableError(_("write it as {days: [mon, ...], periods: ['08:00-08:45', ...]}"))
        days = value.get("days", list(DAYS[:5]))
        if not isinstance(days, list) or not days or any(str(d).lower() not in DAYS for d in days):
            raise TimetableError(_("days {value}: use a list of {choices}", value=repr(days),
                                   choices=", ".join(DAYS)))
        periods = []
        for raw in value["periods"] or []:
            m = PERIOD_RE.match(str(raw).strip())
            if not m:
                raise TimetableError(_("period {value} is not HH:MM-HH:MM (e.g. '08:00-08:45')",
                                       value=repr(raw)))
            start, end = dt.time(int(m[1]), int(m[2])), dt.time(int(m[3]), int(m[4]))
            if end <= start:
                raise TimetableError(_("period {value} ends before it starts", value=repr(raw)))
            if periods and start < periods[-1][1]:
                raise TimetableError(_("period {value} overlaps the one before; list them in order",
                                       value=repr(raw)))
            periods.append((start, end))
        if not periods:
            raise TimetableError(_("no periods: list the class periods, e.g. ['08:00-08:45']"))
        for option in OPTIONS:
            if not isinstance(value.get(option, False), bool):
                raise TimetableError(_("{option} {value}: write true or false", option=option,
                                       value=repr(value[option])))
        return cls(tuple(sorted({DAYS.index(str(d).lower()) for d in days})), tuple(periods),
                   **{option: value.get(option, False) for option in OPTIONS})

    def current(self, now: dt.datetime) -> tuple[dt.time, dt.time] | None:
        """The period in progress at `now` (its end excluded), if any."""
        if now.weekday() not in self.days:
            return None
        t = now.time()
        return next(((s, e) for s, e in self.periods if s <= t < e), None)

    def next_ends(self, now: dt.datetime, count: int = 5) -> list[dt.datetime]:
        """The next `count` period ends after `now`: when the scheduled reset runs."""
        out, day = [], now.date()
        while len(out) < count:
            if day.weekday() in self.days:
                for _start, end in self.periods:
                    at = dt.datetime.combine(day, end, tzinfo=now.tzinfo)
                    if at > now:
                        out.append(at)
            day += dt.timedelta(days=1)
        return out[:count]

    def on_calendar(self, last_only: bool = False) -> list[str]:
        """systemd OnCalendar= expressions, one per period end (or the day's last only)."""
        days = ",".join(DAYS[d].capitalize() for d in self.days)
        return [f"{days} *-*-* {e:%H:%M}:00" for _, e in self._ends(last_only)]

    def cron_lines(self, last_only: bool = False) -> list[str]:
        """cron time fields, one per period end (or the day's last only)."""
        days = ",".join(str((d + 1) % 7) for d in self.days)
        return [f"{e.minute} {e.hour} * * {days}" for _, e in self._ends(last_only)]

    def _ends(self, last_only: bool):
        return self.periods[-1:] if last_only else self.periods


def room_now(room) -> dt.datetime:
    """Now, in the room's time zone (lab_common_timezone, default Asia/Shanghai)."""
    from zoneinfo import ZoneInfo
    return dt.datetime.now(ZoneInfo(str(room.vars.get("lab_common_timezone", "Asia/Shanghai"))))


def class_over(room, now: dt.datetime | None = None) -> bool:
    """True when the room's timetable says no class is in progress (False without one)."""
    timetable = Timetable.parse(room.vars.get("lab_timetable"))
    return timetable is not None and timetable.current(now or room_now(room)) is None
