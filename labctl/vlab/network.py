"""The virtual room's network: a Linux bridge for the switch, a namespace and a cable per
seat, NAT for the servers.

- bridge ``lab-<room>`` with the room's gateway address stands for the switch; its
  interfaces carry the switch's port names as altnames (``lab-<room>-pN``), which is how
  the lab_switch role's linux-bridge family finds the seat plugged into port N;
- per seat a network namespace ``lab-<room>-<seat>`` holding ``host0`` (the inventory's
  MAC and IP), a veth whose other end is the seat's bridge port;
- the room's router: the servers (only) reach the outside through NAT, like a school lab
  whose terminals get their packages from the lab server's cache.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import zlib
from pathlib import Path

from labctl.core.errors import PreflightError, VlabError
from labctl.core.room import Room, Seat
from labctl.i18n import _


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise VlabError(_("`ip {args}` failed: {why}", args=" ".join(args), why=proc.stderr.strip()))
    return proc


def link_exists(name: str, netns: str | None = None) -> bool:
    args = ["-n", netns] if netns else []
    return ip(*args, "link", "show", name, check=False).returncode == 0


class RoomNetwork:
    """One room's bridge, seats' namespaces and cables, and NAT rules."""

    def __init__(self, room: Room):
        self.room = room
        self.bridge = f"lab-{room.name}"
        self.nft_table = f"labctl_{room.name.replace('-', '_')}"
        # the lab_switch role's table (bridge family) when this bridge is the room's switch
        self.switch_table = f"labctl_{self.bridge.replace('-', '_')}"

    # ------------------------------------------------------------------ names
    def netns(self, seat: Seat) -> str:
        return f"lab-{self.room.name}-{seat.name}"

    def veth(self, seat: Seat) -> str:
        return f"lv{zlib.crc32(f'{self.room.name}/{seat.name}'.encode()):08x}"

    def port_name(self, port) -> str:
        """A switch port's interface name (an altname): how the linux-bridge family of the
        lab_switch role finds the seat plugged into port N (docs/switch.md)."""
        return f"{self.bridge}-p{port}"

    def _name_port(self, link: str, port) -> None:
        shown = json.loads(ip("-j", "link", "show", "dev", link).stdout or "[{}]")
        if self.port_name(port) not in shown[0].get("altnames", []):
            ip("link", "property", "add", "dev", link, "altname", self.port_name(port))

    # ------------------------------------------------------------------ checks
    def check_subnet(self) -> None:
        """The room's subnet must not be routed elsewhere on this machine already."""
        routes = json.loads(ip("-j", "-4", "route", "show", "table", "all").stdout or "[]")
        for route in routes:
            dst, dev = route.get("dst", ""), route.get("dev", "")
            if dst == "default" or dev == self.bridge or route.get("type") in (
                    "local", "broadcast"):
                continue
            try:
                net = ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False)
            except ValueError:
                continue
            if net.overlaps(self.room.subnet):
                raise PreflightError(_(
                    "{inventory}: lab_room_subnet: the room's subnet {subnet} clashes with "
                    "the route {route} on {dev}; fix: choose another lab_room_subnet, or stop "
                    "what uses {route} (another room? `labctl vlab status`)",
                    inventory=self.room.inventory, subnet=self.room.subnet, route=dst, dev=dev))

    # ---------------------------------------------------------------- the switch
    def bridge_up(self) -> None:
        if not link_exists(self.bridge):
            ip("link", "add", self.bridge, "type", "bridge")
            ip("link", "set", self.bridge, "alias", f"labctl room {self.room.name}")
        prefix = self.room.subnet.prefixlen
        ip("addr", "replace", f"{self.room.gateway}/{prefix}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        switch = self.room.vars.get("lab_switch")
        if isinstance(switch, dict) and switch.get("bridge") == self.bridge:
            # this machine is the room's router: the bridge itself is the uplink port
            self._name_port(self.bridge, switch["uplink"]["port"])

    def uplink(self) -> None:
        """NAT for the servers, and the terminals kept inside the room."""
        servers = ", ".join(str(s.ip) for s in self.room.servers)
        Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
        subprocess.run(["nft", "delete", "table", "ip", self.nft_table], capture_output=True)
        if not servers:
            return
        rules = (f"table ip {self.nft_table} {{\n"
                 f" chain postrouting {{ type nat hook postrouting priority srcnat; "
                 f"ip saddr {{ {servers} }} ip daddr != {self.room.subnet} masquerade; }}\n"
                 f" chain forward {{ type filter hook forward priority filter; "
                 f"iifname \"{self.bridge}\" ip saddr != {{ {servers} }} "
                 f"oifname != \"{self.bridge}\" drop; }}\n}}\n")
        proc = subprocess.run(["nft", "-f", "-"], input=rules, capture_output=True, text=True)
        if proc.returncode:
            raise VlabError(_("cannot set up the room's NAT with nft: {why}",
                              why=proc.stderr.strip()))

    # ----------------------------------------------------------------- cables
    def plug(self, seat: Seat) -> None:
        """The seat's namespace and cable, its MAC and address, plugged into its port."""
        ns = self.netns(seat)
        if not Path(f"/run/netns/{ns}").exists():
            ip("netns", "add", ns)
        if not link_exists("host0", ns):
            if link_exists(self.veth(seat)):
                ip("link", "del", self.veth(seat))
            ip("link", "add", self.veth(seat), "type", "veth", "peer", "name", "host0",
               "netns", ns)
            ip("link", "set", self.veth(seat), "alias", f"labctl {self.room.name} {seat.name}")
        ip("link", "set", self.veth(seat), "master", self.bridge, "up")
        self._name_port(self.veth(seat), seat.switch_port)
        ip("-n", ns, "link", "set", "host0", "address", seat.mac)
        ip("-n", ns, "addr", "replace", f"{seat.ip}/{self.room.subnet.prefixlen}", "dev", "host0")
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "set", "host0", "up")
        ip("-n", ns, "route", "replace", "default", "via", str(self.room.gateway))

    def unplug(self, seat: Seat) -> tuple[str, str]:
        """Take the seat's cable out of its port: (the port's interface, its port name)."""
        if link_exists(self.veth(seat)):
            ip("link", "del", self.veth(seat))
        return self.veth(seat), self.port_name(seat.switch_port)

    # ------------------------------------------------------------------ down
    def down(self, seats: list[Seat]) -> None:
        """Every seat's namespace and cable, the bridge and the room's nftables tables."""
        for seat in seats:
            ns = self.netns(seat)
            if Path(f"/run/netns/{ns}").exists():
                ip("netns", "del", ns, check=False)
            if link_exists(self.veth(seat)):
                ip("link", "del", self.veth(seat), check=False)
        if link_exists(self.bridge):
            ip("link", "del", self.bridge)
        subprocess.run(["nft", "delete", "table", "ip", self.nft_table], capture_output=True)
        subprocess.run(["nft", "delete", "table", "bridge", self.switch_table], capture_output=True)

    def leftovers(self, seats: list[Seat]) -> list[str]:
        """What of the room's network is still there: links, nftables tables, namespaces."""
        found = []
        links = ip("-o", "link", "show").stdout
        found += [f"link {name}" for name in [self.bridge] + [self.veth(s) for s in seats]
                  if f" {name}:" in links or f" {name}@" in links]
        for family, table in (("ip", self.nft_table), ("bridge", self.switch_table)):
            if subprocess.run(["nft", "list", "table", family, table],
                              capture_output=True).returncode == 0:
                found.append(f"nft table {family} {table}")
        netns = ip("netns", "list").stdout
        found += [f"netns {self.netns(s)}" for s in seats if self.netns(s) in netns.split()]
        return found
