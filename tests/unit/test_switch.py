"""The switch model: `labctl validate` catches each mistake in it with one clear line, and
switch.yml renders configurations for the vendor families that parse back to the model.

Vendor switches are verified here by rendering and parsing only (no switch is reachable);
the linux-bridge family is applied live in tests/integration/test_switch.py."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ciscoconfparse2 import CiscoConfParse

from labctl.cli import main
from labctl.core import switch
from labctl.core.inventory import load_room

ROOT = Path(__file__).resolve().parents[2]
VALID = Path(__file__).parent / "inventories" / "valid"
SCHOOL = ROOT / "inventory" / "example-school"
sys.path.insert(0, str(ROOT / "roles" / "lab_switch" / "filter_plugins"))
from lab_switch import lab_switch_ios, lab_switch_l2_mismatches  # noqa: E402

MODEL = {"name": "unit-sw", "family": "cisco_ios", "ports": 24,
         "vlans": [{"id": 10, "name": "students"}, {"id": 30, "name": "servers"},
                   {"id": 99, "name": "management"}],
         "uplink": {"port": 23, "vlans": [10, 30, 99], "native": 99},
         "extra_ports": [{"port": 22, "vlan": 99, "description": "technician"}],
         "terminal_ports": {"max_macs": 1, "storm_control_pps": 500, "isolated": True},
         "dhcp_snooping": True}


def inventory(tmp_path, model=None, host_edits=None) -> Path:
    """The unit room with a switch model; host_edits: {host: {var: value or None to drop}}."""
    inv = tmp_path / "inv"
    shutil.copytree(VALID, inv)
    all_vars = inv / "group_vars" / "all.yml"
    all_vars.write_text(all_vars.read_text() + yaml.safe_dump({"lab_switch": model or MODEL}))
    hosts_file = inv / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for host, edits in (host_edits or {}).items():
        for group in hosts["all"]["children"].values():
            if host in group.get("hosts", {}):
                for var, value in edits.items():
                    if value is None:
                        group["hosts"][host].pop(var, None)
                    else:
                        group["hosts"][host][var] = value
    hosts_file.write_text(yaml.safe_dump(hosts))
    return inv


def room_plan(room) -> switch.Plan:
    """The room's switch plan, as `labctl validate` and the lab_switch role compute it."""
    plan, issues = switch.plan(room.vars["lab_switch"],
                               [(s.name, list(s.groups), s.vars) for s in room.seats])
    assert not issues
    return plan


def school_plan(inv: Path) -> switch.Plan:
    return room_plan(load_room(inv))


def errors(capsys, inv) -> tuple[int, list[str]]:
    code = main(["validate", "-i", str(inv)])
    return code, [line for line in capsys.readouterr().err.splitlines() if " — fix: " in line]


def with_model(**changes) -> dict:
    return {**MODEL, **changes}


