"""Benchmark (on demand, not in the suite): a complete unattended network install of one
seat on a bare QEMU PC, from its first DHCP request to a seat enrolled and checked.

    .venv/bin/python bench/netinstall.py [-i INVENTORY] [--seat NAME] [--no-provision]
                                         [--keep-pc]   (as root)

The room (default: the demo room) is brought up and provisioned if it is not running. The
seat is armed for install on a copy of the inventory (lab_install: true; the server's
lab_server_pxe: true and lab_server_install_disk: /dev/vda, QEMU's virtio disk), the lab
server is converged with that copy, and the seat's container is stopped and unplugged. A
bare QEMU PC with the seat's MAC takes its switch port, with an empty 10 GB disk, and boots
from the network once (then from its disk, as a PC whose boot order puts the network first
and the installer's last step leaves a boot loader on the disk would):

1. DHCP, pxelinux, Debian's installer and the seat's preseed, served by the lab server;
2. the installer runs unattended: packages through the server's cache, the admin account
   with the room's key, GRUB on the disk, and its last step hands the new host key over to
   the server (from the seat's own address);
3. the PC reboots into the installed Debian, from its disk (its own boot loader);
4. `labctl enroll SEAT --installed`: the offered key is compared with the handed one and
   recorded; the admin key logs in; no password anywhere;
5. unless --no-provision: terminals.yml converges the seat, then `labctl check` checks it.

Each phase's wall time is printed, with where the CPU went (this process and its children
are the admin host; QEMU and the room are the seats). Here QEMU runs without KVM (TCG): a
PC's own CPU runs the same installer many times faster, and its disk and network are
faster too; the phases show which part a real room's PC pays for. Afterwards the PC is
removed (--keep-pc leaves it running), the seat's container is plugged in and started
again, and the server is converged with the room's own inventory (disarmed).
"""

from __future__ import annotations

import argparse
import lzma
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _room import cpu_now, cpu_split

from labctl.cli import main as labctl
from labctl.core import mirror, paths
from labctl.core.enroll import handed_over
from labctl.core.hostkeys import offered
from labctl.core.inventory import load_room
from labctl.core.playbook import run_playbook
from labctl.vlab.provision import provision
from labctl.vlab.qemu import QemuPC
from labctl.vlab.room import VirtualRoom


def armed_copy(inventory: Path, seat: str, where: Path) -> Path:
    """A copy of the inventory with the seat armed for install on a QEMU PC's disk."""
    copy = where / inventory.name
    shutil.copytree(inventory, copy)
    (where / (inventory.name + ".vault-pass")).symlink_to(
        paths.vault_password_file(inventory).resolve())
    with open(copy / "group_vars" / "servers.yml", "a") as f:
        f.write("\nlab_server_pxe: true\nlab_server_install_disk: /dev/vda\n"
                "lab_server_install_console: ttyS0,115200n8\n")
    (copy / "host_vars").mkdir(exist_ok=True)
    with open(copy / "host_vars" / f"{seat}.yml", "a") as f:
        f.write("\nlab_install: true\n")
    return copy


