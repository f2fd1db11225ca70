"""labctl-pull: a terminal converges itself (pull mode, docs/pull.md).

    sudo labctl-pull run < payload.json   (labctl provision --pull sends the payload)
    labctl-pull run --stored              (the boot timer: the last payload labctl sent)

The payload comes from the admin host over SSH, never from the network: this seat's
inventory (its own variables rendered by the admin host, the room's other hosts by
name, address and seat), the lab server's mirror URL and the sha256 of each artifact
the run needs (the project: playbooks, roles, plugins and collections; the course data
set). Each artifact is downloaded from the lab server only when this seat lacks that
sha256, checked against it and unpacked into root's own directory; then ansible-playbook
(the admin host's ansible-core version, installed by lab_pull from the lab server's
wheels) runs terminals.yml against this seat alone, with a local connection.

What it prints is one JSON object a line: the run's events as they happen (task, ok,
changed, failed, ...) and last its recap, or an `error` that says why the run did not
start. The exit status is 0 when the run succeeded, 1 when a task failed, 2 when it
could not run. Every path is root's and 0700 or 0600: a student cannot change what
root runs here.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

STATE = Path("/var/lib/labctl/pull")
VENV = Path("/opt/labctl/ansible")
PAYLOAD = STATE / "payload.json"
ARTIFACTS = ("project", "coursedata")
HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
SHA = re.compile(r"^[0-9a-f]{64}$")
URL = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?$")


class PullError(Exception):
    """Why the run could not start: said in one line."""


def say(event: str, **fields) -> None:
    print(json.dumps({"e": event, **fields}, ensure_ascii=False), flush=True)


def check_payload(payload) -> dict:
    """The payload's shape, strictly: its values reach argv, paths and Ansible."""
    if not isinstance(payload, dict):
        raise PullError("the payload is not a JSON object")
    host, mirror = payload.get("host"), payload.get("mirror")
    if not isinstance(host, str) or not HOST.match(host):
        raise PullError(f"the payload's host {host!r} is not a host name")
    if not isinstance(mirror, str) or not URL.match(mirror):
        raise PullError(f"the payload's mirror {mirror!r} is not an http(s) URL")
    artifacts = payload.get("artifacts")
    if not isinstance(artifacts, dict) or "project" not in artifacts or not all(
            name in ARTIFACTS and (sha is None or isinstance(sha, str) and SHA.match(sha))
            for name, sha in artifacts.items()):
        raise PullError("the payload's artifacts must map project (and coursedata) to sha256s")
    if not isinstance(payload.get("inventory"), dict):
        raise PullError("the payload has no inventory")
    if not isinstance(payload.get("check", False), bool):
        raise PullError("the payload's check must be true or false")
    return payload


def _private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0:
        raise PullError(f"{path} is not root's own directory: refused")
    os.chmod(path, 0o700)
    return path


def unpack(archive: Path, dest: Path) -> None:
    """Regular files and directories only, every name inside dest."""
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for m in members:
            name = Path(m.name)
            if name.is_absolute() or ".." in name.parts or not (m.isfile() or m.isdir()):
                raise PullError(f"{archive.name}: refusing the member {m.name!r}")
        for m in members:
            target = dest / m.name
            if m.isdir():
                target.mkdir(mode=0o700, parents=True, exist_ok=True)
                continue
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tar.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(target, 0o700 if m.mode & 0o100 else 0o600)


