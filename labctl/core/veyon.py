"""The students' screens through Veyon (docs/classroom.md): lock, unlock, a message, a
screenshot, on a seat, a selection, a row or the room.

labctl does not rebuild Veyon. The lab_veyon role sets up Veyon's service on every
terminal from the inventory (the room's public key, the room as Veyon's network-object
directory, connections only from the room's teacher and admin hosts); here the admin host
drives it through Veyon's own WebAPI (`veyon-cli webapi runserver`, started for the action
and stopped after it), each seat's connection authenticated with the room's private key,
which is read from the room's vault for the request and never written anywhere.

Every action is per seat: a seat that has no Veyon, refuses the room's key or does not
answer in time is that seat's result, with the reason. A lock or a message counts only once
Veyon's own picture of the screen shows it. Every result goes to the audit log.
"""

from __future__ import annotations

import contextlib
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

from labctl.core.errors import LabError
from labctl.core.room import Room, Seat
from labctl.i18n import _

PORT = 11100                       # Veyon Server on each seat
WEBAPI_PORT = 11080                # Veyon's WebAPI, on the admin host while an action runs
KEYFILE_METHOD = "0c69b301-81b4-42d6-8fae-128cdd113314"   # Veyon's key-file authentication
ACTIONS = ("lock", "unlock", "message", "shot")
# action -> (Veyon's feature, started or stopped)
SCREEN_LOCK, TEXT_MESSAGE = "ccb535a2-1d24-4cc1-a709-8b47d2b2ac79", "e75ae9c8-ac17-4d00-8f0d-019348346208"
FEATURES = {"lock": (SCREEN_LOCK, True), "unlock": (SCREEN_LOCK, False), "message": (TEXT_MESSAGE, True)}
MESSAGE_MAX = 500
# the share of the screen an action must change, seen in Veyon's pictures before and after:
# the lock screen covers it; a message's window is at least a small dialog
SHOWN = {"lock": 0.5, "message": 0.005}
LOCK_GREY = 64  # the colour of Veyon's lock screen, (64, 64, 64), around its padlock
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


def _listening(seat: Seat, timeout: float) -> bool:
    try:
        with socket.create_connection((str(seat.ip), PORT), timeout=timeout):
            return True
    except OSError:
        return False


def _unusable(seat: Seat, timeout: float) -> ScreenResult | None:
    """Why Veyon cannot be asked on this seat (a result), or None."""
    if not enabled(seat):
        return ScreenResult(seat.name, "skipped", _("no Veyon on this seat (lab_veyon_enabled "
                                                    "is false, or it is a server)"))
    if not _listening(seat, min(timeout, 3.0)):
        return ScreenResult(seat.name, "failed", _(
            "Veyon does not answer on {address}:{port}: is the seat on, and veyon-service "
            "running with a student's session (site.yml --tags lab_veyon)?",
            address=seat.ip, port=PORT))
    return None


