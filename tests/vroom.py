"""The integration and console tests' virtual room: its inventory and small helpers. The
session fixtures that boot it (one room for the whole run) are in tests/conftest.py."""

import shutil
import time
from pathlib import Path

import paramiko

from labctl.core import paths
from labctl.core.ssh import run

INVENTORY = Path(__file__).parent / "integration" / "inventory"


def ssh(connector, seat, command):
    client = connector.connect(seat.name, str(seat.ip))
    try:
        return run(client, command)
    finally:
        client.close()


def copy_inventory(dest: Path) -> Path:
    """A copy of the test room's inventory, with its vault password beside it (a link to
    the demo's, as the test room's own is: the room is virtual)."""
    shutil.copytree(INVENTORY, dest)
    password = dest.with_name(dest.name + ".vault-pass")
    password.unlink(missing_ok=True)
    password.symlink_to(paths.vault_password_file(INVENTORY).resolve())
    return dest


def open_student_session(connector, seat):
    """A real login: the student over SSH with a key, holding a terminal open."""
    assert ssh(connector, seat, "sudo install -d -m 700 -o student -g student /home/student/.ssh && "
                                f"sudo install -m 600 -o student -g student "
                                f"/home/{connector.user}/.ssh/authorized_keys "
                                "/home/student/.ssh/authorized_keys").ok
    client = paramiko.SSHClient()
    client.load_host_keys(str(connector.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(str(seat.ip), username="student", key_filename=str(connector.key_file),
                   allow_agent=False, look_for_keys=False, timeout=10)
    shell = client.invoke_shell()
    shell.send("echo 'my unsaved work' > ~/unsaved.txt\n")
    assert wait_for(lambda: ssh(connector, seat, "sudo test -f /home/student/unsaved.txt").ok, 10)
    return client


def answers(connector, seat, command="true") -> bool:
    """Does the seat run `command` successfully now? False while it is down or booting."""
    try:
        return ssh(connector, seat, command).ok
    except Exception:  # noqa: BLE001 - a seat going down or coming up refuses in many ways
        return False


def wait_for(predicate, timeout=60.0, step=0.3):
    """What predicate() first gives that is true (polled every step seconds), or False once
    timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(step)
    return False


__all__ = ["INVENTORY", "answers", "copy_inventory", "open_student_session", "ssh", "wait_for", "paths"]
