"""Enrolment: a terminal that already runs Debian joins the room on the technician's word.

    labctl enroll pc01 pc02 ...        (asks the admin's password once, at the terminal)

For each seat, in this order, and nothing else:

1. a key exchange alone: the host key the seat offers, and its fingerprint (SHA256, as
   `ssh-keygen -lf` prints it on the seat's own console). A seat whose key differs from one
   the room already recorded is refused (a reinstalled PC: `labctl hostkey accept`);
2. the technician confirms that fingerprint (or it equals `--expect-fingerprint`). If not,
   the connection closes: the password was never sent and nothing changed;
3. on that same, now verified, connection: one password login of the admin account, which
   installs the room's admin key (authorized_keys) and, through sudo, turns password login
   off for the admin (`/etc/ssh/sshd_config.d/10-labctl-enroll.conf`, checked by `sshd -t`
   before sshd reloads);
4. the key is recorded in the room's known_hosts; then the admin key logs in over a
   verified connection, and sshd no longer offers the admin a password login (asked
   without sending one).

The password is asked at the terminal (or read from standard input with --password-stdin),
is held only for the run, goes to the seat's sudo on standard input, and never reaches an
argument, the output or the audit log. Every seat's outcome is written to the audit log.

    labctl enroll --installed pc01 ...   (PCs the network install made: no password)

The installer already put the admin key in place and, as its last step, handed the new host
key over to the lab server from the seat's own address (docs/real-room.md). labctl reads
those keys from the server over its verified SSH connection; step 2 is then "the offered key
is the handed-over one" and step 3 is skipped.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import paramiko

from labctl.core import audit, knownhosts
from labctl.core.errors import ConnectError, LabError
from labctl.core.hostkeys import fingerprint, key_exchange, recorded
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run
from labctl.i18n import _

DROP_IN = "/etc/ssh/sshd_config.d/10-labctl-enroll.conf"


@dataclass(frozen=True)
class Enrolment:
    seat: str
    fingerprint: str     # the key the seat offered ("" when it did not answer)
    outcome: str         # enrolled, refused, failed
    detail: str


def _session(transport: paramiko.Transport, command: str, stdin: str, timeout: float):
    """Run one command on the authenticated transport: (exit status, stdout, stderr)."""
    channel = transport.open_session(timeout=timeout)
    try:
        channel.settimeout(timeout)
        channel.exec_command(command)
        channel.sendall(stdin.encode())
        channel.shutdown_write()
        out = channel.makefile("rb").read().decode(errors="replace")
        err = channel.makefile_stderr("rb").read().decode(errors="replace")
        return channel.recv_exit_status(), out, err
    finally:
        channel.close()


def _authorize_script(admin: str) -> str:
    """Runs as the admin: the room's key (on stdin, after sudo's password line) in
    authorized_keys; then, as root, password login off for the admin, sshd reloaded."""
    conf = (f"# labctl enroll: {admin} logs in with the room's admin key only\n"
            f"Match User {admin}\n    PasswordAuthentication no\n"
            "    KbdInteractiveAuthentication no\n")
    root = (f"umask 022 && printf %s {shlex.quote(conf)} > {DROP_IN}.new && "
            f"mv {DROP_IN}.new {DROP_IN} && "
            f"if sshd -t; then systemctl reload ssh; else rm -f {DROP_IN}; "
            "echo 'sshd refused the configuration' >&2; exit 3; fi")
    return ("IFS= read -r pw && IFS= read -r key && umask 077 && mkdir -p ~/.ssh && "
            "touch ~/.ssh/authorized_keys && "
            "{ grep -qxF \"$key\" ~/.ssh/authorized_keys || "
            "printf '%s\\n' \"$key\" >> ~/.ssh/authorized_keys; } && "
            "printf '%s\\n' \"$pw\" | sudo -S -p '' sh -c " + shlex.quote(root))


def password_offered(seat: Seat, user: str, timeout: float = 10.0) -> bool:
    """Does the seat's sshd still offer the user a password login? Asked with SSH's "none"
    method, which answers with the methods left: no password is sent."""
    transport, _key = key_exchange(seat, timeout)
    try:
        try:
            transport.auth_none(user)
        except paramiko.BadAuthenticationType as exc:
            return bool({"password", "keyboard-interactive"} & set(exc.allowed_types))
        return True  # logged in with no credential at all: worse than a password
    finally:
        transport.close()


HANDOVER_DIR = "/var/lib/lab-install/hostkeys"  # the role's lab_server_hostkey_dir default
HANDED_KEY = re.compile(r"(ssh-ed25519 [A-Za-z0-9+/]+={0,2})(?: [\x21-\x7e]*)?\n?")


def handed_over(room: Room, seats: list[Seat], timeout: float = 10.0) -> dict[str, str]:
    """The host keys the network installer handed over to the lab server ("type base64"),
    read from the server over the room's verified SSH: {seat: key} for the seats that have
    one. The installer's last step puts its new key there, over HTTP from the seat's own
    address while it is armed for install (docs/real-room.md)."""
    server = room.servers[0] if room.servers else None
    if server is None:
        raise LabError(_("the room has no lab server to hand host keys over to"))
    where = str(server.vars.get("lab_server_hostkey_dir", HANDOVER_DIR))
    names = " ".join(shlex.quote(f"{where}/{s.name}.pub") for s in seats)
    # read as the web server's account, which wrote them: root follows no path it can write
    with Connector.for_room(room, timeout=timeout, retries=1).session(server) as client:
        out = run(client, f"for f in {names}; do printf '%s\\t' \"$f\"; sudo -n -u www-data "
                          "head -c 2048 \"$f\" 2>/dev/null | head -n 1; echo; done", timeout=30)
    keys = {}
    for line in out.stdout.splitlines():
        path, _tab, text = line.partition("\t")
        match = HANDED_KEY.fullmatch(text.strip() + "\n") if text.strip() else None
        if match:
            keys[Path(path).name.removesuffix(".pub")] = match.group(1)
    return keys


def enroll(room: Room, seats: list[Seat], password: str | None, confirm,
           expect: str | None = None, installed: bool = False) -> list[Enrolment]:
    """Enrol the seats, one result each: with a password login each (see the module's
    help), or, installed, from the host keys their network install handed over."""
    handed = handed_over(room, seats) if installed else {}
    return [enroll_seat(room, seat, password, confirm, expect, installed=installed,
                        handed=handed.get(seat.name)) for seat in seats]


def enroll_seat(room: Room, seat: Seat, password: str | None, confirm, expect: str | None = None,
                timeout: float = 10.0, installed: bool = False,
                handed: str | None = None) -> Enrolment:
    """Enrol one seat (see the module's help); confirm(seat, fingerprint) -> bool is asked
    only when no expected fingerprint is given. installed: the seat was made by the network
    install, which put the admin key in place and handed its host key over (handed, from
    handed_over()): no password, and the offered key must be the handed one."""
    state = room.state
    user = str(room.vars.get("ansible_user", "labadmin"))

    def done(fp: str, outcome: str, detail: str) -> Enrolment:
        audit.record_event(room.name, "enroll", seat.name, "ok" if outcome == "enrolled"
                           else outcome, f"{fp or '-'}: {detail}")
        return Enrolment(seat.name, fp, outcome, detail)

    known = recorded(seat, state.known_hosts)
    if known:
        try:  # enrolled before: the admin key logs in over a verified connection
            with Connector.for_room(room, timeout=timeout, retries=0).session(seat) as client:
                if run(client, "true", timeout=timeout).ok:
                    return done(fingerprint(known[0]), "enrolled", "already enrolled: the "
                                "admin key logs in and the host key is the recorded one")
        except LabError:
            pass  # not yet (or the key changed: refused below, after the key exchange)
    if installed and handed is None:
        return done("", "failed", "its installer handed no host key over to the lab server: "
                    "is it armed (lab_install: true), did the install finish? (docs/real-room.md)")

    try:
        transport, offered = key_exchange(seat, timeout)
    except ConnectError as exc:
        return done("", "failed", exc.reason)
    try:
        fp = fingerprint(offered)
        old = [fingerprint(k) for k in known]
        if old and old != [fp]:
            return done(fp, "refused", f"the room recorded {', '.join(old)} for {seat.name}, "
                        f"it offers {fp}: if it was really reinstalled, compare with its "
                        "console and run `labctl hostkey accept`; nothing changed")
        if installed:
            if handed.split()[:2] != offered.split()[:2]:
                return done(fp, "refused", f"it offers {fp}, but its installer handed over "
                            f"{fingerprint(handed)}: not the installed PC (or reinstalled "
                            "since); nothing changed")
        elif expect is not None:
            if expect.strip() != fp:
                return done(fp, "refused", f"it offers {fp}, not the expected "
                            f"{expect.strip()}: the password was not sent, nothing changed")
        elif not old and not confirm(seat, fp):
            return done(fp, "refused", "not confirmed: the password was not sent, nothing changed")
        if not installed:
            failed = _install_admin_key(transport, state, user, password, timeout)
            if failed:
                return done(fp, "failed", f"{user}@{seat.ip} {failed}")
    finally:
        transport.close()
    knownhosts.replace({str(seat.ip): offered}, state.known_hosts, aliases={str(seat.ip): seat.name})
    try:
        with Connector.for_room(room, timeout=timeout, retries=1).session(seat) as client:
            if not run(client, "true", timeout=timeout).ok:
                raise LabError(_("the admin key logs in but cannot run a command"))
        if password_offered(seat, user, timeout):
            return done(fp, "failed", "the key is recorded and the admin key installed, but "
                        f"sshd still takes {user}'s password: check {DROP_IN}")
    except (LabError, paramiko.SSHException) as exc:
        return done(fp, "failed", f"the key is recorded, but checking the enrolment failed: {exc}")
    how = "handed over by its installer" if installed else "confirmed"
    return done(fp, "enrolled", f"host key {how} and recorded, the room's admin key "
                f"logs in, password login of {user} off")


def _install_admin_key(transport: paramiko.Transport, state, user: str, password: str,
                       timeout: float) -> str:
    """One password login on the verified transport, which installs the room's admin key
    and turns password login off: "" when done, else why not (nothing changed, or what)."""
    try:
        transport.auth_password(user, password)
    except (paramiko.BadAuthenticationType, paramiko.AuthenticationException) as exc:
        why = ("refuses password logins" if isinstance(exc, paramiko.BadAuthenticationType)
               else "refused the password")
        return f"{why}; nothing changed"
    pub = state.admin_key.with_suffix(".pub").read_text().strip()
    status, _out, err = _session(transport, _authorize_script(user), f"{password}\n{pub}\n",
                                 timeout=max(timeout, 60))
    if status != 0:
        why = err.strip().splitlines()[-1] if err.strip() else f"exit status {status}"
        return f"could not install the admin key: {why[:200]} (is the account in the sudo group?)"
    return ""
