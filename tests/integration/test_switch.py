"""The room switch live: switch.yml applies the inventory's model to the virtual room's bridge.

A management host is plugged into port 40 (VLAN 99). The seats (VLAN 10) cannot reach it,
nor each other (isolated ports), but every seat reaches the server (a trunk with VLANs 30
and 10). Moving one seat to VLAN 99 in the inventory and re-running the playbook changes
that port only, and the seat then reaches the management host and no longer the server.
"""

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import yaml

from labctl.core.playbook import run_playbook

from .conftest import INVENTORY, copy_inventory, ssh, wait_for

MGMT_IP, MGMT_PORT = "10.78.0.250", 8040
MGMT_NS, MGMT_LINK = "lab-itest-mgmt", "lvitestmgmt"
SERVER = "10.78.0.10"


@pytest.fixture(scope="module", autouse=True)
def switch_applied(provisioned):
    """The room's switch as the inventory describes it, before any test here: a test run
    earlier may have brought the room down and up again (test_vlab), which leaves the bridge
    without labctl's table until switch.yml runs."""
    assert run_playbook(INVENTORY, "switch.yml").succeeded


@pytest.fixture(scope="module")
def mgmt_host(provisioned):
    """A host in the management VLAN: a network namespace on port 40 serving TCP."""
    vroom, _ = provisioned

    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", MGMT_NS)
    ip("link", "add", MGMT_LINK, "type", "veth", "peer", "name", "eth0", "netns", MGMT_NS)
    ip("link", "property", "add", "dev", MGMT_LINK, "altname", vroom.port_name(40))
    ip("link", "set", MGMT_LINK, "master", vroom.bridge, "up")
    ip("-n", MGMT_NS, "addr", "add", f"{MGMT_IP}/24", "dev", "eth0")
    ip("-n", MGMT_NS, "link", "set", "eth0", "up")
    server = subprocess.Popen(["ip", "netns", "exec", MGMT_NS, sys.executable, "-m",
                               "http.server", str(MGMT_PORT), "--bind", MGMT_IP],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        yield vroom
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        subprocess.run(["ip", "link", "del", MGMT_LINK], capture_output=True)
        subprocess.run(["ip", "netns", "del", MGMT_NS], capture_output=True)
        # the model without the management host plugged in: the room as the other tests know it
        assert run_playbook(INVENTORY, "switch.yml").succeeded


def reaches(connector, seat, ip, port) -> bool:
    """Does a TCP connection from the seat to ip:port open (within 3 s)?"""
    result = ssh(connector, seat, f"timeout 3 bash -c 'exec 3<>/dev/tcp/{ip}/{port}' && echo open")
    return "open" in result.stdout


def admin_reaches(ip, port) -> bool:
    try:
        socket.create_connection((ip, port), timeout=3).close()
        return True
    except OSError:
        return False


def live_ports(table="labctl_lab_itest") -> dict[str, tuple]:
    """Each bridge port's live state in the kernel: (VLAN sets it is in, its forward chain)."""
    listing = json.loads(subprocess.run(["nft", "-j", "list", "table", "bridge", table],
                                        capture_output=True, text=True, check=True).stdout)
    members, chains, jumps = {}, {}, {}
    for item in listing["nftables"]:
        if "set" in item and item["set"]["name"].startswith("vlan_"):
            for elem in item["set"].get("elem", []):
                members.setdefault(elem, []).append(item["set"]["name"])
        if "rule" in item:
            rule = item["rule"]
            chains.setdefault(rule["chain"], []).append(json.dumps(rule["expr"]))
            for expr in rule["expr"]:
                if "vmap" in expr and rule["chain"] == "forward":
                    for key, verdict in expr["vmap"]["data"]["set"]:
                        jumps[key] = verdict["jump"]["target"]
    return {port: (sorted(members.get(port, [])), chains.get(chain, []))
            for port, chain in jumps.items()}


def moved(tmp_path, seat_name, vlan):
    """A copy of the test inventory with one seat in another VLAN."""
    inv = tmp_path / "inventory"
    copy_inventory(inv)
    hosts = yaml.safe_load((inv / "hosts.yml").read_text())
    hosts["all"]["children"]["terminals"]["hosts"][seat_name]["lab_vlan"] = vlan
    (inv / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return inv


def test_vlans_isolation_and_a_moved_seat_live(mgmt_host, room, connector, tmp_path):
    vroom = mgmt_host
    first = run_playbook(INVENTORY, "switch.yml")
    assert first.succeeded, first.output[-3000:]
    again = run_playbook(INVENTORY, "switch.yml", check=True, diff=True)
    assert again.succeeded and again.recap["itest-sw"].changed == 0, again.output[-3000:]
    again = run_playbook(INVENTORY, "switch.yml")
    assert again.recap["itest-sw"].changed == 0, again.output[-3000:]

    terminals = room.terminals
    it01, it02, it03 = (room.seat(n) for n in ("it01", "it02", "it03"))
    assert admin_reaches(MGMT_IP, MGMT_PORT), "the uplink (this host) carries VLAN 99"
    for seat in terminals:
        assert reaches(connector, seat, SERVER, 22), f"{seat.name} reaches the server"
        assert not reaches(connector, seat, MGMT_IP, MGMT_PORT), \
            f"{seat.name} (VLAN 10) must not reach the management host (VLAN 99)"
    assert not reaches(connector, it01, str(it02.ip), 22), "student ports are isolated"

    before = live_ports()
    inv = moved(tmp_path, "it03", 99)
    result = run_playbook(inv, "switch.yml", diff=True)
    assert result.succeeded and result.recap["itest-sw"].changed > 0, result.output[-3000:]
    after = live_ports()
    changed = {port for port in before if before[port] != after.get(port)}
    assert changed == {vroom.veth(it03)}, f"only it03's port changes, not {changed}"
    assert after[vroom.veth(it03)][0] == ["vlan_99"]
    assert wait_for(lambda: reaches(connector, it03, MGMT_IP, MGMT_PORT), 10), \
        "it03, now in VLAN 99, reaches the management host"
    assert not reaches(connector, it03, SERVER, 22), "and no longer the server"
    assert reaches(connector, it01, SERVER, 22)
    assert not reaches(connector, it01, MGMT_IP, MGMT_PORT)
    second = run_playbook(inv, "switch.yml")
    assert second.recap["itest-sw"].changed == 0, second.output[-3000:]

    back = run_playbook(INVENTORY, "switch.yml")
    assert back.succeeded and live_ports() == before
    assert reaches(connector, it03, SERVER, 22)
    assert not reaches(connector, it03, MGMT_IP, MGMT_PORT)


def test_port_security_drops_a_second_mac_on_a_student_port(provisioned, room):
    """max_macs 1: a seat whose MAC address changes (a second PC, a spoofer) is cut off."""
    vroom, _ = provisioned
    seat = room.seat("it02")
    netns = vroom.netns(seat)

    def opens() -> bool:
        return subprocess.run(["ip", "netns", "exec", netns, "timeout", "3", "bash", "-c",
                               f"exec 3<>/dev/tcp/{SERVER}/22"], capture_output=True).returncode == 0

    assert opens(), "the seat's own MAC passes"
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "host0", "address", "52:54:00:78:99:02"],
                       check=True)
        assert not opens(), "a second MAC address on the port must be dropped"
    finally:
        subprocess.run(["ip", "-n", netns, "link", "set", "host0", "address", seat.mac], check=True)
    assert wait_for(opens, 10), "the seat's own MAC passes again"


