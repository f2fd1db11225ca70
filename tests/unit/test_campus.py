"""A campus inventory: several rooms in one inventory, one group per room (docs/campus.md)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labctl.cli import main
from labctl.core.errors import InventoryError, NoRoomChosen
from labctl.core.inventory import load_room, load_rooms
from labctl.core.playbook import room_limit
from labctl.core.schedule import render

HERE = Path(__file__).resolve().parent
CAMPUS = HERE / "inventories" / "campus"
ROOT = HERE.parents[1]


def test_each_room_of_a_campus_is_its_own_room():
    b305, b306 = load_rooms(CAMPUS)
    assert (b305.name, b305.group, [s.name for s in b305.seats]) == \
        ("b305", "b305", ["b305-srv", "b305-pc01", "b305-pc02"])
    assert (b306.name, b306.group, [s.name for s in b306.seats]) == ("b306", "b306", ["b306-srv", "b306-pc01"])
    assert str(b305.subnet) == "10.88.5.0/24" and b305.state.dir != b306.state.dir
    assert load_room(CAMPUS, "b306") == b306
    with pytest.raises(NoRoomChosen, match=r"holds 2 rooms \(b305, b306\): choose one with --room"):
        load_room(CAMPUS)
    with pytest.raises(NoRoomChosen, match="has no room b307: it holds b305, b306"):
        load_room(CAMPUS, "b307")
    # a room's own inventory stays what it was: no group, no limit added
    assert load_room(HERE / "inventories" / "valid").group is None


def test_commands_that_take_several_rooms_run_once_per_room_the_others_want_one(capsys):
    assert main(["validate", "-i", str(CAMPUS)]) == 0
    out = capsys.readouterr().out
    assert out.index("== room b305 ==") < out.index("room b305: 2 terminals") \
        < out.index("== room b306 ==") < out.index("room b306: 1 terminals")
    assert main(["validate", "-i", str(CAMPUS), "--json"]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["room"] for a in answers] == ["b305", "b306"] and all(a["ok"] for a in answers)
    assert main(["validate", "-i", str(CAMPUS), "--room", "b306", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["terminals"] == 1
    # one room at a time: the console, the virtual room, enrolment, the schedule
    for argv in (["console"], ["vlab", "status"], ["schedule", "show"], ["enroll", "--all"]):
        assert main([*argv, "-i", str(CAMPUS)]) == 2, argv
        assert "holds 2 rooms (b305, b306): choose one with --room" in capsys.readouterr().err
    assert main(["--lang", "zh_CN", "console", "-i", str(CAMPUS)]) == 2
    assert "中有 2 个实训室（b305, b306）：请用 --room 选择一个" in capsys.readouterr().err
    assert main(["vlab", "status", "-i", str(CAMPUS), "--room", "b306", "--json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["b306-srv", "b306-pc01"]


def _campus_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "campus"
    shutil.copytree(CAMPUS, dest)
    return dest


def test_rooms_that_share_a_subnet_or_have_no_group_are_refused(tmp_path):
    campus = _campus_copy(tmp_path)
    room = campus / "group_vars" / "b306.yml"
    room.write_text(room.read_text().replace("10.88.6.0/24", "10.88.0.0/16"))
    with pytest.raises(InventoryError) as caught:
        load_rooms(campus)
    assert [(p.variable, p.message) for p in caught.value.problems] == \
        [("lab_room_subnet", "rooms b305 and b306 share addresses (10.88.5.0/24, 10.88.0.0/16)")]
    campus = _campus_copy(tmp_path / "2")
    hosts = yaml.safe_load((campus / "hosts.yml").read_text())
    # b306's terminal moved into b305's group, its room name set on the host: b305's group
    # holds another room's host, so it is b305's alone no more
    pc = hosts["all"]["children"]["b306"]["hosts"].pop("b306-pc01")
    hosts["all"]["children"]["b305"]["hosts"]["b306-pc01"] = {**pc, "lab_room_name": "b306"}
    (campus / "hosts.yml").write_text(yaml.safe_dump(hosts))
    with pytest.raises(InventoryError, match="the hosts of room b305 are in no group of their own"):
        load_rooms(campus)


def test_ansible_runs_of_a_room_reach_its_hosts_only(tmp_path):
    """The limit labctl gives Ansible for one room of a campus: what the technician asked
    for (or everything), inside the room's group; ansible-playbook lists the hosts."""
    b305 = load_room(CAMPUS, "b305")

    def hosts(limit):
        proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(CAMPUS),
                               str(ROOT / "playbooks" / "terminals.yml"), "--list-hosts",
                               "--limit", limit], capture_output=True, text=True,
                              env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": "/usr/bin:/bin"})
        assert proc.returncode == 0, proc.stderr
        return sorted(line.strip() for line in proc.stdout.splitlines()
                      if line.startswith("      ") and line.strip())

    assert hosts(room_limit(b305, None)) == ["b305-pc01", "b305-pc02"]
    assert hosts(room_limit(b305, "terminals")) == ["b305-pc01", "b305-pc02"]
    assert hosts(room_limit(b305, "b305-pc02,b306-pc01")) == ["b305-pc02"]
    assert room_limit(load_room(HERE / "inventories" / "valid"), "pc01") == "pc01"


