"""The room switch: one vendor-neutral model (inventory variable ``lab_switch``) and the
port plan every switch family is configured from.

The model says which VLANs exist, where the uplink trunk is, which ports other devices
use, and the port policies; each inventory host says its own port (``lab_switch_port``),
VLAN (``lab_vlan``) and, for a trunk to a server, the other VLANs it carries
(``lab_switch_trunk``). ``plan()`` checks all of it and turns it into one list of ports,
which the lab_switch role renders (Cisco IOS, Huawei VRP, H3C Comware) or applies live
(linux-bridge). The role and ``labctl validate`` share this code, so they cannot disagree.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field

from labctl.i18n import _

FAMILIES = ("linux-bridge", "cisco_ios", "huawei_vrp", "h3c_comware")
# How a port number reads on each family (a model may set its own `port_format`).
PORT_FORMATS = {"linux-bridge": "{bridge}-p{port}", "cisco_ios": "GigabitEthernet1/0/{port}",
                "huawei_vrp": "GigabitEthernet0/0/{port}", "h3c_comware": "GigabitEthernet1/0/{port}"}
VLAN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
# Free text that lands in vendor configurations and nft comments: one line, no quotes or
# backslashes, nothing a config parser reads as a new command (Chinese letters are fine).
TEXT_RE = re.compile(r"^[\w .,:/()#@+-]{1,64}$")
# A port name: the family's interface name around {port} (and {bridge} for linux-bridge).
PORT_FORMAT_RE = re.compile(r"^[A-Za-z0-9/._-]*(\{bridge\}[A-Za-z0-9/._-]*)?\{port\}[A-Za-z0-9/._-]*$")
BRIDGE_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
MODEL_KEYS = {"name", "family", "ports", "port_format", "bridge", "management", "vlans",
              "uplink", "extra_ports", "terminal_ports", "dhcp_snooping"}
POLICY_KEYS = {"max_macs", "storm_control_pps", "isolated"}


@dataclass(frozen=True)
class SwitchIssue:
    """One thing wrong with the switch model: the host (or None), the variable, what, fix."""

    host: str | None
    variable: str
    message: str
    fix: str


@dataclass
class Port:
    port: int
    name: str                      # the interface as the family names it
    description: str
    role: str                      # terminal | server | uplink | extra
    host: str | None
    mode: str                      # access | trunk
    vlan: int                      # access VLAN, or the trunk's native VLAN
    vlans: list[int]               # every VLAN the port carries (access: just `vlan`)
    max_macs: int | None = None    # port security: MAC addresses the port may learn
    storm_control_pps: int | None = None  # broadcast packets per second before dropping
    isolated: bool = False         # may not talk to other isolated ports
    dhcp_trusted: bool = False     # DHCP server answers may enter here


@dataclass
class Plan:
    name: str
    family: str
    bridge: str | None
    vlans: list[dict]              # [{id, name}]
    management: dict | None        # {vlan, address}
    dhcp_snooping: bool
    ports: list[Port] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def port(self, number: int) -> Port:
        return next(p for p in self.ports if p.port == number)


def as_int(value) -> int | None:
    """A whole number from an inventory value (YAML may give "10" or 10), else None."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _vlan_list(value) -> list[int] | None:
    if not isinstance(value, list):
        return None
    ids = [as_int(v) for v in value]
    return None if any(v is None for v in ids) else ids


def plan(model, hosts: list[tuple[str, list[str], dict]]) -> tuple[Plan | None, list[SwitchIssue]]:
    """Check the model and the hosts' ports; return the port plan, or None and every issue.

    `hosts` is (name, groups, variables) for each server and terminal."""
    return _Planner(model).plan(hosts)


