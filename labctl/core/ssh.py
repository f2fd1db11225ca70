"""The one place that owns paramiko: connect to a seat with its host key verified.

Errors are mapped to labctl's own, each with a message a technician can act on.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko

from labctl.core.errors import ConnectError, HostKeyError

# paramiko logs a seat that is still booting as a traceback, which Python prints on stderr
# when nothing handles it; labctl reports such a seat itself, once, in words
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Result:
    """The outcome of one command on one seat."""

    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class Connector:
    """Opens verified, key-only SSH connections to the room's seats."""

    def __init__(self, user: str, key_file: Path, known_hosts: Path, timeout: float = 5.0,
                 retries: int = 2):
        self.user = user
        self.key_file = Path(key_file)
        self.known_hosts = Path(known_hosts)
        self.timeout = timeout
        self.retries = retries

    @classmethod
    def for_room(cls, room, **options) -> "Connector":
        """The room's connector: its admin account (the inventory's ansible_user), the room's
        own admin key and known_hosts; options (timeout, retries) as the caller needs them."""
        return cls(user=room.vars.get("ansible_user", "labadmin"), key_file=room.state.admin_key,
                   known_hosts=room.state.known_hosts, **options)

    @contextmanager
    def session(self, seat):
        """A verified connection to one seat for the length of a `with` block."""
        client = self.connect(seat.name, str(seat.ip))
        try:
            yield client
        finally:
            client.close()

    def connect(self, host: str, address: str) -> paramiko.SSHClient:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(0.2 * attempt + random.uniform(0, 0.2))
            try:
                return self._connect_once(host, address)
            except HostKeyError:
                raise
            except ConnectError as exc:
                last = exc
        raise last  # type: ignore[misc]

    def _connect_once(self, host: str, address: str) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(self.known_hosts))
        except FileNotFoundError:
            raise HostKeyError(host, f"no known_hosts file at {self.known_hosts}: record the "
                                     "room's host keys first (`labctl vlab up` does it for the "
                                     "virtual room)") from None
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(address, username=self.user, key_filename=str(self.key_file),
                           timeout=self.timeout, banner_timeout=self.timeout,
                           auth_timeout=self.timeout, allow_agent=False, look_for_keys=False)
        except paramiko.BadHostKeyException:
            client.close()
            raise HostKeyError(host, f"the host key of {address} has CHANGED since it was "
                                     f"recorded in {self.known_hosts}; if the seat was really "
                                     "reinstalled, verify and replace its key, else treat it "
                                     "as an attack") from None
        except paramiko.SSHException as exc:
            client.close()
            if "not found in known_hosts" in str(exc):
                raise HostKeyError(host, f"{address} is not in {self.known_hosts}: record its "
                                         "host key before connecting") from None
            if isinstance(exc, paramiko.AuthenticationException):
                raise ConnectError(host, f"{self.user}@{address} refused the admin key "
                                         f"{self.key_file}: install it (lab_common)") from None
            raise ConnectError(host, f"SSH to {address} failed: {exc}") from None
        except (socket.timeout, TimeoutError):
            client.close()
            raise ConnectError(host, f"{address} did not answer within {self.timeout:.0f} s "
                                     "(off, or unplugged?)") from None
        except OSError as exc:
            client.close()
            raise ConnectError(host, f"cannot reach {address}: {exc.strerror or exc}") from None
        return client


def banner_problem(address: str, timeout: float = 0.5) -> str | None:
    """None when an sshd answers on port 22 with its banner, else what went wrong."""
    try:
        with socket.create_connection((address, 22), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return None if sock.recv(4).startswith(b"SSH-") else "no SSH banner"
    except OSError as exc:
        return f"SSH port does not answer ({exc.strerror or exc})"


def run(client: paramiko.SSHClient, command: str, timeout: float = 30.0,
        input: str | None = None) -> Result:
    """Run a command on an open connection and collect its output; `input` goes to its
    standard input (the way to hand a command a secret: never on its command line)."""
    stdin, stdout, stderr = client.exec_command(command, timeout=timeout)
    if input is not None:
        stdin.write(input)
        stdin.channel.shutdown_write()
    stdin.close()
    out = stdout.read().decode(errors="replace")
    err = stderr.read().decode(errors="replace")
    return Result(stdout.channel.recv_exit_status(), out, err)
