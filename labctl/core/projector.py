"""The room's projectors over PJLink (Class 1), through the aiopjlink2 library.

The inventory lists them in `lab_projectors` (docs/classroom.md):

    lab_projectors:
      - {name: proj1, address: 10.20.0.60}            # port 4352, class 1 by default
    vault_lab_projector_password: "…"                 # in the room's vault, if it asks for one

Every action is per projector: a projector that does not answer within the timeout, asks
for a password labctl does not have, refuses it, or reports an error is that projector's
result, with the reason and the fix; nothing waits for longer than the timeout. Each
action's result goes to the audit log ("projector on", "projector input", ...).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
from dataclasses import dataclass, field

from labctl.core.room import Room
from labctl.i18n import _

ACTIONS = ("on", "off", "input", "mute", "unmute")
INPUTS = {"rgb1": "11", "rgb2": "12", "video1": "21", "hdmi1": "31", "hdmi2": "32",
          "network": "51"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$", re.I)


@dataclass(frozen=True)
class Projector:
    name: str
    address: str
    port: int = 4352
    password: str | None = field(default=None, repr=False)


@dataclass
class ProjectorState:
    name: str
    address: str
    outcome: str            # ok or failed
    reason: str = ""
    power: str | None = None       # on, off, warming, cooling
    input: str | None = None       # hdmi1, ... (or the PJLink code)
    muted: bool | None = None
    lamp_hours: list[int] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)   # "lamp: error", "fan: warning", ...


def problems(value) -> list[tuple[str, str]]:
    """(message, fix) for each thing wrong with a room's `lab_projectors`."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [(_("is not a list"), _("write a list: - {name: proj1, address: 10.20.0.60}"))]
    out = []
    for i, p in enumerate(value):
        where = _("item {n}", n=i + 1)
        if not isinstance(p, dict) or set(p) - {"name", "address", "port"}:
            out.append((_("{where} is not {{name, address[, port]}}", where=where),
                        _("give each projector a name and an address (port: optional)")))
            continue
        if not isinstance(p.get("name"), str) or not NAME_RE.match(p["name"]):
            out.append((_("{where}: {value} is not a projector name", where=where,
                          value=repr(p.get("name"))),
                        _("use letters, digits and '-' (e.g. proj1)")))
        try:
            ipaddress.IPv4Address(str(p.get("address")))
        except ValueError:
            out.append((_("{where}: {value} is not an IPv4 address", where=where,
                          value=repr(p.get("address"))),
                        _("give the projector's address, e.g. 10.20.0.60")))
        port = p.get("port", 4352)
        if not isinstance(port, int) or not 0 < port < 65536:
            out.append((_("{where}: port {value} is not a TCP port", where=where, value=repr(port)),
                        _("leave it out (4352)")))
    return out


@functools.lru_cache(maxsize=16)
def _password(inventory: str, host: str) -> str | None:
    """The room's projector password, read from its vault when first needed (the room
    model itself holds no secret)."""
    from labctl.core.inventory import render_vars
    value = render_vars(inventory, [host], ["vault_lab_projector_password"]).get(host, {})
    return str(value["vault_lab_projector_password"]) if value.get(
        "vault_lab_projector_password") else None


def projectors(room: Room) -> list[Projector]:
    if not room.vars.get("lab_projectors"):
        return []
    password = _password(str(room.inventory), room.seats[0].name)
    return [Projector(p["name"], str(p["address"]), int(p.get("port", 4352)), password)
            for p in room.vars.get("lab_projectors") or []]


def _why(exc: Exception, p: Projector, timeout: float) -> str:
    from aiopjlink import projector as pj
    if isinstance(exc, pj.PJLinkNoConnection) and "refused" in str(exc).lower() \
            or "connect call failed" in str(exc).lower():
        return (f"{p.address}:{p.port} refused the connection: is network control (PJLink) "
                "enabled on the projector?")
    if isinstance(exc, pj.PJLinkProtocolError) and "welcome" in str(exc):
        return (f"{p.address}:{p.port} took the connection but did not answer within "
                f"{timeout:.0f} s: switch the projector off and on at the wall")
    if isinstance(exc, (pj.PJLinkNoConnection, asyncio.TimeoutError, TimeoutError)):
        return (f"no answer from {p.address}:{p.port} within {timeout:.0f} s: is it plugged in "
                "and on the network (its standby network setting on)?")
    if isinstance(exc, pj.PJLinkPassword):
        if "required" in str(exc):
            return "it asks for a PJLink password: set vault_lab_projector_password in the vault"
        return ("it refused the password: set vault_lab_projector_password to the projector's "
                "PJLink password")
    if isinstance(exc, pj.PJLinkERR3):
        return "unavailable now: it is off, warming up or cooling down (switch it on first)"
    if isinstance(exc, pj.PJLinkERR2):
        return "it has no such input"
    if isinstance(exc, pj.PJLinkERR4):
        return "the projector reports a failure (see its alarms)"
    return f"{type(exc).__name__}: {exc}"


