"""The golden image: a Debian root built once with debootstrap, then cached.

Every seat of the virtual room boots an overlay of this image. The image holds
no host keys and no machine-id: each seat gets its own from its identity layer.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import VlabError
from labctl.i18n import _

SUITE = "bookworm"
PACKAGES = ("systemd", "systemd-sysv", "dbus", "libpam-systemd", "openssh-server", "python3",
            "sudo", "iproute2", "iputils-ping", "procps", "cron", "at", "ca-certificates",
            "locales", "less")
# Units a seat never needs; masking them keeps 60 seats booting in seconds.
MASKED = ("getty@tty1.service", "console-getty.service", "apt-daily.timer",
          "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service",
          "fstrim.timer", "dpkg-db-backup.timer", "systemd-pstore.service", "man-db.timer",
          "systemd-networkd-wait-online.service")
MARKER = ".labctl-image"


def debian_mirror() -> str:
    """The Debian archive this machine's apt uses (or LABCTL_DEBIAN_MIRROR)."""
    if os.environ.get("LABCTL_DEBIAN_MIRROR"):
        return os.environ["LABCTL_DEBIAN_MIRROR"]
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.suffix in (".list", ".sources") or path.name == "sources.list":
            try:
                texts.append(path.read_text())
            except OSError:
                pass
    for text in texts:
        for match in re.finditer(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*\]\s+)?)(\S+)", text, re.M):
            uri = match.group(1).rstrip("/")
            if uri.endswith("/debian"):
                return uri
    raise VlabError(_("no Debian archive found in /etc/apt/sources.list*: set "
                      "LABCTL_DEBIAN_MIRROR to your Debian mirror's URL (the one ending in "
                      "/debian)"))


def image_key(admin_user: str) -> str:
    spec = "|".join([SUITE, admin_user, *PACKAGES, *MASKED, "v4"])
    return f"{SUITE}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}"


def image_path(admin_user: str) -> Path:
    return paths.IMAGES / image_key(admin_user)


def _run(cmd: list[str], log) -> None:
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise VlabError(_("`{command} …` failed (exit {rc}); see {log}",
                          command=" ".join(cmd[:3]), rc=proc.returncode, log=log.name))


def ensure_image(admin_user: str, progress=print) -> Path:
    """Return the cached golden image, building it first if there is none."""
    target = image_path(admin_user)
    if (target / MARKER).exists():
        return target
    paths.IMAGES.mkdir(parents=True, exist_ok=True)
    with open(paths.IMAGES / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / MARKER).exists():
            return target
        work = target.with_name(target.name + ".building")
        shutil.rmtree(work, ignore_errors=True)
        log_path = paths.IMAGES / f"{target.name}.log"
        progress(f"building the golden image {target.name} with debootstrap "
                 f"(once; log: {log_path})")
        with open(log_path, "w") as log:
            _run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
                  SUITE, str(work), debian_mirror()], log)
            _customise(work, admin_user, log)
        (work / MARKER).write_text(image_key(admin_user) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    return target


def _customise(root: Path, admin_user: str, log) -> None:
    def chroot(*cmd: str) -> None:
        _run(["chroot", str(root), *cmd], log)

    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    chroot("useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo",
           "--comment", "labctl admin", admin_user)
    chroot("passwd", "--lock", admin_user)
    chroot("passwd", "--lock", "root")
    sudoers = root / "etc/sudoers.d/labctl-admin"
    sudoers.write_text(f"{admin_user} ALL=(ALL:ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    (root / "etc/ssh/sshd_config.d/labctl.conf").write_text(
        "# Written by labctl's virtual room: host keys come from the seat's identity layer.\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n"
        "PermitRootLogin no\n"
        "PasswordAuthentication no\n"
        "UseDNS no\n")
    # sshd answers only once logins are allowed (pam_nologin until user sessions start),
    # so "SSH answers" means "the admin can log in".
    dropin = root / "etc/systemd/system/ssh.service.d"
    dropin.mkdir(parents=True, exist_ok=True)
    (dropin / "labctl.conf").write_text("[Unit]\nAfter=systemd-user-sessions.service\n")
    # The seat runner's watchdog sees a shutdown begin by this file (seatrunner.py): the
    # unit stops at the start of any shutdown, before the units that may hang it.
    (root / "etc/systemd/system/labctl-going-down.service").write_text(
        "[Unit]\nDescription=Tell the virtual room's seat runner when this seat shuts down\n"
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"
        "ExecStop=/bin/touch /run/labctl-going-down\n"
        "[Install]\nWantedBy=multi-user.target\n")
    chroot("systemctl", "mask", *MASKED)
    chroot("systemctl", "enable", "ssh.service", "labctl-going-down.service")
    (root / "etc/locale.gen").write_text("en_US.UTF-8 UTF-8\nzh_CN.UTF-8 UTF-8\n")
    chroot("locale-gen")
    (root / "etc/default/locale").write_text("LANG=C.UTF-8\n")
    for cache in (root / "var/cache/apt/archives").glob("*.deb"):
        cache.unlink()
