"""Power actions on seats: wake-on-LAN, reboot, and shutdown with a warning first."""

from __future__ import annotations

import socket

from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run

WOL_PORT = 9


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
