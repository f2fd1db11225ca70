"""labctl's errors. Every message names what failed, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


class LabError(Exception):
    """Base of every error labctl reports to a person."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an inventory: file, host, variable, what, and the fix."""

    file: str
    host: str | None
    variable: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        from labctl.i18n import _
        where = [self.file]
        if self.host:
            where.append(_("host {name}", name=self.host))
        if self.variable:
            where.append(self.variable)
        return _("{where}: {message} — fix: {fix}", where=": ".join(where), message=self.message,
                 fix=self.fix)


class InventoryError(LabError):
    """The inventory is wrong; carries every problem found, not only the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class NoRoomChosen(LabError):
    """A campus inventory holds several rooms and the command acts on one (--room)."""

    exit_code = 2


class PreflightError(LabError):
    """This machine cannot do what was asked (not root, a tool missing, a clash)."""

    exit_code = 3


class VlabError(LabError):
    """The virtual room failed to start, stop or report."""


class ConnectError(LabError):
    """A seat could not be reached over SSH."""

    def __init__(self, host: str, message: str):
        self.host = host
        self.reason = message
        super().__init__(f"{host}: {message}")


class HostKeyError(ConnectError):
    """A seat presented a host key that is not the recorded one."""


class NoSuchSeat(LabError, KeyError):
    """A seat name (or limit pattern) that the room does not have. A KeyError too, for the
    callers that look a seat up and carry on without it."""

    exit_code = 2

    def __init__(self, room: str, names: str, known: list[str] | None = None):
        self.names = names
        hint = f" (the room has {', '.join(known[:6])}{', …' if len(known) > 6 else ''})" \
            if known else ""
        super().__init__(f"room {room} has no seat {names}{hint}")

    def __str__(self) -> str:  # KeyError would quote its message
        return self.args[0]


class NotConfirmed(LabError):
    """An action that needs a yes was not given one (no terminal to ask, or --json)."""

    exit_code = 2


class NoSeatChosen(LabError):
    """The seats a command was given (--seats, --row) name no terminal of the room."""

    exit_code = 2
