"""Filters of the lab_switch role: the port plan (labctl.core.switch, the code `labctl
validate` checks the model with) and the helpers that render it."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

try:
    from labctl.core import switch
except ImportError:  # said where the plan is needed: one clear error, not a missing filter
    switch = None

HOST_VARS = ("lab_switch_port", "lab_vlan", "lab_switch_trunk", "lab_seat")


def lab_switch_plan(model, hostvars, groups, room=None) -> dict:
    """The switch's port plan from the model and the variables of every server and terminal
    of its room (`room`: the switch's lab_room_name; a campus inventory's groups hold every
    room's hosts)."""
    if switch is None:
        raise AnsibleFilterError(
            "the lab_switch role plans the ports with labctl's own planner (labctl.core.switch), "
            "which ansible-playbook's Python cannot import: install labctl into that Python "
            "(pip install labctl-*.whl; an execution environment gets it from "
            "execution-environment.yml, docs/campus.md)")
    hosts = []
    for name in list(groups.get("servers", [])) + list(groups.get("terminals", [])):
        hv = hostvars[name]
        if room is not None and hv.get("lab_room_name") != room:
            continue
        hosts.append((name, list(hv["group_names"]),
                      {k: hv[k] for k in HOST_VARS if k in hv}))
    plan, issues = switch.plan(model, hosts)
    if issues:
        raise AnsibleFilterError("the switch model is wrong (run `labctl validate`): " + "; ".join(
            f"{i.host + ': ' if i.host else ''}{i.variable}: {i.message} — fix: {i.fix}"
            for i in issues))
    return plan.as_dict()


def lab_switch_interfaces(plan: dict, links: list) -> dict:
    """Each port's kernel interface on a Linux switch (by name or altname, as `ip -j -d link`
    lists them): `ifname`, or None when nothing is plugged in; `self` when the port is the
    bridge's own interface (the switch's host, e.g. the virtual room's router); and
    `bridge_ports`, every interface the bridge has."""
    names = {}
    for link in links:
        for name in [link["ifname"], *link.get("altnames", [])]:
            names[name] = link["ifname"]
    ports = []
    for port in plan["ports"]:
        ifname = names.get(port["name"])
        ports.append({**port, "ifname": ifname, "self": ifname == plan["bridge"]})
    # the bridge's ports, modelled or not: the ruleset leaves other bridges' frames alone
    members = sorted(link["ifname"] for link in links if link.get("master") == plan["bridge"])
    return {**plan, "ports": ports, "bridge_ports": members}


def lab_switch_ios(plan: dict) -> dict:
    """The plan as configuration of the cisco.ios resource modules: l2_interfaces, interfaces."""
    l2, interfaces = [], []
    for port in plan["ports"]:
        if port["mode"] == "access":
            l2.append({"name": port["name"], "mode": "access", "access": {"vlan": port["vlan"]}})
        else:
            l2.append({"name": port["name"], "mode": "trunk",
                       "trunk": {"allowed_vlans": [str(v) for v in port["vlans"]],
                                 "native_vlan": port["vlan"]}})
        interfaces.append({"name": port["name"], "description": port["description"],
                           "enabled": True})
    return {"l2_interfaces": l2, "interfaces": interfaces}


def lab_switch_stanzas(lines: list) -> dict:
    """Rendered IOS commands (`interface X`, its sub-commands, ...) as {interface: [lines]}."""
    stanzas: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if line.startswith("interface "):
            current = stanzas.setdefault(line.split(" ", 1)[1], [])
        elif current is not None:
            current.append(line.strip())
    return stanzas


def lab_switch_l2_mismatches(parsed: list, plan: dict) -> list:
    """Where the L2 configuration parsed back from the rendered file differs from the plan."""
    got = {p["name"]: p for p in parsed}
    wrong = []
    for port in plan["ports"]:
        p = got.get(port["name"], {})
        if port["mode"] == "access":
            ok = p.get("mode") == "access" and p.get("access", {}).get("vlan") == port["vlan"]
        else:
            allowed = {int(v) for v in p.get("trunk", {}).get("allowed_vlans", [])}
            ok = p.get("mode") == "trunk" and allowed == set(port["vlans"]) \
                and p.get("trunk", {}).get("native_vlan") == port["vlan"]
        if not ok:
            wrong.append(f"{port['name']} ({port['description']}): planned {port['mode']} "
                         f"{port['vlans']}, parsed back {p or 'nothing'}")
    return wrong


def vlan_ranges(ids) -> str:
    """[10, 11, 12, 30] -> '10-12,30' (how switches write VLAN lists)."""
    ids = sorted({int(i) for i in ids})
    out, start = [], None
    for i, v in enumerate(ids):
        if start is None:
            start = v
        if i + 1 == len(ids) or ids[i + 1] != v + 1:
            out.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ",".join(out)


class FilterModule:
    def filters(self):
        return {"lab_switch_plan": lab_switch_plan, "lab_switch_interfaces": lab_switch_interfaces,
                "lab_switch_ios": lab_switch_ios, "lab_switch_stanzas": lab_switch_stanzas,
                "lab_switch_l2_mismatches": lab_switch_l2_mismatches,
                "lab_switch_vlan_ranges": vlan_ranges}
