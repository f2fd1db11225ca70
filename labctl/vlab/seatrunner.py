"""The runner of one virtual seat: `python -m labctl.vlab.seatrunner SEATDIR`.

It mounts the seat's root (an overlay of the golden image, the seat's identity
layer and its writable upper layer), boots it with systemd-nspawn in the seat's
network namespace, and boots it again when the seat reboots itself (nspawn exit
133) -- after discarding the upper layer when the seat's reset method is
reboot-restore. SIGTERM powers the seat off and ends the runner.

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
    try:
        while not state["stopping"]:
            mount_root(seat, [*config.get("layers", []), config["image"]])
            cmd = ["systemd-nspawn", "--quiet", "--boot", f"--directory={seat / 'root'}",
                   f"--machine={config['machine']}", f"--hostname={config['hostname']}",
                   "--register=no", "--keep-unit", "--console=passive", "--link-journal=no",
                   "--resolv-conf=off", "--timezone=off",
                   # the seat owns its network namespace: let its root manage it (DHCP server)
                   "--capability=CAP_NET_ADMIN",
                   f"--network-namespace-path=/run/netns/{config['netns']}"]
            log(f"booting {config['hostname']}")
            state["child"] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
            (seat / "nspawn.pid").write_text(f"{state['child'].pid}\n")
            rc = state["child"].wait()
            (seat / "nspawn.pid").unlink(missing_ok=True)
            log(f"systemd-nspawn exited with {rc}")
            if rc != REBOOT:
                break
            config = json.loads((seat / "seat.json").read_text())  # may have been thawed/frozen
            if config.get("reset_method") == "reboot-restore":
                log("reboot-restore: discarding the upper layer")
                discard_upper(seat)
    finally:
        unmount_root(seat)
        (seat / "runner.pid").unlink(missing_ok=True)
    return 0 if rc in (0, REBOOT) else rc


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
