"""labctl's playbook runs (through ansible-runner) on this machine's own localhost: results
from structured events, and none of ansible-runner's defaults that would change a run."""

import shutil
import sys

import yaml

from labctl.core import paths
from labctl.core.inventory import load_room
from labctl.core.playbook import TaskEvent, run_playbook

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: settings
      ansible.builtin.debug:
        msg: "HKC={{ lookup('ansible.builtin.config', 'HOST_KEY_CHECKING') }}
              CACHE={{ lookup('ansible.builtin.config', 'CACHE_PLUGIN_CONNECTION') }}
              KEY={{ ansible_ssh_private_key_file }} SSH={{ ansible_ssh_common_args }}"
      when: inventory_hostname == 'pc01'
    - name: one
      ansible.builtin.command: "true"
      changed_when: inventory_hostname == 'pc01'
    - name: two
      ansible.builtin.fail: {msg: "pc02 is broken"}
      when: inventory_hostname == 'pc02'
"""


def local_room(tmp_path, state_dir):
    """The demo room, its seats pc01 and pc02 run on this machine (no seat is booted)."""
    inventory = tmp_path / "room"
    shutil.copytree(paths.DEFAULT_INVENTORY, inventory, symlinks=True)
    shutil.copy(paths.DEMO_VAULT_PASSWORD, tmp_path / "room.vault-pass")
    (inventory / "host_vars").mkdir()
    for host in ("pc01", "pc02"):
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(
            {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}))
    with open(inventory / "group_vars/all/room.yml", "a") as f:
        f.write(f"lab_state_dir: {state_dir}\n")
    # the test's play takes the settings every playbook of the project's takes
    (tmp_path / "group_vars").symlink_to(paths.PROJECT / "playbooks" / "group_vars")
    (tmp_path / "play.yml").write_text(PLAY)
    return inventory


def test_a_run_is_read_from_its_events_with_host_keys_checked(tmp_path, monkeypatch):
    inventory = local_room(tmp_path, tmp_path / "state")
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "False")   # a user's setting: overruled
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "json")      # and one that changes nothing
    events, lines = [], []
    result = run_playbook(inventory, str(tmp_path / "play.yml"), limit="pc01,pc02",
                          on_event=events.append, on_line=lines.append)
    assert result.recapped and not result.interrupted and result.returncode == 2
    assert (result.recap["pc01"].changed, result.recap["pc02"].failed) == (1, 1)
    assert result.failures == {"pc02": "two: pc02 is broken"}
    assert result.outcome("pc02") == ("failed", "play.yml: failed=1 changed=0 (two: pc02 is broken)")
    assert TaskEvent("changed", "pc01", "one") in events and TaskEvent("task", "", "two") in events
    assert TaskEvent("failed", "pc02", "two", "pc02 is broken") in events
    shown = " ".join(" ".join(lines).split())
    assert "HKC=True" in shown, "ansible-runner turned host key checking off"
    # one setting, lab_state_dir: labctl's RoomState and the playbooks' group_vars agree
    state = load_room(inventory).state
    assert state.dir == tmp_path / "state"
    assert f"CACHE={state.facts}" in shown, "the fact cache is not the room's"
    assert f"KEY={state.admin_key} SSH={state.ssh_args()}" in shown


def test_a_room_without_lab_state_dir_keeps_its_state_under_its_own_name(tmp_path):
    room = load_room(paths.DEFAULT_INVENTORY)
    assert room.state.dir == paths.ROOMS / "demo" and "lab_state_dir" not in room.vars
    lines = []
    inventory = local_room(tmp_path, "")
    text = (inventory / "group_vars/all/room.yml").read_text()
    (inventory / "group_vars/all/room.yml").write_text(text.replace("lab_state_dir: \n", ""))
    run_playbook(inventory, str(tmp_path / "play.yml"), limit="pc01", on_line=lines.append)
    shown = " ".join(" ".join(lines).split())
    assert f"KEY={paths.ROOMS / 'demo'}/ssh/id_ed25519 SSH=-o UserKnownHostsFile=" \
           f"{paths.ROOMS / 'demo'}/known_hosts" in shown
