"""A real virtual room for the integration tests, booted once per session and torn down."""

import os
import time
from pathlib import Path

import pytest

from labctl.cli import main
from labctl.core import mirror, paths
from labctl.core.inventory import load_room
from labctl.core.ssh import Connector, run
from labctl.vlab.provision import provision
from labctl.vlab.room import VirtualRoom

INVENTORY = Path(__file__).parent / "inventory"


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        marker = pytest.mark.skip(reason="the virtual room needs root")
        for item in items:
            if "integration" in str(item.fspath):
                item.add_marker(marker)


@pytest.fixture(scope="session")
def room():
    return load_room(INVENTORY)


@pytest.fixture(scope="session")
def vroom(room):
    """The running test room; `down --purge` afterwards, safe if a test already did."""
    assert main(["vlab", "up", "-i", str(INVENTORY)]) == 0
    yield VirtualRoom(room)
    if not os.environ.get("LABCTL_KEEP_ROOM"):  # set it to keep the room between runs (development)
        main(["vlab", "down", "--purge", "-i", str(INVENTORY)])


@pytest.fixture(scope="session")
def provisioned(vroom):
    """The test room provisioned by the playbooks: (vroom, the final site.yml result)."""
    mirror.dotnet()
    result = provision(vroom, progress=lambda *_: None)
    return vroom, result


@pytest.fixture(scope="session")
def connector(room):
    return Connector(user=room.vars["ansible_user"])


def ssh(connector, seat, command):
    client = connector.connect(seat.name, str(seat.ip))
    try:
        return run(client, command)
    finally:
        client.close()


def wait_for(predicate, timeout=60.0, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


__all__ = ["ssh", "wait_for", "paths"]