class _Planner:
    """One check of a switch model, part by part (the switch, its VLANs, the terminal
    ports' policy, the hosts' ports, the other devices' ports, the uplink, management),
    every issue collected on the way."""

    def __init__(self, model) -> None:
        self.model = model
        self.issues: list[SwitchIssue] = []
        self.vlans: dict[int, str] = {}
        self.ports: list[Port] = []
        self.owner: dict[int, str] = {}
        self.count: int | None = None
        self.bridge = None
        self.policy: dict = {}
        self.fmt = "{port}"

    def bad(self, var, message, fix, host=None) -> None:
        self.issues.append(SwitchIssue(host, var, message, fix))

    def plan(self, hosts) -> tuple[Plan | None, list[SwitchIssue]]:
        if not isinstance(self.model, dict):
            self.bad("lab_switch", _("{value} is not a mapping", value=repr(self.model)),
                     _("describe the switch as in docs/switch.md"))
            return None, self.issues
        name, family = self._switch()
        self._vlans()
        self._policy()
        self.fmt = str(self.model.get("port_format") or PORT_FORMATS.get(family, "{port}"))
        trusted = bool(self.model.get("dhcp_snooping"))
        self._host_ports(hosts, trusted)
        self._extra_ports()
        self._uplink(trusted)
        management = self._management()
        if self.issues:
            return None, self.issues
        return Plan(name=name, family=family, bridge=self.bridge,
                    vlans=[{"id": v, "name": self.vlans[v]} for v in sorted(self.vlans)],
                    management=management, dhcp_snooping=trusted,
                    ports=sorted(self.ports, key=lambda p: p.port)), []

    def _switch(self) -> tuple[str, str]:
        """The switch itself: its settings, family, name, port count, bridge, port names."""
        model, bad = self.model, self.bad
        for key in sorted(set(model) - MODEL_KEYS):
            bad(f"lab_switch.{key}", _("unknown setting"),
                _("use only: {keys} (docs/switch.md)", keys=", ".join(sorted(MODEL_KEYS))))
        family = str(model.get("family", ""))
        if family not in FAMILIES:
            bad("lab_switch.family", _("unknown switch family {value}", value=repr(family)),
                _("use one of: {choices}", choices=", ".join(FAMILIES)))
        name = str(model.get("name", ""))
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$", name):
            bad("lab_switch.name", _("{value} is not a switch name", value=repr(name)),
                _("give the switch a short name of letters, digits, '-' or '_' (its hostname)"))
        self.count = as_int(model.get("ports"))
        if self.count is None or not 1 <= self.count <= 512:
            bad("lab_switch.ports", _("{value} is not a port count", value=repr(model.get("ports"))),
                _("set ports to how many ports the switch has, e.g. 48"))
            self.count = None
        self.bridge = model.get("bridge")
        if family == "linux-bridge" and not self.bridge:
            bad("lab_switch.bridge", _("a linux-bridge switch needs its bridge's name"),
                _("set bridge, e.g. lab-<room> for the virtual room"))
        elif self.bridge is not None and not BRIDGE_RE.match(str(self.bridge)):
            bad("lab_switch.bridge", _("{value} is not a bridge name", value=repr(self.bridge)),
                _("use up to 15 lower-case letters, digits or '-', starting with a letter"))
            self.bridge = None
        if "port_format" in model and not PORT_FORMAT_RE.match(str(model["port_format"])):
            bad("lab_switch.port_format", _("{value} is not a port name format",
                                            value=repr(model["port_format"])),
                _("write the interface's name with {port} where its number goes, e.g. "
                  "GigabitEthernet1/0/{port} (letters, digits, '/', '.', '-', '_' only)"))
            self.model = {k: v for k, v in model.items() if k != "port_format"}
        return name, family

    def _vlans(self) -> None:
        """The switch's VLANs: ids, names, each once."""
        bad, vlans = self.bad, self.vlans
        raw_vlans = self.model.get("vlans")
        if not isinstance(raw_vlans, list) or not raw_vlans:
            bad("lab_switch.vlans", _("no VLANs"), _("list the VLANs as {id: 10, name: students} items"))
            raw_vlans = []
        names_seen: dict[str, int] = {}
        for i, item in enumerate(raw_vlans):
            var = f"lab_switch.vlans[{i}]"
            vid = as_int(item.get("id")) if isinstance(item, dict) else None
            vname = str(item.get("name", "")) if isinstance(item, dict) else ""
            if vid is None or not 1 <= vid <= 4094:
                bad(f"{var}.id", _("{value} is not a VLAN id", value=repr(
                    item.get("id") if isinstance(item, dict) else item)),
                    _("use a whole number from 1 to 4094"))
                continue
            if not VLAN_NAME_RE.match(vname):
                bad(f"{var}.name", _("{value} is not a VLAN name", value=repr(vname)),
                    _("name the VLAN with up to 32 letters, digits, '-' or '_', e.g. students"))
            if vid in vlans:
                bad(f"{var}.id", _("VLAN {vid} is listed twice", vid=vid), _("list each VLAN once"))
            if vname in names_seen and names_seen[vname] != vid:
                bad(f"{var}.name", _("VLAN name {name} is used by VLAN {other} too", name=repr(vname),
                                     other=names_seen[vname]),
                    _("give every VLAN its own name"))
            vlans[vid] = vname
            names_seen[vname] = vid

    def _known(self, vid, var, host=None) -> bool:
        """A VLAN id the switch has (said, if not)."""
        if vid is None or not 1 <= vid <= 4094:
            self.bad(var, _("is not a VLAN id"), _("use a whole number from 1 to 4094"), host)
            return False
        if self.vlans and vid not in self.vlans:
            self.bad(var, _("VLAN {vid} is not one of the switch's VLANs ({vlans})", vid=vid,
                            vlans=", ".join(str(v) for v in sorted(self.vlans))),
                     _("use a VLAN listed in lab_switch.vlans, or add it there"), host)
            return False
        return True

    def _policy(self) -> None:
        """The terminals' ports' policy: port security, storm control, isolation."""
        policy = self.model.get("terminal_ports") or {}
        if not isinstance(policy, dict) or set(policy) - POLICY_KEYS:
            self.bad("lab_switch.terminal_ports", _("{value} is not a port policy", value=repr(policy)),
                     _("use a mapping of: {keys}", keys=", ".join(sorted(POLICY_KEYS))))
            policy = {}
        for key in ("max_macs", "storm_control_pps"):
            if key in policy and (as_int(policy[key]) is None or as_int(policy[key]) < 1):
                self.bad(f"lab_switch.terminal_ports.{key}", _("{value} is not a positive number",
                                                               value=repr(policy[key])),
                         _("set {key} to a whole number of at least 1, or leave it out", key=key))
                policy = {k: v for k, v in policy.items() if k != key}
        self.policy = policy

    def _port_name(self, n: int) -> str:
        return self.fmt.format(port=n, bridge=self.bridge or "")

    def _claim(self, n, who, var, host=None) -> bool:
        """Port n for who, if the switch has it and nobody has it yet (said, if not)."""
        if n is None or (self.count and not 1 <= n <= self.count):
            self.bad(var, _("port {port} is not a port of the switch (1-{count})",
                            port=n if n is not None else "?", count=self.count or "?"),
                     _("use a port number the switch has"), host)
            return False
        if n in self.owner:
            self.bad(var, _("port {port} is assigned twice: {first} and {second}", port=n,
                            first=self.owner[n], second=who),
                     _("give every host and device its own port"), host)
            return False
        self.owner[n] = who
        return True

    def _host_ports(self, hosts, trusted: bool) -> None:
        """Each server's and terminal's port: its VLAN, a trunk's other VLANs, and the
        terminals' policy."""
        bad, policy = self.bad, self.policy
        for host, groups, hv in hosts:
            n = as_int(hv.get("lab_switch_port"))
            if "lab_switch_port" not in hv:
                bad("lab_switch_port", _("the host has no switch port"),
                    _("set lab_switch_port to the port its cable is plugged into"), host)
                continue
            if not self._claim(n, host, "lab_switch_port", host):
                continue
            vid = as_int(hv.get("lab_vlan"))
            if not self._known(vid, "lab_vlan", host):
                continue
            extra = hv.get("lab_switch_trunk")
            carried = [vid]
            if extra is not None:
                extra_ids = _vlan_list(extra)
                if extra_ids is None:
                    bad("lab_switch_trunk", _("{value} is not a list of VLAN ids", value=repr(extra)),
                        _("write the other VLANs the host's port carries, e.g. [10, 20]"), host)
                    continue
                if not all(self._known(v, "lab_switch_trunk", host) for v in extra_ids):
                    continue
                carried += [v for v in extra_ids if v != vid]
            terminal = "terminals" in groups
            seat = hv.get("lab_seat") if isinstance(hv.get("lab_seat"), dict) else {}
            where = f" r{seat.get('row')}c{seat.get('column')}" if seat else ""
            self.ports.append(Port(
                port=n, name=self._port_name(n), description=f"{host}{where}",
                role="terminal" if terminal else "server", host=host,
                mode="trunk" if len(carried) > 1 else "access", vlan=vid, vlans=sorted(carried),
                max_macs=as_int(policy.get("max_macs")) if terminal else None,
                storm_control_pps=as_int(policy.get("storm_control_pps")) if terminal else None,
                isolated=bool(policy.get("isolated")) and terminal,
                dhcp_trusted=trusted and not terminal))

    def _extra_ports(self) -> None:
        """The other devices' ports (the teacher's desk, the projector, ...)."""
        bad = self.bad
        extras = self.model.get("extra_ports") or []
        if not isinstance(extras, list):
            bad("lab_switch.extra_ports", _("{value} is not a list", value=repr(extras)),
                _("list other devices as {port: 47, vlan: 99, description: ...} items"))
            extras = []
        for i, item in enumerate(extras):
            var = f"lab_switch.extra_ports[{i}]"
            if not isinstance(item, dict):
                bad(var, _("{value} is not a port", value=repr(item)),
                    _("write {port: N, vlan: V, description: ...}"))
                continue
            n, vid = as_int(item.get("port")), as_int(item.get("vlan"))
            desc = str(item.get("description") or f"port {n}")
            if not TEXT_RE.match(desc):
                bad(f"{var}.description", _("{value} is not a one-line description", value=repr(desc)),
                    _("describe the device in up to 64 letters, digits, spaces and .,:/()#@+- "
                      "(no quotes, backslashes or line breaks)"))
                continue
            if self._claim(n, desc, f"{var}.port") and self._known(vid, f"{var}.vlan"):
                self.ports.append(Port(port=n, name=self._port_name(n), description=desc,
                                       role="extra", host=None, mode="access", vlan=vid, vlans=[vid]))

    def _uplink(self, trusted: bool) -> None:
        """The uplink trunk: it carries every VLAN a port uses, and its native VLAN."""
        bad = self.bad
        uplink = self.model.get("uplink")
        if not isinstance(uplink, dict):
            bad("lab_switch.uplink", _("the switch has no uplink"),
                _("describe the uplink trunk: {port: 48, vlans: [...], native: 10}"))
            return
        n = as_int(uplink.get("port"))
        carried = _vlan_list(uplink.get("vlans"))
        native = as_int(uplink.get("native", carried[0] if carried else None))
        if carried is None or not carried:
            bad("lab_switch.uplink.vlans", _("{value} is not a list of VLAN ids",
                                            value=repr(uplink.get("vlans"))),
                _("list the VLANs the uplink trunk carries"))
        elif self._claim(n, "the uplink", "lab_switch.uplink.port") and all(
                self._known(v, "lab_switch.uplink.vlans") for v in carried):
            if native not in carried:
                bad("lab_switch.uplink.native", _("native VLAN {vid} is not carried by the "
                                                  "uplink ({vlans})", vid=native,
                                                  vlans=", ".join(map(str, carried))),
                    _("set native to one of the uplink's VLANs"))
            else:
                used = sorted({v for p in self.ports for v in p.vlans} - set(carried))
                for vid in used:
                    users = ", ".join(p.description for p in self.ports if vid in p.vlans)
                    bad("lab_switch.uplink.vlans", _("the uplink trunk does not carry VLAN "
                                                     "{vid}, which {users} use", vid=vid, users=users),
                        _("add {vid} to the uplink's vlans", vid=vid))
                self.ports.append(Port(port=n, name=self._port_name(n), description="uplink",
                                       role="uplink", host=None, mode="trunk", vlan=native,
                                       vlans=sorted(carried), dhcp_trusted=trusted))

    def _management(self) -> dict | None:
        """The switch's management address, in one of its VLANs."""
        management = self.model.get("management")
        if management is None:
            return None
        if not isinstance(management, dict) or not self._known(as_int(management.get("vlan")),
                                                                "lab_switch.management.vlan"):
            if not any(i.variable == "lab_switch.management.vlan" for i in self.issues):
                self.bad("lab_switch.management", _("is not {vlan: V, address: A/P}"),
                         _("give the management VLAN and the switch's address in it"))
            return None
        address = str(management.get("address", ""))
        try:
            ipaddress.IPv4Interface(address)
        except ValueError:
            self.bad("lab_switch.management.address", _("{value} is not an address/prefix",
                                                        value=repr(address)),
                     _("give the switch's management address as ADDRESS/PREFIX, e.g. 10.77.99.2/24"))
        return {"vlan": as_int(management["vlan"]), "address": address}

