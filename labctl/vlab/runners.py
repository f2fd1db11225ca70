"""The processes that are the virtual seats' power: one runner per seat
(labctl.vlab.seatrunner: it boots the seat with systemd-nspawn and boots it again when the
seat reboots), its configuration (seat.json: the layers it boots on, its reset method),
and the room's Wake-on-LAN listener (labctl.vlab.wol)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import VlabError
from labctl.core.room import Room, Seat
from labctl.i18n import _
from labctl.vlab.seatrunner import end_container, is_mounted, netns_pids


def pid_of(path: Path) -> int | None:
    """The live process a pid file names, or None (a zombie is reaped and counts as dead)."""
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


class Runners:
    """The room's seat runners and their configuration; netns(seat) names a seat's namespace."""

    def __init__(self, room: Room, seat_dir, netns):
        self.room = room
        self.seat_dir = seat_dir
        self.netns = netns
        self.dir = room.state.dir

    def runner(self, seat: Seat) -> int | None:
        return pid_of(self.seat_dir(seat) / "runner.pid")

    def nspawn(self, seat: Seat) -> int | None:
        return pid_of(self.seat_dir(seat) / "nspawn.pid")

    # --------------------------------------------------------------- seat.json
    def _config(self, seat: Seat) -> dict:
        return json.loads((self.seat_dir(seat) / "seat.json").read_text())

    def _write_config(self, seat: Seat, config: dict) -> None:
        (self.seat_dir(seat) / "seat.json").write_text(json.dumps(config))

    def known(self, seat: Seat) -> bool:
        """Has the seat ever been up (a configuration to boot it again)?"""
        return (self.seat_dir(seat) / "seat.json").exists()

    def layers(self, seat: Seat) -> list[str]:
        """The provisioned layers a seat boots on, above the golden image (top first)."""
        try:
            return self._config(seat).get("layers", [])
        except (OSError, ValueError):
            return []

    def set_layers(self, seat: Seat, layers: list[str]) -> None:
        """Put a stopped seat on other layers; its own writes are discarded."""
        if self.runner(seat):
            raise VlabError(_("{seat} must be stopped before its layers change", seat=seat.name))
        for d in ("upper", "work"):
            shutil.rmtree(self.seat_dir(seat) / d, ignore_errors=True)
        self._write_config(seat, {**self._config(seat), "layers": layers})

    def set_reset_method(self, seat: Seat, method: str) -> None:
        """Freeze (reboot-restore) or thaw a running seat: its next reboot obeys."""
        self._write_config(seat, {**self._config(seat), "reset_method": method})

    # ------------------------------------------------------------------ power
    def start(self, seat: Seat, image: Path) -> None:
        """Start the seat's runner (once), which boots it on its layers over the image."""
        sd = self.seat_dir(seat)
        if self.runner(seat):
            return
        self._write_config(seat, {
            "hostname": seat.name, "machine": f"{self.room.name}-{seat.name}",
            "netns": self.netns(seat), "image": str(image), "layers": self.layers(seat),
            "reset_method": seat.reset_method})
        with open(sd / "console.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "labctl.vlab.seatrunner", str(sd)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd="/",
                                    env={**os.environ, "PYTHONPATH": str(paths.PROJECT)})
        (sd / "runner.pid").write_text(f"{proc.pid}\n")

    def end_orphan(self, seat: Seat) -> None:
        """A seat whose runner and nspawn are gone but whose container still runs (both were
        killed) is powered off before it boots again: never two containers on one disk."""
        sd = self.seat_dir(seat)
        if not self.runner(seat) and self.pids([seat]):
            end_container(self.netns(seat))
            for pidfile in ("runner.pid", "nspawn.pid"):
                (sd / pidfile).unlink(missing_ok=True)
            if is_mounted(sd / "root"):
                subprocess.run(["umount", str(sd / "root")], capture_output=True)

    def stop(self, seats: list[Seat], timeout: float) -> None:
        """Power seats off gracefully, then end whatever is left of them."""
        for seat in seats:
            runner = self.runner(seat)
            if runner:
                os.kill(runner, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(self.runner(s) for s in seats):
            time.sleep(0.1)
        for seat in seats:
            sd = self.seat_dir(seat)
            for pidfile in ("runner.pid", "nspawn.pid"):
                pid = pid_of(sd / pidfile)
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
            raise VlabError(_("processes {pids} of room {room} did not end after SIGKILL",
                              pids=self.pids(seats), room=self.room.name))

    # ------------------------------------------------------------ Wake-on-LAN
    def wol_start(self) -> None:
        """Start the room's Wake-on-LAN listener (labctl.vlab.wol), once."""
        if pid_of(self.dir / "wol.pid"):
            return
        with open(self.dir / "wol.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "labctl.vlab.wol",
                                     str(self.room.inventory), str(self.dir), self.room.name],
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd=paths.PROJECT)
        (self.dir / "wol.pid").write_text(f"{proc.pid}\n")

    def wol_stop(self) -> None:
        wol = pid_of(self.dir / "wol.pid")
        if wol:
            os.kill(wol, signal.SIGTERM)
            for _attempt in range(50):
                if pid_of(self.dir / "wol.pid") is None:
                    break
                time.sleep(0.05)
        (self.dir / "wol.pid").unlink(missing_ok=True)
