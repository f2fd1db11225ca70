"""Run the project's playbooks: one facade for the CLI, the virtual room and the console."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import LabError, NoSuchSeat

PLAYBOOKS = paths.PROJECT / "playbooks"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)")


class PlaybookError(LabError):
    """A playbook run failed on some hosts."""


@dataclass
class HostRecap:
    ok: int
    changed: int
    unreachable: int
    failed: int
    skipped: int


@dataclass
class PlaybookResult:
    playbook: str
    returncode: int
    recap: dict[str, HostRecap] = field(default_factory=dict)
    output: str = ""
    stopped: bool = False  # labctl itself was interrupted (Ctrl-C) while the run went on

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.recap.values())

    @property
    def failed_hosts(self) -> list[str]:
        return sorted(h for h, r in self.recap.items() if r.failed or r.unreachable)

    @property
    def interrupted(self) -> str:
        """Why the run did not finish ('' when it did): ansible-core exits 0 after printing
        'User interrupted execution', so the exit code alone would call it a success."""
        if self.returncode < 0:
            return f"ended by signal {signal.Signals(-self.returncode).name}"
        if self.stopped or "User interrupted execution" in self.output:
            return "interrupted before it finished"
        if "PLAY RECAP" not in self.output:
            return "ended before its recap"
        return ""

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and not self.failed_hosts and not self.interrupted

    def outcome(self, host: str) -> tuple[str, str]:
        """(ok or failed, why) for one host: a host of an unfinished run has failed."""
        recap = self.recap.get(host)
        if self.interrupted:
            return "failed", f"{self.playbook} {self.interrupted}"
        if recap is None:
            return "failed", f"{self.playbook}: no result for this host"
        if recap.failed or recap.unreachable:
            return "failed", (f"{self.playbook}: " + ("unreachable" if recap.unreachable else
                                                     f"failed={recap.failed}") + f" changed={recap.changed}")
        return "ok", f"{self.playbook}: changed={recap.changed}"


def mitogen_available() -> bool:
    """Is Mitogen's Ansible strategy importable here (the optional accelerator)?"""
    import importlib.util
    return importlib.util.find_spec("ansible_mitogen") is not None


def ansible_env(extra: dict | None = None, inventory: str | Path | None = None) -> dict:
    """The environment of an Ansible child process: the project's settings, and the room's
    vault password file when the room has one (never the demo's for every room)."""
    env = dict(os.environ)
    if "ANSIBLE_STRATEGY" not in env and mitogen_available():
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"  # the optional accelerator (ansible.cfg)
    if inventory is not None:
        env.update({k: v for k, v in paths.vault_env(inventory).items() if k not in env})
    env.setdefault("ANSIBLE_CONFIG", str(paths.PROJECT / "ansible.cfg"))
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.update(extra or {})
    return env


def parse_recap(output: str) -> dict[str, HostRecap]:
    recap = {}
    for line in output.splitlines():
        m = RECAP.match(line.strip())
        if m:
            ok, changed, unreachable, failed, skipped = (int(m.group(i)) for i in range(2, 7))
            recap[m.group(1)] = HostRecap(ok, changed, unreachable, failed, skipped)
    return recap


def run_playbook(inventory: str | Path, playbook: str = "site.yml", limit: str | None = None,
                 check: bool = False, diff: bool = False, extra_args: list[str] | None = None,
                 env: dict | None = None, on_line=None) -> PlaybookResult:
    """Run ansible-playbook and return its per-host recap; on_line gets every output line."""
    path = Path(playbook) if Path(playbook).is_absolute() else PLAYBOOKS / playbook
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(path)]
    if limit:
        cmd += ["--limit", limit]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd += extra_args or []
    if os.geteuid() == 0:
        paths.private(paths.STATE)  # where Ansible keeps its fact cache: root's alone
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=ansible_env(env, inventory), cwd=paths.PROJECT)
    lines, stopped = [], False
    try:
        for line in proc.stdout:
            lines.append(line)
            if on_line:
                on_line(line.rstrip("\n"))
    except KeyboardInterrupt:  # Ctrl-C reached ansible-playbook too: let it stop, then say so
        stopped = True
        for line in proc.stdout:
            lines.append(line)
    proc.wait()
    output = "".join(lines)
    return PlaybookResult(str(path.name), proc.returncode, parse_recap(output), output, stopped)


def provision(room, playbook: str = "site.yml", limit: str | None = None, check: bool = False,
              diff: bool = False, on_line=None, extra_args: list[str] | None = None
              ) -> PlaybookResult:
    """Run a playbook over the room (limit: an Ansible pattern) and record each host's
    outcome in the audit log: the one provisioning action of the CLI and the console. A
    run that did not finish is recorded as failed on every host it was meant for."""
    from labctl.core import audit
    result = run_playbook(room.inventory, playbook, limit=limit, check=check, diff=diff,
                          on_line=on_line, extra_args=extra_args)
    try:
        meant = {s.name for s in room.match(limit)}
    except NoSuchSeat:  # a pattern only Ansible knows (the switch, an exclusion)
        meant = set()
    action = "provision (check)" if check else "provision"
    for host in sorted(set(result.recap) | (meant if result.interrupted else set())):
        outcome, detail = result.outcome(host)
        audit.record_event(room.name, action, host, outcome, detail)
    return result
