"""Accounts, SSH and time: every Linux host of the room (terminals and servers)."""

import pytest

from .conftest import root

GROUP = "linux"


def sshd_settings(host, user):
    out = root(host, "sshd -T -C user=%s,host=check,addr=127.0.0.1", user)
    assert out.rc == 0, out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)


@pytest.mark.control("LAB-SSH-01")
def test_admin_logs_in_with_a_key_only(host, hv):
    settings = sshd_settings(host, hv["ansible_user"])
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    shadow = root(host, "getent shadow %s", hv["ansible_user"]).stdout.split(":")
    assert len(shadow) > 2 and shadow[1] in ("!", "*", "!*"), "the admin account has a password"


@pytest.mark.control("LAB-SSH-02")
def test_root_cannot_log_in_over_ssh(host):
    settings = sshd_settings(host, "root")
    assert settings["permitrootlogin"] == "no", f"PermitRootLogin {settings['permitrootlogin']}"
    assert settings["passwordauthentication"] == "no"


@pytest.mark.control("LAB-ACC-01")
def test_admin_has_sudo(host):
    assert host.run("sudo -n true").rc == 0


@pytest.mark.control("LAB-TIME-01")
def test_time_zone_is_the_rooms(host, hv):
    assert host.file("/etc/localtime").linked_to == f"/usr/share/zoneinfo/{hv['lab_common_timezone']}"
