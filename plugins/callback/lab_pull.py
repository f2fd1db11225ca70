"""The pull run's output on a terminal: one JSON object a line, as each event happens.

labctl-pull (labseat/pull.py) runs terminals.yml with this as its stdout callback; labctl
on the admin host reads the lines over SSH and shows them as it shows a push run's events.
"""

from __future__ import annotations

import json
import sys

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: lab_pull
type: stdout
short_description: a pull run's events as JSON lines, for labctl
description:
  - Prints each task start, each host's result (ok, changed, failed, skipped,
    unreachable; the message of a failure) and the recap, one JSON object a line.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "lab_pull"

    def _say(self, event: str, **fields) -> None:
        sys.stdout.write(json.dumps({"e": event, **fields}, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def _result(self, kind: str, result, ignore_errors: bool = False) -> None:
        res = result._result
        if kind == "ok" and res.get("changed"):
            kind = "changed"
        fields = {"host": result._host.get_name(), "task": result._task.get_name()}
        if kind in ("failed", "unreachable"):
            fields["msg"] = str(res.get("msg") or res.get("stderr") or res.get("reason") or "")[-300:]
            fields["ignored"] = bool(ignore_errors)
        self._say(kind, **fields)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._say("task", task=task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._say("task", task=task.get_name())

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result, ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_playbook_on_stats(self, stats):
        recap = {}
        for host in sorted(stats.processed):
            s = stats.summarize(host)
            recap[host] = {k: s.get(k, 0) for k in ("ok", "changed", "unreachable", "failures",
                                                    "skipped")}
        self._say("recap", hosts=recap)