class _WebApi:
    """Veyon's WebAPI on the admin host (`veyon-cli webapi runserver`, for as long as an
    action needs it): each seat's connection is authenticated with the room's private key,
    sent with the request from the vault (it is never written to the admin host's disk), and
    nothing can be asked of it without that key. The server is stopped when done."""

    def __init__(self, room: Room, timeout: float):
        self.room, self.timeout, self.proc = room, timeout, None
        self.key = _private_key(str(room.inventory), room.seats[0].name)
        if not self.key:
            raise LabError(_("room {room} has no Veyon key: set vault_lab_veyon_private_key in "
                             "the room's vault (docs/classroom.md says how to make one)",
                             room=room.name))

    def __enter__(self):
        if not self._up():  # another labctl's server answers otherwise: the key is per request
            home = self.room.state.dir / "veyon"
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.proc = subprocess.Popen(
                [_veyon_cli(), "webapi", "runserver"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home)})
            deadline = time.monotonic() + 10
            while not self._up():
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__()
                    raise LabError(_("Veyon's WebAPI did not start on the admin host (port "
                                     "{port})", port=WEBAPI_PORT))
                time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    @staticmethod
    def _up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", WEBAPI_PORT), timeout=0.5):
                return True
        except OSError:
            return False

    def _call(self, method: str, path: str, body=None, uid: str | None = None):
        import urllib.error
        import urllib.request
        request = urllib.request.Request(
            f"http://127.0.0.1:{WEBAPI_PORT}/api/v1/{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Connection-Uid": uid} if uid else {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError as exc:  # the server did not answer in time
            return 0, str(exc).encode()

    @contextlib.contextmanager
    def connected(self, seat: Seat):
        """A connection to the seat's Veyon Server, authenticated with the room's key."""
        status, body = self._call("POST", f"authentication/{seat.ip}", {
            "method": KEYFILE_METHOD,
            "credentials": {"keyname": key_name(self.room.name), "keydata": self.key}})
        if status != 200:
            raise LabError(_("Veyon refused the connection: the seat does not accept the "
                             "room's key (re-run site.yml --tags lab_veyon on it)")
                           if b"uthentication" in body else
                           _("Veyon could not connect: {why}", why=body.decode(errors="replace")[:200]))
        uid = json.loads(body)["connection-uid"]
        try:
            yield uid
        finally:
            self._call("DELETE", f"authentication/{seat.ip}", uid=uid)

    def frame(self, uid: str) -> bytes:
        """The screen as PNG, once it has settled (LabError when Veyon gives none in time)."""
        deadline = time.monotonic() + self.timeout
        blank_until = time.monotonic() + min(5.0, self.timeout / 2)  # a blank screen is one too
        last = None
        while True:
            status, body = self._call("GET", "framebuffer?format=png", uid=uid)
            # a connection's first pictures are blank, then partly drawn, until the screen has
            # arrived: a picture counts once the next one is the same
            if status == 200:
                if last is not None and not _blank(body) and changed(last, body) == 0:
                    return body
                if time.monotonic() > blank_until and last is not None:
                    return body
                last = body
            if time.monotonic() > deadline:
                raise LabError(_("Veyon gave no picture of the screen within {seconds:.0f} s",
                                 seconds=self.timeout))
            time.sleep(0.2)

    def feature(self, uid: str, feature: str, active: bool, arguments: dict | None) -> None:
        status, body = self._call("PUT", f"feature/{feature}",
                                  {"active": active, "arguments": arguments or {}}, uid=uid)
        if status != 200:
            raise LabError(_("Veyon could not do it: {why}", why=body.decode(errors="replace")[:200]))


def _keep(room: Room, seat: Seat, png: bytes) -> str:
    shots = room.state.dir / "veyon" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = shots / f"{seat.name}-{time.strftime('%Y%m%d-%H%M%S')}.png"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(png)
    return str(path)


def _blank(png: bytes) -> bool:
    import io

    from PIL import Image
    return len(Image.open(io.BytesIO(png)).convert("RGB").resize((64, 40)).getcolors(2) or [1, 2]) == 1


def looks_locked(png: bytes) -> bool:
    """Veyon's lock screen: its grey (64, 64, 64) over nearly all of the screen, the padlock
    being the rest (7 %). An unlock waits for such a screen to change."""
    import io

    from PIL import Image
    grid = Image.open(io.BytesIO(png)).convert("RGB").resize((64, 40))
    count, colour = max(grid.getcolors(64 * 40))
    return count >= 0.85 * 64 * 40 and all(abs(c - LOCK_GREY) <= 8 for c in colour)


def changed(before: bytes, after: bytes) -> float:
    """The share of the screen that differs between two PNGs (compared on a 64x40 grid)."""
    import io

    from PIL import Image, ImageChops
    a, b = (Image.open(io.BytesIO(p)).convert("L").resize((64, 40)) for p in (before, after))
    return sum(1 for v in ImageChops.difference(a, b).tobytes() if v > 24) / (64 * 40)  # L: a byte each


def _until_changed(api: _WebApi, uid: str, before: bytes, needed: float, seconds: float) -> float:
    """Veyon's pictures of the screen until one differs from `before` by `needed`, or
    `seconds` have passed: the share of the screen that changed, the last seen."""
    share, deadline = 0.0, time.monotonic() + seconds
    while share < needed and time.monotonic() < deadline:
        time.sleep(0.5)
        share = changed(before, api.frame(uid))
    return share


def _unlocked(api: _WebApi, uid: str, seat: Seat, before: bytes, start: float) -> ScreenResult:
    """An unlock is done when a screen that showed the lock screen changes; a screen that
    did not show it is left as it was. The connection stays open meanwhile: Veyon sends the
    unlock over it, and a connection closed at once can drop it unsent."""
    locked = looks_locked(before)
    share = _until_changed(api, uid, before, SHOWN["lock"], min(api.timeout, 8.0) if locked else 1.0)
    if locked and share < SHOWN["lock"]:
        return ScreenResult(seat.name, "failed", _(
            "Veyon took the unlock, but the seat's screen still shows the lock screen: look at "
            "it, and unlock it again"), time.monotonic() - start)
    return ScreenResult(seat.name, "ok", seconds=time.monotonic() - start)


def _on_seat(api: _WebApi, room: Room, seat: Seat, action: str, arguments: dict | None) -> ScreenResult:
    """One action on one seat through its own Veyon connection. A screenshot is kept; a lock
    or a message is proved by Veyon's pictures of the screen before and after, which must
    differ by SHOWN[action]: what Veyon takes but the screen does not show is a failure, said
    as such (the teacher must not believe a screen locked that is not)."""
    start = time.monotonic()
    result = _unusable(seat, api.timeout)
    if result:
        return result
    try:
        with api.connected(seat) as uid:
            if action == "shot":
                return ScreenResult(seat.name, "ok", path=_keep(room, seat, api.frame(uid)),
                                    seconds=time.monotonic() - start)
            before = api.frame(uid)  # lock, unlock and message are each proved by the screen
            feature, active = FEATURES[action]
            api.feature(uid, feature, active, arguments)
            if action == "unlock":
                return _unlocked(api, uid, seat, before, start)
            share = _until_changed(api, uid, before, SHOWN[action], min(api.timeout, 8.0))
            if share < SHOWN[action]:
                return ScreenResult(seat.name, "failed", _(
                    "Veyon took it, but the seat's screen did not change ({share:.1%} of it): the "
                    "students do not see it (docs/classroom.md: Veyon's windows on Debian 12)",
                    share=share), time.monotonic() - start)
            return ScreenResult(seat.name, "ok", seconds=time.monotonic() - start)
    except LabError as exc:
        return ScreenResult(seat.name, "failed", str(exc), time.monotonic() - start)


def act(room: Room, seats: list[Seat], action: str, text: str | None = None,
        timeout: float = 20.0, on_result=None) -> list[ScreenResult]:
    """lock, unlock, message (TEXT) or shot on each seat at once: a result per seat, each
    in the audit log (a screenshot's path in its detail)."""
    from labctl.core import audit
    if action not in ACTIONS:
        raise LabError(_("no screen action {action}: use one of {actions}", action=repr(action),
                         actions=", ".join(ACTIONS)))
    arguments = None
    if action == "message":
        if not text or not text.strip() or len(text) > MESSAGE_MAX:
            raise LabError(_("a message needs a text of 1 to {n} characters", n=MESSAGE_MAX))
        arguments = {"text": text, "icon": 1}
    results: list[ScreenResult] = []
    with contextlib.ExitStack() as stack:
        api = stack.enter_context(_WebApi(room, timeout)) if any(enabled(s) for s in seats) else None

        def one(seat: Seat) -> ScreenResult:
            if api is None:
                return _unusable(seat, timeout)
            return _on_seat(api, room, seat, action, arguments)
        with ThreadPoolExecutor(max_workers=max(1, min(16, len(seats)))) as pool:
            for r in pool.map(one, seats):
                audit.record_event(room.name, f"screens {action}", r.seat, r.outcome,
                                   r.reason if r.outcome != "ok" else (r.path or text or "")[:200])
                results.append(r)
                if on_result:
                    on_result(r)
    return results


def screenshot(room: Room, seat: Seat, timeout: float = 20.0) -> ScreenResult:
    """A picture of a student's screen through Veyon, kept in the room's state directory
    (veyon/screenshots, root's only); the result's path names the PNG."""
    return act(room, [seat], "shot", timeout=timeout)[0]