def test_other_bridges_are_left_alone(provisioned):
    """The switch's nftables table sees every bridge's frames: another bridge on the same
    host (another room, a technician's lab) must work as if the table were not there."""
    subprocess.run(["nft", "list", "table", "bridge", "labctl_lab_itest"], check=True,
                   capture_output=True)
    names = [("labswx1", "10.79.9.1"), ("labswx2", "10.79.9.2")]

    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    try:
        ip("link", "add", "labswx", "type", "bridge")
        ip("link", "set", "labswx", "up")
        for name, addr in names:
            ip("netns", "add", name)
            ip("link", "add", f"{name}p", "type", "veth", "peer", "name", "eth0", "netns", name)
            ip("link", "set", f"{name}p", "master", "labswx", "up")
            ip("-n", name, "addr", "add", f"{addr}/24", "dev", "eth0")
            ip("-n", name, "link", "set", "eth0", "up")
        ping = subprocess.run(["ip", "netns", "exec", names[0][0], "ping", "-c", "2", "-W", "2",
                               names[1][1]], capture_output=True, text=True)
        assert ping.returncode == 0, ping.stdout
    finally:
        for name, _ in names:
            subprocess.run(["ip", "link", "del", f"{name}p"], capture_output=True)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        subprocess.run(["ip", "link", "del", "labswx"], capture_output=True)


