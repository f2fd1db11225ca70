"""The network install, served by the virtual room's lab server: a bare QEMU PC with a MAC
the inventory gives a seat armed for install (lab_install: true) gets its reservation by
DHCP, pxelinux and Debian's installer over TFTP, and the preseed written for it over HTTP;
a PC whose MAC the room does not know gets no address and no installer. The server's logs
and the PC's serial console prove each step. (The install itself, about an hour under
QEMU without KVM here, is bench/netinstall.py.) The same for a UEFI PC (OVMF): shim, GRUB,
the installer, its preseed."""

import dataclasses
import re
import time
import urllib.error
import urllib.request

import pytest

from labctl.core.playbook import run_playbook
from labctl.core.ssh import run
from labctl.vlab.qemu import QemuPC
from tests.vroom import INVENTORY, copy_inventory, wait_for

SEAT = "it04"
STRANGER = "52:54:00:78:0f:0f"


@pytest.fixture(scope="module")
def armed(provisioned, tmp_path_factory):
    vroom, _ = provisioned
    inventory = copy_inventory(tmp_path_factory.mktemp("netinstall") / "inventory")
    with open(inventory / "group_vars" / "servers.yml", "a") as f:
        # the QEMU PCs have no screen: the installer shows itself on their serial port
        f.write("lab_server_pxe: true\nlab_server_install_console: ttyS0,115200n8\n")
    (inventory / "host_vars").mkdir(exist_ok=True)
    (inventory / "host_vars" / f"{SEAT}.yml").write_text("lab_install: true\n")
    seat = vroom.room.seat(SEAT)
    try:
        served = run_playbook(inventory, "server.yml", limit="servers")
        assert served.succeeded, served.output[-3000:]
        vroom.stop_seat(seat)  # a bare PC takes its place, on its switch port
        yield vroom, seat, inventory, vroom.unplug(seat)
    finally:
        vroom.start_seat(seat)
        assert vroom.wait_ready([seat], 180)[0].ssh
        back = run_playbook(INVENTORY, "server.yml", limit="servers")  # the room as it was
        assert back.succeeded, back.output[-3000:]


def server_says(connector, vroom, command: str) -> str:
    with connector.session(vroom.room.servers[0]) as client:
        return run(client, command, timeout=30).stdout


def preseed_fetches(connector, vroom, access: str) -> list[str]:
    """The lines of the server's nginx log that fetched the seat's preseed, in order."""
    return [line for line in server_says(connector, vroom, access).splitlines()
            if f"/lab-install/{SEAT}.cfg" in line]


def test_a_room_mac_boots_the_installer_with_its_preseed_and_a_stranger_gets_nothing(
        armed, connector, tmp_path):
    vroom, seat, inventory, port = armed
    since = server_says(connector, vroom, "date '+%Y-%m-%d %H:%M:%S'").strip()
    journal = f"sudo journalctl -u dnsmasq --no-pager -o cat --since '{since}'"

    # a PC the room does not know: it asks, and gets nothing
    stranger = QemuPC(vroom.room, dataclasses.replace(seat, name="stranger", mac=STRANGER),
                      tmp_path / "stranger", vroom.bridge)
    try:
        stranger.start(netboot=True)
        asked = wait_for(lambda: [line for line in server_says(connector, vroom, journal).splitlines()
                              if STRANGER in line], 180)
        assert asked, "the stranger's DHCP request never reached the server"
        assert any("no address available" in line for line in asked), asked
        time.sleep(20)  # its firmware retries: still nothing
        assert not [line for line in server_says(connector, vroom, journal).splitlines()
                    if STRANGER in line and ("DHCPOFFER" in line or "DHCPACK" in line)]
    finally:
        stranger.stop()

    # the seat's own MAC, armed for install: lease, pxelinux, the installer, its preseed
    pc = QemuPC(vroom.room, seat, tmp_path / "pc", vroom.bridge, port=port)
    access = "sudo cat /var/log/nginx/access.log"
    before = len(preseed_fetches(connector, vroom, access))  # the UEFI PC's, if it ran first
    try:
        pc.start(netboot=True)
        fetched = wait_for(lambda: preseed_fetches(connector, vroom, access)[before:], 900, 10)
        assert fetched, f"the installer never fetched its preseed; console: {pc.console}"
        assert fetched[0].startswith(f"{seat.ip} ") and '" 200 ' in fetched[0], fetched
        log = server_says(connector, vroom, journal)
        assert re.search(rf"DHCPACK\(\w+\) {re.escape(str(seat.ip))} {seat.mac}", log), log[-2000:]
        for sent in ("pxelinux.0", f"pxelinux.cfg/01-{seat.mac.replace(':', '-')}",
                     "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz"):
            assert re.search(rf"sent \S*{re.escape(sent)} to {re.escape(str(seat.ip))}", log), sent
        console = pc.console.read_text(errors="replace")
        assert "Linux version" in console and "url=http://" in console  # the installer's kernel
        assert f"lab-install/{SEAT}.cfg" in console and "console=ttyS0" in console
        # the preseed is for that seat's address only: from here (the admin host) it is refused
        server = vroom.room.servers[0]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://{server.ip}/lab-install/{SEAT}.cfg", timeout=10)
        assert refused.value.code == 403
    finally:
        pc.stop()


def test_a_uefi_pc_gets_shim_grub_and_the_installer_with_its_preseed(armed, connector, tmp_path):
    """The same seat as a UEFI PC (OVMF): its firmware says so in its DHCP request, gets
    Debian's shim, which loads Debian's GRUB; GRUB's configuration (the room's, one entry per
    armed MAC) starts the installer with the seat's preseed."""
    vroom, seat, inventory, port = armed
    since = server_says(connector, vroom, "date '+%Y-%m-%d %H:%M:%S'").strip()
    journal = f"sudo journalctl -u dnsmasq --no-pager -o cat --since '{since}'"
    access = "sudo cat /var/log/nginx/access.log"
    before = len(preseed_fetches(connector, vroom, access))  # the BIOS PC's, if it ran first
    pc = QemuPC(vroom.room, seat, tmp_path / "uefi", vroom.bridge, port=port)
    try:
        pc.start(netboot=True, uefi=True)
        fetched = wait_for(lambda: preseed_fetches(connector, vroom, access)[before:], 1200, 10)
        assert fetched, f"the installer never fetched its preseed; console: {pc.console}"
        log = server_says(connector, vroom, journal)
        # shim asks for GRUB in the TFTP root: OVMF does not tell it the directory it came from
        for sent in ("debian-installer/amd64/bootnetx64.efi", "/grubx64.efi",
                     "debian-installer/amd64/grub/grub.cfg", "debian-installer/amd64/linux",
                     "debian-installer/amd64/initrd.gz"):
            assert re.search(rf"sent \S*{re.escape(sent)} to {re.escape(str(seat.ip))}", log), sent
        assert "pxelinux" not in "".join(line for line in log.splitlines() if str(seat.ip) in line)
        console = pc.console.read_text(errors="replace")
        assert "Welcome to GRUB" in console and f"Install Debian on {SEAT}" in console
        assert "Linux version" in console and f"lab-install/{SEAT}.cfg" in console
    finally:
        pc.stop()
