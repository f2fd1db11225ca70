"""The students' screens through Veyon (docs/classroom.md): lock, unlock, a message, a
screenshot, on a seat, a selection, a row or the room.

labctl does not rebuild Veyon. The lab_veyon role sets up Veyon's service on every
terminal from the inventory (the room's public key, the room as Veyon's network-object
directory, connections only from the room's teacher and admin hosts); here the admin host
drives it with Veyon's own command line (`veyon-cli feature start|stop HOST FEATURE`),
authenticated with the room's private key, which exists only in the room's vault and, once
labctl has used it, in the admin host's Veyon key directory (root's, 0600).

Every action is per seat: a seat that has no Veyon, refuses the room's key or does not
answer in time is that seat's result, with the reason; every result goes to the audit log.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from labctl.core.errors import LabError
from labctl.core.room import Room, Seat
from labctl.i18n import _

PORT = 11100                       # Veyon Server on each seat
KEY_DIR = Path("/etc/veyon/keys/private")
# action -> (veyon-cli's operation, Veyon's feature)
ACTIONS = {"lock": ("start", "ScreenLock"), "unlock": ("stop", "ScreenLock"),
           "message": ("start", "TextMessage")}
MESSAGE_MAX = 500
_UID_NS = uuid.UUID("6f2c8a36-4c9e-5e43-9d0c-1a7d5b0f3e21")


@dataclass
class ScreenResult:
    seat: str
    outcome: str                   # ok, failed, skipped
    reason: str = ""
    seconds: float = 0.0
    path: str | None = None        # a screenshot's file


def problems(masters) -> list[tuple[str, str]]:
    """(message, fix) for each thing wrong with lab_veyon_masters (None: the default)."""
    if masters is None:
        return []
    if not isinstance(masters, list):
        return [(_("is not a list"), _("write a list of IPv4 addresses: [10.20.0.1, 10.20.0.2]"))]
    out = []
    for value in masters:
        try:
            ipaddress.IPv4Address(str(value))
        except ValueError:
            out.append((_("{value} is not an IPv4 address", value=repr(value)),
                        _("give the admin host's and the teacher PC's addresses")))
    return out


def enabled(seat: Seat) -> bool:
    """Whether lab_veyon sets Veyon up on the seat (every terminal unless switched off)."""
    return seat.is_terminal and seat.vars.get("lab_veyon_enabled", True) is not False


def key_name(room_name: str) -> str:
    """The room's key in Veyon's key directories: letters only, as Veyon requires, one per
    room so that one admin host keeps the keys of a campus's rooms side by side
    (b305 -> labctlbdaf)."""
    return "labctl" + "".join(c if c.isalpha() else "abcdefghij"[int(c)] if c.isdigit() else ""
                              for c in room_name.lower() if c.isascii())


def _uid(*parts: str) -> str:
    return "{" + str(uuid.uuid5(_UID_NS, "/".join(parts))) + "}"


def network_objects(room_name: str, seats: list[dict], masters: list[str]) -> list[dict]:
    """Veyon's built-in network-object directory for a room: the room as a location with
    its terminals in row order (name, address, MAC), and the teacher's location holding the
    hosts Veyon accepts connections from. `seats` are dicts of name, ip, mac, row, column."""
    room_uid, front_uid = _uid(room_name), _uid(room_name, "teacher")
    out = [{"Name": room_name, "Type": 2, "Uid": room_uid}]
    for s in sorted(seats, key=lambda s: (s.get("row") or 0, s.get("column") or 0, s["name"])):
        out.append({"Name": s["name"], "Type": 3, "HostAddress": str(s["ip"]),
                    "MacAddress": s["mac"], "ParentUid": room_uid,
                    "Uid": _uid(room_name, s["name"])})
    out.append({"Name": f"{room_name} teacher", "Type": 2, "Uid": front_uid})
    for i, address in enumerate(masters):
        out.append({"Name": f"teacher{i + 1}", "Type": 3, "HostAddress": str(address),
                    "MacAddress": "", "ParentUid": front_uid, "Uid": _uid(room_name, "teacher", str(i))})
    return out


def masters(room: Room) -> list[str]:
    """The hosts a seat's Veyon accepts: lab_veyon_masters, by default the admin host."""
    return [str(a) for a in room.vars.get("lab_veyon_masters") or [room.gateway]]


def config(room_name: str, seats: list[dict], masters: list[str]) -> dict:
    """Veyon's configuration for a room, as `veyon-cli config import` reads it: key-file
    authentication and the room as the network-object directory. The seats' (lab_veyon)
    and Veyon Master's (`labctl screens export`) are the same."""
    return {"Authentication": {"Method": "1"},
            "BuiltinDirectory": {"NetworkObjects": {
                "JsonStoreArray": network_objects(room_name, seats, masters)}},
            "Service": {"Autostart": True, "FailedAuthenticationNotifications": False},
            # on Windows, Veyon's own firewall exception would open its port to every
            # address: lab_windows_veyon opens it to the masters instead
            "Network": {"FirewallExceptionEnabled": False}}


def master_config(room: Room) -> dict:
    return config(room.name, [{"name": s.name, "ip": str(s.ip), "mac": s.mac, "row": s.row,
                               "column": s.column} for s in room.terminals if enabled(s)],
                  masters(room))


