"""The integration and console tests' virtual room: its inventory and small helpers. The
session fixtures that boot it (one room for the whole run) are in tests/conftest.py."""

import shutil
import time
from pathlib import Path

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


def wait_for(predicate, timeout=60.0, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


__all__ = ["INVENTORY", "copy_inventory", "ssh", "wait_for", "paths"]
