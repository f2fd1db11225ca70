"""A virtual seat's identity layer: what makes it this PC and no other (hostname, hosts,
machine-id, SSH host key, the admin's authorized key), kept under the seat's root overlay.

The host key is made here, on the admin host, so the room's known_hosts is written from the
keys themselves, never learnt by trusting a first answer.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from labctl.core import knownhosts
from labctl.core.errors import VlabError
from labctl.core.room import Room, Seat
from labctl.i18n import _

# what the identity layer holds, relative to the seat's root
FILES = ("etc/hostname", "etc/hosts", "etc/machine-id", "etc/ssh/ssh_host_ed25519_key",
         "etc/ssh/ssh_host_ed25519_key.pub")


def unlink_beneath(top: Path, rel: str) -> None:
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


class Identities:
    """The room's seats' identity layers (seat_dir(seat)/identity)."""

    def __init__(self, room: Room, seat_dir, admin_user: str):
        self.room = room
        self.seat_dir = seat_dir
        self.admin_user = admin_user

    def admin_uid(self, image: Path) -> tuple[int, int]:
        """The admin's uid and gid in the golden image."""
        for line in (image / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == self.admin_user:
                return int(fields[2]), int(fields[3])
        raise VlabError(_("the golden image {image} has no user {user}: remove it and run "
                          "`labctl vlab up` again to rebuild it", image=image,
                          user=self.admin_user))

    def write(self, seat: Seat, admin: tuple[int, int]) -> str:
        """Write the seat's identity layer (its host key once); return its SSH host public key."""
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
        auth.write_text(self.room.state.admin_key.with_suffix(".pub").read_text())
        for p, mode in ((home, 0o750), (home / ".ssh", 0o700), (auth, 0o600)):
            os.chown(p, *admin)
            p.chmod(mode)
        pub = key.with_suffix(".pub").read_text().split()
        return f"{pub[0]} {pub[1]}"

    def restore(self, seat: Seat) -> None:
        """Powering a virtual seat on gives it back its own identity, like a PC's hardware:
        what its root wrote over the identity layer (a regenerated host key) is dropped, and
        the identity's host key is the recorded one again."""
        upper = self.seat_dir(seat) / "upper"
        for rel in FILES:
            unlink_beneath(upper, rel)
        pub = (self.seat_dir(seat) / "identity" / "etc/ssh/ssh_host_ed25519_key.pub").read_text()
        knownhosts.replace({str(seat.ip): " ".join(pub.split()[:2])}, self.room.state.known_hosts,
                           aliases={str(seat.ip): seat.name})
