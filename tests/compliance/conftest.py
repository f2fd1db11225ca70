"""The room's compliance suite: standard pytest-testinfra over the Ansible inventory.

    pytest tests/compliance --hosts='ansible://all' --ansible-inventory=inventory/demo

(`labctl check` runs exactly this, in parallel, and records the results.) In a campus
inventory (several rooms), LABCTL_ROOM names the room (`labctl check --room` sets it). Each control
is one test marked with its id (`@pytest.mark.control("LAB-MYSQL-01")`), listed in
docs/compliance.md. A module's `GROUP` says which hosts its controls apply to; other
hosts are deselected, not skipped. Connections are testinfra's SSH backend with
ansible.cfg's options: host keys verified against the room's known_hosts, the room's admin
key (both in the room's state directory, paths.RoomState).
"""

from __future__ import annotations

import configparser
import os
import sys
from pathlib import Path

import pytest

from labctl.core import paths
from labctl.core.inventory import load_room, render_vars
from labctl.core.ssh import Connector

# Variables the controls compare against, as the playbooks see them (vault included).
VARS = ["ansible_user", "lab_server_address", "lab_common_students", "lab_common_timezone",
        "lab_common_student_forbidden_groups", "lab_common_apt_proxy", "lab_common_ntp_servers",
        "lab_mysql_students", "lab_dotnet_version", "lab_dotnet_archive",
        "lab_server_test_colour", "lab_server_test_text", "lab_coursedata_students",
        "lab_veyon_enabled", "lab_veyon_lock_fix", "vault_lab_veyon_private_key"]
DEFAULTS = {"lab_common_timezone": "Asia/Shanghai", "lab_server_test_colour": "#1e90ff",
            "lab_common_student_forbidden_groups": ["sudo", "adm", "wheel", "docker", "lxd"],
            "lab_dotnet_archive": "dotnet-runtime-{v}-linux-x64.tar.gz",
            "lab_veyon_enabled": True, "lab_veyon_lock_fix": True}


def pytest_configure(config):
    config.addinivalue_line("markers", "control(id): the requirement a test proves")
    # testinfra runs ansible-inventory and ssh: the ones beside this Python, with labctl's settings
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    os.environ.setdefault("ANSIBLE_CONFIG", str(paths.PROJECT / "ansible.cfg"))
    for key, value in paths.vault_env(_inventory(config)).items():  # the room's own vault
        os.environ.setdefault(key, value)
    # testinfra shares SSH masters only if their directory exists (else one connection a command)
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(os.environ["ANSIBLE_CONFIG"])
    masters = cfg.get("persistent_connection", "control_path_dir", fallback=None)
    if masters:
        Path(masters).expanduser().mkdir(mode=0o700, parents=True, exist_ok=True)
    # the room's own admin key and known_hosts (its lab_state_dir), as the playbooks take
    # them from playbooks/group_vars/all.yml; the known_hosts is the room's whatever the
    # caller's environment says
    state = load_room(_inventory(config), _room_name()).state
    os.environ["ANSIBLE_SSH_COMMON_ARGS"] = state.ssh_args()
    if getattr(config.option, "ssh_identity_file", None) is None and state.admin_key.exists():
        config.option.ssh_identity_file = str(state.admin_key)


def _inventory(config) -> Path:
    return Path(config.option.ansible_inventory or paths.DEFAULT_INVENTORY)


def _room_name() -> str | None:
    """In a campus inventory, the room checked: LABCTL_ROOM (labctl check sets it)."""
    return os.environ.get("LABCTL_ROOM") or None


def _host_name(item) -> str | None:
    host = getattr(item, "callspec", None) and item.callspec.params.get("_testinfra_host")
    return host.backend.host if host is not None else None


def pytest_collection_modifyitems(session, config, items):
    """Keep each control for the hosts its module is about (GROUP: terminals, servers and
    linux are Linux hosts; windows is the Windows terminals)."""
    room = load_room(_inventory(config), _room_name())
    keep, drop = [], []
    for item in items:
        name, group = _host_name(item), getattr(item.module, "GROUP", None)
        try:
            seat = room.seat(name) if name else None
        except KeyError:
            seat = None
        windows = seat is not None and seat.os_family == "windows"
        ok = seat is not None and (group == "windows") == windows and (
            group in ("linux", "windows") or (group == "terminals") == seat.is_terminal)
        (keep if ok else drop).append(item)
        if ok:  # with xdist --dist loadgroup, a seat's controls run on one worker, in order
            item.add_marker(pytest.mark.xdist_group(name))
            # in the JUnit report whatever happens, even when setup fails before any fixture
            marker = item.get_closest_marker("control")
            if marker:
                item.user_properties.append(("control", marker.args[0]))
            item.user_properties.append(("seat", name))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_UNREACHABLE: dict[str, str] = {}


def unreachable_reason(stderr: str) -> str:
    """One line from ssh's complaint: the reason, not the tail of a banner of warnings."""
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr or "Host key verification failed" in stderr:
        return ("its host key has CHANGED since it was recorded in labctl's known_hosts: if the "
                "PC was reinstalled, check it and run `labctl hostkey accept SEAT`; otherwise "
                "treat it as an attack")
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not line.lstrip().startswith(("@", "Warning:"))]
    return (lines[-1] if lines else stderr.strip())[-300:]


@pytest.fixture(autouse=True)
def _reachable(request):
    """A seat that can't be reached fails each control at once, not after a timeout each."""
    if "host" not in request.fixturenames:
        return
    host = request.getfixturevalue("host")
    name = host.backend.host
    if name not in _UNREACHABLE:
        try:
            host.run("true")
            _UNREACHABLE[name] = ""
        except RuntimeError as exc:
            _UNREACHABLE[name] = unreachable_reason(str(getattr(exc.args[0], "stderr", exc)))
    if _UNREACHABLE[name]:
        pytest.fail(f"{name} is unreachable: {_UNREACHABLE[name]}", pytrace=False)


@pytest.fixture(scope="session")
def room(pytestconfig):
    return load_room(_inventory(pytestconfig), _room_name())


@pytest.fixture(scope="session")
def room_vars(pytestconfig, room):
    rendered = render_vars(_inventory(pytestconfig), [s.name for s in room.seats], VARS)
    for values in rendered.values():
        for key, value in DEFAULTS.items():
            values.setdefault(key, value)
        values["lab_dotnet_archive"] = values["lab_dotnet_archive"].replace(
            "{v}", str(values.get("lab_dotnet_version")))
    return rendered


@pytest.fixture
def seat(host, room):
    return room.seat(host.backend.host)


@pytest.fixture
def hv(host, room_vars):
    """The host's variables (rendered)."""
    return room_vars[host.backend.host]


@pytest.fixture(scope="session")
def connector(room):
    """labctl's own verified SSH, for the one thing testinfra can't do: feed a secret on stdin."""
    return Connector.for_room(room)


def root(host, command, *args):
    """Run as root through the admin's sudo."""
    return host.run("sudo -n " + command, *args)


FETCH_PY = ("import sys, urllib.request as u\n"
            "r = u.urlopen(sys.argv[1], timeout=10)\n"
            "print(r.status); sys.stdout.write(r.read(4096).decode(errors='replace'))")


def fetch(host, url):
    """An HTTP GET from the host itself: (status, the body's first 4 KB)."""
    out = host.run("python3 -c %s %s", FETCH_PY, url)
    assert out.rc == 0, f"{url}: {out.stderr.strip().splitlines()[-1:]}"
    status, _, body = out.stdout.partition("\n")
    return int(status), body
