"""The virtual room's Wake-on-LAN: boots the stopped seat a magic packet names.

`vlab up` starts it beside the room (python -m labctl.vlab.wol INVENTORY DIR ROOM); it listens
on the room's broadcast address, UDP port 9, like the NICs of a real room's terminals,
so a wake from labctl, the console or any WoL tool is exercised end to end.
"""

from __future__ import annotations

import socket
import sys

from labctl.core.inventory import load_room
from labctl.core.power import WOL_PORT, parse_magic
from labctl.vlab.room import VirtualRoom


def serve(inventory: str, name: str | None = None) -> None:
    room = load_room(inventory, name)
    vroom = VirtualRoom(room)
    by_mac = {s.mac: s for s in room.seats}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((str(room.subnet.broadcast_address), WOL_PORT))
    print(f"wol: listening on {room.subnet.broadcast_address}:{WOL_PORT}", flush=True)
    while True:
        packet, sender = sock.recvfrom(1024)
        seat = by_mac.get(parse_magic(packet) or "")
        if seat is None:
            continue
        if vroom.powered([seat])[seat.name]:
            print(f"wol: {seat.name} is already on (from {sender[0]})", flush=True)
            continue
        print(f"wol: waking {seat.name} ({seat.mac}) for {sender[0]}", flush=True)
        try:
            vroom.start_seat(seat)
        except Exception as exc:  # noqa: BLE001 - keep listening for the other seats
            print(f"wol: {seat.name} did not start: {exc}", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else None)