def test_a_rooms_schedule_names_its_room(tmp_path):
    campus = _campus_copy(tmp_path)
    with open(campus / "group_vars" / "b305.yml", "a") as f:
        f.write("lab_timetable: {days: [mon], periods: ['08:00-08:45']}\n")
    service = render(load_room(campus, "b305"), Path("/usr/local/bin/labctl"))["service"]
    assert f"reset --all -i {campus.resolve()} --room b305\n" in service


def test_the_switch_plan_takes_its_own_rooms_hosts_only():
    sys.path.insert(0, str(ROOT / "roles" / "lab_switch" / "filter_plugins"))
    try:
        from lab_switch import lab_switch_plan
    finally:
        sys.path.pop(0)
    model = {"name": "sw", "family": "cisco_ios", "ports": 24,
             "uplink": {"port": 24, "vlans": [10], "native": 10},
             "vlans": [{"id": 10, "name": "students"}]}
    hostvars = {"a-srv": {"group_names": ["servers"], "lab_room_name": "a", "lab_switch_port": 23,
                          "lab_vlan": 10},
                "a-pc": {"group_names": ["terminals"], "lab_room_name": "a", "lab_switch_port": 1,
                         "lab_vlan": 10},
                "b-pc": {"group_names": ["terminals"], "lab_room_name": "b", "lab_switch_port": 1,
                         "lab_vlan": 10}}
    groups = {"servers": ["a-srv"], "terminals": ["a-pc", "b-pc"]}
    plan = lab_switch_plan(model, hostvars, groups, "a")
    assert sorted(p["description"] for p in plan["ports"] if "pc" in p["description"]) == ["a-pc"]


def test_the_audit_log_of_a_campus_lists_the_chosen_rooms_events_in_time_order(
        tmp_path, monkeypatch, capsys):
    import csv
    import io

    from labctl.core import audit, paths
    monkeypatch.setattr(paths, "AUDIT_DB", tmp_path / "audit.sqlite")
    audit.record_event("b306", "reset", "b306-pc01", "ok")
    audit.record_event("b305", "reset", "b305-pc01", "failed")
    audit.record_event("other", "reset", "pc01", "ok")  # a room of another inventory
    assert main(["audit", "-i", str(CAMPUS), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["room"], r["seat"]) for r in rows] == [("b306", "b306-pc01"), ("b305", "b305-pc01")]
    assert main(["audit", "-i", str(CAMPUS), "--room", "b305", "--format", "json"]) == 0
    assert [r["seat"] for r in json.loads(capsys.readouterr().out)] == ["b305-pc01"]
