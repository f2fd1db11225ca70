"""`labctl validate`: one small bad inventory per error, each caught with a clear line."""

import re
from pathlib import Path

import pytest

from labctl.cli import main

INVENTORIES = Path(__file__).parent / "inventories"

# case -> (file, host, variable, words the message must carry)
CASES = {
    "dup_ip": ("hosts.yml", "pc02", "ansible_host", "duplicate IP 10.88.0.101, also on pc01"),
    "dup_mac": ("hosts.yml", "pc03", "lab_mac", "duplicate MAC aa:bb:cc:00:00:01, also on pc01"),
    "dup_hostname": ("hosts.yml", "PC01", "inventory_hostname", "duplicate hostname pc01"),
    "dup_host_key": ("hosts.yml:34", None, None, "duplicate key 'pc02' (first at line 19)"),
    "dup_seat": ("hosts.yml", "pc02", "lab_seat", "duplicate seat position row 1, column 1"),
    "seat_outside_grid": ("hosts.yml", "pc04", "lab_seat", "outside the room's 2 x 2 grid"),
    "ip_outside_subnet": ("hosts.yml", "pc03", "ansible_host",
                          "10.99.0.103 is outside the room's subnet 10.88.0.0/24"),
    # a /32 made validate crash with a TypeError (its hosts() is a list, not an iterator)
    "tiny_subnet": ("group_vars/all.yml", None, "lab_room_subnet",
                    "10.88.0.1/32 is too small for a room"),
    "unknown_os": ("hosts.yml", "pc02", "lab_os_family", "unknown OS family 'beos'"),
    "unknown_reset": ("hosts.yml", "pc03", "lab_reset_method", "unknown reset method 'deepfreeze'"),
    "missing_var": ("hosts.yml", "pc04", "lab_mac", "required variable is missing"),
    "missing_room_var": ("group_vars/all.yml", None, "lab_room_subnet",
                         "required room variable is missing"),
    "malformed_mac": ("hosts.yml", "pc02", "lab_mac", "is not a MAC address"),
    "malformed_ip": ("hosts.yml", "pc01", "ansible_host", "'10.88.0.300' is not an IPv4 address"),
    "malformed_yaml": ("hosts.yml:29", None, None, "malformed YAML"),
    "bad_timetable": ("group_vars/all.yml", None, "lab_timetable",
                      "period '8:55-09:40' is not HH:MM-HH:MM"),
}


def run(capsys, name):
    code = main(["validate", "-i", str(INVENTORIES / name)])
    out = capsys.readouterr()
    return code, [line for line in out.err.splitlines() if " — fix: " in line], out


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_error_is_one_clear_line(capsys, case):
    file, host, variable, words = CASES[case]
    code, lines, _ = run(capsys, case)
    assert code == 2
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(str(INVENTORIES / case / file).replace(str(Path.cwd()) + "/", "")) or \
        f"{case}/{file}" in line
    if host:
        assert f"host {host}: " in line
    if variable:
        assert f": {variable}: " in line
    assert words in line
    assert line.split(" — fix: ")[1].strip(), "every error names its fix"


def test_all_errors_are_reported_at_once(capsys):
    code, lines, _ = run(capsys, "many")
    assert code == 2
    assert len(lines) == 3
    joined = "\n".join(lines)
    assert "host pc01: ansible_host" in joined
    assert "host pc03: lab_mac: duplicate MAC" in joined
    assert "host pc04: lab_os_family" in joined


@pytest.mark.parametrize("case", ["valid", "ini_valid"])
def test_valid_yaml_and_ini_inventories_load_through_ansible(capsys, case):
    assert main(["validate", "-i", str(INVENTORIES / case)]) == 0
    assert "valid" in capsys.readouterr().out


def test_the_demo_room_is_valid(capsys):
    assert main(["validate"]) == 0
    assert "room demo: 12 terminals, 1 server(s), 3 x 4 grid" in capsys.readouterr().out


def test_group_level_mistake_names_the_group_vars_file(tmp_path, capsys):
    import shutil
    inv = tmp_path / "inv"
    shutil.copytree(INVENTORIES / "valid", inv)
    (inv / "group_vars" / "all.yml").write_text(
        (inv / "group_vars" / "all.yml").read_text().replace("lab_os_family: debian",
                                                             "lab_os_family: plan9"))
    code, lines, _ = run(capsys, inv)
    assert code == 2
    assert len(lines) == 5  # the server and the four terminals
    assert all("group_vars/all.yml: host " in line and "lab_os_family" in line for line in lines)


def test_missing_inventory_is_one_clear_error(capsys):
    code, lines, _ = run(capsys, "does-not-exist")
    assert code == 2 and "no such file or directory" in lines[0]


def test_in_chinese_every_problem_its_fix_and_the_summary_are_chinese(capsys):
    """`labctl --lang zh_CN validate`: the teacher's or technician's language, with the file,
    host and variable as they are written (they are names, not words)."""
    code = main(["--lang", "zh_CN", "validate", "-i", str(INVENTORIES / "many")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if " —— 修正：" in line]
    assert code == 2 and len(lines) == 3, err
    for line in lines:
        assert "many/" in line and "fix" not in line
        message, fix = line.split(" —— 修正：")
        assert re.search(r"[\u4e00-\u9fff]", message.split("：")[-1]), line  # the problem itself
        assert re.search(r"[\u4e00-\u9fff]", fix), line
    assert "中有 3 个问题；未做任何改动" in err
    assert not re.search(r"\b(is not|is outside|duplicate|required|problem\(s\))\b", err), err
