"""The runner of one virtual seat: `python -m labctl.vlab.seatrunner SEATDIR`.

It mounts the seat's root (an overlay of the golden image, the seat's identity
layer and its writable upper layer), boots it with systemd-nspawn in the seat's
network namespace, and boots it again when the seat reboots itself (nspawn exit
133) -- after discarding the upper layer when the seat's reset method is
reboot-restore. SIGTERM powers the seat off and ends the runner.

A watchdog presses the reset button of a seat stuck half-way: a container whose
shutdown has begun (the image's labctl-going-down.service leaves /run/labctl-going-down)
but has not ended after SHUTDOWN_LIMIT seconds, or one still "booting up" (its
/run/nologin) after BOOT_LIMIT seconds, is killed and booted again (as a reboot),
and the console log says so (a real PC's reset button; the two causes of such hangs
found here are fixed below, the watchdog stays as the last resort).

Two things every seat needs on a host without systemd as init:

- its own cgroup. nspawn puts the container under the cgroup it is started in;
  runners all started by labctl would share one, so every seat's systemd would see
  the same system.slice and user.slice, and a seat's shutdown would wait for another
  seat's `user@1000.service` to empty (it never does: that seat is still up). The
  runner moves itself into `<its cgroup>/labctl/<machine>` first.
- its console read. `--console=read-only` copies the container's console to the
  seat's console.log; with a console nobody reads (`passive`) the terminal's buffer
  fills, and PID 1 blocks for good on its next status line, mid-boot or mid-shutdown.

It imports only the standard library so that each seat costs little memory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REBOOT = 133
SHUTDOWN_LIMIT = 120.0  # beyond systemd's own stop timeouts (90 s): only when those fail too
BOOT_LIMIT = 300.0  # 60 seats booting at once on two cores take minutes


def is_mounted(path: Path) -> bool:
    target = str(path)
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == target for line in mounts)


def mount_root(seat: Path, lower: list[str]) -> None:
    """Mount the root: the seat's writes over its identity over the layers (top first)."""
    root = seat / "root"
    if is_mounted(root):
        return
    for d in ("upper", "work", "root"):
        (seat / d).mkdir(exist_ok=True)
    lowerdir = ":".join([str(seat / "identity"), *lower])
    options = f"lowerdir={lowerdir},upperdir={seat / 'upper'},workdir={seat / 'work'}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(root)], check=True)


def unmount_root(seat: Path) -> None:
    root = seat / "root"
    if is_mounted(root):
        if subprocess.run(["umount", str(root)]).returncode != 0:
            subprocess.run(["umount", "--lazy", str(root)])


def discard_upper(seat: Path) -> None:
    """Reboot-restore: forget everything written since the image."""
    unmount_root(seat)
    for d in ("upper", "work"):
        shutil.rmtree(seat / d, ignore_errors=True)
        (seat / d).mkdir()


def cgroup_hierarchies() -> list[tuple[Path, str]]:
    """(mount point, this process's path) of each hierarchy nspawn may keep the container
    in: cgroup v2 (at /sys/fs/cgroup, or /sys/fs/cgroup/unified beside v1 controllers)
    and v1's name=systemd."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    own = dict(line.split(":", 2)[1:] for line in lines if line.count(":") >= 2)
    found = []
    for mount, key in ((Path("/sys/fs/cgroup"), ""), (Path("/sys/fs/cgroup/unified"), ""),
                       (Path("/sys/fs/cgroup/systemd"), "name=systemd")):
        v2 = (mount / "cgroup.controllers").exists()
        if key in own and (mount / "cgroup.procs").exists() and v2 == (key == ""):
            found.append((mount, own[key]))
    return found


def own_cgroups(machine: str) -> list[Path]:
    """Move this runner (and so the seat nspawn boots) into cgroups of the seat's own."""
    groups = []
    for mount, path in cgroup_hierarchies():
        group = mount / path.lstrip("/") / "labctl" / machine
        try:
            group.mkdir(parents=True, exist_ok=True)
            (group / "cgroup.procs").write_text(f"{os.getpid()}\n")
        except OSError as exc:
            log(f"cannot give the seat its own cgroup {group}: {exc}")
            continue
        groups.append(group)
    return groups