# ------------------------------------------------------------------ storm control, DHCP snooping
LISTENER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
# a queue deep enough for the whole flood: what is lost is the switch's doing, never a
# listener that the two shared cores scheduled late (SO_RCVBUFFORCE, 33: root may)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
print("ready", flush=True)
n = 0
try:
    while True:
        s.recv(2048)
        n += 1
except socket.timeout:
    pass
print(n, flush=True)
"""

SENDER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[3])))
for _ in range(int(sys.argv[4])):
    s.sendto(b"x" * 64, (sys.argv[1], int(sys.argv[2])))
"""


def in_netns(netns, *argv):
    return ["ip", "netns", "exec", netns, sys.executable, *argv]


def received(vroom, sender, receiver, to, dport, sport, count) -> int:
    """Datagrams a listener on `receiver` got of `count` sent at full speed by `sender`."""
    listener = subprocess.Popen(in_netns(vroom.netns(receiver), "-c", LISTENER, str(dport), "2"),
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline().strip() == "ready"
        subprocess.run(in_netns(vroom.netns(sender), "-c", SENDER, to, str(dport), str(sport),
                                str(count)), check=True, capture_output=True, timeout=60)
        return int(listener.communicate(timeout=30)[0].strip())
    finally:
        listener.kill()
        listener.wait()


def counter(port: int, comment: str, table="labctl_lab_itest") -> int:
    """Packets counted so far by the rule of port `port` whose comment is `comment`."""
    listing = json.loads(subprocess.run(["nft", "-j", "list", "chain", "bridge", table,
                                         f"in_{port}"], capture_output=True, text=True,
                                        check=True).stdout)
    for item in listing["nftables"]:
        rule = item.get("rule")
        if rule and rule.get("comment", "").startswith(comment):
            return next(e["counter"]["packets"] for e in rule["expr"] if "counter" in e)
    raise AssertionError(f"no rule {comment!r} on port {port}")


def test_storm_control_drops_a_broadcast_flood_and_not_the_same_flood_unicast(provisioned, room):
    """A student port may send 500 broadcasts a second (terminal_ports.storm_control_pps): a
    flood of 3000 at full speed reaches the server only in part, and the drops are counted on
    that port; the same 3000 sent to the server's own address all arrive."""
    vroom, _ = provisioned
    seat, server = room.seat("it01"), room.seat("itsrv")
    broadcast = str(room.subnet.broadcast_address)
    before = counter(int(seat.switch_port), "storm control")
    flood = received(vroom, seat, server, broadcast, 40999, 41000, 3000)
    dropped = counter(int(seat.switch_port), "storm control") - before
    assert 0 < flood < 1500, f"{flood} of 3000 broadcasts reached the server"
    assert dropped >= 1500, f"storm control counted {dropped} drops"
    unicast = received(vroom, seat, server, str(server.ip), 40999, 41000, 3000)
    assert unicast >= 2900, f"only {unicast} of 3000 unicast datagrams arrived"
    assert counter(int(seat.switch_port), "storm control") - before == dropped, "unicast is not policed"


def test_dhcp_snooping_drops_a_rogue_dhcp_server_on_a_student_port(provisioned, room):
    """A student who runs a DHCP server on a terminal (answers from UDP port 67 to 68) is
    dropped at the port; the same datagrams from another source port pass."""
    vroom, _ = provisioned
    seat, server = room.seat("it02"), room.seat("itsrv")
    before = counter(int(seat.switch_port), "DHCP snooping")
    assert received(vroom, seat, server, str(server.ip), 68, 67, 20) == 0, \
        "a DHCP answer from a student port reached the server"
    assert counter(int(seat.switch_port), "DHCP snooping") - before >= 20
    assert received(vroom, seat, server, str(server.ip), 68, 1067, 20) == 20, \
        "the path itself is open: only DHCP answers are dropped"
