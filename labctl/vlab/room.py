"""The virtual room: every inventory host as a booted systemd-nspawn seat on a bridge.

Layout on the admin host (under the room's state directory, paths.RoomState: by default
/var/lib/labctl/rooms/<room>/, beside the room's admin key and known_hosts):

- the room's network (labctl.vlab.network): a bridge for the switch, a namespace and a
  cable per seat, NAT for the servers;
- per seat a root overlay: upper layer (the seat's writes), identity layer
  (labctl.vlab.identity: hostname, machine-id, SSH host key, the admin's authorized key),
  the provisioned layers, the golden image (labctl.vlab.image);
- per seat a runner process (labctl.vlab.runners, labctl.vlab.seatrunner) that boots and
  re-boots it.

VirtualRoom is what the rest of labctl, the tests and the benchmarks use: it puts those
parts together to bring seats up, power them on and off, and report their state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from labctl.core import knownhosts, paths
from labctl.core.errors import PreflightError, VlabError
from labctl.core.room import Room, Seat
from labctl.core.ssh import banner_problem
from labctl.i18n import _
from labctl.vlab import image as golden
from labctl.vlab.identity import Identities
from labctl.vlab.network import RoomNetwork
from labctl.vlab.runners import Runners

# Each seat's systemd takes several inotify instances; the kernel's default (128 per
# user) runs out at about 20 seats ("Failed to allocate manager object").
SYSCTLS = {"fs/inotify/max_user_instances": 8192, "fs/inotify/max_user_watches": 524288,
           "kernel/keys/maxkeys": 20000}

TOOLS = {"systemd-nspawn": "systemd-container", "debootstrap": "debootstrap", "nft": "nftables",
         "ip": "iproute2", "ssh-keygen": "openssh-client", "mount": "mount"}


@dataclass
class SeatStatus:
    name: str
    ip: str
    mac: str
    state: str  # running | booting | stopped | orphaned (a container without its nspawn)
    runner_pid: int | None
    nspawn_pid: int | None
    ssh: bool


def ssh_answers(ip: str, timeout: float = 2.0) -> bool:
    """True when an sshd answers with its banner on port 22."""
    return banner_problem(ip, timeout) is None


class VirtualRoom:
    """Bring a room's seats up, down, and report their state."""

    def __init__(self, room: Room, progress=print):
        self.room = room
        self.progress = progress
        self.state = room.state
        self.dir = self.state.dir
        self.admin_user = str(room.vars.get("ansible_user", "labadmin"))
        self.network = RoomNetwork(room)
        self.bridge = self.network.bridge
        self.identities = Identities(room, self.seat_dir, self.admin_user)
        self.runners = Runners(room, self.seat_dir, self.network.netns)

    # ------------------------------------------------------------------ names
    def seat_dir(self, seat: Seat) -> Path:
        return self.dir / "seats" / seat.name

    def netns(self, seat: Seat) -> str:
        return self.network.netns(seat)

    def veth(self, seat: Seat) -> str:
        return self.network.veth(seat)

    def port_name(self, port) -> str:
        return self.network.port_name(port)

    # --------------------------------------------------------------- checks
    def preflight(self) -> None:
        if os.geteuid() != 0:
            raise PreflightError(_("the virtual room needs root: run `sudo labctl vlab up`"))
        missing = [f"{tool} (apt-get install {pkg})" for tool, pkg in TOOLS.items()
                   if shutil.which(tool) is None]
        if missing:
            raise PreflightError(_("missing tools: {tools}", tools=", ".join(missing)))
        if "overlay" not in Path("/proc/filesystems").read_text():
            subprocess.run(["modprobe", "overlay"], capture_output=True)
            if "overlay" not in Path("/proc/filesystems").read_text():
                raise PreflightError(_("the kernel has no overlay filesystem (modprobe overlay)"))
        for key, minimum in SYSCTLS.items():
            proc_file = Path("/proc/sys") / key
            if proc_file.exists() and int(proc_file.read_text().split()[0]) < minimum:
                self.progress(f"raising {key.replace('/', '.')} to {minimum} for the seats' systemd")
                proc_file.write_text(f"{minimum}\n")
        self.network.check_subnet()

    # ------------------------------------------------------------------ up
    def up(self, seats: list[Seat] | None = None, wait: float = 180.0,
           on_ready=None) -> list[SeatStatus]:
        """Boot the seats (default: all) and wait until the admin logs in to each;
        on_ready(ready, total) as they come up."""
        self.preflight()
        seats = seats or list(self.room.seats)
        paths.private(paths.STATE)  # images, audit: root's alone
        self.state.make()           # the room's key, known_hosts, fact cache: root's alone
        self.state.new_admin_key()
        image = golden.ensure_image(self.admin_user, self.progress)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "room.json").write_text(json.dumps({
            "name": self.room.name, "inventory": str(self.room.inventory),
            "bridge": self.bridge, "subnet": str(self.room.subnet),
            "seats": [s.name for s in self.room.seats]}, indent=1))
        self.network.bridge_up()
        self.network.uplink()
        self.runners.wol_start()
        admin_uid = self.identities.admin_uid(image)
        keys = {}
        for seat in seats:
            keys[seat] = self.identities.write(seat, admin_uid)
            self.network.plug(seat)
        knownhosts.replace({str(s.ip): k for s, k in keys.items()}, self.state.known_hosts,
                           aliases={str(s.ip): s.name for s in seats})
        for seat in seats:
            self.runners.end_orphan(seat)
            self.runners.start(seat, image)
        return self.wait_ready(seats, wait, on_ready)

    def can_log_in(self, seat: Seat) -> bool:
        """The admin really logs in and runs a command: an sshd's banner alone comes before
        pam_nologin lets anyone in while the seat boots ("System is booting up")."""
        if not ssh_answers(str(seat.ip), 0.3):
            return False
        from labctl.core.errors import LabError
        from labctl.core.ssh import Connector, run
        try:
            client = Connector.for_room(self.room, timeout=3.0, retries=0).connect(
                seat.name, str(seat.ip))
        except LabError:
            return False
        try:
            return run(client, "true", timeout=5).ok
        except Exception:  # noqa: BLE001 - a seat still booting may drop the session
            return False
        finally:
            client.close()

    def wait_ready(self, seats: list[Seat], timeout: float, on_ready=None) -> list[SeatStatus]:
        """Wait until the admin can log in to every seat (or its runner died);
        on_ready(ready, total) whenever more are ready."""
        deadline = time.monotonic() + timeout
        pending = {s.name: s for s in seats}
        with ThreadPoolExecutor(max_workers=32) as pool:
            while pending and time.monotonic() < deadline:
                ready = pool.map(lambda s: (s.name, self.can_log_in(s)), pending.values())
                for name, ok in list(ready):
                    if ok:
                        del pending[name]
                if on_ready:
                    on_ready(len(seats) - len(pending), len(seats))
                if pending:
                    dead = [n for n, s in pending.items() if self.runners.runner(s) is None]
                    for name in dead:
                        del pending[name]
                    time.sleep(0.2)
        return self.status(seats)

    def start_seat(self, seat: Seat) -> None:
        """Power a seat that has been up before on again: plugged in, its identity its own."""
        image = golden.image_path(self.admin_user)
        if not (image / golden.MARKER).exists() or not self.runners.known(seat):
            raise VlabError(_("{seat} has never been up: run `labctl vlab up` first", seat=seat.name))
        self.network.bridge_up()
        self.network.plug(seat)
        self.runners.end_orphan(seat)
        if not self.runners.runner(seat):
            self.identities.restore(seat)
        self.runners.start(seat, image)

    def unplug(self, seat: Seat) -> tuple[str, str]:
        """Take a stopped seat's cable out of its switch port, for another device (a QEMU PC)
        to use: (the port's interface name, its port name). start_seat plugs the seat in again."""
        if self.runners.runner(seat):
            raise VlabError(_("{seat} must be stopped before it is unplugged", seat=seat.name))
        return self.network.unplug(seat)

    def layers(self, seat: Seat) -> list[str]:
        """The provisioned layers a seat boots on, above the golden image (top first)."""
        return self.runners.layers(seat)

    def set_layers(self, seat: Seat, layers: list[str]) -> None:
        """Put a stopped seat on other layers; its own writes are discarded."""
        self.runners.set_layers(seat, layers)

    def set_reset_method(self, seat: Seat, method: str) -> None:
        """Freeze (reboot-restore) or thaw a running seat: its next reboot obeys."""
        self.runners.set_reset_method(seat, method)

    # --------------------------------------------------------------- status
    def status(self, seats: list[Seat] | None = None) -> list[SeatStatus]:
        seats = seats or list(self.room.seats)

        def one(seat: Seat) -> SeatStatus:
            runner, nspawn = self.runners.runner(seat), self.runners.nspawn(seat)
            ssh = bool(nspawn) and ssh_answers(str(seat.ip))
            state = "running" if ssh else "booting" if nspawn or runner else "stopped"
            if not nspawn and self.pids([seat]):
                # its container runs without the nspawn that started it: `start` ends it first
                state = "orphaned"
            return SeatStatus(seat.name, str(seat.ip), seat.mac, state, runner, nspawn, ssh)

        with ThreadPoolExecutor(max_workers=32) as pool:
            return list(pool.map(one, seats))

    def powered(self, seats: list[Seat] | None = None) -> dict[str, bool]:
        """Is each seat switched on (its runner alive)? Cheap: no network."""
        return {s.name: bool(self.runners.runner(s)) for s in (seats or self.room.seats)}

    def pids(self, seats: list[Seat]) -> list[int]:
        """Processes inside the seats' network namespaces: what runs there, nspawn or not."""
        return self.runners.pids(seats)

    # ----------------------------------------------------------------- down
    def stop_seat(self, seat: Seat, timeout: float = 20.0) -> None:
        self.stop_seats([seat], timeout)

    def stop_seats(self, seats: list[Seat], timeout: float) -> None:
        """Power seats off gracefully, then end whatever is left of them."""
        self.runners.stop(seats, timeout)

    def down(self, purge: bool = False) -> None:
        seats = list(self.room.seats)
        self.runners.stop(seats, timeout=30.0)
        self.runners.wol_stop()
        self.network.down(seats)
        if purge:
            knownhosts.remove([str(s.ip) for s in seats], self.state.known_hosts)
            shutil.rmtree(self.dir, ignore_errors=True)  # the room's key and known_hosts too

    def leftovers(self) -> list[str]:
        """What of this room is still on the machine: mounts, links, namespaces, processes."""
        seats = list(self.room.seats)
        mounts = Path("/proc/self/mounts").read_text()
        found = [f"mount {line.split()[1]}" for line in mounts.splitlines()
                 if str(self.dir) in line.split()[1]]
        found += self.network.leftovers(seats)
        found += [f"process {pid} in a seat's network namespace" for pid in self.pids(seats)]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(self.dir) in cmd:
                found.append(f"process {entry.name}: {cmd[:80]}")
        return found


def status_dicts(statuses: list[SeatStatus]) -> list[dict]:
    return [asdict(s) for s in statuses]
