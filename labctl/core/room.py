"""The room model: what labctl knows about a room once its inventory is valid."""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import NoSuchSeat

OS_FAMILIES = ("debian", "ubuntu", "windows")
RESET_METHODS = ("profile", "reboot-restore", "uwf", "windows-profile", "none")
LINUX_FAMILIES = ("debian", "ubuntu")


@dataclass(frozen=True)
class Seat:
    """One host of the room: a student terminal or a server."""

    name: str
    ip: ipaddress.IPv4Address
    mac: str  # normalised: lower case, colon separated
    os_family: str
    role: str  # "server" or "terminal"
    reset_method: str
    switch_port: str
    vlan: int
    row: int | None = None
    column: int | None = None
    groups: tuple[str, ...] = ()
    vars: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def is_terminal(self) -> bool:
        return self.role == "terminal"

    @property
    def is_linux(self) -> bool:
        return self.os_family in LINUX_FAMILIES

    @property
    def position(self) -> str:
        return f"r{self.row}c{self.column}" if self.row else "server"


@dataclass(frozen=True)
class Room:
    """A validated room: its network, its grid and its seats in inventory order."""

    name: str
    inventory: Path
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address
    rows: int
    columns: int
    virtual: bool
    seats: tuple[Seat, ...]
    vars: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    # in a campus inventory (several rooms), the group that holds this room's hosts and no
    # other's: every Ansible run for the room is limited to it; None when the inventory is
    # the room's alone
    group: str | None = None

    @property
    def state(self) -> paths.RoomState:
        """The room's own state on the admin host: admin key, known_hosts, fact cache."""
        return paths.RoomState.of(self.name, self.vars.get("lab_state_dir"))

    @property
    def terminals(self) -> list[Seat]:
        return [s for s in self.seats if s.is_terminal]

    @property
    def servers(self) -> list[Seat]:
        return [s for s in self.seats if not s.is_terminal]

    def seat(self, name: str) -> Seat:
        for s in self.seats:
            if s.name == name:
                return s
        raise NoSuchSeat(self.name, name, [s.name for s in self.seats])

    def select(self, names: list[str] | None = None, row: int | None = None,
               terminals_only: bool = False) -> list[Seat]:
        """Seats by name and/or row, in inventory order; unknown names raise KeyError."""
        chosen = list(self.terminals if terminals_only else self.seats)
        if names:
            unknown = sorted(set(names) - {s.name for s in self.seats})
            if unknown:
                raise NoSuchSeat(self.name, ", ".join(unknown), [s.name for s in self.seats])
            chosen = [s for s in chosen if s.name in names]
        if row is not None:
            chosen = [s for s in chosen if s.row == row]
        return chosen

    def match(self, pattern: str | None) -> list[Seat]:
        """Seats matching an Ansible-style limit: comma-separated names, groups or globs
        (`pc0*`, `terminals`, `pc01,pc02`); None matches every seat. A term matching
        nothing raises KeyError naming it."""
        if not pattern:
            return list(self.seats)
        wanted: set[str] = set()
        for term in (t.strip() for t in pattern.split(",") if t.strip()):
            hits = {s.name for s in self.seats
                    if fnmatch.fnmatchcase(s.name, term) or term in s.groups
                    or (term == "all")}
            if not hits:
                raise NoSuchSeat(self.name, term, [s.name for s in self.seats])
            wanted |= hits
        return [s for s in self.seats if s.name in wanted]


def split_limit(rooms: list[Room], pattern: str | None) -> dict[str, str | None]:
    """A limit (or a list of seats) given over several rooms of a campus: for each room,
    the comma-separated terms that match some of its seats, or None where none does. A term
    that matches no room's seat raises NoSuchSeat, as it would in one room."""
    if not pattern:
        return {room.name: pattern for room in rooms}
    terms = [t.strip() for t in pattern.split(",") if t.strip()]
    kept: dict[str, list[str]] = {room.name: [] for room in rooms}
    for term in terms:
        hits = [room.name for room in rooms if _matches(room, term)]
        if not hits:
            raise NoSuchSeat(", ".join(room.name for room in rooms), term,
                             [s.name for room in rooms for s in room.seats])
        for name in hits:
            kept[name].append(term)
    return {name: ",".join(found) if found else None for name, found in kept.items()}


def _matches(room: Room, term: str) -> bool:
    try:
        return bool(room.match(term))
    except NoSuchSeat:
        return False
