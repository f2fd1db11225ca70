"""Veyon on a student terminal (lab_veyon): the service with the room's public key only,
its ports open to the teacher's and admin hosts only, and the worker that shows Veyon
4.7's lock screen (the role's lock screen fix)."""

import hashlib

import pytest

from labctl.core import veyon

from .conftest import fetch, root

GROUP = "terminals"
FIX = "/usr/local/lib/labctl/lab-veyon-raise.so"


@pytest.fixture
def enabled(hv):
    if not hv.get("lab_veyon_enabled", True):
        pytest.skip("lab_veyon_enabled is false on this seat")
    return hv


@pytest.mark.control("LAB-VEYON-01")
def test_veyon_runs_and_takes_the_rooms_key_only(host, room, enabled):
    service = host.service("veyon")
    assert service.is_running and service.is_enabled, "veyon.service is not running and enabled"
    key = f"/etc/veyon/keys/public/{veyon.key_name(room.name)}/key"
    held = root(host, "cat %s", key)
    assert held.rc == 0, f"{key} is missing"
    public = veyon.public_key(enabled["vault_lab_veyon_private_key"]).strip()  # the public half only
    assert held.stdout.strip() == public, f"{key} is not the room's public key"
    private = root(host, "find /etc/veyon -path '*private*' -type f").stdout.split()
    assert not private, f"a private key on a student's terminal: {private}"
    method = root(host, "env QT_QPA_PLATFORM=offscreen veyon-cli config get Authentication/Method")
    assert method.stdout.strip() == "1", "Veyon does not authenticate by key file"


@pytest.mark.control("LAB-VEYON-02")
def test_veyons_ports_are_open_to_the_masters_only(host, room, enabled):
    table = root(host, "nft list table inet lab_veyon")
    assert table.rc == 0, "the firewall table inet lab_veyon is not loaded"
    rules = table.stdout
    for master in veyon.masters(room):
        assert master in rules, f"{master} (lab_veyon_masters) is not let in"
    assert "tcp dport 11100-11400 drop" in rules, "Veyon's ports are not closed to the others"


@pytest.mark.control("LAB-VEYON-03")
def test_veyons_worker_starts_with_the_lock_screen_fix(host, enabled):
    if not enabled.get("lab_veyon_lock_fix", True):
        pytest.skip("lab_veyon_lock_fix is false: Veyon's own worker draws the lock screen")
    for path, mode in (("/usr/local/lib/labctl", 0o755), (FIX, 0o644),
                       ("/usr/bin/veyon-worker", 0o755)):
        f = host.file(path)
        assert f.exists and f.user == "root" and f.group == "root" and f.mode == mode, \
            f"{path}: {f.user if f.exists else 'missing'} {oct(f.mode) if f.exists else ''}"
    wrapper = host.file("/usr/bin/veyon-worker").content_string
    assert f"LD_PRELOAD={FIX}" in wrapper and "exec /usr/bin/veyon-worker.distrib" in wrapper, \
        "/usr/bin/veyon-worker is not the wrapper that starts Debian's worker with the fix"
    diverted = host.run("dpkg-divert --list /usr/bin/veyon-worker").stdout
    assert "to /usr/bin/veyon-worker.distrib by labctl" in diverted, \
        "Debian's worker is not kept aside (dpkg-divert)"
    url = f"http://{enabled['lab_server_address']}/mirror/veyon/lab-veyon-raise.so.sha256"
    status, served = fetch(host, url)
    assert status == 200, f"{url}: HTTP {status}"
    assert hashlib.sha256(host.file(FIX).content).hexdigest() == served.strip(), \
        f"{FIX} is not the lab server's build ({url})"
    loads = host.run(f"LD_PRELOAD={FIX} /bin/true")
    assert loads.rc == 0 and not loads.stderr.strip(), f"the fix does not load: {loads.stderr}"
