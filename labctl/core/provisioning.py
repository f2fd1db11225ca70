"""The one provisioning action of the CLI and the console: a playbook over the room, pushed
or (the Linux terminals) pulled, each host's outcome in the audit log, and the progress
against the last complete run of the same kind."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile

from labctl.core import audit, paths
from labctl.core.errors import NoSuchSeat
from labctl.core.playbook import PlaybookResult, TaskEvent, room_limit, run_playbook
from labctl.core.pull import push_and_pull

MODES = ("push", "pull")
PULLED = ("site.yml", "terminals.yml")  # the playbooks whose Linux terminals can pull


def provision(room, playbook: str = "site.yml", limit: str | None = None, check: bool = False,
              diff: bool = False, on_line=None, extra_args: list[str] | None = None,
              on_event=None, on_progress=None, mode: str | None = None) -> PlaybookResult:
    """Run a playbook over the room (limit: an Ansible pattern) and record each host's
    outcome in the audit log. A run that did not finish is recorded as failed on every
    host it was meant for.
    on_progress(done, expected) after each host's task: expected is how many the last
    complete run of the same playbook, limit and tags had (None before the first).
    mode: push (Ansible on the admin host reaches every host) or pull (the Linux terminals
    of site.yml or terminals.yml converge themselves, docs/pull.md; the rest is pushed);
    default: the inventory's lab_provision_mode, else push. --diff and extra Ansible
    arguments are the push run's own, so such a run pushes."""
    mode = mode or room.vars.get("lab_provision_mode") or "push"
    pulled = [] if mode != "pull" or playbook not in PULLED or diff or extra_args else [
        s for s in _meant(room, limit) if s.is_terminal and s.is_linux]
    runs = RunCounts(room.state)
    key = " ".join([playbook, limit or "-", "check" if check else "apply", *(extra_args or []),
                    *(["pull"] if pulled else [])])
    expected, done = runs.get(key), [0]

    def event(e: TaskEvent) -> None:
        if e.kind != "task":
            done[0] += 1
            if on_progress:
                on_progress(done[0], max(expected, done[0]) if expected else None)
        if on_event:
            on_event(e)

    if pulled:
        result = push_and_pull(room, playbook, limit, pulled, check, on_line, event)
    else:
        result = run_playbook(room.inventory, playbook, limit=room_limit(room, limit), check=check,
                              diff=diff, on_line=on_line, extra_args=extra_args, on_event=event,
                              state=room.state)
    if result.recapped and not result.interrupted:
        runs.put(key, done[0])
    meant = {s.name for s in _meant(room, limit)}
    action = "provision (check)" if check else "provision"
    for host in sorted(set(result.recap) | (meant if result.interrupted else set())):
        outcome, detail = result.outcome(host)
        audit.record_event(room.name, action, host, outcome, detail)
    return result


def _meant(room, limit: str | None) -> list:
    try:
        return room.match(limit)
    except NoSuchSeat:  # a pattern only Ansible knows (the switch, an exclusion)
        return []


class RunCounts:
    """How many host-tasks each kind of run had the last time it completed (runs.json in
    the room's state directory): the next run's progress has a total and a time left.
    Two labctl processes finishing at once (the console's run and a typed one) each add
    their own figure: the update is done under a lock, through a file of its own."""

    def __init__(self, state: paths.RoomState):
        self.path = state.dir / "runs.json"

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, key: str) -> int | None:
        value = self._read().get(key)
        return value if isinstance(value, int) and value > 0 else None

    def put(self, key: str, count: int) -> None:
        try:
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                runs = {**self._read(), key: count}
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".runs-", suffix=".tmp")
                try:
                    with os.fdopen(fd, "w") as f:
                        json.dump(runs, f, indent=1)
                    os.replace(tmp, self.path)
                except BaseException:
                    os.unlink(tmp)
                    raise
        except OSError:  # a state directory this user cannot write: no estimate next time
            pass
