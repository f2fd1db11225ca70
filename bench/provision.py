"""Benchmark: a no-op re-run of site.yml, the project's tuned settings against stock Ansible.

    sudo .venv/bin/python bench/provision.py [--sizes 12 60] [--keep | --reuse]

For each size, a generated virtual room of N terminals is booted and provisioned
(`labctl vlab up --provision`), then site.yml is run again, which must change
nothing, twice in the same run:

- tuned: the project's ansible.cfg (forks 64, pipelining, SSH ControlPersist,
  fact caching with smart gathering);
- stock: Ansible's defaults (forks 5, no pipelining, facts gathered every run,
  no cache), keeping only what security and the room need: the known_hosts and
  key that labctl verifies, the vault password, the roles path.

- mitogen (when the `mitogen` package is installed): the tuned settings with
  Mitogen's `mitogen_linear` strategy, which keeps one Python per host instead of
  starting one per task (host keys still verified by OpenSSH with labctl's known_hosts).

The times and the ratios are printed. The room is torn down afterwards unless
--keep or --reuse (measure on a room a previous benchmark left up) is given.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import psutil
from _room import each_room

from labctl.core import paths
from labctl.core.playbook import run_playbook

STOCK_CFG = f"""[defaults]
roles_path = {paths.PROJECT / 'roles'}
host_key_checking = True
private_key_file = {paths.ADMIN_KEY}
vault_password_file = {paths.PROJECT / 'inventory/demo.vault-pass'}
force_handlers = True

[ssh_connection]
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile={paths.KNOWN_HOSTS} -o StrictHostKeyChecking=yes
"""


def mitogen_env() -> dict | None:
    try:
        import ansible_mitogen
    except ImportError:
        return None
    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


def busy() -> float:
    """CPU seconds the whole machine has spent working (all cores)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


def timed(room, env=None) -> tuple[float, int, bool]:
    """(wall s, changed, succeeded); prints where the CPU went: Ansible (the controller:
    ansible-playbook, its workers and their ssh) and the rest, i.e. the seats."""
    t0, cpu0 = time.monotonic(), busy()
    own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_playbook(room.inventory, "site.yml", env=env)
    wall, own = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    controller = own.ru_utime + own.ru_stime - own0.ru_utime - own0.ru_stime
    seats = busy() - cpu0 - controller
    tasks = sum(r.ok for r in result.recap.values())  # tasks that ran on a host (changed or not)
    print(f"  {wall:6.1f} s wall, {tasks} host-tasks run; CPU: controller {controller:.0f} s "
          f"({1000 * controller / max(tasks, 1):.0f} ms a host-task), seats {seats:.0f} s "
          f"({1000 * seats / max(tasks, 1):.0f} ms a host-task); "
          f"{(controller + seats) / wall:.1f} of {psutil.cpu_count()} cores busy", flush=True)
    return wall, result.changed, result.succeeded


def measure(room, vroom, n: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(STOCK_CFG)
        f.flush()
        tuned = timed(room)
        stock = timed(room, env={"ANSIBLE_CONFIG": f.name})
    mitogen = mitogen_env()
    mito = timed(room, env=mitogen) if mitogen else (float("nan"), 0, True)
    good = all(r[2] and r[1] == 0 for r in (tuned, stock, mito))
    print(f"{'terminals':>9} {'hosts':>5} {'tuned s':>8} {'stock s':>8} {'stock/tuned':>11} "
          f"{'mitogen s':>9} {'stock/mitogen':>13} {'changed':>7} {'ok':>3}")
    print(f"{n:>9} {len(room.seats):>5} {tuned[0]:>8.1f} {stock[0]:>8.1f} "
          f"{stock[0] / tuned[0]:>11.2f} {mito[0]:>9.1f} {stock[0] / mito[0]:>13.2f} "
          f"{tuned[1]}/{stock[1]}/{mito[1]:<3} {'yes' if good else 'NO':>3}", flush=True)
    print("goal: 60 terminals in <= 60 s, and >= 3x faster than stock")
    if not good:
        raise SystemExit(f"{room.name}: a run failed or changed something")


if __name__ == "__main__":
    each_room(measure)
