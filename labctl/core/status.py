"""The room at a glance: health, power, last reset and last check, merged per seat.

The console and `labctl status` are two clients of this module.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from labctl.core import audit
from labctl.core.health import Health, full, fullest, human_uptime
from labctl.core.room import Room, Seat

STATES = ("online", "offline", "unreachable", "resetting", "non-compliant", "student")


@dataclass
class SeatView:
    seat: Seat
    health: Health
    state: str
    last_reset: audit.Event | None = None
    last_check: dict | None = None
    busy: str = ""                                  # an action in progress ("resetting", ...)
    history: list[float] = field(default_factory=list)  # recent CPU figures


def seat_state(health: Health, powered: bool | None, busy: str, check: dict | None) -> str:
    """One state for the map, the most urgent first."""
    if busy:
        return "resetting" if busy == "reset" else busy
    if powered is False:
        return "offline"
    if health.state != "online":
        return "unreachable"
    if full(health):
        return "disk full"
    if check and check["failed"]:
        return "non-compliant"
    if health.users:
        return "student"
    return "online"


def sweep_rooms(sweeps: list) -> list[dict[str, Health]]:
    """Every room's sweep (a () -> {seat: Health} each) at the same time: watching two rooms
    takes one sweep's wait, not two."""
    if len(sweeps) < 2:
        return [sweep() for sweep in sweeps]
    with ThreadPoolExecutor(max_workers=len(sweeps), thread_name_prefix="room") as rooms:
        return list(rooms.map(lambda sweep: sweep(), sweeps))


def views(room: Room, healths: dict[str, Health], powered: dict[str, bool] | None = None,
          busy: dict[str, str] | None = None) -> list[SeatView]:
    checks = audit.last_checks(room.name)
    resets = audit.last_events(room.name, "reset")
    out = []
    for seat in room.seats:
        h = healths.get(seat.name) or Health(seat.name, "unreachable", error="not polled yet")
        p = (powered or {}).get(seat.name)
        b = (busy or {}).get(seat.name, "")
        out.append(SeatView(seat, h, seat_state(h, p, b, checks.get(seat.name)),
                            resets.get(seat.name), checks.get(seat.name), b))
    return out


def as_dict(view: SeatView) -> dict:
    h = view.health
    return {"seat": view.seat.name, "ip": str(view.seat.ip), "row": view.seat.row,
            "column": view.seat.column, "role": view.seat.role, "state": view.state,
            "cpu": h.cpu, "memory": h.memory, "disk": h.disk, "filesystems": h.filesystems,
            "users": h.users,
            "uptime": h.uptime, "services": h.services, "host_figures": h.host_figures,
            "latency": round(h.latency, 3) if h.latency is not None else None, "error": h.error,
            "last_reset": {"at": view.last_reset.at, "outcome": view.last_reset.outcome}
            if view.last_reset else None,
            "last_check": {"at": view.last_check["at"], "failed": view.last_check["failed"]}
            if view.last_check else None}


COLUMNS = ("seat", "where", "state", "cpu%", "mem%", "disk%", "user", "up", "reset", "check")


def cells(view: SeatView) -> list[str]:
    """A seat's row of the status table, in COLUMNS' order (the state still in English:
    the front end translates it with the labels)."""
    h = view.health
    fig = lambda x: "-" if x is None else f"{x:.0f}"  # noqa: E731
    worst = fullest(h)
    disk = "-" if worst is None else fig(worst[1]) + ("" if worst[0] == "/" else f" {worst[0]}")
    check = "-" if not view.last_check else (
        "ok" if not view.last_check["failed"] else ",".join(view.last_check["failed"][:2]))
    return [view.seat.name, view.seat.position, view.state, fig(h.cpu), fig(h.memory), disk,
            ",".join(h.users)[:10] or "-", human_uptime(h.uptime), reset_mark(view.last_reset),
            check + (f"  ({h.error})" if h.error else "")]


def reset_mark(event) -> str:
    """How long ago the last reset was, and whether it failed: '3m', '3m✘', '-'."""
    if event is None:
        return "-"
    return ago(event.at) + ("" if event.outcome == "ok" else "✘")


def ago(at: float | None, now: float | None = None) -> str:
    if not at:
        return "-"
    minutes = int(((now or time.time()) - at) // 60)
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h" if minutes < 2880 else f"{minutes // 1440}d"
