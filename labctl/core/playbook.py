"""Run the project's playbooks: one facade for the CLI, the virtual room and the console."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import LabError
from labctl.core.inventory import load_room

PLAYBOOKS = paths.PROJECT / "playbooks"


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
    failures: dict[str, str] = field(default_factory=dict)  # host -> its last failed task and why
    recapped: bool = True  # the run reached its recap (the stats event)

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
        if not self.recapped:
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
            why = self.failures.get(host, "")
            return "failed", (f"{self.playbook}: " + ("unreachable" if recap.unreachable else
                                                     f"failed={recap.failed}") + f" changed={recap.changed}"
                              + (f" ({why})" if why else ""))
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
    env.setdefault("ANSIBLE_NOCOLOR", "0" if sys.stdout.isatty() else "1")  # runner gives a tty
    env.update(extra or {})
    return env


@dataclass
class TaskEvent:
    """One of a run's per-host events, as labctl's front ends show them."""

    kind: str       # "task" (a task starts: host is ""), "ok", "changed", "failed",
                    # "unreachable", "skipped"
    host: str
    task: str
    message: str = ""


def host_event(kind: str, host: str, task: str, message, ignored: bool = False
               ) -> tuple[TaskEvent, str | None]:
    """One host's result of a task as a TaskEvent, and the failure line the run's result
    keeps for the host (None unless it failed or was unreachable, and not ignored): the
    same for a push run's events and a pulled seat's."""
    message = str(message)[-300:]
    failed = kind in ("failed", "unreachable") and not ignored
    return (TaskEvent(kind, host, task, message),
            f"{task}: {message}".strip(": ") if failed else None)


KINDS = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
         "runner_on_skipped": "skipped", "runner_item_on_failed": "failed"}


def _stop_ansible() -> None:
    """Ctrl-C in labctl's window: ansible-playbook runs in a terminal of its own (ansible-runner),
    so it is told here, as Ctrl-C would have told it, and ends its run as it does then."""
    import psutil
    for proc in psutil.Process().children(recursive=True):
        try:
            if "ansible-playbook" in " ".join(proc.cmdline()[:3]):
                proc.send_signal(signal.SIGINT)
        except psutil.Error:
            continue


def run_playbook(inventory: str | Path, playbook: str = "site.yml", limit: str | None = None,
                 check: bool = False, diff: bool = False, extra_args: list[str] | None = None,
                 env: dict | None = None, on_line=None, on_event=None,
                 state: paths.RoomState | None = None) -> PlaybookResult:
    """Run a playbook through ansible-runner (as AWX does) and build its result from the
    run's structured events, never from its text: on_event gets each TaskEvent as it
    happens, on_line each line of Ansible's display (for a terminal to show). state is the
    room's (its fact cache, key and known_hosts), read from the inventory when not given."""
    import ansible_runner
    path = Path(playbook) if Path(playbook).is_absolute() else PLAYBOOKS / playbook
    flags = (["--check"] if check else []) + (["--diff"] if diff else []) + (extra_args or [])
    state = state or load_room(inventory).state
    if os.geteuid() == 0:
        state.make()  # root's alone
    recap: dict[str, HostRecap] = {}
    failures: dict[str, str] = {}
    lines: list[str] = []
    task, recapped = [""], [False]

    def handle(event: dict) -> bool:
        text = event.get("stdout") or ""
        if text:
            lines.append(text + "\n")
            if on_line:
                for line in text.splitlines():
                    on_line(line)
        data = event.get("event_data") or {}
        kind = event.get("event", "")
        if kind == "playbook_on_task_start":
            task[0] = data.get("task", "")
            if on_event:
                on_event(TaskEvent("task", "", task[0]))
        elif kind in KINDS and data.get("host"):
            res = data.get("res") or {}
            what = "changed" if KINDS[kind] == "ok" and res.get("changed") else KINDS[kind]
            e, failure = host_event(what, data["host"], data.get("task", task[0]),
                                    res.get("msg") or res.get("reason") or "",
                                    bool(data.get("ignore_errors")))
            if failure:
                failures[data["host"]] = failure
            if on_event:
                on_event(e)
        elif kind == "playbook_on_stats":
            recapped[0] = True
            hosts = set().union(*(data.get(k) or {} for k in
                                  ("ok", "changed", "dark", "failures", "skipped", "processed")))
            for host in hosts:
                recap[host] = HostRecap(*(int((data.get(k) or {}).get(host, 0)) for k in
                                          ("ok", "changed", "dark", "failures", "skipped")))
        return False  # nothing is written to disk: the events are read here, once

    envvars = ansible_env({**state.ansible_env(), **(env or {})}, inventory)
    # ansible-runner turns host key checking off unless the environment says otherwise (as
    # AWX does): labctl never lets it (docs/security.md)
    envvars["ANSIBLE_HOST_KEY_CHECKING"] = "True"
    # runner's event callback wraps the display callback: a user's choice of another (json,
    # yaml, ...) would change the events labctl reads
    envvars["ANSIBLE_STDOUT_CALLBACK"] = "default"
    with tempfile.TemporaryDirectory(prefix="labctl-run-") as private:
        thread, runner = ansible_runner.run_async(
            private_data_dir=private, project_dir=str(paths.PROJECT), playbook=str(path),
            inventory=str(Path(inventory).absolute()), limit=limit,
            cmdline=shlex.join(flags) if flags else None, envvars=envvars,
            # the fact cache is the room's (state.ansible_env): runner's own lives in the
            # private data directory, which goes with the run, and a run limited by tags
            # needs the facts
            fact_cache_type="ansible.cfg",
            event_handler=handle, quiet=True, rotate_artifacts=1,
            settings={"suppress_ansible_output": True, "pexpect_timeout": 1})
        stopped = False
        while thread.is_alive():
            try:
                thread.join(0.5)
            except KeyboardInterrupt:
                stopped = True
                _stop_ansible()
    rc = runner.rc if runner.rc is not None else 1
    return PlaybookResult(str(path.name), rc, recap, "".join(lines), stopped, failures, recapped[0])


def room_limit(room, limit: str | None) -> str | None:
    """An Ansible limit kept inside the room: in a campus inventory, the room's group
    intersected with it (Ansible's `a,b,&group` is (a or b) and group)."""
    if room.group is None:
        return limit
    return f"{limit},&{room.group}" if limit else room.group
