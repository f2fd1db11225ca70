"""A seat's SSH host key: what it offers now, what the room recorded, and accepting a new
one on a technician's word (a reinstalled PC), never on the network's.

`labctl hostkey accept SEAT` shows both fingerprints (SHA256, as `ssh-keygen -lf` prints
them) and records the offered key only when the technician confirms it, or when it is the
fingerprint they read off the seat's own console (`--expect-fingerprint`). Every decision
is written to the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko

from labctl.core import audit, knownhosts
from labctl.core.errors import ConnectError, LabError
from labctl.core.room import Room, Seat


def fingerprint(key: str) -> str:
    """SHA256 fingerprint of "type base64", as OpenSSH prints it."""
    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_exchange(seat: Seat, timeout: float = 5.0) -> tuple[paramiko.Transport, str]:
    """An SSH key exchange with the seat and nothing more: the open transport (the caller
    closes it; nothing is authenticated yet) and the host key it offered ("type base64").
    Raises ConnectError when the seat does not answer or no exchange completes."""
    try:
        sock = socket.create_connection((str(seat.ip), 22), timeout=timeout)
    except OSError as exc:
        raise ConnectError(seat.name, f"cannot reach {seat.ip}: {exc.strerror or exc}") from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        transport.close()
        raise ConnectError(seat.name, f"no SSH key exchange with {seat.ip}: {exc}") from None
    return transport, f"{key.get_name()} {key.get_base64()}"


def offered(seat: Seat, timeout: float = 5.0) -> str:
    """The host key the seat offers now ("type base64"), from a key exchange alone: no
    login, nothing trusted."""
    transport, key = key_exchange(seat, timeout)
    transport.close()
    return key


def recorded(seat: Seat, known_hosts: Path) -> list[str]:
    """The keys known_hosts holds for the seat (by address or name), as "type base64"."""
    return knownhosts.keys(known_hosts, {str(seat.ip), seat.name})


@dataclass(frozen=True)
class KeyChange:
    seat: str
    old: list[str]       # fingerprints recorded before
    new: str             # fingerprint offered now
    outcome: str         # accepted, unchanged, refused
    detail: str = ""


def accept(room: Room, seat: Seat, confirm, expect: str | None = None) -> KeyChange:
    """Record the key the seat offers in place of the recorded one, if the technician
    confirms: confirm(seat, old fingerprints, new fingerprint) -> bool, asked only when no
    expected fingerprint is given."""
    known_hosts = room.state.known_hosts
    new_key = offered(seat)
    old = [fingerprint(k) for k in recorded(seat, known_hosts)]
    new = fingerprint(new_key)
    if old == [new]:
        return KeyChange(seat.name, old, new, "unchanged", "the recorded key is the offered one")
    if expect is not None:
        ok = expect.strip() == new
        detail = ("the offered key is the expected one" if ok else
                  f"the seat offers {new}, not the expected {expect.strip()}: nothing recorded")
    else:
        ok = bool(confirm(seat, old, new))
        detail = "confirmed by the technician" if ok else "not confirmed: nothing recorded"
    if ok:
        knownhosts.replace({str(seat.ip): new_key}, known_hosts, aliases={str(seat.ip): seat.name})
    change = KeyChange(seat.name, old, new, "accepted" if ok else "refused", detail)
    audit.record_event(room.name, "host key", seat.name, "ok" if ok else "refused",
                       f"{', '.join(old) or 'none'} -> {new}: {detail}")
    if not ok and expect is not None:
        raise LabError(f"{seat.name}: {detail}")
    return change