# case -> (model, host edits, host named or None, variable, words)
CASES = {
    "port assigned twice": (MODEL, {"pc02": {"lab_switch_port": 1}}, "pc02", "lab_switch_port",
                            "port 1 is assigned twice: pc01 and pc02"),
    "uplink on a seat's port": (with_model(uplink={"port": 24, "vlans": [10, 30, 99]}), None,
                                None, "lab_switch.uplink.port",
                                "port 24 is assigned twice: srv and the uplink"),
    "VLAN id out of range": (with_model(vlans=MODEL["vlans"] + [{"id": 5000, "name": "x"}]), None,
                             None, "lab_switch.vlans[3].id", "5000 is not a VLAN id"),
    "seat without a port": (MODEL, {"pc03": {"lab_switch_port": None}}, "pc03",
                            "lab_switch_port", "required variable is missing"),
    "trunk missing a VLAN": (with_model(uplink={"port": 23, "vlans": [10, 99]}),
                             {"srv": {"lab_vlan": 30}}, None, "lab_switch.uplink.vlans",
                             "the uplink trunk does not carry VLAN 30, which srv use"),
    "host in an unknown VLAN": (MODEL, {"pc04": {"lab_vlan": 20}}, "pc04", "lab_vlan",
                                "VLAN 20 is not one of the switch's VLANs (10, 30, 99)"),
    "port beyond the switch": (MODEL, {"pc02": {"lab_switch_port": 30}}, "pc02",
                               "lab_switch_port", "port 30 is not a port of the switch (1-24)"),
    "unknown family": (with_model(family="netgear"), None, None, "lab_switch.family",
                       "unknown switch family 'netgear'"),
    "server trunk with an unknown VLAN": (MODEL, {"srv": {"lab_switch_trunk": [10, 40]}}, "srv",
                                          "lab_switch_trunk", "VLAN 40 is not one of"),
    "a VLAN listed twice": (with_model(vlans=MODEL["vlans"] + [{"id": 10, "name": "again"}]),
                            None, None, "lab_switch.vlans[3].id", "VLAN 10 is listed twice"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_switch_mistake_is_one_clear_line(tmp_path, capsys, case):
    model, edits, host, variable, words = CASES[case]
    code, lines = errors(capsys, inventory(tmp_path, model, edits))
    assert code == 2
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(str(tmp_path / "inv")) or "inv/" in line
    assert (f": host {host}: " in line) if host else ": host " not in line
    assert f": {variable}: " in line
    assert words in line, line
    assert line.split(" — fix: ")[1].strip()


def test_a_good_model_is_valid_and_plans_every_port(tmp_path, capsys):
    inv = inventory(tmp_path, host_edits={"srv": {"lab_vlan": 30, "lab_switch_trunk": [10]}})
    assert main(["validate", "-i", str(inv)]) == 0
    plan = room_plan(load_room(inv))
    assert [p.port for p in plan.ports] == [1, 2, 3, 4, 22, 23, 24]
    srv = plan.port(24)
    assert (srv.mode, srv.vlan, srv.vlans, srv.dhcp_trusted, srv.isolated) == \
        ("trunk", 30, [10, 30], True, False)
    pc = plan.port(1)
    assert (pc.mode, pc.vlans, pc.max_macs, pc.storm_control_pps, pc.isolated, pc.dhcp_trusted) \
        == ("access", [10], 1, 500, True, False)
    assert plan.port(23).role == "uplink" and plan.port(23).vlan == 99


# ------------------------------------------------------------------ rendering




def render(tmp_path, family: str) -> tuple[Path, Path, str]:
    inv = tmp_path / "inv"
    shutil.copytree(SCHOOL, inv)
    model_file = inv / "group_vars" / "all" / "switch.yml"
    model_file.write_text(model_file.read_text().replace("family: cisco_ios", f"family: {family}"))
    out = tmp_path / "out"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv),
           "playbooks/switch.yml", "-e", f"lab_switch_render_dir={out}"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout[-3000:]
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0 and " changed=0 " in second.stdout, second.stdout[-2000:]
    return inv, out / "b305-sw1.cfg", first.stdout


# family -> how an access port, a trunk and each policy read in its configuration
SYNTAX = {
    "cisco_ios": {
        "access": r"^ switchport access vlan {vlan}$", "mode_access": r"^ switchport mode access$",
        "allowed": r"^ switchport trunk allowed vlan (\S+)$", "native": r"^ switchport trunk native vlan {vlan}$",
        "max_macs": r"^ switchport port-security maximum {n}$",
        "storm": r"^ storm-control broadcast level pps {n}$", "isolated": r"^ switchport protected$",
        "trusted": r"^ ip dhcp snooping trust$", "vlan": r"^vlan {id}$", "vlan_name": r"^ name {name}$",
        "svi": r"^interface Vlan{vlan}$"},
    "huawei_vrp": {
        "access": r"^ port default vlan {vlan}$", "mode_access": r"^ port link-type access$",
        "allowed": r"^ port trunk allow-pass vlan (.+)$", "native": r"^ port trunk pvid vlan {vlan}$",
        "max_macs": r"^ port-security max-mac-num {n}$",
        "storm": r"^ broadcast-suppression packets {n}$", "isolated": r"^ port-isolate enable group 1$",
        "trusted": r"^ dhcp snooping trusted$", "vlan": r"^vlan {id}$",
        "vlan_name": r"^ description {name}$", "svi": r"^interface Vlanif{vlan}$"},
    "h3c_comware": {
        "access": r"^ port access vlan {vlan}$", "mode_access": r"^ port link-type access$",
        "allowed": r"^ port trunk permit vlan (.+)$", "native": r"^ port trunk pvid vlan {vlan}$",
        "max_macs": r"^ mac-address max-mac-count {n}$",
        "storm": r"^ broadcast-suppression pps {n}$", "isolated": r"^ port-isolate enable group 1$",
        "trusted": r"^ dhcp snooping trust$", "vlan": r"^vlan {id}$", "vlan_name": r"^ name {name}$",
        "svi": r"^interface Vlan-interface{vlan}$"},
}


def _vlan_list(text: str) -> set[int]:
    """'20,30-32' or '20 30 to 32' -> {20, 30, 31, 32}."""
    out: set[int] = set()
    text = text.replace(" to ", "-").replace(",", " ")
    for part in text.split():
        lo, _, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out


@pytest.mark.parametrize("family", sorted(SYNTAX))
def test_rendered_configuration_parses_back_to_the_model(tmp_path, family):
    inv, cfg, _ = render(tmp_path, family)
    plan = school_plan(inv)
    syntax = SYNTAX[family]
    parse = CiscoConfParse(str(cfg), syntax="ios", loguru=False,
                           comment_delimiters=["!"] if family == "cisco_ios" else ["#"])

    def children(obj, key, **kw) -> list[str]:
        import re
        return [c.text for c in obj.children if re.search(syntax[key].format(**kw), c.text)]

    for vlan in plan.vlans:
        declared = parse.find_objects(syntax["vlan"].format(id=vlan["id"]))
        assert len(declared) == 1, f"VLAN {vlan['id']} declared once"
        assert children(declared[0], "vlan_name", name=vlan["name"])
    interfaces = {o.text.split(" ", 1)[1]: o for o in parse.find_objects(r"^interface ")}
    for port in plan.ports:
        obj = interfaces.get(port.name)
        assert obj is not None, f"{family}: no stanza for {port.name} ({port.description})"
        assert any(port.description in c.text for c in obj.children if "description" in c.text)
        if port.mode == "access":
            assert children(obj, "access", vlan=port.vlan) and children(obj, "mode_access"), \
                f"{port.name}: access VLAN {port.vlan}"
        else:
            import re
            allowed = [re.search(syntax["allowed"], c.text)[1] for c in obj.children
                       if re.search(syntax["allowed"], c.text)]
            assert len(allowed) == 1 and _vlan_list(allowed[0]) == set(port.vlans), port.name
            assert children(obj, "native", vlan=port.vlan), f"{port.name}: native {port.vlan}"
        assert bool(children(obj, "max_macs", n=port.max_macs)) == bool(port.max_macs), port.name
        assert bool(children(obj, "storm", n=port.storm_control_pps)) == \
            bool(port.storm_control_pps), port.name
        assert bool(children(obj, "isolated")) == port.isolated, port.name
        assert bool(children(obj, "trusted")) == port.dhcp_trusted, port.name
    # nothing but the plan's ports and the management interface
    svi = syntax["svi"].format(vlan=plan.management["vlan"])
    assert set(interfaces) == {p.name for p in plan.ports} | {svi[len("^interface "):-1]}
    assert plan.management["address"].split("/")[0] in "\n".join(
        c.text for c in parse.find_objects(svi)[0].children)
    # the plan is the example school's: 40 terminals isolated, the server's port a trunk
    assert sum(p.isolated for p in plan.ports) == 40
    assert plan.port(48).mode == "trunk" and plan.port(48).vlans == [20, 30]


def test_cisco_rendering_is_parsed_back_by_the_resource_module_and_a_mismatch_is_caught(tmp_path):
    inv, _, output = render(tmp_path, "cisco_ios")
    assert "Parse the written configuration back" in output
    assert "Check that the configuration says what the model says" in output
    plan = school_plan(inv).as_dict()
    parsed = lab_switch_ios(plan)["l2_interfaces"]  # what the role gives ios_l2_interfaces
    assert lab_switch_l2_mismatches(parsed, plan) == []
    parsed[0]["access"]["vlan"] = 99
    del parsed[-1]
    wrong = lab_switch_l2_mismatches(parsed, plan)
    assert len(wrong) == 2 and "r1s1" in wrong[0] and "uplink" in wrong[1]


def test_a_generated_room_of_60_grows_the_switch_without_conflicts():
    from labctl.core import paths
    from labctl.vlab.generate import generated_room
    room = generated_room(load_room(paths.DEFAULT_INVENTORY), 60)  # validated on load
    plan = room_plan(room)
    assert plan.bridge == f"lab-{room.name}"
    assert [p.port for p in plan.ports] == list(range(1, 63))
    assert plan.port(61).host == "labsrv" and plan.port(62).role == "uplink"
