"""Power actions on seats: wake-on-LAN, reboot, and shutdown with a warning first."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from labctl.core.errors import LabError
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run

WOL_PORT = 9


def power_states(room: Room):
    """A function giving each seat's power state ({seat: on}) where labctl knows it: the
    virtual room's seats; a real room's PCs tell nothing (None) until they answer."""
    if not room.virtual:
        return lambda: None
    from labctl.vlab.room import VirtualRoom
    return VirtualRoom(room).powered


def magic_packet(mac: str) -> bytes:
    """Six 0xFF bytes, then the MAC sixteen times."""
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"{mac!r} is not a MAC address")
    return b"\xff" * 6 + raw * 16


def parse_magic(packet: bytes) -> str | None:
    """The MAC a magic packet wakes, or None if it is not one."""
    i = packet.find(b"\xff" * 6)
    if i < 0 or len(packet) < i + 6 + 96:
        return None
    mac = packet[i + 6:i + 12]
    if packet[i + 6:i + 102] != mac * 16:
        return None
    return ":".join(f"{b:02x}" for b in mac)


def wake(room: Room, seats: list[Seat]) -> None:
    """Send each seat's magic packet to the room's broadcast address (UDP port 9)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        for seat in seats:
            s.sendto(magic_packet(seat.mac), (str(room.subnet.broadcast_address), WOL_PORT))


def request_reboot(client) -> None:
    """Ask the seat on an open connection to reboot; it may drop the connection as it goes."""
    try:
        run(client, "sudo -n systemctl reboot", timeout=10)
    except (OSError, EOFError):
        pass


def reboot(connector: Connector, seat: Seat) -> None:
    with connector.session(seat) as client:
        request_reboot(client)


def shutdown(connector: Connector, seat: Seat, message: str, delay_s: int = 60) -> None:
    """Warn the logged-in student (wall), then power off after `delay_s` seconds."""
    text = message.replace("'", "’")
    minutes = max(0, (delay_s + 59) // 60)
    with connector.session(seat) as client:
        try:
            run(client, f"echo '{text}' | sudo -n wall; sudo -n shutdown -h +{minutes} '{text}' "
                        ">/dev/null 2>&1 || sudo -n systemctl poweroff", timeout=15)
        except (OSError, EOFError):
            pass


# ------------------------------------------------------------------ the power actions
ACTIONS = ("reboot", "shutdown", "wake")
SHUTDOWN_WARNING = ("The class is over: please save your work, this computer shuts down in "
                    "one minute.")


@dataclass(frozen=True)
class SeatPower:
    seat: str
    action: str
    outcome: str  # ok, failed, skipped
    seconds: float
    reason: str = ""


def power(room: Room, seats: list[Seat], action: str, on_result=None,
          connector: Connector | None = None, warning: str | None = None) -> list[SeatPower]:
    """Reboot, shut down (students warned first: `warning`, else SHUTDOWN_WARNING in the
    user's language) or wake seats: the power action of every front end. Each seat gets a
    result (a seat that cannot be reached is failed with why; the others go on), each
    result goes to the audit log, and on_result(result) hears of it as it comes."""
    from labctl.core import audit
    from labctl.i18n import _
    if action not in ACTIONS:
        raise ValueError(f"unknown power action {action!r}: one of {', '.join(ACTIONS)}")
    connector = connector or Connector.for_room(room)
    start = time.monotonic()

    def done(seat: Seat, outcome: str, reason: str) -> SeatPower:
        result = SeatPower(seat.name, action, outcome, time.monotonic() - start, reason)
        audit.record_event(room.name, action, seat.name, outcome, reason)
        if on_result:
            on_result(result)
        return result

    if action == "wake":
        wake(room, seats)
        return [done(s, "ok", f"magic packet for {s.mac} sent to "
                              f"{room.subnet.broadcast_address}") for s in seats]

    def one(seat: Seat) -> SeatPower:
        if not seat.is_linux:
            return done(seat, "skipped", "a Windows seat: not over SSH (its WinRM connection "
                                         "is Ansible's; restart it from Windows for now)")
        try:
            if action == "reboot":
                reboot(connector, seat)
            else:
                shutdown(connector, seat, warning or _(SHUTDOWN_WARNING))
        except LabError as exc:
            return done(seat, "failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - one seat's fault is that seat's result
            return done(seat, "failed", f"{type(exc).__name__}: {exc}")
        return done(seat, "ok", "rebooting" if action == "reboot" else "powers off in one "
                                "minute; the students were warned")

    with ThreadPoolExecutor(max_workers=max(1, min(32, len(seats)))) as pool:
        return list(pool.map(one, seats))