def fetch(mirror: str, name: str, sha: str) -> Path:
    """The artifact's directory, downloaded and unpacked when this seat lacks it."""
    dest = STATE / f"{name}-{sha}"
    if (dest / ".complete").exists():
        return dest
    url = f"{mirror}/{name}-{sha}.tar.gz"
    with tempfile.TemporaryDirectory(dir=STATE) as tmp:
        archive = Path(tmp) / "a.tar.gz"
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(url, timeout=60) as r, open(archive, "wb") as out:
                for block in iter(lambda: r.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
        except OSError as exc:
            raise PullError(f"cannot download {url}: {exc}") from None
        if digest.hexdigest() != sha:
            raise PullError(f"{url} has sha256 {digest.hexdigest()}, not {sha}: refused")
        unpacked = Path(tmp) / "unpacked"
        unpacked.mkdir(mode=0o700)
        unpack(archive, unpacked)
        (unpacked / ".complete").write_text(sha)
        shutil.rmtree(dest, ignore_errors=True)
        unpacked.rename(dest)
    for old in STATE.glob(f"{name}-*"):  # one copy of each artifact is kept
        if old != dest and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return dest


def _store(payload: dict) -> None:
    """The payload, for the boot timer's runs: root's, 0600, replaced whole."""
    tmp = PAYLOAD.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f)
    tmp.replace(PAYLOAD)


def run(payload: dict, store: bool) -> int:
    """Fetch the artifacts, keep the payload (store) once they are here, run the playbook."""
    project = fetch(payload["mirror"], "project", payload["artifacts"]["project"])
    data = None
    if payload["artifacts"].get("coursedata"):
        data = fetch(payload["mirror"], "coursedata", payload["artifacts"]["coursedata"])
    if store:
        _store(payload)
    inventory = payload["inventory"]
    if data is not None:
        hosts = inventory.setdefault("all", {}).setdefault("hosts", {})
        own = hosts.setdefault(payload["host"], {}) or {}
        own["lab_coursedata_store"] = str(data)
        hosts[payload["host"]] = own
    inv = STATE / "inventory.json"
    fd = os.open(inv, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(inventory, f)
    playbook = VENV / "bin" / "ansible-playbook"
    if not playbook.exists():
        raise PullError(f"{playbook} is missing: provision this seat by push once (lab_pull)")
    env = {"PATH": f"{VENV}/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "LANG": "C.UTF-8", "ANSIBLE_CONFIG": str(project / "pull.cfg"),
           "PYTHONPATH": str(project / "lib"),  # labctl's code the lab_veyon filter uses
           "ANSIBLE_HOME": str(_private(STATE / "home")),
           "ANSIBLE_LOCAL_TEMP": str(_private(STATE / "tmp")),
           "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(_private(STATE / "facts"))}
    if list(VENV.glob("lib/python3*/site-packages/ansible_mitogen")):
        # Mitogen, when lab_pull installed it: one Python for the run, not one per task
        env.update(ANSIBLE_STRATEGY="mitogen_linear",
                   ANSIBLE_STRATEGY_PLUGINS=str(project / "plugins" / "strategy"))
    argv = [str(playbook), "-i", str(inv), "--limit", payload["host"],
            str(project / "playbooks" / "terminals.yml")] + (["--check"] if payload.get("check") else [])
    with open(STATE / "last.err", "wb") as err:
        rc = subprocess.run(argv, env=env, cwd=project, stdin=subprocess.DEVNULL,
                            stderr=err).returncode
    if rc not in (0, 2):
        tail = (STATE / "last.err").read_text(errors="replace").strip().splitlines()[-3:]
        say("error", msg=f"ansible-playbook exited {rc}: " + " / ".join(tail))
    return 0 if rc == 0 else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["run"] or argv[1:] not in ([], ["--stored"]):
        print("usage: labctl-pull run [--stored]", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        say("error", msg="labctl-pull runs as root (sudo)")
        return 2
    os.umask(0o077)
    try:
        _private(STATE)
        with open(STATE / "lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # the boot timer's run: this one goes next
                say("wait", msg="another pull run is going on this seat: waiting for it")
                fcntl.flock(lock, fcntl.LOCK_EX)
            if argv[1:] == ["--stored"]:
                if not PAYLOAD.exists():
                    raise PullError("no payload yet: labctl provision --pull sends the first")
                payload = check_payload(json.loads(PAYLOAD.read_text()))
                payload["check"] = False
                return run(payload, store=False)
            try:
                payload = check_payload(json.loads(sys.stdin.read()))
            except ValueError as exc:
                raise PullError(f"the payload is not JSON: {exc}") from None
            return run(payload, store=not payload.get("check"))
    except PullError as exc:
        say("error", msg=str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
