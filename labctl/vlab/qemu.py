"""A real PC for proofs the container seats cannot give: QEMU booting Debian's own kernel.

The virtual room's seats are systemd-nspawn containers: they share this machine's kernel
and have no initramfs, firmware or disk of their own, so whatever lives there
(overlayroot's reboot-to-restore, a network install) cannot be proven on them. A QemuPC
is a whole PC instead:

- its disk (raw ext4, no partition table) is the golden image plus Debian's kernel, its
  initramfs and the packages a lab PC has (`PC_PACKAGES`), built once and cached under
  /var/lib/labctl/images/<golden>-pc; each PC then gets its identity on top (host name,
  machine-id, its own SSH host key, the room's admin key, its address from the inventory);
- QEMU boots that kernel and initramfs directly (`-kernel`/`-initrd`, as a boot loader
  would hand them over, command line `root=/dev/vda ro`): no KVM (a KVM guest hangs at boot
  on this machine), so TCG, a few times slower than a PC but the same kernel and initramfs;
- its network card has the seat's MAC, on a bridge of this machine (a tap device), so the
  PC is reached at its inventory address like a terminal in a real room;
- a reboot inside the PC resets the QEMU machine, which boots the disk again: what a
  reboot does to a PC's RAM (tmpfs) it does here;
- or it is a bare PC (`start(netboot=True)`: an empty disk) whose firmware (SeaBIOS with
  iPXE, from Debian's QEMU; or, with uefi=True, OVMF, Debian's UEFI firmware) boots from
  the network, as a new PC in a real room does.

Its serial console is written to `<workdir>/console.log`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import signal
import subprocess
import time
import zlib
from pathlib import Path

from labctl.core.errors import VlabError
from labctl.core.room import Room, Seat
from labctl.vlab import image as golden

OVMF = Path("/usr/share/OVMF")  # Debian's ovmf package
PC_PACKAGES = ("linux-image-amd64", "initramfs-tools", "overlayroot", "rsync", "udev", "python3-apt", "busybox",
               "systemd-timesyncd")


def _run(cmd: list[str], log, **kw) -> None:
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, **kw)
    if proc.returncode != 0:
        raise VlabError(f"`{' '.join(cmd[:4])} …` failed (exit {proc.returncode}); see {log.name}")


def pc_tree(admin_user: str, progress=print) -> Path:
    """The golden image with a kernel and a lab PC's packages, built once and cached."""
    base = golden.ensure_image(admin_user, progress)
    key = hashlib.sha256("|".join(PC_PACKAGES).encode()).hexdigest()[:8]
    target = base.with_name(f"{base.name}-pc-{key}")
    if (target / golden.MARKER).exists():
        return target
    progress(f"building a PC's disk tree from {base.name} (Debian's kernel, overlayroot): "
             "a few minutes, once")
    staging = target.with_name(target.name + ".build")
    shutil.rmtree(staging, ignore_errors=True)
    with open(target.with_name(target.name + ".log"), "w") as log:
        staging.mkdir()
        _run(["cp", "-a", f"{base}/.", f"{staging}/"], log)
        mounts = []
        try:
            for fs, where, opts in (("proc", "proc", []), ("sysfs", "sys", []),
                                    ("devtmpfs", "dev", []), ("devpts", "dev/pts", [])):
                _run(["mount", "-t", fs, *opts, fs, str(staging / where)], log)
                mounts.append(staging / where)
            shutil.copyfile("/etc/resolv.conf", staging / "etc/resolv.conf")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            _run(["chroot", str(staging), "apt-get", "update"], log, env=env)
            _run(["chroot", str(staging), "apt-get", "install", "-y", "--no-install-recommends",
                  *PC_PACKAGES], log, env=env)
            _run(["chroot", str(staging), "apt-get", "clean"], log, env=env)
        finally:
            for where in reversed(mounts):
                subprocess.run(["umount", "-l", str(where)], stdout=log, stderr=subprocess.STDOUT)
    (staging / golden.MARKER).write_text("pc\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


class QemuPC:
    """One seat of a room as a QEMU PC (see the module's help)."""

    def __init__(self, room: Room, seat: Seat, workdir: Path, bridge: str,
                 memory_mb: int = 1024, disk_gb: int = 4, port: tuple[str, str] | None = None):
        """port: (interface name, port name) of a switch port to plug into, as
        VirtualRoom.unplug gives them; else a port of its own."""
        self.room, self.seat, self.dir, self.bridge = room, seat, Path(workdir), bridge
        self.memory_mb, self.disk_gb = memory_mb, disk_gb
        self.disk = self.dir / "disk.img"
        self.console = self.dir / "console.log"
        self.tap, self.port_name = port or (
            f"qt{zlib.crc32(f'{room.name}/{seat.name}'.encode()):08x}"[:15], None)

    # ------------------------------------------------------------------ the disk
    def build(self, students: list[str], progress=print) -> str:
        """Make the PC's disk: the cached tree and this seat's identity. Returns its SSH host
        public key ("type base64"), to be recorded in the room's known_hosts."""
        admin = str(self.room.vars.get("ansible_user", "labadmin"))
        tree = pc_tree(admin, progress)
        self.dir.mkdir(parents=True, exist_ok=True)
        root = self.dir / "tree"
        shutil.rmtree(root, ignore_errors=True)
        with open(self.dir / "build.log", "w") as log:
            root.mkdir()
            _run(["cp", "-a", f"{tree}/.", f"{root}/"], log)
            pub = self._identity(root, admin, students, log)
            for name in ("vmlinuz", "initrd.img"):
                shutil.copyfile(root / name, self.dir / name)  # Debian's symlinks to /boot
            self.disk.unlink(missing_ok=True)
            _run(["mke2fs", "-q", "-t", "ext4", "-L", "labroot", "-d", str(root), str(self.disk),
                  f"{self.disk_gb}G"], log)
        shutil.rmtree(root)
        return pub

    def _identity(self, root: Path, admin: str, students: list[str], log) -> str:
        seat, room = self.seat, self.room
        (root / "etc/hostname").write_text(f"{seat.name}\n")
        (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {seat.name}\n")
        machine_id = hashlib.sha256(f"labctl-pc/{room.name}/{seat.name}".encode()).hexdigest()
        (root / "etc/machine-id").write_text(machine_id[:32] + "\n")
        (root / "etc/fstab").write_text("LABEL=labroot / ext4 errors=remount-ro 0 1\n")
        net = ipaddress.ip_network(room.subnet)
        (root / "etc/systemd/network/10-lab.network").write_text(
            f"[Match]\nMACAddress={seat.mac}\n\n[Network]\nAddress={seat.ip}/{net.prefixlen}\n"
            f"Gateway={room.gateway}\n")
        wants = root / "etc/systemd/system/multi-user.target.wants"
        wants.mkdir(parents=True, exist_ok=True)
        link = wants / "systemd-networkd.service"
        if not link.is_symlink():
            link.symlink_to("/lib/systemd/system/systemd-networkd.service")
        # a serial console to log in to, as a PC's screen would have
        getty = wants / "serial-getty@ttyS0.service"
        if not getty.is_symlink():
            getty.symlink_to("/lib/systemd/system/serial-getty@.service")
        key = root / "etc/ssh/ssh_host_ed25519_key"
        for old in key.parent.glob("ssh_host_*"):
            old.unlink()
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{seat.name}",
              "-f", str(key)], log)
        for name in students:  # as lab_common makes them: a home of one's own, 0700
            _run(["chroot", str(root), "useradd", "--create-home", "--shell", "/bin/bash", name],
                 log)
            (root / "home" / name).chmod(0o700)
        home = root / "home" / admin
        (home / ".ssh").mkdir(parents=True, exist_ok=True)
        (home / ".ssh/authorized_keys").write_text(
            self.room.state.admin_key.with_suffix(".pub").read_text())
        ids = subprocess.run(["chroot", str(root), "id", "-u", admin], capture_output=True,
                             text=True, check=True).stdout.strip()
        for p, mode in ((home / ".ssh", 0o700), (home / ".ssh/authorized_keys", 0o600)):
            os.chown(p, int(ids), int(ids))
            p.chmod(mode)
        return " ".join(key.with_suffix(".pub").read_text().split()[:2])

    # ------------------------------------------------------------------ power
    def start(self, netboot: bool = False, uefi: bool = False) -> None:
        """Power the PC on: its tap on the bridge, QEMU booting the disk's kernel; or, with
        netboot, a bare PC (an empty disk) whose firmware boots from the network (PXE):
        SeaBIOS (legacy BIOS) once, then its disk; with uefi, OVMF (Debian's UEFI firmware
        for QEMU, its own variable store), which tries the disk, then the network."""
        if self.pid():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if not Path(f"/sys/class/net/{self.bridge}").exists():
            raise VlabError(f"no bridge {self.bridge} for {self.seat.name}")
        subprocess.run(["ip", "link", "del", self.tap], capture_output=True)
        subprocess.run(["ip", "tuntap", "add", "dev", self.tap, "mode", "tap"], check=True)
        if self.port_name:
            subprocess.run(["ip", "link", "property", "add", "dev", self.tap, "altname",
                            self.port_name], check=True)
        subprocess.run(["ip", "link", "set", self.tap, "master", self.bridge, "up"], check=True)
        cmd = ["qemu-system-x86_64", "-machine", "q35,accel=tcg", "-cpu", "max",
               "-smp", "2", "-m", str(self.memory_mb), "-display", "none", "-no-user-config",
               "-nodefaults", "-serial", f"file:{self.console}"]
        if netboot:
            if not self.disk.exists():
                with open(self.disk, "wb") as disk:  # empty, sparse: nothing to boot from
                    disk.truncate(self.disk_gb << 30)
            if uefi:
                variables = self.dir / "OVMF_VARS.fd"
                if not variables.exists():
                    shutil.copyfile(OVMF / "OVMF_VARS_4M.fd", variables)
                cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF / 'OVMF_CODE_4M.fd'}",
                        "-drive", f"if=pflash,format=raw,unit=1,file={variables}"]
            else:
                cmd += ["-boot", "once=n"]  # the network once; a reboot boots the disk
        else:
            cmd += ["-kernel", str(self.dir / "vmlinuz"), "-initrd", str(self.dir / "initrd.img"),
                    "-append", "root=/dev/vda ro console=ttyS0 net.ifnames=0"]
        cmd += ["-drive", f"file={self.disk},if=virtio,format=raw,cache=unsafe",
                "-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
                "-device", f"virtio-net-pci,netdev=n0,mac={self.seat.mac}"
                # UEFI: the firmware's own network boot (OVMF's), as a PC's, not QEMU's iPXE
                + (",romfile=" if uefi else ""),
                "-pidfile", str(self.dir / "qemu.pid"), "-daemonize"]
        with open(self.dir / "qemu.log", "ab") as log:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise VlabError(f"QEMU did not start {self.seat.name}; see {self.dir / 'qemu.log'}")

    def pid(self) -> int | None:
        try:
            pid = int((self.dir / "qemu.pid").read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Pull the plug: QEMU ends, its tap goes."""
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not self.pid():
                    break
                time.sleep(0.1)
        (self.dir / "qemu.pid").unlink(missing_ok=True)
        subprocess.run(["ip", "link", "del", self.tap], capture_output=True)

    def boots(self) -> int:
        """How many times the kernel has started since the PC was built (its console)."""
        try:
            return self.console.read_text(errors="replace").count("Linux version ")
        except OSError:
            return 0


def bridge_up(name: str, gateway: str, prefix: int) -> None:
    """A bridge standing for a real room's switch, with the admin host's address on it."""
    if not Path(f"/sys/class/net/{name}").exists():
        subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "replace", f"{gateway}/{prefix}", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)


def bridge_down(name: str) -> None:
    subprocess.run(["ip", "link", "del", name], capture_output=True)
