"""Reboot-to-restore on a real Debian kernel: a QEMU PC (labctl.vlab.qemu) of a room that
`labctl room init` made boots Debian's kernel and initramfs, lab_reset freezes its root
with overlayroot, `labctl reset` reboots it, and what was written is gone; thawed for
maintenance (`labctl reset --maintenance on`), a change survives the reboot.

About 7 minutes here (QEMU without KVM: each boot takes about a minute), the first time
another 1.5 to build the PC's disk tree (cached in /var/lib/labctl/images).
"""

import json
import shutil

import pytest

from labctl.cli import main
from labctl.core import knownhosts
from labctl.core.inventory import load_room
from labctl.vlab.qemu import QemuPC, bridge_down, bridge_up
from tests.vroom import ssh, wait_for

SEATS = ("name,mac,row,column,os\n"
         "qsrv,52:54:00:79:00:10,,,server\n"
         "q01,52:54:00:79:01:01,1,1,linux\n")
BRIDGE = "lab-qpc"
PLANTED = "/usr/local/bin/planted-by-a-student /home/student/planted.txt"


@pytest.fixture
def pc(tmp_path, capsys):
    (tmp_path / "seats.csv").write_text(SEATS)
    inventory = tmp_path / "qpc"
    assert main(["room", "init", "qpc", "--seats", str(tmp_path / "seats.csv"), "--subnet",
                 "10.79.0.0/24", "--out", str(inventory), "--state-dir",
                 str(tmp_path / "state")]) == 0
    with open(inventory / "group_vars" / "linux_terminals.yml", "a") as f:
        f.write("lab_reset_databases: {}   # no MariaDB on this PC: the root's protection only\n")
    room = load_room(inventory)
    seat = room.seat("q01")
    assert seat.reset_method == "reboot-restore" and not room.virtual
    machine = QemuPC(room, seat, tmp_path / "pc", BRIDGE)
    host_key = machine.build(students=["student"], progress=lambda *_: None)
    knownhosts.replace({str(seat.ip): host_key}, room.state.known_hosts,
                       aliases={str(seat.ip): seat.name})
    bridge_up(BRIDGE, str(room.gateway), room.subnet.prefixlen)
    capsys.readouterr()
    try:
        machine.start()
        yield room, seat, machine, inventory
    finally:
        machine.stop()
        bridge_down(BRIDGE)
        shutil.rmtree(machine.dir, ignore_errors=True)  # its 4 GB disk


def reset(inventory, capsys, *extra) -> dict | int:
    code = main(["reset", "-i", str(inventory), "--seats", "q01", "--force", *extra])
    out = capsys.readouterr().out
    return json.loads(out) if "--json" in extra else (code, out)


def test_a_frozen_pc_forgets_the_class_at_each_reboot_and_a_thawed_one_keeps_a_change(pc, capsys):
    room, seat, machine, inventory = pc
    from labctl.core.ssh import Connector
    connector = Connector.for_room(room, timeout=10)
    assert wait_for(lambda: _answers(connector, seat), timeout=300, step=2), \
        f"the PC did not come up; its console: {machine.console}"
    assert "overlay" not in ssh(connector, seat, "findmnt -no FSTYPE /").stdout

    # freeze: lab_reset's overlayroot set-up on a PC that is not a container
    code, out = reset(inventory, capsys, "--maintenance", "off")
    assert code == 0 and "frozen" in out, out
    answer = reset(inventory, capsys, "--json")
    assert answer["ok"], answer
    assert ssh(connector, seat, "findmnt -no FSTYPE /").stdout.strip() == "overlay"
    assert ssh(connector, seat, "findmnt -no FSTYPE /media/root-ro").stdout.strip() == "ext4"

    # a student's class: a program under /usr and a file in a home; the reset reboots
    assert ssh(connector, seat, f"sudo touch {PLANTED}").ok
    boots = machine.boots()
    answer = reset(inventory, capsys, "--json")
    assert answer["ok"], answer
    assert machine.boots() == boots + 1, "the kernel did not boot again"
    assert ssh(connector, seat, f"! ls {PLANTED}").ok, "a file of the class survived the reboot"

    # maintenance: thawed (the setting goes to the disk beneath the tmpfs), a change stays
    code, out = reset(inventory, capsys, "--maintenance", "on")
    assert code == 0 and "maintenance" in out, out
    assert reset(inventory, capsys, "--json")["ok"]
    assert ssh(connector, seat, "findmnt -no FSTYPE /").stdout.strip() == "ext4", \
        "still frozen after thawing and a reboot"
    assert ssh(connector, seat, "sudo touch /usr/local/bin/installed-in-maintenance").ok
    assert reset(inventory, capsys, "--json")["ok"]
    assert ssh(connector, seat, "test -e /usr/local/bin/installed-in-maintenance").ok


def _answers(connector, seat) -> bool:
    try:
        return ssh(connector, seat, "true").ok
    except Exception:  # noqa: BLE001 - booting: refused, reset, timed out
        return False
