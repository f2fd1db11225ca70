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
"""

from __future__ import annotations

import shlex
import socket
from dataclasses import dataclass

import paramiko

from labctl.core import audit, knownhosts
from labctl.core.errors import LabError
from labctl.core.hostkeys import fingerprint, recorded
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run

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
    sock = socket.create_connection((str(seat.ip), 22), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        try:
            transport.auth_none(user)
        except paramiko.BadAuthenticationType as exc:
            return bool({"password", "keyboard-interactive"} & set(exc.allowed_types))
        return True  # logged in with no credential at all: worse than a password
    finally:
        transport.close()


def enroll_seat(room: Room, seat: Seat, password: str, confirm, expect: str | None = None,
                timeout: float = 10.0) -> Enrolment:
    """Enrol one seat (see the module's help); confirm(seat, fingerprint) -> bool is asked
    only when no expected fingerprint is given."""
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

    try:
        sock = socket.create_connection((str(seat.ip), 22), timeout=timeout)
    except OSError as exc:
        return done("", "failed", f"cannot reach {seat.ip}: {exc.strerror or exc}")
    transport = paramiko.Transport(sock)
    try:
        try:
            transport.banner_timeout = timeout
            transport.start_client(timeout=timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return done("", "failed", f"no SSH key exchange with {seat.ip}: {exc}")
        key = transport.get_remote_server_key()
        offered = f"{key.get_name()} {key.get_base64()}"
        fp = fingerprint(offered)
        old = [fingerprint(k) for k in recorded(seat, state.known_hosts)]
        if old and old != [fp]:
            return done(fp, "refused", f"the room recorded {', '.join(old)} for {seat.name}, "
                        f"it offers {fp}: if it was really reinstalled, compare with its "
                        "console and run `labctl hostkey accept`; nothing changed")
        if expect is not None:
            if expect.strip() != fp:
                return done(fp, "refused", f"it offers {fp}, not the expected "
                            f"{expect.strip()}: the password was not sent, nothing changed")
        elif not old and not confirm(seat, fp):
            return done(fp, "refused", "not confirmed: the password was not sent, nothing changed")
        try:
            transport.auth_password(user, password)
        except (paramiko.BadAuthenticationType, paramiko.AuthenticationException) as exc:
            why = ("refuses password logins" if isinstance(exc, paramiko.BadAuthenticationType)
                   else "refused the password")
            return done(fp, "failed", f"{user}@{seat.ip} {why}; nothing changed")
        pub = state.admin_key.with_suffix(".pub").read_text().strip()
        status, _out, err = _session(transport, _authorize_script(user),
                                     f"{password}\n{pub}\n", timeout=60)
        if status != 0:
            why = err.strip().splitlines()[-1] if err.strip() else f"exit status {status}"
            return done(fp, "failed", f"installing the admin key failed: {why[:200]} "
                        "(is the account in the sudo group?)")
    finally:
        transport.close()
    knownhosts.replace({str(seat.ip): offered}, state.known_hosts, aliases={str(seat.ip): seat.name})
    try:
        with Connector.for_room(room, timeout=timeout, retries=1).session(seat) as client:
            if not run(client, "true", timeout=timeout).ok:
                raise LabError("the admin key logs in but cannot run a command")
        if password_offered(seat, user, timeout):
            return done(fp, "failed", "the key is recorded and the admin key installed, but "
                        f"sshd still takes {user}'s password: check {DROP_IN}")
    except (LabError, OSError, paramiko.SSHException) as exc:
        return done(fp, "failed", f"the key is recorded, but checking the enrolment failed: {exc}")
    return done(fp, "enrolled", f"host key recorded, the room's admin key installed, "
                f"password login of {user} off")