def wait(what: str, predicate, timeout: float, step: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def installer_components(room, sample: int = 0) -> list[str]:
    """The installer's components (udebs) the lab server's cache cannot fetch, of those the
    netboot installer always downloads: found before a PC waits hours on the installer's
    "Downloading a file failed" question. sample > 0 also tries that many others."""
    server = room.servers[0]
    port = server.vars.get("lab_server_cache_port", 3142)
    base = f"http://{server.ip}:{port}/debian"
    with urllib.request.urlopen(f"{base}/dists/bookworm/main/debian-installer/binary-amd64/"
                                "Packages.xz", timeout=120) as r:
        index = lzma.decompress(r.read()).decode()
    files = dict(re.findall(r"^Package: (\S+)\n(?:.*\n)*?Filename: (\S+)", index, re.M))
    wanted = [files[p] for p in ("apt-mirror-setup", "partman-base", "grub-installer",
                                 "bootstrap-base", "pkgsel") if p in files]
    wanted += sorted(files.values())[::max(1, len(files) // sample)][:sample] if sample else []
    missing = []
    for path in wanted:
        try:
            urllib.request.urlopen(f"{base}/{path}", timeout=60).close()  # (HEAD is
            # answered 200 by the cache without asking the archive)
        except urllib.error.HTTPError:
            missing.append(path)
    return missing


def installer_stopped(console: str) -> str:
    """The question the installer stopped at (its "[!!]" dialogs), if it did."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Z]|[(]0[a-z]+[(]B", " ", console)
    found = re.findall(r"\[!!\]\s+([^\n]{0,80}?)\s{2,}.*?((?:[A-Z][^.]{10,200}\.))", text[-20000:], re.S)
    return f"{found[-1][0].strip()}: {found[-1][1].strip()}" if found else ""


def listening(ip: str) -> bool:
    try:
        socket.create_connection((ip, 22), timeout=3).close()
        return True
    except OSError:
        return False


class Phases:
    """Each phase's wall time and CPU split, printed as it ends."""

    def __init__(self) -> None:
        self.t0, self.cpu0, self.walls = time.monotonic(), cpu_now(), {}

    def end(self, name: str) -> None:
        wall = time.monotonic() - self.t0
        self.walls[name] = wall
        print(f"  {name}: {wall:7.1f} s wall; "
              f"{cpu_split(self.cpu0, wall, 1, 'seat', parallel=False)}", flush=True)
        self.t0, self.cpu0 = time.monotonic(), cpu_now()


def run(args) -> int:
    inventory = Path(args.inventory).absolute()
    room = load_room(inventory)
    seat = room.seat(args.seat) if args.seat else [s for s in room.terminals if s.is_linux][-1]
    vroom = VirtualRoom(room, progress=lambda *_: None)
    if not all(s.state == "running" for s in vroom.status()):
        print(f"{room.name}: bringing the room up and provisioning it", flush=True)
        vroom.up(wait=300)
        mirror.fill()
        provision(vroom, progress=lambda line: print(f"  {line}", flush=True))
    missing = installer_components(room, sample=20)
    if missing:
        raise SystemExit(f"{room.name}: the lab server's cache cannot fetch {len(missing)} of the "
                         "installer's components (udebs) from the archive it reaches, e.g. "
                         f"{', '.join(missing[:4])}: the installer would stop at 'Downloading a "
                         "file failed'. Give the cache an archive that carries them "
                         "(/etc/apt-cacher-ng/backends_debian on the lab server).")
    workdir = Path(tempfile.mkdtemp(prefix="labctl-netinstall-"))
    pc = None
    phases = Phases()
    try:
        copy = armed_copy(inventory, seat.name, workdir)
        served = run_playbook(copy, "server.yml", limit="servers")
        if not served.succeeded:
            raise SystemExit(f"server.yml (armed) failed:\n{served.output[-3000:]}")
        vroom.stop_seat(seat)
        port = vroom.unplug(seat)
        phases.end("server armed, seat unplugged")
        pc = QemuPC(room, seat, workdir / "pc", vroom.bridge, disk_gb=10, port=port)
        print(f"{seat.name}: a bare QEMU PC ({seat.mac}) boots from the network; its serial "
              f"console: {pc.console}", flush=True)
        pc.start(netboot=True)
        console = lambda: pc.console.read_text(errors="replace") if pc.console.exists() else ""  # noqa: E731
        wait("the installer's kernel", lambda: "Linux version" in console(), 900, 5)
        phases.end("network boot to the installer's kernel")

        def installed():
            stopped = installer_stopped(console())
            if stopped:
                raise SystemExit(f"the installer stopped at a question: {stopped}")
            return handed_over(room, [seat])
        wait("the host key handed over", installed, 4 * 3600, 30)
        phases.end("unattended install (to its last step)")
        wait("the installed system's sshd", lambda: console().count("Linux version") >= 2
             and listening(str(seat.ip)), 1800, 10)
        key = handed_over(room, [seat])[seat.name]
        same = offered(seat).split()[:2] == key.split()[:2]
        phases.end(f"reboot into the installed Debian (offers the handed-over key: {same})")
        code = labctl(["enroll", "-i", str(inventory), seat.name, "--installed"])
        phases.end(f"labctl enroll --installed (exit {code})")
        if code != 0:
            return code
        if not args.no_provision:
            result = run_playbook(inventory, "terminals.yml", limit=seat.name)
            phases.end(f"terminals.yml on the installed PC ({'ok' if result.succeeded else 'FAILED'})")
            if not result.succeeded:
                print(result.output[-4000:])
                return 1
            code = labctl(["check", "-i", str(inventory), "--seats", seat.name])
            phases.end(f"labctl check (exit {code})")
        total = sum(phases.walls.values())
        print(f"\n{seat.name}: from bare PC to {'checked' if not args.no_provision else 'enrolled'}"
              f" seat in {total / 60:.1f} min here (QEMU without KVM)")
        return code
    finally:
        if pc and not args.keep_pc:
            pc.stop()
            vroom.start_seat(seat)
            vroom.wait_ready([seat], 180)
            back = run_playbook(inventory, "server.yml", limit="servers")
            print(f"{room.name}: seat {seat.name} back in its container; server disarmed "
                  f"({'ok' if back.succeeded else 'FAILED'})")
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-i", "--inventory", default=str(paths.DEFAULT_INVENTORY))
    parser.add_argument("--seat", help="the seat to install (default: the room's last Linux terminal)")
    parser.add_argument("--no-provision", action="store_true",
                        help="stop once the seat is enrolled")
    parser.add_argument("--keep-pc", action="store_true",
                        help="leave the QEMU PC running (the seat's container stays stopped)")
    # a TERM (a job stopped from outside) cleans up as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(run(parser.parse_args()))
