import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))


# --------------------------------------------------------------------------- the virtual room
# One room for the whole session, for the integration and the console tests alike (the
# fixtures live here, once: a conftest that imported them would make a second room).

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        marker = pytest.mark.skip(reason="the virtual room needs root")
        for item in items:
            if "integration" in str(item.fspath) or {"vroom", "provisioned", "connector"} & set(
                    getattr(item, "fixturenames", ())):
                item.add_marker(marker)


@pytest.fixture(scope="session")
def room():
    from labctl.core.inventory import load_room
    from tests.vroom import INVENTORY
    return load_room(INVENTORY)


@pytest.fixture(scope="session")
def vroom(room):
    """The running test room; `down --purge` afterwards, safe if a test already did."""
    from labctl.cli import main
    from labctl.vlab.room import VirtualRoom
    from tests.vroom import INVENTORY
    assert main(["vlab", "up", "-i", str(INVENTORY)]) == 0
    yield VirtualRoom(room)
    if not os.environ.get("LABCTL_KEEP_ROOM"):  # set it to keep the room between runs (development)
        main(["vlab", "down", "--purge", "-i", str(INVENTORY)])


@pytest.fixture(scope="session")
def provisioned(vroom):
    """The test room provisioned by the playbooks: (vroom, the final site.yml result)."""
    from labctl.core import mirror
    from labctl.vlab.provision import provision
    mirror.fill()
    result = provision(vroom, progress=lambda *_: None)
    return vroom, result


@pytest.fixture(scope="session")
def connector(room):
    from labctl.core.ssh import Connector
    return Connector.for_room(room)


@pytest.fixture(autouse=True)
def _language_restored():
    """A test that switches labctl to Chinese (`--lang zh_CN`) does not switch the next."""
    from labctl.i18n import set_lang
    yield
    set_lang(None)
