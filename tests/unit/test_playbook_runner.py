"""labctl's playbook runs (through ansible-runner) on this machine's own localhost: results
from structured events, and none of ansible-runner's defaults that would change a run."""

import sys

from labctl.core.playbook import TaskEvent, run_playbook

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: settings
      ansible.builtin.debug:
        msg: "HKC={{ lookup('ansible.builtin.config', 'HOST_KEY_CHECKING') }}
              CACHE={{ lookup('ansible.builtin.config', 'CACHE_PLUGIN_CONNECTION') }}"
      when: inventory_hostname == 'a'
    - name: one
      ansible.builtin.command: "true"
      changed_when: inventory_hostname == 'a'
    - name: two
      ansible.builtin.fail: {msg: "b is broken"}
      when: inventory_hostname == 'b'
"""


def test_a_run_is_read_from_its_events_with_host_keys_checked(tmp_path, monkeypatch):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n" + "".join(
        f"    {h}: {{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}\n"
        for h in "ab"))
    (tmp_path / "play.yml").write_text(PLAY)
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "False")   # a user's setting: overruled
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "json")      # and one that changes nothing
    events, lines = [], []
    result = run_playbook(inventory, str(tmp_path / "play.yml"), on_event=events.append,
                          on_line=lines.append)
    assert result.recapped and not result.interrupted and result.returncode == 2
    assert (result.recap["a"].changed, result.recap["b"].failed) == (1, 1)
    assert result.failures == {"b": "two: b is broken"}
    assert result.outcome("b") == ("failed", "play.yml: failed=1 changed=0 (two: b is broken)")
    assert TaskEvent("changed", "a", "one") in events and TaskEvent("task", "", "two") in events
    assert TaskEvent("failed", "b", "two", "b is broken") in events
    shown = " ".join(" ".join(lines).split())
    assert "HKC=True" in shown, "ansible-runner turned host key checking off"
    assert "CACHE=/var/lib/labctl/facts" in shown, "the fact cache moved into the run's directory"