def public_key(private_pem: str) -> str:
    """The public half of the room's Veyon key (PEM), as `veyon-cli authkeys extract` makes it."""
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def make_key() -> str:
    """A new room key (RSA 2048, PKCS#8 PEM, as `veyon-cli authkeys create` makes one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@functools.lru_cache(maxsize=16)
def _private_key(inventory: str, host: str) -> str | None:
    from labctl.core.inventory import render_vars
    value = render_vars(inventory, [host], ["vault_lab_veyon_private_key"]).get(host, {})
    return str(value["vault_lab_veyon_private_key"]) if value.get("vault_lab_veyon_private_key") else None


def _veyon_cli() -> str:
    found = shutil.which("veyon-cli")
    if not found:
        raise LabError(_("veyon-cli is not installed on the admin host: install Debian's "
                         "veyon-master (apt-get install veyon-master libqca-qt5-2-plugins)"))
    return found


def _env(room: Room) -> dict:
    return {**os.environ, "VEYON_AUTH_KEY_NAME": key_name(room.name), "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(room.state.dir / "veyon")}


def prepare_master(room: Room) -> None:
    """The admin host's side: the room's private key in Veyon's key directory (root's,
    0600, written only when it differs) and key-file authentication in Veyon's system
    configuration, which veyon-cli reads."""
    cli = _veyon_cli()
    private = _private_key(str(room.inventory), room.seats[0].name)
    if not private:
        raise LabError(_("room {room} has no Veyon key: set vault_lab_veyon_private_key in the "
                         "room's vault (docs/classroom.md says how to make one)", room=room.name))
    path = KEY_DIR / key_name(room.name) / "key"
    if not path.exists() or path.read_text() != private:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent.parent, 0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(private)
        os.replace(tmp, path)
    (room.state.dir / "veyon").mkdir(parents=True, exist_ok=True, mode=0o700)
    got = subprocess.run([cli, "config", "get", "Authentication/Method"], env=_env(room),
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if got.stdout.strip() != "1":
        subprocess.run([cli, "config", "set", "Authentication/Method", "1"], env=_env(room),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                       check=True)


def _listening(seat: Seat, timeout: float) -> bool:
    try:
        with socket.create_connection((str(seat.ip), PORT), timeout=timeout):
            return True
    except OSError:
        return False


def _one(room: Room, seat: Seat, operation: str, feature: str, argument: str | None,
         timeout: float) -> ScreenResult:
    start = time.monotonic()

    def done(outcome, reason=""):
        return ScreenResult(seat.name, outcome, reason, time.monotonic() - start)
    if not enabled(seat):
        return done("skipped", _("no Veyon on this seat (lab_veyon_enabled is false, or it is "
                                 "a server)"))
    if not _listening(seat, min(timeout, 3.0)):
        return done("failed", _("Veyon does not answer on {address}:{port}: is the seat on, and "
                                "veyon-service running with a student's session (site.yml "
                                "--tags lab_veyon)?", address=seat.ip, port=PORT))
    argv = [_veyon_cli(), "feature", operation, str(seat.ip), feature] + ([argument] if argument else [])
    try:
        proc = subprocess.run(argv, env=_env(room), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return done("failed", _("Veyon did not finish within {seconds:.0f} s", seconds=timeout))
    said = (proc.stdout + proc.stderr)
    if proc.returncode == 0 and "[ERROR]" not in said:
        return done("ok")
    if "Could not establish a connection" in said:
        return done("failed", _("Veyon refused the connection: the seat does not accept the "
                                "room's key (re-run site.yml --tags lab_veyon on it)"))
    return done("failed", said.strip().splitlines()[-1][:300] if said.strip() else
                _("veyon-cli exited with {rc}", rc=proc.returncode))


def screenshot(room: Room, seat: Seat, timeout: float = 20.0) -> ScreenResult:
    """A screenshot of a student's screen through Veyon (its Screenshot feature), kept in the
    room's state directory (veyon/.veyon/Screenshots, root's only); the result's path names
    the PNG. Recorded in the audit log."""
    from labctl.core import audit
    if enabled(seat):
        prepare_master(room)
    shots = room.state.dir / "veyon" / ".veyon" / "Screenshots"
    before = set(shots.glob("*.png")) if shots.is_dir() else set()
    result = _one(room, seat, "start", "Screenshot", None, timeout)
    if result.outcome == "ok":
        made = sorted(set(shots.glob(f"*_{seat.ip}_*.png")) - before, key=lambda p: p.stat().st_mtime)
        if made and made[-1].stat().st_size > 0:
            result.path = str(made[-1])
        else:
            result.outcome, result.reason = "failed", _("Veyon answered but wrote no screenshot")
    audit.record_event(room.name, "screens shot", seat.name, result.outcome,
                       result.path or result.reason)
    return result


def act(room: Room, seats: list[Seat], action: str, text: str | None = None,
        timeout: float = 20.0, on_result=None) -> list[ScreenResult]:
    """lock, unlock or message (TEXT) on each seat at once: a result per seat, each in the
    audit log."""
    from labctl.core import audit
    if action not in ACTIONS:
        raise LabError(_("no screen action {action}: use one of {actions}", action=repr(action),
                         actions=", ".join(ACTIONS)))
    argument = None
    if action == "message":
        if not text or not text.strip() or len(text) > MESSAGE_MAX:
            raise LabError(_("a message needs a text of 1 to {n} characters", n=MESSAGE_MAX))
        argument = json.dumps({"text": text, "icon": 1}, ensure_ascii=False)
    if any(enabled(s) for s in seats):
        prepare_master(room)
    operation, feature = ACTIONS[action]
    results: list[ScreenResult] = []
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(seats)))) as pool:
        for r in pool.map(lambda s: _one(room, s, operation, feature, argument, timeout), seats):
            audit.record_event(room.name, f"screens {action}", r.seat, r.outcome,
                               r.reason if r.outcome != "ok" else (text or "")[:80])
            results.append(r)
            if on_result:
                on_result(r)
    return results