async def _state(p: Projector, timeout: float) -> ProjectorState:
    from aiopjlink import PJLink
    from aiopjlink import projector as pj
    link = PJLink(address=p.address, port=p.port, password=p.password, timeout=timeout)
    state = ProjectorState(p.name, p.address, "ok")
    power = await link.power.get()
    state.power = {"0": "off", "1": "on", "2": "cooling", "3": "warming"}[power.value]
    errors = await link.errors.query()
    state.alarms = [f"{c.value}: {'error' if lvl == pj.Errors.Level.ERROR else 'warning'}"
                    for c, lvl in errors.items() if lvl != pj.Errors.Level.OK]
    try:
        state.lamp_hours = [hours for hours, _on in await link.lamps.status()]
    except pj.PJLinkERR1:
        pass  # no lamp (a laser projector)
    if state.power == "on":
        mode, index = await link.sources.get()
        code = mode.value + str(index)
        state.input = next((k for k, v in INPUTS.items() if v == code), code)
        video, audio = await link.mute.status()
        state.muted = video or audio
    return state


async def _bounded(coro, p: Projector, timeout: float, fallback):
    """A projector's work, within a whole-conversation deadline: never a hang."""
    try:
        return await asyncio.wait_for(coro, timeout * 4)
    except Exception as exc:  # noqa: BLE001 - one projector's fault is its result
        return fallback(_why(exc, p, timeout))


def status(room: Room, names: list[str] | None = None, timeout: float = 3.0) -> list[ProjectorState]:
    chosen = [p for p in projectors(room) if not names or p.name in names]

    async def all_of():
        return await asyncio.gather(*(_bounded(_state(p, timeout), p, timeout, lambda why, p=p:
                                               ProjectorState(p.name, p.address, "failed", why))
                                      for p in chosen))
    return list(asyncio.run(all_of())) if chosen else []


async def _act(p: Projector, action: str, value: str | None, timeout: float) -> str:
    from aiopjlink import PJLink
    from aiopjlink import projector as pj
    link = PJLink(address=p.address, port=p.port, password=p.password, timeout=timeout)
    if action == "on":
        await link.power.turn_on()
    elif action == "off":
        await link.power.turn_off()
    elif action == "input":
        code = INPUTS[value]
        await link.sources.set(pj.Sources.Mode(code[0]), code[1])
    else:
        await link.mute.both(action == "mute")
    return ""


def act(room: Room, action: str, value: str | None = None, names: list[str] | None = None,
        timeout: float = 3.0, on_result=None) -> list[ProjectorState]:
    """on, off, input VALUE (one of INPUTS), mute, unmute on the room's projectors (or
    those named); a result per projector, each recorded in the audit log."""
    from labctl.core import audit
    from labctl.core.errors import LabError
    if action not in ACTIONS:
        raise LabError(_("no projector action {action}: use one of {actions}", action=repr(action),
                         actions=", ".join(ACTIONS)))
    if action == "input" and value not in INPUTS:
        raise LabError(_("no projector input {value}: use one of {inputs}", value=repr(value),
                         inputs=", ".join(INPUTS)))
    chosen = [p for p in projectors(room) if not names or p.name in names]
    if not chosen:
        raise LabError(_("room {room} has no projector named {names}: list it in "
                         "lab_projectors (docs/classroom.md)", room=room.name,
                         names=", ".join(names)) if names else
                       _("room {room} has no projector: list it in lab_projectors "
                         "(docs/classroom.md)", room=room.name))

    async def one(p: Projector) -> ProjectorState:
        async def done():
            await _act(p, action, value, timeout)
            return ProjectorState(p.name, p.address, "ok", " ".join(filter(None, [action, value])))
        return await _bounded(done(), p, timeout,
                              lambda why: ProjectorState(p.name, p.address, "failed", why))

    async def all_of():
        return await asyncio.gather(*(one(p) for p in chosen))

    results = list(asyncio.run(all_of()))
    for r in results:
        audit.record_event(room.name, f"projector {action}", r.name, r.outcome,
                           r.reason if r.outcome != "ok" else (value or ""))
        if on_result:
            on_result(r)
    return results
