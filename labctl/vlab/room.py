"""The virtual room: every inventory host as a booted systemd-nspawn seat on a bridge.

Layout on the admin host (under the room's state directory, paths.RoomState: by default
/var/lib/labctl/rooms/<room>/, beside the room's admin key and known_hosts):

- bridge ``lab-<room>`` with the room's gateway address stands for the switch;
- per seat a network namespace ``lab-<room>-<seat>`` holding ``host0`` (the
  inventory's MAC and IP), a veth whose other end is a bridge port;
- per seat a root overlay: upper layer (the seat's writes), identity layer
  (hostname, machine-id, SSH host key, the admin's authorized key), golden image;
- per seat a runner process (labctl.vlab.seatrunner) that boots and re-boots it.

The seat's SSH host key is made here, so the room's known_hosts is written from
the keys themselves, never learnt by trusting the first answer.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from labctl.core import knownhosts, paths
from labctl.core.errors import PreflightError, VlabError
from labctl.core.room import Room, Seat
from labctl.core.ssh import banner_problem
from labctl.vlab import image as golden
from labctl.vlab.seatrunner import end_container, is_mounted, netns_pids

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


def _unlink_beneath(top: Path, rel: str) -> None:
    """Remove top/rel without following a link on the way: a seat's layer is written by the
    seat's root, and a link there (etc/ssh -> /etc/ssh) must not lead the host's root out."""
    parts = rel.split("/")
    try:
        fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        for part in parts[:-1]:
            sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = sub
        os.unlink(parts[-1], dir_fd=fd)
    except OSError:
        pass  # not there, or a link where a directory should be: nothing of ours to remove
    finally:
        os.close(fd)


def _pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if stat.rsplit(")", 1)[1].split()[0] == "Z":  # a zombie: dead, maybe our own child
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return None
    return pid


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise VlabError(f"`ip {' '.join(args)}` failed: {proc.stderr.strip()}")
    return proc


def _link_exists(name: str, netns: str | None = None) -> bool:
    args = ["-n", netns] if netns else []
    return _ip(*args, "link", "show", name, check=False).returncode == 0


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
        self.bridge = f"lab-{room.name}"
        self.nft_table = f"labctl_{room.name.replace('-', '_')}"
        # the lab_switch role's table (bridge family) when this bridge is the room's switch
        self.switch_table = f"labctl_{self.bridge.replace('-', '_')}"
        self.admin_user = str(room.vars.get("ansible_user", "labadmin"))

    # ------------------------------------------------------------------ names
    def seat_dir(self, seat: Seat) -> Path:
        return self.dir / "seats" / seat.name

    def netns(self, seat: Seat) -> str:
        return f"lab-{self.room.name}-{seat.name}"

    def veth(self, seat: Seat) -> str:
        return f"lv{zlib.crc32(f'{self.room.name}/{seat.name}'.encode()):08x}"

    def port_name(self, port) -> str:
        """A switch port's interface name (an altname): how the linux-bridge family of the
        lab_switch role finds the seat plugged into port N (docs/switch.md)."""
        return f"{self.bridge}-p{port}"

    def _name_port(self, link: str, port) -> None:
        shown = json.loads(_ip("-j", "link", "show", "dev", link).stdout or "[{}]")
        if self.port_name(port) not in shown[0].get("altnames", []):
            _ip("link", "property", "add", "dev", link, "altname", self.port_name(port))

    # --------------------------------------------------------------- checks
    def preflight(self) -> None:
        if os.geteuid() != 0:
            raise PreflightError("the virtual room needs root: run `sudo labctl vlab up`")
        missing = [f"{tool} (apt-get install {pkg})" for tool, pkg in TOOLS.items()
                   if shutil.which(tool) is None]
        if missing:
            raise PreflightError("missing tools: " + ", ".join(missing))
        if "overlay" not in Path("/proc/filesystems").read_text():
            subprocess.run(["modprobe", "overlay"], capture_output=True)
            if "overlay" not in Path("/proc/filesystems").read_text():
                raise PreflightError("the kernel has no overlay filesystem (modprobe overlay)")
        for key, minimum in SYSCTLS.items():
            proc_file = Path("/proc/sys") / key
            if proc_file.exists() and int(proc_file.read_text().split()[0]) < minimum:
                self.progress(f"raising {key.replace('/', '.')} to {minimum} for the seats' systemd")
                proc_file.write_text(f"{minimum}\n")
        routes = json.loads(_ip("-j", "-4", "route", "show", "table", "all").stdout or "[]")
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
                raise PreflightError(
                    f"{self.room.inventory}: lab_room_subnet: the room's subnet "
                    f"{self.room.subnet} clashes with the route {dst} on {dev}; fix: choose "
                    f"another lab_room_subnet, or stop what uses {dst} (another room? "
                    f"`labctl vlab status`)")

    # ------------------------------------------------------------------ up
    def up(self, seats: list[Seat] | None = None, wait: float = 180.0) -> list[SeatStatus]:
        self.preflight()
        seats = seats or list(self.room.seats)
        paths.private(paths.STATE)  # images, audit: root's alone
        self.state.make()           # the room's key, known_hosts, fact cache: root's alone
        self._ensure_admin_key()
        image = golden.ensure_image(self.admin_user, self.progress)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "room.json").write_text(json.dumps({
            "name": self.room.name, "inventory": str(self.room.inventory),
            "bridge": self.bridge, "subnet": str(self.room.subnet),
            "seats": [s.name for s in self.room.seats]}, indent=1))
        self._bridge_up()
        self._uplink()
        self._wol_listener()
        admin_uid = self._admin_uid(image)
        keys = {}
        for seat in seats:
            keys[seat] = self._identity(seat, admin_uid)
            self._network(seat)
        knownhosts.replace({str(s.ip): k for s, k in keys.items()}, self.state.known_hosts,
                           aliases={str(s.ip): s.name for s in seats})
        for seat in seats:
            self._end_orphan(seat)
            self._start_runner(seat, image)
        return self.wait_ready(seats, wait)

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

    def wait_ready(self, seats: list[Seat], timeout: float) -> list[SeatStatus]:
        """Wait until the admin can log in to every seat (or its runner died)."""
        deadline = time.monotonic() + timeout
        pending = {s.name: s for s in seats}
        with ThreadPoolExecutor(max_workers=32) as pool:
            while pending and time.monotonic() < deadline:
                ready = pool.map(lambda s: (s.name, self.can_log_in(s)), pending.values())
                for name, ok in list(ready):
                    if ok:
                        del pending[name]
                if pending:
                    dead = [n for n, s in pending.items()
                            if _pid(self.seat_dir(s) / "runner.pid") is None]
                    for name in dead:
                        del pending[name]
                    time.sleep(0.2)
        return self.status(seats)

    def _wol_listener(self) -> None:
        """Start the room's Wake-on-LAN listener (labctl.vlab.wol), once."""
        if _pid(self.dir / "wol.pid"):
            return
        with open(self.dir / "wol.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "labctl.vlab.wol",
                                     str(self.room.inventory), str(self.dir)],
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd=paths.PROJECT)
        (self.dir / "wol.pid").write_text(f"{proc.pid}\n")

    def start_seat(self, seat: Seat) -> None:
        image = golden.image_path(self.admin_user)
        if not (image / golden.MARKER).exists() or not (self.seat_dir(seat) / "seat.json").exists():
            raise VlabError(f"{seat.name} has never been up: run `labctl vlab up` first")
        self._bridge_up()
        self._network(seat)
        self._end_orphan(seat)
        if not _pid(self.seat_dir(seat) / "runner.pid"):
            self._restore_identity(seat)
        self._start_runner(seat, image)

    IDENTITY = ("etc/hostname", "etc/hosts", "etc/machine-id", "etc/ssh/ssh_host_ed25519_key",
                "etc/ssh/ssh_host_ed25519_key.pub")

    def _restore_identity(self, seat: Seat) -> None:
        """Powering a virtual seat on gives it back its own identity, like a PC's hardware:
        what its root wrote over the identity layer (a regenerated host key) is dropped, and
        the identity's host key is the recorded one again."""
        upper = self.seat_dir(seat) / "upper"
        for rel in self.IDENTITY:
            _unlink_beneath(upper, rel)
        pub = (self.seat_dir(seat) / "identity" / "etc/ssh/ssh_host_ed25519_key.pub").read_text()
        knownhosts.replace({str(seat.ip): " ".join(pub.split()[:2])}, self.state.known_hosts,
                           aliases={str(seat.ip): seat.name})

    def _end_orphan(self, seat: Seat) -> None:
        """A seat whose runner and nspawn are gone but whose container still runs (both were
        killed) is powered off before it boots again: never two containers on one disk."""
        sd = self.seat_dir(seat)
        if not _pid(sd / "runner.pid") and self.pids([seat]):
            end_container(self.netns(seat))
            for pidfile in ("runner.pid", "nspawn.pid"):
                (sd / pidfile).unlink(missing_ok=True)
            if is_mounted(sd / "root"):
                subprocess.run(["umount", str(sd / "root")], capture_output=True)

    def _ensure_admin_key(self) -> None:
        self.state.new_admin_key()

    def _admin_uid(self, image: Path) -> tuple[int, int]:
        for line in (image / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == self.admin_user:
                return int(fields[2]), int(fields[3])
        raise VlabError(f"the golden image {image} has no user {self.admin_user}: "
                        f"remove it and run `labctl vlab up` again to rebuild it")

    def _identity(self, seat: Seat, admin: tuple[int, int]) -> str:
        """Write the seat's identity layer; return its SSH host public key."""
        ident = self.seat_dir(seat) / "identity"
        etc = ident / "etc"
        (etc / "ssh").mkdir(parents=True, exist_ok=True)
        (etc / "hostname").write_text(f"{seat.name}\n")
        hosts = ["127.0.0.1 localhost", f"127.0.1.1 {seat.name}",
                 f"{self.room.gateway} labctl-admin"]
        hosts += [f"{s.ip} {s.name}" for s in self.room.seats]
        (etc / "hosts").write_text("\n".join(hosts) + "\n")
        shutil.copyfile("/etc/resolv.conf", etc / "resolv.conf")
        machine_id = hashlib.sha256(f"labctl/{self.room.name}/{seat.name}".encode()).hexdigest()
        (etc / "machine-id").write_text(machine_id[:32] + "\n")
        key = etc / "ssh/ssh_host_ed25519_key"
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            f"root@{seat.name}", "-f", str(key)], check=True)
        home = ident / "home" / self.admin_user
        (home / ".ssh").mkdir(parents=True, exist_ok=True)
        auth = home / ".ssh/authorized_keys"
        auth.write_text(self.state.admin_key.with_suffix(".pub").read_text())
        for p, mode in ((home, 0o750), (home / ".ssh", 0o700), (auth, 0o600)):
            os.chown(p, *admin)
            p.chmod(mode)
        pub = key.with_suffix(".pub").read_text().split()
        return f"{pub[0]} {pub[1]}"

    def _bridge_up(self) -> None:
        if not _link_exists(self.bridge):
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("link", "set", self.bridge, "alias", f"labctl room {self.room.name}")
        prefix = self.room.subnet.prefixlen
        _ip("addr", "replace", f"{self.room.gateway}/{prefix}", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        switch = self.room.vars.get("lab_switch")
        if isinstance(switch, dict) and switch.get("bridge") == self.bridge:
            # this machine is the room's router: the bridge itself is the uplink port
            self._name_port(self.bridge, switch["uplink"]["port"])

    def _uplink(self) -> None:
        """The room's router: the servers (only) reach the outside through NAT, like a
        school lab whose terminals get their packages from the lab server's cache."""
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
            raise VlabError(f"cannot set up the room's NAT with nft: {proc.stderr.strip()}")

    def _network(self, seat: Seat) -> None:
        ns = self.netns(seat)
        if not Path(f"/run/netns/{ns}").exists():
            _ip("netns", "add", ns)
        if not _link_exists("host0", ns):
            if _link_exists(self.veth(seat)):
                _ip("link", "del", self.veth(seat))
            _ip("link", "add", self.veth(seat), "type", "veth", "peer", "name", "host0",
                "netns", ns)
            _ip("link", "set", self.veth(seat), "alias", f"labctl {self.room.name} {seat.name}")
        _ip("link", "set", self.veth(seat), "master", self.bridge, "up")
        self._name_port(self.veth(seat), seat.switch_port)
        _ip("-n", ns, "link", "set", "host0", "address", seat.mac)
        _ip("-n", ns, "addr", "replace", f"{seat.ip}/{self.room.subnet.prefixlen}", "dev", "host0")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", "host0", "up")
        _ip("-n", ns, "route", "replace", "default", "via", str(self.room.gateway))

    def unplug(self, seat: Seat) -> tuple[str, str]:
        """Take a stopped seat's cable out of its switch port, for another device (a QEMU PC)
        to use: (the port's interface name, its port name). start_seat plugs the seat in again."""
        if _pid(self.seat_dir(seat) / "runner.pid"):
            raise VlabError(f"{seat.name} must be stopped before it is unplugged")
        if _link_exists(self.veth(seat)):
            _ip("link", "del", self.veth(seat))
        return self.veth(seat), self.port_name(seat.switch_port)

    def layers(self, seat: Seat) -> list[str]:
        """The provisioned layers a seat boots on, above the golden image (top first)."""
        try:
            return json.loads((self.seat_dir(seat) / "seat.json").read_text()).get("layers", [])
        except (OSError, ValueError):
            return []

    def set_layers(self, seat: Seat, layers: list[str]) -> None:
        """Put a stopped seat on other layers; its own writes are discarded."""
        sd = self.seat_dir(seat)
        if _pid(sd / "runner.pid"):
            raise VlabError(f"{seat.name} must be stopped before its layers change")
        for d in ("upper", "work"):
            shutil.rmtree(sd / d, ignore_errors=True)
        config = json.loads((sd / "seat.json").read_text())
        config["layers"] = layers
        (sd / "seat.json").write_text(json.dumps(config))

    def set_reset_method(self, seat: Seat, method: str) -> None:
        """Freeze (reboot-restore) or thaw a running seat: its next reboot obeys."""
        sd = self.seat_dir(seat)
        config = json.loads((sd / "seat.json").read_text())
        config["reset_method"] = method
        (sd / "seat.json").write_text(json.dumps(config))

    def _start_runner(self, seat: Seat, image: Path) -> None:
        sd = self.seat_dir(seat)
        if _pid(sd / "runner.pid"):
            return
        (sd / "seat.json").write_text(json.dumps({
            "hostname": seat.name, "machine": f"{self.room.name}-{seat.name}",
            "netns": self.netns(seat), "image": str(image), "layers": self.layers(seat),
            "reset_method": seat.reset_method}))
        log = open(sd / "console.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "labctl.vlab.seatrunner", str(sd)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd="/",
                                env={**os.environ, "PYTHONPATH": str(paths.PROJECT)})
        log.close()
        (sd / "runner.pid").write_text(f"{proc.pid}\n")

    # --------------------------------------------------------------- status
    def status(self, seats: list[Seat] | None = None) -> list[SeatStatus]:
        seats = seats or list(self.room.seats)

        def one(seat: Seat) -> SeatStatus:
            sd = self.seat_dir(seat)
            runner, nspawn = _pid(sd / "runner.pid"), _pid(sd / "nspawn.pid")
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
        return {s.name: bool(_pid(self.seat_dir(s) / "runner.pid"))
                for s in (seats or self.room.seats)}

    # ----------------------------------------------------------------- down
    def stop_seat(self, seat: Seat, timeout: float = 20.0) -> None:
        self.stop_seats([seat], timeout)

    def stop_seats(self, seats: list[Seat], timeout: float) -> None:
        """Power seats off gracefully, then end whatever is left of them."""
        for seat in seats:
            runner = _pid(self.seat_dir(seat) / "runner.pid")
            if runner:
                os.kill(runner, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                _pid(self.seat_dir(s) / "runner.pid") for s in seats):
            time.sleep(0.1)
        for seat in seats:
            sd = self.seat_dir(seat)
            for pidfile in ("runner.pid", "nspawn.pid"):
                pid = _pid(sd / pidfile)
                if pid:
                    os.kill(pid, signal.SIGKILL)
                (sd / pidfile).unlink(missing_ok=True)
        self._kill_orphans(seats)
        for seat in seats:
            # Ansible's SSH master for a seat that is gone would answer for its successor
            for master in paths.SSH_MASTERS.glob(f"{seat.ip}-*"):
                master.unlink(missing_ok=True)
            root = self.seat_dir(seat) / "root"
            if is_mounted(root):
                if subprocess.run(["umount", str(root)], capture_output=True).returncode:
                    subprocess.run(["umount", "--lazy", str(root)], capture_output=True)

    def pids(self, seats: list[Seat]) -> list[int]:
        """Processes inside the seats' network namespaces: what runs there, nspawn or not."""
        return netns_pids([self.netns(seat) for seat in seats])

    def _kill_orphans(self, seats: list[Seat]) -> None:
        """End container processes whose nspawn died (their systemd lives on without it)."""
        for seat in seats:
            end_container(self.netns(seat), grace=5.0)
        if self.pids(seats):
            raise VlabError(f"processes {self.pids(seats)} of room {self.room.name} "
                            "did not end after SIGKILL")

    def down(self, purge: bool = False) -> None:
        seats = list(self.room.seats)
        self.stop_seats(seats, timeout=30.0)
        for seat in seats:
            ns = self.netns(seat)
            if Path(f"/run/netns/{ns}").exists():
                _ip("netns", "del", ns, check=False)
            if _link_exists(self.veth(seat)):
                _ip("link", "del", self.veth(seat), check=False)
        wol = _pid(self.dir / "wol.pid")
        if wol:
            os.kill(wol, signal.SIGTERM)
            for _ in range(50):
                if _pid(self.dir / "wol.pid") is None:
                    break
                time.sleep(0.05)
        (self.dir / "wol.pid").unlink(missing_ok=True)
        if _link_exists(self.bridge):
            _ip("link", "del", self.bridge)
        subprocess.run(["nft", "delete", "table", "ip", self.nft_table], capture_output=True)
        subprocess.run(["nft", "delete", "table", "bridge", self.switch_table], capture_output=True)
        if purge:
            knownhosts.remove([str(s.ip) for s in seats], self.state.known_hosts)
            shutil.rmtree(self.dir, ignore_errors=True)  # the room's key and known_hosts too

    def leftovers(self) -> list[str]:
        """What of this room is still on the machine: mounts, links, namespaces, processes."""
        found = []
        mounts = Path("/proc/self/mounts").read_text()
        found += [f"mount {line.split()[1]}" for line in mounts.splitlines()
                  if str(self.dir) in line.split()[1]]
        links = _ip("-o", "link", "show").stdout
        found += [f"link {name}" for name in [self.bridge] + [self.veth(s) for s in self.room.seats]
                  if f" {name}:" in links or f" {name}@" in links]
        for family, table in (("ip", self.nft_table), ("bridge", self.switch_table)):
            if subprocess.run(["nft", "list", "table", family, table],
                              capture_output=True).returncode == 0:
                found.append(f"nft table {family} {table}")
        netns = _ip("netns", "list").stdout
        found += [f"netns {self.netns(s)}" for s in self.room.seats
                  if self.netns(s) in netns.split()]
        found += [f"process {pid} in a seat's network namespace"
                  for pid in self.pids(list(self.room.seats))]
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