def drop_cgroups(groups: list[Path]) -> None:
    """Leave the seat's cgroups and remove them (deepest first: nspawn leaves its own)."""
    for group in groups:
        try:
            (group.parent.parent / "cgroup.procs").write_text(f"{os.getpid()}\n")
        except OSError:
            continue
        for root, dirs, _ in os.walk(group, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        for d in (group, group.parent):  # labctl/ goes with the last seat
            try:
                d.rmdir()
            except OSError:
                break


def container_pids(nspawn: int) -> list[int]:
    """The container's processes: nspawn's descendants (its PID 1 and everything below)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(children.get(nspawn, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def netns_pids(names: list[str]) -> list[int]:
    """Processes inside the named network namespaces (/run/netns/NAME): a seat's container,
    whatever happened to the nspawn that started it."""
    inodes = set()
    for name in names:
        try:
            inodes.add(os.stat(f"/run/netns/{name}").st_ino)
        except OSError:
            pass
    found = []
    if inodes:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}/ns/net").st_ino in inodes:
                        found.append(int(entry))
                except OSError:
                    continue
    return found


def end_container(netns: str, grace: float = 20.0) -> list[int]:
    """Power off what runs in a seat's namespace without its nspawn (an orphan left by a
    killed nspawn): its systemd is asked to power off (SIGRTMIN+4), so MariaDB and the rest
    stop cleanly; what is left after `grace` seconds is killed. Returns the pids found."""
    pids = netns_pids([netns])
    for pid in pids:
        if is_init(pid):
            try:
                os.kill(pid, signal.SIGRTMIN + 4)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and netns_pids([netns]):
        time.sleep(0.2)
    for _ in range(50):
        left = netns_pids([netns])
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    return pids


def is_init(pid: int) -> bool:
    """Is this process PID 1 of its own PID namespace (the container's systemd)?"""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("NSpid:") and line.split()[-1] == "1" and
                       len(line.split()) > 2 for line in f)
    except OSError:
        return False


def phase(pid1: int) -> str | None:
    """'shutdown' or 'boot' while the container is in one, else None."""
    run = f"/proc/{pid1}/root/run"
    if os.path.exists(f"{run}/labctl-going-down"):
        return "shutdown"
    try:
        with open(f"{run}/nologin", errors="replace") as f:
            return "boot" if "booting up" in f.read() else None
    except OSError:
        return None


class Watchdog:
    """Says when a running container has been stuck booting or shutting down too long."""

    def __init__(self, nspawn: int):
        self.nspawn = nspawn
        self.init: int | None = None
        self.since: dict[str, float] = {}

    def _init(self) -> int | None:
        """The container's PID 1 (found once: a /proc scan per tick would cost 60 seats dear)."""
        if self.init is None or not is_init(self.init):
            self.init = next((p for p in container_pids(self.nspawn) if is_init(p)), None)
        return self.init

    def stuck(self) -> str | None:
        pid1 = self._init()
        if pid1 is None:
            return None
        now, current = time.monotonic(), phase(pid1)
        for name, limit in (("shutdown", SHUTDOWN_LIMIT), ("boot", BOOT_LIMIT)):
            if current != name:
                self.since.pop(name, None)
            elif now - self.since.setdefault(name, now) > limit:
                return f"stuck in {name} for {now - self.since[name]:.0f} s"
        return None


def power_cycle(child: subprocess.Popen) -> None:
    """The reset button: kill the container's processes and its nspawn."""
    for pid in container_pids(child.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    child.kill()
    child.wait()


def log(message: str) -> None:
    print(f"labctl-seatrunner {time.strftime('%H:%M:%S')}: {message}", flush=True)


def main(seat: Path) -> int:
    config = json.loads((seat / "seat.json").read_text())
    (seat / "runner.pid").write_text(f"{os.getpid()}\n")
    state = {"stopping": False, "child": None}

    def on_term(signum, frame):
        state["stopping"] = True
        if state["child"] is not None and state["child"].poll() is None:
            state["child"].send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    rc = 0
    groups = own_cgroups(config["machine"])
    try:
        while not state["stopping"]:
            mount_root(seat, [*config.get("layers", []), config["image"]])
            cmd = ["systemd-nspawn", "--quiet", "--boot", f"--directory={seat / 'root'}",
                   f"--machine={config['machine']}", f"--hostname={config['hostname']}",
                   "--register=no", "--keep-unit", "--console=read-only", "--link-journal=no",
                   "--resolv-conf=off", "--timezone=off",
                   # the seat owns its network namespace: let its root manage it (DHCP server)
                   "--capability=CAP_NET_ADMIN",
                   f"--network-namespace-path=/run/netns/{config['netns']}"]
            log(f"booting {config['hostname']}")
            state["child"] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
            (seat / "nspawn.pid").write_text(f"{state['child'].pid}\n")
            watchdog = Watchdog(state["child"].pid)
            while True:
                try:
                    rc = state["child"].wait(timeout=3)
                    break
                except subprocess.TimeoutExpired:
                    problem = None if state["stopping"] else watchdog.stuck()
                    if problem:
                        log(f"{problem}: power-cycling the seat")
                        power_cycle(state["child"])
                        rc = REBOOT  # like a reboot: reboot-restore discards the writes
                        break
            (seat / "nspawn.pid").unlink(missing_ok=True)
            log(f"systemd-nspawn exited with {rc}")
            # a killed nspawn leaves its container running in the seat's namespace: end it
            # before anything boots there again (two containers would share the seat's disk)
            orphans = end_container(config["netns"])
            if orphans:
                log(f"ended {len(orphans)} process(es) its nspawn left running")
            if rc != REBOOT:
                break
            config = json.loads((seat / "seat.json").read_text())  # may have been thawed/frozen
            if config.get("reset_method") == "reboot-restore":
                log("reboot-restore: discarding the upper layer")
                discard_upper(seat)
    finally:
        unmount_root(seat)
        drop_cgroups(groups)
        (seat / "runner.pid").unlink(missing_ok=True)
    return 0 if rc in (0, REBOOT) else rc


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
