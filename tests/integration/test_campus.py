"""One campus inventory holding the test room and a second room that is not up
(docs/campus.md): each command reaches its own room's hosts and no other's."""

import json
from pathlib import Path

import pytest
import yaml

from labctl.cli import main

from .conftest import INVENTORY, paths


@pytest.fixture
def campus(tmp_path) -> Path:
    """The test room's inventory re-laid as one room (group `itest`) of a campus, beside a
    room `annex` (a server and a terminal on 10.79.0.0/24) whose PCs are switched off."""
    campus = tmp_path / "campus"
    (campus / "group_vars" / "all").mkdir(parents=True)
    (campus / "group_vars" / "itest").mkdir()
    src = INVENTORY / "group_vars"
    for name in ("roles.yml", "vault.yml"):  # what every room shares
        (campus / "group_vars" / "all" / name).write_bytes((src / "all" / name).read_bytes())
    for name in ("room.yml", "switch.yml"):  # the test room's own
        (campus / "group_vars" / "itest" / name).write_bytes((src / "all" / name).read_bytes())
    for name in ("servers.yml", "terminals.yml"):
        (campus / "group_vars" / name).write_bytes((src / name).read_bytes())
    (campus / "group_vars" / "annex.yml").write_text(yaml.safe_dump({
        "lab_room_name": "annex", "lab_room_subnet": "10.79.0.0/24", "lab_room_rows": 1,
        "lab_room_columns": 1, "lab_room_virtual": True, "lab_os_family": "debian",
        "lab_vlan": 10, "ansible_user": "labadmin"}))
    test_room = yaml.safe_load((INVENTORY / "hosts.yml").read_text())["all"]["children"]
    itest_hosts = {}
    for group in ("switches", "servers", "terminals"):
        itest_hosts.update(test_room[group]["hosts"])
    annex = {"annexsrv": {"ansible_host": "10.79.0.10", "lab_mac": "52:54:00:79:00:10",
                          "lab_switch_port": 24, "lab_reset_method": "none"},
             "annex01": {"ansible_host": "10.79.0.101", "lab_mac": "52:54:00:79:01:01",
                         "lab_seat": {"row": 1, "column": 1}, "lab_switch_port": 1}}
    names = lambda group: {h: None for h in test_room[group]["hosts"]}  # noqa: E731
    (campus / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {
        "itest": {"hosts": itest_hosts},
        "annex": {"hosts": annex},
        "switches": {"hosts": names("switches")},
        "servers": {"hosts": {**names("servers"), "annexsrv": None}},
        "terminals": {"vars": test_room["terminals"]["vars"],
                      "hosts": {**names("terminals"), "annex01": None}}}}}))
    password = tmp_path / "campus.vault-pass"
    password.symlink_to(paths.vault_password_file(INVENTORY).resolve())
    return campus


def test_status_shows_every_room_and_a_room_that_is_off_is_not_online(provisioned, campus,
                                                                       capsys):
    assert main(["status", "-i", str(campus), "--json", "--timeout", "2"]) == 1
    seats = {s["seat"]: s for s in json.loads(capsys.readouterr().out)}
    assert {s["room"] for s in seats.values()} == {"itest", "annex"}
    # the test room's seats answer (a seat another test left non-compliant answers too)
    up = ("online", "non-compliant")
    assert all(seats[n]["state"] in up for n in ("itsrv", "it01", "it02", "it03", "it04")), seats
    assert seats["annex01"]["state"] == "offline" and seats["annexsrv"]["state"] == "offline"
    assert "no known_hosts file at /var/lib/labctl/rooms/annex/" in seats["annex01"]["error"]
    main(["status", "-i", str(campus), "--room", "itest", "--json"])
    assert {s["room"] for s in json.loads(capsys.readouterr().out)} == {"itest"}


def test_a_playbook_for_one_room_reaches_only_that_rooms_hosts(provisioned, campus, capsys):
    """site.yml in check mode for the test room of the campus: the server's room-wide lists
    (DHCP, the seats' database accounts) and the switch's plan hold its own room's hosts
    only, so nothing is to change; annex's hosts are not even tried."""
    assert main(["provision", "-i", str(campus), "--room", "itest", "--check", "--json",
                 "site.yml"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert {h["host"] for h in answer["hosts"]} == {"itest-sw", "itsrv", "it01", "it02",
                                                     "it03", "it04"}
    assert answer["changed"] == 0, answer
    # a limit the technician gives stays inside the room
    assert main(["provision", "-i", str(campus), "--room", "itest", "--limit",
                 "it01,annex01", "--json", "terminals.yml", "--check"]) == 0
    assert [h["host"] for h in json.loads(capsys.readouterr().out)["hosts"]] == ["it01"]


def test_commands_over_every_room_go_on_past_a_room_that_is_down(provisioned, campus, capsys):
    """check over the whole campus: the test room's seats are checked, annex's are reported
    unreachable, one room after the other; the exit code is the worst."""
    assert main(["check", "-i", str(campus), "--limit", "it01,annex01", "--json"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    by_room = {answer["room"]: answer for answer in lines}
    assert set(by_room) == {"itest", "annex"}
    assert by_room["itest"]["ok"] and {r["seat"] for r in by_room["itest"]["results"]} == {"it01"}
    assert [r["outcome"] for r in by_room["annex"]["results"]] == ["unreachable"]
